"""Tests of agnet_bo.prior and of searches that start from a prior (issue 43).

The prior tasks and the new task are the bundled NAS-Bench-201 tables (lookups) or simple functions
of the cell, and the optimizers are small, so each test takes a few seconds.
"""

from __future__ import annotations

import json
import threading
import time
import warnings

import numpy as np
import pytest
import torch

import agnet_bo as ab
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.prior import Prior, PriorTask, as_prior, parse_arch_text
from agnet_bo.trial import TrialState

SPACE = ab.spaces.NB201Space()
C10 = ab.benchmarks.NB201("cifar10")
C100 = ab.benchmarks.NB201("cifar100")
METRIC = "valid-accuracy"
FAST = {"n_initial": 4, "pool_size": 20}


def _acc(bench, arch):
    return bench.evaluate(arch, metrics=[METRIC])[METRIC]


def _c100_prior(n=120, seed=1):
    archs = SPACE.sample(n, seed=seed)
    return Prior(space=SPACE).add(archs, {"acc": [_acc(C100, a) for a in archs]}, objectives={"acc": "maximize"}, name="c100")


def _search(opt, bench, n, q=1):
    while len(opt.trials) < n:
        for t in opt.ask(q):
            opt.tell(t, {METRIC: _acc(bench, t.arch)})
    return opt


# -- building a prior ---------------------------------------------------------------------------
def test_add_reads_columns_rows_and_numbers_and_drops_non_finite_values():
    archs = SPACE.sample(4, seed=0)
    a = Prior(space=SPACE).add(archs, {"acc": [1, 2, float("nan"), 4]}, name="cols")
    b = Prior(space=SPACE).add(archs, [{"acc": 1}, {"acc": 2}, {"acc": None}, {"acc": 4}], objectives="acc")
    c = Prior(space=SPACE).add(archs, [1, 2, float("inf"), 4], objectives="acc")
    for p in (a, b, c):
        (task,) = p.tasks
        assert len(task) == 3 and list(task.values["acc"]) == [1, 2, 4]
        assert task.objectives == {"acc": "maximize"}


def test_add_refuses_what_it_cannot_read_and_says_how_to_fix_it():
    archs = SPACE.sample(3, seed=0)
    with pytest.raises(InputError, match="3 architectures but a different number"):
        Prior(space=SPACE).add(archs, {"acc": [1, 2]})
    with pytest.raises(InputError, match="say which are objectives"):
        Prior(space=SPACE).add(archs, {"acc": [1, 2, 3], "lat": [1, 2, 3]})
    with pytest.raises(InputError, match="have no values"):
        Prior(space=SPACE).add(archs, {"acc": [1, 2, 3]}, objectives={"loss": "minimize"})
    with pytest.raises(InputError, match="no architecture with finite values"):
        Prior(space=SPACE).add(archs, {"acc": [float("nan")] * 3})
    with pytest.raises(InputError, match="Architecture objects"):
        Prior(space=SPACE).add(["|nor_conv_3x3~0|"], [1.0])
    with pytest.raises(InputError, match="prior source is an Optimizer"):
        Prior(space=SPACE).add_source(42)


def test_a_minimised_objective_ranks_its_smallest_value_best():
    archs = SPACE.sample(3, seed=0)
    task = Prior(space=SPACE).add(archs, {"loss": [3.0, 1.0, 2.0]}, objectives={"loss": "minimize"}).tasks[0]
    assert list(task.quantiles()) == [0.0, 1.0, 0.5]
    ranked = Prior([task]).ranked(SPACE)
    assert ranked[0][0] == archs[1] and ranked[0][1] == 1.0


