"""A search's history as flat records: rows, a DataFrame, CSV or JSON-lines files."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agnet_bo._files import atomic_write
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.trial import Trial, TrialState

if TYPE_CHECKING:
    from agnet_bo.objectives import Problem
    from agnet_bo.trial import TrialStore

__all__ = ["ResultsMixin", "records", "dataframe", "export", "arch_text"]


class ResultsMixin:
    """The :class:`~agnet_bo.Optimizer`'s views of its results: the best trial, the front, the
    hypervolume and the history as rows, a DataFrame or a file."""

    if TYPE_CHECKING:
        _store: TrialStore
        problem: Problem
        space: SearchSpace

        @property
        def metrics(self) -> list[str]: ...

    @property
    def best_trial(self) -> Trial:
        """The best complete (and feasible) trial of a single-objective search.

        Raises:
            InputError: With several objectives (use :meth:`pareto_front`) or before any result.
        """
        return self.problem.best(self._store.with_state(TrialState.COMPLETE))

    def pareto_front(self) -> list[Trial]:
        """The complete, feasible trials that no other such trial dominates (all objectives)."""
        return self.problem.front(self._store.with_state(TrialState.COMPLETE))

    def hypervolume(self, ref_point: Mapping[str, float] | Sequence[float] | None = None) -> float:
        """Hypervolume of the feasible front, in the objectives' own units and directions.

        Args:
            ref_point: Per objective, a value worse than any of interest (e.g. ``{"acc": 0,
                "latency": 50}``). Default: the nadir of the found front minus 10 % of its range
                (:func:`agnet_bo.pareto.reference_point`) — fine for monitoring, but pass a fixed
                point to compare runs.
        """
        return self.problem.hypervolume(self.pareto_front(), ref_point)

    # -- records --------------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """The history as flat rows, one per trial, in trial order (what :meth:`export` writes);
        columns as in :func:`agnet_bo.history.records`."""
        return records(self.space, self._store.trials(), self.metrics)

    def trials_dataframe(self) -> Any:
        """:meth:`records` as a ``pandas.DataFrame`` (pandas is imported here, and only here).

        Raises:
            ImportError: If pandas is not installed (``pip install 'agnet-bo[pandas]'``).
        """
        return dataframe(self.records())

    def export(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`records` to ``path``: CSV for ``.csv``, JSON lines for ``.jsonl``; atomically.

        Raises:
            InputError: For any other file extension.
        """
        export(self.records(), path)





def arch_text(space: SearchSpace, arch: Architecture) -> str:
    """A readable form of an architecture: the space's ``to_string`` if it has one, else
    ``"op,op,... | u->v,..."``."""
    to_string = getattr(space, "to_string", None)
    if callable(to_string):
        try:
            return str(to_string(arch))
        except Exception:  # a space's own form may not cover every member: fall back
            pass
    return ",".join(arch.ops) + " | " + ",".join(f"{u}->{v}" for u, v in arch.edges)


def records(space: SearchSpace, trials: Sequence[Trial], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """One flat row per trial, in order.

    Columns: ``id``, ``state``, ``source``, ``round``, ``arch`` (readable: the space's own
    string form where it has one, such as NAS-Bench-201's arch strings, else the operations
    and edges), ``key``, one ``value:<metric>`` per modelled metric (empty until told),
    ``last_step`` (the last step reported, when any trial reported intermediate values: where a
    PRUNED trial stopped) and one ``info:<name>`` per info entry any trial has.
    """
    info_keys = list(dict.fromkeys(k for t in trials for k in t.info))
    steps = any(t.last_step is not None for t in trials)
    rows = []
    for t in trials:
        row: dict[str, Any] = {
            "id": t.id, "state": t.state.value, "source": t.source, "round": t.round,
            "arch": arch_text(space, t.arch), "key": t.key,
        }
        for m in metrics:
            row[f"value:{m}"] = None if t.values is None else t.values.get(m)
        if steps:
            row["last_step"] = t.last_step
        for k in info_keys:
            row[f"info:{k}"] = t.info.get(k)
        rows.append(row)
    return rows


def dataframe(rows: list[dict[str, Any]]) -> Any:
    """``rows`` as a ``pandas.DataFrame`` (pandas is imported here, and only here).

    Raises:
        ImportError: If pandas is not installed (``pip install 'agnet-bo[pandas]'``).
    """
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("trials_dataframe() needs pandas: pip install 'agnet-bo[pandas]' (or pandas itself), or use records() / export().") from exc
    return pd.DataFrame(rows)


def export(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """Write ``rows`` to ``path``: CSV for ``.csv``, JSON lines for ``.jsonl``; atomically.

    Raises:
        InputError: For any other file extension.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(r) + "\n" for r in rows)
    elif path.suffix == ".csv":
        import csv

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["id"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        raise InputError(f"export writes .csv or .jsonl files, got {path.name!r}; e.g. opt.export('trials.csv').")
    atomic_write(path, text)
