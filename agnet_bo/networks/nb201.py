"""The NAS-Bench-201 network: its cells in the published macro skeleton.

The skeleton (NAS-Bench-201, Dong & Yang, ICLR 2020): a stem ``Conv3x3(in, C) -> BN``; three
stages of ``N`` cells with ``C``, ``2C`` and ``4C`` channels, separated by residual reduction blocks;
then ``BN -> ReLU``, global average pooling and a linear classifier. The benchmark trained
``C = 16``, ``N = 5``; with those values the parameter counts equal the benchmark's ``params``
(e.g. 73,306 for a cell without convolutions and 1,531,546 for six ``nor_conv_3x3`` on CIFAR-10).

The cell is a :class:`~agnet_bo.networks.DAGCell` of the space's 8-node graph: each operation node
applies its operation to the sum of its inputs, which is exactly NAS-Bench-201's cell, where feature
node ``j`` is the sum over ``i < j`` of ``op(i -> j)`` applied to feature node ``i`` (an operation
node on edge ``a -> b`` receives the operation nodes of the edges into ``a``, i.e. feature node
``a``, and the output node sums the edges into feature node 3).
"""

from __future__ import annotations

from functools import lru_cache

from torch import Tensor, nn

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.networks._layers import ReLUConvBN, Zero, check_positive_int
from agnet_bo.networks.dag import DAGCell, OpFactory
from agnet_bo.spaces.nb201 import NB201Space

__all__ = ["NB201_OP_FACTORIES", "NB201Cell", "NB201Network", "ResNetReductionBlock"]


def _avg_pool(channels: int) -> nn.Module:
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


NB201_OP_FACTORIES: dict[str, OpFactory] = {
    "none": lambda channels: Zero(),
    "skip_connect": lambda channels: nn.Identity(),
    "nor_conv_1x1": lambda channels: ReLUConvBN(channels, channels, 1, 1, 0),
    "nor_conv_3x3": lambda channels: ReLUConvBN(channels, channels, 3, 1, 1),
    "avg_pool_3x3": _avg_pool,
}
"""NAS-Bench-201's five operations at stride 1 as :data:`~agnet_bo.networks.OpFactories`.

``none``: zeros; ``skip_connect``: identity; ``nor_conv_kxk``: ``ReLU -> Conv kxk -> BN``;
``avg_pool_3x3``: 3x3 average pooling (padding not counted). All keep ``b x C x H x W``. Usable
with :class:`~agnet_bo.networks.DAGCell` in a user's own space.
"""


@lru_cache(maxsize=1)
def _space() -> NB201Space:
    return NB201Space()


class NB201Cell(DAGCell):
    """A NAS-Bench-201 cell with ``C`` channels (stride 1, shape preserving).

    Args:
        arch: A cell of :class:`~agnet_bo.spaces.NB201Space`.
        channels: ``C``.

    Shapes:
        ``b x C x H x W`` -> ``b x C x H x W``.

    Raises:
        InvalidArchitectureError: If ``arch`` is not an NB201 cell.
        InputError: If ``channels`` is not a positive int.
    """

    def __init__(self, arch: Architecture, channels: int) -> None:
        _space().validate(arch)
        super().__init__(arch, NB201_OP_FACTORIES, channels)


class ResNetReductionBlock(nn.Module):
    """NAS-Bench-201's residual block between stages: halves the resolution, changes the channels.

    ``y = conv_b(conv_a(x)) + shortcut(x)`` with ``conv_a = ReLU -> Conv3x3 stride 2 -> BN``,
    ``conv_b = ReLU -> Conv3x3 -> BN`` and ``shortcut = AvgPool 2x2 stride 2 -> Conv1x1`` (no bias;
    the pooling rounds odd sizes up, like the strided convolution, and equals NAS-Bench-201's on
    even sizes).

    Args:
        in_channels: Input channels.
        out_channels: Output channels.

    Shapes:
        ``b x in_channels x H x W`` -> ``b x out_channels x ceil(H / 2) x ceil(W / 2)``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(in_channels, out_channels, 3, 2, 1)
        self.conv_b = ReLUConvBN(out_channels, out_channels, 3, 1, 1)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(2, stride=2, padding=0, ceil_mode=True), nn.Conv2d(in_channels, out_channels, 1, bias=False)
        )

    def forward(self, x: Tensor) -> Tensor:
        """Residual reduction of ``x`` (``b x in_channels x H x W``)."""
        out: Tensor = self.conv_b(self.conv_a(x)) + self.shortcut(x)
        return out


class NB201Network(nn.Module):
    r"""The NAS-Bench-201 network of one cell.

    ``stem -> N cells (C) -> reduction -> N cells (2C) -> reduction -> N cells (4C) -> BN -> ReLU
    -> global average pool -> Linear(4C, num_classes)``; all cells share the architecture, each has
    its own weights.

    Args:
        arch: A cell of :class:`~agnet_bo.spaces.NB201Space`.
        channels: ``C``, the channels of the first stage (the benchmark: 16).
        cells_per_stage: ``N`` (the benchmark: 5).
        num_classes: Number of classes (10 for CIFAR-10, 100 for CIFAR-100, 120 for ImageNet16-120).
        in_channels: Channels of the input images.

    Shapes:
        ``b x in_channels x H x W`` -> ``b x num_classes`` logits (any ``H, W``; the benchmark
        used 32 x 32, and 16 x 16 for ImageNet16-120).

    Raises:
        InvalidArchitectureError: If ``arch`` is not an NB201 cell.
        InputError: If a size is not a positive int.

    Example:
        >>> import torch
        >>> from agnet_bo.spaces import NB201Space
        >>> space = NB201Space()
        >>> arch = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
        ...                          "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
        >>> net = NB201Network(arch, channels=4, cells_per_stage=1)
        >>> net(torch.randn(2, 3, 8, 8)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self,
        arch: Architecture,
        *,
        channels: int = 16,
        cells_per_stage: int = 5,
        num_classes: int = 10,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        _space().validate(arch)
        c = check_positive_int(channels, "channels")
        n = check_positive_int(cells_per_stage, "cells_per_stage")
        num_classes = check_positive_int(num_classes, "num_classes")
        in_channels = check_positive_int(in_channels, "in_channels")
        self.arch = arch
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        layers: list[nn.Module] = []
        for stage, width in enumerate((c, 2 * c, 4 * c)):
            if stage > 0:
                layers.append(ResNetReductionBlock(width // 2, width))
            layers.extend(NB201Cell(arch, width) for _ in range(n))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * c), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * c, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Class logits.

        Args:
            x: A ``b x in_channels x H x W`` batch of images.

        Returns:
            A ``b x num_classes`` tensor of logits.
        """
        if x.dim() != 4:
            raise InputError(f"Expected a b x C x H x W batch of images, got a tensor of shape {tuple(x.shape)}.")
        out = self.global_pooling(self.lastact(self.cells(self.stem(x))))
        logits: Tensor = self.classifier(out.flatten(1))
        return logits
