"""Warm starts and transfer across tasks (issue 43): a search that starts from earlier searches.

    # 1. the earlier searches: finished 192-query default searches on each NB201 dataset (200 and 12 epochs)
    python -m bench run priors
    # 2. each dataset as the target, the other two datasets' searches as the prior, one query at a time
    python -m bench run transfer --methods none prior enqueue zeroshot --seeds 10
    #    the 12-epoch search of the same dataset as the prior of the 200-epoch target
    python -m bench run transfer --set prior_from=12ep --raw bench/results/transfer_nb201_12ep.jsonl
    #    misleading priors: the prior searches' architectures with the target's own values negated, or random values
    python -m bench run transfer/cifar100 --methods prior --set prior_from=negated --set budget=96 --set q=4 --raw ...
    # 3. TransNAS-Bench-101, leave one task out: the prior is one other task's table, or all six others'
    python -m bench run transnas --set prior_from=all
    # tables
    python -m bench report transfer                  # (or transnas, or any result files, --at 16 48 96)

Methods: ``none`` (today's default, no prior), ``prior`` (the default with ``prior=``: all three
parts), ``prior-initial`` / ``prior-generator`` / ``prior-surrogate`` (one part alone),
``enqueue`` (``Optimizer.enqueue`` of the prior's best 16 by average rank, then the default
search without a prior) and ``zeroshot`` (the prior's architectures in the order of their average
rank over the prior tasks, Wistuba et al. 2015, then random ones).

Every row records the commit, versions, cores, load, the full configuration and the seed
(``bench/core.py``); ``report`` prints the share of seeds at the optimum within
16 / 48 / 96 queries, the median queries to the optimum and the mean normalised regret
``(best - found) / (best - median)`` at 10 / 16 / 25 / 48 / 50 / 96 queries.
"""

from __future__ import annotations

import json
import math
import random as _random
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
METRIC = "valid-accuracy"
PRIOR_BATCH = 8
PRIOR_BUDGET = 192
ENQUEUE = 16
PARTS = {"prior": ("initial", "generator", "surrogate"), "prior-initial": ("initial",),
         "prior-generator": ("generator",), "prior-surrogate": ("surrogate",)}
TRANSNAS_TASKS = ("class_scene", "class_object", "room_layout", "jigsaw", "segmentsemantic", "normal", "autoencoder")


def _nb201_values(dataset: str, epochs: int) -> tuple[Any, dict[str, float]]:
    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    table = ab.benchmarks.NB201(dataset, epochs=epochs).table(METRIC)
    return space, {space.key(a): float(v) for a, v in zip(space.all(), table, strict=True) if np.isfinite(v)}


def prior_file(out: Path, dataset: str, epochs: int, seed: int) -> Path:
    """The exported prior search (gzipped once committed: Prior reads ``.jsonl.gz`` as ``.jsonl``)."""
    path = out / f"nb201-{dataset}-{epochs}ep-seed{seed}.jsonl"
    gz = path.with_name(path.name + ".gz")
    return gz if gz.exists() else path


