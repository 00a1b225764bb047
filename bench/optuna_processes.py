"""Several processes run one Optuna study with AGNetSampler: is any architecture evaluated twice?

Per run, the parent creates a study in a fresh storage (a journal file, or an SQLite file),
starts ``--processes`` worker processes (this script with ``--worker``), each with its own
``AGNetSampler`` that loads the study and runs ``--trials`` trials, and counts the duplicate
architectures (by ``space.key``) among the study's trials when all are done. The objective is a
NAS-Bench-201 CIFAR-10 lookup (``valid-accuracy``) plus ``time.sleep(--sleep)``, so that the
processes' trials overlap as they would with real training. The workers wait for a common start
time (after their imports), so they start together.

    python -m bench.optuna_processes --storages journal sqlite --repetitions 5
    python -m bench.optuna_processes --storages journal --repetitions 3 --seed-mode distinct
    python -m bench.optuna_processes --report bench/results/optuna_processes.jsonl

To measure other code (e.g. the sampler before a fix) while this checkout is edited, run a copy:
``git archive <commit> agnet_bo | tar -x -C /tmp/old``, then from another directory
``PYTHONPATH=/tmp/old python /path/to/bench/optuna_processes.py --code-commit <commit> --label old``.

Each run appends a row to ``--out``: commit, versions, ``os.cpu_count()``, the full config, the
seed, the wall time, the trials per state, the duplicate architectures (``duplicates``: trials
minus distinct architectures, among trials with one), the trials without an architecture, and
per worker its sampler's ``collisions`` (architectures it gave way on; ``null`` for a sampler
without the counter), and the 1-minute load average before and after the run.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

STUDY = "processes"


def _storage(kind: str, path: str):
    import optuna

    if kind == "journal":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                backend = optuna.storages.journal.JournalFileBackend(path)  # Optuna >= 4
            except AttributeError:  # Optuna 3
                backend = optuna.storages.JournalFileStorage(path)
            return optuna.storages.JournalStorage(backend)
    # SQLite: several writers wait for the file lock (SQLAlchemy's default is 5 s)
    return optuna.storages.RDBStorage(f"sqlite:///{path}", engine_kwargs={"connect_args": {"timeout": 120}})


def worker(args: argparse.Namespace) -> None:
    import optuna
    import torch

    import agnet_bo as ab
    from agnet_bo.integrations.optuna import AGNetSampler, suggest_architecture

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    bench = ab.benchmarks.NB201("cifar10")
    sampler = AGNetSampler(ab.spaces.NB201Space(), seed=args.worker_seed, **json.loads(args.optimizer))
    study = optuna.load_study(study_name=STUDY, storage=_storage(args.storage, args.path), sampler=sampler)

    def objective(trial: optuna.trial.Trial) -> float:
        arch = suggest_architecture(trial)
        time.sleep(args.sleep)
        return bench.evaluate(arch, ["valid-accuracy"])["valid-accuracy"]

    bench.evaluate(ab.spaces.NB201Space().sample(1, seed=0)[0])  # load the table before the start
    delay = args.start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=args.trials, n_jobs=args.threads)
    print(json.dumps({
        "seconds": time.perf_counter() - t0, "late": -delay if delay < 0 else 0.0,
        "collisions": getattr(sampler, "collisions", None),
    }), flush=True)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("agnet-bo", "torch", "botorch", "optuna"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    import agnet_bo

    out["agnet_bo_imported_from"] = str(Path(agnet_bo.__file__).parent)
    return out


def _commit() -> str:
    root = Path(__file__).resolve().parent.parent
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "agnet_bo"], cwd=root, capture_output=True, text=True).stdout
    return head + ("+dirty" if dirty.strip() else "")


def run(args: argparse.Namespace, kind: str, rep: int, workdir: str, commit: str) -> dict:
    import optuna

    import agnet_bo as ab
    from agnet_bo.integrations.optuna import architecture_of

    load_before = os.getloadavg()
    path = os.path.join(workdir, f"{kind}-{rep}.{'log' if kind == 'journal' else 'db'}")
    optuna.create_study(study_name=STUDY, storage=_storage(kind, path), direction="maximize")
    seed = args.seed + rep
    procs = []
    start_at = time.time() + args.startup
    t0 = time.perf_counter()
    for i in range(args.processes):
        worker_seed = seed if args.seed_mode == "same" else seed * 1000 + i
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--storages", kind, "--path", path,
               "--worker-seed", str(worker_seed), "--trials", str(args.trials), "--sleep", str(args.sleep),
               "--threads", str(args.threads), "--optimizer", args.optimizer, "--start-at", repr(start_at)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
    outs = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"a worker failed (exit {p.returncode}); its output: {out}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.perf_counter() - t0
    study = optuna.load_study(study_name=STUDY, storage=_storage(kind, path))
    space = ab.spaces.NB201Space()
    keys, no_arch = {}, 0
    for t in study.trials:
        try:
            keys[t.number] = space.key(architecture_of(t))
        except ab.exceptions.InputError:
            no_arch += 1
    counts = collections.Counter(keys.values())
    states = collections.Counter(t.state.name for t in study.trials)
    return {
        "bench": "optuna_processes", "commit": commit, "label": args.label, "versions": _versions(),
        "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "config": {"storage": kind, "processes": args.processes, "trials": args.trials, "threads": args.threads,
                   "sleep": args.sleep, "optimizer": json.loads(args.optimizer), "seed_mode": args.seed_mode,
                   "objective": "NB201('cifar10') valid-accuracy + sleep"},
        "seed": seed, "repetition": rep, "wall_seconds": wall,
        "loadavg_1min_before_after": [load_before[0], os.getloadavg()[0]],
        "trials": len(study.trials), "states": dict(states), "with_arch": len(keys), "without_arch": no_arch,
        "distinct": len(counts), "duplicates": len(keys) - len(counts),
        "duplicated_trial_numbers": [[n for n, key in keys.items() if key == k] for k, c in counts.items() if c > 1],
        "workers": outs,
    }


def report(path: str) -> None:
    rows = [json.loads(line) for line in open(path)]
    groups: dict[tuple, list[dict]] = collections.defaultdict(list)
    for r in rows:
        c = r["config"]
        groups[(r["label"], r["commit"][:7], c["storage"], c["processes"], c["trials"], c["threads"], c["seed_mode"],
                json.dumps(c["optimizer"]))].append(r)
    print("| code | commit | storage | processes x trials (threads) | seeds | optimizer | runs | duplicates per run | "
          "trials without an architecture | collisions given way (per run) | wall time per run (s) | load before |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (label, commit, kind, procs, trials, threads, seed_mode, optimizer), rs in groups.items():
        coll = [sum(w["collisions"] for w in r["workers"]) if all(w["collisions"] is not None for w in r["workers"]) else None
                for r in rs]
        coll_s = " ".join("-" if c is None else str(c) for c in coll)
        walls = " ".join(f"{r['wall_seconds']:.0f}" for r in rs)
        loads = " ".join(f"{r['loadavg_1min_before_after'][0]:.1f}" if "loadavg_1min_before_after" in r else "-" for r in rs)
        print(f"| {label} | {commit} | {kind} | {procs} x {trials} ({threads}) | {seed_mode} | `{optimizer}` | {len(rs)} | "
              f"{' '.join(str(r['duplicates']) for r in rs)} | {' '.join(str(r['without_arch']) for r in rs)} | "
              f"{coll_s} | {walls} | {loads} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--storages", nargs="+", default=["journal", "sqlite"], choices=["journal", "sqlite"])
    p.add_argument("--processes", type=int, default=4)
    p.add_argument("--trials", type=int, default=25, help="trials per process")
    p.add_argument("--threads", type=int, default=1, help="study.optimize(n_jobs=...) in each process")
    p.add_argument("--repetitions", type=int, default=5)
    p.add_argument("--sleep", type=float, default=0.05, help="seconds of 'training' per trial")
    p.add_argument("--seed", type=int, default=0, help="seed of repetition 0 (repetition r: seed + r)")
    p.add_argument("--seed-mode", choices=["same", "distinct"], default="same",
                   help="every process with the run's seed, or each its own")
    p.add_argument("--optimizer", default="{}", help="JSON of Optimizer arguments passed through the sampler")
    p.add_argument("--startup", type=float, default=15.0, help="seconds the workers get for their imports")
    p.add_argument("--label", default="", help="a name for the code measured (e.g. old, new)")
    p.add_argument("--code-commit", help="the commit of the agnet_bo measured, when it is a copy on PYTHONPATH "
                   "(default: git rev-parse HEAD of this checkout)")
    p.add_argument("--out", default="bench/results/optuna_processes.jsonl")
    p.add_argument("--report")
    p.add_argument("--workdir", help="where the storages go (default: a temporary directory)")
    # worker mode (internal)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    p.add_argument("--worker-seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.report:
        report(args.report)
        return
    if args.worker:
        args.storage = args.storages[0]
        worker(args)
        return
    commit = args.code_commit or _commit()  # once: the code may be edited while the runs go on
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or tmp
        os.makedirs(workdir, exist_ok=True)
        for kind in args.storages:
            for rep in range(args.repetitions):
                row = run(args, kind, rep, workdir, commit)
                print(json.dumps({k: row[k] for k in ("label", "commit", "config", "seed", "wall_seconds", "trials",
                                                      "states", "without_arch", "duplicates", "duplicated_trial_numbers")}),
                      flush=True)
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
