"""The ``agnet-bo`` command line.

Commands:

* ``agnet-bo sample``: draw architectures from a built-in space and, for NAS-Bench-201, look
  them up in a bundled benchmark table (no download, no training);
* ``agnet-bo info``: list the built-in spaces, benchmarks and their metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from agnet_bo.exceptions import AgnetBOError

__all__ = ["main", "build_parser"]

SPACES = ("nb201", "nb101", "darts")
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


def _space(name: str):  # type: ignore[no-untyped-def]
    from agnet_bo import spaces

    return {"nb201": spaces.NB201Space, "nb101": spaces.NB101Space, "darts": spaces.DARTSSpace}[name]()


def _describe(space, arch) -> str:  # type: ignore[no-untyped-def]
    if hasattr(space, "to_string"):
        return str(space.to_string(arch))
    if hasattr(space, "to_genotype"):
        normal, reduce = space.to_genotype(arch)
        return f"normal={normal} reduce={reduce}"
    return json.dumps(arch.to_dict())


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4g}"


def cmd_sample(args: argparse.Namespace) -> int:
    space = _space(args.space)
    archs = space.sample(args.n, seed=args.seed)
    if args.space != "nb201":
        for arch in archs:
            print(_describe(space, arch))
        return 0
    from agnet_bo.benchmarks import NB201

    bench = NB201(dataset=args.dataset, epochs=args.epochs)
    metrics = args.metrics.split(",") if args.metrics else ["valid-accuracy", "test-accuracy", "params", "latency-edgegpu"]
    metrics = [m for m in metrics if m]
    rows = [bench.evaluate(arch, metrics=metrics) for arch in archs]
    if args.json:
        out = [{"arch": space.to_string(a), "index": space.index(a), **r} for a, r in zip(archs, rows)]
        print(json.dumps(out, indent=2))
        return 0
    print(f"NAS-Bench-201 {args.dataset}, {args.epochs} epochs: {args.n} random cells (seed {args.seed})")
    header = ["index", *metrics, "arch"]
    print(" | ".join(header))
    for arch, row in zip(archs, rows):
        print(" | ".join([str(space.index(arch)), *(_fmt(row[m]) for m in metrics), space.to_string(arch)]))
    best = bench.optimum("valid-accuracy")
    top = max(r["valid-accuracy"] for r in rows) if "valid-accuracy" in metrics and rows else math.nan
    print(f"best valid-accuracy among these: {_fmt(top)}; optimum of the space: {_fmt(best)}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    for name in SPACES:
        space = _space(name)
        print(f"space {name}: {space!r}, size {space.size}, {len(space.node_types)} node types, encoding d={space.encoding_dim}")
    from agnet_bo.benchmarks import NB201

    for epochs in (200, 12):
        for ds in DATASETS:
            bench = NB201(dataset=ds, epochs=epochs)
            print(f"benchmark NB201(dataset={ds!r}, epochs={epochs}): {', '.join(bench.metrics)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``agnet-bo``."""
    parser = argparse.ArgumentParser(prog="agnet-bo", description="Sample-efficient NAS with AG-Net.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="draw architectures and evaluate them on a bundled benchmark")
    p.add_argument("--space", choices=SPACES, default="nb201", help="search space (default nb201)")
    p.add_argument("--dataset", choices=DATASETS, default="cifar10", help="NB201 dataset (default cifar10)")
    p.add_argument("--epochs", type=int, choices=(200, 12), default=200, help="NB201 training budget")
    p.add_argument("-n", type=int, default=5, help="how many architectures (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--metrics", default="", help="comma-separated metric names (see `agnet-bo info`)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("info", help="list spaces, benchmarks and metrics")
    p.set_defaults(func=cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agnet-bo`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AgnetBOError as exc:
        print(f"agnet-bo: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
