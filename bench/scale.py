"""Model rounds, memory and state files with thousands of told trials (issue 42).

For each space and history size ``n`` (a fresh process each, so the peak memory is its own): an
optimizer with the default preset is given ``n`` evaluated architectures (``add_evaluated``),
then runs ``rounds`` model rounds after one warm-up round, each an ``ask(1)`` right after a
``tell`` (a refit, a pool, a pick). Targets: NAS-Bench-201 CIFAR-10 validation accuracy from the
bundled table; on NAS-Bench-101 and DARTS cells a fixed synthetic function of the encoding (a
random linear score plus a pairwise term, seeded), which costs the model the same as real data.
With ``io`` the row also times ``save``, ``load``, ``records()`` and ``trials_dataframe()``
of the optimizer and gives the state file's size.

    python -m bench run scale/rounds-nb201 scale/rounds-nb101 scale/rounds-darts --seeds 1 --workers 1 --set told=10000 --set io=true
    python -m bench run scale/background-nb201 --seeds 1 --workers 1 --set told=5000 --set pending=64 --set steps=200 --set gap=0.25
    python -m bench report scale

``--set max_model_trials=N`` overrides the optimizer's bound (``0``: every result, the exact path).

``background-<space>``: ``told`` evaluated architectures, then ``prefetch=pending`` and
``refit_in_background=True``; ``pending`` trials are asked and kept pending, then each step
tells one pending trial (at random) and asks one, ``steps`` times, one step every ``gap``
seconds (64 workers whose trainings take 16 s: a result every 0.25 s): the latency of every ask
after the first ``--pending`` (median and 90th percentile), the duration of every background
round (refit to installed picks) and where the asked architectures came from (``proposed``:
a round's picks, ``spare``: the rest of its pool, ``initial``: random ones before the first
round).

Every row records the commit of the imported checkout, package versions, core count, load
average, the settings and the seed.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
import warnings

import numpy as np

SPACES = ("nb201", "nb101", "darts")


def _space(name: str):  # type: ignore[no-untyped-def]
    import agnet_bo as ab

    return {"nb201": ab.spaces.NB201Space, "nb101": ab.spaces.NB101Space, "darts": ab.spaces.DARTSSpace}[name]()


def history(name: str, n: int, seed: int):  # type: ignore[no-untyped-def]
    """``(space, archs, values, value_of)``: ``n`` distinct architectures and their targets."""
    import agnet_bo as ab

    space = _space(name)
    rng = np.random.default_rng(seed)
    if name == "nb201":
        table = ab.benchmarks.NB201("cifar10", epochs=200).table("valid-accuracy")
        cells = space.all()
        by_key = {space.key(a): float(v) for a, v in zip(cells, table, strict=True) if np.isfinite(v)}
        keys = list(by_key)
        chosen = rng.choice(len(keys), size=n, replace=False)
        index = {space.key(a): a for a in cells}
        archs = [index[keys[i]] for i in chosen]

        def value_of(arch):  # type: ignore[no-untyped-def]
            return by_key[space.key(arch)]

        return space, archs, [value_of(a) for a in archs], value_of
    d = space.encoding_dim
    w = rng.normal(size=d)
    pairs = rng.integers(0, d, size=(max(4, d // 4), 2))

    def value_of(arch):  # type: ignore[no-untyped-def]
        x = space.encode([arch])[0].numpy()
        return float(x @ w / np.sqrt(d) + np.sum(x[pairs[:, 0]] * x[pairs[:, 1]]) / np.sqrt(len(pairs)))

    archs = space.sample(n, seed=seed)
    return space, archs, [value_of(a) for a in archs], value_of


def measure_rounds(name: str, n: int, rounds: int, seed: int, max_model_trials: int | None, io: bool) -> dict:
    import agnet_bo as ab

    space, archs, values, value_of = history(name, n, seed)
    kw = {} if max_model_trials is None else {"max_model_trials": max_model_trials}
    opt = ab.Optimizer(space, {"y": "maximize"}, seed=seed, **kw)
    start = time.perf_counter()
    for a, v in zip(archs, values, strict=True):
        opt.add_evaluated(a, {"y": v})
    add_seconds = time.perf_counter() - start
    times = []
    for _ in range(rounds + 1):
        start = time.perf_counter()
        (t,) = opt.ask(1)
        times.append(time.perf_counter() - start)
        opt.tell(t, {"y": value_of(t.arch)})
    row = {
        "mode": "rounds", "space": name, "told": n, "seed": seed, "max_model_trials": opt.max_model_trials,
        "model_subset": opt.strategy.model_subset, "add_seconds": add_seconds, "warmup_seconds": times[0],
        "round_seconds": times[1:], "round_median": statistics.median(times[1:]),
    }
    if io:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "state.json")
            start = time.perf_counter()
            opt.save(path)
            row["save_seconds"] = time.perf_counter() - start
            row["state_bytes"] = os.path.getsize(path)
            start = time.perf_counter()
            loaded = ab.Optimizer.load(path)
            row["load_seconds"] = time.perf_counter() - start
            assert len(loaded.trials) == len(opt.trials)
        start = time.perf_counter()
        recs = opt.records()
        row["records_seconds"] = time.perf_counter() - start
        assert len(recs) == len(opt.trials)
        try:
            start = time.perf_counter()
            opt.trials_dataframe()
            row["dataframe_seconds"] = time.perf_counter() - start
        except Exception as exc:  # pandas missing
            row["dataframe_seconds"] = None
            row["dataframe_error"] = f"{type(exc).__name__}: {exc}"
    row["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def measure_background(name: str, told: int, pending: int, steps: int, seed: int, max_model_trials: int | None, gap: float) -> dict:
    import agnet_bo as ab

    space, archs, values, value_of = history(name, told, seed)
    kw = {} if max_model_trials is None else {"max_model_trials": max_model_trials}
    opt = ab.Optimizer(space, {"y": "maximize"}, seed=seed, prefetch=pending, refit_in_background=True, **kw)
    for a, v in zip(archs, values, strict=True):
        opt.add_evaluated(a, {"y": v})
    starts: list[float] = []
    ends: list[float] = []
    refit = opt.strategy.refit

    def timed_refit(data):  # type: ignore[no-untyped-def]  # instrumentation: when each round starts
        starts.append(time.perf_counter())
        return refit(data)

    opt.strategy.refit = timed_refit  # type: ignore[method-assign]
    opt.add_callback(lambda *_: ends.append(time.perf_counter()), when="round")
    rng = np.random.default_rng(seed)
    live = [opt.ask(1)[0] for _ in range(pending)]
    latencies = []
    for _ in range(steps):
        time.sleep(gap)
        t = live.pop(int(rng.integers(len(live))))
        opt.tell(t, {"y": value_of(t.arch)})
        start = time.perf_counter()
        live.append(opt.ask(1)[0])
        latencies.append(time.perf_counter() - start)
    opt._dispatch.wait()  # the last round, so that its duration is counted
    durations = [e - s for s, e in zip(starts, ends, strict=False)]
    lat = np.array(latencies) * 1000
    return {
        "mode": "background", "space": name, "told": told, "pending": pending, "steps": steps, "gap": gap, "seed": seed,
        "max_model_trials": opt.max_model_trials, "ask_p50_ms": float(np.median(lat)),
        "ask_p90_ms": float(np.percentile(lat, 90)), "ask_max_ms": float(lat.max()), "rounds": len(durations),
        "round_seconds": durations, "round_median": statistics.median(durations) if durations else None,
        "round_max": max(durations) if durations else None,
        "sources": {s: sum(t.source == s for t in opt.trials) for s in {t.source for t in opt.trials}},
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(spec: dict) -> dict:
    """One measurement (run in a fresh process by ``bench.core.in_child``, so the peak memory is its own)."""
    warnings.simplefilter("ignore")
    if spec["mode"] == "rounds":
        return measure_rounds(spec["space"], spec["told"], spec["rounds"], spec["seed"], spec["max_model_trials"], spec["io"])
    return measure_background(
        spec["space"], spec["told"], spec["pending"], spec["steps"], spec["seed"], spec["max_model_trials"], spec["gap"]
    )


def report(rows: list[dict]) -> str:
    out = []
    rr = [r for r in rows if r["mode"] == "rounds"]
    if rr:
        out += ["| space | told | max_model_trials | commit | runs | round (s, median of 3) | warm-up round (s) | peak memory (MiB) | save (s) | load (s) | state (MB) | records() (s) | trials_dataframe() (s) | load average |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        groups: dict[tuple, list[dict]] = {}
        for r in rr:
            groups.setdefault((r["space"], r["told"], r["max_model_trials"], (r.get("commit") or "?")[:7]), []).append(r)

        def med(rs: list[dict], key: str, scale: float = 1.0) -> str:
            vals = [r[key] * scale for r in rs if r.get(key) is not None]
            return f"{statistics.median(vals):.2f}" if vals else "-"  # one run: its value

        for (space, told, cap, commit), rs in sorted(groups.items(), key=lambda kv: (SPACES.index(kv[0][0]), kv[0][1], kv[0][2], kv[0][3])):
            out.append(
                f"| {space} | {told} | {cap} | {commit} | {len(rs)} | {med(rs, 'round_median')} | {med(rs, 'warmup_seconds')} | "
                f"{med(rs, 'peak_rss_mib'):s} | {med(rs, 'save_seconds')} | {med(rs, 'load_seconds')} | {med(rs, 'state_bytes', 1e-6)} | "
                f"{med(rs, 'records_seconds')} | {med(rs, 'dataframe_seconds')} | {med(rs, 'load_average')} |"
            )
    bg = [r for r in rows if r["mode"] == "background"]
    if bg:
        out += ["", "| space | told | pending | max_model_trials | commit | steps | gap (s) | ask p50 (ms) | ask p90 (ms) | rounds | round median (s) | round max (s) | picks / spares / random | load | peak memory (MiB) |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in bg:
            out.append(
                f"| {r['space']} | {r['told']} | {r['pending']} | {r['max_model_trials']} | {(r.get('commit') or '?')[:7]} | {r['steps']} | "
                f"{r.get('gap', 0)} | {r['ask_p50_ms']:.2f} | {r['ask_p90_ms']:.2f} | {r['rounds']} | {r['round_median'] or float('nan'):.2f} | "
                f"{r['round_max'] or float('nan'):.2f} | {r['sources'].get('proposed', 0)} / {r['sources'].get('spare', 0)} / "
                f"{r['sources'].get('initial', 0)} | {r['load_average']:.1f} | {r['peak_rss_mib']:.0f} |"
            )
    return "\n".join(out)
