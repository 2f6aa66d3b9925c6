"""Every command through the three ports leaves the same cells (issue 21).

The same scenario runs through ``FilePort`` on a workbook file, ``XlwingsPort`` on the xlwings
fake and ``LitePort`` on the Lite fake, each starting from the same book: open, a user's typing,
validate, generate, an error file, refresh (a removed record carrying a typed Status, a supplier
edit, a new record) and ``reconcile --apply``. After each command every sheet's cells are compared,
and the next command must read the book (no "ghost" row left behind by a removed record).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ims_xl import actions
from ims_xl.core import jsonio, layout
from ims_xl.core.book import BookState
from ims_xl.core.sections import BY_SHEET, FIRST_DATA_ROW, SECTIONS
from ims_xl.excel.template import this_pythons_macros
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.fileport import FilePort
from ims_xl.files.portal import read_portal_file
from ims_xl.files.register import read_register_file
from ims_xl.lite.port import LitePort
from tests.conftest import SAMPLE
from tests.lite.lite_book_fake import FakeLiteBook
from tests.xlwings_fake import FakeBook

NOW = datetime(2025, 11, 5, 10, 30)
SHEETS = (layout.HOME, *(s.sheet for s in SECTIONS), layout.NOT_IN_IMS, layout.REMOVED, layout.CHANGE_LOG)
REGISTER_HEADER = "Supplier GSTIN,Document Number,Document Date,Document Type,Taxable Value,IGST,CGST,SGST,Cess\n"
KINDS = ("file", "excel", "lite")


def lite_from(view: FakeBook) -> FakeLiteBook:
    """The Lite fake holding the cells the Excel fake shows (the same book, open in Lite)."""
    book = FakeLiteBook([sheet.name for sheet in view.sheets], name=view.name)
    for sheet in view.sheets:
        book.sheets[sheet.name].cells.update(sheet.cells)
    return book


class Ports:
    """One book behind each of the three ports."""

    def __init__(self, book: Path, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, Path] = {}
        for kind in KINDS:
            (folder / kind).mkdir()
            self.files[kind] = folder / kind / book.name
            shutil.copyfile(book, self.files[kind])
        self.excel = FakeBook.from_file(self.files["excel"])
        self.lite = lite_from(FakeBook.from_file(self.files["lite"]))

    def port(self, kind: str) -> Any:
        if kind == "file":
            return FilePort(self.files["file"])
        return XlwingsPort(self.excel) if kind == "excel" else LitePort(self.lite)

    def cells(self, kind: str, sheet: str) -> dict[tuple[int, int], Any]:
        if kind == "file":
            return FakeBook.from_file(self.files["file"]).sheets[sheet].cells
        return (self.excel if kind == "excel" else self.lite).sheets[sheet].cells

    def each(self, command: Callable[[Any, str], Any]) -> dict[str, Any]:
        return {kind: command(self.port(kind), kind) for kind in KINDS}

    def assert_same_cells(self, after: str) -> None:
        for sheet in SHEETS:
            file = self.cells("file", sheet)
            assert self.cells("excel", sheet) == file, f"after {after}: Excel's {sheet} differs from the file's"
            assert self.cells("lite", sheet) == file, f"after {after}: Lite's {sheet} differs from the file's"


def type_inputs(port: Any, changes: dict[tuple[str, int], dict[str, Any]]) -> None:
    """A user's typing, saved through the port (as test_excel_port does)."""
    state = port.load()
    for (key, index), values in changes.items():
        for name, value in values.items():
            setattr(state.entries[key][index], name, value)
    port.save(state, None, frozenset({"status", "remarks", "itc"}))


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(jsonio.dumps(document), encoding="utf-8")
    return path


def sample() -> dict[str, Any]:
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture
def ports(tmp_path: Path) -> Ports:
    """A new, empty book (``ims-xl template``) behind the three ports."""
    empty = tmp_path / "IMS.xlsm"
    FilePort(empty, new=True, macros=this_pythons_macros).save(BookState(), None, None)
    return Ports(empty, tmp_path)


def row_of(ports: Ports, kind: str, sheet: str, number: str) -> list[Any]:
    cells = ports.cells(kind, sheet)
    section = BY_SHEET[sheet]
    column = section.index("number") + 1
    row = next(r for (r, c), value in cells.items() if c == column and value == number)
    return [cells.get((row, c)) for c in range(1, len(section.columns) + 1)]


