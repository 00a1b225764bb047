"""The generator's training loop and the weights of weighted retraining."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from agnet_bo.exceptions import InputError
from agnet_bo.generator.config import GeneratorConfig
from agnet_bo.generator.data import GraphEncoder, Record
from agnet_bo.generator.losses import TrainingLoss

__all__ = ["rank_weights", "resampling_probabilities", "run_epochs", "progress_bar"]


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


def resampling_probabilities(count: int, values: Any, weights: Any, k: float) -> tuple[np.ndarray | None, np.ndarray]:
    """The checked ``values`` (or ``None``) of :meth:`Generator.update` and the probabilities its
    epochs draw the ``count`` architectures with: ``weights`` normalised if given, else the rank
    weights of ``values``.

    Raises:
        InputError: On mismatched lengths, non-finite values, negative or all-zero weights, or
            neither values nor weights.
    """
    vals = None
    if values is not None:
        vals = np.asarray(values, dtype=float).reshape(-1)
        if vals.shape[0] != count:
            raise InputError(f"update got {count} architectures but {vals.shape[0]} values; pass one value per architecture.")
        if not np.isfinite(vals).all():
            bad = np.flatnonzero(~np.isfinite(vals))[:5].tolist()
            raise InputError(f"update needs finite values; positions {bad} are NaN or infinite. Drop failed evaluations first.")
    if weights is not None:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.shape[0] != count:
            raise InputError(f"update got {count} architectures but {w.shape[0]} weights.")
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise InputError("`weights` must be finite, non-negative and not all zero.")
        return vals, w / w.sum()
    if vals is not None:
        return vals, rank_weights(vals, k)
    raise InputError("update needs `values` (larger is better) or `weights`.")


def run_epochs(
    model: nn.Module,
    head: nn.Module | None,
    loss_fn: TrainingLoss,
    encoder: GraphEncoder,
    recs: Sequence[Record],
    probs: np.ndarray | None,
    epochs: int,
    rng: np.random.Generator,
    config: GeneratorConfig,
    progress: bool = False,
    desc: str = "training generator",
) -> dict[str, float]:
    """Adam on ``loss_fn`` for ``epochs`` passes over ``recs``.

    Each epoch visits ``len(recs)`` targets: a permutation, or draws with replacement in
    proportion to ``probs`` when given; ``loss_fn`` may draw from ``rng`` too. ``model`` is left
    in eval mode.

    Args:
        progress: Show a progress bar, titled ``desc``.

    Returns:
        ``{"loss": last batch loss, "batches": number of batches}``.
    """
    params = list(model.parameters()) + (list(head.parameters()) if head is not None else [])
    opt = torch.optim.Adam(params, lr=config.lr, betas=(config.beta1, 0.999))
    bs = config.batch_size
    n_items = len(recs)
    total_batches = epochs * math.ceil(n_items / bs)
    bar = progress_bar(total_batches, desc, progress)
    last = math.nan
    model.train()
    for _ in range(epochs):
        order = rng.choice(n_items, size=n_items, replace=True, p=probs) if probs is not None else rng.permutation(n_items)
        for start in range(0, n_items, bs):
            idx = order[start : start + bs]
            loss = loss_fn(encoder.batch([recs[i] for i in idx]), idx, rng)
            opt.zero_grad()
            loss.backward()
            opt.step()
            last = float(loss.detach())
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{last:.3f}")
    if bar is not None:
        bar.close()
    model.eval()
    return {"loss": last, "batches": float(total_batches)}


def progress_bar(total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar of ``total`` steps, or ``None`` when not ``enabled``."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)
