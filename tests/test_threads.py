"""Many threads on one Optimizer: every public method, called at random, from 16 threads at once.

The guarantee under test (docs/guides/training-loop.md, "Many workers"): no exception, no crash,
no architecture handed out twice, and every told value present after save -> load, with the
default settings, with prefetch + refit_every and with refits in the background.
"""

from __future__ import annotations

import random
import threading

import pytest

import agnet_bo as ab
from agnet_bo.trial import TrialState

BENCH = ab.benchmarks.NB201("cifar10")
N_THREADS = 16
SETTINGS = {  # settings, operations per thread (the default runs a round per ask: fewer)
    "default": ({}, 2),
    "prefetch": ({"prefetch": 8, "refit_every": 4}, 4),
    "background": ({"prefetch": 8, "refit_every": 2, "refit_in_background": True}, 6),
}


def _optimizer(**kw):
    return ab.Optimizer(
        ab.spaces.NB201Space(), {"valid-accuracy": "maximize"}, n_initial=6, pool_size=40, seed=0,
        pruner=ab.pruners.SuccessiveHalving(min_step=1, reduction_factor=2), **kw,
    )


def _hammer(opt, tmp_path, n_ops, seed):
    """16 threads, each doing ``n_ops`` random operations; returns (errors, asked keys, told values)."""
    errors, asked, told = [], [], {}
    log = threading.Lock()
    start = threading.Barrier(N_THREADS)

    def worker(i):
        rng = random.Random(seed * 100 + i)
        try:
            start.wait()
            for _ in range(n_ops):
                op = rng.random()
                if op < 0.6:  # ask, train (report, maybe prune), tell
                    (t,) = opt.ask(1)
                    value = BENCH.evaluate(t.arch, ["valid-accuracy"])["valid-accuracy"]
                    opt.report(t, 1, value - 5.0)
                    with log:
                        asked.append(t.key)
                    if opt.should_prune(t) and rng.random() < 0.5:
                        opt.tell(t, value - 5.0, state="PRUNED")
                        value = value - 5.0
                    elif rng.random() < 0.1:
                        opt.tell(t, state="FAIL")
                        value = None
                    else:
                        opt.tell(t, value)
                    with log:
                        told[t.id] = value
                elif op < 0.7:
                    opt.save(tmp_path / f"w{i % 3}.json")  # threads share files too
                elif op < 0.8:
                    rows = opt.records()  # read while others tell: ids stay consecutive
                    assert [r["id"] for r in rows] == list(range(len(rows)))
                elif op < 0.9:
                    try:
                        assert opt.best_trial.state is TrialState.COMPLETE
                    except ab.exceptions.InputError:  # nothing told yet
                        pass
                else:
                    assert len(opt.pending_trials) <= len(opt.trials)
        except BaseException as exc:  # reported by the test
            with log:
                errors.append(f"thread {i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N_THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not any(th.is_alive() for th in threads), "a worker hung"
    return errors, asked, told


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_sixteen_threads_call_everything_at_random(setting, tmp_path):
    kwargs, n_ops = SETTINGS[setting]
    opt = _optimizer(**kwargs)
    errors, asked, told = _hammer(opt, tmp_path, n_ops=n_ops, seed=1)
    assert errors == []
    assert len(asked) == len(set(asked)), "an architecture was handed out twice"
    keys = [t.key for t in opt.trials]
    assert len(keys) == len(set(keys)) and sorted(t.id for t in opt.trials) == list(range(len(keys)))
    assert opt.pending_trials == []
    opt.save(tmp_path / "final.json")
    back = ab.Optimizer.load(tmp_path / "final.json")
    assert len(back.trials) == len(told) == len(asked)
    for t in back.trials:
        expected = told[t.id]
        if expected is None:
            assert t.state is TrialState.FAIL
        else:
            assert t.values["valid-accuracy"] == pytest.approx(expected)
            assert t.intermediate == opt.trials[t.id].intermediate
    assert back.ask(1)[0].key not in set(keys)  # and the search goes on


def test_threads_share_one_space_filling_initial_design(tmp_path):
    """The design is chosen lazily on the first ask: threads asking at once hand out each of its
    architectures once, and the first trials are exactly that design."""
    opt = _optimizer(initial_design="space-filling")
    errors, asked, _ = _hammer(opt, tmp_path, n_ops=2, seed=2)
    assert errors == [] and len(asked) == len(set(asked))
    space = opt.space
    design = {space.key(a) for a in opt.strategy.filled_design(space)}
    assert len(design) == 6
    first = {t.key for t in sorted(opt.trials, key=lambda t: t.id)[:6]}
    assert first == design


def test_an_optimizer_copies_and_pickles_without_its_locks_and_goes_on(tmp_path):
    """Ray Tune pickles its searcher, and the searcher holds an optimizer: locks and the refit
    thread are left out and made anew (``copy.deepcopy`` goes through the same
    ``__getstate__`` / ``__setstate__`` as pickling, without loading bytes)."""
    import copy

    opt = _optimizer(prefetch=4, refit_in_background=True)
    for t in opt.ask(6):
        opt.tell(t, BENCH.evaluate(t.arch, ["valid-accuracy"])["valid-accuracy"])
    opt.ask(1)  # a refit starts in the background
    back = copy.deepcopy(opt)
    assert back._dispatch.job is None and back._lock is back._store.lock is back._dispatch.lock
    assert [t.key for t in back.trials] == [t.key for t in opt.trials] and back.rounds == opt.rounds
    errors, asked, _ = _hammer(back, tmp_path, n_ops=2, seed=2)
    assert errors == [] and len(asked) == len(set(asked))
    assert not {t.key for t in back.trials[7:]} & {t.key for t in opt.trials[:7]}
