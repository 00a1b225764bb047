"""The benchmark suite: search methods on many spaces, not NAS-Bench-201 alone (issue 24).

    python -m bench run suite --seeds 5 --workers 2 --raw bench/results/mine.jsonl
    python -m bench report suite bench/results/suite_rerun.jsonl
    python -m bench same OLD.jsonl NEW.jsonl --method agnet   # same picks, run by run?

The ``suite`` family of ``python -m bench`` (``bench/registry.py``). ``run`` searches every task
(:data:`SUITE`) with every method (``--methods``; names and overrides as in ``agnet-bo compare``,
e.g. ``agnet:pool_size=500``; ``--config NAME=JSON`` adds a method made of Optimizer keyword
arguments on top of the defaults; ``--set budget=40`` caps every budget, ``--set batch=1`` asks
one at a time) for ``--seeds`` seeds. A ``--config`` may also set ``model_subset`` (the
:class:`agnet_bo.strategy.Strategy` setting of the same name). ``report`` prints, per task, the mean normalised regret and the share of seeds at the optimum at
25 / 50 / 100 % of the budget (or at the query counts ``--at``), the median number of queries to reach the optimum, then the
aggregate: mean normalised regret over tasks and the mean rank of each method.

Every task is tabular (``bench/suite_tasks.py``, data in ``bench/data`` and in the package), so a
run trains nothing: it scores the search, by the validation value the search saw. Normalised
regret is ``(best - found) / (best - median)`` over the task's table: 0 at the optimum, 1 at a
typical architecture.

The tasks, by how the space is given to the optimizer:

* the built-in ``NB201Space`` with the bundled tables (3 datasets at 200 epochs, CIFAR-100 at 12);
* NAS-Bench-201 re-expressed as a free-edge, constrained ``DAGSpace`` (``none`` edges dropped,
  dead nodes pruned; 8,764 DAGs), with a ``sampler`` that draws them as a user would write it;
* candidate lists (``CandidateSpace``): NAS-Bench-101's 292 cells, NAS-Bench-301's 725 DARTS
  cells, NAS-Bench-NLP's 263 recurrent cells, TransNAS-Bench-101 micro and macro tasks;
* small chain spaces (27, 64, 125 and 256 architectures) scored through a fixed map to
  NAS-Bench-201 cells, searched to exhaustion.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

METHODS = ("agnet", "bananas", "evolution", "local", "random")
CHECKPOINTS = (0.25, 0.5, 1.0)


@dataclass(frozen=True)
class Task:
    """A search task: which data, how the space is given, the budget and the batch size."""

    name: str
    data: str  # bench/suite_tasks.py name, or "nb201:<dataset>:<epochs>"
    kind: str  # "nb201", "dag", "candidates", "chain"
    budget: int
    q: int


SUITE: tuple[Task, ...] = (
    Task("nb201-c10", "nb201:cifar10:200", "nb201", 100, 8),
    Task("nb201-c100", "nb201:cifar100:200", "nb201", 100, 8),
    Task("nb201-in16", "nb201:ImageNet16-120:200", "nb201", 100, 8),
    Task("nb201-c100-12ep", "nb201:cifar100:12", "nb201", 100, 8),
    Task("nb201-dag-c10", "nb201-dag-cifar10", "dag", 100, 8),
    Task("nb101", "nb101-cifar10", "candidates", 60, 6),
    Task("nb301", "nb301-cifar10", "candidates", 60, 6),
    Task("nlp", "nlp-wikitext2", "candidates", 60, 6),
    Task("transnas-micro-scene", "transnas-micro-class_scene", "candidates", 60, 6),
    Task("transnas-macro-jigsaw", "transnas-macro-jigsaw", "candidates", 60, 6),
    Task("chain-27", "chain-3x3", "chain", 27, 1),
    Task("chain-64", "chain-4x3", "chain", 64, 2),
    Task("chain-125", "chain-5x3", "chain", 125, 4),
    Task("chain-256", "chain-4x4", "chain", 256, 4),
)
TASKS = {t.name: t for t in SUITE}


def build(task: Task):  # type: ignore[no-untyped-def]
    """``(space, {key: validation value})`` of a task."""
    import agnet_bo as ab

    if task.kind == "nb201":
        _, dataset, epochs = task.data.split(":")
        space = ab.spaces.NB201Space()
        bench = ab.benchmarks.NB201(dataset, epochs=int(epochs))
        values = bench.table("valid-accuracy")
        return space, {space.key(a): float(v) for a, v in zip(space.all(), values, strict=True) if np.isfinite(v)}
    from bench import suite_tasks

    data = suite_tasks.load(task.data)
    if task.kind == "candidates":
        space = ab.spaces.CandidateSpace(data.archs, base=data.base_space, name=task.name)
    elif task.kind == "dag":
        free = suite_tasks.nb201_free_space()
        cells = ab.spaces.NB201Space()

        def nb201_dag(rng: np.random.Generator) -> ab.Architecture:
            """What a user would write: a random NB201 cell with its 'none' edges dropped."""
            while True:
                dag = suite_tasks.nb201_cell_to_dag(cells.from_index(int(rng.integers(15625))), free)
                if dag is not None:
                    return dag

        base = data.base_space
        space = ab.spaces.DAGSpace(
            base.ops, num_nodes=(base.min_nodes, base.max_nodes), constraint=base.constraint, sampler=nb201_dag,
            name=task.name,
        )
    else:
        space = data.base_space
    return space, {space.key(a): float(v) for a, v in zip(data.archs, data.values["valid"], strict=True)}


def run_one(
    task_name: str, method: str, seed: int, config: dict | None = None, batch: int | None = None,
    budget: int | None = None,
) -> dict:
    """One search; the validation value of every query in order.

    ``config`` (a ``--config`` method) replaces ``method``'s settings: Optimizer keyword
    arguments on top of the defaults. ``batch`` replaces the task's batch size (the run is
    recorded as method ``"<method> q=<batch>"``; ``1`` is a loop that tells each result before
    its next ask). ``budget`` caps the task's budget (the row records the cap).
    """
    import agnet_bo as ab
    from agnet_bo.experiment import optimizer_settings, parse_method

    task = TASKS[task_name]
    n_queries = task.budget if budget is None else min(task.budget, budget)
    space, values = build(task)
    settings = dict(config) if config is not None else parse_method(method)
    subset_rule = settings.pop("model_subset", None)  # a Strategy setting, not an Optimizer argument
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = ab.Optimizer(space, {"valid": "maximize"}, seed=seed, **optimizer_settings(settings, space, seed))
        if subset_rule is not None:
            opt.strategy.model_subset = subset_rule
        trace: list[float] = []
        error = None
        try:
            q = task.q if batch is None else batch
            while len(trace) < n_queries:
                for t in opt.ask(min(q, n_queries - len(trace))):
                    v = values[t.key]
                    opt.tell(t, v)
                    trace.append(v)
        except Exception as exc:  # recorded, so the report shows it instead of a missing row
            error = f"{type(exc).__name__}: {exc}"
    from bench.core import provenance

    return {
        "task": task_name, "method": method if batch is None else f"{method} q={batch}", "seed": seed, "trace": trace,
        "error": error,
        "seconds": time.perf_counter() - start, "keys_unique": len({t.key for t in opt.trials}) == len(opt.trials),
        "config": {**settings, **({"model_subset": subset_rule} if subset_rule else {})}, "batch": q,
        "budget_cap": budget, "max_model_trials": opt.max_model_trials, **provenance(),
    }


def _task_stats(task: Task) -> tuple[float, float]:
    _, values = build(task)
    v = np.array(list(values.values()))
    return float(v.max()), float(np.median(v))


def _rank(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, method="average")


def report(records: Sequence[dict], methods: Sequence[str] | None = None, at: Sequence[int] | None = None) -> str:
    """The suite's tables as markdown, at 25 / 50 / 100 % of each budget or at the query counts ``at``
    (capped at a task's budget)."""
    by: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        by.setdefault((r["task"], r["method"]), []).append(r)
    methods = list(methods or dict.fromkeys(r["method"] for r in records))
    tasks = [t for t in SUITE if any((t.name, m) in by for m in methods)]
    points: tuple[float, ...] = tuple(at) if at else CHECKPOINTS
    names = [f"{p}" for p in points] if at else [f"{p:.0%}".replace("%", " %") for p in points]

    def n_at(point: float, task: Task) -> int:
        return min(task.budget, int(point)) if at else max(1, round(point * task.budget))

    head = " | ".join(names[1:])
    out = [f"| task | method | seeds | regret {names[0]} | {head} | at optimum {names[0]} | {head} | median queries to optimum | errors | wall s (median) |",
           "|---|---|---:|" + "---:|" * (2 * len(points) + 3)]
    agg: dict[str, dict[float, list[float]]] = {m: {c: [] for c in points} for m in methods}
    ranks: dict[str, dict[float, list[float]]] = {m: {c: [] for c in points} for m in methods}
    below_random: list[str] = []
    for task in tasks:
        best, median = _task_stats(task)
        scale = max(best - median, 1e-12)
        means: dict[float, list[float]] = {c: [] for c in points}
        per_method: dict[str, dict[float, np.ndarray]] = {}
        for m in methods:
            runs = by.get((task.name, m), [])
            if not runs:
                for c in points:
                    means[c].append(np.nan)
                continue
            cells = []
            per_method[m] = {}
            for c in points:
                found = np.array([max(r["trace"][: n_at(c, task)], default=-np.inf) for r in runs])
                reg = np.clip((best - found) / scale, 0, None)
                per_method[m][c] = reg
                agg[m][c].append(float(reg.mean()))
                means[c].append(float(reg.mean()))
                cells.append(reg)
            hits = [np.mean([max(r["trace"][: n_at(c, task)], default=-np.inf) >= best for r in runs]) for c in points]
            qto = [next((i + 1 for i, v in enumerate(r["trace"]) if v >= best), np.inf) for r in runs]
            med = np.median(qto)
            errors = sum(r["error"] is not None or not r.get("keys_unique", True) for r in runs)
            out.append(
                f"| {task.name} | {m} | {len(runs)} | " + " | ".join(f"{x.mean():.3f}" for x in cells) + " | "
                + " | ".join(f"{h:.0%}" for h in hits) + f" | {'>' + str(len(runs[0]['trace'])) if not np.isfinite(med) else f'{med:.0f}'} | {errors} | "
                f"{np.median([r['seconds'] for r in runs]):.0f} |"
            )
        for c in points:
            row = np.array(means[c])
            ok = np.isfinite(row)
            r = np.full(len(methods), np.nan)
            r[ok] = _rank(row[ok])
            for m, v in zip(methods, r, strict=True):
                if np.isfinite(v):
                    ranks[m][c].append(float(v))
        if "random" in per_method:
            for m in per_method:
                if m == "random":
                    continue
                for c, name in list(zip(points, names, strict=True))[-2:]:
                    if per_method[m][c].mean() > per_method["random"][c].mean():
                        below_random.append(f"{m} on {task.name} at {name}")
    where = "the query counts " + " / ".join(names) + " (capped at each budget)" if at else " / ".join(names) + " of each budget"
    out += ["", f"Aggregate over {len(tasks)} tasks: mean normalised regret and mean rank (1 = best) at {where}.", "",
            f"| method | regret {names[0]} | {head} | rank {names[0]} | {head} | mean rank |", "|---|" + "---:|" * (2 * len(points) + 1)]
    for m in methods:
        reg = [np.mean(agg[m][c]) if agg[m][c] else np.nan for c in points]
        rk = [np.mean(ranks[m][c]) if ranks[m][c] else np.nan for c in points]
        out.append(f"| {m} | " + " | ".join(f"{x:.3f}" for x in reg) + " | " + " | ".join(f"{x:.2f}" for x in rk) + f" | {np.nanmean(rk):.2f} |")
    out += ["", f"Worse than random search (mean regret) at {' or '.join(names[-2:])}: " + (", ".join(below_random) if below_random else "none") + "."]
    return "\n".join(out)
