"""Trials: one architecture asked for (and maybe evaluated) by the optimizer."""

from __future__ import annotations

import enum
import math
from typing import Any

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError

__all__ = ["Trial", "TrialState"]


class TrialState(str, enum.Enum):
    """Life cycle of a trial: ``PENDING`` once asked, then ``COMPLETE``, ``PRUNED`` (stopped early
    at a lower fidelity, see :meth:`Optimizer.should_prune <agnet_bo.Optimizer.should_prune>`) or
    ``FAIL`` once told."""

    PENDING = "PENDING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"

    def is_finished(self) -> bool:
        """Whether the trial was told (complete, pruned or failed)."""
        return self is not TrialState.PENDING


class Trial:
    """One architecture of a search and what became of it.

    Trials are created by :meth:`agnet_bo.Optimizer.ask` (or ``add_evaluated``) and updated by
    :meth:`~agnet_bo.Optimizer.tell`; their attributes are read-only for users.

    Attributes:
        id: The trial number, unique within its optimizer (0, 1, 2, ... in creation order).
        arch: The architecture to evaluate.
        key: ``space.key(arch)``, its identity in the space.
        state: :class:`TrialState`.
        values: The objective values told (``None`` until complete), keyed by objective name.
        source: Where the architecture came from: ``"initial"``, ``"proposed"``, ``"enqueued"``
            (:meth:`Optimizer.enqueue <agnet_bo.Optimizer.enqueue>`) or ``"user"``.
        round: The search round (number of model refits before it was asked).
        info: Extra data told with the result (JSON-serialisable, e.g. test accuracy).
        intermediate: Values of the first objective reported during training, ``{step: value}``
            (:meth:`Optimizer.report <agnet_bo.Optimizer.report>`), in step order.
    """

    __slots__ = ("_arch", "_id", "_info", "_intermediate", "_key", "_round", "_source", "_state", "_values")

    def __init__(self, id: int, arch: Architecture, key: str, source: str = "proposed", round: int = 0) -> None:
        self._id = int(id)
        self._arch = arch
        self._key = key
        self._state = TrialState.PENDING
        self._values: dict[str, float] | None = None
        self._source = source
        self._round = int(round)
        self._info: dict[str, Any] = {}
        self._intermediate: dict[int, float] = {}

    @property
    def id(self) -> int:
        """The trial number."""
        return self._id

    @property
    def arch(self) -> Architecture:
        """The architecture."""
        return self._arch

    @property
    def key(self) -> str:
        """The architecture's key in the space."""
        return self._key

    @property
    def state(self) -> TrialState:
        """The :class:`TrialState`."""
        return self._state

    @property
    def source(self) -> str:
        """``"initial"``, ``"proposed"`` or ``"user"``."""
        return self._source

    @property
    def round(self) -> int:
        """The search round it was asked in."""
        return self._round

    @property
    def values(self) -> dict[str, float] | None:
        """A copy of the told objective values, or ``None``."""
        return None if self._values is None else dict(self._values)

    @property
    def info(self) -> dict[str, Any]:
        """A copy of the extra data told with the result."""
        return dict(self._info)

    @property
    def intermediate(self) -> dict[int, float]:
        """Reported intermediate values of the first objective, ``{step: value}`` in step order."""
        return dict(self._intermediate)

    @property
    def last_step(self) -> int | None:
        """The last step reported (e.g. the epoch a pruned trial stopped at), or ``None``."""
        return max(self._intermediate) if self._intermediate else None

    def value_at(self, step: int) -> float | None:
        """The intermediate value reported at ``step``, or at the first step after it that was
        reported (a trial reporting every other epoch still has a value at an odd rung);
        ``None`` if nothing was reported at or after ``step``."""
        later = [s for s in self._intermediate if s >= step]
        return self._intermediate[min(later)] if later else None

    # -- used by the optimizer ---------------------------------------------------------------
    def _finish(self, state: TrialState, values: dict[str, float] | None, info: dict[str, Any] | None) -> None:
        self._state = state
        self._values = None if values is None else dict(values)
        self._info = dict(info or {})

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (non-finite values written as strings ``"nan"``/``"inf"``)."""
        vals = None if self._values is None else {k: _enc(v) for k, v in self._values.items()}
        return {
            "id": self._id,
            "arch": self._arch.to_dict(),
            "key": self._key,
            "state": self._state.value,
            "values": vals,
            "source": self._source,
            "round": self._round,
            "info": self._info,
            "intermediate": [[k, _enc(v)] for k, v in self._intermediate.items()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        """Inverse of :meth:`to_dict`.

        Raises:
            InputError: If a field is missing or malformed.
        """
        try:
            t = cls(data["id"], Architecture.from_dict(data["arch"]), data["key"], data["source"], data["round"])
            state = TrialState(data["state"])
            vals = data["values"]
            t._finish(state, None if vals is None else {k: _dec(v) for k, v in vals.items()}, data.get("info"))
            t._intermediate = {int(k): _dec(v) for k, v in data.get("intermediate", [])}
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"Malformed trial record {str(data)[:200]!r}: {exc}") from exc
        return t

    def __repr__(self) -> str:
        vals = "" if self._values is None else f", values={self._values}"
        return f"Trial(id={self._id}, state={self._state.value}{vals})"


def _enc(v: float) -> float | str:
    return v if math.isfinite(v) else str(v)


def _dec(v: float | str) -> float:
    return float(v)