def run_prior(dataset: str, epochs: int, seed: int, out: str) -> dict:
    """One finished 192-query default search (8 at a time), exported as JSON lines."""
    import agnet_bo as ab

    space, values = _nb201_values(dataset, epochs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = ab.Optimizer(space, {METRIC: "maximize"}, seed=seed)
        while len(opt.trials) < PRIOR_BUDGET:
            for t in opt.ask(PRIOR_BATCH):
                opt.tell(t, values[t.key])
    path = prior_file(Path(out), dataset, epochs, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    opt.export(path)
    return {"dataset": dataset, "epochs": epochs, "seed": seed, "best": opt.best_trial.values[METRIC],
            "seconds": time.perf_counter() - start, "file": str(path)}


def _prior_seed(seed: int, n_prior_seeds: int) -> int:
    return 100 + seed % n_prior_seeds


def nb201_prior(space: Any, target: str, seed: int, prior_from: str, priors_dir: str, n_prior_seeds: int) -> Any:
    """The prior of one NB201 target run, read from the exported prior searches."""
    import agnet_bo as ab

    s = _prior_seed(seed, n_prior_seeds)
    out = Path(priors_dir)
    if prior_from == "12ep":
        files = [(prior_file(out, target, 12, s), f"{target}-12ep")]
    else:
        files = [(prior_file(out, d, 200, s), d) for d in DATASETS if d != target]
    prior = ab.Prior(space=space)
    for path, name in files:
        prior.add_source(path, name=name, objectives={METRIC: "maximize"})
    if prior_from in ("negated", "random"):  # the same architectures, with misleading values
        _, target_values = _nb201_values(target, 200)
        rng = np.random.default_rng([seed, 5])
        tasks = []
        for t in prior.tasks:
            if prior_from == "negated":  # the target's own objective, negated
                new = -np.array([target_values[space.key(a)] for a in t.archs])
            else:
                new = rng.normal(size=len(t.archs))
            tasks.append(ab.prior.PriorTask(f"{t.name}-{prior_from}", t.archs, {METRIC: new}, t.objectives))
        prior = ab.Prior(tasks, space=space)
    return prior


def optimum_positions(priors_dir: str = "bench/results/transfer_priors", n_prior_seeds: int = 5) -> str:
    """Where each NAS-Bench-201 target's validation optimum stands in each prior's own order: its
    position in the zero-shot average-rank order of the prior (what ``zeroshot`` and ``enqueue``
    follow) and in each prior task's order, for every prior seed. A method that trusts the prior
    reaches the optimum no sooner than this position unless the target's own results move it up."""
    space, _ = _nb201_values("cifar10", 200)
    out = ["| target | prior | position of the target's optimum in the zero-shot order (per prior seed) | in each prior task's order |",
           "|---|---|---|---|"]
    for prior_from in ("others", "12ep"):
        for target in DATASETS:
            _, values = _nb201_values(target, 200)
            best = max(values, key=values.__getitem__)
            zs, per_task = [], {}
            for seed in range(n_prior_seeds):
                prior = nb201_prior(space, target, seed, prior_from, priors_dir, n_prior_seeds)
                order = [k for k, _, _ in prior.keyed_ranked(space)]
                zs.append(str(order.index(best) + 1) if best in order else "-")
                for t in prior.tasks:
                    ks = [space.key(space.simplify(a)) for a in t.archs]
                    ranked = [ks[j] for j in np.argsort(-np.asarray(t.quantiles()), kind="stable")]
                    per_task.setdefault(t.name, []).append(str(ranked.index(best) + 1) if best in ranked else "-")
            tasks = "; ".join(f"{name}: {' / '.join(v)}" for name, v in per_task.items())
            out.append(f"| {target} | {prior_from} | {' / '.join(zs)} | {tasks} |")
    manifest = Path(priors_dir) / "MANIFEST.json"
    commit = json.loads(manifest.read_text()).get("commit") if manifest.exists() else None
    out.append(f"\nRead from the prior searches in {priors_dir} (made at {commit or 'no recorded commit'}, "
               f"{manifest.name if manifest.exists() else 'no manifest'}), not from result rows.")
    return "\n".join(out)


def search(space: Any, values: dict[str, float], method: str, seed: int, budget: int, q: int, prior: Any) -> tuple[list[float], list[str], dict]:
    """One search of ``budget`` queries; the values and keys in query order, and its settings."""
    import agnet_bo as ab

    trace: list[float] = []
    keys: list[str] = []
    config: dict[str, Any] = {"method": method, "budget": budget, "q": q}
    if method == "zeroshot":
        order = [space.key(a) for a, _ in prior.ranked(space)]
        order = [k for k in order if k in values]
        rest = [k for k in values if k not in set(order)]
        _random.Random(seed).shuffle(rest)
        keys = (order + rest)[:budget]
        return [values[k] for k in keys], keys, config
    kwargs: dict[str, Any] = {}
    name, _, overrides = method.partition(":")
    for item in filter(None, overrides.split(",")):  # e.g. "prior:n_initial=8,prior_initial=6"
        k, _, v = item.partition("=")
        kwargs[k] = json.loads(v)
    if name in PARTS:
        kwargs.update({"prior": prior, "prior_parts": PARTS[name]})
        config["prior_parts"] = list(PARTS[name])
    config["overrides"] = {k: v for k, v in kwargs.items() if k not in ("prior", "prior_parts")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = ab.Optimizer(space, {METRIC: "maximize"}, seed=seed, **kwargs)
        if name == "enqueue":
            opt.enqueue(prior.design(space, ENQUEUE, min_distance=0))
        config.update({"n_initial": opt.n_initial, "pool_size": opt.pool_size, "prior_initial": opt.strategy.prior_initial,
                       "surrogate": repr(opt.surrogate)})
        while len(trace) < budget:
            for t in opt.ask(min(q, budget - len(trace))):
                v = values[t.key]
                opt.tell(t, {METRIC: v})
                trace.append(v)
                keys.append(t.key)
    if opt.surrogate is not None and getattr(opt.surrogate, "weights_", None) is not None:
        config["final_weights"] = opt.surrogate.weights_
    return trace, keys, config


def run_nb201(dataset: str, method: str, seed: int, budget: int, prior_from: str, priors_dir: str, n_prior_seeds: int, q: int = 1) -> dict:
    from bench.core import provenance

    space, values = _nb201_values(dataset, 200)
    prior = nb201_prior(space, dataset, seed, prior_from, priors_dir, n_prior_seeds) if method != "none" else None
    start = time.perf_counter()
    trace, keys, config = search(space, values, method, seed, budget, q, prior)
    best_key = max(values, key=values.__getitem__)
    return {
        "bench": "nb201", "task": dataset if q == 1 else f"{dataset} q={q}", "method": method, "prior_from": prior_from, "seed": seed,
        "prior_seed": _prior_seed(seed, n_prior_seeds) if prior is not None else None,
        "prior_tasks": None if prior is None else {t.name: len(t) for t in prior.tasks},
        "trace": trace, "hit": keys.index(best_key) + 1 if best_key in keys else None,
        "best": values[best_key], "median": float(np.median(list(values.values()))),
        "seconds": time.perf_counter() - start, "config": config, **provenance(),
    }


def run_transnas(kind: str, task: str, method: str, prior_kind: str, seed: int, budget: int, q: int) -> dict:
    """Leave ``task`` out: the prior is the table of one other task (``prior_kind="one"``: the next
    task in :data:`TRANSNAS_TASKS`) or of all six others."""
    import agnet_bo as ab
    from bench import suite, suite_tasks
    from bench.core import provenance

    t = suite.Task(f"transnas-{kind}-{task}", f"transnas-{kind}-{task}", "candidates", budget, q)
    space, values = suite.build(t)
    prior = None
    others: list[str] = []
    if method != "none":
        i = TRANSNAS_TASKS.index(task)
        others = [TRANSNAS_TASKS[(i + 1) % len(TRANSNAS_TASKS)]] if prior_kind == "one" else [x for x in TRANSNAS_TASKS if x != task]
        prior = ab.Prior(space=space)
        for other in others:
            data = suite_tasks.load(f"transnas-{kind}-{other}")
            keep = [j for j, a in enumerate(data.archs) if space.is_valid(a)]
            prior.add([data.archs[j] for j in keep], {"valid": [data.values["valid"][j] for j in keep]}, name=other)
    start = time.perf_counter()
    trace, keys, config = search_generic(space, values, method, seed, budget, q, prior)
    best_key = max(values, key=values.__getitem__)
    return {
        "bench": "transnas", "task": f"{kind}-{task}", "method": method, "prior_from": prior_kind if prior else None,
        "prior_tasks": others, "seed": seed, "trace": trace, "hit": keys.index(best_key) + 1 if best_key in keys else None,
        "best": values[best_key], "median": float(np.median(list(values.values()))),
        "seconds": time.perf_counter() - start, "config": config, **provenance(),
    }


def search_generic(space: Any, values: dict[str, float], method: str, seed: int, budget: int, q: int, prior: Any) -> tuple[list[float], list[str], dict]:
    global METRIC
    saved, METRIC = METRIC, "valid"
    try:
        return search(space, values, method, seed, budget, q, prior)
    finally:
        METRIC = saved


def _regret(r: dict, n: int) -> float:
    found = max(r["trace"][:n])
    return (r["best"] - found) / max(r["best"] - r["median"], 1e-12)


def report(rows: list[dict], at: Sequence[int] = (16, 48, 96)) -> str:
    """The tables of transfer rows (NAS-Bench-201 and TransNAS): per task, prior and method, the
    share of seeds at the optimum by each of ``at`` queries, the median queries to the optimum and
    the mean normalised regret; for TransNAS also the mean over tasks and the worst task's
    difference to the search without a prior."""
    from bench.core import printed

    return printed(_print_report, rows, list(at))


def _print_report(rows: list[dict], at: list[int]) -> None:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["bench"], r["task"], str(r.get("prior_from")), r["method"]), []).append(r)
    print("| bench | task | prior | method | seeds | " + " | ".join(f"optimum by {n}" for n in at) + " | median queries to optimum | "
          + " | ".join(f"regret @{n}" for n in at) + " | commits |")
    print("|" + "---|" * (7 + 2 * len(at)))
    for (bench, task, pf, method), rs in sorted(groups.items()):
        hits = [r["hit"] if r["hit"] is not None else math.inf for r in rs]
        share = [f"{100 * np.mean([h <= n for h in hits]):.0f}%" for n in at]
        med = float(np.median(hits))
        reg = [f"{np.mean([_regret(r, n) for r in rs]):.3f}" for n in at]
        commits = ",".join(sorted({str(r.get("commit"))[:7] for r in rs}))
        print(f"| {bench} | {task} | {pf} | {method} | {len(rs)} | " + " | ".join(share)
              + f" | {'>' + str(max(len(r['trace']) for r in rs)) if math.isinf(med) else int(med)} | " + " | ".join(reg) + f" | {commits} |")
    if any(r["bench"] == "transnas" for r in rows):
        print()
        n_tasks = len({task for bench, task, _, _ in groups if bench == "transnas"})
        print(f"TransNAS mean normalised regret over the {n_tasks} task{'s' if n_tasks != 1 else ''} "
              "(and the worst task's difference to `none`):")
        by: dict[tuple, dict[str, list[float]]] = {}
        for (bench, task, pf, method), rs in groups.items():
            if bench != "transnas":
                continue
            for n in at:
                by.setdefault((pf, method, n), {})[task] = [_regret(r, n) for r in rs]
        base = {n: by.get(("None", "none", n), {}) for n in at}
        print("| prior | method | " + " | ".join(f"regret @{n}" for n in at) + " | " + " | ".join(f"worst vs none @{n}" for n in at) + " |")
        print("|" + "---|" * (2 + 2 * len(at)))
        for (pf, method) in sorted({(k[0], k[1]) for k in by}):
            means = [np.mean([np.mean(v) for v in by[(pf, method, n)].values()]) for n in at]
            worst = []
            for n in at:
                diffs = [np.mean(v) - np.mean(base[n][t]) for t, v in by[(pf, method, n)].items() if t in base[n]]
                worst.append(max(diffs) if diffs else float("nan"))
            print(f"| {pf} | {method} | " + " | ".join(f"{x:.3f}" for x in means) + " | " + " | ".join(f"{x:+.3f}" for x in worst) + " |")
