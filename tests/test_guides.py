"""The runnable guides run: every Python block of docs/guides/logging.md, in order, and the
many-workers loops of docs/guides/training-loop.md (a thread pool; Ray processes, slow)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

GUIDES = Path(__file__).resolve().parents[1] / "docs" / "guides"


def test_the_logging_guide_runs_logs_rounds_and_stops_early(tmp_path, monkeypatch, caplog, capsys):
    monkeypatch.chdir(tmp_path)
    text = (GUIDES / "logging.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    before = logging.getLogger("agnet_bo").level
    try:
        with caplog.at_level(logging.INFO, logger="agnet_bo"):
            exec(compile("\n".join(blocks), str(GUIDES / "logging.md"), "exec"), namespace)
    finally:
        logging.getLogger("agnet_bo").setLevel(before)
    assert any("refitted on" in r.getMessage() for r in caplog.records)
    assert "agnet-bo" in capsys.readouterr().err  # the progress bar
    opt = namespace["opt"]
    accs = [t.values["valid-accuracy"] for t in opt.trials if t.values is not None]  # the batch's rest is pending
    assert accs[-1] > 91.5 and all(a <= 91.5 for a in accs[:-1])  # stopped at the first one above
    assert (tmp_path / "run.json").exists()


def _training_loop_block(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (GUIDES / "training-loop.md").read_text(), re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


def test_the_thread_pool_loop_of_the_training_loop_guide_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_training_loop_block("ThreadPoolExecutor"), "training-loop.md", "exec"), namespace)
    opt = namespace["opt"]
    keys = [t.key for t in opt.trials]
    assert len(keys) == 32 == len(set(keys)) and not opt.pending_trials  # 8 workers x 4, none twice
    assert (tmp_path / "run.json").exists() and capsys.readouterr().out.startswith("32 ")


@pytest.mark.slow
def test_the_ray_process_loop_of_the_training_loop_guide_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import agnet_bo as ab

    namespace: dict = {"ab": ab, "space": ab.spaces.NB201Space()}
    exec(compile(_training_loop_block("run_parallel"), "training-loop.md", "exec"), namespace)
    opt = namespace["opt"]
    assert len(opt.trials) == 16 and all(t.state.value == "COMPLETE" for t in opt.trials)
    assert (tmp_path / "run.json").exists()


def test_the_long_search_settings_of_the_training_loop_guide_run():
    import agnet_bo as ab

    namespace: dict = {"ab": ab, "space": ab.spaces.NB201Space()}
    exec(compile(_training_loop_block("max_model_trials=1000"), "training-loop.md", "exec"), namespace)
    assert namespace["opt"].max_model_trials == 0  # the block's last line: never bound


def test_the_prior_guide_runs_and_starts_from_the_earlier_search(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (GUIDES / "prior.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    exec(compile(blocks[0], str(GUIDES / "prior.md"), "exec"), namespace)
    opt, earlier = namespace["opt"], namespace["earlier"]
    assert [t.source for t in opt.trials[:8]] == ["prior"] * 6 + ["initial"] * 2
    assert set(opt.surrogate.weights_) == {"target", "task0"}
    exec(compile(blocks[1], str(GUIDES / "prior.md"), "exec"), namespace)
    assert namespace["opt"].strategy.prior_parts == ("surrogate",)
    exec(compile(blocks[2], str(GUIDES / "prior.md"), "exec"), namespace)
    assert len(namespace["queue"]) == 16 and len(namespace["order"]) == len(earlier.trials)
