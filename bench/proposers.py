"""Speed of the mutation-based proposers (BANANAS-style pools, local search, evolution).

Times one ``propose`` call of a :class:`~agnet_bo.proposers.MutationProposer` (a pool of single
edits of the 10 best of 40 random architectures, the ``bananas`` and ``pool-mutation`` setting)
and of an :class:`~agnet_bo.proposers.EvolutionProposer`, with the per-call key memo of
``agnet_bo.proposers._Keys`` and without it (``space.key`` on every call, as before it), the two
interleaved in one process. Both must give the same pool (checked): the memo only saves work.

    python -m bench.proposers --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np


class _NoMemo:
    """``space.key`` on every call: what the proposers did before the memo."""

    def __init__(self, space) -> None:
        self.space = space

    def __call__(self, arch) -> str:
        return self.space.key(arch)


def main() -> None:
    import torch

    import agnet_bo as ab
    from agnet_bo import presets, proposers

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--pool", type=int, default=300)
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    spaces = {"nb101": ab.spaces.NB101Space(), "darts": ab.spaces.DARTSSpace(), "nb201": ab.spaces.NB201Space()}
    memo = proposers._Keys
    print(f"| space | proposer | pool | memo (s, median of {args.repeats}) | no memo (s) | speed-up |")
    print("|---|---|---|---|---|---|")
    for name, space in spaces.items():
        archs = space.sample(40, seed=0)
        util = np.random.default_rng(0).random(len(archs))
        exclude = [space.key(a) for a in archs]
        for kind in ("mutation", "evolution"):
            prop = presets.make_proposer(kind, space, seed=0)
            prop.fit(archs, util)
            times: dict[str, list[float]] = {"memo": [], "none": []}
            pools: dict[str, list[str]] = {}
            for r in range(args.repeats):
                for label, cls in (("memo", memo), ("none", _NoMemo)) if r % 2 == 0 else (("none", _NoMemo), ("memo", memo)):
                    proposers._Keys = cls
                    try:
                        t0 = time.perf_counter()
                        out = prop.propose(args.pool, seed=r, exclude=exclude)
                        times[label].append(time.perf_counter() - t0)
                    finally:
                        proposers._Keys = memo
                    pools[label] = [space.key(a) for a in out]
                if pools["memo"] != pools["none"]:
                    raise SystemExit(f"{name} {kind}: the memo changed the pool (seed {r})")
            m, n = statistics.median(times["memo"]), statistics.median(times["none"])
            print(f"| {name} | {kind} | {args.pool} | {m:.3f} | {n:.3f} | {n / m:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
