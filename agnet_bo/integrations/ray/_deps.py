"""Ray as an optional dependency: imported on first use, or an ``ImportError`` naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["missing_ray", "require"]


def missing_ray(module: str, exc: ImportError) -> ImportError:
    """The error to raise when ``module`` (``ray`` or a submodule) failed to import with ``exc``."""
    what = "Ray Tune" if module.startswith("ray.tune") else "Ray"
    return ImportError(
        f"{what} is required for agnet_bo.integrations.ray but could not be imported ({exc}). "
        "Install the extra: pip install 'agnet-bo[ray]' (or pip install 'ray[tune]')."
    )


def require(module: str) -> ModuleType:
    """Import ``module`` (``ray`` or a submodule), or explain how to install it.

    Raises:
        ImportError: If Ray (or Ray Tune) is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_ray(module, exc) from exc
