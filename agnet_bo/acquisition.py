"""Choosing ``q`` architectures from a candidate pool with BoTorch acquisition functions.

The surrogate is wrapped as a BoTorch model over the pool (inputs are pool indices, see
:class:`agnet_bo.surrogates.adapter.PoolModel`), and :func:`botorch.optim.optimize_acqf_discrete`
picks the batch by sequential greedy selection, each pick conditioning the next through
``X_pending``. Pending trials (asked, not told) enter as ``X_pending`` too, so workers that ask one
architecture at a time still get a diverse batch.

Values are in the surrogate's units (normal scores with the copula transform) and every objective
is maximised here; the optimizer has already flipped "minimize" objectives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, unknown_name

__all__ = ["ACQUISITIONS", "SINGLE_OBJECTIVE", "MULTI_OBJECTIVE", "AcquisitionContext", "select"]

SINGLE_OBJECTIVE = ("ucb", "ts", "greedy", "qlogei", "qlognei")
MULTI_OBJECTIVE = ("qlogehvi", "qlognehvi", "parego", "qlogehvi+parego", "rank-sum", "rank-constrained")
ACQUISITIONS = SINGLE_OBJECTIVE + MULTI_OBJECTIVE


DEFAULT_KAPPA: tuple[float, ...] = (0.5, 2.0, 3.5)
"""UCB's default exploration weights, one per pick in turn: a greedy pick, a balanced one and an
exploratory one in every three (on NB201 it found the CIFAR-100 optimum within 96 queries more
often than a constant 2.0, bench/RESULTS.md)."""


@dataclass
class AcquisitionContext:
    """What an acquisition needs besides the surrogate and the pool.

    Attributes:
        train_archs: Evaluated architectures (``n``).
        train_Y: Their modelled outputs in the surrogate's units, maximised (``n x m``).
        pending: Asked but not yet told architectures.
        objectives: Column indices of ``train_Y`` that are objectives (the rest are only
            constrained).
        constraints: ``(column, bound, sign)`` triples in the surrogate's units: feasible where
            ``sign * (output[column] - bound) <= 0`` (``sign = 1`` for an upper bound, ``-1`` for a
            lower bound; the optimizer converts the user's thresholds).
        kappa: UCB's exploration weight (``mean + kappa * std``), or one weight per pick: pick
            ``g`` (counted over pending trials and earlier picks, so workers asking one at a time
            cycle too) uses ``kappa[g % len(kappa)]``.
        mc_samples: Quasi-Monte-Carlo samples of the single-objective q-batch acquisitions.
        mc_samples_mo: Samples of the hypervolume acquisitions (qLogEHVI, qLogNEHVI), whose cost
            also grows with the number of boxes of the front (64: 0.1 s per pick from 300).
        seed: Seed of the QMC sampler and of ParEGO's weights.
        anchor_share: Share of ParEGO's picks (``"parego"``, and the ParEGO half of
            ``"qlogehvi+parego"``) that maximise one objective alone with qLogNEI, cycling over
            the objectives: the ends of the front, which random scalarisations seldom aim at.
            Counted over pending trials and earlier picks; ``0`` for none.
        parego_weights: How ParEGO picks draw their scalarisation weights: ``"random"``
            (independent uniform draws from the simplex, BoTorch's qNParEGO) or ``"sobol"`` (pick
            ``g`` takes the ``g``-th point of a scrambled Sobol sequence on the simplex seeded by
            ``seed``, so one batch spreads its trade-offs evenly).
        observation_noise: Score pool and pending candidates by the posterior of their
            *measurement* (latent function plus the surrogate's observation noise) instead of
            the latent function, for the BoTorch acquisitions. A candidate's outcome is what its
            evaluation will report, and cells the surrogate cannot tell apart (e.g. the same
            function with other dead operations) can still report different values; with the
            latent posterior such a cell has no chance of improving on an evaluated twin. Only
            GPs model the noise; other surrogates are unaffected.
    """

    train_archs: list[Architecture]
    train_Y: Tensor
    pending: list[Architecture] = field(default_factory=list)
    objectives: list[int] = field(default_factory=lambda: [0])
    constraints: list[tuple[int, float, int]] = field(default_factory=list)
    kappa: float | tuple[float, ...] = DEFAULT_KAPPA
    mc_samples: int = 256
    mc_samples_mo: int = 64
    seed: int = 0
    anchor_share: float = 0.0
    parego_weights: str = "random"
    observation_noise: bool = False


PAREGO_WEIGHTS = ("random", "sobol")

PAREGO_ACQUISITIONS = ("parego", "qlogehvi+parego")
"""The acquisitions with ParEGO picks, which ``anchor_share`` and ``parego_weights`` affect."""

DEFAULT_ANCHOR_SHARE = 0.25
"""The optimizer's ``anchor_share`` for ParEGO with several objectives unless one is given: a
quarter of the picks maximise one objective alone (on NB201 accuracy vs latency it lowered the
hypervolume shortfall on pixel3 and fpga, bench/RESULTS.md). :class:`AcquisitionContext` itself
defaults to ``0``."""


def _constraint_callables(ctx: AcquisitionContext) -> list[Callable[..., Tensor]]:
    """BoTorch outcome constraints: a callable per constraint, feasible where it is ``<= 0``."""
    out: list[Callable[..., Tensor]] = []
    for col, bound, sign in ctx.constraints:
        out.append(lambda Z, c=col, b=bound, s=sign: s * (Z[..., c] - b))
    return out


def select(name: str, surrogate: Any, pool: Sequence[Architecture], q: int, ctx: AcquisitionContext) -> list[int]:
    """Indices of the ``q`` pool members chosen by acquisition ``name``.

    Args:
        name: One of :data:`ACQUISITIONS`.
        surrogate: A fitted :class:`~agnet_bo.surrogates.Surrogate` modelling ``train_Y``'s columns.
        pool: ``N >= q`` candidates (none evaluated or pending).
        q: How many to choose.
        ctx: Training data, pending architectures, objectives, constraints, settings.

    Returns:
        ``q`` distinct indices into ``pool``.
    """
    if name not in ACQUISITIONS:
        raise unknown_name("acquisition", name, ACQUISITIONS)
    if q > len(pool):
        raise InputError(f"Cannot choose {q} architectures from a pool of {len(pool)}.")
    if name in ("greedy", "rank-sum", "rank-constrained"):
        return _rank_based(name, surrogate, pool, q, ctx)
    if name in ("ucb", "ts") and ctx.constraints:
        raise InputError(f'"{name}" does not handle outcome constraints; use "qlognei" or "qlogei".')
    # BoTorch draws some samples from torch's global generator (qLogNEI's baseline pruning):
    # seed it from ctx.seed inside a forked RNG, so the picks depend on the seed alone and the
    # caller's random state is left as it was.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed)
        return _select_botorch(name, surrogate, pool, q, ctx)


def _select_botorch(name: str, surrogate: Any, pool: Sequence[Architecture], q: int, ctx: AcquisitionContext) -> list[int]:
    from botorch.optim import optimize_acqf_discrete

    candidates = list(pool) + list(ctx.pending) + list(ctx.train_archs)
    n_pool, n_pend = len(pool), len(ctx.pending)
    model = surrogate.as_botorch_model(candidates, noisy=n_pool + n_pend if ctx.observation_noise else 0)
    idx = torch.arange(len(candidates), dtype=torch.float64).unsqueeze(-1)
    choices = idx[:n_pool]
    x_pending = idx[n_pool : n_pool + n_pend] if n_pend else None
    x_base = idx[n_pool + n_pend :]
    sampler = _sampler_for(model, choices, ctx, ctx.mc_samples_mo if name in ("qlogehvi", "qlognehvi") else ctx.mc_samples)
    constraints = _constraint_callables(ctx) or None
    Y = ctx.train_Y
    from botorch.acquisition.objective import GenericMCObjective

    if name in ("parego", "qlogehvi+parego"):
        return _mixed_mo(name, surrogate, model, candidates, choices, x_pending, x_base, q, ctx, constraints)
    j0 = ctx.objectives[0]
    scalar: Callable[..., Tensor] = lambda Z, X=None: Z[..., j0]  # noqa: E731
    objective: Any = None
    if Y.shape[-1] > 1:
        objective = GenericMCObjective(scalar)
    infeasible_obj = _infeasible_bound(surrogate.predict(candidates), scalar) if constraints else None
    if name == "ts":
        return _thompson(model, choices, q, objective)
    if name == "ucb":
        from botorch.acquisition import qUpperConfidenceBound

        kappas = ctx.kappa if isinstance(ctx.kappa, tuple) else (ctx.kappa,)
        if len(kappas) > 1:
            return _ucb_per_pick(model, choices, x_pending, q, kappas, sampler, objective)
        acq: Any = qUpperConfidenceBound(model, beta=kappas[0] ** 2, sampler=sampler, objective=objective, X_pending=x_pending)
    elif name == "qlogei":
        from botorch.acquisition.logei import qLogExpectedImprovement

        feas = _feasible(Y, ctx)
        y = Y[:, j0]
        best = y[feas].max() if feas.any() else y.min()
        acq = qLogExpectedImprovement(
            model, best_f=best, sampler=sampler, objective=objective, X_pending=x_pending, constraints=constraints
        )
    elif name == "qlognei":
        acq = _pool_lognei()(
            model, X_baseline=x_base, sampler=sampler, objective=objective, X_pending=x_pending,
            constraints=constraints, prune_baseline=True, cache_root=False,
        )
        acq.agnet_infeasible_obj = infeasible_obj
    elif name == "qlogehvi":
        return _believer_ehvi(model, choices, x_pending, q, Y, ctx, sampler, constraints)
    else:  # qlognehvi
        from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
        from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective

        obj = IdentityMCMultiOutputObjective(outcomes=list(ctx.objectives))
        ref = _ref_point(Y[:, ctx.objectives])
        acq = qLogNoisyExpectedHypervolumeImprovement(
            model, ref_point=ref.tolist(), X_baseline=x_base, sampler=sampler, objective=obj,
            constraints=constraints, X_pending=x_pending, prune_baseline=True, cache_root=False,
        )
    chosen, _ = optimize_acqf_discrete(acq, q=q, choices=choices, unique=True)
    out = [round(float(x)) for x in chosen.view(-1)]
    if len(set(out)) != q:  # optimize_acqf_discrete can return fewer when values tie at -inf
        rest = [i for i in range(n_pool) if i not in out]
        out = list(dict.fromkeys(out)) + rest[: q - len(set(out))]
    return out


def _as_x(indices: list[int]) -> Tensor | None:
    """Pool indices as a ``k x 1`` input tensor (``X_pending``), ``None`` when empty."""
    return torch.tensor(indices, dtype=torch.float64).unsqueeze(-1) if indices else None


def _best_left(acq: Any, n_pool: int, taken: list[int]) -> int:
    """The pool index not in ``taken`` that maximises ``acq`` (one pick)."""
    from botorch.optim import optimize_acqf_discrete

    left = torch.tensor([i for i in range(n_pool) if i not in taken], dtype=torch.float64).unsqueeze(-1)
    chosen, _ = optimize_acqf_discrete(acq, q=1, choices=left, unique=True)
    return round(float(chosen.view(-1)[0]))


def _thompson(model: Any, choices: Tensor, q: int, objective: Any) -> list[int]:
    """Batch Thompson sampling: ``q`` joint posterior draws over the whole pool, each pick the
    best pool member of one draw not picked by an earlier one (BoTorch's ``MaxPosteriorSampling``
    without replacement). Pending trials need no special handling: each call draws anew."""
    from botorch.generation.sampling import MaxPosteriorSampling

    ts = MaxPosteriorSampling(model, objective=objective, replacement=False)
    with torch.no_grad():
        chosen = ts(choices, num_samples=q)
    return [round(float(x)) for x in chosen.view(-1)]


def _ucb_per_pick(
    model: Any, choices: Tensor, x_pending: Tensor | None, q: int, kappas: tuple[float, ...], sampler: Any, objective: Any,
) -> list[int]:
    """Sequential greedy qUCB whose exploration weight changes from pick to pick (see
    :class:`AcquisitionContext`): each pick maximises the joint qUCB of itself, the earlier picks
    and the pending trials under its own ``kappa``."""
    from botorch.acquisition import qUpperConfidenceBound

    pending = [] if x_pending is None else [int(i) for i in x_pending.view(-1).tolist()]
    out: list[int] = []
    for k in range(q):
        kappa = kappas[(len(pending) + k) % len(kappas)]
        acq = qUpperConfidenceBound(model, beta=kappa**2, sampler=sampler, objective=objective, X_pending=_as_x(pending + out))
        out.append(_best_left(acq, choices.shape[0], out))
    return out


def _sampler_for(model: Any, choices: Tensor, ctx: AcquisitionContext, n: int) -> Any:
    """BoTorch's sampler for the model's posterior type, seeded: quasi-MC normal samples for
    Gaussian posteriors, the members themselves for a deep ensemble's ``EnsemblePosterior``."""
    from botorch.sampling.get_sampler import get_sampler

    probe = model.posterior(choices[:1].unsqueeze(0))
    return get_sampler(probe, sample_shape=torch.Size([n]), seed=ctx.seed)


def _believer_ehvi(
    model: Any, choices: Tensor, x_pending: Tensor | None, q: int, Y: Tensor, ctx: AcquisitionContext,
    sampler: Any, constraints: list[Callable[[Tensor], Tensor]] | None,
) -> list[int]:
    """Sequential greedy qLogEHVI with a "believer": one point at a time, earlier picks and pending
    trials entered into the front at their posterior means.

    The exact joint q-point EHVI (BoTorch's ``X_pending``) costs ``2^q`` terms, which makes
    batches of 16 intractable; believing the posterior mean keeps every pick a 1-point EHVI.
    Only believed points predicted feasible join the front.
    """
    pending = [] if x_pending is None else [int(i) for i in x_pending.view(-1).tolist()]
    out: list[int] = []
    for _ in range(q):
        out.append(_ehvi_pick(model, choices.shape[0], pending + out, out, Y, ctx, sampler, constraints))
    return out


def _ehvi_pick(
    model: Any, n_pool: int, believed: list[int], taken: list[int], Y: Tensor, ctx: AcquisitionContext,
    sampler: Any, constraints: list[Callable[[Tensor], Tensor]] | None,
) -> int:
    """One qLogEHVI pick among the pool indices not in ``taken``, the ``believed`` candidates
    entered into the front at their posterior means (see :func:`_believer_ehvi`)."""
    from botorch.acquisition.multi_objective.logei import qLogExpectedHypervolumeImprovement
    from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning

    obj = IdentityMCMultiOutputObjective(outcomes=list(ctx.objectives))
    feas = _feasible(Y, ctx)
    Yo = Y[:, ctx.objectives]
    ref = _ref_point(Yo)
    front = Yo[feas]
    if believed:
        with torch.no_grad():  # marginal means only: a batch of 1-point posteriors
            b = model.posterior(torch.tensor(believed, dtype=torch.float64).view(-1, 1, 1)).mean.squeeze(-2)
        front = torch.cat([front, b[_feasible(b, ctx)][:, ctx.objectives]])
    partitioning = FastNondominatedPartitioning(ref_point=ref, Y=front)
    acq = qLogExpectedHypervolumeImprovement(
        model,
        ref_point=ref.tolist(),
        partitioning=partitioning,  # type: ignore[arg-type]  # a FastNondominatedPartitioning is a box decomposition too
        sampler=sampler,
        objective=obj,
        constraints=constraints,
    )
    return _best_left(acq, n_pool, taken)


def _mixed_mo(
    name: str, surrogate: Any, model: Any, candidates: list[Architecture], choices: Tensor,
    x_pending: Tensor | None, x_base: Tensor, q: int, ctx: AcquisitionContext,
    constraints: list[Callable[[Tensor], Tensor]] | None,
) -> list[int]:
    """ParEGO picks, alone or alternating with qLogEHVI picks, one at a time.

    Each ParEGO pick is qLogNEI of its own random augmented-Chebyshev scalarisation (weights drawn
    from the simplex, as in BoTorch's qNParEGO), earlier picks and pending trials as
    ``X_pending``. With ``"qlogehvi+parego"`` the picks alternate, counted over pending trials
    and earlier picks together (so workers asking one at a time alternate too): qLogEHVI fills the
    front where the surrogate predicts hypervolume, while the scalarisations each pull towards
    one random trade-off, including the ends of the front.
    """
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization

    Y = ctx.train_Y
    cols = list(ctx.objectives)
    pending = [] if x_pending is None else [int(i) for i in x_pending.view(-1).tolist()]
    n_pool = choices.shape[0]
    sampler = _sampler_for(model, choices, ctx, ctx.mc_samples)
    sampler_mo = _sampler_for(model, choices, ctx, ctx.mc_samples_mo) if name != "parego" else None
    pred = surrogate.predict(candidates) if constraints else None  # the same for every pick
    out: list[int] = []
    for k in range(q):
        g = len(pending) + k  # the pick's place among all outstanding ones
        if name != "parego" and g % 2 == 0:
            out.append(_ehvi_pick(model, n_pool, pending + out, out, Y, ctx, sampler_mo, constraints))
            continue
        anchor = _anchor_objective(g, ctx.anchor_share, cols)
        if anchor is not None:
            scalar = lambda Z, X=None, j=anchor: Z[..., j]  # noqa: E731
        else:
            w = _parego_weights(len(cols), g, ctx).to(Y)
            cheb = get_chebyshev_scalarization(weights=w, Y=Y[:, cols])
            scalar = lambda Z, X=None, cheb=cheb: cheb(Z[..., cols])  # noqa: E731
        acq = _pool_lognei()(
            model, X_baseline=x_base, sampler=sampler, objective=GenericMCObjective(scalar),
            X_pending=_as_x(pending + out),
            constraints=constraints, prune_baseline=True, cache_root=False,
        )
        acq.agnet_infeasible_obj = _infeasible_bound(pred, scalar) if pred is not None else None
        out.append(_best_left(acq, n_pool, out))
    return out


def _parego_weights(m: int, g: int, ctx: AcquisitionContext) -> Tensor:
    """Scalarisation weights (``m``) of ParEGO pick ``g``."""
    from botorch.utils.sampling import sample_simplex

    if ctx.parego_weights == "sobol":  # a prefix of one sequence: picks 0..g-1 keep their weights
        return sample_simplex(m, n=g + 1, qmc=True, seed=ctx.seed)[g]
    if ctx.parego_weights != "random":
        raise unknown_name("parego_weights", ctx.parego_weights, PAREGO_WEIGHTS)
    return sample_simplex(m, n=1, qmc=False, seed=ctx.seed * 7919 + g).squeeze(0)


def _anchor_objective(g: int, share: float, cols: list[int]) -> int | None:
    """The objective column that ParEGO pick ``g`` maximises alone, or ``None`` for a random
    scalarisation: ``share`` of the picks, evenly spaced, cycling over ``cols``."""
    if share <= 0:
        return None
    before = math.floor(g * share + 1e-9)
    if math.floor((g + 1) * share + 1e-9) == before:
        return None
    return cols[before % len(cols)]


def _infeasible_bound(pred: tuple[Tensor, Tensor], scalar: Callable[..., Tensor]) -> Tensor:
    """Where no baseline sample is feasible, BoTorch bounds the objective by probing random
    *continuous* inputs, which a pool of indices cannot answer: give it the bound instead
    (``pred``: the surrogate's mean and variance of every candidate)."""
    mean, var = pred
    low = scalar((mean - 6 * var.clamp(min=0).sqrt()).unsqueeze(0)).reshape(-1)
    return low.min().reshape(1)




def _pool_lognei() -> type:
    """``qLogNoisyExpectedImprovement`` that takes the infeasible-objective bound from us."""
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.acquisition.utils import compute_best_feasible_objective

    class PoolLogNEI(qLogNoisyExpectedImprovement):
        agnet_infeasible_obj: Tensor | None = None

        def _compute_best_feasible_objective(self, samples: Tensor, obj: Tensor) -> Tensor:
            return compute_best_feasible_objective(
                samples=samples,
                obj=obj,
                constraints=self._constraints,
                model=self.model,
                objective=self.objective,
                posterior_transform=self.posterior_transform,
                X_baseline=self.X_baseline,
                infeasible_obj=self.agnet_infeasible_obj,
            )

    return PoolLogNEI


def _feasible(Y: Tensor, ctx: AcquisitionContext) -> Tensor:
    ok = torch.ones(Y.shape[0], dtype=torch.bool)
    for col, bound, sign in ctx.constraints:
        ok &= sign * (Y[:, col] - bound) <= 0
    return ok


def _ref_point(Y: Tensor) -> Tensor:
    lo, hi = Y.min(dim=0).values, Y.max(dim=0).values
    return lo - 0.1 * (hi - lo).clamp(min=1e-6)


def _rank_based(name: str, surrogate: Any, pool: Sequence[Architecture], q: int, ctx: AcquisitionContext) -> list[int]:
    """Greedy by the predicted mean (the paper's rule) and the paper's hardware-aware rank sums.

    ``rank-sum`` is AG-Net's Eq. 4 (rank by every objective, summed), ``rank-constrained`` its
    Eq. 5 (rank by the first objective alone); both multiply the rank by 1000 when a predicted
    constraint is violated. With one objective and no constraints ``greedy`` is the same rule.
    """
    mean, _ = surrogate.predict(list(pool))
    mean = mean.detach().cpu().numpy()
    objs = ctx.objectives if name == "rank-sum" else ctx.objectives[:1]
    score = np.zeros(len(pool))
    for j in objs:
        score += np.argsort(np.argsort(-mean[:, j], kind="stable"), kind="stable")
    for col, bound, sign in ctx.constraints:
        score = np.where(sign * (mean[:, col] - bound) > 0, score * 1000 + 1000, score)
    return [int(i) for i in np.argsort(score, kind="stable")[:q]]

