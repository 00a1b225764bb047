"""The NAS-Bench-101 network: its cells in the published macro skeleton.

NAS-Bench-101 (Ying et al., ICML 2019) semantics of a cell with ``n`` nodes (after pruning the
nodes that are not on an input-output path), ``c_in`` input and ``c_out`` output channels:

* **channels**: the ``k`` hidden nodes that feed the output split ``c_out`` among them
  (``c_out // k`` each, the first ``c_out % k`` of them in node order one more); every other hidden
  node takes the largest channel count among its hidden successors;
* **hidden node** ``t``: the sum of the outputs of its hidden predecessors, each truncated to
  node ``t``'s channels (the first channels are kept), plus, if the input feeds ``t``, a
  ``Conv1x1 -> BN -> ReLU`` projection of the input to node ``t``'s channels; then the node's
  operation (``conv3x3-bn-relu``, ``conv1x1-bn-relu`` or ``maxpool3x3``, all channel preserving);
* **output**: the concatenation (along channels) of the hidden nodes that feed it, plus a
  projection of the input to ``c_out`` channels if the input feeds the output directly (for the
  cell ``input -> output`` the projection alone).

Network: a stem ``Conv3x3 -> BN -> ReLU`` to ``stem_channels``, ``num_stacks`` stacks of
``cells_per_stack`` cells, a ``2 x 2`` max pooling with stride 2 and doubled channels before every
stack but the first, global average pooling and a linear classifier. The benchmark used 128 stem
channels, 3 stacks of 3 cells and 10 classes; with those the parameter counts equal the
benchmark's (e.g. 882,570 for the cell ``input -> output``). Convolutions have no bias; batch
norms have PyTorch's defaults (NAS-Bench-101 trained with a decay of 0.997, i.e. momentum 0.003).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor, nn

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.networks._layers import check_positive_int, sum_tensors
from agnet_bo.networks.dag import OpFactory
from agnet_bo.spaces.nb101 import NB101Space

__all__ = ["NB101_OP_FACTORIES", "NB101Cell", "NB101Network", "nb101_vertex_channels"]


def _conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=False),
    )


NB101_OP_FACTORIES: dict[str, OpFactory] = {
    "conv3x3-bn-relu": lambda channels: _conv_bn_relu(channels, channels, 3),
    "conv1x1-bn-relu": lambda channels: _conv_bn_relu(channels, channels, 1),
    "maxpool3x3": lambda channels: nn.MaxPool2d(3, stride=1, padding=1),
}
"""NAS-Bench-101's three operations as :data:`~agnet_bo.networks.OpFactories` (channel and shape
preserving; ``Conv -> BN -> ReLU`` without bias, 3x3 max pooling at stride 1)."""


@lru_cache(maxsize=1)
def _space() -> NB101Space:
    return NB101Space()


def nb101_vertex_channels(in_channels: int, out_channels: int, adjacency: np.ndarray) -> list[int]:
    """The channel count of every node of a pruned NAS-Bench-101 cell (see the module docstring).

    Args:
        in_channels: Channels of the cell input (node 0).
        out_channels: Channels of the cell output (the last node).
        adjacency: The ``n x n`` adjacency of a cell whose nodes all lie on input-output paths.

    Returns:
        ``n`` channel counts, ``in_channels`` first and ``out_channels`` last.

    Raises:
        InputError: If ``out_channels`` is smaller than the number of hidden nodes feeding the
            output (some node would get no channel).
    """
    adj = np.asarray(adjacency, dtype=bool)
    n = adj.shape[0]
    channels = [0] * n
    channels[0], channels[-1] = in_channels, out_channels
    if n == 2:
        return channels
    feeders = [v for v in range(1, n - 1) if adj[v, n - 1]]
    if out_channels < len(feeders):
        raise InputError(
            f"A NAS-Bench-101 cell splits its {out_channels} output channels among the {len(feeders)} nodes that "
            f"feed its output, so it needs at least {len(feeders)} output channels; got {out_channels}. Use more "
            "channels (at least 5 covers every cell)."
        )
    base, extra = divmod(out_channels, len(feeders))
    for i, v in enumerate(feeders):
        channels[v] = base + (1 if i < extra else 0)
    for v in range(n - 3, 0, -1):
        if not adj[v, n - 1]:
            channels[v] = max(channels[d] for d in range(v + 1, n - 1) if adj[v, d])
    return channels


class NB101Cell(nn.Module):
    """A NAS-Bench-101 cell (see the module docstring for its exact semantics).

    Args:
        arch: A cell of :class:`~agnet_bo.spaces.NB101Space` (dead nodes are pruned here).
        in_channels: ``c_in``.
        out_channels: ``c_out``; at least the number of hidden nodes feeding the output.

    Shapes:
        ``b x c_in x H x W`` -> ``b x c_out x H x W``.

    Raises:
        InvalidArchitectureError: If ``arch`` is not in the NAS-Bench-101 space.
        InputError: If a channel count is not a positive int or too small for the cell.
    """

    def __init__(self, arch: Architecture, in_channels: int, out_channels: int) -> None:
        super().__init__()
        space = _space()
        space.validate(arch)
        in_channels = check_positive_int(in_channels, "in_channels")
        out_channels = check_positive_int(out_channels, "out_channels")
        pruned = space.prune(arch)
        adj = pruned.adjacency.astype(bool)
        n = pruned.num_nodes
        self.arch = pruned
        self.in_channels, self.out_channels = in_channels, out_channels
        self.vertex_channels = nb101_vertex_channels(in_channels, out_channels, adj)
        ch = self.vertex_channels
        self.ops = nn.ModuleList(NB101_OP_FACTORIES[pruned.ops[t]](ch[t]) for t in range(1, n - 1))
        self.projections = nn.ModuleDict(
            {str(t): _conv_bn_relu(in_channels, ch[t], 1) for t in range(1, n) if adj[0, t]}
        )
        self._preds = [tuple(s for s in range(1, t) if adj[s, t]) for t in range(1, n - 1)]
        self._concat = tuple(t for t in range(1, n - 1) if adj[t, n - 1])
        self._n = n

    def forward(self, x: Tensor) -> Tensor:
        """Run the cell.

        Args:
            x: A ``b x c_in x H x W`` tensor.

        Returns:
            A ``b x c_out x H x W`` tensor.
        """
        ch = self.vertex_channels
        states = [x]
        for t in range(1, self._n - 1):
            inputs = [states[s][:, : ch[t]] for s in self._preds[t - 1]]
            if str(t) in self.projections:
                inputs.append(self.projections[str(t)](x))
            states.append(self.ops[t - 1](sum_tensors(inputs)))
        out_key = str(self._n - 1)
        if not self._concat:
            projected: Tensor = self.projections[out_key](x)
            return projected
        out = torch.cat([states[t] for t in self._concat], dim=1) if len(self._concat) > 1 else states[self._concat[0]]
        if out_key in self.projections:
            out = out + self.projections[out_key](x)
        return out

    def extra_repr(self) -> str:
        return f"ops={list(self.arch.ops)}, vertex_channels={self.vertex_channels}"


class NB101Network(nn.Module):
    """The NAS-Bench-101 network of one cell.

    ``stem -> num_stacks x (cells_per_stack cells) -> global average pool -> Linear``, with a
    ``2 x 2`` max pooling (stride 2) and doubled channels before every stack but the first.

    Args:
        arch: A cell of :class:`~agnet_bo.spaces.NB101Space`.
        stem_channels: Channels of the stem and the first stack (the benchmark: 128); at least 5.
        num_stacks: Number of stacks (the benchmark: 3).
        cells_per_stack: Cells per stack (the benchmark: 3).
        num_classes: Number of classes.
        in_channels: Channels of the input images.

    Shapes:
        ``b x in_channels x H x W`` -> ``b x num_classes`` logits.

    Raises:
        InvalidArchitectureError: If ``arch`` is not in the NAS-Bench-101 space.
        InputError: If a size is not a positive int or ``stem_channels`` is too small for the cell.

    Example:
        >>> import torch
        >>> from agnet_bo.spaces import NB101Space
        >>> arch = NB101Space().sample(1, seed=0)[0]
        >>> net = NB101Network(arch, stem_channels=8, num_stacks=2, cells_per_stack=1)
        >>> net(torch.randn(2, 3, 8, 8)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self,
        arch: Architecture,
        *,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
        num_classes: int = 10,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        _space().validate(arch)
        c = check_positive_int(stem_channels, "stem_channels")
        num_stacks = check_positive_int(num_stacks, "num_stacks")
        cells_per_stack = check_positive_int(cells_per_stack, "cells_per_stack")
        num_classes = check_positive_int(num_classes, "num_classes")
        in_channels = check_positive_int(in_channels, "in_channels")
        self.arch = arch
        self.stem = _conv_bn_relu(in_channels, c, 3)
        layers: list[nn.Module] = []
        prev = c
        for stack in range(num_stacks):
            if stack > 0:
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                c *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(arch, prev, c))
                prev = c
        self.cells = nn.Sequential(*layers)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Class logits.

        Args:
            x: A ``b x in_channels x H x W`` batch of images.

        Returns:
            A ``b x num_classes`` tensor of logits.
        """
        out = self.global_pooling(self.cells(self.stem(x)))
        logits: Tensor = self.classifier(out.flatten(1))
        return logits
