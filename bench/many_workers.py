"""Many workers asking one architecture at a time: ask latency, model rounds, search quality.

An asynchronous schedule on NAS-Bench-201 (CIFAR-10 validation accuracy): ``pending`` trials
are kept pending; each step one pending trial, chosen at random (random completion order),
is told its result and its worker asks for one new architecture. Per configuration it reports the
median latency of an ``ask(1)`` right after a tell and of an ``ask(1)`` with nothing new told
(a second worker asking at the same moment), the number of model rounds per 100 suggestions, and
the best validation accuracy found at the budget (mean over seeds; the NB201 optimum is 91.607).

    python -m bench run workers/async-nb201 --methods default reuse --seeds 5 --workers 1 --set pending=64 --set budget=192
    python -m bench run workers/async-nb201 --methods reuse default --seeds 2 --workers 1 --set pending=256 --set budget=384
    python -m bench report workers

Real threads (``threads-nb201``): ``threads`` threads share one optimizer; each asks one architecture,
"trains" it (sleeps a time drawn uniformly from ``train_time`` = [LO, HI] seconds, the table gives the
value), reports an intermediate value, tells, and asks again, until ``budget`` trials were asked. Each
repetition runs in its own process under ``python -X faulthandler``, so a crash is counted, not hidden.
Per run: the process's exit code, architectures asked twice, told values missing after ``save`` ->
``load``, the ask latency (p50, p90, max over every ask of every thread) and the best value at the budget:

    python -m bench run workers/threads-nb201 --methods background reuse default --seeds 5 --workers 1 --set threads=32 --set budget=300
    python -m bench run workers/threads-nb201 --methods default --seeds 5 --workers 1 --set threads=1 --set budget=300   # one thread

With threads, ``reuse`` and ``background`` keep ``prefetch`` at the thread count (32 picks per round
for 32 threads: one round serves every worker once).

Configurations: ``default`` (a round per ask), ``reuse`` (``refit_every=8, prefetch=16``),
``background`` (``prefetch=16, refit_in_background=True``: a refit after every result, in a
background thread, while asks are served from the last round's picks). Besides the medians it
reports the 90th percentile and the maximum of the ask latency (the asks that paid for a round).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
import warnings

from bench.core import provenance

CONFIGS = {
    "default": {},
    "reuse": {"refit_every": 8, "prefetch": 16},
    "background": {"prefetch": 16, "refit_in_background": True},
}


def run(config: str, workers: int, budget: int, seed: int, gap: float = 0.0) -> dict:
    import numpy as np

    import agnet_bo as ab

    space = ab.spaces.NB201Space()
    bench = ab.benchmarks.NB201("cifar10")
    opt = ab.Optimizer(space, "valid-accuracy", seed=seed, **CONFIGS[config])
    rounds = []
    opt.add_callback(lambda o: rounds.append(1), when="round")
    rng = np.random.default_rng(seed)
    pending = opt.ask(workers)
    after_tell, idle = [], []
    suggestions = 0
    start = time.perf_counter()
    told = 0
    while told < budget:
        if gap:
            time.sleep(gap)  # the next worker is still training
        t = pending.pop(int(rng.integers(len(pending))))
        opt.tell(t, bench.evaluate(t.arch, metrics=["valid-accuracy"]))
        told += 1
        if len(opt.trials) >= budget:
            continue
        a0 = time.perf_counter()
        pending += opt.ask(1)
        after_tell.append(time.perf_counter() - a0)
        suggestions += 1
        if len(opt.trials) < budget and told % 4 == 0:  # another worker asks before anything new is told
            a0 = time.perf_counter()
            extra = opt.ask(1)
            idle.append(time.perf_counter() - a0)
            pending += extra
            suggestions += 1
    best = max(t.values["valid-accuracy"] for t in opt.trials if t.values is not None)
    return {
        "config": config, "workers": workers, "budget": budget, "seed": seed, "best": best, "gap": gap,
        "median_ask_after_tell": statistics.median(after_tell) if after_tell else None,
        "median_ask_nothing_new": statistics.median(idle) if idle else None,
        "p90_ask": statistics.quantiles(after_tell + idle, n=10)[-1], "max_ask": max(after_tell + idle),
        "rounds_per_100": 100 * len(rounds) / max(suggestions, 1), "seconds": time.perf_counter() - start,
    }


def threaded_settings(config: str, threads: int) -> dict:
    """The optimizer settings of a configuration with ``threads`` workers."""
    kw = dict(CONFIGS[config])
    if "prefetch" in kw:
        kw["prefetch"] = max(kw["prefetch"], threads)
    return kw


def run_threads(config: str, threads: int, budget: int, seed: int, train_time: tuple[float, float]) -> dict:
    """One run of ``threads`` real threads on one optimizer (see the module docstring)."""
    import numpy as np

    import agnet_bo as ab

    bench = ab.benchmarks.NB201("cifar10")
    settings = threaded_settings(config, threads)
    opt = ab.Optimizer(ab.spaces.NB201Space(), "valid-accuracy", seed=seed, **settings)
    lock = threading.Lock()
    latencies: list[float] = []
    asked: list[str] = []
    told: dict[int, float] = {}
    errors: list[str] = []
    budget_left = [budget]

    def worker(i: int) -> None:
        rng = np.random.default_rng([seed, i])
        try:
            while True:
                with lock:
                    if budget_left[0] <= 0:
                        return
                    budget_left[0] -= 1
                a0 = time.perf_counter()
                (t,) = opt.ask(1)
                took = time.perf_counter() - a0
                time.sleep(float(rng.uniform(*train_time)))
                value = float(bench.evaluate(t.arch, ["valid-accuracy"])["valid-accuracy"])
                opt.report(t, 1, value - 1.0)
                opt.tell(t, value)
                with lock:
                    latencies.append(took)
                    asked.append(t.key)
                    told[t.id] = value
        except BaseException as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    start = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "opt.json")
        opt.save(path)
        back = ab.Optimizer.load(path)
    saved = {t.id: t.values["valid-accuracy"] for t in back.trials if t.values is not None}
    lost = sum(1 for tid, v in told.items() if saved.get(tid) != v)
    q = statistics.quantiles(latencies, n=10) if len(latencies) > 1 else [float("nan")] * 9
    return {
        "mode": "threads", "config": config, "settings": settings, "threads": threads, "budget": budget, "seed": seed,
        "train_time": list(train_time), "errors": errors, "asked": len(asked), "duplicates": len(asked) - len(set(asked)),
        "lost": lost, "trials": len(back.trials), "best": max(told.values()) if told else None,
        "ask_p50": statistics.median(latencies) if latencies else None, "ask_p90": q[-1],
        "ask_max": max(latencies) if latencies else None, "rounds": opt.rounds, "seconds": seconds,
        **provenance(),
    }


def report_threads(rows: list[dict]) -> None:
    def key(r: dict) -> tuple:
        return r["threads"], r["config"], "-".join(f"{x:g}" for x in r["train_time"]), r["budget"], str(r.get("commit"))[:7]

    keys = sorted({key(r) for r in rows})
    print("| threads | config | training (s) | budget | commit | runs | crashes | duplicates | lost | ask p50 (ms) | "
          "ask p90 (ms) | ask max (s) | rounds | best at budget | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for th, c, tt, b, commit in keys:
        rs = [r for r in rows if key(r) == (th, c, tt, b, commit)]
        ok = [r for r in rs if r.get("returncode", 0) == 0 and "best" in r]
        crashes = sum(r.get("returncode", 0) != 0 for r in rs)
        bests = [r["best"] for r in ok]
        sd = statistics.stdev(bests) if len(bests) > 1 else 0.0

        def med(k: str, ok: list = ok) -> float:
            return statistics.median([r[k] for r in ok]) if ok else float("nan")

        print(f"| {th} | {c} | {tt} | {b} | {commit} | {len(rs)} | {crashes} | {sum(r['duplicates'] for r in ok)} | "
              f"{sum(r['lost'] for r in ok)} | {1000 * med('ask_p50'):.1f} | {1000 * med('ask_p90'):.1f} | "
              f"{med('ask_max'):.2f} | {med('rounds'):.0f} | {statistics.mean(bests) if bests else float('nan'):.3f} ± {sd:.3f} | "
              f"{med('seconds'):.0f} |")


def report(rows: list[dict]) -> None:
    keys = sorted({(r["workers"], r["config"]) for r in rows}, key=lambda k: (k[0], list(CONFIGS).index(k[1])))
    print("| pending | config | seeds | ask after a tell (median s) | ask, nothing new (median s) | ask p90 (s) | "
          "ask max (s) | rounds / 100 asks | best at budget |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w, c in keys:
        rs = [r for r in rows if r["workers"] == w and r["config"] == c]
        def med(k: str, rs: list = rs) -> float:
            return statistics.median([r[k] for r in rs if r[k] is not None])

        bests = [r["best"] for r in rs]
        sd = statistics.stdev(bests) if len(bests) > 1 else 0.0
        p90 = f"{med('p90_ask'):.3f}" if all("p90_ask" in r for r in rs) else "-"
        mx = f"{med('max_ask'):.3f}" if all("max_ask" in r for r in rs) else "-"
        print(f"| {w} | {c} | {len(rs)} | {med('median_ask_after_tell'):.3f} | {med('median_ask_nothing_new'):.3f} | {p90} | {mx} | "
              f"{statistics.mean(r['rounds_per_100'] for r in rs):.1f} | {statistics.mean(bests):.3f} ± {sd:.3f} |")


def measure_threads(spec: dict) -> dict:
    """:func:`run_threads` of one spec (run in a fresh process by ``bench.core.in_child``)."""
    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    return run_threads(spec["config"], spec["threads"], spec["budget"], spec["seed"], tuple(spec["train_time"]))
