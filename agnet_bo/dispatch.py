"""Handing out architectures to many askers at once: the queue, the initial design, the last
round's picks and model rounds (in the asking thread or in the background).

The :class:`Dispatcher` is the :class:`~agnet_bo.Optimizer`'s engine for :meth:`ask
<agnet_bo.Optimizer.ask>` (docs/design.md, "The core"). Its rules, which hold whichever threads
call it:

- Everything it keeps (queue, picks, claims, counters) and the :class:`~agnet_bo.trial.TrialStore`
  share the store's lock, held only for bookkeeping, never through a model round.
- An architecture handed to an asker is *claimed* at once (its key is excluded from every other
  ask, pool and initial design) and becomes a trial when the ask returns: no architecture is
  handed out twice.
- Model rounds run one at a time (a second lock, taken before the store's, never inside it),
  each on a :class:`~agnet_bo.strategy.RoundData` snapshot and on a copy of the models that it
  installs whole (:meth:`Strategy.refit <agnet_bo.strategy.Strategy.refit>`). An asker that finds
  no pick waits for the running round and takes its picks, or runs the next one.
- With ``background=True`` a due refit runs in a thread while askers take the last round's picks,
  then the rest of its pool (:meth:`Strategy.spares <agnet_bo.strategy.Strategy.spares>`), then
  more of the initial design: nobody waits for a round (a bounded allowance of random draws made
  askers wait seconds for the first round under load and found nothing better, measured in
  bench/topics/many-workers.md, "Real threads"). The thread installs its picks itself,
  and an error it raises reaches the next asker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from agnet_bo._threads import torch_threads
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import SamplingError
from agnet_bo.objectives import Problem
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.strategy import RoundData, Strategy
from agnet_bo.trial import Trial, TrialState, TrialStore

__all__ = ["Dispatcher"]

Picked = list[tuple[Architecture, str]]  # (architecture, source) handed to one ask


class Dispatcher:
    """Hands out new architectures (see the module docstring for the rules).

    Args:
        space: The search space.
        problem: Objectives and constraints.
        store: The trials.
        strategy: Initial design, fit, propose, pick.
        seed: The search's seed (each ask's seed is drawn from it and the trial count).
        num_threads: torch threads during a round (``None``: leave torch's setting).
        refit_every: Results told between refits.
        prefetch: Picks made per round at least; the rest are kept for the next asks.
        background: Run rounds in a thread while askers take the last round's picks, its spares
            or more of the initial design.
        on_round: Called after every refit, outside the locks.
    """

    def __init__(self, space: SearchSpace, problem: Problem, store: TrialStore, strategy: Strategy, *, seed: int,
                 num_threads: int | None, refit_every: int, prefetch: int, background: bool,
                 on_round: Callable[[], Any]) -> None:
        self.space, self.problem, self.store, self.strategy = space, problem, store, strategy
        self.seed, self.num_threads = seed, num_threads
        self.refit_every, self.prefetch, self.background = refit_every, prefetch, background
        self._on_round = on_round
        self.lock = store.lock
        self._round_lock = threading.Lock()
        self._claimed: dict[str, tuple[Architecture, int]] = {}  # key -> (arch, ask) handed out, not yet a trial
        self._keys: dict[Architecture, str] = {}  # memo of key(): the picks and claims seen
        self._asks = 0
        self.queue: list[Architecture] = []
        self.reserve: list[Architecture] = []  # picks of the last round not handed out yet
        self.spares: list[Architecture] = []  # with background refits: the rest of the last pool, best first
        self.dirty = True
        self.told_since_refit = 0
        self.rounds = 0
        self.job: threading.Thread | None = None  # a refit running in the background
        self._error: BaseException | None = None

    # -- bookkeeping (under the lock) ---------------------------------------------------------
    def key(self, arch: Architecture) -> str:
        """The key of an architecture as a trial would have it (memoised: askers check the
        same picks again and again, and a key is a canonical labelling)."""
        key = self._keys.get(arch)
        if key is None:
            key = self._keys[arch] = self.space.key(self.space.simplify(arch))
        return key

    def taken(self, key: str) -> bool:
        """Whether ``key`` is a trial or being handed out."""
        return key in self.store or key in self._claimed

    def told(self) -> None:
        """A result counted towards the next refit was told (under the lock)."""
        self.told_since_refit += 1
        if self.told_since_refit >= self.refit_every:
            self.dirty = True

    def _claim(self, arch: Architecture, source: str, picked: Picked, me: int) -> bool:
        key = self.key(arch)
        if self.taken(key):
            return False
        self._claimed[key] = (arch, me)
        picked.append((arch, source))
        return True

    def _serve(self, picked: Picked, need: int, me: int) -> int:
        """Hand out picks of the last round (skipping any asked since); how many are still needed."""
        while self.reserve and need:
            if self._claim(self.reserve.pop(0), "proposed", picked, me):
                need -= 1
        return need

    def _snapshot(self, seed: int, refit: bool, me: int) -> RoundData:
        data = self.store.model_data(self.problem)
        pending = [t.arch for t in self.store.with_state(TrialState.PENDING)]
        pending += [a for a, ask in self._claimed.values() if ask != me]  # other askers' picks count as pending
        return RoundData(
            space=self.space, problem=self.problem, archs=data.archs, Y=data.Y, feasible=data.feasible,
            pending=pending, exclude=frozenset(self.store.keys() | set(self._claimed)),
            n_asked=len(self.store) + len(self._claimed), round=self.rounds + int(refit), seed=seed,
            ids=np.array([t.id for t in data.trials], dtype=np.int64),
        )

    # -- ask ------------------------------------------------------------------------------------
    def ask(self, q: int) -> list[Trial]:
        """Up to ``q`` new trials (fewer only when the space runs out).

        Raises:
            SamplingError: If nothing is left, or nothing new could be found.
        """
        self.raise_error()
        picked: Picked = []
        with self.lock:
            self._asks += 1
            me = self._asks
            seed = int(np.random.default_rng([self.seed, len(self.store), 17]).integers(2**31 - 1))
            size = self.space.size
            if size is not None and len(self.store) + len(self._claimed) >= size:
                raise SamplingError(
                    f"Every one of the {size} architectures of {self.space.name} has been asked; nothing is left to "
                    "propose. The search is complete: see best_trial / pareto_front()."
                )
            while self.queue and len(picked) < q:  # enqueued architectures first, in order
                self._claim(self.queue.pop(0), "enqueued", picked, me)
            n_random = self._n_random(q - len(picked))
            exclude = self.store.keys() | set(self._claimed) if n_random else set()
        try:
            short, draw_seed = False, seed
            while n_random and not short:  # the initial design, outside the lock (a design of your own may take its time)
                design = self.strategy.initial_design(self.space, n_random, draw_seed, exclude)
                with self.lock:
                    short = len(design) < n_random  # the space ran out
                    n_random -= sum(self._claim(a, self.strategy.initial_source(self.space, a), picked, me) for a in design)  # others may have taken some
                    exclude = self.store.keys() | set(self._claimed)
                draw_seed += 1
            need = 0 if short else q - len(picked)
            if need:
                with self.lock:
                    if self.background and self.dirty and self.job is None:
                        self._start_background(max(need, self.prefetch), seed)
                    if self.dirty and self.job is None:
                        self.reserve.clear()
                    need = self._serve(picked, need, me)
            for _ in range(1000):  # each pass serves picks, or finds the space exhausted
                if not need:
                    break
                need, exhausted = self._round(picked, need, seed, me)
                if exhausted:
                    break
        except BaseException:  # a failed round loses nothing: queued architectures stay queued
            with self.lock:
                for a, _ in picked:
                    self._claimed.pop(self.key(a), None)
                self.queue[:0] = [a for a, source in picked if source == "enqueued"]
            raise
        with self.lock:
            out = []
            for a, source in picked:
                key = self.key(a)
                del self._claimed[key]
                out.append(self.store.add(self.space.simplify(a), key, source=source, round=self.rounds))
        if not out:
            raise SamplingError(
                f"No new architecture of {self.space.name} could be found: {len(self.store)} were asked and neither "
                "the proposer nor the space's sampler gave another. The space may be exhausted."
            )
        return out

    def _n_random(self, q_left: int) -> int:
        """How many of ``q_left`` the initial design draws (under the lock): all of them while
        fewer than two results are modelled, else up to ``n_initial`` trials in all."""
        if not q_left:
            return 0
        n_done = self.store.count_modelled()
        n_asked = len(self.store) + len(self._claimed)
        n_initial = int(self.strategy.n_initial or 0)
        if n_done < 2:
            return q_left
        return max(0, min(q_left, n_initial - n_asked))

    def _round(self, picked: Picked, need: int, seed: int, me: int) -> tuple[int, bool]:
        """``need`` more picks: from the round running in the background, or from a round of our
        own; how many are still needed, and whether a round found nothing new (the space ran out)."""
        job = self.job
        if job is not None:  # no pick was left: the rest of the last pool, else more of the initial design
            with self.lock:
                while self.spares and need:
                    if self._claim(self.spares.pop(0), "spare", picked, me):
                        need -= 1
                exclude = self.store.keys() | set(self._claimed)
            if need:  # never wait for a refit: a random architecture now (the first round, a used-up pool)
                design = self.strategy.initial_design(self.space, need, seed + len(exclude), exclude)
                with self.lock:
                    need -= sum(self._claim(a, self.strategy.initial_source(self.space, a), picked, me) for a in design)
                if need and not design:  # the space ran out: wait for the refit's picks
                    job.join()
                    self.raise_error()
                    with self.lock:
                        need = self._serve(picked, need, me)
            return need, False
        refitted = False
        try:
            with self._round_lock:  # one round at a time; the one we waited for may have left picks
                with self.lock:
                    need = self._serve(picked, need, me)
                    if not need or self.job is not None:
                        return need, False
                    refit = self.dirty
                    if refit:
                        self.reserve.clear()
                        self.dirty, self.told_since_refit = False, 0
                    data = self._snapshot(seed, refit, me)
                with torch_threads(self.num_threads):
                    if refit:
                        try:
                            self.strategy.refit(data)
                        except BaseException:
                            self.dirty = True  # retried by the next ask
                            raise
                        with self.lock:
                            self.rounds += 1
                        refitted = True
                    else:
                        self.strategy.ensure_fitted(data)
                    picks = self.strategy.pick(self.strategy.models, data, max(need, self.prefetch))
                    spares = self.strategy.spares(self.strategy.models, data, picks) if self.background else []
                    for a in picks + spares:  # keys outside the lock
                        self.key(a)
                with self.lock:
                    self.reserve, self.spares = list(picks), list(spares)
                    return self._serve(picked, need, me), not picks
        finally:
            if refitted:
                self._on_round()  # outside the locks: a callback may ask, tell or save

    # -- refits in the background ---------------------------------------------------------------
    def _start_background(self, q: int, seed: int) -> None:
        """Start a refit and a round of ``q`` picks in a thread (under the lock)."""
        data = self._snapshot(seed, True, me=0)
        self.dirty, self.told_since_refit = False, 0  # results told from now on make the next round due

        def work() -> None:
            installed = False
            try:
                with self._round_lock, torch_threads(self.num_threads):
                    self.strategy.refit(data)
                    picks = self.strategy.pick(self.strategy.models, data, q)
                    spares = self.strategy.spares(self.strategy.models, data, picks)
                    for a in picks + spares:  # keys outside the lock
                        self.key(a)
                with self.lock:
                    self.reserve, self.spares = list(picks), list(spares)
                    self.rounds += 1
                    self.job = None
                installed = True
                self._on_round()
            except BaseException as exc:  # handed to the next asker
                with self.lock:
                    self.dirty = self.dirty or not installed  # a failed fit: refit before the next pick
                    self._error, self.job = exc, None

        # not a daemon: the interpreter waits for a running round at exit (torch aborts when a daemon
        # thread is still inside it during shutdown)
        job = threading.Thread(target=work, name="agnet-bo-refit", daemon=False)
        job.start()  # before it is published: askers read self.job without the lock and may join it
        self.job = job

    def raise_error(self) -> None:
        """Raise the error of a failed background round, once."""
        with self.lock:
            exc, self._error = self._error, None
        if exc is not None:
            raise exc

    def wait(self) -> None:
        """Wait for a refit running in the background."""
        job = self.job
        if job is not None:
            job.join()

    # -- pickling (Ray pickles searchers that hold an optimizer) ---------------------------------
    def __getstate__(self) -> dict[str, Any]:
        self.wait()  # a refit running in the background lands first
        with self.lock:
            state = dict(self.__dict__)
        for name in ("lock", "_round_lock", "job", "_error"):
            state.pop(name, None)
        state["_claimed"] = {}  # asks in flight end in this process
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = self.store.lock
        self._round_lock = threading.Lock()
        self.job, self._error = None, None

    # -- the queue --------------------------------------------------------------------------------
    def enqueue(self, archs: list[Architecture]) -> list[str]:
        """Queue architectures not yet trials, queued or handed out; what was skipped, as text."""
        skipped = []
        with self.lock:
            queued = {self.key(a) for a in self.queue} | set(self._claimed)
            for a in archs:
                key = self.key(a)
                trial = self.store.get(key)
                if trial is not None or key in queued:
                    skipped.append(f"trial {trial.id}" if trial is not None else "already queued")
                    continue
                queued.add(key)
                self.queue.append(a)
        return skipped

    # -- state ------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The saved fields (under the lock)."""
        return {
            "rounds": self.rounds,
            "told_since_refit": self.told_since_refit,
            "reserve": [a.to_dict() for a in self.reserve],
            "queue": [a.to_dict() for a in self.queue],
            "dirty": self.dirty or self.job is not None,  # a refit still running is redone after a load
        }

    def restore(self, state: dict[str, Any]) -> None:
        """The fields of :meth:`state`, read back (:func:`agnet_bo._saving.read_facade`)."""
        with self.lock:
            self.rounds, self.dirty = state["rounds"], state["dirty"]
            self.told_since_refit = state["told_since_refit"]
            self.queue, self.reserve = list(state["queue"]), list(state["reserve"])
