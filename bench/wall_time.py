"""Wall time of one full default search on NAS-Bench-201 (issue 5): 304 queries in batches of 16.

    python -m bench.wall_time --runs 3 --budget 304

Runs the default ``Optimizer`` on the CIFAR-10 table ``--runs`` times in a row (seeds 0, 1, ...)
in this process with one torch thread, and prints the median wall time and the median CPU time of
the process (CPU time is less sensitive to other load on a shared machine), with the time spent
in ``ask`` (model rounds) and the system load average before and after.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=int, default=304)
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument(
        "--kappa", type=float, nargs="+", default=None, help="UCB weights instead of the default, e.g. 2.0"
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    valid = ab.benchmarks.NB201(args.dataset).table("valid-accuracy")
    load0 = os.getloadavg()[0]
    kappa = ab.presets.DEFAULT_KAPPA if args.kappa is None else tuple(args.kappa)
    walls, cpus, asks = [], [], []
    for seed in range(args.runs):
        w0, c0, in_ask = time.perf_counter(), time.process_time(), 0.0
        opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, seed=seed, acquisition=ab.acquisition.UCB(kappa=kappa))
        while len(opt.trials) < args.budget:
            a0 = time.perf_counter()
            batch = opt.ask(min(16, args.budget - len(opt.trials)))
            in_ask += time.perf_counter() - a0
            for t in batch:
                opt.tell(t, float(valid[space.index(t.arch)]))
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        asks.append(in_ask)
        print(f"seed {seed}: wall {walls[-1]:.1f} s, CPU {cpus[-1]:.1f} s, in ask {in_ask:.1f} s, best {opt.best_trial.values}")
    print(
        f"\n{args.budget} queries, {args.runs} runs: median wall {np.median(walls):.1f} s, median CPU {np.median(cpus):.1f} s, "
        f"median time in ask {np.median(asks):.1f} s; load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after"
    )


if __name__ == "__main__":
    main()
