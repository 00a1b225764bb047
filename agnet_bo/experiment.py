"""Searches on benchmarks, as the ``agnet-bo run`` and ``agnet-bo compare`` commands do them.

A :class:`RunConfig` says what to search (benchmark, objectives, constraints), how (a method of
:data:`METHODS`, optionally with overrides) and for how long. :func:`run_search` runs it with the
ask/tell :class:`~agnet_bo.Optimizer`, reporting every result to a callback;
:class:`RunRecorder` keeps a run's files (``config.json``, ``state.json``, ``trials.jsonl``,
``summary.json``, ``curve.csv``, ``plot.png``) so it can be resumed. :func:`compare` runs several
methods over several seeds in local processes and summarises them.

The benchmark protocol is AG-Net's: the search sees the objective (by default the validation
accuracy); the report metrics (by default the test accuracy) are only recorded, and the result
is the report metric of the best architecture by the objective.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agnet_bo import names
from agnet_bo._files import atomic_write
from agnet_bo.benchmarks import NB201, Benchmark, TabularBenchmark
from agnet_bo.exceptions import InputError, StateFileError, unknown_name
from agnet_bo.optimizer import Optimizer
from agnet_bo.pareto import hypervolume, pareto_mask
from agnet_bo.trial import Trial, TrialState

__all__ = [
    "METHODS",
    "BENCHMARKS",
    "RunConfig",
    "RunResult",
    "RunRecorder",
    "make_benchmark",
    "make_optimizer",
    "parse_method",
    "run_search",
    "compare",
    "compare_table",
    "table_markdown",
    "summarize",
]

BENCHMARKS = names.BENCHMARKS
"""Benchmarks :func:`make_benchmark` knows (bundled tables, no download)."""

METHODS: dict[str, dict[str, Any]] = {
    "agnet": {"preset": "agnet"},
    "agnet-paper": {"preset": "paper"},
    "agnet-mlp": {"preset": "agnet-mlp"},
    "bananas": {"preset": "bananas"},
    "evolution": {"preset": "evolution"},
    "local": {"preset": "local"},
    "random": {"preset": "random"},
}
"""Search methods by name: each is a preset of :mod:`agnet_bo.presets`, which holds its settings.

* ``agnet``: AG-Net with the library's defaults (generator pool, GP surrogate, UCB);
* ``agnet-paper``: :meth:`Optimizer.paper <agnet_bo.Optimizer.paper>`, the published protocol;
* ``agnet-mlp``: AG-Net with the paper's jointly trained MLP surrogate, greedy, default pool;
* ``bananas``: BANANAS-style: MLP ensemble on the path encoding, pools of mutations of the 10
  best architectures, UCB;
* ``evolution``: regularised evolution (population 10, tournament 3), no surrogate;
* ``local``: local search (random neighbours of the best so far, random restarts), no surrogate;
* ``random``: random search.

