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

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from agnet_bo.exceptions import InputError
from agnet_bo.trial import Trial, TrialState

__all__ = ["Pruner", "SuccessiveHalving", "MedianPruner"]


class Pruner(ABC):
    """Decides whether a running trial should stop, from the values reported so far.

    Subclasses implement :meth:`prune`; :meth:`get_params` (constructor arguments) lets the
    optimizer save and rebuild the pruner.
    """

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


class MedianPruner(Pruner):
    """Stop a trial whose value is worse than the median of the other trials' at the same step.

    Compared at every reported step from ``warmup_steps`` on, once ``min_trials`` other trials
    reported at or after that step (each contributes its value at the first step at or after).

    Args:
        warmup_steps: Steps before which nothing is pruned. Default 0.
        min_trials: Other trials needed at a step before pruning there. Default 5.
    """

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
