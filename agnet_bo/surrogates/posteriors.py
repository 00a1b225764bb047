"""Gaussian and ensemble posteriors over ``q`` points: build one from moments, take the moments of one.

Notation: ``b`` (or ``batch``) t-batch shape, ``q`` points considered jointly, ``m`` outputs,
``s`` ensemble members. Shared by :class:`~agnet_bo.surrogates.Surrogate` (its default pool
posterior), the surrogates and :class:`~agnet_bo.surrogates.PoolModel`.
"""

from __future__ import annotations

import torch
from botorch.posteriors import GPyTorchPosterior, Posterior
from botorch.posteriors.ensemble import EnsemblePosterior
from gpytorch.distributions import MultitaskMultivariateNormal, MultivariateNormal
from linear_operator.operators import DenseLinearOperator
from torch import Tensor

from agnet_bo.exceptions import InputError

__all__ = ["gaussian_posterior", "posterior_moments", "subset_outputs"]


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


def subset_outputs(post: Posterior, idx: list[int], m: int) -> Posterior:
    """The posterior of outputs ``idx`` (of ``m``) only.

    Raises:
        InputError: If ``idx`` is empty or holds an index outside ``0..m-1``.
    """
    if any(not 0 <= i < m for i in idx) or not idx:
        raise InputError(f"output_indices must be a non-empty list of indices in 0..{m - 1}, got {idx}.")
    if idx == list(range(m)):
        return post
    if isinstance(post, EnsemblePosterior):
        return EnsemblePosterior(post.values[..., idx])
    mean, cov = posterior_moments(post)
    return gaussian_posterior(mean[..., idx], cov[..., idx, :, :])
