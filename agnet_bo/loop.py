"""The ready-made ask/tell loop of :meth:`Optimizer.optimize <agnet_bo.Optimizer.optimize>`, and
the :class:`TrialHandle` an objective of two parameters gets."""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from agnet_bo._validation import check_int
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, SamplingError, SpaceExhaustedWarning, TrialPruned
from agnet_bo.trial import Trial, TrialState

if TYPE_CHECKING:
    from agnet_bo.optimizer import Optimizer

__all__ = ["LoopMixin", "TrialHandle", "optimize"]

logger = logging.getLogger("agnet_bo.optimizer")


class TrialHandle:
    """What an objective of :meth:`Optimizer.optimize <agnet_bo.Optimizer.optimize>` with two
    parameters gets: its trial, and the optimizer's :meth:`~agnet_bo.Optimizer.report` /
    :meth:`~agnet_bo.Optimizer.should_prune` bound to it.

    Example:
        >>> import agnet_bo as ab
        >>> from agnet_bo.exceptions import TrialPruned
        >>> opt = ab.Optimizer(ab.spaces.NB201Space(), "acc", proposer="random", surrogate="none",
        ...                    pruner=ab.pruners.MedianPruner(min_trials=1), n_initial=2)
        >>> def objective(arch, trial):
        ...     for epoch in range(1, 4):
        ...         acc = (len(set(arch.ops)) + epoch) / 10
        ...         trial.report(epoch, acc)
        ...         if trial.should_prune():
        ...             raise TrialPruned()
        ...     return acc
        >>> trials = opt.optimize(objective, n_trials=6)
        >>> sorted({t.state.value for t in trials}) <= ["COMPLETE", "PRUNED"]
        True
    """

    def __init__(self, optimizer: Optimizer, trial: Trial) -> None:
        self._optimizer, self.trial = optimizer, trial

    @property
    def arch(self) -> Architecture:
        """The architecture to evaluate."""
        return self.trial.arch

    @property
    def id(self) -> int:
        """The trial's id."""
        return self.trial.id

    def report(self, step: int, value: float) -> None:
        """:meth:`Optimizer.report <agnet_bo.Optimizer.report>` for this trial."""
        self._optimizer.report(self.trial, step, value)

    def should_prune(self) -> bool:
        """:meth:`Optimizer.should_prune <agnet_bo.Optimizer.should_prune>` for this trial."""
        return self._optimizer.should_prune(self.trial)

    def __repr__(self) -> str:
        return f"TrialHandle({self.trial!r})"


class LoopMixin:
    """The :class:`~agnet_bo.Optimizer`'s ready-made loop."""

    def optimize(
        self,
        objective: Callable[[Architecture], Any] | Callable[[Architecture, TrialHandle], Any],
        n_trials: int,
        *,
        batch_size: int = 1,
        catch: tuple[type[BaseException], ...] = (),
        show_progress_bar: bool = False,
    ) -> list[Trial]:
        """Run the ask/tell loop on ``objective`` for ``n_trials`` more trials (Optuna's ``optimize``).

        Args:
            objective: ``objective(arch)`` returns what :meth:`tell` takes: a number (one
                modelled metric) or a dict with a value for each objective and constrained metric.
                It may also return ``(values, info)`` to keep extra data with the trial. An
                objective of two parameters, ``objective(arch, trial)``, gets a
                :class:`~agnet_bo.loop.TrialHandle` to report intermediate values and ask whether
                to stop (``trial.report(step, value)``, ``trial.should_prune()``); it stops by
                raising :class:`~agnet_bo.exceptions.TrialPruned`, and the trial is told PRUNED.
            n_trials: How many trials to evaluate (fewer if a finite space runs out).
            batch_size: Architectures asked at a time (evaluated one after another here; use
                :func:`agnet_bo.integrations.ray.run_parallel` to evaluate a batch in parallel).
            catch: Exception types that mark a trial FAIL (with the error in its ``info``) and let
                the loop go on; any other exception stops the loop, the trial left PENDING.
            show_progress_bar: A tqdm bar on stderr with the trials done and the best value.

        Returns:
            The trials evaluated by this call.

        Raises:
            InputError: If ``n_trials`` or ``batch_size`` is not a positive int.
        """
        return optimize(self, objective, n_trials, batch_size=batch_size, catch=catch, show_progress_bar=show_progress_bar)  # type: ignore[arg-type]



def _takes_two(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes a second positional argument (the :class:`TrialHandle`)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: one argument
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


def optimize(
    opt: Optimizer,
    objective: Callable[..., Any],
    n_trials: int,
    *,
    batch_size: int = 1,
    catch: tuple[type[BaseException], ...] = (),
    show_progress_bar: bool = False,
) -> list[Trial]:
    """:meth:`Optimizer.optimize <agnet_bo.Optimizer.optimize>` (documented there)."""
    n_trials = check_int("n_trials", n_trials, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if not isinstance(catch, tuple) or not all(isinstance(c, type) and issubclass(c, BaseException) for c in catch):
        raise InputError(f"`catch` must be a tuple of exception types, got {catch!r}.")
    with_handle = _takes_two(objective)
    done: list[Trial] = []
    bar = None
    if show_progress_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, desc="agnet-bo", unit="trial")
    try:
        while len(done) < n_trials:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SpaceExhaustedWarning)
                try:
                    batch = opt.ask(min(batch_size, n_trials - len(done)))
                except SamplingError:
                    size = opt.space.size
                    if size is not None and len(opt.trials) >= size:
                        logger.info("the space is exhausted after %d trials", len(opt.trials))
                        break
                    raise
            for trial in batch:
                _evaluate(opt, objective, trial, with_handle, catch)
                done.append(trial)
                if bar is not None:
                    bar.update(1)
                    _show_best(opt, bar)
    finally:
        if bar is not None:
            bar.close()
    return done


def _evaluate(opt: Optimizer, objective: Callable[..., Any], trial: Trial, with_handle: bool,
              catch: tuple[type[BaseException], ...]) -> None:
    try:
        result = objective(trial.arch, TrialHandle(opt, trial)) if with_handle else objective(trial.arch)
    except TrialPruned as stop:
        opt.tell(trial, stop.values, state=TrialState.PRUNED)
    except catch as exc:
        opt.tell(trial, state=TrialState.FAIL, info={"error": f"{type(exc).__name__}: {exc}"})
        logger.warning("trial %d failed: %s: %s", trial.id, type(exc).__name__, exc)
    else:
        pair = isinstance(result, tuple) and len(result) == 2 and (result[1] is None or isinstance(result[1], Mapping))
        values, info = result if pair else (result, None)
        opt.tell(trial, values, info=info)


def _show_best(opt: Optimizer, bar: Any) -> None:
    if len(opt.objectives) != 1 or not any(t.state is TrialState.COMPLETE for t in opt.trials):
        return
    try:
        name = next(iter(opt.objectives))
        bar.set_postfix(best=f"{opt.best_trial.values[name]:.4g}")  # type: ignore[index]
    except InputError:  # no feasible trial yet
        pass
