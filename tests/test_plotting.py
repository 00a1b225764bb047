"""Plots of any search (agnet_bo.plotting.plot_history / plot_front / plot_operations), drawn from an
Optimizer, its records, a DataFrame and exported .csv / .jsonl files; the data drawn is checked."""

from __future__ import annotations

import math

import numpy as np
import pytest

import agnet_bo as ab
from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.plotting import _pyplot, plot_front, plot_history, plot_operations

MO = {"valid-accuracy": "maximize", "latency-pixel3": "minimize"}
KINDS = ["optimizer", "records", "dataframe", "csv", "jsonl"]
WEIGHTS = {"a": 1.0, "b": 0.37, "c": 0.11}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    _pyplot().close("all")


@pytest.fixture(scope="module")
def bench():
    return ab.benchmarks.NB201("cifar10")


def _nb201(bench, objectives):
    opt = ab.Optimizer(ab.spaces.NB201Space(), objectives, proposer="random", surrogate="none", seed=0)
    for _ in range(6):
        for t in opt.ask(4):
            opt.tell(t, bench.evaluate(t.arch, metrics=list(opt.metrics)))
    opt.tell(opt.ask(1)[0], state="FAIL")  # trial 24
    return opt


@pytest.fixture(scope="module")
def mo(bench):
    return _nb201(bench, MO)


@pytest.fixture(scope="module")
def so(bench):
    return _nb201(bench, {"valid-accuracy": "maximize"})


def score(arch):
    """A synthetic objective: weighted operations, later layers count more."""
    return sum(WEIGHTS[o] * (k + 1) for k, o in enumerate(arch.ops[1:-1]))


@pytest.fixture(scope="module")
def dag():
    space = ab.spaces.DAGSpace.chain(["a", "b", "c"], num_layers=4)
    opt = ab.Optimizer(space, {"score": "maximize"}, proposer="random", surrogate="none", seed=0)
    for k, t in enumerate(opt.ask(20)):
        if k == 5:
            opt.tell(t, state="FAIL")
        else:
            opt.tell(t, {"score": score(t.arch)})
    opt.ask(1)  # one pending trial
    return opt


def as_source(opt, kind, tmp_path):
    if kind == "optimizer":
        return opt
    if kind == "records":
        return opt.records()
    if kind == "dataframe":
        pytest.importorskip("pandas")
        return opt.trials_dataframe()
    path = tmp_path / f"trials.{kind}"
    opt.export(path)
    return str(path) if kind == "csv" else path


def line(ax, label):
    found = [ln for ln in ax.lines if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.lines]
    return found[0]


def saves_png(ax, tmp_path):
    out = tmp_path / "plot.png"
    ax.figure.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- plot_history ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_history_draws_every_value_and_the_best_so_far(so, kind, tmp_path):
    ax = plot_history(as_source(so, kind, tmp_path))
    best = line(ax, "best so far")
    y = np.asarray(best.get_ydata(), dtype=float)
    assert np.all(np.diff(y) >= 0) and y[-1] == pytest.approx(so.best_trial.values["valid-accuracy"])
    assert list(best.get_xdata()) == list(range(25))  # every finished trial, the failed one last
    done = [t for t in so.trials if t.state is ab.TrialState.COMPLETE]
    points = next(c for c in ax.collections if c.get_label() == "evaluated").get_offsets()
    assert np.allclose(points, [[t.id, t.values["valid-accuracy"]] for t in done])
    failed = next(c for c in ax.collections if c.get_label() == "failed (1)").get_offsets()
    assert failed[:, 0].tolist() == [24]
    assert ax.get_ylabel() == "valid-accuracy" and "maximize" in ax.get_title()
    saves_png(ax, tmp_path)


@pytest.mark.parametrize("kind", ["optimizer", "csv"])
def test_history_of_a_minimised_metric_goes_down(mo, kind, tmp_path):
    src = as_source(mo, kind, tmp_path)  # the csv says no direction: "latency" reads like a cost
    y = np.asarray(line(plot_history(src, metric="latency-pixel3"), "best so far").get_ydata(), dtype=float)
    lat = [t.values["latency-pixel3"] for t in mo.trials if t.values]
    assert np.all(np.diff(y) <= 0) and y[-1] == pytest.approx(min(lat))
    up = np.asarray(line(plot_history(src, "latency-pixel3", direction="maximize"), "best so far").get_ydata(), dtype=float)
    assert np.all(np.diff(up) >= 0) and up[-1] == pytest.approx(max(lat))