def test_ranked_averages_each_tasks_rank_and_skips_architectures_of_other_spaces():
    a, b, c = SPACE.sample(3, seed=3)
    prior = Prior(space=SPACE).add([a, b, c], [3, 2, 1], name="one").add([a, b, c], [1, 3, 2], name="two")
    # a: (1 + 0) / 2, b: (0.5 + 1) / 2, c: (0 + 0.5) / 2
    assert [(x, round(s, 3)) for x, s in prior.ranked(SPACE)] == [(b, 0.75), (a, 0.5), (c, 0.25)]
    cells = ab.spaces.CandidateSpace([a, c], base=SPACE)
    assert [x for x, _ in prior.ranked(cells)] == [a, c]


def test_design_keeps_the_prior_best_diverse_and_still_returns_n():
    archs = SPACE.sample(200, seed=0)
    prior = Prior(space=SPACE).add(archs, [_acc(C100, a) for a in archs])
    top = [a for a, _ in prior.ranked(SPACE)]
    diverse = prior.design(SPACE, 8, min_distance=2.0)
    enc = SPACE.encode(diverse).numpy()
    dist = np.abs(enc[:, None] - enc[None]).sum(-1)
    assert len(diverse) == 8 and diverse[0] == top[0]
    assert dist[np.triu_indices(8, 1)].min() > 2.0
    assert prior.design(SPACE, 8, min_distance=0) == top[:8]
    small = Prior(space=SPACE).add(archs[:3], [1, 2, 3])
    assert len(small.design(SPACE, 8)) == 3


def test_a_prior_reads_an_optimizer_its_records_exports_states_and_run_folders(tmp_path):
    opt = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, seed=0, surrogate="none", proposer="random"), C100, 12, q=4)
    opt.export(tmp_path / "t.csv")
    opt.export(tmp_path / "t.jsonl")
    import gzip

    (tmp_path / "z.jsonl.gz").write_bytes(gzip.compress((tmp_path / "t.jsonl").read_bytes()))
    opt.save(tmp_path / "state.json")
    run = tmp_path / "run"
    run.mkdir()
    opt.save(run / "state.json")
    sources = [opt, opt.records(), tmp_path / "t.csv", tmp_path / "t.jsonl", tmp_path / "z.jsonl.gz", tmp_path / "state.json", run]
    for src in sources:
        (task,) = Prior(space=SPACE).add_source(src).tasks
        assert [SPACE.key(a) for a in task.archs] == [t.key for t in opt.trials], src
        assert np.allclose(task.values[METRIC], [t.values[METRIC] for t in opt.trials])
        assert task.objectives == {METRIC: "maximize"}
    assert Prior(space=SPACE).add_source(tmp_path / "z.jsonl.gz").tasks[0].name == "z"
    with pytest.raises(InputError, match="needs the space"):
        Prior().add_source(opt.records())
    with pytest.raises(InputError, match="Cannot read the prior"):
        Prior(space=SPACE).add_source(tmp_path / "missing.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="without a state.json"):
        Prior(space=SPACE).add_source(tmp_path / "empty")


def test_records_of_a_space_without_from_string_are_read_back():
    space = ab.spaces.DAGSpace(["conv", "pool"], num_nodes=(3, 5), name="tiny")
    arch = space.sample(1, seed=0)[0]
    from agnet_bo.history import arch_text

    text = arch_text(space, arch)
    assert space.key(parse_arch_text(space, text)) == space.key(arch)
    with pytest.raises(InvalidArchitectureError, match="not an architecture"):
        parse_arch_text(space, "conv,pool")


def test_a_prior_round_trips_through_json():
    prior = _c100_prior(20)
    prior.add(SPACE.sample(5, seed=9), {"lat": [1, 2, 3, 4, 5], "acc": [5, 4, 3, 2, 1]}, objectives={"lat": "minimize", "acc": "maximize"},
              feasible=[True, False, True, True, True], name="mo")
    back = Prior.from_dict(json.loads(json.dumps(prior.to_dict())))
    assert [t.name for t in back.tasks] == ["c100", "mo"]
    for x, y in zip(prior.tasks, back.tasks, strict=True):
        assert x.archs == y.archs and x.objectives == y.objectives
        assert all(np.array_equal(x.values[m], y.values[m]) for m in x.values)
        assert (x.feasible is None) == (y.feasible is None)
    with pytest.raises(InputError, match="Prior.to_dict"):
        Prior.from_dict({"tasks": []})


def test_a_prior_from_another_space_is_refused():
    other = ab.spaces.DAGSpace(["conv", "pool"], num_nodes=(3, 5), name="tiny")
    prior = Prior().add(other.sample(4, seed=0), [1, 2, 3, 4])
    with pytest.raises(InvalidArchitectureError, match="same space"):
        as_prior(prior, SPACE)


def test_columns_match_by_name_or_as_the_only_objective():
    archs = SPACE.sample(3, seed=0)
    task = PriorTask("t", archs, {"acc": np.array([1.0, 2, 3]), "latency": np.array([5.0, 6, 7])}, {"acc": "maximize", "latency": "minimize"})
    assert list(task.column("latency", {"acc": "maximize", "latency": "minimize"})) == [-5, -6, -7]
    assert list(task.column("latency", {"acc": "maximize"})) == [5, 6, 7]  # a constrained metric: as measured
    assert task.column("energy", {"acc": "maximize"}) is None
    one = PriorTask("t", archs, {"err": np.array([3.0, 2, 1])}, {"err": "minimize"})
    assert list(one.column("valid", {"valid": "maximize"})) == [-3, -2, -1]  # renamed, direction from each side


# -- a search that starts from a prior --------------------------------------------------------
def test_the_initial_design_starts_with_the_prior_best_then_random_ones():
    prior = _c100_prior()
    opt = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, seed=0, n_initial=8)
    design = prior.design(SPACE, 6)
    trials = [opt.ask(1)[0] for _ in range(8)]
    assert [t.arch for t in trials[:6]] == design
    assert [t.source for t in trials] == ["prior"] * 6 + ["initial"] * 2
    assert opt.strategy.prior_initial == 6
    default = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, seed=0)
    assert (default.n_initial, default.strategy.prior_initial) == (8, 6)  # with a prior: half the design, 3/4 of it prior
    none = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, prior_initial=0, seed=0, n_initial=8)
    assert {t.source for t in none.ask(8)} == {"initial"}


