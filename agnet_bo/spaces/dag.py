"""User-defined cell and layer-wise spaces of node-labelled DAGs."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agnet_bo import _graph
from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, SamplingError
from agnet_bo.spaces.base import SearchSpace, SeedLike, make_rng, serialize

__all__ = ["DAGSpace"]


class DAGSpace(SearchSpace):
    r"""A space of node-labelled DAGs defined by an operation vocabulary and a few limits.

    Covers cell spaces (free edges, NAS-Bench-101 style) and layer-wise macro spaces (a fixed
    chain, one operation per layer). A node that is not on a path from the input to the output
    does not change the network, so such nodes are pruned before checking the limits and before
    computing :meth:`key` (the NAS-Bench-101 convention).

    Args:
        ops: The operation names a hidden node may take (not ``"input"`` / ``"output"``).
        num_nodes: Number of nodes *including* input and output: an int, or an inclusive
            ``(min, max)`` range (ranges only with free edges).
        max_edges: Largest number of edges after pruning, or ``None``.
        fixed_adjacency: An ``N x N`` strictly upper-triangular 0/1 matrix shared by every
            architecture (only the operations vary); every node must lie on an input-output path.
        constraint: ``callable(arch) -> bool`` called on the pruned architecture; ``False``
            excludes it. It cannot be used to prune generation early, only to reject.
        name: A name used in messages.

    Raises:
        InputError: If the arguments are inconsistent.

    Example:
        >>> space = DAGSpace(ops=["conv3x3", "conv1x1", "maxpool"], num_nodes=(2, 6), max_edges=8)
        >>> archs = space.sample(4, seed=0)
        >>> all(space.is_valid(a) for a in archs)
        True
        >>> chain = DAGSpace.chain(ops=["mbconv3", "mbconv6", "skip"], num_layers=5)
        >>> chain.encode(chain.sample(2, seed=0)).shape
        torch.Size([2, 15])
    """

    def __init__(
        self,
        ops: Sequence[str],
        num_nodes: int | tuple[int, int],
        max_edges: int | None = None,
        fixed_adjacency: Any = None,
        constraint: Callable[[Architecture], bool] | None = None,
        name: str = "DAGSpace",
    ) -> None:
        if isinstance(ops, str) or not isinstance(ops, Sequence) or len(ops) == 0:
            raise InputError(f"`ops` must be a non-empty sequence of operation names, got {ops!r}.")
        ops_t = tuple(ops)
        if any(not isinstance(o, str) for o in ops_t):
            raise InputError(f"Every operation name must be a string, got {ops_t!r}.")
        if len(set(ops_t)) != len(ops_t):
            dup = sorted({o for o in ops_t if ops_t.count(o) > 1})
            raise InputError(f"Operation names must be unique, got duplicates {dup}.")
        if INPUT in ops_t or OUTPUT in ops_t:
            raise InputError(
                f'"{INPUT}" and "{OUTPUT}" are reserved for the first and last node; remove them from `ops` ({ops_t!r}).'
            )
        if isinstance(num_nodes, (int, np.integer)) and not isinstance(num_nodes, bool):
            lo = hi = int(num_nodes)
        elif isinstance(num_nodes, (tuple, list)) and len(num_nodes) == 2:
            lo, hi = (int(x) for x in num_nodes)
        else:
            raise InputError(f"`num_nodes` must be an int or a (min, max) pair, got {num_nodes!r}.")
        if lo < 2 or hi < lo:
            raise InputError(
                f"`num_nodes` counts input and output, so it needs 2 <= min <= max; got min={lo}, max={hi}."
            )
        if max_edges is not None and (isinstance(max_edges, bool) or int(max_edges) < 1):
            raise InputError(f"`max_edges` must be a positive int or None, got {max_edges!r}.")
        fixed = None
        if fixed_adjacency is not None:
            fixed = np.asarray(fixed_adjacency)
            if lo != hi:
                raise InputError(
                    f"A fixed adjacency needs a fixed number of nodes, got num_nodes={num_nodes!r}."
                )
            if fixed.shape != (hi, hi):
                raise InputError(
                    f"`fixed_adjacency` must be {hi} x {hi} to match num_nodes={hi}, got shape {fixed.shape}."
                )
            try:
                skeleton = Architecture((INPUT,) + (ops_t[0],) * (hi - 2) + (OUTPUT,), fixed)
            except InvalidArchitectureError as exc:
                raise InputError(f"`fixed_adjacency` is not a valid DAG: {exc}") from exc
            dead = np.flatnonzero(~_graph.live_mask(skeleton.adjacency))
            if len(dead):
                raise InputError(
                    f"Every node of `fixed_adjacency` must lie on a path from the input to the output; "
                    f"node(s) {dead.tolist()} do not."
                )
            if max_edges is not None and skeleton.num_edges > int(max_edges):
                raise InputError(
                    f"`fixed_adjacency` has {skeleton.num_edges} edges but max_edges={max_edges}."
                )
            fixed = skeleton.adjacency
        if constraint is not None and not callable(constraint):
            raise InputError(f"`constraint` must be callable(arch) -> bool, got {constraint!r}.")
        self._ops = ops_t
        self._min, self._max = lo, hi
        self._max_edges = None if max_edges is None else int(max_edges)
        self._fixed = fixed
        self._constraint = constraint
        self.name = name
        self._node_types = (INPUT, *ops_t, OUTPUT)
        self._op_index = {o: i for i, o in enumerate(ops_t)}
        self._autos: list[tuple[int, ...]] | None = None
        if fixed is not None:
            labels = [0] + [1] * (hi - 2) + [2]
            self._autos = _graph.automorphisms(fixed, labels)

    @classmethod
    def chain(cls, ops: Sequence[str], num_layers: int, **kwargs: Any) -> DAGSpace:
        """A layer-wise macro space: ``num_layers`` hidden nodes in a chain, one operation each.

        Example:
            >>> DAGSpace.chain(["conv3x3", "conv5x5", "skip"], num_layers=4).size
            81
        """
        if isinstance(num_layers, bool) or int(num_layers) < 1:
            raise InputError(f"`num_layers` must be a positive int, got {num_layers!r}.")
        n = int(num_layers) + 2
        adj = np.eye(n, k=1, dtype=np.uint8)
        kwargs.setdefault("name", "chain")
        return cls(ops, num_nodes=n, fixed_adjacency=adj, **kwargs)

    # -- structure ----------------------------------------------------------------------------
    @property
    def ops(self) -> tuple[str, ...]:
        """The operations a hidden node may take."""
        return self._ops

    @property
    def node_types(self) -> tuple[str, ...]:
        return self._node_types

    @property
    def max_nodes(self) -> int:
        return self._max

    @property
    def min_nodes(self) -> int:
        return self._min

    @property
    def fixed_adjacency(self) -> np.ndarray | None:
        return self._fixed

    @property
    def max_edges(self) -> int | None:
        return self._max_edges

    @property
    def constraint(self) -> Callable[[Architecture], bool] | None:
        """The user's constraint, if any."""
        return self._constraint

    @property
    def size(self) -> int | None:
        if self._fixed is not None and self._constraint is None and len(self._autos or [()]) == 1:
            return len(self._ops) ** (self._max - 2)
        return None

    # -- membership ---------------------------------------------------------------------------
    def prune(self, arch: Architecture) -> Architecture:
        """Remove the nodes that are not on a path from the input to the output.

        Raises:
            InvalidArchitectureError: If the output cannot be reached from the input.
        """
        self._check_arch(arch)
        live = _graph.live_mask(arch.adjacency)
        if not live[0]:
            raise InvalidArchitectureError(
                f"The output of {arch!r} cannot be reached from its input; add a path input -> output."
            )
        if live.all():
            return arch
        keep = np.flatnonzero(live)
        return Architecture([arch.ops[i] for i in keep], arch.adjacency[np.ix_(keep, keep)])

    def simplify(self, arch: Architecture) -> Architecture:
        """With free edges, the pruned architecture; with a fixed adjacency, ``arch`` itself."""
        return arch if self._fixed is not None else self.prune(arch)

    def validate(self, arch: Architecture) -> None:
        self._check_arch(arch)
        unknown = sorted({op for op in arch.ops[1:-1] if op not in self._op_index})
        if unknown:
            raise InvalidArchitectureError(
                f"Unknown operation(s) {unknown} for {self.name}; expected ops from {list(self._ops)}."
            )
        if self._fixed is not None:
            if arch.num_nodes != self._max or not np.array_equal(arch.adjacency, self._fixed):
                raise InvalidArchitectureError(
                    f"{self.name} has a fixed adjacency with {self._max} nodes; {arch!r} has a different one. "
                    "Only the operations may vary."
                )
            pruned = arch
        else:
            if arch.num_nodes > self._max:
                raise InvalidArchitectureError(
                    f"{self.name} allows at most {self._max} nodes, got {arch.num_nodes}."
                )
            pruned = self.prune(arch)
            if pruned.num_nodes < self._min:
                raise InvalidArchitectureError(
                    f"{self.name} needs at least {self._min} nodes on input-output paths, got {pruned.num_nodes}."
                )
            if self._max_edges is not None and pruned.num_edges > self._max_edges:
                raise InvalidArchitectureError(
                    f"{self.name} allows at most {self._max_edges} edges (after pruning), got {pruned.num_edges}."
                )
        if self._constraint is not None and not self._constraint(pruned):
            raise InvalidArchitectureError(f"{arch!r} violates the constraint of {self.name}.")

    # -- sampling -----------------------------------------------------------------------------
    def _size_weights(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Sampling weights of the node count ``m`` and, per ``m``, of the edge count ``k``.

        ``m`` is drawn in proportion to ``len(ops) ** (m - 2)`` times the number of edge sets with
        at most ``max_edges`` edges, and ``k`` in proportion to ``C(m (m - 1) / 2, k)``: together
        (with rejection of graphs that have dead nodes) this is uniform over labelled DAGs whose
        nodes all lie on input-output paths, so large cells are not under-represented as they are
        when a random 0/1 matrix is pruned.
        """
        cached = self.__dict__.get("_weights")
        if cached is not None:
            return cached
        sizes = range(self._min, self._max + 1)
        log_w, k_weights = [], []
        for m in sizes:
            pairs = m * (m - 1) // 2
            k_hi = pairs if self._max_edges is None else min(pairs, self._max_edges)
            ks = np.arange(m - 1, k_hi + 1) if m > 2 else np.array([1])
            logc = np.array([math.lgamma(pairs + 1) - math.lgamma(k + 1) - math.lgamma(pairs - k + 1) for k in ks])
            if len(ks) == 0 or (m > 2 and k_hi < m - 1):
                log_w.append(-np.inf)
                k_weights.append(np.zeros(0))
                continue
            top = logc.max()
            w = np.exp(logc - top)
            log_w.append((m - 2) * math.log(len(self._ops)) + top + math.log(w.sum()))
            k_weights.append(np.stack([ks, w / w.sum()]))
        lw = np.array(log_w)
        if not np.isfinite(lw).any():
            raise SamplingError(f"{self.name}: no node count in {self._min}..{self._max} admits max_edges={self._max_edges}.")
        pm = np.exp(lw - lw[np.isfinite(lw)].max())
        out = (pm / pm.sum(), k_weights)
        self.__dict__["_weights"] = out
        return out

    def _random_batch(self, rng: np.random.Generator, batch: int) -> list[Architecture]:
        n = self._max
        if self._fixed is not None:
            ops = rng.integers(len(self._ops), size=(batch, n - 2))
            names = [(INPUT, *(self._ops[i] for i in row), OUTPUT) for row in ops]
            return [Architecture(o, self._fixed) for o in names]
        pm, k_weights = self._size_weights()
        counts = rng.multinomial(batch, pm)
        out: list[Architecture] = []
        for m, count in zip(range(self._min, self._max + 1), counts, strict=False):
            if count == 0:
                continue
            if m == 2:
                out.extend([Architecture((INPUT, OUTPUT), [[0, 1], [0, 0]])] * int(count))
                continue
            ks, wk = k_weights[m - self._min]
            k = rng.choice(ks, size=count, p=wk).astype(int)
            iu = np.triu_indices(m, k=1)
            # a uniformly random k-subset of the pairs: the k smallest of i.i.d. uniform keys
            ranks = np.argsort(np.argsort(rng.random((count, len(iu[0]))), axis=1), axis=1)
            bits = ranks < k[:, None]
            adj = np.zeros((count, m, m), dtype=bool)
            adj[:, iu[0], iu[1]] = bits
            fwd = np.zeros((count, m), dtype=bool)
            fwd[:, 0] = True
            bwd = np.zeros((count, m), dtype=bool)
            bwd[:, -1] = True
            for _ in range(m - 1):
                fwd |= np.einsum("bu,buv->bv", fwd, adj)
                bwd |= np.einsum("bv,buv->bu", bwd, adj)
            live = (fwd & bwd).all(axis=1)
            ops = rng.integers(len(self._ops), size=(count, m - 2))
            for a, row in zip(adj[live], ops[live], strict=False):
                out.append(Architecture((INPUT, *(self._ops[i] for i in row), OUTPUT), a))
        return [out[i] for i in rng.permutation(len(out))]  # node counts were drawn in blocks

    def sample(self, n: int, seed: SeedLike = None) -> list[Architecture]:
        n = self._check_count(n, self.size)
        rng = make_rng(seed)
        found: dict[str, Architecture] = {}
        draws, max_draws = 0, max(200_000, 500 * n)
        while len(found) < n and draws < max_draws:
            batch = 4096 if self._fixed is None else min(max(2 * (n - len(found)), 16), 4096)
            draws += batch
            for arch in self._random_batch(rng, batch):
                if not self.is_valid(arch):
                    continue
                k = self.key(arch)
                if k not in found:
                    found[k] = arch
                    if len(found) == n:
                        break
        if len(found) < n:
            raise SamplingError(
                f"Found only {len(found)} distinct valid architectures of the {n} asked for after {draws} "
                f"random draws in {self.name}. The space may hold fewer than {n}, or the constraint / "
                "max_edges may reject almost every random graph; loosen them or ask for fewer."
            )
        return list(found.values())

    # -- identity and encoding ----------------------------------------------------------------
    def canonical(self, arch: Architecture) -> Architecture:
        self._check_arch(arch)
        if self._fixed is not None:
            if arch.num_nodes != self._max or not np.array_equal(arch.adjacency, self._fixed):
                raise InvalidArchitectureError(
                    f"{arch!r} does not have the fixed adjacency of {self.name}."
                )
            if self._autos is None or len(self._autos) == 1:
                return arch
            best = min(tuple(arch.ops[i] for i in perm) for perm in self._autos)
            return arch if best == arch.ops else Architecture(best, self._fixed)
        return super().canonical(self.prune(arch))

    def key(self, arch: Architecture) -> str:
        return serialize(self.canonical(arch))

    @property
    def encoding_dim(self) -> int:
        n, a = self._max, len(self._ops)
        if self._fixed is not None:
            return (n - 2) * a
        return (n - 2) * a + n * (n - 1) // 2

    def encode_one(self, arch: Architecture) -> np.ndarray:
        """One-hot operations of the hidden nodes, then (free edges only) the padded adjacency.

        With a fixed adjacency the encoding is ``(N - 2) x len(ops)`` one-hot operations, in node
        order. With free edges the canonical, pruned graph is padded to :attr:`max_nodes` (output
        in the last slot; empty slots all zero) and the strict upper triangle of its adjacency
        follows the one-hot block.
        """
        can = self.canonical(arch)
        n_max, a = self._max, len(self._ops)
        m = can.num_nodes
        onehot = np.zeros((n_max - 2, a))
        for slot, op in enumerate(can.ops[1:-1]):
            onehot[slot, self._op_index[op]] = 1.0
        if self._fixed is not None:
            return onehot.ravel()
        slots = list(range(m - 1)) + [n_max - 1]
        adj = np.zeros((n_max, n_max))
        adj[np.ix_(slots, slots)] = can.adjacency
        return np.concatenate([onehot.ravel(), adj[np.triu_indices(n_max, k=1)]])

    def __repr__(self) -> str:
        parts = [f"ops={list(self._ops)!r}", f"num_nodes={self._max if self._min == self._max else (self._min, self._max)!r}"]
        if self._max_edges is not None:
            parts.append(f"max_edges={self._max_edges}")
        if self._fixed is not None:
            parts.append("fixed_adjacency=...")
        if self._constraint is not None:
            parts.append("constraint=...")
        return f"{type(self).__name__}({', '.join(parts)})"
