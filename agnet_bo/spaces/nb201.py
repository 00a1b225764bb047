"""The NAS-Bench-201 cell space (15,625 cells)."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.spaces.base import SeedLike, _make_network, _networks, make_rng
from agnet_bo.spaces.dag import DAGSpace

if TYPE_CHECKING:
    from torch import nn

__all__ = ["NB201Space", "NB201_OPS", "NB201_EDGES"]

NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
"""The five edge operations, in NAS-Bench-201's own order."""

NB201_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
"""The six cell edges ``(from, to)`` between the 4 feature nodes, in arch-string order."""

# Node-labelled form: node 0 input, node 1 + i the operation of NB201_EDGES[i], node 7 output.
# An op node on edge (a -> b) feeds every op node on an edge leaving b; ops into feature node 3
# feed the output.
_N = 8


def _adjacency() -> np.ndarray:
    adj = np.zeros((_N, _N), dtype=np.uint8)
    for i, (a, b) in enumerate(NB201_EDGES):
        if a == 0:
            adj[0, 1 + i] = 1
        if b == 3:
            adj[1 + i, _N - 1] = 1
        for j, (c, _) in enumerate(NB201_EDGES):
            if c == b:
                adj[1 + i, 1 + j] = 1
    return adj


_ADJ = _adjacency()


@lru_cache(maxsize=1)
def _index_table() -> tuple[np.ndarray, dict[bytes, int]]:
    data = resources.files("agnet_bo.spaces").joinpath("data/nb201_index.txt.gz").read_bytes()
    lines = gzip.decompress(data).split()
    codes = np.frombuffer(b"".join(lines), dtype=np.uint8).reshape(-1, 6) - ord("0")
    codes.setflags(write=False)
    return codes, {row.tobytes(): i for i, row in enumerate(codes)}


def index_codes() -> np.ndarray:
    """The read-only ``15625 x 6`` table of operation codes (indices into ``NB201_OPS``) behind
    :meth:`NB201Space.from_index`: row ``i`` is cell ``i`` of NAS-Bench-201's order."""
    return _index_table()[0]


