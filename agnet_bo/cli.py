"""The ``agnet-bo`` command line.

Commands:

* ``agnet-bo run``: search a bundled benchmark (default: AG-Net on NAS-Bench-201 CIFAR-10 in the
  paper's protocol, 192 queries, seed 0), with a progress bar, resumable files and a plot;
* ``agnet-bo compare``: several methods x seeds on one benchmark, in parallel processes, with a
  table and a plot;
* ``agnet-bo pretrain``: pretrain a generator for a built-in space;
* ``agnet-bo sample``: draw architectures from a built-in space and, for NAS-Bench-201, look
  them up in a bundled benchmark table (no download, no training);
* ``agnet-bo info``: list the built-in spaces, benchmarks and their metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence

from agnet_bo.exceptions import AgnetBOError
from agnet_bo.names import ACQUISITIONS, BENCHMARKS, METHODS, PROPOSERS, SURROGATE_CHOICES

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
        out = [{"arch": space.to_string(a), "index": space.index(a), **r} for a, r in zip(archs, rows, strict=False)]
        print(json.dumps(out, indent=2))
        return 0
    print(f"NAS-Bench-201 {args.dataset}, {args.epochs} epochs: {args.n} random cells (seed {args.seed})")
    header = ["index", *metrics, "arch"]
    print(" | ".join(header))
    for arch, row in zip(archs, rows, strict=False):
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


def _parse_objective(text: str) -> tuple[str, str]:
    name, _, direction = text.partition(":")
    direction = {"max": "maximize", "min": "minimize", "maximize": "maximize", "minimize": "minimize", "": ""}.get(direction, "?")
    if not name or direction == "?":
        raise AgnetBOError(f"Bad objective {text!r}: expected METRIC or METRIC:max / METRIC:min, e.g. latency-pixel3:min.")
    return name, direction


def _parse_constraint(text: str) -> tuple[str, tuple[str, float]]:
    for op in ("<=", ">="):
        name, sep, bound = text.partition(op)
        if sep:
            try:
                return name.strip(), (op, float(bound))
            except ValueError:
                break
    raise AgnetBOError(f"Bad constraint {text!r}: expected METRIC<=BOUND or METRIC>=BOUND, e.g. latency-edgegpu<=5.")


def _existing_path(text: str) -> str:
    """An argparse type: a path that exists (checked while parsing, before any heavy import)."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"{text!r} does not exist; expected an agnet-bo run folder, a saved state .json or an exported .csv/.jsonl")
    return text


def _config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from agnet_bo.benchmarks import infer_direction
    from agnet_bo.experiment import RunConfig

    objectives: dict[str, str] = {}
    for text in args.objective or ["valid-accuracy"]:
        name, direction = _parse_objective(text)
        objectives[name] = direction or infer_direction(name) or "maximize"
    constraints = dict(_parse_constraint(c) for c in args.constraint or [])
    report = [m for m in (args.report.split(",") if args.report else []) if m]
    method = getattr(args, "method", "agnet")
    parts = ("surrogate", "proposer", "acquisition")
    overrides = [f"{k}={getattr(args, k)}" for k in parts if getattr(args, k, None)]
    if overrides:
        method += (":" if ":" not in method else ",") + ",".join(overrides)
    return RunConfig(
        benchmark=args.benchmark, dataset=args.dataset, epochs=args.epochs, objectives=objectives,
        constraints=constraints, report=report, method=method, budget=args.budget, batch_size=args.batch_size,
        seed=getattr(args, "seed", 0), prior=[os.path.abspath(p) for p in getattr(args, "prior", None) or []],
    )


