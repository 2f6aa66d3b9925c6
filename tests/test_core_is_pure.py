"""The core imports no workbook or Excel library, and no adapter module (STYLE: pure core)."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "ims_xl" / "core"
FORBIDDEN = ("xlwings", "openpyxl", "xlsxwriter", "python_calamine", "olefile", "oletools")
ADAPTERS = ("ims_xl.bookfile", "ims_xl.excel", "ims_xl.macros", "ims_xl.cli", "ims_xl.portal",
            "ims_xl.template", "ims_xl.register", "ims_xl.actions", "ims_xl.vbaproject")


def forbidden_imports(source: str, package: str = "ims_xl.core") -> list[str]:
    """Modules a core file imports that the core must not depend on."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the core package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names = [f"{base}.{node.module}" if node.module else base]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top.lower() in FORBIDDEN or any(name == a or name.startswith(a + ".") for a in ADAPTERS):
                found.append(name)
    return found


def test_no_core_module_imports_excel_libraries_or_adapters() -> None:
    offenders = {
        path.name: bad
        for path in sorted(CORE.glob("*.py"))
        if (bad := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, f"core modules importing outside the core: {offenders}"


def test_the_check_itself_catches_what_it_should() -> None:
    assert forbidden_imports("import openpyxl") == ["openpyxl"]
    assert forbidden_imports("from xlwings import Book") == ["xlwings"]
    assert forbidden_imports("import xlsxwriter.workbook") == ["xlsxwriter.workbook"]
    assert forbidden_imports("from ims_xl.bookfile import read_book") == ["ims_xl.bookfile"]
    assert forbidden_imports("from ..excel import XlwingsPort") == ["ims_xl.excel"]
    assert forbidden_imports("import json\nfrom decimal import Decimal\nfrom .records import Record") == []
    assert forbidden_imports("from stdnum import luhn") == []