class NB201Space(DAGSpace):
    r"""The NAS-Bench-201 (NATS-Bench topology) cell space.

    A cell has 4 feature nodes and 6 edges, each carrying one of 5 operations. As a node-labelled
    DAG (docs/design.md) every edge operation becomes a node, so all cells share one 8-node
    adjacency and only the 6 labels vary::

        input -> op(0→1), op(0→2), op(0→3)
        op(0→1) -> op(1→2), op(1→3)
        op(0→2), op(1→2) -> op(2→3)
        op(0→3), op(1→3), op(2→3) -> output

    Cells are numbered in the official benchmark order (:meth:`index`, :meth:`from_index`), and
    convert to and from the official arch string (:meth:`to_string`, :meth:`from_string`).
    Every cell is a distinct network here, as in the benchmark (cells that compute the same
    function through ``none`` edges are still different entries), so :meth:`key` is the arch
    string. :meth:`encode` gives the ``6 x 5`` one-hot operations (``d = 30``).

    Example:
        >>> space = NB201Space()
        >>> arch = space.from_index(6111)
        >>> space.to_string(arch)
        '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'
        >>> space.index(space.from_string(space.to_string(arch)))
        6111
    """

    def to_config(self) -> dict[str, Any]:
        """No arguments: ``{}``."""
        return {}

    @classmethod
    def from_config(cls, config: Any) -> NB201Space:
        """A new NB201Space (it takes no arguments)."""
        return cls()

    def __init__(self) -> None:
        super().__init__(ops=NB201_OPS, num_nodes=_N, fixed_adjacency=_ADJ, name="NB201Space")

    @property
    def size(self) -> int:
        return 15625

    # -- conversions --------------------------------------------------------------------------
    def from_string(self, arch_str: str) -> Architecture:
        """Parse an official arch string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

        Raises:
            InvalidArchitectureError: If the string is malformed or names an unknown operation.
        """
        if not isinstance(arch_str, str):
            raise InvalidArchitectureError(f"Expected an NB201 arch string, got {type(arch_str).__name__} {arch_str!r}.")
        example = "'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'"
        nodes = arch_str.strip().split("+")
        if len(nodes) != 3:
            raise InvalidArchitectureError(
                f"An NB201 arch string has 3 '+'-separated node groups, got {len(nodes)} in {arch_str!r}. "
                f"Example: {example}."
            )
        ops: list[str] = []
        for target, group in enumerate(nodes, start=1):
            if not (group.startswith("|") and group.endswith("|")):
                raise InvalidArchitectureError(
                    f"Node group {group!r} of {arch_str!r} must start and end with '|'. Example: {example}."
                )
            edges = group[1:-1].split("|")
            if len(edges) != target:
                raise InvalidArchitectureError(
                    f"Node {target} must list {target} incoming edge(s), got {len(edges)} in {group!r}."
                )
            for source, edge in enumerate(edges):
                op, sep, src = edge.partition("~")
                if sep != "~" or src != str(source):
                    raise InvalidArchitectureError(
                        f"Edge {edge!r} in {arch_str!r} must read 'op~{source}'. Example: {example}."
                    )
                if op not in NB201_OPS:
                    raise InvalidArchitectureError(
                        f"Unknown NB201 operation {op!r} in {arch_str!r}; expected one of {list(NB201_OPS)}."
                    )
                ops.append(op)
        return Architecture((INPUT, *ops, OUTPUT), _ADJ)

    def to_string(self, arch: Architecture) -> str:
        """The official arch string of a cell."""
        self.validate(arch)
        ops = arch.ops[1:-1]
        groups, k = [], 0
        for target in (1, 2, 3):
            groups.append("|" + "|".join(f"{ops[k + s]}~{s}" for s in range(target)) + "|")
            k += target
        return "+".join(groups)

    def _codes(self, arch: Architecture) -> np.ndarray:
        return np.array([self._op_index[op] for op in arch.ops[1:-1]], dtype=np.uint8)

    def index(self, arch: Architecture) -> int:
        """The official NAS-Bench-201 index (0..15624) of a cell."""
        self.validate(arch)
        return _index_table()[1][self._codes(arch).tobytes()]

    def from_index(self, index: int) -> Architecture:
        """The cell with an official NAS-Bench-201 index.

        Raises:
            InputError: If ``index`` is not in ``0..15624``.
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= int(index) < 15625:
            raise InputError(f"An NB201 index is an int in 0..15624, got {index!r}.")
        row = _index_table()[0][int(index)]
        return Architecture((INPUT, *(NB201_OPS[c] for c in row), OUTPUT), _ADJ)

    def members(self) -> list[Architecture]:
        """All 15,625 cells in index order (as :meth:`all`)."""
        return self.all()

    def all(self) -> list[Architecture]:
        """All 15,625 cells in index order."""
        codes = _index_table()[0]
        return [Architecture((INPUT, *(NB201_OPS[c] for c in row), OUTPUT), _ADJ) for row in codes]

    # -- overrides ----------------------------------------------------------------------------
    def sample(self, n: int, seed: SeedLike = None) -> list[Architecture]:
        """``n`` distinct cells drawn uniformly without replacement."""
        n = self._check_count(n, self.size)
        idx = make_rng(seed).choice(self.size, size=n, replace=False)
        return [self.from_index(int(i)) for i in idx]

    def key(self, arch: Architecture) -> str:
        return self.to_string(arch)

    # -- networks and generator ---------------------------------------------------------------
    def build_network(self, arch: Architecture, **options: Any) -> nn.Module:
        """An :class:`~agnet_bo.networks.NB201Network`: ``channels=16``, ``cells_per_stage=5``,
        ``num_classes=10``, ``in_channels=3`` (the benchmark's network by default)."""
        return _make_network(_networks().NB201Network, self, arch, options)

    def default_network_options(self) -> dict[str, Any]:
        """8 channels, 1 cell per stage."""
        return {"channels": 8, "cells_per_stage": 1}

    def check_network_options(self, options: Mapping[str, Any]) -> None:
        """Every option has a default: nothing is required."""

    @property
    def pretrained_generator_name(self) -> str:
        return "nb201"

    def __repr__(self) -> str:
        return "NB201Space()"
