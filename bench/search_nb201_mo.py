"""Multi-objective and hardware-constrained search on NAS-Bench-201 (issue 5).

    python -m bench run mo/pareto-pixel3 mo/pareto-eyeriss mo/pareto-fpga --seeds 10   # accuracy vs latency
    python -m bench run mo/constrained-edgegpu --methods default eq5 eq4 random --seeds 10 --raw FILE.jsonl

``pareto``: maximise validation accuracy and minimise latency on pixel3, eyeriss and fpga
(HW-NAS-Bench, CIFAR-10 cells), 16 per batch. At 96 / 192 queries it reports the hypervolume of
the front found as a fraction of the true front's (all 15,625 cells; both objectives normalised
so that the true front's ideal point is 0 and its nadir 1, reference point 1.1 in each, as
minimisation), the share of the true Pareto-optimal cells found and the share of runs that found
the most accurate cell. Methods: the default (per-pick ParEGO, a quarter of the picks maximising
one objective alone, on generator pools a quarter of which are single edits of the front found)
and random search (``--methods default eq4 random`` adds the paper's joint rank sum, Eq. 4).

``constrained``: AG-Net's hardware setting, ImageNet16-120 with edgegpu latency <= 5 ms. Reports
the best feasible validation accuracy found at 96 / 192 queries for the default (qLogNEI with
the constraint), the paper's constrained rule (Eq. 5), its joint rule (Eq. 4, accuracy and
latency as objectives plus the constraint) and random search, against the feasible optimum.
Seeds start at 1000. Each process uses one torch thread.

``--config NAME=JSON`` adds a method NAME: the default's settings plus these ``Optimizer`` keyword
arguments (for tuning, on seeds below 1000: ``--first-seed 0``).
"""

from __future__ import annotations

import time

import numpy as np

DEVICES = ("pixel3", "eyeriss", "fpga")
CHECKPOINTS = (96, 192)


def _checkpoints(results: list[dict]) -> list[int]:
    n = min(len(r["rows"]) for r in results)
    return [c for c in CHECKPOINTS if c <= n] or [n]


def _settings(task: str, method: str, device: str) -> dict:
    """Objectives, constraints and acquisition of a method (a --config variant is the default's)."""
    lat = f"latency-{device}"
    if task == "pareto":
        objectives = {"valid-accuracy": "maximize", lat: "minimize"}
        return {"objectives": objectives, "acquisition": "rank-sum" if method == "eq4" else None}
    bound = {"constraints": {lat: ("<=", 5.0)}}
    if method == "eq4":
        return {"objectives": {"valid-accuracy": "maximize", lat: "minimize"}, "acquisition": "rank-sum", **bound}
    if method == "eq5":
        return {"objectives": {"valid-accuracy": "maximize"}, "acquisition": "rank-constrained", **bound}
    return {"objectives": {"valid-accuracy": "maximize"}, "acquisition": None, **bound}


def run(job: tuple[str, str, str, str, int, int, dict]) -> dict:
    import torch

    torch.set_num_threads(1)
    import agnet_bo as ab

    task, method, dataset, device, seed, budget, extra = job
    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201(dataset)
    s = _settings(task, method, device)
    metrics = list(dict.fromkeys([*s["objectives"], *s.get("constraints", {})]))
    start = time.perf_counter()
    kwargs = {"surrogate": "none", "proposer": "random"} if method == "random" else dict(extra)
    opt = ab.Optimizer(space, seed=seed, **{**s, **kwargs})  # a --config may override the acquisition
    while len(opt.trials) < budget:
        for t in opt.ask(min(16, budget - len(opt.trials))):
            opt.tell(t, bench.evaluate(t.arch, metrics))
    return {
        "task": task, "method": method, "device": device, "seed": seed,
        "rows": [space.index(t.arch) for t in opt.trials], "seconds": time.perf_counter() - start,
    }


