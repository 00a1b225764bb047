"""Distributed evaluation on Ray: a Ray Tune searcher and a parallel driver over Ray tasks.

Two ways to evaluate many architectures at once with an :class:`~agnet_bo.Optimizer`:

* :class:`AGNetSearch` is a Ray Tune ``Searcher``. Tune runs the trainables, schedules, stops
  and checkpoints; the searcher maps each Tune trial id to a :class:`~agnet_bo.Trial`, hands the
  architecture to the trainable in its ``config`` and tells the optimizer what the trainable
  reported.
* :func:`run_parallel` is for users who don't use Tune: it runs an objective function on
  architectures in up to ``max_concurrent`` Ray tasks, asks the optimizer for new architectures
  as tasks finish, and handles timeouts, crashed workers, progress and checkpoints.

Both work unchanged on a laptop (``ray.init()``) and on a cluster (``ray.init(address="auto")``
on a cluster node, or ``ray.init(address="ray://<head>:10001")`` from outside).

Ray is imported on first use, so this module can be imported without it; using either entry
point without Ray raises an ``ImportError`` naming the extra to install
(``pip install 'agnet-bo[ray]'``).

The configuration a trainable receives from :class:`AGNetSearch` (merged into Tune's
``param_space``, whose other, fixed, values are kept) is::

    {
        "arch": {"ops": [...], "edges": [[u, v], ...]},   # Architecture.to_dict()
        "arch_str": "|nor_conv_3x3~0|+|...|",             # only for spaces with a string form
        "agnet_trial": 3,                                 # the Trial id in the optimizer
    }

Rebuild the architecture with :func:`arch_from_config`. ``arch_str`` is ``space.to_string(arch)``
for NAS-Bench-201 and NASLib's compact string (the NAS-Bench-301 key) for DARTS.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import numbers
import os
import tempfile
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, SamplingError
from agnet_bo.trial import Trial, TrialState

if TYPE_CHECKING:
    from agnet_bo.optimizer import Optimizer
    from agnet_bo.spaces.base import SearchSpace

__all__ = [
    "CONFIG_ARCH",
    "CONFIG_ARCH_STR",
    "CONFIG_TRIAL",
    "SEARCHER_FORMAT_VERSION",
    "AGNetSearch",
    "arch_from_config",
    "run_parallel",
]

logger = logging.getLogger(__name__)

CONFIG_ARCH = "arch"
"""Key of the architecture (``Architecture.to_dict()``) in a trainable's config."""

CONFIG_ARCH_STR = "arch_str"
"""Key of the space's string form of the architecture, for spaces that have one."""

CONFIG_TRIAL = "agnet_trial"
"""Key of the optimizer's trial id in a trainable's config."""

SEARCHER_FORMAT_VERSION = 1
"""Version of the file written by ``AGNetSearch.save``."""

_MODES = {"max": "maximize", "min": "minimize"}


# -- optional dependency --------------------------------------------------------------------------
def _require(module: str) -> ModuleType:
    """Import ``module`` (``ray`` or a submodule), or explain how to install it.

    Raises:
        ImportError: If Ray (or Ray Tune) is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = "Ray Tune" if module.startswith("ray.tune") else "Ray"
        raise ImportError(
            f"{what} is required for agnet_bo.integrations.ray but could not be imported ({exc}). "
            "Install the extra: pip install 'agnet-bo[ray]' (or pip install 'ray[tune]')."
        ) from exc


# -- architectures in Tune configs ----------------------------------------------------------------
def arch_from_config(config: Mapping[str, Any]) -> Architecture:
    """The architecture of a trainable's config, as suggested by :class:`AGNetSearch`.

    Args:
        config: The ``config`` dict a Tune trainable receives.

    Returns:
        The :class:`~agnet_bo.Architecture` to build and train.

    Raises:
        InputError: If ``config`` has no ``"arch"`` entry (the trial was not suggested by
            ``AGNetSearch``: pass ``search_alg=AGNetSearch(...)`` to ``tune.TuneConfig``).
        InvalidArchitectureError: If the entry is malformed.
    """
    if not isinstance(config, Mapping) or CONFIG_ARCH not in config:
        keys = sorted(config) if isinstance(config, Mapping) else type(config).__name__
        raise InputError(
            f"Expected a Tune config with an {CONFIG_ARCH!r} entry (written by AGNetSearch.suggest), got keys {keys}. "
            "Pass search_alg=AGNetSearch(...) to tune.TuneConfig so that Tune asks agnet-bo for architectures."
        )
    return Architecture.from_dict(dict(config[CONFIG_ARCH]))


def _arch_string(space: SearchSpace, arch: Architecture) -> str | None:
    """The space's own string form of ``arch`` (NB201 string, DARTS compact key), if it has one."""
    to_string = getattr(space, "to_string", None)
    if callable(to_string):
        return str(to_string(arch))
    to_compact = getattr(space, "to_compact", None)
    if callable(to_compact):
        return str(to_compact(arch))
    return None


