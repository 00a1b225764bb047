"""The ask/tell :class:`Optimizer`: AG-Net search embedded in the user's own training loop.

The optimizer is a thin facade (docs/design.md, "The core"): a
:class:`~agnet_bo.trial.TrialStore` owns the trials, a :class:`~agnet_bo.strategy.Strategy`
(what a preset builds) runs the rounds, and this class hands out architectures, keeps the queue
and the picks of the last round, runs refits in the background and saves the search.
"""

from __future__ import annotations

import inspect
import logging
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agnet_bo import presets
from agnet_bo._saving import SavingMixin
from agnet_bo._validation import check_bool, check_int, check_json, check_no_unexpected, check_seed, is_number
from agnet_bo.acquisition import Acquisition
from agnet_bo.architecture import Architecture
from agnet_bo.dispatch import Dispatcher
from agnet_bo.exceptions import (
    InfeasibleWarning,
    InputError,
    ObjectiveValueWarning,
    SpaceExhaustedWarning,
    StateFileError,
    unknown_name,
)
from agnet_bo.history import ResultsMixin
from agnet_bo.loop import LoopMixin, TrialHandle
from agnet_bo.objectives import Constraint, FeasibilityWatch, Problem
from agnet_bo.prior import PRIOR_PARTS, Prior, as_prior
from agnet_bo.proposers import Proposer
from agnet_bo.pruners import Pruner
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.state import FORMAT_VERSION
from agnet_bo.strategy import INITIAL_DESIGNS
from agnet_bo.surrogates import Surrogate
from agnet_bo.trial import Trial, TrialState, TrialStore, outcome

__all__ = ["Optimizer", "TrialHandle", "FORMAT_VERSION", "StateFileError"]

logger = logging.getLogger(__name__)

_MOVED = {
    "kappa": "acquisition=agnet_bo.acquisition.UCB(kappa=...)",
    "surrogate_kwargs": "surrogate=<a Surrogate instance>, e.g. agnet_bo.surrogates.GPSurrogate(space, kernel='wl', seed=0)",
    "proposer_kwargs": "proposer=<a Proposer instance>, e.g. agnet_bo.proposers.GeneratorProposer(space, epochs=10)",
    "acquisition_kwargs": "acquisition=<an Acquisition instance>, e.g. agnet_bo.acquisition.ParEGO(anchor_share=0.25)",
}


