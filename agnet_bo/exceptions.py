"""The exception tree of agnet-bo.

Every error raised on purpose by the library derives from :class:`AgnetBOError`. Errors caused by
bad user input also derive from :class:`ValueError`, so callers can catch either. Messages say
what was expected, what was received and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AgnetBOError",
    "InputError",
    "InvalidArchitectureError",
    "UnknownNameError",
    "SamplingError",
    "NotFittedError",
    "StateFileError",
    "TrialPruned",
    "ObjectiveValueWarning",
    "InfeasibleWarning",
    "SpaceExhaustedWarning",
    "PretrainingWarning",
]


class AgnetBOError(Exception):
    """Base class of every error raised on purpose by agnet-bo."""


class InputError(AgnetBOError, ValueError):
    """A value passed by the user is not acceptable."""


class InvalidArchitectureError(InputError):
    """An architecture is malformed, or is not a member of the search space it was used with."""


class UnknownNameError(InputError):
    """A name (metric, dataset, device, operation, space) is not one of the known names.

    The message lists the valid names.
    """


class SamplingError(AgnetBOError, RuntimeError):
    """Could not draw the requested number of distinct valid architectures.

    Attributes:
        found: The distinct valid architectures that were found before giving up (possibly
            empty), so that a caller that can live with fewer loses nothing.
    """

    def __init__(self, message: str, found: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.found = list(found)


class StateFileError(AgnetBOError, ValueError):
    """A saved optimizer file is corrupted, from a newer version, or does not match the arguments."""


class TrialPruned(AgnetBOError):
    """Raised by an objective of :meth:`Optimizer.optimize <agnet_bo.Optimizer.optimize>` to stop
    its trial early (after ``trial.should_prune()`` said so), as Optuna's ``TrialPruned``.

    Args:
        values: What the trial reached, as :meth:`~agnet_bo.Optimizer.tell` takes it; default
            ``None``: its last reported value (one modelled metric).
    """

    def __init__(self, values: object = None) -> None:
        super().__init__("the trial was pruned")
        self.values = values


class ObjectiveValueWarning(UserWarning):
    """A told value was NaN or infinite; the trial was recorded as failed (a warning, not an error)."""


class InfeasibleWarning(UserWarning):
    """Many complete results were told and none meets the outcome constraints (warned once)."""


class SpaceExhaustedWarning(UserWarning):
    """Fewer new architectures were left in a finite search space than were asked for; the rest was returned."""


class PretrainingWarning(UserWarning):
    """A generator was pretrained on fewer random architectures than configured (the space had no more to give)."""


class NotFittedError(AgnetBOError, RuntimeError):
    """A model (e.g. a surrogate) was used before it was fitted."""


def unknown_name(kind: str, got: object, valid: Sequence[object], hint: str = "") -> UnknownNameError:
    """Build an :class:`UnknownNameError` listing the valid names (and the closest one, if a
    name is close: "Did you mean 'valid-accuracy'?")."""
    msg = f"Unknown {kind} {got!r}."
    if isinstance(got, str):
        import difflib

        close = difflib.get_close_matches(got, [v for v in valid if isinstance(v, str)], n=1, cutoff=0.6)
        if close:
            msg += f" Did you mean {close[0]!r}?"
    msg += f" Expected one of: {', '.join(map(repr, valid))}."
    if hint:
        msg += " " + hint
    return UnknownNameError(msg)
