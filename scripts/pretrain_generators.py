"""Pretrain the generator states shipped in agnet_bo/generator/pretrained/.

Rerun from the project root (CPU, a few minutes per state):

    python scripts/pretrain_generators.py                      # every space and mode
    python scripts/pretrain_generators.py --spaces nb201 --modes autoregressive

Each state is trained without labels on random architectures of its space (space.sample with a
fixed seed), as in AG-Net's pretraining, and written with Generator.save (loadable with
torch.load(..., weights_only=True)). The paper pretrained on the whole benchmark (2.5M samples
on a GPU); we use what a 2-core CPU trains in minutes, listed in PLAN below.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from agnet_bo.generator import Generator
from agnet_bo.spaces import DARTSSpace, NB101Space, NB201Space

SPACES = {"nb201": NB201Space, "nb101": NB101Space, "darts": DARTSSpace}
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
    torch.set_num_threads(args.threads)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.spaces:
        n_samples, epochs = PLAN[name]
        for mode in args.modes:
            start = time.perf_counter()
            gen = Generator(SPACES[name](), seed=args.seed, mode=mode)
            stats = gen.pretrain(n_samples=n_samples, epochs=epochs, seed=args.seed, progress=True)
            path = OUT / f"{name}-{mode}.pt"
            gen.save(path)
            print(f"{path.name}: {n_samples} samples x {epochs} epochs, last loss {stats['loss']:.3f}, "
                  f"{time.perf_counter() - start:.0f} s, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
