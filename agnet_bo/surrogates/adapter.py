"""BoTorch adapter: any fitted :class:`~agnet_bo.surrogates.Surrogate` as a BoTorch ``Model`` over a pool.

Notation: ``N`` pool size, ``b`` (or ``batch``) t-batch shape, ``q`` points considered jointly,
``m`` outputs, ``s`` ensemble members.

Architectures are not vectors, so the model's input is the *index* of a pool member: ``X`` is a
``b x q x 1`` float tensor of indices into the pool, and ``PoolModel.choices`` (``N x 1``) lists
them all for ``botorch.optim.optimize_acqf_discrete``. To use ``X_baseline`` / ``X_pending`` /
``X_avoid`` (e.g. ``qLogNoisyExpectedImprovement``), put those architectures in the pool and pass
their indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from botorch.acquisition.objective import PosteriorTransform
from botorch.models.model import Model
from botorch.posteriors import GPyTorchPosterior, Posterior
from botorch.posteriors.ensemble import EnsemblePosterior
from gpytorch.distributions import MultitaskMultivariateNormal, MultivariateNormal
from linear_operator.operators import DenseLinearOperator
from torch import Tensor

from agnet_bo._threads import torch_threads
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError

if TYPE_CHECKING:
    from agnet_bo.surrogates.base import Surrogate

__all__ = ["PoolModel", "gaussian_posterior", "posterior_moments"]


class PoolModel(Model):
    r"""A fitted surrogate as a BoTorch ``Model`` whose inputs are indices into a candidate pool.

    Built by :meth:`Surrogate.as_botorch_model <agnet_bo.surrogates.Surrogate.as_botorch_model>`,
    which validates the pool. What the pool needs (predictions, encodings, member outputs) is
    computed once at construction, so scoring many q-batches is cheap.

    The posterior is in the units of the surrogate's ``predict`` (normal scores for a copula
    target transform): a joint Gaussian ``GPyTorchPosterior`` for GPs and ensembles of
    surrogates, an ``EnsemblePosterior`` (``b x s x q x m``) for deep ensembles, and a Gaussian
    with diagonal covariance for surrogates that only provide marginal variances.

    Args:
        surrogate: A fitted surrogate.
        pool: The ``N`` candidate architectures (already validated).
        noisy: The first ``noisy`` pool members are new measurements: their posterior always
            includes the observation noise (see ``Surrogate.as_botorch_model``).
        relaxed: Answer non-integral inputs with the nearest pool member (clamped into the
            pool) instead of raising. BoTorch probes a model at continuous points in one place:
            when no baseline sample is feasible, qLogNEI bounds the objective from below with
            points drawn in the baseline's bounding box; a relaxed model answers them with pool
            members, so the bound is one over architectures.
    """

    def __init__(self, surrogate: Surrogate, pool: Sequence[Architecture], noisy: int = 0, relaxed: bool = False) -> None:
        super().__init__()
        if isinstance(noisy, bool) or not isinstance(noisy, int) or not 0 <= noisy <= len(pool):
            raise InputError(f"`noisy` must be an int in [0, {len(pool)}] (the pool size), got {noisy!r}.")
        self._surrogate = surrogate
        self._pool = list(pool)
        self._noisy = noisy
        self._relaxed = bool(relaxed)
        self._m = surrogate.num_outputs
        self._handle = surrogate.pool_handle(self._pool)

    @property
    def num_outputs(self) -> int:
        """``m``, the number of outputs."""
        return self._m

    @property
    def batch_shape(self) -> torch.Size:
        """The model's batch shape (empty: one model)."""
        return torch.Size([])

    @property
    def pool(self) -> list[Architecture]:
        """The ``N`` pool architectures, in index order."""
        return list(self._pool)

    @property
    def choices(self) -> Tensor:
        """All pool indices as an ``N x 1`` float64 tensor (``choices`` for ``optimize_acqf_discrete``)."""
        return torch.arange(len(self._pool), dtype=torch.float64).unsqueeze(-1)

    def architectures(self, X: Tensor) -> list[Architecture]:
        """The pool architectures of ``X``, flattened (e.g. the candidates ``optimize_acqf_discrete`` returned).

        Args:
            X: A ``... x 1`` tensor of pool indices.

        Raises:
            InputError: If ``X`` holds anything but indices of the pool.
        """
        return [self._pool[i] for i in self._indices(X).reshape(-1).tolist()]

    def posterior(
        self,
        X: Tensor,
        output_indices: list[int] | None = None,
        observation_noise: bool | Tensor = False,
        posterior_transform: PosteriorTransform | None = None,
        **kwargs: Any,
    ) -> Posterior:
        """The posterior of the pool members indexed by ``X``.

        Args:
            X: A ``b x q x 1``-dim (or ``q x 1``) tensor of pool indices (integral floats).
            output_indices: Outputs to keep (default: all ``m``).
            observation_noise: Whether to add the observation noise to every point (it is always
                added to the first ``noisy`` pool members); only GPs have a noise model, other
                surrogates ignore it.
            posterior_transform: Applied to the posterior before it is returned.
            kwargs: Ignored (accepted for BoTorch compatibility).

        Returns:
            A posterior over ``b x q`` points and ``m`` (or ``len(output_indices)``) outputs.

        Raises:
            InputError: If ``X`` does not hold pool indices.
        """
        idx = self._indices(X)
        with torch_threads(self._surrogate.num_threads):
            noise: bool | Tensor = bool(observation_noise) or (idx < self._noisy if self._noisy else False)
            post = self._surrogate.pool_posterior(self._handle, idx, noise)
        if output_indices is not None:
            post = _subset_outputs(post, list(output_indices), self._m)
        if posterior_transform is not None:
            post = posterior_transform(post)
        return post

    def _indices(self, X: Tensor) -> Tensor:
        n = len(self._pool)
        if not isinstance(X, Tensor) or X.dim() < 1 or X.shape[-1] != 1:
            shape = tuple(X.shape) if isinstance(X, Tensor) else type(X).__name__
            raise InputError(
                f"PoolModel inputs are pool indices of shape b x q x 1, got {shape}. "
                "Use model.choices (N x 1) as the candidate set."
            )
        if X.is_floating_point():
            idx = X.detach().round()
            if self._relaxed:
                return idx.clamp(0, n - 1).long().squeeze(-1)
            if not torch.equal(idx, X.detach()):
                raise InputError("PoolModel inputs must be integral pool indices, got non-integer values.")
            idx = idx.long()
        else:
            idx = X.long()
        if idx.numel() and (idx.min() < 0 or idx.max() >= n):
            raise InputError(
                f"Pool index out of range: got values in [{int(idx.min())}, {int(idx.max())}] for a pool of {n}."
            )
        return idx.squeeze(-1)

    def __repr__(self) -> str:
        return f"PoolModel({type(self._surrogate).__name__}, N={len(self._pool)}, m={self._m})"


