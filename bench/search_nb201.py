"""AG-Net's protocol on NAS-Bench-201 (issue 5): search on validation, report test.

    python -m bench run nb201 --methods default paper evolution random --seeds 20 --raw FILE.jsonl
    python -m bench run nb201/cifar10 --methods default --seeds 5 --raw FILE.jsonl   # quick look
    python -m bench report nb201 FILE.jsonl bench/results/compare-nb201/runs.jsonl   # with agnet-bo compare runs

For every method, dataset and seed, the search asks 16 architectures at a time (AG-Net's batch),
looks them up in the bundled table and tells the validation accuracy. At 96 / 192 / 304 queries
it reports the test accuracy of the best-validation architecture found so far (mean ± std), the
mean validation regret, and the share of seeds that found the validation optimum. Each process
uses one torch thread.

``report`` also takes the runs of ``agnet-bo compare`` (its ``runs.jsonl``) for the methods it
shares with this family: ``agnet`` is ``default`` and ``agnet-paper`` is ``paper`` (the same
``Optimizer`` and seed, asked 16 at a time, validation told, test reported), so those searches
are not run twice. Regularised evolution and random search here are this script's own.
"""

from __future__ import annotations

import time

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


def run(job: tuple[str, str, int, int] | tuple[str, str, int, int, dict | None]) -> dict:
    """One search: ``(method, dataset, seed, budget[, config])``; a ``config`` (Optimizer keyword
    arguments on top of the default's) replaces the method's settings."""
    import torch

    torch.set_num_threads(1)
    import agnet_bo as ab

    method, dataset, seed, budget = job[:4]
    config = job[4] if len(job) > 4 else None
    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201(dataset)
    valid, test = bench.table("valid-accuracy"), bench.table("test-accuracy")
    start = time.perf_counter()
    if config is None and method == "evolution":
        order = _evolution(space, valid, seed, budget)
    else:
        if config is not None:
            opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, seed=seed, **config)
        elif method == "default":
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


def report(results: list[dict], budget: int | None = None) -> str:
    """The comparison's table: per dataset and method, at 96 / 192 / 304 queries (those within the
    runs' length), the test accuracy of the best-validation architecture, the validation regret,
    the share of seeds at the validation optimum and the median wall time."""
    import agnet_bo as ab

    seeds = sorted({r["seed"] for r in results})
    n = budget or min(len(r["best_val"]) for r in results)
    out = [f"NAS-Bench-201, 200 epochs, {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), batches of 16.", "",
           "| dataset | method | seeds | queries | test acc of best-valid (mean ± std) | valid regret (mean) | optimum found | wall s (median) | commits |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    methods = sorted(dict.fromkeys(r["method"] for r in results), key=lambda m: (METHODS.index(m) if m in METHODS else 99, m))
    for d in [x for x in DATASETS if any(r["dataset"] == x for r in results)]:
        opt_v = ab.benchmarks.NB201(d).optimum("valid-accuracy")
        for m in methods:
            rs = [r for r in results if r["method"] == m and r["dataset"] == d]
            if not rs:
                continue
            secs = np.median([r["seconds"] for r in rs])
            commits = ",".join(sorted({r["commit"][:7] for r in rs if r.get("commit")})) or "not recorded"
            for c in CHECKPOINTS:
                if c > n:
                    continue
                bv = np.array([r["best_val"][c - 1] for r in rs])
                bt = np.array([r["best_test"][c - 1] for r in rs])
                hit = np.mean(bv >= opt_v - 1e-9)
                out.append(f"| {d} | {m} | {len(rs)} | {c} | {bt.mean():.2f} ± {bt.std():.2f} | {np.mean(opt_v - bv):.3f} | {hit:.0%} | {secs:.0f} | {commits} |")
    return "\n".join(out)
