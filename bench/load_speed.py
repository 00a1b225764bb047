"""Building an optimizer for a user space, first time vs from the cache vs Optimizer.load (issue 24).

    python -m bench.load_speed --runs 5

A custom ``DAGSpace`` (tree-shaped cells, 6 nodes, 4 ops: 1,499 networks) with the default
optimizer. Per run, in one process: (1) build with an empty cache (lists the space's members
and pretrains the generator on all 1,499 of them: the first time a user builds it), (2) build again with a new space object, as a
new process would (the pretrained generator comes from the cache; the space lists its members
again), (3) ask and tell 32 architectures, save, and time ``Optimizer.load``. Prints the
median of each and the ratios of the medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import agnet_bo as ab

    first, cached, load = [], [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            space = ab.spaces.DAGSpace(["conv", "pool", "skip", "gru"], num_nodes=6, in_degree=1, output_reads="leaves")
            def kw(space: ab.spaces.SearchSpace, tmp: str = tmp, run: int = run) -> dict:
                return {"proposer": ab.presets.make_proposer(
                    "agnet", space, seed=run, cache_dir=str(Path(tmp) / "cache"), local_fraction=ab.presets.AGNET_LOCAL_FRACTION
                )}

            t0 = time.perf_counter()
            opt = ab.Optimizer(space, {"score": "maximize"}, seed=run, **kw(space))
            first.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            fresh = ab.spaces.DAGSpace(["conv", "pool", "skip", "gru"], num_nodes=6, in_degree=1, output_reads="leaves")
            ab.Optimizer(fresh, {"score": "maximize"}, seed=run, **kw(fresh))  # as a new process would: a new space object
            cached.append(time.perf_counter() - t0)
            rng = np.random.default_rng(run)
            for _ in range(4):
                for t in opt.ask(8):
                    opt.tell(t, float(rng.random()))
            opt.save(Path(tmp) / "run.json")
            t0 = time.perf_counter()
            ab.Optimizer.load(Path(tmp) / "run.json")
            load.append(time.perf_counter() - t0)
        print(f"run {run}: first build {first[-1]:.2f} s, from the cache {cached[-1]:.2f} s, load {load[-1]:.3f} s", flush=True)
    f, c, ld = (statistics.median(x) for x in (first, cached, load))
    print(f"\nmedians over {args.runs} runs: first build {f:.2f} s, build from the cache {c:.2f} s, Optimizer.load {ld:.3f} s")
    print(f"first build / load = {f / ld:.0f}x, first build / cached build = {f / c:.1f}x")


if __name__ == "__main__":
    main()
