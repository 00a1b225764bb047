"""Trials: one architecture asked for (and maybe evaluated) by the optimizer."""

from __future__ import annotations

import enum
import math
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError

if TYPE_CHECKING:
    from agnet_bo.objectives import Problem

__all__ = ["Trial", "TrialState", "TrialStore", "ModelData", "outcome"]


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
    :meth:`~agnet_bo.Optimizer.tell`; their attributes are read-only for users. Only a
    :class:`TrialStore` changes a trial, and it sets the state last: a trial read from another
    thread is never COMPLETE without its values.

    Attributes:
        id: The trial number, unique within its optimizer (0, 1, 2, ... in creation order).
        arch: The architecture to evaluate.
        key: ``space.key(arch)``, its identity in the space.
        state: :class:`TrialState`.
        values: The objective values told (``None`` until complete), keyed by objective name.
        source: Where the architecture came from: ``"initial"``, ``"prior"`` (the prior's part of
            the initial design, docs/guides/prior.md), ``"proposed"``, ``"enqueued"``
            (:meth:`Optimizer.enqueue <agnet_bo.Optimizer.enqueue>`), ``"user"``, or
            ``"spare"`` (with refits in the background: the rest of the last round's pool, handed
            out while a refit was still running and every pick was taken).
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
        """``"initial"``, ``"prior"``, ``"proposed"``, ``"enqueued"``, ``"user"`` or ``"spare"``."""
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

    # -- changed by the TrialStore only -------------------------------------------------------
    def _finish(self, state: TrialState, values: dict[str, float] | None, info: dict[str, Any] | None) -> None:
        self._values = None if values is None else dict(values)
        self._info = dict(info or {})
        self._state = state  # last: a reader that sees the state sees its values

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
            t._intermediate = dict(sorted((int(k), _dec(v)) for k, v in data.get("intermediate", [])))
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


class ModelData:
    """What the models learn from, read from a :class:`TrialStore` at one moment (copies).

    Attributes:
        trials: The modelled trials: complete ones, then pruned ones with values (``n``).
        archs: Their architectures.
        Y: ``n x m`` modelled values in maximisation sense (:meth:`Problem.Y
            <agnet_bo.objectives.Problem.Y>`), pruned trials' first objective imputed.
        feasible: ``n`` booleans (every constraint met), ``None`` without constraints.
    """

    __slots__ = ("Y", "archs", "feasible", "trials")

    def __init__(self, trials: list[Trial], Y: np.ndarray, feasible: np.ndarray | None) -> None:
        self.trials = trials
        self.archs = [t.arch for t in trials]
        self.Y = Y
        self.feasible = feasible


