"""Strategies: what a preset builds, and how one model round runs.

A :class:`Strategy` holds the components of a search (a proposer, an optional surrogate and
acquisition, the size of the initial design and of each pool) and runs the steps of a search on
data it is handed:

- :meth:`~Strategy.initial_design`: the first architectures, before any model (random draws);
- :meth:`~Strategy.model_data`: the results the surrogate and the acquisition see (all of them,
  or past :attr:`~Strategy.max_model_trials` a subset, so a round's cost stays bounded);
- :meth:`~Strategy.fit`: refit the proposer and the surrogate on the results so far;
- :meth:`~Strategy.propose`: a pool of new candidates;
- :meth:`~Strategy.pick`: ``q`` of them, by the acquisition on the surrogate's predictions.

A round works on a :class:`RoundData` (a snapshot of the history, taken by the
:class:`~agnet_bo.Optimizer` under its lock) and on :class:`Models` it owns: :meth:`Strategy.refit`
trains a copy of the current models and installs it, whole, only once it is trained. So a round
that runs in the background never trains a tensor that an ask, a save or another round reads
(docs/design.md, "The core"). Rounds themselves are run one at a time by the optimizer.

Override any step in a subclass to change it (docs/guides/plugins.md, "Your own strategy").
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from agnet_bo._validation import check_int
from agnet_bo.acquisition import Acquisition, AcquisitionContext
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, SamplingError, unknown_name
from agnet_bo.objectives import Problem
from agnet_bo.pareto import non_dominated_ranks
from agnet_bo.prior import PRIOR_PARTS, Prior
from agnet_bo.proposers import Proposer, RandomProposer
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates import JointMLPSurrogate, Surrogate
from agnet_bo.surrogates.transfer import TransferSurrogate

__all__ = ["Strategy", "Models", "RoundData", "MODEL_SUBSETS", "INITIAL_DESIGNS", "PRIOR_TUNE", "PRIOR_POOL", "PRIOR_DISMISSED", "farthest_points"]

MODEL_SUBSETS: tuple[str, ...] = ("best+random", "best+recent", "best", "random")
"""The rules :meth:`Strategy.model_data` can choose a bounded subset of the results by."""

INITIAL_DESIGNS: tuple[str, ...] = ("random", "space-filling", "generator")
"""What fills the initial design (besides a prior's part): uniform random draws, a space-filling
choice over a large random sample, or diverse draws of the (pretrained) generator."""

DESIGN_SAMPLE = 1000
"""Random architectures (or generator draws) a space-filling initial design chooses from."""

PRIOR_TUNE = 64
"""How many of a prior's best architectures (by average rank) the proposer is fitted on before
its first fit, with ``"generator"`` among the prior's parts."""

PRIOR_POOL = 64
"""How many of a prior's best architectures not asked yet each pool holds (at most a quarter of
it), with ``"generator"`` among the prior's parts and a surrogate (:meth:`Strategy.prior_candidates`)."""

PRIOR_DISMISSED = 0.05
"""The surrogate's total weight on the prior tasks (:attr:`TransferSurrogate.weights_
<agnet_bo.surrogates.TransferSurrogate.weights_>`, on every metric) at or below which
the search's own results have dismissed the prior: its architectures leave the pools and the
generator forgets what it learnt from them (:meth:`Strategy.prior_dismissed`)."""

logger = logging.getLogger("agnet_bo.optimizer")  # the round summary keeps the optimizer's logger name


@dataclasses.dataclass(frozen=True)
class RoundData:
    """The history as one round sees it: read at once, never changed afterwards.

    Attributes:
        space: The search space.
        problem: Objectives and constraints.
        archs: The modelled architectures (complete trials, then pruned ones), ``n``.
        Y: ``n x m`` modelled values, maximisation sense.
        feasible: ``n`` booleans (constraints met), ``None`` without constraints.
        pending: Architectures asked and not told (conditioning the picks).
        exclude: Keys not to propose (every trial, and anything claimed meanwhile).
        n_asked: Trials asked before this round's picks (the per-search pick index).
        round: The round's number: the number of refits including its own.
        seed: The round's seed.
        ids: ``n`` trial ids (creation order) of ``archs``; ``None``: their positions.
    """

    space: SearchSpace
    problem: Problem
    archs: list[Architecture]
    Y: np.ndarray
    feasible: np.ndarray | None
    pending: list[Architecture]
    exclude: frozenset[str]
    n_asked: int
    round: int
    seed: int
    ids: np.ndarray | None = None

    def subset(self, idx: np.ndarray) -> RoundData:
        """The same round on the results at positions ``idx`` only."""
        keep = [int(i) for i in idx]
        return dataclasses.replace(
            self, archs=[self.archs[i] for i in keep], Y=self.Y[keep],
            feasible=None if self.feasible is None else self.feasible[keep],
            ids=None if self.ids is None else self.ids[keep],
        )


@dataclasses.dataclass(frozen=True)
class Models:
    """The trained parts of a search: the proposer and the surrogate (``None``: none).

    A round trains a :meth:`copy`, so the models other threads read are never changed in place.
    """

    proposer: Proposer
    surrogate: Surrogate | None

    def copy(self, space: SearchSpace) -> Models | None:
        """A deep copy sharing the space (and its base); ``None`` if a component cannot be copied."""
        memo: dict[int, Any] = {id(space): space, id(space.base_space): space.base_space}
        try:
            # one call: a jointly trained surrogate shares its proposer's generator, and keeps sharing it
            proposer, surrogate = copy.deepcopy((self.proposer, self.surrogate), memo)
        except Exception as exc:  # a user's component may hold a lock, a file, a device handle
            logger.warning(
                "the models cannot be copied (%s: %s); they are trained in place, so a save waits for a running round",
                type(exc).__name__, exc,
            )
            return None
        return Models(proposer, surrogate)


class Strategy:
    """What a preset builds: the components of a search and the steps of a round.

    Args:
        surrogate: The surrogate, or ``None`` to pick the proposer's first ``q`` candidates.
        proposer: The proposal distribution.
        acquisition: The acquisition (ignored without a surrogate).
        n_initial: Architectures of the initial design, before any model (``None``: the
            optimizer's default for the space, :func:`agnet_bo.presets.default_n_initial`).
        pool_size: Candidates per round (``None``: :data:`agnet_bo.presets.DEFAULT_POOL_SIZE`).
        max_model_trials: The most results a round's surrogate is fitted on (and its
            acquisition conditioned on), and the proposer's bound
            (:attr:`Proposer.max_fit_size <agnet_bo.proposers.Proposer.max_fit_size>`): past it,
            :meth:`model_data` chooses a subset by ``model_subset`` and the generator retrains on
            one pass of that many weighted draws, so the cost of a round stops growing with the
            history. ``None``: the optimizer's default,
            :data:`agnet_bo.presets.DEFAULT_MAX_MODEL_TRIALS`; ``0``: no bound (every result, an
            exact GP's cubic cost).
        model_subset: How the subset is chosen, one of :data:`MODEL_SUBSETS`: ``"best+random"``
            (half the bound the best results by the proposer's utility, the other half drawn
            uniformly from the rest with the round's seed), ``"best+recent"`` (the other half the
            latest results), ``"best"`` or ``"random"``.
        initial_design: What fills the initial design, one of :data:`INITIAL_DESIGNS`:
            ``"random"`` (uniform draws of ``space.sample``, each ask its own), ``"space-filling"``
            (the ``n_initial`` architectures of :data:`DESIGN_SAMPLE` random ones that are
            farthest apart in ``space.encode``, :func:`farthest_points`) or ``"generator"`` (the
            same over draws of the proposer's generator, where it has one). The last two are
            chosen once per search (seeded by :attr:`design_seed`) and handed out in order.

    Example:
        >>> import agnet_bo as ab
        >>> from agnet_bo.proposers import RandomProposer
        >>> space = ab.spaces.NB201Space()
        >>> s = Strategy(None, RandomProposer(space), None, n_initial=4, pool_size=50)
        >>> opt = ab.Optimizer(space, "acc", preset=lambda *a, **k: s)
        >>> len(opt.ask(6)), opt.n_initial
        (6, 4)
    """

    def __init__(
        self,
        surrogate: Surrogate | None,
        proposer: Proposer,
        acquisition: Acquisition | None,
        n_initial: int | None = None,
        pool_size: int | None = None,
        max_model_trials: int | None = None,
        model_subset: str = "best+random",
        initial_design: str = "random",
    ) -> None:
        if not isinstance(proposer, Proposer):
            raise InputError(f"`proposer` must be an agnet_bo.proposers.Proposer, got {type(proposer).__name__} {proposer!r}.")
        if surrogate is not None and not isinstance(surrogate, Surrogate):
            raise InputError(f"`surrogate` must be an agnet_bo.surrogates.Surrogate or None, got {type(surrogate).__name__}.")
        if acquisition is not None and not isinstance(acquisition, Acquisition):
            raise InputError(f"`acquisition` must be an agnet_bo.acquisition.Acquisition or None, got {type(acquisition).__name__}.")
        self._models = Models(proposer, surrogate)
        self.acquisition = acquisition
        self.n_initial = n_initial
        self.pool_size = pool_size
        if max_model_trials is not None:
            max_model_trials = check_int("max_model_trials", max_model_trials, minimum=0)
        self.max_model_trials = max_model_trials
        if model_subset not in MODEL_SUBSETS:
            raise unknown_name("model_subset", model_subset, MODEL_SUBSETS)
        self.model_subset = model_subset
        if initial_design not in INITIAL_DESIGNS:
            raise unknown_name("initial_design", initial_design, INITIAL_DESIGNS)
        self.initial_design_kind = initial_design
        self.design_seed = 0
        """Seed of a chosen (not random) initial design; the optimizer sets its own seed."""
        self._fill_design: tuple[tuple[str, int, int], list[Architecture]] | None = None
        self.copies_models = True  # False once a copy failed: rounds then train in place
        self._last_pool: tuple[Models, RoundData, list[Architecture]] | None = None
        self._last_model_data: tuple[RoundData, tuple[int, str], RoundData] | None = None
        self.prior: Prior | None = None
        self.prior_parts: tuple[str, ...] = ()
        self.prior_initial = 0
        self._prior_design: tuple[int, list[Architecture], frozenset[str]] | None = None
        self._prior_ranked: list[tuple[str, Architecture, float]] | None = None

    # -- a prior ----------------------------------------------------------------------------------
    def use_prior(self, prior: Prior, problem: Problem, parts: Sequence[str] = PRIOR_PARTS, n_initial: int | None = None) -> None:
        """Start the search from what ``prior`` knows (docs/guides/prior.md).

        Args:
            prior: Earlier tasks on the same space.
            problem: The new search's objectives and constraints (to match the prior's metrics).
            parts: What the prior changes, a subset of :data:`~agnet_bo.prior.PRIOR_PARTS`:
                ``"initial"`` (:meth:`initial_design` starts with ``n_initial`` of the prior's best,
                :meth:`Prior.design <agnet_bo.prior.Prior.design>`), ``"generator"`` (the proposer
                learns from the prior's :data:`PRIOR_TUNE` best before its first fit,
                :meth:`Proposer.fit_prior <agnet_bo.proposers.Proposer.fit_prior>`) and
                ``"surrogate"`` (the surrogate becomes a
                :class:`~agnet_bo.surrogates.TransferSurrogate`).
            n_initial: Architectures of the initial design taken from the prior (default: all but
                a quarter of :attr:`n_initial`, at least one random); the rest are random.
        """
        parts = tuple(dict.fromkeys(parts))
        bad = [p for p in parts if p not in PRIOR_PARTS]
        if bad:
            raise unknown_name("prior part", bad[0], PRIOR_PARTS)
        self.prior, self.prior_parts = prior, parts
        total = int(self.n_initial or 0)
        hedge = max(1, round(total / 4)) if total > 1 else 0
        self.prior_initial = total - hedge if n_initial is None else check_int("prior_initial", n_initial, minimum=0)
        sur = self.surrogate
        if "surrogate" in parts and sur is not None and not isinstance(sur, TransferSurrogate) and not isinstance(sur, JointMLPSurrogate):
            self._models = Models(self.proposer, TransferSurrogate(sur, prior, metrics=problem.metrics, objectives=problem.objectives))

    @property
    def base_surrogate(self) -> Surrogate | None:
        """The surrogate as built (inside a :class:`~agnet_bo.surrogates.TransferSurrogate` with a prior)."""
        sur = self.surrogate
        return sur.base if isinstance(sur, TransferSurrogate) else sur

    def prior_design(self, space: SearchSpace) -> tuple[list[Architecture], frozenset[str]]:
        """The prior's part of the initial design and its keys (computed once)."""
        n = self.prior_initial if self.prior is not None and "initial" in self.prior_parts else 0
        cached = self._prior_design
        if cached is None or cached[0] != n:
            design = self.prior.design(space, n) if self.prior is not None and n else []
            cached = self._prior_design = (n, design, frozenset(space.key(a) for a in design))
        return cached[1], cached[2]

    def filled_design(self, space: SearchSpace) -> list[Architecture]:
        """The chosen part of the initial design (``initial_design`` other than ``"random"``):
        the ``n_initial`` minus the prior's part, computed once per search."""
        n = max(int(self.n_initial or 0) - len(self.prior_design(space)[0]), 0)
        key = (self.initial_design_kind, n, int(self.design_seed))
        if self._fill_design is None or self._fill_design[0] != key:
            sample: list[Architecture] = []
            generator = getattr(self.proposer, "generator", None)
            if self.initial_design_kind == "generator" and generator is not None and n:
                sample = generator.sample(DESIGN_SAMPLE, seed=self.design_seed, allow_fewer=True)
            elif n:
                sample = RandomProposer(space).propose(DESIGN_SAMPLE, seed=self.design_seed)
            design = [sample[i] for i in farthest_points(space, sample, n)] if sample else []
            self._fill_design = (key, design)
        return self._fill_design[1]

    def prior_ranked(self, space: SearchSpace) -> list[tuple[str, Architecture, float]]:
        """The prior's :meth:`Prior.keyed_ranked <agnet_bo.prior.Prior.keyed_ranked>` order,
        computed once per search (``[]`` without a prior)."""
        if self.prior is None:
            return []
        if self._prior_ranked is None:
            self._prior_ranked = self.prior.keyed_ranked(space)
        return self._prior_ranked

    def prior_dismissed(self, surrogate: Surrogate | None) -> bool:
        """Whether the search's own results have dismissed the prior: ``surrogate`` is a fitted
        :class:`~agnet_bo.surrogates.TransferSurrogate` whose weights on the prior tasks sum to
        at most :data:`PRIOR_DISMISSED` on every metric (a prior still trusted on one metric of
        several is not dismissed). A prior the surrogate
        ignores should not keep steering the pools and the generator either: a broadly right
        prior that ranks the new task's best low would otherwise keep the search in its own
        best region (bench/topics/transfer.md, "Macro class_object")."""
        weights = getattr(surrogate, "weights_", None) if isinstance(surrogate, TransferSurrogate) else None
        if not weights:
            return False
        prior = [w for name, w in weights.items() if name != "target"]
        return bool(prior) and float(np.sum(prior, axis=0).max()) <= PRIOR_DISMISSED  # on every metric

    def prior_candidates(
        self, space: SearchSpace, exclude: frozenset[str] | set[str], n: int, surrogate: Surrogate | None = None
    ) -> list[Architecture]:
        """Up to :data:`PRIOR_POOL` (and a quarter of a pool of ``n``) of the prior's best
        architectures by average rank that are not in ``exclude``, best first (none without a prior or its ``"generator"``
        part, or once ``surrogate`` has dismissed the prior, :meth:`prior_dismissed`): the
        surrogate, which knows the prior tasks and the new results, re-ranks them
        with the proposer's candidates, so the search walks down the prior's list only as far
        as the new results agree with it."""
        limit = min(PRIOR_POOL, n // 4)
        if self.prior is None or "generator" not in self.prior_parts or limit <= 0 or self.prior_dismissed(surrogate):
            return []
        out = []
        for k, a, _ in self.prior_ranked(space):
            if k not in exclude:
                out.append(a)
                if len(out) == limit:
                    break
        return out

    def initial_source(self, space: SearchSpace, arch: Architecture) -> str:
        """The :attr:`Trial.source <agnet_bo.Trial.source>` of an initial-design architecture:
        ``"prior"`` for the prior's part, else ``"initial"``."""
        if self.prior is None:
            return "initial"
        return "prior" if space.key(arch) in self.prior_design(space)[1] else "initial"

    # -- the current models ---------------------------------------------------------------------
    @property
    def models(self) -> Models:
        """The models of the last round (replaced whole when a round has trained new ones)."""
        return self._models

    @property
    def proposer(self) -> Proposer:
        """The current proposer."""
        return self._models.proposer

    @property
    def surrogate(self) -> Surrogate | None:
        """The current surrogate."""
        return self._models.surrogate

    # -- the steps ------------------------------------------------------------------------------
    def initial_design(self, space: SearchSpace, n: int, seed: int, exclude: set[str]) -> list[Architecture]:
        """Up to ``n`` architectures asked before any model (distinct, none in ``exclude``): with a
        prior, those of its part of the design (:meth:`prior_design`) not asked yet, in order;
        then uniform random draws. Override for another design."""
        design, _ = self.prior_design(space)
        out = [a for a in design if space.key(a) not in exclude][:n]
        if len(out) < n and self.initial_design_kind != "random":
            taken = set(exclude) | {space.key(a) for a in out}
            out += [a for a in self.filled_design(space) if space.key(a) not in taken][: n - len(out)]
        if len(out) < n:
            taken = set(exclude) | {space.key(a) for a in out}
            out += RandomProposer(space).propose(n - len(out), seed=seed, exclude=taken)
        return out

    def utilities(self, data: RoundData) -> np.ndarray:
        """``n`` scalars the proposer learns from, larger is better: the objective, or the negated
        non-dominated rank with several; infeasible results rank below every feasible one."""
        Y, n_obj = data.Y, data.problem.n_objectives
        util = Y[:, 0].copy() if n_obj == 1 else -non_dominated_ranks(Y[:, :n_obj]).astype(float)
        if data.feasible is not None and data.feasible.any():
            util = np.where(data.feasible, util, util.min() - 1.0 - (util.max() - util.min()))
        return util

    def model_data(self, data: RoundData, utilities: np.ndarray | None = None) -> RoundData:
        """The results the surrogate is fitted on and the acquisition conditioned on: all of them
        up to :attr:`max_model_trials`, past it a subset of that many chosen by
        :attr:`model_subset` (positions kept in order; ties in utility broken at random with the
        round's seed). ``utilities``: :meth:`utilities` of ``data``, if already computed."""
        cap, n = int(self.max_model_trials or 0), len(data.archs)
        if cap == 0 or n <= cap:
            return data
        last = getattr(self, "_last_model_data", None)
        if last is not None and last[0] is data and last[1] == (cap, self.model_subset):
            return last[2]  # fit() and pick() of one round: computed once
        rule = self.model_subset
        rng = np.random.default_rng([data.seed, n])
        util = self.utilities(data) if utilities is None else np.asarray(utilities, dtype=float)
        n_best = {"best": cap, "random": 0}.get(rule, cap // 2)
        best = np.lexsort((rng.random(n), -util))[:n_best]  # best first, ties at random
        rest = np.setdiff1d(np.arange(n), best)
        k = cap - n_best
        if rule == "best+recent":
            age = rest if data.ids is None else data.ids[rest]
            other = rest[np.argsort(age, kind="stable")[len(rest) - k :]] if k else rest[:0]
        else:
            other = rng.choice(rest, size=k, replace=False)
        out = data.subset(np.sort(np.concatenate([best, other])))
        self._last_model_data = (data, (cap, rule), out)
        return out

    def fit(self, models: Models, data: RoundData) -> None:
        """Fit ``models`` (the round's own) on ``data``: the proposer first, on every result (a
        jointly trained surrogate learns there; :attr:`Proposer.max_fit_size
        <agnet_bo.proposers.Proposer.max_fit_size>` bounds what it trains on per pass), then the
        surrogate on :meth:`model_data` (past the bound starting from its last fit's
        hyperparameters, :attr:`Surrogate.warm_start <agnet_bo.surrogates.Surrogate.warm_start>`).
        With a prior, the proposer learns from it before the first fit (``"generator"`` part), and
        once the fitted surrogate dismisses the prior (:meth:`prior_dismissed`) the proposer
        forgets it (:meth:`Proposer.forget_prior <agnet_bo.proposers.Proposer.forget_prior>`, once)
        and is fitted again on the results."""
        start = time.perf_counter()
        util = self.utilities(data)
        models.proposer.max_fit_size = self.max_model_trials or None
        if self.prior is not None and "generator" in self.prior_parts and data.round <= 1:
            ranked = self.prior_ranked(data.space)[:PRIOR_TUNE]
            if ranked:  # the first retraining starts where the earlier tasks found good cells
                models.proposer.fit_prior([a for _, a, _ in ranked], np.array([s for _, _, s in ranked]))
        models.proposer.fit(data.archs, util)
        fitted = time.perf_counter()
        model_data = self.model_data(data, util)
        if models.surrogate is not None:
            models.surrogate.warm_start = len(model_data.archs) < len(data.archs)  # past the bound
            models.surrogate.fit(model_data.archs, model_data.Y)
            if self.prior_dismissed(models.surrogate) and models.proposer.forget_prior():
                logger.info("round %d: the surrogate dismissed the prior; the proposer forgot it and refits", data.round)
                models.proposer.fit(data.archs, util)
        n, m = len(data.archs), len(model_data.archs)
        path = "every result" if m == n else f"a subset of {m} ({self.model_subset}, max_model_trials={self.max_model_trials})"
        logger.info(
            "round %d: refitted on %d results, the surrogate on %s (proposer %.2f s, surrogate %.2f s)",
            data.round, n, path, fitted - start, time.perf_counter() - fitted,
        )

    def propose(self, models: Models, data: RoundData, n: int) -> list[Architecture]:
        """Up to ``n`` new candidates: every architecture left when fewer than ``n`` are left in
        a listable space, else the proposer's (repeats, invalid and excluded ones dropped),
        topped up with random ones if it falls short. With a prior (its ``"generator"`` part)
        and a surrogate to score them, the pool first takes the prior's :data:`PRIOR_POOL` best
        not asked yet (:meth:`prior_candidates`)."""
        space, exclude, seed = data.space, data.exclude, data.seed
        size = space.size
        members = space.keyed_members() if size is not None and size - len(exclude) <= n else None
        if members is not None:
            return [a for k, a in members if k not in exclude]
        pool = self.prior_candidates(space, exclude, n, models.surrogate) if models.surrogate is not None else []
        seen = set(exclude) | {space.key(a) for a in pool}
        try:
            proposed = models.proposer.propose(n - len(pool), seed=seed, exclude=seen) if len(pool) < n else []
        except SamplingError as exc:
            proposed = [a for a in exc.found if isinstance(a, Architecture)]
        for a in proposed:
            k = space.key(space.simplify(a))
            if k not in seen and space.is_valid(a):
                seen.add(k)
                pool.append(a)
            if len(pool) == n:
                break
        if len(pool) < n:
            pool += RandomProposer(space).propose(n - len(pool), seed=seed + 3, exclude=seen)
        return pool

    def pick(self, models: Models, data: RoundData, q: int) -> list[Architecture]:
        """``q`` new architectures (fewer only when the space runs out): the proposer's first
        ``q`` without a surrogate, else the acquisition's choice from a pool of :attr:`pool_size`,
        conditioned on :meth:`model_data`."""
        surrogate, acquisition = models.surrogate, self.acquisition
        if surrogate is None or acquisition is None:
            return self.propose(models, data, q)[:q]
        size = data.space.size
        pool_size = int(self.pool_size or 0)
        n_pool = max(pool_size if size is None else min(pool_size, size - len(data.exclude)), q)
        start = time.perf_counter()
        pool = self.propose(models, data, n_pool)
        self._last_pool = (models, data, pool)  # spares() of the same round reuse it
        proposed = time.perf_counter()
        q = min(q, len(pool))
        if q == 0:
            return []
        seen = self.model_data(data)
        ctx = AcquisitionContext(
            train_archs=seen.archs,
            train_Y=surrogate.transform_targets(seen.Y),
            pending=data.pending,
            objectives=list(range(data.problem.n_objectives)),
            constraints=data.problem.model_constraints(surrogate.transform_targets),
            seed=data.seed,
            n_asked=data.n_asked,
        )
        picks = acquisition.choose(surrogate, pool, q, ctx)
        logger.info(
            "round %d: proposed %d candidates in %.2f s, %s picked %d in %.2f s",
            data.round, len(pool), proposed - start,
            acquisition.name or type(acquisition).__name__, q, time.perf_counter() - proposed,
        )
        return [pool[i] for i in picks]

    def spares(self, models: Models, data: RoundData, picks: list[Architecture]) -> list[Architecture]:
        """The rest of the round's pool, best first: what askers get, with refits in the
        background, when every pick was handed out and the next round is still running (a
        slightly worse architecture now rather than an idle worker).

        The default takes the round's pool (the one :meth:`pick` scored with these models and
        data; else it proposes it again: the same seed gives the same pool) and orders the
        candidates that were not picked by the surrogate's predicted means: by the first
        objective, or by non-dominated rank with several; predicted constraint violations last.
        Without a surrogate, the proposer's order.
        """
        taken = {data.space.key(a) for a in picks}
        last = getattr(self, "_last_pool", None)
        if last is not None and last[0] is models and last[1] is data:
            pool = last[2]
        else:
            size = data.space.size
            n_pool = max(int(self.pool_size or 0) if size is None else min(int(self.pool_size or 0), size - len(data.exclude)), 1)
            pool = self.propose(models, data, n_pool)
        rest = [a for a in pool if data.space.key(a) not in taken]
        surrogate = models.surrogate
        if surrogate is None or len(rest) < 2:
            return rest
        mean = surrogate.predict(rest)[0].numpy()
        n_obj = data.problem.n_objectives
        score = -mean[:, 0] if n_obj == 1 else non_dominated_ranks(mean[:, :n_obj]) - 1e-6 * mean[:, 0]
        bad = np.zeros(len(rest), dtype=bool)
        for col, bound, sign in data.problem.model_constraints(surrogate.transform_targets):
            bad |= sign * (mean[:, col] - bound) > 0
        order = np.lexsort((score, bad))  # feasible first, then by score
        return [rest[i] for i in order]

    # -- a round --------------------------------------------------------------------------------
    def refit(self, data: RoundData) -> None:
        """Train a copy of the current models on ``data``, then install it whole.

        A failure leaves the current models as they were (unless they cannot be copied: they are
        then trained in place, :attr:`copies_models` is ``False``)."""
        models = self._models.copy(data.space) if self.copies_models else None
        if models is None:
            self.copies_models = False
            models = self._models
        self.fit(models, data)
        self._models = models  # one assignment: readers see the old pair or the new one

    def ensure_fitted(self, data: RoundData) -> None:
        """Fit a surrogate that has never been fitted (an optimizer just loaded from a file, which
        holds the history and not the surrogate; fits start from a fixed seed, so fitting the same
        results again restores the saved optimizer's model)."""
        surrogate = self._models.surrogate
        if surrogate is None or surrogate.is_fitted:
            return
        models = self._models.copy(data.space) if self.copies_models else None
        if models is None:
            self.copies_models = False
            models = self._models
        assert models.surrogate is not None
        seen = self.model_data(data)
        models.surrogate.fit(seen.archs, seen.Y)
        self._models = models

    def run_round(self, data: RoundData, q: int, refit: bool) -> list[Architecture]:
        """One round: refit (if ``refit``) and pick ``q`` with the current models."""
        if refit:
            self.refit(data)
        else:
            self.ensure_fitted(data)
        return self.pick(self._models, data, q)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_last_pool"] = state["_last_model_data"] = None  # caches of the last round, not state
        state["_prior_ranked"] = None
        return state

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(surrogate={self.surrogate!r}, proposer={self.proposer!r}, "
            f"acquisition={self.acquisition!r}, n_initial={self.n_initial}, pool_size={self.pool_size})"
        )



def farthest_points(space: SearchSpace, archs: Sequence[Architecture], n: int) -> list[int]:
    """Positions of ``n`` of ``archs`` spread over the space: the first one, then each time the
    one farthest (Manhattan distance of ``space.encode``) from those chosen so far (greedy
    max-min, Gonzalez 1985)."""
    if n <= 0 or not archs:
        return []
    enc = space.encode(list(archs)).numpy().astype(np.float64).reshape(len(archs), -1)
    chosen = [0]
    dist = np.abs(enc - enc[0]).sum(axis=1)
    while len(chosen) < min(n, len(archs)):
        i = int(np.argmax(dist))
        if dist[i] <= 0:
            break  # the rest repeat encodings already chosen
        chosen.append(i)
        dist = np.minimum(dist, np.abs(enc - enc[i]).sum(axis=1))
    return chosen
