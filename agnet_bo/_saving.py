"""An :class:`~agnet_bo.Optimizer` as JSON data and back (format :data:`~agnet_bo.state.FORMAT_VERSION`).

The optimizer's ``state_dict`` / ``from_state_dict`` call these; older formats are migrated by
:func:`agnet_bo.state.migrate` first. Model weights travel base64-encoded inside the JSON, read
with ``torch.load(..., weights_only=True)``: a state file never runs code.
"""

from __future__ import annotations

import base64
import copy
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch

from agnet_bo.acquisition import Acquisition
from agnet_bo.architecture import Architecture
from agnet_bo.components import acquisition_from_config, describe, proposer_from_config, surrogate_from_config
from agnet_bo.exceptions import InputError, StateFileError
from agnet_bo.proposers import Proposer, restoring
from agnet_bo.pruners import Pruner
from agnet_bo.spaces import space_from_dict, space_to_dict
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.state import FORMAT_VERSION, migrate
from agnet_bo.surrogates import Surrogate

if TYPE_CHECKING:
    from agnet_bo.optimizer import Optimizer

__all__ = ["encode_models", "state_from", "build_from_state"]


def encode_models(proposer: Proposer) -> str:
    """The proposer's state (tensors and plain data) as base64 text."""
    buf = io.BytesIO()
    torch.save(proposer.state_dict(), buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def state_from(opt: Optimizer, facade: Mapping[str, Any], trials: list[dict[str, Any]], proposer_state: str) -> dict[str, Any]:
    """The JSON state of ``opt``, from pieces its caller read under the optimizer's lock."""
    return {
        "format": "agnet_bo.optimizer",
        "version": FORMAT_VERSION,
        "space": space_to_dict(opt.space),
        "config": copy.deepcopy({  # a copy: editing the result leaves the optimizer alone
            "objectives": opt.objectives,
            "constraints": {k: list(v) for k, v in opt.constraints.items()},
            "preset": opt.preset,
            "surrogate": describe(opt.surrogate),
            "proposer": describe(opt.proposer),
            "acquisition": describe(opt.acquisition),
            "n_initial": opt.n_initial,
            "pool_size": opt.pool_size,
            "seed": opt.seed,
            "refit_every": opt.refit_every,
            "prefetch": opt.prefetch,
            "pruner": _describe_pruner(opt.pruner),
            "refit_in_background": opt.refit_in_background,
        }),
        **facade,
        "trials": trials,
        "proposer_state": proposer_state,
    }


def build_from_state(
    cls: type[Optimizer],
    data: Mapping[str, Any],
    *,
    space: SearchSpace | None,
    surrogate: Surrogate | None,
    proposer: Proposer | None,
    acquisition: Acquisition | None,
    pruner: Pruner | None,
    source: str,
) -> Optimizer:
    """An optimizer with the saved configuration, models, trials, queue and picks.

    Raises:
        StateFileError: As :meth:`Optimizer.from_state_dict <agnet_bo.Optimizer.from_state_dict>`.
    """
    if not isinstance(data, Mapping) or data.get("format") != "agnet_bo.optimizer":
        raise StateFileError(f"{source} is not an agnet-bo optimizer state.")
    try:
        state = migrate(data, source=source)
        cfg = state["config"]
        space = space if space is not None else space_from_dict(state["space"])
        with restoring():  # the proposer's state is in the file: never pretrain here
            prop = proposer if proposer is not None else proposer_from_config(cfg["proposer"], space)
        if surrogate is None and cfg["surrogate"] is not None:
            surrogate = surrogate_from_config(cfg["surrogate"], space, prop)
        acq = acquisition
        if acq is None and cfg["acquisition"] is not None:
            acq = acquisition_from_config(cfg["acquisition"])
        if pruner is None and cfg.get("pruner") is not None:
            pruner = _pruner_from_config(cfg["pruner"], source)
        opt = cls(
            space,
            cfg["objectives"],
            constraints={k: tuple(v) for k, v in cfg["constraints"].items()},
            surrogate=surrogate if surrogate is not None else "none",
            proposer=prop,
            acquisition=acq,
            n_initial=cfg["n_initial"],
            pool_size=cfg["pool_size"],
            seed=cfg["seed"],
            refit_every=cfg.get("refit_every", 1),
            prefetch=cfg.get("prefetch", 0),
            pruner=pruner,
            refit_in_background=cfg.get("refit_in_background", False),
        )
        opt.preset = cfg.get("preset")
        raw = base64.b64decode(state["proposer_state"].encode("ascii"), validate=True)
        opt.proposer.load_state_dict(torch.load(io.BytesIO(raw), weights_only=True))
        opt._restore(read_facade(state), state["trials"], source)
    except StateFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, InputError) as exc:
        raise StateFileError(f"{source} is corrupted or incomplete: {type(exc).__name__}: {exc}") from exc
    return opt


def read_facade(state: Mapping[str, Any]) -> dict[str, Any]:
    """The facade's fields of a migrated state (files before 0.2 had no queue, no reserve)."""
    return {
        "rounds": int(state["rounds"]),
        "queue": [Architecture.from_dict(a) for a in state.get("queue", [])],
        "dirty": bool(state["dirty"]),
        "told_since_refit": int(state.get("told_since_refit", 0)),
        "reserve": [Architecture.from_dict(a) for a in state.get("reserve", [])],
    }


def _describe_pruner(pruner: Pruner | None) -> dict[str, Any] | None:
    if pruner is None:
        return None
    from agnet_bo import pruners

    cls = type(pruner)
    builtin = getattr(pruners, cls.__name__, None) is cls
    return {"type": cls.__name__, "params": pruner.get_params() if builtin else None}


def _pruner_from_config(cfg: Mapping[str, Any], path: str) -> Pruner:
    from agnet_bo import pruners

    cls = getattr(pruners, str(cfg["type"]), None)
    if cfg.get("params") is None or not (isinstance(cls, type) and issubclass(cls, Pruner)):
        raise StateFileError(
            f"{path} was searched with a pruner of your own class ({cfg['type']}); pass it again: "
            "Optimizer.load(path, pruner=YourPruner(...))."
        )
    return cls(**cfg["params"])
