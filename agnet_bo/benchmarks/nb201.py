"""NAS-Bench-201 as a tabular benchmark: accuracies, training time, size and hardware cost."""

from __future__ import annotations

from typing import Any

import numpy as np

from agnet_bo.architecture import Architecture
from agnet_bo.benchmarks._data import load_column
from agnet_bo.benchmarks.base import TabularBenchmark
from agnet_bo.exceptions import InputError, InvalidArchitectureError, UnknownNameError, unknown_name
from agnet_bo.spaces.nb201 import NB201Space

__all__ = ["NB201", "NB201_DATASETS", "NB201_EPOCHS", "HW_NAS_BENCH_METRICS", "HELP_DEVICES"]

NB201_DATASETS: tuple[str, ...] = ("cifar10", "cifar100", "ImageNet16-120")
"""The three datasets of NAS-Bench-201, spelled as NAS-Bench-201 spells them."""

NB201_EPOCHS: tuple[int, ...] = (200, 12)
"""The training budgets bundled: the full 200-epoch schedule and the 12-epoch one."""

HW_NAS_BENCH_METRICS: tuple[str, ...] = (
    "latency-edgegpu",
    "latency-raspi4",
    "latency-edgetpu",
    "latency-pixel3",
    "latency-eyeriss",
    "latency-fpga",
    "energy-edgegpu",
    "energy-eyeriss",
    "energy-fpga",
)
"""HW-NAS-Bench's hardware metrics (latency in ms, energy in mJ), available for every dataset."""

HELP_DEVICES: tuple[str, ...] = (
    "1080ti_1", "1080ti_32", "1080ti_256",
    "2080ti_1", "2080ti_32", "2080ti_256",
    "titanx_1", "titanx_32", "titanx_256",
    "titanxp_1", "titanxp_32", "titanxp_256",
    "titan_rtx_1", "titan_rtx_32", "titan_rtx_256",
    "gold_6226", "gold_6240", "silver_4114", "silver_4210r",
    "essential_ph_1", "pixel2", "samsung_a50", "samsung_s7",
)  # fmt: skip
"""The HELP devices whose NB201 latencies are bundled (metric ``"latency-<device>"``, CIFAR-10 only).

GPUs carry the batch size as suffix; ``gold_*`` / ``silver_*`` are Intel Xeon CPUs;
``essential_ph_1``, ``pixel2``, ``samsung_a50``, ``samsung_s7`` are phones (integer ms, from
BRP-NAS). HELP's ``raspi4``, ``pixel3``, ``eyeriss`` and ``fpga`` columns are HW-NAS-Bench's
CIFAR-10 values and are offered as ``latency-raspi4`` etc. instead.
"""

_HELP_METRICS: tuple[str, ...] = tuple(f"latency-{d}" for d in HELP_DEVICES)

_DATASET_LONG = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "ImageNet16-120": "ImageNet16-120"}

_HW_DEVICE_LONG = {
    "edgegpu": "NVIDIA Jetson TX2 (edge GPU)",
    "raspi4": "Raspberry Pi 4",
    "edgetpu": "Google Coral Edge TPU",
    "pixel3": "Google Pixel 3 phone",
    "eyeriss": "Eyeriss ASIC (simulated)",
    "fpga": "Xilinx ZC706 FPGA (simulated)",
}


def _file_of(metric: str, dataset: str, epochs: int) -> str:
    if metric in ("valid-accuracy", "test-accuracy", "train-time"):
        return f"nb201_{dataset}_{epochs}ep.npz"
    if metric in ("params", "flops"):
        return f"nb201_{dataset}_params_flops.npz"
    if metric in HW_NAS_BENCH_METRICS:
        return f"hwnasbench_nb201_{dataset}.npz"
    return "help_nb201_cifar10.npz"


