"""Where the pixel3 hypervolume shortfall comes from (issue 5; bench/notes/multi-objective.md, "Where pixel3's shortfall lies").

    python -m bench.pixel3_knee bench/results/pareto_parego.jsonl --seeds 1000 1010
    python -m bench.pixel3_knee bench/results/pareto_tuning.jsonl --seeds 0 5

Per method, the lowest pixel3 latency of a cell above 80 % CIFAR-10 validation accuracy found in
the first 192 queries of each run (the front's knee is 1.055 ms), and the latency spread of the
125 cells that compute the identity with edge 0->3 a skip connection and edges 1->3, 2->3 zero,
by how many convolutions sit on their three dead edges.

Then where on the front the hypervolume shortfall lies: the true front is cut into latency bands
(``--bands``, ms), and a band's share is how much the found front's hypervolume would grow, as a
fraction of the true front's, if the band's true Pareto cells were added to it (objectives
normalised as in bench/search_nb201_mo.py). The shares of disjoint bands add up to about the whole
shortfall.
"""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw", help="a JSON-lines file of bench/search_nb201_mo.py pareto runs")
    parser.add_argument("--seeds", nargs=2, type=int, default=(1000, 1010), metavar=("FIRST", "STOP"))
    parser.add_argument("--queries", type=int, default=192)
    parser.add_argument("--bands", nargs="+", type=float, default=[1.2, 2.0], help="latency cuts (ms) of the front")
    args = parser.parse_args()
    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201("cifar10")
    acc, lat = bench.table("valid-accuracy"), bench.table("latency-pixel3")
    with open(args.raw) as f:
        runs = [r for r in map(json.loads, filter(str.strip, f)) if r["task"] == "pareto" and r["device"] == "pixel3"]
    runs = [r for r in runs if args.seeds[0] <= r["seed"] < args.seeds[1]]
    print(f"lowest pixel3 latency (ms) of a cell above 80 % found in {args.queries} queries, seeds {args.seeds[0]}..{args.seeds[1] - 1}:")
    for m in sorted({r["method"] for r in runs}):
        knees = []
        for r in sorted((r for r in runs if r["method"] == m), key=lambda r: r["seed"]):
            rows = np.array(r["rows"][: args.queries])
            good = rows[acc[rows] > 80]
            knees.append(f"{lat[good].min():.2f}" if len(good) else "-")
        print(f"  {m}: {' '.join(knees)}")
    ident = [i for i in range(space.size) if (o := space.from_index(i).ops)[4] == "skip_connect" and o[5] == o[6] == "none"]
    lat_i = lat[ident]
    print(f"\n{len(ident)} identity cells (0->3 skip, 1->3 and 2->3 zero): pixel3 latency {lat_i.min():.3f}-{lat_i.max():.1f} ms, median {np.median(lat_i):.2f}")
    convs = np.array([sum(op.startswith("nor_conv") for op in space.from_index(i).ops[1:4]) for i in ident])
    for c in range(4):
        sel = lat_i[convs == c]
        print(f"  {c} convolutions on the dead edges: {len(sel)} cells, median {np.median(sel):.2f} ms, min {sel.min():.3f} ms")
    _bands(runs, acc, lat, args.queries, args.bands)


def _bands(runs: list[dict], acc: np.ndarray, lat: np.ndarray, queries: int, cuts: list[float]) -> None:
    from agnet_bo.pareto import hypervolume, pareto_mask

    ok = np.isfinite(acc) & np.isfinite(lat)
    Y = np.stack([acc, -lat], 1)  # maximised
    true = np.flatnonzero(ok)[pareto_mask(Y[ok])]
    ideal, nadir = Y[true].max(0), Y[true].min(0)
    ref = np.full(2, 1.1)

    def hv(rows: np.ndarray) -> float:
        return hypervolume(-(ideal - Y[rows]) / (ideal - nadir), -ref)

    hv_true = hv(true)
    edges = [-np.inf, *cuts, np.inf]
    names = [f"{lo:g}-{hi:g} ms".replace("-inf-", "< ").replace("-inf ms", " ms+") for lo, hi in itertools.pairwise(edges)]
    bands = [true[(lat[true] >= lo) & (lat[true] < hi)] for lo, hi in itertools.pairwise(edges)]
    print(f"\nhypervolume shortfall at {queries} queries by latency band of the true front (mean over seeds):")
    print("| method | runs | shortfall | " + " | ".join(f"{n} ({len(b)} cells)" for n, b in zip(names, bands, strict=True)) + " |")
    print("|---|---:|---:|" + "---:|" * len(bands))
    for m in sorted({r["method"] for r in runs}):
        short, parts = [], []
        for r in (r for r in runs if r["method"] == m):
            rows = np.array(r["rows"][:queries])
            rows = rows[ok[rows]]
            base = hv(rows)
            short.append(1 - base / hv_true)
            parts.append([(hv(np.concatenate([rows, b])) - base) / hv_true for b in bands])
        print(f"| {m} | {len(short)} | {np.mean(short):.4f} | " + " | ".join(f"{v:.4f}" for v in np.mean(parts, 0)) + " |")


if __name__ == "__main__":
    main()
