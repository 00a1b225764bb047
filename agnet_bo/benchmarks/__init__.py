"""Benchmarks: the :class:`Benchmark` interface, user-built :class:`TabularBenchmark` and bundled NB201.

:class:`NB201` ships the NAS-Bench-201 tables (accuracies at 200 and 12 epochs, training time,
params, FLOPs, HW-NAS-Bench and HELP hardware costs) inside the package; see
``agnet_bo/benchmarks/data/PROVENANCE.md`` for where every number comes from and
``LICENSES.md`` for the licences. :class:`MNIST1D` and :class:`TrainingBenchmark` train the
proposed networks instead (real training on a CPU, epochs as the fidelity). Importing this module reads no data: a table column is read
the first time it is used and cached for the process.
"""

from agnet_bo.benchmarks.base import DIRECTIONS, Benchmark, Direction, TabularBenchmark, infer_direction
from agnet_bo.benchmarks.nb201 import HELP_DEVICES, HW_NAS_BENCH_METRICS, NB201, NB201_DATASETS, NB201_EPOCHS
from agnet_bo.benchmarks.training import (
    MNIST1D,
    TRAINING_METRICS,
    TrainingBenchmark,
    default_network_options,
    load_mnist1d,
)

__all__ = [
    "Benchmark",
    "TabularBenchmark",
    "Direction",
    "DIRECTIONS",
    "infer_direction",
    "NB201",
    "NB201_DATASETS",
    "NB201_EPOCHS",
    "HW_NAS_BENCH_METRICS",
    "HELP_DEVICES",
    "MNIST1D",
    "TRAINING_METRICS",
    "TrainingBenchmark",
    "default_network_options",
    "load_mnist1d",
]
