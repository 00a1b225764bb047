"""Multi-objective helpers on top of pymoo: non-dominated sorting and hypervolume.

Everything in agnet-bo is *maximised* internally (a "minimize" objective is negated once, when
values enter the optimizer). pymoo minimises, so this module is the single place where the sign is
flipped back: callers pass maximisation values and get maximisation answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agnet_bo.exceptions import InputError

__all__ = ["non_dominated_ranks", "pareto_mask", "hypervolume", "reference_point"]


def _as_matrix(Y: Any, name: str = "Y") -> np.ndarray:
    y = np.asarray(Y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise InputError(f"`{name}` must be an n x m matrix of objective values, got shape {y.shape}.")
    if not np.isfinite(y).all():
        raise InputError(f"`{name}` must be finite; drop failed trials first.")
    return y


def non_dominated_ranks(Y: Any) -> np.ndarray:
    """Front index of every point (0 = non-dominated), all objectives maximised.

    Args:
        Y: ``n x m`` values (larger is better in every column).

    Returns:
        ``n`` integer ranks.

    Example:
        >>> non_dominated_ranks([[1, 2], [2, 1], [1, 1], [0, 0]]).tolist()
        [0, 0, 1, 2]
    """
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    y = _as_matrix(Y)
    if len(y) == 0:
        return np.zeros(0, dtype=int)
    fronts = NonDominatedSorting().do(-y)
    ranks = np.empty(len(y), dtype=int)
    for r, front in enumerate(fronts):
        ranks[np.asarray(front, dtype=int)] = r
    return ranks


def pareto_mask(Y: Any) -> np.ndarray:
    """Boolean mask of the non-dominated points of ``Y`` (``n x m``, maximised)."""
    return non_dominated_ranks(Y) == 0


def reference_point(Y: Any, margin: float = 0.1) -> np.ndarray:
    """A reference point for the hypervolume: the nadir of ``Y`` minus ``margin`` times its range.

    Args:
        Y: ``n x m`` values (maximised), e.g. the points found or a known front.
        margin: Share of each objective's range to step beyond the worst value.

    Returns:
        An ``m``-vector, worse than every point of ``Y`` in every objective.
    """
    y = _as_matrix(Y)
    if len(y) == 0:
        raise InputError("A reference point needs at least one point.")
    lo, hi = y.min(axis=0), y.max(axis=0)
    span = np.where(hi > lo, hi - lo, np.maximum(np.abs(lo), 1.0))
    return lo - margin * span


def hypervolume(Y: Any, ref_point: Any) -> float:
    """Hypervolume dominated by ``Y`` (``n x m``, maximised) above ``ref_point`` (``m``), via pymoo.

    Points not better than the reference point in every objective contribute nothing.

    Example:
        >>> hypervolume([[1, 2], [2, 1]], ref_point=[0, 0])
        3.0
    """
    from pymoo.indicators.hv import HV

    y = _as_matrix(Y)
    ref = np.asarray(ref_point, dtype=float).reshape(-1)
    if ref.shape[0] != y.shape[1]:
        raise InputError(f"`ref_point` has {ref.shape[0]} entries but Y has {y.shape[1]} objectives.")
    if len(y) == 0:
        return 0.0
    return float(HV(ref_point=-ref)(-y))
