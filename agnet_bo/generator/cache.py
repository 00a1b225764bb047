"""The per-space cache of pretrained generators (:meth:`Generator.for_space`).

A space without a shipped state gets a generator pretrained once and kept in a file whose name
is a digest of everything the pretraining depends on (:func:`cache_key`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agnet_bo.generator.config import GeneratorConfig
from agnet_bo.generator.state import FORMAT, space_fingerprint
from agnet_bo.spaces.base import SearchSpace

__all__ = ["default_cache_dir", "cache_folder", "self_description", "cache_key", "cache_path"]

RETRAINING_FIELDS = ("epochs", "rank_k")
"""Configuration fields that only weighted retraining uses: they do not key the cache."""


def default_cache_dir() -> Path:
    """Where :meth:`Generator.for_space` caches pretrained generators: ``$AGNET_BO_CACHE_DIR`` if
    set, else ``$XDG_CACHE_HOME/agnet_bo`` (``~/.cache/agnet_bo``)."""
    env = os.environ.get("AGNET_BO_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agnet_bo"


def cache_folder(cache_dir: str | os.PathLike[str] | bool | None) -> Path | None:
    """The cache folder of a ``cache_dir`` argument: ``None`` or ``True`` for
    :func:`default_cache_dir`, ``False`` for none."""
    if cache_dir is False:
        return None
    return Path(default_cache_dir() if cache_dir in (None, True) else cache_dir)  # type: ignore[arg-type]


def self_description(space: SearchSpace) -> Any:
    """JSON data that fixes what a space samples, or ``None`` when only its samples can say:
    :meth:`SearchSpace.sample_description <agnet_bo.spaces.SearchSpace.sample_description>`."""
    return space.sample_description()


def cache_key(
    space: SearchSpace,
    config: GeneratorConfig,
    described: Any,
    samples: Sequence[str],
    n_samples: int,
    epochs: int,
    seed: int,
) -> dict[str, Any]:
    """Everything a pretrained generator depends on.

    Args:
        space: The space.
        config: The generator's settings (those of retraining are left out).
        described: :func:`self_description` of the space, or ``None``.
        samples: Keys of the pretraining samples (used when ``described`` is ``None``).
        n_samples: Pretraining samples asked for.
        epochs: Pretraining epochs.
        seed: The generator's seed.
    """
    return {
        "fingerprint": space_fingerprint(space),
        "config": {k: v for k, v in config.to_dict().items() if k not in RETRAINING_FIELDS},
        # a space that describes itself fully is keyed by that; otherwise by what it samples
        "space": described if described is not None else sorted(samples),
        "samples": int(n_samples),
        "epochs": int(epochs),
        "seed": int(seed),
        "format": FORMAT,
    }


def cache_path(folder: Path, key: dict[str, Any]) -> Path:
    """The cache file of a :func:`cache_key` under ``folder``."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    return folder / "generators" / f"{digest}.pt"
