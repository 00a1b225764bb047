"""Argument checks shared by the whole package, each raising :class:`~agnet_bo.exceptions.InputError`
with what was expected, what was received and (where it helps) how to fix it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from agnet_bo.exceptions import InputError

__all__ = ["check_int", "check_float", "check_seed", "check_bool", "check_json", "is_number"]


def is_number(value: object) -> bool:
    """A real number (Python or NumPy), and not a bool."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


def check_int(name: str, value: object, minimum: int | None = 1, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]`` (either bound may be ``None``)."""
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer))
    if ok and minimum is not None and int(value) < minimum:  # type: ignore[call-overload]
        ok = False
    if ok and maximum is not None and int(value) > maximum:  # type: ignore[call-overload]
        ok = False
    if not ok and minimum == 0 and maximum is None:
        raise InputError(f"`{name}` must be a non-negative integer, got {type(value).__name__} {value!r}.")
    if not ok:
        lo = "" if minimum is None else f" >= {minimum}"
        hi = "" if maximum is None else f" <= {maximum}"
        both = " and" if lo and hi else ""
        raise InputError(f"`{name}` must be an int{lo}{both}{hi}, got {type(value).__name__} {value!r}.")
    return int(value)  # type: ignore[call-overload]


def check_float(
    name: str, value: object, *, minimum: float | None = None, maximum: float | None = None, strict_minimum: bool = False
) -> float:
    """``value`` as a finite float within the bounds (``> minimum`` when ``strict_minimum``)."""
    ok = is_number(value) and math.isfinite(float(value))  # type: ignore[arg-type]
    if ok:
        x = float(value)  # type: ignore[arg-type]
        if minimum is not None and (x < minimum or (strict_minimum and x == minimum)):
            ok = False
        if maximum is not None and x > maximum:
            ok = False
    if not ok:
        parts = []
        if minimum is not None:
            parts.append(f"{'>' if strict_minimum else '>='} {minimum:g}")
        if maximum is not None:
            parts.append(f"<= {maximum:g}")
        bound = (" " + " and ".join(parts)) if parts else ""
        raise InputError(f"`{name}` must be a finite number{bound}, got {type(value).__name__} {value!r}.")
    return float(value)  # type: ignore[arg-type]


def check_seed(value: object, *, allow_none: bool = False) -> int | None:
    """A seed: a non-negative int (or ``None`` when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < 0:
        also = " or None" if allow_none else ""
        raise InputError(f"`seed` must be a non-negative int{also}, got {type(value).__name__} {value!r}.")
    return int(value)


def check_bool(name: str, value: object) -> bool:
    """``value`` as a bool (Python or NumPy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"`{name}` must be True or False, got {type(value).__name__} {value!r}.")
    return bool(value)


def check_json(name: str, value: Mapping[str, Any], hint: str = "") -> None:
    """``value`` must be JSON-serialisable (numbers, strings, lists, dicts)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"`{name}` must hold JSON values (numbers, strings, lists, dicts); {exc}.{hint}") from None


def check_no_unexpected(owner: str, given: Mapping[str, Any], accepted: Sequence[str], moved: Mapping[str, str] | None = None) -> None:
    """Refuse keyword arguments ``owner`` does not take, suggesting the closest accepted name
    (``n_init`` -> ``n_initial``) and where a moved setting went (``moved``: name -> hint).

    Raises:
        InputError: If ``given`` is not empty.
    """
    if not given:
        return
    import difflib

    moved = moved or {}
    parts = []
    unknown = [k for k in given if k not in moved]
    if unknown:
        guesses = [f"{c[0]!r} for {k!r}" for k in unknown if (c := difflib.get_close_matches(k, list(accepted), n=1))]
        hint = f" Did you mean {', '.join(guesses)}?" if guesses else ""
        parts.append(f"{owner} got unexpected argument(s) {unknown}.{hint}")
    hints = [f"`{k}`: pass {moved[k]}" for k in given if k in moved]
    if hints:
        parts.append(f"Settings are arguments of the components now; {'; '.join(hints)}.")
    raise InputError(" ".join(parts))
