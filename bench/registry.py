"""The task families of ``python -m bench``: what each runs, its methods, options and tables.

==============  =============================================================  ==========================
family          tasks                                                          methods
==============  =============================================================  ==========================
``suite``       14 tabular tasks on 6 kinds of space (``bench/suite.py``)      agnet, bananas, evolution,
                                                                               local, random (``:k=v``)
``nb201``       AG-Net's protocol on NAS-Bench-201: cifar10, cifar100,         default, paper, evolution,
                ImageNet16-120, batches of 16 (``bench/search_nb201.py``)      random
``mo``          accuracy vs latency fronts (pareto-pixel3 / -eyeriss /         default, eq4, eq5, random
                -fpga) and a latency constraint (constrained-edgegpu)
``real``        real training on MNIST-1D: mnist1d-nb101, mnist1d-darts,       agnet, paper, evolution, ...
                mnist1d-nb201 (``bench/real_training.py``)                     (``METHODS`` there)
``transfer``    warm starts on NAS-Bench-201: each dataset as the target        none, prior, prior-initial,
                (``bench/transfer.py``)                                        -generator, -surrogate,
                                                                               enqueue, zeroshot
``transnas``    TransNAS-Bench-101 leave one task out (micro-/macro-<task>)    as ``transfer``
``priors``      the earlier searches ``transfer`` reads (nb201-<dataset>-<n>ep) default
``workers``     many workers on one optimizer: async-nb201 (simulated),         default, reuse, background
                threads-nb201 (real threads, own process) (``many_workers.py``)
``scale``       thousands of told trials: rounds-<space>, background-<space>   default
                (``bench/scale.py``, each run in a fresh process)
``fidelity``    NB201 at 12 and 200 epochs: nb201-<dataset>                    full, asha
                (``bench/multi_fidelity_nb201.py``)
==============  =============================================================  ==========================

``suite``, ``nb201`` and ``mo`` also take ``--config NAME=JSON`` methods (Optimizer keyword
arguments on top of the default's); every family records its options (``--set KEY=VALUE``) in
every row.
"""

from __future__ import annotations

from bench.core import Family, printed
from bench.real_training import METHODS as REAL_METHODS


def _relabel(rows: list[dict], family: Family, keep: tuple[str, ...] = ("budget",)) -> list[dict]:
    """Rows whose options differ from the family's defaults get them in their method label
    (``agnet batch=1``), so a table never pools runs made with other settings."""
    out = []
    for r in rows:
        opts = (r.get("job") or {}).get("options") or {}
        extra = [f"{k}={v}" for k, v in opts.items() if k not in keep and family.options.get(k) != v]
        out.append(dict(r, method=" ".join([r["method"], *extra])) if extra else r)
    return out


# -- suite --------------------------------------------------------------------------------------

def _suite_tasks() -> list[str]:
    from bench import suite

    return list(suite.TASKS)


def _suite_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import suite

    return suite.run_one(task, method, seed, config, options.get("batch"), options.get("budget"))


def _suite_report(rows: list[dict], options: dict) -> str:
    from bench import suite

    return suite.report(_relabel(rows, SUITE, keep=()), None, options.get("at"))  # rows already filtered by method


# -- NAS-Bench-201, AG-Net's protocol -------------------------------------------------------------

def _nb201_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import search_nb201

    return search_nb201.run((method, task, seed, int(options["budget"]), config))


def _nb201_report(rows: list[dict], options: dict) -> str:
    from bench import search_nb201

    native = [r for r in rows if "best_val" in r]
    seen = {(r["method"], r["dataset"], r["seed"]) for r in native}
    for r in rows:  # runs of `agnet-bo compare` (runs.jsonl) count as default / paper
        if "best_val" not in r:
            c = search_nb201._from_compare(r)
            if c is not None and (c["method"], c["dataset"], c["seed"]) not in seen:
                native.append(c)
                seen.add((c["method"], c["dataset"], c["seed"]))
    return search_nb201.report(native)


# -- multi-objective --------------------------------------------------------------------------------

MO_TASKS = ("pareto-pixel3", "pareto-eyeriss", "pareto-fpga", "constrained-edgegpu")


def _mo_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import search_nb201_mo

    kind, device = task.split("-", 1)
    dataset = "cifar10" if kind == "pareto" else "ImageNet16-120"
    return search_nb201_mo.run((kind, method, dataset, device, seed, int(options["budget"]), config or {}))


