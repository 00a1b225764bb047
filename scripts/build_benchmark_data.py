"""Build the bundled NAS-Bench-201 tables in agnet_bo/benchmarks/data/ from the shared CSV sources.

Rerun from the project root with the shared benchmark data beside the checkout:

    python scripts/build_benchmark_data.py ../shared/benchdata

The sources are read-only CSV files described in ``<benchdata>/nasbench201/PROVENANCE.md`` and
``<benchdata>/hw_nasbench/PROVENANCE.md``. This script is the only code that reads them; the
package reads the ``.npz`` files written here (``np.savez_compressed``, loaded with
``allow_pickle=False``).

Written files (rows in NB201 index order, one ``.npy`` member per metric, plus the member
``nb201_index_sha256`` identifying that order):

* ``nb201_<dataset>_200ep.npz``: ``valid-accuracy``, ``test-accuracy`` (float64), ``train-time`` (float32)
* ``nb201_<dataset>_12ep.npz``: ``valid-accuracy``, ``test-accuracy`` (float64)
* ``nb201_<dataset>_params_flops.npz``: ``params``, ``flops`` (float32)
* ``hwnasbench_nb201_<dataset>.npz``: 6 latencies + 3 energies (float32; edgetpu -1 -> NaN)
* ``help_nb201_cifar10.npz``: 23 HELP device latencies (float32)

Before anything is written the script checks, and stops with an error otherwise:

* the SHA-256 of every source file (pinned below; ``--skip-sha-check`` to build from changed sources);
* 15,625 rows, ``index == 0..15624`` and every source's ``arch_str`` equal, row by row, to
  ``NB201Space().to_string(NB201Space().from_index(i))``;
* every value parses as a finite float; the columns duplicated between sources agree exactly;
* the optima and values documented in the PROVENANCE files and the benchdata README;
* HW-NAS-Bench ``edgetpu_latency`` is -1 for exactly 4,699 cells (the same cells for every dataset)
  and positive elsewhere; every other cost is positive.

After writing, every file is read back with ``allow_pickle=False`` and every metric of every
``agnet_bo.benchmarks.NB201(dataset, epochs)`` is compared with the source column.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agnet_bo.benchmarks import _data  # noqa: E402
from agnet_bo.benchmarks.nb201 import HELP_DEVICES, HW_NAS_BENCH_METRICS, NB201, NB201_DATASETS, _file_of  # noqa: E402
from agnet_bo.spaces import NB201Space  # noqa: E402

N = 15625
OUT_DIR = ROOT / "agnet_bo" / "benchmarks" / "data"

# Source files (relative to benchdata) and their SHA-256. The first five are the values printed in
# the PROVENANCE files; the others were recorded when this script was written.
SOURCES = {
    "c10_valid": ("nasbench201/nb201_cifar10-valid_200ep_avg.csv",
                  "1fc89edb42c804223ea2f520a3a65b5e10d8c34bc2d1bbca6bc4b4b38a193827"),
    "test_3ds": ("nasbench201/nb201_200ep_test_acc_3datasets.csv",
                 "74c00187323734b6a3fa20533dbe1aab62857e11b5b870020a676acc75457913"),
    "hw_cifar10": ("hw_nasbench/hwnasbench_nb201_cifar10.csv",
                   "c0d6a453e539913ff9680b9ed548f69f3dc3e38a59371341af43b71863005aea"),
    "hw_cifar100": ("hw_nasbench/hwnasbench_nb201_cifar100.csv",
                    "f88efa53c92804af2efcc465875725cdaf08148bcd3ab298fcc44086665c4521"),
    "hw_ImageNet16-120": ("hw_nasbench/hwnasbench_nb201_ImageNet16-120.csv",
                          "72d5bccc18d738f5e459911c221d0975091ca9926ad6629f5c5673da5d2b9e68"),
    "valid_test": ("nasbench201/nb201_200ep_valid_test_c100_in16.csv",
                   "fcf70b61ff68cfabc0a9e90feee2e0d9e95483e8174a947931d22a5c8bd30ba2"),
    "ep12": ("nasbench201/nb201_12ep_minibench.csv",
             "998a004f6a691886e3f21b4533300ce44498e52010ef0fa4f620641098305087"),
    "params_flops": ("nasbench201/nb201_params_flops_derived.csv",
                     "d4ba6d28f521c873fd9fab2a0c85fb758fc326e1337adf68fcc3e7d7c4195ef9"),
    "help": ("hw_nasbench/nb201_latency_help.csv",
             "d1197724f593f336e258f85e22a04c17c5f22ebfea7c1e0b6dd71e2cf2bfd92f"),
}  # fmt: skip

# 200-epoch accuracy / time columns per dataset: metric -> (source, column)
ACC_200 = {
    "cifar10": {
        "valid-accuracy": ("c10_valid", "valid-accuracy"),
        "test-accuracy": ("test_3ds", "cifar10_test"),
        "train-time": ("c10_valid", "train-all-time"),
    },
    "cifar100": {
        "valid-accuracy": ("valid_test", "cifar100_valid"),
        "test-accuracy": ("test_3ds", "cifar100_xtest"),
        "train-time": ("valid_test", "cifar100_train_time_s"),
    },
    "ImageNet16-120": {
        "valid-accuracy": ("valid_test", "imagenet16_valid"),
        "test-accuracy": ("test_3ds", "imagenet16_xtest"),
        "train-time": ("valid_test", "imagenet16_train_time_s"),
    },
}
EP12_PREFIX = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet"}
HW_COLUMN = {m: f"{m.split('-', 1)[1]}_{m.split('-', 1)[0]}" for m in HW_NAS_BENCH_METRICS}  # latency-x -> x_latency
HELP_DROPPED = {"raspi4": "raspi4_latency", "pixel3": "pixel3_latency", "eyeriss": "eyeriss_latency", "fpga": "fpga_latency"}
FLOAT32_METRICS = {"train-time", "params", "flops", *HW_NAS_BENCH_METRICS, *(f"latency-{d}" for d in HELP_DEVICES)}
EDGETPU_UNMEASURED = 4699


class BuildError(RuntimeError):
    """A source file is not what this script expects; nothing was written."""


def fail(msg: str) -> None:
    raise BuildError(msg)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Source:
    """One CSV source: its columns as lists of strings, checked for row count, index and arch order."""

    def __init__(self, key: str, root: Path, ref_strings: list[str], check_sha: bool) -> None:
        rel, expected_sha = SOURCES[key]
        self.key, self.path = key, root / rel
        if not self.path.is_file():
            fail(f"Source file {self.path} not found. Pass the benchdata folder, e.g. ../shared/benchdata.")
        digest = sha256(self.path)
        if check_sha and digest != expected_sha:
            fail(
                f"{rel} has SHA-256 {digest}, expected {expected_sha}. The source changed; review it against its "
                "PROVENANCE.md, update SOURCES in this script and agnet_bo/benchmarks/data/PROVENANCE.md, or rerun "
                "with --skip-sha-check."
            )
        self.sha = digest
        with open(self.path, newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            rows = list(reader)
        if len(rows) != N:
            fail(f"{rel}: expected {N} data rows, got {len(rows)}.")
        if len(set(header)) != len(header):
            fail(f"{rel}: duplicate column names in header {header}.")
        self.columns = {name: [r[j] for r in rows] for j, name in enumerate(header)}
        if any(len(r) != len(header) for r in rows):
            fail(f"{rel}: some rows do not have {len(header)} fields.")
        if self.columns["index"] != [str(i) for i in range(N)]:
            bad = next(i for i, v in enumerate(self.columns["index"]) if v != str(i))
            fail(f"{rel}: `index` must be 0..{N - 1} in order; row {bad} has index {self.columns['index'][bad]!r}.")
        arch = self.columns["arch_str"]
        for i in range(N):
            if arch[i] != ref_strings[i]:
                fail(
                    f"{rel}: arch_str of row {i} is {arch[i]!r}, but NB201Space().from_index({i}) is "
                    f"{ref_strings[i]!r}. The source is not in NB201 index order."
                )
        print(f"  {rel}: {N} rows, arch_str matches NB201Space row by row, sha256 {digest[:16]}...")

    def floats(self, column: str) -> np.ndarray:
        if column not in self.columns:
            fail(f"{self.path.name}: no column {column!r}; it has {sorted(self.columns)}.")
        try:
            arr = np.array([float(v) for v in self.columns[column]], dtype=np.float64)
        except ValueError as exc:
            fail(f"{self.path.name}, column {column!r}: a value is not a number ({exc}).")
        if not np.isfinite(arr).all():
            bad = int(np.flatnonzero(~np.isfinite(arr))[0])
            fail(f"{self.path.name}, column {column!r}: non-finite value {arr[bad]} at row {bad}.")
        return arr


def check_close(what: str, got: float, expected: float, tol: float) -> None:
    if not abs(got - expected) <= tol:
        fail(f"{what}: expected {expected} (within {tol}), got {got!r}.")
    print(f"  ok  {what} = {got!r}")


def check_equal(what: str, got: object, expected: object) -> None:
    if got != expected:
        fail(f"{what}: expected {expected!r}, got {got!r}.")
    print(f"  ok  {what} = {got!r}")


def build_tables(src: dict[str, Source]) -> dict[str, dict[str, np.ndarray]]:
    """All bundled columns as float64, keyed by file name then metric, after the documented checks."""
    tables: dict[str, dict[str, np.ndarray]] = {}

    # -- duplicated columns agree between sources
    for ds_col in ("cifar10_test", "cifar100_xtest", "imagenet16_xtest"):
        a, b = src["test_3ds"].floats(ds_col), src["valid_test"].floats(ds_col)
        if not np.array_equal(a, b):
            fail(f"{ds_col} differs between {SOURCES['test_3ds'][0]} and {SOURCES['valid_test'][0]}.")
    print("  ok  cifar10_test / cifar100_xtest / imagenet16_xtest identical in both 200-epoch files")

    # -- 200 epochs
    for ds, spec in ACC_200.items():
        tables[f"nb201_{ds}_200ep.npz"] = {m: src[s].floats(c) for m, (s, c) in spec.items()}
    c10 = tables["nb201_cifar10_200ep.npz"]
    check_close("cifar10 valid-accuracy of index 0", float(c10["valid-accuracy"][0]), 81.98266666, 1e-9)
    for ds, (v_best, v_idx, t_of_best, t_best, t_idx) in {
        "cifar10": (91.6067, 6111, 94.3733, 94.3733, 6111),
        "cifar100": (73.4933, 9930, 73.5133, 73.5133, 9930),
        "ImageNet16-120": (46.7333, 10676, 46.20, 47.3111, 857),
    }.items():
        t = tables[f"nb201_{ds}_200ep.npz"]
        v, te = t["valid-accuracy"], t["test-accuracy"]
        check_close(f"{ds} 200ep max valid-accuracy", float(v.max()), v_best, 5e-5)
        check_equal(f"{ds} 200ep argmax valid-accuracy (first)", int(np.argmax(v)), v_idx)
        check_equal(f"{ds} 200ep cells at max valid-accuracy", int((v == v.max()).sum()), 1)
        check_close(f"{ds} 200ep test-accuracy of the best-valid cell", float(te[v_idx]), t_of_best, 5e-5)
        check_close(f"{ds} 200ep max test-accuracy", float(te.max()), t_best, 5e-5)
        check_equal(f"{ds} 200ep argmax test-accuracy (first)", int(np.argmax(te)), t_idx)
        if not (t["train-time"] > 0).all():
            fail(f"{ds}: train-time must be positive everywhere.")
    check_equal("cifar10 200ep cells tied at max test-accuracy", np.flatnonzero(c10["test-accuracy"] == c10["test-accuracy"].max()).tolist(), [6111, 13714])

    # -- 12 epochs
    ep12 = src["ep12"]
    documented_12 = {
        ("cifar10", "test"): 89.16, ("cifar10", "val"): 84.89, ("cifar100", "test"): 61.18,
        ("cifar100", "val"): 61.32, ("imagenet", "test"): 38.27, ("imagenet", "val"): 38.67,
    }  # fmt: skip
    for ds, prefix in EP12_PREFIX.items():
        t = {"valid-accuracy": ep12.floats(f"{prefix}-val"), "test-accuracy": ep12.floats(f"{prefix}-test")}
        tables[f"nb201_{ds}_12ep.npz"] = t
        check_close(f"{ds} 12ep max valid-accuracy", float(t["valid-accuracy"].max()), documented_12[(prefix, "val")], 5e-3)
        check_close(f"{ds} 12ep max test-accuracy", float(t["test-accuracy"].max()), documented_12[(prefix, "test")], 5e-3)

    # -- params and FLOPs
    pf = src["params_flops"]
    for ds in NB201_DATASETS:
        t = {"params": pf.floats(f"{ds}_params_M"), "flops": pf.floats(f"{ds}_flops_M")}
        if not ((t["params"] > 0).all() and (t["flops"] > 0).all()):
            fail(f"{ds}: params and flops must be positive.")
        tables[f"nb201_{ds}_params_flops.npz"] = t
    t = tables["nb201_cifar10_params_flops.npz"]
    check_close("cifar10 params min (M)", float(t["params"].min()), 0.0733, 5e-5)
    check_close("cifar10 params max (M)", float(t["params"].max()), 1.5315, 5e-5)
    check_close("cifar10 flops min (M)", float(t["flops"].min()), 7.81, 5e-3)
    check_close("cifar10 flops max (M)", float(t["flops"].max()), 220.14, 5e-3)

    # -- HW-NAS-Bench
    unmeasured = None
    for ds in NB201_DATASETS:
        hw = src[f"hw_{ds}"]
        t = {m: hw.floats(HW_COLUMN[m]) for m in HW_NAS_BENCH_METRICS}
        tpu = t["latency-edgetpu"]
        missing = tpu == -1
        check_equal(f"{ds} HW-NAS-Bench edgetpu_latency == -1 count", int(missing.sum()), EDGETPU_UNMEASURED)
        if unmeasured is not None and not np.array_equal(missing, unmeasured):
            fail(f"{ds}: the cells with edgetpu_latency == -1 differ from cifar10's.")
        unmeasured = missing
        t["latency-edgetpu"] = np.where(missing, np.nan, tpu)
        for m, col in t.items():
            if not (col[~np.isnan(col)] > 0).all():
                fail(f"{ds} {m}: every measured value must be positive.")
        tables[f"hwnasbench_nb201_{ds}.npz"] = t
    hw10 = tables["hwnasbench_nb201_cifar10.npz"]
    for m, v in {"latency-raspi4": 10.481976820010459, "latency-pixel3": 3.60585,
                 "latency-eyeriss": 3.64562, "latency-fpga": 2.57296}.items():  # fmt: skip
        check_close(f"cifar10 HW-NAS-Bench {m} of index 0", float(hw10[m][0]), v, 1e-12)

    # -- HELP (CIFAR-10 inputs)
    helpsrc = src["help"]
    for dev, hw_col in HELP_DROPPED.items():
        if not np.array_equal(helpsrc.floats(dev), src["hw_cifar10"].floats(hw_col)):
            fail(f"HELP column {dev!r} is expected to equal HW-NAS-Bench cifar10 {hw_col!r} (so it is dropped), but differs.")
    print(f"  ok  HELP {sorted(HELP_DROPPED)} equal HW-NAS-Bench cifar10 exactly (dropped)")
    expected_help = set(helpsrc.columns) - {"index", "arch_str"} - set(HELP_DROPPED)
    if expected_help != set(HELP_DEVICES):
        fail(f"HELP device columns {sorted(expected_help)} do not match HELP_DEVICES {sorted(HELP_DEVICES)}.")
    t = {f"latency-{d}": helpsrc.floats(d) for d in HELP_DEVICES}
    for m, col in t.items():
        if not (col > 0).all():
            fail(f"HELP {m}: latencies must be positive.")
    tables["help_nb201_cifar10.npz"] = t
    return tables


def stored(metric: str, values: np.ndarray) -> np.ndarray:
    """The array written for a metric: float64 for accuracies, float32 otherwise."""
    if metric not in FLOAT32_METRICS:
        return values.astype(np.float64)
    out = values.astype(np.float32)
    ok = ~np.isnan(values)
    rel = np.abs(out[ok].astype(np.float64) - values[ok]) / np.abs(values[ok])
    if rel.max(initial=0.0) > 2.0**-24:
        fail(f"{metric}: float32 rounding error {rel.max()} is larger than expected.")
    return out


def write(tables: dict[str, dict[str, np.ndarray]], out_dir: Path) -> None:
    fingerprint = _data.nb201_order_fingerprint()
    out_dir.mkdir(parents=True, exist_ok=True)
    for fname, columns in tables.items():
        arrays = {m: stored(m, v) for m, v in columns.items()}
        arrays[_data.ORDER_MEMBER] = np.array(fingerprint)
        tmp = out_dir / (fname + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, out_dir / fname)
        # read back
        with np.load(out_dir / fname, allow_pickle=False) as npz:
            if sorted(npz.files) != sorted(arrays):
                fail(f"{fname}: members {sorted(npz.files)} != {sorted(arrays)} after writing.")
            for m, a in arrays.items():
                b = npz[m]
                if b.dtype != a.dtype or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    fail(f"{fname}/{m}: read-back differs from what was written.")
        print(f"  wrote {fname}: {len(columns)} metric(s), {(out_dir / fname).stat().st_size:,} bytes")


def verify_package(tables: dict[str, dict[str, np.ndarray]], out_dir: Path) -> None:
    """Every metric of every NB201 benchmark equals the source column (float32-rounded where stored so)."""
    if out_dir.resolve() != OUT_DIR.resolve():
        print("  (skipping the package check: --out is not the package data folder)")
        return
    _data.load_column.cache_clear()
    _data._verified.clear()
    space = NB201Space()
    expected_files = set(tables)
    used: set[str] = set()
    for ds in NB201_DATASETS:
        for epochs in (200, 12):
            bench = NB201(ds, epochs)
            for metric in bench.metrics:
                fname = _file_of(metric, ds, epochs)
                used.add(fname)
                want = stored(metric, tables[fname][metric]).astype(np.float64)
                got = bench.table(metric)
                if not np.array_equal(got, want, equal_nan=True):
                    fail(f"NB201({ds!r}, {epochs}).table({metric!r}) differs from the source column in {fname}.")
            best = bench.best("valid-accuracy")
            print(f"  ok  NB201({ds!r}, epochs={epochs}): {len(bench.metrics)} metrics; best valid "
                  f"{bench.optimum('valid-accuracy'):.4f} at index {space.index(best)}")
    if used != expected_files:
        fail(f"Files written but not used by NB201: {sorted(expected_files - used)}.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("benchdata", nargs="?", default="../shared/benchdata", help="the shared benchdata folder")
    parser.add_argument("--out", default=str(OUT_DIR), help="output folder (default: the package data folder)")
    parser.add_argument("--skip-sha-check", action="store_true", help="build even if a source's SHA-256 changed")
    args = parser.parse_args(argv)
    root = Path(args.benchdata)

    print("Reference order from NB201Space ...")
    space = NB201Space()
    ref = [space.to_string(space.from_index(i)) for i in range(N)]
    if len(set(ref)) != N or any(space.index(space.from_string(s)) != i for i, s in enumerate(ref)):
        fail("NB201Space's index order is not a bijection onto arch strings.")
    print("Reading and checking sources ...")
    src = {key: Source(key, root, ref, check_sha=not args.skip_sha_check) for key in SOURCES}
    print("Checking documented values ...")
    tables = build_tables(src)
    for cols in tables.values():
        for m, v in cols.items():
            if v.shape != (N,) or (m != "latency-edgetpu" and np.isnan(v).any()):
                fail(f"{m}: expected {N} values without NaN.")
    print(f"Writing {len(tables)} files to {args.out} ...")
    write(tables, Path(args.out))
    print("Verifying through agnet_bo.benchmarks.NB201 ...")
    verify_package(tables, Path(args.out))
    total = sum((Path(args.out) / f).stat().st_size for f in tables)
    print(f"Done: {len(tables)} files, {total:,} bytes.")


if __name__ == "__main__":
    try:
        main()
    except BuildError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        sys.exit(1)
