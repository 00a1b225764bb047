"""Rules on the surrogate's predicted means alone: greedy (the paper's pick) and AG-Net's
hardware-aware rank sums (Eq. 4 and Eq. 5 of the paper)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agnet_bo.acquisition.base import Acquisition, AcquisitionContext
from agnet_bo.architecture import Architecture

__all__ = ["GreedyMean", "RankSum", "RankConstrained"]


def _rank_rule(mean: np.ndarray, q: int, objectives: list[int], ctx: AcquisitionContext) -> list[int]:
    """Sum of the ranks by each objective in ``objectives``; a predicted constraint violation
    multiplies the rank by 1000 (and adds 1000)."""
    score = np.zeros(mean.shape[0])
    for j in objectives:
        score += np.argsort(np.argsort(-mean[:, j], kind="stable"), kind="stable")
    for col, bound, sign in ctx.constraints:
        score = np.where(sign * (mean[:, col] - bound) > 0, score * 1000 + 1000, score)
    return [int(i) for i in np.argsort(score, kind="stable")[:q]]


def _means(surrogate: Any, pool: Sequence[Architecture]) -> np.ndarray:
    mean, _ = surrogate.predict(list(pool))
    return mean.detach().cpu().numpy()


class GreedyMean(Acquisition):
    """The ``q`` candidates with the best predicted mean of the first objective (the paper's
    selection); a predicted constraint violation sends a candidate to the back."""

    name = "greedy"
    config_name = "greedy"
    handles_constraints = True

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        return _rank_rule(_means(surrogate, pool), q, context.objectives[:1], context)


class RankSum(Acquisition):
    """AG-Net's Eq. 4: rank the pool by every objective's predicted mean and pick the smallest
    rank sums; a predicted constraint violation multiplies the rank by 1000."""

    name = "rank-sum"
    config_name = "rank-sum"
    objectives = "any"
    handles_constraints = True

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        return _rank_rule(_means(surrogate, pool), q, list(context.objectives), context)


class RankConstrained(Acquisition):
    """AG-Net's Eq. 5: rank by the first objective alone; a predicted constraint violation
    multiplies the rank by 1000 (the other objectives are left to the constraints)."""

    name = "rank-constrained"
    config_name = "rank-constrained"
    objectives = "any"
    handles_constraints = True

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        return _rank_rule(_means(surrogate, pool), q, context.objectives[:1], context)
