"""The xlwings Lite buttons over ``LitePort``, against a fake of the book Lite hands a script."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ims_xl.core import jsonio, layout
from ims_xl.core.sections import BY_SHEET, FIRST_DATA_ROW, SECTIONS
from ims_xl.lite import home as lite_home
from ims_xl.lite import scripts
from ims_xl.lite.port import WRITE_LIMIT, LitePort
from tests.conftest import SAMPLE
from tests.lite.lite_book_fake import REQUEST_LIMIT, FakeLiteBook, lite_book

NOW = datetime(2025, 11, 5, 10, 30)
HYPERLINK = '=HYPERLINK("http://example.invalid","Rajesh Steel")'  # the sample's second B2B trade name
ERROR_PENDING = "ERROR [Status] The portal does not allow Pending for this record; choose Accept or Reject"
# The Lite buttons, their port, and the range port it shares with the desktop Excel port.
LITE_MODULES = [Path(scripts.__file__), Path(scripts.__file__).with_name("port.py"),
                Path(scripts.__file__).parent.parent / "excel" / "rangeport.py"]


def cell(book: FakeLiteBook, sheet: str, row: int, field: str) -> Any:
    return book.sheets[sheet].get(row, BY_SHEET[sheet].index(field) + 1)


def home(book: FakeLiteBook, cell: layout.Cell | str) -> Any:
    """A Home cell: Lite's own, or a Home field of the layout by name."""
    place = layout.HOME_FIELD[cell].cell if isinstance(cell, str) else cell
    return book.sheets[layout.HOME].get(place.row, place.column)


