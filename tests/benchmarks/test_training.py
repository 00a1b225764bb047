"""Real-training benchmarks: MNIST-1D data, determinism, the fidelity as a prefix, errors."""

from __future__ import annotations

import random

import numpy as np
import pytest
from torch import nn

import agnet_bo as ab
from agnet_bo.benchmarks import MNIST1D, TrainingBenchmark, load_mnist1d
from agnet_bo.exceptions import InputError

pytest.importorskip("mnist1d")

TINY = {"num_samples": 600, "n_valid": 100, "epochs": 2, "batch_size": 100}
NB101_TINY = {"stem_channels": 4, "num_stacks": 2, "cells_per_stack": 1}


@pytest.fixture(scope="module")
def nb101_bench() -> MNIST1D:
    return MNIST1D(ab.spaces.NB101Space(), network=NB101_TINY, **TINY)


def test_load_mnist1d_is_procedural_and_leaves_global_random_state_alone():
    np.random.seed(123)
    random.seed(7)
    before_np, before_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(7)
    data = load_mnist1d(num_samples=600)
    assert data["x"].shape == (480, 40) and data["x_test"].shape == (120, 40)
    assert set(np.unique(data["y"])) == set(range(10))
    assert np.random.random() == before_np and random.random() == before_py
    again = load_mnist1d(num_samples=600)
    np.testing.assert_array_equal(again["x"], data["x"])
    again["x"][0, 0] = 99.0  # a copy: the cached arrays are not mutated
    assert load_mnist1d(num_samples=600)["x"][0, 0] != 99.0


def test_mnist1d_folds_signals_into_images(nb101_bench):
    assert nb101_bench._train[0].shape[1:] == (1, 4, 12)
    assert len(nb101_bench._train[1]) == 380 and len(nb101_bench._valid[1]) == 100 and len(nb101_bench._test[1]) == 120
    flat = MNIST1D(ab.spaces.NB101Space(), flatten=True, build=lambda s, a: nn.Linear(40, 10), **TINY)
    assert flat._train[0].shape[1:] == (40,)


def test_training_is_deterministic_and_reports_every_metric(nb101_bench):
    arch = nb101_bench.space.sample(1, seed=3)[0]
    fresh = MNIST1D(ab.spaces.NB101Space(), network=NB101_TINY, cache=False, **TINY)
    a, b = nb101_bench.evaluate(arch), fresh.evaluate(arch)
    assert set(a) == set(ab.benchmarks.TRAINING_METRICS)
    for m in ("valid-accuracy", "test-accuracy", "valid-loss", "params"):
        assert a[m] == b[m], m
    assert 0.0 <= a["valid-accuracy"] <= 100.0 and a["params"] > 0 and a["latency-ms"] > 0
    other_seed = MNIST1D(ab.spaces.NB101Space(), network=NB101_TINY, seed=1, **TINY)
    assert other_seed.training_seed(arch) != nb101_bench.training_seed(arch)


def test_the_fidelity_is_a_prefix_of_longer_training(nb101_bench):
    arch = nb101_bench.space.sample(1, seed=4)[0]
    curve = list(nb101_bench.train(arch))  # the full budget, 2 epochs
    assert [r["epoch"] for r in curve] == [1.0, 2.0]
    short = MNIST1D(ab.spaces.NB101Space(), network=NB101_TINY, cache=False, **TINY)
    assert short.evaluate(arch, "valid-loss", epochs=1)["valid-loss"] == curve[0]["valid-loss"]
    # The cache answers every epoch a training went through.
    assert nb101_bench.evaluate(arch, "valid-loss", epochs=1)["valid-loss"] == curve[0]["valid-loss"]
    # A budget beyond the benchmark's stretches the schedule: a different (longer) training.
    longer = list(short.train(arch, epochs=3))
    assert len(longer) == 3 and longer[0]["valid-loss"] != curve[0]["valid-loss"]


def test_the_cache_keeps_a_longer_trainings_epochs_apart_from_the_standard_ones():
    # A 3-epoch training on a 2-epoch benchmark anneals over 3 epochs: its epoch 2 is not the
    # standard 2-epoch result, whichever was asked first.
    bench = MNIST1D(ab.spaces.NB101Space(), network=NB101_TINY, **TINY)
    fresh = MNIST1D(ab.spaces.NB101Space(), network=NB101_TINY, cache=False, **TINY)
    arch = bench.space.sample(1, seed=5)[0]
    longer = bench.evaluate(arch, "valid-loss", epochs=3)["valid-loss"]
    standard = fresh.evaluate(arch, "valid-loss")["valid-loss"]
    assert bench.evaluate(arch, "valid-loss")["valid-loss"] == standard
    assert bench.evaluate(arch, "valid-loss", epochs=1)["valid-loss"] == fresh.evaluate(arch, "valid-loss", epochs=1)["valid-loss"]
    assert bench.evaluate(arch, "valid-loss", epochs=3)["valid-loss"] == longer  # cached too


