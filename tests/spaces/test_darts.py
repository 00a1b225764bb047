import ast
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agnet_bo import Architecture, _graph
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.spaces import DARTSSpace
from agnet_bo.spaces.darts import DARTS_OPS, _canonical_cell, _count_cell_classes
from agnet_bo.testing import SearchSpaceTests

DATA = Path(__file__).resolve().parents[1] / "data" / "nb301_subset.json"
NB301 = json.loads(DATA.read_text())["cifar10"]

# DARTS (second order) from the DARTS paper.
DARTS_V2_NORMAL = [
    ("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
    ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2),
]  # fmt: skip
DARTS_V2_REDUCE = [
    ("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
    ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1),
]  # fmt: skip


class TestDARTSConformance(SearchSpaceTests):
    def make_space(self):
        return DARTSSpace()


@pytest.fixture(scope="module")
def space():
    return DARTSSpace()


# -- helpers (written independently of the module under test) ------------------------------------
def random_cell(rng, num_ops=7):
    """8 (source, op_index) pairs: distinct sources per node, uniform ops."""
    cell = []
    for k in range(4):
        a, b = rng.choice(2 + k, size=2, replace=False)
        cell += [(int(a), int(rng.integers(num_ops))), (int(b), int(rng.integers(num_ops)))]
    return cell


def random_valid_order(cell, rng):
    """A random order of the 4 intermediate nodes in which every source comes before its node."""
    deps = [{s - 2 for s, _ in cell[2 * k : 2 * k + 2] if s >= 2} for k in range(4)]
    order, placed = [], set()
    while len(order) < 4:
        ready = [k for k in range(4) if k not in placed and deps[k] <= placed]
        k = int(rng.choice(ready))
        order.append(k)
        placed.add(k)
    return order


def renumber(cell, order, swap=(False,) * 4):
    """Place old node order[p] at position p, relabel sources, optionally swap a node's two pairs."""
    new_index = {old: p for p, old in enumerate(order)}
    out = []
    for p, old in enumerate(order):
        pairs = [(s if s < 2 else 2 + new_index[s - 2], op) for s, op in cell[2 * old : 2 * old + 2]]
        out += pairs[::-1] if swap[p] else pairs
    return out


def graph_form(arch):
    perm = _graph.canonical_order(arch.ops, arch.adjacency)
    ops, adj = _graph.permute(arch.ops, arch.adjacency, perm)
    return ops, np.asarray(adj).tobytes()


def edited(arch, ops=None, add=(), remove=()):
    """A copy of ``arch`` with some labels replaced and edges added / removed."""
    new_ops = list(arch.ops)
    for v, label in (ops or {}).items():
        new_ops[v] = label
    adj = arch.adjacency.copy()
    for u, v in add:
        adj[u, v] = 1
    for u, v in remove:
        adj[u, v] = 0
    return Architecture(new_ops, adj)


# -- real NAS-Bench-301 genotypes -------------------------------------------------------------------
def test_all_725_real_genotypes_round_trip(space):
    keys = set()
    for compact_str, acc in NB301.items():
        arch = space.from_compact(compact_str)
        space.validate(arch)
        assert arch.num_nodes == 28 and arch.num_edges == 40
        compact = space.to_compact(arch)
        assert str(compact) == compact_str
        assert compact == [list(cell) for cell in ast.literal_eval(compact_str)]
        assert space.from_compact(compact) == arch
        normal, reduce = space.to_genotype(arch)
        assert space.from_genotype(normal, reduce) == arch
        assert 91.0 < acc < 95.0
        keys.add(space.key(arch))
    # The 725 trained architectures are 725 distinct networks (checked: no true duplicates).
    assert len(NB301) == 725
    assert len(keys) == 725


def test_real_genotypes_are_distinct_under_graph_isomorphism_too(space):
    forms = {graph_form(space.from_compact(s)) for s in NB301}
    assert len(forms) == 725


def test_darts_v2_genotype(space):
    arch = space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE)
    assert space.to_genotype(arch) == (DARTS_V2_NORMAL, DARTS_V2_REDUCE)
    assert arch.ops[:5] == ("input", "input_1", "sep_conv_3x3", "sep_conv_3x3", "add")
    # Intermediate node 3 of the normal cell: skip_connect from c_{k-2} (node 0), dil_conv_3x3 from
    # intermediate node 0 (its add node is node 4); both feed add node 13.
    assert arch.ops[11:14] == ("skip_connect", "dil_conv_3x3", "add")
    assert arch.adjacency[0, 11] and arch.adjacency[4, 12]
    assert arch.adjacency[11, 13] and arch.adjacency[12, 13] and arch.adjacency[13, 14]
    # The reduction cell reads c_{k-2} = node 1 and c_{k-1} = node 14 (the normal cell's output).
    assert arch.adjacency[1, 15] and arch.adjacency[14, 16]
    assert arch.ops[14] == "normal_output" and arch.ops[27] == "output"


