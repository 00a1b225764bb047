"""Proposal distributions: where the optimizer looks for new architectures.

A :class:`Proposer` is refitted on the evaluated architectures (:meth:`Proposer.fit`) and then
proposes a pool of new, valid, distinct candidates (:meth:`Proposer.propose`) that a surrogate and
an acquisition function choose from. AG-Net's proposer is its generator
(:class:`GeneratorProposer`); :class:`RandomProposer` and :class:`MutationProposer` serve
baselines (random search, local search, evolution, BANANAS-style pools).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import math
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from agnet_bo._config import Configurable
from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, SamplingError
from agnet_bo.generator import Generator, rank_weights, space_fingerprint
from agnet_bo.spaces.base import SearchSpace, make_rng

__all__ = [
    "Proposer",
    "GeneratorProposer",
    "RandomProposer",
    "MutationProposer",
    "EvolutionProposer",
    "mutate",
]


class Proposer(Configurable, ABC):
    """Base class of proposal distributions.

    Subclasses implement :meth:`propose`; :meth:`fit` (default: nothing to learn) and the
    ``state_dict`` pair are optional hooks.

    Args:
        space: The search space.
    """

    _registry: ClassVar[dict[str, type[Any]]] = {}
    config_kind: ClassVar[str] = "proposer"

    max_fit_size: int | None = None
    """A bound on what :meth:`fit` trains on per pass, set by the
    :class:`~agnet_bo.strategy.Strategy` before each fit (its ``max_model_trials``; ``None``: no
    bound). A proposer whose fit grows with the history honours it (:class:`GeneratorProposer`:
    past it, its generator retrains on one pass of this many rank-weighted draws instead of
    several passes over every result); one whose fit is cheap may ignore it."""

    @classmethod
    def _from_params(cls, params: dict[str, Any], **context: Any) -> Any:
        return cls(context["space"], **params)

    def __init__(self, space: SearchSpace) -> None:
        if not isinstance(space, SearchSpace):
            raise InputError(f"`space` must be a SearchSpace, got {type(space).__name__}.")
        self.space = space

    def fit(self, archs: Sequence[Architecture], utilities: Any, weights: Any = None) -> None:
        """Learn from evaluated architectures.

        Args:
            archs: ``N`` evaluated architectures.
            utilities: ``N`` finite scalars, larger is better (for several objectives, e.g. the
                negated non-dominated rank).
            weights: Optional ``N`` training weights; default: AG-Net's rank weights of ``utilities``.
        """

    @abstractmethod
    def propose(self, n: int, seed: int, exclude: Iterable[str] = ()) -> list[Architecture]:
        """Up to ``n`` valid architectures with distinct keys, none in ``exclude``.

        Fewer than ``n`` only when no more could be found (a finite space running out). The
        optimizer tops a short pool up with uniform random architectures, and also accepts a
        :class:`~agnet_bo.exceptions.SamplingError` (using its ``found``), so a proposer never
        stops a search.
        """

    def fit_prior(self, archs: Sequence[Architecture], utilities: Any) -> None:
        """Learn from a prior's best architectures (docs/guides/prior.md), once, before the
        first :meth:`fit` on the search's own results. The default learns nothing: a proposer
        that only follows the search's own results has no use for them.

        Args:
            archs: The prior's best architectures, best first.
            utilities: Their scores in ``[0, 1]`` (average rank over the prior tasks), larger is better.
        """

    def forget_prior(self) -> bool:
        """Undo :meth:`fit_prior`, once the search's own results have dismissed the prior
        (:meth:`Strategy.fit <agnet_bo.strategy.Strategy.fit>` refits on them right after).
        The default has nothing to undo.

        Returns:
            Whether anything was undone (``False`` without a :meth:`fit_prior`, or the second time).
        """
        return False

    def state_dict(self) -> dict[str, Any]:
        """State to save (tensors, numbers, strings, lists, dicts)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments besides ``space``, as JSON values: a saved search rebuilds a
        built-in proposer as ``type(p)(space, **p.get_params())``."""
        return {}

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({self.space!r}{args})"


_EXCLUDED_DRAWN = 1024
"""Up to this many excluded keys, a random proposal draws ``n`` + all of them at once (as it always
did); past it, about what is needed for ``n`` new ones (one draw with 5,000 told: under 1 ms, bench/round_parts.py)."""


class RandomProposer(Proposer):
    """Uniform random architectures from ``space.sample`` (random search, and pool padding).

    When fewer architectures are left than asked for (and the space lists its
    :meth:`~agnet_bo.spaces.SearchSpace.members`), it returns all that are left; otherwise, when
    the space's sampler gives up, what it found.
    """

    config_name = "random"

    def propose(self, n: int, seed: int, exclude: Iterable[str] = ()) -> list[Architecture]:
        excluded = set(exclude)
        size = self.space.size
        rng = make_rng(seed)
        if size is not None and n >= size - len(excluded):
            return _members_left(self.space, excluded, n, rng)
        out: list[Architecture] = []
        seen = set(excluded)
        ask = n
        if size is not None:  # n + every excluded one; past a thousand excluded, enough to expect n new ones
            left = max(1, size - len(excluded))
            enough = n + len(excluded) if len(excluded) <= _EXCLUDED_DRAWN else math.ceil(1.5 * n * size / left) + 8
            ask = min(size, max(ask, enough))
        for _ in range(50):
            gave_up = False
            try:
                drawn = self.space.sample(ask, seed=rng)
            except SamplingError as exc:  # the space's sampler ran dry: use what it found, then stop
                drawn, gave_up = [a for a in exc.found if isinstance(a, Architecture)], True
            for arch in drawn:
                k = self.space.key(arch)
                if k not in seen:
                    seen.add(k)
                    out.append(arch)
                    if len(out) == n:
                        return out
            if gave_up:
                break
            ask = min(2 * ask, size) if size is not None else 2 * ask
        if size is not None:  # the sampler's duplicates ran out its tries: list what is left
            out += _members_left(self.space, seen, n - len(out), rng)
        return out


def _members_left(space: SearchSpace, excluded: set[str], n: int, rng: np.random.Generator) -> list[Architecture]:
    """Up to ``n`` members of a listable space whose keys are not excluded, in random order."""
    members = space.keyed_members()
    if members is None:
        return []
    left = [a for k, a in members if k not in excluded]
    take = rng.permutation(len(left))[: max(n, 0)]
    return [left[i] for i in take]


class _Keys:
    """``space.key`` memoised by architecture, for one proposal round.

    A key is a pure function of the architecture, and mutation pools meet the same graphs over and
    over (a parent's key on every edit, a child's twice, the same single edit many times), while
    the canonical labelling behind a key dominates the cost of a mutation pool (bench/notes/speed.md,
    "Mutation pools"). Held only for one :meth:`Proposer.propose` call.
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.memo: dict[Architecture, str] = {}

    def __call__(self, arch: Architecture) -> str:
        key = self.memo.get(arch)
        if key is None:
            key = self.memo[arch] = self.space.key(arch)
        return key


