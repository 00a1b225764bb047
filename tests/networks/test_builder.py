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
from agnet_bo.spaces import CandidateSpace, DAGSpace, DARTSSpace, NB101Space, NB201Space, SearchSpace

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


class Chain3(SearchSpace):
    """A space of one's own: 3 nodes in a chain, one hidden operation (`wide` or `narrow`)."""

    node_types = ("input", "wide", "narrow", "output")
    max_nodes = 3

    def validate(self, arch):
        if not isinstance(arch, Architecture) or arch.num_nodes != 3 or arch.ops[1] not in ("wide", "narrow"):
            raise InvalidArchitectureError(f"not a Chain3 cell: {arch!r}")

    def sample(self, n, seed=None):
        archs = [Architecture(["input", op, "output"], np.eye(3, k=1, dtype=int)) for op in ("wide", "narrow")]
        return archs[:n]

    def build_network(self, arch, *, features=6, num_classes=10, **options):
        width = 16 if arch.ops[1] == "wide" else 2
        return nn.Sequential(nn.Flatten(), nn.LazyLinear(width), nn.ReLU(), nn.Linear(width, num_classes))


def test_a_space_of_ones_own_builds_through_its_build_network_hook():
    space = Chain3()
    wide, narrow = space.sample(2)
    net = build_network(space, wide, num_classes=3, seed=0)
    assert net(torch.randn(2, 6)).shape == (2, 3) and net[3].in_features == 16
    assert build_network(space, narrow)[3].in_features == 2
    with pytest.raises(InvalidArchitectureError, match="not a Chain3 cell"):
        build_network(space, NB201Space().sample(1, seed=0)[0])
    space.check_network_options({"anything": 1})  # it overrides build_network: nothing is required
    with pytest.raises(InputError, match=r"no builder for Chain3; .*override Chain3.build_network"):
        SearchSpace.build_network(space, wide)


def test_a_candidate_space_builds_its_base_spaces_networks():
    base = NB201Space()
    zoo = CandidateSpace(base.sample(5, seed=0), base=base, name="zoo")
    net = build_network(zoo, zoo.members()[0], seed=1, **TINY["NB201Space"])
    assert type(net) is NB201Network
    same = build_network(base, zoo.members()[0], seed=1, **TINY["NB201Space"])
    for p, q in zip(net.state_dict().values(), same.state_dict().values(), strict=True):
        assert torch.equal(p, q)
    with pytest.raises(InvalidArchitectureError, match="not one of the 5 candidates"):
        build_network(zoo, next(a for a in base.sample(20, seed=1) if not zoo.is_valid(a)))
    with pytest.raises(InputError, match=r"Unknown option\(s\) \['C'\]"):
        build_network(zoo, zoo.members()[0], C=4)
    # over a DAGSpace: the base's rules, ops required
    dag = DAGSpace(ops=["conv", "skip"], num_nodes=(2, 5))
    cells = CandidateSpace(dag.sample(4, seed=0), base=dag)
    with pytest.raises(InputError, match="needs module factories for its operations"):
        build_network(cells, cells.members()[0])
    ops = {"conv": conv, "skip": lambda c: nn.Identity()}
    assert type(build_network(cells, cells.members()[0], ops=ops, channels=4)) is DAGNetwork