def _mo_report(rows: list[dict], options: dict) -> str:
    from bench import search_nb201_mo

    return search_nb201_mo.report(_relabel(rows, MO))  # a row's task is its kind: pareto / constrained


# -- real training ---------------------------------------------------------------------------------

REAL_TASKS = ("mnist1d-nb101", "mnist1d-darts", "mnist1d-nb201")


def _real_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import real_training

    return real_training.run(task.split("-", 1)[1], method, seed, int(options["budget"]), int(options["epochs"]))


def _real_report(rows: list[dict], options: dict) -> str:
    from bench import real_training

    view = options.get("view") or "test"
    if view in ("test", "valid"):
        return printed(real_training.report, rows, "best_valid" if view == "valid" else "best_test")
    if view in ("paired", "spread"):
        return printed(getattr(real_training, view), rows)
    raise SystemExit(f"error: the real family's report views are test, valid, paired, spread; got {view!r}")


# -- warm starts ------------------------------------------------------------------------------------

def _transfer_tasks() -> list[str]:
    from bench import transfer

    return list(transfer.DATASETS)


def _transfer_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import transfer

    return transfer.run_nb201(task, method, seed, int(options["budget"]), options["prior_from"], options["priors"],
                              int(options["prior_seeds"]), int(options["q"]))


def _transnas_tasks() -> list[str]:
    from bench import transfer

    return [f"{kind}-{t}" for kind in ("micro", "macro") for t in transfer.TRANSNAS_TASKS]


def _transnas_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import transfer

    kind, name = task.split("-", 1)
    return transfer.run_transnas(kind, name, method, options["prior_from"], seed, int(options["budget"]), int(options["q"]))


def _transfer_report(rows: list[dict], options: dict) -> str:
    from bench import transfer

    if options.get("view") == "optimum-positions":  # read off the prior searches, not the rows
        return transfer.optimum_positions()

    at = options.get("at") or ((10, 25, 50) if any(r.get("bench") == "transnas" for r in rows) else (16, 48))
    unique: dict[tuple, dict] = {}  # `none` runs do not depend on the prior option: one row per run
    for r in rows:
        unique.setdefault((r["bench"], r["task"], r["method"], str(r.get("prior_from")), r["seed"], len(r["trace"])), r)
    return transfer.report(list(unique.values()), at)


def _priors_tasks() -> list[str]:
    from bench import transfer

    return [f"nb201-{d}-{e}ep" for e in (200, 12) for d in transfer.DATASETS]


def _priors_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import transfer

    dataset, _, epochs = task.removeprefix("nb201-").rpartition("-")  # nb201-ImageNet16-120-12ep
    return transfer.run_prior(dataset, int(epochs.removesuffix("ep")), seed, options["out"])


def _priors_report(rows: list[dict], options: dict) -> str:
    out = ["| task | seed | best | seconds | file |", "|---|---:|---:|---:|---|"]
    for r in sorted(rows, key=lambda r: (r["task"], r["seed"])):
        out.append(f"| {r['task']} | {r['seed']} | {r['best']:.3f} | {r['seconds']:.0f} | {r['file']} |")
    return "\n".join(out)


# -- many workers, scale, multi-fidelity -----------------------------------------------------------

def _workers_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import core, many_workers

    if task == "async-nb201":
        import torch

        torch.set_num_threads(1)
        return many_workers.run(method, int(options["pending"]), int(options["budget"]), seed, float(options["gap"]))
    spec = {"config": method, "threads": int(options["threads"]), "budget": int(options["budget"]), "seed": seed,
            "train_time": list(options["train_time"])}
    return core.in_child("many_workers:measure_threads", spec)


def _workers_report(rows: list[dict], options: dict) -> str:
    from bench import many_workers

    sim = [r for r in rows if r.get("mode") != "threads"]
    threads = [r for r in rows if r.get("mode") == "threads"]
    parts = [printed(many_workers.report, sim)] if sim else []
    parts += [printed(many_workers.report_threads, threads)] if threads else []
    return "\n\n".join(parts)


def _scale_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    from bench import core

    mode, space = task.split("-", 1)
    spec = {"mode": mode, "space": space, "told": int(options["told"]), "seed": seed,
            "max_model_trials": options["max_model_trials"]}
    if mode == "rounds":
        spec.update(rounds=int(options["rounds"]), io=bool(options["io"]))
    else:
        spec.update(pending=int(options["pending"]), steps=int(options["steps"]), gap=float(options["gap"]))
    return core.in_child("scale:measure", spec)


