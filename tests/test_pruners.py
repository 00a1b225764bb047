"""Multi-fidelity: report / should_prune / PRUNED trials, the pruners, what the models learn."""

from __future__ import annotations

import json

import pytest

import agnet_bo as ab
from agnet_bo.exceptions import InputError, StateFileError
from agnet_bo.pruners import Hyperband, MedianPruner, Pruner, SuccessiveHalving
from agnet_bo.trial import TrialState


def _opt(pruner=None, objectives="valid-accuracy", **kw):
    space = ab.spaces.NB201Space()
    kw.setdefault("surrogate", "none")
    kw.setdefault("proposer", "random")
    return ab.Optimizer(space, objectives, pruner=pruner, n_initial=4, seed=0, **kw)


def _run(opt, curves):
    """Ask one trial per curve, report it step by step; return the decision at every step."""
    decisions = []
    for curve in curves:
        t = opt.ask()[0]
        out = []
        for step, v in curve:
            opt.report(t, step, v)
            out.append(opt.should_prune(t))
        decisions.append(out)
    return decisions


def test_successive_halving_keeps_the_top_third_at_each_rung():
    opt = _opt(SuccessiveHalving(min_step=1, reduction_factor=3))
    d = _run(opt, [[(1, 0.5)], [(1, 0.4)], [(1, 0.6)], [(1, 0.55)], [(1, 0.7)]])
    # alone -> go on; 2nd of 2 below the best -> pruned; best of 3 -> on; 4 values, keep 1, 0.6 is better -> pruned
    assert [x[0] for x in d] == [False, True, False, True, False]


def test_successive_halving_decides_only_when_a_rung_is_reached():
    opt = _opt(SuccessiveHalving(min_step=1, reduction_factor=2))
    assert SuccessiveHalving(min_step=1, reduction_factor=2).rungs(9) == [1, 2, 4, 8]
    d = _run(opt, [[(1, 0.9), (2, 0.9), (3, 0.9)], [(1, 0.95), (2, 0.1), (3, 0.0), (4, 0.0)]])
    # the second trial passes rung 1, is pruned at rung 2 (below the first), is not asked again
    # between rungs, and alone at rung 4 (the first never got there) goes on
    assert d[0] == [False, False, False]
    assert d[1] == [False, True, False, False]


def test_successive_halving_minimises_and_stops_below_max_step():
    opt = _opt(SuccessiveHalving(min_step=1, reduction_factor=2, max_step=2), objectives={"valid-loss": "minimize"})
    d = _run(opt, [[(1, 1.0), (2, 1.0)], [(1, 2.0)], [(1, 0.5), (2, 9.0)]])
    assert d == [[False, False], [True], [False, False]]  # no rung at max_step


def test_successive_halving_warm_up_and_bad_arguments():
    opt = _opt(SuccessiveHalving(min_trials=3))
    assert _run(opt, [[(1, 0.9)], [(1, 0.1)], [(1, 0.05)]]) == [[False], [False], [True]]
    with pytest.raises(InputError, match="reduction_factor"):
        SuccessiveHalving(reduction_factor=1)
    with pytest.raises(InputError, match="max_step"):
        SuccessiveHalving(min_step=4, max_step=4)
    with pytest.raises(InputError, match="`pruner` must be"):
        _opt(pruner="asha")


def test_hyperband_brackets_and_their_shares():
    hb = Hyperband(min_step=1, max_step=27, reduction_factor=3, seed=0)
    assert hb.first_rungs == [1, 3, 9, 27] and hb.bracket_weights == [27, 12, 6, 4]
    counts = [0] * 4
    for i in range(4900):
        counts[hb.bracket(i)] += 1
    for c, w in zip(counts, hb.bracket_weights, strict=True):  # shares follow Hyperband's trial counts
        assert abs(c / 4900 - w / 49) < 0.03, (counts, hb.bracket_weights)
    assert [hb.bracket(i) for i in range(50)] == [Hyperband(1, 27, 3, seed=0).bracket(i) for i in range(50)]
    assert [hb.bracket(i) for i in range(50)] != [Hyperband(1, 27, 3, seed=1).bracket(i) for i in range(50)]
    assert Hyperband(min_step=2, max_step=20, reduction_factor=3).first_rungs == [2, 6, 20]


