"""Where the pixel3 hypervolume shortfall comes from (issue 5; bench/RESULTS.md).

    python bench/pixel3_knee.py bench/results/pareto_parego.jsonl --seeds 1000 1010
    python bench/pixel3_knee.py bench/results/pareto_tuning.jsonl --seeds 0 5

Per method, the lowest pixel3 latency of a cell above 80 % CIFAR-10 validation accuracy found in
the first 192 queries of each run (the front's knee is 1.055 ms), and the latency spread of the
125 cells that compute the identity with edge 0->3 a skip connection and edges 1->3, 2->3 zero,
by how many convolutions sit on their three dead edges.
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw", help="a JSON-lines file of bench/search_nb201_mo.py pareto runs")
    parser.add_argument("--seeds", nargs=2, type=int, default=(1000, 1010), metavar=("FIRST", "STOP"))
    parser.add_argument("--queries", type=int, default=192)
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


if __name__ == "__main__":
    main()
