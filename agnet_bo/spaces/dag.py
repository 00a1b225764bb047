"""User-defined cell and layer-wise spaces of node-labelled DAGs."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from agnet_bo import _graph
from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, SamplingError
from agnet_bo.spaces.base import SearchSpace, SeedLike, _make_network, _networks, make_rng, serialize

if TYPE_CHECKING:
    from torch import nn

__all__ = ["DAGSpace", "OUTPUT_READS", "ENUMERATION_LIMIT", "FAIL_FAST_DRAWS"]

OUTPUT_READS = ("any", "leaves")
"""The values of ``DAGSpace(output_reads=...)``."""

ENUMERATION_LIMIT = 20_000
"""A :class:`DAGSpace` with at most this many labelled graphs lists its members (and so knows its
size) the first time they are needed: a few seconds at most (canonical forms of free-edge graphs
cost about 0.3 ms each). Drawing thousands of distinct members of such a space at random would
take longer (the last ones are found only after many repeats)."""

FAIL_FAST_DRAWS = 5_000
""":meth:`DAGSpace.sample` gives up at once when this many random graphs were all invalid."""


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
            excludes it. It is checked after a graph is built (rejection): express what you
            can as structure (``in_degree``, ``output_reads``, ``sampler``) so that sampling
            and the generator build valid graphs directly. A constraint that rejects every one
            of the first few thousand random graphs makes :meth:`sample` fail at once, naming it.
        in_degree: How many inputs every hidden node has: an int (exactly; ``1`` gives chains
            and trees, ``2`` DARTS-like cells) or an inclusive ``(min, max)`` pair. Node ``t``
            can read at most ``t`` earlier nodes, so its bounds are capped at ``t``. Default:
            at least one. Used while sampling and by the generator's masks, not by rejection.
        output_reads: Which nodes the output reads: ``"any"`` (a free, non-empty set; nodes
            that then reach no output are pruned) or ``"leaves"`` (exactly the nodes that feed
            no other hidden node, as DARTS and ENAS cells concatenate their unused nodes; no
            node is ever dead).
        sampler: ``callable(rng) -> Architecture`` drawing one random member (``rng`` a
            ``numpy.random.Generator``), for structure the arguments above cannot express.
            :meth:`sample` and generator pretraining then use it (draws are still validated
            and de-duplicated). It shapes what is drawn, not what is a member: pass the rule
            as ``constraint`` too if it restricts the space.
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
        >>> trees = DAGSpace(["conv", "pool"], num_nodes=6, in_degree=1, output_reads="leaves")
        >>> trees.size  # trees of 4 hidden nodes, 2 labels each, one per network (isomorphic ones merged)
        107
    """

    def __init__(
        self,
        ops: Sequence[str],
        num_nodes: int | tuple[int, int],
        max_edges: int | None = None,
        fixed_adjacency: Any = None,
        constraint: Callable[[Architecture], bool] | None = None,
        name: str = "DAGSpace",
        *,
        in_degree: int | tuple[int, int] | None = None,
        output_reads: str = "any",
        sampler: Callable[[np.random.Generator], Architecture] | None = None,
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
        if sampler is not None and not callable(sampler):
            raise InputError(f"`sampler` must be callable(rng) -> Architecture, got {sampler!r}.")
        if output_reads not in OUTPUT_READS:
            raise InputError(f"`output_reads` must be one of {list(OUTPUT_READS)}, got {output_reads!r}.")
        degree: tuple[int, int] | None = None
        if in_degree is not None:
            if isinstance(in_degree, (int, np.integer)) and not isinstance(in_degree, bool):
                degree = (int(in_degree), int(in_degree))
            elif (
                isinstance(in_degree, (tuple, list))
                and len(in_degree) == 2
                and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in in_degree)
            ):
                degree = (int(in_degree[0]), int(in_degree[1]))
            if degree is None or not 1 <= degree[0] <= degree[1]:
                raise InputError(
                    f"`in_degree` must be an int >= 1 or a (min, max) pair with 1 <= min <= max, got {in_degree!r}; "
                    "e.g. in_degree=1 for trees, in_degree=2 for DARTS-like cells, in_degree=(1, 2)."
                )
        if fixed is not None and (degree is not None or output_reads != "any"):
            raise InputError(
                "`in_degree` and `output_reads` shape free edges; with a `fixed_adjacency` the edges are given. "
                "Drop one of them."
            )
        self._ops = ops_t
        self._min, self._max = lo, hi
        self._max_edges = None if max_edges is None else int(max_edges)
        self._fixed = fixed
        self._constraint = constraint
        self._in_degree = degree
        self._output_reads = output_reads
        self._sampler = sampler
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
    def sampler(self) -> Callable[[np.random.Generator], Architecture] | None:
        """The user's sampler, if any."""
        return self._sampler

    @property
    def in_degree(self) -> tuple[int, int] | None:
        """The ``(min, max)`` inputs of every hidden node, or ``None`` (at least one)."""
        return self._in_degree

    @property
    def output_reads(self) -> str:
        """``"any"`` or ``"leaves"`` (see the class docstring)."""
        return self._output_reads

    def to_config(self) -> dict[str, Any]:
        """The arguments that rebuild this space with :meth:`from_config`, as JSON data.

        A constraint or sampler callable cannot be written down; ``has_constraint`` /
        ``has_sampler`` say whether the space had one (then it must be rebuilt by its owner).
        """
        fixed = self._fixed
        return {
            "ops": list(self._ops),
            "num_nodes": [self._min, self._max],
            "max_edges": self._max_edges,
            "fixed_adjacency": None if fixed is None else fixed.astype(int).tolist(),
            "in_degree": None if self._in_degree is None else list(self._in_degree),
            "output_reads": self._output_reads,
            "name": self.name,
            "has_constraint": self._constraint is not None,
            "has_sampler": self._sampler is not None,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DAGSpace:
        """The space of :meth:`to_config` (configurations written before ``in_degree`` and
        ``output_reads`` existed read as free structure).

        Raises:
            InputError: If the configuration had a constraint or sampler callable.
        """
        if config.get("has_constraint") or config.get("has_sampler"):
            raise InputError(
                "This DAGSpace had a constraint or sampler callable, which a configuration cannot hold; rebuild it yourself."
            )
        lo, hi = config["num_nodes"]
        degree = config.get("in_degree")
        return cls(
            config["ops"], num_nodes=lo if lo == hi else (lo, hi), max_edges=config["max_edges"],
            fixed_adjacency=config["fixed_adjacency"], name=config.get("name", "DAGSpace"),
            in_degree=None if degree is None else (int(degree[0]), int(degree[1])),
            output_reads=config.get("output_reads", "any"),
        )

    @property
    def structured(self) -> bool:
        """Whether free edges follow ``in_degree`` / ``output_reads`` rules (sampled directly, not by rejection)."""
        return self._fixed is None and (self._in_degree is not None or self._output_reads != "any")

    @property
    def size(self) -> int | None:
        """The number of distinct architectures: exact for a fixed adjacency without constraint,
        else counted by listing the space when it has at most :data:`ENUMERATION_LIMIT` (20,000)
        labelled graphs (once, then cached), else ``None``: the space is too large to list and
        counting its distinct graphs (up to isomorphism, under a constraint) has no closed form.
        ``None`` means "unknown and large"; everything that needs a size (the default initial
        design, pools near exhaustion) treats such a space as unbounded. The ``repr`` says so."""
        if self._fixed is not None and self._constraint is None and len(self._autos or [()]) == 1:
            return len(self._ops) ** (self._max - 2)
        members = self.members()
        return None if members is None else len(members)

    def members(self) -> list[Architecture] | None:
        """Every architecture, one per key (simplified form), when the space has at most
        :data:`ENUMERATION_LIMIT` labelled graphs; else ``None``. Computed once."""
        cached = self.__dict__.get("_members", False)
        if cached is not False:
            return None if cached is None else list(cached)
        out: list[Architecture] | None = None
        if self._listable():
            found: dict[str, Architecture] = {}
            for arch in self._all_labelled():
                if not self.is_valid(arch):
                    continue
                arch = self.simplify(arch)
                found.setdefault(self.key(arch), arch)
            out = list(found.values())
        self.__dict__["_members"] = out
        return None if out is None else list(out)

    # -- counting and listing labelled graphs --------------------------------------------------
    def _degree_bounds(self, t: int) -> tuple[int, int]:
        lo, hi = self._in_degree if self._in_degree is not None else (1, t)
        return min(lo, t), min(hi, t)

    def _log_structures(self, m: int) -> float:
        """log of the number of labelled graphs with ``m`` nodes that :meth:`_structured_batch` draws from."""
        total = (m - 2) * math.log(len(self._ops))
        for t in range(1, m - 1):
            lo, hi = self._degree_bounds(t)
            total += math.log(sum(math.comb(t, k) for k in range(lo, hi + 1)))
        if self._output_reads == "any" and m > 2:
            total += math.log(2 ** (m - 1) - 1)
        return total

    def _listable(self) -> bool:
        """Whether the space has at most :data:`ENUMERATION_LIMIT` labelled graphs (log-space, no overflow)."""
        limit = math.log(ENUMERATION_LIMIT)
        if self._fixed is not None:
            return (self._max - 2) * math.log(len(self._ops)) <= limit
        logs = [self._log_structures(m) for m in range(self._min, self._max + 1)]
        top = max(logs)
        return top + math.log(sum(math.exp(v - top) for v in logs)) <= limit

    def _all_labelled(self) -> Iterator[Architecture]:
        """Every labelled graph that :meth:`_listable` counts (some invalid, some the same network)."""
        if self._fixed is not None:
            for ops in itertools.product(self._ops, repeat=self._max - 2):
                yield Architecture((INPUT, *ops, OUTPUT), self._fixed)
            return
        for m in range(self._min, self._max + 1):
            if m == 2:
                yield Architecture((INPUT, OUTPUT), [[0, 1], [0, 0]])
                continue
            choices = []
            for t in range(1, m - 1):
                lo, hi = self._degree_bounds(t)
                choices.append([c for k in range(lo, hi + 1) for c in itertools.combinations(range(t), k)])
            for wiring in itertools.product(*choices):
                adj = np.zeros((m, m), dtype=np.uint8)
                for t, srcs in enumerate(wiring, start=1):
                    adj[list(srcs), t] = 1
                outs: Iterable[Sequence[int]]
                if self._output_reads == "leaves":
                    outs = [np.flatnonzero(adj[:, 1 : m - 1].sum(axis=1)[: m - 1] == 0).tolist()]
                else:
                    outs = [c for k in range(1, m) for c in itertools.combinations(range(m - 1), k)]
                for out in outs:
                    a = adj.copy()
                    a[list(out), m - 1] = 1
                    for ops in itertools.product(self._ops, repeat=m - 2):
                        yield Architecture((INPUT, *ops, OUTPUT), a)

    # -- structure hooks read by the generator and by mutations -------------------------------
    def allowed_sources(self, t: int, op: str, ops: Sequence[str], adjacency: np.ndarray) -> np.ndarray:
        """With ``output_reads="leaves"`` the output may read only nodes that feed no hidden node."""
        if op == OUTPUT and self._output_reads == "leaves" and self._fixed is None:
            adjacency = np.asarray(adjacency)
            if t <= 1:
                return np.ones(t, dtype=bool)
            fed = adjacency[:t, 1:t].sum(axis=1) > 0
            return ~fed
        return np.asarray(self.edge_mask()[:t, t], dtype=bool)

    def in_degree_bounds(self, t: int, op: str) -> tuple[int, int]:
        """Hidden nodes: ``in_degree`` capped at ``t``; the output with ``output_reads="leaves"``:
        every allowed source (all the leaves)."""
        if self._fixed is not None or t == 0:
            return super().in_degree_bounds(t, op)
        if op == OUTPUT:
            return (t, t) if self._output_reads == "leaves" else (1, t)
        return self._degree_bounds(t)

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
        pruned = self._validate_structure(arch)
        if self._constraint is not None and not self._constraint(pruned):
            raise InvalidArchitectureError(f"{arch!r} violates the constraint of {self.name}.")

    def _validate_structure(self, arch: Architecture) -> Architecture:
        """Everything :meth:`validate` checks but the constraint; returns the pruned architecture."""
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
            self._check_structure(pruned)
        return pruned

    def _check_structure(self, arch: Architecture) -> None:
        m = arch.num_nodes
        adj = arch.adjacency
        if self._in_degree is not None:
            deg = adj.sum(axis=0)
            for t in range(1, m - 1):
                lo, hi = self._degree_bounds(t)
                if not lo <= deg[t] <= hi:
                    want = f"{lo}" if lo == hi else f"{lo}..{hi}"
                    raise InvalidArchitectureError(
                        f"Node {t} ({arch.ops[t]}) of {arch!r} has {int(deg[t])} input(s); {self.name} needs {want} "
                        f"(in_degree={self._in_degree})."
                    )
        if self._output_reads == "leaves" and m > 2:
            leaves = adj[: m - 1, 1 : m - 1].sum(axis=1) == 0
            read = adj[: m - 1, m - 1] > 0
            if not np.array_equal(leaves, read):
                raise InvalidArchitectureError(
                    f"The output of {arch!r} must read exactly the nodes that feed no hidden node "
                    f"(output_reads='leaves'): {np.flatnonzero(leaves).tolist()}, but reads {np.flatnonzero(read).tolist()}."
                )

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

    def _structured_batch(self, rng: np.random.Generator, batch: int) -> list[Architecture]:
        """Graphs built with the ``in_degree`` / ``output_reads`` rules: node counts in proportion
        to their number of labelled graphs, each node's source set uniform among the allowed."""
        sizes = np.arange(self._min, self._max + 1)
        logs = np.array([self._log_structures(int(m)) for m in sizes])
        pm = np.exp(logs - logs.max())
        ms = rng.choice(sizes, size=batch, p=pm / pm.sum())
        out = []
        for m in ms.tolist():
            adj = np.zeros((m, m), dtype=np.uint8)
            for t in range(1, m - 1):
                lo, hi = self._degree_bounds(t)
                ks = np.arange(lo, hi + 1)
                wk = np.array([math.comb(t, int(k)) for k in ks], dtype=float)
                k = int(rng.choice(ks, p=wk / wk.sum()))
                adj[rng.choice(t, size=k, replace=False), t] = 1
            if m > 2 and self._output_reads == "leaves":
                adj[: m - 1, m - 1] = adj[: m - 1, 1 : m - 1].sum(axis=1) == 0
            elif m > 2:
                read = rng.random(m - 1) < 0.5
                while not read.any():
                    read = rng.random(m - 1) < 0.5
                adj[: m - 1, m - 1] = read
            else:
                adj[0, 1] = 1
            ops = rng.integers(len(self._ops), size=m - 2)
            out.append(Architecture((INPUT, *(self._ops[i] for i in ops), OUTPUT), adj))
        return out

    def _random_batch(self, rng: np.random.Generator, batch: int) -> list[Architecture]:
        n = self._max
        if self._sampler is not None:
            drawn = []
            for _ in range(batch):
                arch = self._sampler(rng)
                if not isinstance(arch, Architecture):
                    raise InputError(
                        f"The sampler of {self.name} must return an agnet_bo.Architecture, got {type(arch).__name__} {arch!r}."
                    )
                drawn.append(arch)
            return drawn
        if self.structured:
            return self._structured_batch(rng, batch)
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
        """Draw ``n`` distinct valid architectures.

        Without structure rules, free-edge graphs are uniform over labelled DAGs whose nodes all
        lie on input-output paths; with ``in_degree`` / ``output_reads`` they are built to the
        rules; with a ``sampler`` they come from it. The ``constraint`` and ``max_edges`` reject.

        Raises:
            InputError: If ``n`` is negative or larger than a known :attr:`size`.
            SamplingError: If ``n`` were not found: at once if the first
                :data:`FAIL_FAST_DRAWS` graphs are all rejected (the message names the
                constraint), else when the draws run out or the rate of valid new graphs says
                they would. The error's ``found`` holds what was found.
        """
        members = self.members()
        if members is not None and not members and n:
            raise SamplingError(
                f"{self.name} has no member at all: every one of its labelled graphs was checked and "
                f"{self._describe_rules()} rejects them all; loosen it.",
            )
        n = self._check_count(n, self.size)
        rng = make_rng(seed)
        if members is not None and self._sampler is None:  # a small space: draw from its list, no rejection
            return [members[i] for i in rng.choice(len(members), size=n, replace=False)]
        found: dict[str, Architecture] = {}
        draws, rejected, max_draws, last_new = 0, 0, max(200_000, 500 * n), 0
        memo: dict[Architecture, str | None] = {}
        by_constraint = 0
        while len(found) < n and draws < max_draws:
            if self._fixed is None and self._sampler is None and not self.structured:
                batch = 4096  # the uniform free-edge sampler is vectorised
            else:  # one graph at a time in Python: draw about what is still needed
                batch = min(max(2 * (n - len(found)), 16), 4096 if self._sampler is None and self._fixed is not None else 512)
            drawn = self._random_batch(rng, batch)
            draws += batch
            rejected += batch - len(drawn)  # the uniform sampler drops graphs with dead nodes itself
            for arch in drawn:
                k = memo.get(arch, "")
                if k == "":  # not seen before: check it (a small space draws the same graphs again and again)
                    try:
                        pruned = self._validate_structure(arch)
                        k = self.key(arch) if self._constraint is None or self._constraint(pruned) else None
                        by_constraint += k is None
                    except InvalidArchitectureError:
                        k = None
                    memo[arch] = k
                if k is None:
                    rejected += 1
                    continue
                if k not in found:
                    found[k] = self.simplify(arch)  # structured draws with output_reads="any" may have dead nodes
                    last_new = draws
                    if len(found) == n:
                        break
            if not found and draws >= FAIL_FAST_DRAWS:
                break
            if draws >= 4 * FAIL_FAST_DRAWS and len(found) * max_draws < n * draws:
                break  # at this rate the draws would run out: give up now
            if draws - last_new >= max(4 * FAIL_FAST_DRAWS, last_new // 2):
                break  # nothing new for half as long as it took to find the rest: the space seems exhausted
        if len(found) < n:
            what = self._describe_rejection(draws, rejected, by_constraint)
            raise SamplingError(
                f"Found only {len(found)} distinct valid architectures of the {n} asked for after {draws} "
                f"random draws in {self.name}: {what}. The space may hold fewer than {n}; express the rule as "
                "structure (in_degree=, output_reads=, sampler=) so that graphs are built valid, loosen it, or "
                "ask for fewer.",
                found=list(found.values()),
            )
        return list(found.values())

    def _constraint_name(self) -> str:
        return repr(getattr(self._constraint, "__qualname__", None) or repr(self._constraint))

    def _describe_rules(self) -> str:
        rules = [f"the constraint {self._constraint_name()}"] if self._constraint is not None else []
        if self._max_edges is not None:
            rules.append(f"max_edges={self._max_edges}")
        return " with ".join(rules) or "the node limits"

    def _describe_rejection(self, draws: int, rejected: int, by_constraint: int) -> str:
        parts = [f"{rejected} of {draws} draws were invalid"]
        if by_constraint and self._constraint is not None:
            parts.append(f"{by_constraint} of them rejected by the constraint {self._constraint_name()}")
        if self._max_edges is not None:
            parts.append(f"max_edges={self._max_edges}")
        return ", ".join(parts)

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

    def sample_description(self) -> Any:
        """The configuration without its name, for a ``DAGSpace`` without a constraint or sampler
        callable; ``None`` otherwise, and for subclasses (their methods may sample otherwise)."""
        if type(self) is not DAGSpace or self._constraint is not None or self._sampler is not None:
            return None
        return {k: v for k, v in self.to_config().items() if k != "name"}  # the name changes no sample

    # -- networks ---------------------------------------------------------------------------
    def build_network(self, arch: Architecture, **options: Any) -> nn.Module:
        """A :class:`~agnet_bo.networks.DAGNetwork` of ``arch`` (simplified).

        Options: ``ops`` (required: a module factory per operation, see
        :data:`~agnet_bo.networks.OpFactories`), ``channels=16``, ``num_classes=10``,
        ``in_channels=3``, ``num_cells=1``, ``stem``, ``head``.

        Raises:
            InputError: If ``ops`` is missing or an option is unknown or bad.
            UnknownNameError: If ``ops`` lacks a factory for an operation of the space.
        """
        from agnet_bo.networks.dag import DAGNetwork

        self.check_network_options(options)
        rest = {k: v for k, v in options.items() if k != "ops"}
        return _make_network(DAGNetwork, self, self.simplify(arch), rest, options["ops"])

    def default_network_options(self) -> dict[str, Any]:
        """16 channels, 1 cell, and the ready-made factories
        (:data:`~agnet_bo.networks.NB201_OP_FACTORIES`, ``NB101_...``, ``DARTS_...``) for the
        operations when one table covers them all."""
        networks = _networks()
        for table in (networks.NB201_OP_FACTORIES, networks.NB101_OP_FACTORIES, networks.DARTS_OP_FACTORIES):
            if all(op in table for op in self.ops):
                return {"channels": 16, "num_cells": 1, "ops": table}
        return {"channels": 16, "num_cells": 1}

    def check_network_options(self, options: Mapping[str, Any]) -> None:
        """Raise unless ``options`` hold ``ops`` with a module factory for every operation of the
        space (checked up front, so a missing factory shows at the first build, not when a search
        first samples that operation)."""
        from agnet_bo.networks.dag import check_factories

        if "ops" not in options:
            raise InputError(
                f"A network for a DAGSpace needs module factories for its operations {list(self.ops)}, and the options "
                "hold no `ops` (no ready-made module factories, nor your own): pass ops={op_name: factory(channels) -> "
                "nn.Module, ...} (or a callable(op_name, channels)), e.g. build_network(space, arch, ops={'conv3x3': "
                "lambda c: torch.nn.Conv2d(c, c, 3, padding=1), ...}). agnet_bo.networks.NB201_OP_FACTORIES, "
                "NB101_OP_FACTORIES and DARTS_OP_FACTORIES are ready-made."
            )
        check_factories(options["ops"], self.ops, where=f"{self.name}")

    def __repr__(self) -> str:
        parts = [f"ops={list(self._ops)!r}", f"num_nodes={self._max if self._min == self._max else (self._min, self._max)!r}"]
        if self._max_edges is not None:
            parts.append(f"max_edges={self._max_edges}")
        if self._fixed is not None:
            parts.append("fixed_adjacency=...")
        if self._constraint is not None:
            parts.append("constraint=...")
        if self._in_degree is not None:
            lo, hi = self._in_degree
            parts.append(f"in_degree={lo if lo == hi else (lo, hi)!r}")
        if self._output_reads != "any":
            parts.append(f"output_reads={self._output_reads!r}")
        if self._sampler is not None:
            parts.append("sampler=...")
        if not self._listable():
            parts.append(f"size=None: over {ENUMERATION_LIMIT:,} labelled graphs, not listed")
        return f"{type(self).__name__}({', '.join(parts)})"
