"""MkDocs hook: put the real ``agnet-bo <command> --help`` text into the CLI reference.

A line ``<!-- agnet-bo-help run -->`` in a page is replaced by the help of ``agnet-bo run`` as the
installed ``agnet_bo.cli`` prints it (formatted for 100 columns), in a code block; so the
reference cannot drift from the code. Loaded from ``mkdocs.yml`` (``hooks:``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from typing import Any

MARKER = re.compile(r"^<!-- agnet-bo-help(?: (\w+))? -->$", re.MULTILINE)


def _help(command: str | None) -> str:
    from agnet_bo.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width; make it fixed
    buf = io.StringIO()
    try:
        with warnings.catch_warnings():  # torch_geometric's import-time torch.jit.script deprecation
            warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
            with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
                build_parser().parse_args([command, "--help"] if command else ["--help"])
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return buf.getvalue().rstrip()


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace every help marker of the page by the command's help text."""
    return MARKER.sub(lambda m: "```text\n" + _help(m.group(1)) + "\n```", markdown)