def test_a_batch_ask_and_concurrent_askers_take_each_prior_pick_once():
    prior = _c100_prior()
    opt = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, prior_initial=6, seed=0, n_initial=12)
    got: list = []

    def worker():
        for _ in range(3):
            got.extend(opt.ask(1))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    keys = [t.key for t in got]
    assert len(keys) == 12 == len(set(keys))
    assert {SPACE.key(a) for a in prior.design(SPACE, 6)} == {t.key for t in got if t.source == "prior"}


def test_prior_parts_switch_each_part_on_its_own():
    prior = _c100_prior()
    only_surrogate = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, prior_parts=["surrogate"], seed=0, **FAST)
    assert isinstance(only_surrogate.surrogate, ab.surrogates.TransferSurrogate)
    assert {t.source for t in only_surrogate.ask(6)} == {"initial"}
    only_initial = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, prior_parts="initial", seed=0, **FAST)
    assert isinstance(only_initial.surrogate, ab.surrogates.GPSurrogate)
    with pytest.raises(InputError, match="prior part"):
        ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, prior_parts=["generatr"])


def test_the_generator_is_fine_tuned_on_the_prior_before_its_first_retraining():
    prior = _c100_prior(300)
    kwargs = {"seed": 0, "n_initial": 4, "pool_size": 40, "surrogate": "none"}
    tuned = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, prior_parts=["generator"], **kwargs), C10, 5)
    plain = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, **kwargs), C10, 5)
    good = [a for a, _ in prior.ranked(SPACE)[:30]]
    ll_tuned = tuned.proposer.generator.log_likelihood(good).mean()
    ll_plain = plain.proposer.generator.log_likelihood(good).mean()
    assert ll_tuned > ll_plain + 0.5


