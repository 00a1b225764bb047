"""The AG-Net generator: pretraining, weighted retraining and sampling for any search space.

:class:`Generator` wires the pieces of this package: the decoder network (:mod:`.model`), its
settings (:mod:`.config`), the encoding of architectures as tensors (:mod:`.data`), the training
objective of its mode (:mod:`.losses`) and loop (:mod:`.training`), sampling (:mod:`.sampling`),
saved states (:mod:`.state`) and the per-space cache of pretrained generators (:mod:`.cache`).
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor

from agnet_bo._threads import torch_threads
from agnet_bo._validation import check_int, check_seed
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, NotFittedError, PretrainingWarning, SamplingError
from agnet_bo.generator import cache, losses, sampling, training
from agnet_bo.generator.cache import default_cache_dir
from agnet_bo.generator.config import GeneratorConfig
from agnet_bo.generator.data import GraphEncoder
from agnet_bo.generator.model import GraphDecoder
from agnet_bo.generator.sampling import SampleStats
from agnet_bo.generator.state import (
    FORMAT,
    check_state,
    read_state,
    shipped_state,
    space_fingerprint,
    state_config,
    write_state,
)
from agnet_bo.generator.training import rank_weights
from agnet_bo.spaces.base import SearchSpace, SeedLike, make_rng

__all__ = ["Generator", "rank_weights", "space_fingerprint", "SampleStats", "default_cache_dir"]

logger = logging.getLogger(__name__)


def _threads(method: Any) -> Any:
    """Run a Generator method with ``self.num_threads`` torch threads, restoring the setting after."""

    @functools.wraps(method)
    def wrapper(self: Generator, *args: Any, **kwargs: Any) -> Any:
        with torch_threads(self.num_threads):
            return method(self, *args, **kwargs)

    return wrapper


def _as_seed(value: object) -> int:
    """A non-negative int seed (:func:`~agnet_bo._validation.check_seed`)."""
    return cast(int, check_seed(value))


class Generator:
    r"""AG-Net's graph generator: a proposal distribution over the architectures of a space.

    It builds graphs node by node (:class:`~agnet_bo.generator.model.GraphDecoder`) and keeps
    them valid by construction where the space can say how (``node_type_mask``,
    ``allowed_sources``, ``in_degree_bounds``, a fixed adjacency); anything else (a user's
    constraint, edge limits) is checked with ``space.is_valid`` and rejected.

    Two training modes (``config.mode``):

    * ``"autoregressive"`` (default, see ``bench/notes/generator.md``, "Which mode is the default"): maximum likelihood with teacher
      forcing; at sampling time the sampled node types and edges are fed back. The latent is not
      used (``z = 0``).
    * ``"paper"``: the published objective without the reference code's defects: every target is
      reconstructed from an independent latent draw ``z ~ N(0, I)`` (training and sampling prior
      agree) with the partial graph built from *sampled* node types and edges, jointly with the
      paper's surrogate (an MLP on the generator's teacher-forced output scores of the
      architecture itself, :meth:`predict`), ``(1 - alpha) * reconstruction + alpha * MSE``,
      the MSE back-propagated into the generator.

    Weighted retraining (:meth:`update`) draws each epoch's training architectures with
    replacement in proportion to the rank weights ``1 / (k N + rank)``; the loss itself is not
    weighted again (the reference code applied the weights twice).

    Args:
        space: The search space.
        config: Sizes and training settings (``GeneratorConfig()``).
        seed: Seed of the parameter initialisation and of training.
        num_threads: torch intra-op threads while the generator computes (restored afterwards).
            The network is tiny, so one thread is fastest, and on a loaded machine more threads
            are catastrophically slow (60x measured on 2 busy cores); ``None`` leaves torch's setting.
        **overrides: Shortcuts for ``config`` fields, e.g. ``mode="paper"``.

    Example:
        >>> from agnet_bo.spaces import DAGSpace
        >>> space = DAGSpace.chain(["a", "b", "c"], num_layers=3)
        >>> gen = Generator(space, seed=0)
        >>> _ = gen.pretrain(n_samples=27, epochs=2, progress=False)
        >>> archs = gen.sample(5, seed=0)
        >>> len(archs), all(space.is_valid(a) for a in archs)
        (5, True)
    """

    def __init__(
        self,
        space: SearchSpace,
        config: GeneratorConfig | None = None,
        *,
        seed: int = 0,
        num_threads: int | None = 1,
        **overrides: Any,
    ) -> None:
        if not isinstance(space, SearchSpace):
            raise InputError(f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__}.")
        config = config or GeneratorConfig()
        if overrides:
            config = GeneratorConfig.from_dict({**config.to_dict(), **overrides})
        self.space = space
        self.config = config
        self._seed = _as_seed(seed)
        self.num_threads = num_threads
        self._encoder = GraphEncoder(space)
        objective = losses.LOSSES[config.mode]  # the only place the mode is looked at
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)  # parameter initialisation only; the global state is restored
            self.model = GraphDecoder(self._encoder.num_types, self._encoder.max_nodes, config)
            self.surrogate_head: torch.nn.Module | None = objective.make_head(self._encoder, config)
        self._loss = objective(self.model, self.surrogate_head, self._encoder, config)
        self._target_stats = (0.0, 1.0)
        self._trained = False
        self._steps = 0
        self._sampler: GraphDecoder | None = None
        self._check = sampling.DrawChecker(space)
        self.last_sample_stats = SampleStats()

    # -- construction helpers -----------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, space: SearchSpace, mode: str = "autoregressive", *, seed: int = 0, **overrides: Any) -> Generator:
        """A generator with the state shipped in the package for a built-in space.

        Args:
            space: An ``NB201Space``, ``NB101Space`` or ``DARTSSpace``.
            mode: ``"autoregressive"`` or ``"paper"``.
            seed: Seed of later training.
            **overrides: Training settings (``epochs``, ``rank_k``, ...) to change.

        Raises:
            InputError: If no state is shipped for this space and mode (pretrain one with
                :meth:`pretrain` instead).
        """
        return cls._from_state(shipped_state(space, mode), space, seed, overrides)

    @classmethod
    def for_space(
        cls,
        space: SearchSpace,
        mode: str = "autoregressive",
        *,
        seed: int = 0,
        pretrain_samples: int = 5000,
        pretrain_epochs: int = 3,
        cache_dir: str | os.PathLike[str] | bool | None = None,
        progress: bool = False,
        pretrain_seed: int | None = None,
        **overrides: Any,
    ) -> Generator:
        """A pretrained generator for any space: the shipped state of a built-in space, else one
        pretrained once and cached.

        For a space without a shipped state, a cache file is looked up under a key made of the
        space's structure (:func:`space_fingerprint`), the network's settings, the pretraining
        settings, the seed and what the space samples: its own description when it holds no
        code (a ``DAGSpace`` without callables, a ``CandidateSpace`` over one; nothing is
        drawn then), else the keys of the pretraining samples (:meth:`pretraining_samples`), so
        a space defined by a constraint callable finds its file exactly when it has the same
        members. On a miss the generator is pretrained (logged at INFO level) and saved there;
        files are read with ``torch.load(weights_only=True)``, and an unreadable one is rebuilt.

        Args:
            space: The search space.
            mode: ``"autoregressive"`` or ``"paper"``.
            seed: Seed of later training (and of pretraining unless ``pretrain_seed`` is given).
            pretrain_samples: Random architectures to pretrain on (fewer if the space is smaller).
            pretrain_epochs: Passes over them.
            cache_dir: Where pretrained states are kept: a folder, ``None`` for
                :func:`default_cache_dir`, ``False`` to neither read nor write a cache.
            progress: Show a progress bar while pretraining.
            pretrain_seed: Seed of the pretraining samples and of pretraining, and part of the
                cache key (default: ``seed``). Searches that pass one value here share one
                pretrained state whatever their own ``seed`` (what
                :class:`~agnet_bo.proposers.GeneratorProposer` does: a new search seed costs no
                pretraining).
            **overrides: Generator settings (``epochs``, ``rank_k``, ...).
        """
        try:
            return cls.from_pretrained(space, mode, seed=seed, **overrides)
        except InputError:
            pass
        pre = seed if pretrain_seed is None else pretrain_seed
        gen = cls(space, seed=pre, mode=mode, **overrides)
        folder = cache.cache_folder(cache_dir)
        described = cache.self_description(space)
        archs = None if described is not None and folder is not None else gen.pretraining_samples(pretrain_samples)
        path = None
        if folder is not None:
            keys = [space.key(a) for a in archs or []]
            path = cache.cache_path(folder, cache.cache_key(space, gen.config, described, keys, pretrain_samples, pretrain_epochs, pre))
            if path.is_file():
                try:
                    gen.load_state_dict(read_state(path))
                    gen._seed = _as_seed(seed)
                    logger.info("Loaded the pretrained generator for %r from %s", space, path)
                    return gen
                except Exception as exc:  # a damaged cache file is rebuilt, never trusted
                    warnings.warn(f"Ignoring an unreadable cached generator {path}: {exc}", UserWarning, stacklevel=2)
        if archs is None:
            archs = gen.pretraining_samples(pretrain_samples)
        logger.info("Pretraining a generator for %r on %d architectures (%d epochs)", space, len(archs), pretrain_epochs)
        gen.pretrain(archs=archs, epochs=pretrain_epochs, progress=progress)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                gen.save(path)
                logger.info("Cached the pretrained generator at %s", path)
            except OSError as exc:
                warnings.warn(f"Could not cache the pretrained generator at {path}: {exc}", UserWarning, stacklevel=2)
        gen._seed = _as_seed(seed)  # later training: the caller's seed
        return gen

    @classmethod
    def _from_state(cls, state: Any, space: SearchSpace, seed: int | None, overrides: dict[str, Any], num_threads: int | None = 1) -> Generator:
        config = state_config(state, overrides)
        gen = cls(space, config, seed=int(state.get("seed", 0)) if seed is None else seed, num_threads=num_threads)
        gen.load_state_dict(state)
        if seed is not None:
            gen._seed = _as_seed(seed)
        return gen

    @property
    def is_trained(self) -> bool:
        """Whether the generator was pretrained, updated or loaded (and so can sample)."""
        return self._trained

    def num_parameters(self) -> int:
        """Number of parameters of the decoder (and of the paper surrogate head, if any)."""
        mods = [self.model] + ([self.surrogate_head] if self.surrogate_head is not None else [])
        return sum(p.numel() for m in mods for p in m.parameters())

    # -- training -----------------------------------------------------------------------------
    @_threads
    def _train(self, archs: Sequence[Architecture], probs: np.ndarray | None, values: np.ndarray | None, epochs: int, seed: SeedLike, progress: bool, desc: str) -> dict[str, float]:
        rng = make_rng(self._seed + 7919 * self._steps if seed is None else seed)
        recs = [self._encoder.record(a) for a in archs]
        target_stats = self._loss.start(values)
        if target_stats is not None:
            self._target_stats = target_stats
        out = training.run_epochs(self.model, self.surrogate_head, self._loss, self._encoder, recs, probs, epochs, rng, self.config, progress, desc)
        self._trained = True
        self._steps += 1
        self._sampler = None
        return out

    def pretraining_samples(self, n_samples: int = 10_000, *, seed: SeedLike = None) -> list[Architecture]:
        """The random architectures :meth:`pretrain` trains on: ``n_samples`` of ``space.sample``,
        or every member of a smaller space, or (with a :class:`~agnet_bo.exceptions.PretrainingWarning`)
        as many as the space gave before its sampler gave up.

        Raises:
            InputError: If ``n_samples`` is not a positive int.
            SamplingError: If the space gave no architecture at all.
        """
        n_samples = check_int("n_samples", n_samples, minimum=1)
        size = self.space.size
        n = n_samples if size is None else min(n_samples, size)
        try:
            return self.space.sample(n, seed=make_rng(self._seed + 1 if seed is None else seed))
        except SamplingError as exc:
            if not exc.found:
                raise
            warnings.warn(
                f"Pretraining the generator for {self.space!r} on the {len(exc.found)} architectures the space "
                f"gave instead of {n}: {exc}",
                PretrainingWarning,
                stacklevel=3,
            )
            return [a for a in exc.found if isinstance(a, Architecture)]

    def pretrain(self, n_samples: int = 10_000, epochs: int = 5, *, seed: SeedLike = None, archs: Sequence[Architecture] | None = None, progress: bool = True) -> dict[str, float]:
        """Train without labels to reproduce random architectures of the space.

        Args:
            n_samples: How many random architectures to draw with ``space.sample`` (ignored if
                ``archs`` is given).
            epochs: Passes over them.
            seed: Seed of the samples and of training (default: derived from the generator's).
            archs: Train on these instead of fresh samples.
            progress: Show a progress bar.

        Returns:
            ``{"loss": last batch loss, "batches": number of batches}``.
        """
        if archs is None:
            archs = self.pretraining_samples(n_samples, seed=seed)
        archs = self._encoder.prepare(archs, "archs")
        if not archs:
            raise InputError("pretrain needs at least one architecture.")
        epochs = check_int("epochs", epochs, minimum=1)
        return self._train(archs, None, None, epochs, seed, progress, "pretraining generator")

    def update(
        self, archs: Sequence[Architecture], values: Any = None, *, weights: Any = None, epochs: int | None = None,
        seed: SeedLike = None, progress: bool = False, max_draws: int | None = None,
    ) -> dict[str, float]:
        """Weighted retraining on evaluated architectures.

        Each epoch draws ``len(archs)`` architectures with replacement in proportion to the
        weights: the rank weights of ``values`` (larger is better) unless ``weights`` are given.
        Past ``max_draws`` architectures, the retraining is one pass over ``max_draws`` such draws
        instead, so its cost stops growing with the history: the generator is retrained from its
        current weights, round after round, so a long history still reaches it in full over the
        rounds, while the rank weights keep the best architectures the most frequent draws.

        Args:
            archs: ``N`` evaluated architectures.
            values: ``N`` finite values, larger is better (needed unless ``weights`` is given, and
                in paper mode for the joint surrogate loss).
            weights: ``N`` non-negative sampling weights (e.g. from non-dominated ranks).
            epochs: Passes (default ``config.epochs``).
            seed: Seed of the resampling (default: derived from the generator's seed and the
                number of previous trainings, so repeated runs are reproducible).
            progress: Show a progress bar.
            max_draws: The bound above (``None``: none). With at most ``max_draws``
                architectures nothing changes.

        Raises:
            InputError: On empty input, mismatched lengths, NaN or negative weights.
        """
        archs = list(archs) if not isinstance(archs, list) else archs
        if len(archs) == 0:
            raise InputError("update needs at least one evaluated architecture, got none.")
        vals, probs = training.resampling_probabilities(len(archs), values, weights, self.config.rank_k)
        if self._loss.needs_values and vals is None:
            raise InputError("The paper mode trains its surrogate jointly and needs `values`.")
        epochs = check_int("epochs", self.config.epochs if epochs is None else epochs, minimum=1)
        weighted: np.ndarray | None = probs
        if max_draws is not None and len(archs) > check_int("max_draws", max_draws, minimum=1):
            # one pass over a weighted subsample: only the drawn architectures are prepared
            draw = make_rng(self._seed + 7919 * self._steps + 1 if seed is None else seed)
            idx = draw.choice(len(archs), size=max_draws, replace=True, p=probs)
            archs, vals, weighted, epochs = [archs[i] for i in idx], None if vals is None else vals[idx], None, 1
        archs = self._encoder.prepare(archs, "archs")
        return self._train(archs, weighted, vals, epochs, seed, progress, "updating generator")

    # -- the paper surrogate ------------------------------------------------------------------
    @_threads
    def predict(self, archs: Sequence[Architecture]) -> Tensor:
        """Paper mode only: the jointly trained surrogate's predictions (``n``, in the values' units).

        This method and :attr:`surrogate_head` are the public contract the optimizer's
        ``surrogate="paper"`` relies on: it ranks its candidate pool by ``predict(pool)``.

        Raises:
            InputError: In autoregressive mode (use a surrogate from ``agnet_bo.surrogates``).
            NotFittedError: Before any :meth:`update` with values.
        """
        if self.surrogate_head is None:
            raise InputError("predict() is the paper mode's joint surrogate; this generator is autoregressive.")
        if not self._trained:
            raise NotFittedError("The generator has not been trained; call update(archs, values) first.")
        archs = self._encoder.prepare(archs, "archs")
        if not archs:
            return torch.zeros(0, dtype=torch.float64)
        with torch.no_grad():
            batch = self._encoder.encode(archs)
            pred = self.surrogate_head(losses.surrogate_features(self.model, self._encoder, batch, self.config.latent_dim)).squeeze(-1).double()
        mean, std = self._target_stats
        return pred * std + mean

    @_threads
    def log_likelihood(self, archs: Sequence[Architecture]) -> Tensor:
        """Teacher-forced log-probability of each architecture (``n``; ``z = 0`` in paper mode)."""
        self._check_trained()
        archs = self._encoder.prepare(archs, "archs")
        if not archs:
            return torch.zeros(0, dtype=torch.float64)
        out = []
        with torch.no_grad():
            for start in range(0, len(archs), 256):  # bounded memory for long lists
                batch = self._encoder.encode(archs[start : start + 256])
                out.append(losses.log_likelihood(self.model, self._encoder, batch, self.config))
        return torch.cat(out)

    # -- sampling -----------------------------------------------------------------------------
    def _check_trained(self) -> None:
        if not self._trained:
            raise NotFittedError(
                f"The generator for {self.space!r} is untrained. Call pretrain(), update(), load a state, "
                "or use Generator.from_pretrained(space) for a built-in space."
            )

    def _draws(self, seed: int, start: int, count: int) -> list[Architecture | None]:
        """Draws ``start .. start + count - 1`` of ``seed``, by a float64 copy of the decoder."""
        model = self._sampler
        if model is None:
            model = copy.deepcopy(self.model).double().eval()
            self._sampler = model
        enc = self._encoder
        noise = sampling.draw_noise(seed, start, count, enc.max_nodes, self.config.latent_dim, self._loss.latent_prior)
        return sampling.generate(model, enc, noise)

    @_threads
    def draw(self, n: int, seed: int = 0, *, start: int = 0, batch_size: int = 256) -> list[Architecture | None]:
        """Raw draws ``start .. start + n - 1`` of :meth:`sample`'s sequence, before any check.

        Entries are ``None`` where the decoded graph is not even a well-formed architecture. Use
        it to measure the generator (validity, diversity); :meth:`sample` is what a search uses.
        """
        self._check_trained()
        seed = _as_seed(seed)
        out: list[Architecture | None] = []
        for first in range(start, start + n, batch_size):
            count = min(batch_size, start + n - first)
            out.extend(self._draws(seed, first, count))
        return out

    @_threads
    def sample(
        self,
        n: int,
        seed: int = 0,
        exclude: Iterable[str] = (),
        *,
        batch_size: int = 256,
        max_draws: int | None = None,
        allow_fewer: bool = False,
    ) -> list[Architecture]:
        """Draw ``n`` valid architectures with distinct keys, none of whose keys is in ``exclude``.

        Graph ``i`` is generated from randomness derived from ``(seed, i)`` alone, and graphs are
        taken in index order, so the result depends only on the seed, the state and ``exclude``,
        not on ``batch_size``. Statistics of the call are in :attr:`last_sample_stats`.

        Args:
            n: How many.
            seed: A non-negative int.
            exclude: Keys (``space.key``) to skip, e.g. evaluated and pending architectures.
            batch_size: Graphs generated per batch (speed only).
            max_draws: Give up after this many graphs (default ``max(2000, 200 n)``), or
                earlier once 2,000 draws in a row, and as many as all draws before them, gave
                nothing new (what the generator reaches, less ``exclude``, is used up).
            allow_fewer: Return what was found when ``n`` were not found within ``max_draws``
                (a small space, or one mostly excluded), instead of raising.

        Raises:
            NotFittedError: If the generator is untrained.
            SamplingError: If ``n`` new valid architectures were not found within ``max_draws``
                (and ``allow_fewer`` is False); its ``found`` holds those that were.
        """
        self._check_trained()
        n = check_int("n", n, minimum=0)
        seed = _as_seed(seed)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        limit = max(2000, 200 * n) if max_draws is None else check_int("max_draws", max_draws, minimum=0)
        found, stats = sampling.collect(
            lambda start, count: self._draws(seed, start, count), self._check, n, set(exclude), limit, batch_size
        )
        self.last_sample_stats = stats
        if len(found) < n and not allow_fewer:
            raise SamplingError(
                f"The generator found only {len(found)} new valid architectures of the {n} asked for in "
                f"{stats.draws} draws ({stats.invalid} invalid, {stats.duplicates} duplicates, {stats.excluded} "
                "excluded). It may have collapsed onto evaluated architectures: retrain with a larger rank_k, "
                "fewer epochs, or mix in samples from the space.",
                found=found,
            )
        return found

    @_threads
    def sample_from(self, candidates: Sequence[Architecture], n: int, seed: int = 0) -> list[Architecture]:
        """``n`` distinct architectures of a finite list, drawn without replacement in proportion
        to the generator's probability of each (:meth:`log_likelihood`).

        This is the generator's distribution restricted to the list: what :meth:`sample` would
        return if every draw outside the list were rejected, without drawing the graphs (Gumbel
        top-``k``), so it works however small a share of the generator's mass the list holds.

        Args:
            candidates: Distinct members of the space (e.g. those not yet evaluated).
            n: How many (at most ``len(candidates)``; fewer are returned if the list is shorter).
            seed: A non-negative int.
        """
        self._check_trained()
        seed = _as_seed(seed)
        if not candidates or n <= 0:
            return []
        logp = self.log_likelihood(candidates).numpy()
        return [candidates[i] for i in sampling.gumbel_top_k(logp, n, seed)]

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to restore the generator; loadable with ``torch.load(..., weights_only=True)``."""
        return {
            "format": FORMAT,
            "fingerprint": space_fingerprint(self.space),
            "config": self.config.to_dict(),
            "model": self.model.state_dict(),
            "surrogate_head": None if self.surrogate_head is None else self.surrogate_head.state_dict(),
            "target_stats": list(self._target_stats),
            "trained": self._trained,
            "steps": self._steps,
            "seed": self._seed,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`.

        Raises:
            InputError: If the state is not a generator state, was saved for another space, or
                for another configuration.
        """
        check_state(state, self.space, self.config)
        self.model.load_state_dict(state["model"])
        if self.surrogate_head is not None and state["surrogate_head"] is not None:
            self.surrogate_head.load_state_dict(state["surrogate_head"])
        self._target_stats = tuple(state["target_stats"])
        self._trained = bool(state["trained"])
        self._steps = int(state["steps"])
        self._sampler = None
        self.model.eval()

    def save(self, path: str | Path) -> None:
        """Write :meth:`state_dict` to ``path`` atomically (temporary file, then rename)."""
        write_state(path, self.state_dict())

    @classmethod
    def load(cls, path: str | Path, space: SearchSpace, **overrides: Any) -> Generator:
        """A generator for ``space`` from a file written by :meth:`save` (``weights_only=True``).

        ``overrides`` change training settings (not the network's sizes or mode).
        """
        return cls._from_state(read_state(path), space, None, overrides)

    def __repr__(self) -> str:
        return f"Generator({self.space!r}, mode={self.config.mode!r}, trained={self._trained})"