def mutate(
    space: SearchSpace, arch: Architecture, rng: np.random.Generator, max_tries: int = 50,
    key_of: Callable[[Architecture], str] | None = None,
) -> Architecture | None:
    """A random valid neighbour of ``arch``: one node relabelled, or one edge moved, added or removed.

    Only the space's structure hooks are used (``node_type_mask``, ``allowed_sources``,
    ``in_degree_bounds``, ``is_valid``), so it works for any space. In a space that lists at
    most :data:`FINITE_POOL_LIMIT` members (a small space, a
    :class:`~agnet_bo.spaces.CandidateSpace`, where most edits would leave the list) a neighbour
    is one of the :data:`NEIGHBOURS` members nearest to ``arch`` in the space's encoding
    (Manhattan distance; single edits where the space has them).

    Args:
        space: The search space.
        arch: The architecture to edit.
        rng: The random generator the edits are drawn from.
        max_tries: Edits tried before giving up.
        key_of: ``space.key``, or a memoised stand-in for it (many calls in a row).

    Returns:
        A valid architecture with a different key, or ``None`` if none was found.
    """
    key_of = space.key if key_of is None else key_of
    index = _member_index(space)
    if index is not None:
        return index.neighbour(space, arch, rng, key_of)
    key = key_of(arch)
    tmask = np.asarray(space.node_type_mask(), dtype=bool)
    types = space.node_types
    n = arch.num_nodes
    for _ in range(max_tries):
        ops = list(arch.ops)
        adj = arch.adjacency.copy()
        kind = rng.integers(3) if space.fixed_adjacency is None else 0
        if kind == 0:  # relabel one hidden node
            t = int(rng.integers(1, n - 1)) if n > 2 else 0
            if t == 0:
                continue
            row = tmask[t] if t < len(tmask) else np.ones(len(types), dtype=bool)
            choices = [types[i] for i in np.flatnonzero(row) if types[i] not in (INPUT, OUTPUT, ops[t])]
            if not choices:
                continue
            ops[t] = choices[int(rng.integers(len(choices)))]
        elif kind == 1:  # move one incoming edge of a node to another allowed source
            t = int(rng.integers(1, n))
            sources = np.flatnonzero(adj[:t, t])
            allowed = np.asarray(space.allowed_sources(t, ops[t], ops[: t + 1], adj[:t, :t]), dtype=bool).copy()
            allowed[sources] = False
            if len(sources) == 0 or not allowed.any():
                continue
            adj[int(rng.choice(sources)), t] = 0
            adj[int(rng.choice(np.flatnonzero(allowed))), t] = 1
        else:  # toggle one edge
            iu = np.transpose(np.triu_indices(n, k=1))
            u, v = iu[int(rng.integers(len(iu)))]
            adj[u, v] = 1 - adj[u, v]
        try:
            cand = Architecture(ops, adj)
        except InvalidArchitectureError:
            continue
        if not space.is_valid(cand):
            continue
        cand = space.simplify(cand)
        if key_of(cand) != key:
            return cand
    return None


