"""BoTorch machinery shared by the built-in acquisitions: a surrogate as a BoTorch model over
``pool + pending + train`` candidates, seeded samplers and one-at-a-time discrete picks.

The surrogate is wrapped as a BoTorch model whose inputs are candidate indices (see
:class:`agnet_bo.surrogates.adapter.PoolModel`), and :func:`botorch.optim.optimize_acqf_discrete`
picks by sequential greedy selection, each pick conditioning the next through ``X_pending``.
Pending trials (asked, not told) enter as ``X_pending`` too, so workers that ask one
architecture at a time still get a diverse batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from agnet_bo._validation import check_bool, check_int
from agnet_bo.acquisition.base import Acquisition, AcquisitionContext
from agnet_bo.architecture import Architecture


@dataclass
class PoolProblem:
    """The pool, pending and training architectures as one BoTorch model's index inputs."""

    model: Any
    candidates: list[Architecture]
    choices: Tensor  # N x 1, the pool
    x_pending: Tensor | None  # pending trials
    x_base: Tensor  # the training architectures

    @property
    def n_pool(self) -> int:
        return int(self.choices.shape[0])

    def pending_indices(self) -> list[int]:
        return [] if self.x_pending is None else [int(i) for i in self.x_pending.view(-1).tolist()]


def pool_problem(surrogate: Any, pool: Sequence[Architecture], ctx: AcquisitionContext, observation_noise: bool) -> PoolProblem:
    """The model over ``pool + pending + train`` (with the measurement noise of the new ones when
    ``observation_noise``) and the index tensors of each part."""
    candidates = list(pool) + list(ctx.pending) + list(ctx.train_archs)
    n_pool, n_pend = len(pool), len(ctx.pending)
    model = surrogate.as_botorch_model(candidates, noisy=n_pool + n_pend if observation_noise else 0, relaxed=True)
    idx = torch.arange(len(candidates), dtype=torch.float64).unsqueeze(-1)
    return PoolProblem(model, candidates, idx[:n_pool], idx[n_pool : n_pool + n_pend] if n_pend else None, idx[n_pool + n_pend :])


MAX_JOINT = 16
"""The most pending trials and earlier picks a pick is scored jointly with. Past it, the older
ones are taken into account by conditioning the pool posterior on them at their posterior means
(:meth:`PoolModel.conditioned <agnet_bo.surrogates.PoolModel.conditioned>`: GP-BUCB's rule for a
Gaussian posterior, exact in the variances) instead of through the joint Monte-Carlo value, whose
cost grows with the joint size (64 picks from 300 candidates with 64 pending trials: 13.4 s all
joint, 1.9 s with the joint bounded at 16, 0.3 s all conditioned; bench/round_parts.py). A surrogate that cannot condition only sees the
latest ``MAX_JOINT``. Up to it nothing changes (16 keeps batches of 16 on the exact path)."""


class Conditioning:
    """The model and ``X_pending`` of each pick of a sequential greedy selection.

    ``split(indices)`` takes the pending trials and earlier picks (pool indices, oldest first, a
    list that only grows at its end): the latest :data:`MAX_JOINT` stay in ``X_pending``; the
    model is conditioned on the rest, incrementally from one pick to the next.
    """

    def __init__(self, problem: PoolProblem) -> None:
        self.model = problem.model
        self._absorbed = 0  # leading indices the model is conditioned on
        self._can = True

    def split(self, indices: list[int]) -> tuple[Any, Tensor | None]:
        older = len(indices) - MAX_JOINT
        if older > self._absorbed and self._can:
            conditioned = self.model.conditioned(indices[self._absorbed : older])
            if conditioned is None:
                self._can = False
            else:
                self.model, self._absorbed = conditioned, older
        return self.model, as_x(indices[max(older, 0) :])


def greedy_picks(make: Callable[[Any, Tensor | None], Any], problem: PoolProblem, q: int) -> list[int]:
    """``q`` distinct pool indices by sequential greedy selection of the acquisition
    ``make(model, X_pending)``: BoTorch's in one call (:func:`joint_picks`) while the pending
    trials and picks fit in :data:`MAX_JOINT`, else one pick at a time under :class:`Conditioning`."""
    pending = problem.pending_indices()
    if len(pending) + q - 1 <= MAX_JOINT:
        return joint_picks(make(problem.model, problem.x_pending), problem.choices, q)
    cond = Conditioning(problem)
    out: list[int] = []
    for _ in range(q):
        out.append(best_left(make(*cond.split(pending + out)), problem.n_pool, out))
    return out


