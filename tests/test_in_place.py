"""The workbook is the user's document: every command changes only the tool's cells.

A book is opened, then edited in LibreOffice through its UNO bridge as CA staff edit their
working papers (a sheet of their own with a formula, a date, a comment and a colour; a column
right of B2B's table; a comment and a colour on B2B; a note on Home), and saved by LibreOffice as
.xlsm and as .xlsx. Then validate, generate, errors, reconcile and refresh run on it: all of the
user's work must still be there, the VBA project byte for byte, and the tool's findings in their
cells.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ims_xl.core import jsonio
from ims_xl.core.sections import BY_KEY
from ims_xl.files import package as xlsx
from tests.conftest import SAMPLE, open_book
from tests.test_cli import cell_texts, run, set_inputs
from tests.test_cli_more import newer_download, write_register

REQUIRED = os.environ.get("IMS_XL_REQUIRE_LIBREOFFICE") == "1"
SYSTEM_PYTHON = "/usr/bin/python3"
UNO_SCRIPT = Path(__file__).with_name("uno_edit.py")


def _uno_available() -> str | None:
    if shutil.which("soffice") is None:
        return "soffice is not on PATH (Debian: apt-get install libreoffice-calc-nogui)"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True) if Path(
        SYSTEM_PYTHON).exists() else None
    if probe is None or probe.returncode != 0:
        return "Debian's python3 has no uno module (apt-get install python3-uno)"
    return None


def edited_in_libreoffice(book: Path, target: Path, profile: Path) -> int:
    """The user's edits made by LibreOffice; returns the 1-based column of the user's own column on B2B."""
    why = _uno_available()
    if why:
        if REQUIRED:
            pytest.fail(f"IMS_XL_REQUIRE_LIBREOFFICE=1, but {why}", pytrace=False)
        pytest.skip(why)
    done = subprocess.run([SYSTEM_PYTHON, str(UNO_SCRIPT), str(book), str(target), str(profile)],
                          capture_output=True, text=True, timeout=240, env=dict(os.environ, HOME=str(profile)))
    assert done.returncode == 0 and "edited" in done.stdout, done.stderr
    return int(done.stdout.split()[-1])


@pytest.fixture(params=[".xlsm", ".xlsx"])
def users_book(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, int]:
    download = tmp_path / "sample_download.json"
    shutil.copyfile(SAMPLE, download)
    original = open_book(download, tmp_path / f"original{request.param}")
    book = tmp_path / f"client{request.param}"
    column = edited_in_libreoffice(original, book, tmp_path / "profile")
    return book, column


def assert_users_work_is_there(book: Path, column: int) -> None:
    workbook = openpyxl.load_workbook(book)
    notes = workbook["My Notes"]
    assert notes["A1"].value == "Client call notes"
    assert notes["B3"].value == "=B2*2"  # still a formula, not its value
    assert notes["C2"].value == "=DATE(2025,10,15)" or notes["C2"].is_date
    assert notes["A1"].comment is not None and "Ask about October" in notes["A1"].comment.text
    assert notes["D4"].fill.fgColor.rgb.endswith("FFFF00")
    b2b = workbook["B2B"]
    assert b2b.cell(4, column).value == "My Check"
    assert b2b.cell(5, column).value == "ledger ok"
    assert b2b.cell(6, column).value == "=1+1"
    assert b2b["A5"].comment is not None and "Call the supplier" in b2b["A5"].comment.text
    assert b2b["B5"].fill.fgColor.rgb.endswith("00FF00")
    assert workbook["Home"]["T60"].value == "Reviewed by partner"


def vba_project(book: Path) -> bytes | None:
    with zipfile.ZipFile(book) as package:
        return package.read("xl/vbaProject.bin") if "xl/vbaProject.bin" in package.namelist() else None


def parts(book: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as package:
        return {name: package.read(name) for name in package.namelist()}


@pytest.mark.libreoffice
def test_every_command_keeps_the_users_work(users_book: tuple[Path, int], tmp_path: Path) -> None:
    book, column = users_book
    vba = vba_project(book)
    assert_users_work_is_there(book, column)  # LibreOffice saved what the user did

    set_inputs(book, {("b2b", 0): {"status": "Accept"}, ("b2b", 1): {"status": "Pending"},
                      ("b2bcn", 0): {"status": "Pending"}})  # Pending is blocked on that credit note
    code, out, _ = run("-q", "validate", book)
    assert code == 1, out
    assert cell_texts(book, "B2B-CN", "Sheet Validation Errors")[0].startswith("ERROR [Status]")

    set_inputs(book, {("b2bcn", 0): {"status": "Reject"}})
    code, out, err = run("-q", "generate", book, "-o", tmp_path / "upload.json")
    assert code == 0, out + err
    upload = jsonio.loads((tmp_path / "upload.json").read_text())
    assert [r["action"] for r in upload["invdata"]["b2b"]] == ["A", "P"]

    document = jsonio.loads(SAMPLE.read_text())
    details = document.pop("imsDetails")
    details["b2b"][0]["error_msg"] = "Either previous action is incorrect"
    error_file = tmp_path / "error.json"
    error_file.write_text(jsonio.dumps({"imsDetailsErr": {"b2b": [details["b2b"][0]]}}))
    assert run("-q", "errors", error_file, book)[0] == 0
    assert cell_texts(book, "B2B", "GST Portal Validation Errors")[0] == "Either previous action is incorrect"

    register = write_register(tmp_path, ["27AABCS1429B1ZU,SGT/2025/0417,04-10-2025,Invoice,120932.18,0,10883.91,"
                                         "10883.91,0"])
    assert run("-q", "reconcile", book, register)[0] == 0
    assert cell_texts(book, "B2B", "Match Result")[0] == "Matched"

    code, out, err = run("-q", "refresh", book, newer_download(tmp_path))
    assert code == 0, err
    assert "1 new" in out or "new" in out

    assert_users_work_is_there(book, column)
    assert vba_project(book) == vba  # byte for byte (None for the .xlsx)
    statuses = cell_texts(book, "B2B", "Status")
    assert statuses[:2] == ["Accept", "Pending"]  # decisions kept through it all


@pytest.mark.libreoffice
def test_validate_changes_no_part_but_the_sheets_it_writes(users_book: tuple[Path, int]) -> None:
    book, _ = users_book
    before = parts(book)
    assert run("-q", "validate", book)[0] == 0
    after = parts(book)
    assert set(after) == set(before)
    with xlsx.Package(book) as package:
        sheets = {part: name for name, part in package.sheet_parts.items()}
    changed = {sheets.get(name, name) for name in before if before[name] != after[name]}
    assert changed <= {"Home", "Change Log", *(s.sheet for s in BY_KEY.values())}, changed
