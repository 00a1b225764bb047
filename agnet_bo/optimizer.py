"""The ask/tell :class:`Optimizer`: AG-Net search embedded in the user's own training loop."""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import json
import logging
import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from agnet_bo import history, presets
from agnet_bo._files import atomic_write
from agnet_bo._threads import torch_threads
from agnet_bo._validation import check_bool, check_int, check_json, check_seed
from agnet_bo.acquisition import Acquisition, AcquisitionContext
from agnet_bo.architecture import Architecture
from agnet_bo.components import acquisition_from_config, describe, proposer_from_config, surrogate_from_config
from agnet_bo.exceptions import (
    InputError,
    ObjectiveValueWarning,
    SamplingError,
    SpaceExhaustedWarning,
    StateFileError,
    TrialPruned,
)
from agnet_bo.objectives import parse_constraints, parse_objectives
from agnet_bo.pareto import hypervolume, non_dominated_ranks, reference_point
from agnet_bo.proposers import Proposer, RandomProposer, restoring
from agnet_bo.pruners import Pruner
from agnet_bo.spaces import space_from_dict, space_to_dict
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.state import FORMAT_VERSION, migrate
from agnet_bo.surrogates import Surrogate
from agnet_bo.trial import Trial, TrialState

__all__ = ["Optimizer", "FORMAT_VERSION", "StateFileError"]

logger = logging.getLogger(__name__)


_MOVED = {
    "kappa": "acquisition=agnet_bo.acquisition.UCB(kappa=...)",
    "surrogate_kwargs": "surrogate=<a Surrogate instance>, e.g. agnet_bo.surrogates.GPSurrogate(space, kernel='wl', seed=0)",
    "proposer_kwargs": "proposer=<a Proposer instance>, e.g. agnet_bo.proposers.GeneratorProposer(space, epochs=10)",
    "acquisition_kwargs": "acquisition=<an Acquisition instance>, e.g. agnet_bo.acquisition.ParEGO(anchor_share=0.25)",
}


