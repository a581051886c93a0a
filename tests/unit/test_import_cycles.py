"""No import cycle in opsready: not between modules, not between its top-level subpackages.

Every import counts, wherever it is written: module level, inside functions, under ``TYPE_CHECKING``. A cycle hidden
in a function still means neither module can be understood (or moved) without the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import opsready

ROOT = Path(opsready.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imported(name: str, path: Path, known: Mapping[str, Path]) -> Iterator[str]:
    """The opsready modules ``name`` imports: ``from pkg import module`` names the module, else the package."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                yield candidate if candidate in known else source


def _closest_module(imported: str, modules: Mapping[str, Path]) -> str:
    """``opsready.a.b`` where ``b`` is an attribute of ``opsready.a`` is an import of ``opsready.a``; outside: ''."""
    while imported and imported not in modules:
        imported = imported.rpartition(".")[0]
    return imported


def _graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = {_closest_module(imported, modules) for imported in _imported(name, path, modules)}
        graph[name] = found - {"", name}
    return graph


def _package(module: str) -> str:
    """``opsready.chaos.guard`` -> ``chaos``; ``opsready.errors`` -> ``errors``; ``opsready`` -> ``opsready``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _package_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for source, targets in graph.items():
        edges = packages.setdefault(_package(source), set())
        edges.update(_package(t) for t in targets if _package(t) != _package(source))
    return packages


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle path per strongly connected component that has more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(component, graph) for component in components]


def _path_through(component: set[str], graph: Mapping[str, set[str]]) -> list[str]:
    """A shortest cycle from the component's first member back to itself, staying inside the component."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected component always has one


def _report(cycles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_module_imports_itself_back_through_others() -> None:
    """No chain of imports (any kind, anywhere in a module) leads from a module back to itself."""
    cycles = _cycles(_graph(_modules()))
    assert not cycles, f"import cycles between modules:\n{_report(cycles)}"


def test_no_top_level_subpackage_imports_itself_back_through_others() -> None:
    """Between opsready's top-level subpackages and modules, imports point one way: no package cycle."""
    cycles = _cycles(_package_graph(_graph(_modules())))
    assert not cycles, f"import cycles between top-level packages of opsready:\n{_report(cycles)}"


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Function-level, TYPE_CHECKING, relative and ``from pkg import module`` imports all make edges."""
    pkg = tmp_path / "opsready" / "sub"
    pkg.mkdir(parents=True)
    files = {
        "opsready/__init__.py": "",
        "opsready/sub/__init__.py": "from . import a\n",
        "opsready/sub/a.py": "def f():\n    from opsready.sub.b import thing\n",
        "opsready/sub/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n",
        "opsready/sub/c.py": "from opsready import sub\nimport opsready.sub.a\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    modules = {".".join(Path(rel).with_suffix("").parts).removesuffix(".__init__"): tmp_path / rel for rel in files}
    graph = _graph(modules)
    assert graph["opsready.sub"] == {"opsready.sub.a"}
    assert graph["opsready.sub.a"] == {"opsready.sub.b"}
    assert graph["opsready.sub.b"] == {"opsready.sub.c"}
    assert graph["opsready.sub.c"] == {"opsready.sub", "opsready.sub.a"}
    assert _cycles(graph) == [["opsready.sub", "opsready.sub.a", "opsready.sub.b", "opsready.sub.c", "opsready.sub"]]
    assert _cycles({"x": {"y"}, "y": set()}) == []
