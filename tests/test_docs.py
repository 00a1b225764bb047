"""The documentation builds without a single warning (``mkdocs build --strict``).

Strict mode turns every warning into an error: a broken link or cross-reference, a page missing
from the navigation, a docstring that mkdocstrings cannot parse (e.g. an ``Args:`` entry naming a
parameter the signature does not have), a snippet file that does not exist. Needs the ``docs``
extra (``pip install -e ".[docs]"``); skipped without it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _missing() -> list[str]:
    out = []
    for name in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # its parent package is missing
            found = False
        if not found:
            out.append(name)
    return out


MISSING = _missing()


@pytest.mark.skipif(bool(MISSING), reason=f"the docs extra is not installed (missing {MISSING}): pip install -e '.[docs]'")
def test_docs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's banner about MkDocs 2
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    problems = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not problems, "\n".join(problems)
    for page in ("index.html", "concepts/index.html", "cli/index.html", "api/optimizer/index.html"):
        assert (tmp_path / "site" / page).exists(), f"{page} was not built"
    cli = (tmp_path / "site" / "cli" / "index.html").read_text()
    assert "--resume DIR" in cli and "agnet-bo-help" not in cli, "the CLI help was not inserted"
