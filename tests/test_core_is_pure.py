"""The core is pure (STYLE: pure core): no other ims_xl package, no workbook or Excel library, no
file I/O. The check parses each file (importing it would prove nothing) and tests its own predicate."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "ims_xl" / "core"
# Libraries that read or write workbooks or files, or talk to Excel.
FORBIDDEN_MODULES = ("xlwings", "openpyxl", "xlsxwriter", "python_calamine", "olefile", "oletools", "zipfile",
                     "os", "io", "shutil", "tempfile", "glob", "subprocess", "socket", "mmap", "sqlite3", "csv")
PURE_PATHS = {"PurePath", "PurePosixPath", "PureWindowsPath"}  # names only: pathlib.Path does I/O
# (str.replace shares its name with Path.replace, so that one is not listed.)
FILE_METHODS = {"read_text", "write_text", "read_bytes", "write_bytes", "unlink", "mkdir", "rmdir", "touch",
                "iterdir", "glob", "rglob", "rename", "exists", "is_file", "is_dir", "stat"}


def forbidden_uses(source: str, package: str = "ims_xl.core") -> list[str]:
    """What a core file does that the core must not: the module or call, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the core package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                names = [f"{base}.{node.module}" if node.module else base]
            else:
                names = [node.module or ""]
                if node.module == "pathlib" and {alias.name for alias in node.names} <= PURE_PATHS:
                    names = []
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id == "open":
                found.append("open()")
            elif isinstance(function, ast.Attribute) and function.attr in FILE_METHODS:
                found.append(f".{function.attr}()")
            continue
        for name in names:
            top = name.split(".")[0]
            outside_core = name.startswith("ims_xl") and not (name == "ims_xl.core" or name.startswith("ims_xl.core."))
            if top in FORBIDDEN_MODULES or name == "pathlib" or outside_core:
                found.append(name)
    return found


def test_no_core_module_reaches_outside_the_core() -> None:
    offenders = {
        path.name: bad
        for path in sorted(CORE.glob("*.py"))
        if (bad := forbidden_uses(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, f"core modules reaching outside the core: {offenders}"


def test_the_check_catches_each_thing_it_forbids() -> None:
    for module in FORBIDDEN_MODULES:
        assert forbidden_uses(f"import {module}") == [module]
        assert forbidden_uses(f"from {module} import x") == [module]
    assert forbidden_uses("import xlsxwriter.workbook") == ["xlsxwriter.workbook"]
    assert forbidden_uses("from pathlib import Path") == ["pathlib"]
    assert forbidden_uses("import pathlib") == ["pathlib"]
    for package in ("files", "excel", "lite", "commands"):
        assert forbidden_uses(f"from ims_xl.{package}.x import y") == [f"ims_xl.{package}.x"]
        assert forbidden_uses(f"from ..{package} import y") == [f"ims_xl.{package}"]
    assert forbidden_uses("from .. import actions") == ["ims_xl"]
    assert forbidden_uses("from ..actions import open_download") == ["ims_xl.actions"]
    assert forbidden_uses("import ims_xl.cli") == ["ims_xl.cli"]
    assert forbidden_uses("data = open('x').read()") == ["open()"]
    assert forbidden_uses("path.write_text('x')") == [".write_text()"]
    assert forbidden_uses("if target.exists(): pass") == [".exists()"]


def test_the_check_allows_what_the_core_needs() -> None:
    assert forbidden_uses("import json\nfrom decimal import Decimal\nfrom .records import Record") == []
    assert forbidden_uses("from ims_xl.core.layout import HOME\nfrom . import layout") == []
    assert forbidden_uses("from pathlib import PurePath, PurePosixPath") == []
    assert forbidden_uses("from stdnum import luhn\nimport re") == []