def test_history_skips_pending_trials_and_draws_into_a_given_axes(dag, tmp_path):
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2)
    ax = plot_history(dag, ax=right)
    assert ax is right and not left.lines and len(fig.axes) == 2
    best = line(ax, "best so far")
    assert list(best.get_xdata()) == list(range(20))  # trial 20 is pending
    assert best.get_ydata()[-1] == pytest.approx(max(score(t.arch) for t in dag.trials if t.values))
    saves_png(ax, tmp_path)


def test_only_feasible_trials_count_where_the_optimizer_has_constraints(bench):
    opt = ab.Optimizer(ab.spaces.NB201Space(), {"valid-accuracy": "maximize"}, constraints={"latency-pixel3": ("<=", 10.0)},
                       proposer="random", surrogate="none", seed=1)
    for t in opt.ask(16):
        opt.tell(t, bench.evaluate(t.arch, metrics=list(opt.metrics)))
    feasible = {t.id for t in opt.trials if t.values["latency-pixel3"] <= 10.0}
    assert 0 < len(feasible) < 16
    ax = plot_history(opt)
    assert line(ax, "best so far").get_ydata()[-1] == pytest.approx(opt.best_trial.values["valid-accuracy"])
    hollow = next(c for c in ax.collections if c.get_label() == "infeasible").get_offsets()
    assert sorted(hollow[:, 0].tolist()) == sorted(set(range(16)) - feasible)
    ax = plot_operations(opt, top=16)
    assert {int(t.get_text().split()[0][1:]) for t in ax.get_yticklabels()} == feasible


# -- plot_front --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_front_is_the_optimizers_pareto_front(mo, kind, tmp_path):
    ax = plot_front(as_source(mo, kind, tmp_path))
    front = line(ax, "front")
    expected = sorted((t.values["latency-pixel3"], t.values["valid-accuracy"]) for t in mo.pareto_front())
    assert np.allclose(front.get_xydata(), expected)
    assert front.get_drawstyle() == "steps-post"  # latency (x) is minimised
    assert f"hypervolume {mo.hypervolume():.4g}" in ax.get_title()
    points = next(c for c in ax.collections if c.get_label() == "evaluated").get_offsets()
    assert len(points) == 24
    saves_png(ax, tmp_path)


def test_front_with_a_reference_point_and_other_directions(mo, tmp_path):
    ref = {"valid-accuracy": 50.0, "latency-pixel3": 40.0}
    ax = plot_front(mo.records(), ref_point=ref)
    assert f"hypervolume {mo.hypervolume(ref):.4g}" in ax.get_title()
    # both maximised: another front, a step the other way
    ax = plot_front(mo.records(), objectives={"valid-accuracy": "maximize", "latency-pixel3": "maximize"})
    front = line(ax, "front")
    Y = np.array([[t.values["valid-accuracy"], t.values["latency-pixel3"]] for t in mo.trials if t.values])
    expected = Y[ab.pareto.pareto_mask(Y)][:, ::-1]
    assert np.allclose(front.get_xydata(), expected[np.argsort(expected[:, 0])])
    assert front.get_drawstyle() == "steps-pre"


def test_front_of_a_single_objective_search_needs_two_objectives(so, mo, tmp_path):
    with pytest.raises(InputError, match="exactly two objectives.*has 1 objectives"):
        plot_front(so)
    with pytest.raises(InputError, match="exactly two objectives, got 3"):
        plot_front(mo, objectives=["valid-accuracy", "latency-pixel3", "valid-accuracy"])
    with pytest.raises(InputError, match="must differ"):
        plot_front(mo, objectives=["valid-accuracy", "valid-accuracy"])
    with pytest.raises(UnknownNameError, match="value:valid-accuracy"):
        plot_front(mo, objectives=["valid-acc", "latency-pixel3"])
    with pytest.raises(InputError, match="'maximize' or 'minimize'"):
        plot_front(mo, directions=["maximize", "down"])
    with pytest.raises(InputError, match="once"):
        plot_front(mo, objectives=MO, directions=["maximize", "minimize"])
    with pytest.raises(InputError, match="one value per objective"):
        plot_front(mo, ref_point=[1.0])
    with pytest.raises(InputError, match="finite"):
        plot_front(mo, ref_point=[math.nan, 1.0])


