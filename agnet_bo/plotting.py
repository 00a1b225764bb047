"""Plots of searches (matplotlib, drawn off-screen).

Of any search — an :class:`agnet_bo.Optimizer` or its exported history (``opt.records()``,
``opt.trials_dataframe()``, or the ``.csv`` / ``.jsonl`` file of ``opt.export(path)``):
:func:`plot_history` (values and best so far per trial), :func:`plot_front` (two objectives,
the front and its hypervolume) and :func:`plot_operations` (the operations of the best
architectures). They return a matplotlib ``Axes`` and never show a window.

Of :mod:`agnet_bo.experiment` runs: :func:`plot_run` (one run's anytime curve or Pareto front)
and :func:`plot_compare` (the comparison of methods), saved as PNG files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agnet_bo._validation import check_int, is_number
from agnet_bo.architecture import INPUT, OUTPUT
from agnet_bo.exceptions import InputError, unknown_name
from agnet_bo.objectives import DIRECTIONS
from agnet_bo.pareto import hypervolume, pareto_mask, reference_point

__all__ = ["plot_history", "plot_front", "plot_operations", "plot_run", "plot_compare"]


def _pyplot() -> Any:
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        # A script or the CLI: draw off-screen, never open a window. Where pyplot is in use
        # already (a notebook, an interactive session) its backend stays: switching would close
        # the user's open figures.
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_run(
    result: Any, summary: Mapping[str, Any], path: str | os.PathLike[str], true_front: np.ndarray | None = None
) -> None:
    """Save a run's plot as PNG.

    One objective: best objective so far vs queries (with the optimum as a dashed line) and,
    below, the report metric of that architecture. Two or more objectives: the
    evaluated points, the front found and the true front of the first two objectives, and the
    hypervolume fraction vs queries.

    Args:
        result: The :class:`~agnet_bo.experiment.RunResult`.
        summary: :func:`~agnet_bo.experiment.summarize`'s output for it.
        path: The PNG file.
        true_front: With several objectives, the benchmark's true front (``k x 2``, the first two
            objectives, maximisation sense: minimised ones negated); not drawn when ``None``.
    """
    plt = _pyplot()
    config = result.config
    curve = summary["curve"]
    q = np.array([r["query"] for r in curve])
    objs = list(config.objectives)
    title = f"{config.benchmark} {config.dataset}, {config.method}, seed {config.seed}"
    if len(objs) == 1:
        n_panels = 2 if config.report else 1
        fig, axes = plt.subplots(n_panels, 1, figsize=(6.4, 2.6 + 1.9 * n_panels), sharex=True, constrained_layout=True, squeeze=False)
        ax = axes[0, 0]
        best = np.array([r[f"best {objs[0]}"] for r in curve], dtype=float)
        ax.plot(q, best, color="C0", label=f"best {objs[0]} so far")
        opt = summary["summary"].get("optimum")
        if opt is not None and np.isfinite(opt):
            ax.axhline(opt, color="k", ls="--", lw=1, label=f"optimum {opt:.2f}")
        ax.set_ylabel(objs[0])
        ax.legend(loc="lower right")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if config.report:
            ax2 = axes[1, 0]
            rep = np.array([r[f"{config.report[0]} of best"] for r in curve], dtype=float)
            ax2.plot(q, rep, color="C1", label=f"{config.report[0]} of the best by {objs[0]}")
            ax2.set_ylabel(config.report[0])
            ax2.legend(loc="lower right")
            ax2.grid(alpha=0.3)
        axes[-1, 0].set_xlabel("queries (architectures evaluated)")
    else:
        sign = np.array([1.0 if config.objectives[m] == "maximize" else -1.0 for m in objs])
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
        V = result.values[:, :2]
        a1.scatter(V[:, 1], V[:, 0], s=8, color="0.7", label="evaluated")
        if true_front is not None and len(true_front):
            true = np.asarray(true_front)
            order = np.argsort(true[:, 1])
            a1.step(true[order, 1] * sign[1], true[order, 0] * sign[0], where="post", color="k", lw=1, label="true front")
        front = summary["summary"].get("front", [])
        if front:
            F = np.array([[f[objs[0]], f[objs[1]]] for f in front])
            a1.scatter(F[:, 1], F[:, 0], s=22, color="C3", label="front found", zorder=3)
        if len(V):  # keep the interesting part: chance-level cells would squash the front
            a1.set_ylim(bottom=np.nanpercentile(V[:, 0], 5) - 0.05 * (np.nanmax(V[:, 0]) - np.nanmin(V[:, 0])))
        a1.set_xlabel(objs[1])
        a1.set_ylabel(objs[0])
        a1.legend(loc="best")
        a1.set_title(title)
        a1.grid(alpha=0.3)
        hv = np.array([r["hypervolume fraction"] for r in curve])
        a2.plot(q, hv, color="C0")
        a2.set_xlabel("queries (architectures evaluated)")
        a2.set_ylabel("hypervolume / true front's")
        a2.set_ylim(max(0.0, hv.min() - 0.05), 1.01)
        a2.grid(alpha=0.3)
        a2.set_title("hypervolume of the front found")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_compare(results: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], *, ylabel: str = "validation regret") -> None:
    """Mean best-so-far regret ± standard error vs queries, one panel per dataset, one line per method.

    The regret axis is logarithmic down to the smallest positive mean regret and linear below it
    (matplotlib's ``symlog``), so curves that reach a regret of 0 (every seed at the optimum)
    end on a visible 0 line instead of falling off a log axis.
    """
    plt = _pyplot()
    datasets = list(dict.fromkeys(r["dataset"] for r in results))
    methods = list(dict.fromkeys(r["method"] for r in results))
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.2 * len(datasets), 4.2), constrained_layout=True, squeeze=False)
    for ax, d in zip(axes[0], datasets, strict=False):
        floor = np.inf
        for k, m in enumerate(methods):
            rs = [r for r in results if r["dataset"] == d and r["method"] == m]
            if not rs:
                continue
            n = min(len(r["regret"]) for r in rs)
            R = np.array([r["regret"][:n] for r in rs], dtype=float)
            mean = R.mean(0)
            se = R.std(0, ddof=1) / np.sqrt(len(rs)) if len(rs) > 1 else np.zeros(n)
            x = np.arange(1, n + 1)
            ax.plot(x, mean, color=f"C{k}", label=f"{m} ({len(rs)} seeds)")
            ax.fill_between(x, np.maximum(mean - se, 0.0), mean + se, color=f"C{k}", alpha=0.2)
            pos = mean[mean > 0]
            if len(pos):
                floor = min(floor, pos.min())
        ax.set_yscale("symlog", linthresh=float(floor) if np.isfinite(floor) else 1.0, linscale=0.5)
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("queries (architectures evaluated)")
        ax.set_ylabel(f"{ylabel} (mean ± s.e.)")
        ax.set_title(d)
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="upper right", fontsize="small")
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- plots of any search: an Optimizer or its exported history ------------------------------------

_FILE_KINDS = (".csv", ".jsonl")
_SOURCE_HINT = (
    "Pass an agnet_bo.Optimizer, its opt.records() rows (a list of dicts), opt.trials_dataframe(), "
    "or the path of a .csv / .jsonl file written by opt.export(path)."
)


@dataclass
class _History:
    """A search's history, whatever it came from: one entry per trial, in trial order."""

    origin: str  # for messages: "the optimizer", "the records", "trials.csv"
    ids: np.ndarray  # trial numbers
    states: list[str]  # "COMPLETE", "PRUNED", "FAIL", "PENDING"
    values: dict[str, np.ndarray]  # metric -> float per trial (NaN where missing)
    objectives: dict[str, str] = field(default_factory=dict)  # known directions (an optimizer's)
    constraints: dict[str, tuple[str, float]] = field(default_factory=dict)
    ops: list[tuple[str, ...]] | None = None  # per trial, without input/output (an optimizer's)
    vocabulary: tuple[str, ...] | None = None  # the space's operations, where it lists them
    arch_texts: list[Any] = field(default_factory=list)  # the `arch` column (records)

    @property
    def metrics(self) -> list[str]:
        return list(self.values)

    def complete(self, metrics: Sequence[str]) -> np.ndarray:
        """Mask of the complete trials with a finite value of every metric in ``metrics``."""
        ok = np.array([s == "COMPLETE" for s in self.states], dtype=bool)
        for m in metrics:
            ok &= np.isfinite(self.values[m])
        return ok

    def feasible(self) -> np.ndarray:
        """Mask of the trials meeting the optimizer's constraints (all ``True`` without any)."""
        ok = np.ones(len(self.ids), dtype=bool)
        for name, (op, bound) in self.constraints.items():
            v = self.values[name]
            with np.errstate(invalid="ignore"):
                ok &= (v <= bound) if op == "<=" else (v >= bound)
        return ok


def _load(source: Any) -> _History:
    """Read any accepted source into a :class:`_History`."""
    opt_module = sys.modules.get("agnet_bo.optimizer")  # an Optimizer exists only if its module was imported
    if opt_module is not None and isinstance(source, opt_module.Optimizer):
        hist = _from_rows(source.records(), "the optimizer")
        hist.objectives = dict(source.objectives)
        hist.constraints = dict(source.constraints)
        hist.ops = [tuple(o for o in t.arch.ops if o not in (INPUT, OUTPUT)) for t in source.trials]
        vocab = getattr(source.space, "ops", None)
        if isinstance(vocab, (tuple, list)) and vocab and all(isinstance(o, str) for o in vocab):
            hist.vocabulary = tuple(vocab)
        return hist
    if isinstance(source, (str, os.PathLike)):
        return _from_rows(_read_file(Path(source)), Path(source).name)
    if hasattr(source, "to_dict") and hasattr(source, "columns"):  # a pandas DataFrame (trials_dataframe())
        return _from_rows(source.to_dict("records"), "the DataFrame")
    if isinstance(source, Sequence) and not isinstance(source, (bytes, bytearray)):
        return _from_rows(source, "the records")
    raise InputError(f"Cannot read a search history from {type(source).__name__} {source!r:.80}. {_SOURCE_HINT}")


def _read_file(path: Path) -> list[dict[str, Any]]:
    if path.suffix not in _FILE_KINDS:
        raise InputError(
            f"A history file is .csv or .jsonl (as written by opt.export(path)), got {path.name!r}. "
            "Export the search with opt.export('trials.csv') and pass that path."
        )
    if not path.is_file():
        raise InputError(f"No history file at {str(path)!r}. Write one with opt.export({str(path)!r}) first.")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        return list(csv.DictReader(io.StringIO(text)))
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"Line {n} of {path.name!r} is not JSON ({exc.msg}); is it a file written by opt.export()?") from None
        rows.append(row)
    return rows


def _number(value: Any, column: str, row: int, origin: str) -> float:
    """A value cell as a float; empty cells (``None``, ``""``, NaN) are NaN."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"Row {row} of {origin}: {column!r} must be a number, got {value!r}.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"Row {row} of {origin}: {column!r} must be a number or empty, got {value!r}.") from None


def _from_rows(rows: Any, origin: str) -> _History:
    rows = list(rows)
    if not rows:
        raise InputError(f"{origin} holds no trials: there is nothing to plot yet (ask and tell some trials first).")
    bad = next((r for r in rows if not isinstance(r, Mapping)), None)
    if bad is not None:
        raise InputError(
            f"A history is a list of dicts (one per trial, as opt.records() returns), but {origin} holds a "
            f"{type(bad).__name__}: {bad!r:.80}. {_SOURCE_HINT}"
        )
    columns = list(dict.fromkeys(k for r in rows for k in r))
    metrics = [c[len("value:"):] for c in columns if isinstance(c, str) and c.startswith("value:")]
    if not metrics:
        raise InputError(
            f"{origin} has no 'value:<metric>' column (columns: {columns[:12]}). A history has the columns "
            f"id, state, source, round, arch, key, value:<metric>..., info:<name>... {_SOURCE_HINT}"
        )
    values = {m: np.array([_number(r.get(f"value:{m}"), f"value:{m}", i, origin) for i, r in enumerate(rows)]) for m in metrics}
    ids = []
    for i, r in enumerate(rows):
        raw = r.get("id", i)
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise InputError(f"Row {i} of {origin}: 'id' must be a trial number, got {raw!r}.") from None
    states = []
    for i, r in enumerate(rows):
        state = r.get("state")
        if state is None or (isinstance(state, str) and not state.strip()):  # no column: told rows have values
            state = "COMPLETE" if any(np.isfinite(values[m][i]) for m in metrics) else "PENDING"
        states.append(str(getattr(state, "value", state)).strip().upper())
    return _History(origin, np.array(ids, dtype=int), states, values, arch_texts=[r.get("arch") for r in rows])


def _metric(hist: _History, metric: Any, what: str = "metric") -> str:
    """The metric to plot: ``metric`` if given (checked), else the single objective / value column."""
    if metric is None:
        names = list(hist.objectives) or hist.metrics
        if len(names) == 1:
            return names[0]
        kind = "objectives" if hist.objectives else "'value:' columns"
        raise InputError(
            f"{hist.origin} has {len(names)} {kind} ({', '.join(map(repr, names))}); say which to plot: "
            f"{what}={names[0]!r}."
        )
    if not isinstance(metric, str) or metric not in hist.values:
        raise unknown_name(
            what, metric, hist.metrics,
            hint=f"These are the 'value:<metric>' columns of {hist.origin}: "
            + ", ".join(f"value:{m}" for m in hist.metrics) + ".",
        )
    return metric


def _direction(hist: _History, metric: str, direction: Any, name: str = "direction") -> str:
    """``direction`` if given (checked), else the optimizer's, else guessed from the name (maximise
    unless it reads like a cost)."""
    if direction is not None:
        if direction not in DIRECTIONS:
            raise InputError(f"`{name}` must be 'maximize' or 'minimize' (for {metric!r}), got {direction!r}.")
        return str(direction)
    if metric in hist.objectives:
        return hist.objectives[metric]
    from agnet_bo.benchmarks.base import infer_direction

    return "minimize" if infer_direction(metric) == "minimize" else "maximize"


def _nothing_to_plot(hist: _History, metrics: Sequence[str]) -> InputError:
    counts = {s: hist.states.count(s) for s in dict.fromkeys(hist.states)}
    states = ", ".join(f"{n} {s}" for s, n in counts.items())
    return InputError(
        f"{hist.origin} has no complete trial with a value of {' and '.join(map(repr, metrics))} ({states}); "
        "tell some results first."
    )


def _new_axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
            raise InputError(f"`ax` must be a matplotlib Axes (or None for a new figure), got {type(ax).__name__}.")
        return ax
    plt = _pyplot()
    _, new = plt.subplots(figsize=figsize, constrained_layout=True)
    return new


def plot_history(source: Any, metric: str | None = None, direction: str | None = None, ax: Any = None) -> Any:
    """Every evaluated value against its trial number, with the best value so far.

    Complete trials are dots (hollow where they break the optimizer's constraints), failed trials
    red crosses along the bottom edge; the line is the best (feasible) value after each trial.

    Args:
        source: An :class:`agnet_bo.Optimizer`, its :meth:`~agnet_bo.Optimizer.records` (a list of
            dicts), :meth:`~agnet_bo.Optimizer.trials_dataframe`, or the path of a ``.csv`` /
            ``.jsonl`` file written by :meth:`~agnet_bo.Optimizer.export`.
        metric: The metric to plot. Default: the optimizer's objective, or the history's only
            ``value:<metric>`` column; required when there are several.
        direction: ``"maximize"`` or ``"minimize"``. Default: the optimizer's direction for the
            metric, else ``"maximize"`` unless the name reads like a cost (``latency``, ``loss``,
            ... see :func:`agnet_bo.benchmarks.infer_direction`).
        ax: A matplotlib ``Axes`` to draw into; ``None`` makes a new figure.

    Returns:
        The ``Axes``; the best-so-far line is labelled ``"best so far"``.

    Raises:
        InputError: For a source that is not a history, an unknown metric (the message lists the
            ``value:`` columns), a bad direction, or a history without a complete result.

    Example:
        >>> from agnet_bo.plotting import plot_history
        >>> rows = [{"id": i, "state": "COMPLETE", "value:acc": v} for i, v in enumerate([0.3, 0.5, 0.4])]
        >>> ax = plot_history(rows)
        >>> [line for line in ax.lines if line.get_label() == "best so far"][0].get_ydata().tolist()
        [0.3, 0.5, 0.5]
    """
    hist = _load(source)
    metric = _metric(hist, metric)
    direction = _direction(hist, metric, direction)
    ok = hist.complete([metric])
    if not ok.any():
        raise _nothing_to_plot(hist, [metric])
    feasible = hist.feasible()
    ax = _new_axes(ax, (6.4, 4.0))
    x, y = hist.ids, hist.values[metric]
    good, bad = ok & feasible, ok & ~feasible
    ax.scatter(x[good], y[good], s=14, color="C0", alpha=0.7, label="evaluated", zorder=2)
    if bad.any():
        ax.scatter(x[bad], y[bad], s=14, facecolors="none", edgecolors="C0", alpha=0.7, label="infeasible", zorder=2)
    pruned = np.array([s == "PRUNED" for s in hist.states], dtype=bool) & np.isfinite(y)
    if pruned.any():  # stopped at a lower fidelity: shown, never the best
        ax.scatter(x[pruned], y[pruned], s=10, marker="v", color="0.6", alpha=0.7,
                   label=f"pruned ({int(pruned.sum())})", zorder=1)
    failed = np.array([s == "FAIL" for s in hist.states], dtype=bool)
    if failed.any():
        from matplotlib.transforms import blended_transform_factory

        bottom = blended_transform_factory(ax.transData, ax.transAxes)  # x in trials, y along the edge
        ax.scatter(x[failed], np.full(int(failed.sum()), 0.02), transform=bottom, marker="x", s=24, color="C3",
                   label=f"failed ({int(failed.sum())})", zorder=3, clip_on=False)
    sign = 1.0 if direction == "maximize" else -1.0
    finished = np.array([s in ("COMPLETE", "PRUNED", "FAIL") for s in hist.states], dtype=bool)
    order = np.argsort(x, kind="stable")
    best_x, best_y, best = [], [], -math.inf
    for i in order:
        if good[i] and sign * y[i] > best:
            best = sign * y[i]
        if finished[i] and np.isfinite(best):
            best_x.append(x[i])
            best_y.append(sign * best)
    if best_x:
        ax.step(best_x, best_y, where="post", color="C1", lw=1.8, label="best so far", zorder=4)
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    title = f"{metric} ({direction})"
    if best_x:
        title += f", best {best_y[-1]:.4g}"
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


def _objectives(hist: _History, objectives: Any, directions: Any) -> tuple[list[str], list[str]]:
    """The two objectives of a front and their directions, checked."""
    given_dirs: Any = directions
    if objectives is None:
        names = list(hist.objectives) or hist.metrics
        if len(names) != 2:
            kind = "objectives" if hist.objectives else "'value:' columns"
            raise InputError(
                f"A front needs exactly two objectives, and {hist.origin} has {len(names)} {kind} "
                f"({', '.join(map(repr, names))}). Pass two: objectives=[{', '.join(map(repr, (hist.metrics * 2)[:2]))}]."
            )
    elif isinstance(objectives, Mapping):
        if directions is not None:
            raise InputError("Give the directions once: in `objectives` as a dict name -> direction, or in `directions`.")
        names, given_dirs = list(objectives), list(objectives.values())
    elif isinstance(objectives, Sequence) and not isinstance(objectives, str):
        names = list(objectives)
    else:
        raise InputError(
            f"`objectives` names the two objectives of the front, e.g. ['valid-accuracy', 'latency'] or "
            f"{{'valid-accuracy': 'maximize', 'latency': 'minimize'}}; got {objectives!r}."
        )
    if len(names) != 2:
        raise InputError(f"A front needs exactly two objectives, got {len(names)}: {names!r}. Pass two names, e.g. objectives={hist.metrics[:2]!r}.")
    names = [_metric(hist, n, "objective") for n in names]
    if names[0] == names[1]:
        raise InputError(f"The two objectives of a front must differ, got {names!r}.")
    if given_dirs is None:
        dirs = [_direction(hist, n, None) for n in names]
    elif isinstance(given_dirs, Mapping):
        missing = [n for n in names if n not in given_dirs]
        if missing:
            raise InputError(f"`directions` has no entry for {missing!r}; give one per objective, e.g. {dict.fromkeys(names, 'maximize')!r}.")
        dirs = [_direction(hist, n, given_dirs[n], "directions") for n in names]
    elif isinstance(given_dirs, Sequence) and not isinstance(given_dirs, str) and len(given_dirs) == 2:
        dirs = [_direction(hist, n, d, "directions") for n, d in zip(names, given_dirs, strict=True)]
    else:
        raise InputError(
            f"`directions` gives one 'maximize' / 'minimize' per objective ({names!r}), as a list of two or a dict; got {given_dirs!r}."
        )
    return names, dirs


def plot_front(
    source: Any, objectives: Any = None, directions: Any = None, ax: Any = None, ref_point: Any = None
) -> Any:
    """The evaluated points of two objectives, the non-dominated front found, and its hypervolume.

    The first objective is on the y axis, the second on the x axis (e.g. accuracy against
    latency). The front (non-dominated complete trials, and feasible ones where the optimizer
    has constraints; sorted by :func:`agnet_bo.pareto.pareto_mask`) is drawn as a step line
    through its points, the boundary of the region it dominates; its hypervolume
    (:func:`agnet_bo.pareto.hypervolume`) is in the title.

    Args:
        source: An :class:`agnet_bo.Optimizer`, its :meth:`~agnet_bo.Optimizer.records`,
            :meth:`~agnet_bo.Optimizer.trials_dataframe`, or the path of a ``.csv`` / ``.jsonl``
            file written by :meth:`~agnet_bo.Optimizer.export`.
        objectives: The two metrics, as a list, or a dict name -> ``"maximize"`` / ``"minimize"``.
            Default: the optimizer's two objectives, or the history's two ``value:`` columns.
        directions: One ``"maximize"`` / ``"minimize"`` per objective (a list of two, or a dict).
            Default: the optimizer's, else ``"maximize"`` unless a name reads like a cost.
        ax: A matplotlib ``Axes`` to draw into; ``None`` makes a new figure.
        ref_point: The hypervolume's reference point in the objectives' own units, a value per
            objective worse than any of interest (a list of two or a dict). Default: the front's
            nadir minus 10 % of its range (:func:`agnet_bo.pareto.reference_point`), as
            :meth:`agnet_bo.Optimizer.hypervolume` does.

    Returns:
        The ``Axes``; the front's line is labelled ``"front"``.

    Raises:
        InputError: Unless there are exactly two known objectives, for an unknown metric, bad
            directions or reference point, or without a complete result.
    """
    hist = _load(source)
    names, dirs = _objectives(hist, objectives, directions)
    sign = np.array([1.0 if d == "maximize" else -1.0 for d in dirs])
    ok = hist.complete(names)
    if not ok.any():
        raise _nothing_to_plot(hist, names)
    feasible = hist.feasible()
    V = np.column_stack([hist.values[n] for n in names])  # own units
    cand = ok & feasible
    ax = _new_axes(ax, (6.4, 4.6))
    if (ok & ~feasible).any():
        ax.scatter(V[ok & ~feasible, 1], V[ok & ~feasible, 0], s=12, facecolors="none", edgecolors="0.6", label="infeasible")
    ax.scatter(V[cand, 1], V[cand, 0], s=12, color="0.6", label="evaluated")
    title = f"{names[0]} ({dirs[0]}) vs {names[1]} ({dirs[1]})"
    if cand.any():
        Y = V[cand] * sign  # maximisation sense
        front = V[cand][pareto_mask(Y)]
        front = front[np.lexsort((front[:, 0], front[:, 1]))]  # along the x axis
        ax.step(front[:, 1], front[:, 0], where="pre" if dirs[1] == "maximize" else "post", color="C3", lw=1.5,
                marker="o", ms=5, label="front", zorder=3)
        front_max = front * sign
        ref = reference_point(front_max) if ref_point is None else _ref_point(ref_point, names) * sign
        hv = hypervolume(front_max, ref)
        title += f"\nhypervolume {hv:.4g} (ref. point {names[0]}={ref[0] * sign[0]:.4g}, {names[1]}={ref[1] * sign[1]:.4g})"
    ax.set_xlabel(f"{names[1]} ({'higher' if dirs[1] == 'maximize' else 'lower'} is better)")
    ax.set_ylabel(f"{names[0]} ({'higher' if dirs[0] == 'maximize' else 'lower'} is better)")
    ax.set_title(title, fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax


def _ref_point(ref_point: Any, names: Sequence[str]) -> np.ndarray:
    """``ref_point`` (a dict or a list of two) as numbers in the objectives' units."""
    if isinstance(ref_point, Mapping):
        if set(ref_point) != set(names):
            raise InputError(f"`ref_point` needs one value per objective {list(names)!r}, got keys {list(ref_point)!r}.")
        raw = [ref_point[n] for n in names]
    elif isinstance(ref_point, (Sequence, np.ndarray)) and not isinstance(ref_point, str) and len(ref_point) == 2:
        raw = list(ref_point)
    else:
        raise InputError(f"`ref_point` needs one value per objective {list(names)!r} (a list of two or a dict), got {ref_point!r}.")
    if not all(is_number(r) and math.isfinite(float(r)) for r in raw):
        raise InputError(f"`ref_point` must hold finite numbers, got {ref_point!r}.")
    return np.array(raw, dtype=float)


def _parse_ops(text: Any, row: int, origin: str) -> tuple[str, ...]:
    """The operations in an ``arch`` cell: an NB201 arch string (``|op~0|+|op~0|op~1|+...``, the
    tokens before ``~``) or ``"op,op,... | u->v,..."`` (:func:`agnet_bo.history.arch_text`);
    without the input and output labels."""
    example = "'|nor_conv_3x3~0|+|skip_connect~0|none~1|+...' or 'input,conv3x3,output | 0->1,1->2'"
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"Row {row} of {origin} has no 'arch' text (got {text!r}); expected e.g. {example}.")
    text = text.strip()
    if text.startswith("|"):
        tokens = [t for group in text.split("+") for t in group.strip().strip("|").split("|") if t]
        if not tokens or any("~" not in t for t in tokens):
            raise InputError(f"Row {row} of {origin}: cannot read the NB201 arch string {text!r}; expected e.g. {example}.")
        ops = [t.split("~", 1)[0].strip() for t in tokens]
    else:
        head = text.split(" | ", 1)[0] if " | " in text else text.split("|", 1)[0]
        ops = [o.strip() for o in head.split(",") if o.strip()]
    ops = [o for o in ops if o not in (INPUT, OUTPUT)]
    if not ops:
        raise InputError(f"Row {row} of {origin}: no operations in the arch text {text!r}; expected e.g. {example}.")
    return tuple(ops)