def _arch_of_result(result: Mapping[str, Any] | None) -> Architecture | None:
    """The architecture of a Tune result's config (nested or flattened keys), or ``None``."""
    if not result:
        return None
    config = result.get("config")
    data = config.get(CONFIG_ARCH) if isinstance(config, Mapping) else None
    if data is None:
        ops, edges = result.get(f"config/{CONFIG_ARCH}/ops"), result.get(f"config/{CONFIG_ARCH}/edges")
        data = None if ops is None or edges is None else {"ops": ops, "edges": edges}
    if not isinstance(data, Mapping):
        return None
    try:
        return Architecture.from_dict(dict(data))
    except InputError:
        return None


def _objectives_from(metric: Any, mode: Any) -> dict[str, str]:
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


def _metric_mode_of(objectives: Mapping[str, str]) -> tuple[str | list[str], str | list[str]]:
    """Inverse of :func:`_objectives_from`: a single objective as strings, several as lists."""
    names = list(objectives)
    modes = ["max" if objectives[n] == "maximize" else "min" for n in names]
    if len(names) == 1:
        return names[0], modes[0]
    return names, modes


def _is_unresolved(config: Any) -> bool:
    """Whether a Tune ``param_space`` holds search-space definitions (``tune.uniform``, grid search)."""
    if isinstance(config, Mapping):
        if "grid_search" in config:
            return True
        return any(_is_unresolved(v) for v in config.values())
    if isinstance(config, (list, tuple)):
        return any(_is_unresolved(v) for v in config)
    try:
        from ray.tune.search.sample import Domain
    except ImportError:  # pragma: no cover - only called from Tune
        return False
    return isinstance(config, Domain)


def _jsonable(value: Any) -> Any:
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
            return _jsonable(item())
        except (TypeError, ValueError):
            return None
    return None