def _scale_report(rows: list[dict], options: dict) -> str:
    from bench import scale

    return scale.report([r for r in rows if r.get("returncode", 0) == 0])


def _fidelity_run(task: str, method: str, seed: int, options: dict, config: dict | None) -> dict:
    import warnings

    from bench import multi_fidelity_nb201

    warnings.simplefilter("ignore")
    return multi_fidelity_nb201.run(method, seed, int(options["budget"]), task.removeprefix("nb201-"), int(options["batch"]),
                                    options["max_model_trials"])


def _fidelity_report(rows: list[dict], options: dict) -> str:
    from bench import multi_fidelity_nb201

    return printed(multi_fidelity_nb201.report, rows)


def _same_suite(row: dict) -> tuple[tuple, list]:
    return (row["task"],), row["trace"]


def _same_nb201(row: dict) -> tuple[tuple, list]:  # the running best validation accuracy, query by query
    return (row["dataset"],), row["best_val"] if "best_val" in row else row["best"]  # else a run of `agnet-bo compare`


def _same_mo(row: dict) -> tuple[tuple, list]:  # the table rows picked, query by query
    return (row["task"], row["device"]), row["rows"]


def _same_transfer(row: dict) -> tuple[tuple, list]:  # the values asked, query by query, per target and prior
    return (row["task"], str(row.get("prior_from"))), row["trace"]


def _same_real(row: dict) -> tuple[tuple, list]:  # the running best validation accuracy, training by training
    return (row["space"],), [t.get("best_valid") for t in row["trace"]]


TRANSFER_METHODS = ("none", "prior", "prior-initial", "prior-generator", "prior-surrogate", "enqueue", "zeroshot")

SUITE = Family(
    "suite", "14 tabular tasks on 6 kinds of space: NB201 tables, a free-edge DAG space, candidate lists "
    "(NB101, NB301, NB-NLP, TransNAS), chain spaces", _suite_tasks, ("agnet", "bananas", "evolution", "local", "random"),
    ("agnet", "bananas", "evolution", "local", "random"), _suite_run, _suite_report,
    options={"budget": None, "batch": None}, raw="bench/results/suite_rerun.jsonl", accepts_overrides=True, same=_same_suite,
)
NB201 = Family(
    "nb201", "AG-Net's protocol on NAS-Bench-201: search on validation, 16 at a time, report test at 96 / 192 / 304",
    lambda: ("cifar10", "cifar100", "ImageNet16-120"), ("default", "paper", "evolution", "random"),
    ("default", "evolution", "random"), _nb201_run, _nb201_report, options={"budget": 304},
    first_seed=1000, seeds=20, raw="bench/results/search_nb201_rerun.jsonl", same=_same_nb201,
)
MO = Family(
    "mo", "NB201 with HW-NAS-Bench latencies: accuracy-latency fronts on three devices, and ImageNet16 under "
    "edgegpu latency <= 5 ms", lambda: MO_TASKS, ("default", "eq4", "eq5", "random"), ("default", "random"),
    _mo_run, _mo_report, options={"budget": 192}, first_seed=1000, seeds=10, raw="bench/results/pareto_rerun.jsonl",
    same=_same_mo,
)
REAL = Family(
    "real", "searches that train every network: MNIST-1D with NB101, DARTS or NB201 cells (trainings cached)",
    lambda: REAL_TASKS, REAL_METHODS, ("agnet", "random"), _real_run, _real_report,
    options={"budget": 100, "epochs": 8}, first_seed=0, seeds=10, raw="bench/results/real_training.jsonl", takes_config=False,
    same=_same_real,
)
TRANSFER = Family(
    "transfer", "warm starts: each NB201 dataset as the target, a prior of earlier searches (the other datasets, "
    "12 epochs, or misleading)", _transfer_tasks, TRANSFER_METHODS, ("none", "prior", "enqueue", "zeroshot"),
    _transfer_run, _transfer_report,
    options={"budget": 48, "q": 1, "prior_from": "others", "priors": "bench/results/transfer_priors", "prior_seeds": 5},
    first_seed=0, seeds=10, raw="bench/results/transfer_nb201.jsonl", accepts_overrides=True, takes_config=False,
    views_without_rows=("optimum-positions",), same=_same_transfer,
)
TRANSNAS = Family(
    "transnas", "TransNAS-Bench-101 leave one task out: the prior is one other task's table or all six others'",
    _transnas_tasks, TRANSFER_METHODS, ("none", "prior", "enqueue", "zeroshot"), _transnas_run, _transfer_report,
    options={"budget": 50, "q": 5, "prior_from": "one"}, first_seed=0, seeds=3,
    raw="bench/results/transfer_transnas.jsonl", accepts_overrides=True, takes_config=False, same=_same_transfer,
)
PRIORS = Family(
    "priors", "the earlier searches the transfer family reads: finished 192-query default searches, exported",
    _priors_tasks, ("default",), ("default",), _priors_run, _priors_report,
    options={"out": "bench/results/transfer_priors"}, first_seed=100, seeds=5,
    raw="bench/results/transfer_priors/runs.jsonl", takes_config=False,
)

