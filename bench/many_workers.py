"""Many workers asking one architecture at a time: ask latency, model rounds, search quality.

An asynchronous schedule on NAS-Bench-201 (CIFAR-10 validation accuracy): ``--workers`` trials
are kept pending; each step one pending trial, chosen at random (random completion order),
is told its result and its worker asks for one new architecture. Per configuration it reports the
median latency of an ``ask(1)`` right after a tell and of an ``ask(1)`` with nothing new told
(a second worker asking at the same moment), the number of model rounds per 100 suggestions, and
the best validation accuracy found at the budget (mean over seeds; the NB201 optimum is 91.607).

    python bench/many_workers.py --workers 64 --budget 192 --seeds 0 1 2 3 4 --configs default reuse
    python bench/many_workers.py --workers 256 --budget 384 --seeds 0 1 --configs reuse default
    python bench/many_workers.py --workers 64 --budget 192 --seeds 0 1 2 3 4 --configs background --gap 0.1
    python bench/many_workers.py --report bench/results/many_workers.jsonl

Configurations: ``default`` (a round per ask), ``reuse`` (``refit_every=8, prefetch=16``),
``background`` (``prefetch=16, refit_in_background=True``: a refit after every result, in a
background thread, while asks are served from the last round's picks). Besides the medians it
reports the 90th percentile and the maximum of the ask latency (the asks that paid for a round).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

CONFIGS = {
    "default": {},
    "reuse": {"refit_every": 8, "prefetch": 16},
    "background": {"prefetch": 16, "refit_in_background": True},
}


def run(config: str, workers: int, budget: int, seed: int, gap: float = 0.0) -> dict:
    import numpy as np

    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201("cifar10")
    opt = ab.Optimizer(space, "valid-accuracy", seed=seed, **CONFIGS[config])
    rounds = []
    opt.add_callback(lambda o: rounds.append(1), when="round")
    rng = np.random.default_rng(seed)
    pending = opt.ask(workers)
    after_tell, idle = [], []
    suggestions = 0
    start = time.perf_counter()
    told = 0
    while told < budget:
        if gap:
            time.sleep(gap)  # the next worker is still training
        t = pending.pop(int(rng.integers(len(pending))))
        opt.tell(t, bench.evaluate(t.arch, metrics=["valid-accuracy"]))
        told += 1
        if len(opt.trials) >= budget:
            continue
        a0 = time.perf_counter()
        pending += opt.ask(1)
        after_tell.append(time.perf_counter() - a0)
        suggestions += 1
        if len(opt.trials) < budget and told % 4 == 0:  # another worker asks before anything new is told
            a0 = time.perf_counter()
            extra = opt.ask(1)
            idle.append(time.perf_counter() - a0)
            pending += extra
            suggestions += 1
    best = max(t.values["valid-accuracy"] for t in opt.trials if t.values is not None)
    return {
        "config": config, "workers": workers, "budget": budget, "seed": seed, "best": best, "gap": gap,
        "median_ask_after_tell": statistics.median(after_tell) if after_tell else None,
        "median_ask_nothing_new": statistics.median(idle) if idle else None,
        "p90_ask": statistics.quantiles(after_tell + idle, n=10)[-1], "max_ask": max(after_tell + idle),
        "rounds_per_100": 100 * len(rounds) / max(suggestions, 1), "seconds": time.perf_counter() - start,
    }


def report(path: str) -> None:
    rows = [json.loads(line) for line in open(path)]
    keys = sorted({(r["workers"], r["config"]) for r in rows}, key=lambda k: (k[0], list(CONFIGS).index(k[1])))
    print("| pending | config | seeds | ask after a tell (median s) | ask, nothing new (median s) | ask p90 (s) | "
          "ask max (s) | rounds / 100 asks | best at budget |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w, c in keys:
        rs = [r for r in rows if r["workers"] == w and r["config"] == c]
        def med(k: str, rs: list = rs) -> float:
            return statistics.median([r[k] for r in rs if r[k] is not None])

        bests = [r["best"] for r in rs]
        sd = statistics.stdev(bests) if len(bests) > 1 else 0.0
        p90 = f"{med('p90_ask'):.3f}" if all("p90_ask" in r for r in rs) else "-"
        mx = f"{med('max_ask'):.3f}" if all("max_ask" in r for r in rs) else "-"
        print(f"| {w} | {c} | {len(rs)} | {med('median_ask_after_tell'):.3f} | {med('median_ask_nothing_new'):.3f} | {p90} | {mx} | "
              f"{statistics.mean(r['rounds_per_100'] for r in rs):.1f} | {statistics.mean(bests):.3f} ± {sd:.3f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, nargs="+", default=[64])
    p.add_argument("--budget", type=int, nargs="+", default=[192], help="one per --workers value")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--gap", type=float, default=0.0, help="seconds between two completions (training time / workers)")
    p.add_argument("--out", default="bench/results/many_workers.jsonl")
    p.add_argument("--report")
    args = p.parse_args()
    if args.report:
        report(args.report)
        return
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    for w, budget in zip(args.workers, args.budget * len(args.workers) if len(args.budget) == 1 else args.budget, strict=True):
        for seed in args.seeds:
            for c in args.configs:
                r = run(c, w, budget, seed, args.gap)
                print(json.dumps(r), flush=True)
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
