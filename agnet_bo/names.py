"""The names of the built-in components, presets and methods: one list each, shared by the
registries, their error messages, the docstrings and the command line's ``--help``.

This module imports nothing, so the command line can describe its options and refuse a bad
argument before torch and BoTorch are loaded. ``tests/test_names.py`` checks that every
registry knows exactly these names.
"""

__all__ = ["SURROGATES", "PROPOSERS", "ACQUISITIONS", "PRESETS", "METHODS", "BENCHMARKS", "SURROGATE_CHOICES"]

SURROGATES: tuple[str, ...] = ("gnn", "gp", "mlp", "ensemble")
"""Surrogates built by name (:func:`agnet_bo.surrogates.make_surrogate`)."""

SURROGATE_CHOICES: tuple[str, ...] = ("gp", "gnn", "mlp", "ensemble", "paper", "none")
"""What a preset accepts as ``surrogate=``: :data:`SURROGATES`, ``"paper"`` (the jointly
trained MLP) and ``"none"`` (pick by the proposer alone)."""

PROPOSERS: tuple[str, ...] = ("agnet", "random", "mutation", "evolution", "local")
"""Proposers built by name (:func:`agnet_bo.proposers.make_proposer`)."""

ACQUISITIONS: tuple[str, ...] = (
    "ucb", "ts", "greedy", "qlogei", "qlognei", "qlogehvi", "qlognehvi", "parego", "qlogehvi+parego", "rank-sum",
    "rank-constrained",
)
"""Acquisitions built by name (:func:`agnet_bo.acquisition.make_acquisition`)."""

PRESETS: tuple[str, ...] = ("agnet", "paper", "agnet-mlp", "bananas", "evolution", "local", "random")
"""Presets by name (:data:`agnet_bo.presets.PRESETS`)."""

METHODS: tuple[str, ...] = ("agnet", "agnet-paper", "agnet-mlp", "bananas", "evolution", "local", "random")
"""Methods of ``agnet-bo run`` / ``compare`` (:data:`agnet_bo.experiment.METHODS`)."""

BENCHMARKS: tuple[str, ...] = ("nb201",)
"""Bundled benchmarks of the command line (:func:`agnet_bo.experiment.make_benchmark`)."""
