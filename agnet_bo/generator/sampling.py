"""Drawing graphs from the decoder, and collecting new valid architectures from the draws.

Every draw ``i`` of a seed uses only the randomness of ``numpy.random.default_rng([seed, i])``
(:func:`draw_noise`), so a sequence of draws does not depend on how it is batched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InvalidArchitectureError
from agnet_bo.generator.data import GraphEncoder
from agnet_bo.generator.model import GraphDecoder
from agnet_bo.spaces.base import SearchSpace

__all__ = [
    "SampleStats",
    "Noise",
    "draw_noise",
    "inverse_cdf",
    "sample_edges",
    "generate",
    "DrawChecker",
    "collect",
    "gumbel_top_k",
    "STALE_DRAWS",
]

STALE_DRAWS = 2000
""":func:`collect` gives up after this many draws in a row (and as many as all draws before them) gave nothing new."""

Noise = dict[str, np.ndarray]
"""The randomness of ``B`` draws: ``z`` (``B x Z``), uniforms ``u_type``, ``u_src`` (``B x N``) and ``u_edge`` (``B x N x N``)."""


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


def draw_noise(seed: int, start: int, count: int, max_nodes: int, latent_dim: int, latent: bool) -> Noise:
    """The randomness of draws ``start .. start + count - 1`` of ``seed``.

    ``z`` is a standard normal draw if ``latent``, else zero (it is drawn either way, so the
    uniforms are the same in both cases).
    """
    n, zdim = max_nodes, latent_dim
    out = {"z": np.zeros((count, zdim)), "u_type": np.empty((count, n)), "u_src": np.empty((count, n)), "u_edge": np.empty((count, n, n))}
    for j in range(count):
        r = np.random.default_rng([seed, start + j])
        out["u_type"][j] = r.random(n)
        out["u_src"][j] = r.random(n)
        out["u_edge"][j] = r.random((n, n))
        z = r.standard_normal(zdim)
        if latent:
            out["z"][j] = z
    return out


def inverse_cdf(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Categorical draws ``B`` from probabilities ``B x A`` and uniforms ``B``."""
    c = np.cumsum(p, axis=1)
    idx = (c < (u * c[:, -1])[:, None]).sum(axis=1)
    # never land on a zero-probability class through rounding
    idx = np.minimum(idx, p.shape[1] - 1)
    bad = p[np.arange(len(idx)), idx] <= 0
    if bad.any():
        idx[bad] = p[bad].argmax(axis=1)
    return idx


def sample_edges(
    encoder: GraphEncoder, t: int, elog: np.ndarray, types: np.ndarray, adj: np.ndarray, noise: Noise, rows: np.ndarray
) -> np.ndarray:
    """Edges ``u -> t`` (``B x t``) for the samples ``rows`` of the noise, within the space's rules.

    Args:
        encoder: The space's view.
        t: The new node.
        elog: ``B x N`` edge logits.
        types: ``B x N`` node types so far (node ``t``'s included).
        adj: ``B x N x N`` adjacency so far.
        noise: The noise of all samples.
        rows: ``B`` rows of the noise.
    """
    b = elog.shape[0]
    out = np.zeros((b, t))
    logits = elog[:, :t]
    names = encoder.types
    for j in range(b):
        op = names[types[j, t]]
        ops = [names[i] for i in types[j, : t + 1]]
        allowed = encoder.allowed(t, op, ops, adj[j, :t, :t])
        lo, hi = encoder.bounds(t, op)
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
                e[order[:lo]] = True
                e &= allowed
            else:
                keep = [u for u in order if e[u]][:hi]
                e[:] = False
                e[keep] = True
        out[j] = e
    return out


