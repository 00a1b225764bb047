"""Searches that train every proposed network: MNIST-1D with NAS-Bench-101 and DARTS cells.

Each search trains up to ``--budget`` networks (``agnet_bo.benchmarks.MNIST1D``, ``--epochs``
epochs each), selects on validation accuracy and reports the test accuracy of the
best-validation architecture after 25 / 50 / 100 trainings. Methods:

* ``agnet`` (the default), ``paper``, ``evolution``, ``local``, ``bananas``, ``random``: presets;
* ``pool-random`` / ``pool-mutation``: the default's surrogate and acquisition on pools of random
  architectures / of mutations of the best, instead of the generator's (its own effect);
* ``agnet-asha``: the default with asynchronous successive halving (rungs at 1, 3, ...
  epochs below ``--epochs``, one in three goes on); ``agnet-asha-late``: one rung at epoch 4,
  one in two goes on; ``agnet-hyperband``: Hyperband over successive halving, one in two goes
  on, brackets with first rungs at 1, 2, 4 epochs and one that never prunes. Their budget is the
  same total epochs as ``--budget`` full trainings;
* ``agnet-n8``, ``agnet-sf``, ``agnet-sf8``, ``agnet-gen8``: the default with another initial
  design (8 random; 16 or 8 space-filling; 8 diverse generator draws).

Trainings are deterministic per (space, architecture, epochs), so they are cached in
``bench/results/real_training_cache.jsonl.gz`` (frozen) and ``real_training_cache.jsonl`` (new
trainings, appended) and shared by methods and processes.

    python -m bench run real/mnist1d-nb101 --methods agnet random --seeds 3
    python -m bench report real                      # test accuracy of the best-validation cells
    python -m bench report real --view valid         # (or paired, spread)
    python -c "from bench.real_training import timing; timing('nb101', 8, 8)"   # train 8 random cells, timed
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import time

CACHE = "bench/results/real_training_cache.jsonl"
METHODS = ("agnet", "paper", "evolution", "local", "bananas", "random", "pool-random", "pool-mutation", "agnet-asha",
           "agnet-asha-late", "agnet-hyperband", "agnet-n8", "agnet-sf", "agnet-sf8", "agnet-gen8")
# the default with another initial design (issue 43): its size and what fills it
DESIGNS = {
    "agnet-n8": {"n_initial": 8},
    "agnet-sf": {"initial_design": "space-filling"},
    "agnet-sf8": {"n_initial": 8, "initial_design": "space-filling"},
    "agnet-gen8": {"n_initial": 8, "initial_design": "generator"},
}
CHECKPOINTS = (25, 50, 100)
FIRST = 16  # --paired: gains over the first 16 trainings (the default's random initial cells)


class CachedTrainer:
    """MNIST-1D trainings of one space, cached on disk across processes (one JSON line each)."""

    def __init__(self, space_name: str, epochs: int) -> None:
        import agnet_bo as ab

        self.space = {"nb101": ab.spaces.NB101Space, "darts": ab.spaces.DARTSSpace, "nb201": ab.spaces.NB201Space}[space_name]()
        self.name, self.epochs = space_name, epochs
        self.bench = ab.benchmarks.MNIST1D(self.space, epochs=epochs)
        self.curves: dict[str, list[dict]] = {}
        self.train_seconds = 0.0
        self._frozen_loaded = False
        self._load()

    def _load(self) -> None:
        """Curves from the cache: its compressed, frozen part (``CACHE + ".gz"``, read once) and the
        trainings appended since (``CACHE``, read again when a key is missing: another process may
        have trained it)."""
        if not self._frozen_loaded:
            self._frozen_loaded = True
            if os.path.exists(CACHE + ".gz"):
                with gzip.open(CACHE + ".gz", "rt") as fh:
                    self._read(fh)
        if os.path.exists(CACHE):
            with open(CACHE) as fh:
                self._read(fh)

    def _read(self, lines) -> None:
        for line in lines:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a killed process
            if r.get("space") == self.name and r.get("epochs") == self.epochs:
                if len(r["curve"]) > len(self.curves.get(r["key"], [])):
                    self.curves[r["key"]] = r["curve"]

    def steps(self, arch):
        """Yield the per-epoch metrics of ``arch``'s training, from the cache as far as it goes,
        then by training (from scratch: the first epochs are the same); stop iterating to stop."""
        key = self.space.key(arch)
        if len(self.curves.get(key, [])) < self.epochs:
            self._load()  # another process may have trained it meanwhile
        cached = self.curves.get(key, [])
        yield from cached
        if len(cached) >= self.epochs:
            return
        got: list[dict] = []
        start = time.perf_counter()
        try:
            for r in self.bench.train(arch):
                got.append({k: r[k] for k in ("valid-accuracy", "test-accuracy")})
                if len(got) > len(cached):
                    yield got[-1]
        finally:
            self.train_seconds += time.perf_counter() - start
            if len(got) > len(cached):
                self.curves[key] = got
                with open(CACHE, "a") as fh:
                    fh.write(json.dumps({"space": self.name, "epochs": self.epochs, "key": key, "curve": got}) + "\n")

    def curve(self, arch) -> list[dict]:
        """Per-epoch metrics of a full training (trained now, or from the cache)."""
        return list(self.steps(arch))


def _pruner(min_step: int, reduction_factor: int, *, hyperband: bool = False):
    """The pruner of a pruning method, built for the run's epochs (agnet_bo is imported late: the
    reports need no torch)."""

    def make(epochs: int):
        import agnet_bo as ab

        if hyperband:
            return ab.pruners.Hyperband(min_step=min_step, max_step=epochs, reduction_factor=reduction_factor)
        return ab.pruners.SuccessiveHalving(min_step=min_step, reduction_factor=reduction_factor)

    return make


PRUNERS = {  # the default with a pruner: read at equal total epochs
    "agnet-asha": _pruner(1, 3),  # rungs at epochs 1 and 3, one in three goes on
    "agnet-asha-late": _pruner(4, 2),  # one rung at epoch 4 (NB101 rank agreement 0.85; 0.47 among the best 20 %), one in two goes on
    "agnet-hyperband": _pruner(1, 2, hyperband=True),  # 8 epochs: brackets with first rungs 1, 2, 4 and one never pruned
}


def make_optimizer(method: str, space, seed: int, epochs: int = 8):
    import agnet_bo as ab

    if method == "agnet":
        return ab.Optimizer(space, "valid-accuracy", seed=seed)
    if method in PRUNERS:
        return ab.Optimizer(space, "valid-accuracy", seed=seed, pruner=PRUNERS[method](epochs))
    if method in DESIGNS:
        return ab.Optimizer(space, "valid-accuracy", seed=seed, **DESIGNS[method])
    if method == "pool-random":
        return ab.Optimizer(space, "valid-accuracy", seed=seed, proposer="random")
    if method == "pool-mutation":
        return ab.Optimizer(space, "valid-accuracy", seed=seed, proposer="mutation")
    return ab.Optimizer(space, "valid-accuracy", seed=seed, preset=method)


def run(space_name: str, method: str, seed: int, budget: int, epochs: int) -> dict:
    trainer = CachedTrainer(space_name, epochs)
    opt = make_optimizer(method, trainer.space, seed, epochs)
    start = time.perf_counter()
    total_epochs, trace = 0, []
    best_valid, best_test = -1.0, float("nan")
    mf = method in PRUNERS
    while (total_epochs < budget * epochs) if mf else (len(trace) < budget):
        t = opt.ask()[0]
        if mf:
            ran, last = 0, {}
            steps = trainer.steps(t.arch)
            for e, r in enumerate(steps, start=1):
                ran, last = e, r
                opt.report(t, e, r["valid-accuracy"])
                if e < epochs and opt.should_prune(t):
                    break
            steps.close()
            pruned = ran < epochs
        else:
            curve = trainer.curve(t.arch)
            ran, pruned, last = epochs, False, curve[-1]
        total_epochs += ran
        if pruned:
            opt.tell(t, last["valid-accuracy"], state="PRUNED", info={"test-accuracy": last["test-accuracy"]})
        else:
            opt.tell(t, last["valid-accuracy"], info={"test-accuracy": last["test-accuracy"]})
            if last["valid-accuracy"] > best_valid:
                best_valid, best_test = last["valid-accuracy"], last["test-accuracy"]
        trace.append({"epochs": total_epochs, "complete": not pruned, "best_valid": best_valid, "best_test": best_test,
                      "key": trainer.space.key(t.arch), "valid": last["valid-accuracy"], "test": last["test-accuracy"],
                      "ran": ran})
    return {
        "space": space_name, "method": method, "seed": seed, "budget": budget, "epochs": epochs,
        "trace": trace, "seconds": time.perf_counter() - start, "train_seconds": trainer.train_seconds,
        "trainings": len(trace), "pruned": sum(not r["complete"] for r in trace),
    }


def _at(trace: list[dict], n: int, *, by_epochs: int | None = None, field: str = "best_test") -> float:
    """Test accuracy of the best-validation architecture after ``n`` trainings (or ``n`` full-training
    equivalents of epochs); ``field="best_valid"``: its validation accuracy."""
    if by_epochs is None:
        rows = trace[:n]
    else:
        rows = [r for r in trace if r["epochs"] <= n * by_epochs]
    return rows[-1][field] if rows else float("nan")


def _runs(rows_or_path: str | list[dict]) -> list[dict]:
    """The runs of a results file (or rows); of a run repeated with the same settings, the first."""
    if isinstance(rows_or_path, str):
        from bench.core import read_rows

        all_rows = read_rows([rows_or_path])
    else:
        all_rows = rows_or_path
    rows, seen = [], set()
    for r in all_rows:
        key = (r["space"], r["method"], r["seed"], r["budget"], r["epochs"])
        if key not in seen:
            seen.add(key)
            rows.append(r)
    return rows


def report(path: str | list[dict], field: str = "best_test") -> None:
    rows = _runs(path)
    for space in sorted({r["space"] for r in rows}):
        what = "test accuracy (%) of the best-validation architecture" if field == "best_test" else (
            "best validation accuracy (%) found (the searched objective)")
        budget = max(r["budget"] for r in rows if r["space"] == space)
        cps = [n for n in CHECKPOINTS if n < budget] + [budget]  # the runs' own budget is the last column
        print(f"\n{space}: {what}, mean ± sd over seeds")
        head = " | ".join(f"{n} trainings" for n in cps)
        print(f"| method | seeds | {head} | wall time (s, median) | pruned |")
        print("|---|---|" + "---|" * len(cps) + "---|---|")
        for method in METHODS:
            rs = [r for r in rows if r["space"] == space and r["method"] == method]
            if not rs:
                continue
            cells = []
            for n in cps:
                vals = [_at(r["trace"], n, by_epochs=r["epochs"] if r["method"] in PRUNERS else None, field=field) for r in rs]
                sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
                cells.append(f"{statistics.mean(vals):.2f} ± {sd:.2f}")
            secs = statistics.median(r["seconds"] for r in rs)
            pruned = statistics.mean(r["pruned"] for r in rs)
            print(f"| {method} | {len(rs)} | " + " | ".join(cells) + f" | {secs:.0f} | {pruned:.0f} |")
        base = [r for r in rows if r["space"] == space and r["method"] == "agnet"]
        for method in METHODS:  # the default against each method: difference of means and its standard error
            rs = [r for r in rows if r["space"] == space and r["method"] == method]
            if method == "agnet" or method in PRUNERS or len(rs) < 2 or len(base) < 2:
                continue
            diffs = []
            for n in cps:
                a, b = ([_at(r["trace"], n, field=field) for r in x] for x in (base, rs))
                se = (statistics.variance(a) / len(a) + statistics.variance(b) / len(b)) ** 0.5
                diffs.append(f"{statistics.mean(a) - statistics.mean(b):+.2f} (SE {se:.2f})")
            print(f"agnet - {method} at " + " / ".join(map(str, cps)) + " trainings: " + ", ".join(diffs))


def paired(path: str | list[dict], field: str = "best_test") -> None:
    """The default against each method on the seeds both ran (the same initial cells): the mean
    difference and its standard error; each pruning method at half and at equal total epochs
    against the default's 100 trainings (the multi-fidelity target); and what each method gained
    over its initial cells."""
    rows = _runs(path)
    for space in sorted({r["space"] for r in rows}):
        by = {(r["method"], r["seed"]): r for r in rows if r["space"] == space}
        print(f"\n{space}: agnet - method on the same seeds ({field}), at " + " / ".join(map(str, CHECKPOINTS)) + " trainings")
        for method in METHODS:
            seeds = sorted(s for (m, s) in by if m == method and ("agnet", s) in by)
            if method == "agnet" or method in PRUNERS or len(seeds) < 2:
                continue
            cells = []
            for n in CHECKPOINTS:
                d = [_at(by["agnet", s]["trace"], n, field=field) - _at(by[method, s]["trace"], n, field=field) for s in seeds]
                cells.append(f"{statistics.mean(d):+.2f} (SE {statistics.stdev(d) / len(d) ** 0.5:.2f})")
            print(f"  {method} ({len(seeds)} seeds): " + ", ".join(cells))
        half = CHECKPOINTS[-1] // 2
        print(f"{space}: pruning methods at half the epochs ({half} trainings' worth) minus agnet at {CHECKPOINTS[-1]} "
              f"trainings, same seeds ({field}; the multi-fidelity target: >= 0), and at equal epochs")
        for method in PRUNERS:
            seeds = sorted(s for (m, s) in by if m == method and ("agnet", s) in by)
            if not seeds:
                continue
            full = [_at(by["agnet", s]["trace"], CHECKPOINTS[-1], field=field) for s in seeds]
            cells = []
            for n in (half, CHECKPOINTS[-1]):
                d = [_at(by[method, s]["trace"], n, by_epochs=by[method, s]["epochs"], field=field) - f
                     for s, f in zip(seeds, full, strict=True)]
                se = statistics.stdev(d) / len(d) ** 0.5 if len(d) > 1 else float("nan")
                cells.append(f"{statistics.mean(d):+.2f} (SE {se:.2f})")
            print(f"  {method} ({len(seeds)} seeds): " + ", ".join(cells))
        print(f"{space}: best validation after {CHECKPOINTS[-1]} trainings minus the best of the first {FIRST} (mean), "
              f"and the seeds whose best is still one of those {FIRST}")
        for method in METHODS:
            rs = sorted((r for (m, _), r in by.items() if m == method and m not in PRUNERS), key=lambda r: r["seed"])
            rs = [r for r in rs if "valid" in r["trace"][0]]  # the oldest runs kept only the running best
            if not rs:
                continue
            gains, stuck = [], []
            for r in rs:
                tr = r["trace"][: CHECKPOINTS[-1]]
                first = max(t["valid"] for t in tr[:FIRST])
                gains.append(tr[-1]["best_valid"] - first)
                if tr[-1]["best_valid"] <= first:
                    stuck.append(r["seed"])
            print(f"  {method} ({len(rs)} seeds): {statistics.mean(gains):+.2f}; still an initial cell in seeds {stuck}")
        print(f"{space}: per seed, {field} at {CHECKPOINTS[-1]} trainings (pruning methods: their equal total epochs) (seed: value)")
        for method in METHODS:
            rs = sorted((r for (m, _), r in by.items() if m == method), key=lambda r: r["seed"])
            if rs:
                at = [(r["seed"], _at(r["trace"], CHECKPOINTS[-1], by_epochs=r["epochs"] if method in PRUNERS else None, field=field)) for r in rs]
                print(f"  {method}: " + ", ".join(f"{s}: {v:.1f}" for s, v in at))


def spread(path: str | list[dict]) -> None:
    """Accuracies of the random-search runs' architectures (full trainings, from the cache): the
    spread over random cells, and how each epoch's validation accuracy ranks them against the
    last epoch's (Spearman; what a pruner's rungs have to live with)."""
    import numpy as np
    from scipy.stats import spearmanr

    import agnet_bo as ab

    rows = _runs(path)
    for space_name in sorted({r["space"] for r in rows}):
        runs = [r for r in rows if r["space"] == space_name and r["method"] == "random"]
        if not runs:
            continue
        trainer = CachedTrainer.__new__(CachedTrainer)  # the cache only: nothing is trained here
        trainer.name, trainer.epochs, trainer.curves = space_name, runs[0]["epochs"], {}
        trainer._load()
        space = {"nb101": ab.spaces.NB101Space, "darts": ab.spaces.DARTSSpace, "nb201": ab.spaces.NB201Space}[space_name]()
        test, keys, curves = [], set(), []
        for r in runs:  # random search asks the same architectures whatever it is told
            opt = make_optimizer("random", space, r["seed"])
            for _ in range(r["trainings"]):
                t = opt.ask()[0]
                opt.tell(t, 0.0)
                curve = trainer.curves.get(space.key(t.arch), [])
                if len(curve) == trainer.epochs and t.key not in keys:
                    keys.add(t.key)
                    test.append(curve[-1]["test-accuracy"])
                    curves.append([c["valid-accuracy"] for c in curve])
        c, te = np.array(curves), np.array(test)
        v = c[:, -1]  # the final validation accuracies
        q = np.percentile(te, [10, 50, 90])
        print(f"{space_name}: {len(v)} random cells: test accuracy mean {te.mean():.2f}, sd {te.std(ddof=1):.2f}, "
              f"min {te.min():.2f}, 10/50/90 % {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}, max {te.max():.2f}; "
              f"valid-test rank correlation {spearmanr(v, te).statistic:.2f}")
        rho = [spearmanr(c[:, e], c[:, -1]).statistic for e in range(c.shape[1] - 1)]
        top = c[c[:, -1] >= np.percentile(c[:, -1], 80)]  # where a pruner's decisions matter
        rho_top = [spearmanr(top[:, e], top[:, -1]).statistic for e in range(c.shape[1] - 1)]
        print(f"{space_name}: validation accuracy at epoch 1..{c.shape[1] - 1} against epoch {c.shape[1]} (Spearman): "
              + ", ".join(f"{r:.2f}" for r in rho) + f"; among the best 20 % at epoch {c.shape[1]} ({len(top)} cells): "
              + ", ".join(f"{r:.2f}" for r in rho_top))


def timing(space_name: str, n: int, epochs: int) -> None:
    """Train ``n`` random cells (seed 0, no cache) and print each one's accuracy and training time."""
    import agnet_bo as ab

    space = {"nb101": ab.spaces.NB101Space, "darts": ab.spaces.DARTSSpace, "nb201": ab.spaces.NB201Space}[space_name]()
    bench = ab.benchmarks.MNIST1D(space, epochs=epochs, cache=False)
    times = []
    for arch in space.sample(n, seed=0):
        r = bench.evaluate(arch)
        times.append(r["train-time"])
        print(f"valid {r['valid-accuracy']:.1f} test {r['test-accuracy']:.1f} params {int(r['params'])} "
              f"latency {r['latency-ms']:.2f} ms, trained in {r['train-time']:.2f} s", flush=True)
    print(f"{space_name}: training time median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})")