def test_every_command_leaves_the_same_cells_through_the_file_excel_and_lite_ports(ports: Ports,
                                                                                   tmp_path: Path) -> None:
    download = write(tmp_path / "download.json", sample())
    ports.each(lambda port, kind: actions.open_download(port, read_portal_file(download), download.name, now=NOW))
    ports.assert_same_cells("open")

    ports.each(lambda port, kind: type_inputs(port, {
        ("b2b", 0): {"status": "Reject", "remarks": "Goods returned"},  # this record leaves the portal below
        ("b2b", 2): {"status": "Reject"},  # the supplier edits this one below
        ("b2bcn", 0): {"status": "Pending"},  # the portal blocks Pending here: an error
    }))
    ports.assert_same_cells("typing")

    outcomes = ports.each(lambda port, kind: actions.validate_book(port, now=NOW))
    assert {o.message for o in outcomes.values()} == {"Validated 12 records: 1 error on B2B-CN"}
    ports.assert_same_cells("validate")

    ports.each(lambda port, kind: type_inputs(port, {("b2bcn", 0): {"status": "No Action"}}))
    upload = tmp_path / "upload.json"  # one place for all three: the message names it

    def generate(port: Any, kind: str) -> bytes:
        outcome = actions.generate_upload(port, lambda state, moment: upload, now=NOW)
        assert outcome.ok and outcome.output == upload, outcome.message
        return upload.read_bytes()

    uploads = ports.each(generate)
    assert uploads["excel"] == uploads["file"] == uploads["lite"]
    ports.assert_same_cells("generate")

    errors = sample()
    details = errors.pop("imsDetails")
    details["b2b"][1]["error_msg"] = "IMSSAV0012: The invoice was already actioned"
    details["b2bdn"].append({**details["b2bdn"][0], "nt_num": "DN/25/099", "error_msg": "Not found"})
    error_file = write(tmp_path / "error.json", {**errors, "imsDetailsErr": details})
    ports.each(lambda port, kind: actions.open_error_file(port, read_portal_file(error_file), error_file.name,
                                                          now=NOW))
    ports.assert_same_cells("errors")

    newer = sample()
    b2b = newer["imsDetails"]["b2b"]
    removed = b2b.pop(0)  # SGT/2025/0417, on row 5 with the user's Reject and Remarks
    b2b[1]["txval"], b2b[1]["iamt"] = Decimal("12000.42"), Decimal("2160.08")  # a supplier edit (was b2b[2])
    b2b.append(dict(removed, inum="SGT/2025/0501", idt="30-10-2025"))  # a new record
    newer_file = write(tmp_path / "newer.json", newer)
    outcomes = ports.each(lambda port, kind: actions.refresh_book(port, read_portal_file(newer_file),
                                                                  newer_file.name, now=NOW))
    assert {o.message for o in outcomes.values()} == {
        "Refreshed: 10 unchanged, 1 changed by a supplier, 1 new, 2 removed from the portal (kept on "
        "'Removed from Portal'). 1 of your decisions was reset because the supplier changed the document: "
        "B2B row 7 — decide again."}
    ports.assert_same_cells("refresh")
    b2b_sheet = BY_SHEET["B2B"]
    for kind in KINDS:
        cells = ports.cells(kind, "B2B")
        # The removed record's row is blank in every column of the table, the user's Status included.
        assert [cells.get((FIRST_DATA_ROW, c)) for c in range(1, len(b2b_sheet.columns) + 1)] == [None] * len(
            b2b_sheet.columns), kind
        edited = row_of(ports, kind, "B2B", "2025260000004512")
        assert edited[b2b_sheet.index("status")] == "Accept", kind  # back to the portal's action
        assert edited[b2b_sheet.index("refresh_note")].startswith("Changed by supplier: Taxable Value"), kind
    # The next command reads every book: no row without its record was left behind.
    outcomes = ports.each(lambda port, kind: actions.validate_book(port, now=NOW))
    assert {o.message.split(";")[0] for o in outcomes.values()} == {"Validated 12 records: no errors"}
    ports.assert_same_cells("validate after refresh")

    register = tmp_path / "register.csv"
    register.write_text(REGISTER_HEADER + "07AAACH7409R1Z3,HL-9981,20-10-2025,Invoice,20000,3600,0,0,0\n"
                        "24AAACR5055K1ZD,000123,11-10-2025,Invoice,50000,9000,0,0,0\n", encoding="utf-8")
    lines = read_register_file(register).entries
    outcomes = ports.each(lambda port, kind: actions.reconcile_book(port, lines, register.name, apply=True,
                                                                    now=NOW))
    assert len({o.message for o in outcomes.values()}) == 1
    ports.assert_same_cells("reconcile --apply")
    for kind in KINDS:
        assert row_of(ports, kind, "B2B", "HL-9981")[b2b_sheet.index("status")] == "Accept", kind  # applied


def test_reconcile_apply_writes_no_status_cell_it_did_not_change(ports: Ports, tmp_path: Path) -> None:
    """A Status cell may hold the user's formula: only the rows whose Status the command sets are written."""
    download = write(tmp_path / "download.json", sample())
    actions.open_download(ports.port("excel"), read_portal_file(download), download.name, now=NOW)
    register = tmp_path / "register.csv"
    register.write_text(REGISTER_HEADER + "07AAACH7409R1Z3,HL-9981,20-10-2025,Invoice,20000,3600,0,0,0\n"
                        "24AAACR5055K1ZD,000123,11-10-2025,Invoice,50000,9000,0,0,0\n", encoding="utf-8")
    sheet, column = ports.excel.sheets["B2B"], BY_SHEET["B2B"].index("status") + 1
    before = {row: sheet.value_at(row, column) for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 4)}
    ports.excel.calls.clear()
    actions.reconcile_book(ports.port("excel"), read_register_file(register).entries, register.name, apply=True,
                           now=NOW)
    after = {row: sheet.value_at(row, column) for row in before}
    changed = sorted(row for row in before if before[row] != after[row])
    assert changed and len(changed) < len(before)  # some rows got a suggestion applied, some not
    written = set()
    for kind, where, address in ports.excel.calls:
        if kind == "write" and where == "B2B":
            first, _, last = address.partition(":")
            left, top = _split(first)
            right, bottom = _split(last) if last else (left, top)
            if left <= column <= right:
                written.update(range(top, bottom + 1))
    assert sorted(written) == changed


def _split(reference: str) -> tuple[int, int]:
    letters = reference.rstrip("0123456789")
    return layout.column_number(letters), int(reference[len(letters):])
