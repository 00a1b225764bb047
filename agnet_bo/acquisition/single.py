"""Single-objective acquisitions: UCB (with a per-pick exploration schedule), Thompson sampling,
qLogEI and qLogNEI, all BoTorch's, scored on the candidate pool."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from agnet_bo._validation import is_number
from agnet_bo.acquisition import _pool
from agnet_bo.acquisition.base import Acquisition, AcquisitionContext
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError

__all__ = ["UCB", "ThompsonSampling", "QLogEI", "QLogNEI"]


def _objective(ctx: AcquisitionContext) -> Any:
    """``None`` for one modelled output, else the first objective's column."""
    if ctx.train_Y.shape[-1] == 1:
        return None
    from botorch.acquisition.objective import GenericMCObjective

    return GenericMCObjective(_pool.column(ctx.objectives[0]))


class UCB(_pool.SampledAcquisition):
    """Upper confidence bound ``mean + kappa * std`` (BoTorch's qUCB), picked one at a time.

    Args:
        kappa: The exploration weight, or one weight per pick in turn: the search's pick ``g``
            (:meth:`AcquisitionContext.pick_index`: counted over every trial asked, so a batch,
            workers asking one at a time and a loop that tells each result before the next ask
            all cycle) uses ``kappa[g % len(kappa)]``. Default 2.0; the default preset's measured
            spread is :data:`agnet_bo.presets.DEFAULT_KAPPA` (what
            ``Optimizer(..., acquisition="ucb")`` gets).
        mc_samples: Quasi-Monte-Carlo samples of the joint q-batch value.
        observation_noise: Score candidates by the posterior of their measurement (the
            surrogate's observation noise included) rather than of the latent function.
    """

    name = "ucb"
    config_name = "ucb"

    def __init__(self, kappa: float | Sequence[float] = 2.0, mc_samples: int = 256, observation_noise: bool = False) -> None:
        values: list[Any] = list(kappa) if isinstance(kappa, (list, tuple)) else [kappa]
        if not values or not all(is_number(v) and math.isfinite(float(v)) and float(v) >= 0 for v in values):
            raise InputError(
                f"`kappa` must be a finite float >= 0 or a non-empty list of them, got {kappa!r}; "
                "e.g. UCB(kappa=2.0) or UCB(kappa=[0.5, 2.0, 3.5])."
            )
        self.kappa: tuple[float, ...] = tuple(float(v) for v in values)
        super().__init__(mc_samples, observation_noise)

    def get_params(self) -> dict[str, Any]:
        kappa: Any = list(self.kappa) if len(self.kappa) > 1 else self.kappa[0]
        return {"kappa": kappa, **super().get_params()}

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        from botorch.acquisition import qUpperConfidenceBound

        p = _pool.pool_problem(surrogate, pool, context, self.observation_noise)
        sampler = _pool.sampler_for(p.model, p.choices, self.mc_samples, context.seed)
        objective = _objective(context)
        if len(self.kappa) == 1:
            beta = self.kappa[0] ** 2
            return _pool.greedy_picks(
                lambda model, xp: qUpperConfidenceBound(model, beta=beta, sampler=sampler, objective=objective, X_pending=xp),
                p, q,
            )
        pending = p.pending_indices()
        cond = _pool.Conditioning(p)  # past MAX_JOINT pending trials and picks, the older ones condition the model
        out: list[int] = []
        for k in range(q):  # each pick: the joint qUCB of itself, earlier picks and pending, under its kappa
            kappa = self.kappa[context.pick_index(k) % len(self.kappa)]
            model, x_pending = cond.split(pending + out)
            acq = qUpperConfidenceBound(model, beta=kappa**2, sampler=sampler, objective=objective, X_pending=x_pending)
            out.append(_pool.best_left(acq, p.n_pool, out))
        return out


class ThompsonSampling(Acquisition):
    """Batch Thompson sampling: ``q`` joint posterior draws over the pool, each pick the best pool
    member of one draw not picked by an earlier one (BoTorch's ``MaxPosteriorSampling`` without
    replacement). Pending trials need no special handling: each call draws anew."""

    name = "ts"
    config_name = "ts"

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        import torch
        from botorch.generation.sampling import MaxPosteriorSampling

        p = _pool.pool_problem(surrogate, pool, context, False)
        ts = MaxPosteriorSampling(p.model, objective=_objective(context), replacement=False)
        with torch.no_grad():
            chosen = ts(p.choices, num_samples=q)
        return [round(float(x)) for x in chosen.view(-1)]


class _ImprovementBase(_pool.SampledAcquisition):
    handles_constraints = True


class QLogEI(_ImprovementBase):
    """BoTorch's qLogEI over the best feasible observed value (outcome constraints supported).

    Args:
        mc_samples: Quasi-Monte-Carlo samples.
        observation_noise: Score candidates by the posterior of their measurement.
    """

    name = "qlogei"
    config_name = "qlogei"

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        from botorch.acquisition.logei import qLogExpectedImprovement

        p = _pool.pool_problem(surrogate, pool, context, self.observation_noise)
        sampler = _pool.sampler_for(p.model, p.choices, self.mc_samples, context.seed)
        Y = context.train_Y
        feas = context.feasible(Y)
        y = Y[:, context.objectives[0]]
        best = y[feas].max() if feas.any() else y.min()
        objective, constraints = _objective(context), _pool.constraint_callables(context)
        return _pool.greedy_picks(
            lambda model, xp: qLogExpectedImprovement(
                model, best_f=best, sampler=sampler, objective=objective, X_pending=xp, constraints=constraints
            ),
            p, q,
        )


class QLogNEI(_ImprovementBase):
    """BoTorch's noisy qLogEI, the training architectures as baseline (outcome constraints supported).

    Args:
        mc_samples: Quasi-Monte-Carlo samples.
        observation_noise: Score candidates by the posterior of their measurement.
    """

    name = "qlognei"
    config_name = "qlognei"

    def select(self, surrogate: Any, pool: Sequence[Architecture], q: int, context: AcquisitionContext) -> list[int]:
        from botorch.acquisition.logei import qLogNoisyExpectedImprovement
        from botorch.exceptions.warnings import BotorchWarning

        p = _pool.pool_problem(surrogate, pool, context, self.observation_noise)
        sampler = _pool.sampler_for(p.model, p.choices, self.mc_samples, context.seed)
        objective, constraints = _objective(context), _pool.constraint_callables(context)
        with warnings.catch_warnings():  # an all-infeasible baseline sample: BoTorch's bound is used
            warnings.simplefilter("ignore", BotorchWarning)
            return _pool.greedy_picks(
                lambda model, xp: qLogNoisyExpectedImprovement(
                    model, X_baseline=p.x_base, sampler=sampler, objective=objective, X_pending=xp,
                    constraints=constraints, prune_baseline=True, cache_root=False,
                ),
                p, q,
            )
