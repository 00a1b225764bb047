"""Recorded traces: the same seed and history give the same picks as the recorded ones.

``tests/data/traces/<scenario>.json`` holds the architectures asked, batch by batch, by four
searches on NAS-Bench-201 (CIFAR-10 validation accuracy, HW-NAS-Bench Pixel 3 latency):
the single-objective default, the multi-objective default, a latency-constrained search and the
paper preset. ``tests/data/traces/<scenario>.v1.json`` is the same search saved by agnet-bo 0.1.0
(state format version 1) after its first batches (recorded at commit 81a032b, never rewritten);
loaded now, it must hold the recorded history (``v1_before``) and continue with the recorded picks
(``v1_after``). ``tests/data/traces/<scenario>.v2.json`` is the same for state format version 2
(written at commit 2cdde87^, the last with format 2, after the ``before`` batches; ``v2_before``);
its ``v2_after`` picks were recorded by loading it with the code before the core was split into a
trial store, a strategy and a dispatcher (commit 0729c0e). The traces were recorded with ``python tests/test_traces.py --record``, last after
the per-search pick index of UCB's kappa spread and ParEGO's anchors (AcquisitionContext.n_asked),
which changed which kappa each pick of a batch gets; an intended change of picks is recorded
again, with the reason in the commit message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import agnet_bo as ab

DATA = Path(__file__).parent / "data" / "traces"
LATENCY = "latency-pixel3"
SCENARIOS: dict[str, dict[str, Any]] = {
    # batches asked before the save, batches asked after it
    "single_objective": {"before": [16, 8, 8], "after": [8, 8]},
    "multi_objective": {"before": [16, 8], "after": [8]},
    "constrained": {"before": [16, 8], "after": [8]},
    "paper": {"before": [16, 16], "after": [16]},
}


def build(name: str) -> ab.Optimizer:
    """The scenario's optimizer, as a user writes it today."""
    space = ab.spaces.NB201Space()
    if name == "single_objective":
        return ab.Optimizer(space, {"valid-accuracy": "maximize"}, seed=0)
    if name == "multi_objective":
        return ab.Optimizer(space, {"valid-accuracy": "maximize", LATENCY: "minimize"}, seed=0)
    if name == "constrained":
        return ab.Optimizer(space, {"valid-accuracy": "maximize"}, constraints={LATENCY: ("<=", 8.0)}, seed=0)
    if name == "paper":
        return ab.Optimizer.paper(space, seed=0)
    raise KeyError(name)


def _metrics(opt: ab.Optimizer) -> list[str]:
    return list(opt.metrics)


def run_batches(opt: ab.Optimizer, batches: list[int], bench: Any) -> list[list[str]]:
    """Ask each batch and tell all of it; the keys asked, batch by batch."""
    out = []
    for q in batches:
        trials = opt.ask(q)
        out.append([t.key for t in trials])
        for t in trials:
            opt.tell(t, bench.evaluate(t.arch, metrics=_metrics(opt)))
    return out


@pytest.fixture(scope="module")
def bench():
    return ab.benchmarks.NB201("cifar10")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_seed_same_history_same_picks_as_recorded(name, bench):
    trace = json.loads((DATA / f"{name}.json").read_text())
    sc = SCENARIOS[name]
    got = run_batches(build(name), sc["before"] + sc["after"], bench)
    assert got == trace["before"] + trace["after"]


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_an_older_file_loads_and_continues_exactly(name, version, bench):
    trace = json.loads((DATA / f"{name}.json").read_text())
    opt = ab.Optimizer.load(DATA / f"{name}.v{version}.json")
    assert [t.key for t in opt.trials] == [k for batch in trace[f"v{version}_before"] for k in batch]
    assert run_batches(opt, SCENARIOS[name]["after"], bench) == trace[f"v{version}_after"]


def _record() -> None:  # pragma: no cover - run by hand, see the module docstring
    bench = ab.benchmarks.NB201("cifar10")
    for name, sc in SCENARIOS.items():
        opt = build(name)
        before = run_batches(opt, sc["before"], bench)
        after = run_batches(opt, sc["after"], bench)
        old = ab.Optimizer.load(DATA / f"{name}.v1.json")  # agnet-bo 0.1.0's save: kept as it is
        it = iter(t.key for t in old.trials)
        v1_before = [[next(it) for _ in range(q)] for q in sc["before"]]
        v1_after = run_batches(old, sc["after"], bench)
        v2 = ab.Optimizer.load(DATA / f"{name}.v2.json")  # format 2, kept as it is
        it = iter(t.key for t in v2.trials)
        v2_before = [[next(it) for _ in range(q)] for q in sc["before"]]
        v2_after = run_batches(v2, sc["after"], bench)
        record = {"before": before, "after": after, "v1_before": v1_before, "v1_after": v1_after,
                  "v2_before": v2_before, "v2_after": v2_after}
        (DATA / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
        print(name, "recorded")


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:
        _record()