NEIGHBOURS = 8
"""How many nearest members :func:`mutate` chooses from in a listed space."""


class _MemberIndex:
    """The members of a listed space with their encodings, for nearest-member mutations."""

    def __init__(self, space: SearchSpace, members: list[tuple[str, Architecture]]) -> None:
        self.archs = [a for _, a in members]
        self.pos = {k: i for i, (k, _) in enumerate(members)}
        self.enc = space.encode(self.archs).numpy().astype(np.float32)

    def neighbour(
        self, space: SearchSpace, arch: Architecture, rng: np.random.Generator,
        key_of: Callable[[Architecture], str] | None = None,
    ) -> Architecture | None:
        i = self.pos.get((space.key if key_of is None else key_of)(arch))
        enc = self.enc[i] if i is not None else space.encode(arch).numpy()[0].astype(np.float32)
        d = np.abs(self.enc - enc).sum(axis=1)
        d[d == 0] = np.inf  # the same network
        k = min(NEIGHBOURS, int(np.isfinite(d).sum()))
        if k == 0:
            return None
        near = np.argpartition(d + rng.random(len(d)) * 1e-3, k - 1)[:k]  # ties broken at random
        return self.archs[int(near[rng.integers(k)])]


_INDEXES: dict[int, _MemberIndex | None] = {}  # id(space) -> its member index, dropped with the space
_INDEXES_LOCK = threading.Lock()


def _member_index(space: SearchSpace) -> _MemberIndex | None:
    """The member index of a space that lists at most FINITE_POOL_LIMIT members, else None;
    built once per space object and kept here (never written into the user's space)."""
    key = id(space)
    if key in _INDEXES:
        return _INDEXES[key]
    size = space.size
    members = space.keyed_members() if size is not None and size <= FINITE_POOL_LIMIT else None
    index = None if not members else _MemberIndex(space, members)
    with _INDEXES_LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = index
            weakref.finalize(space, _INDEXES.pop, key, None)
        return _INDEXES[key]


