"""Multi-objective acquisitions on the candidate pool: ParEGO (with anchor picks), qLogEHVI with a
believer, their alternation, and qLogNEHVI, all from BoTorch's building blocks."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from agnet_bo._validation import check_float, check_int
from agnet_bo.acquisition import _pool
from agnet_bo.acquisition.base import AcquisitionContext
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import unknown_name

__all__ = ["PAREGO_WEIGHTS", "ParEGO", "QLogEHVI", "QLogNEHVI", "EHVIParEGO"]

PAREGO_WEIGHTS = ("random", "sobol")
"""How ParEGO picks draw their scalarisation weights."""


def _parego_weights(m: int, g: int, scheme: str, seed: int) -> Tensor:
    """Scalarisation weights (``m``) of ParEGO pick ``g``."""
    from botorch.utils.sampling import sample_simplex

    if scheme == "sobol":  # a prefix of one sequence: picks 0..g-1 keep their weights
        return sample_simplex(m, n=g + 1, qmc=True, seed=seed)[g]
    return sample_simplex(m, n=1, qmc=False, seed=seed * 7919 + g).squeeze(0)


def _anchor_objective(g: int, share: float, cols: list[int]) -> int | None:
    """The objective column that ParEGO pick ``g`` maximises alone, or ``None`` for a random
    scalarisation: ``share`` of the picks, evenly spaced, cycling over ``cols``."""
    if share <= 0:
        return None
    before = math.floor(g * share + 1e-9)
    if math.floor((g + 1) * share + 1e-9) == before:
        return None
    return cols[before % len(cols)]


def _ehvi_pick(
    p: _pool.PoolProblem, believed: list[int], taken: list[int], ctx: AcquisitionContext, sampler: Any,
) -> int:
    """One qLogEHVI pick among the pool indices not in ``taken``, the ``believed`` candidates
    entered into the front at their posterior means (only those predicted feasible)."""
    from botorch.acquisition.multi_objective.logei import qLogExpectedHypervolumeImprovement
    from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning

    Y = ctx.train_Y
    Yo = Y[:, ctx.objectives]
    ref = _pool.ref_point(Yo)
    front = Yo[ctx.feasible(Y)]
    if believed:
        with torch.no_grad():  # marginal means only: a batch of 1-point posteriors
            b = p.model.posterior(torch.tensor(believed, dtype=torch.float64).view(-1, 1, 1)).mean.squeeze(-2)
        front = torch.cat([front, b[ctx.feasible(b)][:, ctx.objectives]])
    acq = qLogExpectedHypervolumeImprovement(
        p.model,
        ref_point=ref.tolist(),
        partitioning=FastNondominatedPartitioning(ref_point=ref, Y=front),  # type: ignore[arg-type]
        sampler=sampler,
        objective=IdentityMCMultiOutputObjective(outcomes=list(ctx.objectives)),
        constraints=_pool.constraint_callables(ctx),
    )
    return _pool.best_left(acq, p.n_pool, taken)


class _Hypervolume(_pool.SampledAcquisition):
    """Hypervolume acquisitions: several objectives, constraints, 64 samples by default (their
    cost also grows with the boxes of the front)."""

    objectives = "multi"
    handles_constraints = True

    def __init__(self, mc_samples: int = 64, observation_noise: bool = False) -> None:
        super().__init__(mc_samples, observation_noise)


class QLogEHVI(_Hypervolume):
    """Sequential greedy qLogEHVI with a "believer": one point at a time, earlier picks and
    pending trials entered into the front at their posterior means.

    The exact joint q-point EHVI costs ``2^q`` terms, which makes batches of 16 intractable;
    believing the posterior mean keeps every pick a 1-point EHVI.

    Args:
        observation_noise: Score candidates by the posterior of their measurement.
        mc_samples: Samples per pick (cost also grows with the boxes of the front; 64: about
            0.1 s per pick from 300).
    """

    name = "qlogehvi"
    config_name = "qlogehvi"

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        p = _pool.pool_problem(surrogate, pool, context, self.observation_noise)
        sampler = _pool.sampler_for(p.model, p.choices, self.mc_samples, context.seed)
        pending = p.pending_indices()
        out: list[int] = []
        for _ in range(q):
            out.append(_ehvi_pick(p, pending + out, out, context, sampler))
        return out


class QLogNEHVI(_Hypervolume):
    """BoTorch's qLogNEHVI (observation noise modelled; an order of magnitude slower than ParEGO).

    Args:
        mc_samples: Samples of the hypervolume improvement.
        observation_noise: Score candidates by the posterior of their measurement.
    """

    name = "qlognehvi"
    config_name = "qlognehvi"

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
        from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective

        p = _pool.pool_problem(surrogate, pool, context, self.observation_noise)
        sampler = _pool.sampler_for(p.model, p.choices, self.mc_samples, context.seed)
        ref = _pool.ref_point(context.train_Y[:, context.objectives]).tolist()
        objective = IdentityMCMultiOutputObjective(outcomes=list(context.objectives))
        constraints = _pool.constraint_callables(context)
        return _pool.greedy_picks(
            lambda model, xp: qLogNoisyExpectedHypervolumeImprovement(
                model, ref_point=ref, X_baseline=p.x_base, sampler=sampler, objective=objective,
                constraints=constraints, X_pending=xp, prune_baseline=True, cache_root=False,
            ),
            p, q,
        )


class ParEGO(_pool.SampledAcquisition):
    """ParEGO on the pool: each pick is qLogNEI of its own random augmented-Chebyshev
    scalarisation (weights from the simplex, as in BoTorch's qNParEGO), earlier picks and pending
    trials as ``X_pending``.

    Args:
        anchor_share: Share of the picks that maximise one objective alone, cycling over the
            objectives: the ends of the front, which random scalarisations seldom aim at. Counted
            over the search's picks (:meth:`AcquisitionContext.pick_index`); ``0`` for none.
        weights: ``"random"`` (independent uniform draws from the simplex) or ``"sobol"`` (pick
            ``g`` takes the ``g``-th point of a scrambled Sobol sequence on the simplex, so one
            batch spreads its trade-offs evenly).
        mc_samples: Quasi-Monte-Carlo samples of each qLogNEI.
        observation_noise: Score candidates by the posterior of their measurement.
    """

    name = "parego"
    config_name = "parego"
    objectives = "multi"
    handles_constraints = True
    _ehvi_every = 0  # 2 in EHVIParEGO: even picks are qLogEHVI

    def __init__(
        self, anchor_share: float = 0.0, weights: str = "random", mc_samples: int = 256, observation_noise: bool = False
    ) -> None:
        self.anchor_share = check_float("anchor_share", anchor_share, minimum=0.0, maximum=1.0)
        if weights not in PAREGO_WEIGHTS:
            raise unknown_name("weights", weights, PAREGO_WEIGHTS)
        self.weights = str(weights)
        super().__init__(mc_samples, observation_noise)

    def get_params(self) -> dict[str, Any]:
        return {"anchor_share": self.anchor_share, "weights": self.weights, **super().get_params()}

    def _ehvi_sampler(self, p: _pool.PoolProblem, seed: int) -> Any:
        return None

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        from botorch.exceptions.warnings import BotorchWarning
        from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization

        p = _pool.pool_problem(surrogate, pool, context, self.observation_noise)
        Y = context.train_Y
        cols = list(context.objectives)
        pending = p.pending_indices()
        sampler = _pool.sampler_for(p.model, p.choices, self.mc_samples, context.seed)
        sampler_mo = self._ehvi_sampler(p, context.seed)
        constraints = _pool.constraint_callables(context)
        cond = _pool.Conditioning(p)  # past MAX_JOINT pending trials and picks, the older ones condition the model
        out: list[int] = []
        for k in range(q):
            g = context.pick_index(k)  # the pick's place in the whole search
            if self._ehvi_every and g % self._ehvi_every == 0:
                out.append(_ehvi_pick(p, pending + out, out, context, sampler_mo))
                continue
            anchor = _anchor_objective(g, self.anchor_share, cols)
            if anchor is not None:
                scalar = _pool.column(anchor)
            else:
                w = _parego_weights(len(cols), g, self.weights, context.seed).to(Y)
                cheb = get_chebyshev_scalarization(weights=w, Y=Y[:, cols])
                scalar = lambda Z, X=None, cheb=cheb: cheb(Z[..., cols])  # noqa: E731
            model, x_pending = cond.split(pending + out)
            acq = _pool.lognei(p, sampler, scalar, x_pending, constraints, model)
            with warnings.catch_warnings():  # an all-infeasible baseline sample: BoTorch's bound is used
                warnings.simplefilter("ignore", BotorchWarning)
                out.append(_pool.best_left(acq, p.n_pool, out))
        return out


class EHVIParEGO(ParEGO):
    """qLogEHVI picks (:class:`QLogEHVI`) alternating with ParEGO picks, counted over the search's
    picks (:meth:`AcquisitionContext.pick_index`, so loops asking one at a time alternate too): qLogEHVI
    fills the front where the surrogate predicts hypervolume, while the scalarisations each pull
    towards one trade-off, including the ends of the front.

    Args:
        anchor_share: As for :class:`ParEGO`, of the ParEGO picks.
        weights: As for :class:`ParEGO`.
        mc_samples: Samples of each qLogNEI.
        mc_samples_mo: Samples of each qLogEHVI pick.
        observation_noise: As for :class:`ParEGO`.
    """

    name = "qlogehvi+parego"
    config_name = "qlogehvi+parego"
    _ehvi_every = 2

    def __init__(
        self, anchor_share: float = 0.0, weights: str = "random", mc_samples: int = 256, mc_samples_mo: int = 64,
        observation_noise: bool = False,
    ) -> None:
        super().__init__(anchor_share, weights, mc_samples, observation_noise)
        self.mc_samples_mo = check_int("mc_samples_mo", mc_samples_mo)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "mc_samples_mo": self.mc_samples_mo}

    def _ehvi_sampler(self, p: _pool.PoolProblem, seed: int) -> Any:
        return _pool.sampler_for(p.model, p.choices, self.mc_samples_mo, seed)
