"""Objectives and outcome constraints as the user states them, checked and normalised."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from agnet_bo.exceptions import InputError

__all__ = ["DIRECTIONS", "parse_objectives", "parse_constraints"]

DIRECTIONS = ("maximize", "minimize")


def parse_objectives(objectives: Any) -> dict[str, str]:
    """``{name: direction}``. A lone name is maximised unless it reads like a cost (its direction
    is then ambiguous enough to ask for); a list is refused, since it says no directions."""
    if objectives is None:
        return {"value": "maximize"}
    if isinstance(objectives, str):
        from agnet_bo.benchmarks.base import infer_direction

        if infer_direction(objectives) == "minimize":
            raise InputError(
                f"A lone objective name is maximised, but {objectives!r} reads like something to minimise. "
                f'Say which: objectives={{"{objectives}": "minimize"}} (or "maximize").'
            )
        return {objectives: "maximize"}
    if isinstance(objectives, Mapping):
        out = {}
        for name, d in objectives.items():
            if not isinstance(name, str) or d not in DIRECTIONS:
                raise InputError(
                    f"`objectives` maps names to 'maximize' or 'minimize', got {name!r}: {d!r}. "
                    'Example: {"valid-accuracy": "maximize", "latency": "minimize"}.'
                )
            out[name] = d
        if not out:
            raise InputError("`objectives` must name at least one objective.")
        return out
    if isinstance(objectives, Sequence) and all(isinstance(o, str) for o in objectives) and objectives:
        example = ", ".join(f'"{o}": "maximize"' for o in objectives)
        raise InputError(
            f"`objectives` as a list ({list(objectives)!r}) says nothing about directions. Give a dict of "
            f'name -> "maximize" / "minimize", e.g. objectives={{{example}}} with "minimize" where smaller is better.'
        )
    raise InputError(
        f'`objectives` must be a name (maximised) or a dict name -> "maximize" / "minimize"; got {objectives!r}.'
    )


def parse_constraints(constraints: Any) -> dict[str, tuple[str, float]]:
    """``{name: ("<=" or ">=", bound)}`` from a dict such as ``{"latency": ("<=", 5.0)}``."""
    if constraints is None:
        return {}
    if not isinstance(constraints, Mapping):
        raise InputError(f'`constraints` must be a dict like {{"latency": ("<=", 5.0)}}, got {constraints!r}.')
    out = {}
    for name, spec in constraints.items():
        ok = isinstance(spec, (tuple, list)) and len(spec) == 2 and spec[0] in ("<=", ">=")
        if not ok or not isinstance(spec[1], (int, float)) or not math.isfinite(float(spec[1])):
            raise InputError(f'A constraint is ("<=" or ">=", finite number); got {name!r}: {spec!r}.')
        out[str(name)] = (spec[0], float(spec[1]))
    return out
