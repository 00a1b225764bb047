"""What is already known about a space: earlier searches as a :class:`Prior` for a new one.

A :class:`Prior` holds one or more *tasks*: architectures of the space evaluated before (another
dataset, a shorter training, another device, last quarter's search), each with its own metrics.
Each task is normalised on its own, and only the order of its architectures is assumed to carry
over to the new search, never its values or units (docs/guides/prior.md).

Build one from an :class:`~agnet_bo.Optimizer`, from :meth:`Optimizer.records
<agnet_bo.Optimizer.records>`, from files (an exported ``.csv`` / ``.jsonl``, a saved state
``.json``, an ``agnet-bo run`` folder), or from any architectures with their values
(:meth:`Prior.add`, e.g. a benchmark's table), and pass it as ``Optimizer(..., prior=...)``.

What the search does with it (:class:`~agnet_bo.strategy.Strategy`, each part switchable with
``prior_parts``):

- ``"initial"``: the initial design starts with the prior's best architectures, by average rank
  over the prior tasks, kept diverse (:meth:`Prior.design`), then random ones as a hedge;
- ``"generator"``: the generator is fine-tuned on the prior's best architectures before its first
  retraining, so the first pools look where the earlier tasks found good cells;
- ``"surrogate"``: the surrogate is a :class:`~agnet_bo.surrogates.TransferSurrogate`: one model
  per prior task, weighted with the new task's own model by how well each ranks the new task's
  results (RGPE, Feurer et al. 2018), so a misleading task loses its weight as results arrive.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import norm, rankdata

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.objectives import parse_objectives
from agnet_bo.pareto import non_dominated_ranks
from agnet_bo.spaces.base import SearchSpace

__all__ = ["Prior", "PriorTask", "PRIOR_PARTS", "as_prior", "parse_arch_text"]

PRIOR_PARTS: tuple[str, ...] = ("initial", "generator", "surrogate")
"""What a prior can change in a search (``Optimizer(prior_parts=...)``)."""

_FORMAT = "agnet_bo.prior"
_VERSION = 1


@dataclasses.dataclass(frozen=True)
class PriorTask:
    """One earlier task: architectures and their values, as measured.

    Attributes:
        name: A label (e.g. ``"cifar100"``), shown in logs and in the surrogate's weights.
        archs: ``n`` architectures of the space (distinct keys).
        values: ``{metric: n raw values}`` in the task's own units and directions.
        objectives: ``{metric: "maximize" | "minimize"}``, the task's objectives (a subset of
            ``values``); the order of its architectures is by these.
        feasible: ``n`` booleans (the task's constraints met), or ``None``: all feasible.
    """

    name: str
    archs: list[Architecture]
    values: dict[str, np.ndarray]
    objectives: dict[str, str]
    feasible: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.archs)

    def signed(self, metric: str) -> np.ndarray:
        """``metric``'s values in maximisation sense (negated for a minimised objective)."""
        sign = -1.0 if self.objectives.get(metric) == "minimize" else 1.0
        return sign * self.values[metric]

    def utilities(self) -> np.ndarray:
        """``n`` scalars, larger is better: the objective, or the negated non-dominated rank with
        several; infeasible architectures rank below every feasible one."""
        Y = np.column_stack([self.signed(m) for m in self.objectives])
        util = Y[:, 0].copy() if Y.shape[1] == 1 else -non_dominated_ranks(Y).astype(float)
        if self.feasible is not None and self.feasible.any():
            util = np.where(self.feasible, util, util.min() - 1.0 - (util.max() - util.min()))
        return util

    def quantiles(self) -> np.ndarray:
        """Each architecture's rank within the task in ``[0, 1]`` (1: the best; ties share the mean)."""
        n = len(self.archs)
        if n == 1:
            return np.ones(1)
        return (rankdata(self.utilities()) - 1.0) / (n - 1)

    def column(self, metric: str, target: Mapping[str, str]) -> np.ndarray | None:
        """This task's values for the new search's ``metric`` in the new search's sense
        (maximised objectives, other metrics as measured), or ``None`` if the task has none.

        The same name matches; a new search with one objective also matches a task with one
        objective under another name (``"valid-accuracy"`` then, ``"acc"`` now), its direction
        taken from each side.
        """
        direction = target.get(metric)
        if metric in self.values:
            raw = self.values[metric]
            return -raw if direction == "minimize" else raw
        if direction is not None and len(target) == 1 and len(self.objectives) == 1:
            return self.signed(next(iter(self.objectives)))
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "archs": [a.to_dict() for a in self.archs],
            "values": {m: [float(x) for x in v] for m, v in self.values.items()},
            "objectives": dict(self.objectives),
            "feasible": None if self.feasible is None else [bool(x) for x in self.feasible],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PriorTask:
        feasible = d.get("feasible")
        return cls(
            str(d["name"]), [Architecture.from_dict(a) for a in d["archs"]],
            {m: np.asarray(v, dtype=float) for m, v in d["values"].items()}, dict(d["objectives"]),
            None if feasible is None else np.asarray(feasible, dtype=bool),
        )


class Prior:
    """Earlier tasks on the same space, for a new search to start from (module docstring).

    Args:
        tasks: :class:`PriorTask` objects, or anything :meth:`add_source` takes.
        space: The space the architectures belong to (needed to read files and records, whose
            architectures are written as text, and to drop duplicates).

    Example:
        >>> import agnet_bo as ab
        >>> space = ab.spaces.NB201Space()
        >>> c100 = ab.benchmarks.NB201("cifar100")
        >>> archs = space.sample(50, seed=0)
        >>> prior = ab.Prior(space=space).add(archs, {"acc": [c100.evaluate(a, metrics=["valid-accuracy"])["valid-accuracy"] for a in archs]},
        ...                                  objectives={"acc": "maximize"}, name="cifar100")
        >>> opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, prior=prior, seed=0)
        >>> opt.ask(1)[0].source
        'prior'
    """

    def __init__(self, tasks: Iterable[Any] = (), *, space: SearchSpace | None = None) -> None:
        if space is not None and not isinstance(space, SearchSpace):
            raise InputError(f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__}.")
        self.space = space
        self.tasks: list[PriorTask] = []
        for t in tasks:
            self.add_source(t)

    # -- building one -------------------------------------------------------------------------
    def add(
        self,
        archs: Sequence[Architecture],
        values: Mapping[str, Sequence[float]] | Sequence[Mapping[str, float]] | Sequence[float],
        *,
        objectives: str | Mapping[str, str] | None = None,
        feasible: Sequence[bool] | np.ndarray | None = None,
        name: str | None = None,
    ) -> Prior:
        """Add one task: ``archs`` with their ``values``; returns ``self``.

        Args:
            archs: ``n`` evaluated architectures of the space.
            values: ``{metric: n values}``, ``n`` dicts ``{metric: value}``, or ``n`` numbers (one
                metric, named by ``objectives``). Non-finite values drop their architecture.
            objectives: The task's objectives, as for :class:`~agnet_bo.Optimizer` (default: the
                only metric, maximised).
            feasible: ``n`` booleans, whether each met the task's constraints (default: all did).
            name: A label (default ``"task<i>"``).

        Raises:
            InputError: Mismatched lengths, an objective without values, no finite value left.
        """
        archs = list(archs)
        for i, a in enumerate(archs):
            if not isinstance(a, Architecture):
                raise InputError(f"Prior.add takes Architecture objects; archs[{i}] is {type(a).__name__} {a!r:.80}.")
        n = len(archs)
        if isinstance(values, Mapping):
            cols = {str(m): np.asarray(v, dtype=float).reshape(-1) for m, v in values.items()}
        else:
            rows: list[Any] = list(values)
            if rows and all(isinstance(r, Mapping) for r in rows):
                names = list(dict.fromkeys(str(k) for r in rows for k in r))
                cols = {m: np.array([_number(r.get(m)) for r in rows], dtype=float) for m in names}
            else:
                if objectives is None:
                    objectives = "value"
                first = objectives if isinstance(objectives, str) else next(iter(objectives), "value")
                cols = {str(first): np.array([_number(v) for v in rows], dtype=float)}
        bad = {m: len(v) for m, v in cols.items() if len(v) != n}
        if bad:
            raise InputError(f"Prior.add got {n} architectures but a different number of values for {bad}.")
        if objectives is None:
            if len(cols) != 1:
                raise InputError(
                    f"The task has metrics {sorted(cols)}: say which are objectives, e.g. "
                    f"objectives={{{next(iter(cols))!r}: 'maximize'}}."
                )
            objectives = next(iter(cols))
        objs = parse_objectives(objectives)
        missing = [m for m in objs if m not in cols]
        if missing:
            raise InputError(f"The task's objectives {missing} have no values; it has {sorted(cols)}.")
        feas = None if feasible is None else np.asarray(list(feasible), dtype=bool).reshape(-1)
        if feas is not None and len(feas) != n:
            raise InputError(f"Prior.add got {n} architectures but {len(feas)} feasibility flags.")
        keep = np.all(np.isfinite(np.column_stack([cols[m] for m in objs])), axis=1) if n else np.zeros(0, bool)
        if self.space is not None and n:  # the last value of an architecture listed twice wins
            last: dict[str, int] = {}
            for i, a in enumerate(archs):
                if keep[i]:
                    self.space.validate(a)
                    last[self.space.key(self.space.simplify(a))] = i
            keep = np.zeros(n, dtype=bool)
            keep[list(last.values())] = True
        idx = np.flatnonzero(keep)
        if len(idx) == 0:
            raise InputError(f"The task {name or ''!r} has no architecture with finite values for its objectives {list(objs)}.")
        task = PriorTask(
            name or f"task{len(self.tasks)}",
            [self.space.simplify(archs[i]) if self.space is not None else archs[i] for i in idx],
            {m: v[idx] for m, v in cols.items()},
            objs,
            None if feas is None else feas[idx],
        )
        self.tasks.append(task)
        return self

    def add_source(self, source: Any, *, name: str | None = None, objectives: str | Mapping[str, str] | None = None) -> Prior:
        """Add what ``source`` holds: a :class:`PriorTask`, another :class:`Prior` (its tasks),
        an :class:`~agnet_bo.Optimizer` (its complete trials), records (a list of dicts as
        :meth:`Optimizer.records <agnet_bo.Optimizer.records>` gives), or a path (an exported
        ``.csv`` / ``.jsonl``, a saved state ``.json``, any of them gzipped as ``.gz``, or an
        ``agnet-bo run`` folder). Returns ``self``.

        Raises:
            InputError: An unreadable or unknown source, or records without a space to read them.
        """
        if isinstance(source, PriorTask):
            self.tasks.append(source)
        elif isinstance(source, Prior):
            self.tasks.extend(source.tasks)
            if self.space is None:
                self.space = source.space
        elif _is_optimizer(source):
            self._from_optimizer(source, name)
        elif isinstance(source, (str, os.PathLike)):
            self._from_path(Path(source), name, objectives)
        elif isinstance(source, Sequence) and source and all(isinstance(r, Mapping) for r in source):
            self._from_records(list(source), name or f"task{len(self.tasks)}", objectives)
        else:
            raise InputError(
                "A prior source is an Optimizer, a Prior, records (opt.records()), or a path to an exported "
                f".csv / .jsonl, a saved .json state or an agnet-bo run folder; got {type(source).__name__} {source!r:.80}."
            )
        return self

    @classmethod
    def from_optimizer(cls, opt: Any, name: str | None = None) -> Prior:
        """A prior of one task: the complete trials of ``opt``."""
        return cls(space=opt.space).add_source(opt, name=name)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], space: SearchSpace, *, objectives: str | Mapping[str, str] | None = None,
                  name: str | None = None) -> Prior:
        """A prior of one task read from ``path`` (see :meth:`add_source`); ``objectives`` for an
        exported file whose objectives are not those of its columns' only metric."""
        return cls(space=space).add_source(path, name=name, objectives=objectives)

    def _from_optimizer(self, opt: Any, name: str | None) -> None:
        if self.space is None:
            self.space = opt.space
        from agnet_bo.trial import TrialState

        done = [t for t in opt.trials if t.state is TrialState.COMPLETE and t.values is not None]
        if not done:
            raise InputError(f"The optimizer {name or ''!r} has no complete trial to learn from.")
        values = [dict(t.values) for t in done]
        feasible = opt.problem.feasible(values) if opt.constraints else None
        self.add([t.arch for t in done], values, objectives=opt.objectives, feasible=feasible, name=name)

    def _from_path(self, path: Path, name: str | None, objectives: Any) -> None:
        label = name or path.stem if path.name != "state.json" else name or path.parent.name
        if path.is_dir():
            for candidate in ("state.json", "trials.jsonl"):
                if (path / candidate).exists():
                    return self._from_path(path / candidate, name or path.name, objectives)
            raise InputError(f"{str(path)!r} is a folder without a state.json or trials.jsonl of an agnet-bo run.")
        try:
            raw = path.read_bytes()
            text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise InputError(f"Cannot read the prior {str(path)!r}: {getattr(exc, 'strerror', None) or exc}.") from exc
        suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix  # "t.jsonl.gz" reads as "t.jsonl"
        if path.suffix == ".gz":
            label = name or Path(path.stem).stem
        if suffix == ".json":
            try:
                state = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"{str(path)!r} is not JSON ({exc}); a prior file is a saved state (.json) or an export (.csv, .jsonl).") from exc
            if not isinstance(state, Mapping) or state.get("format") != "agnet_bo.optimizer":
                raise InputError(f"{str(path)!r} is not a saved optimizer state (Optimizer.save).")
            self._from_state(state, label)
        elif suffix == ".jsonl":
            try:
                rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError as exc:
                raise InputError(f"{str(path)!r} is not JSON lines: {exc}.") from exc
            self._from_records(rows, label, objectives)
        elif suffix == ".csv":
            self._from_records(list(csv.DictReader(io.StringIO(text))), label, objectives)
        else:
            raise InputError(f"A prior file is .json (a saved state), .csv or .jsonl (an export), each possibly .gz; got {path.name!r}.")

    def _from_state(self, state: Mapping[str, Any], name: str) -> None:
        from agnet_bo.objectives import Problem
        from agnet_bo.spaces.base import space_from_dict

        if self.space is None:
            self.space = space_from_dict(state["space"])
        cfg = state["config"]
        problem = Problem(cfg["objectives"], {k: tuple(v) for k, v in cfg.get("constraints", {}).items()})
        rows = [t for t in state["trials"] if t.get("state") == "COMPLETE" and t.get("values")]
        if not rows:
            raise InputError(f"The saved search {name!r} has no complete trial to learn from.")
        values = [{k: _number(v) for k, v in t["values"].items()} for t in rows]
        feasible = problem.feasible(values) if problem.constraints else None
        self.add([Architecture.from_dict(t["arch"]) for t in rows], values, objectives=problem.objectives, feasible=feasible, name=name)

    def _from_records(self, rows: list[Mapping[str, Any]], name: str, objectives: Any) -> None:
        if self.space is None:
            raise InputError("Reading records or an exported file needs the space: Prior(space=space) or Prior.from_file(path, space).")
        rows = [r for r in rows if str(r.get("state", "COMPLETE")) == "COMPLETE"]
        metrics = [k[len("value:"):] for k in (rows[0] if rows else {}) if str(k).startswith("value:")]
        if not rows or not metrics or "arch" not in rows[0]:
            raise InputError(
                f"The records of {name!r} hold no complete row with an 'arch' column and 'value:<metric>' columns "
                "(what Optimizer.records() / export() write)."
            )
        archs = [parse_arch_text(self.space, str(r["arch"])) for r in rows]
        values = {m: [_number(r.get(f"value:{m}")) for r in rows] for m in metrics}
        if objectives is None and len(metrics) > 1:
            raise InputError(
                f"The records of {name!r} have metrics {metrics}: pass objectives=..., e.g. "
                f"{{{metrics[0]!r}: 'maximize'}} (the file does not say which are objectives, or their directions)."
            )
        self.add(archs, values, objectives=objectives if objectives is not None else metrics[0], name=name)

    # -- what a search uses ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tasks)

    @property
    def n_results(self) -> int:
        """Evaluated architectures over all tasks."""
        return sum(len(t) for t in self.tasks)

    def ranked(self, space: SearchSpace) -> list[tuple[Architecture, float]]:
        """Every architecture of the prior with its average rank over the tasks that evaluated it
        (each task's rank in ``[0, 1]``, 1 its best), best first; architectures outside ``space``
        are skipped. The zero-shot "average rank" order (Wistuba et al. 2015)."""
        return [(a, score) for _, a, score in self.keyed_ranked(space)]

    def keyed_ranked(self, space: SearchSpace) -> list[tuple[str, Architecture, float]]:
        """:meth:`ranked` with each architecture's ``space.key``: ``(key, arch, score)``."""
        score: dict[str, list[float]] = {}
        arch_of: dict[str, Architecture] = {}
        for task in self.tasks:
            for a, q in zip(task.archs, task.quantiles(), strict=True):
                if not space.is_valid(a):
                    continue
                k = space.key(space.simplify(a))
                arch_of.setdefault(k, space.simplify(a))
                score.setdefault(k, []).append(float(q))
        keys = sorted(score, key=lambda k: (-float(np.mean(score[k])), -len(score[k]), k))
        return [(k, arch_of[k], float(np.mean(score[k]))) for k in keys]

    def design(self, space: SearchSpace, n: int, *, min_distance: float = 1.0) -> list[Architecture]:
        """The ``n`` best architectures of :meth:`ranked`, kept diverse: one is skipped while it is
        within ``min_distance`` (Manhattan distance of ``space.encode``) of one already chosen,
        and the skipped ones fill what is left (a prior of few architectures still gives ``n``).
        ``min_distance=0``: the plain top ``n``."""
        ranked = [a for a, _ in self.ranked(space)]
        if n <= 0 or not ranked:
            return []
        top = ranked[: max(4 * n, n)]
        enc = space.encode(top).numpy().astype(np.float64).reshape(len(top), -1)
        chosen: list[int] = []
        skipped: list[int] = []
        for i in range(len(top)):
            if len(chosen) == n:
                break
            if chosen and min_distance > 0 and np.abs(enc[chosen] - enc[i]).sum(axis=1).min() <= min_distance:
                skipped.append(i)
            else:
                chosen.append(i)
        chosen += skipped[: n - len(chosen)]
        out = [top[i] for i in chosen]
        return out + ranked[len(top) : len(top) + n - len(out)]

    def model_data(self, task: PriorTask, target: Mapping[str, str] | None, metrics: Sequence[str], space: SearchSpace,
                   limit: int, seed: int) -> tuple[list[Architecture], np.ndarray, list[int]] | None:
        """What a model of ``task`` is fitted on for a search of ``metrics`` (objectives
        ``target``): the task's architectures in ``space``, the normal scores of each matched
        column's ranks (``n x k``) and the positions of those columns in ``metrics``; ``None``
        when no column matches. Past ``limit`` architectures, the best half and a random rest.
        ``target=None``: the columns match the task's objectives by position (unnamed metrics)."""
        if target is None:
            cols = [(j, task.signed(o)) for j, o in enumerate(task.objectives) if j < len(metrics)]
        else:
            cols = [(j, c) for j, m in enumerate(metrics) if (c := task.column(m, target)) is not None]
        if not cols:
            return None
        ok = np.array([space.is_valid(a) for a in task.archs], dtype=bool)
        finite = np.all(np.isfinite(np.column_stack([c for _, c in cols])), axis=1) & ok
        idx = np.flatnonzero(finite)
        if len(idx) < 2:
            return None
        if limit and len(idx) > limit:
            rng = np.random.default_rng([seed, len(idx), 7])
            util = task.utilities()[idx]
            best = idx[np.argsort(-util, kind="stable")[: limit // 2]]
            rest = np.setdiff1d(idx, best)
            idx = np.sort(np.concatenate([best, rng.choice(rest, size=limit - len(best), replace=False)]))
        Z = np.column_stack([normal_scores(c[idx]) for _, c in cols])
        return [space.simplify(task.archs[i]) for i in idx], Z, [j for j, _ in cols]

    # -- saving -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON form (saved with a search that uses the prior)."""
        return {"format": _FORMAT, "version": _VERSION, "tasks": [t.to_dict() for t in self.tasks]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], space: SearchSpace | None = None) -> Prior:
        """Inverse of :meth:`to_dict`.

        Raises:
            InputError: If ``d`` is not a saved prior.
        """
        if not isinstance(d, Mapping) or d.get("format") != _FORMAT:
            raise InputError(f"Expected a dict from Prior.to_dict() (format {_FORMAT!r}), got {str(d)[:80]!r}.")
        try:
            return cls([PriorTask.from_dict(t) for t in d["tasks"]], space=space)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"Malformed prior: {type(exc).__name__}: {exc}.") from exc

    def __repr__(self) -> str:
        tasks = ", ".join(f"{t.name!r}: {len(t)}" for t in self.tasks)
        return f"Prior({{{tasks}}})"


