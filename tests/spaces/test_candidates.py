import numpy as np
import pytest

from agnet_bo import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.spaces import CandidateSpace, DAGSpace, NB101Space, NB201Space
from agnet_bo.testing import SearchSpaceTests


class TestCandidateSpaceOfNB201(SearchSpaceTests):
    def make_space(self):
        return CandidateSpace(NB201Space().sample(300, seed=0), base=NB201Space(), name="nb201-300")


class TestCandidateSpaceInferred(SearchSpaceTests):
    n = 20

    def make_space(self):
        free = DAGSpace(["x", "y"], num_nodes=(3, 6))
        return CandidateSpace(free.sample(40, seed=1))


def test_membership_is_the_list():
    base = NB201Space()
    zoo = base.sample(10, seed=0)
    space = CandidateSpace(zoo, base=base)
    assert space.size == 10 and space.members() == zoo
    assert all(space.is_valid(a) for a in zoo)
    other = next(a for a in base.sample(50, seed=1) if base.key(a) not in {base.key(z) for z in zoo})
    with pytest.raises(InvalidArchitectureError, match="not one of the 10 candidates"):
        space.validate(other)
    assert space.index(zoo[3]) == 3
    assert {space.key(a) for a in space.sample(10, seed=2)} == {base.key(a) for a in zoo}
    # structure and encodings are the base's: a pretrained generator for the base serves the list
    assert space.base_space is base and space.encoding_dim == base.encoding_dim


def test_isomorphic_duplicates_are_merged_with_a_warning():
    base = NB101Space()
    a = base.from_spec([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
    b = base.from_spec([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
    with pytest.warns(UserWarning, match="1 of the 2 candidates repeat"):
        space = CandidateSpace([a, b], base=base)
    assert space.size == 1


def test_inferred_base_uses_a_shared_adjacency():
    chain = DAGSpace.chain(["a", "b", "c"], num_layers=3)
    space = CandidateSpace(chain.sample(6, seed=0))
    assert space.fixed_adjacency is not None and np.array_equal(space.fixed_adjacency, chain.fixed_adjacency)


@pytest.mark.parametrize(
    "archs, match",
    [([], "empty"), ("abc", "list of agnet_bo.Architecture"), ([1, 2], r"archs\[0\]")],
)
def test_bad_lists(archs, match):
    with pytest.raises(InputError, match=match):
        CandidateSpace(archs)


def test_members_must_belong_to_the_base():
    bad = Architecture(["input", "zz", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(InvalidArchitectureError, match=r"archs\[0\]"):
        CandidateSpace([bad], base=NB201Space())