def _describe(metric: str, dataset: str, epochs: int) -> str:
    ds = _DATASET_LONG[dataset]
    if metric == "valid-accuracy":
        if dataset == "cifar10":
            split = "validation accuracy (%) on the 25,000-image valid split, trained on the 25,000-image train split"
        else:
            split = "x-valid accuracy (%) (half of the test set), trained on the training set"
        return f"{ds} {split}, {epochs} epochs, mean over seeds. Search on this."
    if metric == "test-accuracy":
        if dataset == "cifar10":
            split = "test accuracy (%) on the 10,000 test images, trained on train+valid (50,000 images)"
        else:
            split = "x-test accuracy (%) (the other half of the test set)"
        return f"{ds} {split}, {epochs} epochs. Report it for the best-validation cell; do not search on it."
    if metric == "train-time":
        return f"Seconds to train the cell for 200 epochs on {ds} (NAS-Bench-201's measured time)."
    if metric == "params":
        return f"Parameters of the whole network for {ds} in millions (derived from the fixed NB201 skeleton)."
    if metric == "flops":
        return (
            f"Multiply-accumulates (MACs, 'FLOPs' in the NB201 convention) of one {ds} image in millions, "
            "conv + linear + avg-pool layers (derived; within 0.03 M of the published NB201 range)."
        )
    if metric in HW_NAS_BENCH_METRICS:
        kind, device = metric.split("-", 1)
        unit = "ms per image" if kind == "latency" else "mJ per image"
        text = f"HW-NAS-Bench {kind} on {_HW_DEVICE_LONG[device]}, {unit}, {ds} inputs."
        if device == "edgetpu":
            text += " NaN for the 4,699 cells HW-NAS-Bench did not measure (its -1)."
        return text
    device = metric[len("latency-") :]
    return f"HELP latency on {device} in ms (CIFAR-10 inputs; suffix of a GPU = batch size)."


