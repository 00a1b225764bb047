"""Objectives and outcome constraints as the user states them, checked and normalised."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from agnet_bo._validation import is_number
from agnet_bo.exceptions import InputError

__all__ = ["DIRECTIONS", "Constraint", "Problem", "parse_objectives", "parse_constraints"]

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


class Constraint(NamedTuple):
    """An outcome constraint on one metric: ``value <= bound`` or ``value >= bound``.

    A tuple ``(op, bound)``, so ``("<=", 5.0) == Constraint("<=", 5.0)``; the one place where the
    two comparisons are written out.

    Example:
        >>> Constraint("<=", 5.0).holds(np.array([4.0, 6.0, np.nan])).tolist()
        [True, False, False]
    """

    op: str
    bound: float

    def holds(self, values: Any) -> np.ndarray:
        """Elementwise: whether ``values`` (an array, NaN never holds) meet the constraint."""
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.asarray(v <= self.bound if self.op == "<=" else v >= self.bound, dtype=bool)


def parse_constraints(constraints: Any) -> dict[str, Constraint]:
    """``{name: Constraint("<=" or ">=", bound)}`` from a dict such as ``{"latency": ("<=", 5.0)}``."""
    if constraints is None:
        return {}
    if not isinstance(constraints, Mapping):
        raise InputError(f'`constraints` must be a dict like {{"latency": ("<=", 5.0)}}, got {constraints!r}.')
    out = {}
    for name, spec in constraints.items():
        ok = isinstance(spec, (tuple, list)) and len(spec) == 2 and spec[0] in ("<=", ">=")
        if not ok or not isinstance(spec[1], (int, float)) or not math.isfinite(float(spec[1])):
            raise InputError(f'A constraint is ("<=" or ">=", finite number); got {name!r}: {spec!r}.')
        out[str(name)] = Constraint(spec[0], float(spec[1]))
    return out


INFEASIBLE_WARN_AFTER = 8
"""An :class:`~agnet_bo.exceptions.InfeasibleWarning` is raised once this many complete results
have been told and none meets the constraints."""


class FeasibilityWatch:
    """Counts complete results until one meets the constraints; says once when
    :data:`INFEASIBLE_WARN_AFTER` have come and none does. O(1) per result (thread safety: the
    caller's lock)."""

    def __init__(self, problem: Problem, told: Sequence[Any] = ()) -> None:
        self.problem = problem
        self.infeasible = 0
        self.seen_feasible = not problem.constraints
        self.warned = False
        for t in told:
            self.note(t.values)

    def note(self, values: Mapping[str, float]) -> str | None:
        """Record one complete result; the warning's text the first time it is due, else None."""
        if self.seen_feasible or self.warned:
            return None
        if bool(self.problem.feasible([values])[0]):
            self.seen_feasible = True
            return None
        self.infeasible += 1
        if self.infeasible < INFEASIBLE_WARN_AFTER:
            return None
        self.warned = True
        return f"{self.infeasible} complete results told and none meets the constraints {dict(self.problem.constraints)}: " \
            "pareto_front() is empty, hypervolume() 0 and best_trial raises until one does. Check the bound and the " \
            "metric's units, or relax the constraint."


class Problem:
    """What is searched for: objectives with directions, outcome constraints, and the modelled
    metrics (the objectives, then constrained metrics that are not objectives).

    Everything is maximised inside: :meth:`Y` negates ``"minimize"`` metrics, once.

    Args:
        objectives: As :func:`parse_objectives` takes them.
        constraints: As :func:`parse_constraints` takes them.
    """

    def __init__(self, objectives: Any = None, constraints: Any = None) -> None:
        self.objectives: dict[str, str] = parse_objectives(objectives)
        self.constraints: dict[str, Constraint] = parse_constraints(constraints)
        self.metrics: list[str] = list(self.objectives) + [c for c in self.constraints if c not in self.objectives]
        self.sign = np.array([-1.0 if self.objectives.get(m) == "minimize" else 1.0 for m in self.metrics])

    @property
    def n_objectives(self) -> int:
        """How many objectives (the first columns of :meth:`Y`)."""
        return len(self.objectives)

    def Y(self, values: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Modelled values of told value dicts, ``n x m`` in maximisation sense."""
        if not values:
            return np.zeros((0, len(self.metrics)))
        return np.array([[v[m] for m in self.metrics] for v in values], dtype=float) * self.sign

    def feasible(self, values: Sequence[Mapping[str, float]]) -> np.ndarray:
        """``n`` booleans: which value dicts meet every constraint."""
        ok = np.ones(len(values), dtype=bool)
        for name, c in self.constraints.items():
            ok &= c.holds([v[name] for v in values])
        return ok

    def model_constraints(self, transform: Callable[[np.ndarray], Any]) -> list[tuple[int, float, int]]:
        """Constraints in a surrogate's units: ``(column, bound, sign)``, feasible iff
        ``sign * (Z - bound) <= 0``, where ``transform`` maps maximised values (``n x m``) to them."""
        out = []
        for name, c in self.constraints.items():
            j = self.metrics.index(name)
            row = np.zeros((1, len(self.metrics)))
            row[0, j] = c.bound * self.sign[j]
            b = float(transform(row)[0, j])
            # raw <= bound  <=>  sign*raw <= sign*bound if sign > 0, >= if sign < 0
            flip = 1 if (c.op == "<=") == (self.sign[j] > 0) else -1
            out.append((j, b, flip))
        return out

    def parse_values(self, values: Any) -> dict[str, float]:
        """Told values as ``{metric: float}``: a number (one modelled metric) or a dict with a
        value for exactly every modelled metric.

        Raises:
            InputError: Missing, unexpected or non-numeric values (with a guess for a misspelt name).
        """
        metrics = self.metrics
        if isinstance(values, Mapping):
            missing = [m for m in metrics if m not in values]
            extra = [k for k in values if k not in metrics]
            if missing or extra:
                import difflib

                guesses = [f"{e!r} -> {c[0]!r}" for e in extra if (c := difflib.get_close_matches(str(e), missing, n=1))]
                hint = f" Did you mean {', '.join(guesses)}?" if guesses else ""
                raise InputError(
                    f"Expected values for exactly {metrics}; missing {missing}, unexpected {extra}.{hint} "
                    "Pass other measurements with info={...}."
                )
            out = {}
            for m in metrics:
                v = values[m]
                if not is_number(v):
                    raise InputError(f"The value of {m!r} must be a number, got {type(v).__name__} {v!r}.")
                out[m] = float(v)
            return out
        if is_number(values):
            if len(metrics) != 1:
                raise InputError(f"A single number was told but {len(metrics)} values are expected: {metrics}.")
            return {metrics[0]: float(values)}
        raise InputError(f"Values must be a number or a dict keyed by {metrics}; got {type(values).__name__} {values!r}.")

    # -- results ------------------------------------------------------------------------------
    def _feasible_values(self, trials: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
        """The told trials among ``trials`` that meet every constraint, and their :meth:`Y`."""
        vals = [t.values for t in trials]
        ok = self.feasible(vals)
        kept = [t for t, f in zip(trials, ok, strict=True) if f]
        return kept, self.Y([v for v, f in zip(vals, ok, strict=True) if f])

    def best(self, trials: Sequence[Any]) -> Any:
        """The feasible trial with the best single objective among complete ``trials``.

        Raises:
            InputError: With several objectives, or with no feasible trial.
        """
        if self.n_objectives > 1:
            raise InputError("best_trial is defined for one objective; use pareto_front() for several.")
        kept, Y = self._feasible_values(trials)
        if not kept:
            if trials:
                raise InputError(self.none_feasible(trials) + " best_trial is the best feasible one.")
            raise InputError("No complete trial yet: tell some results first.")
        return kept[int(np.argmax(Y[:, 0]))]

    def none_feasible(self, trials: Sequence[Any]) -> str:
        """What to tell a user whose ``trials`` (complete, told) all break a constraint: how many,
        and per constraint the value closest to its bound."""
        parts = []
        for name, c in self.constraints.items():
            vals = np.array([t.values[name] for t in trials], dtype=float)
            closest = np.nanmin(vals) if c.op == "<=" else np.nanmax(vals)
            parts.append(f"{name} {c.op} {c.bound:g} (closest told: {closest:g})")
        return (
            f"None of the {len(trials)} complete trials meets the constraints: {'; '.join(parts)}. "
            "Check the bound and the metric's units, or relax the constraint."
        )

    def front(self, trials: Sequence[Any]) -> list[Any]:
        """The feasible trials among complete ``trials`` that no other one dominates."""
        from agnet_bo.pareto import non_dominated_ranks

        kept, Y = self._feasible_values(trials)
        if not kept:
            return []
        return [t for t, r in zip(kept, non_dominated_ranks(Y[:, : self.n_objectives]), strict=True) if r == 0]

    def hypervolume(self, front: Sequence[Any], ref_point: Mapping[str, float] | Sequence[float] | None = None) -> float:
        """Hypervolume of ``front`` (trials) in the objectives' units; ``ref_point`` as
        :meth:`Optimizer.hypervolume <agnet_bo.Optimizer.hypervolume>` takes it."""
        from agnet_bo.pareto import hypervolume, reference_point

        names = list(self.objectives)
        if not front:
            return 0.0
        y = self.Y([t.values for t in front])[:, : len(names)]
        if ref_point is None:
            return hypervolume(y, reference_point(y))
        r = [ref_point[n] for n in names] if isinstance(ref_point, Mapping) else list(ref_point)
        if len(r) != len(names):
            raise InputError(f"`ref_point` needs one value per objective {names}, got {ref_point!r}.")
        return hypervolume(y, np.asarray(r, dtype=float) * self.sign[: len(names)])

    def __repr__(self) -> str:
        cons = {k: tuple(v) for k, v in self.constraints.items()}
        return f"Problem(objectives={self.objectives}, constraints={cons})"

