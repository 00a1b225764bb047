"""TabularBenchmark on user spaces, the Benchmark interface and infer_direction."""

import math

import numpy as np
import pytest

from agnet_bo import Architecture
from agnet_bo.benchmarks import Benchmark, TabularBenchmark, infer_direction
from agnet_bo.exceptions import InputError, InvalidArchitectureError, UnknownNameError
from agnet_bo.spaces import DAGSpace, NB201Space


@pytest.fixture(scope="module")
def cell_space():  # one per module: listing the small space (its members, for sample()) takes about a second
    return DAGSpace(ops=["conv3x3", "conv1x1", "pool"], num_nodes=(3, 5), max_edges=6, name="tiny-cells")


@pytest.fixture
def table(cell_space):
    archs = cell_space.sample(8, seed=1)
    acc = np.linspace(0.5, 0.9, 8)
    lat = np.array([3.0, 2.0, 1.0, np.nan, 1.0, 5.0, 4.0, 6.0])
    bench = TabularBenchmark(cell_space, archs, {"accuracy": acc, "latency": lat}, name="tiny")
    return bench, archs, acc, lat


def test_evaluate_and_table(table):
    bench, archs, acc, lat = table
    assert bench.metrics == ("accuracy", "latency")
    assert len(bench) == 8
    for i, arch in enumerate(archs):
        out = bench.evaluate(arch)
        assert out["accuracy"] == acc[i]
        assert out["latency"] == lat[i] or (math.isnan(out["latency"]) and math.isnan(lat[i]))
        assert arch in bench
    assert bench.evaluate(archs[0], ["latency"]) == {"latency": 3.0}
    col = bench.table("accuracy")
    assert col.dtype == np.float64 and col.shape == (8,) and not col.flags.writeable
    assert np.array_equal(col, acc)


def test_values_are_copied(cell_space):
    archs = cell_space.sample(3, seed=0)
    values = np.array([1.0, 2.0, 3.0])
    bench = TabularBenchmark(cell_space, archs, {"accuracy": values})
    values[0] = 99.0
    assert bench.evaluate(archs[0])["accuracy"] == 1.0


def test_directions_inferred_and_optimum_ignores_nan(table):
    bench, archs, _acc, _lat = table
    assert bench.direction("accuracy") == "maximize"
    assert bench.direction("latency") == "minimize"
    assert bench.optimum("accuracy") == 0.9
    assert bench.best("accuracy") == archs[7]
    assert bench.optimum("latency") == 1.0
    assert bench.best("latency") == archs[2]  # first of the tie 2 / 4; NaN at 3 ignored


def test_lookup_by_key_finds_isomorphic_arch():
    space = DAGSpace(ops=["a", "b"], num_nodes=4)
    adj = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    x = Architecture(["input", "a", "b", "output"], adj)
    y = Architecture(["input", "b", "a", "output"], adj)  # the same network, nodes swapped
    assert x != y and space.key(x) == space.key(y)
    bench = TabularBenchmark(space, [x], {"error": [0.1]})
    assert bench.evaluate(y) == {"error": 0.1}
    with pytest.raises(InputError, match="same network"):
        TabularBenchmark(space, [x, y], {"error": [0.1, 0.2]})


def test_arch_not_in_table(table, cell_space):
    bench, archs, _, _ = table
    others = [a for a in cell_space.sample(60, seed=7) if cell_space.key(a) not in {cell_space.key(b) for b in archs}]
    with pytest.raises(InvalidArchitectureError, match="not in the table of tiny") as err:
        bench.evaluate(others[0])
    assert not isinstance(err.value, KeyError)
    assert others[0] not in bench