def test_compact_and_genotype_forms_agree(space):
    compact = [[(s, DARTS_OPS.index(op)) for op, s in cell] for cell in (DARTS_V2_NORMAL, DARTS_V2_REDUCE)]
    a = space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE)
    assert space.from_compact(compact) == a
    assert space.from_compact(str(compact)) == a
    assert space.from_compact(tuple(tuple(c) for c in compact)) == a
    assert space.to_compact(a) == compact


def test_genotype_round_trip_of_samples(space):
    for arch in space.sample(50, seed=3):
        normal, reduce = space.to_genotype(arch)
        assert len(normal) == len(reduce) == 8
        assert space.from_genotype(normal, reduce) == arch
        assert space.from_compact(space.to_compact(arch)) == arch


# -- identity -----------------------------------------------------------------------------------------
def test_swapped_pairs_and_renumbered_nodes_give_equal_keys(space):
    rng = np.random.default_rng(0)
    n_nontrivial = 0
    for _ in range(100):
        cells = [random_cell(rng), random_cell(rng)]
        arch = space.from_compact(cells)
        variants = [
            renumber(c, random_valid_order(c, rng), tuple(bool(x) for x in rng.integers(2, size=4))) for c in cells
        ]
        other = space.from_compact(variants)
        n_nontrivial += other != arch
        assert space.key(other) == space.key(arch)
        assert space.canonical(other) == space.canonical(arch)
        assert torch.equal(space.encode(other), space.encode(arch))
    assert n_nontrivial > 90


def test_swapping_one_pair_gives_equal_key(space):
    swapped = [DARTS_V2_NORMAL[1], DARTS_V2_NORMAL[0], *DARTS_V2_NORMAL[2:]]
    a = space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE)
    b = space.from_genotype(swapped, DARTS_V2_REDUCE)
    assert a != b and space.key(a) == space.key(b)


def test_independent_nodes_can_be_renumbered(space):
    # Nodes 0 and 1 only read the cell inputs, so exchanging them is the same network.
    normal = [("sep_conv_3x3", 0), ("skip_connect", 1), ("max_pool_3x3", 0), ("dil_conv_5x5", 1),
              ("sep_conv_5x5", 2), ("avg_pool_3x3", 3), ("sep_conv_3x3", 4), ("skip_connect", 1)]  # fmt: skip
    renumbered = [("max_pool_3x3", 0), ("dil_conv_5x5", 1), ("sep_conv_3x3", 0), ("skip_connect", 1),
                  ("sep_conv_5x5", 3), ("avg_pool_3x3", 2), ("sep_conv_3x3", 4), ("skip_connect", 1)]  # fmt: skip
    a = space.from_genotype(normal, DARTS_V2_REDUCE)
    b = space.from_genotype(renumbered, DARTS_V2_REDUCE)
    assert space.key(a) == space.key(b)
    # ...but the same ops wired differently are not.
    rewired = renumbered[:4] + [("sep_conv_5x5", 3), ("avg_pool_3x3", 0)] + renumbered[6:]
    assert space.key(space.from_genotype(rewired, DARTS_V2_REDUCE)) != space.key(a)


def test_normal_and_reduction_cells_are_not_interchangeable(space):
    a = space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE)
    b = space.from_genotype(DARTS_V2_REDUCE, DARTS_V2_NORMAL)
    assert space.key(a) != space.key(b)


def test_changing_one_op_changes_the_key(space):
    rng = np.random.default_rng(1)
    for arch in space.sample(40, seed=1):
        cell, slot = int(rng.integers(2)), int(rng.integers(8))
        compact = space.to_compact(arch)
        s, op = compact[cell][slot]
        compact[cell][slot] = (s, (op + 1 + int(rng.integers(6))) % 7)
        other = space.from_compact(compact)
        assert space.key(other) != space.key(arch)


def test_canonical_is_idempotent_and_valid(space):
    for arch in space.sample(30, seed=2):
        can = space.canonical(arch)
        space.validate(can)
        assert space.canonical(can) == can
        assert space.key(can) == space.key(arch)