def test_a_search_with_a_prior_is_saved_and_resumed_as_if_never_stopped(tmp_path):
    prior = _c100_prior()
    kwargs = {"prior": prior, "seed": 3, **FAST}
    whole = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, **kwargs), C10, 9, q=2)
    first = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, **kwargs), C10, 6, q=2)
    first.save(tmp_path / "s.json")
    state = json.loads((tmp_path / "s.json").read_text())
    assert state["config"]["prior_parts"] == ["initial", "generator", "surrogate"]
    assert state["config"]["surrogate"]["type"] == "gp"
    resumed = ab.Optimizer.load(tmp_path / "s.json")
    assert resumed.prior is not None and [len(t) for t in resumed.prior.tasks] == [len(prior.tasks[0])]
    _search(resumed, C10, 9, q=2)
    assert [t.key for t in resumed.trials] == [t.key for t in whole.trials]


def test_a_prior_of_the_same_task_finds_its_optimum_at_once_and_a_negated_one_loses_its_weight():
    archs = SPACE.sample(150, seed=5)
    same = Prior(space=SPACE).add(archs, [_acc(C10, a) for a in archs], name="same")
    negated = Prior(space=SPACE).add(archs, [-_acc(C10, a) for a in archs], name="negated")
    best_seen = max(archs, key=lambda a: _acc(C10, a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        good = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=same, seed=0, **FAST), C10, 1)
        assert good.trials[0].arch == best_seen
        bad = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=negated, prior_parts=["surrogate"], seed=0, **FAST), C10, 16, q=2)
    assert bad.surrogate.weights_["negated"][0] < 0.05
    assert bad.surrogate.weights_["target"][0] > 0.95


def test_objectives_of_other_names_and_units_carry_over_by_rank():
    archs = SPACE.sample(100, seed=2)
    err = Prior(space=SPACE).add(archs, {"error": [100 - _acc(C100, a) for a in archs]}, objectives={"error": "minimize"})
    opt = ab.Optimizer(SPACE, {"acc": "maximize"}, prior=err, seed=0, n_initial=4)
    assert opt.ask(1)[0].arch == max(archs, key=lambda a: _acc(C100, a))


def test_a_multi_objective_constrained_search_takes_a_prior_of_the_same_metrics():
    hw, metrics = C10, [METRIC, "latency-edgegpu"]
    archs = SPACE.sample(80, seed=4)
    vals = [hw.evaluate(a, metrics=metrics) for a in archs]
    prior = Prior(space=SPACE).add(archs, vals, objectives={METRIC: "maximize", metrics[1]: "minimize"}, name="earlier")
    bound = float(np.median([v[metrics[1]] for v in vals]))
    opt = ab.Optimizer(SPACE, {METRIC: "maximize", metrics[1]: "minimize"}, prior=prior, seed=0, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            for t in opt.ask(4):
                opt.tell(t, hw.evaluate(t.arch, metrics=metrics))
    w = opt.surrogate.weights_
    assert set(w) == {"target", "earlier"} and all(len(x) == 2 for x in w.values())
    assert np.allclose(np.sum(list(w.values()), axis=0), 1.0)
    # a constraint on the second metric, and a prior that only knows the first: its weight there is 0
    acc_only = Prior(space=SPACE).add(archs, [v[METRIC] for v in vals], objectives=METRIC)
    opt2 = ab.Optimizer(SPACE, {METRIC: "maximize"}, constraints={metrics[1]: ("<=", bound)}, prior=acc_only, seed=0, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            for t in opt2.ask(4):
                opt2.tell(t, hw.evaluate(t.arch, metrics=metrics))
    assert opt2.surrogate.weights_["task0"][1] == 0.0 and opt2.surrogate.weights_["target"][1] == 1.0
    assert all(t.state is TrialState.COMPLETE for t in opt2.trials)


def test_a_run_config_with_a_prior_builds_a_search_that_starts_from_it(tmp_path):
    from agnet_bo.experiment import RunConfig, make_benchmark, make_optimizer

    opt = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, seed=0, surrogate="none", proposer="random"), C100, 8, q=4)
    opt.export(tmp_path / "c100.jsonl")
    config = RunConfig(prior=[str(tmp_path / "c100.jsonl")], budget=8)
    built = make_optimizer(config, make_benchmark("nb201", "cifar10", 200))
    assert built.prior is not None and len(built.prior.tasks[0]) == 8
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))).prior == config.prior
    with pytest.raises(InputError, match="list of paths"):
        RunConfig(prior="c100.jsonl")  # type: ignore[arg-type]


