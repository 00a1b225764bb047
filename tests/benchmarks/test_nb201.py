"""NB201 tabular benchmark: data integrity (hard-coded published values), index order, API and errors.

The expected numbers are copied from the benchdata README and PROVENANCE files by hand; these
tests read only the bundled package data, never the shared source folder.
"""

import math

import numpy as np
import pytest

import agnet_bo as ab
from agnet_bo import Architecture
from agnet_bo.benchmarks import HELP_DEVICES, HW_NAS_BENCH_METRICS, NB201, Benchmark, TabularBenchmark
from agnet_bo.exceptions import AgnetBOError, InputError, InvalidArchitectureError, UnknownNameError
from agnet_bo.spaces import NB201Space

DATASETS = ["cifar10", "cifar100", "ImageNet16-120"]
ARCH0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
ARCH6111 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(scope="module")
def c10():
    return NB201("cifar10")


def idx(bench, arch):
    return bench.space.index(arch)


def same(a, b):
    """Equal dicts of floats, NaN equal to NaN."""
    return list(a) == list(b) and all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


# -- the public contract ---------------------------------------------------------------------------
def test_public_api_shape(c10):
    bench = ab.benchmarks.NB201(dataset="cifar10")
    assert isinstance(bench, TabularBenchmark) and isinstance(bench, Benchmark)
    assert isinstance(bench.space, NB201Space)
    assert bench.dataset == "cifar10" and bench.epochs == 200 and len(bench) == 15625
    assert bench.metrics[:5] == ("valid-accuracy", "test-accuracy", "train-time", "params", "flops")
    out = bench.evaluate(bench.space.from_index(0))
    assert list(out) == list(bench.metrics)
    assert all(type(v) is float for v in out.values())
    assert bench.evaluate(bench.space.from_index(0), metrics=["valid-accuracy"]) == {"valid-accuracy": 81.98266666}


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("epochs", [200, 12])
def test_metric_sets(dataset, epochs):
    bench = NB201(dataset, epochs=epochs)
    m = set(bench.metrics)
    assert {"valid-accuracy", "test-accuracy", "params", "flops"} <= m
    assert set(HW_NAS_BENCH_METRICS) <= m
    assert ("train-time" in m) == (epochs == 200)
    assert ({f"latency-{d}" for d in HELP_DEVICES} <= m) == (dataset == "cifar10")
    assert not m & {f"latency-{d}" for d in HELP_DEVICES} or dataset == "cifar10"
    assert len(bench.metrics) == len(m)  # no duplicates
    for metric in bench.metrics:
        assert bench.direction(metric) == ("maximize" if metric.endswith("accuracy") else "minimize")


def test_help_metrics_named_as_documented(c10):
    for name in ("latency-1080ti_1", "latency-gold_6226", "latency-pixel2", "latency-titan_rtx_256", "latency-samsung_s7"):
        assert name in c10.metrics
    assert len(HELP_DEVICES) == 23
    for dropped in ("raspi4", "pixel3", "eyeriss", "fpga"):  # covered by HW-NAS-Bench, not duplicated
        assert c10.metrics.count(f"latency-{dropped}") == 1


# -- published optima (benchdata README) ----------------------------------------------------------
@pytest.mark.parametrize(
    "dataset, best_valid, best_valid_idx, its_test, best_test, best_test_idx",
    [
        ("cifar10", 91.6067, 6111, 94.3733, 94.3733, 6111),
        ("cifar100", 73.4933, 9930, 73.5133, 73.5133, 9930),
        ("ImageNet16-120", 46.7333, 10676, 46.20, 47.3111, 857),
    ],
)
def test_200_epoch_optima(dataset, best_valid, best_valid_idx, its_test, best_test, best_test_idx):
    bench = NB201(dataset)
    assert bench.optimum("valid-accuracy") == pytest.approx(best_valid, abs=5e-5)
    best = bench.best("valid-accuracy")
    assert idx(bench, best) == best_valid_idx
    assert bench.evaluate(best, ["test-accuracy"])["test-accuracy"] == pytest.approx(its_test, abs=5e-5)
    assert bench.optimum("test-accuracy") == pytest.approx(best_test, abs=5e-5)
    assert idx(bench, bench.best("test-accuracy")) == best_test_idx
    assert bench.optimum("valid-accuracy") == bench.table("valid-accuracy").max()