def _write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file in the same directory."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- the Tune searcher ----------------------------------------------------------------------------
class _AGNetSearchBase:
    """Ray Tune ``Searcher`` that proposes architectures with an agnet-bo :class:`~agnet_bo.Optimizer`.

    Tune calls :meth:`suggest` for every new Tune trial: the searcher asks the optimizer for one
    architecture (pending trials are taken into account, so no architecture is handed out twice)
    and returns a config with the architecture (see the module docstring and
    :func:`arch_from_config`). When the Tune trial ends, :meth:`on_trial_complete` tells the
    optimizer the trial's last reported value of every objective (and constrained metric):

    ============================================  =================================================
    Tune                                          agnet-bo
    ============================================  =================================================
    ``suggest(trial_id)``                         ``optimizer.ask(1)``; ``trial_id`` -> ``Trial.id``
    ``on_trial_complete(id, result)``             ``tell(trial, {m: result[m]})`` -> COMPLETE
    ``on_trial_complete(id, error=True)``         ``tell(trial, state="FAIL")``
    completed without the metric / with NaN       FAIL, with a warning
    a second completion of the same id            ignored, with a log line
    ``save(path)`` / ``restore(path)``            JSON (no pickle): optimizer state + id map
    ``metric=[...], mode=[...]``                  several objectives (Pareto search)
    ============================================  =================================================

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

    _metric: Any  # set by Searcher.__init__
    _mode: Any
    FINISHED: str

    def __init__(
        self,
        space: SearchSpace | Optimizer | None = None,
        metric: str | list[str] | None = None,
        mode: str | list[str] | None = None,
        *,
        info_keys: Sequence[str] = (),
        optimizer_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        from agnet_bo.optimizer import Optimizer
        from agnet_bo.spaces.base import SearchSpace

        if isinstance(info_keys, str) or not all(isinstance(k, str) for k in info_keys):
            raise InputError(f'`info_keys` must be a list of result keys, e.g. ["test-accuracy"]; got {info_keys!r}.')
        self._info_keys = tuple(info_keys)
        self._optimizer: Optimizer | None = None
        self._space: SearchSpace | None = None
        self._optimizer_kwargs = dict(optimizer_kwargs or {})
        self._trial_ids: dict[str, int] = {}
        self._finished: set[str] = set()
        if (metric is None) != (mode is None):
            raise InputError(
                f"Pass `metric` and `mode` together (or neither), got metric={metric!r}, mode={mode!r}. "
                'Example: AGNetSearch(space, metric="valid-accuracy", mode="max").'
            )
        objectives = None if metric is None else _objectives_from(metric, mode)
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
            metric, mode = _metric_mode_of(space.objectives)
        elif isinstance(space, SearchSpace):
            self._space = space
        elif space is not None:
            raise InputError(
                f"Expected a SearchSpace or an Optimizer as first argument, got {type(space).__name__}. "
                "Example: AGNetSearch(agnet_bo.spaces.NB201Space(), metric=..., mode=...)."
            )
        if isinstance(metric, tuple):  # Ray's Searcher accepts str or list
            metric, mode = list(metric), list(mode)
        super().__init__(metric=metric, mode=mode)  # type: ignore[call-arg]
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
        if config and _is_unresolved(config):
            raise InputError(
                "AGNetSearch searches architectures only, but param_space holds search-space definitions "
                f"(tune.uniform, tune.choice, grid_search, ...): {config!r}. Fix those values, or tune them in "
                "a separate run."
            )
        if self._metric is not None or self._optimizer is not None:
            return False
        if metric is None or mode is None:
            return False
        objectives = _objectives_from(metric, mode)
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
        arch_str = _arch_string(self._space, trial.arch)
        if arch_str is not None:
            config[CONFIG_ARCH_STR] = arch_str
        config[CONFIG_TRIAL] = trial.id
        return config

    def on_trial_complete(self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False) -> None:
        """Tell the optimizer how Tune trial ``trial_id`` ended (called by Tune).

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
        if opt.trials[tid].state.is_finished():  # told directly on the optimizer by the user
            logger.warning(
                "AGNetSearch: agnet trial %d (Tune trial %s) was already told; completion ignored.", tid, trial_id
            )
            return
        info: dict[str, Any] = {"tune_trial_id": trial_id}
        for key in self._info_keys:
            if result and key in result:
                value = _jsonable(result[key])
                if value is not None:
                    info[key] = value
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
        try:
            opt.tell(tid, values, info=info)
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
        arch = _arch_of_result(result)
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
        return {
            "format": "agnet_bo.ray.AGNetSearch",
            "version": SEARCHER_FORMAT_VERSION,
            "metric": self._metric,
            "mode": self._mode,
            "info_keys": list(self._info_keys),
            "trial_ids": dict(self._trial_ids),
            "finished": sorted(self._finished),
            "optimizer": None if self._optimizer is None else self._optimizer.state_dict(),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`get_state` output.

        The optimizer is rebuilt from the state; its space (and a surrogate or proposer that
        was passed as an instance) is taken from this searcher when the state cannot rebuild it.

        Raises:
            StateFileError: If the state is malformed, from a newer version, or needs a space this
                searcher does not have.
        """
        from agnet_bo.optimizer import Optimizer, StateFileError

        if not isinstance(state, dict) or state.get("format") != "agnet_bo.ray.AGNetSearch":
            raise StateFileError("Not an AGNetSearch state (expected a dict written by AGNetSearch.save / get_state).")
        version = state.get("version")
        if not isinstance(version, int) or version > SEARCHER_FORMAT_VERSION:
            raise StateFileError(
                f"AGNetSearch state has format version {version!r}; this agnet-bo reads up to "
                f"{SEARCHER_FORMAT_VERSION}. Upgrade agnet-bo."
            )
        try:
            opt_state = state["optimizer"]
            optimizer = None
            if opt_state is not None:
                saved_space = opt_state["space"]["class"]
                if self._space is not None and type(self._space).__name__ != saved_space:
                    raise StateFileError(
                        f"The saved search used a {saved_space} but this searcher has a {type(self._space).__name__}; "
                        "build the searcher with the same space before restoring."
                    )
                cfg = opt_state["config"]
                current = self._optimizer
                optimizer = Optimizer.from_state_dict(
                    opt_state,
                    space=self._space,
                    surrogate=current.surrogate if current is not None and cfg["surrogate"] is None else None,
                    proposer=current.proposer if current is not None and cfg["proposer"] is None else None,
                    source="The optimizer in the AGNetSearch state",
                )
            trial_ids = {str(k): int(v) for k, v in state["trial_ids"].items()}
            finished = {str(k) for k in state["finished"]}
            n = 0 if optimizer is None else len(optimizer.trials)
            if any(not 0 <= v < n for v in trial_ids.values()) or not finished <= set(trial_ids):
                raise StateFileError("AGNetSearch state is inconsistent: trial ids that the optimizer does not have.")
            info_keys = tuple(str(k) for k in state["info_keys"])
            metric, mode = state["metric"], state["mode"]
        except StateFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(f"AGNetSearch state is corrupted or incomplete: {type(exc).__name__}: {exc}") from exc
        if optimizer is not None:
            self._optimizer = optimizer
            self._space = optimizer.space
        self._trial_ids, self._finished, self._info_keys = trial_ids, finished, info_keys
        self._metric, self._mode = metric, mode

    def save(self, checkpoint_path: str) -> None:
        """Write the state to ``checkpoint_path`` as JSON, atomically (called by Tune with each
        experiment checkpoint)."""
        _write_json_atomic(checkpoint_path, self.get_state())

    def restore(self, checkpoint_path: str) -> None:
        """Load the state written by :meth:`save` (called by ``Tuner.restore``).

        Raises:
            StateFileError: If the file cannot be read or is not a valid state.
        """
        from agnet_bo.optimizer import StateFileError

        try:
            with open(checkpoint_path) as fh:
                state = json.load(fh)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StateFileError(f"Cannot read AGNetSearch state {checkpoint_path}: {exc}") from exc
        self.set_state(state)

    def __repr__(self) -> str:
        n = 0 if self._optimizer is None else len(self._optimizer.trials)
        return f"AGNetSearch(space={self._space!r}, metric={self._metric!r}, mode={self._mode!r}, trials={n})"


def _searcher_class() -> type:
    """Build ``AGNetSearch`` (a subclass of ``ray.tune.search.Searcher``) on first use."""
    cls = globals().get("AGNetSearch")
    if cls is None:
        searcher = _require("ray.tune.search").Searcher
        cls = type(
            "AGNetSearch",
            (_AGNetSearchBase, searcher),
            {"__module__": __name__, "__qualname__": "AGNetSearch", "__doc__": _AGNetSearchBase.__doc__},
        )
        globals()["AGNetSearch"] = cls
    return cls


if TYPE_CHECKING:
    from ray.tune.search import Searcher as _Searcher

    class AGNetSearch(_AGNetSearchBase, _Searcher):
        pass


def __getattr__(name: str) -> Any:
    # AGNetSearch subclasses Ray Tune's Searcher, so it is defined when first accessed: importing this
    # module does not import Ray.
    if name == "AGNetSearch":
        return _searcher_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- the parallel driver --------------------------------------------------------------------------
def _evaluate(objective_fn: Callable[[Architecture], Any], arch: Architecture) -> Any:
    """Body of a Ray task: evaluate one architecture."""
    return objective_fn(arch)


@dataclass
class _Attempt:
    trial: Trial
    attempt: int  # 1 for the first run, 2 for the first retry, ...
    submitted: float
    deadline: float


def _default_retry_on(ray: ModuleType) -> tuple[type[BaseException], ...]:
    exc = ray.exceptions
    return (
        exc.WorkerCrashedError,
        exc.NodeDiedError,
        exc.LocalRayletDiedError,
        exc.ObjectLostError,
        exc.OutOfMemoryError,
    )


def _split_result(optimizer: Optimizer, trial: Trial, out: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """The objective's return value as (values for ``optimizer.metrics``, info for the rest).

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
        info = {str(k): _jsonable(v) for k, v in out.items() if k not in metrics and _jsonable(v) is not None}
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
    from agnet_bo.optimizer import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise InputError(f"`optimizer` must be an agnet_bo.Optimizer, got {type(optimizer).__name__}.")
    if not callable(objective_fn):
        raise InputError(
            f"`objective_fn` must be callable (arch -> number or dict), got {type(objective_fn).__name__}."
        )
    for name, v, lo in (
        ("n_trials", n_trials, 0),
        ("max_retries", max_retries, 0),
        ("checkpoint_every", checkpoint_every, 1),
    ):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise InputError(f"`{name}` must be an int >= {lo}, got {v!r}.")
    if max_concurrent is not None and (
        isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent < 1
    ):
        raise InputError(f"`max_concurrent` must be a positive int or None (one task per CPU), got {max_concurrent!r}.")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0):
        raise InputError(f"`timeout` must be a positive number of seconds or None, got {timeout!r}.")
    if not (isinstance(num_cpus, (int, float)) and num_cpus >= 0) or not (
        isinstance(num_gpus, (int, float)) and num_gpus >= 0
    ):
        raise InputError(f"`num_cpus` and `num_gpus` must be numbers >= 0, got {num_cpus!r} and {num_gpus!r}.")
    ray = _require("ray")
    if retry_on is None:
        retry_types = _default_retry_on(ray)
    else:
        retry_types = tuple(retry_on)
        if not all(isinstance(t, type) and issubclass(t, BaseException) for t in retry_types):
            raise InputError(f"`retry_on` must be a list of exception types, got {retry_on!r}.")
    if not ray.is_initialized():
        ray.init()
    if max_concurrent is None:
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        max_concurrent = max(1, int(cpus // num_cpus) if num_cpus > 0 else int(cpus))
    options = {"num_cpus": num_cpus, "num_gpus": num_gpus, **dict(remote_options or {})}
    options["max_retries"] = 0  # reruns are counted and logged here, not hidden inside Ray
    options["retry_exceptions"] = False
    task = ray.remote(_evaluate).options(**options)
    fn_ref = ray.put(objective_fn)

    queue: deque[tuple[Trial, int]] = deque()  # (trial, attempt) waiting for a slot
    if evaluate_pending:
        queue.extend((t, 1) for t in optimizer.pending_trials)
    running: dict[Any, _Attempt] = {}
    finished: list[Trial] = []
    started = 0  # distinct trials started by this call
    since_checkpoint = 0
    exhausted = False
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, desc="agnet-bo", unit="trial", dynamic_ncols=True)

    def submit(trial: Trial, attempt: int) -> None:
        now = time.monotonic()
        ref = task.remote(fn_ref, trial.arch)
        running[ref] = _Attempt(trial, attempt, now, now + timeout if timeout is not None else math.inf)

    def finish(
        trial: Trial, values: Any = None, state: TrialState = TrialState.COMPLETE, info: dict | None = None
    ) -> None:
        nonlocal since_checkpoint
        optimizer.tell(trial, values, state=state, info=info)
        finished.append(trial)
        since_checkpoint += 1
        if checkpoint_path is not None and since_checkpoint >= checkpoint_every:
            optimizer.save(checkpoint_path)
            since_checkpoint = 0
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(_progress_note(optimizer, finished), refresh=False)

    def handle(ref: Any, att: _Attempt) -> None:
        trial = att.trial
        elapsed = round(time.monotonic() - att.submitted, 3)
        try:
            out = ray.get(ref)
        except retry_types as exc:
            if att.attempt <= max_retries:
                logger.warning(
                    "Trial %d: %s on attempt %d; running it again (%d of %d retries).",
                    trial.id,
                    type(exc).__name__,
                    att.attempt,
                    att.attempt,
                    max_retries,
                )
                queue.appendleft((trial, att.attempt + 1))
                return
            logger.warning("Trial %d failed after %d attempt(s): %s", trial.id, att.attempt, _short(exc))
            finish(
                trial, state=TrialState.FAIL, info={"error": _short(exc), "attempts": att.attempt, "seconds": elapsed}
            )
            return
        except ray.exceptions.RayError as exc:
            err = _short(getattr(exc, "cause", None) or exc)
            logger.warning("Trial %d failed: %s", trial.id, err)
            finish(trial, state=TrialState.FAIL, info={"error": err, "attempts": att.attempt, "seconds": elapsed})
            return
        values, info = _split_result(optimizer, trial, out)
        info.update(attempts=att.attempt, seconds=elapsed)
        finish(trial, values, info=info)

    clean_exit = False
    try:
        while True:
            free = max_concurrent - len(running)
            while free > 0 and queue and (queue[0][1] > 1 or started < n_trials):
                trial, attempt = queue.popleft()
                if attempt == 1:
                    started += 1
                submit(trial, attempt)
                free -= 1
            want = min(free, n_trials - started)
            if want > 0 and not exhausted:
                try:
                    new = optimizer.ask(want)
                except SamplingError as exc:
                    logger.info(
                        "The search space has no new architectures left (%s); finishing the running trials.", exc
                    )
                    exhausted = True
                    new = []
                for trial in new:
                    started += 1
                    submit(trial, 1)
            if not running:
                break
            now = time.monotonic()
            next_deadline = min(att.deadline for att in running.values())
            wait_s = None if math.isinf(next_deadline) else max(0.0, next_deadline - now)
            ready, _ = ray.wait(list(running), num_returns=1, timeout=wait_s)
            if ready:  # collect everything that is done, not just the first
                ready, _ = ray.wait(list(running), num_returns=len(running), timeout=0)
            for ref in ready:
                handle(ref, running.pop(ref))
            now = time.monotonic()
            for ref in [r for r, att in running.items() if att.deadline <= now]:
                att = running.pop(ref)
                ray.cancel(ref, force=True)
                logger.warning(
                    "Trial %d timed out after %.1f s; cancelled and recorded as FAIL.", att.trial.id, timeout
                )
                finish(
                    att.trial,
                    state=TrialState.FAIL,
                    info={
                        "error": f"timeout after {timeout} s",
                        "attempts": att.attempt,
                        "seconds": round(now - att.submitted, 3),
                    },
                )
        clean_exit = True
    finally:
        if not clean_exit:
            for ref in running:
                ray.cancel(ref, force=True)
        if checkpoint_path is not None:
            optimizer.save(checkpoint_path)
        if bar is not None:
            bar.close()
    return finished


def _short(exc: BaseException) -> str:
    """One line naming an exception (Ray's wrapped tracebacks are long)."""
    text = str(exc).strip().splitlines()
    last = text[-1] if text else ""
    return f"{type(exc).__name__}: {last}"[:500]


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
