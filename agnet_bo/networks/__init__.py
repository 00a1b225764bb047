r"""Runnable ``torch.nn.Module`` networks for the architectures of the search spaces.

* :func:`build_network` ``(space, arch, **options)``: the one entry point; it asks the space for its
  network (:meth:`~agnet_bo.spaces.SearchSpace.build_network`, which a space of your own may override).
* :class:`NB201Network`, :class:`NB101Network`, :class:`DARTSNetwork`: the published networks of
  the NAS-Bench-201, NAS-Bench-101 and DARTS spaces; with their default sizes the parameter counts
  equal the benchmarks' (and DARTS's published 3.35 M for its own cell).
* :class:`DAGCell`, :class:`DAGNetwork`: any node-labelled DAG (a user's
  :class:`~agnet_bo.spaces.DAGSpace`), each node applying its operation, made by a user-supplied
  factory, to the sum of its inputs.
* :data:`NB201_OP_FACTORIES`, :data:`NB101_OP_FACTORIES`, :data:`DARTS_OP_FACTORIES`: ready-made
  per-operation factories for :class:`DAGCell`.

Shapes: ``b`` is the batch size, ``C`` a channel count, ``H x W`` the image size.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from agnet_bo.spaces import DAGSpace
    >>> space = DAGSpace(ops=["conv3x3", "maxpool"], num_nodes=(2, 5))
    >>> ops = {"conv3x3": lambda c: nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU()),
    ...        "maxpool": lambda c: nn.MaxPool2d(3, stride=1, padding=1)}
    >>> net = build_network(space, space.sample(1, seed=0)[0], ops=ops, channels=8, num_classes=2)
    >>> net(torch.randn(4, 3, 8, 8)).shape
    torch.Size([4, 2])
"""

from agnet_bo.networks._layers import ReLUConvBN, Zero, count_parameters
from agnet_bo.networks.builder import build_network
from agnet_bo.networks.dag import DAGCell, DAGNetwork, OpFactories, OpFactory, check_factories
from agnet_bo.networks.darts import (
    DARTS_OP_FACTORIES,
    DARTS_OP_NAMES,
    DARTSCell,
    DARTSNetwork,
    DilConv,
    FactorizedReduce,
    SepConv,
    darts_op,
)
from agnet_bo.networks.nb101 import NB101_OP_FACTORIES, NB101Cell, NB101Network, nb101_vertex_channels
from agnet_bo.networks.nb201 import NB201_OP_FACTORIES, NB201Cell, NB201Network, ResNetReductionBlock

__all__ = [
    "DARTS_OP_FACTORIES",
    "DARTS_OP_NAMES",
    "NB101_OP_FACTORIES",
    "NB201_OP_FACTORIES",
    "DAGCell",
    "DAGNetwork",
    "DARTSCell",
    "DARTSNetwork",
    "DilConv",
    "FactorizedReduce",
    "NB101Cell",
    "NB101Network",
    "NB201Cell",
    "NB201Network",
    "OpFactories",
    "OpFactory",
    "ReLUConvBN",
    "ResNetReductionBlock",
    "SepConv",
    "Zero",
    "build_network",
    "check_factories",
    "count_parameters",
    "darts_op",
    "nb101_vertex_channels",
]
