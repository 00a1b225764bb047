"""The bundled data files: format, order fingerprint, laziness, provenance and licence notes."""

import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from agnet_bo.benchmarks import _data
from agnet_bo.benchmarks.nb201 import NB201, NB201_DATASETS, NB201_EPOCHS, _file_of

DATA = Path(str(resources.files("agnet_bo.benchmarks").joinpath("data")))
NPZ = sorted(DATA.glob("*.npz"))


def test_expected_files_exist():
    expected = {_file_of(m, ds, ep) for ds in NB201_DATASETS for ep in NB201_EPOCHS for m in NB201(ds, ep).metrics}
    assert {p.name for p in NPZ} == expected
    assert len(expected) == 13


@pytest.mark.parametrize("path", NPZ, ids=lambda p: p.name)
def test_npz_format(path):
    with np.load(path, allow_pickle=False) as npz:
        assert str(npz[_data.ORDER_MEMBER][()]) == _data.nb201_order_fingerprint()
        for name in npz.files:
            if name == _data.ORDER_MEMBER:
                continue
            arr = npz[name]
            assert arr.shape == (15625,), name
            assert arr.dtype == (np.float64 if name.endswith("accuracy") else np.float32), name
            assert name == "latency-edgetpu" or not np.isnan(arr).any(), name


def test_fingerprint_is_sha256_of_the_space_order():
    fp = _data.nb201_order_fingerprint()
    assert len(fp) == 64 and int(fp, 16) >= 0


def test_wrong_order_is_refused(monkeypatch):
    _data.load_column.cache_clear()
    monkeypatch.setattr(_data, "_verified", set())
    monkeypatch.setattr(_data, "nb201_order_fingerprint", lambda: "0" * 64)
    try:
        with pytest.raises(_data.AgnetBOError, match="different NB201 index order"):
            _data.load_column("nb201_cifar10_12ep.npz", "valid-accuracy")
    finally:
        _data.load_column.cache_clear()


def test_missing_file_and_member_errors():
    with pytest.raises(_data.AgnetBOError, match="build_benchmark_data.py"):
        _data.load_column("nope.npz", "x")
    with pytest.raises(_data.AgnetBOError, match="no column 'nope'"):
        _data.load_column("nb201_cifar10_12ep.npz", "nope")


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_import_loads_no_data():
    out = _run(
        "import sys, agnet_bo\n"
        "print('agnet_bo.benchmarks' in sys.modules, 'agnet_bo.benchmarks._data' in sys.modules)"
    )
    assert out == "False False"


def test_constructing_reads_nothing_and_evaluate_reads_only_what_is_asked():
    out = _run(
        "import agnet_bo as ab\n"
        "from agnet_bo.benchmarks import _data\n"
        "b = ab.benchmarks.NB201('cifar100', epochs=12)\n"
        "print(_data.load_column.cache_info().currsize, end=' ')\n"
        "b.evaluate(0, ['valid-accuracy'])\n"
        "print(_data.load_column.cache_info().currsize, sorted(_data._verified))"
    )
    assert out == "0 1 ['nb201_cifar100_12ep.npz']"


def test_provenance_and_licenses_cover_every_file():
    provenance = (DATA / "PROVENANCE.md").read_text()
    licenses = (DATA / "LICENSES.md").read_text()
    for path in NPZ:
        assert f"`{path.name}`" in provenance, path.name
    for holder in (
        "Xuanyi Dong",
        "Gabriela Ochoa and Nadarajen Veerapen",
        "BayesWatch",
        "FreeREA",
        "Gabriela Kadlecová",
        "GaTech-EIC",
        "HayeonLee",
    ):
        assert holder in licenses, holder
    assert licenses.count("Permission is hereby granted, free of charge") == 1
    assert not {p.suffix for p in DATA.iterdir()} & {".pkl", ".pickle", ".pt", ".pth"}
