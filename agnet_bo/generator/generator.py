"""The AG-Net generator: pretraining, weighted retraining and sampling for any search space."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from agnet_bo._threads import torch_threads
from agnet_bo.architecture import OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, NotFittedError, PretrainingWarning, SamplingError
from agnet_bo.generator.model import GeneratorConfig, GraphDecoder, _mlp
from agnet_bo.spaces.base import SearchSpace, SeedLike, make_rng

__all__ = ["Generator", "rank_weights", "space_fingerprint", "SampleStats", "default_cache_dir"]

logger = logging.getLogger(__name__)

_FORMAT = "agnet_bo.generator/1"
_NONE, _CATEGORICAL, _BERNOULLI = 0, 1, 2


def _threads(method: Any) -> Any:
    """Run a Generator method with ``self.num_threads`` torch threads, restoring the setting after."""

    @functools.wraps(method)
    def wrapper(self: Generator, *args: Any, **kwargs: Any) -> Any:
        with torch_threads(self.num_threads):
            return method(self, *args, **kwargs)

    return wrapper


def rank_weights(values: Any, k: float = 0.01) -> np.ndarray:
    r"""AG-Net's rank weights ``w_i = 1 / (k N + rank_i)`` (rank 0 = the largest value), normalised.

    Args:
        values: ``N`` values, larger is better. NaN is not allowed.
        k: The sharpness constant (smaller is sharper).

    Returns:
        ``N`` non-negative weights summing to 1. Ties share the mean of their ranks.

    Example:
        >>> w = rank_weights([0.1, 0.9, 0.5], k=0.01)
        >>> [round(float(x), 3) for x in w]  # 1 / (0.03 + rank), normalised
        [0.014, 0.958, 0.028]
    """
    from scipy.stats import rankdata

    v = np.asarray(values, dtype=float).reshape(-1)
    if v.size == 0:
        raise InputError("rank_weights needs at least one value, got none.")
    if not np.isfinite(v).all():
        raise InputError(f"rank_weights needs finite values, got {v[~np.isfinite(v)][:5].tolist()}.")
    ranks = rankdata(-v, method="average") - 1.0
    w = 1.0 / (k * len(v) + ranks)
    return w / w.sum()


def space_fingerprint(space: SearchSpace) -> dict[str, Any]:
    """What a saved generator state must match to be loaded into a generator for ``space``
    (the structure of its :attr:`~agnet_bo.spaces.SearchSpace.base_space`)."""
    space = space.base_space
    fixed = space.fixed_adjacency
    return {
        "space": type(space).__name__,
        "node_types": list(space.node_types),
        "max_nodes": int(space.max_nodes),
        "min_nodes": int(space.min_nodes),
        "fixed_adjacency": None if fixed is None else np.asarray(fixed).astype(int).tolist(),
    }


@dataclass
class SampleStats:
    """Counts of the last :meth:`Generator.sample` call.

    ``draws`` graphs were generated; ``invalid`` failed ``space.is_valid`` (the rejection
    fallback), ``duplicates`` repeated a key already returned, ``excluded`` hit ``exclude``.
    """

    draws: int = 0
    invalid: int = 0
    duplicates: int = 0
    excluded: int = 0

    @property
    def validity(self) -> float:
        """Share of generated graphs that were valid before rejection."""
        return 1.0 - self.invalid / self.draws if self.draws else math.nan


@dataclass
class _Record:
    types: np.ndarray  # N int, 0 where absent
    length: int
    adj: np.ndarray  # N x N float
    allowed: np.ndarray  # N x N bool: allowed[u, t]
    kind: np.ndarray  # N int: loss kind of node t's edges


class Generator:
    r"""AG-Net's graph generator: a proposal distribution over the architectures of a space.

    It builds graphs node by node (:class:`~agnet_bo.generator.model.GraphDecoder`) and keeps
    them valid by construction where the space can say how (``node_type_mask``,
    ``allowed_sources``, ``in_degree_bounds``, a fixed adjacency); anything else (a user's
    constraint, edge limits) is checked with ``space.is_valid`` and rejected.

    Two training modes (``config.mode``):

    * ``"autoregressive"`` (default, see ``bench/RESULTS.md``): maximum likelihood with teacher
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
        self._seed = int(seed)
        self.num_threads = num_threads
        self._types = tuple(space.node_types)
        self._type_index = {t: i for i, t in enumerate(self._types)}
        self._n = int(space.max_nodes)
        self._a = len(self._types)
        self._i_out = self._type_index[OUTPUT]
        self._type_mask = torch.as_tensor(np.asarray(space.node_type_mask(), dtype=bool))
        self._static_edges = np.asarray(space.edge_mask(), dtype=bool)
        cls = type(space)
        self._dynamic_sources = cls.allowed_sources is not SearchSpace.allowed_sources
        self._bounds_cache: dict[tuple[int, str], tuple[int, int]] = {}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)  # parameter initialisation only; the global state is restored
            self.model = GraphDecoder(self._a, self._n, config)
            feat = (self._n - 1) * (self._a + self._n)
            h = config.hidden_dim
            self.surrogate_head = _mlp([feat, 4 * h, 2 * h, h, h, 1]) if config.mode == "paper" else None
        self._target_stats = (0.0, 1.0)
        self._trained = False
        self._steps = 0
        self._sampler: GraphDecoder | None = None
        self._records: dict[Architecture, _Record] = {}
        self._check_memo: dict[Architecture, tuple[Architecture, str] | None] = {}
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
        name = _PRETRAINED.get(type(space.base_space).__name__)
        path = resources.files("agnet_bo.generator").joinpath(f"pretrained/{name}-{mode}.pt") if name else None
        if path is None or not path.is_file():
            shipped = sorted(p.name for p in resources.files("agnet_bo.generator").joinpath("pretrained").iterdir() if p.name.endswith(".pt"))
            raise InputError(
                f"No pretrained generator is shipped for {type(space.base_space).__name__} in mode {mode!r} "
                f"(shipped: {shipped}). Build one with Generator(space, mode={mode!r}).pretrain(...)."
            )
        with path.open("rb") as fh:
            state = torch.load(fh, weights_only=True)
        # the shipped file fixes the network; training settings are today's defaults
        shape = {k: state["config"][k] for k in _SHAPE_FIELDS}
        return cls._from_state({**state, "config": {**GeneratorConfig().to_dict(), **shape}}, space, seed, overrides)

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
            seed: Seed of pretraining and of later training.
            pretrain_samples: Random architectures to pretrain on (fewer if the space is smaller).
            pretrain_epochs: Passes over them.
            cache_dir: Where pretrained states are kept: a folder, ``None`` for
                :func:`default_cache_dir`, ``False`` to neither read nor write a cache.
            progress: Show a progress bar while pretraining.
            **overrides: Generator settings (``epochs``, ``rank_k``, ...).
        """
        try:
            return cls.from_pretrained(space, mode, seed=seed, **overrides)
        except InputError:
            pass
        gen = cls(space, seed=seed, mode=mode, **overrides)
        folder = None if cache_dir is False else Path(default_cache_dir() if cache_dir in (None, True) else cache_dir)  # type: ignore[arg-type]
        described = _self_description(space)
        archs = None if described is not None and folder is not None else gen.pretraining_samples(pretrain_samples)
        path = None
        if folder is not None:
            ident = {
                "fingerprint": space_fingerprint(space),
                "config": {k: v for k, v in gen.config.to_dict().items() if k not in ("epochs", "rank_k")},  # retraining only
                # a space that describes itself fully is keyed by that; otherwise by what it samples
                "space": described if described is not None else sorted(space.key(a) for a in archs or []),
                "samples": int(pretrain_samples),
                "epochs": int(pretrain_epochs),
                "seed": int(seed),
                "format": _FORMAT,
            }
            digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:24]
            path = folder / "generators" / f"{digest}.pt"
            if path.is_file():
                try:
                    gen.load_state_dict(torch.load(path, weights_only=True))
                    gen._seed = int(seed)
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
        return gen

    @classmethod
    def _from_state(cls, state: Any, space: SearchSpace, seed: int | None, overrides: dict[str, Any], num_threads: int | None = 1) -> Generator:
        if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
            raise InputError("Not an agnet-bo generator state (no configuration in it).")
        bad = sorted(set(overrides) & set(_SHAPE_FIELDS))
        if bad:
            raise InputError(f"{bad} are fixed by the saved network and cannot be overridden.")
        config = GeneratorConfig.from_dict({**state["config"], **overrides})
        gen = cls(space, config, seed=int(state.get("seed", 0)) if seed is None else seed, num_threads=num_threads)
        gen.load_state_dict(state)
        if seed is not None:
            gen._seed = int(seed)
        return gen

    @property
    def is_trained(self) -> bool:
        """Whether the generator was pretrained, updated or loaded (and so can sample)."""
        return self._trained

    def num_parameters(self) -> int:
        """Number of parameters of the decoder (and of the paper surrogate head, if any)."""
        mods = [self.model] + ([self.surrogate_head] if self.surrogate_head is not None else [])
        return sum(p.numel() for m in mods for p in m.parameters())

    # -- training data ------------------------------------------------------------------------
    def _bounds(self, t: int, op: str) -> tuple[int, int]:
        key = (t, op)
        b = self._bounds_cache.get(key)
        if b is None:
            b = self.space.in_degree_bounds(t, op)
            self._bounds_cache[key] = b
        return b

    def _allowed(self, t: int, op: str, ops: Sequence[str], adj: np.ndarray) -> np.ndarray:
        if self._dynamic_sources:
            return np.asarray(self.space.allowed_sources(t, op, ops, adj), dtype=bool)
        return self._static_edges[:t, t]

    def _record(self, arch: Architecture) -> _Record:
        rec = self._records.get(arch)
        if rec is not None:
            return rec
        n, length = self._n, arch.num_nodes
        types = np.zeros(n, dtype=np.int64)
        types[:length] = [self._type_index[op] for op in arch.ops]
        adj = np.zeros((n, n))
        adj[:length, :length] = arch.adjacency
        allowed = np.zeros((n, n), dtype=bool)
        kind = np.zeros(n, dtype=np.int64)
        for t in range(1, length):
            op = arch.ops[t]
            a = self._allowed(t, op, arch.ops[: t + 1], arch.adjacency[:t, :t])
            allowed[:t, t] = a
            lo, hi = self._bounds(t, op)
            n_allowed = int(a.sum())
            kind[t] = _NONE if n_allowed <= lo else (_CATEGORICAL if lo == hi == 1 else _BERNOULLI)
        rec = _Record(types, length, adj, allowed, kind)
        self._records[arch] = rec
        return rec

    def _prepare(self, archs: Sequence[Architecture], what: str) -> list[Architecture]:
        out = []
        for i, a in enumerate(archs):
            if not isinstance(a, Architecture):
                raise InputError(f"{what}[{i}] must be an Architecture, got {type(a).__name__}.")
            try:
                self.space.validate(a)
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(f"{what}[{i}] is not in {self.space!r}: {exc}") from None
            a = self.space.simplify(a)
            if a.num_nodes > self._n:
                raise InvalidArchitectureError(f"{what}[{i}] has {a.num_nodes} nodes; the space allows {self._n}.")
            out.append(a)
        return out

    def _batch(self, recs: Sequence[_Record]) -> dict[str, Tensor]:
        return {
            "types": torch.as_tensor(np.stack([r.types for r in recs])),
            "length": torch.as_tensor([r.length for r in recs]),
            "adj": torch.as_tensor(np.stack([r.adj for r in recs]), dtype=torch.float32),
            "allowed": torch.as_tensor(np.stack([r.allowed for r in recs])),
            "kind": torch.as_tensor(np.stack([r.kind for r in recs])),
        }

    # -- losses -------------------------------------------------------------------------------
    def _teacher_forced(self, model: GraphDecoder, batch: dict[str, Tensor], z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Step outputs of every prefix of every target at once.

        Returns:
            Type log-probabilities ``B x (N-1) x A`` (step ``t`` at index ``t - 1``), edge logits
            ``B x (N-1) x N`` and the masked edge log-probabilities used by the loss.
        """
        types, adj, length = batch["types"], batch["adj"], batch["length"]
        b, n = types.shape
        dtype = adj.dtype
        pos = torch.arange(n)
        present = pos.unsqueeze(0) < length.unsqueeze(1)  # B x N
        onehot = nn.functional.one_hot(types, self._a).to(dtype) * present.unsqueeze(-1).to(dtype)
        x0 = model.node_init(onehot, pos.expand(b, n))  # B x N x H
        steps = torch.arange(1, n)
        prefix = present.unsqueeze(1) & (pos.view(1, 1, n) < steps.view(1, -1, 1))  # B x (N-1) x N
        bb = b * (n - 1)
        xh = x0.unsqueeze(1).expand(b, n - 1, n, -1).reshape(bb, n, -1)
        ah = adj.unsqueeze(1).expand(b, n - 1, n, n).reshape(bb, n, n)
        h, g = model.propagate(xh, ah, prefix.reshape(bb, n))
        zz = z.unsqueeze(1).expand(b, n - 1, -1).reshape(bb, -1)
        st = steps.repeat(b)
        logits = model.type_logits(g, zz, st)
        tmask = self._type_mask[1:].repeat(b, 1)
        type_logp = torch.log_softmax(logits.masked_fill(~tmask, -1e9), dim=-1).view(b, n - 1, self._a)
        h_new = x0[:, 1:].reshape(bb, -1)
        elog = model.edge_logits(h, h_new, g, zz).view(b, n - 1, n)
        return type_logp, elog, present

    def _recon_loss(self, type_logp: Tensor, elog: Tensor, batch: dict[str, Tensor]) -> Tensor:
        """Negative log-likelihood per target (``B``), from teacher-forced or free-running step outputs."""
        types, adj, length, allowed, kind = batch["types"], batch["adj"], batch["length"], batch["allowed"], batch["kind"]
        b, n = types.shape
        steps = torch.arange(1, n)
        active = steps.unsqueeze(0) < length.unsqueeze(1)  # B x (N-1)
        eps = self.config.label_smoothing
        tgt = types[:, 1:]
        nll_t = -type_logp.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
        if eps > 0:
            valid = self._type_mask[1:].unsqueeze(0).expand(b, -1, -1)
            uniform = -(type_logp * valid).sum(-1) / valid.sum(-1).clamp(min=1)
            nll_t = (1 - eps) * nll_t + eps * uniform
        loss = (nll_t * active).sum(dim=1)
        al = allowed[:, :, 1:].transpose(1, 2)  # B x (N-1) x N: allowed[u, t]
        target_e = adj[:, :, 1:].transpose(1, 2).to(elog.dtype)  # B x (N-1) x N
        k = kind[:, 1:]
        # categorical: exactly one source among the allowed
        cat_logp = torch.log_softmax(elog.masked_fill(~al, -1e9), dim=-1)
        nll_cat = -(cat_logp * target_e).sum(-1)
        # independent edges among the allowed
        soft = target_e * (1 - eps) + 0.5 * eps if eps > 0 else target_e
        bce = nn.functional.binary_cross_entropy_with_logits(elog, soft, reduction="none")
        nll_ber = (bce * al).sum(-1)
        edge = torch.where(k == _CATEGORICAL, nll_cat, torch.where(k == _BERNOULLI, nll_ber, torch.zeros_like(nll_ber)))
        return loss + (edge * active).sum(dim=1)

    def _surrogate_features(self, model: GraphDecoder, batch: dict[str, Tensor]) -> Tensor:
        """The paper surrogate's input: teacher-forced type and edge probabilities with ``z = 0``."""
        b = batch["types"].shape[0]
        z = torch.zeros(b, self.config.latent_dim, dtype=batch["adj"].dtype)
        type_logp, elog, _ = self._teacher_forced(model, batch, z)
        n = self._n
        emask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)[:, 1:].T  # (N-1) x N: u < t
        eprob = torch.sigmoid(elog) * emask
        return torch.cat([type_logp.exp(), eprob], dim=-1).reshape(b, -1)

    def _free_running_loss(self, batch: dict[str, Tensor], z: Tensor, noise: dict[str, np.ndarray]) -> Tensor:
        """Paper mode: generate from ``z`` (sampled prefix, no gradient through samples), score each step against the target."""
        types, length = batch["types"], batch["length"]
        b, n = types.shape
        dtype = batch["adj"].dtype
        cur_types = torch.zeros(b, n, dtype=torch.long)
        cur_types[:, 0] = types[:, 0]
        cur_adj = torch.zeros(b, n, n, dtype=dtype)
        type_logps, elogs = [], []
        pos = torch.arange(n)
        for t in range(1, n):
            present = pos.unsqueeze(0) < t
            onehot = nn.functional.one_hot(cur_types, self._a).to(dtype) * present.unsqueeze(-1).to(dtype)
            x0 = self.model.node_init(onehot, pos.expand(b, n))
            h, g = self.model.propagate(x0, cur_adj, present.expand(b, n))
            logits = self.model.type_logits(g, z, torch.full((b,), t))
            tmask = self._type_mask[t].expand(b, -1)
            logp = torch.log_softmax(logits.masked_fill(~tmask, -1e9), dim=-1)
            type_logps.append(logp)
            # the prefix follows the model's own samples, with the target's length
            with torch.no_grad():
                probs = logp.exp().clone()
                last = (length - 1) == t
                probs[~last, self._i_out] = 0.0
                probs[last] = nn.functional.one_hot(types[:, t], self._a).to(dtype)[last]
                probs = probs / probs.sum(-1, keepdim=True).clamp(min=1e-30)
                new_t = _inverse_cdf(probs.double().numpy(), noise["u_type"][:, t])
            cur_types[:, t] = torch.as_tensor(new_t)
            h_new = self.model.node_init(nn.functional.one_hot(cur_types[:, t], self._a).to(dtype), torch.full((b,), t))
            elog = self.model.edge_logits(h, h_new, g, z)
            elogs.append(elog)
            with torch.no_grad():
                edges = self._sample_edges(t, elog.detach().double().numpy(), cur_types.numpy(), cur_adj.numpy(), noise, np.arange(b))
            cur_adj = cur_adj.clone()  # the previous version is saved for backward
            cur_adj[:, :t, t] = torch.as_tensor(edges, dtype=dtype)
        return self._recon_loss(torch.stack(type_logps, 1), torch.stack(elogs, 1), batch)

    # -- training -----------------------------------------------------------------------------
    @_threads
    def _train(self, archs: Sequence[Architecture], probs: np.ndarray | None, values: np.ndarray | None, epochs: int, seed: SeedLike, progress: bool, desc: str) -> dict[str, float]:
        rng = make_rng(self._seed + 7919 * self._steps if seed is None else seed)
        recs = [self._record(a) for a in archs]
        params = list(self.model.parameters()) + (list(self.surrogate_head.parameters()) if self.surrogate_head is not None else [])
        opt = torch.optim.Adam(params, lr=self.config.lr, betas=(self.config.beta1, 0.999))
        bs = self.config.batch_size
        n_items = len(recs)
        alpha = self.config.alpha if (self.config.mode == "paper" and values is not None) else 0.0
        y_all = None
        if values is not None and self.config.mode == "paper":
            mean, std = float(np.mean(values)), float(np.std(values)) or 1.0
            self._target_stats = (mean, std)
            y_all = torch.as_tensor((values - mean) / std, dtype=torch.float32)
        total_batches = epochs * math.ceil(n_items / bs)
        bar = _progress(total_batches, desc, progress)
        last = math.nan
        self.model.train()
        for _ in range(epochs):
            order = rng.choice(n_items, size=n_items, replace=True, p=probs) if probs is not None else rng.permutation(n_items)
            for start in range(0, n_items, bs):
                idx = order[start : start + bs]
                batch = self._batch([recs[i] for i in idx])
                if self.config.mode == "autoregressive":
                    z = torch.zeros(len(idx), self.config.latent_dim)
                    type_logp, elog, _ = self._teacher_forced(self.model, batch, z)
                    recon = self._recon_loss(type_logp, elog, batch)
                    loss = recon.mean()
                else:
                    z = torch.as_tensor(rng.standard_normal((len(idx), self.config.latent_dim)), dtype=torch.float32)
                    noise = {
                        "u_type": rng.random((len(idx), self._n)),
                        "u_src": rng.random((len(idx), self._n)),
                        "u_edge": rng.random((len(idx), self._n, self._n)),
                    }
                    recon = self._free_running_loss(batch, z, noise)
                    loss = (1 - alpha) * recon.mean()
                    if alpha > 0 and y_all is not None and self.surrogate_head is not None:
                        pred = self.surrogate_head(self._surrogate_features(self.model, batch)).squeeze(-1)
                        loss = loss + alpha * ((pred - y_all[torch.as_tensor(idx)]) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                last = float(loss.detach())
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{last:.3f}")
        if bar is not None:
            bar.close()
        self.model.eval()
        self._trained = True
        self._steps += 1
        self._sampler = None
        return {"loss": last, "batches": float(total_batches)}

    def pretraining_samples(self, n_samples: int = 10_000, *, seed: SeedLike = None) -> list[Architecture]:
        """The random architectures :meth:`pretrain` trains on: ``n_samples`` of ``space.sample``,
        or every member of a smaller space, or (with a :class:`~agnet_bo.exceptions.PretrainingWarning`)
        as many as the space gave before its sampler gave up.

        Raises:
            InputError: If ``n_samples`` is not a positive int.
            SamplingError: If the space gave no architecture at all.
        """
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise InputError(f"`n_samples` must be a positive int, got {n_samples!r}.")
        size = self.space.size
        n = int(n_samples) if size is None else min(int(n_samples), size)
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
        archs = self._prepare(archs, "archs")
        if not archs:
            raise InputError("pretrain needs at least one architecture.")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise InputError(f"`epochs` must be a positive int, got {epochs!r}.")
        return self._train(archs, None, None, int(epochs), seed, progress, "pretraining generator")

    def update(self, archs: Sequence[Architecture], values: Any = None, *, weights: Any = None, epochs: int | None = None, seed: SeedLike = None, progress: bool = False) -> dict[str, float]:
        """Weighted retraining on evaluated architectures.

        Each epoch draws ``len(archs)`` architectures with replacement in proportion to the
        weights: the rank weights of ``values`` (larger is better) unless ``weights`` are given.

        Args:
            archs: ``N`` evaluated architectures.
            values: ``N`` finite values, larger is better (needed unless ``weights`` is given, and
                in paper mode for the joint surrogate loss).
            weights: ``N`` non-negative sampling weights (e.g. from non-dominated ranks).
            epochs: Passes (default ``config.epochs``).
            seed: Seed of the resampling (default: derived from the generator's seed and the
                number of previous trainings, so repeated runs are reproducible).
            progress: Show a progress bar.

        Raises:
            InputError: On empty input, mismatched lengths, NaN or negative weights.
        """
        archs = list(archs) if not isinstance(archs, list) else archs
        if len(archs) == 0:
            raise InputError("update needs at least one evaluated architecture, got none.")
        vals = None
        if values is not None:
            vals = np.asarray(values, dtype=float).reshape(-1)
            if vals.shape[0] != len(archs):
                raise InputError(f"update got {len(archs)} architectures but {vals.shape[0]} values; pass one value per architecture.")
            if not np.isfinite(vals).all():
                bad = np.flatnonzero(~np.isfinite(vals))[:5].tolist()
                raise InputError(f"update needs finite values; positions {bad} are NaN or infinite. Drop failed evaluations first.")
        if weights is not None:
            w = np.asarray(weights, dtype=float).reshape(-1)
            if w.shape[0] != len(archs):
                raise InputError(f"update got {len(archs)} architectures but {w.shape[0]} weights.")
            if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
                raise InputError("`weights` must be finite, non-negative and not all zero.")
            probs = w / w.sum()
        elif vals is not None:
            probs = rank_weights(vals, self.config.rank_k)
        else:
            raise InputError("update needs `values` (larger is better) or `weights`.")
        if self.config.mode == "paper" and vals is None:
            raise InputError("The paper mode trains its surrogate jointly and needs `values`.")
        archs = self._prepare(archs, "archs")
        epochs = self.config.epochs if epochs is None else int(epochs)
        if epochs < 1:
            raise InputError(f"`epochs` must be a positive int, got {epochs!r}.")
        return self._train(archs, probs, vals, epochs, seed, progress, "updating generator")

    # -- the paper surrogate ------------------------------------------------------------------
    @_threads
    def predict(self, archs: Sequence[Architecture]) -> Tensor:
        """Paper mode only: the jointly trained surrogate's predictions (``n``, in the values' units).

        Raises:
            InputError: In autoregressive mode (use a surrogate from ``agnet_bo.surrogates``).
            NotFittedError: Before any :meth:`update` with values.
        """
        if self.surrogate_head is None:
            raise InputError("predict() is the paper mode's joint surrogate; this generator is autoregressive.")
        if not self._trained:
            raise NotFittedError("The generator has not been trained; call update(archs, values) first.")
        archs = self._prepare(archs, "archs")
        if not archs:
            return torch.zeros(0, dtype=torch.float64)
        with torch.no_grad():
            batch = self._batch([self._record(a) for a in archs])
            pred = self.surrogate_head(self._surrogate_features(self.model, batch)).squeeze(-1).double()
        mean, std = self._target_stats
        return pred * std + mean

    @_threads
    def log_likelihood(self, archs: Sequence[Architecture]) -> Tensor:
        """Teacher-forced log-probability of each architecture (``n``; ``z = 0`` in paper mode)."""
        self._check_trained()
        archs = self._prepare(archs, "archs")
        if not archs:
            return torch.zeros(0, dtype=torch.float64)
        out = []
        with torch.no_grad():
            for start in range(0, len(archs), 256):  # bounded memory for long lists
                batch = self._batch([self._record(a) for a in archs[start : start + 256]])
                z = torch.zeros(batch["types"].shape[0], self.config.latent_dim)
                type_logp, elog, _ = self._teacher_forced(self.model, batch, z)
                out.append(-self._recon_loss(type_logp, elog, batch).double())
        return torch.cat(out)

    # -- sampling -----------------------------------------------------------------------------
    def _check_trained(self) -> None:
        if not self._trained:
            raise NotFittedError(
                f"The generator for {self.space!r} is untrained. Call pretrain(), update(), load a state, "
                "or use Generator.from_pretrained(space) for a built-in space."
            )

    def _noise(self, seed: int, start: int, count: int) -> dict[str, np.ndarray]:
        n, zdim = self._n, self.config.latent_dim
        out = {"z": np.zeros((count, zdim)), "u_type": np.empty((count, n)), "u_src": np.empty((count, n)), "u_edge": np.empty((count, n, n))}
        for j in range(count):
            r = np.random.default_rng([seed, start + j])
            out["u_type"][j] = r.random(n)
            out["u_src"][j] = r.random(n)
            out["u_edge"][j] = r.random((n, n))
            z = r.standard_normal(zdim)
            if self.config.mode == "paper":
                out["z"][j] = z
        return out

    def _sample_edges(self, t: int, elog: np.ndarray, types: np.ndarray, adj: np.ndarray, noise: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        """Edges ``u -> t`` (``B x t``) for the active samples ``rows`` of the noise."""
        b = elog.shape[0]
        out = np.zeros((b, t))
        logits = elog[:, :t]
        for j in range(b):
            op = self._types[types[j, t]]
            ops = [self._types[i] for i in types[j, : t + 1]]
            allowed = self._allowed(t, op, ops, adj[j, :t, :t])
            lo, hi = self._bounds(t, op)
            n_allowed = int(allowed.sum())
            if n_allowed == 0:
                continue
            if n_allowed <= lo:
                out[j, allowed] = 1
                continue
            lg = logits[j]
            if lo == hi == 1:
                idx = np.flatnonzero(allowed)
                p = np.exp(lg[idx] - lg[idx].max())
                p /= p.sum()
                choice = int(np.searchsorted(np.cumsum(p), noise["u_src"][rows[j], t] * p.sum(), side="right"))
                out[j, idx[min(choice, len(idx) - 1)]] = 1
                continue
            p = 1.0 / (1.0 + np.exp(-lg))
            e = (noise["u_edge"][rows[j], t, :t] < p) & allowed
            k = int(e.sum())
            if k < lo or k > hi:
                order = np.argsort(-np.where(allowed, p, -1.0), kind="stable")
                if k < lo:
                    e[order[: lo]] = True
                    e &= allowed
                else:
                    keep = [u for u in order if e[u]][:hi]
                    e[:] = False
                    e[keep] = True
            out[j] = e
        return out

    def _generate(self, noise: dict[str, np.ndarray]) -> list[Architecture | None]:
        model = self._sampler
        if model is None:
            model = copy.deepcopy(self.model).double().eval()
            self._sampler = model
        count, n = noise["u_type"].shape
        types = np.zeros((count, n), dtype=np.int64)
        types[:, 0] = int(np.flatnonzero(self._type_mask[0].numpy())[0])
        adj = np.zeros((count, n, n))
        length = np.full(count, n)
        active = np.ones(count, dtype=bool)
        z_all = torch.as_tensor(noise["z"])
        tmask_all = self._type_mask.numpy()
        pos = torch.arange(n)
        with torch.no_grad():
            for t in range(1, n):
                rows = np.flatnonzero(active)
                if len(rows) == 0:
                    break
                b = len(rows)
                ty = torch.as_tensor(types[rows])
                present = (pos < t).expand(b, n)
                onehot = nn.functional.one_hot(ty, self._a).double() * present.unsqueeze(-1).double()
                x0 = model.node_init(onehot, pos.expand(b, n))
                h, g = model.propagate(x0, torch.as_tensor(adj[rows]), present)
                z = z_all[rows]
                logits = model.type_logits(g, z, torch.full((b,), t)).numpy()
                logits = np.where(tmask_all[t], logits, -np.inf)
                p = np.exp(logits - logits.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                new_t = _inverse_cdf(p, noise["u_type"][rows, t])
                types[rows, t] = new_t
                h_new = model.node_init(nn.functional.one_hot(torch.as_tensor(new_t), self._a).double(), torch.full((b,), t))
                elog = model.edge_logits(h, h_new, g, z).numpy()
                adj[rows, :t, t] = self._sample_edges(t, elog, types[rows], adj[rows], noise, rows)
                done = new_t == self._i_out
                length[rows[done]] = t + 1
                active[rows[done]] = False
        archs: list[Architecture | None] = []
        for j in range(count):
            m = int(length[j])
            ops = [self._types[i] for i in types[j, :m]]
            try:
                archs.append(Architecture(ops, adj[j, :m, :m].astype(np.uint8)))
            except InvalidArchitectureError:
                archs.append(None)
        return archs

    @_threads
    def draw(self, n: int, seed: int = 0, *, start: int = 0, batch_size: int = 256) -> list[Architecture | None]:
        """Raw draws ``start .. start + n - 1`` of :meth:`sample`'s sequence, before any check.

        Entries are ``None`` where the decoded graph is not even a well-formed architecture. Use
        it to measure the generator (validity, diversity); :meth:`sample` is what a search uses.
        """
        self._check_trained()
        out: list[Architecture | None] = []
        for first in range(start, start + n, batch_size):
            count = min(batch_size, start + n - first)
            out.extend(self._generate(self._noise(int(seed), first, count)))
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
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"`n` must be a non-negative int, got {n!r}.")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError(f"`seed` must be a non-negative int, got {seed!r}.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise InputError(f"`batch_size` must be a positive int, got {batch_size!r}.")
        excluded = set(exclude)
        limit = max(2000, 200 * int(n)) if max_draws is None else int(max_draws)
        stats = SampleStats()
        found: list[Architecture] = []
        seen: set[str] = set()
        index = 0
        last_new, stale = 0, False
        while len(found) < n and index < limit and not stale:
            count = min(batch_size, limit - index)
            for arch in self._generate(self._noise(int(seed), index, count)):
                stats.draws += 1
                checked = self._checked(arch)
                if checked is None:
                    stats.invalid += 1
                elif checked[1] in excluded:
                    stats.excluded += 1
                elif checked[1] in seen:
                    stats.duplicates += 1
                else:
                    seen.add(checked[1])
                    found.append(checked[0])
                    last_new = stats.draws
                    if len(found) == n:
                        break
                if stats.draws - last_new >= max(_STALE_DRAWS, last_new):
                    stale = True  # nothing new for as long again as it took to find the rest: exhausted
                    break
            index += count
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

    def _checked(self, arch: Architecture | None) -> tuple[Architecture, str] | None:
        """``(simplified arch, key)`` of a valid draw, else ``None``; memoised, since a trained
        generator draws the same graphs again and again and checking a user's constraint and
        computing a canonical form cost far more than drawing."""
        if arch is None:
            return None
        memo = self._check_memo
        if arch in memo:
            return memo[arch]
        out = None
        if self.space.is_valid(arch):
            simple = self.space.simplify(arch)
            out = (simple, self.space.key(simple))
        if len(memo) >= 200_000:
            memo.clear()
        memo[arch] = out
        return out

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
        if not candidates or n <= 0:
            return []
        logp = self.log_likelihood(candidates).numpy()
        gumbel = -np.log(-np.log(np.random.default_rng([int(seed), 101]).random(len(candidates))))
        order = np.argsort(-(logp + gumbel), kind="stable")[: int(n)]
        return [candidates[i] for i in order]

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to restore the generator; loadable with ``torch.load(..., weights_only=True)``."""
        return {
            "format": _FORMAT,
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
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise InputError(f"Not an agnet-bo generator state (expected format {_FORMAT!r}).")
        fp = space_fingerprint(self.space)
        if state["fingerprint"] != fp:
            theirs = state["fingerprint"]
            raise InputError(
                f"This generator state was saved for {theirs.get('space')} with node types {theirs.get('node_types')} "
                f"and {theirs.get('max_nodes')} nodes, not for {fp['space']} with {fp['node_types']} and "
                f"{fp['max_nodes']} nodes. Load it into a generator for the same space."
            )
        ours = self.config.to_dict()
        mismatch = {k: (state["config"].get(k), ours[k]) for k in _SHAPE_FIELDS if state["config"].get(k) != ours[k]}
        if mismatch:
            raise InputError(
                f"The state's network differs from this generator's (field: (state, this)): {mismatch}. "
                "Build the generator with the state's sizes and mode, e.g. Generator.load(path, space)."
            )
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
        path = Path(path)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            torch.save(self.state_dict(), tmp)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | Path, space: SearchSpace, **overrides: Any) -> Generator:
        """A generator for ``space`` from a file written by :meth:`save` (``weights_only=True``).

        ``overrides`` change training settings (not the network's sizes or mode).
        """
        state = torch.load(Path(path), weights_only=True)
        return cls._from_state(state, space, None, overrides)

    def __repr__(self) -> str:
        return f"Generator({self.space!r}, mode={self.config.mode!r}, trained={self._trained})"


def _self_description(space: SearchSpace) -> Any:
    """JSON data that fixes what a space samples, or ``None`` when it holds code (a constraint or
    sampler callable, a subclass of the user's) and only its samples can say."""
    from agnet_bo.spaces import CandidateSpace, DAGSpace

    if type(space) is DAGSpace and space.constraint is None and space.sampler is None:
        return {k: v for k, v in space.to_config().items() if k != "name"}  # the name changes no sample
    if type(space) is CandidateSpace:
        base = _self_description(space.base)
        return None if base is None else {"base": base, "candidates": sorted(k for k, _ in space.keyed_members())}
    return None


def default_cache_dir() -> Path:
    """Where :meth:`Generator.for_space` caches pretrained generators: ``$AGNET_BO_CACHE_DIR`` if
    set, else ``$XDG_CACHE_HOME/agnet_bo`` (``~/.cache/agnet_bo``)."""
    env = os.environ.get("AGNET_BO_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agnet_bo"


_STALE_DRAWS = 2000

_PRETRAINED = {"NB201Space": "nb201", "NB101Space": "nb101", "DARTSSpace": "darts"}
_SHAPE_FIELDS = ("mode", "hidden_dim", "latent_dim", "num_layers")


def _inverse_cdf(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Categorical draws ``B`` from probabilities ``B x A`` and uniforms ``B``."""
    c = np.cumsum(p, axis=1)
    idx = (c < (u * c[:, -1])[:, None]).sum(axis=1)
    # never land on a zero-probability class through rounding
    idx = np.minimum(idx, p.shape[1] - 1)
    bad = p[np.arange(len(idx)), idx] <= 0
    if bad.any():
        idx[bad] = p[bad].argmax(axis=1)
    return idx


def _progress(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)
