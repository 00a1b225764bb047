"""Architectures in Ray Tune configs: the keys :class:`AGNetSearch` writes, and reading them back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError

if TYPE_CHECKING:
    from agnet_bo.spaces.base import SearchSpace

__all__ = [
    "CONFIG_ARCH",
    "CONFIG_ARCH_STR",
    "CONFIG_TRIAL",
    "arch_from_config",
    "arch_of_result",
    "arch_string",
    "is_unresolved",
]

CONFIG_ARCH = "arch"
"""Key of the architecture (``Architecture.to_dict()``) in a trainable's config."""

CONFIG_ARCH_STR = "arch_str"
"""Key of the space's string form of the architecture, for spaces that have one."""

CONFIG_TRIAL = "agnet_trial"
"""Key of the optimizer's trial id in a trainable's config."""


def arch_from_config(config: Mapping[str, Any]) -> Architecture:
    """The architecture of a trainable's config, as suggested by :class:`AGNetSearch`.

    Args:
        config: The ``config`` dict a Tune trainable receives.

    Returns:
        The :class:`~agnet_bo.Architecture` to build and train.

    Raises:
        InputError: If ``config`` has no ``"arch"`` entry (the trial was not suggested by
            ``AGNetSearch``: pass ``search_alg=AGNetSearch(...)`` to ``tune.TuneConfig``).
        InvalidArchitectureError: If the entry is malformed.
    """
    if not isinstance(config, Mapping) or CONFIG_ARCH not in config:
        keys = sorted(config) if isinstance(config, Mapping) else type(config).__name__
        raise InputError(
            f"Expected a Tune config with an {CONFIG_ARCH!r} entry (written by AGNetSearch.suggest), got keys {keys}. "
            "Pass search_alg=AGNetSearch(...) to tune.TuneConfig so that Tune asks agnet-bo for architectures."
        )
    return Architecture.from_dict(dict(config[CONFIG_ARCH]))


def arch_string(space: SearchSpace, arch: Architecture) -> str | None:
    """The space's own string form of ``arch`` (NB201 string, DARTS compact key), if it has one."""
    to_string = getattr(space, "to_string", None)
    if callable(to_string):
        return str(to_string(arch))
    to_compact = getattr(space, "to_compact", None)
    if callable(to_compact):
        return str(to_compact(arch))
    return None


def arch_of_result(result: Mapping[str, Any] | None) -> Architecture | None:
    """The architecture of a Tune result's config (nested or flattened keys), or ``None``."""
    if not result:
        return None
    config = result.get("config")
    data = config.get(CONFIG_ARCH) if isinstance(config, Mapping) else None
    if data is None:
        ops, edges = result.get(f"config/{CONFIG_ARCH}/ops"), result.get(f"config/{CONFIG_ARCH}/edges")
        data = None if ops is None or edges is None else {"ops": ops, "edges": edges}
    if not isinstance(data, Mapping):
        return None
    try:
        return Architecture.from_dict(dict(data))
    except InputError:
        return None


def is_unresolved(config: Any) -> bool:
    """Whether a Tune ``param_space`` holds search-space definitions (``tune.uniform``, grid search)."""
    if isinstance(config, Mapping):
        if "grid_search" in config:
            return True
        return any(is_unresolved(v) for v in config.values())
    if isinstance(config, (list, tuple)):
        return any(is_unresolved(v) for v in config)
    try:
        from ray.tune.search.sample import Domain
    except ImportError:  # pragma: no cover - only called from Tune
        return False
    return isinstance(config, Domain)
