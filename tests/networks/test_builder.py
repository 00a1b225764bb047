import numpy as np
import pytest
import torch
from torch import nn

import agnet_bo
from agnet_bo import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.networks import (
    DARTS_OP_FACTORIES,
    NB101_OP_FACTORIES,
    NB201_OP_FACTORIES,
    DAGNetwork,
    DARTSNetwork,
    NB101Network,
    NB201Network,
    build_network,
)
from agnet_bo.spaces import DAGSpace, DARTSSpace, NB101Space, NB201Space, SearchSpace

TINY = {
    "NB201Space": {"channels": 4, "cells_per_stage": 1},
    "NB101Space": {"stem_channels": 5, "num_stacks": 2, "cells_per_stack": 1},
    "DARTSSpace": {"channels": 4, "layers": 3},
}


def conv(c: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU())


def spaces():
    user_ops = {"conv": conv, "pool": lambda c: nn.MaxPool2d(3, 1, 1), "skip": lambda c: nn.Identity()}
    return [
        (NB201Space(), NB201Network, {}),
        (NB101Space(), NB101Network, {}),
        (DARTSSpace(), DARTSNetwork, {}),
        (DAGSpace(ops=["conv", "pool", "skip"], num_nodes=(2, 6), max_edges=7), DAGNetwork, {"ops": user_ops, "channels": 4}),
        (DAGSpace.chain(["conv", "skip"], num_layers=3), DAGNetwork, {"ops": user_ops, "channels": 4}),
    ]


@pytest.mark.parametrize("space, cls, options", spaces(), ids=lambda v: getattr(v, "name", None))
def test_random_samples_of_every_space_build_and_run(space, cls, options):
    options = {**TINY.get(type(space).__name__, {}), **options}
    for arch in space.sample(3, seed=0):
        net = build_network(space, arch, num_classes=3, **options)
        assert type(net) is cls
        out = net(torch.randn(2, 3, 8, 8))
        assert out.shape == (2, 3) and torch.isfinite(out).all()
        out.sum().backward()


def test_ready_made_factories_fit_their_spaces():
    assert set(NB201_OP_FACTORIES) == set(NB201Space().ops)
    assert set(NB101_OP_FACTORIES) == set(NB101Space().ops)
    assert set(DARTS_OP_FACTORIES) == set(DARTSSpace().ops) | {"none"}
    x = torch.randn(2, 4, 6, 6)
    for table in (NB201_OP_FACTORIES, NB101_OP_FACTORIES, DARTS_OP_FACTORIES):
        for name, factory in table.items():
            assert factory(4)(x).shape == x.shape, name


def test_errors():
    space = NB201Space()
    with pytest.raises(InvalidArchitectureError):
        build_network(space, NB101Space().sample(1, seed=0)[0])
    with pytest.raises(InputError, match="must be an agnet_bo.spaces.SearchSpace"):
        build_network("nb201", space.sample(1, seed=0)[0])  # type: ignore[arg-type]

    class OneCell(SearchSpace):
        node_types = ("input", "conv", "output")
        max_nodes = 3

        def validate(self, arch):
            pass

        def sample(self, n, seed=None):
            return [Architecture(["input", "conv", "output"], np.triu(np.ones((3, 3)), 1))] * n

    with pytest.raises(InputError, match="no builder for OneCell.*DAGCell"):
        build_network(OneCell(), OneCell().sample(1)[0])


def test_lazy_attribute_of_the_package():
    assert agnet_bo.networks.build_network is build_network


def test_seed_gives_the_same_weights_without_touching_global_state():
    space = NB201Space()
    arch = space.sample(1, seed=0)[0]
    state = torch.random.get_rng_state()
    a = build_network(space, arch, seed=3, channels=4, cells_per_stage=1)
    b = build_network(space, arch, seed=3, channels=4, cells_per_stage=1)
    c = build_network(space, arch, seed=4, channels=4, cells_per_stage=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=False):
        assert torch.equal(p, q), name
    assert not torch.equal(a.stem[0].weight, c.stem[0].weight)
    with pytest.raises(InputError, match="`seed` must be a non-negative int"):
        build_network(space, arch, seed=-1)
