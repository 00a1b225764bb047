"""The Ray Tune searcher :class:`AGNetSearch`: Tune trials are trials of an agnet-bo optimizer.

This module imports Ray Tune (``AGNetSearch`` subclasses its ``Searcher``); the package
:mod:`agnet_bo.integrations.ray` imports it only when ``AGNetSearch`` is first used.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agnet_bo.exceptions import InputError, SamplingError
from agnet_bo.integrations.ray._deps import missing_ray
from agnet_bo.integrations.ray.checkpoint import (
    SearcherState,
    read_searcher_state,
    searcher_state,
    write_searcher_state,
)
from agnet_bo.integrations.ray.config import (
    CONFIG_ARCH,
    CONFIG_ARCH_STR,
    CONFIG_TRIAL,
    arch_from_config,
    arch_of_result,
    arch_string,
    is_unresolved,
)
from agnet_bo.integrations.ray.objectives import metric_mode_of, objectives_from
from agnet_bo.integrations.ray.results import jsonable, result_info
from agnet_bo.trial import Trial, TrialState

if TYPE_CHECKING:
    from agnet_bo.optimizer import Optimizer
    from agnet_bo.spaces.base import SearchSpace

try:
    from ray.tune.search import Searcher
except ImportError as exc:
    raise missing_ray("ray.tune.search", exc) from exc

__all__ = ["AGNetSearch"]

logger = logging.getLogger("agnet_bo.integrations.ray")  # one logger for the whole integration


class AGNetSearch(Searcher):
    """Ray Tune ``Searcher`` that proposes architectures with an agnet-bo :class:`~agnet_bo.Optimizer`.

    Tune calls :meth:`suggest` for every new Tune trial: the searcher asks the optimizer for one
    architecture (pending trials are taken into account, so no architecture is handed out twice)
    and returns a config with the architecture (see :mod:`agnet_bo.integrations.ray` and
    :func:`~agnet_bo.integrations.ray.arch_from_config`). When the Tune trial ends, :meth:`on_trial_complete` tells the
    optimizer the trial's last reported value of every objective (and constrained metric):

    ============================================  =================================================
    Tune                                          agnet-bo
    ============================================  =================================================
    ``suggest(trial_id)``                         ``optimizer.ask(1)``; ``trial_id`` -> ``Trial.id``
    ``on_trial_complete(id, result)``             ``tell(trial, {m: result[m]})`` -> COMPLETE
    ``on_trial_complete(id, error=True)``         ``tell(trial, state="FAIL")``
    completed without the metric / with NaN       FAIL, with a warning
    completed with no result after reports        told with the last reported result
    a second completion of the same id            ignored, with a log line
    ``save(path)`` / ``restore(path)``            JSON (no pickle): optimizer state + id map
    ``metric=[...], mode=[...]``                  several objectives (Pareto search)
    ``on_trial_result(id, result)``               ``report(trial, result[time_attr], result[m0])``
    completed with ``result[time_attr] < max_t``  ``tell(trial, values, state="PRUNED")``
    ============================================  =================================================

    Multi-fidelity: with a Tune scheduler that stops trials early (``ASHAScheduler``,
    ``HyperBandScheduler``, ...), pass the same ``time_attr`` and ``max_t`` as the scheduler's.
    Every intermediate result is reported to the optimizer (the first objective at step
    ``result[time_attr]``), and a trial that ends before ``max_t`` is told PRUNED with the values
    it reached: the models learn it at its expected full-fidelity value
    (:meth:`Optimizer.report <agnet_bo.Optimizer.report>`), and only trials trained to ``max_t``
    can become the best. Without ``max_t`` every completed trial is told COMPLETE.

    The searcher suggests as many trials as Tune asks for; limit how many run at once with
    ``ConcurrencyLimiter(searcher, max_concurrent=...)`` or ``TuneConfig(max_concurrent_trials=...)``.
    Fixed values in Tune's ``param_space`` (e.g. ``{"epochs": 5}``) reach the trainable unchanged;
    distributions (``tune.uniform`` ...) are not searched and are rejected.

    Checkpoints: Tune calls :meth:`save` with every experiment checkpoint, so
    ``tune.Tuner.restore(path, trainable)`` resumes the search: trials that were running are resumed
    under their old ids and told when they end, and new suggestions avoid every architecture
    already asked. The file is JSON; restoring it runs no pickled code.

    Args:
        space: The search space (a new :class:`~agnet_bo.Optimizer` is built on it) or an existing
            ``Optimizer`` to continue (its objectives define the metrics). ``None`` only to
            :meth:`restore` a saved searcher of a built-in space.
        metric: The result key to optimise, or a list of keys for several objectives. May be left
            ``None`` when ``TuneConfig(metric=..., mode=...)`` sets it (Tune passes it on only if
            ``param_space`` is not empty) or when an ``Optimizer`` is given.
        mode: ``"max"`` or ``"min"``, or a list with one mode per metric.
        info_keys: Other result keys to keep with each trial as :attr:`~agnet_bo.Trial.info`
            (e.g. ``["test-accuracy"]``); numbers and strings only.
        optimizer_kwargs: Arguments of the :class:`~agnet_bo.Optimizer` built on ``space``
            (``surrogate``, ``n_initial``, ``pool_size``, ``seed``, ``constraints``, ...).
            Constrained metrics must be reported by the trainable too.
        time_attr: The result key that counts the fidelity (default ``"training_iteration"``,
            Tune's own counter; e.g. ``"epoch"`` if you report one).
        max_t: The full fidelity: a trial completed with ``result[time_attr] < max_t`` was
            stopped early (PRUNED). Default ``None``: every completed trial is COMPLETE.

    Raises:
        InputError: If ``metric``/``mode`` are malformed, disagree with a given optimizer, or
            ``optimizer_kwargs`` come with an optimizer.
        ImportError: If Ray Tune is not installed.

    Example:
        .. code-block:: python

            from ray import tune
            import agnet_bo as ab
            from agnet_bo.integrations.ray import AGNetSearch, arch_from_config

            def train(config):
                arch = arch_from_config(config)          # build and train a network from it
                tune.report({"valid-accuracy": my_training(arch, epochs=config["epochs"])})

            search = AGNetSearch(ab.spaces.NB201Space(), metric="valid-accuracy", mode="max",
                                 optimizer_kwargs={"n_initial": 8, "seed": 0})
            tuner = tune.Tuner(
                train,
                param_space={"epochs": 5},
                tune_config=tune.TuneConfig(search_alg=search, num_samples=64,
                                            max_concurrent_trials=4, reuse_actors=True),
            )
            tuner.fit()
            print(search.optimizer.best_trial)
    """

    _metric: Any  # set by Searcher.__init__: a string, or a list for several metrics
    _mode: Any

    def __init__(
        self,
        space: SearchSpace | Optimizer | None = None,
        metric: str | list[str] | None = None,
        mode: str | list[str] | None = None,
        *,
        info_keys: Sequence[str] = (),
        optimizer_kwargs: Mapping[str, Any] | None = None,
        time_attr: str = "training_iteration",
        max_t: int | None = None,
    ) -> None:
        from agnet_bo.optimizer import Optimizer
        from agnet_bo.spaces.base import SearchSpace

        if isinstance(info_keys, str) or not all(isinstance(k, str) for k in info_keys):
            raise InputError(f'`info_keys` must be a list of result keys, e.g. ["test-accuracy"]; got {info_keys!r}.')
        self._info_keys = tuple(info_keys)
        if not isinstance(time_attr, str) or not time_attr:
            raise InputError(f'`time_attr` must be a result key such as "training_iteration", got {time_attr!r}.')
        if max_t is not None and (isinstance(max_t, bool) or not isinstance(max_t, int) or max_t < 1):
            raise InputError(f"`max_t` must be a positive int (the scheduler's max_t) or None, got {max_t!r}.")
        self._time_attr, self._max_t = time_attr, max_t
        self._optimizer: Optimizer | None = None
        self._space: SearchSpace | None = None
        self._optimizer_kwargs = dict(optimizer_kwargs or {})
        self._trial_ids: dict[str, int] = {}
        self._finished: set[str] = set()
        # the last intermediate result of each running Tune trial (its metrics, info keys and
        # time_attr, as JSON scalars; saved with the state): a scheduler that stops a trial at its
        # last report may complete it without one
        self._last_results: dict[str, dict[str, Any]] = {}
        if (metric is None) != (mode is None):
            raise InputError(
                f"Pass `metric` and `mode` together (or neither), got metric={metric!r}, mode={mode!r}. "
                'Example: AGNetSearch(space, metric="valid-accuracy", mode="max").'
            )
        objectives = None if metric is None else objectives_from(metric, mode)
        if isinstance(space, Optimizer):
            if optimizer_kwargs:
                raise InputError(
                    "`optimizer_kwargs` configure a new Optimizer, but an Optimizer was passed; "
                    "set its options when you build it, or pass the search space instead."
                )
            if objectives is not None and objectives != space.objectives:
                raise InputError(
                    f"metric={metric!r}, mode={mode!r} disagree with the optimizer's objectives {space.objectives}. "
                    "Leave metric and mode out to use the optimizer's, or build the optimizer with these objectives."
                )
            self._optimizer = space
            self._space = space.space
            metric, mode = metric_mode_of(space.objectives)
        elif isinstance(space, SearchSpace):
            self._space = space
        elif space is not None:
            raise InputError(
                f"Expected a SearchSpace or an Optimizer as first argument, got {type(space).__name__}. "
                "Example: AGNetSearch(agnet_bo.spaces.NB201Space(), metric=..., mode=...)."
            )
        if isinstance(metric, tuple):  # Ray's Searcher accepts str or list
            metric, mode = list(metric), list(mode)
        super().__init__(metric=metric, mode=mode)  # type: ignore[arg-type]  # Ray annotates str, accepts lists
        if self._optimizer is None and objectives is not None and self._space is not None:
            self._build_optimizer(objectives)

    # -- views ----------------------------------------------------------------------------------
    @property
    def optimizer(self) -> Optimizer:
        """The wrapped optimizer (its trials, ``best_trial``, ``pareto_front()``).

        Raises:
            InputError: If it does not exist yet (no metric and mode were given).
        """
        return self._require_optimizer()

    def tune_trial_ids(self) -> dict[str, int]:
        """A copy of the map Tune trial id -> optimizer trial id of every suggestion."""
        return dict(self._trial_ids)

    def _build_optimizer(self, objectives: dict[str, str]) -> None:
        from agnet_bo.optimizer import Optimizer

        kwargs = dict(self._optimizer_kwargs)
        if "objectives" in kwargs:
            raise InputError(
                "Pass the objectives as metric= and mode= of AGNetSearch, not in optimizer_kwargs "
                f"(got optimizer_kwargs['objectives']={kwargs['objectives']!r})."
            )
        assert self._space is not None
        self._optimizer = Optimizer(self._space, objectives, **kwargs)

    def _require_optimizer(self) -> Optimizer:
        if self._optimizer is None:
            if self._space is None:
                raise InputError(
                    "AGNetSearch has no search space: pass one, AGNetSearch(space, metric=..., mode=...), "
                    "or restore a saved searcher with .restore(path)."
                )
            raise InputError(
                "AGNetSearch does not know what to optimise: pass metric= and mode= to AGNetSearch "
                "(TuneConfig's metric and mode reach a searcher only when param_space is not empty)."
            )
        return self._optimizer

    # -- Tune's Searcher API --------------------------------------------------------------------
    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec: Any) -> bool:
        """Take ``metric`` and ``mode`` from ``tune.TuneConfig`` (called by Tune).

        Returns:
            ``True`` if they were taken, ``False`` if the searcher already had its own (they are
            then left unchanged).

        Raises:
            InputError: If ``config`` (Tune's ``param_space``) holds distributions to search, or
                ``metric``/``mode`` are malformed.
        """
        if config and is_unresolved(config):
            raise InputError(
                "AGNetSearch searches architectures only, but param_space holds search-space definitions "
                f"(tune.uniform, tune.choice, grid_search, ...): {config!r}. Fix those values, or tune them in "
                "a separate run."
            )
        if self._metric is not None or self._optimizer is not None:
            return False
        if metric is None or mode is None:
            return False
        objectives = objectives_from(metric, mode)
        self._metric, self._mode = metric, mode
        if self._space is not None:
            self._build_optimizer(objectives)
        return True

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        """Leave limiting to ``ConcurrencyLimiter`` (the optimizer handles any number of pending trials)."""
        return False

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        """Ask the optimizer for one architecture for Tune trial ``trial_id``.

        Returns:
            The config (``{"arch": ..., "arch_str": ..., "agnet_trial": ...}``), or
            ``Searcher.FINISHED`` when the space has no architecture left.

        Raises:
            InputError: If no metric/mode or no space is known.
        """
        opt = self._require_optimizer()
        if trial_id in self._trial_ids:  # Tune does not do this; answer consistently if it does
            return self._config(opt.trials[self._trial_ids[trial_id]])
        try:
            trial = opt.ask(1)[0]
        except SamplingError as exc:
            logger.info("AGNetSearch: the search space is exhausted (%s); no more suggestions.", exc)
            return self.FINISHED  # type: ignore[return-value]  # Ray's own annotation omits FINISHED
        self._trial_ids[trial_id] = trial.id
        return self._config(trial)

    def _config(self, trial: Trial) -> dict[str, Any]:
        assert self._space is not None
        config: dict[str, Any] = {CONFIG_ARCH: trial.arch.to_dict()}
        arch_str = arch_string(self._space, trial.arch)
        if arch_str is not None:
            config[CONFIG_ARCH_STR] = arch_str
        config[CONFIG_TRIAL] = trial.id
        return config

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        """Report an intermediate result to the optimizer (called by Tune after every
        ``tune.report`` that does not stop the trial)."""
        if self._optimizer is None or trial_id not in self._trial_ids or trial_id in self._finished:
            return
        keep = {*self._optimizer.metrics, *self._info_keys, self._time_attr, "training_iteration"}
        self._last_results[trial_id] = {k: jsonable(result[k]) for k in keep if k in result}
        self._report(self._trial_ids[trial_id], result)

    def _step_of(self, result: Mapping[str, Any] | None) -> int | None:
        step = None if not result else result.get(self._time_attr)
        if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step) or step < 0:
            return None
        return int(step)

    def _report(self, tid: int, result: Mapping[str, Any] | None) -> None:
        opt = self._require_optimizer()
        trial = opt.trials[tid]
        first = next(iter(opt.objectives))
        step = self._step_of(result)
        if trial.state.is_finished() or step is None or step in trial.intermediate or not result:
            return
        value = result.get(first)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return
        opt.report(tid, step, float(value))

    def on_trial_complete(self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False) -> None:
        """Tell the optimizer how Tune trial ``trial_id`` ended (called by Tune).

        A completion without a result after intermediate results (Tune's when a scheduler stops
        a trial on its last report, as ``HyperBandScheduler`` does) is read from the last of them.
        An errored trial, one that ended without reporting (e.g. stopped while pending), one whose
        result lacks a metric, and one with a non-numeric value are told as FAIL (the last two
        with a warning naming the keys). A second completion of the same trial is logged and
        ignored.
        """
        opt = self._require_optimizer()
        if trial_id not in self._trial_ids and not self._adopt(trial_id, result, error):
            return
        if trial_id in self._finished:
            logger.warning(
                "AGNetSearch: received another completion for Tune trial %s (agnet trial %d), which already "
                "finished; ignored. Result: %s",
                trial_id,
                self._trial_ids[trial_id],
                result,
            )
            return
        tid = self._trial_ids[trial_id]
        self._finished.add(trial_id)
        last = self._last_results.pop(trial_id, None)
        if not result and not error and last:
            # Tune completes a trial that a scheduler stopped on its last report (e.g.
            # HyperBandScheduler at a bracket's max_t) without a result: that report is the result
            result = last
        if opt.trials[tid].state.is_finished():  # told directly on the optimizer by the user
            logger.warning(
                "AGNetSearch: agnet trial %d (Tune trial %s) was already told; completion ignored.", tid, trial_id
            )
            return
        info = result_info(trial_id, result, self._info_keys)
        if error:
            info["error"] = "the Tune trial errored"
            opt.tell(tid, state=TrialState.FAIL, info=info)
            return
        # Tune adds "training_iteration" to every reported result; a stopped trial that never
        # reported completes with an empty one.
        if not result or ("training_iteration" not in result and not any(m in result for m in opt.metrics)):
            info["error"] = "the Tune trial ended without reporting a result"
            logger.info(
                "AGNetSearch: Tune trial %s ended without a result; agnet trial %d recorded as FAIL.", trial_id, tid
            )
            opt.tell(tid, state=TrialState.FAIL, info=info)
            return
        missing = [m for m in opt.metrics if m not in result]
        if missing:
            msg = (
                f"Tune trial {trial_id} (agnet trial {tid}) reported no value for {missing}; it is recorded as FAIL. "
                f"Expected keys {opt.metrics} in the result, got {sorted(result)[:30]}. Report them with "
                "tune.report({...}) (constrained metrics too)."
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
            info["error"] = f"missing metric(s) {missing}"
            opt.tell(tid, state=TrialState.FAIL, info=info)
            return
        values = {m: result[m] for m in opt.metrics}
        self._report(tid, result)
        step = self._step_of(result)
        stopped = self._max_t is not None and step is not None and step < self._max_t
        try:
            opt.tell(tid, values, state=TrialState.PRUNED if stopped else TrialState.COMPLETE, info=info)
        except InputError as exc:
            warnings.warn(
                f"Tune trial {trial_id} (agnet trial {tid}) reported unusable values {values}: {exc} "
                "It is recorded as FAIL.",
                UserWarning,
                stacklevel=2,
            )
            info["error"] = str(exc)
            opt.tell(tid, state=TrialState.FAIL, info=info)

    def _adopt(self, trial_id: str, result: dict[str, Any] | None, error: bool) -> bool:
        """Map a Tune trial this searcher did not suggest (or does not remember) to a trial.

        This happens after ``Tuner.restore`` when Tune's experiment snapshot is newer than the
        searcher's (Tune syncs its files asynchronously, so a crashed driver can leave them a step
        apart): the architecture is read from the result's config. A PENDING trial with that
        architecture is taken over; an architecture the optimizer never asked is added as an
        evaluated trial.

        Returns:
            Whether the completion should be processed as a known trial.
        """
        opt = self._require_optimizer()
        arch = arch_of_result(result)
        if arch is None:
            logger.warning(
                "AGNetSearch: completion of unknown Tune trial %s ignored (not suggested by this searcher).", trial_id
            )
            return False
        key = opt.space.key(opt.space.simplify(arch))
        known = next((t for t in opt.trials if t.key == key), None)
        mapped = set(self._trial_ids.values())
        if known is not None and known.state is TrialState.PENDING and known.id not in mapped:
            logger.info("AGNetSearch: Tune trial %s (restored) adopted as agnet trial %d.", trial_id, known.id)
            self._trial_ids[trial_id] = known.id
            return True
        if known is not None:
            logger.warning(
                "AGNetSearch: completion of unknown Tune trial %s ignored: its architecture is agnet trial %d (%s).",
                trial_id,
                known.id,
                known.state.value,
            )
            return False
        if error or not result or any(m not in result for m in opt.metrics):
            logger.warning("AGNetSearch: unknown Tune trial %s ended without usable values; ignored.", trial_id)
            return False
        values = {m: result[m] for m in opt.metrics}
        try:
            trial = opt.add_evaluated(arch, values, info={"tune_trial_id": trial_id})
        except InputError as exc:
            logger.warning("AGNetSearch: result of unknown Tune trial %s not added: %s", trial_id, exc)
            return False
        logger.info("AGNetSearch: Tune trial %s (restored) added as evaluated agnet trial %d.", trial_id, trial.id)
        self._trial_ids[trial_id] = trial.id
        self._finished.add(trial_id)
        return False

    def add_evaluated_point(
        self,
        parameters: dict[str, Any],
        value: float | dict[str, float],
        error: bool = False,
        pruned: bool = False,
        intermediate_values: list[float] | None = None,
    ) -> None:
        """Warm-start with an architecture evaluated outside this search.

        Args:
            parameters: A config with an ``"arch"`` entry (as :meth:`suggest` returns).
            value: The metric's value, or a dict with a value per metric.
            error: An errored point carries no usable value and is skipped.
            pruned: A pruned point carries no usable value and is skipped.
            intermediate_values: Ignored.

        Raises:
            InputError: If the architecture is already a trial or the values are malformed.
            InvalidArchitectureError: If the architecture is not in the space.
        """
        opt = self._require_optimizer()
        if error or pruned:
            logger.info(
                "AGNetSearch: skipped an %s evaluated point (no value to learn from).", "errored" if error else "pruned"
            )
            return
        opt.add_evaluated(arch_from_config(parameters), value)

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The searcher's state as JSON-serialisable data (optimizer state and trial-id map)."""
        return searcher_state(
            metric=self._metric,
            mode=self._mode,
            info_keys=self._info_keys,
            trial_ids=self._trial_ids,
            finished=self._finished,
            optimizer=self._optimizer,
            last_results=self._last_results,
        )

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`get_state` output.

        The optimizer is rebuilt from the state; its space (and a surrogate, proposer or
        acquisition of your own class) is taken from this searcher when the state cannot rebuild it.

        Raises:
            StateFileError: If the state is malformed, from a newer version, or needs a space this
                searcher does not have.
        """
        restored = SearcherState.parse(state, space=self._space, current=self._optimizer)
        if restored.optimizer is not None:
            self._optimizer = restored.optimizer
            self._space = restored.optimizer.space
        self._trial_ids, self._finished, self._info_keys = restored.trial_ids, restored.finished, restored.info_keys
        self._last_results = restored.last_results
        self._metric, self._mode = restored.metric, restored.mode

    def save(self, checkpoint_path: str) -> None:
        """Write the state to ``checkpoint_path`` as JSON, atomically (called by Tune with each
        experiment checkpoint)."""
        write_searcher_state(checkpoint_path, self.get_state())

    def restore(self, checkpoint_path: str) -> None:
        """Load the state written by :meth:`save` (called by ``Tuner.restore``).

        Raises:
            StateFileError: If the file cannot be read or is not a valid state.
        """
        self.set_state(read_searcher_state(checkpoint_path))

    def __repr__(self) -> str:
        n = 0 if self._optimizer is None else len(self._optimizer.trials)
        return f"AGNetSearch(space={self._space!r}, metric={self._metric!r}, mode={self._mode!r}, trials={n})"


