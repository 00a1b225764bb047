"""Plots of searches (matplotlib, drawn off-screen): one run's anytime curve or Pareto front, and
the comparison of methods."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["plot_run", "plot_compare"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_run(
    result: Any, summary: Mapping[str, Any], path: str | os.PathLike[str], true_front: np.ndarray | None = None
) -> None:
    """Save a run's plot as PNG.

    One objective: best objective so far vs queries (with the optimum as a dashed line) and,
    below, the report metric of that architecture. Two or more objectives: the
    evaluated points, the front found and the true front of the first two objectives, and the
    hypervolume fraction vs queries.

    Args:
        result: The :class:`~agnet_bo.experiment.RunResult`.
        summary: :func:`~agnet_bo.experiment.summarize`'s output for it.
        path: The PNG file.
        true_front: With several objectives, the benchmark's true front (``k x 2``, the first two
            objectives, maximisation sense: minimised ones negated); not drawn when ``None``.
    """
    plt = _pyplot()
    config = result.config
    curve = summary["curve"]
    q = np.array([r["query"] for r in curve])
    objs = list(config.objectives)
    title = f"{config.benchmark} {config.dataset}, {config.method}, seed {config.seed}"
    if len(objs) == 1:
        n_panels = 2 if config.report else 1
        fig, axes = plt.subplots(n_panels, 1, figsize=(6.4, 2.6 + 1.9 * n_panels), sharex=True, constrained_layout=True, squeeze=False)
        ax = axes[0, 0]
        best = np.array([r[f"best {objs[0]}"] for r in curve], dtype=float)
        ax.plot(q, best, color="C0", label=f"best {objs[0]} so far")
        opt = summary["summary"].get("optimum")
        if opt is not None and np.isfinite(opt):
            ax.axhline(opt, color="k", ls="--", lw=1, label=f"optimum {opt:.2f}")
        ax.set_ylabel(objs[0])
        ax.legend(loc="lower right")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if config.report:
            ax2 = axes[1, 0]
            rep = np.array([r[f"{config.report[0]} of best"] for r in curve], dtype=float)
            ax2.plot(q, rep, color="C1", label=f"{config.report[0]} of the best by {objs[0]}")
            ax2.set_ylabel(config.report[0])
            ax2.legend(loc="lower right")
            ax2.grid(alpha=0.3)
        axes[-1, 0].set_xlabel("queries (architectures evaluated)")
    else:
        sign = np.array([1.0 if config.objectives[m] == "maximize" else -1.0 for m in objs])
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
        V = result.values[:, :2]
        a1.scatter(V[:, 1], V[:, 0], s=8, color="0.7", label="evaluated")
        if true_front is not None and len(true_front):
            true = np.asarray(true_front)
            order = np.argsort(true[:, 1])
            a1.step(true[order, 1] * sign[1], true[order, 0] * sign[0], where="post", color="k", lw=1, label="true front")
        front = summary["summary"].get("front", [])
        if front:
            F = np.array([[f[objs[0]], f[objs[1]]] for f in front])
            a1.scatter(F[:, 1], F[:, 0], s=22, color="C3", label="front found", zorder=3)
        if len(V):  # keep the interesting part: chance-level cells would squash the front
            a1.set_ylim(bottom=np.nanpercentile(V[:, 0], 5) - 0.05 * (np.nanmax(V[:, 0]) - np.nanmin(V[:, 0])))
        a1.set_xlabel(objs[1])
        a1.set_ylabel(objs[0])
        a1.legend(loc="best")
        a1.set_title(title)
        a1.grid(alpha=0.3)
        hv = np.array([r["hypervolume fraction"] for r in curve])
        a2.plot(q, hv, color="C0")
        a2.set_xlabel("queries (architectures evaluated)")
        a2.set_ylabel("hypervolume / true front's")
        a2.set_ylim(max(0.0, hv.min() - 0.05), 1.01)
        a2.grid(alpha=0.3)
        a2.set_title("hypervolume of the front found")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_compare(results: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], *, ylabel: str = "validation regret") -> None:
    """Mean best-so-far regret ± standard error vs queries, one panel per dataset, one line per method.

    The regret axis is logarithmic down to the smallest positive mean regret and linear below it
    (matplotlib's ``symlog``), so curves that reach a regret of 0 (every seed at the optimum)
    end on a visible 0 line instead of falling off a log axis.
    """
    plt = _pyplot()
    datasets = list(dict.fromkeys(r["dataset"] for r in results))
    methods = list(dict.fromkeys(r["method"] for r in results))
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.2 * len(datasets), 4.2), constrained_layout=True, squeeze=False)
    for ax, d in zip(axes[0], datasets, strict=False):
        floor = np.inf
        for k, m in enumerate(methods):
            rs = [r for r in results if r["dataset"] == d and r["method"] == m]
            if not rs:
                continue
            n = min(len(r["regret"]) for r in rs)
            R = np.array([r["regret"][:n] for r in rs], dtype=float)
            mean = R.mean(0)
            se = R.std(0, ddof=1) / np.sqrt(len(rs)) if len(rs) > 1 else np.zeros(n)
            x = np.arange(1, n + 1)
            ax.plot(x, mean, color=f"C{k}", label=f"{m} ({len(rs)} seeds)")
            ax.fill_between(x, np.maximum(mean - se, 0.0), mean + se, color=f"C{k}", alpha=0.2)
            pos = mean[mean > 0]
            if len(pos):
                floor = min(floor, pos.min())
        ax.set_yscale("symlog", linthresh=float(floor) if np.isfinite(floor) else 1.0, linscale=0.5)
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("queries (architectures evaluated)")
        ax.set_ylabel(f"{ylabel} (mean ± s.e.)")
        ax.set_title(d)
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="upper right", fontsize="small")
    fig.savefig(path, dpi=110)
    plt.close(fig)
