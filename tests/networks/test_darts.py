import pytest
import torch

from agnet_bo.exceptions import InputError, InvalidArchitectureError, UnknownNameError
from agnet_bo.networks import DARTS_OP_NAMES, DARTSCell, DARTSNetwork, FactorizedReduce, count_parameters, darts_op
from agnet_bo.spaces import DARTSSpace, NB201Space

# DARTS (second order), the genotype of the paper
DARTS_V2_NORMAL = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
                   ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)]
DARTS_V2_REDUCE = [("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
                   ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)]


@pytest.fixture(scope="module")
def space():
    return DARTSSpace()


def uniform(space, op):
    cell = [(op, 0), (op, 1)] * 4
    return space.from_genotype(cell, cell)


def test_darts_v2_has_the_published_size(space):
    with torch.device("meta"):
        net = DARTSNetwork(space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE))
    assert count_parameters(net) == 3_349_342  # DARTS's "3.3M" CIFAR-10 network (without auxiliary head)


def test_forward_backward_shapes(space):
    for arch in space.sample(2, seed=0):
        net = DARTSNetwork(arch, channels=4, layers=3, num_classes=5)
        out = net(torch.randn(2, 3, 8, 8))
        assert out.shape == (2, 5)
        out.sum().backward()
        assert net.stem[0].weight.grad is not None
    net.eval()
    assert net(torch.randn(2, 3, 9, 9)).shape == (2, 5)  # odd sizes work too


def test_layout_of_cells(space):
    net = DARTSNetwork(space.from_genotype(DARTS_V2_NORMAL, DARTS_V2_REDUCE), channels=4, layers=6)
    assert [c.reduction for c in net.cells] == [False, False, True, False, True, False]
    assert [c.channels for c in net.cells] == [4, 4, 8, 8, 16, 16]
    assert isinstance(net.cells[3].preprocess0, FactorizedReduce)  # the cell after a reduction
    assert net.cells[2].genotype == DARTS_V2_REDUCE and net.cells[0].genotype == DARTS_V2_NORMAL


def test_cell_sums_pairs_and_concatenates(space):
    genotype = [("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 2), ("skip_connect", 0),
                ("skip_connect", 3), ("skip_connect", 1), ("skip_connect", 2), ("skip_connect", 4)]
    cell = DARTSCell(genotype, 3, 3, 2, reduction=False, reduction_prev=False).eval()
    s0, s1 = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    p0, p1 = cell.preprocess0(s0), cell.preprocess1(s1)
    n0 = p0 + p1
    n1 = n0 + p0
    n2 = n1 + p1
    n3 = n0 + n2
    torch.testing.assert_close(cell(s0, s1), torch.cat([n0, n1, n2, n3], dim=1))


def test_every_op_at_both_strides():
    x = torch.randn(2, 4, 7, 7)
    for name in DARTS_OP_NAMES:
        assert darts_op(name, 4)(x).shape == (2, 4, 7, 7), name
        assert darts_op(name, 4, stride=2)(x).shape == (2, 4, 4, 4), name
    assert torch.count_nonzero(darts_op("none", 4, 2)(x)) == 0
    with pytest.raises(UnknownNameError, match="Unknown DARTS operation 'conv_7x7'"):
        darts_op("conv_7x7", 4)


def test_parameter_count_responds_to_the_cells(space):
    counts = {}
    for op in ("sep_conv_5x5", "sep_conv_3x3", "dil_conv_3x3", "skip_connect", "max_pool_3x3"):
        with torch.device("meta"):
            counts[op] = count_parameters(DARTSNetwork(uniform(space, op), channels=8, layers=3))
    assert counts["sep_conv_5x5"] > counts["sep_conv_3x3"] > counts["dil_conv_3x3"] > counts["skip_connect"]
    assert counts["skip_connect"] > counts["max_pool_3x3"]  # skip reduces with a FactorizedReduce


def test_drop_path_only_in_training(space):
    arch = uniform(space, "sep_conv_3x3")
    net = DARTSNetwork(arch, channels=4, layers=3, drop_path_prob=0.5)
    x = torch.randn(4, 3, 8, 8)
    assert not torch.allclose(net(x), net(x))  # random paths dropped
    net(x).sum().backward()
    net.eval()
    torch.testing.assert_close(net(x), net(x))


def test_rejects_bad_input(space):
    arch = space.sample(1, seed=0)[0]
    with pytest.raises(InvalidArchitectureError):
        DARTSNetwork(NB201Space().sample(1, seed=0)[0])
    with pytest.raises(InputError, match="`layers` must be at least 3"):
        DARTSNetwork(arch, layers=2)
    with pytest.raises(InputError, match="drop_path_prob"):
        DARTSNetwork(arch, drop_path_prob=1.0)
    with pytest.raises(InputError, match="8 \\(op_name, source\\) pairs"):
        DARTSCell(DARTS_V2_NORMAL[:6], 4, 4, 4, False, False)
