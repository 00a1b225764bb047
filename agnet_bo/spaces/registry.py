"""Spaces as saved data: ``{"class": name, **space.to_config()}`` and back.

Only the classes agnet-bo ships are rebuilt from a file (a state file never names code to import);
any other space, or one holding a callable, is passed again by its owner.
"""

from __future__ import annotations

from typing import Any

from agnet_bo.exceptions import StateFileError
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.spaces.candidates import CandidateSpace
from agnet_bo.spaces.dag import DAGSpace
from agnet_bo.spaces.darts import DARTSSpace
from agnet_bo.spaces.nb101 import NB101Space
from agnet_bo.spaces.nb201 import NB201Space

__all__ = ["SPACE_CLASSES", "space_to_dict", "space_from_dict"]

SPACE_CLASSES: dict[str, type[SearchSpace]] = {
    cls.__name__: cls for cls in (NB201Space, NB101Space, DARTSSpace, DAGSpace, CandidateSpace)
}
"""The space classes a saved description can name."""


def space_to_dict(space: SearchSpace) -> dict[str, Any]:
    """``{"class": ..., **space.to_config()}``, or ``{"class": ..., "custom": True}`` for a space
    that cannot describe itself (:meth:`SearchSpace.to_config` returns ``None``)."""
    name = type(space).__name__
    config = space.to_config() if SPACE_CLASSES.get(name) is type(space) else None
    if config is None:
        return {"class": name, "custom": True}
    return {"class": name, **config}


def space_from_dict(d: dict[str, Any]) -> SearchSpace:
    """The space of :func:`space_to_dict`.

    Raises:
        StateFileError: If the space cannot be rebuilt (your own class, or a callable inside).
    """
    cls = SPACE_CLASSES.get(str(d.get("class")))
    config = {k: v for k, v in d.items() if k != "class"}
    if cls is not None and not d.get("custom") and not d.get("has_constraint") and not d.get("has_sampler"):
        return cls.from_config(config)
    what = " with a constraint callable" if d.get("has_constraint") else " with a sampler callable" if d.get("has_sampler") else ""
    raise StateFileError(
        f"The search space ({d.get('class')}{what}) cannot be rebuilt from the file; pass it again: "
        "Optimizer.load(path, space=...)."
    )
