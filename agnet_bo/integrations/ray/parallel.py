"""The parallel driver :func:`run_parallel`: an optimizer's architectures evaluated in Ray tasks.

:func:`run_parallel` checks its arguments and starts a :class:`_Driver`, which owns the state of
one call: the queue of trials waiting for a slot, the running tasks and the finished trials. Ray is
imported when :func:`run_parallel` is called.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from agnet_bo._validation import check_float, check_int, is_number
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, SamplingError
from agnet_bo.integrations.ray._deps import require
from agnet_bo.integrations.ray.checkpoint import OptimizerCheckpoints
from agnet_bo.integrations.ray.results import split_result
from agnet_bo.trial import Trial, TrialState

if TYPE_CHECKING:
    from agnet_bo.optimizer import Optimizer

__all__ = ["run_parallel"]

logger = logging.getLogger("agnet_bo.integrations.ray")  # one logger for the whole integration


def run_parallel(
    optimizer: Optimizer,
    objective_fn: Callable[[Architecture], float | Mapping[str, Any]],
    n_trials: int,
    *,
    max_concurrent: int | None = None,
    timeout: float | None = None,
    max_retries: int = 1,
    retry_on: Sequence[type[BaseException]] | None = None,
    checkpoint_path: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 1,
    progress: bool = True,
    num_cpus: float = 1,
    num_gpus: float = 0,
    remote_options: Mapping[str, Any] | None = None,
    evaluate_pending: bool = True,
) -> list[Trial]:
    """Evaluate ``n_trials`` architectures of ``optimizer`` in parallel Ray tasks.

    Up to ``max_concurrent`` tasks run ``objective_fn(arch)`` at once. Whenever tasks finish, their
    results are told and the optimizer is asked for as many new architectures as there are free
    slots (asynchronous search: the optimizer sees the running trials as pending and never asks
    for them again). Ray is started with ``ray.init()`` if it is not running; call
    ``ray.init(address=...)`` first to use a cluster.

    Failures never stop the search:

    * an exception in ``objective_fn`` marks the trial FAIL (the error is kept in ``trial.info``);
      a NaN or infinite value does too, with a warning;
    * an attempt running longer than ``timeout`` is cancelled (its worker is killed) and the trial
      marked FAIL;
    * if the worker process or node dies (``retry_on``), the trial is run again, up to
      ``max_retries`` times, then marked FAIL.

    With ``checkpoint_path`` the optimizer is saved (atomically, :meth:`~agnet_bo.Optimizer.save`)
    after every ``checkpoint_every`` results and when the call ends for any reason (also on an
    exception or Ctrl-C), so a crash of the driver loses no result that was told. Trials that were
    running stay PENDING in the file; load it with :meth:`~agnet_bo.Optimizer.load` and call
    ``run_parallel`` again: they are evaluated first (``evaluate_pending``).

    Args:
        optimizer: The optimizer to drive.
        objective_fn: Called in a Ray task with one :class:`~agnet_bo.Architecture`; returns a
            number (one modelled metric) or a dict with a value for each of ``optimizer.metrics``
            (other numeric or string entries are kept in ``trial.info``). Must be picklable by
            Ray (functions of ``__main__``, closures and lambdas are; functions of your own
            modules must be importable on the workers).
        n_trials: How many trials this call finishes (COMPLETE or FAIL), pending ones included.
        max_concurrent: Most tasks at once; default: the cluster's CPUs divided by ``num_cpus``.
        timeout: Seconds one attempt may take from submission before it is cancelled; ``None``
            waits forever.
        max_retries: How many times a trial is rerun after its worker died.
        retry_on: Exception types that trigger a rerun; default: Ray's ``WorkerCrashedError``,
            ``NodeDiedError``, ``LocalRayletDiedError``, ``ObjectLostError`` and
            ``OutOfMemoryError``. Add your own exception types to retry errors of
            ``objective_fn`` too.
        checkpoint_path: File to save the optimizer to; ``None`` saves nothing.
        checkpoint_every: Save after this many told results.
        progress: Show a tqdm progress bar.
        num_cpus: CPUs of each task (Ray schedules tasks on nodes that have them).
        num_gpus: GPUs of each task.
        remote_options: Further Ray task options (e.g. ``{"runtime_env": {...}}``, ``memory``).
        evaluate_pending: Evaluate the optimizer's PENDING trials (e.g. left by a crashed run)
            before asking for new ones. ``False`` leaves them alone.

    Returns:
        The trials finished by this call, in the order they finished.

    Raises:
        InputError: If an argument is malformed, or ``objective_fn`` returns something that is
            neither a number nor a dict with every metric (the run stops; the trial stays PENDING).
        ImportError: If Ray is not installed.

    Example:
        .. code-block:: python

            import ray
            import agnet_bo as ab
            from agnet_bo.integrations.ray import run_parallel

            bench = ab.benchmarks.NB201("cifar10")

            def objective(arch):           # runs on a Ray worker
                return bench.evaluate(arch, ["valid-accuracy"])

            ray.init()                     # or ray.init(address="auto") on a cluster
            opt = ab.Optimizer(ab.spaces.NB201Space(), {"valid-accuracy": "maximize"})
            run_parallel(opt, objective, n_trials=64, max_concurrent=8, checkpoint_path="run.json")
            print(opt.best_trial)
    """

    _check_arguments(
        optimizer,
        objective_fn,
        n_trials=n_trials,
        max_concurrent=max_concurrent,
        timeout=timeout,
        max_retries=max_retries,
        checkpoint_every=checkpoint_every,
        num_cpus=num_cpus,
        num_gpus=num_gpus,
    )
    ray = require("ray")
    retry_types = _retry_types(ray, retry_on)
    if not ray.is_initialized():
        ray.init()
    if max_concurrent is None:
        max_concurrent = _default_concurrency(ray, num_cpus)
    task = _remote_task(ray, num_cpus=num_cpus, num_gpus=num_gpus, remote_options=remote_options)
    driver = _Driver(
        ray,
        optimizer,
        task,
        ray.put(objective_fn),
        n_trials=n_trials,
        max_concurrent=max_concurrent,
        timeout=timeout,
        max_retries=max_retries,
        retry_types=retry_types,
        checkpoints=OptimizerCheckpoints(optimizer, checkpoint_path, checkpoint_every),
        progress=_Progress(n_trials) if progress else None,
    )
    if evaluate_pending:
        driver.enqueue(optimizer.pending_trials)
    return driver.run()


def _check_arguments(
    optimizer: Any,
    objective_fn: Any,
    *,
    n_trials: Any,
    max_concurrent: Any,
    timeout: Any,
    max_retries: Any,
    checkpoint_every: Any,
    num_cpus: Any,
    num_gpus: Any,
) -> None:
    """Check the arguments of :func:`run_parallel` that need no Ray.

    Raises:
        InputError: Naming the first malformed argument.
    """
    from agnet_bo.optimizer import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise InputError(f"`optimizer` must be an agnet_bo.Optimizer, got {type(optimizer).__name__}.")
    if not callable(objective_fn):
        raise InputError(
            f"`objective_fn` must be callable (arch -> number or dict), got {type(objective_fn).__name__}."
        )
    check_int("n_trials", n_trials, minimum=0)
    check_int("max_retries", max_retries, minimum=0)
    check_int("checkpoint_every", checkpoint_every, minimum=1)
    if max_concurrent is not None:
        try:
            check_int("max_concurrent", max_concurrent, minimum=1)
        except InputError as exc:
            raise InputError(f"{exc} Or pass None for one task per CPU.") from None
    if timeout is not None and not (is_number(timeout) and timeout > 0):  # inf is allowed: no timeout
        raise InputError(f"`timeout` must be a positive number of seconds or None, got {timeout!r}.")
    check_float("num_cpus", num_cpus, minimum=0)
    check_float("num_gpus", num_gpus, minimum=0)


# -- Ray tasks ------------------------------------------------------------------------------------
def _evaluate(objective_fn: Callable[[Architecture], Any], arch: Architecture) -> Any:
    """Body of a Ray task: evaluate one architecture."""
    return objective_fn(arch)


def _retry_types(ray: ModuleType, retry_on: Sequence[type[BaseException]] | None) -> tuple[type[BaseException], ...]:
    """The exception types that rerun a trial: ``retry_on``, or Ray's errors of a dead worker or node.

    Raises:
        InputError: If ``retry_on`` holds something other than exception types.
    """
    if retry_on is None:
        exc = ray.exceptions
        return (
            exc.WorkerCrashedError,
            exc.NodeDiedError,
            exc.LocalRayletDiedError,
            exc.ObjectLostError,
            exc.OutOfMemoryError,
        )
    retry_types = tuple(retry_on)
    if not all(isinstance(t, type) and issubclass(t, BaseException) for t in retry_types):
        raise InputError(f"`retry_on` must be a list of exception types, got {retry_on!r}.")
    return retry_types


def _default_concurrency(ray: ModuleType, num_cpus: float) -> int:
    """As many tasks as the cluster has CPUs for (at least one)."""
    cpus = float(ray.cluster_resources().get("CPU", 1.0))
    return max(1, int(cpus // num_cpus) if num_cpus > 0 else int(cpus))


def _remote_task(ray: ModuleType, *, num_cpus: float, num_gpus: float, remote_options: Mapping[str, Any] | None) -> Any:
    """:func:`_evaluate` as a Ray remote function with the task options."""
    options = {"num_cpus": num_cpus, "num_gpus": num_gpus, **dict(remote_options or {})}
    options["max_retries"] = 0  # reruns are counted and logged here, not hidden inside Ray
    options["retry_exceptions"] = False
    return ray.remote(_evaluate).options(**options)


# -- one run --------------------------------------------------------------------------------------
@dataclass
class _Attempt:
    trial: Trial
    attempt: int  # 1 for the first run, 2 for the first retry, ...
    submitted: float
    deadline: float


class _Driver:
    """The state of one :func:`run_parallel` call and its loop.

    Each round of :meth:`run` fills the free slots (trials waiting to be rerun or left pending
    first, then new ones asked of the optimizer), waits for a task to finish or the next deadline,
    tells every finished task and cancels the attempts past their deadline.
    """

    def __init__(
        self,
        ray: ModuleType,
        optimizer: Optimizer,
        task: Any,
        fn_ref: Any,
        *,
        n_trials: int,
        max_concurrent: int,
        timeout: float | None,
        max_retries: int,
        retry_types: tuple[type[BaseException], ...],
        checkpoints: OptimizerCheckpoints,
        progress: _Progress | None,
    ) -> None:
        self._ray = ray
        self._optimizer = optimizer
        self._task = task
        self._fn_ref = fn_ref
        self._n_trials = n_trials
        self._max_concurrent = max_concurrent
        self._timeout = timeout
        self._max_retries = max_retries
        self._retry_types = retry_types
        self._queue: deque[tuple[Trial, int]] = deque()  # (trial, attempt) waiting for a slot
        self._running: dict[Any, _Attempt] = {}
        self._finished: list[Trial] = []
        self._started = 0  # distinct trials started by this call
        self._exhausted = False  # the space has no new architecture left
        self._checkpoints = checkpoints
        self._progress = progress

    def enqueue(self, trials: Iterable[Trial]) -> None:
        """Evaluate ``trials`` (e.g. the optimizer's pending ones) before asking for new ones."""
        self._queue.extend((t, 1) for t in trials)

    def run(self) -> list[Trial]:
        """Run until ``n_trials`` trials finished or the space is exhausted; the finished trials.

        Whatever happens, the optimizer is saved to its checkpoint as the run ends; on an
        exception (or Ctrl-C), the running tasks are cancelled first.
        """
        clean_exit = False
        try:
            while self._start_tasks():
                self._collect_finished()
                self._cancel_overdue()
            clean_exit = True
        finally:
            if not clean_exit:
                for ref in self._running:
                    self._ray.cancel(ref, force=True)
            self._checkpoints.save_final()
            if self._progress is not None:
                self._progress.close()
        return self._finished

    # -- one round --------------------------------------------------------------------------------
    def _start_tasks(self) -> bool:
        """Fill the free slots; whether any task is running."""
        free = self._max_concurrent - len(self._running)
        while free > 0 and self._queue and (self._queue[0][1] > 1 or self._started < self._n_trials):
            trial, attempt = self._queue.popleft()
            if attempt == 1:
                self._started += 1
            self._submit(trial, attempt)
            free -= 1
        want = min(free, self._n_trials - self._started)
        if want > 0 and not self._exhausted:
            for trial in self._ask(want):
                self._started += 1
                self._submit(trial, 1)
        return bool(self._running)

    def _ask(self, n: int) -> list[Trial]:
        try:
            return self._optimizer.ask(n)
        except SamplingError as exc:
            logger.info("The search space has no new architectures left (%s); finishing the running trials.", exc)
            self._exhausted = True
            return []

    def _submit(self, trial: Trial, attempt: int) -> None:
        now = time.monotonic()
        ref = self._task.remote(self._fn_ref, trial.arch)
        deadline = now + self._timeout if self._timeout is not None else math.inf
        self._running[ref] = _Attempt(trial, attempt, now, deadline)

    def _collect_finished(self) -> None:
        """Wait for a task to finish (at most until the next deadline); handle every finished task."""
        ray, running = self._ray, self._running
        next_deadline = min(att.deadline for att in running.values())
        wait_s = None if math.isinf(next_deadline) else max(0.0, next_deadline - time.monotonic())
        ready, _ = ray.wait(list(running), num_returns=1, timeout=wait_s)
        if ready:  # collect everything that is done, not just the first
            ready, _ = ray.wait(list(running), num_returns=len(running), timeout=0)
        for ref in ready:
            self._handle(ref, running.pop(ref))

    def _cancel_overdue(self) -> None:
        """Cancel the attempts past their deadline (killing their workers); their trials FAIL."""
        now = time.monotonic()
        for ref in [r for r, att in self._running.items() if att.deadline <= now]:
            att = self._running.pop(ref)
            self._ray.cancel(ref, force=True)
            logger.warning(
                "Trial %d timed out after %.1f s; cancelled and recorded as FAIL.", att.trial.id, self._timeout
            )
            self._finish(
                att.trial,
                state=TrialState.FAIL,
                info={
                    "error": f"timeout after {self._timeout} s",
                    "attempts": att.attempt,
                    "seconds": round(now - att.submitted, 3),
                },
            )

    # -- one result -------------------------------------------------------------------------------
    def _handle(self, ref: Any, att: _Attempt) -> None:
        """Tell the result of a finished task, or queue its trial again after a retryable error.

        Raises:
            InputError: If the objective returned neither a number nor a dict with every metric.
        """
        trial = att.trial
        elapsed = round(time.monotonic() - att.submitted, 3)
        try:
            out = self._ray.get(ref)
        except self._retry_types as exc:
            if att.attempt <= self._max_retries:
                logger.warning(
                    "Trial %d: %s on attempt %d; running it again (%d of %d retries).",
                    trial.id,
                    type(exc).__name__,
                    att.attempt,
                    att.attempt,
                    self._max_retries,
                )
                self._queue.appendleft((trial, att.attempt + 1))
                return
            logger.warning("Trial %d failed after %d attempt(s): %s", trial.id, att.attempt, _short(exc))
            self._finish(
                trial, state=TrialState.FAIL, info={"error": _short(exc), "attempts": att.attempt, "seconds": elapsed}
            )
            return
        except self._ray.exceptions.RayError as exc:
            err = _short(getattr(exc, "cause", None) or exc)
            logger.warning("Trial %d failed: %s", trial.id, err)
            self._finish(trial, state=TrialState.FAIL, info={"error": err, "attempts": att.attempt, "seconds": elapsed})
            return
        values, info = split_result(self._optimizer, trial, out)
        info.update(attempts=att.attempt, seconds=elapsed)
        self._finish(trial, values, info=info)

    def _finish(
        self,
        trial: Trial,
        values: Any = None,
        state: TrialState = TrialState.COMPLETE,
        info: dict[str, Any] | None = None,
    ) -> None:
        self._optimizer.tell(trial, values, state=state, info=info)
        self._finished.append(trial)
        self._checkpoints.result_told()
        if self._progress is not None:
            self._progress.advance(self._optimizer, self._finished)


def _short(exc: BaseException) -> str:
    """One line naming an exception (Ray's wrapped tracebacks are long)."""
    text = str(exc).strip().splitlines()
    last = text[-1] if text else ""
    return f"{type(exc).__name__}: {last}"[:500]


# -- progress -------------------------------------------------------------------------------------
class _Progress:
    """A tqdm progress bar over the trials, with the best value so far and the failures."""

    def __init__(self, total: int) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, desc="agnet-bo", unit="trial", dynamic_ncols=True)

    def advance(self, optimizer: Optimizer, finished: Sequence[Trial]) -> None:
        """One more trial finished."""
        self._bar.update(1)
        self._bar.set_postfix_str(_progress_note(optimizer, finished), refresh=False)

    def close(self) -> None:
        self._bar.close()


def _progress_note(optimizer: Optimizer, finished: Sequence[Trial]) -> str:
    failed = sum(t.state is TrialState.FAIL for t in finished)
    note = f"failed={failed}" if failed else ""
    if len(optimizer.objectives) == 1:
        name = next(iter(optimizer.objectives))
        try:
            best = optimizer.best_trial.values[name]  # type: ignore[index]
        except InputError:
            return note
        note = f"best {name}={best:.4g}" + (f", {note}" if note else "")
    return note
