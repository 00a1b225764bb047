"""Saved generator states: their format, what they must match, files and the shipped states.

A state is a dict of tensors and plain data (``torch.load(..., weights_only=True)`` reads it):
the format tag :data:`FORMAT`, the :func:`space_fingerprint` of the space it was trained for,
the configuration, the decoder's and the surrogate head's parameters and the training counters.
"""

from __future__ import annotations

import io
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agnet_bo._files import atomic_write
from agnet_bo.exceptions import InputError
from agnet_bo.generator.config import SHAPE_FIELDS, GeneratorConfig
from agnet_bo.spaces.base import SearchSpace

__all__ = ["FORMAT", "space_fingerprint", "check_state", "state_config", "read_state", "write_state", "shipped_state"]

FORMAT = "agnet_bo.generator/1"
"""The format tag of a generator state."""

def space_fingerprint(space: SearchSpace) -> dict[str, Any]:
    """What a saved generator state must match to be loaded into a generator for ``space``
    (the structure of its :attr:`~agnet_bo.spaces.SearchSpace.base_space`)."""
    space = space.base_space
    fixed = space.fixed_adjacency
    return {
        "space": type(space).__name__,
        "node_types": list(space.node_types),
        "max_nodes": int(space.max_nodes),
        "min_nodes": int(space.min_nodes),
        "fixed_adjacency": None if fixed is None else np.asarray(fixed).astype(int).tolist(),
    }


def check_state(state: Any, space: SearchSpace, config: GeneratorConfig) -> None:
    """Raise :class:`InputError` unless ``state`` is a generator state for ``space`` whose
    network has ``config``'s sizes and mode."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise InputError(f"Not an agnet-bo generator state (expected format {FORMAT!r}).")
    fp = space_fingerprint(space)
    if state["fingerprint"] != fp:
        theirs = state["fingerprint"]
        raise InputError(
            f"This generator state was saved for {theirs.get('space')} with node types {theirs.get('node_types')} "
            f"and {theirs.get('max_nodes')} nodes, not for {fp['space']} with {fp['node_types']} and "
            f"{fp['max_nodes']} nodes. Load it into a generator for the same space."
        )
    ours = config.to_dict()
    mismatch = {k: (state["config"].get(k), ours[k]) for k in SHAPE_FIELDS if state["config"].get(k) != ours[k]}
    if mismatch:
        raise InputError(
            f"The state's network differs from this generator's (field: (state, this)): {mismatch}. "
            "Build the generator with the state's sizes and mode, e.g. Generator.load(path, space)."
        )


def state_config(state: Any, overrides: dict[str, Any]) -> GeneratorConfig:
    """The configuration of a saved state with ``overrides`` of its training settings.

    Raises:
        InputError: If ``state`` holds no configuration, or ``overrides`` touch the network's
            sizes or mode.
    """
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
        raise InputError("Not an agnet-bo generator state (no configuration in it).")
    bad = sorted(set(overrides) & set(SHAPE_FIELDS))
    if bad:
        raise InputError(f"{bad} are fixed by the saved network and cannot be overridden.")
    return GeneratorConfig.from_dict({**state["config"], **overrides})


def read_state(path: str | os.PathLike[str]) -> Any:
    """A state from a file, read with ``torch.load(weights_only=True)`` (no code is unpickled)."""
    return torch.load(Path(path), weights_only=True)


def write_state(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically."""
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(path, buf.getvalue())


def shipped_state(space: SearchSpace, mode: str) -> dict[str, Any]:
    """The state shipped in the package for a space (the file
    ``pretrained/<space.pretrained_generator_name>-<mode>.pt``) and mode, with today's default
    training settings (the file fixes the network only).

    Raises:
        InputError: If no state is shipped for this space and mode, or the shipped one was
            trained for another structure (e.g. a subclass of a built-in space).
    """
    name = space.pretrained_generator_name
    folder = resources.files("agnet_bo.generator").joinpath("pretrained")
    path = folder.joinpath(f"{name}-{mode}.pt") if name else None
    state = None
    if path is not None and path.is_file():
        with path.open("rb") as fh:
            state = torch.load(fh, weights_only=True)
    if state is None or state.get("fingerprint") != space_fingerprint(space):
        shipped = sorted(p.name for p in folder.iterdir() if p.name.endswith(".pt"))
        raise InputError(
            f"No pretrained generator is shipped for {type(space.base_space).__name__} in mode {mode!r} "
            f"(shipped: {shipped}). Build one with Generator(space, mode={mode!r}).pretrain(...)."
        )
    shape = {k: state["config"][k] for k in SHAPE_FIELDS}
    return {**state, "config": {**GeneratorConfig().to_dict(), **shape}}
