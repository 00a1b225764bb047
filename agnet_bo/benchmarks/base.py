"""The :class:`Benchmark` interface and :class:`TabularBenchmark`, a lookup table over a space."""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, UnknownNameError, unknown_name
from agnet_bo.spaces.base import SearchSpace

__all__ = ["Benchmark", "TabularBenchmark", "Direction", "DIRECTIONS", "infer_direction"]

Direction = Literal["maximize", "minimize"]
"""Whether larger (``"maximize"``) or smaller (``"minimize"``) values of a metric are better."""

DIRECTIONS: tuple[str, ...] = ("maximize", "minimize")
"""The valid directions."""

# Whole words (split on anything that is not a letter) that fix a metric's direction.
_MAXIMIZE_WORDS = frozenset({"accuracy", "acc", "top1", "top5", "score", "reward", "auc", "f1", "iou", "bleu"})
_MINIMIZE_WORDS = frozenset(
    {
        "loss", "error", "err", "latency", "energy", "time", "params", "parameters", "flops", "macs",
        "memory", "mem", "size", "perplexity", "ppl", "regret", "cost",
    }
)


def infer_direction(metric: str) -> Direction | None:
    """Guess a metric's direction from its name, or ``None`` if the name does not say.

    The name is split into words at every non-letter (``"valid-accuracy"`` -> ``valid``,
    ``accuracy``). Words like ``accuracy``, ``acc``, ``score``, ``reward`` mean ``"maximize"``;
    ``loss``, ``error``, ``latency``, ``energy``, ``time``, ``params``, ``flops``, ``memory``,
    ``size``, ``cost`` mean ``"minimize"``. A name with words of both kinds, or neither, gives
    ``None``.

    Example:
        >>> infer_direction("valid-accuracy"), infer_direction("latency-pixel3"), infer_direction("foo")
        ('maximize', 'minimize', None)
    """
    words = set(re.split(r"[^a-z0-9]+", metric.lower())) - {""}
    words |= {w.rstrip("0123456789") for w in words}
    up, down = bool(words & _MAXIMIZE_WORDS), bool(words & _MINIMIZE_WORDS)
    if up == down:
        return None
    return "maximize" if up else "minimize"


class Benchmark(ABC):
    r"""A function from the architectures of a search space to named, scalar metrics.

    A benchmark knows its :attr:`space`, the :attr:`metrics` it reports, whether each is to be
    maximised or minimised (:meth:`direction`) and the best value over the space
    (:meth:`optimum`), so that regret can be computed. Tabular benchmarks
    (:class:`TabularBenchmark`) look values up; a synthetic or surrogate benchmark computes them.

    Subclasses implement :attr:`space`, :attr:`metrics`, :meth:`evaluate`, :meth:`direction` and
    :meth:`optimum`; :meth:`_metric_error` may be overridden to explain why a name is not
    available.
    """

    name: str = "benchmark"

    @property
    @abstractmethod
    def space(self) -> SearchSpace:
        """The search space whose architectures :meth:`evaluate` accepts."""

    @property
    @abstractmethod
    def metrics(self) -> tuple[str, ...]:
        """The names of the metrics :meth:`evaluate` reports, in a fixed order."""

    @abstractmethod
    def evaluate(self, arch: Any, metrics: str | Iterable[str] | None = None) -> dict[str, float]:
        """The metrics of one architecture.

        Args:
            arch: An architecture of :attr:`space`.
            metrics: The metric names to report (a single name is accepted too); ``None`` for
                all of :attr:`metrics`.

        Returns:
            ``{metric: value}`` as Python floats, in the order asked for. ``float("nan")`` marks
            a value the benchmark does not have for this architecture.
        """

    @abstractmethod
    def direction(self, metric: str) -> Direction:
        """``"maximize"`` if larger values of ``metric`` are better, else ``"minimize"``."""

    @abstractmethod
    def optimum(self, metric: str) -> float:
        """The best value of ``metric`` over the space, in its :meth:`direction`."""

    # -- helpers for subclasses ---------------------------------------------------------------
    def _metric_error(self, metric: str) -> UnknownNameError:
        """The error raised for a metric name that is not in :attr:`metrics`."""
        return unknown_name(f"metric for {self.name}", metric, self.metrics)

    def _check_metric(self, metric: object) -> str:
        if not isinstance(metric, str):
            raise InputError(
                f"A metric name must be a string, got {type(metric).__name__} {metric!r}. "
                f"Valid names: {', '.join(map(repr, self.metrics))}."
            )
        if metric not in self._metric_set():
            raise self._metric_error(metric)
        return metric

    def _check_metrics(self, metrics: str | Iterable[str] | None) -> tuple[str, ...]:
        if metrics is None:
            return self.metrics
        if isinstance(metrics, str):
            return (self._check_metric(metrics),)
        if not isinstance(metrics, Iterable):
            raise InputError(
                f"`metrics` must be a metric name, a list of names or None (all), got "
                f"{type(metrics).__name__} {metrics!r}."
            )
        return tuple(dict.fromkeys(self._check_metric(m) for m in metrics))

    def _metric_set(self) -> frozenset[str]:
        cached = self.__dict__.get("_metric_set_cache")
        if cached is None:
            cached = frozenset(self.metrics)
            self.__dict__["_metric_set_cache"] = cached
        return cached

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, metrics={len(self.metrics)})"


