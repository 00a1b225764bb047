r"""Pruners: whether to stop a trial early from the intermediate values reported while it trains.

Multi-fidelity search in the ask/tell API (docs/guides/training-loop.md, "Reporting and
pruning")::

    opt = ab.Optimizer(space, "valid-accuracy", pruner=ab.pruners.SuccessiveHalving(min_step=1))
    trial = opt.ask()[0]
    for epoch, acc in train(trial.arch):            # your training loop
        opt.report(trial, epoch, acc)
        if opt.should_prune(trial):
            opt.tell(trial, acc, state="PRUNED")    # stopped at a lower fidelity
            break
    else:
        opt.tell(trial, acc)

A :class:`Pruner` sees the trial and every trial of the search (their
:attr:`~agnet_bo.Trial.intermediate` values) and answers yes or no. It keeps no state of its
own: what it decides from is saved with the optimizer, so a resumed search prunes as the
original would have.
"""

from __future__ import annotations

import bisect
import itertools
import math
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from agnet_bo._config import Configurable
from agnet_bo.exceptions import InputError
from agnet_bo.trial import Trial, TrialState

__all__ = ["Pruner", "SuccessiveHalving", "Hyperband", "MedianPruner"]


class Pruner(Configurable, ABC):
    """Decides whether a running trial should stop, from the values reported so far.

    Subclasses implement :meth:`prune`; :meth:`get_params` (constructor arguments) lets the
    optimizer save and rebuild the pruner.
    """

    _registry: ClassVar[dict[str, type[Any]]] = {}
    config_kind: ClassVar[str] = "pruner"

    @abstractmethod
    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str) -> bool:
        """Whether ``trial`` should stop now.

        Args:
            trial: A PENDING trial; its last reported step is :attr:`Trial.last_step`.
            trials: Every trial of the search, in creation order (``trial`` among them).
            direction: ``"maximize"`` or ``"minimize"``: the sense of the reported values
                (the first objective's).
        """

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this pruner."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def _positive(name: str, v: object, *, integer: bool = True, minimum: float = 1) -> Any:
    ok = isinstance(v, int) if integer else isinstance(v, (int, float))
    if isinstance(v, bool) or not ok or v < minimum:  # type: ignore[operator]
        kind = "an int" if integer else "a number"
        raise InputError(f"`{name}` must be {kind} >= {minimum}, got {v!r}.")
    return v


