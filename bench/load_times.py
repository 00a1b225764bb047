"""Cold-import time of agnet_bo and load time of each bundled benchmark, each run in a fresh process.

    python -m bench.load_times                                  # print a Markdown table
    python -m bench.load_times --append bench/notes/speed.md  # also append it to the speed notes

Every measurement runs in a new ``python`` subprocess, so nothing is cached in the interpreter
(the operating system's file cache is warm after the first run). Timings are taken inside the
subprocess with ``time.perf_counter``:

* ``import agnet_bo``: the import statement alone (interpreter start-up excluded); the wall time
  of the whole ``python -c "import agnet_bo"`` process, and of ``python -c "pass"`` for reference,
  are reported too;
* ``NB201(dataset, epochs)``: after ``import agnet_bo``, constructing the benchmark plus the first
  ``evaluate(arch)`` of all its metrics, which reads every column it needs from the package data.

Each figure is the median of ``--runs`` runs (default 5), with the min and max.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

SECTION = "## Cold import and benchmark load times (issue 2)"

IMPORT_SNIPPET = "import time; t = time.perf_counter(); import agnet_bo; print(time.perf_counter() - t)"
LOAD_SNIPPET = (
    "import time, agnet_bo\n"
    "t = time.perf_counter()\n"
    "bench = agnet_bo.benchmarks.NB201({dataset!r}, epochs={epochs})\n"
    "out = bench.evaluate(bench.space.from_index(6111))\n"
    "dt = time.perf_counter() - t\n"
    "print(dt, len(out))"
)


def run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return done.stdout.split()


def wall(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t


def stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy

    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, numpy {numpy.__version__}"
    )


def measure(runs: int) -> tuple[str, str]:
    rows: list[tuple[str, str, float, float, float]] = []
    imp = [float(run(IMPORT_SNIPPET)[0]) for _ in range(runs)]
    rows.append(("`import agnet_bo` (in process)", "", *stats(imp)))
    rows.append(('`python -c "import agnet_bo"` (whole process)', "", *stats([wall("import agnet_bo") for _ in range(runs)])))
    rows.append(('`python -c "pass"` (interpreter only, reference)', "", *stats([wall("pass") for _ in range(runs)])))
    for dataset in ("cifar10", "cifar100", "ImageNet16-120"):
        for epochs in (200, 12):
            times, n_metrics = [], 0
            for _ in range(runs):
                dt, n = run(LOAD_SNIPPET.format(dataset=dataset, epochs=epochs))
                times.append(float(dt))
                n_metrics = int(n)
            rows.append((f"`NB201({dataset!r}, epochs={epochs})` + first `evaluate`", str(n_metrics), *stats(times)))
    lines = [
        "| what | metrics loaded | median (ms) | min (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for what, n, med, lo, hi in rows:
        lines.append(f"| {what} | {n} | {1e3 * med:.1f} | {1e3 * lo:.1f} | {1e3 * hi:.1f} |")
    return "\n".join(lines), machine()


def append_section(path: Path, body: str) -> None:
    """Add (or replace) this script's section in a Markdown results file, keeping every other section."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if SECTION in text:
        start = text.index(SECTION)
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start].rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n" + (text[nxt:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measurement (median reported)")
    parser.add_argument("--append", type=Path, default=None, help="Markdown file to add the section to")
    args = parser.parse_args()
    table, where = measure(args.runs)
    command = "python -m bench.load_times" + (f" --runs {args.runs}" if args.runs != 5 else "")
    if args.append is not None:
        command += f" --append {args.append}"
    body = "\n".join(
        [
            SECTION,
            "",
            f"Command: `{command}` (from the project root). Machine: {where}.",
            "",
            f"Median of {args.runs} runs, each in a fresh `python` subprocess (file cache warm). A benchmark's time "
            "is `NB201(...)` construction plus the first `evaluate` of all its metrics (every column it needs read "
            "from the package data); `import agnet_bo` is excluded from it and reported on its own. "
            "`import agnet_bo` loads no benchmark data.",
            "",
            table,
        ]
    )
    print(body)
    if args.append is not None:
        append_section(args.append, body)
        print(f"\n(written to {args.append})")


if __name__ == "__main__":
    main()
