"""Small building blocks shared by the network builders."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from agnet_bo.exceptions import InputError

__all__ = ["ReLUConvBN", "Zero", "check_positive_int", "count_parameters", "sum_tensors"]


def check_positive_int(value: object, name: str) -> int:
    """``value`` as an int, or :class:`~agnet_bo.exceptions.InputError` if it is not a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"`{name}` must be a positive int, got {type(value).__name__} {value!r}.")
    return value


def sum_tensors(tensors: Sequence[Tensor]) -> Tensor:
    """The sum of a non-empty sequence of tensors (without adding a scalar 0 first)."""
    out = tensors[0]
    for t in tensors[1:]:
        out = out + t
    return out


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """The number of parameters of a module.

    Works on modules built on the ``meta`` device too, so sizes can be counted without allocating
    weights: ``with torch.device("meta"): net = NB201Network(arch)``.

    Args:
        module: Any module.
        trainable_only: Count only parameters with ``requires_grad``.

    Returns:
        The total number of scalar parameters (shared parameters are counted once).
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class Zero(nn.Module):
    """The ``none`` operation: zeros of the output's shape, no dependence on the input.

    Args:
        stride: ``1`` keeps the spatial size; ``s > 1`` gives the size of a stride-``s``,
            ``padding = k // 2`` convolution (``ceil(H / s) x ceil(W / s)``).

    Shapes:
        ``b x C x H x W`` -> ``b x C x H' x W'``.
    """

    def __init__(self, stride: int = 1) -> None:
        super().__init__()
        self.stride = check_positive_int(stride, "stride")

    def forward(self, x: Tensor) -> Tensor:
        """Zeros shaped like the output of a stride-``stride`` operation on ``x``."""
        if self.stride == 1:
            return torch.zeros_like(x)
        return torch.zeros_like(x[:, :, :: self.stride, :: self.stride])

    def extra_repr(self) -> str:
        return f"stride={self.stride}"


class ReLUConvBN(nn.Sequential):
    """``ReLU -> Conv2d (no bias) -> BatchNorm2d``, the NAS-Bench-201 and DARTS convolution block.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Square kernel size.
        stride: Convolution stride.
        padding: Zero padding on each side.
        dilation: Convolution dilation.

    Shapes:
        ``b x in_channels x H x W`` -> ``b x out_channels x H' x W'``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
        )