class NB201(TabularBenchmark):
    r"""NAS-Bench-201 (NATS-Bench topology space), all 15,625 cells, bundled with the package.

    Values are looked up in tables that ship with agnet-bo (``agnet_bo/benchmarks/data``; see
    ``PROVENANCE.md`` and ``LICENSES.md`` there); no download and no external files are needed.
    Only the columns that are used are read, on first use, and kept for the rest of the process.

    Metrics (``dataset`` is the one chosen):

    * ``"valid-accuracy"``: the validation accuracy (%) to search on, AG-Net's protocol. CIFAR-10:
      the ``cifar10-valid`` run (train split -> valid split); CIFAR-100 / ImageNet16-120: ``x-valid``.
    * ``"test-accuracy"``: the test accuracy (%) to report for the best-validation cell. CIFAR-10:
      the ``cifar10`` run trained on train+valid, evaluated on the test set (best 94.37);
      CIFAR-100 / ImageNet16-120: ``x-test``.
    * ``"train-time"``: seconds for 200 training epochs (``epochs=200`` only).
    * ``"params"`` (millions) and ``"flops"`` (millions of multiply-accumulates).
    * HW-NAS-Bench, with ``dataset`` inputs: ``"latency-<d>"`` (ms) for ``d`` in ``edgegpu``,
      ``raspi4``, ``edgetpu``, ``pixel3``, ``eyeriss``, ``fpga``; ``"energy-<d>"`` (mJ) for
      ``edgegpu``, ``eyeriss``, ``fpga``. ``"latency-edgetpu"`` was not measured for 4,699 cells:
      :meth:`evaluate` returns ``float("nan")`` for them (never HW-NAS-Bench's ``-1``).
    * ``dataset="cifar10"`` only: HELP latencies (ms) on 23 more devices, ``"latency-<device>"``
      for ``device`` in :data:`HELP_DEVICES` (e.g. ``"latency-1080ti_1"``, ``"latency-gold_6226"``,
      ``"latency-pixel2"``); they were measured with CIFAR-10 inputs.

    Accuracies are stored as ``float64`` exactly as published; times, sizes and hardware costs as
    ``float32`` (relative rounding below ``6e-8``). :meth:`describe` gives a metric's source and
    unit.

    Args:
        dataset: ``"cifar10"``, ``"cifar100"`` or ``"ImageNet16-120"``.
        epochs: ``200`` (default, the published results) or ``12`` (the short schedule, one seed;
            accuracies only, no ``"train-time"``).

    Raises:
        UnknownNameError: If ``dataset`` or ``epochs`` is not one of the bundled ones.

    :meth:`evaluate` accepts an :class:`~agnet_bo.Architecture` of :class:`NB201Space`, an
    official arch string (``"|nor_conv_3x3~0|+|...|"``) or an official index ``0..15624``;
    :meth:`table` columns are in the official index order (:meth:`NB201Space.index
    <agnet_bo.spaces.NB201Space.index>`).

    Example:
        >>> import agnet_bo as ab
        >>> bench = ab.benchmarks.NB201(dataset="cifar10")
        >>> best = bench.best("valid-accuracy")
        >>> bench.space.index(best), bench.optimum("valid-accuracy")
        (6111, 91.60666665)
        >>> round(bench.evaluate(best, metrics=["test-accuracy"])["test-accuracy"], 4)
        94.3733
        >>> bench.direction("latency-pixel3"), bench.table("params").shape
        ('minimize', (15625,))
    """

    def __init__(self, dataset: str = "cifar10", epochs: int = 200) -> None:
        if not isinstance(dataset, str) or dataset not in NB201_DATASETS:
            hint = ""
            if isinstance(dataset, str):
                folded = dataset.lower().replace("_", "-")
                near = [d for d in NB201_DATASETS if d.lower() == folded or d.lower().startswith(folded + "-")]
                if near:
                    hint = f"Did you mean {near[0]!r}? Names are case-sensitive."
            raise unknown_name("NB201 dataset", dataset, NB201_DATASETS, hint)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or int(epochs) not in NB201_EPOCHS:
            raise unknown_name(
                "NB201 training budget `epochs`",
                epochs,
                NB201_EPOCHS,
                "NAS-Bench-201 tables are bundled for the full 200-epoch schedule and for 12 epochs only.",
            )
        self._dataset = dataset
        self._epochs = int(epochs)
        metrics: list[str] = ["valid-accuracy", "test-accuracy"]
        if self._epochs == 200:
            metrics.append("train-time")
        metrics += ["params", "flops", *HW_NAS_BENCH_METRICS]
        if dataset == "cifar10":
            metrics += _HELP_METRICS
        directions = {m: ("maximize" if m.endswith("accuracy") else "minimize") for m in metrics}
        space = NB201Space()
        self._init_table(space, tuple(metrics), directions, f"NB201({dataset!r}, epochs={self._epochs})", space.size)

    # -- properties -----------------------------------------------------------------------------
    @property
    def space(self) -> NB201Space:
        """The :class:`~agnet_bo.spaces.NB201Space` (15,625 cells)."""
        return self._space  # type: ignore[return-value]

    @property
    def dataset(self) -> str:
        """The dataset: ``"cifar10"``, ``"cifar100"`` or ``"ImageNet16-120"``."""
        return self._dataset

    @property
    def epochs(self) -> int:
        """The training budget of the accuracy columns: 200 or 12."""
        return self._epochs

    def describe(self, metric: str) -> str:
        """A one-line description of ``metric``: what it measures, its unit and its source.

        Raises:
            UnknownNameError: If ``metric`` is not one of :attr:`metrics`.
        """
        return _describe(self._check_metric(metric), self._dataset, self._epochs)

    # -- lookup -----------------------------------------------------------------------------------
    def _row(self, arch: Any) -> int:
        space: NB201Space = self._space  # type: ignore[assignment]
        if isinstance(arch, Architecture):
            try:
                return space.index(arch)
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(f"{arch!r} is not an NB201 cell, so {self.name} has no row for it: {exc}") from exc
        if isinstance(arch, str):
            return space.index(space.from_string(arch))
        if isinstance(arch, (int, np.integer)) and not isinstance(arch, bool):
            if not 0 <= int(arch) < space.size:
                raise InputError(f"An NB201 index is an int in 0..{space.size - 1}, got {int(arch)}.")
            return int(arch)
        raise InputError(
            f"{self.name} evaluates an agnet_bo.Architecture of NB201Space, an NB201 arch string or an index "
            f"0..{space.size - 1}; got {type(arch).__name__} {arch!r}."
        )

    def _column(self, metric: str) -> np.ndarray:
        return load_column(_file_of(metric, self._dataset, self._epochs), metric)

    def _arch_at(self, row: int) -> Architecture:
        return self._space.from_index(row)  # type: ignore[attr-defined]

    def _metric_error(self, metric: str) -> UnknownNameError:
        if metric in _HELP_METRICS:
            return UnknownNameError(
                f"Metric {metric!r} is only available with dataset='cifar10', got dataset={self._dataset!r}: HELP "
                "measured these latencies with CIFAR-10 inputs (32x32 images, 10 classes), which give a different "
                f"network than {self._dataset} inputs. Use NB201(dataset='cifar10') for it, or a HW-NAS-Bench metric "
                f"measured on {self._dataset}: {', '.join(map(repr, HW_NAS_BENCH_METRICS))}."
            )
        if metric == "train-time" and self._epochs != 200:
            return UnknownNameError(
                f"Metric 'train-time' is only bundled for epochs=200 (the 12-epoch table has accuracies only), got "
                f"epochs={self._epochs}. Use NB201(dataset={self._dataset!r}, epochs=200).evaluate(arch, "
                "'train-time') for the cost of a full training. "
                f"Valid metrics here: {', '.join(map(repr, self.metrics))}."
            )
        return unknown_name(f"metric for {self.name}", metric, self.metrics)

    def __repr__(self) -> str:
        return f"NB201(dataset={self._dataset!r}, epochs={self._epochs})"