WORKERS = Family(
    "workers", "many workers on one optimizer (NB201 CIFAR-10): a simulated asynchronous schedule (async-nb201) and "
    "real threads (threads-nb201, each run in its own process): ask latency, rounds, duplicates, lost results",
    lambda: ("async-nb201", "threads-nb201"), ("default", "reuse", "background"), ("default", "reuse", "background"),
    _workers_run, _workers_report,
    options={"budget": 192, "pending": 64, "gap": 0.0, "threads": 32, "train_time": [2.0, 4.0]},
    first_seed=0, seeds=5, raw="bench/results/many_workers.jsonl", parallel=False, takes_config=False,
)
SCALE = Family(
    "scale", "thousands of told trials: model rounds, peak memory, state files (rounds-<space>), and asks while "
    "rounds refit in the background (background-<space>); each run in a fresh process",
    lambda: tuple(f"{m}-{s}" for m in ("rounds", "background") for s in ("nb201", "nb101", "darts")), ("default",),
    ("default",), _scale_run, _scale_report,
    options={"told": 1000, "rounds": 3, "io": False, "max_model_trials": None, "pending": 64, "steps": 200, "gap": 0.25},
    first_seed=0, seeds=1, raw="bench/results/scale.jsonl", parallel=False, takes_config=False,
)
FIDELITY = Family(
    "fidelity", "multi-fidelity on NB201's 12 and 200 epochs: full training against successive halving, the same "
    "total epochs", lambda: ("nb201-cifar10", "nb201-cifar100", "nb201-ImageNet16-120"), ("full", "asha"),
    ("full", "asha"), _fidelity_run, _fidelity_report, options={"budget": 192, "batch": 1, "max_model_trials": None},
    first_seed=0, seeds=5, raw="bench/results/multi_fidelity_nb201.jsonl", takes_config=False,
)

FAMILIES: dict[str, Family] = {
    f.name: f for f in (SUITE, NB201, MO, REAL, TRANSFER, TRANSNAS, PRIORS, WORKERS, SCALE, FIDELITY)
}


def resolve(names: list[str]) -> tuple[Family, list[str]]:
    """``family``, ``family/task`` or a task name unique across families -> the family and its tasks."""
    fams: set[str] = set()
    tasks: list[str] = []
    for name in names:
        fam_name, _, task = name.partition("/")
        if fam_name in FAMILIES and not task:
            fams.add(fam_name)
            tasks += FAMILIES[fam_name].task_names()
            continue
        if task:
            if fam_name not in FAMILIES:
                raise SystemExit(f"error: no family {fam_name!r}; expected one of {', '.join(FAMILIES)}")
            if task not in FAMILIES[fam_name].task_names():
                raise SystemExit(f"error: family {fam_name!r} has no task {task!r}; its tasks: "
                                 f"{', '.join(FAMILIES[fam_name].task_names())}")
            fams.add(fam_name)
            tasks.append(task)
            continue
        owners = [f for f in FAMILIES.values() if name in f.task_names()]
        if len(owners) != 1:
            hint = "no family has it" if not owners else f"it is in {', '.join(f.name for f in owners)}: write FAMILY/{name}"
            raise SystemExit(f"error: unknown task {name!r} ({hint}); `python -m bench list` shows every task")
        fams.add(owners[0].name)
        tasks.append(name)
    if len(fams) != 1:
        raise SystemExit(f"error: one family per command; got tasks of {', '.join(sorted(fams))}")
    return FAMILIES[fams.pop()], list(dict.fromkeys(tasks))


def family_of_rows(rows: list[dict]) -> Family | None:
    """The family recorded in rows (rows written before the registry have none)."""
    names = {r.get("family") for r in rows} - {None}
    return FAMILIES[names.pop()] if len(names) == 1 else None

