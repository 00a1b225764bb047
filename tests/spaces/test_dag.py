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
    assert space.size is None  # not simply 3**2 once mirror images merge
    # 3 same-op pairs + 3 unordered pairs of different ops
    assert len(space.sample(6, seed=0)) == 6
    with pytest.raises(SamplingError, match="Found only 6"):
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
