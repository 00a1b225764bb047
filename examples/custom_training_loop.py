"""AG-Net in your own training loop: NAS-Bench-201 cells really trained on handwritten digits.

The optimizer proposes NAS-Bench-201 cells with ``ask``; this script builds each cell into a small
network with ``agnet_bo.networks.build_network`` (8 channels, one cell per stage), trains it for a
few epochs on scikit-learn's bundled 8x8 digits and reports the validation accuracy with ``tell``.
The data are split three ways, as in any honest model selection:

* train (500 images): the weights are fitted on it;
* validation (400 images): the search sees only this accuracy;
* held-out test (the other 897 images): never seen by the search; recorded in ``trial.info``
  and used only for the final report.

At the end the best cell found (by validation accuracy) is compared on the held-out test set
with cells drawn at random and trained the same way (same number of cells, same epochs, same
seeds): their median test accuracy is what an architecture picked blindly would give.

    pip install agnet-bo scikit-learn
    python examples/custom_training_loop.py --fast    # seconds: 6 + 6 cells, 2 epochs
    python examples/custom_training_loop.py           # 40 searched + 40 random cells, 5 epochs

The full mode takes a few minutes on two CPU cores (one torch thread). Everything is seeded
(``--seed``): the same command prints the same numbers on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import agnet_bo as ab
from agnet_bo.networks import build_network, count_parameters

METRIC = "valid-accuracy"


def load_digits_splits(seed: int, n_train: int = 500, n_valid: int = 400) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """scikit-learn's digits (1,797 images, ``1 x 8 x 8``, scaled to [0, 1]) split train/valid/test."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = torch.tensor(digits.images[:, None] / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    parts = {"train": perm[:n_train], "valid": perm[n_train : n_train + n_valid], "test": perm[n_train + n_valid :]}
    return {name: (X[idx], y[idx]) for name, idx in parts.items()}


def accuracy(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy in % (batch norm in evaluation mode)."""
    net.eval()
    with torch.no_grad():
        return 100.0 * (net(X).argmax(1) == y).float().mean().item()


def train_and_evaluate(
    space: ab.spaces.NB201Space,
    arch: ab.Architecture,
    data: dict[str, tuple[torch.Tensor, torch.Tensor]],
    *,
    epochs: int,
    seed: int,
    n_train: int | None = None,
) -> dict[str, float]:
    """Train the network of one cell; return its validation and held-out test accuracy (in %).

    Every cell gets the same initial-weight seed and the same order of mini-batches, so the
    cells differ only in their architecture.
    """
    net = build_network(space, arch, channels=8, cells_per_stage=1, num_classes=10, in_channels=1, seed=seed)
    X, y = data["train"]
    if n_train is not None:
        X, y = X[:n_train], y[:n_train]
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    batches = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(y), generator=batches).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(X[idx]), y[idx]).backward()
            optimizer.step()
    return {
        METRIC: accuracy(net, *data["valid"]),
        "test-accuracy": accuracy(net, *data["test"]),
        "params": float(count_parameters(net)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="6 + 6 cells, 2 epochs on 300 images (seconds)")
    parser.add_argument("--budget", type=int, default=40, help="cells trained by the search (and at random)")
    parser.add_argument("--batch", type=int, default=8, help="cells asked at once")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs per cell")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    budget, batch, epochs, n_train = (6, 2, 2, 300) if args.fast else (args.budget, args.batch, args.epochs, None)

    torch.set_num_threads(1)  # tiny networks: one thread is fastest, and leaves the other core free
    start = time.perf_counter()
    space = ab.spaces.NB201Space()
    data = load_digits_splits(args.seed)
    sizes = ", ".join(f"{k} {len(v[1])}" for k, v in data.items())
    print(f"digits: {sizes} images; {budget} cells searched, {budget} at random, {epochs} epoch(s) each")

    # -- the search: ask, train, tell --------------------------------------------------------------
    opt = ab.Optimizer(
        space,
        objectives={METRIC: "maximize"},  # the search sees the validation accuracy only
        n_initial=min(batch, budget) if args.fast else 8,
        pool_size=50 if args.fast else 200,
        seed=args.seed,
    )
    while len(opt.trials) < budget:
        for trial in opt.ask(min(batch, budget - len(opt.trials))):
            result = train_and_evaluate(space, trial.arch, data, epochs=epochs, seed=args.seed, n_train=n_train)
            # the test accuracy rides along in `info`: recorded, never modelled
            opt.tell(trial, {METRIC: result[METRIC]}, info={"test-accuracy": result["test-accuracy"]})
        best_so_far = opt.best_trial
        print(f"  {len(opt.trials):3d} cells trained, best validation accuracy {best_so_far.values[METRIC]:.2f} %")
    search_seconds = time.perf_counter() - start

    # -- the baseline: as many random cells, trained the same way ------------------------------
    random_results = [
        train_and_evaluate(space, arch, data, epochs=epochs, seed=args.seed, n_train=n_train)
        for arch in space.sample(budget, seed=args.seed + 1)
    ]
    random_test = [r["test-accuracy"] for r in random_results]
    best_random = max(random_results, key=lambda r: r[METRIC])

    best = opt.best_trial
    found_test = best.info["test-accuracy"]
    median_random = statistics.median(random_test)
    better = sum(t < found_test for t in random_test)
    origin = "initial random design" if best.source == "initial" else f"proposed in round {best.round}"
    print(f"best cell found (trial {best.id}, {origin}): {space.to_string(best.arch)}")
    print(f"  validation accuracy {best.values[METRIC]:.2f} %")
    print(
        f"held-out test accuracy: best found {found_test:.2f} % vs median of {budget} random cells "
        f"{median_random:.2f} % (better than {better} of {budget}; random cells range "
        f"{min(random_test):.2f}-{max(random_test):.2f} %)"
    )
    print(
        f"random search for comparison: its best cell by validation ({best_random[METRIC]:.2f} %) "
        f"has {best_random['test-accuracy']:.2f} % held-out test accuracy"
    )
    print(f"wall time {time.perf_counter() - start:.1f} s (search {search_seconds:.1f} s)")


if __name__ == "__main__":
    main()
