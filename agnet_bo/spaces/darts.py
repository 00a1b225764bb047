"""The DARTS / NAS-Bench-301 space: a normal and a reduction cell, chained into one 28-node DAG."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Sequence
from functools import lru_cache
from itertools import permutations
from typing import TYPE_CHECKING, Any

import numpy as np

from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InvalidArchitectureError, SamplingError
from agnet_bo.spaces.base import SearchSpace, SeedLike, _make_network, _networks, make_rng, serialize

if TYPE_CHECKING:
    from torch import nn
    from torch_geometric.data import Data

__all__ = ["DARTSSpace", "DARTS_OPS", "Genotype", "Compact"]

DARTS_OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
"""The seven DARTS operations, in DARTS order (which is also NASLib's compact op index 0..6)."""

INPUT_1 = "input_1"
"""Label of node 1, the second input ``c_{k-1}`` of the normal cell."""

ADD = "add"
"""Label of an intermediate node: the sum of its two op nodes."""

NORMAL_OUTPUT = "normal_output"
"""Label of node 14, the concatenation of the normal cell's intermediate nodes."""

Genotype = list[tuple[str, int]]
"""One cell in the DARTS convention: 8 ``(op_name, source)`` pairs; pairs ``2k, 2k+1`` feed node ``k``."""

Compact = list[list[tuple[int, int]]]
"""NASLib's compact form: ``[normal, reduce]``, each 8 ``(source, op_index)`` pairs."""

_Cell = tuple[tuple[int, int], ...]  # internal: 8 (source, op_index) pairs

_N = 28
_NUM_INTERMEDIATE = 4
_NUM_SLOTS = 2 * _NUM_INTERMEDIATE
_CELL_NAMES = ("normal", "reduction")
_CELL_BASE = (2, 15)  # first op node of each cell
_CELL_OUT = (14, 27)  # concat node of each cell
_CELL_INPUTS = ((0, 1), (1, 14))  # nodes that play sources 0 (c_{k-2}) and 1 (c_{k-1})
_NUM_EDGES = 2 * (_NUM_SLOTS * 2 + _NUM_INTERMEDIATE)  # op in + op out per slot, add -> concat: 40
_ENCODING_DIM = 2 * sum(len(DARTS_OPS) + 2 + slot // 2 for slot in range(_NUM_SLOTS))  # 168

# Number of distinct cells (up to swapping the two pairs of a node and reordering intermediate
# nodes), computed by _count_cell_classes(7) and checked against brute force in the tests.
_CELL_CLASSES = 382_128_166


def _op_node(cell: int, slot: int) -> int:
    return _CELL_BASE[cell] + 3 * (slot // 2) + slot % 2


def _add_node(cell: int, k: int) -> int:
    return _CELL_BASE[cell] + 3 * k + 2


def _source_node(cell: int, source: int) -> int:
    return _CELL_INPUTS[cell][source] if source < 2 else _add_node(cell, source - 2)


def _fixed_labels() -> dict[int, str]:
    labels = {0: INPUT, 1: INPUT_1, _CELL_OUT[0]: NORMAL_OUTPUT, _CELL_OUT[1]: OUTPUT}
    for cell in range(2):
        for k in range(_NUM_INTERMEDIATE):
            labels[_add_node(cell, k)] = ADD
    return labels


_FIXED = _fixed_labels()
_OP_NODES = tuple((cell, slot, _op_node(cell, slot)) for cell in range(2) for slot in range(_NUM_SLOTS))
_SLOT_OF_NODE = {v: (cell, slot) for cell, slot, v in _OP_NODES}


def _edge_mask() -> np.ndarray:
    mask = np.zeros((_N, _N), dtype=bool)
    for cell, slot, v in _OP_NODES:
        for source in range(2 + slot // 2):
            mask[_source_node(cell, source), v] = True
        mask[v, _add_node(cell, slot // 2)] = True
    for cell in range(2):
        for k in range(_NUM_INTERMEDIATE):
            mask[_add_node(cell, k), _CELL_OUT[cell]] = True
    mask.setflags(write=False)
    return mask


_EDGE_MASK = _edge_mask()


def _build(cells: tuple[_Cell, _Cell]) -> Architecture:
    """The 28-node architecture of two well-formed cells."""
    ops = [""] * _N
    for v, label in _FIXED.items():
        ops[v] = label
    adj = np.zeros((_N, _N), dtype=np.uint8)
    for cell, pairs in enumerate(cells):
        for slot, (source, op) in enumerate(pairs):
            v = _op_node(cell, slot)
            ops[v] = DARTS_OPS[op]
            adj[_source_node(cell, source), v] = 1
            adj[v, _add_node(cell, slot // 2)] = 1
        for k in range(_NUM_INTERMEDIATE):
            adj[_add_node(cell, k), _CELL_OUT[cell]] = 1
    return Architecture(ops, adj)


@lru_cache(maxsize=1 << 16)
def _canonical_cell(cell: _Cell) -> _Cell:
    """The smallest relabelling of a cell over valid orders of its nodes, pairs sorted per node."""
    nodes = [cell[2 * k : 2 * k + 2] for k in range(_NUM_INTERMEDIATE)]
    deps = [[s - 2 for s, _ in node if s >= 2] for node in nodes]
    best: _Cell | None = None
    for order in permutations(range(_NUM_INTERMEDIATE)):
        pos = [0] * _NUM_INTERMEDIATE
        for p, old in enumerate(order):
            pos[old] = p
        if any(pos[d] > pos[i] for i in range(_NUM_INTERMEDIATE) for d in deps[i]):
            continue
        new: list[tuple[int, int]] = []
        for old in order:
            new.extend(sorted((s if s < 2 else 2 + pos[s - 2], op) for s, op in nodes[old]))
        cand = tuple(new)
        if best is None or cand < best:
            best = cand
    assert best is not None  # the identity order is always valid
    return best


@lru_cache(maxsize=1)
def _fixed_point_cycles() -> tuple[int, ...]:
    """For every pair (permutation, cell structure fixed by it), the number of edge cycles."""
    m = _NUM_INTERMEDIATE
    choices = []
    for i in range(m):
        srcs = [0, 1] + [2 + j for j in range(m) if j != i]
        choices.append([frozenset((a, b)) for ai, a in enumerate(srcs) for b in srcs[ai + 1 :]])

    def acyclic(struct: tuple[frozenset[int], ...]) -> bool:
        done: set[int] = set()
        while len(done) < m:
            ready = [i for i in range(m) if i not in done and all(s < 2 or s - 2 in done for s in struct[i])]
            if not ready:
                return False
            done.update(ready)
        return True

    structs = [t for t in itertools.product(*choices) if acyclic(t)]
    out: list[int] = []
    for sigma in permutations(range(m)):
        src = [0, 1] + [2 + sigma[j] for j in range(m)]
        for struct in structs:
            image: list[frozenset[int]] = [frozenset()] * m
            for i in range(m):
                image[sigma[i]] = frozenset(src[s] for s in struct[i])
            if tuple(image) != struct:
                continue
            edges = {(i, s) for i in range(m) for s in struct[i]}
            cycles = 0
            while edges:
                start = edges.pop()
                cycles += 1
                e = (sigma[start[0]], src[start[1]])
                while e != start:
                    edges.discard(e)
                    e = (sigma[e[0]], src[e[1]])
            out.append(cycles)
    return tuple(out)


def _count_cell_classes(num_ops: int) -> int:
    """Number of distinct cells with ``num_ops`` operations, by Burnside's lemma.

    Every cell is a DAG on 4 intermediate nodes, each with 2 distinct sources among the 2 cell
    inputs and the other intermediate nodes, and an operation on each of its 8 edges. Two cells are
    the same network iff a permutation of the intermediate nodes maps one onto the other. Each such
    orbit holds a topologically numbered member, so the number of distinct cells equals the number
    of orbits of the symmetric group on *all* (not only topologically numbered) cells:
    ``1/24 * sum_sigma |Fix(sigma)|``, where a cell is fixed by ``sigma`` iff its structure is, and
    its operations are constant on the ``sigma``-cycles of its edges.
    """
    total = sum(num_ops**c for c in _fixed_point_cycles())
    assert total % 24 == 0
    return total // 24


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


class DARTSSpace(SearchSpace):
    r"""The DARTS search space (NAS-Bench-301): a normal cell and a reduction cell.

    A DARTS cell has two inputs ``c_{k-2}``, ``c_{k-1}`` (sources ``0`` and ``1``) and 4 intermediate
    nodes ``k = 0..3`` (sources ``2 + k``). Intermediate node ``k`` sums two operations applied to
    two *distinct* earlier nodes (``source < 2 + k``); the cell output concatenates the 4
    intermediate nodes. There are 7 operations (:data:`DARTS_OPS`). A genotype gives each cell as 8
    ``(op_name, source)`` pairs, pairs ``2k`` and ``2k + 1`` feeding node ``k`` (the DARTS
    ``Genotype.normal`` / ``.reduce`` lists); NASLib's compact form lists ``(source, op_index)``.

    As one node-labelled DAG the two cells are chained as in a DARTS network, a normal cell followed
    by a reduction cell, in 28 nodes:

    ====================  =====================================================================
    node                  role
    ====================  =====================================================================
    0 ``input``           ``c_{k-2}`` of the normal cell
    1 ``input_1``         ``c_{k-1}`` of the normal cell, ``c_{k-2}`` of the reduction cell
    2 + 3k, 3 + 3k        the two op nodes of normal intermediate node ``k`` (labelled by op)
    4 + 3k ``add``        normal intermediate node ``k`` (sum of its two op nodes)
    14 ``normal_output``  concat of the normal cell, ``c_{k-1}`` of the reduction cell
    15 + 3k, 16 + 3k      the two op nodes of reduction intermediate node ``k``
    17 + 3k ``add``       reduction intermediate node ``k``
    27 ``output``         concat of the reduction cell
    ====================  =====================================================================

    Each op node has one incoming edge (from the node of its source: a cell input or an ``add``
    node) and one outgoing edge (to its ``add`` node); every ``add`` node also feeds its cell's
    concat node, so every architecture has exactly 40 edges. The explicit ``add`` nodes keep the
    pairing of the inputs of each intermediate node recoverable from the graph.

    Identity: swapping the two pairs of an intermediate node, or renumbering intermediate nodes
    in another order their dependencies allow, gives the same network (the sum commutes; the concat
    only changes channel order). :meth:`canonical` picks the smallest such renumbering per cell,
    so :meth:`key` is equal exactly when the 28-node graphs are isomorphic. :attr:`size` counts these
    distinct networks. :meth:`encode` is the positional encoding of the canonical genotype
    (``d = 168``, see :meth:`encode_one`).

    Example:
        >>> space = DARTSSpace()
        >>> normal = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
        ...           ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)]
        >>> reduce = [("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
        ...           ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)]
        >>> arch = space.from_genotype(normal, reduce)  # DARTS (2nd order)
        >>> arch.num_nodes, arch.num_edges
        (28, 40)
        >>> space.to_genotype(arch) == (normal, reduce)
        True
        >>> space.to_compact(arch)[0][:3]
        [(0, 3), (1, 3), (0, 3)]
        >>> swapped = [normal[1], normal[0]] + normal[2:]  # a sum commutes: the same network
        >>> space.key(space.from_genotype(swapped, reduce)) == space.key(arch)
        True
        >>> space.encode(space.sample(3, seed=0)).shape
        torch.Size([3, 168])
    """

    name = "DARTSSpace"

    # -- structure ----------------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """No arguments: ``{}``."""
        return {}

    @classmethod
    def from_config(cls, config: Any) -> DARTSSpace:
        """A new DARTSSpace (it takes no arguments)."""
        return cls()

    @property
    def node_types(self) -> tuple[str, ...]:
        """``("input", "input_1", <7 DARTS ops>, "add", "normal_output", "output")``."""
        return (INPUT, INPUT_1, *DARTS_OPS, ADD, NORMAL_OUTPUT, OUTPUT)

    @property
    def ops(self) -> tuple[str, ...]:
        """The 7 DARTS operations (:data:`DARTS_OPS`)."""
        return DARTS_OPS

    @property
    def max_nodes(self) -> int:
        return _N

    @property
    def min_nodes(self) -> int:
        return _N

    @property
    def max_edges(self) -> int:
        """Every architecture has exactly 40 edges."""
        return _NUM_EDGES

    @property
    def size(self) -> int:
        """The number of distinct networks, ``c ** 2`` with ``c = 382,128,166`` distinct cells (about 1.46e17).

        ``c`` counts cells up to swapping the pairs of a node and renumbering intermediate nodes
        (of the ``180 * 7**8 = 1,037,664,180`` genotypes with unordered pairs, many are renumberings
        of one another).
        """
        return _CELL_CLASSES**2

    def node_type_mask(self) -> np.ndarray:
        """The fixed labels of the layout; each of the 32 op positions allows exactly the 7 DARTS ops.

        Returns:
            A ``28 x 12`` boolean array (rows: positions, columns: :attr:`node_types`).
        """
        types = self.node_types
        mask = np.zeros((_N, len(types)), dtype=bool)
        for v, label in _FIXED.items():
            mask[v, types.index(label)] = True
        op_cols = [types.index(op) for op in DARTS_OPS]
        for _, _, v in _OP_NODES:
            mask[v, op_cols] = True
        return mask

    def edge_mask(self) -> np.ndarray:
        """The edges that can exist in some architecture of the space.

        An op node of intermediate node ``k`` may receive from either cell input or from the ``add``
        node of any ``j < k`` of its cell, and feeds its own ``add`` node; every ``add`` node feeds
        its cell's concat node.

        Returns:
            A ``28 x 28`` boolean array (a fresh copy).
        """
        return _EDGE_MASK.copy()

    def allowed_sources(self, t: int, op: str, ops: Sequence[str], adjacency: np.ndarray) -> np.ndarray:
        """Sources of node ``t``; the second op node of an intermediate node avoids its sibling's source.

        Together with :meth:`in_degree_bounds` this lets a generator build only valid cells.
        """
        allowed = _EDGE_MASK[:t, t].copy()
        slot = _SLOT_OF_NODE.get(t)
        if slot is not None and slot[1] % 2 == 1:
            sibling = t - 1
            allowed &= ~np.asarray(adjacency[:t, sibling], dtype=bool)
        return allowed

    def in_degree_bounds(self, t: int, op: str) -> tuple[int, int]:
        """Op nodes have exactly one source; ``add`` and cell-output nodes take all their inputs."""
        if t == 0:
            return 0, 0
        if t in _SLOT_OF_NODE:
            return 1, 1
        d = int(_EDGE_MASK[:, t].sum())
        return d, d

    # -- membership ---------------------------------------------------------------------------
    def _decode(self, arch: Architecture) -> tuple[_Cell, _Cell]:
        """The two cells of an architecture, in its own (not canonical) order; validates it."""
        self._check_arch(arch)
        how = "Build DARTS architectures with DARTSSpace.from_genotype or DARTSSpace.from_compact."
        if arch.num_nodes != _N:
            raise InvalidArchitectureError(
                f"A DARTS architecture has {_N} nodes (2 inputs, 2 cells of 4 x (op, op, add) plus a concat "
                f"node), got {arch.num_nodes}. {how}"
            )
        ops = arch.ops
        wrong = [(v, label, ops[v]) for v, label in sorted(_FIXED.items()) if ops[v] != label]
        if wrong:
            desc = ", ".join(f"node {v} must be {label!r} but is {got!r}" for v, label, got in wrong[:4])
            raise InvalidArchitectureError(
                f"Not the DARTS layout: {desc}{' ...' if len(wrong) > 4 else ''}. {how}"
            )
        adj = arch.adjacency
        cells: list[_Cell] = []
        for cell in range(2):
            allowed = {_source_node(cell, s): s for s in range(2 + _NUM_INTERMEDIATE - 1)}
            pairs: list[tuple[int, int]] = []
            for slot in range(_NUM_SLOTS):
                v = _op_node(cell, slot)
                k = slot // 2
                where = f"Node {v} (op {slot % 2} of intermediate node {k} of the {_CELL_NAMES[cell]} cell)"
                if ops[v] not in DARTS_OPS:
                    raise InvalidArchitectureError(
                        f"{where} must be labelled by a DARTS operation, got {ops[v]!r}; expected one of "
                        f"{list(DARTS_OPS)}."
                    )
                preds = [int(u) for u in np.flatnonzero(adj[:, v])]
                if len(preds) != 1:
                    raise InvalidArchitectureError(
                        f"{where} must have exactly one incoming edge (from its source), got {len(preds)} "
                        f"from nodes {preds}."
                    )
                u = preds[0]
                source = allowed.get(u)
                if source is None or source >= 2 + k:
                    valid = [_source_node(cell, s) for s in range(2 + k)]
                    raise InvalidArchitectureError(
                        f"{where} receives from node {u} ({ops[u]!r}), which is not one of its possible sources: "
                        f"the cell inputs or an earlier intermediate node of the same cell, nodes {valid}."
                    )
                pairs.append((source, DARTS_OPS.index(ops[v])))
            for k in range(_NUM_INTERMEDIATE):
                if pairs[2 * k][0] == pairs[2 * k + 1][0]:
                    s = pairs[2 * k][0]
                    raise InvalidArchitectureError(
                        f"Both inputs of intermediate node {k} of the {_CELL_NAMES[cell]} cell come from source {s} "
                        f"(node {_source_node(cell, s)}); DARTS picks two distinct predecessors per node."
                    )
            cells.append(tuple(pairs))
        result = (cells[0], cells[1])
        expected = _build(result).adjacency
        if not np.array_equal(expected, adj):
            extra = [(int(a), int(b)) for a, b in np.argwhere((adj == 1) & (expected == 0))]
            missing = [(int(a), int(b)) for a, b in np.argwhere((adj == 0) & (expected == 1))]
            parts = []
            if extra:
                parts.append("unexpected edge(s) " + ", ".join(f"{a}->{b} ({ops[a]}->{ops[b]})" for a, b in extra[:4]))
            if missing:
                parts.append("missing edge(s) " + ", ".join(f"{a}->{b} ({ops[a]}->{ops[b]})" for a, b in missing[:4]))
            raise InvalidArchitectureError(
                f"Not the DARTS wiring: {'; '.join(parts)}. Each op node feeds only its own add node, and each "
                f"add node feeds its cell's concat node (14 or 27) and the op nodes that use it. {how}"
            )
        return result

    def validate(self, arch: Architecture) -> None:
        self._decode(arch)

    # -- sampling -----------------------------------------------------------------------------
    def sample(self, n: int, seed: SeedLike = None) -> list[Architecture]:
        """``n`` architectures with distinct keys, from uniformly random genotypes.

        Each intermediate node draws 2 distinct sources uniformly among its ``2 + k`` predecessors
        and an operation uniformly for each; a draw whose key was already drawn is redrawn.
        """
        n = self._check_count(n, self.size)
        rng = make_rng(seed)
        out: list[Architecture] = []
        seen: set[tuple[_Cell, _Cell]] = set()
        draws = 0
        while len(out) < n:
            if draws > 100 * n + 1000:  # pragma: no cover - the space has ~1.5e17 members
                raise SamplingError(f"Could only draw {len(out)} distinct DARTS architectures of {n} requested.")
            batch = n - len(out)
            draws += batch
            ops = rng.integers(len(DARTS_OPS), size=(batch, 2, _NUM_SLOTS))
            sources = np.empty((batch, 2, _NUM_SLOTS), dtype=np.int64)
            for k in range(_NUM_INTERMEDIATE):
                first = rng.integers(2 + k, size=(batch, 2))
                second = rng.integers(1 + k, size=(batch, 2))
                second += second >= first
                sources[:, :, 2 * k] = first
                sources[:, :, 2 * k + 1] = second
            for b in range(batch):
                cells = tuple(
                    tuple((int(s), int(o)) for s, o in zip(sources[b, c], ops[b, c], strict=False)) for c in range(2)
                )
                can = (_canonical_cell(cells[0]), _canonical_cell(cells[1]))
                if can in seen:
                    continue
                seen.add(can)
                out.append(_build((cells[0], cells[1])))
        return out

    # -- identity -----------------------------------------------------------------------------
    def canonical(self, arch: Architecture) -> Architecture:
        """The canonical member of ``arch``'s class, in the standard 28-node layout.

        Per cell, over every renumbering of the 4 intermediate nodes that keeps each source before
        its node (at most 24), the two pairs of each node are sorted by source and the
        lexicographically smallest list of ``(source, op_index)`` pairs is kept.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a DARTS architecture.
        """
        normal, reduce = self._decode(arch)
        return _build((_canonical_cell(normal), _canonical_cell(reduce)))

    def key(self, arch: Architecture) -> str:
        """Equal for two architectures exactly when they are the same network (isomorphic graphs)."""
        return serialize(self.canonical(arch))

    # -- encodings ----------------------------------------------------------------------------
    @property
    def encoding_dim(self) -> int:
        return _ENCODING_DIM

    def encode_one(self, arch: Architecture) -> np.ndarray:
        """The positional encoding of the canonical genotype (a ``168``-vector of ``float64``).

        Layout: the normal cell (84 entries), then the reduction cell (84). A cell is its 8 pairs in
        canonical order; pair ``i`` (of intermediate node ``k = i // 2``) is a one-hot operation
        (7 entries, :data:`DARTS_OPS` order) followed by a one-hot source among its ``2 + k``
        possible sources, so a cell takes ``8 * 7 + 2 * (2 + 3 + 4 + 5) = 84`` entries.
        """
        normal, reduce = self._decode(arch)
        vec = np.zeros(_ENCODING_DIM)
        pos = 0
        for cell in (_canonical_cell(normal), _canonical_cell(reduce)):
            for slot, (source, op) in enumerate(cell):
                vec[pos + op] = 1.0
                pos += len(DARTS_OPS)
                vec[pos + source] = 1.0
                pos += 2 + slot // 2
        return vec

    def to_graph(self, arch: Architecture) -> Data:
        """The 28-node graph as PyG ``Data`` (``x``: ``28 x 12``, ``edge_index``: ``2 x 40``).

        Raises:
            InvalidArchitectureError: If ``arch`` is not a DARTS architecture.
        """
        self.validate(arch)
        return super().to_graph(arch)

    # -- conversions --------------------------------------------------------------------------
    def from_genotype(self, normal: Sequence[Sequence[Any]], reduce: Sequence[Sequence[Any]]) -> Architecture:
        """Build an architecture from a DARTS genotype.

        Args:
            normal: The normal cell: 8 ``(op_name, source)`` pairs; pairs ``2k`` and ``2k + 1`` feed
                intermediate node ``k`` and need two distinct sources in ``0..k+1``.
            reduce: The reduction cell, in the same form.

        Raises:
            InvalidArchitectureError: If a cell is malformed (the message says where and why).
        """
        cells = (
            self._parse_cell(normal, 0, genotype=True),
            self._parse_cell(reduce, 1, genotype=True),
        )
        return _build(cells)

    def to_genotype(self, arch: Architecture) -> tuple[Genotype, Genotype]:
        """The DARTS genotype ``(normal, reduce)`` of ``arch``, pairs in the architecture's own order.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a DARTS architecture.
        """
        normal, reduce = self._decode(arch)
        return ([(DARTS_OPS[o], s) for s, o in normal], [(DARTS_OPS[o], s) for s, o in reduce])

    def from_compact(self, compact: Sequence[Sequence[Sequence[int]]] | str) -> Architecture:
        """Build an architecture from NASLib's compact DARTS form.

        Args:
            compact: ``[normal, reduce]``, each 8 ``(source, op_index)`` pairs with op indices into
                :data:`DARTS_OPS`, or the same as a string such as ``'[[(0, 0), (1, 5), ...], [...]]'``
                (NAS-Bench-301 data keys).

        Raises:
            InvalidArchitectureError: If ``compact`` is malformed.
        """
        example = "[[(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)], [...8 pairs...]]"
        if isinstance(compact, str):
            try:
                compact = ast.literal_eval(compact.strip())
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
                raise InvalidArchitectureError(
                    f"Could not parse the compact DARTS string {compact!r}: {exc}. Expected e.g. {example!r}."
                ) from None
        if isinstance(compact, (str, bytes)) or not isinstance(compact, Sequence) or len(compact) != 2:
            raise InvalidArchitectureError(
                f"A compact DARTS architecture is [normal, reduce] (two cells), got {compact!r}. "
                f"Expected e.g. {example}."
            )
        normal = self._parse_cell(compact[0], 0, genotype=False)
        return _build((normal, self._parse_cell(compact[1], 1, genotype=False)))

    def to_compact(self, arch: Architecture) -> Compact:
        """NASLib's compact form ``[[(source, op_index) x 8], [(source, op_index) x 8]]`` of ``arch``.

        ``str(space.to_compact(arch))`` is the NAS-Bench-301 / NASLib data key.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a DARTS architecture.
        """
        normal, reduce = self._decode(arch)
        return [list(normal), list(reduce)]

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _parse_cell(cell: Any, index: int, genotype: bool) -> _Cell:
        name = _CELL_NAMES[index]
        form = "(op_name, source)" if genotype else "(source, op_index)"
        if isinstance(cell, (str, bytes)) or not isinstance(cell, Sequence):
            raise InvalidArchitectureError(
                f"The {name} cell must be a list of {_NUM_SLOTS} {form} pairs, got {type(cell).__name__} {cell!r}."
            )
        if len(cell) != _NUM_SLOTS:
            raise InvalidArchitectureError(
                f"The {name} cell must have {_NUM_SLOTS} {form} pairs (2 per intermediate node), got "
                f"{len(cell)}: {list(cell)!r}."
            )
        pairs: list[tuple[int, int]] = []
        for slot, pair in enumerate(cell):
            k = slot // 2
            where = f"Pair {slot} of the {name} cell (input {slot % 2} of intermediate node {k})"
            if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise InvalidArchitectureError(f"{where} must be a {form} pair, got {pair!r}.")
            if genotype:
                op_name, source = pair
                if not isinstance(op_name, str) or op_name not in DARTS_OPS:
                    hint = " ('none' is a DARTS supernet op but never part of a genotype)" if op_name == "none" else ""
                    raise InvalidArchitectureError(
                        f"{where} has unknown operation {op_name!r}{hint}; expected one of {list(DARTS_OPS)}."
                    )
                op = DARTS_OPS.index(op_name)
            else:
                source, op = pair
                if not _is_int(op) or not 0 <= int(op) < len(DARTS_OPS):
                    raise InvalidArchitectureError(
                        f"{where} has op index {op!r}; expected an int in 0..{len(DARTS_OPS) - 1} "
                        f"({', '.join(f'{i} {o}' for i, o in enumerate(DARTS_OPS))})."
                    )
            if not _is_int(source) or not 0 <= int(source) < 2 + k:
                raise InvalidArchitectureError(
                    f"{where} has source {source!r}; expected an int in 0..{1 + k} (0 = c_{{k-2}}, 1 = c_{{k-1}}, "
                    f"2 + j = intermediate node j < {k})."
                )
            pairs.append((int(source), int(op)))
        for k in range(_NUM_INTERMEDIATE):
            if pairs[2 * k][0] == pairs[2 * k + 1][0]:
                raise InvalidArchitectureError(
                    f"Both inputs of intermediate node {k} of the {name} cell (pairs {2 * k} and {2 * k + 1}) come "
                    f"from source {pairs[2 * k][0]}; DARTS picks two distinct predecessors per node."
                )
        return tuple(pairs)

    # -- networks and generator ---------------------------------------------------------------
    def build_network(self, arch: Architecture, **options: Any) -> nn.Module:
        """A :class:`~agnet_bo.networks.DARTSNetwork`: ``channels=36``, ``layers=20``,
        ``num_classes=10``, ``in_channels=3``, ``stem_multiplier=3``, ``drop_path_prob=0.0``
        (DARTS's evaluation network by default)."""
        return _make_network(_networks().DARTSNetwork, self, arch, options)

    def default_network_options(self) -> dict[str, Any]:
        """4 channels, 3 layers (a normal and two reduction cells), stem multiplier 1."""
        return {"channels": 4, "layers": 3, "stem_multiplier": 1}

    @property
    def pretrained_generator_name(self) -> str:
        return "darts"

    def __repr__(self) -> str:
        return "DARTSSpace()"