def plot_operations(
    source: Any, top: int = 10, metric: str | None = None, ax: Any = None, *, direction: str | None = None,
    view: str = "counts",
) -> Any:
    """The operations of the best ``top`` architectures as a heatmap, one row each, best at the top.

    ``view="counts"``: one column per operation, the number of times an architecture uses it.
    ``view="positions"``: one column per position (hidden node, in order), coloured by the
    operation there — for spaces where positions match across architectures (NB201 edges, a
    ``DAGSpace.chain``'s layers).

    From an optimizer the operations are ``trial.arch.ops``; from records they are read from the
    ``arch`` text: an NB201 arch string (the tokens before ``~``) or ``"op,op,... | u->v,..."``
    (:func:`agnet_bo.history.arch_text`). The ``input`` and ``output`` labels are left out. The
    counts' columns are the operations used anywhere in the history, in alphabetical order (from
    an optimizer whose space lists its ``ops``, only those: structural labels such as DARTS'
    ``add`` nodes are left out too).

    Args:
        source: An :class:`agnet_bo.Optimizer`, its :meth:`~agnet_bo.Optimizer.records`,
            :meth:`~agnet_bo.Optimizer.trials_dataframe`, or the path of a ``.csv`` / ``.jsonl``
            file written by :meth:`~agnet_bo.Optimizer.export`.
        top: How many of the best complete architectures to show (fewer if fewer are complete).
        metric: The metric that ranks them. Default: the optimizer's objective, or the history's
            only ``value:`` column; required when there are several.
        ax: A matplotlib ``Axes`` to draw into; ``None`` makes a new figure.
        direction: ``"maximize"`` or ``"minimize"``; default as in :func:`plot_history`.
        view: ``"counts"`` or ``"positions"``.

    Returns:
        The ``Axes``; its image (``ax.images[0]``) holds one row per architecture shown.

    Raises:
        InputError: For a bad ``top``, ``view``, metric or direction, an ``arch`` text that is
            neither form, or a history without a complete result.
    """
    top = check_int("top", top)
    if view not in ("counts", "positions"):
        raise InputError(f"`view` must be 'counts' or 'positions', got {view!r}.")
    hist = _load(source)
    metric = _metric(hist, metric)
    direction = _direction(hist, metric, direction)
    ok = np.flatnonzero(hist.complete([metric]) & hist.feasible())
    if not len(ok):
        raise _nothing_to_plot(hist, [metric])
    y = hist.values[metric]
    key = -y[ok] if direction == "maximize" else y[ok]
    best = ok[np.lexsort((hist.ids[ok], key))][:top]  # best first; ties by trial number
    if hist.ops is not None:
        ops = [hist.ops[i] for i in best]
        all_ops = hist.ops
    else:
        ops = [_parse_ops(hist.arch_texts[i], int(i), hist.origin) for i in best]
        all_ops = [_parse_ops(t, i, hist.origin) for i, t in enumerate(hist.arch_texts) if isinstance(t, str) and t.strip()]
    ax = _new_axes(ax, (max(5.0, 1.0 + 0.9 * max(len(o) for o in ops)), 1.4 + 0.38 * len(best)))
    if view == "counts":
        seen = {o for arch in all_ops for o in arch}  # the same columns from any source
        vocab = sorted(seen if hist.vocabulary is None else seen & set(hist.vocabulary))
        M = np.array([[arch.count(o) for o in vocab] for arch in ops], dtype=float)
        image = ax.imshow(M, cmap="Blues", aspect="auto", vmin=0, vmax=max(1.0, float(M.max())), interpolation="nearest")
        for (r, c), n in np.ndenumerate(M):
            ax.text(c, r, f"{int(n)}", ha="center", va="center", fontsize="small",
                    color="white" if n > 0.6 * M.max() else "black")
        ax.set_xticks(range(len(vocab)), vocab, rotation=30, ha="right")
        ax.set_xlabel("operation (count in the architecture)")
    else:
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        vocab = sorted({o for arch in ops for o in arch})  # the same colours from any source
        width = max(len(o) for o in ops)
        M = np.full((len(ops), width), np.nan)
        for r, arch in enumerate(ops):
            M[r, : len(arch)] = [vocab.index(o) for o in arch]
        colors = [f"C{k % 10}" for k in range(len(vocab))]
        image = ax.imshow(np.ma.masked_invalid(M), cmap=ListedColormap(colors), vmin=-0.5, vmax=len(vocab) - 0.5,
                          aspect="auto", interpolation="nearest")
        ax.set_xticks(range(width), [str(k + 1) for k in range(width)])
        ax.set_xlabel("position (hidden node, in order)")
        ax.legend(handles=[Patch(color=c, label=o) for c, o in zip(colors, vocab, strict=True)],
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.set_yticks(range(len(best)), [f"#{hist.ids[i]}  {y[i]:.4g}" for i in best])
    ax.set_ylabel(f"trial  {metric}")
    ax.set_title(f"best {len(best)} by {metric} ({direction})")
    image.set_label(view)
    return ax