def as_prior(source: Any, space: SearchSpace) -> Prior | None:
    """``source`` as a :class:`Prior` of ``space``: ``None``, a Prior, or one source (or a list of
    sources) that :meth:`Prior.add_source` takes, each a task of its own.

    Raises:
        InputError: An unknown source, or a prior without an architecture of ``space``.
    """
    if source is None:
        return None
    if isinstance(source, Prior):
        prior = Prior(source.tasks, space=space)
    else:
        items = list(source) if isinstance(source, (list, tuple)) and not _is_records(source) else [source]
        prior = Prior(space=space)
        for item in items:
            prior.add_source(item)
    if not prior.tasks:
        raise InputError("The prior holds no task; pass earlier searches, records or files with results.")
    for task in prior.tasks:
        bad = sum(not space.is_valid(a) for a in task.archs)
        if bad == len(task.archs):
            raise InvalidArchitectureError(
                f"No architecture of the prior task {task.name!r} is in {space!r}: a prior must come from the same space."
            )
    return prior


def _is_optimizer(x: Any) -> bool:
    """An :class:`~agnet_bo.Optimizer` (or a look-alike: trials, a problem and a space), told
    apart without importing the optimizer, which imports this module."""
    return all(hasattr(x, a) for a in ("trials", "problem", "space", "objectives", "constraints")) and not isinstance(x, Prior)


