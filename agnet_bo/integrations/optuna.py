"""Optuna integration: an Optuna study searches an agnet-bo search space with AG-Net.

:class:`AGNetSampler` is an Optuna sampler that owns an agnet-bo :class:`~agnet_bo.Optimizer`.
For every new Optuna trial it asks the optimizer for one architecture and stores it on the trial
(user attributes :data:`ARCH_ATTR` and :data:`ARCH_STR_ATTR`, so the study's storage and the
Optuna dashboard hold every architecture); the objective gets it with
:func:`suggest_architecture`. When the trial ends, the sampler tells the optimizer its value(s).
Any other ``trial.suggest_*`` (a learning rate, a batch size) is sampled by an independent
Optuna sampler, so architecture and hyperparameters can be searched together::

    import optuna
    import agnet_bo as ab
    from agnet_bo.integrations.optuna import AGNetSampler, suggest_architecture

    def objective(trial):
        arch = suggest_architecture(trial)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        return train_and_validate(arch, lr)           # your code

    study = optuna.create_study(direction="maximize",
                                sampler=AGNetSampler(ab.spaces.NB201Space(), seed=0))
    study.optimize(objective, n_trials=100)

How Optuna's trial states reach the optimizer:

=====================================  ======================================================
Optuna                                 agnet-bo
=====================================  ======================================================
``COMPLETE`` with value(s)             ``tell(trial, values)`` -> COMPLETE
``FAIL`` (an exception, a NaN)         ``tell(trial, state="FAIL")``: never asked again
``PRUNED`` after ``trial.report``      ``pruned="value"`` (default): PRUNED with the last
                                       reported value and every intermediate value;
                                       ``pruned="fail"``: FAIL
``PRUNED`` without a reported value    FAIL
=====================================  ======================================================

Every told trial keeps ``info["optuna_trial"]`` (the Optuna trial number) and, if the objective
suggested any, ``info["optuna_params"]``; a pruned one also ``info["optuna_state"] = "PRUNED"``.

The study's storage is the sampler's memory: before each trial, the sampler reads the study's
trials it does not know yet (finished ones are added with
:meth:`~agnet_bo.Optimizer.add_evaluated`, running ones become pending trials that are never
asked again). So ``optuna.load_study(..., sampler=AGNetSampler(space))`` continues a search
after a crash or on another day.

Several processes (or machines) may run one study, each with its own ``AGNetSampler``, on a
storage they share: a journal file (``optuna.storages.JournalStorage`` with a
``JournalFileBackend``) or an RDB (an SQLite file, PostgreSQL, MySQL). The sampler never hands
one architecture to two trials, whichever processes run them: before it stores an architecture
on a trial, it claims it in the storage (the system attribute :data:`CLAIM_ATTR`) and reads the
study's trials back; if another trial holds it, or claimed it at the same time with a lower trial
number, the trial gives way and asks the optimizer again (the architecture stays pending there,
for the other trial's result). That costs one storage write and one read of the study's trials
per trial, and one more ask per collision. An ``InMemoryStorage`` lives in one process: there,
the threads of ``study.optimize(..., n_jobs=4)`` share one sampler, which serves them one at a
time. Architectures a trial carries from the start (:func:`enqueue_architecture`, a retry by
``RetryFailedTrialCallback``) are evaluated as given, even if known.

This module imports Optuna; without it, importing it raises an ``ImportError`` naming the extra
(``pip install 'agnet-bo[optuna]'``).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, SamplingError
from agnet_bo.optimizer import Optimizer
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.trial import Trial, TrialState

try:
    import optuna
    from optuna.samplers import BaseSampler, RandomSampler
    from optuna.study import StudyDirection
    from optuna.trial import TrialState as OptunaState
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"Optuna is required for agnet_bo.integrations.optuna but could not be imported ({exc}). "
        "Install the extra: pip install 'agnet-bo[optuna]' (or pip install 'optuna>=3.6')."
    ) from exc

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution
    from optuna.study import Study
    from optuna.trial import FrozenTrial

__all__ = [
    "AGNetSampler",
    "suggest_architecture",
    "architecture_of",
    "enqueue_architecture",
    "ARCH_ATTR",
    "ARCH_STR_ATTR",
    "CLAIM_ATTR",
]

logger = logging.getLogger(__name__)

ARCH_ATTR = "agnet_bo_arch"
"""User attribute of an Optuna trial with its architecture: the JSON of ``Architecture.to_dict()``."""

ARCH_STR_ATTR = "agnet_bo_arch_str"
"""User attribute with the space's readable string of the architecture (NAS-Bench-201 string,
DARTS compact form), for spaces that have one."""

CLAIM_ATTR = "agnet_bo_claim"
"""System attribute of an Optuna trial: the key (``space.key``) of the architecture its sampler is
claiming for it, or ``None`` after giving it way. Written before the architecture is stored in
:data:`ARCH_ATTR`; see :class:`AGNetSampler` ("Several processes")."""

_PRUNED_CHOICES = ("value", "fail")


def _arch_json(arch: Architecture) -> str:
    return json.dumps(arch.to_dict(), separators=(",", ":"))


def _arch_string(space: SearchSpace, arch: Architecture) -> str | None:
    for name in ("to_string", "to_compact"):
        fn = getattr(space, name, None)
        if callable(fn):
            return str(fn(arch))
    return None


def _parse_arch(raw: Any, number: int) -> Architecture:
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        return Architecture.from_dict(data)
    except (ValueError, TypeError) as exc:  # JSONDecodeError and InvalidArchitectureError are ValueErrors
        raise InputError(f"Optuna trial {number}: its user attribute {ARCH_ATTR!r} is not an architecture: {exc}") from exc


def architecture_of(trial: FrozenTrial | optuna.trial.Trial) -> Architecture:
    """The architecture stored on an Optuna trial by :class:`AGNetSampler` (or
    :func:`enqueue_architecture`), e.g. of ``study.best_trial`` or of any trial of a loaded study.

    Raises:
        InputError: If the trial holds no architecture.
    """
    attrs: Any
    if isinstance(trial, optuna.trial.Trial):  # its cached user attributes may predate the sampler's
        attrs = trial.study._storage.get_trial(trial._trial_id).user_attrs
    else:
        attrs = getattr(trial, "user_attrs", None)
        if not isinstance(attrs, Mapping):
            raise InputError(f"Expected an Optuna trial (FrozenTrial or Trial), got {type(trial).__name__}.")
    number = getattr(trial, "number", -1)
    if ARCH_ATTR not in attrs:
        raise InputError(
            f"Optuna trial {number} holds no architecture (no user attribute {ARCH_ATTR!r}): it was not "
            "run with an AGNetSampler."
        )
    return _parse_arch(attrs[ARCH_ATTR], number)


class AGNetSampler(BaseSampler):
    """Optuna sampler that proposes architectures with an agnet-bo :class:`~agnet_bo.Optimizer`.

    Per Optuna trial: ``before_trial`` asks the optimizer for one architecture (``ask(1)``) and
    stores it on the trial (user attributes :data:`ARCH_ATTR`, the JSON of
    ``Architecture.to_dict()``, and :data:`ARCH_STR_ATTR`, the space's readable string if it has
    one); the objective reads it with :func:`suggest_architecture`; ``after_trial`` tells the
    optimizer the trial's value(s), or FAIL (see the module's table for pruned trials). Other
    parameters (``trial.suggest_float`` ...) are sampled by ``independent_sampler``; the
    surrogate models the architecture only, so they are noise to it.

    The optimizer is built when the sampler first sees its study, with one objective per study
    direction. It then reads the study's trials from the storage before every trial: finished
    trials with an architecture it does not know are added with
    :meth:`~agnet_bo.Optimizer.add_evaluated` (COMPLETE, FAIL, or PRUNED as above), and running
    ones (of another process sharing the storage, or of a crashed process) become pending trials:
    their architectures are never asked again, and they are told when the storage shows them
    finished (e.g. failed by Optuna's heartbeat, ``fail_stale_trials``, or by
    ``study.tell(number, state=optuna.trial.TrialState.FAIL)``).

    Several processes: to hand an architecture ``K`` to trial ``n``, the sampler writes the claim
    ``K`` (system attribute :data:`CLAIM_ATTR`), then reads all the study's trials. It gives way
    (writes the claim ``None``, keeps ``K`` pending in its optimizer for the other trial, and asks
    again) if another trial holds ``K`` (:data:`ARCH_ATTR`, in any state) or a running trial
    numbered below ``n`` claims ``K``. If only running trials numbered above ``n`` claim ``K``, it
    reads again until each of them has kept ``K`` (then it gives way) or given it up (then it keeps
    it), for at most :attr:`claim_timeout` seconds (then it gives way); else it keeps ``K`` and
    stores it. Why exactly one of two trials that claim ``K`` at the same time keeps it: each
    writes its claim before it reads, so the one that reads last sees the other's claim; the
    higher-numbered one gives way as soon as it sees the lower one's, without waiting, and keeps
    ``K`` only if it did not see it -- and only then does the lower-numbered one give way. This
    uses only what every Optuna storage guarantees: trial numbers are unique within a study, and
    an attribute written is seen by every later read. (If a process dies between its claim and its
    decision, the trials waiting for it give way after the timeout: that architecture is then
    evaluated by no trial rather than by two.) After :attr:`max_claims` collisions in a row the
    trial is marked FAIL and a :class:`~agnet_bo.exceptions.SamplingError` is raised.

    Each architecture is told once. A trial that carries an architecture already known to the
    optimizer (a retry of a failed trial by ``RetryFailedTrialCallback``, or an
    :func:`enqueue_architecture` of a known one) evaluates it, but its result stays in Optuna only.

    Don't ask or tell :attr:`optimizer` yourself while a study uses the sampler; queue known
    architectures with :func:`enqueue_architecture` (Optuna's queue, shared by all workers).

    Args:
        space: The search space. May be left out when ``optimizer`` is given.
        objectives: Names of the study's objectives: one name, a list with one name per study
            direction, or a dict name -> ``"maximize"``/``"minimize"`` that must agree with the
            study's directions. Default: ``study.metric_names`` if set, else ``"objective_0"``,
            ``"objective_1"``, ... The directions always come from the study.
        optimizer: An existing :class:`~agnet_bo.Optimizer` to continue (its objectives must
            match the study's directions, in order; it must have no queued architectures).
        seed: Seed of the optimizer built by the sampler and of the default independent sampler.
        independent_sampler: The Optuna sampler of parameters other than the architecture.
            Default ``optuna.samplers.RandomSampler(seed=seed)``.
        pruned: How a pruned trial is told: ``"value"`` (default) tells it PRUNED with its last
            reported value, its intermediate values reported too (the models learn it at its
            expected full-fidelity value, :meth:`Optimizer.report
            <agnet_bo.Optimizer.report>`; FAIL if it reported nothing), ``"fail"`` tells FAIL
            (the architecture is only excluded from future asks).
        **optimizer_arguments: Arguments of the :class:`~agnet_bo.Optimizer` built on ``space``
            (``n_initial``, ``pool_size``, ``surrogate``, ``preset``, ``constraints``, ...).
            A constrained metric that is not an objective is read from the trial's user attribute
            of the same name (``trial.set_user_attr("latency", 4.2)``); a trial without it is FAIL.

    Raises:
        InputError: On malformed arguments; when the sampler is first used, if the objectives
            disagree with the study or the storage holds architectures not in the space.
        SamplingError: From ``study.ask`` (``study.optimize``), when a trial gave way on
            :attr:`max_claims` architectures in a row (the trial is marked FAIL).

    Example:
        >>> import optuna
        >>> import agnet_bo as ab
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> bench = ab.benchmarks.NB201("cifar10")
        >>> sampler = AGNetSampler(ab.spaces.NB201Space(), n_initial=4, pool_size=30, seed=0)
        >>> study = optuna.create_study(direction="maximize", sampler=sampler)
        >>> study.optimize(lambda t: bench.evaluate(suggest_architecture(t), ["valid-accuracy"])["valid-accuracy"],
        ...                n_trials=6)
        >>> len(sampler.optimizer.trials), sorted(study.best_trial.user_attrs)
        (6, ['agnet_bo_arch', 'agnet_bo_arch_str'])
    """

    max_claims: int = 20
    """Architectures a trial may give way on in a row before the sampler gives up (the trial is
    marked FAIL and a :class:`~agnet_bo.exceptions.SamplingError` raised)."""

    claim_timeout: float = 30.0
    """Seconds a trial waits for a higher-numbered trial that claimed the same architecture to
    decide (it does so right after one storage read) before giving the architecture way."""

    def __init__(
        self,
        space: SearchSpace | None = None,
        objectives: str | Sequence[str] | Mapping[str, str] | None = None,
        *,
        optimizer: Optimizer | None = None,
        seed: int = 0,
        independent_sampler: BaseSampler | None = None,
        pruned: str = "value",
        **optimizer_arguments: Any,
    ) -> None:
        if optimizer is not None:
            if not isinstance(optimizer, Optimizer):
                raise InputError(f"`optimizer` must be an agnet_bo.Optimizer, got {type(optimizer).__name__}.")
            if optimizer_arguments:
                raise InputError(
                    f"Optimizer arguments {sorted(optimizer_arguments)} configure a new Optimizer, but an Optimizer "
                    "was passed; set them when you build it, or pass the search space instead."
                )
            if space is not None and space is not optimizer.space:
                raise InputError("Pass the search space or an optimizer, not both: the optimizer has its own space.")
            if optimizer.queued:
                raise InputError(
                    f"The optimizer has {len(optimizer.queued)} queued architectures; queue them in the study "
                    "instead, with enqueue_architecture(study, arch), so that every worker sees them."
                )
            space = optimizer.space
        elif not isinstance(space, SearchSpace):
            raise InputError(
                f"Expected a SearchSpace (or optimizer=...), got {type(space).__name__}. "
                "Example: AGNetSampler(agnet_bo.spaces.NB201Space(), n_initial=8, seed=0)."
            )
        if pruned not in _PRUNED_CHOICES:
            raise InputError(f"`pruned` must be one of {_PRUNED_CHOICES}, got {pruned!r}.")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise InputError(f"`independent_sampler` must be an Optuna sampler, got {type(independent_sampler).__name__}.")
        if objectives is not None:
            _names_of(objectives)  # check the form now; the count is checked against the study
        self._space: SearchSpace = space
        self._objectives = objectives
        self._optimizer: Optimizer | None = optimizer
        self._seed = seed
        self._optimizer_arguments = dict(optimizer_arguments)
        self._independent: BaseSampler = independent_sampler or RandomSampler(seed=seed)
        self.pruned = pruned
        self._study_name: str | None = None
        self._lock = threading.RLock()  # study.optimize(n_jobs>1) shares the sampler across threads
        self._pending: dict[int, Trial] = {}  # Optuna trial id -> optimizer trial not told yet
        self._seen: set[int] = set()  # Optuna trial ids with nothing more to do
        self._archs: dict[int, Architecture] = {}  # Optuna trial id -> architecture, for this process's trials
        self._yielded: dict[str, Trial] = {}  # key -> pending optimizer trial given way to another Optuna trial
        self._keys: dict[str, str | None] = {}  # ARCH_ATTR value -> its key (None: not an architecture)
        self._collisions = 0
        self._exhausted = False

    # -- views ----------------------------------------------------------------------------------
    @property
    def space(self) -> SearchSpace:
        """The search space."""
        return self._space

    @property
    def collisions(self) -> int:
        """How many architectures this sampler gave way on: it had asked its optimizer for them,
        but another trial of the study (of another process) had claimed them first, so it asked
        again. Those architectures stay pending in the optimizer until that trial is told."""
        return self._collisions

    @property
    def optimizer(self) -> Optimizer:
        """The optimizer (its trials, ``best_trial``, ``pareto_front()``, ``save``).

        Raises:
            InputError: Before the sampler first saw a study (the study's directions define the
                objectives), unless an optimizer was given.
        """
        if self._optimizer is None:
            raise InputError(
                "The optimizer is built when the sampler first sees its study (the study's directions define its "
                "objectives): run a trial first, e.g. study.optimize(..., n_trials=1), or pass optimizer=..."
            )
        return self._optimizer

    def architecture(self, trial: optuna.trial.Trial | FrozenTrial) -> Architecture:
        """The architecture of an Optuna trial of this sampler's study (what
        :func:`suggest_architecture` returns).

        Raises:
            optuna.TrialPruned: If the space was exhausted when the trial started (no
                architecture was left; the study is stopped).
            InputError: If the trial holds no architecture.
        """
        arch = self._archs.get(trial._trial_id)
        if arch is not None:
            return arch
        try:
            return architecture_of(trial)
        except InputError:
            if self._exhausted:
                raise optuna.TrialPruned(
                    f"Every architecture of {self._space.name} has been asked: the search is complete, no "
                    "architecture is left for this trial."
                ) from None
            raise

    # -- the Optuna sampler interface ---------------------------------------------------------
    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def reseed_rng(self) -> None:
        self._independent.reseed_rng()

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            self._bind(study)
            self._sync(study, skip=trial._trial_id)
            self._independent.before_trial(study, trial)
            opt = self.optimizer
            tid = trial._trial_id
            pinned = self._pinned(trial)
            if pinned is not None:  # enqueued with an architecture, or a retry
                known = opt.find(pinned)
                given = self._yielded.pop(opt.space.key(opt.space.simplify(pinned)), None)
                if given is not None:  # this sampler gave it way to this very trial: its result is told
                    t = self._pending[tid] = given
                    arch = t.arch
                elif known is None:
                    t = self._pending[tid] = self._ask_for(pinned)
                    arch = t.arch
                else:
                    logger.warning(
                        "Optuna trial %d re-evaluates the architecture of optimizer trial %d (%s); its result stays "
                        "in Optuna only, each architecture is told to the optimizer once.",
                        trial.number, known.id, known.state.value,
                    )
                    self._seen.add(tid)
                    arch = known.arch
            else:
                claimed = self._ask_and_claim(study, trial)
                if claimed is None:
                    return
                t = self._pending[tid] = claimed
                arch = t.arch
            self._archs[tid] = arch
            self._store(study, trial, arch)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: OptunaState, values: Sequence[float] | None
    ) -> None:
        with self._lock:
            if self._study_name is None:  # a trial created elsewhere, told here first: it becomes pending
                self._bind(study)
                self._sync(study)
            self._independent.after_trial(study, trial, state, values)
            self._archs.pop(trial._trial_id, None)
            t = self._pending.pop(trial._trial_id, None)
            if t is not None:
                self._seen.add(trial._trial_id)
                self._tell(t, trial, state, values)

    # -- internals ------------------------------------------------------------------------------
    def _bind(self, study: Study) -> None:
        """On first use: the optimizer, with the study's objectives (or a check of the given one's)."""
        if self._study_name is not None:
            if study.study_name != self._study_name:
                raise InputError(
                    f"This AGNetSampler serves study {self._study_name!r}; use a new AGNetSampler for study "
                    f"{study.study_name!r}."
                )
            return
        real = getattr(study, "_study", study)  # HyperbandPruner hands samplers a per-bracket view
        directions = ["minimize" if d == StudyDirection.MINIMIZE else "maximize" for d in real.directions]
        if self._optimizer is not None:
            have = list(self._optimizer.objectives.values())
            if have != directions:
                raise InputError(
                    f"The optimizer's objectives {self._optimizer.objectives} disagree with the study's directions "
                    f"{directions}: give an optimizer with one objective per study direction, in order."
                )
        else:
            names = self._objective_names(real, directions)
            self._optimizer = Optimizer(
                self._space, dict(zip(names, directions, strict=True)), seed=self._seed, **self._optimizer_arguments
            )
            logger.info("optimizer built for study %r: %r", real.study_name, self._optimizer)
        self._study_name = study.study_name

    def _objective_names(self, study: Study, directions: list[str]) -> list[str]:
        if self._objectives is None:
            names = study.metric_names or [f"objective_{i}" for i in range(len(directions))]
        else:
            names = _names_of(self._objectives)
            if isinstance(self._objectives, Mapping):
                given = [str(self._objectives[n]).lower() for n in names]
                if given != directions:
                    raise InputError(
                        f"objectives={dict(self._objectives)} disagree with the study's directions {directions}; "
                        "the directions come from the study, pass only the names."
                    )
        if len(names) != len(directions):
            raise InputError(
                f"{len(names)} objective name(s) {names} for a study with {len(directions)} direction(s) {directions}."
            )
        return list(names)

    def _pinned(self, trial: FrozenTrial) -> Architecture | None:
        """The architecture a trial carries from the start (enqueue_architecture, a retry), if valid."""
        if ARCH_ATTR not in trial.user_attrs:
            return None
        try:
            arch = _parse_arch(trial.user_attrs[ARCH_ATTR], trial.number)
            self._space.validate(arch)
        except InputError as exc:
            logger.warning("Optuna trial %d: ignoring its architecture, a new one is asked: %s", trial.number, exc)
            return None
        return arch

    def _store(self, study: Study, trial: FrozenTrial, arch: Architecture) -> None:
        attrs = {ARCH_ATTR: _arch_json(arch)}
        readable = _arch_string(self._space, arch)
        if readable is not None:
            attrs[ARCH_STR_ATTR] = readable
        for key, value in attrs.items():
            study._storage.set_trial_user_attr(trial._trial_id, key, value)
            trial.user_attrs[key] = value  # the objective's trial.user_attrs reads this cached copy

    def _ask_and_claim(self, study: Study, trial: FrozenTrial) -> Trial | None:
        """Ask the optimizer for an architecture and claim it for ``trial`` in the storage; on a
        collision give it way (it stays pending in the optimizer) and ask again.

        ``None`` if the space is exhausted (the study is stopped)."""
        opt = self.optimizer
        for _ in range(self.max_claims):
            try:
                t = opt.ask(1)[0]
            except SamplingError as exc:
                self._space_exhausted(study, exc)
                return None
            winner = self._claim(study, trial, t.key)
            if winner is None:
                return t
            self._yielded[t.key] = t  # told when the storage shows the winner's result (_sync)
            self._collisions += 1
            logger.info(
                "Optuna trial %d gives way on an architecture that trial %d claimed too (optimizer trial %d stays pending "
                "for it); asking again", trial.number, winner.number, t.id,
            )
        study._storage.set_trial_state_values(trial._trial_id, OptunaState.FAIL)
        raise SamplingError(
            f"Optuna trial {trial.number} (marked FAIL): each of the {self.max_claims} architectures the optimizer "
            "proposed in a row was claimed by another trial of the study at the same time. Are many processes with "
            "the same seed sharing the study? Give each AGNetSampler its own seed, or raise AGNetSampler.max_claims."
        )

    def _claim(self, study: Study, trial: FrozenTrial, key: str) -> FrozenTrial | None:
        """Claim the architecture ``key`` for ``trial``: ``None`` if the trial keeps it, else the
        trial it gives way to.

        The claim (:data:`CLAIM_ATTR`) is written, then every trial of the study is read back.
        The trial gives way if another trial holds the architecture (:data:`ARCH_ATTR`) or a
        running trial with a lower number claims it too; while a running trial with a higher
        number claims it undecided, it reads again (that trial decides without waiting: it gives
        way if it saw this claim, else keeps it) -- see the class docstring for why exactly one
        of two colliding trials keeps it. Giving way writes ``None`` as the claim.
        """
        storage = study._storage
        storage.set_trial_system_attr(trial._trial_id, CLAIM_ATTR, key)
        deadline = time.monotonic() + self.claim_timeout
        pause = 0.005
        while True:
            verdict, other = _contest(key, trial, storage.get_all_trials(study._study_id, deepcopy=False), self._key_of)
            if verdict == "keep":
                return None
            if verdict == "wait" and time.monotonic() < deadline:
                time.sleep(pause)
                pause = min(2 * pause, 0.2)
                continue
            if verdict == "wait":
                logger.warning(
                    "Optuna trial %d: trial %d claimed the same architecture and did not decide within %.0f s (its "
                    "process may have died); trial %d gives it way", trial.number, other.number if other else -1,
                    self.claim_timeout, trial.number,
                )
            storage.set_trial_system_attr(trial._trial_id, CLAIM_ATTR, None)
            return other

    def _key_of(self, ft: FrozenTrial) -> str | None:
        """The key of the architecture a trial holds (:data:`ARCH_ATTR`), or ``None``."""
        raw = ft.user_attrs.get(ARCH_ATTR)
        if not isinstance(raw, str):
            return None
        if raw not in self._keys:
            try:
                arch = _parse_arch(raw, ft.number)
                self._space.validate(arch)
                self._keys[raw] = self._space.key(self._space.simplify(arch))
            except (InputError, ValueError, TypeError, KeyError):
                self._keys[raw] = None
        return self._keys[raw]

    def _space_exhausted(self, study: Study, exc: SamplingError) -> None:
        self._exhausted = True
        logger.warning("no architecture left for this trial, the study is stopped: %s", exc)
        try:
            study.stop()
        except RuntimeError:  # not inside study.optimize (ask-and-tell): suggest_architecture says it
            pass

    def _ask_for(self, arch: Architecture) -> Trial:
        """A pending optimizer trial for a given, new architecture."""
        opt = self.optimizer
        if opt.queued:
            raise InputError(
                "Queue architectures with enqueue_architecture(study, arch), not in the sampler's optimizer: "
                f"it has {len(opt.queued)} queued."
            )
        opt.enqueue(arch)
        t = opt.ask(1)[0]
        assert t.key == opt.space.key(opt.space.simplify(arch))
        return t

    def _sync(self, study: Study, skip: int | None = None) -> None:
        """Bring the optimizer up to date with the study's storage (other processes, earlier sessions)."""
        opt = self.optimizer
        for ft in study._storage.get_all_trials(study._study_id, deepcopy=False):
            tid = ft._trial_id
            if tid == skip or tid in self._seen:
                continue
            finished = ft.state.is_finished()
            if tid in self._pending:
                if finished:  # ended without after_trial here (another process, a stale trial failed)
                    self._seen.add(tid)
                    self._archs.pop(tid, None)
                    self._tell(self._pending.pop(tid), ft, ft.state, ft.values)
                continue
            if ft.state == OptunaState.WAITING or ARCH_ATTR not in ft.user_attrs:
                if finished:
                    self._seen.add(tid)
                continue
            arch = _parse_arch(ft.user_attrs[ARCH_ATTR], ft.number)
            try:
                opt.space.validate(arch)
            except InvalidArchitectureError as exc:
                raise InputError(
                    f"Optuna trial {ft.number} of study {study.study_name!r} holds an architecture that is not in "
                    f"{opt.space.name}: {exc}. Use the search space the study was run with."
                ) from exc
            self._seen.add(tid)
            given = self._yielded.pop(opt.space.key(opt.space.simplify(arch)), None)
            if given is not None:  # this sampler gave the architecture way to this trial
                if finished:
                    self._tell(given, ft, ft.state, ft.values)
                else:
                    self._seen.discard(tid)
                    self._pending[tid] = given
                continue
            if opt.find(arch) is not None:  # already known: nothing to tell
                continue
            if finished:
                state, values, info = self._result(ft, ft.state, ft.values)
                opt.add_evaluated(
                    arch, values, info=info, state=state,
                    intermediate=ft.intermediate_values if state is TrialState.PRUNED else None,
                )
                logger.debug("added finished Optuna trial %d as %s", ft.number, state.value)
            else:  # running in another process, or left running by a crashed one
                self._seen.discard(tid)
                self._pending[tid] = self._ask_for(arch)
                logger.debug("Optuna trial %d is running elsewhere: pending", ft.number)

    def _result(
        self, ft: FrozenTrial, state: OptunaState, values: Sequence[float] | None
    ) -> tuple[TrialState, dict[str, float] | None, dict[str, Any]]:
        """What to tell the optimizer of an Optuna trial that ended in ``state`` with ``values``."""
        opt = self.optimizer
        info: dict[str, Any] = {"optuna_trial": ft.number}
        if ft.params:
            info["optuna_params"] = {k: _jsonable(v) for k, v in ft.params.items()}
        if state == OptunaState.PRUNED:
            info["optuna_state"] = "PRUNED"
            if ft.last_step is not None:
                info["optuna_step"] = ft.last_step
            if self.pruned == "fail":
                values = None
        elif state != OptunaState.COMPLETE:
            return TrialState.FAIL, None, info
        names = list(opt.objectives)
        if values is None or len(values) != len(names):
            return TrialState.FAIL, None, info
        told = {n: float(v) for n, v in zip(names, values, strict=True)}
        for metric in opt.metrics[len(names):]:  # constrained metrics that are not objectives
            v = ft.user_attrs.get(metric)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                logger.warning(
                    "Optuna trial %d: no numeric user attribute %r for the constraint on it (trial.set_user_attr(%r, "
                    "value)); told FAIL.", ft.number, metric, metric,
                )
                return TrialState.FAIL, None, info
            told[metric] = float(v)
        if not all(math.isfinite(v) for v in told.values()):
            return TrialState.FAIL, None, info
        return (TrialState.PRUNED if state == OptunaState.PRUNED else TrialState.COMPLETE), told, info

    def _report_intermediate(self, t: Trial, ft: FrozenTrial) -> None:
        """Copy an Optuna trial's intermediate values to the optimizer's trial (for pruned trials)."""
        for step, value in sorted(ft.intermediate_values.items()):
            if step not in t.intermediate and isinstance(value, (int, float)) and math.isfinite(value) and step >= 0:
                self.optimizer.report(t, int(step), float(value))

    def _tell(self, t: Trial, ft: FrozenTrial, state: OptunaState, values: Sequence[float] | None) -> None:
        result, vals, info = self._result(ft, state, values)
        try:
            if result is TrialState.PRUNED and not t.state.is_finished():
                self._report_intermediate(t, ft)
            self.optimizer.tell(t, vals, state=result, info=info)
        except InputError as exc:  # e.g. told meanwhile by the user
            logger.warning("Optuna trial %d could not be told to the optimizer: %s", ft.number, exc)
            return
        logger.debug("Optuna trial %d (%s) told as optimizer trial %d: %s", ft.number, state.name, t.id, result.value)

    def __repr__(self) -> str:
        return (
            f"AGNetSampler({self._space!r}, study={self._study_name!r}, pruned={self.pruned!r}, "
            f"trials={len(self._optimizer.trials) if self._optimizer is not None else 0})"
        )


