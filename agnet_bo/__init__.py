"""agnet-bo: sample-efficient neural architecture search with a generative proposal distribution.

The AG-Net method (Lukasik, Jung, Keuper, ECCV 2022) as an ask/tell Bayesian-optimisation library.
"""

from agnet_bo import exceptions, spaces
from agnet_bo.architecture import INPUT, OUTPUT, Architecture

__version__ = "0.1.0"

__all__ = ["Architecture", "INPUT", "OUTPUT", "exceptions", "spaces", "benchmarks", "__version__"]


def __getattr__(name: str):  # lazy: benchmarks load data files only when used
    if name == "benchmarks":
        import importlib

        return importlib.import_module("agnet_bo.benchmarks")
    raise AttributeError(f"module 'agnet_bo' has no attribute {name!r}")