def gaussian_posterior(mean: Tensor, cov: Tensor) -> GPyTorchPosterior:
    """A Gaussian posterior with independent outputs and joint covariance over the ``q`` points.

    Args:
        mean: A ``batch x q x m``-dim tensor.
        cov: A ``batch x m x q x q``-dim tensor, the covariance of each output across the q points.

    Returns:
        A ``GPyTorchPosterior`` wrapping a ``MultivariateNormal`` (``m = 1``) or a
        ``MultitaskMultivariateNormal`` of ``m`` independent outputs.
    """
    m = mean.shape[-1]
    # a linear operator keeps the distribution lazy: no eager Cholesky of a covariance that
    # round-off made slightly indefinite (e.g. pool cells with identical features); gpytorch
    # factorises it when sampling, adding jitter if needed
    mvns = [MultivariateNormal(mean[..., j], DenseLinearOperator(cov[..., j, :, :])) for j in range(m)]
    if m == 1:
        return GPyTorchPosterior(mvns[0])
    return GPyTorchPosterior(MultitaskMultivariateNormal.from_independent_mvns(mvns))


def posterior_moments(post: Posterior) -> tuple[Tensor, Tensor]:
    """Joint mean and per-output covariance of a Gaussian or ensemble posterior.

    Args:
        post: A ``GPyTorchPosterior`` or an ``EnsemblePosterior``.

    Returns:
        ``(mean, cov)``: a ``batch x q x m``-dim mean and a ``batch x m x q x q``-dim covariance
        of each output across the q points (covariances between outputs are dropped; an
        ensemble's covariance is the unbiased one, like ``EnsemblePosterior.variance``).

    Raises:
        TypeError: For any other posterior type.
    """
    if isinstance(post, EnsemblePosterior):
        values = post.values  # batch x s x q x m
        w = post.weights  # s
        mean = post.mean  # batch x q x m
        dev = (values - mean.unsqueeze(-3)).movedim(-1, -3)  # batch x m x s x q
        cov = torch.einsum("s,...sq,...sr->...qr", w, dev, dev)
        s = values.shape[-3]
        cov = cov / (1 - (w**2).sum()) if s > 1 else torch.zeros_like(cov)
        return mean, cov
    if isinstance(post, GPyTorchPosterior):
        dist = post.distribution
        if isinstance(dist, MultitaskMultivariateNormal):
            mean = dist.mean  # batch x q x m
            q, m = mean.shape[-2], mean.shape[-1]
            full = dist.covariance_matrix
            if dist._interleaved:
                blocks = [full[..., j::m, j::m] for j in range(m)]
            else:
                blocks = [full[..., j * q : (j + 1) * q, j * q : (j + 1) * q] for j in range(m)]
            return mean, torch.stack(blocks, dim=-3)
        return dist.mean.unsqueeze(-1), dist.covariance_matrix.unsqueeze(-3)
    raise TypeError(
        f"Cannot take moments of a {type(post).__name__}; expected a GPyTorchPosterior or EnsemblePosterior."
    )


def _subset_outputs(post: Posterior, idx: list[int], m: int) -> Posterior:
    if any(not 0 <= i < m for i in idx) or not idx:
        raise InputError(f"output_indices must be a non-empty list of indices in 0..{m - 1}, got {idx}.")
    if idx == list(range(m)):
        return post
    if isinstance(post, EnsemblePosterior):
        return EnsemblePosterior(post.values[..., idx])
    mean, cov = posterior_moments(post)
    return gaussian_posterior(mean[..., idx], cov[..., idx, :, :])