def test_key_agrees_with_graph_isomorphism(space):
    # A pool rich in equal networks: few ops (so unrelated draws collide), renumbered copies, and
    # copies with one op or one source changed (near misses).
    rng = np.random.default_rng(7)
    fixed_reduce = random_cell(rng, num_ops=1)
    pool = []
    for i in range(120):
        num_ops = 1 if i % 3 == 0 else 2
        normal = random_cell(rng, num_ops)
        reduce = fixed_reduce if i % 2 == 0 else random_cell(rng, 1)
        pool.append(space.from_compact([normal, reduce]))
        twin = [renumber(c, random_valid_order(c, rng), tuple(bool(x) for x in rng.integers(2, size=4)))
                for c in (normal, reduce)]  # fmt: skip
        pool.append(space.from_compact(twin))
        near = [list(twin[0]), list(twin[1])]
        slot = int(rng.integers(8))
        s, op = near[0][slot]
        if i % 2:
            near[0][slot] = (s, 1 - op if num_ops == 2 else op)
        else:  # move the pair to another source, if the node has one free
            k = slot // 2
            partner = near[0][slot ^ 1][0]
            free = [x for x in range(2 + k) if x not in (s, partner)]
            if free:
                near[0][slot] = (int(rng.choice(free)), op)
        pool.append(space.from_compact(near))
    keys = [space.key(a) for a in pool]
    forms = [graph_form(a) for a in pool]
    equal_pairs = 0
    for i, j in itertools.combinations(range(len(pool)), 2):
        same_key = keys[i] == keys[j]
        assert same_key == (forms[i] == forms[j]), (pool[i], pool[j])
        equal_pairs += same_key and pool[i] != pool[j]
    assert equal_pairs > 150