class Optimizer:
    r"""Ask/tell neural architecture search with AG-Net's generator as the proposal distribution.

    Each :meth:`ask` after the initial design runs one round (docs/design.md, "The core"):
    the surrogate is refitted and the proposer (the generator, retrained with rank weights)
    updated on every completed trial, the proposer fills a pool of new valid architectures
    (neither evaluated nor pending), the surrogate scores it and the acquisition picks ``q`` of
    them. Refits happen lazily, only when something was told since the last round.

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
            a time, a larger value saves most model rounds (bench/RESULTS.md, "Many workers").
        prefetch: When a round runs for fewer picks than this, pick ``prefetch`` and keep the
            rest for the next asks, until the models are refitted: the sequential greedy batch
            that one ``ask(prefetch)`` would return, handed out one ask at a time (pending trials
            condition each pick either way). Default 0: every ask runs its own round.
        refit_in_background: With ``prefetch``, a refit due after new results runs in a
            background thread while :meth:`ask` keeps handing out the last round's picks (which
            skip every architecture asked since); the refitted round's picks replace them when it
            is done, and an ask waits only when no pick is left. Askers are then never blocked
            by a refit, but which architectures are asked depends on when results arrive
            relative to the refit (not reproducible run to run). Default ``False``.
        pruner: A :class:`~agnet_bo.pruners.Pruner` (e.g.
            :class:`~agnet_bo.pruners.SuccessiveHalving`) that :meth:`should_prune` consults
            with the values given to :meth:`report`. Default ``None``: never prune.

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
        seed: int = 0,
        preset: str | presets.Preset = "agnet",
        generator: Any = None,
        num_threads: int | None = 1,
        refit_every: int = 1,
        prefetch: int = 0,
        pruner: Pruner | None = None,
        refit_in_background: bool = False,
        **moved: Any,
    ) -> None:
        if moved:
            hints = "; ".join(f"`{k}`: pass {_MOVED[k]}" for k in moved if k in _MOVED)
            unknown = [k for k in moved if k not in _MOVED]
            raise InputError(
                (f"Optimizer got unexpected argument(s) {unknown}. " if unknown else "")
                + (f"Settings are arguments of the components now; {hints}." if hints else "")
            )
        if not isinstance(space, SearchSpace):
            raise InputError(f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__}.")
        self.seed: int = check_seed(seed)  # type: ignore[assignment]  # never None without allow_none
        self.space = space
        self.objectives = parse_objectives(objectives)
        self.constraints = parse_constraints(constraints)
        self.metrics = list(self.objectives) + [c for c in self.constraints if c not in self.objectives]
        self._sign = np.array([-1.0 if self.objectives.get(m) == "minimize" else 1.0 for m in self.metrics])
        if generator is not None:
            from agnet_bo.generator import Generator

            if not isinstance(generator, Generator):
                raise InputError(f"`generator` must be an agnet_bo.generator.Generator, got {type(generator).__name__}.")
            if not generator.is_trained:
                raise InputError("`generator` is untrained; pretrain it first (generator.pretrain()) or leave it out.")
        self.preset, preset_fn = presets.get_preset(preset)
        parts = preset_fn(
            space, self.objectives, self.constraints, surrogate=surrogate, proposer=proposer,
            acquisition=acquisition, seed=self.seed, generator=generator,
        )
        if parts.acquisition is not None:
            parts.acquisition.check(len(self.objectives), len(self.constraints))
        self.surrogate: Surrogate | None = parts.surrogate
        self.proposer: Proposer = parts.proposer
        self.acquisition: Acquisition | None = parts.acquisition
        if n_initial is None:
            n_initial = parts.n_initial if parts.n_initial is not None else presets.default_n_initial(space)
        if pool_size is None:
            pool_size = parts.pool_size if parts.pool_size is not None else presets.DEFAULT_POOL_SIZE
        self.n_initial = check_int("n_initial", n_initial)
        self.pool_size = check_int("pool_size", pool_size)
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
        self._background: _BackgroundRound | None = None
        self._told_since_refit = 0
        self._reserve: list[Architecture] = []  # picks of the last round not handed out yet
        self._trials: list[Trial] = []
        self._by_key: dict[str, Trial] = {}
        self._dirty = True
        self._rounds = 0
        self._queue: list[Architecture] = []
        self._callbacks: list[tuple[str, Callable[..., Any]]] = []

    # -- public views -------------------------------------------------------------------------
    @property
    def trials(self) -> list[Trial]:
        """All trials in creation order."""
        return list(self._trials)

    @property
    def pending_trials(self) -> list[Trial]:
        """Trials asked but not yet told."""
        return [t for t in self._trials if t.state is TrialState.PENDING]

    def _completed(self) -> list[Trial]:
        return [t for t in self._trials if t.state is TrialState.COMPLETE]

    def _model_data(self) -> tuple[list[Trial], np.ndarray]:
        """What the models learn from: complete trials, then pruned ones (maximisation sense, ``n x m``).

        A pruned trial's first objective was measured at a lower fidelity (its last reported
        step ``s``); it enters at that value plus the median gain from step ``s`` to the end
        among complete trials that reported at ``s`` (or later): its expected full-fidelity
        value, had it gone on like those that did (docs/guides/training-loop.md). With no such
        complete trial, the value as told. Its other metrics enter as told.
        """
        done = self._completed()
        pruned = [t for t in self._trials if t.state is TrialState.PRUNED and t._values is not None]
        if not pruned:
            return done, self._Y(done)
        first = self.metrics[0]
        Yp = self._Y(pruned)
        median_gain: dict[int, float | None] = {}  # per step: pruned trials share a few rungs
        for i, t in enumerate(pruned):
            step = t.last_step
            if step is None:
                continue
            if step not in median_gain:
                gains = [
                    c._values[first] - v  # type: ignore[index]
                    for c in done
                    if (v := c.value_at(step)) is not None
                ]
                median_gain[step] = float(np.median(gains)) if gains else None
            gain = median_gain[step]
            if gain is not None:
                Yp[i, 0] += self._sign[0] * gain
        return done + pruned, np.vstack([self._Y(done), Yp])

    def _Y(self, trials: Sequence[Trial]) -> np.ndarray:
        """Modelled values (``n x m``), maximisation sense."""
        if not trials:
            return np.zeros((0, len(self.metrics)))
        return np.array([[t._values[m] for m in self.metrics] for t in trials]) * self._sign  # type: ignore[index]

    def _feasible(self, trials: Sequence[Trial]) -> np.ndarray:
        ok = np.ones(len(trials), dtype=bool)
        for name, (op, bound) in self.constraints.items():
            v = np.array([t._values[name] for t in trials])  # type: ignore[index]
            ok &= v <= bound if op == "<=" else v >= bound
        return ok

    @property
    def best_trial(self) -> Trial:
        """The best complete (and feasible) trial of a single-objective search.

        Raises:
            InputError: With several objectives (use :meth:`pareto_front`) or before any result.
        """
        if len(self.objectives) > 1:
            raise InputError("best_trial is defined for one objective; use pareto_front() for several.")
        done = self._completed()
        feas = self._feasible(done)
        cands = [t for t, f in zip(done, feas, strict=False) if f]
        if not cands:
            raise InputError("No complete feasible trial yet: tell some results first.")
        y = self._Y(cands)[:, 0]
        return cands[int(np.argmax(y))]

    def pareto_front(self) -> list[Trial]:
        """The complete, feasible trials that no other such trial dominates (all objectives)."""
        done = [t for t, f in zip(self._completed(), self._feasible(self._completed()), strict=False) if f]
        if not done:
            return []
        y = self._Y(done)[:, : len(self.objectives)]
        return [t for t, r in zip(done, non_dominated_ranks(y), strict=False) if r == 0]

    def hypervolume(self, ref_point: Mapping[str, float] | Sequence[float] | None = None) -> float:
        """Hypervolume of the feasible front, in the objectives' own units and directions.

        Args:
            ref_point: Per objective, a value worse than any of interest (e.g. ``{"acc": 0,
                "latency": 50}``). Default: the nadir of the found front minus 10 % of its range
                (:func:`agnet_bo.pareto.reference_point`) — fine for monitoring, but pass a fixed
                point to compare runs.
        """
        front = self.pareto_front()
        names = list(self.objectives)
        sign = self._sign[: len(names)]
        if not front:
            return 0.0
        y = self._Y(front)[:, : len(names)]
        if ref_point is None:
            ref = reference_point(y)
        else:
            r = [ref_point[n] for n in names] if isinstance(ref_point, Mapping) else list(ref_point)
            if len(r) != len(names):
                raise InputError(f"`ref_point` needs one value per objective {names}, got {ref_point!r}.")
            ref = np.asarray(r, dtype=float) * sign
        return hypervolume(y, ref)

    # -- ask ----------------------------------------------------------------------------------
    def ask(self, q: int = 1) -> list[Trial]:
        """Ask for ``q`` new architectures to evaluate.

        Returns:
            ``q`` PENDING :class:`Trial` objects with distinct, valid architectures that were never
            asked before (pending, complete or failed). In a finite space with fewer than ``q``
            new architectures left, all that are left, with a
            :class:`~agnet_bo.exceptions.SpaceExhaustedWarning`.

        Raises:
            InputError: If ``q`` is not a positive int.
            SamplingError: If no new architecture is left (or none can be found).
        """
        q = check_int("q", q, minimum=1)
        seed = int(np.random.default_rng([self.seed, len(self._trials), 17]).integers(2**31 - 1))
        exclude = set(self._by_key)
        size = self.space.size
        if size is not None and len(exclude) >= size:
            raise SamplingError(
                f"Every one of the {size} architectures of {self.space.name} has been asked; nothing is left to "
                "propose. The search is complete: see best_trial / pareto_front()."
            )
        archs: list[tuple[Architecture, str]] = []
        while self._queue and len(archs) < q:  # enqueued architectures first, in order
            a = self._queue.pop(0)
            if self.space.key(a) not in exclude:  # told meanwhile with add_evaluated
                archs.append((a, "enqueued"))
                exclude.add(self.space.key(a))
        q_left = q - len(archs)
        done, _ = self._model_data()
        n_random = 0
        if q_left and (len(done) < 2 or len(self._trials) + len(archs) < self.n_initial):
            n_random = q_left if len(done) < 2 else min(q_left, self.n_initial - len(self._trials) - len(archs))
        if n_random:
            for a in RandomProposer(self.space).propose(n_random, seed=seed, exclude=exclude):
                archs.append((a, "initial"))
                exclude.add(self.space.key(a))
        n_fixed = q - q_left  # the enqueued ones
        need = q_left - n_random
        try:
            if need and len(archs) == n_fixed + n_random:
                if self.refit_in_background:
                    self._collect_background(block=False)
                    if self._dirty and self._background is None and self._usable_reserve(exclude):
                        self._start_background(max(need, self.prefetch), seed, exclude)
                if self._dirty and self._background is None:
                    self._reserve.clear()
                need = self._serve_reserve(archs, exclude, need)
                if need and self._background is not None:  # nothing stale left: wait for the refit
                    self._collect_background(block=True)
                    need = self._serve_reserve(archs, exclude, need)
                if need:
                    if self._dirty:
                        self._reserve.clear()
                    with torch_threads(self.num_threads):
                        proposed = self._model_round(max(need, self.prefetch), seed, self._round_data(exclude), self._dirty)
                    archs.extend((a, "proposed") for a in proposed[:need])
                    self._reserve = list(proposed[need:])
        except BaseException:  # a failed round loses nothing: queued architectures stay queued
            self._queue[:0] = [a for a, source in archs if source == "enqueued"]
            raise
        if not archs:
            raise SamplingError(
                f"No new architecture of {self.space.name} could be found: {len(exclude)} were asked and neither "
                "the proposer nor the space's sampler gave another. The space may be exhausted."
            )
        if len(archs) < q:
            left = "" if size is None else f" of the {size} in the space"
            warnings.warn(
                f"Asked for {q} architectures but only {len(archs)} new ones were left{left}; returning those.",
                SpaceExhaustedWarning,
                stacklevel=2,
            )
        out = []
        for arch, source in archs:
            arch = self.space.simplify(arch)
            t = Trial(len(self._trials), arch, self.space.key(arch), source=source, round=self._rounds)
            self._trials.append(t)
            self._by_key[t.key] = t
            out.append(t)
        return out

    def _pool(self, n: int, seed: int, exclude: set[str]) -> list[Architecture]:
        """Up to ``n`` new candidates: every architecture left when fewer than ``n`` are left in a
        listable space, else the proposer's, topped up with random ones if it falls short."""
        size = self.space.size
        members = self.space.keyed_members() if size is not None and size - len(exclude) <= n else None
        if members is not None:
            return [a for k, a in members if k not in exclude]
        try:
            proposed = self.proposer.propose(n, seed=seed, exclude=exclude)
        except SamplingError as exc:
            proposed = [a for a in exc.found if isinstance(a, Architecture)]
        pool, seen = [], set(exclude)
        for a in proposed:  # a user's proposer may repeat or return excluded ones: drop them
            k = self.space.key(self.space.simplify(a))
            if k not in seen and self.space.is_valid(a):
                seen.add(k)
                pool.append(a)
            if len(pool) == n:
                break
        if len(pool) < n:
            pool += RandomProposer(self.space).propose(n - len(pool), seed=seed + 3, exclude=seen)
        return pool

    def _round_data(self, exclude: set[str]) -> _RoundData:
        """What a round needs from the history, read now (a background round must not read it later)."""
        done, Y = self._model_data()
        return _RoundData(
            archs=[t.arch for t in done], Y=Y, feasible=self._feasible(done) if self.constraints else None,
            pending=[t.arch for t in self.pending_trials], exclude=set(exclude),
            n_asked=len(self._trials) + len(exclude.difference(self._by_key)),
        )

    def _refit(self, data: _RoundData) -> None:
        """Fit the proposer and the surrogate on ``data`` (the bookkeeping is the caller's)."""
        Y = data.Y
        n_obj = len(self.objectives)
        if n_obj == 1:
            util = Y[:, 0].copy()
        else:
            util = -non_dominated_ranks(Y[:, :n_obj]).astype(float)
        if data.feasible is not None and data.feasible.any():  # infeasible trials rank below every feasible one
            util = np.where(data.feasible, util, util.min() - 1.0 - (util.max() - util.min()))
        start = time.perf_counter()
        self.proposer.fit(data.archs, util)  # first: a jointly trained surrogate learns here
        fitted = time.perf_counter()
        if self.surrogate is not None:
            self.surrogate.fit(data.archs, Y)
        logger.info(
            "round %d: refitted on %d results (proposer %.2f s, surrogate %.2f s)",
            self._rounds + 1, len(data.archs), fitted - start, time.perf_counter() - fitted,
        )

    def _refitted(self) -> None:
        self._rounds += 1
        self._run_callbacks("round")

    def _model_round(self, q: int, seed: int, data: _RoundData, refit: bool) -> list[Architecture]:
        """One round: refit (if ``refit``), propose a pool, score it and pick ``q`` (docs/design.md, "The core")."""
        if refit:
            self._refit(data)
            self._dirty = False  # only once fitted: a failed fit is retried by the next ask
            self._told_since_refit = 0
            self._refitted()
        else:
            self._fit_loaded_surrogate(data)
        return self._pick(q, seed, data)

    def _fit_loaded_surrogate(self, data: _RoundData) -> None:
        if self.surrogate is not None and not self.surrogate.is_fitted:
            # Loaded from a file, no result told since: the file holds the history, not the
            # surrogate. Fits start from scratch with a fixed seed, so fitting the same completed
            # trials again restores the model the saved optimizer had.
            self.surrogate.fit(data.archs, data.Y)

    def _pick(self, q: int, seed: int, data: _RoundData) -> list[Architecture]:
        exclude = data.exclude
        if self.surrogate is None or self.acquisition is None:  # nothing scores: the proposer's first q
            return self._pool(q, seed, exclude)[:q]
        size = self.space.size
        n_pool = self.pool_size if size is None else min(self.pool_size, size - len(exclude))
        n_pool = max(n_pool, q)
        start = time.perf_counter()
        pool = self._pool(n_pool, seed, exclude)
        proposed = time.perf_counter()
        q = min(q, len(pool))
        if q == 0:
            return []
        ctx = AcquisitionContext(
            train_archs=data.archs,
            train_Y=self.surrogate.transform_targets(data.Y),
            pending=data.pending,
            objectives=list(range(len(self.objectives))),
            constraints=self._model_constraints(),
            seed=seed,
            n_asked=data.n_asked,
        )
        picks = self.acquisition.choose(self.surrogate, pool, q, ctx)
        logger.info(
            "round %d: proposed %d candidates in %.2f s, %s picked %d in %.2f s",
            self._rounds, len(pool), proposed - start, self.acquisition.name or type(self.acquisition).__name__,
            q, time.perf_counter() - proposed,
        )
        return [pool[i] for i in picks]

    # -- refits in the background -------------------------------------------------------------
    def _usable_reserve(self, exclude: set[str]) -> bool:
        return any(self.space.key(a) not in exclude for a in self._reserve)

    def _serve_reserve(self, archs: list[tuple[Architecture, str]], exclude: set[str], need: int) -> int:
        """Hand out picks of the last round (skipping any asked since); return how many are still needed."""
        while self._reserve and need:
            a = self._reserve.pop(0)
            if self.space.key(a) not in exclude:
                archs.append((a, "proposed"))
                exclude.add(self.space.key(a))
                need -= 1
        return need

    def _start_background(self, q: int, seed: int, exclude: set[str]) -> None:
        data = self._round_data(exclude)
        self._dirty = False  # results told from now on make the next round due
        self._told_since_refit = 0
        job = _BackgroundRound()

        def work() -> None:
            try:
                with torch_threads(self.num_threads):
                    self._refit(data)
                    job.picks = self._pick(q, seed, data)
            except BaseException as exc:  # handed to the asking thread
                job.error = exc

        # not a daemon: the interpreter waits for a running round at exit (torch aborts when a daemon
        # thread is still inside it during shutdown)
        job.thread = threading.Thread(target=work, name="agnet-bo-refit", daemon=False)
        self._background = job
        job.thread.start()

    def _collect_background(self, block: bool) -> None:
        """Install a finished background round's picks (waiting for it if ``block``)."""
        job = self._background
        if job is None or (not block and job.thread.is_alive()):
            return
        job.thread.join()
        self._background = None
        if job.error is not None:
            self._dirty = True  # the models may be half-fitted: refit before the next pick
            raise job.error
        self._reserve = list(job.picks)
        self._refitted()

    def _model_constraints(self) -> list[tuple[int, float, int]]:
        """Constraints in the surrogate's units: ``(column, bound, sign)``, feasible iff ``sign * (Z - bound) <= 0``."""
        out = []
        for name, (op, bound) in self.constraints.items():
            j = self.metrics.index(name)
            row = np.zeros((1, len(self.metrics)))
            row[0, j] = bound * self._sign[j]
            assert self.surrogate is not None
            b = float(self.surrogate.transform_targets(row)[0, j])
            # raw <= bound  <=>  sign*raw <= sign*bound if sign > 0, >= if sign < 0
            flip = 1 if (op == "<=") == (self._sign[j] > 0) else -1
            out.append((j, b, flip))
        return out

    # -- tell ---------------------------------------------------------------------------------
    def _resolve(self, trial: Trial | int) -> Trial:
        if isinstance(trial, Trial):
            tid = trial.id
        elif isinstance(trial, (int, np.integer)) and not isinstance(trial, bool):
            tid = int(trial)
        else:
            raise InputError(f"Expected a Trial or a trial id (int), got {type(trial).__name__} {trial!r}.")
        if not 0 <= tid < len(self._trials):
            raise InputError(f"Unknown trial {tid}: this optimizer has trials 0..{len(self._trials) - 1}.")
        ours = self._trials[tid]
        if isinstance(trial, Trial) and trial is not ours and trial.key != ours.key:
            raise InputError(f"Trial {tid} of another optimizer: its architecture differs from this optimizer's trial {tid}.")
        return ours

    def _parse_values(self, values: Any) -> dict[str, float]:
        if isinstance(values, Mapping):
            missing = [m for m in self.metrics if m not in values]
            extra = [k for k in values if k not in self.metrics]
            if missing or extra:
                import difflib

                guesses = [f"{e!r} -> {c[0]!r}" for e in extra if (c := difflib.get_close_matches(str(e), missing, n=1))]
                hint = f" Did you mean {', '.join(guesses)}?" if guesses else ""
                raise InputError(
                    f"Expected values for exactly {self.metrics}; missing {missing}, unexpected {extra}.{hint} "
                    "Pass other measurements with info={...}."
                )
            out = {}
            for m in self.metrics:
                v = values[m]
                if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise InputError(f"The value of {m!r} must be a number, got {type(v).__name__} {v!r}.")
                out[m] = float(v)
            return out
        if isinstance(values, (int, float, np.integer, np.floating)) and not isinstance(values, bool):
            if len(self.metrics) != 1:
                raise InputError(f"A single number was told but {len(self.metrics)} values are expected: {self.metrics}.")
            return {self.metrics[0]: float(values)}
        raise InputError(f"Values must be a number or a dict keyed by {self.metrics}; got {type(values).__name__} {values!r}.")

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
        t = self._resolve(trial)
        if t.state.is_finished():
            raise InputError(f"Trial {t.id} was already told ({t.state.value}); report values while it is PENDING.")
        step = check_int("step", step, minimum=0)
        if step in t._intermediate:
            raise InputError(
                f"Trial {t.id} already has a value at step {step} ({t._intermediate[step]}); each step is reported once."
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
            raise InputError(f"An intermediate value must be a finite number, got {type(value).__name__} {value!r}.")
        t._intermediate[step] = float(value)
        t._intermediate = dict(sorted(t._intermediate.items()))

    def should_prune(self, trial: Trial | int) -> bool:
        """Whether ``trial`` should stop now, by the :attr:`pruner` on the values reported so far.

        Always ``False`` without a pruner. When it says ``True``, stop training and
        ``tell(trial, values, state="PRUNED")`` with the values reached.
        """
        t = self._resolve(trial)
        if self.pruner is None or t.state is not TrialState.PENDING or not t._intermediate:
            return False
        direction = next(iter(self.objectives.values()), "maximize")
        return bool(self.pruner.prune(t, self._trials, direction))

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
        t = self._resolve(trial)
        if t.state.is_finished():
            raise InputError(f"Trial {t.id} was already told ({t.state.value}); each trial is told once.")
        try:
            state = TrialState(state)
        except ValueError:
            raise InputError(f"`state` must be COMPLETE, PRUNED or FAIL, got {state!r}.") from None
        if state is TrialState.PENDING:
            raise InputError("`state` must be COMPLETE, PRUNED or FAIL, not PENDING.")
        info = dict(info or {})
        check_json("info", info)
        if state is TrialState.PRUNED and values is None:
            if len(self.metrics) != 1 or not t._intermediate:
                raise InputError(
                    f"A PRUNED trial needs the values it reached for {self.metrics} "
                    "(only a search with one modelled metric and reported values can default to the last one)."
                )
            values = t._intermediate[max(t._intermediate)]
        if state is TrialState.FAIL:
            vals = self._parse_values(values) if values is not None else None
            t._finish(TrialState.FAIL, vals, info)
        else:
            if values is None:
                raise InputError(f"A COMPLETE trial needs values for {self.metrics}; use state='FAIL' for a failed one.")
            vals = self._parse_values(values)
            bad = [k for k, v in vals.items() if not math.isfinite(v)]
            if bad:
                warnings.warn(
                    f"Trial {t.id}: non-finite value(s) for {bad}; recorded as FAIL and left out of the models.",
                    ObjectiveValueWarning,
                    stacklevel=2,
                )
                t._finish(TrialState.FAIL, vals, info)
            else:
                t._finish(state, vals, info)
                self._told_since_refit += 1
                if self._told_since_refit >= self.refit_every:
                    self._dirty = True
        self._run_callbacks("tell", t)
        return t

    def add_callback(self, fn: Callable[..., Any], when: str = "tell") -> None:
        """Call ``fn`` as the search goes, Optuna-style (e.g. to log, save or stop a loop).

        Args:
            fn: With ``when="tell"``, ``fn(optimizer, trial)`` after every :meth:`tell` (and
                :meth:`add_evaluated`), the trial already recorded; with ``when="round"``,
                ``fn(optimizer)`` after every model refit (a round) in :meth:`ask`. An exception
                raised by ``fn`` reaches the caller, but what was told is kept.
            when: ``"tell"`` or ``"round"``.

        Callbacks are not saved with the optimizer: add them again after :meth:`load`.
        """
        if not callable(fn):
            raise InputError(f"A callback must be callable, got {type(fn).__name__} {fn!r}.")
        if when not in ("tell", "round"):
            raise InputError(f'`when` must be "tell" or "round", got {when!r}.')
        self._callbacks.append((when, fn))

    def _run_callbacks(self, when: str, *args: Any) -> None:
        for kind, fn in list(self._callbacks):
            if kind == when:
                fn(self, *args)

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
                :class:`TrialHandle` to report intermediate values and ask whether to stop
                (``trial.report(step, value)``, ``trial.should_prune()``); it stops by raising
                :class:`~agnet_bo.exceptions.TrialPruned`, and the trial is told PRUNED.
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
                        batch = self.ask(min(batch_size, n_trials - len(done)))
                    except SamplingError:
                        if self.space.size is not None and len(self._by_key) >= self.space.size:
                            logger.info("the space is exhausted after %d trials", len(self._trials))
                            break
                        raise
                for trial in batch:
                    try:
                        result = objective(trial.arch, TrialHandle(self, trial)) if with_handle else objective(trial.arch)  # type: ignore[call-arg]
                    except TrialPruned as stop:
                        self.tell(trial, stop.values, state=TrialState.PRUNED)
                    except catch as exc:
                        self.tell(trial, state=TrialState.FAIL, info={"error": f"{type(exc).__name__}: {exc}"})
                        logger.warning("trial %d failed: %s: %s", trial.id, type(exc).__name__, exc)
                    else:
                        pair = isinstance(result, tuple) and len(result) == 2 and (result[1] is None or isinstance(result[1], Mapping))
                        values, info = result if pair else (result, None)
                        self.tell(trial, values, info=info)
                    done.append(trial)
                    if bar is not None:
                        bar.update(1)
                        if len(self.objectives) == 1 and any(t.state is TrialState.COMPLETE for t in self._trials):
                            try:
                                name = next(iter(self.objectives))
                                bar.set_postfix(best=f"{self.best_trial.values[name]:.4g}")  # type: ignore[index]
                            except InputError:  # no feasible trial yet
                                pass
        finally:
            if bar is not None:
                bar.close()
        return done

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
        queued = {self.space.key(a) for a in self._queue}
        skipped, added = [], 0
        for a in checked:
            key = self.space.key(a)
            if key in self._by_key or key in queued:
                skipped.append(f"trial {self._by_key[key].id}" if key in self._by_key else "already queued")
                continue
            queued.add(key)
            self._queue.append(a)
            added += 1
        if skipped:
            warnings.warn(
                f"{len(skipped)} of the {len(checked)} architectures were not queued, each is asked once: {', '.join(skipped)}.",
                UserWarning,
                stacklevel=2,
            )
        return added

    def records(self) -> list[dict[str, Any]]:
        """The history as flat rows, one per trial, in trial order (what :meth:`export` writes);
        columns as in :func:`agnet_bo.history.records`."""
        return history.records(self.space, self._trials, self.metrics)

    def trials_dataframe(self) -> Any:
        """:meth:`records` as a ``pandas.DataFrame`` (pandas is imported here, and only here).

        Raises:
            ImportError: If pandas is not installed (``pip install pandas``).
        """
        return history.dataframe(self.records())

    def export(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`records` to ``path``: CSV for ``.csv``, JSON lines for ``.jsonl``; atomically.

        Raises:
            InputError: For any other file extension.
        """
        history.export(self.records(), path)

    @property
    def queued(self) -> list[Architecture]:
        """Architectures queued by :meth:`enqueue` and not asked yet, in order."""
        return list(self._queue)

    def find(self, arch: Architecture) -> Trial | None:
        """The trial of ``arch`` (or of an architecture with the same key), or ``None``."""
        if not isinstance(arch, Architecture):
            raise InputError(f"Expected an Architecture, got {type(arch).__name__}.")
        return self._by_key.get(self.space.key(self.space.simplify(arch)))

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
            InputError: If the architecture is already a trial, or the values are malformed.
        """
        if not isinstance(arch, Architecture):
            raise InputError(f"Expected an Architecture, got {type(arch).__name__}.")
        self.space.validate(arch)
        arch = self.space.simplify(arch)
        key = self.space.key(arch)
        if key in self._by_key:
            raise InputError(f"This architecture is already trial {self._by_key[key].id}.")
        failed = str(getattr(state, "value", state)) == "FAIL"
        vals = None if failed and values is None else self._parse_values(values)
        t = Trial(len(self._trials), arch, key, source="user", round=self._rounds)
        self._trials.append(t)
        self._by_key[key] = t
        try:
            for step, value in sorted(dict(intermediate or {}).items()):
                self.report(t, step, value)
            return self.tell(t, vals, state=state, info=info)
        except InputError:
            self._trials.pop()
            del self._by_key[key]
            raise

    # -- presets ------------------------------------------------------------------------------
    @classmethod
    def paper(cls, space: SearchSpace, objective: str = "valid-accuracy", *, seed: int = 0) -> Optimizer:
        """AG-Net's published protocol on one maximised objective: ``Optimizer(space, {objective:
        "maximize"}, preset="paper", seed=seed)`` (:func:`agnet_bo.presets.paper`)."""
        return cls(space, {objective: "maximize"}, preset="paper", seed=seed)

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as JSON-serialisable data (model states base64-encoded), format
        :data:`~agnet_bo.state.FORMAT_VERSION`. A refit running in the background is waited for."""
        self._collect_background(block=True)
        buf = io.BytesIO()
        torch.save(self.proposer.state_dict(), buf)
        return {
            "format": "agnet_bo.optimizer",
            "version": FORMAT_VERSION,
            "space": space_to_dict(self.space),
            "config": copy.deepcopy({  # a copy: editing the result leaves the optimizer alone
                "objectives": self.objectives,
                "constraints": {k: list(v) for k, v in self.constraints.items()},
                "preset": self.preset,
                "surrogate": describe(self.surrogate),
                "proposer": describe(self.proposer),
                "acquisition": describe(self.acquisition),
                "n_initial": self.n_initial,
                "pool_size": self.pool_size,
                "seed": self.seed,
                "refit_every": self.refit_every,
                "prefetch": self.prefetch,
                "pruner": _describe_pruner(self.pruner),
                "refit_in_background": self.refit_in_background,
            }),
            "rounds": self._rounds,
            "told_since_refit": self._told_since_refit,
            "reserve": [a.to_dict() for a in self._reserve],
            "queue": [a.to_dict() for a in self._queue],
            "dirty": self._dirty,
            "trials": [t.to_dict() for t in self._trials],
            "proposer_state": base64.b64encode(buf.getvalue()).decode("ascii"),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to ``path`` as JSON, atomically (temporary file, fsync, then rename)."""
        atomic_write(path, json.dumps(self.state_dict()))  # serialised first: a failure leaves no file

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        space: SearchSpace | None = None,
        surrogate: Surrogate | None = None,
        proposer: Proposer | None = None,
        acquisition: Acquisition | None = None,
        pruner: Pruner | None = None,
    ) -> Optimizer:
        """Resume a search saved with :meth:`save` (by this or an earlier agnet-bo: older formats
        are migrated, :mod:`agnet_bo.state`); pending trials stay pending.

        Args:
            path: The file.
            space: Required when the space cannot be rebuilt from the file (a ``DAGSpace`` with a
                constraint callable, or your own class).
            surrogate: Required when it was of your own class.
            proposer: Required when it was of your own class.
            acquisition: Required when it was of your own class.
            pruner: Required when it was of your own class.

        Raises:
            StateFileError: If the file is corrupted, from a newer format version, or needs
                arguments that were not given.
        """
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StateFileError(f"Cannot read optimizer state {path}: {exc}") from exc
        return cls.from_state_dict(
            data, space=space, surrogate=surrogate, proposer=proposer, acquisition=acquisition, pruner=pruner,
            source=str(path),
        )

    @classmethod
    def from_state_dict(
        cls,
        data: Mapping[str, Any],
        *,
        space: SearchSpace | None = None,
        surrogate: Surrogate | None = None,
        proposer: Proposer | None = None,
        acquisition: Acquisition | None = None,
        pruner: Pruner | None = None,
        source: str = "The state",
    ) -> Optimizer:
        """An optimizer from :meth:`state_dict` (what :meth:`load` does after reading the file).

        Args:
            data: The state, of any format version up to :data:`~agnet_bo.state.FORMAT_VERSION`.
            space: As for :meth:`load`.
            surrogate: As for :meth:`load`.
            proposer: As for :meth:`load`.
            acquisition: As for :meth:`load`.
            pruner: As for :meth:`load`.
            source: How to name the state in error messages.

        Raises:
            StateFileError: If the state is malformed, from a newer format version, or needs
                arguments that were not given.
        """
        path = source
        if not isinstance(data, Mapping) or data.get("format") != "agnet_bo.optimizer":
            raise StateFileError(f"{path} is not an agnet-bo optimizer state.")
        try:
            data = migrate(data, source=path)
            cfg = data["config"]
            space = space if space is not None else space_from_dict(data["space"])
            with restoring():  # the proposer's state is in the file: never pretrain here
                prop = proposer if proposer is not None else proposer_from_config(cfg["proposer"], space)
            if surrogate is None and cfg["surrogate"] is not None:
                surrogate = surrogate_from_config(cfg["surrogate"], space, prop)
            acq = acquisition
            if acq is None and cfg["acquisition"] is not None:
                acq = acquisition_from_config(cfg["acquisition"])
            if pruner is None and cfg.get("pruner") is not None:
                pruner = _pruner_from_config(cfg["pruner"], path)
            opt = cls(
                space,
                cfg["objectives"],
                constraints={k: tuple(v) for k, v in cfg["constraints"].items()},
                surrogate=surrogate if surrogate is not None else "none",
                proposer=prop,
                acquisition=acq,
                n_initial=cfg["n_initial"],
                pool_size=cfg["pool_size"],
                seed=cfg["seed"],
                refit_every=cfg.get("refit_every", 1),
                prefetch=cfg.get("prefetch", 0),
                pruner=pruner,
                refit_in_background=cfg.get("refit_in_background", False),
            )
            opt.preset = cfg.get("preset")
            for rec in data["trials"]:
                t = Trial.from_dict(rec)
                if t.id != len(opt._trials):
                    raise StateFileError(f"{path}: trial ids are not consecutive (found {t.id} at {len(opt._trials)}).")
                opt._trials.append(t)
                opt._by_key[t.key] = t
            raw = base64.b64decode(data["proposer_state"].encode("ascii"), validate=True)
            opt.proposer.load_state_dict(torch.load(io.BytesIO(raw), weights_only=True))
            opt._rounds = int(data["rounds"])
            opt._queue = [Architecture.from_dict(a) for a in data.get("queue", [])]  # files before 0.2 had none
            opt._dirty = bool(data["dirty"])
            opt._told_since_refit = int(data.get("told_since_refit", 0))
            opt._reserve = [Architecture.from_dict(a) for a in data.get("reserve", [])]
        except StateFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, InputError) as exc:
            raise StateFileError(f"{path} is corrupted or incomplete: {type(exc).__name__}: {exc}") from exc
        return opt

    def __repr__(self) -> str:
        return (
            f"Optimizer({self.space!r}, objectives={self.objectives}, preset={self.preset!r}, "
            f"surrogate={self.surrogate!r}, proposer={self.proposer!r}, acquisition={self.acquisition!r}, "
            f"trials={len(self._trials)})"
        )


