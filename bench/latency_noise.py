"""How much of each HW-NAS-Bench latency a model of the cell can explain (issue 5; bench/notes/multi-objective.md, "Where pixel3's shortfall lies").

    python -m bench.latency_noise

Fits, by least squares on 12,500 of the 15,625 NB201 cells (split seeded), the latency as a sum
of terms over the operations on every single edge (order 1), every pair of edges (order 2) and
every triple (order 3), and reports on the other 3,125 cells the residual standard deviation and
R^2. A table made by an analytical cost model is explained exactly at order 1; measured latencies
keep a residual that the higher orders stop shrinking, which is measurement noise: no surrogate
can rank cells within it, so the true front there is made of lucky measurements. The last two
columns are the highest order's residual among the held-out cells with the lowest and the highest
tenth of the metric (the ends of an accuracy-latency front). CIFAR-10 validation accuracy is shown
for scale.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np


def _features(codes: np.ndarray, n_ops: int, order: int) -> np.ndarray:
    """One-hot indicators of the operations on every set of ``k <= order`` edges (``n x p``)."""
    n, n_edges = codes.shape
    cols = [np.ones((n, 1))]
    for k in range(1, order + 1):
        for edges in itertools.combinations(range(n_edges), k):
            code = np.zeros(n, dtype=np.int64)
            for e in edges:
                code = code * n_ops + codes[:, e]
            block = np.zeros((n, n_ops**k))
            block[np.arange(n), code] = 1.0
            cols.append(block)
    return np.hstack(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--metrics",
        nargs="+",
        default=["latency-pixel3", "latency-eyeriss", "latency-fpga", "latency-edgegpu", "valid-accuracy"],
    )
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--max-order", type=int, default=3)
    parser.add_argument("--test", type=int, default=3125, help="held-out cells")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201(args.dataset)
    ops = list(ab.spaces.nb201.NB201_OPS)
    codes = np.array([[ops.index(o) for o in space.from_index(i).ops[1:-1]] for i in range(space.size)])
    perm = np.random.default_rng(args.seed).permutation(space.size)
    test, train = perm[: args.test], perm[args.test :]
    feats = {k: _features(codes, len(ops), k) for k in range(1, args.max_order + 1)}
    print(
        f"NB201 {args.dataset}: held-out residual of per-edge interaction models ({len(train)} train / {len(test)} test cells)\n"
    )
    top = args.max_order
    print(
        "| metric | sd | "
        + " | ".join(f"order {k}: resid sd (R^2)" for k in feats)
        + f" | order {top} resid sd, lowest 10 % | highest 10 % |"
    )
    print("|---|---:|" + "---:|" * (len(feats) + 2))
    for metric in args.metrics:
        y = bench.table(metric)
        ok = np.isfinite(y)
        tr, te = train[ok[train]], test[ok[test]]
        cells = []
        for A in feats.values():
            coef, *_ = np.linalg.lstsq(A[tr], y[tr], rcond=None)
            res = y[te] - A[te] @ coef
            cells.append(f"{res.std():.3f} ({1 - res.var() / y[te].var():.3f})")
        lo, hi = np.quantile(y[te], [0.1, 0.9])  # where the front's ends lie: is the residual smaller there?
        cells += [f"{res[y[te] <= lo].std():.3f}", f"{res[y[te] >= hi].std():.3f}"]
        print(f"| {metric} | {y[te].std():.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
