"""Measurements of the AG-Net generator (issue 3). Run from the project root:

    python -m bench.generator quality            # validity, diversity, op frequencies, speed
    python -m bench.generator concentration      # edit-distance-1 share after an update, update time
    python -m bench.generator search --seeds 10  # generator-only search on NB201, both modes
    python -m bench.generator speed --against REV  # draw / update times, this tree and commit REV interleaved

Each prints a Markdown table. torch uses one thread (the model is tiny; thread start-up costs
more than it saves, and the machine is shared).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch

from agnet_bo.benchmarks import NB201
from agnet_bo.generator import Generator
from agnet_bo.spaces import DARTSSpace, NB101Space, NB201Space

MODES = ("autoregressive", "paper")


def quality() -> None:
    print("| space | mode | raw draws | valid before rejection | distinct among valid |")
    print("|---|---|---:|---:|---:|")
    for space in (NB201Space(), DARTSSpace(), NB101Space()):
        n = 10_000 if not isinstance(space, DARTSSpace) else 2_000
        for mode in MODES:
            gen = Generator.from_pretrained(space, mode)
            draws = gen.draw(n, seed=0)
            valid = [a for a in draws if a is not None and space.is_valid(a)]
            keys = {space.key(a) for a in valid}
            print(f"| {type(space).__name__} | {mode} | {n} | {len(valid) / n:.2%} | {len(keys) / max(len(valid), 1):.2%} |")
    space = NB201Space()
    rng = np.random.default_rng(0)
    uniform = {space.key(space.from_index(int(i))) for i in rng.integers(15625, size=10_000)}
    print(f"\nUniform sampling with replacement, 10,000 NB201 draws: {len(uniform)} distinct "
          f"(expected {15625 * (1 - (1 - 1 / 15625) ** 10_000):.0f}).\n")
    print("| NB201 pretrained mode | distinct of 10,000 | ratio to uniform | max abs deviation of a per-position op frequency from 20 % |")
    print("|---|---:|---:|---:|")
    for mode in MODES:
        gen = Generator.from_pretrained(space, mode)
        draws = gen.draw(10_000, seed=1)
        keys = {space.key(a) for a in draws}
        counts = np.zeros((6, 5))
        for a in draws:
            for p, op in enumerate(a.ops[1:-1]):
                counts[p, space.ops.index(op)] += 1
        dev = np.abs(counts / len(draws) - 0.2).max()
        print(f"| {mode} | {len(keys)} | {len(keys) / len(uniform):.3f} | {100 * dev:.2f} points |")
    print("\n| speed | median of 5 (s) | runs (s) |")
    print("|---|---:|---|")
    for mode in MODES:
        gen = Generator.from_pretrained(space, mode)
        gen.sample(10, seed=99)  # build the float64 sampler once
        runs = []
        for r in range(5):
            t = time.perf_counter()
            gen.sample(1000, seed=r)
            runs.append(time.perf_counter() - t)
        print(f"| sample(1000) NB201, {mode} | {statistics.median(runs):.3f} | {', '.join(f'{x:.3f}' for x in runs)} |")


def concentration() -> None:
    space = NB201Space()
    bench = NB201("cifar10")
    print("| mode | seed | share of 1,000 new draws within edit distance 1 of the 16 best | before update | distinct |")
    print("|---|---:|---:|---:|---:|")
    for mode in MODES:
        shares = []
        for seed in range(5):
            archs = space.sample(64, seed=seed)
            vals = np.array([bench.evaluate(a, metrics=["valid-accuracy"])["valid-accuracy"] for a in archs])
            top = [archs[i] for i in np.argsort(-vals)[:16]]
            top_ops = np.array([[space.ops.index(o) for o in a.ops[1:-1]] for a in top])

            def share(gen: Generator, seed: int = seed, top_ops: np.ndarray = top_ops) -> tuple[float, int]:
                draws = gen.draw(1000, seed=100 + seed)
                ops = np.array([[space.ops.index(o) for o in a.ops[1:-1]] for a in draws])
                dist = (ops[:, None, :] != top_ops[None, :, :]).sum(-1).min(axis=1)
                return float((dist <= 1).mean()), len({space.key(a) for a in draws})

            gen = Generator.from_pretrained(space, mode, seed=seed)
            before, _ = share(gen)
            gen.update(archs, vals)
            after, distinct = share(gen)
            shares.append(after)
            print(f"| {mode} | {seed} | {after:.1%} | {before:.1%} | {distinct} |")
        print(f"| {mode} | mean | {np.mean(shares):.1%} | | |")
    print("\n| update on 300 NB201 archs (default epochs) | median of 3 (s) | runs (s) |")
    print("|---|---:|---|")
    archs = space.sample(300, seed=0)
    vals = np.array([bench.evaluate(a, metrics=["valid-accuracy"])["valid-accuracy"] for a in archs])
    for mode in MODES:
        runs = []
        for r in range(3):
            gen = Generator.from_pretrained(space, mode, seed=r)
            t = time.perf_counter()
            gen.update(archs, vals)
            runs.append(time.perf_counter() - t)
        print(f"| {mode} (epochs={gen.config.epochs}) | {statistics.median(runs):.2f} | {', '.join(f'{x:.2f}' for x in runs)} |")


def _search(job: tuple[str, str, int, int, dict]) -> tuple[str, str, int, list[float]]:
    """Generator-only search: 16 random cells, then rounds of update + 16 new samples."""
    torch.set_num_threads(1)
    mode, dataset, seed, budget, overrides = job
    space = NB201Space()
    bench = NB201(dataset)
    table = bench.table("valid-accuracy")
    gen = Generator.from_pretrained(space, mode, seed=seed, **overrides)
    archs = space.sample(16, seed=seed)
    vals = [float(table[space.index(a)]) for a in archs]
    r = 0
    while len(archs) < budget:
        gen.update(archs, np.array(vals))
        new = gen.sample(min(16, budget - len(archs)), seed=1000 * seed + r, exclude={space.key(a) for a in archs})
        archs += new
        vals += [float(table[space.index(a)]) for a in new]
        r += 1
    best = np.maximum.accumulate(vals)
    return mode, dataset, seed, [float(bench.optimum("valid-accuracy") - b) for b in best]


def search(seeds: int, budget: int, workers: int, overrides: dict) -> None:
    jobs = [(m, d, s, budget, overrides) for d in ("cifar10", "cifar100", "ImageNet16-120") for m in MODES for s in range(seeds)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_search, jobs))
    print(f"Generator-only search on NB201 (valid-accuracy), {seeds} seeds, overrides {overrides or 'none'}: "
          "mean regret (± std) of the best validation accuracy, and share of runs that found the optimum.\n")
    print("| dataset | mode | regret @96 | regret @192 | found optimum @192 |")
    print("|---|---|---:|---:|---:|")
    for d in ("cifar10", "cifar100", "ImageNet16-120"):
        for m in MODES:
            reg = np.array([r for (mm, dd, _, r) in results if mm == m and dd == d])
            at = lambda q, reg=reg: f"{reg[:, q - 1].mean():.3f} ± {reg[:, q - 1].std():.3f}"  # noqa: E731
            hit = (reg[:, min(192, budget) - 1] <= 1e-9).mean()
            print(f"| {d} | {m} | {at(96)} | {at(min(192, budget))} | {hit:.0%} |")


_SPEED_JOB = """
import json, sys, time
import numpy as np, torch
torch.set_num_threads(1)
from agnet_bo.generator import Generator
from agnet_bo.spaces import DARTSSpace, NB101Space, NB201Space
space = {"NB201": NB201Space, "NB101": NB101Space, "DARTS": DARTSSpace}[sys.argv[1]]()
gen = Generator.from_pretrained(space, seed=0)
if sys.argv[2] == "draw":
    gen.draw(8, seed=99)  # builds the float64 sampler
    t = time.perf_counter(); gen.draw(1024, seed=0)