def type_in(book: FakeLiteBook, sheet: str, row: int, field: str, value: str) -> None:
    """What the user does: type into a cell."""
    book.sheets[sheet].range((row, BY_SHEET[sheet].index(field) + 1)).value = value


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """Lite's Files folder (/data) with the sample download in it."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(SAMPLE, folder / "returns_R1_27AAPFU0939F1ZV_102025.json")
    return folder


def test_open_validate_generate_report_on_home_and_write_the_upload_to_files(files: Path) -> None:
    book = lite_book()

    scripts.open_json(book, files)
    assert home(book, lite_home.STATUS).startswith("Opened 12 records from returns_R1_27AAPFU0939F1ZV_102025.json")
    assert home(book, "gstin") == "27AAPFU0939F1ZV"
    # Portal text stays text: the trade name that looks like a formula was not taken as one.
    assert cell(book, "B2B", FIRST_DATA_ROW + 1, "tradenm") == HYPERLINK
    assert not any(sheet.formulas for sheet in book.sheets)

    type_in(book, "B2B", FIRST_DATA_ROW, "status", "Reject")
    type_in(book, "B2B", FIRST_DATA_ROW, "remarks", "Not received")
    type_in(book, "B2B-CN", FIRST_DATA_ROW, "status", "Pending")  # the portal does not allow it here
    scripts.validate_sheet(book)
    assert home(book, lite_home.STATUS) == (
        "Please fix: Validated 12 records: 1 error on B2B-CN; findings are on every row; a filter may hide some "
        "(Data > Clear shows them all)")
    assert cell(book, "B2B-CN", FIRST_DATA_ROW, "sheet_errors") == ERROR_PENDING

    outcome = scripts.generate_json(book, files, now=NOW)
    assert outcome is not None and not outcome.ok
    assert not list(files.glob("IMS_upload_*"))

    type_in(book, "B2B-CN", FIRST_DATA_ROW, "status", "Accept")
    type_in(book, "B2B-CN", FIRST_DATA_ROW, "itc", "No")
    type_in(book, "B2B-CN", FIRST_DATA_ROW, "remarks", "ITC never availed")  # D7: a remark with No
    outcome = scripts.generate_json(book, files, now=NOW)
    upload = files / "IMS_upload_27AAPFU0939F1ZV_20251105-103000.json"
    assert outcome is not None and outcome.ok and upload.is_file()
    assert home(book, lite_home.UPLOAD) == upload.name
    assert home(book, lite_home.STATUS).startswith(f"Saved the upload JSON: {upload}, 2 records (download it")
    document = jsonio.loads(upload.read_text(encoding="utf-8"))
    assert [r["action"] for r in document["invdata"]["b2b"]] == ["R"]
    assert document["invdata"]["b2b"][0]["remarks"] == "Not received"
    assert cell(book, "B2B-CN", FIRST_DATA_ROW, "sheet_errors") is None


def test_validate_writes_findings_to_every_row_in_one_column_write(files: Path) -> None:
    book = lite_book()
    scripts.open_json(book, files)
    type_in(book, "B2B", FIRST_DATA_ROW, "status", "Maybe")  # not a status: a finding on the first row
    type_in(book, "B2B", FIRST_DATA_ROW + 3, "status", "Perhaps")  # and on the fourth
    book.writes.clear()

    scripts.validate_sheet(book)

    column = BY_SHEET["B2B"].index("sheet_errors") + 1
    b2b_writes = [w for w in book.writes if w.sheet == "B2B"]
    # Hidden rows are rows too: one write over the column, from the first finding to the last.
    assert [(w.top, w.left, w.rows, w.columns) for w in b2b_writes] == [(FIRST_DATA_ROW, column, 4, 1)]
    assert cell(book, "B2B", FIRST_DATA_ROW + 3, "sheet_errors").startswith("ERROR [Status]")

    book.writes.clear()
    scripts.validate_sheet(book)  # nothing changed since: no cell of B2B is written again
    assert [w for w in book.writes if w.sheet == "B2B"] == []


def test_open_takes_the_newest_download_and_skips_uploads_error_files_and_other_files(files: Path) -> None:
    older = files / "returns_R1_27AAPFU0939F1ZV_102025.json"
    newer = files / "newer.zip"
    shutil.make_archive(str(files / "newer"), "zip", root_dir=SAMPLE.parent, base_dir=SAMPLE.name)
    (files / "IMS_upload_27AAPFU0939F1ZV_20251105-103000.json").write_text("{}", encoding="utf-8")
    (files / "notes.json").write_text("[1, 2", encoding="utf-8")
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    details = document.pop("imsDetails")
    error = files / "error.json"
    error.write_text(jsonio.dumps({**document, "imsDetailsErr": details}), encoding="utf-8")
    for age, path in enumerate([error, files / "notes.json", newer, older]):
        os.utime(path, (2_000_000_000 - age * 100, 2_000_000_000 - age * 100))
    book = lite_book()

    scripts.open_json(book, files)

    assert home(book, "source_file") == "newer.zip"


def test_open_takes_the_file_named_on_home_and_says_when_it_is_not_there(files: Path) -> None:
    shutil.copyfile(SAMPLE, files / "zz_newest.json")
    book = lite_book()
    book.sheets[layout.HOME].range((lite_home.FILE.row, lite_home.FILE.column)).value = "missing.json"

    scripts.open_json(book, files)
    assert home(book, lite_home.STATUS) == (
        f"Cannot do that: missing.json: not in Lite's Files ({files}); import it there first")
    assert cell(book, "B2B", FIRST_DATA_ROW, "record") is None  # nothing written

    book.sheets[layout.HOME].range((lite_home.FILE.row, lite_home.FILE.column)).value = (
        "returns_R1_27AAPFU0939F1ZV_102025.json")
    scripts.open_json(book, files)
    assert home(book, "source_file") == "returns_R1_27AAPFU0939F1ZV_102025.json"


def test_open_never_replaces_work_and_an_empty_files_folder_is_one_line(tmp_path: Path, files: Path) -> None:
    book = lite_book()
    scripts.open_json(book, tmp_path / "empty")
    assert home(book, lite_home.STATUS) == (
        f"Cannot do that: no IMS download in Lite's Files ({tmp_path / 'empty'}): import the portal's file there first")

    scripts.open_json(book, files)
    type_in(book, "B2B", FIRST_DATA_ROW, "status", "Accept")
    scripts.open_json(book, files)
    assert home(book, lite_home.STATUS).startswith("Cannot do that: this workbook already holds 12 records")
    assert cell(book, "B2B", FIRST_DATA_ROW, "status") == "Accept"


def test_error_file_and_refresh_take_their_own_files(files: Path) -> None:
    book = lite_book()
    scripts.open_json(book, files)
    scripts.open_error_json(book, files)
    assert home(book, lite_home.STATUS) == f"Cannot do that: no IMS error file in Lite's Files ({files}): import " \
        "the portal's file there first"

    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    details = document.pop("imsDetails")
    details["b2b"][1]["error_msg"] = "IMSSAV0012: The invoice was already actioned"
    (files / "error.json").write_text(jsonio.dumps({**document, "imsDetailsErr": details}), encoding="utf-8")
    scripts.open_error_json(book, files)
    assert cell(book, "B2B", FIRST_DATA_ROW + 1, "portal_errors") == "IMSSAV0012: The invoice was already actioned"

    type_in(book, "B2B", FIRST_DATA_ROW, "status", "Accept")
    scripts.refresh_download(book, files)  # the only download is the one already open
    assert home(book, lite_home.STATUS).startswith("Cannot do that: no IMS download")
    shutil.copyfile(SAMPLE, files / "newer.json")
    scripts.refresh_download(book, files)
    assert home(book, "source_file") == "newer.json"
    assert cell(book, "B2B", FIRST_DATA_ROW, "status") == "Accept"  # the decision survived


REGISTER_CSV = ("Supplier GSTIN,Document Number,Document Date,Document Type,Taxable Value,IGST,CGST,SGST,Cess\r\n"
                "27AABCS1429B1ZU,sgt-2025-417,04-10-2025,Invoice,120932.18,0,10883.91,10883.91,0\r\n")


def test_suggest_actions_takes_the_newest_register_in_files_and_only_suggests(files: Path) -> None:
    book = lite_book()
    scripts.open_json(book, files)
    scripts.suggest_actions(book, files)
    assert home(book, lite_home.STATUS) == (
        f"Cannot do that: no purchase register (.csv or .xlsx) in Lite's Files ({files}): import it there first")

    (files / "register.csv").write_text(REGISTER_CSV, encoding="utf-8")
    # A download named for Open does not stand in the register's way.
    book.sheets[layout.HOME].range((lite_home.FILE.row, lite_home.FILE.column)).value = (
        "returns_R1_27AAPFU0939F1ZV_102025.json")
    scripts.suggest_actions(book, files)

    assert cell(book, "B2B", FIRST_DATA_ROW, "match_result") == "Matched"
    assert cell(book, "B2B", FIRST_DATA_ROW, "suggested_action") == "Accept"
    assert cell(book, "B2B", FIRST_DATA_ROW, "status") == "No Action"  # suggested, not set
    assert home(book, lite_home.STATUS).startswith("Reconciled")


def test_an_unexpected_error_is_one_line_in_the_status_cell(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = lite_book()
    scripts.open_json(book, files)
    book.sheets["B2B"].range((FIRST_DATA_ROW, BY_SHEET["B2B"].index("record") + 1)).value = "'{not json"

    scripts.validate_sheet(book)

    assert home(book, lite_home.STATUS) == (
        f"Cannot do that: IMS_Lite.xlsx: sheet B2B, row {FIRST_DATA_ROW}: the hidden 'Portal Record' cell was "
        "changed and cannot be read")


def test_writes_stay_under_the_request_limit_at_100000_rows() -> None:
    book = FakeLiteBook(["B2B"])
    port = LitePort(book)
    # About what a B2B row's hidden record costs, with quotes and non-ASCII text that JSON enlarges.
    record = '{"stin": "27AABCS1429B1ZU", "tradenm": "Śrī Gaṇeś \\"Traders\\""}' * 20
    rows = [[record, "Accept", 1234.5]] * 100_000

    port._write(book.sheets["B2B"], FIRST_DATA_ROW, 1, rows)

    assert sum(w.rows for w in book.writes) == 100_000
    # The port's estimate is an upper bound: each write is within its own limit, under Excel's.
    assert max(w.size for w in book.writes) <= WRITE_LIMIT < REQUEST_LIMIT
    assert len(book.writes) < 60  # blocks, not a request per row
    tops = [w.top for w in book.writes]
    assert tops == sorted(tops) and tops[0] == FIRST_DATA_ROW
    assert book.sheets["B2B"].get(FIRST_DATA_ROW + 99_999, 1) == record


def test_a_small_write_limit_splits_every_write_and_the_book_reads_back_the_same(files: Path) -> None:
    whole, split = lite_book(), lite_book()
    scripts.open_json(whole, files)
    scripts.open_json(split, files, port=LitePort(split, write_limit=2_000, read_page=3))

    b2b = [w for w in split.writes if w.sheet == "B2B"]
    assert len(b2b) > 1 and all(w.size <= 2_000 or w.rows == 1 for w in b2b)
    for section in SECTIONS:
        assert whole.sheets[section.sheet].cells == split.sheets[section.sheet].cells
    state = LitePort(split, read_page=3).load()
    assert len(state.all_entries()) == 12


FORBIDDEN_ATTRIBUTES = {"api", "status_bar", "alert", "confirm", "protect", "unprotect", "Protect", "Unprotect",
                        "ShowAllData", "screen_updating", "used_range", "pick_file", "caller"}
DESKTOP_ONLY = {"xlwings", "openpyxl", "python_calamine", "xlsxwriter", "olefile", "tkinter"}


def lite_lacks(path: Path) -> set[str]:
    """What the module's code (not its docstrings or comments) uses that Lite lacks."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.add(f".{node.attr}")
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names} & DESKTOP_ONLY
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module.split(".")[0]} & DESKTOP_ONLY
    return found


@pytest.mark.parametrize("path", LITE_MODULES, ids=lambda p: p.name)
def test_the_lite_modules_use_nothing_lite_lacks(path: Path) -> None:
    assert lite_lacks(path) == set()


def test_the_check_finds_what_the_desktop_port_uses() -> None:
    assert {".api", ".status_bar", ".alert", ".screen_updating", ".used_range"} <= lite_lacks(
        Path(scripts.__file__).parent.parent / "excel" / "xlwings_port.py")


def test_the_lite_scripts_import_without_the_desktop_libraries() -> None:
    blocked = ", ".join(repr(name) for name in sorted(DESKTOP_ONLY))
    code = (f"import sys\nfor name in [{blocked}]: sys.modules[name] = None\n"
            "import ims_xl.lite.scripts, ims_xl.lite.port\nprint('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr
