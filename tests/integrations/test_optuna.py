"""Tests of agnet_bo.integrations.optuna: Optuna studies searched by AGNetSampler.

The objective is the bundled NAS-Bench-201 CIFAR-10 table (a lookup), and the optimizers are small
(``n_initial=4, pool_size=30``), so every test takes a few seconds.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import sys
import warnings

import numpy as np
import pytest

import agnet_bo as ab
from agnet_bo.exceptions import InputError
from agnet_bo.trial import TrialState

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState as OptunaState  # noqa: E402  (after the importorskip)

from agnet_bo.integrations.optuna import (  # noqa: E402
    ARCH_ATTR,
    ARCH_STR_ATTR,
    AGNetSampler,
    architecture_of,
    enqueue_architecture,
    suggest_architecture,
)

METRIC = "valid-accuracy"
BENCH = ab.benchmarks.NB201("cifar10")
SPACE = ab.spaces.NB201Space()
FAST = {"n_initial": 4, "pool_size": 30}


@pytest.fixture(autouse=True)
def _quiet_optuna():
    old = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield
    optuna.logging.set_verbosity(old)


def _sampler(**kwargs) -> AGNetSampler:
    return AGNetSampler(SPACE, **{**FAST, "seed": 0, **kwargs})


def _accuracy(trial) -> float:
    return BENCH.evaluate(suggest_architecture(trial), [METRIC])[METRIC]


def _keys(study) -> list[str]:
    return [SPACE.key(architecture_of(t)) for t in study.trials]


def _journal(path):
    storages = optuna.storages
    try:
        backend = storages.journal.JournalFileBackend(str(path))  # Optuna >= 4
    except AttributeError:  # pragma: no cover - Optuna 3
        backend = storages.JournalFileStorage(str(path))
    with warnings.catch_warnings():  # experimental in Optuna 3
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return storages.JournalStorage(backend)


def _by_optuna_number(opt) -> dict[int, ab.Trial]:
    return {t.info["optuna_trial"]: t for t in opt.trials if "optuna_trial" in t.info}  # pending ones: no info yet


# -- (1) a study in memory -------------------------------------------------------------------------
def test_a_study_searches_with_agnet_stores_every_architecture_and_never_repeats():
    sampler = _sampler()
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_accuracy, n_trials=12)

    assert [t.state for t in study.trials] == [OptunaState.COMPLETE] * 12
    keys = _keys(study)
    assert len(set(keys)) == 12, "an architecture was evaluated twice"
    for t in study.trials:  # the stored architecture is the evaluated one, in both forms
        arch = architecture_of(t)
        assert json.loads(t.user_attrs[ARCH_ATTR]) == arch.to_dict()
        assert t.user_attrs[ARCH_STR_ATTR] == SPACE.to_string(arch)
        assert SPACE.from_string(t.user_attrs[ARCH_STR_ATTR]) == arch
        assert t.value == BENCH.evaluate(arch, [METRIC])[METRIC]

    opt = sampler.optimizer
    assert opt.objectives == {"objective_0": "maximize"}
    assert len(opt.trials) == 12 and all(t.state is TrialState.COMPLETE for t in opt.trials)
    by_number = _by_optuna_number(opt)
    for t in study.trials:
        assert by_number[t.number].arch == architecture_of(t)
        assert by_number[t.number].values == {"objective_0": t.value}
    sources = [by_number[n].source for n in range(12)]
    assert sources == ["initial"] * 4 + ["proposed"] * 8  # AG-Net chose the last 8
    assert opt.best_trial.values["objective_0"] == study.best_value

    median = float(np.median(BENCH.table(METRIC)))
    assert study.best_value > median
    proposed = [t.values["objective_0"] for t in opt.trials if t.source == "proposed"]
    assert np.mean(proposed) > median, "the model's picks are no better than a random architecture"


# -- (2) a journal file, then a new process continues ----------------------------------------------
def test_a_journal_study_is_continued_by_a_new_sampler_without_repeats(tmp_path):
    path = tmp_path / "journal.log"
    first = _sampler()
    study = optuna.create_study(study_name="nas", storage=_journal(path), direction="maximize", sampler=first)
    study.optimize(_accuracy, n_trials=6)
    crashed = study.ask()  # a trial left running by a "crashed" worker
    crashed_arch = suggest_architecture(crashed)
    first_keys = _keys(study)
    del study

    second = _sampler()  # same seed: without the storage's history it would ask the same cells again
    study = optuna.load_study(study_name="nas", storage=_journal(path), sampler=second)
    study.optimize(_accuracy, n_trials=6)

    keys = _keys(study)
    assert keys[:7] == first_keys
    assert len(keys) == 13 and len(set(keys)) == 13, "an architecture was repeated across the sessions"
    opt = second.optimizer
    by_number = _by_optuna_number(opt)
    for t in study.trials[:6]:  # the first session's trials, rebuilt from the storage
        assert by_number[t.number].arch == architecture_of(t)
        assert by_number[t.number].values == {"objective_0": t.value}
        assert by_number[t.number].source == "user"
    assert [t.info["optuna_trial"] for t in opt.trials[:6]] == list(range(6))
    pending = opt.find(crashed_arch)
    assert pending is not None and pending.state is TrialState.PENDING  # never asked again
    assert [t.number for t in study.trials if t.state is OptunaState.COMPLETE] == [0, 1, 2, 3, 4, 5, *range(7, 13)]
    assert len(opt.trials) == 13

    study.tell(crashed.number, state=OptunaState.FAIL)  # the crashed trial is closed: told FAIL
    assert opt.find(crashed_arch).state is TrialState.FAIL


def test_two_workers_sharing_a_storage_never_evaluate_the_same_architecture():
    storage = optuna.storages.InMemoryStorage()
    a = optuna.create_study(study_name="shared", storage=storage, direction="maximize", sampler=_sampler())
    b = optuna.load_study(study_name="shared", storage=storage, sampler=_sampler())  # same seed on purpose
    trials = []
    for _ in range(3):  # interleaved, as two processes would be
        for study in (a, b):
            trial = study.ask()
            trials.append((study, trial))
    for study, trial in trials:
        study.tell(trial, _accuracy(trial))
    keys = _keys(a)
    assert len(keys) == 6 and len(set(keys)) == 6
    b.ask()  # b's next sync reads a's results
    assert {t.info["optuna_trial"] for t in b.sampler.optimizer.trials if t.state is TrialState.COMPLETE} == set(range(6))


# -- (3) hyperparameters alongside the architecture ------------------------------------------------
def test_user_hyperparameters_are_sampled_alongside_the_architecture():
    def objective(trial):
        arch = suggest_architecture(trial)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        width = trial.suggest_categorical("width", [8, 16])
        return BENCH.evaluate(arch, [METRIC])[METRIC] - abs(math.log10(lr) + 2) - (width == 8)

    runs = []
    for _ in range(2):
        sampler = _sampler(n_initial=3)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(objective, n_trials=6)
        runs.append((study, sampler))

    study, sampler = runs[0]
    lrs = [t.params["lr"] for t in study.trials]
    assert all(1e-4 <= lr <= 1e-1 for lr in lrs) and len(set(lrs)) == 6
    assert {t.params["width"] for t in study.trials} <= {8, 16}
    assert len(set(_keys(study))) == 6
    by_number = _by_optuna_number(sampler.optimizer)
    for t in study.trials:  # the optimizer keeps the hyperparameters of each result
        assert by_number[t.number].info["optuna_params"] == t.params
        assert by_number[t.number].values == {"objective_0": t.value}
    other = runs[1][0]  # the same seed gives the same architectures and hyperparameters
    assert _keys(other) == _keys(study)
    assert [t.params for t in other.trials] == [t.params for t in study.trials]


# -- (4) several objectives ------------------------------------------------------------------------
def test_a_multi_objective_study_searches_accuracy_against_latency():
    from agnet_bo.surrogates import GPSurrogate

    sampler = _sampler(surrogate=GPSurrogate(SPACE, kernel="hamming", seed=0))  # faster to fit than the default WL kernel
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    with warnings.catch_warnings():  # experimental since Optuna 3.2
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([METRIC, "latency-pixel3"])

    def objective(trial):
        r = BENCH.evaluate(suggest_architecture(trial), [METRIC, "latency-pixel3"])
        return r[METRIC], r["latency-pixel3"]

    study.optimize(objective, n_trials=10)
    opt = sampler.optimizer
    assert opt.objectives == {METRIC: "maximize", "latency-pixel3": "minimize"}
    assert len(set(_keys(study))) == 10
    by_number = _by_optuna_number(opt)
    for t in study.trials:
        assert by_number[t.number].values == {METRIC: t.values[0], "latency-pixel3": t.values[1]}
    front = {SPACE.key(t.arch) for t in opt.pareto_front()}
    assert front == {SPACE.key(architecture_of(t)) for t in study.best_trials}  # the same Pareto front
    assert len(front) >= 2

    unnamed = AGNetSampler(SPACE, **FAST)
    other = optuna.create_study(directions=["minimize", "maximize"], sampler=unnamed)
    other.optimize(lambda t: (BENCH.evaluate(suggest_architecture(t), ["latency-pixel3"])["latency-pixel3"], 1.0), n_trials=1)
    assert unnamed.optimizer.objectives == {"objective_0": "minimize", "objective_1": "maximize"}


def test_objectives_must_agree_with_the_study():
    sampler = AGNetSampler(SPACE, {"acc": "minimize"}, **FAST)
    with pytest.raises(InputError, match="optimizer is built when the sampler first sees its study"):
        _ = sampler.optimizer
    study = optuna.create_study(direction="maximize", sampler=sampler)
    with pytest.raises(InputError, match="disagree with the study's directions"):
        study.ask()
    two_names = AGNetSampler(SPACE, ["acc", "latency"], **FAST)
    with pytest.raises(InputError, match="2 objective name"):
        optuna.create_study(direction="maximize", sampler=two_names).ask()
    named = AGNetSampler(SPACE, "acc", **FAST)
    optuna.create_study(direction="maximize", sampler=named).ask()
    assert named.optimizer.objectives == {"acc": "maximize"}
    with pytest.raises(InputError, match="`pruned` must be one of"):
        AGNetSampler(SPACE, pruned="ignore")
    with pytest.raises(InputError, match="Expected a SearchSpace"):
        AGNetSampler("nb201")


def test_a_given_optimizer_is_continued():
    opt = ab.Optimizer(SPACE, {METRIC: "maximize"}, **FAST, seed=1)
    for trial in opt.ask(4):
        opt.tell(trial, BENCH.evaluate(trial.arch, [METRIC]))
    before = {t.key for t in opt.trials}
    sampler = AGNetSampler(optimizer=opt)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_accuracy, n_trials=3)
    assert sampler.optimizer is opt and len(opt.trials) == 7
    assert not before & set(_keys(study))
    with pytest.raises(InputError, match="disagree with the study's directions"):
        optuna.create_study(direction="minimize", sampler=AGNetSampler(optimizer=opt)).ask()
    with pytest.raises(InputError, match="configure a new Optimizer"):
        AGNetSampler(optimizer=opt, n_initial=3)


# -- (5) pruned and failed trials ------------------------------------------------------------------
@pytest.mark.parametrize("pruned", ["value", "fail"])
def test_pruned_and_failed_trials(pruned):
    sampler = _sampler(pruned=pruned)
    study = optuna.create_study(direction="maximize", sampler=sampler)

    ok = study.ask()
    study.tell(ok, _accuracy(ok))
    crashed = study.ask()  # an exception in the objective: Optuna's FAIL
    study.tell(crashed, state=OptunaState.FAIL)
    nan = study.ask()  # a NaN value: Optuna makes it FAIL
    with pytest.warns(UserWarning):
        study.tell(nan, float("nan"))
    silent = study.ask()  # pruned before reporting anything
    study.tell(silent, state=OptunaState.PRUNED)
    reported = study.ask()  # pruned after reporting an intermediate value
    reported.report(12.5, step=1)
    reported.report(42.0, step=3)
    study.tell(reported, state=OptunaState.PRUNED)

    by_number = _by_optuna_number(sampler.optimizer)
    assert by_number[ok.number].state is TrialState.COMPLETE
    for t in (crashed, nan, silent):
        assert by_number[t.number].state is TrialState.FAIL
        assert by_number[t.number].values is None
    assert by_number[silent.number].info["optuna_state"] == "PRUNED"
    last = by_number[reported.number]
    assert last.info["optuna_state"] == "PRUNED" and last.info["optuna_step"] == 3
    if pruned == "value":  # the last reported value, as Optuna stores it, and the curve
        assert last.state is TrialState.PRUNED and last.values == {"objective_0": 42.0}
        assert last.intermediate == {1: 12.5, 3: 42.0}
    else:
        assert last.state is TrialState.FAIL and last.values is None

    study.optimize(_accuracy, n_trials=3)  # failed architectures are never asked again
    assert len(set(_keys(study))) == 8


def test_pruned_trials_of_a_stored_study_are_rebuilt_the_same_way():
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(study_name="p", storage=storage, direction="maximize", sampler=_sampler())
    t0 = study.ask()
    study.tell(t0, _accuracy(t0))
    t1 = study.ask()
    t1.report(42.0, step=2)
    study.tell(t1, state=OptunaState.PRUNED)
    t2 = study.ask()
    study.tell(t2, state=OptunaState.FAIL)

    again = _sampler()
    optuna.load_study(study_name="p", storage=storage, sampler=again).ask()
    by_number = _by_optuna_number(again.optimizer)
    assert by_number[0].state is TrialState.COMPLETE and by_number[0].source == "user"
    assert by_number[1].state is TrialState.PRUNED and by_number[1].values == {"objective_0": 42.0}
    assert by_number[1].intermediate == {2: 42.0}
    assert by_number[2].state is TrialState.FAIL


# -- (6) the helper's errors -----------------------------------------------------------------------
def test_suggest_architecture_needs_an_agnet_sampler():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    with pytest.raises(InputError, match="sampler is an AGNetSampler, but its sampler is RandomSampler"):
        study.optimize(_accuracy, n_trials=1)
    assert study.trials[0].state is OptunaState.FAIL
    with pytest.raises(InputError, match="takes the optuna.trial.Trial"):
        suggest_architecture(optuna.trial.FixedTrial({"lr": 0.1}))
    with pytest.raises(InputError, match="holds no architecture"):
        architecture_of(study.trials[0])
    with pytest.raises(InputError, match="enqueue_architecture needs a study whose sampler is an AGNetSampler"):
        enqueue_architecture(study, SPACE.sample(1, seed=0)[0])


# -- more ------------------------------------------------------------------------------------------
def test_enqueued_architectures_are_evaluated_first(caplog):
    sampler = _sampler()
    study = optuna.create_study(direction="maximize", sampler=sampler)
    best = BENCH.best(METRIC)
    assert enqueue_architecture(study, best, {"lr": 0.01})
    assert not enqueue_architecture(study, best, skip_if_exists=True)  # queued already
    lrs = []

    def objective(trial):
        lrs.append(trial.suggest_float("lr", 1e-4, 1e-1, log=True))
        return _accuracy(trial)

    study.optimize(objective, n_trials=3)
    assert architecture_of(study.trials[0]) == best and lrs[0] == 0.01
    assert study.trials[0].user_attrs[ARCH_STR_ATTR] == SPACE.to_string(best)
    assert study.best_value == BENCH.optimum(METRIC)
    by_number = _by_optuna_number(sampler.optimizer)
    assert by_number[0].source == "enqueued" and by_number[0].arch == best
    assert not enqueue_architecture(study, best, skip_if_exists=True)  # evaluated already
    assert len(set(_keys(study))) == 3

    assert enqueue_architecture(study, best)  # evaluated again (like a retry): told to the optimizer once
    with caplog.at_level(logging.WARNING, logger="agnet_bo.integrations.optuna"):
        study.optimize(objective, n_trials=1)
    assert architecture_of(study.trials[3]) == best and study.trials[3].state is OptunaState.COMPLETE
    assert "re-evaluates the architecture of optimizer trial" in caplog.text
    assert len(sampler.optimizer.trials) == 3 and 3 not in _by_optuna_number(sampler.optimizer)


def test_parallel_threads_share_the_sampler_without_repeats():
    sampler = _sampler()
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_accuracy, n_trials=10, n_jobs=3)
    assert len(study.trials) == 10 and len(set(_keys(study))) == 10
    assert len(sampler.optimizer.trials) == 10
    assert all(t.state is TrialState.COMPLETE for t in sampler.optimizer.trials)


def test_an_exhausted_space_stops_the_study(caplog):
    zoo = ab.spaces.CandidateSpace(SPACE.sample(5, seed=3), base=SPACE, name="zoo")
    sampler = AGNetSampler(zoo, n_initial=2, pool_size=10, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    with caplog.at_level(logging.WARNING, logger="agnet_bo.integrations.optuna"):
        study.optimize(_accuracy, n_trials=20)
    assert [t.state for t in study.trials] == [OptunaState.COMPLETE] * 5 + [OptunaState.PRUNED]
    assert "no architecture left" in caplog.text
    assert {SPACE.key(a) for a in zoo.members()} == {SPACE.key(architecture_of(t)) for t in study.trials[:5]}


def test_constrained_metrics_are_read_from_user_attributes():
    sampler = _sampler(constraints={"latency-pixel3": ("<=", 10.0)})
    study = optuna.create_study(direction="maximize", sampler=sampler)

    def objective(trial):
        r = BENCH.evaluate(suggest_architecture(trial), [METRIC, "latency-pixel3"])
        if trial.number != 2:  # trial 2 forgets it: FAIL
            trial.set_user_attr("latency-pixel3", r["latency-pixel3"])
        return r[METRIC]

    study.optimize(objective, n_trials=4)
    by_number = _by_optuna_number(sampler.optimizer)
    assert by_number[2].state is TrialState.FAIL
    for n in (0, 1, 3):
        assert by_number[n].values == {"objective_0": study.trials[n].value,
                                       "latency-pixel3": study.trials[n].user_attrs["latency-pixel3"]}


def _fresh(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_optuna_the_import_error_names_the_extra(monkeypatch):
    import agnet_bo.integrations as package
    import agnet_bo.integrations.optuna as module

    monkeypatch.setitem(sys.modules, "optuna", None)  # as if Optuna were not installed
    assert "optuna" in _fresh("agnet_bo_integrations_without_optuna", package.__file__).__doc__  # imports fine
    with pytest.raises(ImportError, match=r"pip install 'agnet-bo\[optuna\]'"):
        _fresh("agnet_bo_optuna_without_optuna", module.__file__)


def test_many_worker_settings_reach_the_sampler_optimizer():
    sampler = _sampler(prefetch=8, refit_every=4)
    rounds = []
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_accuracy, n_trials=1)  # the optimizer is built with the study's directions
    sampler.optimizer.add_callback(lambda opt: rounds.append(len(opt.trials)), when="round")
    study.optimize(_accuracy, n_trials=23)
    proposed = [t for t in sampler.optimizer.trials if t.source == "proposed"]
    assert sampler.optimizer.prefetch == 8 and sampler.optimizer.refit_every == 4
    assert len(proposed) == 24 - FAST["n_initial"] and 0 < len(rounds) < len(proposed)


# -- (7) several processes on one storage: an architecture is handed to one trial only -------------
def _twin_first_key(**kwargs) -> str:
    """The key the first ask of a fresh optimizer with the test samplers' settings returns."""
    return ab.Optimizer(SPACE, {"objective_0": "maximize"}, **{**FAST, "seed": 0, **kwargs}).ask(1)[0].key


def test_a_trial_gives_way_when_another_claimed_its_architecture_in_between(monkeypatch):
    """Two samplers with the same seed pick the same architecture for their first trials; the
    second one's whole ask runs between the first one's ask and its claim (as another process
    may). The first then finds the architecture held by trial 1 and asks again."""
    storage = optuna.storages.InMemoryStorage()
    opt_a = ab.Optimizer(SPACE, {"objective_0": "maximize"}, **FAST, seed=0)
    a = optuna.create_study(study_name="s", storage=storage, direction="maximize", sampler=AGNetSampler(optimizer=opt_a))
    b = optuna.load_study(study_name="s", storage=storage, sampler=_sampler())
    ask = opt_a.ask
    other = []

    def ask_then_b_asks(q=1):
        trials = ask(q)
        if not other:
            other.append(b.ask())  # trial 1, between a's ask and a's claim
        return trials

    monkeypatch.setattr(opt_a, "ask", ask_then_b_asks)
    first = a.ask()  # trial 0
    assert (first.number, other[0].number) == (0, 1)
    k0, k1 = SPACE.key(architecture_of(first)), SPACE.key(architecture_of(other[0]))
    assert k1 == _twin_first_key(), "trial 1 keeps the architecture both picked"
    assert k0 != k1, "one architecture was handed to two trials"
    assert a.sampler.collisions == 1 and b.sampler.collisions == 0
    given = next(t for t in opt_a.trials if t.key == k1)  # a's record: pending for trial 1, never asked again
    assert given.state is TrialState.PENDING and opt_a.find(architecture_of(first)).state is TrialState.PENDING
    assert storage.get_trial(first._trial_id).system_attrs["agnet_bo_claim"] == k0

    b.tell(other[0], _accuracy(other[0]))  # trial 1 ends: a learns its result on its next read of the storage
    a.tell(first, _accuracy(first))
    a.ask()
    assert given.state is TrialState.COMPLETE and given.info["optuna_trial"] == 1
    assert given.values == {"objective_0": a.trials[1].value}
    keys = _keys(a)
    assert len(keys) == 3 and len(set(keys)) == 3
    assert {t.key for t in opt_a.trials} == set(keys)


def test_a_trial_that_claims_while_a_lower_numbered_trial_claims_the_same_gives_way(monkeypatch):
    """The other order: trial 1 claims the architecture while trial 0 has claimed it but not yet
    read the claims back. Trial 1 sees the lower number's claim and gives way; trial 0 keeps it."""
    storage = optuna.storages.InMemoryStorage()
    a = optuna.create_study(study_name="s", storage=storage, direction="maximize", sampler=_sampler())
    b = optuna.load_study(study_name="s", storage=storage, sampler=_sampler())
    write = storage.set_trial_system_attr
    other: list = []
    started = []

    def write_then_b_asks(trial_id, key, value):
        write(trial_id, key, value)
        if key == "agnet_bo_claim" and not started:
            started.append(True)
            other.append(b.ask())  # trial 1, between trial 0's claim and its read

    monkeypatch.setattr(storage, "set_trial_system_attr", write_then_b_asks)
    first = a.ask()
    assert SPACE.key(architecture_of(first)) == _twin_first_key()
    assert SPACE.key(architecture_of(other[0])) != _twin_first_key()
    assert (a.sampler.collisions, b.sampler.collisions) == (0, 1)
    assert b.sampler.optimizer.find(architecture_of(first)).state is TrialState.PENDING


@pytest.mark.parametrize("decision", ["keeps", "gives way", "never decides"])
def test_a_lower_numbered_claim_waits_for_a_higher_numbered_undecided_one(decision):
    """Trial 1 (another process, simulated in the storage) claimed the architecture trial 0 wants
    and has not decided yet: trial 0 reads again until it has, and gives way only if trial 1 kept
    it (or never decides)."""
    import threading

    storage = optuna.storages.InMemoryStorage()
    sampler = _sampler()
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize", sampler=sampler)
    sampler.claim_timeout = 0.3
    key = _twin_first_key()
    t0 = storage.create_new_trial(study._study_id)  # trial 0: its sampler's ask comes later
    t1 = storage.create_new_trial(study._study_id)
    storage.set_trial_system_attr(t1, "agnet_bo_claim", key)
    twin = ab.Optimizer(SPACE, {"objective_0": "maximize"}, **FAST, seed=0).ask(1)[0]

    def decide():
        if decision == "keeps":
            storage.set_trial_user_attr(t1, ARCH_ATTR, json.dumps(twin.arch.to_dict()))
        elif decision == "gives way":
            storage.set_trial_system_attr(t1, "agnet_bo_claim", None)

    timer = threading.Timer(0.1, decide)
    timer.start()
    sampler.before_trial(study, storage.get_trial(t0))
    timer.join()
    got = SPACE.key(sampler.architecture(storage.get_trial(t0)))
    if decision == "gives way":
        assert got == key and sampler.collisions == 0
    else:
        assert got != key and sampler.collisions == 1
        assert sampler.optimizer.find(twin.arch).state is TrialState.PENDING


def test_the_give_way_rule():
    from optuna.trial import create_trial

    from agnet_bo.integrations.optuna import _contest

    def trial(number, state=OptunaState.RUNNING, claim=None, holds=None):
        ft = create_trial(state=state, value=0.0 if state is OptunaState.COMPLETE else None,
                          user_attrs={} if holds is None else {"k": holds},
                          system_attrs={} if claim is None else {"agnet_bo_claim": claim})
        ft.number, ft._trial_id = number, 100 + number
        return ft

    key_of = lambda ft: ft.user_attrs.get("k")  # noqa: E731
    me = trial(5, claim="K")
    assert _contest("K", me, [me], key_of) == ("keep", None)
    for others, verdict, who in [
        ([trial(3, claim="K")], "yield", 3),  # a lower number claims it: give way
        ([trial(7, claim="K")], "wait", 7),  # a higher number claims it, undecided: read again
        ([trial(7, claim="K", holds="K")], "yield", 7),  # ... and kept it: give way
        ([trial(7, claim=None)], "keep", None),  # ... and gave it way
        ([trial(3, claim="J"), trial(7, claim="J")], "keep", None),  # other architectures
        ([trial(3, state=OptunaState.FAIL, claim="K")], "keep", None),  # died before deciding
        ([trial(1, state=OptunaState.COMPLETE, holds="K")], "yield", 1),  # evaluated already
        ([trial(9, state=OptunaState.WAITING, holds="K")], "yield", 9),  # queued with it
        ([trial(7, claim="K"), trial(3, claim="K")], "yield", 3),
    ]:
        v, other = _contest("K", me, [me, *others], key_of)
        assert (v, None if other is None else other.number) == (verdict, who), others


