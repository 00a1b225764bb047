import pytest
import torch
from torch import nn

from agnet_bo import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, UnknownNameError
from agnet_bo.networks import NB201_OP_FACTORIES, DAGCell, DAGNetwork, build_network, count_parameters
from agnet_bo.spaces import DAGSpace


class Scale(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return self.factor * x


class AddOne(nn.Module):
    def forward(self, x):
        return x + 1


TOY_OPS = {"double": lambda c: Scale(2.0), "inc": lambda c: AddOne()}


def test_each_node_applies_its_op_to_the_sum_of_its_inputs():
    # a = double(x); b = inc(x + a); out = a + b  =>  out = 2x + (3x + 1) = 5x + 1
    arch = Architecture.from_edges(["input", "double", "inc", "output"], [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)])
    cell = DAGCell(arch, TOY_OPS, channels=3)
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(cell(x), 5 * x + 1)


def test_output_sums_its_inputs_and_input_to_output_is_the_identity():
    arch = Architecture.from_edges(["input", "double", "output"], [(0, 1), (0, 2), (1, 2)])
    x = torch.randn(2, 3)
    torch.testing.assert_close(DAGCell(arch, TOY_OPS, channels=3)(x), 3 * x)  # any trailing shape works
    identity = Architecture(["input", "output"], [[0, 1], [0, 0]])
    cell = DAGCell(identity, {}, channels=3)
    assert len(cell.nodes) == 0
    torch.testing.assert_close(cell(x), x)


def test_dead_nodes_are_not_built_and_need_no_factory():
    # node 2 ("unknown") has no path to the output; node 3 ("inc") no path from the input
    arch = Architecture.from_edges(
        ["input", "double", "unknown", "inc", "output"], [(0, 1), (1, 4), (0, 2), (3, 4)]
    )
    cell = DAGCell(arch, TOY_OPS, channels=2)
    assert cell.node_ids == (1,) and cell.node_ops == ("double",)
    x = torch.randn(2, 2)
    torch.testing.assert_close(cell(x), 2 * x)


def test_unreachable_output_is_rejected():
    arch = Architecture.from_edges(["input", "double", "output"], [(0, 1)])
    with pytest.raises(InvalidArchitectureError, match="cannot be reached"):
        DAGCell(arch, TOY_OPS, channels=2)


def test_missing_factory_message_says_what_was_expected_received_and_how_to_fix():
    arch = Architecture.from_edges(["input", "double", "conv5x5", "output"], [(0, 1), (1, 2), (2, 3)])
    with pytest.raises(UnknownNameError) as info:
        DAGCell(arch, TOY_OPS, channels=2)
    msg = str(info.value)
    assert "'conv5x5'" in msg  # what is missing
    assert "['conv5x5', 'double']" in msg  # what was expected
    assert "['double', 'inc']" in msg  # what was received
    assert "ops={'conv5x5': lambda channels:" in msg  # how to fix
    assert isinstance(info.value, ValueError)


def test_callable_factories_and_their_errors():
    arch = Architecture.from_edges(["input", "double", "output"], [(0, 1), (1, 2)])

    def factory(op, channels):
        return {"double": Scale(2.0)}[op]

    torch.testing.assert_close(DAGCell(arch, factory, 2)(torch.ones(1, 2)), 2 * torch.ones(1, 2))
    bad = Architecture.from_edges(["input", "triple", "output"], [(0, 1), (1, 2)])
    with pytest.raises(UnknownNameError, match="does not know operation 'triple'"):
        DAGCell(bad, factory, 2)
    with pytest.raises(InputError, match="must return a torch.nn.Module, got function"):
        DAGCell(arch, {"double": lambda c: (lambda x: 2 * x)}, 2)
    with pytest.raises(InputError, match=r"\['double'\] are module instances \(e.g. Scale\)"):
        DAGCell(arch, {"double": Scale(2.0)}, 2)  # a module instead of a factory
    with pytest.raises(InputError, match="are not callable"):
        DAGCell(arch, {"double": "Scale"}, 2)
    with pytest.raises(InputError, match="must be a mapping"):
        DAGCell(arch, ["double"], 2)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="positive int"):
        DAGCell(arch, TOY_OPS, 0)
    with pytest.raises(InputError, match="Expected an agnet_bo.Architecture"):
        DAGCell("input->output", TOY_OPS, 2)  # type: ignore[arg-type]


