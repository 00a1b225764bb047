"""The parts every benchmark shares: a registry of task families, methods, and one runner.

A *family* (:class:`Family`) is a set of tasks measured the same way (the suite's tabular tasks,
the NAS-Bench-201 comparison, multi-objective fronts, real training on MNIST-1D, warm starts):
it knows its task names, its method names, how to run one ``(task, method, seed)`` and how to
print its tables from result rows. :func:`run` is the one loop that runs jobs on a process pool,
skips the rows a results file already has (an interrupted run resumes), and appends one JSON line
per run with what makes it traceable and rerunnable: the family's own result fields, ``family``,
``job`` (task, method, seed, options and the ``--config`` of the method: everything the run
depends on), ``wall_seconds``, and :func:`provenance`: the commit and whether ``agnet_bo/`` or
``bench/`` had uncommitted edits, the versions of agnet-bo / torch / botorch / gpytorch, the Python version, the
core count and the load.

``python -m bench`` (``bench/__main__.py``) is the command line over this module.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def provenance() -> dict:
    """Commit (and whether ``agnet_bo/`` or ``bench/`` had uncommitted edits), versions, Python, cores, load."""
    from importlib.metadata import version

    import agnet_bo

    root = os.path.dirname(os.path.dirname(os.path.abspath(agnet_bo.__file__)))  # the checkout that is imported
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(  # the library or the benchmark code (not the results) edited since the commit
            ["git", "-C", root, "status", "--porcelain", "--", "agnet_bo", "bench", ":!bench/results"],
            capture_output=True, text=True,
        ).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    versions = {}
    # every package whose release can move a search's picks: a rerun in a new environment with the
    # same first four versions picked otherwise in 8 of 70 suite runs, and which package moved them
    # was not recorded (bench/topics/search-quality.md, "A new environment moves a few runs too")
    for pkg in ("agnet-bo", "torch", "botorch", "gpytorch", "numpy", "scipy", "torch-geometric", "pymoo", "networkx"):
        try:
            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = None
    return {"commit": commit, "dirty": dirty, "agnet_bo_imported_from": root, "versions": versions,
            "python": platform.python_version(), "cpu_count": os.cpu_count(), "load_average": os.getloadavg()[0]}


@dataclass(frozen=True)
class Family:
    """A set of tasks measured the same way.

    ``run(task, method, seed, options, config)`` returns the row of one search (without the
    provenance, which :func:`run` adds); ``config`` is the ``--config`` of a method that is not
    one of ``methods`` (Optimizer keyword arguments on top of the defaults), else ``None``.
    ``report(rows, options)`` returns the family's tables (markdown) from rows of this family.
    ``options`` holds the family's settings and their defaults (``budget``, ``q``, ...), each
    recorded in every row; ``--set KEY=VALUE`` changes them.
    """

    name: str
    summary: str
    tasks: Callable[[], Sequence[str]]
    methods: Sequence[str]
    default_methods: Sequence[str]
    run: Callable[[str, str, int, dict, dict | None], dict]
    report: Callable[[list[dict], dict], str]
    options: dict[str, Any] = field(default_factory=dict)
    first_seed: int = 0
    seeds: int = 5
    raw: str = ""
    accepts_overrides: bool = False  # method names of the form "name:key=value,..." (agnet-bo compare's)
    parallel: bool = True  # False: timings are the measure, so runs go one at a time whatever --workers says
    takes_config: bool = True  # False: methods are the family's own names, no --config of Optimizer arguments
    # For `python -m bench same`: the run a row is (what was searched, without method and seed) and
    # its per-query trace, comparable across commits; None: the family's runs are not compared so.
    same: Callable[[dict], tuple[tuple, list]] | None = None
    # Views (``report --view``) read from elsewhere than the rows given (they say where themselves),
    # so ``report`` does not end them with the rows' commits.
    views_without_rows: Sequence[str] = ()

    def task_names(self) -> list[str]:
        return list(self.tasks())

    def check_method(self, method: str, configs: dict[str, dict]) -> None:
        base = method.partition(":")[0] if self.accepts_overrides else method
        if method in configs and not self.takes_config:
            raise SystemExit(f"error: family {self.name!r} takes its own methods ({', '.join(self.methods)})"
                             + (" with ':key=value' overrides" if self.accepts_overrides else "") + ", not --config")
        if method in configs or base in self.methods:
            return
        raise SystemExit(
            f"error: family {self.name!r} has no method {method!r}; expected one of {', '.join(self.methods)}"
            + (" (optionally with ':key=value' overrides)" if self.accepts_overrides else "")
            + ", or a --config NAME=JSON of your own"
        )


def printed(fn: Callable[..., object], *args: object) -> str:
    """What ``fn(*args)`` prints (the studies' table printers), as a string."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(*args)
    return buf.getvalue().strip()


def _parts(path: Path) -> list[Path]:
    """The files that hold a results file's rows: ``X.jsonl`` is read together with ``X.jsonl.gz``
    (its compressed, frozen part: large files are gzipped once final and new rows go to ``X.jsonl``)."""
    parts = []
    if path.suffix == ".jsonl" and path.with_name(path.name + ".gz").exists():
        parts.append(path.with_name(path.name + ".gz"))
    if path.exists():
        parts.append(path)
    return parts


def read_rows(paths: Iterable[str | Path]) -> list[dict]:
    """The JSON lines of result files (``X.jsonl`` with its ``X.jsonl.gz``, see :func:`_parts`)."""
    rows = []
    for path in map(Path, paths):
        parts = _parts(path)
        if not parts:
            raise SystemExit(f"error: no results file {path} (nor {path}.gz)")
        for part in parts:
            opener = gzip.open if part.suffix == ".gz" else open
            with opener(part, "rt") as fh:
                rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def rows_provenance(rows: Sequence[dict]) -> str:
    """One line on where a table's rows come from: how many rows each commit made (``+dirty`` with
    uncommitted edits), and how many record none (rows older than ``python -m bench``)."""
    counts: dict[str, int] = {}
    for r in rows:
        label = str(r["commit"])[:7] + ("+dirty" if r.get("dirty") else "") if r.get("commit") else "no commit recorded"
        counts[label] = counts.get(label, 0) + 1
    return f"Rows read: {len(rows)}, by commit: " + ", ".join(f"{c} ({n})" for c, n in sorted(counts.items())) + "."


def row_key(row: dict) -> tuple | None:
    """What makes two rows the same run: family, task, method, its ``--config``, seed and options
    (``row["job"]``; rows written before the registry have none and are never taken for a new run)."""
    job = row.get("job")
    if job is None:
        return None
    return (row.get("family"), job["task"], job["method"], json.dumps(job.get("config"), sort_keys=True), job["seed"],
            json.dumps(job["options"], sort_keys=True))


def _run_job(family_name: str, task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench.registry import FAMILIES

    fam = FAMILIES[family_name]
    start = time.perf_counter()
    body = fam.run(task, method, seed, options, config)
    wall = time.perf_counter() - start
    row = {"task": task, "method": method, "seed": seed, **body}  # a family's row may label task or method its own way
    job = {"task": task, "method": method, "seed": seed, "options": options, "config": config}
    return {**row, "family": family_name, "job": job, "wall_seconds": wall, **provenance()}


def run(
    family: Family, tasks: Sequence[str], methods: Sequence[str], seeds: Sequence[int], options: dict, raw: Path,
    *, configs: dict[str, dict] | None = None, workers: int = 2, max_minutes: float | None = None,
    echo: Callable[[str], None] = print,
) -> list[dict]:
    """Run every ``(task, method, seed)`` not already in ``raw`` and append its row there; returns the new rows."""
    configs = configs or {}
    opts = {**family.options, **options}
    done = {row_key(r) for r in read_rows([raw])} if _parts(raw) else set()
    jobs = [
        (family.name, t, m, s, opts, configs.get(m))
        for t in tasks for s in seeds for m in methods
        if row_key({"family": family.name, "job": {"task": t, "method": m, "config": configs.get(m), "seed": s,
                                                    "options": opts}}) not in done
    ]
    echo(f"{len(jobs)} runs to do ({len(tasks) * len(methods) * len(seeds) - len(jobs)} already in {raw})")
    raw.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + max_minutes * 60 if max_minutes else None
    new: list[dict] = []
    if not jobs:
        return new
    if not family.parallel and workers != 1:
        echo(f"{family.name}: its timings are the measure, so its runs go one at a time (--workers {workers} ignored)")
        workers = 1
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(workers) as pool, open(raw, "a") as fh:
        futures = {pool.submit(_run_job, *job): job for job in jobs}
        for fut in as_completed(futures):
            row = fut.result()
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            new.append(row)
            err = row.get("error")
            echo(f"{row['task']:24s} {row['method']:16s} seed {row['seed']}: {row['wall_seconds']:.0f} s"
                 + (f"  ERROR {err}" if err else ""))
            if deadline is not None and time.monotonic() > deadline:
                echo("time is up: cancelling the remaining runs (rerun the command to continue)")
                for f in futures:
                    f.cancel()
                break
    return new


def in_child(target: str, spec: dict) -> dict:
    """``bench.<module>.<function>(spec)`` (``target="module:function"``) in a fresh Python process
    under ``-X faulthandler``: its row, plus ``returncode``. A crash is counted, not hidden: its row
    holds the spec, the exit code and the end of stderr. The child imports the same checkout
    (the working directory is this repository's root, the environment is inherited)."""
    cmd = [sys.executable, "-X", "faulthandler", "-m", "bench.core", target, json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    found = [line[4:] for line in proc.stdout.splitlines() if line.startswith("ROW ")]
    row = json.loads(found[-1]) if found and proc.returncode == 0 else {**spec, "stderr_tail": proc.stderr[-2000:]}
    row["returncode"] = proc.returncode
    return row


def same(family: Family, old: list[dict], new: list[dict], method: str) -> str:
    """Run by run, whether ``old`` and ``new`` rows of ``family`` hold the same trace for
    ``method`` (``OLD=NEW`` when the method was renamed): a table of ``(run, seed)`` with both
    commits and "identical" or the first query where the traces part, then a count."""
    if family.same is None:
        raise SystemExit(f"error: family {family.name!r} has no per-query trace to compare; "
                         "`same` takes " + ", ".join(f.name for f in _families() if f.same is not None))
    m_old, _, m_new = method.partition("=")
    m_new = m_new or m_old

    def runs(rows: list[dict], m: str) -> dict[tuple, tuple[dict, list]]:
        out = {}
        for r in rows:
            if r.get("method") == m:
                try:
                    ident, trace = family.same(r)
                except KeyError as exc:
                    raise SystemExit(f"error: a row of method {m!r} has no field {exc}: are these {family.name} rows? "
                                     "(--family names the family of both files)") from None
                out[(*ident, r["seed"])] = (r, trace)
        return out

    ra, rb = runs(old, m_old), runs(new, m_new)
    both = sorted(set(ra) & set(rb), key=str)
    if not both:
        raise SystemExit(f"error: no run of method {m_old!r} in the old rows matches one of {m_new!r} in the new rows "
                         f"(old: {len(ra)} runs, new: {len(rb)}); check --method (OLD=NEW if it was renamed)")
    out = ["| run | seed | old commit | new commit | traces |", "|---|---|---|---|---|"]
    n_same = 0
    for k in both:
        (row_a, ta), (row_b, tb) = ra[k], rb[k]
        part = next((i for i, (x, y) in enumerate(zip(ta, tb, strict=False)) if x != y), None)
        if ta == tb:
            verdict, n_same = "identical", n_same + 1
        else:
            verdict = f"part at query {(part if part is not None else min(len(ta), len(tb))) + 1}"
        out.append(f"| {' '.join(map(str, k[:-1]))} | {k[-1]} | {(row_a.get('commit') or '?')[:7]} "
                   f"| {(row_b.get('commit') or '?')[:7]} | {verdict} |")
    out.append(f"\n{n_same} of {len(both)} runs identical ({len(ra)} old, {len(rb)} new runs of the method).")
    return "\n".join(out)


def _families() -> list[Family]:
    from bench.registry import FAMILIES

    return list(FAMILIES.values())


if __name__ == "__main__":  # the child of in_child
    import importlib

    module, _, function = sys.argv[1].partition(":")
    result = getattr(importlib.import_module(f"bench.{module}"), function)(json.loads(sys.argv[2]))
    print("ROW " + json.dumps(result), flush=True)