class TabularBenchmark(Benchmark):
    r"""A benchmark given as a table: one row of metric values per architecture.

    Rows are looked up by :meth:`SearchSpace.key <agnet_bo.spaces.SearchSpace.key>`, so any
    architecture that the space considers the same network as a tabulated one (an isomorphic
    graph, or one with extra dead nodes in a :class:`~agnet_bo.spaces.DAGSpace`) finds its row.
    Build one for your own space and measurements, or use a bundled one such as
    :class:`~agnet_bo.benchmarks.NB201`.

    ``NaN`` in a column means "not measured": :meth:`evaluate` returns ``float("nan")`` for it and
    :meth:`optimum` / :meth:`best` ignore it.

    Args:
        space: The search space the architectures belong to.
        archs: The ``n`` tabulated architectures, each a member of ``space``, no two with the
            same key.
        values: ``{metric: column}``; every column is an array-like of ``n`` numbers, row ``i``
            belonging to ``archs[i]``. Stored as read-only ``float64``.
        directions: ``{metric: "maximize" | "minimize"}``. Metrics left out are inferred from
            their names by :func:`infer_direction` (``"*accuracy*"`` maximise,
            ``"*latency*"``, ``"*loss*"``, ... minimise); a name that says neither must be given.
        name: A name used in messages and ``repr``.

    Raises:
        InputError: If the arguments are inconsistent (lengths, duplicates, non-numeric values,
            a direction that cannot be inferred).
        InvalidArchitectureError: If an architecture is not a member of ``space``.
        UnknownNameError: If ``directions`` names a metric that is not in ``values`` or gives a
            direction other than ``"maximize"`` / ``"minimize"``.

    Example:
        >>> from agnet_bo.spaces import DAGSpace
        >>> space = DAGSpace.chain(["conv3x3", "conv1x1"], num_layers=2)
        >>> archs = space.sample(4, seed=0)
        >>> bench = TabularBenchmark(space, archs, {"accuracy": [0.9, 0.7, 0.8, 0.6],
        ...                                         "latency": [3.0, 1.0, 2.0, 1.5]}, name="toy")
        >>> bench.metrics
        ('accuracy', 'latency')
        >>> bench.evaluate(archs[2])
        {'accuracy': 0.8, 'latency': 2.0}
        >>> bench.optimum("latency"), bench.direction("latency"), bench.best("accuracy") == archs[0]
        (1.0, 'minimize', True)
    """

    def __init__(
        self,
        space: SearchSpace,
        archs: Sequence[Architecture],
        values: Mapping[str, Any],
        directions: Mapping[str, str] | None = None,
        name: str = "tabular",
    ) -> None:
        if not isinstance(space, SearchSpace):
            raise InputError(
                f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__} {space!r}."
            )
        if isinstance(archs, (str, bytes, Architecture)) or not isinstance(archs, Iterable):
            raise InputError(
                f"`archs` must be a sequence of Architecture objects (one per table row), got "
                f"{type(archs).__name__}."
            )
        archs_t = tuple(archs)
        if not archs_t:
            raise InputError("`archs` is empty; a tabular benchmark needs at least one architecture.")
        keys: dict[str, int] = {}
        for i, arch in enumerate(archs_t):
            if not isinstance(arch, Architecture):
                raise InputError(
                    f"`archs[{i}]` must be an agnet_bo.Architecture, got {type(arch).__name__} {arch!r}."
                )
            try:
                space.validate(arch)
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(f"`archs[{i}]` is not a member of {space.name}: {exc}") from exc
            key = space.key(arch)
            if key in keys:
                raise InputError(
                    f"`archs[{keys[key]}]` and `archs[{i}]` are the same network in {space.name} (equal "
                    "space.key); each architecture may have only one row. Remove or merge the duplicate."
                )
            keys[key] = i
        columns = self._check_values(values, len(archs_t))
        self._archs = archs_t
        self._keys = keys
        self._columns = columns
        self._init_table(space, tuple(columns), directions, name, len(archs_t))

    # -- construction helpers (shared with subclasses that load their table lazily) ------------
    def _init_table(
        self,
        space: SearchSpace,
        metrics: tuple[str, ...],
        directions: Mapping[str, str] | None,
        name: str,
        num_rows: int,
    ) -> None:
        if not isinstance(name, str):
            raise InputError(f"`name` must be a string, got {type(name).__name__} {name!r}.")
        self._space = space
        self._metrics = metrics
        self.name = name
        self._num_rows = num_rows
        self._directions = self._check_directions(directions, metrics)
        self._best_rows: dict[str, int | None] = {}

    @staticmethod
    def _check_values(values: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
        if not isinstance(values, Mapping) or not values:
            raise InputError(
                f"`values` must be a non-empty mapping {{metric name: column of {n} numbers}}, got {values!r}."
            )
        columns: dict[str, np.ndarray] = {}
        for metric, column in values.items():
            if not isinstance(metric, str) or not metric:
                raise InputError(f"Metric names must be non-empty strings, got {metric!r}.")
            try:
                arr = np.array(column, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"`values[{metric!r}]` must be {n} numbers (NaN for 'not measured'), could not read it as "
                    f"floats: {exc}"
                ) from exc
            if arr.shape != (n,):
                raise InputError(
                    f"`values[{metric!r}]` must have one number per architecture, shape ({n},), got shape "
                    f"{arr.shape}."
                )
            arr.setflags(write=False)
            columns[metric] = arr
        return columns

    @staticmethod
    def _check_directions(directions: Mapping[str, str] | None, metrics: tuple[str, ...]) -> dict[str, Direction]:
        given: Mapping[str, str] = {} if directions is None else directions
        if not isinstance(given, Mapping):
            raise InputError(
                f'`directions` must be a mapping {{metric: "maximize" | "minimize"}} or None, got {directions!r}.'
            )
        out: dict[str, Direction] = {}
        for metric, d in given.items():
            if metric not in metrics:
                raise unknown_name("metric in `directions`", metric, metrics, "Give directions only for metrics in `values`.")
            if d not in DIRECTIONS:
                raise unknown_name(f"direction for metric {metric!r}", d, DIRECTIONS)
            out[metric] = d  # type: ignore[assignment]
        missing = []
        for metric in metrics:
            if metric in out:
                continue
            guess = infer_direction(metric)
            if guess is None:
                missing.append(metric)
            else:
                out[metric] = guess
        if missing:
            example = ", ".join(f"{m!r}: 'maximize'" for m in missing)
            raise InputError(
                f"Cannot tell from their names whether to maximise or minimise metric(s) {missing}. Pass "
                f"them explicitly, e.g. directions={{{example}}} (or 'minimize')."
            )
        return {m: out[m] for m in metrics}

    # -- lookup hooks (override for a faster index or a lazily loaded table) -------------------
    def _row(self, arch: Any) -> int:
        """The table row of ``arch``.

        Raises:
            InputError: If ``arch`` is not an Architecture.
            InvalidArchitectureError: If it is not in the space, or in the space but not tabulated.
        """
        arch = self._space._check_arch(arch)
        try:
            self._space.validate(arch)
            key = self._space.key(arch)
        except InvalidArchitectureError as exc:
            raise InvalidArchitectureError(
                f"Cannot evaluate on {self.name}: the architecture is not a member of {self._space.name}. {exc}"
            ) from exc
        row = self._keys.get(key)
        if row is None:
            raise InvalidArchitectureError(
                f"{arch!r} is not in the table of {self.name}, which holds {self._num_rows} architecture(s) of "
                f"{self._space.name}. A tabular benchmark can only evaluate the architectures it was built "
                "with; check `arch in bench` first, or add a row for it."
            )
        return row

    def _column(self, metric: str) -> np.ndarray:
        """The read-only ``float64`` column of a (checked) metric, shape ``(n,)``."""
        return self._columns[metric]

    def _arch_at(self, row: int) -> Architecture:
        """The architecture of a table row."""
        return self._archs[row]

    # -- public API -----------------------------------------------------------------------------
    @property
    def space(self) -> SearchSpace:
        return self._space

    @property
    def metrics(self) -> tuple[str, ...]:
        return self._metrics

    def __len__(self) -> int:
        """The number of tabulated architectures ``n``."""
        return self._num_rows

    def __contains__(self, arch: object) -> bool:
        """Whether :meth:`evaluate` has a row for ``arch``."""
        try:
            self._row(arch)
        except InputError:
            return False
        return True

    def direction(self, metric: str) -> Direction:
        """``"maximize"`` or ``"minimize"``.

        Raises:
            UnknownNameError: If ``metric`` is not one of :attr:`metrics`.
        """
        return self._directions[self._check_metric(metric)]

    def evaluate(self, arch: Any, metrics: str | Iterable[str] | None = None) -> dict[str, float]:
        """The tabulated metrics of one architecture.

        Args:
            arch: An :class:`~agnet_bo.Architecture` of :attr:`space` that has a row.
            metrics: Metric names (or one name); ``None`` for all of :attr:`metrics`.

        Returns:
            ``{metric: value}`` as Python floats; ``float("nan")`` where the table has no value.

        Raises:
            InputError: If ``arch`` has the wrong type or ``metrics`` is malformed.
            InvalidArchitectureError: If ``arch`` is not in the space or not in the table.
            UnknownNameError: If a metric is not one of :attr:`metrics`.
        """
        names = self._check_metrics(metrics)
        row = self._row(arch)
        return {m: float(self._column(m)[row]) for m in names}

    def table(self, metric: str) -> np.ndarray:
        """The whole column of ``metric``, for vectorised analysis.

        Returns:
            A read-only ``float64`` array of shape ``(n,)``, in table row order (for NB201, the
            official index order); ``NaN`` where the value was not measured.

        Raises:
            UnknownNameError: If ``metric`` is not one of :attr:`metrics`.
        """
        return self._column(self._check_metric(metric))

    def _best_row(self, metric: str) -> int | None:
        if metric not in self._best_rows:
            col = self._column(metric)
            valid = ~np.isnan(col)
            if not valid.any():
                self._best_rows[metric] = None
            else:
                arg = np.nanargmax(col) if self._directions[metric] == "maximize" else np.nanargmin(col)
                self._best_rows[metric] = int(arg)
        return self._best_rows[metric]

    def optimum(self, metric: str) -> float:
        """The best value of ``metric`` over the table, ignoring ``NaN``.

        The maximum for a ``"maximize"`` metric, else the minimum; ``float("nan")`` if the column
        holds no value at all.

        Raises:
            UnknownNameError: If ``metric`` is not one of :attr:`metrics`.
        """
        row = self._best_row(self._check_metric(metric))
        return math.nan if row is None else float(self._column(metric)[row])

    def best(self, metric: str) -> Architecture:
        """The architecture achieving :meth:`optimum` (the first row on ties).

        Raises:
            UnknownNameError: If ``metric`` is not one of :attr:`metrics`.
            InputError: If the column holds no value (all ``NaN``).
        """
        row = self._best_row(self._check_metric(metric))
        if row is None:
            raise InputError(f"Metric {metric!r} of {self.name} has no measured value (all NaN); there is no best architecture.")
        return self._arch_at(row)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, rows={self._num_rows}, metrics={list(self._metrics)!r})"
