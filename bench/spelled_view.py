"""Does the GP see what the hardware runs? Kendall tau of the functional and spelled views (issue 5).

    python -m bench.spelled_view --reps 5 --train 32 96

NAS-Bench-201 CIFAR-10 validation accuracy and HW-NAS-Bench latency on pixel3, eyeriss and fpga.
Per repetition, ``train`` random cells fit a two-output GP (accuracy, minus latency) and 2,000
other random cells are ranked; reported is the Kendall tau of each output's predicted mean, mean
± std over the repetitions, for the default GP (functional views only: dead operations look like
``none``), the GP on the cells as spelled (``zero_ops=()``) and the default plus a Hamming kernel
on the spelled encoding (``spelled=True``), whose weight each output's marginal likelihood fits.
First, the latency of the cells that compute the identity, by what sits on their dead edges.
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np
from scipy.stats import kendalltau

VARIANTS = {"default (functional)": {}, "as spelled (zero_ops=())": {"zero_ops": ()}, "functional + spelled": {"spelled": True}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--train", type=int, nargs="+", default=[32, 96])
    parser.add_argument("--test", type=int, default=2000)
    args = parser.parse_args()
    import agnet_bo as ab

    warnings.simplefilter("ignore")
    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201("cifar10")
    acc = bench.table("valid-accuracy")
    identity_latencies(space, bench)
    print(f"Kendall tau of the predicted mean on {args.test} held-out cells, {args.reps} repetitions (mean ± std)\n")
    print("| device | train | GP view | accuracy | latency |\n|---|---:|---|---:|---:|")
    for dev in ("pixel3", "eyeriss", "fpga"):
        lat = bench.table(f"latency-{dev}")
        for n in args.train:
            taus: dict[str, list[tuple[float, float]]] = {k: [] for k in VARIANTS}
            for rep in range(args.reps):
                idx = np.random.default_rng(rep).choice(space.size, n + args.test, replace=False)
                tr, te = idx[:n], idx[n:]
                train = [space.from_index(int(i)) for i in tr]
                test = [space.from_index(int(i)) for i in te]
                Y = np.stack([acc[tr], -lat[tr]], 1)
                for name, kw in VARIANTS.items():
                    mean, _ = ab.surrogates.GPSurrogate(space, seed=rep, **kw).fit(train, Y).predict(test)
                    taus[name].append((kendalltau(mean[:, 0], acc[te])[0], kendalltau(mean[:, 1], -lat[te])[0]))
            for name, t in taus.items():
                a = np.array(t)
                print(f"| {dev} | {n} | {name} | {a[:, 0].mean():.3f} ± {a[:, 0].std():.3f} | {a[:, 1].mean():.3f} ± {a[:, 1].std():.3f} |")


def identity_latencies(space: Any, bench: Any) -> None:
    """What the functional view hides: the 125 cells that compute the identity (0->3 skip, 1->3
    and 2->3 zero) differ only on their three dead edges (ops 1-3)."""
    ident = [i for i in range(space.size) if (o := space.from_index(i).ops)[4] == "skip_connect" and o[5] == o[6] == "none"]
    light = np.array([all(op in ("none", "skip_connect") for op in space.from_index(i).ops[1:4]) for i in ident])
    print(f"{len(ident)} identity cells, median latency (ms) with only none/skip on the dead edges ({light.sum()} cells)"
          f" / with a convolution or pool on one ({(~light).sum()} cells):")
    for dev in ("pixel3", "eyeriss", "fpga"):
        lat = bench.table(f"latency-{dev}")[ident]
        near = np.sum(lat <= lat.min() + 0.02)
        print(f"  {dev}: {np.median(lat[light]):.2f} / {np.median(lat[~light]):.2f}; fastest {lat.min():.3f}, {near} within 0.02 ms of it")
    print()


if __name__ == "__main__":
    main()
