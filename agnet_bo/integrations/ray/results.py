"""What a Tune trainable or a ``run_parallel`` objective reports, as the values and info told to the optimizer."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agnet_bo.exceptions import InputError
from agnet_bo.trial import Trial

if TYPE_CHECKING:
    from agnet_bo.optimizer import Optimizer

__all__ = ["jsonable", "result_info", "split_result"]


def jsonable(value: Any) -> Any:
    """``value`` as a JSON scalar (numbers, strings, bools, None), or ``None`` if it has no such form."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            return None
    return None


def split_result(optimizer: Optimizer, trial: Trial, out: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """An objective function's return value as (values for ``optimizer.metrics``, info for the rest).

    Raises:
        InputError: If it is neither a number nor a dict with every metric.
    """
    metrics = optimizer.metrics
    if isinstance(out, Mapping):
        missing = [m for m in metrics if m not in out]
        if missing:
            raise InputError(
                f"objective_fn returned a dict without {missing} for trial {trial.id}: expected keys {metrics}, "
                f"got {sorted(map(str, out))}. Return a value for every objective and constrained metric."
            )
        values = {m: out[m] for m in metrics}
        info = {str(k): jsonable(v) for k, v in out.items() if k not in metrics and jsonable(v) is not None}
        return values, info
    if isinstance(out, bool) or not isinstance(out, numbers.Real):
        raise InputError(
            f"objective_fn must return a number or a dict keyed by {metrics}; trial {trial.id} returned "
            f"{type(out).__name__} {out!r:.200}."
        )
    if len(metrics) != 1:
        raise InputError(
            f"objective_fn returned a single number for trial {trial.id}, but the optimizer needs values for "
            f"{metrics}; return a dict."
        )
    return {metrics[0]: float(out)}, {}


def result_info(trial_id: str, result: Mapping[str, Any] | None, info_keys: Sequence[str]) -> dict[str, Any]:
    """The info kept with the trial of Tune trial ``trial_id``: its id and the JSON scalars of ``info_keys``."""
    info: dict[str, Any] = {"tune_trial_id": trial_id}
    for key in info_keys:
        if result and key in result:
            value = jsonable(result[key])
            if value is not None:
                info[key] = value
    return info