else:
    archs = space.sample(100, seed=0)
    vals = np.random.default_rng(0).random(100)
    t = time.perf_counter(); gen.update(archs, vals)
print(json.dumps(time.perf_counter() - t))
"""


def speed(against: str | None, repeats: int) -> None:
    """``Generator.draw(1024)`` and ``Generator.update`` on 100 cells (default epochs) per space.

    With ``against``, the same jobs on that commit's tree, interleaved with this tree's
    (alternating, each in a fresh process on one thread), so both see the same machine load; the
    ratio is old / new of the medians.
    """
    import json
    import os
    import subprocess
    import sys
    import tempfile

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    times: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="agnet-bo-") as old:
        trees = {"this tree": here}
        if against:
            archive = subprocess.run(["git", "-C", here, "archive", against], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
            trees = {against: old, "this tree": here}
        for space in ("NB201", "NB101", "DARTS"):
            for job in ("draw", "update"):
                for _ in range(repeats):
                    for name, root in trees.items():
                        out = subprocess.run([sys.executable, "-c", _SPEED_JOB, space, job], env=dict(env, PYTHONPATH=root),
                                             cwd=root, check=True, capture_output=True, text=True).stdout
                        times.setdefault((space, job, name), []).append(json.loads(out.strip().splitlines()[-1]))
    names = list(trees)
    print("| space | job | " + " | ".join(f"{n}: median (s) | runs" for n in names) + (" | ratio |" if against else " |"))
    print("|---|---|" + "---:|---|" * len(names) + ("---:|" if against else ""))
    for space in ("NB201", "NB101", "DARTS"):
        for job, label in (("draw", "draw(1024)"), ("update", "update(100 cells)")):
            cells = [times[(space, job, n)] for n in names]
            med = [statistics.median(c) for c in cells]
            row = " | ".join(f"{m:.2f} | {', '.join(f'{x:.2f}' for x in c)}" for m, c in zip(med, cells, strict=True))
            print(f"| {space} | {label} | {row} |" + (f" {med[0] / med[1]:.2f}x |" if against else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["quality", "concentration", "search", "speed"])
    parser.add_argument("--against", default=None, help="speed: a commit to time interleaved with this tree")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=192)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--rank-k", type=float, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.what == "quality":
        quality()
    elif args.what == "concentration":
        concentration()
    elif args.what == "speed":
        speed(args.against, args.repeats)
    else:
        overrides = {k: v for k, v in (("epochs", args.epochs), ("rank_k", args.rank_k)) if v is not None}
        search(args.seeds, args.budget, args.workers, overrides)


if __name__ == "__main__":
    main()