def as_x(indices: list[int]) -> Tensor | None:
    """Candidate indices as a ``k x 1`` input tensor (``X_pending``), ``None`` when empty."""
    return torch.tensor(indices, dtype=torch.float64).unsqueeze(-1) if indices else None


def best_left(acq: Any, n_pool: int, taken: list[int]) -> int:
    """The pool index not in ``taken`` that maximises ``acq`` (one pick)."""
    from botorch.optim import optimize_acqf_discrete

    left = torch.tensor([i for i in range(n_pool) if i not in taken], dtype=torch.float64).unsqueeze(-1)
    chosen, _ = optimize_acqf_discrete(acq, q=1, choices=left, unique=True)
    return round(float(chosen.view(-1)[0]))


def joint_picks(acq: Any, choices: Tensor, q: int) -> list[int]:
    """``q`` distinct pool indices by BoTorch's sequential greedy discrete optimisation."""
    from botorch.optim import optimize_acqf_discrete

    chosen, _ = optimize_acqf_discrete(acq, q=q, choices=choices, unique=True)
    out = [round(float(x)) for x in chosen.view(-1)]
    if len(set(out)) != q:  # optimize_acqf_discrete can return fewer when values tie at -inf
        rest = [i for i in range(choices.shape[0]) if i not in out]
        out = list(dict.fromkeys(out)) + rest[: q - len(set(out))]
    return out


def sampler_for(model: Any, choices: Tensor, n: int, seed: int) -> Any:
    """BoTorch's sampler for the model's posterior type, seeded: quasi-MC normal samples for
    Gaussian posteriors, the members themselves for a deep ensemble's ``EnsemblePosterior``."""
    from botorch.sampling.get_sampler import get_sampler

    probe = model.posterior(choices[:1].unsqueeze(0))
    return get_sampler(probe, sample_shape=torch.Size([n]), seed=seed)


def constraint_callables(ctx: AcquisitionContext) -> list[Callable[..., Tensor]] | None:
    """BoTorch outcome constraints: a callable per constraint, feasible where it is ``<= 0``."""
    out: list[Callable[..., Tensor]] = []
    for col, bound, sign in ctx.constraints:
        out.append(lambda Z, c=col, b=bound, s=sign: s * (Z[..., c] - b))
    return out or None


def column(j: int) -> Callable[..., Tensor]:
    """The scalar objective ``Z[..., j]`` (an ``MCAcquisitionObjective`` callable)."""
    return lambda Z, X=None: Z[..., j]


def ref_point(Y: Tensor) -> Tensor:
    """A hypervolume reference point below the data: the nadir minus 10 % of the range."""
    lo, hi = Y.min(dim=0).values, Y.max(dim=0).values
    return lo - 0.1 * (hi - lo).clamp(min=1e-6)


def lognei(
    problem: PoolProblem, sampler: Any, scalar: Callable[..., Tensor], x_pending: Tensor | None,
    constraints: list[Callable[..., Tensor]] | None, model: Any = None,
) -> Any:
    """BoTorch's qLogNEI of the objective ``scalar`` on the pool (baseline: the training archs),
    on ``model`` (default: the problem's)."""
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.acquisition.objective import GenericMCObjective

    return qLogNoisyExpectedImprovement(
        problem.model if model is None else model, X_baseline=problem.x_base, sampler=sampler, objective=GenericMCObjective(scalar),
        X_pending=x_pending, constraints=constraints, prune_baseline=True, cache_root=False,
    )


class SampledAcquisition(Acquisition):
    """An acquisition scored with Monte-Carlo samples of the pool posterior: ``mc_samples``
    (quasi-MC samples) and ``observation_noise`` (score candidates by the posterior of their
    measurement, the surrogate's observation noise included)."""

    def __init__(self, mc_samples: int = 256, observation_noise: bool = False) -> None:
        self.mc_samples = check_int("mc_samples", mc_samples)
        self.observation_noise = check_bool("observation_noise", observation_noise)

    def get_params(self) -> dict[str, Any]:
        return {"mc_samples": self.mc_samples, "observation_noise": self.observation_noise}