def test_cifar10_best_cell_and_tie(c10):
    assert c10.space.to_string(c10.best("valid-accuracy")) == ARCH6111
    test = c10.table("test-accuracy")
    assert np.flatnonzero(test == test.max()).tolist() == [6111, 13714]
    assert idx(c10, c10.best("test-accuracy")) == 6111  # first index on ties
    assert c10.evaluate(6111)["test-accuracy"] == c10.evaluate(13714)["test-accuracy"] == c10.optimum("test-accuracy")


@pytest.mark.parametrize(
    "dataset, max_valid, max_test",
    [("cifar10", 84.89, 89.16), ("cifar100", 61.32, 61.18), ("ImageNet16-120", 38.67, 38.27)],
)
def test_12_epoch_maxima(dataset, max_valid, max_test):
    bench = NB201(dataset, epochs=12)
    assert bench.optimum("valid-accuracy") == pytest.approx(max_valid, abs=5e-3)
    assert bench.optimum("test-accuracy") == pytest.approx(max_test, abs=5e-3)
    # 12-epoch values are not the 200-epoch ones
    assert bench.optimum("valid-accuracy") < NB201(dataset).optimum("valid-accuracy")


def test_12_epoch_known_cells():
    bench = NB201("cifar10", epochs=12)
    assert idx(bench, bench.best("valid-accuracy")) == 13714
    assert idx(bench, bench.best("test-accuracy")) == 5374
    assert bench.evaluate(0, ["valid-accuracy", "test-accuracy"]) == {"valid-accuracy": 63.36399998046875, "test-accuracy": 69.55}
    assert bench.evaluate(0, ["params", "latency-fpga"]) == NB201("cifar10").evaluate(0, ["params", "latency-fpga"])


# -- known rows and index order ---------------------------------------------------------------------
def test_known_rows(c10):
    space = c10.space
    assert space.to_string(space.from_index(0)) == ARCH0
    assert c10.evaluate(space.from_index(0))["valid-accuracy"] == 81.98266666
    assert c10.evaluate(space.from_index(1))["valid-accuracy"] == 90.76933332
    assert c10.evaluate(ARCH0)["test-accuracy"] == 85.86333333333334
    assert c10.evaluate(0)["train-time"] == pytest.approx(1444.2186, rel=1e-7)
    c100 = NB201("cifar100")
    assert c100.evaluate(0, ["valid-accuracy", "test-accuracy"]) == {
        "valid-accuracy": 52.70000003865561,
        "test-accuracy": 52.913333294677734,
    }
    assert c100.evaluate(0)["train-time"] == pytest.approx(2888.4371995925903, rel=1e-7)


def test_index_order_random_cells(c10):
    rng = np.random.default_rng(0)
    space = c10.space
    for i in rng.choice(15625, size=40, replace=False).tolist():
        arch = space.from_index(i)
        by_arch = c10.evaluate(arch)
        assert same(by_arch, c10.evaluate(i)) and same(by_arch, c10.evaluate(space.to_string(arch)))
        for metric in c10.metrics:
            col = c10.table(metric)
            assert by_arch[metric] == col[i] or (math.isnan(by_arch[metric]) and math.isnan(col[i]))


def test_params_and_flops():
    b = NB201("cifar10")
    assert b.evaluate(0, ["params", "flops"]) == pytest.approx({"params": 0.129306, "flops": 16.962186}, rel=1e-7)
    assert b.optimum("params") == pytest.approx(0.073306, rel=1e-7)
    assert b.table("params").max() == pytest.approx(1.531546, rel=1e-7)
    assert b.table("flops").min() == pytest.approx(7.807626, rel=1e-6)
    assert b.table("flops").max() == pytest.approx(220.144266, rel=1e-6)
    im = NB201("ImageNet16-120")
    assert im.evaluate(1, ["params", "flops"]) == pytest.approx({"params": 0.809576, "flops": 28.824184}, rel=1e-7)
    # params and flops do not depend on the training budget
    assert np.array_equal(NB201("cifar100", 12).table("flops"), NB201("cifar100").table("flops"))


