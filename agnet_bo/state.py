"""Versions of the optimizer's state file, and one migration per version.

:meth:`Optimizer.save <agnet_bo.Optimizer.save>` writes format :data:`FORMAT_VERSION`. A file of an
older version is brought up to date by :func:`migrate`, one step per version, before it is read,
so a search saved by any earlier release continues exactly as it would have.

Each step states the defaults its version ran under; they are never replayed from today's
defaults. Version history:

1. agnet-bo 0.1.0: components by name with ``surrogate_kwargs``, ``proposer_kwargs``,
   ``acquisition_kwargs`` and ``kappa``; the optimizer filled some defaults in when it was built.
2. Components as descriptions (``{"type": name, "params": {...}}``, :mod:`agnet_bo.components`)
   with every setting explicit; the preset that chose them is recorded.
3. Multi-fidelity: a ``pruner`` in the config (``None`` before), trials may be ``PRUNED`` and
   carry the ``intermediate`` values reported while they trained (none before).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agnet_bo.exceptions import StateFileError

__all__ = ["FORMAT_VERSION", "migrate", "MIGRATIONS"]

FORMAT_VERSION = 3
"""Version of the file written by :meth:`Optimizer.save <agnet_bo.Optimizer.save>`."""


# Settings of version 1 (agnet-bo 0.1.0), frozen here: a later change of a default must not change
# how an old file continues.
_V1_LOCAL_FRACTION = 0.25
_V1_RETRAIN_EPOCHS = 10
_V1_ANCHOR_SHARE = 0.25
_V1_PAREGO = ("parego", "qlogehvi+parego")
_V1_CONTEXT_DEFAULTS = {"mc_samples": 256, "mc_samples_mo": 64, "anchor_share": 0.0, "parego_weights": "random",
                        "observation_noise": False}


def _v1_acquisition(name: str, settings: Mapping[str, Any], kappa: Any) -> dict[str, Any]:
    s = {**_V1_CONTEXT_DEFAULTS, **settings}
    noise = {"observation_noise": bool(s["observation_noise"])}
    params: dict[str, Any]
    if name == "ucb":
        params = {"kappa": kappa, "mc_samples": s["mc_samples"], **noise}
    elif name in ("qlogei", "qlognei"):
        params = {"mc_samples": s["mc_samples"], **noise}
    elif name in ("qlogehvi", "qlognehvi"):
        params = {"mc_samples": s["mc_samples_mo"], **noise}
    elif name in _V1_PAREGO:
        params = {"anchor_share": s["anchor_share"], "weights": s["parego_weights"], "mc_samples": s["mc_samples"], **noise}
        if name == "qlogehvi+parego":
            params["mc_samples_mo"] = s["mc_samples_mo"]
    else:  # ts, greedy, rank-sum, rank-constrained: no settings
        params = {}
    return {"type": name, "params": params}


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: names and keyword dicts become explicit component descriptions, with the
    defaults version 1 filled in when it built the optimizer (and those of files written before
    some of them existed: no ParEGO anchors, pure generator pools and no spelled view with
    several objectives)."""
    cfg = dict(data["config"])
    multi = len(cfg["objectives"]) > 1
    seed = cfg["seed"]
    acq_name = cfg["acquisition"]
    acq_settings = dict(cfg.get("acquisition_kwargs") or {})
    sur_kwargs = dict(cfg.get("surrogate_kwargs") or {})
    prop_kwargs = dict(cfg.get("proposer_kwargs") or {})
    if multi and acq_name in _V1_PAREGO:
        acq_settings.setdefault("anchor_share", 0.0)  # files from before the anchors
    if multi and cfg["proposer"] == "agnet":
        prop_kwargs.setdefault("local_fraction", 0.0)  # files from before the local share
    if multi and cfg["surrogate"] == "gp":
        sur_kwargs.setdefault("spelled", False)  # files from before the spelled view
    sur = cfg["surrogate"]
    if sur is None:
        surrogate: dict[str, Any] | None = {"type": None, "class": "a Surrogate instance"}
    elif sur == "none":
        surrogate = None
    elif sur == "paper":
        surrogate = {"type": "joint-mlp", "params": {}}
    elif sur == "ensemble":
        surrogate = _v1_ensemble(sur_kwargs, seed)
    else:
        surrogate = {"type": sur, "params": {"seed": seed, **sur_kwargs}}
    prop = cfg["proposer"]
    if prop is None:
        proposer: dict[str, Any] = {"type": None, "class": "a Proposer instance"}
    elif prop == "agnet":
        if (
            sur not in ("none", "paper")
            and (not multi or acq_name in _V1_PAREGO)
            and prop_kwargs.get("mode", "autoregressive") == "autoregressive"
        ):
            prop_kwargs.setdefault("local_fraction", _V1_LOCAL_FRACTION)
        if prop_kwargs.get("mode", "autoregressive") == "autoregressive" and cfg.get("generator_config") is None:
            prop_kwargs.setdefault("epochs", _V1_RETRAIN_EPOCHS)
        params = {"seed": seed, **prop_kwargs}
        if cfg.get("generator_config") is not None:
            params["generator_config"] = cfg["generator_config"]
        proposer = {"type": "agnet", "params": params}
    elif prop == "local":
        proposer = {"type": "mutation", "params": {"n_parents": 1, **prop_kwargs}}
    else:
        proposer = {"type": prop, "params": prop_kwargs}
    out = {k: v for k, v in data.items() if k != "config"}
    out["version"] = 2
    out["config"] = {
        "objectives": cfg["objectives"],
        "constraints": cfg["constraints"],
        "preset": None,
        "surrogate": surrogate,
        "proposer": proposer,
        "acquisition": _v1_acquisition(acq_name, acq_settings, cfg["kappa"]),
        "n_initial": cfg["n_initial"],
        "pool_size": cfg["pool_size"],
        "seed": seed,
    }
    return out


def _v1_ensemble(kwargs: dict[str, Any], seed: int) -> dict[str, Any]:
    """Version 1's ``make_surrogate("ensemble", ...)`` as an explicit list of members (seeds
    spawned from the optimizer's seed, as it did)."""
    import numpy as np

    members = kwargs.get("members", [["gp", {"kernel": "wl"}], ["gnn", {}]])
    tf = kwargs.get("target_transform", "copula")
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(len(members))]
    out = []
    for spec, member_seed in zip(members, seeds, strict=True):
        name, params = (spec, {}) if isinstance(spec, str) else (spec[0], dict(spec[1]))
        out.append({"type": name, "params": {**params, "seed": member_seed, "target_transform": tf}})
    return {"type": "ensemble", "params": {"members": out, "num_threads": kwargs.get("num_threads", 1)}}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 had no pruning: no pruner, no intermediate values."""
    out = dict(data)
    out["config"] = {**data["config"], "pruner": None}
    out["trials"] = [{**t, "intermediate": []} for t in data["trials"]]
    out["version"] = 3
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}
"""``{version: step}``: each step turns a state of that version into one of the next."""


def migrate(data: Mapping[str, Any], source: str = "The state") -> dict[str, Any]:
    """``data`` brought up to :data:`FORMAT_VERSION`, one step per version.

    Raises:
        StateFileError: If the version is unknown or newer than this agnet-bo reads.
    """
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1 or version > FORMAT_VERSION:
        raise StateFileError(
            f"{source} has format version {version!r}; this agnet-bo reads 1 to {FORMAT_VERSION}. "
            "Upgrade agnet-bo to read a newer file."
        )
    out = dict(data)
    while out["version"] < FORMAT_VERSION:
        out = MIGRATIONS[out["version"]](out)
    return out
