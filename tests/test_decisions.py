"""Every decision goes to the invoice it was made for (issue 12), through the command line and
through the Excel port: a partial sort, a copied row, a value typed over, a deleted row, and
damaged books that must fail with one line and leave the book as it was."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ims_xl import actions
from ims_xl.core import jsonio, layout
from ims_xl.core.sections import BY_KEY, FIRST_DATA_ROW
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.fileport import FilePort
from ims_xl.files.package import rewrite_package
from ims_xl.files.sheetxml import SheetEdit
from tests.test_cli import run, set_inputs
from tests.xlwings_fake import FakeBook

B2B = BY_KEY["b2b"]
FIRST = FIRST_DATA_ROW
NUMBERS = ["SGT/2025/0417", "000123", "2025260000004512", "HL-9981"]  # B2B rows 5..8 of the sample
VISIBLE = [i + 1 for i, column in enumerate(B2B.columns) if not column.hidden]  # every column but the record


def edit_in_place(book: Path, sheet: str, cells: dict[tuple[int, int], Any]) -> None:
    """A user's edit of cells, saved: the book's other cells and parts as they were."""
    edit = SheetEdit()
    for (row, column), value in cells.items():
        edit.set(row, column, value)
    temporary = book.with_name("edited-" + book.name)
    rewrite_package(book, temporary, {sheet: edit})
    temporary.replace(book)


def read_cells(book: Path, sheet: str, rows: range, columns: list[int]) -> dict[tuple[int, int], Any]:
    view = FakeBook.from_file(book)
    return {(r, c): view.sheets[sheet].value_at(r, c) for r in rows for c in columns}


def reverse_rows(cells: dict[tuple[int, int], Any], rows: range) -> dict[tuple[int, int], Any]:
    """The visible cells sorted the other way round, the hidden record column left where it was
    (Excel's "continue with the current selection")."""
    first, last = rows.start, rows.stop - 1
    return {(first + last - r, c): value for (r, c), value in cells.items()}


def upload_of(book: Path, tmp_path: Path) -> dict[str, Any]:
    target = tmp_path / "upload.json"
    code, out, err = run("-q", "generate", book, "-o", target)
    assert code == 0, out + err
    return jsonio.loads(target.read_text())


def column_of(field: str) -> int:
    return B2B.index(field) + 1


# --- a partial sort -------------------------------------------------------------------------------


def test_a_partial_sort_keeps_each_decision_with_the_invoice_shown_on_its_row(sample_book: Path,
                                                                             tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Reject", "remarks": "Not ours"},
                             ("b2b", 3): {"status": "Accept"}})
    rows = range(FIRST, FIRST + 4)
    edit_in_place(sample_book, "B2B", reverse_rows(read_cells(sample_book, "B2B", rows, VISIBLE), rows))
    shown = read_cells(sample_book, "B2B", rows, [column_of("number")])
    assert [shown[(r, column_of("number"))] for r in rows] == NUMBERS[::-1]

    code, out, _ = run("-q", "validate", sample_book)
    assert code == 0, out
    upload = upload_of(sample_book, tmp_path)
    decisions = {record["inum"]: (record["action"], record.get("remarks")) for record in upload["invdata"]["b2b"]}
    assert decisions == {"SGT/2025/0417": ("R", "Not ours"), "HL-9981": ("A", "Awaiting delivery proof")}
    # What the user sees is untouched; the hidden record now follows it.
    after = read_cells(sample_book, "B2B", rows, [column_of("number"), column_of("status")])
    assert [after[(r, column_of("number"))] for r in rows] == NUMBERS[::-1]
    assert after[(FIRST + 3, column_of("status"))] == "Reject"
    state = FilePort(sample_book).load()
    assert [entry.record.number for entry in state.entries["b2b"]] == NUMBERS[::-1]
    assert not any(entry.rebound for entry in state.entries["b2b"])


