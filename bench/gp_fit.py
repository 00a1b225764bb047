"""Fit time of the default GP surrogate with :class:`~agnet_bo.surrogates.gp.HammingKernel` and
with BoTorch's ``CategoricalKernel`` (what ``"hamming"`` and ``"wl+hamming"`` used before it).

For each space and number of cells ``n``: ``GPSurrogate(space, seed=0).fit`` on ``n`` random
cells with synthetic targets (a smooth function of the operation counts plus noise), both kernels
interleaved in one process, the median over ``--repeats`` fits. Both fits must agree (checked and
printed: the largest difference of the predicted means on 200 other cells, in units of the
targets' sd); the new kernel only computes the same kernel with less work.

    python bench/gp_fit.py --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings


def main() -> None:
    import numpy as np
    import torch
    from botorch.models.kernels import CategoricalKernel

    import agnet_bo as ab
    from agnet_bo.surrogates import gp as gp_module

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 900])
    p.add_argument("--spaces", nargs="+", default=["nb201", "nb101", "darts"])
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    makers = {"nb201": ab.spaces.NB201Space, "nb101": ab.spaces.NB101Space, "darts": ab.spaces.DARTSSpace}
    fast = gp_module.HammingKernel
    print(f"| space | cells | HammingKernel (s, median of {args.repeats}) | CategoricalKernel (s) | speed-up | max mean difference (sd) |")
    print("|---|---|---|---|---|---|")
    for name in args.spaces:
        space = makers[name]()
        test = space.sample(200, seed=1)
        for n in args.sizes:
            archs = space.sample(n, seed=0)
            ops = sorted({o for a in archs for o in a.ops})
            w = np.random.default_rng(0).normal(size=len(ops))
            y = np.array([sum(w[ops.index(o)] for o in a.ops) for a in archs])
            y = y + np.random.default_rng(1).normal(scale=0.3 * y.std(), size=n)
            times: dict[str, list[float]] = {"fast": [], "botorch": []}
            means: dict[str, torch.Tensor] = {}
            for r in range(args.repeats):
                for label in ("fast", "botorch") if r % 2 == 0 else ("botorch", "fast"):
                    gp_module.HammingKernel = fast if label == "fast" else CategoricalKernel
                    try:
                        t0 = time.perf_counter()
                        model = gp_module.GPSurrogate(space, seed=0).fit(archs, y)
                        times[label].append(time.perf_counter() - t0)
                    finally:
                        gp_module.HammingKernel = fast
                    means[label] = model.predict(test)[0].reshape(-1)
            a, b = statistics.median(times["fast"]), statistics.median(times["botorch"])
            diff = float((means["fast"] - means["botorch"]).abs().max()) / float(y.std())
            print(f"| {name} | {n} | {a:.2f} | {b:.2f} | {b / a:.1f}x | {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