def _describe_pruner(pruner: Pruner | None) -> dict[str, Any] | None:
    if pruner is None:
        return None
    from agnet_bo import pruners

    cls = type(pruner)
    builtin = getattr(pruners, cls.__name__, None) is cls
    return {"type": cls.__name__, "params": pruner.get_params() if builtin else None}


def _pruner_from_config(cfg: Mapping[str, Any], path: str) -> Pruner:
    from agnet_bo import pruners

    cls = getattr(pruners, str(cfg["type"]), None)
    if cfg.get("params") is None or not (isinstance(cls, type) and issubclass(cls, Pruner)):
        raise StateFileError(
            f"{path} was searched with a pruner of your own class ({cfg['type']}); pass it again: "
            "Optimizer.load(path, pruner=YourPruner(...))."
        )
    return cls(**cfg["params"])


@dataclasses.dataclass
class _RoundData:
    """The history as one round sees it: modelled trials (``n``), targets ``n x m`` (maximised),
    their feasibility, the pending architectures and the keys not to propose."""

    archs: list[Architecture]
    Y: np.ndarray
    feasible: np.ndarray | None
    pending: list[Architecture]
    exclude: set[str]
    n_asked: int = 0  # trials asked before the round's picks (this ask's enqueued and initial ones included)


@dataclasses.dataclass
class _BackgroundRound:
    thread: threading.Thread = dataclasses.field(default_factory=lambda: threading.Thread())
    picks: list[Architecture] = dataclasses.field(default_factory=list)
    error: BaseException | None = None


def _takes_two(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes a second positional argument (the :class:`TrialHandle`)."""
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: one argument
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


class TrialHandle:
    """What an objective of :meth:`Optimizer.optimize` with two parameters gets: its trial, and
    the optimizer's :meth:`~Optimizer.report` / :meth:`~Optimizer.should_prune` bound to it.

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
        """:meth:`Optimizer.report` for this trial."""
        self._optimizer.report(self.trial, step, value)

    def should_prune(self) -> bool:
        """:meth:`Optimizer.should_prune` for this trial."""
        return self._optimizer.should_prune(self.trial)

    def __repr__(self) -> str:
        return f"TrialHandle({self.trial!r})"