class SuccessiveHalving(Pruner):
    r"""Asynchronous successive halving (ASHA; Li et al., MLSys 2020), as in Optuna and Ray Tune.

    Rungs sit at steps ``min_step * reduction_factor ** k`` (``k = 0, 1, ...``, below
    ``max_step`` if given). When a trial's reports first reach a rung, its value there (the
    value reported at the first step at or after the rung) is compared with the values of every
    trial that reached the rung before it: the trial goes on only if it is among the best
    ``max(1, n // reduction_factor)`` of those ``n`` values (itself included), else it is
    pruned. A promotion is never taken back: between rungs, and at a rung already passed, the
    answer is "go on". With ``reduction_factor=3``, about a third of the trials pass each rung.

    Args:
        min_step: The first rung (e.g. epoch 1). Default 1.
        reduction_factor: ``eta``: one trial in ``eta`` passes a rung. Default 3.
        max_step: The full budget; no rung at or beyond it (a trial that reaches it completes).
            Default ``None``: no limit.
        min_trials: Do not prune at a rung until this many trials reached it (a warm-up so that
            the first trials are not compared with almost nobody). Default 1.
    """

    config_name = "SuccessiveHalving"  # state files of format 3 name pruners by class

    def __init__(self, min_step: int = 1, reduction_factor: int = 3, max_step: int | None = None, min_trials: int = 1) -> None:
        self.min_step = _positive("min_step", min_step)
        self.reduction_factor = _positive("reduction_factor", reduction_factor, minimum=2)
        self.max_step = None if max_step is None else _positive("max_step", max_step)
        if self.max_step is not None and self.max_step <= self.min_step:
            raise InputError(f"`max_step` ({max_step}) must be larger than `min_step` ({min_step}).")
        self.min_trials = _positive("min_trials", min_trials)

    def rungs(self, up_to: int) -> list[int]:
        """The rung steps at or below ``up_to`` (and below ``max_step``)."""
        out, step = [], self.min_step
        while step <= up_to and (self.max_step is None or step < self.max_step):
            out.append(step)
            step *= self.reduction_factor
        return out

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str) -> bool:
        steps = sorted(trial._intermediate)
        if not steps:
            return False
        last = steps[-1]
        before = steps[-2] if len(steps) > 1 else None
        # Only the rung this report just reached is decided (asynchronous: promotions stand).
        crossed = [r for r in self.rungs(last) if before is None or r > before]
        if not crossed:
            return False
        rung = crossed[-1]
        mine = trial._intermediate[last]
        # Competitors: every other trial that reached the rung, whatever became of it since.
        values = [mine]
        for other in trials:
            if other.id == trial.id or other.state is TrialState.FAIL:
                continue
            v = other.value_at(rung)
            if v is not None:
                values.append(v)
        if len(values) < self.min_trials:
            return False
        keep = max(1, len(values) // self.reduction_factor)
        better = sum((v > mine) if direction == "maximize" else (v < mine) for v in values)
        return better >= keep

    def get_params(self) -> dict[str, Any]:
        return {
            "min_step": self.min_step, "reduction_factor": self.reduction_factor,
            "max_step": self.max_step, "min_trials": self.min_trials,
        }


class Hyperband(Pruner):
    r"""Hyperband (Li et al., JMLR 2018) over asynchronous successive halving, as Optuna's.

    ASHA's first rung is a bet on how early the ranking settles: too early and good trials are
    stopped, too late and little is saved. Hyperband hedges the bet. It runs ``s + 1`` brackets
    side by side (``s = floor(log_eta(max_step / min_step))``): bracket ``b < s`` is a
    :class:`SuccessiveHalving` with its first rung at ``min_step * reduction_factor ** b``, and the
    last bracket starts at ``max_step``: its trials are never pruned (plain full-fidelity search,
    Hyperband's most conservative bracket). Each trial belongs to one bracket and competes only
    with the trials of that bracket.

    A trial's bracket is drawn from its id and ``seed`` (a hash: the same trial, the same bracket,
    after a resume too), with probabilities proportional to Hyperband's trial counts
    ``ceil((s + 1) / (s - b + 1) * eta ** (s - b))``: the early-rung brackets, which screen cheaply,
    get the most trials.

    Args:
        min_step: The earliest first rung (bracket 0). Default 1.
        max_step: The full budget (required: it fixes the brackets); at least
            ``min_step * reduction_factor``, else no bracket could prune.
        reduction_factor: ``eta``, as in :class:`SuccessiveHalving`. Default 3.
        min_trials: As in :class:`SuccessiveHalving`, per bracket. Default 1.
        seed: Seeds the assignment of trials to brackets. Default 0.

    Example:
        >>> hb = Hyperband(min_step=1, max_step=27)
        >>> hb.first_rungs, hb.bracket_weights
        ([1, 3, 9, 27], [27, 12, 6, 4])
        >>> Hyperband(min_step=1, max_step=8, reduction_factor=2).first_rungs
        [1, 2, 4, 8]
        >>> Hyperband(min_step=1, max_step=20).first_rungs  # the last bracket: no pruning
        [1, 3, 20]
    """

    config_name = "Hyperband"  # state files of format 3 name pruners by class

    def __init__(
        self, min_step: int = 1, max_step: int | None = None, reduction_factor: int = 3, min_trials: int = 1, seed: int = 0
    ) -> None:
        if max_step is None:
            raise InputError(
                "Hyperband needs `max_step`, the full budget (e.g. the number of epochs): its brackets are "
                "spread between min_step and max_step. Use SuccessiveHalving for an open-ended budget."
            )
        self.min_step = _positive("min_step", min_step)
        self.max_step = _positive("max_step", max_step)
        self.reduction_factor = _positive("reduction_factor", reduction_factor, minimum=2)
        self.min_trials = _positive("min_trials", min_trials)
        self.seed = _positive("seed", seed, minimum=0)
        eta = self.reduction_factor
        s, step = 0, self.min_step * eta
        while step <= self.max_step:  # exact integer log: floor(log_eta(max_step / min_step))
            s, step = s + 1, step * eta
        if s == 0:
            raise InputError(
                f"`max_step` ({max_step}) must be at least min_step * reduction_factor "
                f"({self.min_step * eta}) for Hyperband to have a bracket that prunes; lower `min_step` "
                "or `reduction_factor`, or use SuccessiveHalving."
            )
        self.first_rungs: list[int] = [self.min_step * eta**b for b in range(s)] + [self.max_step]
        """The first rung of each bracket; the last is ``max_step``: that bracket never prunes."""
        self.bracket_weights: list[int] = [math.ceil((s + 1) / (s - b + 1) * eta ** (s - b)) for b in range(s + 1)]
        """Hyperband's trial count of each bracket: the assignment's relative probabilities."""
        self._upper = list(itertools.accumulate(self.bracket_weights))  # bracket b: u < _upper[b]
        self._brackets = [
            SuccessiveHalving(first, eta, self.max_step, self.min_trials) if first < self.max_step else None
            for first in self.first_rungs
        ]

    def bracket(self, trial: Trial | int) -> int:
        """The bracket of a trial (or of a trial id): ``0`` has the earliest first rung."""
        tid = trial.id if isinstance(trial, Trial) else int(trial)
        u = zlib.crc32(f"hyperband:{self.seed}:{tid}".encode()) % self._upper[-1]
        return bisect.bisect_right(self._upper, u)

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str) -> bool:
        b = self.bracket(trial)
        rule = self._brackets[b]
        if rule is None:  # the full-fidelity bracket
            return False
        return rule.prune(trial, [t for t in trials if self.bracket(t) == b], direction)

    def get_params(self) -> dict[str, Any]:
        return {
            "min_step": self.min_step, "max_step": self.max_step, "reduction_factor": self.reduction_factor,
            "min_trials": self.min_trials, "seed": self.seed,
        }


