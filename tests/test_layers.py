"""The package's import graph follows its layers and has no cycle.

core <- files <- excel <- lite <- actions <- commands <- entry points (cli, macros, the Lite
scripts, ``python -m ims_xl``). A module may import its own layer or lower ones; every import
counts, including one inside a function, since a hidden import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ims_xl"
LAYERS = ["core", "files", "excel", "lite", "actions", "commands", "entry"]
ENTRY_POINTS = {"ims_xl.cli", "ims_xl.macros", "ims_xl.__main__", "ims_xl.lite.scripts"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    if module in ENTRY_POINTS:
        return LAYERS.index("entry")
    if module == "ims_xl":  # the package itself: its version and docstring
        return 0
    second = module.split(".")[1]
    return LAYERS.index(second if second in LAYERS else "entry")


def imports_of(module: str, source: str, is_package: bool, known: set[str]) -> set[str]:
    """The ims_xl modules ``source`` imports (a name imported from a package counts as its submodule)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                base = parts[: len(parts) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [origin] + [f"{origin}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:  # "import ims_xl.core.book.x" counts as ims_xl.core.book
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    known = set(paths)
    return {name: imports_of(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", known)
            for name, path in paths.items()}


def upward_edges(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets if layer_of(b) > layer_of(a))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_edges(graph()) == []


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_every_module_has_a_layer() -> None:
    assert all(0 <= layer_of(name) < len(LAYERS) for name in graph())
    assert layer_of("ims_xl.core.codec") < layer_of("ims_xl.files.fileport") < layer_of("ims_xl.excel.rangeport")
    assert layer_of("ims_xl.lite.port") < layer_of("ims_xl.actions") < layer_of("ims_xl.commands.doctor")
    assert layer_of("ims_xl.commands.doctor") < layer_of("ims_xl.cli") == layer_of("ims_xl.lite.scripts")


def test_the_checks_catch_what_they_should() -> None:
    known = {"ims_xl.core.book", "ims_xl.files.fileport", "ims_xl.excel.template", "ims_xl.actions",
             "ims_xl.core", "ims_xl.files", "ims_xl.excel"}
    hidden = "def f():\n    from ..excel.template import macro_setup\n"
    assert imports_of("ims_xl.files.fileport", hidden, False, known) == {"ims_xl.excel.template"}
    assert imports_of("ims_xl.files.fileport", "from ..excel import template", False, known) == {
        "ims_xl.excel", "ims_xl.excel.template"}
    assert upward_edges({"ims_xl.files.fileport": {"ims_xl.excel.template"}}) == [
        "ims_xl.files.fileport -> ims_xl.excel.template"]
    assert upward_edges({"ims_xl.core.book": {"ims_xl.actions"}}) == ["ims_xl.core.book -> ims_xl.actions"]
    assert upward_edges({"ims_xl.cli": {"ims_xl.core.book", "ims_xl.actions"}}) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
