"""Multi-fidelity on NAS-Bench-201's two exact fidelities: 12 and 200 training epochs.

``full``: the default optimizer, every architecture trained for 200 epochs (cost 200).
``asha``: the default with :class:`agnet_bo.pruners.SuccessiveHalving` (``min_step=12``,
``reduction_factor=3``): every architecture is first trained for 12 epochs (the 12-epoch table,
cost 12) and reported; the pruner decides at that rung whether it goes on to 200 epochs (cost
188 more) or is told PRUNED. Both spend the same total epochs, ``--budget`` x 200.

Per run: whether the 200-epoch validation optimum of the space was found (trained to 200
epochs), the best 200-epoch validation accuracy reached at 25 / 50 / 100 % of the budget, the
number of architectures screened and completed.

    python -m bench run fidelity --seeds 5 --set budget=192
    python -m bench run fidelity --seeds 5 --set batch=8          # 8 workers
    python -m bench report fidelity
    python -c "from bench.multi_fidelity_nb201 import spearman; spearman(2000, 'cifar10')"   # rank agreement

``--set max_model_trials=N`` sets the optimizer's bound on the results a round's models train on
(default: the optimizer's). Rows record the commit, versions, cores, load and the settings.
"""

from __future__ import annotations

import statistics
import time

from bench.core import provenance

FULL, LOW = 200, 12


def run(method: str, seed: int, budget: int, dataset: str, batch: int = 1, max_model_trials: int | None = None) -> dict:
    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    full, low = ab.benchmarks.NB201(dataset, epochs=FULL), ab.benchmarks.NB201(dataset, epochs=LOW)
    pruner = ab.pruners.SuccessiveHalving(min_step=LOW, reduction_factor=3, max_step=FULL) if method == "asha" else None
    kw = {} if max_model_trials is None else {"max_model_trials": max_model_trials}
    opt = ab.Optimizer(space, "valid-accuracy", seed=seed, pruner=pruner, **kw)
    optimum = full.optimum("valid-accuracy")
    cost, limit = 0, budget * FULL
    trace, best = [], -1.0
    start = time.perf_counter()
    while cost < limit:
        for t in opt.ask(batch):  # ``batch`` workers: a round of the model per ``batch`` trials
            if cost >= limit:
                opt.tell(t, state="FAIL")  # the budget ran out before this worker started
                continue
            if method == "asha":
                v12 = low.evaluate(t.arch, "valid-accuracy")["valid-accuracy"]
                opt.report(t, LOW, v12)
                if opt.should_prune(t):
                    cost += LOW
                    opt.tell(t, v12, state="PRUNED")
                    trace.append({"cost": cost, "best": best})
                    continue
                cost += FULL  # 12 epochs, then the 188 left
            else:
                cost += FULL
            v = full.evaluate(t.arch, "valid-accuracy")["valid-accuracy"]
            opt.report(t, FULL, v)
            opt.tell(t, v)
            best = max(best, v)
            trace.append({"cost": cost, "best": best})
    return {
        "method": method, "seed": seed, "budget": budget, "dataset": dataset, "batch": batch,
        "optimum": optimum,
        "found": best >= optimum - 1e-9, "best": best, "trace": trace,
        "screened": len(trace), "completed": sum(t.state.value == "COMPLETE" for t in opt.trials),
        "seconds": time.perf_counter() - start, "max_model_trials": opt.max_model_trials, "rounds": opt.rounds,
        **provenance(),
    }


def _best_at(trace: list[dict], cost: float) -> float:
    rows = [r["best"] for r in trace if r["cost"] <= cost]
    return rows[-1] if rows else float("nan")


def _epochs_to_optimum(r: dict) -> float | None:
    """Total epochs spent when the optimum was first trained to 200 epochs (``None``: never)."""
    return next((x["cost"] for x in r["trace"] if x["best"] >= r["optimum"] - 1e-9), None)


def _commit(r: dict) -> str:
    return (r.get("commit") or "before")[:7]


def report(rows: list[dict]) -> None:
    """Per (batch, method, commit): rows from before the rows recorded their commit are "before"."""
    print("| method | batch | commit | seeds | optimum found | best valid at 25 % | 50 % | 100 % of the epochs | screened | trained to 200"
          " | epochs to the optimum (mean, found runs) | s / run (median) | s / run (max) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    groups = sorted({(r.get("batch", 1), r["method"], _commit(r)) for r in rows}, key=lambda k: (k[0], k[1] != "full", k[2] != "before", k[2]))
    for batch, method, commit in groups:
        rs = [r for r in rows if r["method"] == method and r.get("batch", 1) == batch and _commit(r) == commit]
        cells = []
        for frac in (0.25, 0.5, 1.0):
            vals = [_best_at(r["trace"], frac * r["budget"] * FULL) for r in rs]
            cells.append(f"{statistics.mean(vals):.3f} ± {statistics.stdev(vals) if len(vals) > 1 else 0:.3f}")
        to_opt = [e for r in rs if (e := _epochs_to_optimum(r)) is not None]
        print(f"| {method} | {batch} | {commit} | {len(rs)} | {sum(r['found'] for r in rs)} of {len(rs)} | " + " | ".join(cells)
              + f" | {statistics.mean(r['screened'] for r in rs):.0f} | {statistics.mean(r['completed'] for r in rs):.0f}"
              f" | {statistics.mean(to_opt) if to_opt else float('nan'):.0f} | {statistics.median(r['seconds'] for r in rs):.0f}"
              f" | {max(r['seconds'] for r in rs):.0f} |")
    for commit in sorted({_commit(r) for r in rows}):
        paired: dict[int, dict[str, float | None]] = {}
        for r in rows:
            if r.get("batch", 1) > 1 and _commit(r) == commit:
                paired.setdefault(r["seed"], {})[r["method"]] = _epochs_to_optimum(r)
        pairs = [(v["full"], v["asha"]) for v in paired.values() if v.get("full") is not None and v.get("asha") is not None]
        if pairs:
            sooner = sum(a < f for f, a in pairs)
            ratio = statistics.median(a / f for f, a in pairs)
            print(f"{commit}, batch > 1, seeds where both found the optimum: {len(pairs)}; asha reached it with fewer total epochs"
                  f" in {sooner}, median ratio of epochs asha / full {ratio:.2f}")


def spearman(n: int, dataset: str) -> None:
    """Spearman correlation of 12- and 200-epoch validation accuracy over ``n`` uniform cells."""
    from scipy.stats import spearmanr

    import agnet_bo as ab

    full, low = ab.benchmarks.NB201(dataset, epochs=FULL), ab.benchmarks.NB201(dataset, epochs=LOW)
    archs = ab.spaces.NB201Space().sample(n, seed=0)
    v12 = [low.evaluate(a, "valid-accuracy")["valid-accuracy"] for a in archs]
    v200 = [full.evaluate(a, "valid-accuracy")["valid-accuracy"] for a in archs]
    print(f"NB201 {dataset}, {n} cells: Spearman(valid at {LOW}, valid at {FULL}) = {spearmanr(v12, v200).statistic:.3f}")
