"""The parts of a model round that issue 42 made cheaper, each measured on its own.

    python -m bench.round_parts --out bench/results/round_parts.jsonl
    python -m bench.round_parts --report bench/results/round_parts.jsonl

One row per measurement (commit, versions, cores and load recorded), one process, one torch thread:

- ``gp_fit``: a GP fit on 300 cells (NB201, DARTS; synthetic targets as in ``bench/scale.py``)
  after a fit on 300 others that share two thirds of them, cold (the defaults) and warm
  (``Surrogate.warm_start``): seconds and L-BFGS closure evaluations;
- ``pending_picks``: UCB (the default's kappa spread) picking 64 from a pool of 300 with 64
  pending trials, a GP fitted on 300 NB201 cells, for ``MAX_JOINT`` 64 (everything joint, the
  code before issue 42), 16 (the default), 8 and 0 (every pending trial conditioned on);
- ``random_proposal``: one random NB201 architecture with 5,000 keys excluded;
- ``architecture_json``: ``to_dict`` and ``from_dict`` per DARTS cell (2,000 cells).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from bench.core import provenance


def gp_fit(space_name: str) -> list[dict]:
    import botorch.optim.closures.core as closures

    from agnet_bo.surrogates import GPSurrogate
    from bench import scale

    space, archs, values, _ = scale.history(space_name, 500, 0)
    Y = np.array(values).reshape(-1, 1)
    calls = [0]
    real = closures.ForwardBackwardClosure.__call__

    def counting(self, *a, **k):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(self, *a, **k)

    closures.ForwardBackwardClosure.__call__ = counting  # type: ignore[method-assign]
    rows = []
    try:
        for warm in (False, True):
            gp = GPSurrogate(space, seed=0).fit(archs[:300], Y[:300])
            gp.warm_start = warm
            calls[0] = 0
            start = time.perf_counter()
            gp.fit(archs[100:400], Y[100:400])
            rows.append({"part": "gp_fit", "space": space_name, "warm": warm, "seconds": time.perf_counter() - start,
                         "closure_calls": calls[0]})
    finally:
        closures.ForwardBackwardClosure.__call__ = real  # type: ignore[method-assign]
    return rows


def pending_picks() -> list[dict]:
    from agnet_bo.acquisition import AcquisitionContext, _pool, make_acquisition
    from agnet_bo.presets import DEFAULT_KAPPA
    from agnet_bo.spaces import NB201Space
    from agnet_bo.surrogates import GPSurrogate

    space = NB201Space()
    archs = space.sample(300, seed=0)
    Y = np.array([a.ops.count("nor_conv_3x3") + 0.3 * a.ops.count("skip_connect") for a in archs], dtype=float).reshape(-1, 1)
    gp = GPSurrogate(space, seed=0).fit(archs, Y)
    pool, pending = space.sample(300, seed=1), space.sample(64, seed=7)
    acq = make_acquisition("ucb", kappa=DEFAULT_KAPPA)
    rows = []
    default = _pool.MAX_JOINT
    try:
        for joint in (64, 16, 8, 0):
            _pool.MAX_JOINT = joint
            ctx = AcquisitionContext(train_archs=archs, train_Y=gp.transform_targets(Y), pending=pending)
            start = time.perf_counter()
            picks = acq.choose(gp, pool, 64, ctx)
            rows.append({"part": "pending_picks", "max_joint": joint, "picks": len(set(picks)), "pending": 64,
                         "seconds": time.perf_counter() - start})
    finally:
        _pool.MAX_JOINT = default
    return rows


def random_proposal() -> list[dict]:
    from agnet_bo.proposers import RandomProposer
    from agnet_bo.spaces import NB201Space

    space = NB201Space()
    excluded = {space.key(a) for a in space.sample(5000, seed=0)}
    times = []
    for seed in range(5):
        start = time.perf_counter()
        RandomProposer(space).propose(1, seed=seed, exclude=excluded)
        times.append(time.perf_counter() - start)
    return [{"part": "random_proposal", "excluded": len(excluded), "seconds": statistics.median(times)}]


def architecture_json() -> list[dict]:
    from agnet_bo import Architecture
    from agnet_bo.spaces import DARTSSpace

    archs = DARTSSpace().sample(2000, seed=0)
    start = time.perf_counter()
    dicts = [a.to_dict() for a in archs]
    to_ms = (time.perf_counter() - start) / len(archs) * 1000
    start = time.perf_counter()
    back = [Architecture.from_dict(d) for d in dicts]
    from_ms = (time.perf_counter() - start) / len(archs) * 1000
    assert back == archs
    return [{"part": "architecture_json", "space": "darts", "to_dict_ms": to_ms, "from_dict_ms": from_ms}]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="bench/results/round_parts.jsonl")
    p.add_argument("--report", default=None)
    args = p.parse_args()
    if args.report:
        for line in Path(args.report).read_text().splitlines():
            r = json.loads(line)
            keep = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()
                    if k not in ("versions", "agnet_bo_imported_from", "python", "command")}
            keep["commit"] = (keep.get("commit") or "?")[:7]
            print(keep)
        return
    import torch

    torch.set_num_threads(1)
    rows = gp_fit("nb201") + gp_fit("darts") + pending_picks() + random_proposal() + architecture_json()
    prov = {**provenance(), "command": "python -m bench.round_parts " + " ".join(sys.argv[1:])}
    with open(args.out, "a") as fh:
        for r in rows:
            fh.write(json.dumps({**r, **prov}) + "\n")
            print(r, flush=True)


if __name__ == "__main__":
    main()
