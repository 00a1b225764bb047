"""Accuracy vs latency with a latency constraint: multi-objective AG-Net on NAS-Bench-201.

A cell for a phone app should be accurate and fast on the phone (HW-NAS-Bench's Google Pixel 3
latency), and the same model must also run within 5 ms on an edge GPU (NVIDIA Jetson TX2): two
objectives and one outcome constraint::

    Optimizer(space,
              objectives={"valid-accuracy": "maximize", "latency-pixel3": "minimize"},
              constraints={"latency-edgegpu": ("<=", 5.0)})

The constrained metric is modelled like the objectives (it is told with them), the default
acquisition is ParEGO (qLogNEI of a random Chebyshev scalarisation, new weights for every pick)
weighted by the probability of meeting the constraint, and ``opt.pareto_front()`` returns the
feasible non-dominated trials. The values
come from the bundled tables (NAS-Bench-201 CIFAR-10 accuracies, HW-NAS-Bench latencies), so the
true front over all 15,625 cells is known and drawn for comparison. The held-out test accuracy
is recorded with each result (``info``) but not searched on.

    python examples/multi_objective.py --fast                # seconds
    python examples/multi_objective.py                       # 160 evaluations, about a minute
    python examples/multi_objective.py --bound 3 --out front.png

The plot (``--out``, default ``pareto.png``) shows every evaluated cell (feasible or not), the
front found, the true feasible front and the hypervolume found as a share of the true front's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import agnet_bo as ab
from agnet_bo.pareto import hypervolume, pareto_mask

ACC, LAT, CON = "valid-accuracy", "latency-pixel3", "latency-edgegpu"
REF = {ACC: 80.0, LAT: 40.0}  # hypervolume reference point: worse than any cell of interest


def true_front(bench: ab.benchmarks.NB201, bound: float) -> np.ndarray:
    """The feasible Pareto front of the whole table as rows ``(accuracy, latency)``."""
    acc, lat, con = bench.table(ACC), bench.table(LAT), bench.table(CON)
    ok = np.isfinite(acc) & np.isfinite(lat) & (con <= bound)
    Y = np.stack([acc[ok], lat[ok]], 1)
    return Y[pareto_mask(Y * [1.0, -1.0])]  # pareto_mask maximises every column


def plot(path: str, trials: list[ab.Trial], front: list[ab.Trial], truth: np.ndarray, bound: float, share: float) -> None:
    """Save the Pareto plot (matplotlib, off-screen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [t for t in trials if t.state is ab.TrialState.COMPLETE]
    feasible = np.array([t.values[CON] <= bound for t in done])
    pts = np.array([[t.values[ACC], t.values[LAT]] for t in done])
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    truth = truth[np.argsort(truth[:, 1])]
    ax.step(truth[:, 1], truth[:, 0], where="post", color="0.6", lw=1.5, label="true feasible front (all cells)")
    ax.scatter(pts[~feasible, 1], pts[~feasible, 0], s=12, marker="x", color="C3", alpha=0.6,
               label=f"evaluated, {CON} > {bound:g} ms")
    ax.scatter(pts[feasible, 1], pts[feasible, 0], s=14, color="C0", alpha=0.6, label="evaluated, feasible")
    f = np.array(sorted((t.values[LAT], t.values[ACC]) for t in front))
    ax.step(f[:, 0], f[:, 1], where="post", color="C1", lw=2)
    ax.scatter(f[:, 0], f[:, 1], s=40, color="C1", zorder=3, label="front found")
    ax.set_xlabel(f"{LAT} (ms, lower is better)")
    ax.set_ylabel(f"{ACC} (%, CIFAR-10)")
    ax.set_ylim(max(REF[ACC], pts[:, 0].min() - 1), truth[:, 0].max() + 1)
    ax.set_xlim(0, REF[LAT])
    ax.set_title(f"{len(done)} cells evaluated; hypervolume {share:.1%} of the true front's")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="32 evaluations (seconds)")
    parser.add_argument("--budget", type=int, default=160)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--bound", type=float, default=5.0, help=f"constraint: {CON} <= BOUND ms")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="pareto.png", help="where to save the plot")
    args = parser.parse_args()
    budget, batch = (32, 16) if args.fast else (args.budget, args.batch)

    start = time.perf_counter()
    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201("cifar10")
    opt = ab.Optimizer(
        space,
        objectives={ACC: "maximize", LAT: "minimize"},
        constraints={CON: ("<=", args.bound)},
        n_initial=16,
        pool_size=100 if args.fast else 300,
        seed=args.seed,
    )
    while len(opt.trials) < budget:
        for trial in opt.ask(min(batch, budget - len(opt.trials))):
            r = bench.evaluate(trial.arch, [ACC, LAT, CON, "test-accuracy"])
            opt.tell(trial, {ACC: r[ACC], LAT: r[LAT], CON: r[CON]}, info={"test-accuracy": r["test-accuracy"]})

    front = sorted(opt.pareto_front(), key=lambda t: t.values[LAT])
    truth = true_front(bench, args.bound)
    hv_true = hypervolume(truth * [1.0, -1.0], [REF[ACC], -REF[LAT]])
    share = opt.hypervolume(REF) / hv_true
    feasible = sum(t.values[CON] <= args.bound for t in opt.trials if t.values)
    print(f"{budget} cells evaluated, {feasible} of them feasible ({CON} <= {args.bound:g} ms)")
    print(f"Pareto front found ({len(front)} cells; the true feasible front has {len(truth)}):")
    print(f"  {ACC:>14} {'test-accuracy':>13} {LAT:>14} {CON:>15}  cell")
    for t in front:
        print(
            f"  {t.values[ACC]:13.2f}% {t.info['test-accuracy']:12.2f}% {t.values[LAT]:12.2f}ms "
            f"{t.values[CON]:13.2f}ms  {space.to_string(t.arch)}"
        )
    print(f"hypervolume: {share:.1%} of the true front's (reference point {REF})")
    plot(args.out, opt.trials, front, truth, args.bound, share)
    print(f"Pareto plot saved to {args.out} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
