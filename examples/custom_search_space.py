"""Your own search space and your own objective: a ``DAGSpace`` searched with the ask/tell Optimizer.

The space is a cell space of your own: DAGs of 2 to 7 nodes (input and output included), hidden
nodes labelled ``conv3x3``, ``conv1x1``, ``sepconv5x5`` or ``maxpool``, at most 9 edges, and a
rule of your own (a callable): at most two ``maxpool`` nodes. The objective is a function you
write; here a synthetic stand-in for "accuracy minus a size penalty" computed from the graph, so
the example runs in seconds without training anything. In practice it would build the network
(``agnet_bo.networks.build_network(space, arch, ops={...})``) and train it.

The script

1. checks the space against the library's contract with ``agnet_bo.testing.check_search_space``
   (the same checks as the pytest suite ``agnet_bo.testing.SearchSpaceTests``);
2. searches it with AG-Net (``Optimizer``; the generator is pretrained for the new space first,
   which takes a few seconds);
3. compares with random search of the same budget.

    python examples/custom_search_space.py --fast    # seconds
    python examples/custom_search_space.py           # 96 evaluations, under a minute

In a test file, the conformance suite is one class::

    from agnet_bo.testing import SearchSpaceTests

    class TestMyCells(SearchSpaceTests):
        def make_space(self):
            return make_space()

A space with a constraint callable cannot be rebuilt from a saved file, so resume such a search
with ``Optimizer.load(path, space=make_space())``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import agnet_bo as ab
from agnet_bo.testing import check_search_space

OPS = ("conv3x3", "conv1x1", "sepconv5x5", "maxpool")


def make_space() -> ab.spaces.DAGSpace:
    """The user's cell space."""
    return ab.spaces.DAGSpace(
        ops=OPS,
        num_nodes=(2, 7),
        max_edges=9,
        constraint=lambda arch: arch.ops.count("maxpool") <= 2,
        name="my-cells",
    )


def longest_path(arch: ab.Architecture) -> int:
    """Number of hidden nodes on the longest input-output path (nodes are in topological order)."""
    depth = np.zeros(arch.num_nodes, dtype=int)
    for u, v in arch.edges:  # edges u -> v with u < v, in order of u
        depth[v] = max(depth[v], depth[u] + (1 if 0 < v < arch.num_nodes - 1 else 0))
    return int(depth[-1])


def objective(arch: ab.Architecture) -> float:
    """A made-up score with the trade-offs of a real one, higher is better.

    Convolutions add capacity with diminishing returns, depth helps up to four layers and hurts
    beyond, parallel branches (more edges than a chain) help a little, and every parameter costs.
    """
    ops = arch.ops[1:-1]
    capacity = {"conv3x3": 1.0, "conv1x1": 0.4, "sepconv5x5": 0.8, "maxpool": 0.1}
    params = {"conv3x3": 9.0, "conv1x1": 1.0, "sepconv5x5": 3.5, "maxpool": 0.0}
    gain = 20.0 * np.log1p(sum(capacity[o] for o in ops))
    depth = longest_path(arch)
    gain += 4.0 * min(depth, 4) - 3.0 * max(depth - 4, 0)
    gain += 1.5 * max(arch.num_edges - (arch.num_nodes - 1), 0)
    gain += 2.0 * ("maxpool" in ops and "sepconv5x5" in ops)  # a little interaction
    return float(gain - 0.35 * sum(params[o] for o in ops))


def search(space: ab.spaces.DAGSpace, method: str, budget: int, batch: int, seed: int, fast: bool) -> ab.Optimizer:
    """Ask/tell loop on ``objective``; ``method`` is "agnet" or "random"."""
    kwargs: dict = {"n_initial": batch, "pool_size": 100 if fast else 300, "seed": seed}
    if method == "agnet":
        # a generator for a new space is pretrained on random samples of it when the optimizer is built
        # (the default preset's proposer, with a smaller pretraining sample when fast)
        kwargs["proposer"] = ab.presets.make_proposer(
            "agnet", space, seed=seed, pretrain_samples=500 if fast else 3000, pretrain_epochs=1 if fast else 3,
            local_fraction=ab.presets.AGNET_LOCAL_FRACTION,
        )
    else:
        kwargs.update(proposer="random", surrogate="none")
    opt = ab.Optimizer(space, objectives={"score": "maximize"}, **kwargs)
    while len(opt.trials) < budget:
        for trial in opt.ask(min(batch, budget - len(opt.trials))):
            opt.tell(trial, {"score": objective(trial.arch)})
    return opt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="16 evaluations, small generator pretraining (seconds)")
    parser.add_argument("--budget", type=int, default=96)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    budget, batch = (16, 4) if args.fast else (args.budget, args.batch)

    space = make_space()
    start = time.perf_counter()
    check_search_space(space, n=16 if args.fast else 32)  # raises AssertionError naming the failed check
    print(f"conformance checks passed for {space.name} ({time.perf_counter() - start:.1f} s)")

    sample = space.sample(2000, seed=123)
    scores = np.array([objective(a) for a in sample])
    print(f"2000 random cells: score median {np.median(scores):.2f}, best {scores.max():.2f}")

    results = {}
    for method in ("agnet", "random"):
        t0 = time.perf_counter()
        opt = search(space, method, budget, batch, args.seed, args.fast)
        best = opt.best_trial
        results[method] = best.values["score"]
        print(f"{method:>6}: best score {best.values['score']:.2f} after {budget} evaluations ({time.perf_counter() - t0:.1f} s)")
        print(f"        ops {list(best.arch.ops[1:-1])}, edges {best.arch.edges}")
    print(f"best score: agnet {results['agnet']:.2f}, random search {results['random']:.2f}")


if __name__ == "__main__":
    main()
