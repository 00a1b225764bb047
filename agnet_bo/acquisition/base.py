"""The :class:`Acquisition` contract: choose ``q`` members of a candidate pool."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from agnet_bo._config import Configurable
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError

if TYPE_CHECKING:
    from agnet_bo.surrogates.base import Surrogate

__all__ = ["Acquisition", "AcquisitionContext"]


@dataclass
class AcquisitionContext:
    """What an acquisition needs besides the surrogate and the pool; the optimizer fills it.

    Values are in the surrogate's units (normal scores with the copula transform) and every
    objective is maximised; the optimizer has already flipped ``"minimize"`` objectives.

    Attributes:
        train_archs: Evaluated architectures (``n``).
        train_Y: Their modelled outputs in the surrogate's units, maximised (``n x m``).
        pending: Asked but not yet told architectures.
        objectives: Column indices of ``train_Y`` that are objectives (the rest are only
            constrained).
        constraints: ``(column, bound, sign)`` triples in the surrogate's units: feasible where
            ``sign * (output[column] - bound) <= 0`` (``sign = 1`` for an upper bound, ``-1`` for a
            lower bound; the optimizer converts the user's thresholds).
        seed: Seed of everything random in this one selection (QMC samplers, scalarisation
            weights); the optimizer derives it from its own seed and the number of trials.
        n_asked: Trials asked before this selection (told, failed, pruned and pending alike), so
            that pick ``k`` of the selection is pick ``n_asked + k`` of the search: per-pick
            settings (UCB's kappa spread, ParEGO's anchors) cycle over the whole search, also
            when a loop asks one architecture at a time and tells it before the next ask.
    """

    train_archs: list[Architecture]
    train_Y: Tensor
    pending: list[Architecture] = field(default_factory=list)
    objectives: list[int] = field(default_factory=lambda: [0])
    constraints: list[tuple[int, float, int]] = field(default_factory=list)
    seed: int = 0
    n_asked: int = 0

    def pick_index(self, k: int) -> int:
        """The place in the search of this selection's pick ``k`` (``0``-based): ``n_asked + k``,
        at least ``len(pending) + k`` (a context built without ``n_asked``)."""
        return max(self.n_asked, len(self.pending)) + k

    def feasible(self, Y: Tensor) -> Tensor:
        """Which rows of ``Y`` (``n x m``, surrogate units) meet every constraint (``n`` bools)."""
        ok = torch.ones(Y.shape[0], dtype=torch.bool)
        for col, bound, sign in self.constraints:
            ok &= sign * (Y[:, col] - bound) <= 0
        return ok


class Acquisition(Configurable, ABC):
    """Chooses ``q`` architectures from a pool of candidates, given a fitted surrogate.

    Subclass it and implement :meth:`select`; give the class a ``name`` and say which searches
    it serves (``objectives``: ``"single"``, ``"multi"`` or ``"any"``; ``handles_constraints``).
    Settings are constructor arguments, reported by :meth:`get_params` as JSON values, so that a
    saved search can rebuild the acquisition (``type(acq)(**acq.get_params())``).

    The optimizer calls :meth:`choose`, which checks ``q``, runs :meth:`select` with torch's
    global random state seeded from ``context.seed`` (and restored afterwards: BoTorch draws
    some samples from it) and checks that ``q`` distinct pool indices came back.

    Example:
        >>> class LowestVariance(Acquisition):
        ...     name = "lowest-variance"
        ...     def select(self, surrogate, pool, q, context):
        ...         _, var = surrogate.predict(list(pool))
        ...         return var[:, 0].argsort()[:q].tolist()
    """

    name: ClassVar[str] = ""
    objectives: ClassVar[str] = "single"
    handles_constraints: ClassVar[bool] = False
    _registry: ClassVar[dict[str, type[Any]]] = {}
    config_kind: ClassVar[str] = "acquisition"

    @abstractmethod
    def select(self, surrogate: Surrogate, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        """Indices of the ``q`` pool members to evaluate next.

        Args:
            surrogate: A fitted surrogate modelling ``context.train_Y``'s columns.
            pool: ``N >= q`` candidates, none evaluated or pending.
            q: How many to choose.
            context: Training data, pending architectures, objectives, constraints and seed.

        Returns:
            ``q`` distinct indices into ``pool``.
        """

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, as JSON values (tuples as lists)."""
        return {}

    def check(self, n_objectives: int, n_constraints: int) -> None:
        """Raise :class:`~agnet_bo.exceptions.InputError` if this acquisition cannot serve a search
        with ``n_objectives`` objectives and ``n_constraints`` outcome constraints."""
        label = self.name or type(self).__name__
        if self.objectives == "single" and n_objectives > 1:
            raise InputError(
                f'Acquisition "{label}" is single-objective but there are {n_objectives} objectives; use a '
                'multi-objective one such as "parego" or "qlogehvi".'
            )
        if self.objectives == "multi" and n_objectives < 2:
            raise InputError(f'Acquisition "{label}" needs several objectives; got {n_objectives}.')
        if n_constraints and not self.handles_constraints:
            raise InputError(f'Acquisition "{label}" does not handle outcome constraints; use "qlognei" or "qlogei".')

    def choose(self, surrogate: Surrogate, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        """:meth:`select`, checked and seeded (see the class docstring).

        Raises:
            InputError: If ``q`` exceeds the pool, or :meth:`select` returned anything but ``q``
                distinct indices into the pool.
        """
        if q > len(pool):
            raise InputError(f"Cannot choose {q} architectures from a pool of {len(pool)}.")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(context.seed)
            out = self.select(surrogate, pool, q, context)
        try:
            picks = [int(i) for i in out]
        except (TypeError, ValueError):
            raise InputError(f"{type(self).__name__}.select must return a list of pool indices, got {out!r}.") from None
        if len(picks) != q or len(set(picks)) != q or any(not 0 <= i < len(pool) for i in picks):
            raise InputError(
                f"{type(self).__name__}.select must return {q} distinct indices in [0, {len(pool)}), got {picks!r}."
            )
        return picks

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
