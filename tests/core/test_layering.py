"""Layers point down: ``moss_music`` never imports ``worker`` or ``desktop``, and its modules import no cycle.

Read from the source with ``ast`` (nothing is imported), so a lazy import inside
a function counts as much as one at the top of a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = "moss_music"
UPPER_LAYERS = ("worker", "desktop")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def core_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / CORE).rglob("*.py"))}


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imported_names(name: str, path: Path) -> list[tuple[str, int]]:
    """Absolute names of what the module imports (relative imports resolved), with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if _under_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import sub` names the submodule when there is one, else the package (see ``resolve``).
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def resolve(imported: str, modules: dict[str, Path]) -> str | None:
    """The most specific core module an imported name refers to (None outside the core)."""
    parts = imported.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph() -> dict[str, set[str]]:
    modules = core_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {resolve(imported, modules) for imported, _ in imported_names(name, path)}
        graph[name] = {target for target in targets if target and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_core_never_imports_the_worker_or_the_desktop_app():
    upward = [f"{path.relative_to(ROOT)}:{line} imports {imported}"  # the CLI gets them through entry points
              for name, path in core_modules().items()
              for imported, line in imported_names(name, path)
              if imported.split(".")[0] in UPPER_LAYERS]
    assert upward == []


def test_core_modules_import_no_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_import_reader_resolves_relative_and_lazy_imports(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("from . import sibling\nfrom ..up import thing\n\ndef f():\n    import worker.client\n")
    names = [name for name, _ in imported_names("moss_music.pkg.mod", source)]
    assert "moss_music.pkg.sibling" in names and "moss_music.up.thing" in names and "worker.client" in names
