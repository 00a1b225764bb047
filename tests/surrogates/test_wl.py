import pytest
import torch

from agnet_bo import Architecture
from agnet_bo.exceptions import InputError, NotFittedError
from agnet_bo.spaces import DAGSpace, NB201Space
from agnet_bo.surrogates import WLFeatures


@pytest.fixture(scope="module")
def space():
    return DAGSpace(ops=["a", "b", "none"], num_nodes=(2, 5))


def test_labels_of_a_small_graph(space):
    # input -> a -> b -> output, and input -> b
    arch = Architecture.from_edges(["input", "a", "b", "output"], [(0, 1), (1, 2), (0, 2), (2, 3)])
    labels = WLFeatures(space, iterations=1).labels(arch)
    assert labels == {
        "input": 1, "a": 1, "b": 1, "output": 1,  # round 0
        "input()": 1, "a(input)": 1, "b(a,input)": 1, "output(b)": 1,  # round 1
    }  # fmt: skip
    assert sum(WLFeatures(space, iterations=2).labels(arch).values()) == 12


def test_zero_ops_and_dead_nodes_are_dropped(space):
    via_none = Architecture.from_edges(["input", "none", "a", "output"], [(0, 1), (1, 2), (0, 2), (2, 3)])
    plain = Architecture.from_edges(["input", "a", "output"], [(0, 1), (1, 2)])
    wl = WLFeatures(space, iterations=2)
    assert wl.labels(via_none) == wl.labels(plain)
    assert WLFeatures(space, iterations=2, zero_ops=()).labels(via_none) != wl.labels(plain)


def test_fit_transform(space):
    archs = space.sample(20, seed=0)
    wl = WLFeatures(space, iterations=2).fit(archs)
    X = wl.transform(archs)
    assert X.shape == (20, len(wl.vocabulary_)) and X.dtype == torch.float64
    assert wl.vocabulary_ == sorted(wl.vocabulary_)
    assert torch.equal(X.sum(-1), torch.tensor([3.0 * len(wl.labels(a)) / 3 for a in archs]).new_tensor(
        [sum(wl.labels(a).values()) for a in archs]
    ))
    unseen = Architecture.from_edges(["input", "b", "b", "b", "output"], [(0, 1), (1, 2), (2, 3), (3, 4)])
    assert wl.transform([unseen]).sum() <= sum(wl.labels(unseen).values())  # unknown labels ignored


def test_errors(space):
    with pytest.raises(NotFittedError, match="fit"):
        WLFeatures(space).transform([])
    with pytest.raises(InputError, match="iterations"):
        WLFeatures(space, iterations=-1)
    assert WLFeatures(NB201Space(), iterations=0).fit(NB201Space().sample(5, seed=0)).vocabulary_[0] == "avg_pool_3x3"
