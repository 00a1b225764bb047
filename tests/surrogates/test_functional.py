import torch

from agnet_bo import Architecture
from agnet_bo.spaces import DARTSSpace, NB101Space, NB201Space
from agnet_bo.surrogates._functional import functional_encoding, functional_graph, functional_mask


def test_mask_drops_zero_ops_and_what_they_cut_off():
    space = NB201Space()
    # op(0->1) is conv but both its successors op(1->2), op(1->3) are none: it is cut off
    arch = space.from_string("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
    keep = functional_mask(arch, ("none",))
    assert keep.tolist() == [True, False, True, False, True, False, True, True]
    assert functional_mask(arch, ()).all()


def test_output_cut_off_keeps_input_and_output_only():
    arch = NB201Space().from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert functional_mask(arch, ("none",)).tolist() == [True] + [False] * 6 + [True]
    g = functional_graph(NB201Space(), arch, ("none",))
    assert g.num_nodes == 2 and g.edge_index.shape == (2, 0)


def test_graph_is_the_subgraph_of_kept_nodes():
    space = NB201Space()
    arch = space.from_string("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
    g = functional_graph(space, arch, ("none",))
    kept = [op for op, k in zip(arch.ops, functional_mask(arch, ("none",)), strict=False) if k]
    assert [space.node_types[i] for i in g.x.argmax(-1).tolist()] == kept
    assert g.edge_index.max() < g.num_nodes
    full = functional_graph(space, space.from_index(0), ("none",))  # no none: the space's own graph
    assert torch.equal(full.edge_index, space.to_graph(space.from_index(0)).edge_index)


def test_encoding_relabels_dead_nodes_with_the_zero_op():
    space = NB201Space()
    a = space.from_string("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
    b = space.from_string("|none~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
    assert torch.equal(functional_encoding(space, [a], ("none",)), functional_encoding(space, [b], ("none",)))
    assert not torch.equal(space.encode([a]), space.encode([b]))


def test_spaces_without_a_zero_op_are_unchanged():
    nb101 = NB101Space()
    archs = nb101.sample(5, seed=0)
    assert torch.equal(functional_encoding(nb101, archs, ("none",)), nb101.encode(archs))
    darts = DARTSSpace()
    arch = darts.sample(1, seed=0)[0]
    assert torch.equal(functional_graph(darts, arch, ("none",)).x, darts.to_graph(arch).x)
    dead = Architecture.from_edges(
        ["input", "conv3x3-bn-relu", "maxpool3x3", "output"], [(0, 1), (1, 3), (0, 2)]
    )  # node 2 feeds nothing: pruned by NB101Space.simplify
    assert functional_graph(nb101, dead, ()).num_nodes == 3  # NB101Space.simplify prunes node 2
    assert functional_mask(dead, ()).all()  # the mask only removes what zero operations cut off