def test_shape_mismatch_names_the_nodes():
    arch = Architecture.from_edges(["input", "shrink", "double", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    ops = {"shrink": lambda c: nn.Conv2d(c, c, 3), "double": lambda c: Scale(2.0)}  # no padding: 8x8 -> 6x6
    cell = DAGCell(arch, ops, 2)
    with pytest.raises(InputError, match=r"node 3 \('output'\).*node 1 \('shrink'\): \(1, 2, 6, 6\)"):
        cell(torch.randn(1, 2, 8, 8))


def test_dag_network_forward_backward_and_custom_stem_head():
    space = DAGSpace(ops=["nor_conv_3x3", "avg_pool_3x3", "skip_connect"], num_nodes=(2, 6), max_edges=8)
    for arch in space.sample(3, seed=0):
        net = DAGNetwork(arch, NB201_OP_FACTORIES, channels=4, num_classes=3, num_cells=2)
        out = net(torch.randn(2, 3, 8, 8))
        assert out.shape == (2, 3)
        out.sum().backward()
        assert net.head[-1].weight.grad is not None
    # sequences: b x C x L, with the user's own stem and head
    arch = space.sample(1, seed=1)[0]
    ops = {"nor_conv_3x3": lambda c: nn.Conv1d(c, c, 3, padding=1), "avg_pool_3x3": lambda c: nn.AvgPool1d(3, 1, 1),
           "skip_connect": lambda c: nn.Identity()}
    net = DAGNetwork(arch, ops, channels=5, stem=nn.Conv1d(1, 5, 1), head=nn.Sequential(nn.Flatten(), nn.LazyLinear(1)))
    assert net(torch.randn(2, 1, 7)).shape == (2, 1)


def test_parameter_count_follows_the_operations():
    chain = DAGSpace.chain(["nor_conv_3x3", "skip_connect"], num_layers=3)
    convs = Architecture(["input"] + ["nor_conv_3x3"] * 3 + ["output"], chain.fixed_adjacency)
    skips = Architecture(["input"] + ["skip_connect"] * 3 + ["output"], chain.fixed_adjacency)
    n_conv = count_parameters(build_network(chain, convs, ops=NB201_OP_FACTORIES, channels=4))
    n_skip = count_parameters(build_network(chain, skips, ops=NB201_OP_FACTORIES, channels=4))
    assert n_conv - n_skip == 3 * (4 * 4 * 9 + 2 * 4)  # three conv3x3 + batch norm, nothing else differs


def test_build_network_checks_every_op_of_the_space_up_front():
    space = DAGSpace(ops=["double", "inc", "conv5x5"], num_nodes=3)
    arch = Architecture.from_edges(["input", "double", "output"], [(0, 1), (1, 2)])  # conv5x5 not used here
    with pytest.raises(UnknownNameError, match=r"No module factory for operation\(s\) \['conv5x5'\] of DAGSpace"):
        build_network(space, arch, ops=TOY_OPS)
    with pytest.raises(InputError, match="needs module factories for its operations"):
        build_network(space, arch)
    with pytest.raises(InputError, match=r"Unknown option\(s\) \['cells'\].*'num_cells'"):
        build_network(space, arch, ops={**TOY_OPS, "conv5x5": lambda c: nn.Identity()}, cells=2)
    net = build_network(space, arch, ops={**TOY_OPS, "conv5x5": lambda c: nn.Identity()}, channels=2)
    assert net(torch.randn(1, 3, 4, 4)).shape == (1, 10)