class MutationProposer(Proposer):
    """Mutations of the best evaluated architectures (local search, evolution, BANANAS-style pools).

    Args:
        space: The search space.
        n_parents: How many of the best architectures to mutate (default 10); architectures tied
            with the ``n_parents``-th best utility are parents too (with several objectives the
            utility is minus the non-dominated rank, so the whole front found so far is mutated).
        max_edits: Each candidate applies 1..``max_edits`` random mutations (default 1).
        random_fraction: Share of the pool filled with random architectures (default 0).
        incumbent_share: Share of the mutations reserved for the single best architecture
            (default 0: parents drawn uniformly). Where its neighbourhood is small it is then
            covered completely (NB201: all 24 single edits). As part of AG-Net's pools on NB201
            CIFAR-100 it did not find the optimum sooner (bench/notes/search-quality.md, "Early rounds:
            single edits of the best in each pool"); it is there for
            ablations and for local search on spaces where it may.

    When the parents' mutations yield fewer than ``n`` new architectures (their neighbourhoods
    are used up or excluded), the rest of the pool is uniform random architectures.
    """

    config_name = "mutation"

    def __init__(
        self, space: SearchSpace, n_parents: int = 10, max_edits: int = 1, random_fraction: float = 0.0,
        incumbent_share: float = 0.0,
    ) -> None:
        super().__init__(space)
        if n_parents < 1 or max_edits < 1 or not 0 <= random_fraction <= 1 or not 0 <= incumbent_share <= 1:
            raise InputError(
                "Need n_parents >= 1, max_edits >= 1, 0 <= random_fraction <= 1 and 0 <= incumbent_share <= 1; got "
                f"n_parents={n_parents!r}, max_edits={max_edits!r}, random_fraction={random_fraction!r}, "
                f"incumbent_share={incumbent_share!r}."
            )
        self.n_parents, self.max_edits, self.random_fraction = int(n_parents), int(max_edits), float(random_fraction)
        self.incumbent_share = float(incumbent_share)
        self._parents: list[Architecture] = []

    def get_params(self) -> dict[str, Any]:
        return {
            "n_parents": self.n_parents, "max_edits": self.max_edits, "random_fraction": self.random_fraction,
            "incumbent_share": self.incumbent_share,
        }

    def fit(self, archs: Sequence[Architecture], utilities: Any, weights: Any = None) -> None:
        u = np.asarray(utilities, dtype=float).reshape(-1)
        if len(u) != len(archs):
            raise InputError(f"Got {len(archs)} architectures but {len(u)} utilities.")
        if len(u) == 0:
            self._parents = []
            return
        order = np.argsort(-u, kind="stable")
        cut = u[order[min(self.n_parents, len(u)) - 1]]
        self._parents = [archs[i] for i in order if u[i] >= cut]

    @property
    def parents(self) -> list[Architecture]:
        """The architectures mutated by :meth:`propose` (empty before :meth:`fit`)."""
        return list(self._parents)

    def propose(self, n: int, seed: int, exclude: Iterable[str] = ()) -> list[Architecture]:
        rng = make_rng(seed)
        seen = set(exclude)
        keys = _Keys(self.space)
        out: list[Architecture] = []
        n_random = round(self.random_fraction * n) if self._parents else n
        n_top = round(self.incumbent_share * (n - n_random)) if self._parents else 0
        for parents, stop, max_tries in (
            (self._parents[:1], n_top, 20 * n_top),  # the best one's neighbourhood first
            (self._parents, n - n_random, 50 * n + 100),
        ):
            tries = 0
            while len(out) < stop and tries < max_tries:
                tries += 1
                child: Architecture | None = parents[int(rng.integers(len(parents)))]
                for _ in range(int(rng.integers(1, self.max_edits + 1))):
                    child = mutate(self.space, child, rng, key_of=keys) if child is not None else None
                if child is None:
                    continue
                k = keys(child)
                if k not in seen:
                    seen.add(k)
                    out.append(child)
        if len(out) < n:
            out += RandomProposer(self.space).propose(n - len(out), seed=int(rng.integers(2**31)), exclude=seen)
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"parents": [a.to_dict() for a in self._parents]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._parents = [Architecture.from_dict(d) for d in state.get("parents", [])]


