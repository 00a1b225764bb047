import numpy as np
import pytest
import torch

from agnet_bo import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, SamplingError
from agnet_bo.spaces import DAGSpace
from agnet_bo.testing import SearchSpaceTests


class TestFreeCellSpace(SearchSpaceTests):
    def make_space(self):
        return DAGSpace(ops=["conv3x3", "conv1x1", "pool"], num_nodes=(3, 6), max_edges=8)


class TestChainSpace(SearchSpaceTests):
    def make_space(self):
        return DAGSpace.chain(["mbconv3", "mbconv6", "skip"], num_layers=5)


class TestConstrainedSpace(SearchSpaceTests):
    def make_space(self):
        return DAGSpace(ops=["a", "b"], num_nodes=5, constraint=lambda arch: arch.ops.count("a") <= 1)


class TestSymmetricFixedSpace(SearchSpaceTests):
    """A fixed skeleton with a non-trivial automorphism (two parallel branches): 6 networks."""

    n = 6

    def make_space(self):
        adj = np.zeros((4, 4), dtype=np.uint8)
        adj[0, 1] = adj[0, 2] = adj[1, 3] = adj[2, 3] = 1
        return DAGSpace(ops=["a", "b", "c"], num_nodes=4, fixed_adjacency=adj)


def test_chain_layer_wise_space():
    space = DAGSpace.chain(["mbconv3", "mbconv6", "skip"], num_layers=5)
    assert space.size == 3**5
    assert space.fixed_adjacency is not None
    archs = space.sample(space.size, seed=0)
    assert len({space.key(a) for a in archs}) == 243
    x = space.encode(archs)
    assert x.shape == (243, 15)
    assert torch.equal(x.sum(dim=1), torch.full((243,), 5.0, dtype=torch.float64))
    with pytest.raises(InputError, match="only 243"):
        space.sample(244, seed=0)


def test_symmetric_fixed_skeleton_merges_mirror_images():
    adj = np.zeros((4, 4), dtype=np.uint8)
    adj[0, 1] = adj[0, 2] = adj[1, 3] = adj[2, 3] = 1
    space = DAGSpace(ops=["a", "b", "c"], num_nodes=4, fixed_adjacency=adj)
    ab = Architecture(["input", "a", "b", "output"], adj)
    ba = Architecture(["input", "b", "a", "output"], adj)
    assert space.key(ab) == space.key(ba)
    assert torch.equal(space.encode(ab), space.encode(ba))
    assert space.size == 6  # not 3**2: mirror images merge (counted by listing the space)
    # 3 same-op pairs + 3 unordered pairs of different ops
    assert len(space.sample(6, seed=0)) == 6
    with pytest.raises(InputError, match="the space has only 6"):
        space.sample(7, seed=0)


