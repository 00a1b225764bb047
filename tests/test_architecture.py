import copy

import numpy as np
import pytest

import agnet_bo as ab
from agnet_bo import Architecture
from agnet_bo.exceptions import InvalidArchitectureError

OPS = ["input", "conv", "pool", "output"]
ADJ = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]


def test_basic_properties():
    a = Architecture(OPS, ADJ)
    assert a.ops == tuple(OPS)
    assert a.num_nodes == 4 and len(a) == 4
    assert a.num_edges == 4
    assert a.edges == ((0, 1), (0, 2), (1, 3), (2, 3))
    assert a.adjacency.dtype == np.uint8


def test_equality_and_hash():
    a = Architecture(OPS, ADJ)
    b = Architecture(tuple(OPS), np.array(ADJ, dtype=bool))
    c = Architecture(["input", "pool", "conv", "output"], ADJ)
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    assert a != "not an architecture"


def test_immutable():
    a = Architecture(OPS, ADJ)
    with pytest.raises(AttributeError):
        a.ops = ("x",)  # type: ignore[misc]
    with pytest.raises(ValueError):
        a.adjacency[0, 1] = 0
    src = np.array(ADJ)
    b = Architecture(OPS, src)
    src[0, 1] = 0
    assert b.adjacency[0, 1] == 1, "the architecture must not share memory with the caller's array"


def test_dict_round_trip_and_copy():
    a = Architecture(OPS, ADJ)
    assert Architecture.from_dict(a.to_dict()) == a
    assert copy.deepcopy(a) == a and copy.copy(a) == a  # through __reduce__
    assert Architecture.from_edges(OPS, a.edges) == a
    assert "conv" in repr(a)


@pytest.mark.parametrize(
    "ops, adj, match",
    [
        (["input", "conv", "output"], [[0, 1], [0, 0]], "3 x 3"),
        (["input", "conv", "output"], [[0, 1, 0], [0, 0, 1]], "square"),
        (["input", "conv", "output"], [[0, 1, 0], [0, 0, 1], [1, 0, 0]], "upper-triangular"),
        (["input", "conv", "output"], [[0, 1, 0], [0, 1, 1], [0, 0, 0]], "self-loop"),
        (["input", "conv", "output"], [[0, 2, 0], [0, 0, 1], [0, 0, 0]], "0 or 1"),
        (["conv", "input", "output"], np.zeros((3, 3)), "first operation"),
        (["input", "conv", "pool"], np.zeros((3, 3)), "last"),
        (["input", "output", "output"], np.zeros((3, 3)), "only label"),
        (["input"], np.zeros((1, 1)), "at least"),
        ("input,output", np.zeros((2, 2)), "sequence"),
        (["input", 3, "output"], np.zeros((3, 3)), "string"),
        (["input", "conv", "output"], [["a", "b", "c"]] * 3, "0/1"),
    ],
)
def test_malformed(ops, adj, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        Architecture(ops, adj)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        Architecture(["input", "output"], [[0, 1, 0]])


def test_from_edges_errors():
    with pytest.raises(InvalidArchitectureError, match="outside"):
        Architecture.from_edges(["input", "output"], [(0, 5)])
    with pytest.raises(InvalidArchitectureError, match="pair"):
        Architecture.from_edges(["input", "output"], [(0,)])
    with pytest.raises(InvalidArchitectureError, match="upper-triangular"):
        Architecture.from_edges(["input", "x", "output"], [(2, 1)])
    with pytest.raises(InvalidArchitectureError, match="keys"):
        Architecture.from_dict({"ops": ["input", "output"]})


def test_public_names():
    assert ab.Architecture is Architecture
    assert ab.INPUT == "input" and ab.OUTPUT == "output"