def test_size_counts_the_distinct_cells(space):
    # Burnside's count against brute force: 1 op (checked with graph isomorphism) and 2 ops
    # (all 180 * 2**8 cells through the canonical form).
    topologies = list(itertools.product(*[list(itertools.combinations(range(2 + k), 2)) for k in range(4)]))
    assert len(topologies) == 180
    reduce = [(0, 0), (1, 0), (0, 0), (2, 0), (1, 0), (3, 0), (2, 0), (4, 0)]
    single = {graph_form(space.from_compact([[(s, 0) for pair in t for s in pair], reduce])) for t in topologies}
    assert len(single) == _count_cell_classes(1) == 79
    two = {
        _canonical_cell(tuple((t[i // 2][i % 2], ops[i]) for i in range(8)))
        for t in topologies
        for ops in itertools.product(range(2), repeat=8)
    }
    assert len(two) == _count_cell_classes(2) == 17531
    assert space.size == _count_cell_classes(7) ** 2 == 382_128_166**2


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_key_is_invariant_to_renumbering_property(space, seed):
    rng = np.random.default_rng(seed)
    cells = [random_cell(rng), random_cell(rng)]
    other = [renumber(c, random_valid_order(c, rng), tuple(bool(x) for x in rng.integers(2, size=4))) for c in cells]
    assert space.key(space.from_compact(cells)) == space.key(space.from_compact(other))


# -- sampling -----------------------------------------------------------------------------------------
def test_samples_are_valid_and_distinct(space):
    archs = space.sample(200, seed=0)
    assert len(archs) == 200
    for a in archs:
        space.validate(a)
        assert a.num_nodes == 28 and a.num_edges == space.max_edges == 40
    assert len({space.key(a) for a in archs}) == 200


def test_sample_is_deterministic_by_seed(space):
    assert space.sample(20, seed=5) == space.sample(20, seed=5)
    assert space.sample(20, seed=5) != space.sample(20, seed=6)
    assert space.sample(20, seed=np.random.default_rng(5)) == space.sample(20, seed=np.random.default_rng(5))
    assert space.sample(0, seed=0) == []


def test_sample_draws_every_source_and_op(space):
    counts = np.zeros((2, 8, 5), dtype=int)
    ops = np.zeros(7, dtype=int)
    for a in space.sample(400, seed=11):
        for c, cell in enumerate(space.to_compact(a)):
            for slot, (s, op) in enumerate(cell):
                counts[c, slot, s] += 1
                ops[op] += 1
    for slot in range(8):
        n_src = 2 + slot // 2
        assert (counts[:, slot, :n_src] > 0).all() and (counts[:, slot, n_src:] == 0).all()
    assert (ops > 400 * 16 / 7 * 0.8).all()


@pytest.mark.parametrize("n", [-1, 1.5, True, "3"])
def test_sample_rejects_bad_counts(space, n):
    with pytest.raises(InputError, match="non-negative integer"):
        space.sample(n, seed=0)


# -- structure, encodings, graphs -----------------------------------------------------------------
def test_structure(space):
    types = space.node_types
    assert types[0] == "input" and types[-1] == "output"
    assert types == ("input", "input_1", *DARTS_OPS, "add", "normal_output", "output")
    assert space.max_nodes == space.min_nodes == 28
    assert space.fixed_adjacency is None
    assert space.encoding_dim == 168
    assert repr(space) == "DARTSSpace()"


def test_masks_are_consistent_with_samples_and_tight(space):
    tmask, emask = space.node_type_mask(), space.edge_mask()
    assert tmask.shape == (28, 12) and tmask.dtype == bool
    assert emask.shape == (28, 28) and emask.dtype == bool and not np.tril(emask).any()
    types = space.node_types
    seen_types = np.zeros_like(tmask)
    seen_edges = np.zeros_like(emask)
    for a in space.sample(300, seed=4):
        for t, op in enumerate(a.ops):
            seen_types[t, types.index(op)] = True
        seen_edges |= a.adjacency.astype(bool)
    assert not (seen_types & ~tmask).any() and not (seen_edges & ~emask).any()
    # Every allowed label and edge does occur.
    assert np.array_equal(seen_types, tmask) and np.array_equal(seen_edges, emask)
    # Op positions allow exactly the 7 ops; the other 12 positions are fixed.
    assert sorted(tmask.sum(axis=1).tolist()) == [1] * 12 + [7] * 16
    # 16 op nodes x (one out-edge) + 8 add -> concat + sources: 2 + 2 + 3 + 3 + 4 + 4 + 5 + 5 per cell.
    assert emask.sum() == 16 + 8 + 2 * 28


def test_encode(space):
    archs = space.sample(25, seed=8)
    X = space.encode(archs)
    assert X.shape == (25, 168) and X.dtype == torch.float64
    assert torch.all((X == 0) | (X == 1))
    assert torch.all(X.sum(dim=1) == 32)  # one op and one source per pair, 16 pairs
    row = space.encode_one(archs[0])
    assert isinstance(row, np.ndarray) and row.dtype == np.float64 and row.shape == (168,)
    assert space.encode(archs[0]).shape == (1, 168)
    real = space.encode([space.from_compact(s) for s in list(NB301)[:200]])
    assert len({tuple(r.tolist()) for r in real}) == 200


def test_encode_layout(space):
    x = space.encode_one(space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE))
    # The smallest renumbering puts DARTS' node 2 {skip_connect <- 0, sep_conv_3x3 <- 1} first, then
    # node 0, then node 3 (which reads node 0, now number 3), then node 1.
    can = space.canonical(space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE))
    assert space.to_compact(can)[0] == [(0, 2), (1, 3), (0, 3), (1, 3), (0, 2), (3, 5), (0, 3), (1, 3)]
    assert x[:9].tolist() == [0, 0, 1, 0, 0, 0, 0, 1, 0]  # skip_connect, source 0 of {0, 1}
    assert x[9:18].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 1]  # sep_conv_3x3, source 1 of {0, 1}
    # Pair 5 (of node 2) starts at 9 + 9 + 10 + 10 + 11 = 49 and has 7 + 4 entries.
    assert x[49:60].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]  # dil_conv_3x3, source 3 of {0, 1, 2, 3}
    assert x[84:].sum() == 16


def test_to_graph(space):
    a = space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE)
    g = space.to_graph(a)
    assert g.x.shape == (28, 12) and g.x.dtype == torch.float32
    assert g.edge_index.shape == (2, 40) and g.edge_index.dtype == torch.long
    assert g.num_nodes == 28
    assert g.validate(raise_on_error=True)
    assert torch.equal(g.x.argmax(dim=1), torch.tensor([space.node_types.index(op) for op in a.ops]))


# -- errors ---------------------------------------------------------------------------------------------
def test_bad_op_name(space):
    bad = [("conv_3x3", 0), *DARTS_V2_NORMAL[1:]]
    with pytest.raises(InvalidArchitectureError, match=r"Pair 0 of the normal cell .* unknown operation 'conv_3x3'"):
        space.from_genotype(bad, DARTS_V2_REDUCE)
    with pytest.raises(InvalidArchitectureError, match="never part of a genotype"):
        space.from_genotype(DARTS_V2_NORMAL, [("none", 0), *DARTS_V2_REDUCE[1:]])


