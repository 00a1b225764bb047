"""Distributed evaluation on Ray: a Ray Tune searcher and a parallel driver over Ray tasks.

Two ways to evaluate many architectures at once with an :class:`~agnet_bo.Optimizer`:

* :class:`AGNetSearch` is a Ray Tune ``Searcher``. Tune runs the trainables, schedules, stops
  and checkpoints; the searcher maps each Tune trial id to a :class:`~agnet_bo.Trial`, hands the
  architecture to the trainable in its ``config`` and tells the optimizer what the trainable
  reported.
* :func:`run_parallel` is for users who don't use Tune: it runs an objective function on
  architectures in up to ``max_concurrent`` Ray tasks, asks the optimizer for new architectures
  as tasks finish, and handles timeouts, crashed workers, progress and checkpoints.

Both work unchanged on a laptop (``ray.init()``) and on a cluster (``ray.init(address="auto")``
on a cluster node, or ``ray.init(address="ray://<head>:10001")`` from outside).

Ray is imported on first use, so this module can be imported without it; using either entry
point without Ray raises an ``ImportError`` naming the extra to install
(``pip install 'agnet-bo[ray]'``).

The configuration a trainable receives from :class:`AGNetSearch` (merged into Tune's
``param_space``, whose other, fixed, values are kept) is::

    {
        "arch": {"ops": [...], "edges": [[u, v], ...]},   # Architecture.to_dict()
        "arch_str": "|nor_conv_3x3~0|+|...|",             # only for spaces with a string form
        "agnet_trial": 3,                                 # the Trial id in the optimizer
    }

Rebuild the architecture with :func:`arch_from_config`. ``arch_str`` is ``space.to_string(arch)``
for NAS-Bench-201 and NASLib's compact string (the NAS-Bench-301 key) for DARTS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agnet_bo.integrations.ray.checkpoint import SEARCHER_FORMAT_VERSION
from agnet_bo.integrations.ray.config import CONFIG_ARCH, CONFIG_ARCH_STR, CONFIG_TRIAL, arch_from_config
from agnet_bo.integrations.ray.parallel import run_parallel

if TYPE_CHECKING:
    from agnet_bo.integrations.ray.searcher import AGNetSearch

# The modules of this package, each with one job:
#   config      the keys of a trainable's config and the architecture in it (arch_from_config)
#   objectives  Tune's metric/mode as agnet-bo objectives and back
#   results     what a trainable or objective reports, as values and info to tell
#   checkpoint  AGNetSearch's JSON state file; run_parallel's periodic optimizer saves
#   searcher    AGNetSearch, the Tune Searcher (imports Ray Tune; loaded on first access, below)
#   parallel    run_parallel, the driver over Ray tasks (imports Ray when called)
#   _deps       importing Ray, or an ImportError naming the extra to install

__all__ = [
    "CONFIG_ARCH",
    "CONFIG_ARCH_STR",
    "CONFIG_TRIAL",
    "SEARCHER_FORMAT_VERSION",
    "AGNetSearch",
    "arch_from_config",
    "run_parallel",
]


def __getattr__(name: str) -> Any:
    # AGNetSearch subclasses Ray Tune's Searcher, so its module imports Ray Tune: it is imported when
    # AGNetSearch is first accessed, and importing this package does not import Ray.
    if name == "AGNetSearch":
        from agnet_bo.integrations.ray.searcher import AGNetSearch

        return AGNetSearch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
