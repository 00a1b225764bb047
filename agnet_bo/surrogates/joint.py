"""The paper's surrogate: the MLP head trained jointly with a ``"paper"``-mode generator."""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch import Tensor

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, StateFileError
from agnet_bo.surrogates.base import Surrogate

__all__ = ["JointMLPSurrogate"]


class _Predicts(Protocol):
    space: Any
    surrogate_head: Any

    def predict(self, archs: list[Architecture]) -> Tensor: ...


class JointMLPSurrogate(Surrogate):
    """AG-Net's surrogate (docs/design.md): an MLP on the generator's graph features, trained
    with the generator by the joint loss (``alpha`` weighs reconstruction against the
    prediction of the rank-weighted results).

    The generator's proposer trains it each round (the optimizer updates the proposer before the
    surrogate), so :meth:`fit` only records the data; :meth:`predict` is the head's prediction
    (``generator.predict``) with a constant tiny variance: the paper's MLP has no uncertainty,
    so use it with a rule on the mean (``"greedy"``, ``"rank-sum"``, ``"rank-constrained"``).

    Args:
        generator: A generator built with ``mode="paper"`` (it has a ``surrogate_head``), e.g.
            ``proposer.generator`` of ``GeneratorProposer(space, mode="paper")``.

    Raises:
        InputError: If the generator has no surrogate head.
    """

    VARIANCE = 1e-6
    config_name = "joint-mlp"
    by_name = False  # needs the generator of a paper-mode proposer

    @classmethod
    def _from_params(cls, params: dict[str, Any], **context: Any) -> Any:
        generator = getattr(context.get("proposer"), "generator", None)
        if generator is None:
            raise StateFileError("The search's JointMLPSurrogate needs its GeneratorProposer, which the file does not describe.")
        return cls(generator)

    def __init__(self, generator: _Predicts) -> None:
        if getattr(generator, "surrogate_head", None) is None or not callable(getattr(generator, "predict", None)):
            raise InputError(
                "JointMLPSurrogate needs a generator trained with the joint loss, built with mode=\"paper\" "
                f"(it has a surrogate_head); got {type(generator).__name__}. Use "
                'GeneratorProposer(space, mode="paper") and pass its .generator, or the "paper" preset.'
            )
        super().__init__(generator.space, target_transform=None, seed=None, num_threads=None)
        self.generator = generator

    def get_params(self) -> dict[str, Any]:
        return {}

    def _fit(self, archs: list[Architecture], Y: Tensor) -> None:
        """Nothing to fit here: the proposer trains the head with the generator."""
        if Y.shape[-1] != 1:
            raise InputError(
                f"JointMLPSurrogate predicts one objective (the generator's head has one output), got {Y.shape[-1]} "
                "modelled metrics; use a GP or GNN surrogate with several objectives or constraints."
            )

    def _predict(self, archs: list[Architecture]) -> tuple[Tensor, Tensor]:
        mean = self.generator.predict(archs).to(torch.float64).reshape(-1, 1)
        return mean, torch.full_like(mean, self.VARIANCE)

    def _model_state(self) -> dict[str, Any]:
        return {}  # the head's weights are the generator's, saved with the proposer

    def _load_model_state(self, state: dict[str, Any], archs: list[Architecture], Y: Tensor) -> None:
        return None
