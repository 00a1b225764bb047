"""agnet-bo: sample-efficient neural architecture search with a generative proposal distribution.

The AG-Net method (Lukasik, Jung, Keuper, ECCV 2022) as an ask/tell Bayesian-optimisation library.
"""

from typing import TYPE_CHECKING

from agnet_bo import exceptions, spaces
from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.trial import Trial, TrialState

if TYPE_CHECKING:  # for static tools; at run time these are imported on first use (below)
    from agnet_bo import (
        acquisition,
        benchmarks,
        components,
        generator,
        networks,
        pareto,
        presets,
        prior,
        proposers,
        pruners,
        state,
        surrogates,
        testing,
    )
    from agnet_bo.optimizer import Optimizer
    from agnet_bo.prior import Prior

__version__ = "0.1.0"

__all__ = [
    "Architecture",
    "INPUT",
    "OUTPUT",
    "Optimizer",
    "Prior",
    "Trial",
    "TrialState",
    "exceptions",
    "spaces",
    "benchmarks",
    "generator",
    "surrogates",
    "proposers",
    "pruners",
    "acquisition",
    "presets",
    "prior",
    "components",
    "networks",
    "pareto",
    "state",
    "testing",
    "__version__",
]

_LAZY_MODULES = (
    "benchmarks", "generator", "surrogates", "proposers", "acquisition", "pareto", "testing", "networks", "presets",
    "components", "state", "pruners", "prior",
)


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Lazy imports keep `import agnet_bo` fast: torch, BoTorch and PyG load on first use.
    import importlib

    if name == "Optimizer":
        return importlib.import_module("agnet_bo.optimizer").Optimizer
    if name == "Prior":
        return importlib.import_module("agnet_bo.prior").Prior
    if name in _LAZY_MODULES:
        return importlib.import_module(f"agnet_bo.{name}")
    raise AttributeError(f"module 'agnet_bo' has no attribute {name!r}")