def test_hyperband_prunes_within_a_bracket_and_never_in_the_last():
    hb = Hyperband(min_step=1, max_step=9, reduction_factor=3)
    opt = _opt(hb)
    curves = [[(1, 0.1 * (i % 7))] for i in range(40)]
    decisions = _run(opt, curves)
    by_bracket = {}
    for t, d in zip(opt.trials, decisions, strict=True):
        b = hb.bracket(t)
        # the same rule as ASHA from that bracket's first rung, over that bracket's trials only
        rule = SuccessiveHalving(hb.first_rungs[b], 3, 9) if b < len(hb.first_rungs) - 1 else None
        peers = [u for u in opt.trials[: t.id + 1] if hb.bracket(u) == b]
        expected = False if rule is None else rule.prune(t, peers, "maximize")
        assert d[0] is expected
        by_bracket.setdefault(b, []).append(d[0])
    assert set(by_bracket) == {0, 1, 2}
    assert any(by_bracket[0]) and not any(by_bracket[1]) and not any(by_bracket[2])  # rungs 1 / 3 / none
    # at step 3 the bracket-1 trials meet their first rung
    t1 = [t for t in opt.trials if hb.bracket(t) == 1]
    for t, v in zip(t1[:4], [0.9, 0.1, 0.2, 0.05], strict=True):
        opt.report(t, 3, v)
    assert [opt.should_prune(t) for t in t1[:4]] == [False, True, True, True]
    for t in [t for t in opt.trials if hb.bracket(t) == 2]:
        opt.report(t, 3, -1.0)
        assert not opt.should_prune(t)


def test_hyperband_bad_arguments_and_save_load(tmp_path):
    with pytest.raises(InputError, match="needs `max_step`"):
        Hyperband()
    with pytest.raises(InputError, match="at least min_step"):
        Hyperband(min_step=3, max_step=8, reduction_factor=3)
    with pytest.raises(InputError, match="seed"):
        Hyperband(max_step=9, seed=-1)
    opt = _opt(Hyperband(min_step=1, max_step=9, seed=4))
    path = tmp_path / "opt.json"
    opt.save(path)
    back = ab.Optimizer.load(path).pruner
    assert isinstance(back, Hyperband) and back.get_params() == opt.pruner.get_params()
    assert [back.bracket(i) for i in range(30)] == [opt.pruner.bracket(i) for i in range(30)]


def test_median_pruner():
    opt = _opt(MedianPruner(min_trials=2))
    d = _run(opt, [[(1, 0.5)], [(1, 0.7)], [(1, 0.4)], [(1, 0.8)]])
    assert [x[0] for x in d] == [False, False, True, False]


def test_report_checks_its_input_and_tell_pruned_defaults_to_the_last_value():
    opt = _opt(SuccessiveHalving())
    t = opt.ask()[0]
    assert not opt.should_prune(t)  # nothing reported yet
    opt.report(t, 2, 0.3)
    opt.report(t, 1, 0.2)
    assert t.intermediate == {1: 0.2, 2: 0.3} and list(t.intermediate) == [1, 2] and t.last_step == 2
    with pytest.raises(InputError, match="already has a value at step 2"):
        opt.report(t, 2, 0.4)
    with pytest.raises(InputError, match="finite number"):
        opt.report(t, 3, float("nan"))
    with pytest.raises(InputError, match="`step`"):
        opt.report(t, -1, 0.1)
    opt.tell(t, state="PRUNED")
    assert t.state is TrialState.PRUNED and t.values == {"valid-accuracy": 0.3}
    with pytest.raises(InputError, match="already told"):
        opt.report(t, 3, 0.5)
    assert not opt.should_prune(t)
    multi = _opt(objectives={"valid-accuracy": "maximize", "params": "minimize"})
    u = multi.ask()[0]
    multi.report(u, 1, 0.5)
    with pytest.raises(InputError, match="needs the values it reached"):
        multi.tell(u, state="PRUNED")
    assert u.state is TrialState.PENDING  # nothing lost: tell it properly
    multi.tell(u, {"valid-accuracy": 0.5, "params": 3.0}, state="PRUNED")


def test_pruned_trials_are_never_best_but_the_models_learn_their_expected_final_value():
    opt = _opt()
    # complete trials: +10 from step 1 to the end (median gain), a pruned one stopped at step 1
    for gain, final in ((10.0, 80.0), (10.0, 85.0), (30.0, 90.0)):
        t = opt.ask()[0]
        opt.report(t, 1, final - gain)
        opt.report(t, 2, final - 1)
        opt.tell(t, final)
    p = opt.ask()[0]
    opt.report(p, 1, 95.0)
    opt.tell(p, state="PRUNED")
    assert opt.best_trial.values["valid-accuracy"] == 90.0
    md = opt._store.model_data(opt.problem)
    trials, Y = md.trials, md.Y
    assert trials[-1] is p and Y[-1, 0] == pytest.approx(95.0 + 10.0)
    # a pruned trial with no complete trial to learn the gain from enters as told
    fresh = _opt()
    q = fresh.ask()[0]
    fresh.report(q, 1, 50.0)
    fresh.tell(q, state="PRUNED")
    assert fresh._store.model_data(fresh.problem).Y[0, 0] == 50.0
    # minimised: the gain is a drop, in the objective's own units
    lo = _opt(objectives={"valid-loss": "minimize"})
    t = lo.ask()[0]
    lo.report(t, 1, 2.0)
    lo.tell(t, 1.5)
    p = lo.ask()[0]
    lo.report(p, 1, 3.0)
    lo.tell(p, state="PRUNED")
    assert lo._store.model_data(lo.problem).Y[-1, 0] == pytest.approx(-(3.0 - 0.5))