# -- HW-NAS-Bench and HELP --------------------------------------------------------------------------
HW_ARCH0_CIFAR10 = {  # HW-NAS-Bench example.ipynb, arch 0 (as quoted in hw_nasbench/PROVENANCE.md)
    "latency-edgegpu": 5.807418537139893,
    "energy-edgegpu": 24.226614330768584,
    "latency-raspi4": 10.481976820010459,
    "latency-edgetpu": 0.9571811309997429,
    "latency-pixel3": 3.60585,
    "latency-eyeriss": 3.64562,
    "energy-eyeriss": 0.6872827644999999,
    "latency-fpga": 2.57296,
    "energy-fpga": 18.01072,
}
HW_ARCH1_CIFAR10 = {
    "latency-edgegpu": 6.547689437866211,
    "energy-edgegpu": 29.997147878011067,
    "latency-raspi4": 54.77739761998237,
    "latency-edgetpu": 1.4389883610001561,
    "latency-pixel3": 17.2381,
    "latency-eyeriss": 7.577780000000003,
    "energy-eyeriss": 1.5644240284999997,
    "latency-fpga": 5.31536,
    "energy-fpga": 37.20752,
}


@pytest.mark.parametrize("index, expected", [(0, HW_ARCH0_CIFAR10), (1, HW_ARCH1_CIFAR10)])
def test_hw_nas_bench_cifar10_values(c10, index, expected):
    got = c10.evaluate(index, list(expected))
    assert got == pytest.approx(expected, rel=1e-7)  # stored as float32


def test_hw_nas_bench_other_datasets():
    c100 = NB201("cifar100").evaluate(0, ["latency-raspi4", "latency-pixel3", "latency-fpga"])
    assert c100 == pytest.approx({"latency-raspi4": 10.432981719932286, "latency-pixel3": 5.04007, "latency-fpga": 2.57296}, rel=1e-7)
    im = NB201("ImageNet16-120").evaluate(1, ["latency-edgegpu", "energy-fpga"])
    assert im == pytest.approx({"latency-edgegpu": 6.373348236083984, "energy-fpga": 13.148800000000001}, rel=1e-7)


@pytest.mark.parametrize("dataset", DATASETS)
def test_edgetpu_not_measured_is_nan(dataset):
    bench = NB201(dataset)
    col = bench.table("latency-edgetpu")
    assert int(np.isnan(col).sum()) == 4699
    assert (col[~np.isnan(col)] > 0).all()  # never -1
    assert not (col == -1).any()
    value = bench.evaluate(6, ["latency-edgetpu"])["latency-edgetpu"]
    assert isinstance(value, float) and math.isnan(value)
    assert math.isnan(bench.evaluate(bench.space.from_index(7))["latency-edgetpu"])
    # NaN is ignored by optimum / best
    assert bench.optimum("latency-edgetpu") == np.nanmin(col)
    assert not math.isnan(bench.evaluate(bench.best("latency-edgetpu"))["latency-edgetpu"])


def test_help_latencies(c10):
    got = c10.evaluate(0, ["latency-1080ti_1", "latency-gold_6226", "latency-pixel2", "latency-titanxp_256"])
    assert got == pytest.approx(
        {
            "latency-1080ti_1": 10.75437068939209,
            "latency-gold_6226": 10.524625778198242,
            "latency-pixel2": 9.0,
            "latency-titanxp_256": 15.180325508117676,
        },
        rel=1e-7,
    )
    for metric in c10.metrics:
        col = c10.table(metric)
        if metric.startswith(("latency", "energy")) and metric != "latency-edgetpu":
            assert not np.isnan(col).any() and (col > 0).all(), metric


@pytest.mark.parametrize("dataset", ["cifar100", "ImageNet16-120"])
def test_help_metric_on_other_dataset_explains(dataset):
    bench = NB201(dataset)
    for call in (
        lambda: bench.evaluate(0, ["latency-1080ti_1"]),
        lambda: bench.optimum("latency-gold_6226"),
        lambda: bench.table("latency-pixel2"),
        lambda: bench.direction("latency-pixel2"),
    ):
        with pytest.raises(UnknownNameError, match="CIFAR-10 inputs") as err:
            call()
        assert "dataset='cifar10'" in str(err.value)


# -- optimum / best / table ---------------------------------------------------------------------------
def test_optimum_direction_and_best_agree(c10):
    for metric in ("valid-accuracy", "train-time", "params", "latency-raspi4", "energy-fpga", "latency-pixel2"):
        col = c10.table(metric)
        expected = np.nanmax(col) if c10.direction(metric) == "maximize" else np.nanmin(col)
        assert c10.optimum(metric) == expected
        best = c10.best(metric)
        assert isinstance(best, Architecture)
        assert c10.evaluate(best, metric)[metric] == expected
        assert idx(c10, best) == int(np.flatnonzero(col == expected)[0])