def _pareto_report(results: list[dict], dataset: str, methods: list[str], devices: tuple[str, ...] = DEVICES) -> None:
    import agnet_bo as ab
    from agnet_bo.pareto import hypervolume, pareto_mask

    bench = ab.benchmarks.NB201(dataset)
    acc = bench.table("valid-accuracy")
    print(f"Accuracy vs latency, NB201 {dataset} (validation accuracy, HW-NAS-Bench latency), ref point 1.1 after normalisation.\n")
    print("| device | method | queries | HV fraction (mean ± std) | true Pareto cells found (mean) | most accurate cell found | wall s (median) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    short: dict[tuple[str, str, int], np.ndarray] = {}
    for device in devices:
        lat = bench.table(f"latency-{device}")
        ok = np.isfinite(acc) & np.isfinite(lat)
        best_acc = acc[ok].max()
        Y = np.stack([acc, -lat], 1)  # maximised
        true = np.flatnonzero(ok)[pareto_mask(Y[ok])]
        ideal, nadir = Y[true].max(0), Y[true].min(0)
        norm = lambda y, ideal=ideal, nadir=nadir: (ideal - y) / (ideal - nadir)  # noqa: E731  minimisation, front in [0, 1]
        ref = np.full(2, 1.1)
        hv_true = hypervolume(-norm(Y[true]), -ref)
        for m in methods:
            rs = [r for r in results if r["method"] == m and r["device"] == device]
            secs = np.median([r["seconds"] for r in rs])
            for c in _checkpoints(rs):
                fr, found, top = [], [], []
                for r in rs:
                    rows = np.array(r["rows"][:c])
                    rows = rows[ok[rows]]
                    fr.append(hypervolume(-norm(Y[rows]), -ref) / hv_true)
                    found.append(np.isin(true, rows).mean())
                    top.append(acc[rows].max() >= best_acc)
                print(f"| {device} | {m} | {c} | {np.mean(fr):.4f} ± {np.std(fr):.4f} | {np.mean(found):.1%} | {np.mean(top):.0%} | {secs:.0f} |")
                short[device, m, c] = 1 - np.array(fr)
    if any(m == "random" for _, m, _ in short):
        _ratio_report(short)


def _ratio_report(short: dict[tuple[str, str, int], np.ndarray], reps: int = 10000) -> None:
    """Each method's mean shortfall over random search's, with a 90 % bootstrap interval that
    resamples the seeds of both independently (seeded, so a rerun prints the same)."""
    rng = np.random.default_rng(0)
    print("\nShortfall (1 - HV fraction) over random search's in the same run, 90 % bootstrap interval over seeds:\n")
    print("| device | method | queries | ratio | interval |")
    print("|---|---|---:|---:|---|")
    for (device, m, c), s in short.items():
        r = short.get((device, "random", c))
        if m == "random" or r is None:
            continue
        boot = s[rng.integers(len(s), size=(reps, len(s)))].mean(1) / r[rng.integers(len(r), size=(reps, len(r)))].mean(1)
        lo, hi = np.quantile(boot, [0.05, 0.95])
        print(f"| {device} | {m} | {c} | {s.mean() / r.mean():.2f} | {lo:.2f}-{hi:.2f} |")


def _constrained_report(results: list[dict], dataset: str, device: str, methods: list[str]) -> None:
    import agnet_bo as ab

    bench = ab.benchmarks.NB201(dataset)
    acc, lat = bench.table("valid-accuracy"), bench.table(f"latency-{device}")
    feas = lat <= 5.0
    best = acc[feas].max()
    print(f"NB201 {dataset}, {device} latency <= 5 ms: {feas.sum()} feasible cells, best feasible validation accuracy {best:.2f}.\n")
    print("| method | queries | best feasible valid acc (mean ± std) | regret (mean) | optimum found | wall s (median) |")
    print("|---|---|---:|---:|---:|---:|")
    for m in methods:
        rs = [r for r in results if r["method"] == m]
        secs = np.median([r["seconds"] for r in rs])
        for c in _checkpoints(rs):
            b = np.array([max((acc[i] for i in r["rows"][:c] if feas[i]), default=np.nan) for r in rs])
            print(f"| {m} | {c} | {np.nanmean(b):.2f} ± {np.nanstd(b):.2f} | {best - np.nanmean(b):.3f} | {np.mean(b >= best - 1e-9):.0%} | {secs:.0f} |")


def report(results: list[dict]) -> str:
    """The tables of pareto and constrained runs (rows of :func:`run`)."""
    from bench.core import printed

    return printed(_print_report, results)


def _print_report(results: list[dict]) -> None:
    for task in ("pareto", "constrained"):
        rs = [r for r in results if r["task"] == task]
        if not rs:
            continue
        seeds = sorted({r["seed"] for r in rs})
        methods = list(dict.fromkeys(r["method"] for r in rs))
        print(f"{task}: {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), batches of 16.\n")
        if task == "pareto":
            devices = tuple(d for d in DEVICES if any(r["device"] == d for r in rs))
            _pareto_report(rs, "cifar10", methods, devices)
        else:
            _constrained_report(rs, "ImageNet16-120", "edgegpu", methods)
        print()