def test_free_space_prunes_dead_nodes_and_keys_are_isomorphism_aware():
    space = DAGSpace(ops=["a", "b"], num_nodes=(2, 6), max_edges=7)
    # node 2 ("b") is a dead end: pruned away
    arch = Architecture.from_edges(["input", "a", "b", "output"], [(0, 1), (1, 3), (0, 2)])
    pruned = space.prune(arch)
    assert pruned.ops == ("input", "a", "output")
    assert space.key(arch) == space.key(pruned)
    assert space.is_valid(arch)
    # the same two parallel branches listed in the other order
    x = Architecture.from_edges(["input", "a", "b", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    y = Architecture.from_edges(["input", "b", "a", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    z = Architecture.from_edges(["input", "a", "b", "output"], [(0, 1), (1, 2), (2, 3)])
    assert space.key(x) == space.key(y) != space.key(z)


def test_limits_are_enforced():
    space = DAGSpace(ops=["a"], num_nodes=(4, 5), max_edges=4)
    small = Architecture.from_edges(["input", "a", "output"], [(0, 1), (1, 2)])
    with pytest.raises(InvalidArchitectureError, match="at least 4 nodes"):
        space.validate(small)
    dense = Architecture.from_edges(["input", "a", "a", "output"], [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)])
    with pytest.raises(InvalidArchitectureError, match="at most 4 edges"):
        space.validate(dense)
    big = Architecture(["input"] + ["a"] * 5 + ["output"], np.eye(7, k=1))
    with pytest.raises(InvalidArchitectureError, match="at most 5 nodes"):
        space.validate(big)
    cut = Architecture(["input", "a", "output"], np.zeros((3, 3)))
    with pytest.raises(InvalidArchitectureError, match="cannot be reached"):
        space.validate(cut)
    alien = Architecture.from_edges(["input", "zzz", "a", "output"], [(0, 1), (1, 2), (2, 3)])
    with pytest.raises(InvalidArchitectureError, match="Unknown operation"):
        space.validate(alien)


def test_constraint_is_applied_to_samples_and_validation():
    space = DAGSpace(ops=["a", "b"], num_nodes=5, constraint=lambda arch: "a" not in arch.ops)
    archs = space.sample(5, seed=3)
    assert all("a" not in arch.ops for arch in archs)
    bad = Architecture(["input", "a", "b", "b", "output"], np.eye(5, k=1))
    with pytest.raises(InvalidArchitectureError, match="constraint"):
        space.validate(bad)


def test_impossible_constraint_raises_sampling_error():
    space = DAGSpace(ops=["a"], num_nodes=4, constraint=lambda arch: False)
    with pytest.raises(SamplingError, match="constraint"):
        space.sample(1, seed=0)


def test_fixed_adjacency_rejects_other_graphs():
    space = DAGSpace.chain(["a", "b"], num_layers=2)
    other = Architecture.from_edges(["input", "a", "b", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    with pytest.raises(InvalidArchitectureError, match="fixed adjacency"):
        space.validate(other)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(ops=[], num_nodes=3), "non-empty"),
        (dict(ops="abc", num_nodes=3), "non-empty sequence"),
        (dict(ops=["a", "a"], num_nodes=3), "duplicates"),
        (dict(ops=["input", "a"], num_nodes=3), "reserved"),
        (dict(ops=["a"], num_nodes=1), "2 <= min"),
        (dict(ops=["a"], num_nodes=(5, 3)), "2 <= min"),
        (dict(ops=["a"], num_nodes="7"), "int or a"),
        (dict(ops=["a"], num_nodes=3, max_edges=0), "max_edges"),
        (dict(ops=["a"], num_nodes=(3, 4), fixed_adjacency=np.eye(4, k=1)), "fixed number"),
        (dict(ops=["a"], num_nodes=4, fixed_adjacency=np.eye(3, k=1)), "4 x 4"),
        (dict(ops=["a"], num_nodes=3, fixed_adjacency=np.eye(3, k=-1)), "not a valid DAG"),
        (dict(ops=["a"], num_nodes=4, fixed_adjacency=np.array([[0, 1, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])), "path"),
        (dict(ops=["a"], num_nodes=3, constraint="no"), "callable"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(InputError, match=match):
        DAGSpace(**kwargs)


def test_bad_sample_arguments():
    space = DAGSpace(ops=["a"], num_nodes=3)
    with pytest.raises(InputError, match="non-negative"):
        space.sample(-2)
    with pytest.raises(InputError, match="non-negative"):
        space.sample(2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="seed"):
        space.sample(1, seed="zero")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="Architecture"):
        space.key("input->a->output")  # type: ignore[arg-type]


def test_encoding_layout_free_space():
    space = DAGSpace(ops=["a", "b"], num_nodes=(2, 4))
    arch = Architecture.from_edges(["input", "b", "output"], [(0, 1), (1, 2), (0, 2)])
    x = space.encode(arch)[0]
    # 2 hidden slots x 2 ops, then 6 adjacency pairs of the 4 padded slots
    assert space.encoding_dim == 2 * 2 + 6
    assert x[:4].tolist() == [0, 1, 0, 0]
    # slots: input 0, hidden 1, (empty 2), output 3 -> pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    assert x[4:].tolist() == [1, 0, 1, 0, 1, 0]


def test_generator_masks():
    space = DAGSpace(ops=["a", "b"], num_nodes=(3, 5))
    m = space.node_type_mask()
    types = space.node_types
    assert m[0].tolist() == [t == "input" for t in types]
    assert not m[1, types.index("output")] and m[2, types.index("output")]
    assert m[4].tolist() == [t == "output" for t in types]
    assert space.edge_mask().sum() == 10
    chain = DAGSpace.chain(["a"], num_layers=2)
    assert np.array_equal(chain.edge_mask(), np.eye(4, k=1, dtype=bool))


# -- structure used while sampling (issue 24) -----------------------------------------------------
class TestTreeSpace(SearchSpaceTests):
    """Every hidden node reads exactly one earlier node; the output reads exactly the leaves."""

    def make_space(self):
        return DAGSpace(ops=["conv", "pool", "skip"], num_nodes=(3, 6), in_degree=1, output_reads="leaves")


class TestTwoInputCellSpace(SearchSpaceTests):
    def make_space(self):
        return DAGSpace(ops=["sep3", "sep5", "skip"], num_nodes=7, in_degree=2, output_reads="leaves")


class TestBoundedInDegreeSpace(SearchSpaceTests):
    """One or two inputs per node, a free output: draws may have dead nodes, which are pruned."""

    def make_space(self):
        return DAGSpace(ops=["a", "b", "c"], num_nodes=(3, 7), in_degree=(1, 2))


class TestSamplerSpace(SearchSpaceTests):
    def make_space(self):
        def chain_with_skip(rng):
            n = 6
            adj = np.eye(n, k=1, dtype=np.uint8)
            adj[0, int(rng.integers(2, n))] = 1
            ops = ["input", *(str(o) for o in rng.choice(["a", "b"], size=n - 2)), "output"]
            return Architecture(ops, adj)

        return DAGSpace(ops=["a", "b"], num_nodes=6, sampler=chain_with_skip, name="skip-chains")


def _is_tree(arch):
    adj = arch.adjacency
    m = arch.num_nodes
    leaves = adj[: m - 1, 1 : m - 1].sum(axis=1) == 0
    return all(adj[:, t].sum() == 1 for t in range(1, m - 1)) and np.array_equal(leaves, adj[: m - 1, m - 1] > 0)


def test_tree_space_is_sampled_by_construction_where_rejection_failed():
    # the case: as a constraint on free DAGs, 5000 samples were out of reach (1832 after 2.5M draws)
    space = DAGSpace(["a", "b", "c", "d", "e"], num_nodes=7, in_degree=1, output_reads="leaves")
    assert space.size is None  # too large to list: drawn by construction
    archs = space.sample(2000, seed=0)
    assert len({space.key(a) for a in archs}) == 2000
    assert all(_is_tree(a) for a in archs)
    # the rules are enforced on membership too
    small = DAGSpace(["a", "b"], num_nodes=4, in_degree=1, output_reads="leaves")
    not_tree = Architecture(["input", "a", "b", "output"], [[0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
    with pytest.raises(InvalidArchitectureError, match="needs 1"):
        small.validate(not_tree)
    wrong_output = Architecture(["input", "a", "b", "output"], [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
    assert small.is_valid(wrong_output)  # both leaves read
    wrong_output = Architecture(["input", "a", "b", "output"], [[0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
    with pytest.raises(InvalidArchitectureError, match="leaves"):
        small.validate(wrong_output)  # node 1 feeds node 2, so the output may not read it


def test_small_structured_space_lists_its_members_and_knows_its_size():
    space = DAGSpace(["a", "b"], num_nodes=5, in_degree=1, output_reads="leaves")
    members = space.members()
    assert members is not None and space.size == len(members)
    keys = {space.key(a) for a in members}
    assert len(keys) == len(members)
    # every sample is a member, and sampling all of them gives the whole list
    assert {space.key(a) for a in space.sample(space.size, seed=1)} == keys
    # brute force: every labelled 5-node graph with the rules, keyed, gives the same set
    import itertools

    brute = set()
    for s1, s2, s3 in itertools.product(range(1), range(2), range(3)):
        adj = np.zeros((5, 5), dtype=np.uint8)
        adj[s1, 1] = adj[s2, 2] = adj[s3, 3] = 1
        adj[:4, 4] = adj[:4, 1:4].sum(axis=1) == 0
        for ops in itertools.product("ab", repeat=3):
            brute.add(space.key(Architecture(["input", *ops, "output"], adj)))
    assert brute == keys


def test_generator_masks_follow_the_structure():
    space = DAGSpace(["a", "b"], num_nodes=6, in_degree=2, output_reads="leaves")
    assert space.in_degree_bounds(1, "a") == (1, 1)  # capped: node 1 can read only the input
    assert space.in_degree_bounds(3, "a") == (2, 2)
    adj = np.zeros((4, 4), dtype=np.uint8)
    adj[0, 1] = adj[0, 2] = adj[1, 2] = adj[1, 3] = adj[2, 3] = 1
    # nodes 0, 1 and 2 feed hidden nodes; only node 3 is a leaf
    assert space.allowed_sources(4, "output", ["input", "a", "a", "a", "output"], adj).tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(in_degree=0), "in_degree"),
        (dict(in_degree=(2, 1)), "in_degree"),
        (dict(in_degree="one"), "in_degree"),
        (dict(output_reads="all"), "output_reads"),
        (dict(sampler=5), "sampler"),
    ],
)
def test_bad_structure_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        DAGSpace(["a"], num_nodes=5, **kwargs)
    with pytest.raises(InputError, match="fixed_adjacency"):
        DAGSpace(["a"], num_nodes=3, fixed_adjacency=np.eye(3, k=1), in_degree=1)


def test_sampler_must_return_architectures():
    space = DAGSpace(["a"], num_nodes=4, sampler=lambda rng: "not an arch")
    with pytest.raises(InputError, match="must return an agnet_bo.Architecture"):
        space.sample(3, seed=0)


def test_constraint_that_rejects_everything_fails_fast_and_names_it():
    import time

    def only_huge_cells(arch):
        return arch.num_nodes > 100

    space = DAGSpace(["a", "b", "c"], num_nodes=(3, 9), constraint=only_huge_cells)
    start = time.perf_counter()
    with pytest.raises(SamplingError, match="only_huge_cells") as info:
        space.sample(5000, seed=0)
    assert time.perf_counter() - start < 20  # was 156 s; about 1 s here
    assert info.value.found == []


def test_sampling_error_hands_over_what_was_found():
    space = DAGSpace(["a", "b", "c", "d"], num_nodes=5, constraint=lambda a: set(a.ops[1:-1]) == {"a"})
    assert space.size is None  # too many labelled graphs to list: sampled by rejection
    with pytest.raises(SamplingError, match="Found only") as info:
        space.sample(1000, seed=0)  # there are far fewer than 1000 unlabelled 5-node cells
    found = info.value.found
    assert 10 <= len(found) < 1000 and all(space.is_valid(a) for a in found)
    assert len({space.key(a) for a in found}) == len(found)


def test_config_round_trip_and_callables_refused():
    space = DAGSpace(["a", "b"], num_nodes=(3, 6), max_edges=7, in_degree=(1, 2), output_reads="leaves", name="mine")
    again = DAGSpace.from_config(space.to_config())
    assert repr(again) == repr(space) and again.name == "mine"
    arch = space.sample(1, seed=0)[0]
    assert again.key(arch) == space.key(arch)
    old = {k: v for k, v in space.to_config().items() if k not in ("in_degree", "output_reads")}
    assert DAGSpace.from_config(old).in_degree is None  # written before the structure arguments existed
    with pytest.raises(InputError, match="callable"):
        DAGSpace.from_config(DAGSpace(["a"], num_nodes=4, constraint=lambda a: True).to_config())


def test_a_space_too_large_to_list_says_why_its_size_is_none():
    big = DAGSpace(["a", "b", "c"], num_nodes=(3, 8))
    assert big.size is None and "size=None: over 20,000 labelled graphs" in repr(big)
    small = DAGSpace(["a", "b"], num_nodes=(3, 4))
    assert small.size is not None and "size=None" not in repr(small)