class Optimizer(ResultsMixin, LoopMixin, SavingMixin):
    r"""Ask/tell neural architecture search with AG-Net's generator as the proposal distribution.

    Each :meth:`ask` after the initial design runs one round of its :attr:`strategy`
    (docs/design.md, "The core"): the surrogate is refitted and the proposer (the generator,
    retrained with rank weights) updated on every completed trial, the proposer fills a pool of
    new valid architectures (neither evaluated nor pending), the surrogate scores it and the
    acquisition picks ``q`` of them. Refits happen lazily, only when something was told since
    the last round.

    Every public method may be called from any thread at any time: the trials live in a
    :class:`~agnet_bo.trial.TrialStore` behind one lock, a round reads a snapshot of it and
    trains copies of the models, and no architecture is ever handed out twice
    (docs/guides/training-loop.md, "Many workers").

    Everything is maximised internally: ``"minimize"`` objectives are negated once on the way in.

    Args:
        space: The search space.
        objectives: A dict name -> ``"maximize"`` / ``"minimize"``, or one name (maximised;
            a name that reads like a cost, such as ``"latency"`` or ``"loss"``, must be given
            as a dict). A list is refused: it says nothing about directions. Default
            ``{"value": "maximize"}``.
        constraints: Outcome constraints, e.g. ``{"latency": ("<=", 5.0)}``; a constrained metric
            that is not an objective is modelled too and must be told with the objectives.
        surrogate: A :class:`~agnet_bo.surrogates.Surrogate`, or a name resolved by the preset
            (``"gp"``, ``"gnn"``, ``"mlp"``, ``"ensemble"``, ``"none"``: pick by the proposer
            alone, ``"paper"``: the jointly trained MLP). Default: the preset's.
        proposer: A :class:`~agnet_bo.proposers.Proposer`, or a name resolved by the preset
            (``"agnet"``, ``"random"``, ``"mutation"``, ``"evolution"``, ``"local"``).
        acquisition: An :class:`~agnet_bo.acquisition.Acquisition` (yours or a built-in such as
            ``UCB(kappa=2.0)``), or a name resolved by the preset (one of
            :data:`~agnet_bo.acquisition.ACQUISITIONS`).
        n_initial: Trials drawn at random by ``space.sample`` before the model takes over.
            Default: the preset's (16, or a tenth of a space smaller than 160, at least 2).
        pool_size: Candidates proposed per round. Default: the preset's (300).
        max_model_trials: The most results a round's models train on. Past it the surrogate is
            fitted on a subset (half the best results, half drawn at random from the rest; see
            :attr:`Strategy.model_subset <agnet_bo.strategy.Strategy.model_subset>`) and the
            generator retrains on one pass of this many rank-weighted draws, so rounds stay fast with
            thousands of results; below it every result is used. Default: the preset's
            (:data:`agnet_bo.presets.DEFAULT_MAX_MODEL_TRIALS`); ``0``: no bound.
        seed: Seed of everything stochastic; same seed and same history give the same asks.
        preset: The tuning policy that turns names and defaults into components: a name of
            :data:`agnet_bo.presets.PRESETS` (default ``"agnet"``, :func:`agnet_bo.presets.agnet`;
            ``"paper"``, ``"bananas"``, ``"evolution"``, ``"local"``, ``"random"``, ...) or a
            function with the signature of :class:`agnet_bo.presets.Preset`.
        generator: A trained :class:`~agnet_bo.generator.Generator` for the ``"agnet"`` proposer
            the preset builds (e.g. one pretrained once and saved); saved with the search.
            Default: the shipped one of a built-in space, else one pretrained for the space once
            and cached (:meth:`Generator.for_space <agnet_bo.generator.Generator.for_space>`).
        num_threads: torch threads while the optimizer computes (restored after each call);
            the models are small, so 1 is fastest. ``None`` leaves torch's setting.
        refit_every: Refit the models once this many new results were told since the last
            round (default 1: after every result). With many workers asking one architecture at
            a time, a larger value saves most model rounds (bench/topics/many-workers.md, "A simulated asynchronous schedule").
        prefetch: When a round runs for fewer picks than this, pick ``prefetch`` and keep the
            rest for the next asks, until the models are refitted: the sequential greedy batch
            that one ``ask(prefetch)`` would return, handed out one ask at a time (pending trials
            condition each pick either way). Default 0: every ask runs its own round.
        refit_in_background: With ``prefetch``, every model round runs in a background thread
            (the first one too) while :meth:`ask` keeps handing out the last round's picks (which
            skip every architecture asked since), then the rest of that round's pool, best first
            (``source="spare"``), then more of the initial design: an ask never waits for a
            model round. The refitted round's picks replace them when it is done. When results
            arrive faster than rounds run, more trials are spares or random ones (see
            docs/guides/training-loop.md, "Many workers"); which architectures are asked depends
            on when results arrive (not reproducible run to run). Default ``False``.
        pruner: A :class:`~agnet_bo.pruners.Pruner` (e.g.
            :class:`~agnet_bo.pruners.SuccessiveHalving`) that :meth:`should_prune` consults
            with the values given to :meth:`report`. Default ``None``: never prune.
        prior: What is already known about the space (docs/guides/prior.md): a
            :class:`~agnet_bo.Prior`, or earlier searches (optimizers, records, exported
            ``.csv`` / ``.jsonl`` files, saved states, ``agnet-bo run`` folders), one or a list,
            each a task of its own. Saved with the search. Default ``None``.
        prior_parts: What the prior changes (:meth:`Strategy.use_prior
            <agnet_bo.strategy.Strategy.use_prior>`): ``"initial"`` (the initial design starts
            with the prior's best, kept diverse), ``"generator"`` (fine-tuned on the prior's best
            before its first retraining), ``"surrogate"`` (a
            :class:`~agnet_bo.surrogates.TransferSurrogate` weighing the prior tasks by how well
            they rank this search's results). Default: all three.
        prior_initial: Architectures of the initial design taken from the prior (default: all
            but a quarter of ``n_initial``, at least one random, a hedge against a misleading
            prior). With a prior whose ``"initial"`` part is on, ``n_initial`` defaults to half
            the preset's (8 instead of 16): the model takes over sooner, and a search of 16
            trainings found NAS-Bench-201's optimum in 12 instead of 20 (bench/topics/transfer.md;
            bench/notes/transfer.md, "How long the initial design is, with a prior").
        initial_design: What fills the initial design (besides a prior's part), one of
            :data:`agnet_bo.strategy.INITIAL_DESIGNS`: ``"random"`` (uniform draws), ``"space-filling"``
            (architectures of a large random sample that lie farthest apart) or ``"generator"``
            (the same over the generator's draws). Default: the preset's (``"random"``; the other
            two did no better than random draws on the benchmark suite, bench/topics/transfer.md,
            "The initial design without a prior").

    Finite spaces run to exhaustion: once fewer new architectures are left than a pool holds,
    every one of them is scored, and :meth:`ask` returns what is left (with a
    :class:`~agnet_bo.exceptions.SpaceExhaustedWarning`) when fewer than ``q`` are. A pool the
    proposer cannot fill is topped up with random architectures.

    Example:
        >>> import agnet_bo as ab
        >>> space = ab.spaces.NB201Space()
        >>> bench = ab.benchmarks.NB201("cifar10")
        >>> opt = ab.Optimizer(space, objectives={"valid-accuracy": "maximize"}, n_initial=4, pool_size=50, seed=0)
        >>> for _ in range(2):
        ...     for trial in opt.ask(4):
        ...         _ = opt.tell(trial, bench.evaluate(trial.arch, metrics=["valid-accuracy"]))
        >>> len(opt.trials), opt.best_trial.state.value
        (8, 'COMPLETE')
    """

    def __init__(
        self,
        space: SearchSpace,
        objectives: str | Mapping[str, str] | None = None,
        *,
        constraints: Mapping[str, tuple[str, float]] | None = None,
        surrogate: Surrogate | str | None = None,
        proposer: Proposer | str | None = None,
        acquisition: Acquisition | str | None = None,
        n_initial: int | None = None,
        pool_size: int | None = None,
        max_model_trials: int | None = None,
        seed: int = 0,
        preset: str | presets.Preset = "agnet",
        generator: Any = None,
        num_threads: int | None = 1,
        refit_every: int = 1,
        prefetch: int = 0,
        pruner: Pruner | None = None,
        refit_in_background: bool = False,
        prior: Any = None,
        prior_parts: Sequence[str] = PRIOR_PARTS,
        prior_initial: int | None = None,
        initial_design: str | None = None,
        **moved: Any,
    ) -> None:
        accepted = [p.name for p in inspect.signature(Optimizer).parameters.values() if p.kind is not p.VAR_KEYWORD]
        check_no_unexpected("Optimizer", moved, accepted, _MOVED)
        if not isinstance(space, SearchSpace):
            raise InputError(f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__}.")
        self.seed: int = check_seed(seed)  # type: ignore[assignment]  # never None without allow_none
        self.space = space
        self.problem = Problem(objectives, constraints)
        self.preset, self.strategy = presets.build(
            preset, space, self.problem, surrogate=surrogate, proposer=proposer, acquisition=acquisition,
            seed=self.seed, generator=generator, n_initial=n_initial, pool_size=pool_size,
            max_model_trials=max_model_trials,
        )
        if initial_design is not None:
            if initial_design not in INITIAL_DESIGNS:
                raise unknown_name("initial_design", initial_design, INITIAL_DESIGNS)
            self.strategy.initial_design_kind = initial_design
        self.strategy.design_seed = self.seed
        known = as_prior(prior, space)
        if isinstance(prior_parts, str):
            prior_parts = [prior_parts]
        if known is not None:
            if n_initial is None and "initial" in prior_parts:
                self.strategy.n_initial = max(2, int(self.strategy.n_initial or 0) // 2)
            self.strategy.use_prior(known, self.problem, prior_parts, prior_initial)
        self.num_threads = num_threads
        self.refit_every = check_int("refit_every", refit_every, minimum=1)
        self.prefetch = check_int("prefetch", prefetch, minimum=0)
        if pruner is not None and not isinstance(pruner, Pruner):
            raise InputError(
                f"`pruner` must be an agnet_bo.pruners.Pruner (e.g. SuccessiveHalving()) or None, got {type(pruner).__name__}."
            )
        self.pruner: Pruner | None = pruner
        self.refit_in_background = check_bool("refit_in_background", refit_in_background)
        if self.refit_in_background and self.prefetch < 2:
            raise InputError(
                f"`refit_in_background=True` hands out the last round's picks while the models refit, so it needs "
                f"`prefetch` >= 2 (picks kept per round), got prefetch={self.prefetch}. E.g. prefetch=16."
            )
        self._store = TrialStore()
        self._lock = self._store.lock  # one lock for the trials and the dispatcher's state
        self._callbacks: list[tuple[str, Callable[..., Any]]] = []
        self._feasibility: FeasibilityWatch | None = None  # made at the first complete result
        self._dispatch = Dispatcher(
            space, self.problem, self._store, self.strategy, seed=self.seed, num_threads=num_threads,
            refit_every=self.refit_every, prefetch=self.prefetch, background=self.refit_in_background,
            on_round=self._round_done,
        )

    # -- what the search is -------------------------------------------------------------------
    @property
    def objectives(self) -> dict[str, str]:
        """``{name: "maximize" | "minimize"}``."""
        return self.problem.objectives

    @property
    def constraints(self) -> dict[str, Constraint]:
        """``{name: Constraint(op, bound)}`` (each a ``(op, bound)`` tuple)."""
        return self.problem.constraints

    @property
    def metrics(self) -> list[str]:
        """The modelled metrics: the objectives, then constrained metrics that are not objectives."""
        return self.problem.metrics

    @property
    def prior(self) -> Prior | None:
        """The prior the search started from (``None``: none)."""
        return self.strategy.prior

    @property
    def surrogate(self) -> Surrogate | None:
        """The surrogate of the last round (rounds train a copy and replace it whole)."""
        return self.strategy.surrogate

    @property
    def proposer(self) -> Proposer:
        """The proposer of the last round."""
        return self.strategy.proposer

    @property
    def acquisition(self) -> Acquisition | None:
        """The acquisition."""
        return self.strategy.acquisition

    @property
    def n_initial(self) -> int:
        """Architectures of the initial design."""
        return int(self.strategy.n_initial)  # type: ignore[arg-type]  # set in __init__

    @property
    def max_model_trials(self) -> int:
        """The most results a round's models train on (``0``: no bound); see the argument."""
        return int(self.strategy.max_model_trials or 0)

    @property
    def pool_size(self) -> int:
        """Candidates proposed per round."""
        return int(self.strategy.pool_size)  # type: ignore[arg-type]

    @property
    def rounds(self) -> int:
        """Model refits so far (:attr:`Trial.round <agnet_bo.Trial.round>` of a trial asked now)."""
        return self._dispatch.rounds

    # -- public views -------------------------------------------------------------------------
    @property
    def trials(self) -> list[Trial]:
        """All trials in creation order."""
        return self._store.trials()

    @property
    def pending_trials(self) -> list[Trial]:
        """Trials asked but not yet told."""
        return self._store.with_state(TrialState.PENDING)

    # -- ask ----------------------------------------------------------------------------------
    def ask(self, q: int = 1) -> list[Trial]:
        """Ask for ``q`` new architectures to evaluate.

        Returns:
            ``q`` PENDING :class:`Trial` objects with distinct, valid architectures that were never
            asked before (pending, complete or failed), by this or any other thread. In a finite
            space with fewer than ``q`` new architectures left, all that are left, with a
            :class:`~agnet_bo.exceptions.SpaceExhaustedWarning`.

        Raises:
            InputError: If ``q`` is not a positive int.
            SamplingError: If no new architecture is left (or none can be found).
        """
        q = check_int("q", q, minimum=1)
        out = self._dispatch.ask(q)
        if len(out) < q:
            size = self.space.size
            left = "" if size is None else f" of the {size} in the space"
            warnings.warn(
                f"Asked for {q} architectures but only {len(out)} new ones were left{left}; returning those.",
                SpaceExhaustedWarning,
                stacklevel=2,
            )
        return out

    # -- tell ---------------------------------------------------------------------------------
    def report(self, trial: Trial | int, step: int, value: float) -> None:
        """Record an intermediate value of the first objective while ``trial`` trains.

        Args:
            trial: A PENDING :class:`Trial` or its id.
            step: The fidelity reached, e.g. the epoch (an int >= 0, each step reported once).
            value: The first objective at that step (e.g. validation accuracy after the epoch),
                in its own units and direction.

        Raises:
            InputError: If the trial was already told, the step was already reported or is
                not an int >= 0, or the value is not a finite number.
        """
        t = self._store.resolve(trial)
        step = check_int("step", step, minimum=0)
        if not is_number(value) or not math.isfinite(value):
            raise InputError(f"An intermediate value must be a finite number, got {type(value).__name__} {value!r}.")
        self._store.report(t, step, float(value))

    def should_prune(self, trial: Trial | int) -> bool:
        """Whether ``trial`` should stop now, by the :attr:`pruner` on the values reported so far.

        Always ``False`` without a pruner. When it says ``True``, stop training and
        ``tell(trial, values, state="PRUNED")`` with the values reached.
        """
        t = self._store.resolve(trial)
        if self.pruner is None or t.state is not TrialState.PENDING or not t.intermediate:
            return False
        direction = next(iter(self.objectives.values()), "maximize")
        with self._lock:
            return bool(self.pruner.prune(t, self._store.trials(), direction))

    def tell(self, trial: Trial | int, values: Any = None, state: TrialState | str = TrialState.COMPLETE, info: Mapping[str, Any] | None = None) -> Trial:
        """Report the result of a trial.

        Args:
            trial: The :class:`Trial` or its id.
            values: A number (one modelled metric) or a dict with a value for every objective and
                constrained metric. NaN or infinite values mark the trial FAIL with a warning.
            state: ``COMPLETE`` (default), ``PRUNED`` (stopped early: ``values`` are those
                reached at its last reported step; default for one modelled metric: the last
                reported value) or ``FAIL`` (values then optional).
            info: Extra JSON-serialisable data kept with the trial (e.g. test accuracy).

        Returns:
            The updated trial.

        Raises:
            InputError: Unknown or already told trial, missing/extra/non-numeric values, bad state.
        """
        t = self._tell(self._store.resolve(trial), values, state, info)
        self._run_callbacks("tell", t)
        return t

    def _tell(self, t: Trial, values: Any, state: TrialState | str, info: Mapping[str, Any] | None) -> Trial:
        info = dict(info or {})
        check_json("info", info)
        with self._lock:
            state, vals, bad = outcome(self.problem, t, values, state)
            if bad:
                warnings.warn(
                    f"Trial {t.id}: non-finite value(s) for {bad}; recorded as FAIL and left out of the models.",
                    ObjectiveValueWarning,
                    stacklevel=3,
                )
            self._store.finish(t, state, vals, info)
            if state is not TrialState.FAIL:
                self._dispatch.told()
            if state is TrialState.COMPLETE and vals is not None:
                watch = getattr(self, "_feasibility", None)
                if watch is None:  # the first complete result (or of an optimizer loaded or unpickled): count the rest once
                    watch = FeasibilityWatch(self.problem, [x for x in self._store.with_state(TrialState.COMPLETE) if x is not t])
                    self._feasibility = watch
                note = watch.note(vals)
                if note is not None:
                    warnings.warn(note, InfeasibleWarning, stacklevel=3)
        return t

    def add_callback(self, fn: Callable[..., Any], when: str = "tell") -> None:
        """Call ``fn`` as the search goes, Optuna-style (e.g. to log, save or stop a loop).

        Args:
            fn: With ``when="tell"``, ``fn(optimizer, trial)`` after every :meth:`tell` (and
                :meth:`add_evaluated`), the trial already recorded; with ``when="round"``,
                ``fn(optimizer)`` after every model refit (a round). An exception raised by
                ``fn`` reaches the caller (for a refit in the background: the next asker), but
                what was told is kept. Callbacks run in the thread that told or refitted,
                outside the optimizer's lock.
            when: ``"tell"`` or ``"round"``.

        Callbacks are not saved with the optimizer: add them again after :meth:`load`.
        """
        if not callable(fn):
            raise InputError(f"A callback must be callable, got {type(fn).__name__} {fn!r}.")
        if when not in ("tell", "round"):
            raise InputError(f'`when` must be "tell" or "round", got {when!r}.')
        with self._lock:
            self._callbacks.append((when, fn))

    def _round_done(self) -> None:
        self._run_callbacks("round")

    def _run_callbacks(self, when: str, *args: Any) -> None:
        with self._lock:
            callbacks = [fn for kind, fn in self._callbacks if kind == when]
        for fn in callbacks:
            fn(self, *args)

    def enqueue(self, archs: Architecture | Sequence[Architecture]) -> int:
        """Queue known architectures to be asked first, in order, before any random or
        model-chosen one (Optuna's ``enqueue_trial``): a baseline to re-measure, a model zoo's
        favourites, the best cells of an earlier search.

        Each is asked once: one that is already a trial or already queued (the same network) is
        skipped with a warning. Queued trials count towards the initial design. The queue is
        saved with the optimizer.

        Args:
            archs: An architecture or a sequence of them.

        Returns:
            How many were queued.

        Raises:
            InputError: If an item is not an Architecture.
            InvalidArchitectureError: If an architecture is not in the space (nothing is queued then).
        """
        items = [archs] if isinstance(archs, Architecture) else list(archs)
        checked = []
        for i, a in enumerate(items):
            if not isinstance(a, Architecture):
                raise InputError(f"enqueue takes Architecture objects; item {i} is {type(a).__name__} {a!r}.")
            self.space.validate(a)
            checked.append(self.space.simplify(a))
        skipped = self._dispatch.enqueue(checked)
        if skipped:
            warnings.warn(
                f"{len(skipped)} of the {len(checked)} architectures were not queued, each is asked once: {', '.join(skipped)}.",
                UserWarning,
                stacklevel=2,
            )
        return len(checked) - len(skipped)

    @property
    def queued(self) -> list[Architecture]:
        """Architectures queued by :meth:`enqueue` and not asked yet, in order."""
        with self._lock:
            return list(self._dispatch.queue)

    def find(self, arch: Architecture) -> Trial | None:
        """The trial of ``arch`` (or of an architecture with the same key), or ``None``."""
        if not isinstance(arch, Architecture):
            raise InputError(f"Expected an Architecture, got {type(arch).__name__}.")
        return self._store.get(self._dispatch.key(arch))

    def add_evaluated(
        self,
        arch: Architecture,
        values: Any = None,
        info: Mapping[str, Any] | None = None,
        state: TrialState | str = TrialState.COMPLETE,
        intermediate: Mapping[int, float] | None = None,
    ) -> Trial:
        """Warm-start with a result obtained elsewhere (a complete trial, a ``state="PRUNED"`` one
        with the ``intermediate`` values it reported, ``{step: value}``, or with ``state="FAIL"``
        a failed one that will not be asked again; failed trials need no values).

        Raises:
            InvalidArchitectureError: If ``arch`` is not in the space.
            InputError: If the architecture is already a trial (or being asked), or the values are malformed.
        """
        if not isinstance(arch, Architecture):
            raise InputError(f"Expected an Architecture, got {type(arch).__name__}.")
        self.space.validate(arch)
        arch = self.space.simplify(arch)
        key = self.space.key(arch)
        failed = str(getattr(state, "value", state)) == "FAIL"
        with self._lock:
            if key not in self._store and self._dispatch.taken(key):
                raise InputError("This architecture is being asked by another call right now; tell it through its trial.")
            vals = None if failed and values is None else self.problem.parse_values(values)
            t = self._store.add(arch, key, source="user", round=self._dispatch.rounds)
            try:
                for step, value in sorted(dict(intermediate or {}).items()):
                    self.report(t, step, value)
                self._tell(t, vals, state, info)
            except InputError:
                self._store.remove(t)
                raise
        self._run_callbacks("tell", t)
        return t

    @classmethod
    def paper(cls, space: SearchSpace, objective: str = "valid-accuracy", *, seed: int = 0) -> Optimizer:
        """AG-Net's published protocol on one maximised objective: ``Optimizer(space, {objective:
        "maximize"}, preset="paper", seed=seed)`` (:func:`agnet_bo.presets.paper`)."""
        return cls(space, {objective: "maximize"}, preset="paper", seed=seed)

    def __repr__(self) -> str:
        return (
            f"Optimizer({self.space!r}, objectives={self.objectives}, preset={self.preset!r}, "
            f"surrogate={self.surrogate!r}, proposer={self.proposer!r}, acquisition={self.acquisition!r}, "
            f"trials={len(self._store)})"
        )

