"""AG-Net's protocol on NAS-Bench-201 (issue 5): search on validation, report test.

    python bench/search_nb201.py --seeds 20 --budget 304 --workers 2
    python bench/search_nb201.py --methods default --datasets cifar10 --seeds 5   # quick look
    python bench/search_nb201.py --compare-runs bench/results/compare-nb201/runs.jsonl   # reuse agnet-bo compare runs

For every method, dataset and seed, the search asks 16 architectures at a time (AG-Net's batch),
looks them up in the bundled table and tells the validation accuracy. At 96 / 192 / 304 queries
it reports the test accuracy of the best-validation architecture found so far (mean ± std), the
mean validation regret, and the share of seeds that found the validation optimum. Each process
uses one torch thread.

``--compare-runs`` takes the runs of ``agnet-bo compare`` (its ``runs.jsonl``) for the methods it
shares with this script: ``agnet`` is ``default`` and ``agnet-paper`` is ``paper`` (the same
``Optimizer`` and seed, asked 16 at a time, validation told, test reported), so those searches
are not run twice. Regularised evolution and random search here are this script's own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

METHODS = ("default", "paper", "evolution", "random")
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
CHECKPOINTS = (96, 192, 304)
FROM_COMPARE = {"agnet": "default", "agnet-paper": "paper"}


def _from_compare(row: dict) -> dict | None:
    """A run of ``agnet-bo compare`` (objective valid-accuracy, report test-accuracy) in this script's format."""
    method = FROM_COMPARE.get(row["method"])
    if method is None or row.get("report") is None:
        return None
    return {
        "method": method, "dataset": row["dataset"], "seed": row["seed"],
        "best_val": row["best"], "best_test": row["report"], "seconds": row["seconds"],
    }


def _evolution(space, table, seed: int, budget: int, population: int = 10, tournament: int = 3) -> list[int]:
    """Regularised evolution (Real et al. 2019) with the library's generic mutation."""
    from agnet_bo.proposers import mutate

    rng = np.random.default_rng(seed)
    archs = space.sample(population, seed=seed)
    seen = {space.key(a) for a in archs}
    vals = [float(table[space.index(a)]) for a in archs]
    pop = list(range(population))
    while len(vals) < budget:
        cand = rng.choice(pop, size=tournament, replace=False)
        parent = archs[max(cand, key=lambda i: vals[i])]
        child = mutate(space, parent, rng)
        if child is None or space.key(child) in seen:
            continue
        seen.add(space.key(child))
        archs.append(child)
        vals.append(float(table[space.index(child)]))
        pop.append(len(archs) - 1)
        pop.pop(0)
    return [space.index(a) for a in archs]


def run(job: tuple[str, str, int, int]) -> dict:
    import torch

    torch.set_num_threads(1)
    import agnet_bo as ab

    method, dataset, seed, budget = job
    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201(dataset)
    valid, test = bench.table("valid-accuracy"), bench.table("test-accuracy")
    start = time.perf_counter()
    if method == "evolution":
        order = _evolution(space, valid, seed, budget)
    else:
        if method == "default":
            opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, seed=seed)
        elif method == "paper":
            opt = ab.Optimizer.paper(space, seed=seed)
        else:
            opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, surrogate="none", proposer="random", seed=seed)
        while len(opt.trials) < budget:
            for t in opt.ask(min(16, budget - len(opt.trials))):
                opt.tell(t, {"valid-accuracy": float(valid[space.index(t.arch)])})
        order = [space.index(t.arch) for t in opt.trials]
    vals = [float(valid[i]) for i in order]
    seconds = time.perf_counter() - start
    best_val, best_test = [], []
    cur, cur_i = -np.inf, -1
    for k, v in enumerate(vals):
        if v > cur:
            cur, cur_i = v, k
        best_val.append(cur)
        best_test.append(float(test[order[cur_i]]))
    return {"method": method, "dataset": dataset, "seed": seed, "best_val": best_val, "best_test": best_test, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1000, help="seeds first-seed .. first-seed + seeds - 1 (not used for tuning)")
    parser.add_argument("--budget", type=int, default=304)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--raw", default=None, help="append each run's result as a JSON line to this file (runs already there are not repeated)")
    parser.add_argument("--from-raw", default=None, help="only print the tables of a --raw file")
    parser.add_argument("--compare-runs", nargs="+", default=[], help="runs.jsonl(.gz) files of `agnet-bo compare` to reuse (agnet, agnet-paper)")
    args = parser.parse_args()
    order = sorted(args.methods, key=lambda m: m == "paper")  # the slow preset last
    jobs = [(m, d, args.first_seed + s, args.budget) for m in order for d in args.datasets for s in range(args.seeds)]
    keep = {(m, d, s) for m, d, s, _ in jobs}
    results = []
    for path in filter(None, (args.from_raw, args.raw)):
        if os.path.exists(path):  # runs already in the file are reused (a stopped run continues)
            with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
                results += [r for r in map(json.loads, filter(str.strip, f)) if (r["method"], r["dataset"], r["seed"]) in keep]
        if results:
            break
    have = {(r["method"], r["dataset"], r["seed"]) for r in results}
    for path in args.compare_runs:
        with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
            for r in filter(None, map(_from_compare, map(json.loads, filter(str.strip, f)))):
                key = (r["method"], r["dataset"], r["seed"])
                if key in keep and key not in have and len(r["best_val"]) >= args.budget:
                    results.append(r)
                    have.add(key)
    todo = [j for j in jobs if j[:3] not in have]
    if todo and not args.from_raw:
        with ProcessPoolExecutor(args.workers) as pool:
            for r in pool.map(run, todo):
                results.append(r)
                if args.raw:
                    with open(args.raw, "a") as f:
                        f.write(json.dumps(r) + "\n")
    import agnet_bo as ab

    print(f"NAS-Bench-201, 200 epochs, {args.seeds} seeds ({args.first_seed}..{args.first_seed + args.seeds - 1}), batches of 16.\n")
    print("| dataset | method | seeds | queries | test acc of best-valid (mean ± std) | valid regret (mean) | optimum found | wall s (median) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for d in args.datasets:
        opt_v = ab.benchmarks.NB201(d).optimum("valid-accuracy")
        for m in args.methods:
            rs = [r for r in results if r["method"] == m and r["dataset"] == d]
            if not rs:
                continue
            secs = np.median([r["seconds"] for r in rs])
            for c in CHECKPOINTS:
                if c > args.budget:
                    continue
                bv = np.array([r["best_val"][c - 1] for r in rs])
                bt = np.array([r["best_test"][c - 1] for r in rs])
                test = f"{bt.mean():.2f} ± {bt.std():.2f}"
                hit = np.mean(bv >= opt_v - 1e-9)
                print(f"| {d} | {m} | {len(rs)} | {c} | {test} | {np.mean(opt_v - bv):.3f} | {hit:.0%} | {secs:.0f} |")


if __name__ == "__main__":
    main()
