"""Tests of agnet_bo.integrations.ray: the Ray Tune searcher and the parallel driver.

The tests that need a Ray instance share one local instance (``ray.init(num_cpus=2)``, module
fixture) and are marked ``ray`` and ``slow`` (seconds to tens of seconds each): the default run
(``-m 'not slow'`` in pyproject.toml) leaves them out; run them with ``-m slow`` or ``-m ""``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import agnet_bo as ab
from agnet_bo.exceptions import InputError
from agnet_bo.optimizer import StateFileError
from agnet_bo.trial import TrialState

ray = pytest.importorskip("ray")
tune = pytest.importorskip("ray.tune")
from ray.tune.search import ConcurrencyLimiter  # noqa: E402  (after the importorskip)

from agnet_bo.integrations import ray as ab_ray  # noqa: E402
from agnet_bo.integrations.ray import AGNetSearch, arch_from_config, run_parallel  # noqa: E402
from agnet_bo.integrations.ray._deps import require as require_ray  # noqa: E402

METRIC = "valid-accuracy"
BENCH = ab.benchmarks.NB201("cifar10")
FAST = {"n_initial": 8, "pool_size": 50, "surrogate": "gp"}


def _search(**kwargs):  # a fast single-objective searcher on NB201
    opts = {**FAST, "seed": 0, **kwargs.pop("optimizer_kwargs", {})}
    return AGNetSearch(ab.spaces.NB201Space(), metric=METRIC, mode="max", optimizer_kwargs=opts, **kwargs)


def _value(config: dict) -> float:
    return BENCH.evaluate(arch_from_config(config), [METRIC])[METRIC]


# -- no Ray instance needed -----------------------------------------------------------------------
def test_config_holds_a_buildable_architecture():
    search = _search()
    config = search.suggest("t0")
    arch = arch_from_config(config)
    space = ab.spaces.NB201Space()
    assert space.is_valid(arch)
    assert config["arch_str"] == space.to_string(arch)
    assert space.from_string(config["arch_str"]) == arch
    assert config["agnet_trial"] == 0
    assert json.loads(json.dumps(config)) == config  # plain JSON data, as Tune stores it
    assert search.optimizer.trials[0].arch == arch and search.optimizer.trials[0].state is TrialState.PENDING
    with pytest.raises(InputError, match="'arch' entry.*search_alg=AGNetSearch"):
        arch_from_config({"lr": 0.1})


def test_darts_config_carries_the_compact_string():
    search = AGNetSearch(ab.spaces.DARTSSpace(), metric="acc", mode="max", optimizer_kwargs={"proposer": "random"})
    config = search.suggest("t0")
    space = ab.spaces.DARTSSpace()
    assert space.from_compact(config["arch_str"]) == arch_from_config(config)


def test_completion_tells_values_failures_and_ignores_duplicates(caplog):
    search = _search(info_keys=["test-accuracy"])
    configs = {tid: search.suggest(tid) for tid in ["a", "b", "c", "d", "e"]}
    assert len({json.dumps(c["arch"]) for c in configs.values()}) == 5
    search.on_trial_complete("a", {METRIC: 91.5, "test-accuracy": 90.0, "training_iteration": 1})
    search.on_trial_complete("b", None, error=True)
    with pytest.warns(UserWarning, match=r"no value for \['valid-accuracy'\].*tune.report"):
        search.on_trial_complete("c", {"accuracy": 0.9, "training_iteration": 1})
    with pytest.warns(UserWarning, match="non-finite"):
        search.on_trial_complete("d", {METRIC: float("nan")})
    search.on_trial_complete("e", None)  # stopped before it reported
    with caplog.at_level(logging.WARNING, logger="agnet_bo.integrations.ray"):
        search.on_trial_complete("a", {METRIC: 10.0})
    assert "another completion for Tune trial a" in caplog.text
    trials = search.optimizer.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] + [TrialState.FAIL] * 4
    assert trials[0].values == {METRIC: 91.5}  # the duplicate did not overwrite it
    assert trials[0].info == {"tune_trial_id": "a", "test-accuracy": 90.0}
    assert "errored" in trials[1].info["error"] and "missing" in trials[2].info["error"]
    assert search.optimizer.best_trial.id == 0


def test_intermediate_results_are_reported_and_early_stops_told_pruned():
    search = _search(max_t=4)
    for tid in ("a", "b"):
        search.suggest(tid)
    search.on_trial_result("a", {METRIC: 50.0, "training_iteration": 1})
    search.on_trial_result("a", {METRIC: 60.0, "training_iteration": 2})
    search.on_trial_result("a", {"training_iteration": 3})  # no metric: nothing to report
    search.on_trial_complete("a", {METRIC: 61.0, "training_iteration": 2})  # stopped by the scheduler
    search.on_trial_result("b", {METRIC: 55.0, "training_iteration": 1})
    search.on_trial_complete("b", {METRIC: 70.0, "training_iteration": 4})
    a, b = search.optimizer.trials[:2]
    assert a.state is TrialState.PRUNED and a.intermediate == {1: 50.0, 2: 60.0} and a.values[METRIC] == 61.0
    assert b.state is TrialState.COMPLETE and b.intermediate == {1: 55.0, 4: 70.0}
    assert search.optimizer.best_trial is b
    plain = _search()  # without max_t every completed trial is COMPLETE
    plain.suggest("x")
    plain.on_trial_complete("x", {METRIC: 61.0, "training_iteration": 2})
    assert plain.optimizer.trials[0].state is TrialState.COMPLETE
    with pytest.raises(InputError, match="max_t"):
        _search(max_t=0)


def test_completion_without_a_result_reads_the_last_intermediate_one(tmp_path):
    # Tune completes a trial that HyperBandScheduler stops on its last report with result=None
    first = _search(max_t=4, info_keys=["test-accuracy"])
    for tid in ("a", "b", "c", "d"):
        first.suggest(tid)
    for it, v in enumerate([50.0, 60.0, 65.0, 70.0], start=1):
        first.on_trial_result("a", {METRIC: v, "test-accuracy": v - 1, "training_iteration": it, "noise": [1]})
    first.save(str(tmp_path / "state.json"))  # the last result is kept across a driver restart
    search = AGNetSearch(ab.spaces.NB201Space(), max_t=4)
    search.restore(str(tmp_path / "state.json"))
    search.on_trial_complete("a", None)
    search.on_trial_result("b", {METRIC: 40.0, "training_iteration": 1})
    search.on_trial_complete("b", {})  # stopped by the scheduler after one iteration
    search.on_trial_result("c", {METRIC: 45.0, "training_iteration": 1})
    search.on_trial_complete("c", None, error=True)  # an error is not read as a result
    search.on_trial_complete("d", None)  # never reported: nothing to read
    a, b, c, d = search.optimizer.trials[:4]
    assert a.state is TrialState.COMPLETE and a.values[METRIC] == 70.0 and a.info["test-accuracy"] == 69.0
    assert b.state is TrialState.PRUNED and b.values[METRIC] == 40.0 and b.last_step == 1
    assert c.state is TrialState.FAIL and c.intermediate == {1: 45.0}
    assert d.state is TrialState.FAIL and "without reporting" in d.info["error"]
    assert not search._last_results  # nothing kept for finished trials


def test_argument_errors_say_what_to_do():
    space = ab.spaces.NB201Space()
    with pytest.raises(InputError, match="together"):
        AGNetSearch(space, metric=METRIC)
    with pytest.raises(InputError, match="'max' or 'min'.*'obs'"):
        AGNetSearch(space, metric=METRIC, mode="obs")
    with pytest.raises(InputError, match="one mode per metric"):
        AGNetSearch(space, metric=["a", "b"], mode=["max"])
    with pytest.raises(InputError, match="SearchSpace or an Optimizer"):
        AGNetSearch("nb201", metric=METRIC, mode="max")
    opt = ab.Optimizer(space, {METRIC: "maximize"}, **FAST)
    with pytest.raises(InputError, match="disagree"):
        AGNetSearch(opt, metric=METRIC, mode="min")
    with pytest.raises(InputError, match="optimizer_kwargs"):
        AGNetSearch(opt, optimizer_kwargs={"seed": 1})
    with pytest.raises(InputError, match="metric= and mode="):
        AGNetSearch(space).suggest("t0")
    search = AGNetSearch(space, optimizer_kwargs=FAST)
    with pytest.raises(InputError, match="searches architectures only"):
        search.set_search_properties(METRIC, "max", {"lr": tune.uniform(0.1, 1.0)})
    assert search.set_search_properties(METRIC, "max", {"epochs": 3}) is True  # from TuneConfig
    assert search.optimizer.objectives == {METRIC: "maximize"}
    assert search.set_search_properties("loss", "min", {"epochs": 3}) is False  # already set: unchanged
    assert search.metric == METRIC


def test_wraps_an_existing_optimizer_with_several_objectives():
    opt = ab.Optimizer(ab.spaces.NB201Space(), {METRIC: "maximize", "latency-edgegpu": "minimize"}, **FAST)
    search = AGNetSearch(opt)
    assert search.metric == [METRIC, "latency-edgegpu"] and search.mode == ["max", "min"]
    for i in range(4):
        config = search.suggest(f"t{i}")
        search.on_trial_complete(f"t{i}", BENCH.evaluate(arch_from_config(config), [METRIC, "latency-edgegpu"]))
    assert search.optimizer is opt
    assert all(t.state is TrialState.COMPLETE for t in opt.trials) and len(opt.trials) == 4
    assert 1 <= len(opt.pareto_front()) <= 4


def test_save_restore_round_trip_in_process(tmp_path):
    search = _search(optimizer_kwargs={"n_initial": 2})  # AG-Net's generator proposes from the 3rd trial on
    for tid in ["a", "b"]:
        search.on_trial_complete(tid, {METRIC: _value(search.suggest(tid))})
    search.suggest("c")
    assert search.optimizer.trials[2].source == "proposed"
    path = tmp_path / "searcher-state-x.pkl"  # Tune's file name; the content is JSON
    search.save(str(path))
    assert json.loads(path.read_text())["trial_ids"] == {"a": 0, "b": 1, "c": 2}
    restored = AGNetSearch()
    restored.restore(str(path))
    assert restored.metric == METRIC and restored.tune_trial_ids() == {"a": 0, "b": 1, "c": 2}
    assert [t.to_dict() for t in restored.optimizer.trials] == [t.to_dict() for t in search.optimizer.trials]
    # the restored search continues exactly as the original would
    for s in (search, restored):
        s.on_trial_complete("c", {METRIC: 85.0})  # pending at the save, told after
        s.on_trial_complete("a", {METRIC: 1.0})  # finished before the save: a duplicate
    assert restored.optimizer.trials[0].values == search.optimizer.trials[0].values
    assert restored.optimizer.trials[2].values == {METRIC: 85.0}
    assert restored.suggest("d") == search.suggest("d")
    assert len({t.key for t in restored.optimizer.trials}) == 4
    with pytest.raises(StateFileError, match="NB201Space"):
        AGNetSearch(ab.spaces.NB101Space(), metric=METRIC, mode="max").restore(str(path))
    path.write_text("{not json")
    with pytest.raises(StateFileError, match="Cannot read"):
        AGNetSearch().restore(str(path))


class _MyGP(ab.surrogates.GPSurrogate):  # a surrogate of the user's own class: no state can rebuild it
    pass


def test_restore_reuses_the_searchers_own_component_instances(tmp_path):
    def make():
        space = ab.spaces.NB201Space()
        kwargs = {"n_initial": 2, "pool_size": 20, "seed": 0, "surrogate": _MyGP(space)}
        return AGNetSearch(space, metric=METRIC, mode="max", optimizer_kwargs=kwargs)

    search = make()
    for tid in "abc":
        search.on_trial_complete(tid, {METRIC: _value(search.suggest(tid))})
    path = tmp_path / "state.json"
    search.save(str(path))
    restored = make()
    restored.restore(str(path))
    assert isinstance(restored.optimizer.surrogate, _MyGP)
    assert [t.to_dict() for t in restored.optimizer.trials] == [t.to_dict() for t in search.optimizer.trials]
    with pytest.raises(StateFileError, match="your own class"):
        AGNetSearch().restore(str(path))  # no instance to reuse


def test_trials_unknown_after_a_restore_are_adopted_from_their_config(tmp_path):
    search = _search()
    old = search.suggest("a")
    path = tmp_path / "state.json"
    search.save(str(path))  # the snapshot is one suggestion behind Tune's
    late = search.suggest("b")
    restored = AGNetSearch()
    restored.restore(str(path))
    flat = {f"config/arch/{k}": v for k, v in late["arch"].items()}  # Tune flattens the result's config
    restored.on_trial_complete("b", {METRIC: 70.0, "training_iteration": 1, **flat})
    restored.on_trial_complete("a", {METRIC: 60.0, "training_iteration": 1})
    trials = restored.optimizer.trials
    assert [(t.arch, t.values) for t in trials] == [
        (arch_from_config(old), {METRIC: 60.0}),
        (arch_from_config(late), {METRIC: 70.0}),
    ]
    assert trials[1].source == "user" and restored.tune_trial_ids() == {"a": 0, "b": 1}
    restored.on_trial_complete("b", {METRIC: 1.0, **flat})  # a duplicate now
    assert trials[1].values == {METRIC: 70.0}
    pending = restored.optimizer.ask(1)[0]  # asked outside Tune: adopted by a Tune trial running it
    restored.on_trial_complete("c", {METRIC: 75.0, "config": {"arch": pending.arch.to_dict()}})
    assert pending.values == {METRIC: 75.0} and restored.tune_trial_ids()["c"] == pending.id
    restored.on_trial_complete("x", {METRIC: 75.0})  # no config: nothing to go by
    assert "x" not in restored.tune_trial_ids() and len(restored.optimizer.trials) == 3


def test_run_parallel_rejects_bad_arguments():
    opt = ab.Optimizer(ab.spaces.NB201Space(), {METRIC: "maximize"}, **FAST)
    with pytest.raises(InputError, match="n_trials"):
        run_parallel(opt, lambda a: 1.0, n_trials=-1)
    with pytest.raises(InputError, match="timeout"):
        run_parallel(opt, lambda a: 1.0, n_trials=1, timeout=0)
    with pytest.raises(InputError, match="callable"):
        run_parallel(opt, "f", n_trials=1)
    with pytest.raises(InputError, match="Optimizer"):
        run_parallel(ab.spaces.NB201Space(), lambda a: 1.0, n_trials=1)


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    opt = ab.Optimizer(ab.spaces.NB201Space(), {METRIC: "maximize"}, **FAST)
    with pytest.raises(ImportError, match=r"pip install 'agnet-bo\[ray\]'"):
        run_parallel(opt, lambda a: 1.0, n_trials=1)
    monkeypatch.setitem(sys.modules, "ray.tune.search", None)
    with pytest.raises(ImportError, match="Ray Tune is required"):
        require_ray("ray.tune.search")
    monkeypatch.delitem(sys.modules, "agnet_bo.integrations.ray.searcher")  # imported again on access
    with pytest.raises(ImportError, match=r"Ray Tune is required.*pip install 'agnet-bo\[ray\]'"):
        ab_ray.AGNetSearch  # noqa: B018


def test_importing_the_integration_does_not_import_ray():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["ray"] = None  # as if Ray were not installed
        import agnet_bo.integrations.ray as ab_ray
        from agnet_bo.integrations.ray import CONFIG_ARCH, SEARCHER_FORMAT_VERSION, arch_from_config, run_parallel
        try:
            ab_ray.AGNetSearch
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ImportError: Ray Tune is required" in proc.stdout and "pip install 'agnet-bo[ray]'" in proc.stdout


# -- on a local Ray instance ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def local_ray():
    # Functions of this module run on Ray workers, which cannot import it: ship them by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def _tuner(trainable, search, num_samples, storage, **run_kwargs):
    return tune.Tuner(
        trainable,
        param_space={"epochs": 2},
        tune_config=tune.TuneConfig(
            search_alg=ConcurrencyLimiter(search, max_concurrent=2), num_samples=num_samples, reuse_actors=True
        ),
        run_config=tune.RunConfig(storage_path=str(storage), verbose=0, **run_kwargs),
    )


def _train(config):
    tune.report({METRIC: _value(config), "epochs": config["epochs"], "arch_str": config["arch_str"]})


@pytest.mark.ray
@pytest.mark.slow
def test_tune_run_of_48_queries(local_ray, tmp_path):
    search = _search(optimizer_kwargs={"proposer": "mutation"})
    results = _tuner(_train, search, 48, tmp_path).fit()
    assert len(results) == 48 and not results.errors
    opt = search.optimizer
    assert len(opt.trials) == 48 and all(t.state is TrialState.COMPLETE for t in opt.trials)
    # no architecture was evaluated twice: neither in the optimizer nor in what the trainables got
    assert len({t.key for t in opt.trials}) == 48
    assert len({r.metrics["arch_str"] for r in results}) == 48
    assert all(r.metrics["epochs"] == 2 for r in results)  # fixed param_space values reach the trainable
    # every Tune trial was told to its own agnet trial, with the value the trainable reported
    ids = search.tune_trial_ids()
    assert len(ids) == 48 and sorted(ids.values()) == list(range(48))
    for r in results:
        trial = opt.trials[ids[r.metrics["trial_id"]]]
        assert r.config["agnet_trial"] == trial.id
        assert trial.values[METRIC] == r.metrics[METRIC]
    best = results.get_best_result(METRIC, "max").metrics[METRIC]
    assert best == max(t.values[METRIC] for t in opt.trials) == opt.best_trial.values[METRIC]
    assert sum(t.source == "proposed" for t in opt.trials) == 40  # the model proposed after 8 initial


def _train_mo(config):
    if config["agnet_trial"] == 3:
        raise RuntimeError("this one breaks")
    tune.report(BENCH.evaluate(arch_from_config(config), [METRIC, "latency-edgegpu"]))


def _fit_with_scheduler(scheduler, max_t: int, num_samples: int, storage):
    """A Tune run of ``num_samples`` NB201 trials under ``scheduler``; returns the searcher."""
    search = _search(max_t=max_t)

    def train(config):
        final = _value(config)
        for it in range(1, max_t + 1):  # a learning curve that ranks like the final value
            tune.report({METRIC: final * it / max_t})

    tune.Tuner(
        train,
        param_space={"fixed": 1},
        tune_config=tune.TuneConfig(
            search_alg=ConcurrencyLimiter(search, max_concurrent=2),
            scheduler=scheduler,
            num_samples=num_samples, metric=METRIC, mode="max",
        ),
        run_config=tune.RunConfig(storage_path=str(storage), verbose=0),
    ).fit()
    return search


@pytest.mark.ray
@pytest.mark.slow
def test_tune_with_the_asha_scheduler(local_ray, tmp_path):
    from ray.tune.schedulers import ASHAScheduler

    max_t = 3  # rungs at 1 and 3: a third of the trials go on past the first report
    asha = ASHAScheduler(time_attr="training_iteration", max_t=max_t, grace_period=1, reduction_factor=3)
    search = _fit_with_scheduler(asha, max_t, 12, tmp_path)
    trials = search.optimizer.trials
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert len(trials) == 12 and pruned and complete
    assert all(t.last_step < max_t for t in pruned) and all(t.last_step == max_t for t in complete)
    assert all(len(t.intermediate) == t.last_step for t in trials)  # every iteration reported
    assert search.optimizer.best_trial in complete


@pytest.mark.ray
@pytest.mark.slow
def test_tune_with_the_hyperband_scheduler(local_ray, tmp_path):
    from ray.tune.schedulers import HyperBandScheduler

    max_t = 3
    hyperband = HyperBandScheduler(time_attr="training_iteration", max_t=max_t, reduction_factor=3)
    trials = _fit_with_scheduler(hyperband, max_t, 6, tmp_path).optimizer.trials
    # HyperBandScheduler stops a trial on its last report and Tune then completes it without a
    # result: each is still told with the value it reported, none is lost as FAIL
    assert len(trials) == 6 and all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    for t in trials:
        assert t.values[METRIC] == t.intermediate[t.last_step]
        assert (t.state is TrialState.COMPLETE) == (t.last_step == max_t)


@pytest.mark.ray
@pytest.mark.slow
def test_tune_multi_objective_with_an_erroring_trainable(local_ray, tmp_path):
    search = AGNetSearch(
        ab.spaces.NB201Space(),
        metric=[METRIC, "latency-edgegpu"],
        mode=["max", "min"],
        optimizer_kwargs={**FAST, "n_initial": 4, "proposer": "mutation", "seed": 3},
    )
    results = _tuner(_train_mo, search, 8, tmp_path).fit()
    assert len(results) == 8 and len(results.errors) == 1
    opt = search.optimizer
    states = [t.state for t in opt.trials]
    assert states[3] is TrialState.FAIL and states.count(TrialState.COMPLETE) == 7
    front = opt.pareto_front()
    assert front and all(t.state is TrialState.COMPLETE for t in front)
    done = [t for t in opt.trials if t.state is TrialState.COMPLETE]
    for t in front:  # nothing completed dominates a front member
        assert not any(
            o.values[METRIC] >= t.values[METRIC]
            and o.values["latency-edgegpu"] <= t.values["latency-edgegpu"]
            and o.values != t.values
            for o in done
        )


def _train_dies_once(config):
    marker = Path(config["marker"])
    if config["agnet_trial"] == 2 and not marker.exists():
        marker.touch()
        os._exit(1)  # the worker process dies mid-trial
    tune.report({METRIC: _value(config)})


@pytest.mark.ray
@pytest.mark.slow
def test_tune_trial_whose_worker_dies_ends_as_fail(local_ray, tmp_path):
    search = _search(optimizer_kwargs={"n_initial": 4, "proposer": "mutation"})
    tuner = tune.Tuner(
        _train_dies_once,
        param_space={"marker": str(tmp_path / "died")},
        tune_config=tune.TuneConfig(search_alg=ConcurrencyLimiter(search, 2), num_samples=8, reuse_actors=True),
        run_config=tune.RunConfig(
            storage_path=str(tmp_path), verbose=0, failure_config=tune.FailureConfig(max_failures=0)
        ),
    )
    results = tuner.fit()
    assert (tmp_path / "died").exists()
    assert len(results) == 8 and len(results.errors) == 1
    states = [t.state for t in search.optimizer.trials]
    assert len(states) == 8 and states[2] is TrialState.FAIL and states.count(TrialState.COMPLETE) == 7


def _dies_once(arch, marker):
    if BENCH.space.to_string(arch) == marker["arch"] and not os.path.exists(marker["path"]):
        open(marker["path"], "w").close()
        os._exit(1)
    return BENCH.evaluate(arch, [METRIC, "test-accuracy"])


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.parametrize("max_retries", [1, 0])
def test_driver_retries_a_trial_whose_worker_died(local_ray, tmp_path, max_retries):
    opt = ab.Optimizer(ab.spaces.NB201Space(), {METRIC: "maximize"}, **{**FAST, "proposer": "mutation"})
    first = opt.ask(1)[0]  # evaluated first (pending), and killed on its first attempt
    marker = {"arch": BENCH.space.to_string(first.arch), "path": str(tmp_path / "died")}
    done = run_parallel(
        opt, lambda a: _dies_once(a, marker), n_trials=10, max_concurrent=2, max_retries=max_retries, progress=False
    )
    assert os.path.exists(marker["path"])
    assert len(done) == 10 and len(opt.trials) == 10 and not opt.pending_trials
    assert len({t.key for t in opt.trials}) == 10
    if max_retries:
        assert first.state is TrialState.COMPLETE and first.info["attempts"] == 2
        assert first.values[METRIC] == BENCH.evaluate(first.arch, [METRIC])[METRIC]
    else:
        assert first.state is TrialState.FAIL and "WorkerCrashedError" in first.info["error"]
    others = [t for t in opt.trials if t is not first]
    assert all(t.state is TrialState.COMPLETE and t.info["attempts"] == 1 for t in others)
    assert all(t.info["test-accuracy"] == BENCH.evaluate(t.arch, ["test-accuracy"])["test-accuracy"] for t in others)


def _slow_then_raise(arch, slow_arch):
    if BENCH.space.to_string(arch) == slow_arch:
        time.sleep(60)
    if arch.ops[1] == "none" and arch.ops[2] == "none":
        raise ValueError("objective failed")
    return _value({"arch": arch.to_dict()})


@pytest.mark.ray
@pytest.mark.slow
def test_driver_timeout_errors_and_checkpoints(local_ray, tmp_path):
    opt = ab.Optimizer(ab.spaces.NB201Space(), {METRIC: "maximize"}, **{**FAST, "proposer": "mutation"})
    slow = opt.ask(1)[0]
    ckpt = tmp_path / "run.json"
    start = time.monotonic()
    done = run_parallel(
        opt,
        lambda a: _slow_then_raise(a, BENCH.space.to_string(slow.arch)),
        n_trials=12,
        max_concurrent=2,
        timeout=10.0,  # long enough for a loaded machine to start a task that raises at once
        checkpoint_path=ckpt,
        progress=False,
    )
    assert time.monotonic() - start < 45  # the 60 s task was cancelled
    assert slow.state is TrialState.FAIL and "timeout" in slow.info["error"]
    assert len(done) == 12 and not opt.pending_trials
    raised = [t for t in opt.trials if t.arch.ops[1] == "none" and t.arch.ops[2] == "none" and t is not slow]
    assert raised and all(t.state is TrialState.FAIL and "objective failed" in t.info["error"] for t in raised), [
        (t.state, t.info.get("error")) for t in raised]
    loaded = ab.Optimizer.load(ckpt)
    assert [t.to_dict() for t in loaded.trials] == [t.to_dict() for t in opt.trials]


def _breaks_on_trial(arch, bad_arch):
    if BENCH.space.to_string(arch) == bad_arch:
        return "not a number"
    return _value({"arch": arch.to_dict()})


@pytest.mark.ray
@pytest.mark.slow
def test_driver_crash_loses_no_result_and_resumes(local_ray, tmp_path):
    opt = ab.Optimizer(ab.spaces.NB201Space(), {METRIC: "maximize"}, **{**FAST, "proposer": "mutation"})
    ckpt = tmp_path / "run.json"
    run_parallel(
        opt, lambda a: _value({"arch": a.to_dict()}), n_trials=5, max_concurrent=1, checkpoint_path=ckpt, progress=False
    )
    bad = opt.ask(1)[0]  # the driver stops on this trial's malformed result
    with pytest.raises(InputError, match="number or a dict.*returned str"):
        run_parallel(
            opt,
            lambda a: _breaks_on_trial(a, BENCH.space.to_string(bad.arch)),
            n_trials=5,
            max_concurrent=1,
            checkpoint_path=ckpt,
            progress=False,
        )
    loaded = ab.Optimizer.load(ckpt)
    told = [t for t in opt.trials if t.state.is_finished()]
    assert len(told) >= 5 and [t.to_dict() for t in loaded.trials if t.state.is_finished()] == [
        t.to_dict() for t in told
    ]
    assert loaded.trials[bad.id].state is TrialState.PENDING
    # resume: the pending trial is evaluated first, then new ones
    done = run_parallel(
        loaded,
        lambda a: _value({"arch": a.to_dict()}),
        n_trials=3,
        max_concurrent=2,
        checkpoint_path=ckpt,
        progress=False,
    )
    assert bad.id in {t.id for t in done} and len(done) == 3
    assert not loaded.pending_trials and len({t.key for t in loaded.trials}) == len(loaded.trials)


_RESTORE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    import ray
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter  # noqa: E402  (after the importorskip)
    import agnet_bo as ab
    from agnet_bo.integrations.ray import AGNetSearch, arch_from_config

    METRIC = "valid-accuracy"
    BENCH = ab.benchmarks.NB201("cifar10")

    def train(config):
        time.sleep(0.2)
        tune.report({METRIC: BENCH.evaluate(arch_from_config(config), [METRIC])[METRIC]})

    class CrashDriver(tune.Callback):  # kills this driver process after some results
        def __init__(self):
            self.seen = []
        def on_trial_complete(self, iteration, trials, trial, **info):
            self.seen.append({"agnet_trial": trial.config["agnet_trial"], "value": trial.last_result[METRIC]})
            if len(self.seen) >= 4 and os.environ.get("AGNET_CRASH_DRIVER"):
                print("SEEN " + json.dumps(self.seen), flush=True)
                time.sleep(1.0)  # let Tune finish copying its last snapshot (it syncs in a thread)
                os._exit(3)

    phase, address, storage = sys.argv[1:4]
    ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    if phase == "start":
        search = AGNetSearch(ab.spaces.NB201Space(), metric=METRIC, mode="max",
                             optimizer_kwargs={"n_initial": 4, "pool_size": 50, "surrogate": "gp", "proposer": "mutation", "seed": 1})
        tune.Tuner(
            train,
            tune_config=tune.TuneConfig(search_alg=ConcurrencyLimiter(search, 2), num_samples=8, reuse_actors=True),
            run_config=tune.RunConfig(name="exp", storage_path=storage, verbose=0, callbacks=[CrashDriver()]),
        ).fit()
        print("FINISHED WITHOUT CRASH")
    else:
        results = tune.Tuner.restore(os.path.join(storage, "exp"), trainable=train).fit()
        rows = [{"agnet_trial": r.config["agnet_trial"], "value": r.metrics.get(METRIC), "error": r.error is not None}
                for r in results]
        print("RESULTS " + json.dumps(rows), flush=True)
    """
)


