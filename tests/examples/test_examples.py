"""Every script in ``examples/`` runs in its fast mode and prints what it promises.

Each example runs as a subprocess (``sys.executable``, working directory a temporary one), so the
test sees what a user sees: exit code 0 and the key line of the output. The fast modes take 5 to
35 s each (two cores), so every test here is marked ``slow`` and left out of the default run: run
them with ``pytest -m slow`` (or everything with ``pytest -m ""``). The full modes and their timings
are in ``bench/notes/speed.md``, "Examples".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *args: str, cwd: Path, timeout: float = 300) -> str:
    """Run ``examples/<name>`` with ``args``; return its stdout, failing with its output if it fails."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{name} exited with {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.mark.slow
def test_custom_training_loop(tmp_path: Path) -> None:
    pytest.importorskip("sklearn", reason="the example trains on scikit-learn's digits: pip install scikit-learn")
    out = run_example("custom_training_loop.py", "--fast", cwd=tmp_path)
    assert "held-out test accuracy: best found" in out
    assert "median of 6 random cells" in out


@pytest.mark.slow
def test_custom_search_space(tmp_path: Path) -> None:
    out = run_example("custom_search_space.py", "--fast", cwd=tmp_path)
    assert "conformance checks passed for my-cells" in out
    assert "best score: agnet" in out


@pytest.mark.slow
def test_surrogate_ablation(tmp_path: Path) -> None:
    out = run_example("surrogate_ablation.py", "--fast", "--out", str(tmp_path / "ablation"), cwd=tmp_path)
    assert "| dataset | method | seeds | queries |" in out
    assert "ranking by mean test accuracy" in out
    assert (tmp_path / "ablation" / "runs.jsonl").exists()


@pytest.mark.slow
def test_multi_objective(tmp_path: Path) -> None:
    out = run_example("multi_objective.py", "--fast", "--out", "front.png", cwd=tmp_path)
    assert "Pareto front found" in out
    assert "Pareto plot saved to front.png" in out
    assert (tmp_path / "front.png").stat().st_size > 10_000


@pytest.mark.slow
def test_resume_search(tmp_path: Path) -> None:
    out = run_example("resume_search.py", "--fast", "--state", str(tmp_path / "search.json"), cwd=tmp_path)
    assert "asked the same 16 architectures, in the same order" in out
    assert (tmp_path / "search.json").exists()


@pytest.mark.ray
@pytest.mark.slow
def test_ray_tune_search(tmp_path: Path) -> None:
    pytest.importorskip("ray.tune", reason="pip install 'agnet-bo[ray]'")
    out = run_example("ray_tune_search.py", "--fast", "--storage", str(tmp_path / "tune"), cwd=tmp_path)
    assert "8 trials in" in out and "0 errored" in out
    assert "best: trial" in out


@pytest.mark.ray
@pytest.mark.slow
def test_ray_parallel_driver(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="pip install 'agnet-bo[ray]'")
    # this example has no --fast flag: few trials, short simulated training
    out = run_example(
        "ray_parallel_driver.py", "--trials", "8", "--workers", "2", "--eval-seconds", "0.05",
        "--checkpoint", str(tmp_path / "run.json"), cwd=tmp_path,
    )
    assert "8 trials in" in out
    assert "best: trial" in out
    assert (tmp_path / "run.json").exists()


@pytest.mark.slow
def test_multi_fidelity(tmp_path: Path) -> None:
    pytest.importorskip("mnist1d", reason='the example trains on MNIST-1D: pip install "agnet-bo[mnist1d]"')
    out = run_example("multi_fidelity.py", "--fast", cwd=tmp_path)
    assert "PRUNED" in out and "trained to the end" in out
    assert "best: trial" in out