def cmd_run(args: argparse.Namespace) -> int:
    from agnet_bo.experiment import RunRecorder, make_benchmark, make_optimizer, run_search

    if args.resume:
        recorder = RunRecorder(args.resume, _config(args) if args.budget_given else None, resume=True)
        config = recorder.config
        opt = recorder.load_optimizer()
        print(f"resuming {args.resume}: {len(opt.trials)} trials so far, budget {config.budget}")
    else:
        config = _config(args)
        out = args.out or os.path.join("runs", f"{config.benchmark}-{config.dataset}-{config.method.replace(':', '-').replace(',', '-').replace('=', '-')}-seed{config.seed}")
        bench = make_benchmark(config.benchmark, config.dataset, config.epochs)
        config.check(bench)
        opt = make_optimizer(config, bench)  # fail on a bad method before creating the directory
        recorder = RunRecorder(out, config)
    bench = make_benchmark(config.benchmark, config.dataset, config.epochs)
    objs = list(config.objectives)
    single = len(objs) == 1
    optimum = bench.optimum(objs[0]) if single and not config.constraints else None
    bar = None
    if not args.no_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.budget, initial=sum(t.state.is_finished() for t in opt.trials), desc="agnet-bo run", unit="arch")

    def on_result(trial, opt_):  # type: ignore[no-untyped-def]
        recorder.on_result(trial, opt_)
        if bar is None:
            return
        bar.update(1)
        if single:
            try:
                best = opt_.best_trial.values[objs[0]]
            except Exception:  # no feasible trial yet
                return
            post = f"best {best:.3f}"
            if optimum is not None:
                post += f", regret {abs(optimum - best):.3f}"
            bar.set_postfix_str(post)

    result = run_search(config, optimizer=opt, on_result=on_result, on_batch=recorder.on_batch)
    if bar is not None:
        bar.close()
    summary = recorder.finish(result, opt, plot=not args.no_plot)
    if result.interrupted:
        print(f"interrupted after {summary['evaluated']} evaluations; state saved. Continue with: agnet-bo run --resume {recorder.dir}")
        return 130
    print(f"{config.method} on {config.benchmark} {config.dataset}: {summary['evaluated']} architectures in {summary['seconds']:.1f} s")
    if single and "best" in summary:
        b = summary["best"]
        print(f"best architecture: {b['arch']}")
        print("  " + ", ".join(f"{m} {b[m]:.4g}" for m in config.metrics if m in b))
        if "regret" in summary:
            hit = " (the optimum)" if summary.get("found_optimum") else ""
            print(f"  regret {summary['regret']:.4f}{hit}; optimum {summary['optimum']:.4f}")
    elif not single:
        print(
            f"front: {len(summary['front'])} architectures; hypervolume {summary['hypervolume_fraction']:.4f} of the true front's"
            + (f"; {summary['true_front_found']} of {summary['true_front_size']} true Pareto cells found" if "true_front_found" in summary else "")
        )
    else:
        print("no feasible architecture found")
    print(f"results in {recorder.dir}/ (summary.json, trials.jsonl, curve.csv{'' if args.no_plot else ', plot.png'})")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import csv

    from agnet_bo.experiment import compare, compare_table, table_markdown
    from agnet_bo.plotting import plot_compare

    base = _config(args)
    os.makedirs(args.out, exist_ok=True)
    results = compare(
        args.methods, base, datasets=args.datasets or [base.dataset], seeds=range(args.first_seed, args.first_seed + args.seeds),
        workers=args.workers, raw_path=os.path.join(args.out, "runs.jsonl"), progress=not args.no_progress,
        run=not args.no_run,
    )
    if not results:
        raise AgnetBOError(f"No finished runs of {args.methods} in {args.out}/runs.jsonl to tabulate; drop --no-run to run them.")
    at = sorted({q for q in args.at if q <= base.budget} | {base.budget})
    rows = compare_table(results, at)
    objective = next(iter(base.objectives))
    report = base.report[0] if base.report else None
    md = table_markdown(rows, objective, report)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "table.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    plot_compare(results, os.path.join(args.out, "compare.png"), ylabel=f"{objective} regret")
    print(md)
    print(f"table.md, table.csv, compare.png and runs.jsonl in {args.out}/")
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    import torch

    from agnet_bo.generator import Generator

    torch.set_num_threads(args.threads)
    space = _space(args.space)
    gen = Generator(space, mode=args.mode, seed=args.seed)
    stats = gen.pretrain(n_samples=args.samples, epochs=args.epochs, seed=args.seed, progress=not args.no_progress)
    gen.save(args.out)
    print(f"pretrained a {args.mode} generator for {args.space} on {args.samples} random architectures, {args.epochs} epochs (last loss {stats['loss']:.4f}); saved to {args.out}")
    return 0


def _positive(text: str) -> int:
    """An argparse type: an integer >= 1 (checked while parsing, before any heavy import)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _check_bundled(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Values of the bundled NAS-Bench-201 benchmark, checked before the heavy imports (a wrong
    dataset used to take seconds to be refused)."""
    if getattr(args, "benchmark", None) != "nb201" or getattr(args, "resume", None):
        return
    for ds in list(getattr(args, "datasets", None) or []) + [args.dataset]:
        if ds not in DATASETS:
            parser.error(f"argument --dataset: the nb201 benchmark has {', '.join(DATASETS)}; got {ds!r}")
    if args.epochs not in (200, 12):
        parser.error(f"argument --epochs: the nb201 tables are for 200 or 12 epochs; got {args.epochs}")