A method may be followed by overrides, ``"agnet:surrogate=gnn,pool_size=500"`` (values are JSON
or plain strings; a list keeps its commas, ``"agnet:kappa=[0.5,2,3.5]"``);
``agnet:surrogate=none`` is the generator alone.
"""

_OVERRIDABLE = ("surrogate", "proposer", "acquisition", "n_initial", "pool_size", "max_model_trials", "kappa")


def parse_method(spec: str) -> dict[str, Any]:
    """Optimizer settings of a method spec ``"name[:key=value,...]"`` (see :data:`METHODS`).

    Raises:
        UnknownNameError: If the method name is not in :data:`METHODS`.
        InputError: If an override is malformed or not one of ``surrogate``, ``proposer``,
            ``acquisition``, ``n_initial``, ``pool_size``, ``max_model_trials``, ``kappa``.
    """
    if not isinstance(spec, str) or not spec:
        raise InputError(f"A method must be a non-empty string like 'agnet' or 'agnet:surrogate=gnn', got {spec!r}.")
    name, _, rest = spec.partition(":")
    if name not in METHODS:
        raise unknown_name("method", name, tuple(METHODS))
    settings = json.loads(json.dumps(METHODS[name]))  # deep copy
    for item in filter(None, _split_top_level(rest)):
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or key not in _OVERRIDABLE:
            raise InputError(
                f"Bad override {item!r} in method {spec!r}: expected key=value with key one of {_OVERRIDABLE}, "
                "e.g. 'agnet:surrogate=gnn,pool_size=500'."
            )
        if settings["preset"] == "paper":
            raise InputError(f"Method {name!r} is a fixed preset (the published protocol); it takes no overrides (got {item!r}).")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw.strip()
        settings[key] = value
    return settings


def _split_top_level(text: str) -> list[str]:
    """Split ``text`` on the commas that are not inside brackets or braces, so that a JSON list
    value such as ``kappa=[0.5,2,3.5]`` stays one override."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def make_benchmark(name: str = "nb201", dataset: str = "cifar10", epochs: int = 200) -> TabularBenchmark:
    """A bundled benchmark by name (:data:`BENCHMARKS`), or your own by import path.

    ``name`` may be ``"package.module:attribute"``: the attribute is a
    :class:`~agnet_bo.benchmarks.TabularBenchmark`, or a function returning one, called with
    those of ``dataset`` and ``epochs`` that it accepts as parameters. An import path works in
    the worker processes of :func:`compare` too (they import it again) and is what
    ``agnet-bo run --benchmark mypkg.bench:make`` uses.

    Raises:
        UnknownNameError: For an unknown bundled benchmark or dataset.
        InputError: If an import path cannot be imported or does not give a TabularBenchmark.
    """
    if isinstance(name, str) and ":" in name:
        return _import_benchmark(name, dataset, epochs)
    if name not in BENCHMARKS:
        raise unknown_name("benchmark", name, BENCHMARKS, 'Or give your own as "package.module:attribute".')
    return NB201(dataset, epochs)


def _import_benchmark(path: str, dataset: str, epochs: int) -> TabularBenchmark:
    import importlib
    import inspect

    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"Benchmark {path!r}: cannot import module {module_name!r} ({exc}). Is it on sys.path / installed?") from exc
    if not hasattr(module, attr):
        raise InputError(f"Benchmark {path!r}: module {module_name!r} has no attribute {attr!r}.")
    obj = getattr(module, attr)
    if callable(obj) and not isinstance(obj, Benchmark):
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        offered = {"dataset": dataset, "epochs": epochs}
        obj = obj(**{k: v for k, v in offered.items() if k in params})
    if not isinstance(obj, TabularBenchmark):
        raise InputError(
            f"Benchmark {path!r} gave a {type(obj).__name__}; expected an agnet_bo.benchmarks.TabularBenchmark "
            "(or a function returning one): runs and comparisons look up the optimum and true front in its table."
        )
    return obj


