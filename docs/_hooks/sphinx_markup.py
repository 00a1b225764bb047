"""A griffe extension: agnet-bo's docstrings use a little reStructuredText; render it as Markdown.

The docstrings are Google style (what mkdocstrings parses) with a few Sphinx habits that Markdown
would show verbatim. This extension rewrites them when griffe loads the package, before
mkdocstrings renders anything:

* cross-reference roles, ``:class:`~agnet_bo.Trial```, ``:meth:`fit```, ``:data:`X <a.b.X>```:
  become optional autorefs links (a name that is not documented stays plain code, no warning);
  unqualified names are looked up from the documented object outwards;
* ``.. code-block:: python`` blocks become fenced code;
* ``Example:`` sections become ``Examples:``, which griffe parses (``>>>`` lines as code);
* ``:math:`x``` becomes code;
* a paragraph ending in ``::`` (a literal block follows) loses one colon;
* simple reStructuredText tables (``=====  =====`` borders) become Markdown tables.

Loaded from ``mkdocs.yml`` (``extensions: [docs/_hooks/sphinx_markup.py]``); nothing else uses it.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(class|func|meth|data|attr|mod|exc|obj):`(~?)([^`<]+?)(?:\s*<([^`>]+)>)?`")
BORDER = re.compile(r"^( *)(=+)(?: +=+)+ *$")
LAZY = {  # names defined by a module __getattr__, and where they are documented
    "agnet_bo.Optimizer": "agnet_bo.optimizer.Optimizer",
    "agnet_bo.integrations.ray.AGNetSearch": "agnet_bo.integrations.ray.searcher.AGNetSearch",
}


def _resolve(obj: Any, name: str) -> str:
    """The full path of ``name`` as seen from ``obj`` (its members, then its parents'), else ``name``."""
    name = name.lstrip(".")
    for lazy, real in LAZY.items():
        if name == lazy or name.startswith(lazy + "."):
            return real + name[len(lazy) :]
    if name.startswith("agnet_bo"):
        return name
    head = name.split(".")[0]
    scope = obj
    while scope is not None:
        try:
            members = scope.members
        except Exception:  # an alias that cannot be resolved
            members = {}
        if head in members:
            return f"{scope.path}.{name}"
        if getattr(scope, "name", None) == head:
            return f"{scope.path}{name[len(head):]}"
        scope = scope.parent
    return name


def _roles(text: str, obj: Any) -> str:
    text = re.sub(r"`\\ ", "`", text)  # reST's escaped space after a role (":class:`Cell`\\ s")

    def link(m: re.Match[str]) -> str:
        kind, tilde, title, target = m.group(1), m.group(2), m.group(3).strip(), m.group(4)
        ident = _resolve(obj, (target or title).strip())
        if target is None:
            title = title.split(".")[-1] if tilde else title
        if kind in ("meth", "func") and not title.endswith(")") and target is None:
            title += "()"
        return f'<autoref identifier="{ident}" optional><code>{title}</code></autoref>'

    text = ROLE.sub(link, text)
    return re.sub(r":math:`([^`]+)`", r"<code>\1</code>", text)


def _code_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = re.match(r"^( *)\.\. code-block::\s*(\w*)\s*$", lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent, lang = m.group(1), m.group(2) or "text"
        j = i + 1
        block: list[str] = []
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > len(indent)):
            block.append(lines[j])
            j += 1
        while block and not block[-1].strip():
            block.pop()
            j -= 1
        body = textwrap.dedent("\n".join(block)).strip("\n").splitlines()
        out += [f"{indent}```{lang}", *(indent + line if line else "" for line in body), f"{indent}```"]
        i = j
    return out


def _literal_colons(lines: list[str]) -> list[str]:
    out = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.rstrip().endswith("::") and not nxt.strip():
            stripped = line.rstrip()[:-2]
            line = stripped + ":" if stripped.strip() and not stripped.endswith(" ") else stripped.rstrip()
        out.append(line)
    return out


def _tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = BORDER.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = m.group(1)
        spans = [(s.start(), s.end()) for s in re.finditer(r"=+", lines[i])]
        borders = [i]
        j = i + 1
        while j < len(lines) and len(borders) < 3:
            if BORDER.match(lines[j]):
                borders.append(j)
            elif not lines[j].strip():
                break
            j += 1
        if len(borders) < 3:  # not a complete simple table
            out.append(lines[i])
            i += 1
            continue

        bounds = [s for s, _ in spans] + [10**6]

        def cells(line: str, bounds: list[int] = bounds) -> list[str]:
            return [line[bounds[k] : bounds[k + 1]].strip() for k in range(len(bounds) - 1)]

        rows: list[list[str]] = []
        for line in lines[borders[1] + 1 : borders[2]]:
            c = cells(line)
            if rows and not c[0]:  # a continuation line
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], c, strict=True)]
            else:
                rows.append(c)
        header = cells(lines[borders[0] + 1])
        out.append(indent + "| " + " | ".join(header) + " |")
        out.append(indent + "|" + "---|" * len(header))
        out += [indent + "| " + " | ".join(r) + " |" for r in rows]
        i = borders[2] + 1
    return out


class SphinxMarkup(griffe.Extension):
    """Rewrite the reStructuredText bits of every docstring as Markdown (see the module docstring)."""

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        doc = obj.docstring
        if doc is None or not doc.value:
            return
        lines = [re.sub(r"^(\s*)Example:\s*$", r"\1Examples:", line) for line in doc.value.splitlines()]
        lines = _tables(_literal_colons(_code_blocks(lines)))
        doc.value = _roles("\n".join(lines), obj)
