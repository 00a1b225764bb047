"""The lazy submodules of ``agnet_bo`` resolve for type checkers (no ``Any`` through ``__getattr__``)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mypy") is None and not __import__("importlib").util.find_spec("mypy"), reason="needs mypy (the lint extra)")
def test_lazy_modules_have_types(tmp_path):
    snippet = tmp_path / "use.py"
    snippet.write_text(
        "import agnet_bo as ab\n"
        "reveal_type(ab.benchmarks.NB201)\n"
        "reveal_type(ab.spaces.NB201Space)\n"
        "reveal_type(ab.networks.build_network)\n"
        "reveal_type(ab.Optimizer)\n"
        "reveal_type(ab.presets.agnet)\n"
    )
    out = subprocess.run(
        # the repository's own mypy cache (CI runs mypy first): only the snippet is checked anew
        [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"), str(snippet)],
        capture_output=True, text=True, timeout=600,
    ).stdout
    revealed = [line for line in out.splitlines() if "Revealed type" in line]
    assert len(revealed) == 5, out
    assert not any('"Any"' in line for line in revealed), out
    assert "NB201" in revealed[0] and "NB201Space" in revealed[1] and "def (" in revealed[2] and "Module" in revealed[2]
