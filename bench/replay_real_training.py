"""Replay a search of the ``real`` family (``bench/real_training.py``) from its training cache, recording every asked cell.

Searches are deterministic given their seed and the values told, and every training is in
the training cache (``bench/real_training.py``), so a replay trains nothing (it prints the seconds
spent training, 0 when the cache covers the run) and shows what a method asked: each cell's
key, validation and test accuracy. It prints the best validation accuracy and the mean
validation accuracy of the cells asked after the 16 random ones. It runs ``real_training.run`` itself, whose trace records every trial.

    python -m bench.replay_real_training nb101 agnet 0
    python -m bench.replay_real_training nb101 random 0
"""

from __future__ import annotations

import json
import os
import sys
import warnings

from bench import real_training as rt


def main() -> None:
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    space_name, method, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    budget = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    r = rt.run(space_name, method, seed, budget, epochs=8)  # the benchmark's own loop, from the cache
    asked = [{k: row[k] for k in ("key", "valid", "test")} for row in r["trace"]]
    out = f"bench/results/replay/{space_name}_{method}_{seed}.json"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(asked, fh)
    later = [a["valid"] for a in asked[16:]]
    print(
        f"{method} seed {seed}: best valid {max(a['valid'] for a in asked):.2f}, "
        f"mean valid after 16 {sum(later) / max(1, len(later)):.2f}, trained {r['train_seconds']:.0f} s -> {out}"
    )


if __name__ == "__main__":
    main()
