"""Ensembles of arbitrary surrogates: mean of means, variance by the law of total variance.

Notation: ``n`` architectures, ``m`` outputs, ``k`` members, ``b`` t-batch, ``q`` joint points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from botorch.models.transforms.outcome import OutcomeTransform
from botorch.posteriors import Posterior
from torch import Tensor

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.surrogates.base import Surrogate
from agnet_bo.surrogates.posteriors import gaussian_posterior

__all__ = ["EnsembleSurrogate"]


class EnsembleSurrogate(Surrogate):
    r"""An equally weighted mixture of ``k`` surrogates, fitted on the same data.

    With member predictions :math:`(\mu_i, \sigma_i^2)`, the ensemble predicts
    :math:`\bar\mu = \frac{1}{k}\sum_i \mu_i` and, by the law of total variance,
    :math:`\frac{1}{k}\sum_i \sigma_i^2 + \frac{1}{k}\sum_i (\mu_i - \bar\mu)^2`: members that
    disagree make the ensemble less certain. The :meth:`as_botorch_model` posterior is the
    Gaussian with the same moments *jointly* over the ``q`` points (law of total covariance of
    the members' joint posteriors), so a GP member keeps its correlations.

    Every member must use the same space and the same ``target_transform``, so that their
    predictions are in the same units; the ensemble applies no transform of its own (its
    :attr:`target_transform` reports the members'). Seeds are the members' own.

    Args:
        surrogates: The ``k >= 1`` member surrogates (fitted or not; :meth:`fit` refits them all).
        num_threads: Torch threads while computing, for all members (``None``: leave torch's
            setting alone).

    Raises:
        InputError: If ``surrogates`` is empty, holds non-surrogates, or mixes spaces or target
            transforms, or ``num_threads`` is invalid.

    Example:
        >>> from agnet_bo.spaces import NB201Space
        >>> from agnet_bo.surrogates import GPSurrogate
        >>> space = NB201Space()
        >>> ens = EnsembleSurrogate([GPSurrogate(space, kernel="hamming"), GPSurrogate(space, kernel="wl")])
        >>> archs = space.sample(24, seed=0)
        >>> mean, var = ens.fit(archs, [a.ops.count("nor_conv_3x3") for a in archs]).predict(archs[:3])
        >>> mean.shape
        torch.Size([3, 1])
    """

    config_name = "ensemble"

    def to_config(self) -> dict[str, Any]:
        """The members' descriptions (a class of your own when any member is one)."""
        members = [s.to_config() for s in self.surrogates]
        if any(m["type"] is None for m in members):
            return {"type": None, "class": f"{type(self).__module__}.{type(self).__qualname__}"}
        return {"type": "ensemble", "params": {"members": members, "num_threads": self.num_threads}}

    @classmethod
    def _from_params(cls, params: dict[str, Any], **context: Any) -> Any:
        members = [Surrogate.from_config(m, **context) for m in params["members"]]
        return cls(members, num_threads=params.get("num_threads", 1))

    def __init__(self, surrogates: Sequence[Surrogate], *, num_threads: int | None = 1) -> None:
        if isinstance(surrogates, Surrogate) or not isinstance(surrogates, Sequence) or len(surrogates) == 0:
            raise InputError(
                f"`surrogates` must be a non-empty list of Surrogate instances, got {surrogates!r:.100}. "
                "Pass e.g. [GPSurrogate(space), GNNSurrogate(space)]."
            )
        members = list(surrogates)
        for i, s in enumerate(members):
            if not isinstance(s, Surrogate):
                raise InputError(f"`surrogates[{i}]` must be a Surrogate, got {type(s).__name__} {s!r:.80}.")
        space = members[0].space
        for i, s in enumerate(members[1:], start=1):
            if s.space is not space and (type(s.space) is not type(space) or repr(s.space) != repr(space)):
                raise InputError(
                    f"All ensemble members must use the same search space; surrogates[0] uses {space!r} but "
                    f"surrogates[{i}] uses {s.space!r}."
                )
        transforms = [s.target_transform for s in members]
        if len(set(transforms)) > 1:
            raise InputError(
                f"All ensemble members must use the same target_transform (their predictions must be in the same "
                f"units), got {transforms}. Build every member with the same target_transform=..."
            )
        super().__init__(space, target_transform=None, seed=None, num_threads=num_threads)
        self.surrogates = members
        self._member_transform = transforms[0]

    @property
    def target_transform(self) -> str | None:
        """The members' common target transform (the units of the predictions)."""
        return self._member_transform

    def get_params(self) -> dict[str, Any]:
        return {
            "surrogates": [{"class": type(s).__name__, **s.get_params()} for s in self.surrogates],
            "num_threads": self.num_threads,
        }

    def _output_transform(self) -> OutcomeTransform | None:
        return self.surrogates[0].target_transform_

    # -- Surrogate hooks ----------------------------------------------------------------------
    def _fit(self, archs: list[Architecture], Y: Tensor) -> None:
        for s in self.surrogates:
            s.warm_start = self.warm_start
            s.fit(archs, Y)

    def _predict(self, archs: list[Architecture]) -> tuple[Tensor, Tensor]:
        preds = [s.predict(archs) for s in self.surrogates]
        means = torch.stack([p[0] for p in preds])  # k x n x m
        variances = torch.stack([p[1] for p in preds])
        mean = means.mean(0)
        return mean, variances.mean(0) + ((means - mean) ** 2).mean(0)

    def pool_handle(self, pool: list[Architecture]) -> list[Any]:
        return [s.pool_handle(pool) for s in self.surrogates]

    def pool_moments(self, handle: list[Any], idx: Tensor, observation_noise: bool | Tensor = False) -> tuple[Tensor, Tensor]:
        moments = [s.pool_moments(h, idx, observation_noise) for s, h in zip(self.surrogates, handle, strict=False)]
        means = torch.stack([mo[0] for mo in moments])  # k x batch x q x m
        covs = torch.stack([mo[1] for mo in moments])  # k x batch x m x q x q
        mean = means.mean(0)
        dev = (means - mean).movedim(-1, -2)  # k x batch x m x q
        spread = (dev.unsqueeze(-1) * dev.unsqueeze(-2)).mean(0)
        return mean, covs.mean(0) + spread

    def pool_posterior(self, handle: list[Any], idx: Tensor, observation_noise: bool | Tensor = False) -> Posterior:
        return gaussian_posterior(*self.pool_moments(handle, idx, observation_noise))

    def pool_condition(self, handle: list[Any], idx: list[int]) -> list[Any] | None:
        """Each member conditioned (``None`` if one of them cannot be)."""
        out = [s.pool_condition(h, idx) for s, h in zip(self.surrogates, handle, strict=True)]
        return None if any(h is None for h in out) else out

    def _model_state(self) -> dict[str, Any]:
        return {"members": [s.state_dict() for s in self.surrogates]}

    def _load_model_state(self, state: dict[str, Any], archs: list[Architecture], Y: Tensor) -> None:
        try:
            member_states = list(state["members"])
        except (KeyError, TypeError) as exc:
            raise InputError(f"Malformed EnsembleSurrogate state: {exc!r}.") from exc
        if len(member_states) != len(self.surrogates):
            raise InputError(f"The state holds {len(member_states)} members, this ensemble has {len(self.surrogates)}.")
        for s, ms in zip(self.surrogates, member_states, strict=False):
            s.load_state_dict(ms)