def test_arch_outside_space(table):
    bench, *_ = table
    outsider = Architecture(["input", "maxpool5x5", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(InvalidArchitectureError, match="Unknown operation"):
        bench.evaluate(outsider)


@pytest.mark.parametrize("bad", [0, "conv3x3", None, [1, 2]])
def test_wrong_arch_type(table, bad):
    bench, *_ = table
    with pytest.raises(InputError, match="Expected an agnet_bo.Architecture"):
        bench.evaluate(bad)


def test_unknown_metric(table):
    bench, archs, *_ = table
    with pytest.raises(UnknownNameError, match="'accuracy', 'latency'"):
        bench.evaluate(archs[0], ["acc"])
    with pytest.raises(UnknownNameError):
        bench.optimum("loss")


def test_explicit_directions(cell_space):
    archs = cell_space.sample(3, seed=0)
    bench = TabularBenchmark(
        cell_space, archs, {"naswot": [1.0, 3.0, 2.0], "latency": [1.0, 2.0, 3.0]}, directions={"naswot": "maximize"}
    )
    assert bench.direction("naswot") == "maximize" and bench.optimum("naswot") == 3.0
    assert bench.direction("latency") == "minimize"
    flipped = TabularBenchmark(cell_space, archs, {"latency": [1.0, 2.0, 3.0]}, directions={"latency": "maximize"})
    assert flipped.optimum("latency") == 3.0


def test_direction_errors(cell_space):
    archs = cell_space.sample(2, seed=0)
    with pytest.raises(InputError, match="Cannot tell") as err:
        TabularBenchmark(cell_space, archs, {"naswot": [1.0, 2.0]})
    assert "directions=" in str(err.value)
    with pytest.raises(UnknownNameError, match="'maximize', 'minimize'"):
        TabularBenchmark(cell_space, archs, {"naswot": [1.0, 2.0]}, directions={"naswot": "max"})
    with pytest.raises(UnknownNameError, match="metric in `directions`"):
        TabularBenchmark(cell_space, archs, {"accuracy": [1.0, 2.0]}, directions={"acc": "maximize"})


def test_construction_errors(cell_space):
    archs = cell_space.sample(3, seed=0)
    with pytest.raises(InputError, match=r"shape \(3,\)"):
        TabularBenchmark(cell_space, archs, {"accuracy": [1.0, 2.0]})
    with pytest.raises(InputError, match="could not read it as floats"):
        TabularBenchmark(cell_space, archs, {"accuracy": ["a", "b", "c"]})
    with pytest.raises(InputError, match="non-empty mapping"):
        TabularBenchmark(cell_space, archs, {})
    with pytest.raises(InputError, match="empty"):
        TabularBenchmark(cell_space, [], {"accuracy": []})
    with pytest.raises(InputError, match="SearchSpace"):
        TabularBenchmark("nb201", archs, {"accuracy": [1, 2, 3]})
    with pytest.raises(InputError, match="archs\\[1\\]"):
        TabularBenchmark(cell_space, [archs[0], "x", archs[2]], {"accuracy": [1, 2, 3]})
    with pytest.raises(InputError, match="sequence of Architecture"):
        TabularBenchmark(cell_space, archs[0], {"accuracy": [1]})
    outsider = Architecture(["input", "maxpool5x5", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(InvalidArchitectureError, match=r"archs\[0\]"):
        TabularBenchmark(cell_space, [outsider], {"accuracy": [1.0]})


def test_all_nan_column(cell_space):
    archs = cell_space.sample(2, seed=0)
    bench = TabularBenchmark(cell_space, archs, {"latency": [np.nan, np.nan]})
    assert math.isnan(bench.optimum("latency"))
    with pytest.raises(InputError, match="no measured value"):
        bench.best("latency")


def test_chain_space_and_nb201_space_tables():
    chain = DAGSpace.chain(["k3", "k5", "skip"], num_layers=3)
    archs = chain.sample(chain.size, seed=0)
    flops = [float(sum({"k3": 9, "k5": 25, "skip": 0}[op] for op in a.ops[1:-1])) for a in archs]
    bench = TabularBenchmark(chain, archs, {"flops": flops}, name="chain-flops")
    assert bench.optimum("flops") == 0.0
    assert bench.best("flops").ops[1:-1] == ("skip", "skip", "skip")
    space = NB201Space()
    subset = [space.from_index(i) for i in (0, 1, 6111)]
    nb = TabularBenchmark(space, subset, {"valid-accuracy": [81.98, 90.77, 91.61]})
    assert nb.best("valid-accuracy") == space.from_index(6111)


def test_benchmark_is_abstract_and_extensible(cell_space):
    with pytest.raises(TypeError):
        Benchmark()

    class OpCount(Benchmark):
        """A synthetic benchmark: the number of conv3x3 nodes."""

        name = "op-count"

        @property
        def space(self):
            return cell_space

        @property
        def metrics(self):
            return ("score",)

        def evaluate(self, arch, metrics=None):
            names = self._check_metrics(metrics)
            return {m: float(arch.ops.count("conv3x3")) for m in names}

        def direction(self, metric):
            self._check_metric(metric)
            return "maximize"

        def optimum(self, metric):
            self._check_metric(metric)
            return float(cell_space.max_nodes - 2)

    bench = OpCount()
    arch = cell_space.sample(1, seed=0)[0]
    assert bench.evaluate(arch) == {"score": float(arch.ops.count("conv3x3"))}
    with pytest.raises(UnknownNameError, match="'score'"):
        bench.evaluate(arch, ["nope"])


@pytest.mark.parametrize(
    "name, expected",
    [
        ("valid-accuracy", "maximize"),
        ("top1", "maximize"),
        ("val_acc", "maximize"),
        ("train-time", "minimize"),
        ("latency-1080ti_1", "minimize"),
        ("energy-fpga", "minimize"),
        ("params", "minimize"),
        ("flops", "minimize"),
        ("valid-loss", "minimize"),
        ("naswot", None),
        ("accuracy-per-latency", None),
    ],
)
def test_infer_direction(name, expected):
    assert infer_direction(name) == expected


def test_unknown_metric_suggests_the_closest_name():
    from agnet_bo.benchmarks import NB201
    from agnet_bo.exceptions import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'valid-accuracy'"):
        NB201("cifar10").evaluate(NB201("cifar10").space.sample(1, seed=0)[0], ["valid-acuracy"])
