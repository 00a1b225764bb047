"""Same seed, same history, same picks: full NB201 searches asked by two versions of agnet-bo.

Runs four searches (CIFAR-10 validation accuracy; HW-NAS-Bench Pixel 3 latency) with the API that
both versions share, and writes the keys asked, in order, as JSON:

    python -m bench.same_picks --out new.json                                   # this checkout
    git worktree add /tmp/old <commit> && PYTHONPATH=/tmp/old python -m bench.same_picks --out old.json
    python -m bench.same_picks --compare old.json new.json

The scenarios: the single-objective default, the multi-objective default (accuracy vs latency),
a latency-constrained search (latency <= 8 ms) and the paper preset; 192 queries in batches of 16.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

LATENCY = "latency-pixel3"


def run(name: str, budget: int, seed: int) -> dict:
    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201("cifar10")
    if name == "single_objective":
        opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, seed=seed)
    elif name == "multi_objective":
        opt = ab.Optimizer(space, {"valid-accuracy": "maximize", LATENCY: "minimize"}, seed=seed)
    elif name == "constrained":
        opt = ab.Optimizer(space, {"valid-accuracy": "maximize"}, constraints={LATENCY: ("<=", 8.0)}, seed=seed)
    else:
        opt = ab.Optimizer.paper(space, seed=seed)
    metrics = list(opt.metrics)
    start = time.perf_counter()
    keys = []
    while len(keys) < budget:
        for t in opt.ask(min(16, budget - len(keys))):
            keys.append(t.key)
            opt.tell(t, bench.evaluate(t.arch, metrics=metrics))
    acc = [t.values["valid-accuracy"] for t in opt.trials]
    optimum = float(bench.table("valid-accuracy").max())
    first = next((i + 1 for i, a in enumerate(acc) if a >= optimum), None)
    return {"keys": keys, "seconds": time.perf_counter() - start, "best": max(acc), "optimum_at": first}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out")
    p.add_argument("--compare", nargs=2)
    p.add_argument("--budget", type=int, default=192)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scenarios", nargs="+", default=["single_objective", "multi_objective", "constrained", "paper"])
    args = p.parse_args()
    if args.compare:
        a, b = (json.load(open(f)) for f in args.compare)
        for name in a:
            same = a[name]["keys"] == b[name]["keys"]
            print(f"{name}: {len(a[name]['keys'])} asked, identical order: {same}; best {a[name]['best']:.3f} / "
                  f"{b[name]['best']:.3f}; optimum at query {a[name]['optimum_at']} / {b[name]['optimum_at']}; "
                  f"{a[name]['seconds']:.0f} s / {b[name]['seconds']:.0f} s")
        return
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in args.scenarios:
            out[name] = run(name, args.budget, args.seed)
            print(name, f"{out[name]['seconds']:.0f} s, optimum at {out[name]['optimum_at']}", flush=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main()
