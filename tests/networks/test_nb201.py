import pytest
import torch

from agnet_bo.benchmarks import NB201
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.networks import NB201Cell, NB201Network, build_network, count_parameters
from agnet_bo.spaces import NB101Space, NB201Space
from agnet_bo.spaces.nb201 import NB201_EDGES

BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def uniform(op: str) -> str:
    return f"|{op}~0|+|{op}~0|{op}~1|+|{op}~0|{op}~1|{op}~2|"


@pytest.fixture(scope="module")
def space():
    return NB201Space()


def meta_params(arch, **kwargs) -> int:
    with torch.device("meta"):
        return count_parameters(NB201Network(arch, **kwargs))


def test_forward_backward_shapes(space):
    arch = space.from_string(BEST_C10)
    net = NB201Network(arch, channels=4, cells_per_stage=1, num_classes=7)
    out = net(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 7)
    out.logsumexp(dim=1).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.eval()
    assert net(torch.randn(2, 3, 8, 8)).shape == (2, 7)  # any even size
    gray = NB201Network(arch, channels=4, cells_per_stage=2, in_channels=1)
    assert gray(torch.randn(2, 1, 12, 12)).shape == (2, 10)


def test_cell_computes_the_nb201_feature_nodes(space):
    arch = space.from_string("|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    cell = NB201Cell(arch, channels=3).eval()
    edge_module = {NB201_EDGES[v - 1]: m for v, m in zip(cell.node_ids, cell.nodes, strict=False)}
    x = torch.randn(2, 3, 6, 6)
    feats = [x]
    for j in (1, 2, 3):
        feats.append(sum(edge_module[(i, j)](feats[i]) for i in range(j)))
    torch.testing.assert_close(cell(x), feats[3])


def test_parameter_counts_equal_the_benchmark(space):
    bench = NB201(dataset="cifar10")
    for arch in [space.from_string(BEST_C10), *space.sample(12, seed=0)]:
        assert meta_params(arch) == round(bench.evaluate(arch)["params"] * 1e6)
    assert meta_params(space.from_string(uniform("nor_conv_3x3"))) == 1_531_546
    assert meta_params(space.from_string(uniform("none"))) == 73_306
    imagenet = NB201(dataset="ImageNet16-120")
    arch = space.sample(1, seed=1)[0]
    assert meta_params(arch, num_classes=120) == round(imagenet.evaluate(arch)["params"] * 1e6)


def test_parameter_count_responds_to_the_cell(space):
    n = {op: meta_params(space.from_string(uniform(op)), channels=4, cells_per_stage=1)
         for op in ("nor_conv_3x3", "nor_conv_1x1", "skip_connect", "none", "avg_pool_3x3")}
    assert n["nor_conv_3x3"] > n["nor_conv_1x1"] > n["skip_connect"] == n["none"] == n["avg_pool_3x3"]


def test_none_only_cells_give_the_classifier_bias(space):
    net = NB201Network(space.from_string(uniform("none")), channels=4, cells_per_stage=1)
    out = net(torch.randn(3, 3, 8, 8))
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, net.classifier.bias.expand(3, -1))
    out.sum().backward()  # runs; only the classifier receives gradient
    assert net.classifier.bias.grad is not None
    # a cell whose only path to the output is "none" also gives zeros
    cut = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|none~2|")
    cell = NB201Cell(cut, channels=2)
    assert torch.count_nonzero(cell(torch.randn(2, 2, 4, 4))) == 0


def test_rejects_foreign_architectures_and_bad_sizes(space):
    with pytest.raises(InvalidArchitectureError):
        NB201Network(NB101Space().sample(1, seed=0)[0])
    with pytest.raises(InputError, match="`cells_per_stage` must be a positive int"):
        NB201Network(space.from_string(BEST_C10), cells_per_stage=0)
    with pytest.raises(InputError, match=r"Unknown option\(s\) \['C'\].*'channels'"):
        build_network(space, space.from_string(BEST_C10), C=4)
