"""Pretrain the generator states shipped in agnet_bo/generator/pretrained/.

Rerun from the project root (CPU, a few minutes per state):

    python scripts/pretrain_generators.py                      # every space and mode
    python scripts/pretrain_generators.py --spaces nb201 --modes autoregressive

Each state is built by `agnet-bo pretrain` (the command line), trained without labels on random architectures of its space (space.sample with a
fixed seed), as in AG-Net's pretraining, and written with Generator.save (loadable with
torch.load(..., weights_only=True)). The paper pretrained on the whole benchmark (2.5M samples
on a GPU); we use what a 2-core CPU trains in minutes, listed in PLAN below.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from agnet_bo.cli import main as main_cli

SPACES = ("nb201", "nb101", "darts")
# (number of random architectures, epochs) per space
PLAN = {"nb201": (15_625, 4), "nb101": (30_000, 3), "darts": (12_000, 3)}
OUT = Path(__file__).resolve().parents[1] / "agnet_bo" / "generator" / "pretrained"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spaces", nargs="+", choices=sorted(SPACES), default=sorted(SPACES))
    parser.add_argument("--modes", nargs="+", choices=["autoregressive", "paper"], default=["autoregressive", "paper"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the model is tiny: 1 is fastest)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.spaces:
        n_samples, epochs = PLAN[name]
        for mode in args.modes:
            path = OUT / f"{name}-{mode}.pt"
            start = time.perf_counter()
            cli_args = ["pretrain", "--space", name, "--mode", mode, "--samples", str(n_samples), "--epochs", str(epochs),
                        "--seed", str(args.seed), "--threads", str(args.threads), "--out", str(path)]
            if main_cli(cli_args) != 0:
                raise SystemExit(f"agnet-bo {' '.join(cli_args)} failed")
            print(f"{path.name}: {time.perf_counter() - start:.0f} s, {path.stat().st_size} bytes")

if __name__ == "__main__":
    main()
