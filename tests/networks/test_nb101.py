import json
from pathlib import Path

import numpy as np
import pytest
import torch

from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.networks import NB101Cell, NB101Network, build_network, count_parameters, nb101_vertex_channels
from agnet_bo.spaces import NB101Space, NB201Space

DATA = Path(__file__).resolve().parents[1] / "data" / "nb101_subset.json"
CODES = {0: "input", 1: "output", 2: "maxpool3x3", 3: "conv1x1-bn-relu", 4: "conv3x3-bn-relu"}


@pytest.fixture(scope="module")
def space():
    return NB101Space()


def from_record(space, record):
    spec = record["spec"]
    return space.from_spec(np.array(spec[:49]).reshape(7, 7), [CODES[c] for c in spec[49:]])


def test_parameter_counts_equal_the_benchmark(space):
    cells = json.loads(DATA.read_text())["cells"]
    for record in cells[::12]:  # 42 cells, raw (unpruned) specs in NAS-Bench-101's own node order
        with torch.device("meta"):
            net = NB101Network(from_record(space, record))
        assert count_parameters(net) == round(record["params_M"] * 1e6)


def test_vertex_channels():
    # input -> 1 -> 2 -> output, input -> 3 -> output, 1 -> 3: nodes 2 and 3 feed the output
    adj = np.zeros((5, 5), dtype=int)
    for u, v in [(0, 1), (1, 2), (2, 4), (0, 3), (3, 4), (1, 3)]:
        adj[u, v] = 1
    assert nb101_vertex_channels(16, 11, adj) == [16, 6, 6, 5, 11]
    with pytest.raises(InputError, match="at least 2 output channels"):
        nb101_vertex_channels(16, 1, adj)


def test_forward_backward_shapes(space):
    for arch in space.sample(4, seed=0):
        net = NB101Network(arch, stem_channels=6, cells_per_stack=1, num_classes=5)
        out = net(torch.randn(2, 3, 8, 8))
        assert out.shape == (2, 5)
        out.sum().backward()
        assert net.stem[0].weight.grad is not None


def test_input_to_output_cell_is_a_projection(space):
    arch = space.from_spec([[0, 1], [0, 0]], ["input", "output"])
    cell = NB101Cell(arch, 3, 5)
    assert len(cell.ops) == 0 and list(cell.projections) == ["1"]
    assert cell(torch.randn(2, 3, 4, 4)).shape == (2, 5, 4, 4)


def test_concatenation_and_input_projection(space):
    # input -> conv3x3 -> output, input -> maxpool -> output, input -> output
    arch = space.from_spec(
        [[0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]
    )
    cell = NB101Cell(arch, 4, 7).eval()
    assert cell.vertex_channels == [4, 4, 3, 7]
    x = torch.randn(2, 4, 5, 5)
    h1 = cell.ops[0](cell.projections["1"](x))
    h2 = cell.ops[1](cell.projections["2"](x))
    torch.testing.assert_close(cell(x), torch.cat([h1, h2], dim=1) + cell.projections["3"](x))


def test_dead_nodes_are_pruned(space):
    raw = space.from_spec(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "output"]
    )
    assert NB101Cell(raw, 4, 4).arch.ops == ("input", "conv1x1-bn-relu", "output")


def test_rejects_foreign_architectures_and_small_channels(space):
    with pytest.raises(InvalidArchitectureError):
        NB101Network(NB201Space().sample(1, seed=0)[0])
    wide = space.from_spec(
        [[0, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
        ["input", "maxpool3x3", "maxpool3x3", "maxpool3x3", "output"],
    )
    with pytest.raises(InputError, match="needs at least 3 output channels; got 2"):
        build_network(space, wide, stem_channels=2)
