"""Speed-up of the Ray parallel driver (issue 7): ``run_parallel`` with 1, 2 and 4 workers.

    python -m bench.ray_driver                                  # 32 trials x 3 seeds, workers 1 2 4
    python -m bench.ray_driver --trials 16 --seeds 1 --workers 1 2   # quick look

Every trial looks up an NAS-Bench-201 cell (CIFAR-10 validation accuracy) and sleeps
``--eval-seconds`` (1 s) to stand in for training. Each configuration runs ``--seeds`` searches
from a fresh optimizer (library defaults: GP surrogate, AG-Net proposer, 16 initial cells; seeds
0, 1, 2, the same for every worker count) with a checkpoint after every result, and reports the
median wall time, the speed-up over one worker, and the optimizer's own time per trial (``ask``
+ ``tell``, and ``save`` for the checkpoints), which the driver spends between evaluations.

``--task-cpus 1`` (default) gives each task one CPU, as a training run would need: Ray then runs
at most as many tasks as the machine has cores. ``--task-cpus 0`` lets sleeping tasks run beyond
the core count, which isolates the driver's own scaling.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time


def _timed(opt, stats: dict[str, float]) -> None:
    """Record the time spent in ``opt.ask``, ``opt.tell`` and ``opt.save`` into ``stats``."""
    for name in ("ask", "tell", "save"):
        method = getattr(opt, name)

        def wrapper(*args, _method=method, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                stats[_name] += time.perf_counter() - start

        setattr(opt, name, wrapper)


def run_once(workers: int, task_cpus: float, seed: int, trials: int, eval_seconds: float, opt_kwargs: dict) -> dict:
    import agnet_bo as ab
    from agnet_bo.integrations.ray import run_parallel

    bench = ab.benchmarks.NB201("cifar10")

    def objective(arch):
        value = bench.evaluate(arch, ["valid-accuracy"])
        time.sleep(eval_seconds)
        return value

    opt = ab.Optimizer(ab.spaces.NB201Space(), {"valid-accuracy": "maximize"}, seed=seed, **opt_kwargs)
    stats = {"ask": 0.0, "tell": 0.0, "save": 0.0}
    _timed(opt, stats)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = run_parallel(
            opt,
            objective,
            n_trials=trials,
            max_concurrent=workers,
            num_cpus=task_cpus,
            checkpoint_path=os.path.join(tmp, "run.json"),
            progress=False,
        )
        wall = time.perf_counter() - start
    assert len(done) == trials and all(t.state is ab.TrialState.COMPLETE for t in done)
    return {
        "workers": workers,
        "task_cpus": task_cpus,
        "seed": seed,
        "wall": wall,
        "best": opt.best_trial.values["valid-accuracy"],
        **{f"{k}_per_trial": v / trials for k, v in stats.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--task-cpus", type=float, nargs="+", default=[1.0])
    parser.add_argument("--trials", type=int, default=32)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--eval-seconds", type=float, default=1.0)
    parser.add_argument("--optimizer-kwargs", default="{}", help="JSON dict of Optimizer arguments")
    parser.add_argument("--raw", default=None, help="write every run as JSON lines to this file")
    args = parser.parse_args()
    opt_kwargs = json.loads(args.optimizer_kwargs)

    import ray
    import torch

    torch.set_num_threads(1)
    ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    cores = int(ray.cluster_resources().get("CPU", 1))
    ray.get([ray.remote(num_cpus=0)(lambda: None).remote() for _ in range(max(args.workers))])  # start workers
    load = os.getloadavg()[0]

    rows = []
    for task_cpus in args.task_cpus:
        for workers in args.workers:
            runs = [
                run_once(workers, task_cpus, seed, args.trials, args.eval_seconds, opt_kwargs)
                for seed in range(args.seeds)
            ]
            rows.append(runs)
            med = statistics.median(r["wall"] for r in runs)
            print(
                f"workers={workers} task_cpus={task_cpus:g}: "
                + ", ".join(f"{r['wall']:.1f}" for r in runs)
                + f" s (median {med:.1f})",
                flush=True,
            )
            if args.raw:
                with open(args.raw, "a") as fh:
                    fh.writelines(json.dumps(r) + "\n" for r in runs)
    ray.shutdown()

    base = {}
    print(
        f"\n{cores} CPUs in the Ray instance, load average {load:.1f} at the start, {args.trials} trials of {args.eval_seconds:g} s, median of {args.seeds}\n"
    )
    print(
        "| task CPUs | workers | wall time (s) | ideal (s) | speed-up | ask (ms/trial) | tell (ms/trial) | save (ms/trial) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for runs in rows:
        w, c = runs[0]["workers"], runs[0]["task_cpus"]
        wall = statistics.median(r["wall"] for r in runs)
        base.setdefault(c, wall if w == min(args.workers) else None)
        slots = w if c == 0 else min(w, int(cores // c))
        ideal = args.trials * args.eval_seconds / slots
        speedup = f"{base[c] / wall:.2f}x" if base[c] else "-"
        ms = {k: 1000 * statistics.median(r[f"{k}_per_trial"] for r in runs) for k in ("ask", "tell", "save")}
        print(
            f"| {c:g} | {w} | {wall:.1f} | {ideal:.1f} | {speedup} | {ms['ask']:.0f} | {ms['tell']:.2f} | {ms['save']:.1f} |"
        )


if __name__ == "__main__":
    main()