def _contest(
    key: str, trial: FrozenTrial, trials: Sequence[FrozenTrial], key_of: Any
) -> tuple[str, FrozenTrial | None]:
    """The give-way rule, on one read of the study's trials after ``trial`` claimed ``key``.

    Returns ``("yield", other)`` if another trial holds ``key`` (its :data:`ARCH_ATTR`; any
    state, a queued one too) or a running trial with a lower number claims it; else ``("wait",
    other)`` if a running trial with a higher number claims it undecided; else ``("keep", None)``.
    """
    wait = None
    for ft in trials:
        if ft._trial_id == trial._trial_id:
            continue
        if key_of(ft) == key:
            return "yield", ft
        if ft.state == OptunaState.RUNNING and ft.system_attrs.get(CLAIM_ATTR) == key:
            if ft.number < trial.number:
                return "yield", ft
            wait = ft
    return ("keep", None) if wait is None else ("wait", wait)


def _names_of(objectives: str | Sequence[str] | Mapping[str, str]) -> list[str]:
    if isinstance(objectives, str):
        names = [objectives]
    elif isinstance(objectives, Mapping):
        names = list(objectives)
        bad = {k: v for k, v in objectives.items() if str(v).lower() not in ("maximize", "minimize")}
        if bad:
            raise InputError(f'Objective directions must be "maximize" or "minimize", got {bad}.')
    elif isinstance(objectives, Sequence):
        names = list(objectives)
    else:
        raise InputError(f"`objectives` must be a name, a list of names or a dict name -> direction, got {objectives!r}.")
    if not names or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        raise InputError(f"`objectives` must name each objective once with a non-empty string, got {objectives!r}.")
    return names


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else repr(value)


