"""Acquisitions by name: ``make_acquisition("ucb", kappa=2.0)``."""

from __future__ import annotations

from typing import Any

from agnet_bo.acquisition import multi, rank, single  # noqa: F401  (defining the built-ins registers them)
from agnet_bo.acquisition.base import Acquisition
from agnet_bo.exceptions import InputError, unknown_name

__all__ = ["ACQUISITION_CLASSES", "ACQUISITIONS", "SINGLE_OBJECTIVE", "MULTI_OBJECTIVE", "make_acquisition"]

ACQUISITION_CLASSES: dict[str, type[Acquisition]] = dict(
    sorted(Acquisition.registered().items(), key=lambda item: item[1].objectives != "single")
)
"""The built-in acquisition classes by name, single-objective ones first: each names itself
(``config_name``) and is registered when its module is imported (``single``, ``rank``,
``multi``, above)."""

ACQUISITIONS: tuple[str, ...] = tuple(ACQUISITION_CLASSES)
SINGLE_OBJECTIVE: tuple[str, ...] = tuple(n for n, c in ACQUISITION_CLASSES.items() if c.objectives == "single")
MULTI_OBJECTIVE: tuple[str, ...] = tuple(n for n, c in ACQUISITION_CLASSES.items() if c.objectives != "single")


def make_acquisition(name: str, **settings: Any) -> Acquisition:
    """The built-in acquisition ``name`` with ``settings`` as its constructor arguments.

    Raises:
        UnknownNameError: If ``name`` is not one of :data:`ACQUISITIONS`.
        InputError: If a setting is not an argument of that class, or is invalid.
    """
    if not isinstance(name, str) or name not in ACQUISITION_CLASSES:
        raise unknown_name("acquisition", name, ACQUISITIONS, "Or pass your own Acquisition instance.")
    cls = ACQUISITION_CLASSES[name]
    try:
        return cls(**settings)
    except TypeError as exc:
        import inspect

        accepted = [p for p in inspect.signature(cls).parameters]
        raise InputError(f"{cls.__name__} ({name!r}) does not accept {sorted(settings)}; it accepts {accepted}. ({exc})") from None
