"""An :class:`~agnet_bo.Optimizer` as JSON data and back (format :data:`~agnet_bo.state.FORMAT_VERSION`).

The optimizer's ``state_dict`` / ``from_state_dict`` call these; older formats are migrated by
:func:`agnet_bo.state.migrate` first. Model weights travel base64-encoded inside the JSON, read
with ``torch.load(..., weights_only=True)``: a state file never runs code.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from agnet_bo._files import atomic_write
from agnet_bo.acquisition import Acquisition
from agnet_bo.architecture import Architecture
from agnet_bo.components import acquisition_from_config, describe, proposer_from_config, surrogate_from_config
from agnet_bo.exceptions import InputError, StateFileError
from agnet_bo.prior import Prior
from agnet_bo.proposers import Proposer, restoring
from agnet_bo.pruners import Pruner
from agnet_bo.spaces import space_from_dict, space_to_dict
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.state import FORMAT_VERSION, migrate
from agnet_bo.surrogates import Surrogate

if TYPE_CHECKING:
    from agnet_bo.dispatch import Dispatcher
    from agnet_bo.optimizer import Optimizer
    from agnet_bo.strategy import Strategy
    from agnet_bo.trial import TrialStore

__all__ = ["SavingMixin", "encode_models", "state_from", "build_from_state"]


class SavingMixin:
    """The :class:`~agnet_bo.Optimizer`'s persistence: ``state_dict``, ``save``, ``load``, ``from_state_dict``."""

    if TYPE_CHECKING:
        _store: TrialStore
        _dispatch: Dispatcher
        _lock: Any
        strategy: Strategy

        @property
        def proposer(self) -> Proposer: ...

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without locks or threads (Ray Tune pickles a searcher that holds an optimizer);
        prefer :meth:`save` for keeping a search."""
        state = dict(self.__dict__)
        state.pop("_lock")
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = self._store.lock

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as JSON-serialisable data (model states base64-encoded), format
        :data:`~agnet_bo.state.FORMAT_VERSION`. A refit running in the background is waited for;
        the trials, queue and picks are read at one moment, whatever other threads do."""
        self._dispatch.wait()
        with self._dispatch._round_lock if not self.strategy.copies_models else contextlib.nullcontext():
            with self._lock:
                facade = self._dispatch.state()
                trials = self._store.to_dicts()
                models = encode_models(self.proposer)
        return state_from(self, facade, trials, models)  # type: ignore[arg-type]  # self is an Optimizer

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to ``path`` as JSON, atomically (temporary file, fsync, then rename)."""
        atomic_write(path, json.dumps(self.state_dict()))  # serialised first: a failure leaves no file

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        space: SearchSpace | None = None,
        surrogate: Surrogate | None = None,
        proposer: Proposer | None = None,
        acquisition: Acquisition | None = None,
        pruner: Pruner | None = None,
    ) -> Optimizer:
        """Resume a search saved with :meth:`save` (by this or an earlier agnet-bo: older formats
        are migrated, :mod:`agnet_bo.state`); pending trials stay pending.

        Args:
            path: The file.
            space: Required when the space cannot be rebuilt from the file (a ``DAGSpace`` with a
                constraint callable, or your own class).
            surrogate: Required when it was of your own class.
            proposer: Required when it was of your own class.
            acquisition: Required when it was of your own class.
            pruner: Required when it was of your own class.

        Raises:
            StateFileError: If the file is corrupted, from a newer format version, or needs
                arguments that were not given.
        """
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StateFileError(f"Cannot read optimizer state {path}: {exc}") from exc
        return cls.from_state_dict(
            data, space=space, surrogate=surrogate, proposer=proposer, acquisition=acquisition, pruner=pruner,
            source=str(path),
        )

    @classmethod
    def from_state_dict(
        cls,
        data: Mapping[str, Any],
        *,
        space: SearchSpace | None = None,
        surrogate: Surrogate | None = None,
        proposer: Proposer | None = None,
        acquisition: Acquisition | None = None,
        pruner: Pruner | None = None,
        source: str = "The state",
    ) -> Optimizer:
        """An optimizer from :meth:`state_dict` (what :meth:`load` does after reading the file).

        Args:
            data: The state, of any format version up to :data:`~agnet_bo.state.FORMAT_VERSION`.
            space: As for :meth:`load`.
            surrogate: As for :meth:`load`.
            proposer: As for :meth:`load`.
            acquisition: As for :meth:`load`.
            pruner: As for :meth:`load`.
            source: How to name the state in error messages.

        Raises:
            StateFileError: If the state is malformed, from a newer format version, or needs
                arguments that were not given.
        """
        return build_from_state(
            cls, data,  # type: ignore[arg-type]  # cls is Optimizer
            space=space, surrogate=surrogate, proposer=proposer, acquisition=acquisition, pruner=pruner,
            source=source,
        )

    def _restore(self, facade: dict[str, Any], trials: Sequence[Mapping[str, Any]], source: str) -> None:
        """Trials and the dispatcher's fields of a saved state (:func:`agnet_bo._saving.build_from_state`)."""
        self._store.load(trials, source)
        self._dispatch.restore(facade)


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
            "surrogate": describe(opt.strategy.base_surrogate),
            "proposer": describe(opt.proposer),
            "acquisition": describe(opt.acquisition),
            "n_initial": opt.n_initial,
            "pool_size": opt.pool_size,
            "max_model_trials": opt.max_model_trials,
            "model_subset": opt.strategy.model_subset,
            "initial_design": opt.strategy.initial_design_kind,
            "seed": opt.seed,
            "refit_every": opt.refit_every,
            "prefetch": opt.prefetch,
            "pruner": None if opt.pruner is None else opt.pruner.to_config(),
            "refit_in_background": opt.refit_in_background,
            **({} if opt.prior is None else {
                "prior": opt.prior.to_dict(), "prior_parts": list(opt.strategy.prior_parts),
                "prior_initial": opt.strategy.prior_initial,
            }),
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
            pruner = Pruner.from_config(cfg["pruner"])
        opt = cls(
            space,
            cfg["objectives"],
            constraints={k: tuple(v) for k, v in cfg["constraints"].items()},
            surrogate=surrogate if surrogate is not None else "none",
            proposer=prop,
            acquisition=acq,
            n_initial=cfg["n_initial"],
            pool_size=cfg["pool_size"],
            max_model_trials=cfg.get("max_model_trials"),  # files before it: the default
            seed=cfg["seed"],
            refit_every=cfg.get("refit_every", 1),
            prefetch=cfg.get("prefetch", 0),
            pruner=pruner,
            refit_in_background=cfg.get("refit_in_background", False),
            prior=None if cfg.get("prior") is None else Prior.from_dict(cfg["prior"], space),
            prior_parts=cfg.get("prior_parts", ()),
            prior_initial=cfg.get("prior_initial"),
            initial_design=cfg.get("initial_design", "random"),
        )
        opt.preset = cfg.get("preset")
        opt.strategy.model_subset = _subset_rule(cfg.get("model_subset", "best+random"))
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


def _subset_rule(rule: Any) -> str:
    """A saved :attr:`Strategy.model_subset <agnet_bo.strategy.Strategy.model_subset>`, checked."""
    from agnet_bo.strategy import MODEL_SUBSETS

    if rule not in MODEL_SUBSETS:
        raise StateFileError(f"Unknown model_subset {rule!r} in the state; expected one of {list(MODEL_SUBSETS)}.")
    return str(rule)