def _search_options(p: argparse.ArgumentParser, *, parts: bool = True) -> None:
    """The options of a search; ``parts``: also --surrogate / --proposer / --acquisition (``run``
    only: ``compare`` takes variants as method specs)."""
    p.add_argument("--benchmark", default="nb201",
                   help=f"bundled benchmark ({', '.join(BENCHMARKS)}; default nb201) or your own TabularBenchmark as "
                   "package.module:attribute (an instance, or a function taking dataset and/or epochs)")
    p.add_argument("--dataset", default="cifar10", help="dataset of the benchmark (nb201: cifar10, cifar100, ImageNet16-120)")
    p.add_argument("--epochs", type=int, default=200, help="nb201 training budget of the table: 200 or 12")
    p.add_argument("--objective", action="append", metavar="METRIC[:max|min]",
                   help="objective, repeat for several (default valid-accuracy); e.g. --objective valid-accuracy --objective latency-pixel3:min")
    p.add_argument("--constraint", action="append", metavar="METRIC<=BOUND", help="outcome constraint, e.g. latency-edgegpu<=5")
    p.add_argument("--report", default="test-accuracy", help="comma-separated metrics recorded but not searched on (default test-accuracy)")
    p.add_argument("--budget", type=_positive, default=None, help="architectures to evaluate (default 192)")
    p.add_argument("--batch-size", type=_positive, default=16, help="architectures asked at once (default 16)")
    if parts:
        p.add_argument("--surrogate", choices=SURROGATE_CHOICES, help="override the method's surrogate")
        p.add_argument("--proposer", choices=PROPOSERS, help="override the method's proposer")
        p.add_argument("--acquisition", choices=ACQUISITIONS, help="override the method's acquisition")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``agnet-bo``."""
    parser = argparse.ArgumentParser(prog="agnet-bo", description="Sample-efficient NAS with AG-Net.")
    sub = parser.add_subparsers(dest="command", required=True)

    methods_help = "method: " + ", ".join(METHODS) + "; optionally with overrides, e.g. agnet:surrogate=gnn,pool_size=500"
    p = sub.add_parser("run", help="search a bundled benchmark (AG-Net on NB201 CIFAR-10 by default)")
    _search_options(p)
    p.add_argument("--method", default="agnet", help=methods_help + " (default agnet)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", help="output directory (default runs/<benchmark>-<dataset>-<method>-seed<seed>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR (its settings are kept; --budget may extend it)")
    p.add_argument("--no-plot", action="store_true", help="do not write plot.png")
    p.add_argument("--prior", action="append", type=_existing_path, metavar="RUN_DIR_OR_FILE",
                   help="start from an earlier search: an agnet-bo run folder, a saved state .json or an exported "
                        ".csv/.jsonl of the same space (repeat for several, each a task of its own)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare methods (or variants) over seeds on one benchmark, in parallel")
    _search_options(p, parts=False)
    p.add_argument("--methods", nargs="+", default=["agnet", "agnet-paper", "bananas", "evolution", "local", "random"], help=methods_help)
    p.add_argument("--datasets", nargs="+", help="datasets to run (default: --dataset)")
    p.add_argument("--seeds", type=int, default=10, help="seeds per method (default 10)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--at", type=int, nargs="+", default=[96, 192, 304], help="budgets for the table (default 96 192 304)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default 2)")
    p.add_argument("--out", default="compare", help="output directory (default ./compare); finished runs in it are reused")
    p.add_argument("--no-run", action="store_true", help="run nothing: tabulate and plot the finished runs in --out")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("pretrain", help="pretrain a generator for a built-in space")
    p.add_argument("--space", choices=SPACES, default="nb201")
    p.add_argument("--mode", choices=("autoregressive", "paper"), default="autoregressive")
    p.add_argument("--samples", type=int, default=10_000, help="random architectures to train on (default 10000)")
    p.add_argument("--epochs", type=int, default=5, help="passes over them (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator, its samples and training (default 0)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--out", required=True, help="file to save the generator state to (.pt)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_pretrain)

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


_KEPT_ON_RESUME = ("budget", "budget_given", "no_progress", "no_plot", "resume", "command", "func")


def _refuse_ignored_flags(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``run --resume DIR`` keeps the run's settings: refuse any other flag it would not apply."""
    defaults = vars(parser.parse_args(["run"]))
    given = [
        "--" + dest.replace("_", "-") for dest, value in vars(args).items()
        if dest not in _KEPT_ON_RESUME and value != defaults.get(dest)
    ]
    if given:
        raise AgnetBOError(
            f"--resume keeps the run's own settings, so {', '.join(sorted(given))} would not be applied. Drop "
            f"{'it' if len(given) == 1 else 'them'} (only --budget, --no-progress and --no-plot go with --resume), "
            "or start a new run with --out."
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agnet-bo`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_bundled(parser, args)
    if hasattr(args, "budget"):
        args.budget_given = args.budget is not None
        if args.budget is None:
            args.budget = 192
    try:
        if getattr(args, "resume", None):
            _refuse_ignored_flags(parser, args)
        return int(args.func(args))
    except AgnetBOError as exc:
        print(f"agnet-bo: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
