"""Parallel architecture search on Ray without Tune: ``run_parallel`` on NAS-Bench-201.

Every evaluation looks the cell up in the bundled NAS-Bench-201 table (CIFAR-10) and then sleeps
to stand in for training: ``--eval-seconds`` on average, in proportion to the cell's real training
time (``--constant`` for the same time for every cell). Up to ``--workers`` evaluations run at
once as Ray tasks; whenever one finishes, the optimizer is told and asked for the next cell.

    pip install 'agnet-bo[ray]'
    python examples/ray_parallel_driver.py                          # 32 trials, 4 workers, ~1 s each
    python examples/ray_parallel_driver.py --trials 96 --checkpoint nb201.json
    python examples/ray_parallel_driver.py --address auto           # on a running Ray cluster

With ``--checkpoint`` the search is saved after every result. Stop the script at any time (or let
it crash) and run the same command again: it loads the file, evaluates the trials that were
running first, and continues until ``--trials`` trials are finished.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import numpy as np
import ray

import agnet_bo as ab
from agnet_bo.integrations.ray import run_parallel

METRIC = "valid-accuracy"


def make_objective(seconds: float, proportional: bool):
    """The objective run on the workers: table lookup plus a simulated training time."""
    bench = ab.benchmarks.NB201("cifar10")
    median_time = float(np.nanmedian(bench.table("train-time")))

    def objective(arch: ab.Architecture) -> dict[str, float]:
        row = bench.evaluate(arch, [METRIC, "test-accuracy", "train-time"])
        time.sleep(seconds * (row["train-time"] / median_time if proportional else 1.0))
        return row  # valid-accuracy is told; test-accuracy and train-time are kept in trial.info

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=32, help="finished trials wanted in total")
    parser.add_argument("--workers", type=int, default=4, help="evaluations at once")
    parser.add_argument("--eval-seconds", type=float, default=1.0, help="mean simulated evaluation time")
    parser.add_argument("--constant", action="store_true", help="the same evaluation time for every cell")
    parser.add_argument("--timeout", type=float, default=None, help="cancel an evaluation after this many seconds")
    parser.add_argument("--checkpoint", default=None, help="JSON file to save to and resume from")
    parser.add_argument("--address", default=None, help='Ray cluster address, e.g. "auto"; default: local Ray')
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
    if args.checkpoint and os.path.exists(args.checkpoint):
        opt = ab.Optimizer.load(args.checkpoint)
        print(f"resumed {args.checkpoint}: {len(opt.trials)} trials, {len(opt.pending_trials)} to re-run")
    else:
        opt = ab.Optimizer(ab.spaces.NB201Space(), {METRIC: "maximize"}, n_initial=8, surrogate="gp", seed=args.seed)
    finished = sum(t.state.is_finished() for t in opt.trials)
    todo = max(0, args.trials - finished)

    start = time.perf_counter()
    run_parallel(
        opt,
        make_objective(args.eval_seconds, proportional=not args.constant),
        n_trials=todo,
        max_concurrent=args.workers,
        timeout=args.timeout,
        checkpoint_path=args.checkpoint,
        num_cpus=0,  # the tasks only sleep: let --workers of them run even on a small machine
    )
    wall = time.perf_counter() - start

    bench = ab.benchmarks.NB201("cifar10")
    best = opt.best_trial
    failed = sum(t.state is ab.TrialState.FAIL for t in opt.trials)
    print(f"{todo} trials in {wall:.1f} s with {args.workers} workers ({failed} failed in total)")
    print(
        f"best: trial {best.id}, validation {best.values[METRIC]:.2f} % (optimum {bench.optimum(METRIC):.2f} %), "
        f"test {best.info['test-accuracy']:.2f} %: {opt.space.to_string(best.arch)}"
    )
    ray.shutdown()


if __name__ == "__main__":
    main()