def test_each_scored_pool_holds_the_prior_best_not_asked_yet_and_a_surrogate_free_search_does_not():
    prior = _c100_prior()
    opt = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, seed=0, n_initial=4, pool_size=40), C10, 5)
    _, data, pool = opt.strategy._last_pool
    best = [a for a, _ in prior.ranked(SPACE) if SPACE.key(a) not in data.exclude]
    assert pool[:10] == best[:10]  # a quarter of the pool: the prior's best not asked yet
    assert len({SPACE.key(a) for a in pool}) == 40 and not data.exclude & {SPACE.key(a) for a in pool}
    plain = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=prior, seed=0, surrogate="none", proposer="random", **FAST)
    _search(plain, C10, 5)
    top = {SPACE.key(a) for a, _ in prior.ranked(SPACE)[:20]}
    assert len(plain.strategy.prior_candidates(SPACE, frozenset(), 40)) == 10  # the list exists ...
    assert sum(t.key in top for t in plain.trials if t.source == "proposed") <= 1  # ... but without a surrogate nothing re-ranks it


def test_a_dismissed_prior_leaves_the_pools_and_the_generator_forgets_it(caplog):
    archs = SPACE.sample(150, seed=5)
    negated = Prior(space=SPACE).add(archs, [-_acc(C10, a) for a in archs], name="negated")
    opt = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=negated, seed=0, n_initial=4, pool_size=40)
    proposer = opt.proposer
    with warnings.catch_warnings(), caplog.at_level("INFO", logger="agnet_bo.optimizer"):
        warnings.simplefilter("ignore")
        _search(opt, C10, 16, q=2)
    assert opt.strategy.prior_dismissed(opt.surrogate)  # the prior's weight is gone ...
    assert proposer._before_prior is None  # ... the generator went back to its weights before the prior
    assert any("dismissed the prior" in r.getMessage() for r in caplog.records)
    _, data, pool = opt.strategy._last_pool
    assert opt.strategy.prior_candidates(SPACE, data.exclude, 40, opt.surrogate) == []
    top = {SPACE.key(a) for a, _ in negated.ranked(SPACE)[:10]}
    assert not top & {SPACE.key(a) for a in pool[:10]}  # the pool no longer opens with the prior's best


def test_forget_prior_restores_the_generator_and_its_snapshot_is_saved_until_then():
    good = [a for a, _ in _c100_prior(200).ranked(SPACE)[:40]]
    prop = ab.proposers.GeneratorProposer(SPACE, seed=0)
    pretrained = {k: v.clone() for k, v in prop.generator.state_dict()["model"].items()}
    before = prop.generator.log_likelihood(good).mean()
    assert prop.forget_prior() is False  # nothing learnt yet
    prop.fit_prior(good, np.linspace(1, 0, len(good)))
    assert prop.generator.log_likelihood(good).mean() > before + 0.5
    state = prop.state_dict()
    assert "before_prior" in state
    assert all(torch.equal(state["before_prior"]["model"][k], v) for k, v in pretrained.items())
    copy = ab.proposers.GeneratorProposer(SPACE, seed=0, pretrain=False)
    copy.load_state_dict(state)
    for p in (prop, copy):
        assert p.forget_prior() is True and p.forget_prior() is False
        assert float(p.generator.log_likelihood(good).mean()) == pytest.approx(float(before), abs=1e-5)
        assert "before_prior" not in p.state_dict()
    assert ab.proposers.RandomProposer(SPACE).forget_prior() is False