def _run_phase(script, phase, address, storage, crash):
    env = {k: v for k, v in os.environ.items() if k != "AGNET_CRASH_DRIVER"}
    env["TUNE_GLOBAL_CHECKPOINT_S"] = "1"  # snapshot the experiment (and the searcher) every second
    if crash:
        env["AGNET_CRASH_DRIVER"] = "1"
    proc = subprocess.run(
        [sys.executable, str(script), phase, address, str(storage)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(("SEEN ", "RESULTS "))]
    assert lines, (
        f"phase {phase} printed no result (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )
    return proc.returncode, json.loads(lines[-1].split(" ", 1)[1])


@pytest.mark.ray
@pytest.mark.slow
def test_tuner_restore_in_a_new_process_continues_without_losing_trials(local_ray, tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(_RESTORE_SCRIPT)
    code, seen = _run_phase(script, "start", local_ray, tmp_path, crash=True)
    assert code == 3 and len(seen) == 4  # the first driver died after 4 results
    code, rows = _run_phase(script, "restore", local_ray, tmp_path, crash=False)
    assert code == 0 and len(rows) == 8 and not any(r["error"] for r in rows)
    # the searcher state Tune saved at the end, read back in this (a third) process
    search = AGNetSearch()
    search.restore_from_dir(str(tmp_path / "exp"))
    trials = search.optimizer.trials
    assert len(trials) == 8 and all(t.state is TrialState.COMPLETE for t in trials)
    assert len({t.key for t in trials}) == 8  # nothing asked twice across the crash
    assert sorted(search.tune_trial_ids().values()) == list(range(8))
    for row in seen + rows:  # every result of both drivers is in the optimizer, once, unchanged
        assert trials[row["agnet_trial"]].values[METRIC] == row["value"]
    assert sorted(r["agnet_trial"] for r in rows) == list(range(8))
    assert not math.isnan(search.optimizer.best_trial.values[METRIC])


def test_a_searcher_starts_from_a_prior_and_keeps_it_across_a_restore(tmp_path):
    c100 = ab.benchmarks.NB201("cifar100")
    archs = ab.spaces.NB201Space().sample(60, seed=1)
    prior = ab.Prior(space=ab.spaces.NB201Space()).add(archs, [c100.evaluate(a, [METRIC])[METRIC] for a in archs], name="c100")
    search = _search(optimizer_kwargs={"prior": prior, "n_initial": 4})
    first = arch_from_config(search.suggest("a"))
    assert first == prior.design(ab.spaces.NB201Space(), 3)[0] and search.optimizer.trials[0].source == "prior"
    search.on_trial_complete("a", {METRIC: c100.evaluate(first, [METRIC])[METRIC]})
    path = tmp_path / "searcher-state.pkl"
    search.save(str(path))
    restored = AGNetSearch()
    restored.restore(str(path))
    assert restored.optimizer.prior is not None and restored.optimizer.prior.tasks[0].name == "c100"
    assert restored.suggest("b") == search.suggest("b")
    assert restored.optimizer.trials[1].source == "prior"
