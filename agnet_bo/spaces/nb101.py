"""The NAS-Bench-101 cell space."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InvalidArchitectureError
from agnet_bo.spaces.base import _make_network, _networks
from agnet_bo.spaces.dag import DAGSpace

if TYPE_CHECKING:
    from torch import nn

__all__ = ["NB101Space", "NB101_OPS"]

NB101_OPS: tuple[str, ...] = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
"""The three hidden-node operations of NAS-Bench-101."""


class NB101Space(DAGSpace):
    r"""The NAS-Bench-101 cell space: at most 7 nodes, 3 operations, at most 9 edges.

    A raw cell (NAS-Bench-101's ``ModelSpec``: a 7 x 7 matrix and 7 operations) may contain nodes
    that are not on an input-output path; they are pruned, as NAS-Bench-101 does, before the
    limits are checked and before :meth:`key` is computed, and :meth:`sample` returns pruned cells.
    Keys are exact canonical forms: isomorphic cells get the same key, which is what made
    NAS-Bench-101 count 423,624 unique cells.

    Example:
        >>> space = NB101Space()
        >>> a = space.from_spec([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"])
        >>> space.to_spec(a)
        ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ['input', 'conv3x3-bn-relu', 'output'])
    """

    def to_config(self) -> dict[str, Any]:
        """No arguments: ``{}``."""
        return {}

    @classmethod
    def from_config(cls, config: Any) -> NB101Space:
        """A new NB101Space (it takes no arguments)."""
        return cls()

    def __init__(self) -> None:
        super().__init__(ops=NB101_OPS, num_nodes=(2, 7), max_edges=9, name="NB101Space")

    @property
    def size(self) -> int:
        """423,624 unique cells, as counted by NAS-Bench-101."""
        return 423_624

    def from_spec(self, matrix: Any, ops: Sequence[str]) -> Architecture:
        """An architecture from a NAS-Bench-101 ``(matrix, ops)`` spec, kept as given (not pruned).

        Raises:
            InvalidArchitectureError: If the spec is malformed or not in the space.
        """
        arch = Architecture(ops, np.asarray(matrix))
        self.validate(arch)
        return arch

    def to_spec(self, arch: Architecture) -> tuple[list[list[int]], list[str]]:
        """The NAS-Bench-101 ``(matrix, ops)`` spec of an architecture."""
        if not isinstance(arch, Architecture):
            raise InvalidArchitectureError(f"Expected an Architecture, got {type(arch).__name__}.")
        return arch.adjacency.astype(int).tolist(), list(arch.ops)

    # -- networks and generator ---------------------------------------------------------------
    def build_network(self, arch: Architecture, **options: Any) -> nn.Module:
        """An :class:`~agnet_bo.networks.NB101Network`: ``stem_channels=128``, ``num_stacks=3``,
        ``cells_per_stack=3``, ``num_classes=10``, ``in_channels=3`` (the benchmark's network by
        default)."""
        return _make_network(_networks().NB101Network, self, arch, options)

    def default_network_options(self) -> dict[str, Any]:
        """16 stem channels, 3 stacks of 1 cell."""
        return {"stem_channels": 16, "num_stacks": 3, "cells_per_stack": 1}

    def check_network_options(self, options: Mapping[str, Any]) -> None:
        """Every option has a default: nothing is required."""

    @property
    def pretrained_generator_name(self) -> str:
        return "nb101"

    @property
    def paper_generator_epochs(self) -> int:
        """15: the published protocol retrains the generator for 15 epochs per round on NAS-Bench-101."""
        return 15

    def __repr__(self) -> str:
        return "NB101Space()"