@dataclass
class RunConfig:
    """What a benchmark search does; JSON round-trips through :meth:`to_dict` / :meth:`from_dict`.

    Attributes:
        benchmark: A name of :data:`BENCHMARKS` or an import path (see :func:`make_benchmark`).
        dataset: The benchmark's dataset.
        epochs: The benchmark's training budget (NB201: 200 or 12).
        objectives: Metric -> ``"maximize"``/``"minimize"`` (what the search sees).
        constraints: Metric -> ``(op, bound)``, e.g. ``{"latency-edgegpu": ("<=", 5.0)}``.
        report: Metrics recorded but not searched on (e.g. the test accuracy).
        method: A method spec (see :data:`METHODS` and :func:`parse_method`).
        budget: Architectures to evaluate.
        batch_size: Architectures asked at once.
        seed: The optimizer's seed.
        prior: Earlier searches the search starts from (paths of ``agnet-bo run`` folders, saved
            states or exported ``.csv`` / ``.jsonl`` files; docs/guides/prior.md). The prior is
            saved with the search, so a resumed run does not read them again.
    """

    benchmark: str = "nb201"
    dataset: str = "cifar10"
    epochs: int = 200
    objectives: dict[str, str] = field(default_factory=lambda: {"valid-accuracy": "maximize"})
    constraints: dict[str, tuple[str, float]] = field(default_factory=dict)
    report: list[str] = field(default_factory=lambda: ["test-accuracy"])
    method: str = "agnet"
    budget: int = 192
    batch_size: int = 16
    seed: int = 0
    prior: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("budget", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"`{name}` must be a positive int, got {v!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"`seed` must be a non-negative int, got {self.seed!r}.")
        self.constraints = {k: (str(v[0]), float(v[1])) for k, v in self.constraints.items()}
        if isinstance(self.prior, str) or not all(isinstance(p, str) for p in self.prior):
            raise InputError(f"`prior` must be a list of paths, got {self.prior!r}.")
        self.prior = list(self.prior)

    @property
    def metrics(self) -> list[str]:
        """Objectives, then constrained metrics, then report metrics (no repeats)."""
        return list(dict.fromkeys([*self.objectives, *self.constraints, *self.report]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        d = asdict(self)
        d["constraints"] = {k: list(v) for k, v in self.constraints.items()}
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunConfig:
        """Inverse of :meth:`to_dict`.

        Raises:
            InputError: For unknown or malformed fields.
        """
        try:
            return cls(**dict(d))
        except TypeError as exc:
            raise InputError(f"Malformed run configuration: {exc}.") from exc

    def check(self, bench: Benchmark) -> None:
        """Raise :class:`~agnet_bo.exceptions.UnknownNameError` if a metric is not the benchmark's."""
        for m in self.metrics:
            if m not in bench.metrics:
                raise unknown_name(f"metric of {bench!r}", m, bench.metrics)


def make_optimizer(config: RunConfig, bench: Benchmark) -> Optimizer:
    """The optimizer of ``config``'s method on ``bench``'s space."""
    settings = parse_method(config.method)
    if settings["preset"] == "paper" and (len(config.objectives) != 1 or config.constraints):
        raise InputError(
            "The 'agnet-paper' preset searches one objective without constraints; use 'agnet' with "
            "--acquisition rank-sum / rank-constrained for the paper's hardware-aware rules."
        )
    extra: dict[str, Any] = {"prior": list(config.prior)} if config.prior else {}
    return Optimizer(
        bench.space, objectives=config.objectives, constraints=config.constraints or None, seed=config.seed,
        **optimizer_settings(settings, bench.space, seed=config.seed), **extra,
    )


def optimizer_settings(settings: Mapping[str, Any], space: Any, seed: int = 0) -> dict[str, Any]:
    """:class:`~agnet_bo.Optimizer` arguments of JSON settings (:func:`parse_method`'s, or a
    benchmark script's ``--config``): a ``kappa`` override becomes ``acquisition=UCB(kappa=...)``,
    and a component given as a description ``{"type": name, "params": {...}}``
    (:func:`agnet_bo.components.describe`) is built, e.g. ``{"surrogate": {"type": "gp",
    "params": {"kernel": "rbf"}}}``.

    Raises:
        InputError: If ``kappa`` is given with an acquisition other than UCB, or a description is malformed.
    """
    from agnet_bo import components

    out = dict(settings)
    builders = {
        "proposer": lambda d: components.proposer_from_config(d, space),
        "acquisition": components.acquisition_from_config,
    }
    for key, build in builders.items():
        if isinstance(out.get(key), Mapping):
            out[key] = build({"params": {}, **out[key]})
    if isinstance(out.get("surrogate"), Mapping):
        d = {"params": {}, **out["surrogate"]}
        d["params"] = {"seed": seed, **d["params"]} if d.get("type") in ("gp", "gnn", "mlp") else d["params"]
        out["surrogate"] = components.surrogate_from_config(d, space, out.get("proposer"))
    if "kappa" in out:
        from agnet_bo.acquisition import make_acquisition

        kappa = out.pop("kappa")
        if out.get("acquisition", "ucb") != "ucb":
            raise InputError(f"`kappa` is UCB's setting; got acquisition={out['acquisition']!r}. Drop one of them.")
        out["acquisition"] = make_acquisition("ucb", kappa=kappa)
    return out


@dataclass
class RunResult:
    """What a benchmark search found.

    Attributes:
        config: The run's configuration.
        trials: Every trial (completed, failed and, if interrupted, pending).
        values: ``n x k`` values of :attr:`RunConfig.metrics` per completed-or-failed trial in
            trial order (NaN for failures).
        seconds: Wall time.
        interrupted: Whether the run stopped before its budget.
    """

    config: RunConfig
    trials: list[Trial]
    values: np.ndarray
    seconds: float
    interrupted: bool = False


def _told(trials: Iterable[Trial]) -> list[Trial]:
    return [t for t in trials if t.state is not TrialState.PENDING]


def _row(t: Trial, metrics: Sequence[str]) -> list[float]:
    merged = {**(t.values or {}), **t.info}
    return [float(merged.get(m, math.nan)) if t.state is TrialState.COMPLETE else math.nan for m in metrics]


def run_search(
    config: RunConfig,
    *,
    optimizer: Optimizer | None = None,
    on_result: Callable[[Trial, Optimizer], None] | None = None,
    on_batch: Callable[[Optimizer], None] | None = None,
) -> RunResult:
    """Search ``config``'s benchmark until ``config.budget`` architectures are evaluated (or a
    finite space is used up).

    Args:
        config: What to run.
        optimizer: Continue this optimizer (a resumed run) instead of building a new one; its
            pending trials are evaluated first.
        on_result: Called after every ``tell``.
        on_batch: Called after every batch (e.g. to save the state).

    Returns:
        The :class:`RunResult`. A ``KeyboardInterrupt`` stops the search cleanly after the
        result being told; the result is then marked ``interrupted``.
    """
    bench = make_benchmark(config.benchmark, config.dataset, config.epochs)
    config.check(bench)
    opt = optimizer if optimizer is not None else make_optimizer(config, bench)
    searched = list(dict.fromkeys([*config.objectives, *config.constraints]))
    extra = [m for m in config.report if m not in searched]
    start = time.perf_counter()
    interrupted = False
    try:
        while True:
            batch = opt.pending_trials
            if not batch:
                left = config.budget - len(opt.trials)
                if left <= 0:
                    break
                size = opt.space.size
                if size is not None and len(opt.trials) >= size:
                    break  # a finite space searched to exhaustion before the budget
                batch = opt.ask(min(config.batch_size, left, size - len(opt.trials) if size is not None else left))
            for t in batch:
                values = bench.evaluate(t.arch, [*searched, *extra])
                opt.tell(t, {m: values[m] for m in searched}, info={m: values[m] for m in extra})
                if on_result is not None:
                    on_result(opt.trials[t.id], opt)
            if on_batch is not None:
                on_batch(opt)
    except KeyboardInterrupt:
        interrupted = True
    told = _told(opt.trials)
    table = np.array([_row(t, config.metrics) for t in told], dtype=float).reshape(len(told), len(config.metrics))
    return RunResult(config, opt.trials, table, time.perf_counter() - start, interrupted)


# -- summaries ----------------------------------------------------------------------------------
def _true_front(bench: TabularBenchmark, config: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    """Maximised objective matrix of every row of the table and the mask of its feasible rows."""
    cols = [bench.table(m) * (1.0 if d == "maximize" else -1.0) for m, d in config.objectives.items()]
    Y = np.stack(cols, 1)
    ok = np.asarray(np.isfinite(Y).all(axis=1), dtype=bool)
    for m, (op, bound) in config.constraints.items():
        col = bench.table(m)
        ok = ok & np.asarray((col <= bound) if op == "<=" else (col >= bound), dtype=bool)
    return Y, ok


def summarize(result: RunResult) -> dict[str, Any]:
    """The summary of a run and its anytime curve.

    Returns a dict with ``"summary"`` (JSON-serialisable: best architecture, its metrics, regret
    if the optimum is known, and for several objectives the front and its hypervolume fraction)
    and ``"curve"`` (a list of per-query rows for ``curve.csv``).

    Single objective: the best architecture is the best feasible one by the objective; the
    curve has the best objective value so far, the report metrics of that architecture and the
    regret. Several objectives: objectives are normalised by the true front's ideal and nadir
    points (the whole table), the reference point is 1.1 in each, and the curve has the
    hypervolume of the feasible front found as a fraction of the true front's.
    """
    config = result.config
    bench = make_benchmark(config.benchmark, config.dataset, config.epochs)
    space = bench.space
    told = _told(result.trials)
    metrics = config.metrics
    V = result.values
    objs = list(config.objectives)
    sign = np.array([1.0 if config.objectives[m] == "maximize" else -1.0 for m in objs])
    Y = V[:, : len(objs)] * sign if len(told) else np.zeros((0, len(objs)))
    feas = np.asarray(np.isfinite(Y).all(axis=1), dtype=bool)
    for m, (op, bound) in config.constraints.items():
        col = V[:, metrics.index(m)]
        with np.errstate(invalid="ignore"):
            feas = feas & np.asarray((col <= bound) if op == "<=" else (col >= bound), dtype=bool)
    describe = getattr(space, "to_string", None)
    arch_str = (lambda a: describe(a)) if describe else (lambda a: json.dumps(a.to_dict()))
    summary: dict[str, Any] = {
        "config": config.to_dict(),
        "evaluated": len(told),
        "failed": sum(t.state is TrialState.FAIL for t in told),
        "seconds": round(result.seconds, 3),
        "interrupted": result.interrupted,
    }
    curve: list[dict[str, Any]] = []
    TY, tok = _true_front(bench, config)
    if len(objs) == 1:
        optimum = float(TY[tok, 0].max()) * sign[0] if tok.any() else math.nan
        best_i, best = -1, -math.inf
        for i in range(len(told)):
            if feas[i] and Y[i, 0] > best:
                best_i, best = i, Y[i, 0]
            row: dict[str, Any] = {"query": i + 1, objs[0]: V[i, 0]}
            row[f"best {objs[0]}"] = best * sign[0] if best_i >= 0 else math.nan
            for m in config.report:
                row[f"{m} of best"] = V[best_i, metrics.index(m)] if best_i >= 0 else math.nan
            row["regret"] = abs(optimum - row[f"best {objs[0]}"]) if best_i >= 0 else math.nan
            curve.append(row)
        summary["optimum"] = optimum
        if best_i >= 0:
            t = told[best_i]
            summary["best"] = {
                "trial": t.id,
                "arch": arch_str(t.arch),
                **{m: float(V[best_i, j]) for j, m in enumerate(metrics)},
            }
            summary["regret"] = float(abs(optimum - V[best_i, 0]))
            summary["found_optimum"] = bool(summary["regret"] <= 1e-9)
        return {"summary": summary, "curve": curve}
    true = np.flatnonzero(tok)[pareto_mask(TY[tok])]
    ideal, nadir = TY[true].max(0), TY[true].min(0)
    span = np.where(ideal > nadir, ideal - nadir, 1.0)
    ref = np.full(len(objs), 1.1)
    hv_true = hypervolume(-(ideal - TY[true]) / span, -ref)
    for i in range(len(told)):
        pts = Y[: i + 1][feas[: i + 1]]
        hv = hypervolume(-(ideal - pts) / span, -ref) / hv_true if len(pts) else 0.0
        curve.append({"query": i + 1, "hypervolume fraction": hv})
    front = [told[i] for i in np.flatnonzero(feas)[pareto_mask(Y[feas])]] if feas.any() else []
    summary["hypervolume_fraction"] = curve[-1]["hypervolume fraction"] if curve else 0.0
    summary["true_front_size"] = len(true)
    idx = getattr(space, "index", None)
    if idx is not None:
        found_rows = {idx(t.arch) for t in told}
        summary["true_front_found"] = int(sum(int(r) in found_rows for r in true))
    summary["front"] = [
        {"trial": t.id, "arch": arch_str(t.arch), **{m: float(v) for m, v in zip(metrics, _row(t, metrics), strict=False)}}
        for t in front
    ]
    return {"summary": summary, "curve": curve}


# -- files -------------------------------------------------------------------------------------
class RunRecorder:
    """The files of a run in ``directory``: written as the run goes, enough to resume it.

    * ``config.json``: the :class:`RunConfig`;
    * ``state.json``: the optimizer (:meth:`Optimizer.save <agnet_bo.Optimizer.save>`, atomic),
      after every batch and on interruption;
    * ``trials.jsonl``: one line per told trial, appended as results arrive (rewritten from the
      state on resume, so it never holds a result the state lost);
    * ``summary.json``, ``curve.csv`` and ``plot.png``: written by :meth:`finish`.

    Raises:
        InputError: If ``directory`` already holds a run and ``resume`` is false, or holds none
            and ``resume`` is true.
    """

    def __init__(self, directory: str | os.PathLike[str], config: RunConfig | None = None, *, resume: bool = False) -> None:
        self.dir = Path(directory)
        cfg_path = self.dir / "config.json"
        if resume:
            if not cfg_path.exists() or not ((self.dir / "state.json").exists() or (self.dir / "trials.jsonl").exists()):
                raise InputError(
                    f"Nothing to resume in {str(self.dir)!r}: it has no config.json with a state.json or trials.jsonl of a run."
                )
            try:
                saved = RunConfig.from_dict(json.loads(cfg_path.read_text()))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise StateFileError(
                    f"{cfg_path} is corrupted ({type(exc).__name__}: {exc}); the run cannot be resumed from it. "
                    f"state.json and trials.jsonl in {str(self.dir)!r} still hold the search and its results."
                ) from None
            if config is not None:  # a resumed run may only change its budget
                saved.budget = config.budget
            self.config = saved
        else:
            if config is None:
                raise InputError("A new run needs a RunConfig.")
            if cfg_path.exists():
                raise InputError(
                    f"{str(self.dir)!r} already holds a run; resume it with --resume {self.dir} or choose another --out."
                )
            self.dir.mkdir(parents=True, exist_ok=True)
            self.config = config
        atomic_write(cfg_path, json.dumps(self.config.to_dict(), indent=2))
        space = make_benchmark(self.config.benchmark, self.config.dataset, self.config.epochs).space
        self._describe: Callable[[Any], str] | None = getattr(space, "to_string", None)

    @property
    def state_path(self) -> Path:
        return self.dir / "state.json"

    def load_optimizer(self) -> Optimizer:
        """The saved optimizer, with every result ``trials.jsonl`` holds; rewrites that file from it.

        Results appended after the state's last save (a crash between two saves) are told to
        the loaded optimizer. When ``state.json`` is missing or unreadable, the search is rebuilt
        from ``trials.jsonl`` (a warning says so): every result is kept and the search goes on,
        though not with the picks the lost state would have made. Unreadable lines of
        ``trials.jsonl`` are skipped with a warning naming them.

        Raises:
            StateFileError: If neither file holds anything to resume from.
        """
        records = self._read_trials()
        try:
            opt = Optimizer.load(self.state_path)
        except StateFileError as exc:
            if not records:
                raise StateFileError(
                    f"{exc}. {self.dir / 'trials.jsonl'} holds no result either: there is nothing to resume; start a new run."
                ) from None
            warnings.warn(
                f"{self.state_path} cannot be read ({exc}); rebuilding the search from the {len(records)} results in "
                f"{self.dir / 'trials.jsonl'}. Every result is kept; the next picks are the rebuilt model's.",
                UserWarning,
                stacklevel=2,
            )
            opt = make_optimizer(self.config, make_benchmark(self.config.benchmark, self.config.dataset, self.config.epochs))
            for t in records:
                if opt.find(t.arch) is None:
                    opt.add_evaluated(t.arch, t.values, info=t.info, state=t.state)
        else:
            for t in records:  # told after the state's last save
                ours = opt.trials[t.id] if t.id < len(opt.trials) else None
                if ours is not None and ours.key == t.key and ours.state is TrialState.PENDING:
                    opt.tell(ours, t.values, state=t.state, info=t.info)
        with open(self.dir / "trials.jsonl", "w") as f:
            for t in _told(opt.trials):
                f.write(json.dumps(self._line(t)) + "\n")
        return opt

    def _read_trials(self) -> list[Trial]:
        """The told trials of ``trials.jsonl`` (unreadable lines skipped with a warning)."""
        path = self.dir / "trials.jsonl"
        if not path.exists():
            return []
        out, bad = [], []
        for i, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                t = Trial.from_dict(json.loads(line))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, InputError):
                bad.append(i)
                continue
            if t.state.is_finished():
                out.append(t)
        if bad:
            warnings.warn(
                f"{path}: line(s) {bad} cannot be read and are skipped; state.json still holds what was saved.",
                UserWarning,
                stacklevel=3,
            )
        return out

    def _line(self, t: Trial) -> dict[str, Any]:
        d = t.to_dict()
        if self._describe is not None:
            d["arch_str"] = self._describe(t.arch)
        return d

    def on_result(self, trial: Trial, opt: Optimizer) -> None:
        """Append ``trial`` to ``trials.jsonl``."""
        with open(self.dir / "trials.jsonl", "a") as f:
            f.write(json.dumps(self._line(trial)) + "\n")

    def on_batch(self, opt: Optimizer) -> None:
        """Save the optimizer state (atomically)."""
        opt.save(self.state_path)

    def finish(self, result: RunResult, opt: Optimizer | None = None, plot: bool = True) -> dict[str, Any]:
        """Write the state, ``summary.json``, ``curve.csv`` and ``plot.png``; return the summary."""
        if opt is not None:
            opt.save(self.state_path)
        out = summarize(result)
        atomic_write(self.dir / "summary.json", json.dumps(out["summary"], indent=2))
        if out["curve"]:
            with open(self.dir / "curve.csv", "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(out["curve"][0]))
                w.writeheader()
                w.writerows(out["curve"])
        if plot and out["curve"]:
            from agnet_bo.plotting import plot_run

            true = None
            if len(result.config.objectives) > 1:
                c = result.config
                TY, ok = _true_front(make_benchmark(c.benchmark, c.dataset, c.epochs), c)
                true = TY[ok][pareto_mask(TY[ok])][:, :2]
            plot_run(result, out, self.dir / "plot.png", true_front=true)
        return out["summary"]


# -- comparisons -------------------------------------------------------------------------------
def _compare_job(job: tuple[dict[str, Any], str]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    config = RunConfig.from_dict(job[0])
    result = run_search(config)
    curve = summarize(result)["curve"]
    obj = next(iter(config.objectives))
    report = config.report[0] if config.report else None
    return {
        "method": config.method,
        "dataset": config.dataset,
        "seed": config.seed,
        "best": [r[f"best {obj}"] for r in curve],
        "report": [r[f"{report} of best"] for r in curve] if report else None,
        "regret": [r["regret"] for r in curve],
        "seconds": result.seconds,
    }


def compare(
    methods: Sequence[str],
    base: RunConfig,
    *,
    datasets: Sequence[str] | None = None,
    seeds: Sequence[int] = range(10),
    workers: int = 2,
    raw_path: str | os.PathLike[str] | None = None,
    progress: bool = True,
    run: bool = True,
) -> list[dict[str, Any]]:
    """Run every method on every dataset and seed (single objective), in ``workers`` processes.

    Each process computes with one torch thread. Results (best-so-far curves) are appended to
    ``raw_path`` as JSON lines as they arrive; jobs already in that file are not run again, so
    an interrupted comparison continues where it stopped. With ``run=False`` nothing is run:
    the finished runs in ``raw_path`` among these methods, datasets and seeds are returned (a
    table of a partial comparison then says how many seeds each method has).

    Returns:
        One dict per job: ``method``, ``dataset``, ``seed``, and per query ``best`` (objective),
        ``report`` (the first report metric of the best) and ``regret``; ``seconds``.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if len(base.objectives) != 1:
        raise InputError("compare() handles one objective; got " + ", ".join(base.objectives))
    for m in methods:
        parse_method(m)
    datasets = list(datasets or [base.dataset])
    done: list[dict[str, Any]] = []
    if raw_path is not None and Path(raw_path).exists():
        with open(raw_path) as f:
            done = [json.loads(line) for line in f if line.strip()]
    have = {(r["method"], r["dataset"], r["seed"]) for r in done}
    jobs = []
    for d in datasets:
        for m in methods:
            for s in seeds:
                if run and (m, d, int(s)) not in have:
                    cfg = RunConfig.from_dict({**base.to_dict(), "method": m, "dataset": d, "seed": int(s)})
                    make_benchmark(cfg.benchmark, cfg.dataset, cfg.epochs)  # fail early on a bad dataset
                    jobs.append((cfg.to_dict(), m))
    results = [r for r in done if r["method"] in methods and r["dataset"] in datasets and r["seed"] in set(seeds)]
    bar = None
    if progress and jobs:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="compare", unit="run")
    with ProcessPoolExecutor(max(1, int(workers))) as pool:
        futures = [pool.submit(_compare_job, j) for j in jobs]
        for fut in as_completed(futures):
            r = fut.result()
            results.append(r)
            if raw_path is not None:
                with open(raw_path, "a") as f:
                    f.write(json.dumps(r) + "\n")
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{r['method']} {r['dataset']} seed {r['seed']}")
    if bar is not None:
        bar.close()
    return results


def compare_table(results: Sequence[Mapping[str, Any]], at: Sequence[int]) -> list[dict[str, Any]]:
    """Per dataset, method and budget: mean ± std of the report metric and of the objective, mean
    regret and the share of seeds at the optimum (rows for a Markdown / CSV table)."""
    rows = []
    for d in dict.fromkeys(r["dataset"] for r in results):
        for m in dict.fromkeys(r["method"] for r in results):
            rs = [r for r in results if r["dataset"] == d and r["method"] == m]
            if not rs:
                continue
            for q in at:
                if any(len(r["best"]) < q for r in rs):
                    continue
                best = np.array([r["best"][q - 1] for r in rs])
                regret = np.array([r["regret"][q - 1] for r in rs])
                row: dict[str, Any] = {"dataset": d, "method": m, "queries": q, "seeds": len(rs)}
                if rs[0]["report"] is not None:
                    rep = np.array([r["report"][q - 1] for r in rs])
                    row["report mean"], row["report std"] = float(rep.mean()), float(rep.std())
                row["best mean"], row["best std"] = float(best.mean()), float(best.std())
                row["regret mean"] = float(regret.mean())
                row["optimum found"] = float(np.mean(regret <= 1e-9))
                row["seconds median"] = float(np.median([r["seconds"] for r in rs]))
                rows.append(row)
    return rows


def table_markdown(rows: Sequence[Mapping[str, Any]], objective: str, report: str | None) -> str:
    """The rows of :func:`compare_table` as a Markdown table."""
    head = ["dataset", "method", "seeds", "queries"]
    if report:
        head.append(f"{report} of best (mean ± std)")
    head += [f"best {objective} (mean ± std)", "regret (mean)", "optimum found", "wall s (median)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    for r in rows:
        cells = [r["dataset"], r["method"], str(r["seeds"]), str(r["queries"])]
        if report:
            cells.append(f"{r['report mean']:.2f} ± {r['report std']:.2f}")
        cells += [
            f"{r['best mean']:.3f} ± {r['best std']:.3f}",
            f"{r['regret mean']:.3f}",
            f"{r['optimum found']:.0%}",
            f"{r['seconds median']:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
