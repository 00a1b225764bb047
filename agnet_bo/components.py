"""Components as saved data: a surrogate, proposer or acquisition described by JSON
(``{"type": name, "params": {...}}``) and rebuilt from it.

Each component describes itself (:meth:`to_config <agnet_bo._config.Configurable.to_config>`)
and each kind rebuilds its registered classes (``Surrogate.from_config``, ...,
:mod:`agnet_bo._config`); these functions are the state files' entry points. A saved search holds
the descriptions, so :meth:`Optimizer.load <agnet_bo.Optimizer.load>` rebuilds the same
components without replaying any default. A component of a class without its own
``config_name`` is described by its class path only and must be passed again on load: a state
file never names code to import.
"""

from __future__ import annotations

from typing import Any

from agnet_bo.acquisition import Acquisition
from agnet_bo.proposers import Proposer
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates import Surrogate

__all__ = ["describe", "surrogate_from_config", "proposer_from_config", "acquisition_from_config"]


def describe(component: Any) -> dict[str, Any] | None:
    """The JSON description of a component (``None`` for no component)."""
    return None if component is None else component.to_config()


def surrogate_from_config(cfg: dict[str, Any], space: SearchSpace, proposer: Proposer | None) -> Surrogate:
    """Rebuild a surrogate from :func:`describe` (the joint MLP needs its proposer's generator)."""
    out: Surrogate = Surrogate.from_config(cfg, space=space, proposer=proposer)
    return out


def proposer_from_config(cfg: dict[str, Any], space: SearchSpace) -> Proposer:
    """Rebuild a proposer from :func:`describe`; a generator proposer's generator is untrained
    (built inside :func:`agnet_bo.proposers.restoring`) until its state is loaded."""
    out: Proposer = Proposer.from_config(cfg, space=space)
    return out


def acquisition_from_config(cfg: dict[str, Any]) -> Acquisition:
    """Rebuild a built-in acquisition from :func:`describe`."""
    out: Acquisition = Acquisition.from_config(cfg)
    return out