class TrialStore:
    """The trials of one search: the one object that creates and changes them, behind one lock.

    Every method takes :attr:`lock` (a re-entrant lock), so each is atomic with respect to the
    others; a caller that needs several steps to be atomic (check a key, then create a trial)
    holds :attr:`lock` around them. Trials are numbered ``0, 1, 2, ...`` in creation order and
    their keys are unique: the store refuses a second trial of a key, whoever asks.

    Example:
        >>> from agnet_bo import Architecture
        >>> store = TrialStore()
        >>> a = Architecture(["input", "conv", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
        >>> t = store.add(a, "k0", source="user")
        >>> store.finish(t, TrialState.COMPLETE, {"acc": 0.9})
        >>> len(store), store.get("k0") is t, t.state.value
        (1, True, 'COMPLETE')
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._trials: list[Trial] = []
        self._by_key: dict[str, Trial] = {}

    # -- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._trials)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def trials(self) -> list[Trial]:
        """Every trial in creation order (a new list)."""
        with self.lock:
            return list(self._trials)

    def keys(self) -> set[str]:
        """The keys of every trial (a new set)."""
        with self.lock:
            return set(self._by_key)

    def get(self, key: str) -> Trial | None:
        """The trial of ``key``, or ``None``."""
        return self._by_key.get(key)

    def with_state(self, state: TrialState) -> list[Trial]:
        """The trials in ``state``, in creation order."""
        with self.lock:
            return [t for t in self._trials if t._state is state]

    def count_modelled(self) -> int:
        """How many trials the models learn from: complete ones and pruned ones with values."""
        with self.lock:
            return sum(
                t._state is TrialState.COMPLETE or (t._state is TrialState.PRUNED and t._values is not None)
                for t in self._trials
            )

    def resolve(self, trial: Trial | int) -> Trial:
        """This store's trial for a :class:`Trial` or a trial id.

        Raises:
            InputError: An id out of range, or a trial of another search.
        """
        if isinstance(trial, Trial):
            tid = trial.id
        elif isinstance(trial, (int, np.integer)) and not isinstance(trial, bool):
            tid = int(trial)
        else:
            raise InputError(f"Expected a Trial or a trial id (int), got {type(trial).__name__} {trial!r}.")
        with self.lock:
            if not 0 <= tid < len(self._trials):
                raise InputError(f"Unknown trial {tid}: this optimizer has trials 0..{len(self._trials) - 1}.")
            ours = self._trials[tid]
        if isinstance(trial, Trial) and trial is not ours and trial.key != ours.key:
            raise InputError(f"Trial {tid} of another optimizer: its architecture differs from this optimizer's trial {tid}.")
        return ours

    def model_data(self, problem: Problem) -> ModelData:
        """Complete trials, then pruned ones (with values), and their modelled values.

        A pruned trial's first objective was measured at a lower fidelity (its last reported
        step ``s``); it enters at that value plus the median gain from step ``s`` to the end
        among complete trials that reported at ``s`` (or later): its expected full-fidelity
        value, had it gone on like those that did (docs/guides/training-loop.md). With no such
        complete trial, the value as told. Its other metrics enter as told.
        """
        with self.lock:
            done = [t for t in self._trials if t._state is TrialState.COMPLETE]
            pruned = [t for t in self._trials if t._state is TrialState.PRUNED and t._values is not None]
        Y = problem.Y([t._values for t in done])  # type: ignore[misc]  # complete trials have values
        if pruned:
            first = problem.metrics[0]
            Yp = problem.Y([t._values for t in pruned])  # type: ignore[misc]
            median_gain: dict[int, float | None] = {}  # per step: pruned trials share a few rungs
            for i, t in enumerate(pruned):
                step = t.last_step
                if step is None:
                    continue
                if step not in median_gain:
                    gains = [c._values[first] - v for c in done if (v := c.value_at(step)) is not None]  # type: ignore[index]
                    median_gain[step] = float(np.median(gains)) if gains else None
                gain = median_gain[step]
                if gain is not None:
                    Yp[i, 0] += problem.sign[0] * gain
            Y = np.vstack([Y, Yp])
        trials = done + pruned
        feasible = problem.feasible([t._values for t in trials]) if problem.constraints else None  # type: ignore[misc]
        return ModelData(trials, Y, feasible)

    # -- changing -------------------------------------------------------------------------------
    def add(self, arch: Architecture, key: str, source: str = "proposed", round: int = 0) -> Trial:
        """A new PENDING trial of ``arch``.

        Raises:
            InputError: If ``key`` is already a trial.
        """
        with self.lock:
            if key in self._by_key:
                raise InputError(f"This architecture is already trial {self._by_key[key].id}.")
            t = Trial(len(self._trials), arch, key, source=source, round=round)
            self._trials.append(t)
            self._by_key[key] = t
            return t

    def remove(self, trial: Trial) -> None:
        """Undo :meth:`add` of the newest trial (a warm start whose values were refused)."""
        with self.lock:
            if not self._trials or self._trials[-1] is not trial:
                raise InputError(f"Only the newest trial can be removed, not trial {trial.id}.")
            self._trials.pop()
            del self._by_key[trial.key]

    def report(self, trial: Trial, step: int, value: float) -> None:
        """Record ``value`` at ``step`` of a PENDING trial (checked by the caller: an int step, a finite value).

        Raises:
            InputError: If the trial was told, or the step was reported before.
        """
        with self.lock:
            if trial._state.is_finished():
                raise InputError(f"Trial {trial.id} was already told ({trial._state.value}); report values while it is PENDING.")
            if step in trial._intermediate:
                raise InputError(
                    f"Trial {trial.id} already has a value at step {step} ({trial._intermediate[step]}); each step is reported once."
                )
            trial._intermediate = dict(sorted({**trial._intermediate, step: float(value)}.items()))

    def finish(self, trial: Trial, state: TrialState, values: Mapping[str, float] | None, info: Mapping[str, Any] | None = None) -> None:
        """Tell a PENDING trial's outcome.

        Raises:
            InputError: If the trial was already told.
        """
        with self.lock:
            if trial._state.is_finished():
                raise InputError(f"Trial {trial.id} was already told ({trial._state.value}); each trial is told once.")
            trial._finish(state, None if values is None else dict(values), dict(info or {}))

    # -- state ----------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its lock (Ray pickles searchers that hold an optimizer)."""
        with self.lock:
            state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every trial as :meth:`Trial.to_dict`, in order."""
        with self.lock:
            return [t.to_dict() for t in self._trials]

    def load(self, records: Iterable[Mapping[str, Any]], source: str = "The state") -> None:
        """Append trials saved by :meth:`to_dicts` (ids must continue this store's).

        Raises:
            InputError: If a record is malformed, or ids are not consecutive.
        """
        with self.lock:
            for rec in records:
                t = Trial.from_dict(dict(rec))
                if t.id != len(self._trials):
                    raise InputError(f"{source}: trial ids are not consecutive (found {t.id} at {len(self._trials)}).")
                self._trials.append(t)
                self._by_key[t.key] = t

    def __repr__(self) -> str:
        return f"TrialStore({len(self._trials)} trials)"


def outcome(problem: Problem, trial: Trial, values: Any, state: TrialState | str) -> tuple[TrialState, dict[str, float] | None, list[str]]:
    """What telling ``values`` with ``state`` records for a PENDING ``trial``: the state, the
    parsed values and the metrics whose value is not finite (the state is then FAIL).

    A PRUNED trial of a search with one modelled metric defaults to its last reported value.

    Raises:
        InputError: A bad state, a trial already told, missing or malformed values.
    """
    try:
        state = TrialState(state)
    except ValueError:
        raise InputError(f"`state` must be COMPLETE, PRUNED or FAIL, got {state!r}.") from None
    if state is TrialState.PENDING:
        raise InputError("`state` must be COMPLETE, PRUNED or FAIL, not PENDING.")
    if trial.state.is_finished():
        raise InputError(f"Trial {trial.id} was already told ({trial.state.value}); each trial is told once.")
    metrics = problem.metrics
    if state is TrialState.PRUNED and values is None:
        if len(metrics) != 1 or not trial.intermediate:
            raise InputError(
                f"A PRUNED trial needs the values it reached for {metrics} "
                "(only a search with one modelled metric and reported values can default to the last one)."
            )
        values = trial.intermediate[max(trial.intermediate)]
    if values is None and state is not TrialState.FAIL:
        raise InputError(f"A COMPLETE trial needs values for {metrics}; use state='FAIL' for a failed one.")
    vals = None if values is None else problem.parse_values(values)
    bad = [] if vals is None or state is TrialState.FAIL else [k for k, v in vals.items() if not math.isfinite(v)]
    return (TrialState.FAIL if bad else state), vals, bad
