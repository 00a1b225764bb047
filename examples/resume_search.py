"""Stop a search, save it, load it later and continue: the same asks as a search never stopped.

``Optimizer.save(path)`` writes the whole search (configuration, every trial, the generator's
weights and random state) as one JSON file, atomically (a temporary file, then a rename), so a
crash while saving never leaves a broken file. ``Optimizer.load(path)`` rebuilds it; the
surrogate is refitted from the saved history with the same seed, so the continued search asks
exactly the architectures the uninterrupted one would. Trials that were asked but not yet told
when the search stopped are saved as pending and can be told after loading.

The script runs the same NAS-Bench-201 search twice (bundled CIFAR-10 table, no training):

1. uninterrupted, for ``--rounds`` batches;
2. stopped in the middle of a batch (some results of the batch told, some still pending),
   saved, loaded from the file as if in a new process, the pending results told, and continued;

and checks that both asked the same architectures in the same order and found the same best.

    python examples/resume_search.py --fast    # seconds
    python examples/resume_search.py           # 8 batches of 8, stopped after 4.5
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import agnet_bo as ab

METRIC = "valid-accuracy"


def evaluate(bench: ab.benchmarks.NB201, trial: ab.Trial) -> dict[str, float]:
    """Stands for training: a table lookup."""
    return {METRIC: bench.evaluate(trial.arch, [METRIC])[METRIC]}


def new_optimizer(seed: int, fast: bool) -> ab.Optimizer:
    return ab.Optimizer(
        ab.spaces.NB201Space(),
        objectives={METRIC: "maximize"},
        n_initial=8,
        pool_size=100 if fast else 300,
        seed=seed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="4 batches of 4, stopped after 2.5 (seconds)")
    parser.add_argument("--rounds", type=int, default=8, help="batches in all")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--state", default=None, help="state file (default: in a temporary directory)")
    args = parser.parse_args()
    rounds, batch = (4, 4) if args.fast else (args.rounds, args.batch)
    stop = rounds // 2  # full batches before the stop; the next one is stopped half-way
    bench = ab.benchmarks.NB201("cifar10")
    path = args.state or os.path.join(tempfile.mkdtemp(prefix="agnet-resume-"), "search.json")

    # -- 1. the uninterrupted search -----------------------------------------------------------
    start = time.perf_counter()
    straight = new_optimizer(args.seed, args.fast)
    for _ in range(rounds):
        for trial in straight.ask(batch):
            straight.tell(trial, evaluate(bench, trial))
    print(f"uninterrupted: {len(straight.trials)} trials in {time.perf_counter() - start:.1f} s")

    # -- 2. the same search, stopped in the middle of a batch ----------------------------------
    start = time.perf_counter()
    opt = new_optimizer(args.seed, args.fast)
    for _ in range(stop):
        for trial in opt.ask(batch):
            opt.tell(trial, evaluate(bench, trial))
    batch_trials = opt.ask(batch)
    for trial in batch_trials[: batch // 2]:  # half of the batch has finished training ...
        opt.tell(trial, evaluate(bench, trial))
    opt.save(path)  # ... when the process stops
    print(f"stopped: {len(opt.trials)} trials, {len(opt.pending_trials)} pending; saved to {path}")
    del opt

    opt = ab.Optimizer.load(path)  # e.g. in a new process, after a crash or on another machine
    pending = opt.pending_trials
    print(f"loaded: {len(opt.trials)} trials, {len(pending)} pending (ids {[t.id for t in pending]})")
    for trial in pending:  # their training is rerun (or their results are read from wherever they went)
        opt.tell(trial, evaluate(bench, trial))
    for _ in range(rounds - stop - 1):
        for trial in opt.ask(batch):
            opt.tell(trial, evaluate(bench, trial))
        opt.save(path)  # checkpoint after every batch
    print(f"resumed: {len(opt.trials)} trials in {time.perf_counter() - start:.1f} s")

    # -- the check -------------------------------------------------------------------------------
    same = [a.key == b.key for a, b in zip(straight.trials, opt.trials, strict=False)]
    if len(straight.trials) != len(opt.trials) or not all(same):
        first = same.index(False) if False in same else min(len(same), len(opt.trials))
        raise SystemExit(f"the resumed search differs from the uninterrupted one from trial {first} on")
    space = opt.space
    best, best_straight = opt.best_trial, straight.best_trial
    print(f"the resumed search asked the same {len(opt.trials)} architectures, in the same order, as the uninterrupted one")
    print(
        f"best: trial {best.id} ({best.values[METRIC]:.2f} %, uninterrupted: trial {best_straight.id}, "
        f"{best_straight.values[METRIC]:.2f} %): {space.to_string(best.arch)}"
    )


if __name__ == "__main__":
    main()