def test_a_partial_sort_in_excel_keeps_each_decision_with_its_invoice(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    sheet = fake.sheets["B2B"]
    sheet.type_in(FIRST, column_of("status"), "Reject")
    sheet.type_in(FIRST, column_of("remarks"), "Not ours")
    rows = range(FIRST, FIRST + 4)
    visible = {(r, c): sheet.value_at(r, c) for r in rows for c in VISIBLE}
    for (row, column), value in reverse_rows(visible, rows).items():
        sheet.cells.pop((row, column), None)
        if value is not None:
            sheet.cells[(row, column)] = value

    outcome = actions.validate_book(XlwingsPort(fake))
    assert outcome.ok, outcome.details
    state = XlwingsPort(fake).load()
    rejected = [entry for entry in state.entries["b2b"] if entry.status == "Reject"]
    assert [(entry.row, entry.record.number) for entry in rejected] == [(FIRST + 3, "SGT/2025/0417")]
    assert sheet.value_at(FIRST + 3, column_of("number")) == "SGT/2025/0417"  # the user's cells stay


def test_keys_matching_two_different_hidden_records_stop_the_command(sample_book: Path) -> None:
    # Row 9 is a copy of row 5 whose hidden record differs (as if the supplier had uploaded the
    # document twice); row 6 then shows that document over another hidden record: which one?
    record_column = column_of("record")
    first = read_cells(sample_book, "B2B", range(FIRST, FIRST + 1), [*VISIBLE, record_column])
    other = jsonio.loads(first[(FIRST, record_column)])
    other["txval"] = 1
    copied = {(FIRST + 4, c): v for (_, c), v in first.items()} | {(FIRST + 4, record_column): jsonio.dumps(other)}
    shown_on_six = {(FIRST + 1, c): v for (_, c), v in first.items() if c != record_column}
    edit_in_place(sample_book, "B2B", copied | shown_on_six)
    before = sample_book.read_bytes()
    code, _, err = run("-q", "validate", sample_book)
    assert code == 2 and "sheet B2B, row 6" in err and err.count("\n") == 1
    assert err.endswith(" [row-matches-two-records]\n")
    assert sample_book.read_bytes() == before


# --- a copied row -----------------------------------------------------------------------------------


def copy_row(book: Path, source: int, target: int, changes: dict[int, Any]) -> None:
    every = [i + 1 for i in range(len(B2B.columns))]
    cells = read_cells(book, "B2B", range(source, source + 1), every)
    edit_in_place(book, "B2B", {(target, c): changes.get(c, v) for (_, c), v in cells.items()})


def test_the_same_document_on_two_rows_with_different_decisions_is_an_error(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2b", 1): {"status": "Accept"}})
    copy_row(sample_book, FIRST + 1, FIRST + 4, {column_of("status"): "Reject"})
    code, out, _ = run("validate", sample_book)
    assert code == 1
    assert "B2B, row 9, Invoice Number: The same document is also on row 6 with a different decision" in out
    assert "B2B, row 6, Invoice Number: The same document is also on row 9 with a different decision" in out
    code, out, _ = run("-q", "generate", sample_book)
    assert code == 1 and not list(sample_book.parent.glob("IMS_upload_*.json"))


def test_an_identical_copied_row_is_a_warning_and_goes_up_once(sample_book: Path, tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2b", 1): {"status": "Accept"}})
    copy_row(sample_book, FIRST + 1, FIRST + 4, {})
    code, out, _ = run("validate", sample_book)
    assert code == 0
    assert "B2B, row 9, Invoice Number: The same document is also on row 6" in out and "(duplicate-record)" in out
    assert [r["inum"] for r in upload_of(sample_book, tmp_path)["invdata"]["b2b"]] == ["000123"]


# --- a value typed over, a row deleted -----------------------------------------------------------------


def test_a_downloaded_value_typed_over_is_warned_about_and_the_portal_value_sent(sample_book: Path,
                                                                                tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2b", 1): {"status": "Accept"}})
    edit_in_place(sample_book, "B2B", {(FIRST + 1, column_of("txval")): 99999.0})
    code, out, _ = run("validate", sample_book)
    assert code == 0
    assert ("B2B, row 6, Taxable Value: Taxable Value shows 99,999.00, the portal has 50,000.00; the upload sends "
            "the portal's value (portal-value-overwritten)") in out
    [record] = upload_of(sample_book, tmp_path)["invdata"]["b2b"]
    assert record["txval"] == 50000
    assert FakeBook.from_file(sample_book).sheets["B2B"].value_at(FIRST + 1, column_of("txval")) == 99999.0


def test_deleted_rows_are_counted_in_the_output_and_on_home(sample_book: Path) -> None:
    edit_in_place(sample_book, "B2B", {(FIRST + 2, c): None for c in range(1, len(B2B.columns) + 1)})
    code, out, _ = run("validate", sample_book)
    assert code == 0
    assert "1 downloaded record is no longer on the sheets (B2B 1)" in out
    home = FakeBook.from_file(sample_book).sheets[layout.HOME]
    table = layout.SUMMARY_TABLE
    assert home.value_at(table.first_row, table.column_of("not_on_sheet")) == 1
    assert home.value_at(table.last_row, table.column_of("not_on_sheet")) == 1


# --- damaged books ------------------------------------------------------------------------------------


def test_a_value_in_the_last_cell_of_a_sheet_is_one_line_not_a_crash(sample_book: Path) -> None:
    edit_in_place(sample_book, "B2B", {(1_048_576, 16_384): "x"})
    before = sample_book.read_bytes()
    code, _, err = run("-q", "validate", sample_book)
    assert code == 2 and err.count("\n") == 1
    assert "sheet B2B has a value in XFD1048576" in err and err.endswith(" [stray-cell]\n")
    assert sample_book.read_bytes() == before


@pytest.mark.parametrize("member", ["xl/worksheets/sheet2.xml", "xl/bomb.bin"])
def test_a_book_whose_parts_expand_to_far_too_much_is_refused(sample_book: Path, member: str) -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(sample_book) as original, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            if info.filename != member:
                bomb.writestr(info, original.read(info.filename))
        bomb.writestr(member, b"\0" * 60_000_000)
    sample_book.write_bytes(stream.getvalue())
    before = sample_book.read_bytes()
    code, _, err = run("-q", "validate", sample_book)
    assert code == 2 and f"the part {member} would expand to 60,000,000 bytes" in err
    assert err.endswith(" [workbook-too-large]\n")
    assert sample_book.read_bytes() == before


def test_a_copied_row_with_another_decision_in_excel_stops_the_upload(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    sheet = fake.sheets["B2B"]
    for column in range(1, len(B2B.columns) + 1):  # row 6 copied to row 9, as Excel's copy and paste does
        value = sheet.value_at(FIRST + 1, column)
        if value is not None:
            sheet.cells[(FIRST + 4, column)] = value
    sheet.type_in(FIRST + 1, column_of("status"), "Accept")
    sheet.type_in(FIRST + 4, column_of("status"), "Reject")

    outcome = actions.generate_upload(XlwingsPort(fake), lambda state, moment: sample_book.with_name("up.json"))
    assert not outcome.ok and not sample_book.with_name("up.json").exists()
    assert sheet.value_at(FIRST + 4, column_of("sheet_errors")).startswith(
        "ERROR [Invoice Number] The same document is also on row 6 with a different decision")


def test_a_value_typed_over_in_excel_is_warned_about(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    fake.sheets["B2B"].type_in(FIRST + 1, column_of("txval"), 99999)
    outcome = actions.validate_book(XlwingsPort(fake))
    assert outcome.ok
    assert fake.sheets["B2B"].value_at(FIRST + 1, column_of("sheet_errors")) == (
        "WARNING [Taxable Value] Taxable Value shows 99,999.00, the portal has 50,000.00; the upload sends the "
        "portal's value")
