"""Every sheet the tool owns is described once (``core.layout``): a column on an auxiliary sheet
or a line in a Home table is a one-line change there, and every writer and reader follows it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl

from ims_xl.core import layout
from tests.conftest import ROOT, SAMPLE
from tests.test_cli_more import write_register

# The script run against a copy of ims_xl whose layout.py carries the added lines.
FLOW = """
import sys
from ims_xl.cli import main
book, register = sys.argv[1], sys.argv[2]
assert main(["-q", "open", sys.argv[3], "-o", book]) == 0
assert main(["-q", "reconcile", book, register]) == 0
assert main(["-q", "validate", book]) == 0
"""


def changed_copy(tmp_path: Path, replacements: dict[str, str]) -> Path:
    """ims_xl copied, with each ``old`` line of layout.py replaced by ``old`` plus one new line."""
    root = tmp_path / "code"
    shutil.copytree(ROOT / "ims_xl", root / "ims_xl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "workbook", root / "ims_xl" / "vba")
    source = root / "ims_xl" / "core" / "layout.py"
    text = source.read_text(encoding="utf-8")
    for old, added in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, old + "\n" + added)
    source.write_text(text, encoding="utf-8")
    return root


def test_a_column_on_not_in_ims_and_a_line_in_a_home_table_are_one_line_each(tmp_path: Path) -> None:
    code = changed_copy(tmp_path, {
        '                             Column("row_kind", "Kind of Row", Kind.TEXT, 22),':
            '                             Column("checked_by", "Checked By", Kind.TEXT, 14),',
        '    NOT_IN_IMS_RESULT,': '    "Not checked",',
    })
    book = tmp_path / "client.xlsx"
    register = write_register(tmp_path, ["33AABCT3518Q1Z3,DN/25/099,22-10-2025,Debit Note,100,18,0,0,0"])
    done = subprocess.run([sys.executable, "-c", FLOW, str(book), str(register), str(SAMPLE)], cwd=code,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr

    workbook = openpyxl.load_workbook(book)
    not_in_ims = workbook[layout.NOT_IN_IMS]
    header = [cell.value for cell in not_in_ims[layout.AUX_HEADER_ROW]]
    assert header == [*layout.NOT_IN_IMS_HEADERS, "Checked By"]
    assert not_in_ims.cell(layout.AUX_HEADER_ROW + 1, 1).value == "33AABCT3518Q1Z3"
    home = workbook[layout.HOME]
    recon = layout.RECON_TABLE
    labels = [home.cell(recon.first_row + i, recon.left).value for i in range(len(layout.RECON_RESULTS) + 1)]
    assert labels == [*layout.RECON_RESULTS, "Not checked"]
    assert home.cell(recon.first_row + 4, recon.left + 1).value == 1  # the register-only debit note
    # Every Home table below moved down by that one row, and is written where it now is.
    itc = layout.ITC_TABLE
    assert home.cell(itc.header_row + 1, itc.left + 1).value == "IGST"
    assert home.cell(itc.first_row + 1, itc.left).value == "Accepted"