def test_architecture_matters(nb101_bench):
    accs = {nb101_bench.evaluate(a, "valid-accuracy")["valid-accuracy"] for a in nb101_bench.space.sample(4, seed=0)}
    assert len(accs) > 1


def test_dag_spaces_use_ready_made_factories_or_a_builder():
    space = ab.spaces.DAGSpace(ops=["nor_conv_3x3", "skip_connect", "avg_pool_3x3"], num_nodes=(3, 5))
    bench = MNIST1D(space, network={"channels": 4}, **TINY)
    r = bench.evaluate(space.sample(1, seed=0)[0], ["valid-accuracy", "params"])
    assert 0 <= r["valid-accuracy"] <= 100 and r["params"] > 0
    own = ab.spaces.DAGSpace(ops=["mine", "yours"], num_nodes=(3, 4))
    with pytest.raises(InputError, match="no ready-made module factories"):
        MNIST1D(own, **TINY)
    ops = {"mine": lambda c: nn.Conv2d(c, c, 3, padding=1), "yours": lambda c: nn.Identity()}
    bench = MNIST1D(own, network={"ops": ops, "channels": 4}, **TINY)
    assert bench.evaluate(own.sample(1, seed=0)[0], "params")["params"] > 0


def test_any_space_with_a_builder():
    archs = ab.spaces.NB201Space().sample(5, seed=0)
    space = ab.spaces.CandidateSpace(archs)
    with pytest.raises(InputError, match="build="):
        MNIST1D(space, **TINY)

    def build(space, arch):
        width = 4 + len(arch.ops)
        return nn.Sequential(nn.Flatten(), nn.Linear(40, width), nn.ReLU(), nn.Linear(width, 10))

    bench = MNIST1D(space, build=build, flatten=True, **TINY)
    assert bench.evaluate(archs[0], "params")["params"] == 40 * 12 + 12 + 12 * 10 + 10


class Widths(ab.spaces.SearchSpace):
    """A space of one's own that says how to build its networks: one hidden layer of a chosen width."""

    node_types = ("input", "w4", "w16", "output")
    max_nodes = 3

    def validate(self, arch):
        if not isinstance(arch, ab.Architecture) or arch.num_nodes != 3 or arch.ops[1] not in ("w4", "w16"):
            raise ab.exceptions.InvalidArchitectureError(f"not a Widths cell: {arch!r}")

    def sample(self, n, seed=None):
        return [ab.Architecture(["input", op, "output"], np.eye(3, k=1, dtype=int)) for op in ("w4", "w16")][:n]

    def build_network(self, arch, *, inputs, num_classes=10, in_channels=1):
        width = int(arch.ops[1][1:])
        return nn.Sequential(nn.Flatten(), nn.Linear(inputs, width), nn.ReLU(), nn.Linear(width, num_classes))

    def default_network_options(self):
        return {"inputs": 48}


def test_a_space_with_its_own_network_hooks_needs_no_builder():
    space = Widths()
    bench = MNIST1D(space, **TINY)
    assert bench.network_options == {"inputs": 48, "in_channels": 1, "num_classes": 10}
    small, large = (bench.evaluate(a, "params")["params"] for a in space.sample(2))
    assert small == 48 * 4 + 4 + 4 * 10 + 10 and large == 48 * 16 + 16 + 16 * 10 + 10


def test_a_candidate_space_trains_its_base_spaces_network():
    base = ab.spaces.NB101Space()
    zoo = ab.spaces.CandidateSpace(base.sample(3, seed=0), base=base)
    bench = MNIST1D(zoo, network=NB101_TINY, **TINY)
    arch = zoo.members()[0]
    assert bench.evaluate(arch, "params") == MNIST1D(base, network=NB101_TINY, **TINY).evaluate(arch, "params")


def test_user_data_and_bad_input():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 1, 4, 4)), rng.integers(0, 3, 30)
    space = ab.spaces.NB101Space()
    bench = TrainingBenchmark(space, (x[:20], y[:20]), (x[20:], y[20:]), epochs=1, network={"stem_channels": 4, "num_stacks": 1})
    assert bench.num_classes == 3
    r = bench.evaluate(space.sample(1, seed=0)[0])
    assert r["test-accuracy"] == r["valid-accuracy"]  # no test split: the validation data
    with pytest.raises(InputError, match="labels must be a 1-d integer array"):
        TrainingBenchmark(space, (x, y.astype(float)), (x, y))
    with pytest.raises(InputError, match="one shape per sample"):
        TrainingBenchmark(space, (x, y), (x[:, :, :2], y))
    with pytest.raises(InputError, match="`epochs` must be a positive int"):
        TrainingBenchmark(space, (x, y), (x, y), epochs=0)
    with pytest.raises(InputError, match="`lr`"):
        TrainingBenchmark(space, (x, y), (x, y), lr=0.0)
    with pytest.raises(InputError, match="no exhaustive table"):
        bench.optimum("valid-accuracy")
    assert bench.direction("latency-ms") == "minimize" and bench.direction("test-accuracy") == "maximize"
    with pytest.raises(InputError, match="n_valid"):
        MNIST1D(space, num_samples=600, n_valid=480)
