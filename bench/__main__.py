"""The benchmark suite's one entry point (run from the repository root).

    python -m bench list                                   # families, their tasks, methods, options
    python -m bench run suite --methods agnet evolution --seeds 5 --raw bench/results/mine.jsonl
    python -m bench run nb201/cifar10 --methods default --seeds 20 --first-seed 1000
    python -m bench run suite --methods agnet --config n8='{"n_initial": 8}' --set budget=40
    python -m bench report suite bench/results/suite.jsonl --at 10 20 40
    python -m bench report nb201                           # the family's committed rows
    python -m bench same OLD.jsonl NEW.jsonl --method agnet  # the same picks, run by run?
    python -m bench same OLD.jsonl NEW.jsonl --family nb201 --method agnet=default
    python -m bench pages                                  # regenerate the topic pages' tables

``run`` takes tasks as ``FAMILY`` (all its tasks), ``FAMILY/TASK`` or a task name that only one
family has; every ``(task, method, seed)`` not yet in ``--raw`` (default: the family's results
file) is run on ``--workers`` processes, and each appends one JSON line with the commit, the
versions of agnet-bo / torch / botorch / gpytorch, the core count, the load, the method and its
configuration, the options (``--set``), the seed and the wall time (``bench/core.py``).
``report`` prints the family's tables from rows: the files given, or the family's own results file.
``pages`` rewrites every ``<!-- bench: report ... -->`` block of ``bench/topics/*.md`` with that
report's output (``--check``: exit 1 if a page is out of date).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import core
from bench.registry import FAMILIES, family_of_rows, resolve


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _pairs(items: Sequence[str] | None, what: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: {what} takes KEY=VALUE, got {item!r}")
        out[key] = _value(text)
    return out


def cmd_list(args: argparse.Namespace) -> None:
    for fam in FAMILIES.values():
        if args.family and fam.name not in args.family:
            continue
        print(f"{fam.name}: {fam.summary}")
        print(f"  tasks:   {', '.join(fam.task_names())}")
        print(f"  methods: {', '.join(fam.methods)}" + (" (and 'name:key=value' overrides)" if fam.accepts_overrides else ""))
        print(f"  default: --methods {' '.join(fam.default_methods)} --first-seed {fam.first_seed} --seeds {fam.seeds}"
              + (f" --raw {fam.raw}" if fam.raw else ""))
        if fam.options:
            print("  options: " + ", ".join(f"{k}={v!r}" for k, v in fam.options.items()) + " (--set KEY=VALUE)")


def cmd_run(args: argparse.Namespace) -> None:
    family, tasks = resolve(args.tasks)
    configs = {name: dict(v) for name, v in _pairs(args.config, "--config").items() if isinstance(v, dict)}
    if len(configs) != len(args.config or []):
        raise SystemExit("error: --config takes NAME=JSON with a JSON object, e.g. n8='{\"n_initial\": 8}'")
    methods = list(args.methods or family.default_methods)
    methods += [m for m in configs if m not in methods]
    for m in methods:
        family.check_method(m, configs)
    options = _pairs(args.set, "--set")
    unknown = sorted(set(options) - set(family.options))
    if unknown:
        raise SystemExit(f"error: family {family.name!r} has no option {', '.join(unknown)}; "
                         f"its options: {', '.join(family.options) or 'none'}")
    first = family.first_seed if args.first_seed is None else args.first_seed
    seeds = list(range(first, first + (family.seeds if args.seeds is None else args.seeds)))
    raw = Path(args.raw or family.raw)
    if raw.suffix == ".gz":
        raise SystemExit(f"error: {raw} is compressed; give --raw a .jsonl file to append to (gzip it once it is final)")
    core.run(family, tasks, methods, seeds, options, raw, configs=configs, workers=args.workers,
             max_minutes=args.max_minutes, echo=lambda s: print(s, flush=True))


def cmd_report(args: argparse.Namespace) -> None:
    names = list(args.what)
    family = FAMILIES.get(names[0]) if names else None
    files = names[1:] if family is not None else names
    if family is not None and not files:
        files = [family.raw]
    if not files:
        raise SystemExit("error: report takes a family name, result files, or both")
    rows = core.read_rows(files)
    if family is None:
        family = family_of_rows(rows)
        if family is None:
            raise SystemExit("error: these rows name no single family (older files do not): "
                             f"give it first, e.g. `python -m bench report suite {' '.join(files)}`")
    rows = [r for r in rows if r.get("family", family.name) == family.name]
    if args.seeds_below is not None:
        rows = [r for r in rows if r["seed"] < args.seeds_below]
    if args.methods:
        present = sorted({str(r["method"]) for r in rows})
        rows = [r for r in rows if r["method"] in args.methods]
        if not rows:
            raise SystemExit(f"error: no {family.name} rows of the methods {', '.join(args.methods)} in {', '.join(files)}; "
                             f"its methods: {', '.join(present) or 'none'}")
    if not rows:
        raise SystemExit(f"error: no {family.name} rows in {', '.join(files)}")
    print(family.report(rows, {"at": args.at, "methods": args.methods, "view": args.view}))
    if args.view not in family.views_without_rows:
        print("\n" + core.rows_provenance(rows))


BLOCK = re.compile(r"(<!-- bench: (?P<args>[^\n]*?) -->\n)(?P<body>.*?)(<!-- /bench -->)", re.S)


def _report_text(argv: str) -> str:
    words = shlex.split(argv)
    if not words or words[0] != "report":
        raise SystemExit(f"error: a page block runs `report ...`, got {argv!r}")
    return core.printed(main, words) + "\n"


def cmd_pages(args: argparse.Namespace) -> None:
    """Regenerate the tables of the topic pages (bench/topics/*.md) from the result rows: every
    block between ``<!-- bench: report ... -->`` and ``<!-- /bench -->`` is that report's output."""
    stale = []
    pages = sorted(Path(args.dir).glob("*.md"))
    for page in pages:
        text = page.read_text()
        new = BLOCK.sub(lambda m: m.group(1) + "\n" + _report_text(m.group("args")) + "\n" + m.group(4), text)
        if new != text:
            stale.append(page)
            if not args.check:
                page.write_text(new)
    if args.check and stale:
        raise SystemExit("error: out of date (regenerate with `python -m bench pages`): " + ", ".join(map(str, stale)))
    print(f"{len(pages)} pages, {len(stale)} {'out of date' if args.check else 'regenerated'}")


def cmd_same(args: argparse.Namespace) -> None:
    family = FAMILIES.get(args.family)
    if family is None:
        raise SystemExit(f"error: no family {args.family!r}; expected one of {', '.join(FAMILIES)}")
    print(core.same(family, core.read_rows([args.a]), core.read_rows([args.b]), args.method))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list", help="families, tasks, methods and options")
    p.add_argument("family", nargs="*")
    p.set_defaults(fn=cmd_list)
    p = sub.add_parser("run", help="run tasks and append rows (resumable)")
    p.add_argument("tasks", nargs="+", metavar="TASK", help="FAMILY, FAMILY/TASK or TASK")
    p.add_argument("--methods", nargs="+", default=None)
    p.add_argument("--seeds", type=int, default=None, help="how many seeds (default: the family's)")
    p.add_argument("--first-seed", type=int, default=None)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--raw", default=None, help="results file to append to (default: the family's)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a family option (repeatable)")
    p.add_argument("--config", action="append", metavar="NAME=JSON",
                   help="an extra method: Optimizer keyword arguments on top of the defaults (repeatable)")
    p.add_argument("--max-minutes", type=float, default=None, help="stop taking results after this long")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("report", help="the tables of a family's rows")
    p.add_argument("what", nargs="+", metavar="FAMILY_OR_FILE")
    p.add_argument("--at", type=int, nargs="+", default=None, help="query counts to report at (suite, transfer)")
    p.add_argument("--methods", nargs="+", default=None, help="only these methods (rows' labels)")
    p.add_argument("--seeds-below", type=int, default=None, help="only seeds below this")
    p.add_argument("--view", default=None, help="real: test (default), valid, paired, spread; transfer: optimum-positions")
    p.set_defaults(fn=cmd_report)
    p = sub.add_parser("pages", help="regenerate the tables of the topic pages from the rows")
    p.add_argument("--dir", default=str(core.ROOT / "bench" / "topics"))
    p.add_argument("--check", action="store_true", help="only say whether a page is out of date (exit 1 if so)")
    p.set_defaults(fn=cmd_pages)
    p = sub.add_parser("same", help="did a change keep the picks? one method's traces in two files, run by run")
    p.add_argument("a", help="the old rows")
    p.add_argument("b", help="the new rows")
    p.add_argument("--family", default="suite", help="suite (default), nb201, mo, real, transfer or transnas")
    p.add_argument("--method", default="agnet", help="the method, or OLD=NEW if it was renamed (agnet=default)")
    p.set_defaults(fn=cmd_same)
    args = parser.parse_args(argv)
    args.fn(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
