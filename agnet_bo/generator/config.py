"""The generator's settings: network sizes, training mode and training hyperparameters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from agnet_bo._validation import check_float, check_int, is_number
from agnet_bo.exceptions import InputError

__all__ = ["GeneratorConfig", "MODES", "SHAPE_FIELDS"]

MODES = ("autoregressive", "paper")
"""The training modes (:attr:`GeneratorConfig.mode`)."""

SHAPE_FIELDS = ("mode", "hidden_dim", "latent_dim", "num_layers")
"""The fields a saved network fixes: a state loads only into a generator with the same values."""


def _check_half_open(name: str, value: object, upper: float) -> float:
    """``value`` as a float in ``[0, upper)``."""
    if not (is_number(value) and 0.0 <= float(value) < upper):  # type: ignore[arg-type]  # NaN fails too
        raise InputError(f"`{name}` must be a number in [0, {upper:g}), got {type(value).__name__} {value!r}.")
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes and training settings of the generator (defaults: the paper's, unless noted).

    Args:
        mode: ``"autoregressive"`` (each step conditioned on the target's own prefix; a proper
            likelihood) or ``"paper"`` (reconstruction of a target from an independent latent
            draw, joint loss with the paper's surrogate).
        hidden_dim: Node-state size of the message-passing GNN (32).
        latent_dim: Size of the latent vector ``z`` (32).
        num_layers: Message-passing rounds over the partial graph (2).
        alpha: Weight of the surrogate's squared error in the paper mode's joint loss (0.9).
        lr: Adam learning rate (1e-3).
        beta1: Adam's first beta (0.5; the second is 0.999).
        batch_size: Training batch size (16).
        epochs: Epochs of each weighted retraining (:meth:`Generator.update`; 30 as in the paper,
            measured better than 10 for the autoregressive mode, see bench/notes/generator.md,
            "Which mode is the default").
        rank_k: ``k`` of the rank weights ``w_i = 1 / (k N + rank_i)``.
        label_smoothing: Label smoothing of the node-type and edge targets (0: none).
    """

    mode: str = "autoregressive"
    hidden_dim: int = 32
    latent_dim: int = 32
    num_layers: int = 2
    alpha: float = 0.9
    lr: float = 1e-3
    beta1: float = 0.5
    batch_size: int = 16
    epochs: int = 30
    rank_k: float = 0.01
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"`mode` must be one of {MODES}, got {self.mode!r}.")
        for name in ("hidden_dim", "latent_dim", "num_layers", "batch_size", "epochs"):
            # stored as a Python int, so that the configuration stays JSON data
            object.__setattr__(self, name, check_int(name, getattr(self, name), minimum=0 if name == "epochs" else 1))
        _check_half_open("alpha", self.alpha, 1.0)
        check_float("lr", self.lr, minimum=0.0, strict_minimum=True)
        _check_half_open("beta1", self.beta1, 1.0)
        check_float("rank_k", self.rank_k, minimum=0.0, strict_minimum=True)
        _check_half_open("label_smoothing", self.label_smoothing, 0.5)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        """Inverse of :meth:`to_dict` (unknown keys raise :class:`InputError`)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"Unknown GeneratorConfig field(s) {unknown}; known: {sorted(known)}.")
        return cls(**data)