_WORKER = """
import json, os, sys, time, warnings
import optuna
import agnet_bo as ab
from agnet_bo.integrations.optuna import AGNetSampler, suggest_architecture

folder, me = sys.argv[1], sys.argv[2]
optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")
bench = ab.benchmarks.NB201("cifar10")
bench.evaluate(ab.spaces.NB201Space().sample(1, seed=0)[0])


def objective(trial):
    arch = suggest_architecture(trial)
    time.sleep(0.02)
    return bench.evaluate(arch, ["valid-accuracy"])["valid-accuracy"]


collisions = {}
for kind in ("journal", "sqlite"):
    if kind == "journal":
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(folder + "/journal.log"))
    else:
        storage = optuna.storages.RDBStorage("sqlite:///" + folder + "/study.db",
                                             engine_kwargs={"connect_args": {"timeout": 60}})
    sampler = AGNetSampler(ab.spaces.NB201Space(), seed=0, preset="random")  # the same seed in both: the same picks
    study = optuna.load_study(study_name="shared", storage=storage, sampler=sampler)
    open(folder + "/ready-" + kind + me, "w").close()  # both start together
    while not all(os.path.exists(folder + "/ready-" + kind + i) for i in "01"):
        time.sleep(0.005)
    study.optimize(objective, n_trials=8, n_jobs=2)
    collisions[kind] = getattr(sampler, "collisions", None)
print(json.dumps(collisions))
"""