def test_a_search_with_pruning_runs_on_two_nb201_fidelities():
    bench200, bench12 = ab.benchmarks.NB201("cifar10"), ab.benchmarks.NB201("cifar10", epochs=12)
    opt = ab.Optimizer(
        ab.spaces.NB201Space(), "valid-accuracy", n_initial=6, pool_size=40, seed=1,
        pruner=SuccessiveHalving(min_step=12, reduction_factor=3, max_step=200),
    )
    for _ in range(14):
        t = opt.ask()[0]
        opt.report(t, 12, bench12.evaluate(t.arch, "valid-accuracy")["valid-accuracy"])
        if opt.should_prune(t):
            opt.tell(t, state="PRUNED")
            continue
        v = bench200.evaluate(t.arch, "valid-accuracy")["valid-accuracy"]
        opt.report(t, 200, v)
        opt.tell(t, v)
    states = [t.state for t in opt.trials]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    assert any(t.source == "proposed" for t in opt.trials)  # the models ran on complete + pruned trials
    assert opt.best_trial.state is TrialState.COMPLETE


def test_pruning_state_survives_save_and_load(tmp_path):
    opt = _opt(SuccessiveHalving(min_step=2, reduction_factor=4, max_step=50))
    t = opt.ask()[0]
    opt.report(t, 2, 0.5)
    opt.tell(t, state="PRUNED")
    u = opt.ask()[0]
    opt.report(u, 2, 0.7)  # still pending
    path = tmp_path / "opt.json"
    opt.save(path)
    back = ab.Optimizer.load(path)
    assert back.pruner is not None and back.pruner.get_params() == opt.pruner.get_params()
    assert back.trials[0].state is TrialState.PRUNED and back.trials[0].intermediate == {2: 0.5}
    assert back.trials[1].intermediate == {2: 0.7} and back.trials[1].state is TrialState.PENDING
    back.report(1, 8, 0.8)
    assert back.should_prune(1) is False  # best at rung 8 of one trial

    class Mine(Pruner):
        def prune(self, trial, trials, direction):
            return trial.last_step is not None and trial.last_step > 3

    own = _opt(Mine())
    own.save(path)
    with pytest.raises(StateFileError, match="pruner of your own class"):
        ab.Optimizer.load(path)
    assert isinstance(ab.Optimizer.load(path, pruner=Mine()).pruner, Mine)


def test_a_version_2_file_loads_without_pruning(tmp_path):
    opt = _opt()
    t = opt.ask()[0]
    opt.tell(t, 0.5)
    data = opt.state_dict()
    data["version"] = 2
    del data["config"]["pruner"]
    for rec in data["trials"]:
        del rec["intermediate"]
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data))
    back = ab.Optimizer.load(path)
    assert back.pruner is None and back.trials[0].intermediate == {} and back.trials[0].values == {"valid-accuracy": 0.5}


def test_records_show_pruned_trials_and_their_last_step():
    opt = _opt()
    t = opt.ask()[0]
    opt.report(t, 3, 0.25)
    opt.tell(t, state="PRUNED")
    rec = opt.records()[0]
    assert rec["state"] == "PRUNED" and rec["last_step"] == 3
    assert rec["value:valid-accuracy"] == 0.25 and "last_step" not in _opt().records()


def test_optimize_passes_a_handle_to_objectives_that_take_two_arguments():
    from agnet_bo.exceptions import TrialPruned

    bench12, bench200 = ab.benchmarks.NB201("cifar10", epochs=12), ab.benchmarks.NB201("cifar10")
    opt = _opt(SuccessiveHalving(min_step=12, reduction_factor=3, max_step=200))
    seen = []

    def objective(arch, trial):
        seen.append(trial.id)
        trial.report(12, bench12.evaluate(arch, "valid-accuracy")["valid-accuracy"])
        if trial.should_prune():
            raise TrialPruned()
        return bench200.evaluate(arch, "valid-accuracy")["valid-accuracy"]

    trials = opt.optimize(objective, n_trials=10)
    assert seen == [t.id for t in trials]
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    assert pruned and all(t.values["valid-accuracy"] == t.intermediate[12] for t in pruned)
    assert all(t.state is TrialState.COMPLETE for t in trials if t not in pruned)
    single = _opt().optimize(lambda arch: 1.0, n_trials=2)  # one argument: no handle
    assert all(t.values == {"valid-accuracy": 1.0} for t in single)