# -- plot_operations ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_operations_of_the_best_architectures(mo, kind, tmp_path):
    ax = plot_operations(as_source(mo, kind, tmp_path), top=7, metric="valid-accuracy")
    M = ax.images[0].get_array()
    ops = [t.get_text() for t in ax.get_xticklabels()]
    assert M.shape == (7, len(ops)) and set(ops) == set(ab.spaces.NB201Space().ops)
    done = sorted((t for t in mo.trials if t.values), key=lambda t: -t.values["valid-accuracy"])[:7]
    assert [t.get_text().split()[0] for t in ax.get_yticklabels()] == [f"#{t.id}" for t in done]
    assert np.array_equal(M, [[t.arch.ops.count(o) for o in ops] for t in done])
    saves_png(ax, tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_operations_of_a_user_dag_space_by_position(dag, kind, tmp_path):
    src = as_source(dag, kind, tmp_path)
    done = sorted((t for t in dag.trials if t.values), key=lambda t: (-t.values["score"], t.id))[:5]
    ax = plot_operations(src, top=5, view="positions")
    M = ax.images[0].get_array()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert M.shape == (5, 4)
    assert [[legend[int(c)] for c in row] for row in M] == [list(t.arch.ops[1:-1]) for t in done]
    counts = plot_operations(src, top=5).images[0].get_array()
    assert np.array_equal(counts, [[t.arch.ops.count(o) for o in "abc"] for t in done])
    assert plot_operations(src, top=100).images[0].get_array().shape == (19, 3)  # all complete ones


def test_operations_ranked_by_a_minimised_metric(mo):
    ax = plot_operations(mo, top=5, metric="latency-pixel3")
    values = [float(t.get_text().split()[1]) for t in ax.get_yticklabels()]
    assert values == sorted(values) and "minimize" in ax.get_title()


def test_operations_from_arch_text_of_either_form():
    rows = [
        {"id": 0, "state": "COMPLETE", "arch": "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_3x3~0|none~1|none~2|", "value:acc": 1.0},
        {"id": 1, "state": "COMPLETE", "arch": "input,conv,pool,conv,output | 0->1,1->2,2->3,3->4", "value:acc": 2.0},
    ]
    ax = plot_operations(rows)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["conv", "none", "nor_conv_3x3", "pool", "skip_connect"]
    assert np.array_equal(ax.images[0].get_array(), [[2, 0, 0, 1, 0], [0, 3, 2, 0, 1]])  # best (acc 2) first
    rows[0]["arch"] = "|nor_conv_3x3|+|none|"
    with pytest.raises(InputError, match="cannot read the NB201 arch string"):
        plot_operations(rows)


# -- errors ------------------------------------------------------------------------------------------
def test_unknown_metric_lists_the_value_columns(mo, tmp_path):
    with pytest.raises(UnknownNameError, match="Did you mean 'valid-accuracy'.*value:valid-accuracy, value:latency-pixel3"):
        plot_history(as_source(mo, "csv", tmp_path), metric="valid-acc")
    with pytest.raises(InputError, match="2 objectives.*metric='valid-accuracy'"):
        plot_history(mo)
    with pytest.raises(InputError, match="2 'value:' columns"):
        plot_operations(mo.records())
    with pytest.raises(InputError, match="'maximize' or 'minimize'"):
        plot_history(mo, "valid-accuracy", direction="max")


@pytest.mark.parametrize(
    "source, match",
    [
        (42, "Cannot read a search history from int"),
        ("trials.txt", r"\.csv or \.jsonl"),
        ("missing.csv", "No history file"),
        ([], "no trials"),
        ([1, 2], "list of dicts"),
        ([{"id": 0, "acc": 1.0}], "no 'value:<metric>' column"),
        ([{"id": 0, "value:acc": "high"}], "must be a number"),
        ([{"id": 0, "state": "FAIL", "value:acc": None}], r"no complete trial.*1 FAIL"),
    ],
)
def test_bad_sources_are_clear_errors(source, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=match):
        plot_history(source)


def test_bad_arguments_are_clear_errors(dag, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 0, "value:acc": 1}\nnot json\n')
    with pytest.raises(InputError, match="Line 2 of 'bad.jsonl' is not JSON"):
        plot_history(bad)
    with pytest.raises(InputError, match="`top` must be an int >= 1"):
        plot_operations(dag, top=0)
    with pytest.raises(InputError, match="'counts' or 'positions'"):
        plot_operations(dag, view="heatmap")
    with pytest.raises(InputError, match="matplotlib Axes"):
        plot_history(dag, ax="left")
    with pytest.raises(InputError, match="no 'arch' text"):
        plot_operations([{"id": 0, "state": "COMPLETE", "value:acc": 1.0}])


def test_plot_history_shows_pruned_trials_apart_from_the_best():
    from agnet_bo.plotting import plot_history

    rows = [
        {"id": 0, "state": "COMPLETE", "value:acc": 0.3},
        {"id": 1, "state": "PRUNED", "value:acc": 0.9},  # a low-fidelity value, never the best
        {"id": 2, "state": "COMPLETE", "value:acc": 0.5},
    ]
    ax = plot_history(rows)
    best = next(line for line in ax.lines if line.get_label() == "best so far")
    assert best.get_ydata().tolist() == [0.3, 0.3, 0.5]
    assert any(c.get_label() == "pruned (1)" for c in ax.collections)
