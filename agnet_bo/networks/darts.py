"""The DARTS evaluation network: normal and reduction cells of a :class:`~agnet_bo.spaces.DARTSSpace` architecture.

The published CIFAR skeleton (DARTS, Liu et al., ICLR 2019; NAS-Bench-301 trains the same): a stem
``Conv3x3(in, stem_multiplier * C) -> BN``, then ``layers`` cells, where the cells at positions
``layers // 3`` and ``2 * layers // 3`` are reduction cells (stride 2, doubled channels) and the
others normal cells; global average pooling and a linear classifier. The benchmark network has
``C = 36``, ``layers = 20`` (DARTS: 32, 8 for NAS-Bench-301's training runs).

A cell reads the outputs ``s0``, ``s1`` of the two previous cells (the stem's output for the first
two), preprocesses them to ``C`` channels (``s0`` with a :class:`FactorizedReduce` if the previous
cell was a reduction cell, else ``ReLU -> Conv1x1 -> BN``; ``s1`` with ``ReLU -> Conv1x1 -> BN``),
computes intermediate node ``k`` as the sum of its two operations applied to its two sources, and
returns the concatenation of the 4 intermediate nodes (``4C`` channels). In a reduction cell the
operations on the two cell inputs have stride 2.

The auxiliary classifier head of the DARTS training recipe is not part of this network; drop path
is (``drop_path_prob``, applied in training mode to every operation but the identity).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import torch
from torch import Tensor, nn

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.networks._layers import ReLUConvBN, Zero, check_positive_int
from agnet_bo.networks.dag import OpFactory
from agnet_bo.spaces.darts import DARTS_OPS, DARTSSpace

__all__ = [
    "DARTS_OP_FACTORIES",
    "DARTS_OP_NAMES",
    "DARTSCell",
    "DARTSNetwork",
    "DilConv",
    "FactorizedReduce",
    "SepConv",
    "darts_op",
]

DARTS_OP_NAMES: tuple[str, ...] = ("none", *DARTS_OPS)
"""The operations :func:`darts_op` builds: the 7 of the space and the supernet's ``none``."""


class FactorizedReduce(nn.Module):
    """Halve the resolution without discarding pixels: two offset stride-2 1x1 convolutions, concatenated.

    ``ReLU``, then ``Conv1x1 stride 2`` on ``x`` and on ``x`` shifted by one pixel (right and down),
    concatenated along channels, then ``BN``. Odd sizes work (the shifted path is zero padded).

    Args:
        in_channels: Input channels.
        out_channels: Output channels (the two halves get ``out // 2`` and ``out - out // 2``).

    Shapes:
        ``b x in_channels x H x W`` -> ``b x out_channels x ceil(H / 2) x ceil(W / 2)``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        if out_channels < 2:
            raise InputError(f"FactorizedReduce needs at least 2 output channels, got {out_channels}.")
        self.relu = nn.ReLU(inplace=False)
        half = out_channels // 2
        self.conv_1 = nn.Conv2d(in_channels, half, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(in_channels, out_channels - half, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Reduce ``x`` (``b x in_channels x H x W``)."""
        x = self.relu(x)
        shifted = nn.functional.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        out: Tensor = self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))
        return out


class SepConv(nn.Sequential):
    """DARTS's separable convolution: ``(ReLU -> depthwise kxk -> Conv1x1 -> BN)`` twice, the first strided.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: ``k`` (3 or 5 in DARTS); padding ``k // 2``.
        stride: Stride of the first depthwise convolution.

    Shapes:
        ``b x in_channels x H x W`` -> ``b x out_channels x ceil(H / stride) x ceil(W / stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        pad = kernel_size // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(in_channels, in_channels, kernel_size, stride, pad, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, in_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels),
            nn.ReLU(inplace=False),
            nn.Conv2d(in_channels, in_channels, kernel_size, 1, pad, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )


class DilConv(nn.Sequential):
    """DARTS's dilated separable convolution: ``ReLU -> depthwise kxk dilation 2 -> Conv1x1 -> BN``.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: ``k`` (3 or 5 in DARTS); padding ``k - 1`` keeps the size at stride 1.
        stride: Stride of the depthwise convolution.

    Shapes:
        ``b x in_channels x H x W`` -> ``b x out_channels x ceil(H / stride) x ceil(W / stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                in_channels, in_channels, kernel_size, stride, kernel_size - 1, dilation=2, groups=in_channels, bias=False
            ),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )


def darts_op(name: str, channels: int, stride: int = 1) -> nn.Module:
    """One DARTS operation with ``channels`` input and output channels.

    ``sep_conv_kxk`` (:class:`SepConv`), ``dil_conv_kxk`` (:class:`DilConv`), ``max_pool_3x3`` /
    ``avg_pool_3x3`` (padding 1; the average does not count padding), ``skip_connect`` (identity;
    a :class:`FactorizedReduce` at stride 2) and ``none`` (zeros).

    Args:
        name: One of :data:`DARTS_OP_NAMES`.
        channels: ``C``.
        stride: 1, or 2 for the operations on the inputs of a reduction cell.

    Returns:
        A module mapping ``b x C x H x W`` to ``b x C x ceil(H / stride) x ceil(W / stride)``.

    Raises:
        UnknownNameError: If ``name`` is not a DARTS operation.
        InputError: If ``channels`` or ``stride`` is not a positive int.
    """
    channels = check_positive_int(channels, "channels")
    stride = check_positive_int(stride, "stride")
    if name == "none":
        return Zero(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name in ("sep_conv_3x3", "sep_conv_5x5"):
        return SepConv(channels, channels, int(name[-1]), stride)
    if name in ("dil_conv_3x3", "dil_conv_5x5"):
        return DilConv(channels, channels, int(name[-1]), stride)
    raise UnknownNameError(
        f"Unknown DARTS operation {name!r}. Expected one of: {', '.join(map(repr, DARTS_OP_NAMES))}."
    )


def _stride_one_factory(name: str) -> OpFactory:
    return lambda channels: darts_op(name, channels, 1)


DARTS_OP_FACTORIES: dict[str, OpFactory] = {name: _stride_one_factory(name) for name in DARTS_OP_NAMES}
"""The DARTS operations at stride 1 as :data:`~agnet_bo.networks.OpFactories` (for a user's
:class:`~agnet_bo.networks.DAGCell`)."""


@lru_cache(maxsize=1)
def _space() -> DARTSSpace:
    return DARTSSpace()


def _drop_path(x: Tensor, prob: float) -> Tensor:
    keep = 1.0 - prob
    mask = torch.empty(x.shape[0], *([1] * (x.dim() - 1)), dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class DARTSCell(nn.Module):
    r"""One DARTS cell (normal or reduction) built from its 8 ``(op_name, source)`` pairs.

    Args:
        genotype: 8 ``(op_name, source)`` pairs; pairs ``2k``, ``2k + 1`` feed intermediate node
            ``k`` (sources: 0 = ``s0``, 1 = ``s1``, ``2 + j`` = intermediate node ``j < k``). This
            is one half of :meth:`~agnet_bo.spaces.DARTSSpace.to_genotype`.
        prev_prev_channels: Channels of ``s0``.
        prev_channels: Channels of ``s1``.
        channels: ``C``; the output has ``4C``.
        reduction: Whether this is a reduction cell (operations on ``s0``, ``s1`` with stride 2).
        reduction_prev: Whether the previous cell was a reduction cell (``s0`` has twice the
            resolution of ``s1`` and is reduced).

    Shapes:
        ``s0``: ``b x prev_prev_channels x H0 x W0``, ``s1``: ``b x prev_channels x H x W`` (``H0 = 2H``
        if ``reduction_prev`` else ``H``) -> ``b x 4C x H' x W'`` with ``H' = ceil(H / 2)`` for a
        reduction cell, else ``H``.

    Raises:
        InputError: If a channel count is not a positive int or ``genotype`` is malformed.
        UnknownNameError: If an operation name is unknown.
    """

    def __init__(
        self,
        genotype: Sequence[tuple[str, int]],
        prev_prev_channels: int,
        prev_channels: int,
        channels: int,
        reduction: bool,
        reduction_prev: bool,
    ) -> None:
        super().__init__()
        channels = check_positive_int(channels, "channels")
        if len(genotype) != 8:
            raise InputError(
                f"A DARTS cell has 8 (op_name, source) pairs (2 per intermediate node), got {len(genotype)}: "
                f"{list(genotype)!r}."
            )
        for slot, (_, source) in enumerate(genotype):
            if not 0 <= source < 2 + slot // 2:
                raise InputError(
                    f"Pair {slot} of the cell feeds intermediate node {slot // 2}, so its source must be in "
                    f"0..{1 + slot // 2}, got {source}."
                )
        self.reduction = bool(reduction)
        self.genotype = [(str(op), int(source)) for op, source in genotype]
        if reduction_prev:
            self.preprocess0: nn.Module = FactorizedReduce(prev_prev_channels, channels)
        else:
            self.preprocess0 = ReLUConvBN(prev_prev_channels, channels, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(prev_channels, channels, 1, 1, 0)
        self.ops = nn.ModuleList(
            darts_op(op, channels, 2 if reduction and source < 2 else 1) for op, source in self.genotype
        )
        self.channels = channels

    def forward(self, s0: Tensor, s1: Tensor, drop_path_prob: float = 0.0) -> Tensor:
        """Run the cell.

        Args:
            s0: The output of the cell before the previous one (``c_{k-2}``).
            s1: The output of the previous cell (``c_{k-1}``).
            drop_path_prob: In training mode, the probability of zeroing an operation's output per
                sample (survivors are scaled by ``1 / (1 - p)``); the identity is never dropped.

        Returns:
            The concatenation of the 4 intermediate nodes, ``b x 4C x H' x W'``.
        """
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        drop = self.training and drop_path_prob > 0.0
        for k in range(4):
            pair = []
            for slot in (2 * k, 2 * k + 1):
                op = self.ops[slot]
                h = op(states[self.genotype[slot][1]])
                if drop and not isinstance(op, nn.Identity):
                    h = _drop_path(h, drop_path_prob)
                pair.append(h)
            states.append(pair[0] + pair[1])
        return torch.cat(states[2:], dim=1)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction}, channels={self.channels}"


class DARTSNetwork(nn.Module):
    r"""The DARTS (NAS-Bench-301) evaluation network of one architecture.

    Args:
        arch: An architecture of :class:`~agnet_bo.spaces.DARTSSpace` (its normal and reduction
            cell; build one from a genotype with :meth:`~agnet_bo.spaces.DARTSSpace.from_genotype`).
        channels: ``C``, the channels of the first cells (DARTS on CIFAR-10: 36).
        layers: Number of cells (DARTS on CIFAR-10: 20); at least 3, so that both reduction
            cells and a normal cell are there. Reduction cells sit at ``layers // 3`` and
            ``2 * layers // 3``.
        num_classes: Number of classes.
        in_channels: Channels of the input images.
        stem_multiplier: The stem has ``stem_multiplier * C`` channels (DARTS: 3).
        drop_path_prob: Drop-path probability used in training mode (DARTS: 0.2, often ramped up
            over the epochs by setting the attribute ``drop_path_prob``).

    Shapes:
        ``b x in_channels x H x W`` -> ``b x num_classes`` logits.

    Raises:
        InvalidArchitectureError: If ``arch`` is not a DARTS architecture.
        InputError: If a size is not a positive int, ``layers < 3`` or ``drop_path_prob`` is not in ``[0, 1)``.

    Example:
        >>> import torch
        >>> from agnet_bo.spaces import DARTSSpace
        >>> arch = DARTSSpace().sample(1, seed=0)[0]
        >>> net = DARTSNetwork(arch, channels=4, layers=3)
        >>> net(torch.randn(2, 3, 8, 8)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self,
        arch: Architecture,
        *,
        channels: int = 36,
        layers: int = 20,
        num_classes: int = 10,
        in_channels: int = 3,
        stem_multiplier: int = 3,
        drop_path_prob: float = 0.0,
    ) -> None:
        super().__init__()
        normal, reduce = _space().to_genotype(arch)
        c = check_positive_int(channels, "channels")
        layers = check_positive_int(layers, "layers")
        if layers < 3:
            raise InputError(
                f"`layers` must be at least 3 (reduction cells sit at layers // 3 and 2 * layers // 3, and a normal "
                f"cell before them), got {layers}."
            )
        num_classes = check_positive_int(num_classes, "num_classes")
        in_channels = check_positive_int(in_channels, "in_channels")
        stem_multiplier = check_positive_int(stem_multiplier, "stem_multiplier")
        if isinstance(drop_path_prob, bool) or not isinstance(drop_path_prob, (int, float)) or not (
            0.0 <= drop_path_prob < 1.0
        ):
            raise InputError(f"`drop_path_prob` must be a float in [0, 1), got {drop_path_prob!r}.")
        self.arch = arch
        self.drop_path_prob = float(drop_path_prob)
        stem_c = stem_multiplier * c
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem_c, 3, padding=1, bias=False), nn.BatchNorm2d(stem_c))
        prev_prev, prev, cur = stem_c, stem_c, c
        reduction_prev = False
        cells = []
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                cur *= 2
            cells.append(DARTSCell(reduce if reduction else normal, prev_prev, prev, cur, reduction, reduction_prev))
            reduction_prev = reduction
            prev_prev, prev = prev, 4 * cur
        self.cells = nn.ModuleList(cells)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(prev, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Class logits.

        Args:
            x: A ``b x in_channels x H x W`` batch of images.

        Returns:
            A ``b x num_classes`` tensor of logits.
        """
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
        logits: Tensor = self.classifier(self.global_pooling(s1).flatten(1))
        return logits
