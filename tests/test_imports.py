"""The layers import top-down: the protocol imports neither package, workloads import nothing of bench.

The import graph is read from the source with :mod:`ast` (every ``import`` and
``from ... import``, those inside functions included): a module that imports
``a.b.c`` runs ``a`` and ``a.b`` too, so it depends on all three. Models (``bench``)
may import workloads; a workload module may not import ``bench``, and no cycle may
run through both packages.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: The packages whose modules make up the graph.
PACKAGES = ("bench", "workloads")


def module_names(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of ``packages`` under ``root`` by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names an import statement names (for ``from m import x``: ``m`` and ``m.x``)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            anchor = anchor if is_package else anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ``modules`` it imports, anywhere in its source, parent packages included."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            for target in _imported(node, name, path.name == "__init__.py"):
                parts = target.split(".")
                edges.update(p for p in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if p in modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` that hold more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package(module: str) -> str:
    return module.split(".")[0]


def cross_package_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The cycles that run through modules of more than one package."""
    return [component for component in cycles(graph) if len({_package(m) for m in component}) > 1]


def workloads_importing_bench(graph: Mapping[str, set[str]]) -> list[str]:
    """``module -> imported`` for every import of ``bench`` by a module of ``workloads``."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _package(module) == "workloads"
        for target in targets
        if _package(target) == "bench"
    )


# -- the project's tree -----------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(module_names(REPO))


def test_no_import_cycle_runs_through_bench_and_workloads(graph: dict[str, set[str]]) -> None:
    assert cross_package_cycles(graph) == []


def test_no_workload_module_imports_bench(graph: dict[str, set[str]]) -> None:
    assert workloads_importing_bench(graph) == []


#: The leaf modules: the protocol and the report declarations it carries. Each imports
#: the standard library and, at most, the leaves before it.
LEAVES = ("workloads.report_spec", "workloads.protocol")


@pytest.mark.parametrize("leaf", LEAVES)
def test_the_protocol_imports_only_the_standard_library(leaf: str) -> None:
    tree = ast.parse((REPO / (leaf.replace(".", "/") + ".py")).read_text())
    names = {name for node in ast.walk(tree) for name in _imported(node, leaf, is_package=False) if name}
    allowed = LEAVES[: LEAVES.index(leaf)]
    roots = {name.split(".")[0] for name in names if not any(name == a or name.startswith(f"{a}.") for a in allowed)}
    # ``from __future__ import annotations`` names ``__future__`` and ``__future__.annotations``.
    assert roots - {"__future__"} <= set(sys.stdlib_module_names)


# -- the checker itself, on a small tree with a cycle -------------------------------------


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "workloads").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "workloads" / "__init__.py").write_text("")
    (tmp_path / "bench" / "runner.py").write_text("from workloads.shape import Shape\n")
    (tmp_path / "workloads" / "shape.py").write_text(
        "class Shape:\n    def measure(self):\n        from bench import runner\n        return runner\n"
    )
    (tmp_path / "workloads" / "leaf.py").write_text("import json\n")
    graph = import_graph(module_names(tmp_path))
    assert cross_package_cycles(graph) == [["bench.runner", "workloads.shape"]]
    assert workloads_importing_bench(graph) == ["workloads.shape -> bench", "workloads.shape -> bench.runner"]


def test_a_relative_import_is_resolved_against_its_package(tmp_path: Path) -> None:
    (tmp_path / "workloads").mkdir()
    (tmp_path / "workloads" / "__init__.py").write_text("from . import leaf\n")
    (tmp_path / "workloads" / "leaf.py").write_text("from .protocol import Form\n")
    (tmp_path / "workloads" / "protocol.py").write_text("Form = object\n")
    graph = import_graph(module_names(tmp_path, ["workloads"]))
    assert graph["workloads"] == {"workloads.leaf"}
    assert graph["workloads.leaf"] == {"workloads", "workloads.protocol"}


# -- what importing the protocol loads ------------------------------------------------------


def _loaded_by(statement: str) -> list[str]:
    """The modules a fresh interpreter holds after ``statement``."""
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("statement", ["import workloads.protocol", "import workloads"])
def test_importing_the_protocol_loads_no_workload_and_no_aiohttp(statement: str) -> None:
    loaded = _loaded_by(statement)
    ours = [name for name in loaded if _package(name) in PACKAGES]
    assert ours == ["workloads", *sorted(LEAVES)]
    assert not [name for name in loaded if _package(name) == "aiohttp"]


def test_a_workload_module_is_imported_when_its_workload_is_first_read() -> None:
    loaded = _loaded_by(
        "from workloads import WORKLOADS; names = list(WORKLOADS); assert 'sleep' in WORKLOADS; "
        "assert WORKLOADS['sleep'].name == 'sleep'"
    )
    assert "workloads.sleep" in loaded
    assert not {"workloads.cpu_spin", "workloads.http_fetch", "aiohttp"} & set(loaded)