def generate(model: GraphDecoder, encoder: GraphEncoder, noise: Noise) -> list[Architecture | None]:
    """Graphs decoded node by node from ``noise`` by a float64 ``model`` in eval mode.

    An entry is ``None`` where the decoded graph is not even a well-formed architecture.
    """
    count, n = noise["u_type"].shape
    a, i_out = encoder.num_types, encoder.output_index
    tmask_all = encoder.type_mask.numpy()
    types = np.zeros((count, n), dtype=np.int64)
    types[:, 0] = int(np.flatnonzero(tmask_all[0])[0])
    adj = np.zeros((count, n, n))
    length = np.full(count, n)
    active = np.ones(count, dtype=bool)
    z_all = torch.as_tensor(noise["z"])
    pos = torch.arange(n)
    with torch.no_grad():
        for t in range(1, n):
            rows = np.flatnonzero(active)
            if len(rows) == 0:
                break
            b = len(rows)
            # Only nodes 0 .. t-1 exist yet: absent nodes have no edges and zero states, so
            # passing messages over the first t alone gives the same states at a fraction of the cost.
            ty = torch.as_tensor(types[rows, :t])
            present = torch.ones(b, t, dtype=torch.bool)
            x0 = model.node_init(nn.functional.one_hot(ty, a).double(), pos[:t].expand(b, t))
            h, g = model.propagate(x0, torch.as_tensor(adj[rows, :t, :t]), present)
            z = z_all[rows]
            logits = model.type_logits(g, z, torch.full((b,), t)).numpy()
            logits = np.where(tmask_all[t], logits, -np.inf)
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            new_t = inverse_cdf(p, noise["u_type"][rows, t])
            types[rows, t] = new_t
            h_new = model.node_init(nn.functional.one_hot(torch.as_tensor(new_t), a).double(), torch.full((b,), t))
            elog = model.edge_logits(h, h_new, g, z).numpy()
            adj[rows, :t, t] = sample_edges(encoder, t, elog, types[rows], adj[rows], noise, rows)
            done = new_t == i_out
            length[rows[done]] = t + 1
            active[rows[done]] = False
    archs: list[Architecture | None] = []
    for j in range(count):
        m = int(length[j])
        ops = [encoder.types[i] for i in types[j, :m]]
        try:
            archs.append(Architecture(ops, adj[j, :m, :m].astype(np.uint8)))
        except InvalidArchitectureError:
            archs.append(None)
    return archs


class DrawChecker:
    """``(simplified arch, key)`` of a valid draw, else ``None``; memoised, since a trained
    generator draws the same graphs again and again and checking a user's constraint and
    computing a canonical form cost far more than drawing.

    Args:
        space: The space whose ``is_valid``, ``simplify`` and ``key`` are used.
        max_size: The memo is cleared when it holds this many draws.
    """

    def __init__(self, space: SearchSpace, max_size: int = 200_000) -> None:
        self.space = space
        self.max_size = max_size
        self._memo: dict[Architecture, tuple[Architecture, str] | None] = {}

    def __call__(self, arch: Architecture | None) -> tuple[Architecture, str] | None:
        if arch is None:
            return None
        memo = self._memo
        if arch in memo:
            return memo[arch]
        out = None
        if self.space.is_valid(arch):
            simple = self.space.simplify(arch)
            out = (simple, self.space.key(simple))
        if len(memo) >= self.max_size:
            memo.clear()
        memo[arch] = out
        return out


def collect(
    draw: Callable[[int, int], list[Architecture | None]],
    check: DrawChecker,
    n: int,
    excluded: Collection[str],
    limit: int,
    batch_size: int,
) -> tuple[list[Architecture], SampleStats]:
    """Up to ``n`` valid architectures with distinct keys not in ``excluded``, taken in draw order.

    Args:
        draw: ``draw(start, count)`` gives draws ``start .. start + count - 1``.
        check: The validity check of a draw.
        n: How many.
        excluded: Keys to skip.
        limit: Give up after this many draws, or earlier once :data:`STALE_DRAWS` draws in a
            row, and as many as all draws before them, gave nothing new.
        batch_size: Draws per call of ``draw``.

    Returns:
        The architectures found and the counts of the draws.
    """
    stats = SampleStats()
    found: list[Architecture] = []
    seen: set[str] = set()
    index = 0
    last_new, stale = 0, False
    while len(found) < n and index < limit and not stale:
        count = min(batch_size, limit - index)
        for arch in draw(index, count):
            stats.draws += 1
            checked = check(arch)
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
            if stats.draws - last_new >= max(STALE_DRAWS, last_new):
                stale = True  # nothing new for as long again as it took to find the rest: exhausted
                break
        index += count
    return found, stats


def gumbel_top_k(logp: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` items drawn without replacement in proportion to ``exp(logp)`` (Gumbel top-``k``)."""
    gumbel = -np.log(-np.log(np.random.default_rng([int(seed), 101]).random(len(logp))))
    return np.argsort(-(logp + gumbel), kind="stable")[: int(n)]
