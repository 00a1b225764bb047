"""Tuning runs for the optimizer's defaults on NAS-Bench-201 (issue 5), on tuning seeds only.

    python -m bench.tune_nb201 --config base='{}' --config mixed='{"proposer": {"type": "agnet", "params": {"random_fraction": 0.5, "epochs": 10}}}'

Each ``--config NAME=JSON`` is a dict of ``Optimizer`` keyword arguments on top of the defaults;
components as names or descriptions (``agnet_bo.experiment.optimizer_settings``).
Seeds start at 0 (``--first-seed``); ``bench/search_nb201.py`` reports on seeds from 1000, which
were never used here. Prints, per config and dataset, the share of seeds that found the validation
optimum and the mean validation regret at 96 and 192 queries, and the median wall time.
``--raw FILE`` keeps every run (best-so-far validation accuracy per query) and reuses them.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np


def run(job: tuple[str, dict, str, int, int]) -> dict:
    import torch

    torch.set_num_threads(1)
    import agnet_bo as ab

    name, kwargs, dataset, seed, budget = job
    space = ab.spaces.NB201Space()
    valid = ab.benchmarks.NB201(dataset).table("valid-accuracy")
    start = time.perf_counter()
    from agnet_bo.experiment import optimizer_settings

    opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, seed=seed, **optimizer_settings(kwargs, space, seed))
    while len(opt.trials) < budget:
        for t in opt.ask(min(16, budget - len(opt.trials))):
            opt.tell(t, float(valid[space.index(t.arch)]))
    vals = np.maximum.accumulate([float(valid[space.index(t.arch)]) for t in opt.trials])
    return {"name": name, "dataset": dataset, "seed": seed, "best": vals.tolist(), "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", required=True, help="NAME=JSON of Optimizer kwargs")
    parser.add_argument("--datasets", nargs="+", default=["cifar10", "cifar100", "ImageNet16-120"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=192)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--raw", default=None, help="append each run as a JSON line to this file; runs already there are reused")
    args = parser.parse_args()
    configs = {}
    for c in args.config:
        name, _, js = c.partition("=")
        configs[name] = json.loads(js or "{}")
    jobs = [(n, k, d, args.first_seed + s, args.budget) for d in args.datasets for n, k in configs.items() for s in range(args.seeds)]
    done: dict[tuple[Any, ...], dict[str, Any]] = {}
    if args.raw and os.path.exists(args.raw):
        with open(args.raw) as f:
            for line in f:
                r = json.loads(line)
                done[(r["name"], json.dumps(r.get("kwargs"), sort_keys=True), r["dataset"], r["seed"], len(r["best"]))] = r
    def key(job: tuple[Any, ...]) -> tuple[Any, ...]:
        return (job[0], json.dumps(job[1], sort_keys=True), job[2], job[3], job[4])
    todo = [j for j in jobs if key(j) not in done]
    with ProcessPoolExecutor(args.workers) as pool:
        for job, r in zip(todo, pool.map(run, todo), strict=True):
            r["kwargs"] = job[1]
            done[key(job)] = r
            if args.raw:
                with open(args.raw, "a") as f:
                    f.write(json.dumps(r) + "\n")
    results = [done[key(j)] for j in jobs]
    import agnet_bo as ab

    print(f"tuning seeds {args.first_seed}..{args.first_seed + args.seeds - 1}, budget {args.budget}")
    print("| config | dataset | hit@96 | regret@96 | hit@192 | regret@192 | wall s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for d in args.datasets:
        opt_v = ab.benchmarks.NB201(d).optimum("valid-accuracy")
        for n in configs:
            rs = [r for r in results if r["name"] == n and r["dataset"] == d]
            b96 = np.array([r["best"][min(95, args.budget - 1)] for r in rs])
            b = np.array([r["best"][-1] for r in rs])
            print(
                f"| {n} | {d} | {np.mean(b96 >= opt_v - 1e-9):.0%} | {np.mean(opt_v - b96):.3f} | {np.mean(b >= opt_v - 1e-9):.0%} | "
                f"{np.mean(opt_v - b):.3f} | {np.median([r['seconds'] for r in rs]):.0f} |"
            )


if __name__ == "__main__":
    main()