def test_wrong_number_of_pairs(space):
    with pytest.raises(InvalidArchitectureError, match="must have 8 .* pairs .* got 7"):
        space.from_genotype(DARTS_V2_NORMAL[:7], DARTS_V2_REDUCE)
    with pytest.raises(InvalidArchitectureError, match="reduction cell must have 8"):
        space.from_compact([[(0, 0), (1, 0)] * 4, [(0, 0), (1, 0)] * 5])
    with pytest.raises(InvalidArchitectureError, match=r"\[normal, reduce\]"):
        space.from_compact([[(0, 0), (1, 0)] * 4])
    with pytest.raises(InvalidArchitectureError, match="must be a .* pair"):
        space.from_genotype([("sep_conv_3x3", 0, 1), *DARTS_V2_NORMAL[1:]], DARTS_V2_REDUCE)
    with pytest.raises(InvalidArchitectureError, match="list of 8"):
        space.from_genotype("sep_conv_3x3", DARTS_V2_REDUCE)


def test_repeated_source(space):
    bad = [("sep_conv_3x3", 1), *DARTS_V2_NORMAL[1:]]
    with pytest.raises(InvalidArchitectureError, match="intermediate node 0 of the normal cell .* distinct"):
        space.from_genotype(bad, DARTS_V2_REDUCE)


def test_source_out_of_range(space):
    bad = [*DARTS_V2_NORMAL[:2], ("sep_conv_3x3", 3), *DARTS_V2_NORMAL[3:]]
    message = r"Pair 2 .* intermediate node 1.* source 3; expected an int in 0..2"
    with pytest.raises(InvalidArchitectureError, match=message):
        space.from_genotype(bad, DARTS_V2_REDUCE)
    with pytest.raises(InvalidArchitectureError, match="source -1"):
        space.from_genotype([("sep_conv_3x3", -1), *DARTS_V2_NORMAL[1:]], DARTS_V2_REDUCE)
    with pytest.raises(InvalidArchitectureError, match="source True"):
        space.from_genotype([("sep_conv_3x3", True), *DARTS_V2_NORMAL[1:]], DARTS_V2_REDUCE)


def test_bad_compact(space):
    good = str([[(0, 3), (1, 3)] * 4, [(0, 0), (1, 0)] * 4])
    assert space.is_valid(space.from_compact(good))
    with pytest.raises(InvalidArchitectureError, match="op index 7; expected an int in 0..6"):
        space.from_compact([[(0, 7), (1, 3)] * 4, [(0, 0), (1, 0)] * 4])
    with pytest.raises(InvalidArchitectureError, match="Could not parse"):
        space.from_compact(good[:-3])
    with pytest.raises(InvalidArchitectureError, match="Could not parse"):
        space.from_compact("__import__('os')")


def test_non_darts_architectures_are_rejected(space):
    a = space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE)
    cases = [
        (Architecture(["input", "sep_conv_3x3", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]]), "has 28 nodes"),
        (edited(a, ops={14: "add"}), "node 14 must be 'normal_output' but is 'add'"),
        (edited(a, ops={1: "sep_conv_3x3"}), "node 1 must be 'input_1'"),
        (edited(a, ops={2: "conv_3x3"}), "Node 2 .* must be labelled by a DARTS operation"),
        (edited(a, add=[(1, 2)]), r"Node 2 .* exactly one incoming edge .* got 2"),
        (edited(a, remove=[(0, 2)]), r"Node 2 .* exactly one incoming edge .* got 0"),
        # A reduction op node fed by a normal intermediate node (node 4).
        (edited(a, add=[(4, 15)], remove=[(1, 15)]), "Node 15 .* receives from node 4 .* not one of its possible"),
        # Both op nodes of normal intermediate node 0 read c_{k-2}.
        (edited(a, add=[(0, 3)], remove=[(1, 3)]), "normal cell come from source 0 .* distinct"),
        (edited(a, add=[(2, 14)]), r"unexpected edge\(s\) 2->14"),
        (edited(a, remove=[(4, 14)]), r"missing edge\(s\) 4->14"),
    ]
    for arch, message in cases:
        assert not space.is_valid(arch)
        with pytest.raises(InvalidArchitectureError, match=message):
            space.validate(arch)
        with pytest.raises(InvalidArchitectureError):
            space.key(arch)
        with pytest.raises(InvalidArchitectureError):
            space.encode(arch)
        with pytest.raises(InvalidArchitectureError):
            space.to_graph(arch)
    with pytest.raises(InputError, match="Expected an agnet_bo.Architecture"):
        space.validate("not an arch")


def test_import_path():
    import agnet_bo.spaces

    assert agnet_bo.spaces.DARTSSpace is DARTSSpace
