"""The package's import graph: no cycles, no private names across subpackages.

Every ``import`` of every module of ``agnet_bo`` is read from the source (module level and inside
functions alike; ``if TYPE_CHECKING:`` blocks are left out, they never run). Two rules:

* no cycle: following imports from any module never leads back to it (a module importing its
  own package's ``__init__`` is not counted; it is already being imported). Within the
  subpackages in :data:`NO_CYCLE_EVEN_FOR_TYPES`, imports under ``if TYPE_CHECKING:`` count too:
  a cycle there is a design knot even when it never runs;
* no private import across subpackages: a name or module starting with ``_`` is imported only
  within its own subpackage (``agnet_bo.surrogates``, ``agnet_bo.generator``, ...). The
  top-level private modules (``agnet_bo._validation``, ``agnet_bo._files``, ...) are the
  package's shared helpers and may be imported anywhere.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from pathlib import Path

import agnet_bo

ROOT = Path(agnet_bo.__file__).parent


def _modules() -> dict[str, Path]:
    out = {"agnet_bo": ROOT / "__init__.py"}
    for info in pkgutil.walk_packages([str(ROOT)], prefix="agnet_bo."):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None
        out[info.name] = Path(spec.origin)
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, type_checking: bool = False) -> list[tuple[str, str | None]]:
    """``(module, imported name or None)`` of every import that runs (and with ``type_checking``,
    of those under ``if TYPE_CHECKING:`` too), resolved to absolute names."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, str | None]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child) and not type_checking:
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                out.extend((a.name, None) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - child.level + 1] + ([base] if base else []))
                out.extend((base, a.name) for a in child.names)
            visit(child)

    visit(tree)
    return [(m, n) for m, n in out if m == "agnet_bo" or m.startswith("agnet_bo.")]


def _targets(module: str, name: str | None) -> list[str]:
    """The agnet_bo modules an import executes (the module, or the submodule it names)."""
    sub = f"{module}.{name}" if name else None
    return [sub] if sub in MODULES else [module] if module in MODULES else []


def _graph(type_checking: bool = False) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for m in MODULES:
        own_packages = {m.rsplit(".", k)[0] for k in range(1, m.count(".") + 1)} | {m}
        for module, name in _imports(m, type_checking):
            for t in _targets(module, name):
                if t not in own_packages:
                    graph[m].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One shortest cycle through the first module of a strongly connected ``component``
    (breadth-first search back to it), as ``[a, b, ..., a]``."""
    start, inside = component[0], set(component)
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & inside):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    raise AssertionError(f"{component} is not strongly connected")


NO_CYCLE_EVEN_FOR_TYPES = ("surrogates", "spaces", "generator", "networks", "benchmarks")
"""Subpackages whose modules import each other without a cycle even counting ``TYPE_CHECKING``
imports (the modules being rewritten elsewhere, ``optimizer``, ``presets``, ... are not checked
this way yet)."""


def _subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_walk_sees_the_whole_package():
    assert {"agnet_bo.optimizer", "agnet_bo.presets", "agnet_bo.acquisition.base", "agnet_bo.surrogates.adapter"} <= set(MODULES)
    assert ("agnet_bo.acquisition.base", "Acquisition") in _imports("agnet_bo.presets") or any(
        m == "agnet_bo.acquisition" for m, _ in _imports("agnet_bo.presets")
    )


def test_no_import_cycle():
    cycles = _cycles(_graph())
    assert cycles == [], f"import cycles: {cycles}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = {"a": {"b", "d"}, "b": {"c"}, "c": {"a"}, "d": {"c"}}
    assert _a_cycle(graph, ["a", "b", "c", "d"]) in (["a", "b", "c", "a"], ["a", "d", "c", "a"])


def test_no_import_cycle_even_counting_type_checking_imports():
    graph = _graph(type_checking=True)
    assert "agnet_bo.optimizer" in graph["agnet_bo"] and "agnet_bo.optimizer" not in _graph()["agnet_bo"]  # counted
    checked = {m for m in MODULES if _subpackage(m) in NO_CYCLE_EVEN_FOR_TYPES}
    assert {"agnet_bo.surrogates.base", "agnet_bo.spaces.base", "agnet_bo.networks.builder"} <= checked
    sub = {m: graph[m] & checked for m in checked}
    cycles = [" -> ".join(_a_cycle(sub, comp)) for comp in _cycles(sub)]
    assert cycles == [], "import cycles (counting imports under TYPE_CHECKING): " + "; ".join(cycles)


def test_no_private_import_across_subpackages():
    bad = []
    for m in MODULES:
        for module, name in _imports(m):
            target = module if name is None or f"{module}.{name}" not in MODULES else f"{module}.{name}"
            if target.count(".") == 1 and _subpackage(target).startswith("_"):
                continue  # agnet_bo._validation and friends: the package's shared helpers
            private_name = name is not None and name.startswith("_") and target == module
            private_module = any(p.startswith("_") for p in target.split(".")[2:])
            if (private_name or private_module) and _subpackage(target) != _subpackage(m):
                bad.append(f"{m}: from {module} import {name}")
    assert bad == []
