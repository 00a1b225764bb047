"""Architecture search with Ray Tune: AG-Net proposes NAS-Bench-201 cells, Tune trains them.

Each Tune trial builds a small CNN around the proposed NAS-Bench-201 cell and trains it for a few
epochs on scikit-learn's 8x8 handwritten digits (or on synthetic data if scikit-learn is
missing), reporting the validation accuracy after every epoch. ``AGNetSearch`` turns the
reported accuracies into the next proposals.

    pip install 'agnet-bo[ray]'
    python examples/ray_tune_search.py --fast            # a few seconds of training, 8 trials
    python examples/ray_tune_search.py --samples 48 --concurrent 4
    python examples/ray_tune_search.py --multi-objective # accuracy vs. parameter count
    python examples/ray_tune_search.py --address auto    # on a running Ray cluster

The same script runs on a cluster: ``--address auto`` on a cluster node (or
``ray://<head>:10001`` from outside) connects to it, and Tune spreads the trials over its nodes.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import ray
import torch
from ray import tune
from torch import nn

import agnet_bo as ab
from agnet_bo.integrations.ray import AGNetSearch, arch_from_config
from agnet_bo.spaces.nb201 import NB201_EDGES

METRIC = "valid-accuracy"


# -- a network from a NAS-Bench-201 cell ----------------------------------------------------------
def _op(name: str, channels: int) -> nn.Module | None:
    """One edge operation of the cell; ``None`` for "none" (the edge is absent)."""
    if name == "none":
        return None
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1)
    k = 1 if name == "nor_conv_1x1" else 3
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(channels, channels, k, padding=k // 2, bias=False), nn.BatchNorm2d(channels)
    )


class Cell(nn.Module):
    """A NAS-Bench-201 cell: node ``j`` sums the operations on its incoming edges ``i -> j``."""

    def __init__(self, arch: ab.Architecture, channels: int) -> None:
        super().__init__()
        # node-labelled form: ops[1 + e] is the operation on NB201_EDGES[e]
        self.edges = [(i, j, f"e{e}") for e, (i, j) in enumerate(NB201_EDGES) if arch.ops[1 + e] != "none"]
        self.edge_ops = nn.ModuleDict({key: _op(arch.ops[1 + int(key[1:])], channels) for _, _, key in self.edges})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x, 0.0, 0.0, 0.0]
        for i, j, key in self.edges:  # NB201_EDGES is in topological order
            if isinstance(nodes[i], torch.Tensor):  # a node without inputs carries nothing
                nodes[j] = nodes[j] + self.edge_ops[key](nodes[i])
        out = nodes[3]
        return out if isinstance(out, torch.Tensor) else torch.zeros_like(x)  # a cell without a path


def build_network(arch: ab.Architecture, channels: int = 16, classes: int = 10) -> nn.Module:
    """Stem convolution, two cells, global pooling and a linear classifier."""
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(channels),
        Cell(arch, channels),
        Cell(arch, channels),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(channels, classes),
    )


# -- data -----------------------------------------------------------------------------------------
def load_data(n_max: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """8x8 digit images ``n x 1 x 8 x 8`` scaled to [0, 1] and labels; synthetic without scikit-learn."""
    try:
        from sklearn.datasets import load_digits

        digits = load_digits()
        X, y = digits.images.astype(np.float32) / 16.0, digits.target.astype(np.int64)
    except ImportError:  # a learnable stand-in: each class is a noisy template
        rng = np.random.default_rng(0)
        templates = rng.random((10, 8, 8)).astype(np.float32)
        y = rng.integers(0, 10, 1800)
        X = np.clip(templates[y] + 0.3 * rng.standard_normal((1800, 8, 8)).astype(np.float32), 0, 1)
    X = X[:, None]
    return (X[:n_max], y[:n_max]) if n_max else (X, y)


# -- the Tune trainable ---------------------------------------------------------------------------
def train(config: dict) -> None:
    """Train the proposed cell; report validation accuracy (in %) and parameter count each epoch."""
    torch.set_num_threads(1)
    torch.manual_seed(config["seed"])
    arch = arch_from_config(config)  # the cell AG-Net proposed (also config["arch_str"])
    X, y = load_data(config["n_max"])
    perm = np.random.default_rng(config["seed"]).permutation(len(y))
    n_train = int(0.7 * len(y))
    Xt, yt = torch.from_numpy(X[perm[:n_train]]), torch.from_numpy(y[perm[:n_train]])
    Xv, yv = torch.from_numpy(X[perm[n_train:]]), torch.from_numpy(y[perm[n_train:]])
    net = build_network(arch)
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(config["epochs"]):
        net.train()
        for idx in torch.randperm(n_train).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(net(Xt[idx]), yt[idx]).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            acc = 100.0 * (net(Xv).argmax(1) == yv).float().mean().item()
        tune.report({METRIC: acc, "params": float(params)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="8 trials of 3 epochs on 600 digits (seconds)")
    parser.add_argument("--samples", type=int, default=32, help="Tune trials (architectures)")
    parser.add_argument("--concurrent", type=int, default=2, help="trials at once")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--multi-objective", action="store_true", help="maximise accuracy, minimise parameters")
    parser.add_argument("--address", default=None, help='Ray cluster address, e.g. "auto"; default: local Ray')
    parser.add_argument("--storage", default=None, help="Tune's storage path (default: a temporary directory)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    samples, epochs, n_max = (8, 3, 600) if args.fast else (args.samples, args.epochs, None)

    ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
    space = ab.spaces.NB201Space()
    opt_kwargs = {"n_initial": 4 if args.fast else 8, "pool_size": 100, "surrogate": "gp", "seed": args.seed}
    if args.multi_objective:
        search = AGNetSearch(space, metric=[METRIC, "params"], mode=["max", "min"], optimizer_kwargs=opt_kwargs)
    else:
        search = AGNetSearch(space, metric=METRIC, mode="max", optimizer_kwargs=opt_kwargs)
    tuner = tune.Tuner(
        train,
        param_space={"epochs": epochs, "n_max": n_max, "seed": args.seed},  # fixed values; AG-Net adds the cell
        tune_config=tune.TuneConfig(
            search_alg=search, num_samples=samples, max_concurrent_trials=args.concurrent, reuse_actors=True
        ),
        run_config=tune.RunConfig(name="agnet_digits", storage_path=args.storage or tempfile.mkdtemp(), verbose=0),
    )
    start = time.perf_counter()
    results = tuner.fit()
    print(f"{len(results)} trials in {time.perf_counter() - start:.1f} s, {len(results.errors)} errored")
    print(f"Resume an interrupted run with tune.Tuner.restore({results.experiment_path!r}, trainable=train)")

    opt = search.optimizer
    if args.multi_objective:
        print("Pareto front (validation accuracy vs. parameters):")
        for t in sorted(opt.pareto_front(), key=lambda t: t.values["params"]):
            print(f"  {t.values[METRIC]:6.2f} %  {int(t.values['params']):6d} params  {space.to_string(t.arch)}")
    else:
        best = opt.best_trial
        print(f"best: trial {best.id}, {best.values[METRIC]:.2f} % validation accuracy: {space.to_string(best.arch)}")
        grid_best = results.get_best_result(METRIC, "max")
        print(f"Tune agrees: {grid_best.metrics[METRIC]:.2f} % ({grid_best.config['arch_str']})")
    ray.shutdown()


if __name__ == "__main__":
    main()