def _is_records(x: Sequence[Any]) -> bool:
    return bool(x) and all(isinstance(r, Mapping) for r in x)


def normal_scores(values: np.ndarray) -> np.ndarray:
    """The normal scores of the ranks of ``values`` (ties share their mean rank)."""
    n = len(values)
    return norm.ppf((rankdata(values) - 0.5) / n)


def _number(v: Any) -> float:
    if v is None or v == "":
        return float("nan")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def parse_arch_text(space: SearchSpace, text: str) -> Architecture:
    """The architecture written as ``text`` by :func:`agnet_bo.history.arch_text`: the space's
    ``from_string`` where it has one, else ``"op,op,... | u->v,..."``.

    Raises:
        InvalidArchitectureError: If ``text`` is neither.
    """
    from_string = getattr(space, "from_string", None)
    if callable(from_string) and " | " not in text:
        try:
            arch: Architecture = from_string(text)
            return arch
        except Exception as exc:
            raise InvalidArchitectureError(f"{text!r} is not an architecture of {space!r}: {exc}") from exc
    ops_text, sep, edges_text = text.partition(" | ")
    if not sep:
        raise InvalidArchitectureError(
            f"{text!r} is not an architecture as records write it (\"op,op,... | u->v,...\") and {space!r} has no from_string."
        )
    try:
        edges = [tuple(int(x) for x in e.split("->")) for e in edges_text.split(",") if e]
        return Architecture.from_edges(ops_text.split(","), edges)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise InvalidArchitectureError(f"{text!r} is not an architecture as records write it: {exc}.") from exc