def _sampler_of(study: Any, what: str) -> AGNetSampler:
    sampler = getattr(study, "sampler", None)
    if not isinstance(sampler, AGNetSampler):
        raise InputError(
            f"{what} needs a study whose sampler is an AGNetSampler, but its sampler is "
            f"{type(sampler).__name__}. Create the study with optuna.create_study(..., sampler=AGNetSampler(space)) "
            "(or optuna.load_study(..., sampler=AGNetSampler(space)))."
        )
    return sampler


def suggest_architecture(trial: optuna.trial.Trial) -> Architecture:
    """The architecture :class:`AGNetSampler` chose for ``trial``: call it in the objective.

    Example:
        .. code-block:: python

            def objective(trial):
                arch = suggest_architecture(trial)
                return train_and_validate(arch, lr=trial.suggest_float("lr", 1e-4, 1e-1, log=True))

    Raises:
        InputError: If ``trial`` is not a trial of a study whose sampler is an
            :class:`AGNetSampler`.
        optuna.TrialPruned: If no architecture was left in a finite space (the study is stopped).
    """
    if not isinstance(trial, optuna.trial.Trial):
        raise InputError(
            f"suggest_architecture takes the optuna.trial.Trial passed to the objective, got {type(trial).__name__}. "
            "For a finished trial (e.g. study.best_trial) use architecture_of(trial)."
        )
    return _sampler_of(trial.study, "suggest_architecture").architecture(trial)


