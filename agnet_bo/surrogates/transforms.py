"""Target transforms shared by every surrogate: standardisation and the rank (copula) transform.

Notation: ``n`` training points, ``m`` outputs, ``batch_shape`` any leading batch dimensions.

Both transforms are BoTorch :class:`~botorch.models.transforms.outcome.OutcomeTransform` s:
``"standardize"`` is BoTorch's own :class:`~botorch.models.transforms.outcome.Standardize`;
``"copula"`` is :class:`CopulaTransform`, written here because BoTorch has no rank transform.
Like every BoTorch outcome transform, a transform *learns* its parameters when called in training
mode (the default after construction) and applies the learned ones in ``eval()`` mode.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from botorch.models.transforms.outcome import OutcomeTransform, Standardize
from botorch.posteriors import Posterior, TransformedPosterior
from torch import Tensor

from agnet_bo.exceptions import InputError, unknown_name

__all__ = ["CopulaTransform", "TARGET_TRANSFORMS", "make_target_transform"]

TARGET_TRANSFORMS: tuple[str, ...] = ("standardize", "copula")
"""The names accepted by ``target_transform=`` (besides ``None``, no transform)."""


class CopulaTransform(OutcomeTransform):
    r"""Rank (Gaussian-copula) transform of the targets, one output at a time.

    Fitted on ``n`` training targets, it maps the ``i``-th smallest value of an output to
    :math:`\Phi^{-1}((r_i + 0.5) / n)`, where :math:`r_i` is its 0-based rank and tied values share
    their average rank. The result looks like a standard normal sample whatever the marginal
    distribution of the targets was; a few outliers (e.g. NAS-Bench-201's chance-level cells) no
    longer dominate a fit. A feasibility study found this the single most useful change to a surrogate
    (docs/design.md, "The method and its published protocol").

    After fitting (``eval()`` mode), new values are mapped through the same empirical CDF,
    linearly interpolated between the training values and clamped to their range, so the
    training targets map exactly to their fitted scores and the map is monotone.

    :meth:`untransform` maps normal scores back to the units of the targets through the inverse
    of that CDF; it is exact on the training scores, and clamps everything beyond the lowest or
    highest training value to that value, which is why agnet-bo surrogates keep their
    predictions in normal-score units (see :class:`~agnet_bo.surrogates.Surrogate`). Variances
    cannot be mapped back in closed form: :meth:`untransform` refuses ``Yvar`` and
    :meth:`untransform_posterior` returns a sampled :class:`~botorch.posteriors.TransformedPosterior`.

    Args:
        m: The number of outputs.

    Example:
        >>> import torch
        >>> tf = CopulaTransform(m=1)
        >>> Y = torch.tensor([[10.0], [90.0], [91.0], [90.0]], dtype=torch.float64)
        >>> Z, _ = tf(Y)                  # training mode: learn the ranks
        >>> [round(z, 3) for z in Z.squeeze(-1).tolist()]
        [-1.15, 0.0, 1.15, 0.0]
        >>> _ = tf.eval()
        >>> tf(torch.tensor([[90.0]], dtype=torch.float64))[0].item()
        0.0
    """

    def __init__(self, m: int) -> None:
        super().__init__()
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise InputError(f"`m` (number of outputs) must be a positive int, got {m!r}.")
        self._m = m
        self.register_buffer("sorted_targets", torch.zeros(0, m, dtype=torch.float64))

    @property
    def is_fitted(self) -> bool:
        """Whether the transform has seen training targets."""
        return self.sorted_targets.shape[0] > 0

    def forward(self, Y: Tensor, Yvar: Tensor | None = None, X: Tensor | None = None) -> tuple[Tensor, None]:
        """Fit (in training mode) and apply the transform.

        Args:
            Y: An ``n x m``-dim tensor of targets.
            Yvar: Must be ``None``: observation noise has no rank transform.
            X: Ignored.

        Returns:
            The ``n x m`` normal scores and ``None``.

        Raises:
            InputError: If ``Y`` is not ``n x m`` with ``n >= 1``, contains NaN, or ``Yvar`` is given.
        """
        Y = self._check(Y, "Y")
        if Yvar is not None:
            raise InputError(
                "CopulaTransform cannot transform observation noise `Yvar` (ranks have no noise model). "
                "Pass Yvar=None, or use target_transform='standardize' with known noise."
            )
        if self.training:
            if Y.shape[0] == 0:
                raise InputError("CopulaTransform needs at least one training target to learn ranks, got 0 rows.")
            self.sorted_targets = torch.sort(Y.detach().to(torch.float64), dim=0).values
        elif not self.is_fitted:
            raise InputError("CopulaTransform is in eval mode but was never fitted; call it once in training mode.")
        return torch.special.ndtri(self._cdf(Y)), None

    def untransform(self, Y: Tensor, Yvar: Tensor | None = None, X: Tensor | None = None) -> tuple[Tensor, None]:
        """Map normal scores back to the units of the training targets (clamped to their range).

        Args:
            Y: A ``batch_shape x n x m``-dim tensor of normal scores.
            Yvar: Must be ``None``; see the class docstring.
            X: Ignored.

        Returns:
            The ``batch_shape x n x m`` values in target units and ``None``.

        Raises:
            InputError: If the transform is not fitted, the shape is wrong or ``Yvar`` is given.
        """
        if not self.is_fitted:
            raise InputError("CopulaTransform is not fitted yet; call it on training targets first.")
        if Yvar is not None:
            raise InputError(
                "CopulaTransform cannot map variances back: the rank transform is not linear. Use "
                "untransform_posterior (sampled) or keep predictions in normal-score units."
            )
        if Y.shape[-1] != self._m:
            raise InputError(f"Expected {self._m} output column(s), got Y of shape {tuple(Y.shape)}.")
        u = torch.special.ndtr(Y.to(torch.float64))
        return self._map_columns(u, lambda col, knots, scores: _interp(col, scores, knots)), None

    def untransform_posterior(self, posterior: Posterior, X: Tensor | None = None) -> TransformedPosterior:
        """A posterior in target units whose samples are the untransformed samples of ``posterior``.

        Its mean and variance are estimated from samples (BoTorch's :class:`TransformedPosterior`).
        """
        return TransformedPosterior(posterior=posterior, sample_transform=lambda s: self.untransform(s)[0])

    def subset_output(self, idcs: list[int]) -> CopulaTransform:
        """The transform restricted to the outputs ``idcs``."""
        new = CopulaTransform(m=len(idcs))
        new.sorted_targets = self.sorted_targets[:, idcs].clone()
        new.train(self.training)
        return new

    # -- helpers ------------------------------------------------------------------------------
    def _check(self, Y: Tensor, name: str) -> Tensor:
        if not isinstance(Y, Tensor) or Y.dim() != 2 or Y.shape[-1] != self._m:
            shape = tuple(Y.shape) if isinstance(Y, Tensor) else type(Y).__name__
            raise InputError(f"CopulaTransform expects {name} as an n x {self._m} tensor, got {shape}.")
        if torch.isnan(Y).any():
            raise InputError(f"{name} contains NaN; ranks are undefined. Drop failed evaluations first.")
        return Y

    def _cdf(self, Y: Tensor) -> Tensor:
        """The mid-rank empirical CDF of the training targets at ``Y``, in ``[0.5/n, 1 - 0.5/n]``."""
        return self._map_columns(Y.to(torch.float64), _interp)

    def _map_columns(self, Y: Tensor, fn: Callable[[Tensor, Tensor, Tensor], Tensor]) -> Tensor:
        n = self.sorted_targets.shape[0]
        out = torch.empty_like(Y)
        for j in range(self._m):
            col = self.sorted_targets[:, j]
            knots, counts = torch.unique_consecutive(col, return_counts=True)
            below = torch.cumsum(counts, 0) - counts  # values strictly smaller than each knot
            scores = (2 * below + counts).to(torch.float64) / (2 * n)  # (average 0-based rank + 0.5) / n
            out[..., j] = fn(Y[..., j], knots, scores)
        return out


def _interp(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """Piecewise-linear interpolation of ``(xp, fp)`` at ``x``, clamped at the ends; exact at the knots.

    ``xp`` must be strictly increasing (``fp`` non-decreasing).
    """
    if xp.numel() == 1:
        return fp.expand_as(x).clone()
    idx = torch.searchsorted(xp, x.contiguous()).clamp(1, xp.numel() - 1)
    x0, x1, f0, f1 = xp[idx - 1], xp[idx], fp[idx - 1], fp[idx]
    t = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0)
    out = f0 + t * (f1 - f0)
    out = torch.where(x == x1, f1, out)  # exact on knots
    return torch.where(x == x0, f0, out)


def make_target_transform(name: str | None, m: int) -> OutcomeTransform | None:
    """A fresh (unfitted) target transform by name.

    Args:
        name: ``"standardize"``, ``"copula"`` or ``None``.
        m: The number of outputs.

    Returns:
        A BoTorch ``OutcomeTransform`` in training mode, or ``None`` for ``name=None``.

    Raises:
        UnknownNameError: If ``name`` is not one of :data:`TARGET_TRANSFORMS` or ``None``.
    """
    check_target_transform(name)
    if name is None:
        return None
    if name == "standardize":
        return Standardize(m=m)
    return CopulaTransform(m=m)


def check_target_transform(name: object) -> str | None:
    """Return ``name`` if it names a target transform (or is ``None``), else raise UnknownNameError."""
    if name is None or (isinstance(name, str) and name in TARGET_TRANSFORMS):
        return name
    raise unknown_name(
        "target_transform", name, TARGET_TRANSFORMS, "Or pass target_transform=None to fit the raw targets."
    )
