"""Ray Tune's ``metric``/``mode`` as agnet-bo objectives (``{"name": "maximize" | "minimize"}``) and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agnet_bo.exceptions import InputError

__all__ = ["metric_mode_of", "objectives_from"]

_MODES = {"max": "maximize", "min": "minimize"}


def objectives_from(metric: Any, mode: Any) -> dict[str, str]:
    """Tune's ``metric``/``mode`` (a name and "max"/"min", or two equally long lists) as objectives.

    Raises:
        InputError: If they are malformed.
    """
    example = 'metric="valid-accuracy", mode="max", or metric=["acc", "latency"], mode=["max", "min"]'
    if isinstance(metric, str) and isinstance(mode, str):
        metrics, modes = [metric], [mode]
    elif isinstance(metric, (list, tuple)) and isinstance(mode, (list, tuple)):
        metrics, modes = list(metric), list(mode)
        if len(metrics) != len(modes) or not metrics:
            raise InputError(
                f"`metric` and `mode` need one mode per metric, got {len(metrics)} metric(s) {metrics} "
                f"and {len(modes)} mode(s) {modes}. Example: {example}."
            )
    else:
        raise InputError(
            f"`metric` and `mode` must both be strings or both be lists, got metric={metric!r}, mode={mode!r}. "
            f"Example: {example}."
        )
    out: dict[str, str] = {}
    for m, d in zip(metrics, modes, strict=False):
        if not isinstance(m, str) or not m:
            raise InputError(f"A metric must be a non-empty string, got {m!r}. Example: {example}.")
        if d not in _MODES:
            raise InputError(
                f"`mode` must be 'max' or 'min' for each metric, got {d!r} for {m!r}. "
                "(Ray's 'obs' mode is not supported: report observed-only values in the result and keep them "
                "with info_keys=[...].)"
            )
        if m in out:
            raise InputError(f"Metric {m!r} is listed twice in `metric`={metrics}.")
        out[m] = _MODES[d]
    return out


def metric_mode_of(objectives: Mapping[str, str]) -> tuple[str | list[str], str | list[str]]:
    """Inverse of :func:`objectives_from`: a single objective as strings, several as lists."""
    names = list(objectives)
    modes = ["max" if objectives[n] == "maximize" else "min" for n in names]
    if len(names) == 1:
        return names[0], modes[0]
    return names, modes
