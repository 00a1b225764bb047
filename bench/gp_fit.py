"""Fit time of the default GP surrogate with :class:`~agnet_bo.surrogates.gp.HammingKernel` and
with BoTorch's ``CategoricalKernel`` (what ``"hamming"`` and ``"wl+hamming"`` used before it).

For each space and number of cells ``n``: ``GPSurrogate(space, seed=0).fit`` on ``n`` random
cells with synthetic targets (a linear function of the operation counts plus noise), both kernels
interleaved in one process, the median over ``--repeats`` fits. The new kernel only computes the
same kernel with less work, which two columns check: the largest difference of the predicted means
on 200 other cells, in units of the targets' sd, when the BoTorch-kernel model is given the
hyperparameters the fast fit found ("same hyperparameters": 0 up to rounding), and the marginal
log-likelihood per cell that each fit reached (L-BFGS from the same start can take another path
when the gradients differ in the last bits, so the fitted models may differ; neither is better
by construction).

``--profile``: instead, the torch profiler's table of one fit with the new kernel on the largest
``--sizes`` cells of the first of ``--spaces`` (where the time goes once the kernel is cheap).

    python -m bench.gp_fit --repeats 3
    python -m bench.gp_fit --profile --sizes 900 --spaces nb201
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
    from gpytorch.mlls import ExactMarginalLogLikelihood

    import agnet_bo as ab
    from agnet_bo.surrogates import gp as gp_module

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 900])
    p.add_argument("--spaces", nargs="+", default=["nb201", "nb101", "darts"])
    p.add_argument("--profile", action="store_true", help="profile one fit instead of timing both kernels")
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    makers = {"nb201": ab.spaces.NB201Space, "nb101": ab.spaces.NB101Space, "darts": ab.spaces.DARTSSpace}
    fast = gp_module.HammingKernel

    def data(space: ab.spaces.SearchSpace, n: int) -> tuple[list[ab.Architecture], np.ndarray]:
        archs = space.sample(n, seed=0)
        ops = sorted({o for a in archs for o in a.ops})
        w = np.random.default_rng(0).normal(size=len(ops))
        y = np.array([sum(w[ops.index(o)] for o in a.ops) for a in archs])
        return archs, y + np.random.default_rng(1).normal(scale=0.3 * y.std(), size=n)

    if args.profile:
        from torch.profiler import profile

        archs, y = data(makers[args.spaces[0]](), max(args.sizes))
        with profile() as prof:
            gp_module.GPSurrogate(makers[args.spaces[0]](), seed=0).fit(archs, y)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
        return

    def mll_per_cell(model: gp_module.GPSurrogate) -> float:
        gp = model.model_
        gp.train()
        try:
            with torch.no_grad():
                return float(ExactMarginalLogLikelihood(gp.likelihood, gp)(gp(*gp.train_inputs), gp.train_targets))
        finally:
            gp.eval()

    print(f"| space | cells | HammingKernel (s, median of {args.repeats}) | CategoricalKernel (s) | speed-up"
          " | same hyperparameters: max mean difference (sd) | log-likelihood per cell: HammingKernel / CategoricalKernel fit |")
    print("|---|---|---|---|---|---|---|")
    for name in args.spaces:
        space = makers[name]()
        test = space.sample(200, seed=1)
        for n in args.sizes:
            archs, y = data(space, n)
            times: dict[str, list[float]] = {"fast": [], "botorch": []}
            models: dict[str, gp_module.GPSurrogate] = {}
            for r in range(args.repeats):
                for label in ("fast", "botorch") if r % 2 == 0 else ("botorch", "fast"):
                    gp_module.HammingKernel = fast if label == "fast" else CategoricalKernel
                    try:
                        t0 = time.perf_counter()
                        model = gp_module.GPSurrogate(space, seed=0).fit(archs, y)
                        times[label].append(time.perf_counter() - t0)
                    finally:
                        gp_module.HammingKernel = fast
                    models[label] = model
            a, b = statistics.median(times["fast"]), statistics.median(times["botorch"])
            ll = f"{mll_per_cell(models['fast']):.4f} / {mll_per_cell(models['botorch']):.4f}"
            models["botorch"].model_.load_state_dict(models["fast"].model_.state_dict())  # same hyperparameters
            diff = (models["fast"].predict(test)[0] - models["botorch"].predict(test)[0]).abs().max()
            print(f"| {name} | {n} | {a:.2f} | {b:.2f} | {b / a:.1f}x | {float(diff) / float(y.std()):.1e} | {ll} |", flush=True)


if __name__ == "__main__":
    main()