class EvolutionProposer(Proposer):
    """Regularised evolution (Real et al., 2019) as a proposer: aging population, tournament selection.

    The population is the last ``population`` evaluated architectures passed to :meth:`fit`
    (the optimizer passes them in the order they were asked); each proposal mutates the best of ``tournament`` members drawn at random.
    Use it with ``surrogate="none"`` for the classic algorithm (``Optimizer(...,
    proposer="evolution", surrogate="none")``) or under a surrogate for a mutation-based pool.

    Args:
        space: The search space.
        population: Size of the aging population (default 10).
        tournament: Members compared per selection (default 3).
    """

    config_name = "evolution"

    def __init__(self, space: SearchSpace, population: int = 10, tournament: int = 3) -> None:
        super().__init__(space)
        if not 1 <= tournament <= population:
            raise InputError(f"Need 1 <= tournament <= population, got tournament={tournament}, population={population}.")
        self.population, self.tournament = int(population), int(tournament)
        self._members: list[Architecture] = []
        self._fitness: list[float] = []

    def get_params(self) -> dict[str, Any]:
        return {"population": self.population, "tournament": self.tournament}

    def fit(self, archs: Sequence[Architecture], utilities: Any, weights: Any = None) -> None:
        u = np.asarray(utilities, dtype=float).reshape(-1)
        if len(u) != len(archs):
            raise InputError(f"Got {len(archs)} architectures but {len(u)} utilities.")
        self._members = list(archs[-self.population :])
        self._fitness = u[-self.population :].tolist()

    def propose(self, n: int, seed: int, exclude: Iterable[str] = ()) -> list[Architecture]:
        if not self._members:
            return RandomProposer(self.space).propose(n, seed=seed, exclude=exclude)
        rng = make_rng(seed)
        seen = set(exclude)
        keys = _Keys(self.space)
        out: list[Architecture] = []
        k = min(self.tournament, len(self._members))
        for _ in range(50 * n + 100):
            if len(out) == n:
                return out
            picks = rng.choice(len(self._members), size=k, replace=False)
            parent = self._members[max(picks, key=lambda i: self._fitness[i])]
            child = mutate(self.space, parent, rng, key_of=keys)
            if child is not None and (key := keys(child)) not in seen:
                seen.add(key)
                out.append(child)
        return out + RandomProposer(self.space).propose(n - len(out), seed=int(rng.integers(2**31)), exclude=seen)

    def state_dict(self) -> dict[str, Any]:
        return {"members": [a.to_dict() for a in self._members], "fitness": list(self._fitness)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._members = [Architecture.from_dict(d) for d in state.get("members", [])]
        self._fitness = [float(v) for v in state.get("fitness", [])]


class GeneratorProposer(Proposer):
    """AG-Net's proposal distribution: a :class:`~agnet_bo.generator.Generator` retrained with rank weights.

    Args:
        space: The search space.
        generator: A trained generator (e.g. pretrained once and saved with
            :meth:`~agnet_bo.generator.Generator.save`); default: the shipped pretrained one for
            built-in spaces, else :meth:`~agnet_bo.generator.Generator.for_space` (pretrained on
            ``pretrain_samples`` random architectures once, then taken from the cache).
        mode: Generator mode when it is built here (``"autoregressive"`` or ``"paper"``).
        pretrain_samples: Random architectures for pretraining a generator for a user space.
        pretrain_epochs: Epochs of that pretraining.
        cache_dir: Cache of pretrained generators (``None``: the default folder,
            :func:`~agnet_bo.generator.default_cache_dir`; ``False``: no cache).
        pretrain_seed: Seed of pretraining a generator for a user space (default 0: every search
            of the space shares one pretrained, cached state, so a new search ``seed`` costs no
            pretraining; ``seed`` still drives the retraining). ``None``: the search's seed.
        pretrain: ``False`` builds an untrained generator, to be restored with
            :meth:`load_state_dict` (what :meth:`Optimizer.load <agnet_bo.Optimizer.load>` does).
        random_fraction: Share of each pool drawn uniformly from the space instead (keeps
            exploring; default 0).
        local_fraction: Share of each pool made of single edits of the best evaluated
            architectures (the ``n_parents`` best; with several objectives the whole front found
            so far, see :class:`MutationProposer`), default 0. The generator learns where the good
            architectures are; the edits make sure their immediate neighbourhood is scored too.
            Once the parents' unseen single edits run out, that share is filled with uniform
            random architectures (as in :class:`MutationProposer`).
        n_parents: Parents of those edits (default 10).
        incumbent_share: Share of those edits reserved for the best architecture (default 0; see
            :class:`MutationProposer`).
        seed: Seed of the generator's training.
        **config: Generator settings (``epochs``, ``rank_k``, ...).

    In a space that lists at most :data:`FINITE_POOL_LIMIT` members (a small user space, a
    :class:`~agnet_bo.spaces.CandidateSpace`), the generator's share of a pool is drawn from the
    members not yet asked, in proportion to the generator's probability of each
    (:meth:`~agnet_bo.generator.Generator.sample_from`): the same distribution as rejecting its
    draws outside the list, without the draws, so pools never run dry however few are left.
    Elsewhere, whatever the generator cannot fill (it may concentrate on evaluated
    architectures) is filled with uniform random architectures.
    """

    config_name = "agnet"

    @classmethod
    def _from_params(cls, params: dict[str, Any], **context: Any) -> Any:
        """A generator passed in at construction is rebuilt untrained from ``generator_config``
        (its weights come with :meth:`load_state_dict`)."""
        space = context["space"]
        gen_cfg = params.pop("generator_config", None)
        if gen_cfg is not None:
            from agnet_bo.generator import GeneratorConfig

            params["generator"] = Generator(space, GeneratorConfig.from_dict(gen_cfg), seed=params.get("seed", 0))
        return cls(space, **params)

    def __init__(
        self,
        space: SearchSpace,
        generator: Generator | None = None,
        *,
        mode: str = "autoregressive",
        pretrain_samples: int = 5000,
        pretrain_epochs: int = 3,
        random_fraction: float = 0.0,
        local_fraction: float = 0.0,
        n_parents: int = 10,
        incumbent_share: float = 0.0,
        seed: int = 0,
        cache_dir: Any = None,
        pretrain: bool = True,
        pretrain_seed: int | None = 0,
        **config: Any,
    ) -> None:
        super().__init__(space)
        given = generator is not None
        fr = (random_fraction, local_fraction)
        if not all(isinstance(f, (int, float)) and 0 <= f < 1 for f in fr) or sum(fr) >= 1:
            raise InputError(
                "`random_fraction` and `local_fraction` must be in [0, 1) with a sum below 1 (the rest of "
                f"the pool comes from the generator); got random_fraction={random_fraction!r}, "
                f"local_fraction={local_fraction!r}."
            )
        if generator is None and not (pretrain and _PRETRAIN.get()):
            generator = Generator(space, seed=seed, mode=mode, **config)
        elif generator is None:
            generator = Generator.for_space(
                space, mode, seed=seed, pretrain_samples=pretrain_samples, pretrain_epochs=pretrain_epochs,
                cache_dir=cache_dir, pretrain_seed=pretrain_seed, **config,
            )
        elif not isinstance(generator, Generator):
            raise InputError(f"`generator` must be an agnet_bo.generator.Generator, got {type(generator).__name__}.")
        elif generator.space is not space and space_fingerprint(generator.space) != space_fingerprint(space):
            raise InputError(
                f"The generator was built for {generator.space!r}, whose structure differs from {space!r}; "
                "pretrain one for this space (Generator.for_space(space))."
            )
        self.generator = generator
        self._before_prior: dict[str, Any] | None = None  # the generator's state before fit_prior
        self.random_fraction, self.local_fraction = float(random_fraction), float(local_fraction)
        self._local = MutationProposer(space, n_parents=n_parents, incumbent_share=incumbent_share)
        self._params: dict[str, Any] = {
            "mode": mode, "pretrain_samples": pretrain_samples, "pretrain_epochs": pretrain_epochs,
            "random_fraction": self.random_fraction, "local_fraction": self.local_fraction, "n_parents": n_parents,
            "incumbent_share": incumbent_share, "seed": seed, **config,
        }
        if pretrain_seed != 0:
            self._params["pretrain_seed"] = pretrain_seed
        if cache_dir is not None:
            self._params["cache_dir"] = cache_dir if cache_dir is False else str(cache_dir)
        if given:  # saved with the search: a load rebuilds it untrained, then restores its weights
            self._params["generator_config"] = generator.config.to_dict()

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments; a generator passed in is described by ``generator_config``
        (its weights are in :meth:`state_dict`)."""
        return dict(self._params)

    def fit(self, archs: Sequence[Architecture], utilities: Any, weights: Any = None) -> None:
        u = np.asarray(utilities, dtype=float).reshape(-1)
        if weights is None:
            weights = rank_weights(u, self.generator.config.rank_k)
        self.generator.update(archs, u, weights=weights, max_draws=self.max_fit_size)
        self._local.fit(archs, u)

    def fit_prior(self, archs: Sequence[Architecture], utilities: Any) -> None:
        """Fine-tune the generator on a prior's best architectures with rank weights, for
        :data:`PRIOR_EPOCHS` epochs: enough to move its draws towards them while they stay
        diverse (the 10 epochs of a retraining concentrated them on a few cells, so that pools
        filled slowly; a one-off check, not yet a benchmark of its own)."""
        u = np.asarray(utilities, dtype=float).reshape(-1)
        if self._before_prior is None:  # what forget_prior goes back to
            self._before_prior = copy.deepcopy(self.generator.state_dict())
        self.generator.update(archs, u, weights=rank_weights(u, self.generator.config.rank_k), epochs=PRIOR_EPOCHS)

    def forget_prior(self) -> bool:
        """Put the generator back as it was before :meth:`fit_prior` (the caller refits it on the
        search's own results): a prior the search has dismissed no longer steers its draws."""
        if self._before_prior is None:
            return False
        self.generator.load_state_dict(self._before_prior)
        self._before_prior = None
        return True

    def _finite_members(self) -> list[tuple[str, Architecture]] | None:
        """``(key, arch)`` of every member when the space lists at most FINITE_POOL_LIMIT, else None."""
        size = self.space.size
        return self.space.keyed_members() if size is not None and size <= FINITE_POOL_LIMIT else None

    def propose(self, n: int, seed: int, exclude: Iterable[str] = ()) -> list[Architecture]:
        excluded = set(exclude)
        n_random = round(self.random_fraction * n)
        n_local = round(self.local_fraction * n) if self._local.parents else 0
        out: list[Architecture] = []
        if n_local:  # the local edits first: the generator fills what they leave
            out = self._local.propose(n_local, seed=seed + 2, exclude=excluded)
            excluded |= {self.space.key(a) for a in out}
        want = n - n_random - len(out)
        members = self._finite_members()
        if members is not None:
            gen = self.generator.sample_from([a for k, a in members if k not in excluded], want, seed=seed)
        else:
            gen = self.generator.sample(want, seed=seed, exclude=excluded, allow_fewer=True)
        out += gen
        if len(out) < n:  # the random share, and whatever the generator could not fill
            excluded |= {self.space.key(a) for a in gen}
            out += RandomProposer(self.space).propose(n - len(out), seed=seed + 1, exclude=excluded)
        return out

    def state_dict(self) -> dict[str, Any]:
        """The generator's weights, the local edits' parents and, between :meth:`fit_prior` and
        :meth:`forget_prior`, the generator's weights from before the prior."""
        state = {"generator": self.generator.state_dict(), "local": self._local.state_dict()}
        if self._before_prior is not None:
            state["before_prior"] = self._before_prior
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.load_state_dict(state["generator"])
        self._local.load_state_dict(state.get("local", {}))
        before = state.get("before_prior")
        self._before_prior = None if before is None else copy.deepcopy(before)


_PRETRAIN: contextvars.ContextVar[bool] = contextvars.ContextVar("agnet_bo_pretrain", default=True)


@contextlib.contextmanager
def restoring() -> Iterator[None]:
    """Within this block, a :class:`GeneratorProposer` built without a generator gets an untrained
    one instead of pretraining (or reading the cache): its state is about to be loaded.
    :meth:`Optimizer.from_state_dict <agnet_bo.Optimizer.from_state_dict>` builds its proposer so."""
    token = _PRETRAIN.set(False)
    try:
        yield
    finally:
        _PRETRAIN.reset(token)


def is_restoring() -> bool:
    """Whether the calling code runs inside :func:`restoring`."""
    return not _PRETRAIN.get()


PRIOR_EPOCHS = 5
"""Epochs of :meth:`GeneratorProposer.fit_prior` on a prior's best architectures."""


FINITE_POOL_LIMIT = 5000
"""A space that lists at most this many members has its generator proposals drawn from the members
left (:meth:`~agnet_bo.generator.Generator.sample_from`). Scoring 5,000 architectures' likelihood
takes well under a second; NAS-Bench-201 (15,625 cells) keeps the generator's own draws."""