def enqueue_architecture(
    study: optuna.study.Study,
    arch: Architecture,
    params: Mapping[str, Any] | None = None,
    *,
    skip_if_exists: bool = False,
) -> bool:
    """Queue a known architecture (a baseline, a model zoo's favourite) in the study: the next new
    trial evaluates it (Optuna's ``enqueue_trial``; the queue is in the storage, shared by all
    workers).

    Args:
        study: A study whose sampler is an :class:`AGNetSampler`.
        arch: An architecture of the sampler's space.
        params: Fixed values of other parameters for that trial (``{"lr": 0.01}``), as in
            ``study.enqueue_trial``.
        skip_if_exists: Don't queue it if a trial of the study (queued, running or finished)
            already holds the same architecture.

    Returns:
        Whether it was queued.

    Raises:
        InputError: If the study's sampler is not an AGNetSampler.
        InvalidArchitectureError: If ``arch`` is not in the sampler's space.
    """
    sampler = _sampler_of(study, "enqueue_architecture")
    if not isinstance(arch, Architecture):
        raise InputError(f"Expected an Architecture, got {type(arch).__name__}.")
    space = sampler.space
    space.validate(arch)
    arch = space.simplify(arch)
    if skip_if_exists:
        key = space.key(arch)
        for ft in study.get_trials(deepcopy=False):
            raw = ft.user_attrs.get(ARCH_ATTR)
            if raw is not None and space.key(space.simplify(_parse_arch(raw, ft.number))) == key:
                return False
    with warnings.catch_warnings():  # enqueue_trial's user_attrs is experimental in some Optuna versions
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.enqueue_trial(dict(params or {}), user_attrs={ARCH_ATTR: _arch_json(arch)})
    return True
