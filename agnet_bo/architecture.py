"""The node-labelled DAG that every search space works with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from agnet_bo.exceptions import InvalidArchitectureError

__all__ = ["Architecture", "INPUT", "OUTPUT"]

INPUT = "input"
"""Operation label of the first node of every architecture."""

OUTPUT = "output"
"""Operation label of the last node of every architecture."""


class Architecture:
    r"""An immutable, hashable node-labelled DAG in topological order.

    Node ``0`` is the input (operation ``"input"``), node ``n - 1`` the output (``"output"``);
    every other node carries one operation label. Edges only go from a lower to a higher index, so
    the adjacency matrix is strictly upper-triangular and the graph is acyclic by construction.

    Two architectures are equal when their operations and adjacency matrices are equal, node by
    node. Whether two *different* matrices describe the same network (isomorphism, dead nodes) is
    the search space's business: compare :meth:`agnet_bo.spaces.SearchSpace.key`.

    Args:
        ops: The ``n`` operation labels, ``ops[0] == "input"`` and ``ops[-1] == "output"``; the
            labels ``"input"`` and ``"output"`` appear nowhere else.
        adjacency: An ``n x n`` array-like of 0/1 (or bools); ``adjacency[u, v] == 1`` is an edge
            ``u -> v``. Must be strictly upper-triangular.

    Raises:
        InvalidArchitectureError: If the shape, values, triangularity or labels are wrong.

    Example:
        >>> arch = Architecture(["input", "conv3x3", "output"], [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
        >>> arch.num_nodes, arch.num_edges
        (3, 3)
        >>> arch.edges
        ((0, 1), (0, 2), (1, 2))
    """

    __slots__ = ("_adjacency", "_hash", "_ops")

    _ops: tuple[str, ...]
    _adjacency: np.ndarray
    _hash: int

    @staticmethod
    def _checked_ops(ops: Sequence[str]) -> tuple[str, ...]:
        """``ops`` as a tuple, checked (strings, input first, output last, nowhere else)."""
        if isinstance(ops, str) or not isinstance(ops, Iterable):
            raise InvalidArchitectureError(
                f"`ops` must be a sequence of operation names, got {type(ops).__name__} {ops!r}. "
                'Pass e.g. ["input", "conv3x3", "output"].'
            )
        ops_t = tuple(ops)
        for i, op in enumerate(ops_t):
            if not isinstance(op, str):
                raise InvalidArchitectureError(
                    f"Every operation must be a string, but ops[{i}] is {type(op).__name__} {op!r}."
                )
        n = len(ops_t)
        if n < 2:
            raise InvalidArchitectureError(
                f"An architecture needs at least an input and an output node, got {n} op(s): {ops_t!r}."
            )
        if ops_t[0] != INPUT or ops_t[-1] != OUTPUT:
            raise InvalidArchitectureError(
                f'The first operation must be "{INPUT}" and the last "{OUTPUT}", got '
                f"first={ops_t[0]!r}, last={ops_t[-1]!r} in {ops_t!r}."
            )
        misplaced = [i for i, op in enumerate(ops_t[1:-1], start=1) if op in (INPUT, OUTPUT)]
        if misplaced:
            raise InvalidArchitectureError(
                f'"{INPUT}" and "{OUTPUT}" may only label the first and last node, but they also label '
                f"node(s) {misplaced} in {ops_t!r}."
            )
        return ops_t

    def __init__(self, ops: Sequence[str], adjacency: Any) -> None:
        ops_t = self._checked_ops(ops)
        n = len(ops_t)
        try:
            adj = np.asarray(adjacency)
        except Exception as exc:  # ragged lists and the like
            raise InvalidArchitectureError(
                f"`adjacency` must be an {n} x {n} array of 0/1, could not read it as an array: {exc}"
            ) from exc
        if adj.ndim != 2 or adj.shape[0] != adj.shape[1]:
            raise InvalidArchitectureError(
                f"`adjacency` must be a square matrix, got shape {adj.shape}."
            )
        if adj.shape[0] != n:
            raise InvalidArchitectureError(
                f"`adjacency` must be {n} x {n} (one row per operation), got {adj.shape[0]} x "
                f"{adj.shape[1]} for {n} operations."
            )
        if adj.dtype == bool:
            adj_u8 = adj.astype(np.uint8)
        else:
            if not np.issubdtype(adj.dtype, np.number):
                raise InvalidArchitectureError(
                    f"`adjacency` must hold 0/1 numbers, got dtype {adj.dtype}."
                )
            if not np.all((adj == 0) | (adj == 1)):
                bad = sorted({float(v) for v in np.unique(adj)} - {0.0, 1.0})
                raise InvalidArchitectureError(
                    f"`adjacency` entries must be 0 or 1, got other values {bad[:5]}."
                )
            adj_u8 = adj.astype(np.uint8)
        lower = np.argwhere(np.tril(adj_u8) != 0)
        if len(lower):
            u, v = (int(x) for x in lower[0])
            raise InvalidArchitectureError(
                f"`adjacency` must be strictly upper-triangular (edges go from a lower to a higher "
                f"node index, nodes in topological order), but it has an edge {u} -> {v}"
                + (" (a self-loop)." if u == v else ".")
                + " Reorder the nodes topologically; a cyclic graph is not a valid architecture."
            )
        self._set(ops_t, np.ascontiguousarray(adj_u8))

    def _set(self, ops_t: tuple[str, ...], adj_u8: np.ndarray) -> None:
        adj_u8.setflags(write=False)
        object.__setattr__(self, "_ops", ops_t)
        object.__setattr__(self, "_adjacency", adj_u8)
        object.__setattr__(self, "_hash", hash((ops_t, adj_u8.tobytes())))

    # -- immutability -------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Architecture is immutable; cannot set {name!r}.")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Architecture is immutable; cannot delete {name!r}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Architecture, (self._ops, self._adjacency.copy()))

    # -- accessors ----------------------------------------------------------------------------
    @property
    def ops(self) -> tuple[str, ...]:
        """The ``n`` operation labels, input first and output last."""
        return self._ops

    @property
    def adjacency(self) -> np.ndarray:
        """The read-only ``n x n`` ``uint8`` adjacency matrix (strictly upper-triangular)."""
        return self._adjacency

    @property
    def num_nodes(self) -> int:
        """Number of nodes ``n``, input and output included."""
        return len(self._ops)

    @property
    def num_edges(self) -> int:
        """Number of edges."""
        return int(self._adjacency.sum())

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """The edges ``(u, v)`` with ``u < v``, in row-major order."""
        us, vs = np.nonzero(self._adjacency)
        return tuple(zip(us.tolist(), vs.tolist(), strict=True))

    # -- conversions --------------------------------------------------------------------------
    @classmethod
    def from_edges(cls, ops: Sequence[str], edges: Iterable[tuple[int, int]]) -> Architecture:
        """Build an architecture from its operations and a list of ``(u, v)`` edges.

        Raises:
            InvalidArchitectureError: If an edge refers to a missing node or goes backwards.
        """
        ops_t = tuple(ops)
        n = len(ops_t)
        adj = np.zeros((n, n), dtype=np.uint8)
        pairs = edges if isinstance(edges, (list, tuple)) else list(edges)
        try:  # the common case at once: a list of int pairs inside the graph
            idx = np.asarray(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
            fast = idx.dtype.kind == "i" and idx.ndim == 2 and idx.shape[1] == 2 and bool(((idx >= 0) & (idx < n)).all())
        except (TypeError, ValueError, OverflowError):
            fast = False
        if fast and bool((idx[:, 0] < idx[:, 1]).all()):  # forward edges: upper-triangular 0/1 by construction
            adj[idx[:, 0], idx[:, 1]] = 1
            out = cls.__new__(cls)
            out._set(cls._checked_ops(ops_t), adj)
            return out
        for e in pairs:
            try:
                u, v = (int(x) for x in e)
            except (TypeError, ValueError) as exc:
                raise InvalidArchitectureError(f"An edge must be a pair (u, v) of node indices, got {e!r}.") from exc
            if not (0 <= u < n and 0 <= v < n):
                raise InvalidArchitectureError(
                    f"Edge {(u, v)} refers to a node outside 0..{n - 1} ({n} operations)."
                )
            adj[u, v] = 1
        return cls(ops_t, adj)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict ``{"ops": [...], "edges": [[u, v], ...]}``."""
        us, vs = np.nonzero(self._adjacency)
        return {"ops": list(self._ops), "edges": [[u, v] for u, v in zip(us.tolist(), vs.tolist(), strict=True)]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Architecture:
        """Inverse of :meth:`to_dict`.

        Raises:
            InvalidArchitectureError: If keys are missing or the content is malformed.
        """
        if not isinstance(data, dict) or "ops" not in data or "edges" not in data:
            raise InvalidArchitectureError(
                f'Expected a dict with keys "ops" and "edges" (as written by Architecture.to_dict), got {data!r}.'
            )
        return cls.from_edges(data["ops"], data["edges"])

    # -- dunder -------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Architecture):
            return NotImplemented
        return self._hash == other._hash and self._ops == other._ops and np.array_equal(
            self._adjacency, other._adjacency
        )

    def __hash__(self) -> int:
        return self._hash

    def __len__(self) -> int:
        return len(self._ops)

    def __repr__(self) -> str:
        return f"Architecture(ops={list(self._ops)!r}, edges={[list(e) for e in self.edges]!r})"
