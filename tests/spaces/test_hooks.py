"""What a space answers about itself: its networks, its shipped generator, the paper's protocol on it."""

import sys

import numpy as np
import pytest

from agnet_bo import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.spaces import CandidateSpace, DAGSpace, DARTSSpace, NB101Space, NB201Space, SearchSpace


class Bare(SearchSpace):
    node_types = ("input", "op", "output")
    max_nodes = 3

    def validate(self, arch):
        pass

    def sample(self, n, seed=None):
        return [Architecture(["input", "op", "output"], np.eye(3, k=1, dtype=int))] * n


def test_the_defaults_of_a_space_of_ones_own():
    space = Bare()
    assert space.pretrained_generator_name is None and space.paper_generator_epochs == 30
    assert space.default_network_options() == {}
    for ask in (lambda: space.check_network_options({}), lambda: space.build_network(space.sample(1)[0])):
        with pytest.raises(InputError, match=r"no builder for Bare; .*override Bare.build_network\(arch, \*\*options\)"):
            ask()


@pytest.mark.parametrize(
    "space, name, epochs",
    [(NB201Space(), "nb201", 30), (NB101Space(), "nb101", 15), (DARTSSpace(), "darts", 30), (DAGSpace(["a", "b"], 4), None, 30)],
    ids=["nb201", "nb101", "darts", "dag"],
)
def test_the_built_in_spaces_answer_and_a_candidate_space_answers_with_its_base(space, name, epochs):
    assert space.pretrained_generator_name == name and space.paper_generator_epochs == epochs
    zoo = CandidateSpace(space.sample(3, seed=0), base=space)
    assert zoo.pretrained_generator_name == name and zoo.paper_generator_epochs == epochs


def test_network_options():
    assert NB101Space().default_network_options() == {"stem_channels": 16, "num_stacks": 3, "cells_per_stack": 1}
    assert DARTSSpace().default_network_options() == {"channels": 4, "layers": 3, "stem_multiplier": 1}
    assert NB201Space().default_network_options() == {"channels": 8, "cells_per_stage": 1}
    for space in (NB201Space(), NB101Space(), DARTSSpace()):
        space.check_network_options({})  # every option has a default
    ready = DAGSpace(["nor_conv_3x3", "skip_connect"], num_nodes=(2, 4))
    assert set(ready.default_network_options()) == {"channels", "num_cells", "ops"}
    own = DAGSpace(["mine", "yours"], num_nodes=(2, 4))
    assert own.default_network_options() == {"channels": 16, "num_cells": 1}
    with pytest.raises(InputError, match="needs module factories for its operations"):
        own.check_network_options(own.default_network_options())
    zoo = CandidateSpace(own.sample(3, seed=0), base=own)
    assert zoo.default_network_options() == {}
    with pytest.raises(InputError, match="needs module factories for its operations"):
        zoo.check_network_options({})


def test_asking_about_networks_leaves_torch_unloaded_until_one_is_built():
    import subprocess

    code = (
        "import sys\n"
        "from agnet_bo.spaces import CandidateSpace, NB101Space\n"
        "s = NB101Space()\n"
        "z = CandidateSpace(s.sample(2, seed=0), base=s)\n"
        "s.check_network_options({}); z.check_network_options({})\n"
        "print(z.pretrained_generator_name, z.paper_generator_epochs, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "nb101 15 False", out.stdout + out.stderr


def test_sample_description():
    free = DAGSpace(["a", "b"], num_nodes=(3, 5), name="free")
    assert free.sample_description() == {k: v for k, v in free.to_config().items() if k != "name"}
    assert DAGSpace(["a", "b"], num_nodes=(3, 5), constraint=lambda a: True).sample_description() is None

    class Mine(DAGSpace):  # its own methods may sample otherwise
        pass

    for space in (Mine(["a", "b"], num_nodes=4), NB101Space(), Bare()):
        assert space.sample_description() is None
    zoo = CandidateSpace(free.sample(4, seed=0), base=free)
    assert zoo.sample_description() == {"base": free.sample_description(), "candidates": sorted(k for k, _ in zoo.keyed_members())}
    assert CandidateSpace(NB101Space().sample(3, seed=0), base=NB101Space()).sample_description() is None