def test_a_search_saved_before_its_prior_is_dismissed_resumes_as_if_never_stopped(tmp_path):
    archs = SPACE.sample(150, seed=5)
    negated = Prior(space=SPACE).add(archs, [-_acc(C10, a) for a in archs], name="negated")
    kwargs = {"prior": negated, "seed": 1, "n_initial": 4, "pool_size": 30}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, **kwargs), C10, 12, q=2)
        first = _search(ab.Optimizer(SPACE, {METRIC: "maximize"}, **kwargs), C10, 6, q=2)
        assert first.proposer._before_prior is not None  # fitted on the prior, not yet dismissed
        first.save(tmp_path / "s.json")
        resumed = _search(ab.Optimizer.load(tmp_path / "s.json"), C10, 12, q=2)
    assert whole.proposer._before_prior is None and resumed.proposer._before_prior is None
    assert [t.key for t in resumed.trials] == [t.key for t in whole.trials]


def test_a_prior_is_dismissed_only_when_every_metric_gives_it_no_weight():
    from agnet_bo.strategy import PRIOR_DISMISSED, Strategy

    ts = ab.surrogates.TransferSurrogate(ab.surrogates.GPSurrogate(SPACE), _c100_prior(20))
    strategy = Strategy(surrogate=None, proposer=ab.proposers.RandomProposer(SPACE), acquisition=None)
    assert not strategy.prior_dismissed(ts)  # not fitted: no weights yet
    cases = [
        ({"target": [1.0], "c100": [0.0]}, True),
        ({"target": [1.0 - PRIOR_DISMISSED], "c100": [PRIOR_DISMISSED]}, True),
        ({"target": [0.9], "a": [0.05], "b": [0.05]}, False),  # the prior tasks' weights add up
        ({"target": [1.0, 0.9], "c100": [0.0, 0.1]}, False),  # still trusted on the second metric
        ({"target": [1.0, 1.0], "c100": [0.0, 0.0]}, True),
    ]
    for weights, dismissed in cases:
        ts.weights_ = weights
        assert strategy.prior_dismissed(ts) is dismissed, weights
    assert not strategy.prior_dismissed(ab.surrogates.GPSurrogate(SPACE))  # no transfer surrogate, no prior to dismiss


def test_threads_with_background_refits_forget_a_dismissed_prior_and_hand_out_each_architecture_once(caplog):
    archs = SPACE.sample(150, seed=5)
    negated = Prior(space=SPACE).add(archs, [-_acc(C10, a) for a in archs], name="negated")
    opt = ab.Optimizer(SPACE, {METRIC: "maximize"}, prior=negated, seed=0, n_initial=4, pool_size=8,
                       prefetch=4, refit_every=2, refit_in_background=True)  # a small pool: few spares, so rounds run
    errors, keys, lock = [], [], threading.Lock()

    def worker():
        try:
            for _ in range(6):
                (t,) = opt.ask(1)
                time.sleep(0.5)  # training: the background rounds keep up, as they do with real trainings
                opt.tell(t, {METRIC: _acc(C10, t.arch)})
                with lock:
                    keys.append(t.key)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    with warnings.catch_warnings(), caplog.at_level("INFO", logger="agnet_bo.optimizer"):
        warnings.simplefilter("ignore")
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        opt._dispatch.wait()  # a refit still running in the background lands
    assert not errors and len(keys) == 24 and len(set(keys)) == 24
    assert any("dismissed the prior" in r.getMessage() for r in caplog.records)  # in a background round
    assert opt.proposer._before_prior is None  # the installed models are the ones that forgot it
