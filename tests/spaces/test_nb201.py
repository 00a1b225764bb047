import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agnet_bo import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.spaces import NB201Space
from agnet_bo.spaces.nb201 import NB201_OPS
from agnet_bo.testing import SearchSpaceTests

BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
INDEX_0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
INDEX_1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


class TestNB201Conformance(SearchSpaceTests):
    def make_space(self):
        return NB201Space()


@pytest.fixture(scope="module")
def space():
    return NB201Space()


def test_string_round_trip_and_index_order_for_all_cells(space):
    archs = space.all()
    assert len(archs) == 15625
    strings = [space.to_string(a) for a in archs]
    assert len(set(strings)) == 15625
    for i, (a, s) in enumerate(zip(archs, strings, strict=False)):
        assert space.from_string(s) == a
        assert space.index(a) == i
    assert len({space.key(a) for a in archs}) == 15625


def test_known_indices(space):
    assert space.to_string(space.from_index(0)) == INDEX_0
    assert space.to_string(space.from_index(1)) == INDEX_1
    assert space.index(space.from_string(BEST_C10)) == 6111


def test_node_labelled_conversion(space):
    a = space.from_string(BEST_C10)
    assert a.ops == ("input", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1", "output")
    # input feeds ops on edges out of node 0; op(0->1) feeds ops on edges out of node 1; and so on
    assert a.edges == ((0, 1), (0, 2), (0, 4), (1, 3), (1, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7))
    assert space.fixed_adjacency is not None and np.array_equal(a.adjacency, space.fixed_adjacency)


def test_encoding_is_edge_op_one_hot(space):
    a = space.from_string(BEST_C10)
    x = space.encode(a)[0].view(6, 5)
    assert [NB201_OPS[i] for i in x.argmax(dim=1).tolist()] == list(a.ops[1:-1])
    assert torch.equal(x.sum(dim=1), torch.ones(6, dtype=torch.float64))


def test_sample_is_uniform_without_replacement(space):
    archs = space.sample(15625, seed=0)
    assert len(set(archs)) == 15625
    counts = np.zeros((6, 5))
    for a in space.sample(3000, seed=1):
        for pos, op in enumerate(a.ops[1:-1]):
            counts[pos, NB201_OPS.index(op)] += 1
    assert np.abs(counts / 3000 - 0.2).max() < 0.04


@pytest.mark.parametrize(
    "bad, match",
    [
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "3 '\\+'-separated"),
        ("|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "Unknown NB201 operation"),
        ("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "must read"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "2 incoming"),
        ("nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "start and end"),
        (42, "arch string"),
    ],
)
def test_bad_arch_strings(space, bad, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        space.from_string(bad)


def test_bad_indices_and_archs(space):
    with pytest.raises(InputError, match="0..15624"):
        space.from_index(15625)
    with pytest.raises(InputError, match="0..15624"):
        space.from_index(-1)
    foreign = Architecture.from_edges(["input", "nor_conv_3x3", "output"], [(0, 1), (1, 2)])
    with pytest.raises(InvalidArchitectureError, match="fixed adjacency"):
        space.index(foreign)
    with pytest.raises(InputError, match="only 15625"):
        space.sample(15626)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(NB201_OPS), min_size=6, max_size=6))
def test_any_op_assignment_round_trips(ops):
    space = NB201Space()
    a = Architecture(["input", *ops, "output"], space.fixed_adjacency)
    assert space.is_valid(a)
    assert space.from_string(space.to_string(a)) == a
    assert space.from_index(space.index(a)) == a
