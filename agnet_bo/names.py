"""The command line's names of components, presets, methods and benchmarks.

Part of the command-line layer (imported by :mod:`agnet_bo.cli` and :mod:`agnet_bo.experiment`
only): inside the library, components name themselves (``config_name``, :mod:`agnet_bo._config`)
and each kind keeps the registry of its classes. This module imports nothing, so the command
line can describe its options and refuse a bad argument before torch and BoTorch are loaded;
``tests/test_names.py`` checks that it offers exactly what the registries build.
"""

__all__ = ["SURROGATES", "PROPOSERS", "ACQUISITIONS", "PRESETS", "METHODS", "BENCHMARKS", "SURROGATE_CHOICES"]

SURROGATES: tuple[str, ...] = ("gnn", "gp", "mlp", "ensemble")
"""Surrogates built by name (:data:`agnet_bo.surrogates.SURROGATES`)."""

SURROGATE_CHOICES: tuple[str, ...] = ("gp", "gnn", "mlp", "ensemble", "paper", "none")
"""What a preset accepts as ``surrogate=``: :data:`SURROGATES`, ``"paper"`` (the jointly
trained MLP) and ``"none"`` (pick by the proposer alone)."""

PROPOSERS: tuple[str, ...] = ("agnet", "random", "mutation", "evolution", "local")
"""Proposers built by name (:data:`agnet_bo.presets.PROPOSERS`)."""

ACQUISITIONS: tuple[str, ...] = (
    "greedy", "ucb", "ts", "qlogei", "qlognei", "qlogehvi", "qlognehvi", "parego", "qlogehvi+parego", "rank-sum",
    "rank-constrained",
)
"""Acquisitions built by name (:data:`agnet_bo.acquisition.ACQUISITIONS`)."""

PRESETS: tuple[str, ...] = ("agnet", "paper", "agnet-mlp", "bananas", "evolution", "local", "random")
"""Presets by name (:data:`agnet_bo.presets.PRESETS`)."""

METHODS: tuple[str, ...] = ("agnet", "agnet-paper", "agnet-mlp", "bananas", "evolution", "local", "random")
"""Methods of ``agnet-bo run`` / ``compare`` (:data:`agnet_bo.experiment.METHODS`)."""

BENCHMARKS: tuple[str, ...] = ("nb201",)
"""Bundled benchmarks of the command line (:func:`agnet_bo.experiment.make_benchmark`)."""