class MedianPruner(Pruner):
    """Stop a trial whose value is worse than the median of the other trials' at the same step.

    Compared at every reported step from ``warmup_steps`` on, once ``min_trials`` other trials
    reported at or after that step (each contributes its value at the first step at or after).

    Args:
        warmup_steps: Steps before which nothing is pruned. Default 0.
        min_trials: Other trials needed at a step before pruning there. Default 5.
    """

    config_name = "MedianPruner"  # state files of format 3 name pruners by class

    def __init__(self, warmup_steps: int = 0, min_trials: int = 5) -> None:
        self.warmup_steps = _positive("warmup_steps", warmup_steps, minimum=0)
        self.min_trials = _positive("min_trials", min_trials)

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str) -> bool:
        step = trial.last_step
        if step is None or step < self.warmup_steps:
            return False
        others = [
            v for o in trials
            if o.id != trial.id and o.state is not TrialState.FAIL and (v := o.value_at(step)) is not None
        ]
        if len(others) < self.min_trials:
            return False
        others.sort()
        n = len(others)
        median = others[n // 2] if n % 2 else 0.5 * (others[n // 2 - 1] + others[n // 2])
        mine = trial._intermediate[step]
        return mine < median if direction == "maximize" else mine > median

    def get_params(self) -> dict[str, Any]:
        return {"warmup_steps": self.warmup_steps, "min_trials": self.min_trials}
