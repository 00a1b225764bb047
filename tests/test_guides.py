"""The runnable guides run: every Python block of docs/guides/logging.md, in order."""

from __future__ import annotations

import logging
import re
from pathlib import Path

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
