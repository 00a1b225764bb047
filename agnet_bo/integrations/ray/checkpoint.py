"""Checkpoint files: the JSON state of :class:`AGNetSearch`, and the periodic optimizer saves of
:func:`run_parallel`.

No pickle anywhere: a searcher state is a JSON object with the optimizer's
:meth:`~agnet_bo.Optimizer.state_dict`, the map Tune trial id -> optimizer trial id and the
searcher's own settings, so restoring one runs no stored code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agnet_bo._files import atomic_write
from agnet_bo.exceptions import StateFileError
from agnet_bo.state import migrate

if TYPE_CHECKING:
    from agnet_bo.optimizer import Optimizer
    from agnet_bo.spaces.base import SearchSpace

__all__ = [
    "SEARCHER_FORMAT_VERSION",
    "OptimizerCheckpoints",
    "SearcherState",
    "read_searcher_state",
    "searcher_state",
    "write_searcher_state",
]

SEARCHER_FORMAT_VERSION = 1
"""Version of the file written by ``AGNetSearch.save``."""

_FORMAT = "agnet_bo.ray.AGNetSearch"


# -- the searcher's state -------------------------------------------------------------------------
@dataclass
class SearcherState:
    """A searcher state read back by :meth:`SearcherState.parse`: what ``AGNetSearch.set_state`` restores."""

    optimizer: Optimizer | None
    trial_ids: dict[str, int]
    finished: set[str]
    info_keys: tuple[str, ...]
    metric: Any
    mode: Any
    last_results: dict[str, dict[str, Any]]

    @classmethod
    def parse(cls, state: Any, *, space: SearchSpace | None, current: Optimizer | None) -> SearcherState:
        """Validate ``state`` (as :func:`searcher_state` writes it) and rebuild its optimizer.

        Args:
            state: The state.
            space: The searcher's space, used when the state cannot rebuild it (``None`` if it has none).
            current: The searcher's optimizer, whose surrogate, proposer or acquisition is reused when
                the state holds an instance of the user's own class (``None`` if it has none).

        Raises:
            StateFileError: If the state is malformed, from a newer version, or needs a space
                other than ``space``.
        """
        from agnet_bo.optimizer import Optimizer

        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise StateFileError("Not an AGNetSearch state (expected a dict written by AGNetSearch.save / get_state).")
        version = state.get("version")
        if not isinstance(version, int) or version > SEARCHER_FORMAT_VERSION:
            raise StateFileError(
                f"AGNetSearch state has format version {version!r}; this agnet-bo reads up to "
                f"{SEARCHER_FORMAT_VERSION}. Upgrade agnet-bo."
            )
        try:
            opt_state = state["optimizer"]
            optimizer = None
            if opt_state is not None:
                saved_space = opt_state["space"]["class"]
                if space is not None and type(space).__name__ != saved_space:
                    raise StateFileError(
                        f"The saved search used a {saved_space} but this searcher has a {type(space).__name__}; "
                        "build the searcher with the same space before restoring."
                    )
                source = "The optimizer in the AGNetSearch state"
                cfg = migrate(opt_state, source=source)["config"]  # components described as in the current format
                optimizer = Optimizer.from_state_dict(
                    opt_state,
                    space=space,
                    surrogate=current.surrogate if current is not None and _is_custom(cfg["surrogate"]) else None,
                    proposer=current.proposer if current is not None and _is_custom(cfg["proposer"]) else None,
                    acquisition=(
                        current.acquisition if current is not None and _is_custom(cfg["acquisition"]) else None
                    ),
                    source=source,
                )
            trial_ids = {str(k): int(v) for k, v in state["trial_ids"].items()}
            finished = {str(k) for k in state["finished"]}
            n = 0 if optimizer is None else len(optimizer.trials)
            if any(not 0 <= v < n for v in trial_ids.values()) or not finished <= set(trial_ids):
                raise StateFileError("AGNetSearch state is inconsistent: trial ids that the optimizer does not have.")
            info_keys = tuple(str(k) for k in state["info_keys"])
            metric, mode = state["metric"], state["mode"]
            # the running trials' last intermediate results (absent from older states: none then)
            last_results = {str(k): dict(v) for k, v in state.get("last_results", {}).items() if str(k) in trial_ids}
        except StateFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(f"AGNetSearch state is corrupted or incomplete: {type(exc).__name__}: {exc}") from exc
        return cls(optimizer, trial_ids, finished, info_keys, metric, mode, last_results)


def _is_custom(component: Any) -> bool:
    """Whether a component of an optimizer state is an instance of the user's own class, which the
    state cannot rebuild (``{"type": None, "class": ...}``): the searcher's own instance is reused."""
    return isinstance(component, Mapping) and component.get("type") is None


def searcher_state(
    *,
    metric: Any,
    mode: Any,
    info_keys: Sequence[str],
    trial_ids: Mapping[str, int],
    finished: set[str],
    optimizer: Optimizer | None,
    last_results: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A searcher's state as JSON-serialisable data (what :meth:`SearcherState.parse` reads)."""
    return {
        "format": _FORMAT,
        "version": SEARCHER_FORMAT_VERSION,
        "metric": metric,
        "mode": mode,
        "info_keys": list(info_keys),
        "trial_ids": dict(trial_ids),
        "finished": sorted(finished),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "last_results": {k: dict(v) for k, v in (last_results or {}).items()},
    }


def write_searcher_state(path: str | os.PathLike[str], state: Mapping[str, Any]) -> None:
    """Write ``state`` to ``path`` as JSON, atomically."""
    atomic_write(path, json.dumps(state))


def read_searcher_state(path: str | os.PathLike[str]) -> Any:
    """The JSON data of ``path`` (not yet validated: see :meth:`SearcherState.parse`).

    Raises:
        StateFileError: If the file cannot be read or is not JSON.
    """
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StateFileError(f"Cannot read AGNetSearch state {path}: {exc}") from exc


# -- run_parallel's checkpoints -------------------------------------------------------------------
class OptimizerCheckpoints:
    """Save an optimizer to ``path`` after every ``every`` told results, and on :meth:`save_final`.

    With ``path=None`` nothing is saved.
    """

    def __init__(self, optimizer: Optimizer, path: str | os.PathLike[str] | None, every: int) -> None:
        self._optimizer = optimizer
        self._path = path
        self._every = every
        self._since_save = 0

    def result_told(self) -> None:
        """Count one told result; save when ``every`` have been told since the last save."""
        self._since_save += 1
        if self._path is not None and self._since_save >= self._every:
            self._optimizer.save(self._path)
            self._since_save = 0

    def save_final(self) -> None:
        """Save (whatever the count), as the run ends."""
        if self._path is not None:
            self._optimizer.save(self._path)