def test_table_is_read_only_and_shared(c10):
    col = c10.table("valid-accuracy")
    assert col.shape == (15625,) and col.dtype == np.float64
    assert not col.flags.writeable
    with pytest.raises(ValueError):
        col[0] = 100.0
    assert NB201("cifar10").table("valid-accuracy") is col  # cached per process


# -- errors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["imagenet", "cifar-10", "ImageNet", "", "svhn"])
def test_unknown_dataset(bad):
    with pytest.raises(UnknownNameError) as err:
        NB201(bad)
    msg = str(err.value)
    assert all(repr(d) in msg for d in DATASETS)


@pytest.mark.parametrize("bad, suggestion", [("CIFAR10", "cifar10"), ("imagenet16-120", "ImageNet16-120"), ("ImageNet16", "ImageNet16-120")])
def test_dataset_near_miss_suggests(bad, suggestion):
    with pytest.raises(UnknownNameError, match=f"Did you mean {suggestion!r}"):
        NB201(bad)


def test_dataset_wrong_type():
    with pytest.raises(UnknownNameError):
        NB201(10)


@pytest.mark.parametrize("bad", [100, 0, 1, True, "200", 200.0, None])
def test_unknown_epochs(bad):
    with pytest.raises(UnknownNameError) as err:
        NB201("cifar10", epochs=bad)
    assert "200" in str(err.value) and "12" in str(err.value)


def test_epochs_accepts_numpy_int():
    assert NB201("cifar10", epochs=np.int64(12)).epochs == 12


def test_unknown_metric(c10):
    with pytest.raises(UnknownNameError) as err:
        c10.evaluate(0, ["valid_accuracy"])
    assert "'valid-accuracy'" in str(err.value) and "'latency-pixel3'" in str(err.value)
    for call in (lambda: c10.optimum("acc"), lambda: c10.best("acc"), lambda: c10.table("acc"), lambda: c10.direction("acc")):
        with pytest.raises(UnknownNameError):
            call()
    with pytest.raises(InputError, match="metric name must be a string"):
        c10.evaluate(0, [3])
    with pytest.raises(InputError):
        c10.evaluate(0, metrics=5)


def test_train_time_not_at_12_epochs():
    with pytest.raises(UnknownNameError, match="epochs=200"):
        NB201("cifar100", epochs=12).evaluate(0, "train-time")


def test_single_metric_name_and_empty_list(c10):
    assert c10.evaluate(0, "params") == c10.evaluate(0, ["params"])
    assert c10.evaluate(0, []) == {}
    assert list(c10.evaluate(0, ["flops", "params", "flops"])) == ["flops", "params"]


def test_arch_not_in_table(c10):
    other = Architecture(["input", "conv3x3", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(InvalidArchitectureError, match="not an NB201 cell"):
        c10.evaluate(other)
    assert other not in c10
    assert c10.space.from_index(3) in c10


@pytest.mark.parametrize("bad", [3.5, None, True, b"|x|", [0], {"ops": []}])
def test_wrong_type(c10, bad):
    with pytest.raises(InputError, match="Architecture of NB201Space, an NB201 arch string or an index"):
        c10.evaluate(bad)


@pytest.mark.parametrize("bad", [-1, 15625, np.int64(10**6)])
def test_index_out_of_range(c10, bad):
    with pytest.raises(InputError, match="0..15624"):
        c10.evaluate(bad)


def test_bad_arch_string(c10):
    with pytest.raises(InvalidArchitectureError):
        c10.evaluate("|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")


def test_errors_are_not_key_errors(c10):
    for call in (lambda: c10.evaluate(0, ["nope"]), lambda: NB201("nope"), lambda: c10.evaluate(99999)):
        with pytest.raises(AgnetBOError) as err:
            call()
        assert isinstance(err.value, ValueError) and not isinstance(err.value, KeyError)


def test_describe_and_repr(c10):
    assert "NaN" in c10.describe("latency-edgetpu")
    assert "94.37" not in c10.describe("test-accuracy") and "train+valid" in c10.describe("test-accuracy")
    assert repr(NB201("cifar100", 12)) == "NB201(dataset='cifar100', epochs=12)"
