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

import copy
from collections.abc import Sequence
from typing import Any, Protocol

import torch
from botorch.acquisition.objective import PosteriorTransform
from botorch.models.model import Model
from botorch.posteriors import Posterior
from torch import Tensor

from agnet_bo._threads import torch_threads
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.surrogates.posteriors import gaussian_posterior, posterior_moments, subset_outputs

__all__ = ["PoolModel", "PoolSurrogate", "gaussian_posterior", "posterior_moments"]


class PoolSurrogate(Protocol):
    """What a :class:`PoolModel` asks of its surrogate; every fitted
    :class:`~agnet_bo.surrogates.Surrogate` is one. (A protocol, so that this module does not
    import the surrogates' base module, which imports it.)"""

    num_threads: int | None

    @property
    def num_outputs(self) -> int:
        """``m``, the number of outputs."""
        ...

    def pool_handle(self, pool: list[Architecture]) -> Any:
        """What :meth:`pool_posterior` needs of the pool, computed once."""
        ...

    def pool_posterior(self, handle: Any, idx: Tensor, observation_noise: bool | Tensor = False) -> Posterior:
        """The posterior of the pool members ``idx`` (a ``batch x q`` long tensor)."""
        ...

    def pool_condition(self, handle: Any, idx: list[int]) -> Any:
        """Optional: ``handle`` conditioned on believed measurements of ``idx``, or ``None``
        (:class:`PoolModel` treats a surrogate without this method as one that cannot condition)."""
        ...


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

    def __init__(self, surrogate: PoolSurrogate, pool: Sequence[Architecture], noisy: int = 0, relaxed: bool = False) -> None:
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
            post = subset_outputs(post, list(output_indices), self._m)
        if posterior_transform is not None:
            post = posterior_transform(post)
        return post

    def conditioned(self, indices: list[int]) -> PoolModel | None:
        """This model conditioned on measurements of the pool members ``indices`` at their
        posterior means (:meth:`Surrogate.pool_condition
        <agnet_bo.surrogates.Surrogate.pool_condition>`), or ``None`` when the surrogate cannot
        condition. Conditioning a conditioned model again adds the new points: the same as
        conditioning on all of them at once."""
        cond = getattr(self._surrogate, "pool_condition", None)
        handle = None if cond is None else cond(self._handle, [int(i) for i in indices])
        if handle is None:
            return None
        out = copy.copy(self)  # shares the pool and the surrogate; only the handle differs
        out._handle = handle
        return out

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