def test_two_processes_on_one_storage_never_evaluate_an_architecture_twice(tmp_path):
    """2 processes x 8 trials (2 threads each), the same seed, on a journal file, then on an SQLite file."""
    import os
    import subprocess

    storages = {"journal": _journal(tmp_path / "journal.log"),
                "sqlite": optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")}
    for storage in storages.values():
        optuna.create_study(study_name="shared", storage=storage, direction="maximize")
    root = os.path.dirname(os.path.dirname(ab.__file__))  # this checkout's agnet_bo, in the workers too
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path), str(i)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    collisions = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    for kind, storage in storages.items():
        study = optuna.load_study(study_name="shared", storage=storage)
        assert len(study.trials) == 16 and all(t.state is OptunaState.COMPLETE for t in study.trials)
        keys = _keys(study)  # every trial has an architecture
        assert len(set(keys)) == 16, f"{kind}: an architecture was handed to two trials (collisions: {collisions})"


def test_a_sampler_starts_from_a_prior_of_earlier_results():
    c100 = ab.benchmarks.NB201("cifar100")
    archs = SPACE.sample(60, seed=1)
    prior = ab.Prior(space=SPACE).add(archs, [c100.evaluate(a, [METRIC])[METRIC] for a in archs], name="c100")
    sampler = _sampler(prior=prior)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_accuracy, n_trials=6)
    design = prior.design(SPACE, 3)
    assert [architecture_of(t) for t in study.trials[:3]] == design
    by_number = _by_optuna_number(sampler.optimizer)
    assert [by_number[n].source for n in range(4)] == ["prior", "prior", "prior", "initial"]
    assert [t.name for t in sampler.optimizer.prior.tasks] == ["c100"]
