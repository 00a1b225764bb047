"""Architectures of one space as the generator's training tensors.

:class:`GraphEncoder` turns an :class:`~agnet_bo.architecture.Architecture` into a padded record
(node types, adjacency, which sources each node may draw an edge from and how its edges are
scored) and stacks records into a batch. It also answers, with memoisation, the structural
questions the sampler asks the space (allowed sources, in-degree bounds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from agnet_bo.architecture import OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.spaces.base import SearchSpace

__all__ = ["GraphEncoder", "Record", "Batch", "EDGES_NONE", "EDGES_CATEGORICAL", "EDGES_BERNOULLI"]

# How the edges into a node are scored (Record.kind):
EDGES_NONE = 0  # forced (no more allowed sources than the in-degree's lower bound): not scored
EDGES_CATEGORICAL = 1  # exactly one of the allowed sources: a softmax over them
EDGES_BERNOULLI = 2  # any number: an independent Bernoulli per allowed source

Batch = dict[str, Tensor]
"""Stacked records: ``types`` (``B x N`` long), ``length`` (``B``), ``adj`` (``B x N x N``
float32), ``allowed`` (``B x N x N`` bool) and ``kind`` (``B x N`` long)."""


@dataclass
class Record:
    """One architecture, padded to the space's ``N = max_nodes`` nodes."""

    types: np.ndarray  # N int, 0 where absent
    length: int
    adj: np.ndarray  # N x N float
    allowed: np.ndarray  # N x N bool: allowed[u, t]
    kind: np.ndarray  # N int: loss kind of node t's edges (EDGES_*)


class GraphEncoder:
    """The generator's view of a space: node types, masks and the encoding of architectures.

    Args:
        space: The search space.

    Attributes:
        space: The search space.
        types: The node types (index ``i`` is type ``i``).
        type_index: Index of each node type.
        max_nodes: ``N``.
        num_types: ``A``.
        output_index: Index of the output node type (a graph ends with it).
        type_mask: ``N x A`` bool tensor, the types allowed at each position.
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.types = tuple(space.node_types)
        self.type_index = {t: i for i, t in enumerate(self.types)}
        self.max_nodes = int(space.max_nodes)
        self.num_types = len(self.types)
        self.output_index = self.type_index[OUTPUT]
        self.type_mask = torch.as_tensor(np.asarray(space.node_type_mask(), dtype=bool))
        self._static_edges = np.asarray(space.edge_mask(), dtype=bool)
        # a space that does not override allowed_sources allows the static edge mask
        self._dynamic_sources = type(space).allowed_sources is not SearchSpace.allowed_sources
        self._bounds: dict[tuple[int, str], tuple[int, int]] = {}
        self._records: dict[Architecture, Record] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> GraphEncoder:
        """The encoder itself: it is a function of the space plus memo caches, never changed
        otherwise, so copies of a generator (each model round trains one) share it and its
        records instead of copying thousands of them. Each cached entry is computed from an
        immutable architecture, and dict reads and writes are atomic, so sharing is thread safe
        (two threads may compute one entry twice, with the same result)."""
        memo[id(self)] = self
        return self

    def bounds(self, t: int, op: str) -> tuple[int, int]:
        """``space.in_degree_bounds(t, op)``, memoised."""
        key = (t, op)
        b = self._bounds.get(key)
        if b is None:
            b = self.space.in_degree_bounds(t, op)
            self._bounds[key] = b
        return b

    def allowed(self, t: int, op: str, ops: Sequence[str], adj: np.ndarray) -> np.ndarray:
        """Bool ``t``: the nodes ``u < t`` that may have an edge to node ``t`` of type ``op``."""
        if self._dynamic_sources:
            return np.asarray(self.space.allowed_sources(t, op, ops, adj), dtype=bool)
        return self._static_edges[:t, t]

    def prepare(self, archs: Sequence[Architecture], what: str) -> list[Architecture]:
        """Validated, simplified members of the space (``what`` names the argument in errors)."""
        out = []
        for i, a in enumerate(archs):
            if not isinstance(a, Architecture):
                raise InputError(f"{what}[{i}] must be an Architecture, got {type(a).__name__}.")
            try:
                self.space.validate(a)
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(f"{what}[{i}] is not in {self.space!r}: {exc}") from None
            a = self.space.simplify(a)
            if a.num_nodes > self.max_nodes:
                raise InvalidArchitectureError(f"{what}[{i}] has {a.num_nodes} nodes; the space allows {self.max_nodes}.")
            out.append(a)
        return out

    def record(self, arch: Architecture) -> Record:
        """The padded record of a prepared architecture, memoised."""
        rec = self._records.get(arch)
        if rec is not None:
            return rec
        n, length = self.max_nodes, arch.num_nodes
        types = np.zeros(n, dtype=np.int64)
        types[:length] = [self.type_index[op] for op in arch.ops]
        adj = np.zeros((n, n))
        adj[:length, :length] = arch.adjacency
        allowed = np.zeros((n, n), dtype=bool)
        kind = np.zeros(n, dtype=np.int64)
        for t in range(1, length):
            op = arch.ops[t]
            a = self.allowed(t, op, arch.ops[: t + 1], arch.adjacency[:t, :t])
            allowed[:t, t] = a
            lo, hi = self.bounds(t, op)
            n_allowed = int(a.sum())
            kind[t] = EDGES_NONE if n_allowed <= lo else (EDGES_CATEGORICAL if lo == hi == 1 else EDGES_BERNOULLI)
        rec = Record(types, length, adj, allowed, kind)
        self._records[arch] = rec
        return rec

    @staticmethod
    def batch(recs: Sequence[Record]) -> Batch:
        """Records stacked into tensors."""
        return {
            "types": torch.as_tensor(np.stack([r.types for r in recs])),
            "length": torch.as_tensor([r.length for r in recs]),
            "adj": torch.as_tensor(np.stack([r.adj for r in recs]), dtype=torch.float32),
            "allowed": torch.as_tensor(np.stack([r.allowed for r in recs])),
            "kind": torch.as_tensor(np.stack([r.kind for r in recs])),
        }

    def encode(self, archs: Sequence[Architecture]) -> Batch:
        """The batch of prepared architectures."""
        return self.batch([self.record(a) for a in archs])
