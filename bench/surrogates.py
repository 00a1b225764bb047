"""Ranking benchmark of the surrogates (issue 4).

For each surrogate configuration and training-set size ``n``: fit on ``n`` random architectures,
predict held-out ones, and report Kendall tau and Spearman rho of the predicted mean against the
true values (mean +- std over seeds), fit+predict time, and calibration (the share of held-out
points whose true value lies within one predicted standard deviation of the mean, in the units
of the predictions: normal scores of the training ranks for the copula transform).

Data:
* NAS-Bench-201, CIFAR-10 validation accuracy (bundled: ``agnet_bo.benchmarks.NB201("cifar10")``):
  train on n = 16, 32, 64, 128, 256 random cells, test on 2,000 other cells.
* NAS-Bench-101 (tests/data/nb101_subset.json, 500 specs) and NAS-Bench-301 (tests/data/
  nb301_subset.json, 725 trained DARTS architectures): train on 100, test on the rest.

Usage (from the project root)::

    python -m bench.surrogates                        # everything, 10 seeds (slow: tens of minutes)
    python -m bench.surrogates --seeds 2 --sizes 32 128 --configs gp-wl gnn   # quick look
    python -m bench.surrogates --fit-time             # GNN-ensemble fit time on 300 NB201 cells
    python -m bench.surrogates --markdown out.md --json out.json

Every configuration runs with ``--threads`` torch threads (default 1; the models are small and a
loaded 2-core machine makes more threads slower).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import kendalltau, spearmanr

import agnet_bo as ab
from agnet_bo.spaces import DARTSSpace, NB101Space, SearchSpace
from agnet_bo.surrogates import GNNSurrogate, GPSurrogate, Surrogate, make_surrogate

ROOT = Path(__file__).resolve().parents[1]
NB101_CODES = ["input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu"]

Factory = Callable[[SearchSpace, int], Surrogate]


def _configs() -> dict[str, Factory]:
    out: dict[str, Factory] = {}
    for tt, short in (("copula", "cop"), ("standardize", "std")):
        for kernel in ("wl", "hamming", "rbf"):
            out[f"gp-{kernel}/{short}"] = lambda sp, s, k=kernel, t=tt: GPSurrogate(sp, kernel=k, target_transform=t, seed=s)
        out[f"gnn/{short}"] = lambda sp, s, t=tt: GNNSurrogate(sp, target_transform=t, seed=s)
        out[f"ens-hamming+wl/{short}"] = lambda sp, s, t=tt: make_surrogate(
            "ensemble", sp, members=[("gp", {"kernel": "hamming"}), ("gp", {"kernel": "wl"})], target_transform=t, seed=s
        )
    # make_surrogate("ensemble") with its default members
    out["ens-wl+gnn/cop"] = lambda sp, s: make_surrogate("ensemble", sp, members=[("gp", {"kernel": "wl"}), "gnn"], seed=s)
    # ablation: look at every node as it is (no zero-operation pruning)
    out["gp-wl/cop/no-zero-ops"] = lambda sp, s: GPSurrogate(sp, kernel="wl", zero_ops=(), seed=s)
    out["gp-hamming/cop/no-zero-ops"] = lambda sp, s: GPSurrogate(sp, kernel="hamming", zero_ops=(), seed=s)
    out["gnn/cop/no-zero-ops"] = lambda sp, s: GNNSurrogate(sp, zero_ops=(), seed=s)
    return out


CONFIGS = _configs()
DEFAULT_CONFIGS = [c for c in CONFIGS if "no-zero-ops" not in c]


def nb201_data() -> tuple[SearchSpace, list[ab.Architecture], np.ndarray]:
    bench = ab.benchmarks.NB201(dataset="cifar10")
    return bench.space, bench.space.all(), bench.table("valid-accuracy")


def nb101_data() -> tuple[SearchSpace, list[ab.Architecture], np.ndarray]:
    space = NB101Space()
    cells = json.loads((ROOT / "tests" / "data" / "nb101_subset.json").read_text())["cells"]
    archs = [space.from_spec(np.array(c["spec"][:49]).reshape(7, 7), [NB101_CODES[i] for i in c["spec"][49:]]) for c in cells]
    return space, archs, np.array([c["val_accuracy"] for c in cells])


def nb301_data() -> tuple[SearchSpace, list[ab.Architecture], np.ndarray]:
    space = DARTSSpace()
    table = json.loads((ROOT / "tests" / "data" / "nb301_subset.json").read_text())["cifar10"]
    return space, [space.from_compact(k) for k in table], np.array(list(table.values()))


def run_one(factory: Factory, space: SearchSpace, archs: list, y: np.ndarray, n: int, n_test: int | None, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(archs))
    tr = perm[:n]
    te = perm[n:] if n_test is None else perm[n : n + n_test]
    train, test = [archs[i] for i in tr], [archs[i] for i in te]
    surrogate = factory(space, seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoTorch's optimisation/numerical notices; results are what matters
        surrogate.fit(train, y[tr])
        mean, var = surrogate.predict(test)
    seconds = time.perf_counter() - t0
    mu = mean[:, 0].numpy()
    z = surrogate.transform_targets(y[te])[:, 0].numpy()  # true values in the units of the predictions
    sd = np.sqrt(var[:, 0].numpy())
    return {
        "tau": float(kendalltau(mu, y[te]).statistic),
        "rho": float(spearmanr(mu, y[te]).statistic),
        "coverage": float(np.mean(np.abs(z - mu) <= sd)),
        "seconds": seconds,
    }


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in ("tau", "rho", "coverage", "seconds"):
        v = np.array([r[k] for r in rows])
        out[k], out[k + "_std"] = float(v.mean()), float(v.std())
    return out


def fit_time(n: int = 300, repeats: int = 3, threads: int = 1) -> list[float]:
    """Seconds to fit the default GNNSurrogate on ``n`` NB201 cells, ``repeats`` times."""
    space, archs, y = nb201_data()
    idx = np.random.default_rng(0).permutation(len(archs))[:n]
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        times = []
        for r in range(repeats):
            s = GNNSurrogate(space, seed=r)
            t0 = time.perf_counter()
            s.fit([archs[i] for i in idx], y[idx])
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)
    return times


_TITLES = {
    "nb201": "NB201 (CIFAR-10 validation accuracy; test on 2,000 other cells)",
    "nb101": "NB101 (500 specs of tests/data/nb101_subset.json; train 100, test 400)",
    "nb301": "NB301 (725 trained DARTS architectures of tests/data/nb301_subset.json; train 100, test 625)",
}


def render(raw: list[dict[str, Any]]) -> str:
    """Markdown tables of the per-seed results: one table per metric when a dataset has several sizes."""
    lines: list[str] = []
    for ds in dict.fromkeys(r["dataset"] for r in raw):
        rows = [r for r in raw if r["dataset"] == ds]
        configs = list(dict.fromkeys(r["config"] for r in rows))
        sizes = sorted({r["n"] for r in rows})
        cell = {(c, n): summarize([r for r in rows if r["config"] == c and r["n"] == n]) for c in configs for n in sizes}
        lines += [f"#### {_TITLES[ds]}", ""]
        if len(sizes) == 1:
            n = sizes[0]
            lines += ["| surrogate | Kendall tau | Spearman rho | within 1 sd | fit+predict (s) |", "|---|---:|---:|---:|---:|"]
            for c in configs:
                v = cell[(c, n)]
                lines.append(f"| {c} | {v['tau']:.3f} ± {v['tau_std']:.3f} | {v['rho']:.3f} ± {v['rho_std']:.3f} | "
                             f"{100 * v['coverage']:.0f} % | {v['seconds']:.2f} |")
            lines.append("")
            continue
        for _metric, title, fmt in (
            ("tau", "Kendall tau (mean ± std over seeds)", lambda v: f"{v['tau']:.3f} ± {v['tau_std']:.3f}"),
            ("rho", "Spearman rho", lambda v: f"{v['rho']:.3f} ± {v['rho_std']:.3f}"),
            ("coverage", "Share of held-out points within ±1 predicted sd", lambda v: f"{100 * v['coverage']:.0f} %"),
            ("seconds", "Fit + predict time (s, mean)", lambda v: f"{v['seconds']:.2f}"),
        ):
            lines += [f"{title}:", "", "| surrogate | " + " | ".join(f"n = {n}" for n in sizes) + " |",
                      "|---|" + "---:|" * len(sizes)]
            lines += [f"| {c} | " + " | ".join(fmt(cell[(c, n)]) for n in sizes) + " |" for c in configs]
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=10, help="seeds per configuration (default 10)")
    p.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128, 256], help="NB201 training sizes")
    p.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, help=f"of {list(CONFIGS)}")
    p.add_argument("--datasets", nargs="+", default=["nb201", "nb101", "nb301"], choices=["nb201", "nb101", "nb301"])
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--fit-time", action="store_true", help="only time the GNN-ensemble fit on 300 NB201 cells")
    p.add_argument("--json", type=Path, help="write raw per-seed results here")
    p.add_argument("--markdown", type=Path, help="write the result tables here")
    p.add_argument("--from-json", type=Path, help="only render the tables of a --json file")
    args = p.parse_args(argv)
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        p.error(f"unknown configs {unknown}; choose from {list(CONFIGS)}")

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        text = f"{saved['header']}\n\n{render(saved['results'])}\n"
        if args.markdown:
            args.markdown.write_text(text)
        print(text)
        return 0
    if args.fit_time:
        for threads in (1, 2):
            times = fit_time(threads=threads)
            print(f"GNN ensemble fit, 300 NB201 cells, {threads} thread(s): " + ", ".join(f"{t:.2f}" for t in times)
                  + f" s; median {statistics.median(times):.2f} s", flush=True)
        return 0

    header = (f"Seeds: {args.seeds}; torch threads: {args.threads}; {platform.machine()}, "
              f"Python {platform.python_version()}, torch {torch.__version__}.")
    torch.set_num_threads(args.threads)
    loaders = {"nb201": nb201_data, "nb101": nb101_data, "nb301": nb301_data}
    raw: list[dict[str, Any]] = []
    for ds in args.datasets:
        space, archs, y = loaders[ds]()
        sizes, n_test = (args.sizes, 2000) if ds == "nb201" else ([100], None)
        for name in args.configs:
            for n in sizes:
                rows = [run_one(CONFIGS[name], space, archs, y, n, n_test, seed) for seed in range(args.seeds)]
                raw += [{"dataset": ds, "config": name, "n": n, "seed": seed, **r} for seed, r in enumerate(rows)]
                v = summarize(rows)
                print(f"{ds} {name} n={n}: tau {v['tau']:.3f} ± {v['tau_std']:.3f}, rho {v['rho']:.3f}, "
                      f"within 1 sd {100 * v['coverage']:.0f} %, {v['seconds']:.2f} s", flush=True)
    text = f"{header}\n\n{render(raw)}\n"
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"header": header, "results": raw}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
