"""What goes up is exactly what the user decided (issue 22): for this client, each document once,
nothing untouched; and the upload and the book's save succeed or fail together.

Each case through the command line, and the decision cases through the Excel port (the fake)."""

from __future__ import annotations

import errno
import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ims_xl import actions
from ims_xl.core import jsonio, layout
from ims_xl.core.gstin import with_check_character
from ims_xl.core.problems import InputError
from ims_xl.core.sections import BY_KEY, FIRST_DATA_ROW
from ims_xl.core.upload import build_upload, upload_violations
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.fileport import FilePort
from ims_xl.files.portal import read_portal_file
from tests.conftest import SAMPLE
from tests.test_cli import run, set_inputs
from tests.test_decisions import column_of, copy_row, edit_in_place, upload_of
from tests.xlwings_fake import FakeBook

B2B = BY_KEY["b2b"]
FIRST = FIRST_DATA_ROW
GSTIN_CELL = layout.HOME_FIELD["gstin"].cell
RECORDED_CELL = layout.HOME_FIELD["download_gstin"].cell
OTHER_CLIENT = with_check_character("29AAFCA7488L1Z")  # a valid GSTIN of another client


def uploads_beside(book: Path) -> list[Path]:
    """Every upload or half-written upload in the book's folder."""
    return [p for p in book.parent.iterdir() if p.suffix == ".json" and p.name != "sample_download.json"]


def delete_sheet(book: Path, sheet: str) -> None:
    with zipfile.ZipFile(book) as original:
        parts = {info.filename: (info, original.read(info.filename)) for info in original.infolist()}
    workbook = parts["xl/workbook.xml"][1].decode()
    tag = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"/>', workbook)
    assert tag
    rels = parts["xl/_rels/workbook.xml.rels"][1].decode()
    relation = re.search(rf'<Relationship Id="{tag.group(1)}"[^>]*Target="([^"]+)"[^>]*/>', rels)
    assert relation
    parts.pop("xl/" + relation.group(1))
    parts["xl/workbook.xml"] = (parts["xl/workbook.xml"][0], workbook.replace(tag.group(0), "").encode())
    parts["xl/_rels/workbook.xml.rels"] = (parts["xl/_rels/workbook.xml.rels"][0],
                                          rels.replace(relation.group(0), "").encode())
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts.values():
            out.writestr(info, data)


# --- the upload and the book's save together ---------------------------------------------------


def test_no_upload_is_left_when_the_change_log_was_deleted(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    delete_sheet(sample_book, layout.CHANGE_LOG)
    code, _, err = run("-q", "generate", sample_book, "-o", sample_book.with_name("up.json"))
    assert code == 2 and err.count("\n") == 1
    assert "no upload file was written" in err and err.endswith(" [sheet-missing]\n")
    assert uploads_beside(sample_book) == [] and not [p for p in sample_book.parent.iterdir() if ".up." in p.name]


def test_no_upload_is_left_when_the_book_is_saved_elsewhere_while_generate_runs(
        sample_book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    real_build = actions.build_upload

    def build_while_excel_saves(entries: Any, gstin: str) -> tuple[dict[str, Any], int]:
        edit_in_place(sample_book, layout.HOME, {(2, 12): "saved in Excel meanwhile"})
        return real_build(entries, gstin)

    monkeypatch.setattr(actions, "build_upload", build_while_excel_saves)
    code, _, err = run("-q", "generate", sample_book)
    assert code == 2 and err.count("\n") == 1
    assert "no upload file was written" in err and err.endswith(" [changed-while-running]\n")
    assert uploads_beside(sample_book) == []


def test_no_upload_is_left_when_the_disk_fills_while_the_book_is_saved(
        sample_book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})

    def full_disk(self: FilePort, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(FilePort, "save", full_disk)
    code, _, err = run("-q", "generate", sample_book)
    assert code == 2 and err.count("\n") == 1
    assert "the disk is full" in err and "no upload file was written" in err
    assert uploads_beside(sample_book) == []


def test_no_upload_is_left_when_a_sheet_cannot_be_patched(sample_book: Path) -> None:
    # A sheet saved by another program with a namespace prefix (x:worksheet), which the patcher
    # cannot write today: whatever the failure, no upload is left behind.
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    with zipfile.ZipFile(sample_book) as original:
        parts = [(info, original.read(info.filename)) for info in original.infolist()]
    part = "xl/worksheets/sheet12.xml"  # Change Log
    with zipfile.ZipFile(sample_book, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            if info.filename == part:
                text = re.sub(r"<(/?)(?![?])([a-zA-Z])", r"<\1x:\2", data.decode())
                data = text.replace('xmlns="http', 'xmlns:x="http', 1).encode()
            out.writestr(info, data)
    code, _, err = run("-q", "generate", sample_book)
    if code == 0:  # the patcher learned prefixes (issue 21): the upload and the book then go together
        assert len(uploads_beside(sample_book)) == 1
        return
    assert code in (2, 3) and err.count("\n") == 1 and "no upload file was written" in err
    assert uploads_beside(sample_book) == []


def test_the_change_log_records_the_upload_that_was_written(sample_book: Path, tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    target = tmp_path / "up.json"
    code, _, _ = run("-q", "generate", sample_book, "-o", target)
    assert code == 0
    last = FilePort(sample_book).load().log[-1]
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert (last.action, last.file, last.sha256) == ("Generate", "up.json", digest)


# --- each document once -----------------------------------------------------------------------


def test_a_copied_row_whose_document_was_retyped_is_an_error_on_that_row(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2b", 1): {"status": "Accept"}})
    copy_row(sample_book, FIRST + 1, FIRST + 4, {column_of("number"): "NEW-77", column_of("txval"): 1234.0})
    code, out, _ = run("validate", sample_book)
    assert code == 1
    assert ("B2B, row 9, Invoice Number: This row is a copy of row 6 with its document typed over: what it would "
            "send is that row's document (000123)") in out and "(copied-row-retyped)" in out
    assert "row 6, Invoice Number: This row is a copy" not in out
    code, _, _ = run("-q", "generate", sample_book)
    assert code == 1 and uploads_beside(sample_book) == []


def test_a_copied_row_in_excel_goes_up_once_and_a_retyped_copy_stops_the_upload(sample_book: Path,
                                                                             tmp_path: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    sheet = fake.sheets["B2B"]
    for column in range(1, len(B2B.columns) + 1):
        value = sheet.value_at(FIRST + 1, column)
        if value is not None:
            sheet.cells[(FIRST + 4, column)] = value
    sheet.type_in(FIRST + 1, column_of("status"), "Accept")
    sheet.type_in(FIRST + 4, column_of("status"), "Accept")
    target = tmp_path / "up.json"
    outcome = actions.generate_upload(XlwingsPort(fake), lambda state, moment: target)
    assert outcome.ok
    assert [r["inum"] for r in jsonio.loads(target.read_text())["invdata"]["b2b"]] == ["000123"]
    assert sheet.value_at(FIRST + 4, column_of("sheet_errors")).startswith("WARNING [Invoice Number] The same "
                                                                          "document is also on row 6")

    target.unlink()
    sheet.type_in(FIRST + 4, column_of("number"), "NEW-77")
    outcome = actions.generate_upload(XlwingsPort(fake), lambda state, moment: target)
    assert not outcome.ok and not target.exists()
    assert ("ERROR [Invoice Number] This row is a copy of row 6 with its document typed over"
            in sheet.value_at(FIRST + 4, column_of("sheet_errors")))


# --- the GSTIN of the download ---------------------------------------------------------------------


def test_open_records_the_gstin_of_the_download(sample_book: Path) -> None:
    view = FakeBook.from_file(sample_book)
    home = view.sheets[layout.HOME]
    assert home.value_at(RECORDED_CELL.row, RECORDED_CELL.column) == home.value_at(GSTIN_CELL.row, GSTIN_CELL.column)
    assert home.value_at(RECORDED_CELL.row, RECORDED_CELL.column - 1) == "GSTIN of the download"


def test_another_clients_gstin_typed_on_home_is_an_error_naming_both(sample_book: Path) -> None:
    recorded = FilePort(sample_book).load().home.download_gstin
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    edit_in_place(sample_book, layout.HOME, {(GSTIN_CELL.row, GSTIN_CELL.column): OTHER_CLIENT})
    code, out, _ = run("generate", sample_book)
    assert code == 1 and uploads_beside(sample_book) == []
    assert (f"Home, Recipient GSTIN: Recipient GSTIN {OTHER_CLIENT} is not the GSTIN of the download this workbook "
            f"was opened from ({recorded})") in out and "(recipient-gstin-not-the-downloads)" in out


def test_another_clients_gstin_typed_on_home_in_excel_stops_the_upload(sample_book: Path, tmp_path: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    fake.sheets["B2B"].type_in(FIRST, column_of("status"), "Accept")
    fake.sheets[layout.HOME].type_in(GSTIN_CELL.row, GSTIN_CELL.column, OTHER_CLIENT)
    target = tmp_path / "up.json"
    outcome = actions.generate_upload(XlwingsPort(fake), lambda state, moment: target)
    assert not outcome.ok and not target.exists()
    assert [p.code for p in outcome.report.errors] == ["recipient-gstin-not-the-downloads"]  # type: ignore[union-attr]


def test_a_book_without_the_recorded_gstin_uses_homes_and_says_so(sample_book: Path, tmp_path: Path) -> None:
    home_gstin = FilePort(sample_book).load().home.gstin
    edit_in_place(sample_book, layout.HOME, {(RECORDED_CELL.row, RECORDED_CELL.column): None})
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    target = tmp_path / "up.json"
    code, out, _ = run("generate", sample_book, "-o", target)
    assert code == 0
    assert (f"This workbook did not record the GSTIN of its download; the upload is for the GSTIN on Home, "
            f"{home_gstin}, now recorded as the workbook's") in out
    assert jsonio.loads(target.read_text())["rtin"] == home_gstin
    assert FilePort(sample_book).load().home.download_gstin == home_gstin
    # From now on, a GSTIN typed over on Home is caught.
    edit_in_place(sample_book, layout.HOME, {(GSTIN_CELL.row, GSTIN_CELL.column): OTHER_CLIENT})
    code, out, _ = run("validate", sample_book)
    assert code == 1 and "(recipient-gstin-not-the-downloads)" in out


# --- the check on the built upload -----------------------------------------------------------------


def test_generate_refuses_an_upload_that_breaks_its_guarantees(sample_book: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    real_build = actions.build_upload

    def sends_one_record_twice(entries: Any, gstin: str) -> tuple[dict[str, Any], int]:
        document, count = real_build(entries, gstin)
        document["invdata"]["b2b"].append(dict(document["invdata"]["b2b"][0]))
        return document, count + 1

    monkeypatch.setattr(actions, "build_upload", sends_one_record_twice)
    code, _, err = run("-q", "generate", sample_book)
    assert code == 2 and err.count("\n") == 1
    assert "the upload built from this workbook fails its own check: invdata.b2b[2]: the document is in the " \
           "upload more than once; no upload file was written" in err
    assert err.endswith(" [upload-check-failed]\n") and uploads_beside(sample_book) == []


def test_the_upload_check_names_each_broken_guarantee(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    state = FilePort(sample_book).load()
    entries, gstin = state.all_entries(), state.home.download_gstin
    assert gstin
    document, _ = build_upload(entries, gstin)
    assert upload_violations(document, entries, gstin) == []

    assert upload_violations({**document, "rtin": OTHER_CLIENT}, entries, gstin) == [
        f"the upload is for GSTIN {OTHER_CLIENT}, the download for {gstin}"]
    [sent] = document["invdata"]["b2b"]
    untouched = next(e for e in state.entries["b2b"][1:])
    broken = {**document, "invdata": {"b2b": [sent, {**jsonio.loads(jsonio.dumps(untouched.record.raw)),
                                                     "action": "A", "prev_status": untouched.record.model.action}]}}
    assert upload_violations(broken, entries, gstin) == [
        "invdata.b2b[2]: the document's row was not changed since the download"]
    retyped = {**document, "invdata": {"b2b": [{**sent, "txval": 1}]}}
    assert upload_violations(retyped, entries, gstin) == ["invdata.b2b[1]: the values sent differ from the download's"]
    stranger = {**document, "invdata": {"b2b": [{**sent, "inum": "NOT-IN-BOOK"}]}}
    assert upload_violations(stranger, entries, gstin) == ["invdata.b2b[1]: no row of the workbook holds this document"]
    # The same document in other letters and spaces is found (as its identity compares it), and its values differ.
    respelled = {**document, "invdata": {"b2b": [{**sent, "inum": f" {sent['inum'].lower()} ",
                                                  "stin": sent["stin"].lower()}]}}
    assert upload_violations(respelled, entries, gstin) == [
        "invdata.b2b[1]: the values sent differ from the download's"]


def test_an_untouched_book_uploads_nothing(sample_book: Path, tmp_path: Path) -> None:
    assert upload_of(sample_book, tmp_path)["invdata"] == {}


# --- rows the user added under a table -------------------------------------------------------------


def add_total_and_note(book: Path) -> None:
    """"Total" in B12 over =SUBTOTAL(9,F5:F10) in F12, and a note in N14, as a user types them."""
    edit_in_place(book, "B2B", {(12, 2): "Total", (12, 6): 12345.0, (14, 14): "note: ask the supplier"})
    with zipfile.ZipFile(book) as original:
        parts = [(info, original.read(info.filename)) for info in original.infolist()]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            if info.filename == "xl/worksheets/sheet2.xml":  # B2B
                data, count = re.subn(rb'(<c r="F12"[^>]*>)(<v>)', rb"\1<f>SUBTOTAL(9,F5:F10)</f>\2", data)
                assert count == 1
            out.writestr(info, data)


def test_a_total_and_a_note_under_the_table_are_the_users_and_left_alone(sample_book: Path, tmp_path: Path) -> None:
    add_total_and_note(sample_book)
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    code, out, err = run("validate", sample_book)
    assert code == 0 and err.count("error") == 0, out + err
    assert "Validated 12 records" in out
    assert [r["inum"] for r in upload_of(sample_book, tmp_path)["invdata"]["b2b"]] == ["SGT/2025/0417"]
    view = FakeBook.from_file(sample_book).sheets["B2B"]
    assert (view.value_at(12, 2), view.value_at(12, 6), view.value_at(14, 14)) == (
        "Total", 12345.0, "note: ask the supplier")
    with zipfile.ZipFile(sample_book) as archive:
        assert b"<f>SUBTOTAL(9,F5:F10)</f>" in archive.read("xl/worksheets/sheet2.xml")


def test_a_row_typed_as_a_document_on_the_ims_sheet_is_refused_with_what_to_do(sample_book: Path) -> None:
    edit_in_place(sample_book, "B2B", {(12, column_of("stin")): "27AABCS1429B1ZU",
                                       (12, column_of("number")): "MY-OWN-1", (12, column_of("status")): "Accept"})
    before = sample_book.read_bytes()
    code, _, err = run("-q", "validate", sample_book)
    assert code == 2 and err.count("\n") == 1 and "sheet B2B, row 12" in err
    assert "type invoices in the purchase register, not on the IMS sheet; rows come from the portal download" in err
    assert err.endswith(" [row-without-record]\n") and sample_book.read_bytes() == before


def test_a_total_under_the_table_in_excel_is_left_alone(sample_book: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    sheet = fake.sheets["B2B"]
    sheet.type_in(12, 2, "Total")
    sheet.type_in(12, 6, "=SUBTOTAL(9,F5:F10)")
    sheet.type_in(14, 14, "note: ask the supplier")
    outcome = actions.validate_book(XlwingsPort(fake))
    assert outcome.ok and outcome.report is not None and outcome.report.records == 12
    assert (sheet.value_at(12, 2), sheet.formulas[(12, 6)], sheet.value_at(14, 14)) == (
        "Total", "=SUBTOTAL(9,F5:F10)", "note: ask the supplier")


# --- portal text with CR LF ------------------------------------------------------------------------


def download_with_crlf_remarks(tmp_path: Path) -> Path:
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    first, second = document["imsDetails"]["b2b"][:2]
    first.update(remarks="Short supply\r\nof 2 cartons\r", isRemarksBlocked="Y", action="R")
    second.update(remarks="Rate differs\rcheck PO", action="P")
    download = tmp_path / "crlf.json"
    download.write_text(jsonio.dumps(document), encoding="utf-8")
    return download


def test_a_fresh_book_from_remarks_with_cr_lf_has_no_changes_and_no_errors(tmp_path: Path) -> None:
    book = tmp_path / "crlf.xlsm"
    code, _, err = run("-q", "open", download_with_crlf_remarks(tmp_path), "-o", book)
    assert code == 0, err
    code, out, _ = run("validate", book)
    assert code == 0 and "no errors" in out, out
    assert upload_of(book, tmp_path)["invdata"] == {}


def test_a_fresh_book_from_remarks_with_cr_lf_in_excel_has_no_changes(tmp_path: Path) -> None:
    book = tmp_path / "crlf.xlsm"
    assert run("-q", "open", download_with_crlf_remarks(tmp_path), "-o", book)[0] == 0
    target = tmp_path / "up.json"
    outcome = actions.generate_upload(XlwingsPort(FakeBook.from_file(book)), lambda state, moment: target)
    assert outcome.ok and not outcome.report.errors  # type: ignore[union-attr]
    assert jsonio.loads(target.read_text())["invdata"] == {}


# --- error files ------------------------------------------------------------------------------------


def itc_of(book: Path) -> dict[str, Any]:
    code, out, _ = run("-q", "summary", book, "--json")
    assert code == 0
    return dict(jsonio.loads(out)["itc"])


def other_clients_error_file(tmp_path: Path) -> Path:
    """Another client's error file, without a GSTIN: the same shape, none of its documents in the book."""
    details = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))["imsDetails"]
    records = [dict(record, stin=with_check_character("24AAFFP6265R1Z"), inum=f"OTHER-{n}", action="A",
                    error_msg="Invoice edited by supplier") for n, record in enumerate(details["b2b"])]
    path = tmp_path / "other-error.json"
    path.write_text(jsonio.dumps({"imsDetailsErr": {"b2b": records}}), encoding="utf-8")
    return path


def test_an_error_file_none_of_whose_records_are_in_the_book_is_refused(sample_book: Path, tmp_path: Path) -> None:
    before = sample_book.read_bytes()
    code, _, err = run("-q", "errors", other_clients_error_file(tmp_path), sample_book)
    assert code == 2 and err.count("\n") == 1
    assert "none of the error file's 4 records are in this workbook" in err
    assert err.endswith(" [not-this-workbooks-error-file]\n") and sample_book.read_bytes() == before


def test_an_error_report_naming_no_document_of_the_book_is_refused(sample_book: Path, tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    path.write_text(jsonio.dumps({"status_cd": "ER", "error_report": {"b2b": [
        {"stin": "24AAFFP6265R1ZK", "error_cd": "IMSSAV0054", "error_msg": "x", "inv": [{"inum": "OTHER-1"}]}]}}))
    before = sample_book.read_bytes()
    code, _, err = run("-q", "errors", path, sample_book)
    assert code == 2 and err.endswith(" [not-this-workbooks-error-file]\n") and sample_book.read_bytes() == before


def test_another_clients_error_file_in_excel_changes_nothing(sample_book: Path, tmp_path: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    path = other_clients_error_file(tmp_path)
    with pytest.raises(InputError) as refused:
        actions.open_error_file(XlwingsPort(fake), read_portal_file(path), path.name)
    assert refused.value.code == "not-this-workbooks-error-file"
    assert fake.count("write") == 0


def test_records_added_from_an_error_file_count_in_no_itc_until_decided(sample_book: Path, tmp_path: Path) -> None:
    details = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))["imsDetails"]
    known = dict(details["b2b"][1], error_msg="Invoice edited by supplier")
    added = dict(details["b2b"][0], inum="NEW-1", action="A", error_cd="IMSSAV0012", error_msg="Already actioned")
    path = tmp_path / "error.json"
    path.write_text(jsonio.dumps({"imsDetailsErr": {"b2b": [known, added]}}), encoding="utf-8")
    itc_before = itc_of(sample_book)

    code, out, _ = run("-q", "errors", path, sample_book)
    assert code == 0 and "added 1 records" in out
    assert itc_of(sample_book) == itc_before
    [row] = [e for e in FilePort(sample_book).load().entries["b2b"] if e.record.number == "NEW-1"]
    assert row.status is None and row.refresh_note.startswith("Added from the portal's error file")
    code, out, _ = run("validate", sample_book)
    assert code == 1 and f"B2B, row {row.row}, Status: Status is empty" in out

    set_inputs(sample_book, {("b2b", len(FilePort(sample_book).load().entries["b2b"]) - 1): {"status": "Accept"}})
    assert itc_of(sample_book) != itc_before  # decided: now it counts
    sent = [r for r in upload_of(sample_book, tmp_path)["invdata"]["b2b"] if r["inum"] == "NEW-1"]
    assert [(r["action"], r["prev_status"]) for r in sent] == [("A", "N")]  # the portal still has it undecided


# --- a purchase register of formulas without saved values -------------------------------------------


def test_register_formulas_without_saved_values_are_reported_and_their_rows_not_matched(
        sample_book: Path, tmp_path: Path) -> None:
    import openpyxl

    register = tmp_path / "register.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Supplier GSTIN", "Document Number", "Document Date", "Taxable Value", "IGST", "CGST", "SGST"])
    sheet.append(["27AABCS1429B1ZU", "SGT/2025/0417", "04-10-2025", 120932.18, 0, 10883.91, 10883.91])
    sheet.append(["24AAACR5055K1ZD", "000123", "11-10-2025", 50000, "=D3*0.18", "=D3*0", "=D3*0"])
    workbook.save(register)  # openpyxl stores formulas only, as some tools do: no values
    with zipfile.ZipFile(register) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert re.search(rb'<c r="E3"[^>]*><f>D3\*0.18</f><v\s*/?>(</v>)?</c>', sheet_xml)

    code, out, err = run("reconcile", sample_book, register, "--apply")
    assert code == 0, err
    for column in ("IGST", "CGST", "SGST"):
        assert (f"register.xlsx row 3, {column}: is a formula whose value was not saved with the file") in out
    state = FilePort(sample_book).load()
    by_number = {entry.record.number: entry for entry in state.entries["b2b"]}
    assert by_number["SGT/2025/0417"].match_status == "Matched"
    unread = by_number["000123"]
    assert unread.match_status != "Matched" and unread.status == "No Action" and not unread.suggested_action
    assert unread.match_result.startswith("The register's row for this document could not be read")


# --- texts over a cell's limit; the limits of what the tool reads ------------------------------------


def download_with_trade_names(tmp_path: Path, length: int, records: int = 1) -> Path:
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    first = document["imsDetails"]["b2b"][0]
    document["imsDetails"]["b2b"] = [dict(first, inum=f"LONG-{n}", tradenm="T" * length) for n in range(records)]
    path = tmp_path / f"names-{length}.json"
    path.write_text(jsonio.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("length", [40_000, 5_000_000])
def test_a_text_over_the_cell_limit_is_refused_at_open_naming_the_record(tmp_path: Path, length: int) -> None:
    book = tmp_path / "long.xlsm"
    code, _, err = run("-q", "open", download_with_trade_names(tmp_path, length), "-o", book)
    assert code == 2 and err.count("\n") == 1 and not book.exists()
    assert (f"B2B record 1 (supplier 27AABCS1429B1ZU, document LONG-0): its tradenm has {length:,} characters; "
            "an Excel cell holds at most 32,767; nothing was written") in err
    assert err.endswith(" [text-too-long]\n")


def test_a_record_whose_texts_together_overflow_the_hidden_cell_is_refused(tmp_path: Path) -> None:
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    document["imsDetails"]["b2b"][0].update(tradenm="T" * 20_000, remarks="R" * 20_000)
    path = tmp_path / "two-long.json"
    path.write_text(jsonio.dumps(document), encoding="utf-8")
    code, _, err = run("-q", "open", path, "-o", tmp_path / "two.xlsm")
    assert code == 2 and "its texts together (the hidden Portal Record) have" in err
    assert err.endswith(" [text-too-long]\n")


def test_open_never_writes_a_book_the_tool_refuses(tmp_path: Path) -> None:
    # Texts just under the cell limit, repeated on many rows: the most a real book can deflate.
    book = tmp_path / "near-limit.xlsm"
    code, _, err = run("-q", "open", download_with_trade_names(tmp_path, 32_000, records=100), "-o", book)
    assert code == 0, err
    for command in ("validate", "generate"):
        code, _, err = run("-q", command, book)
        assert code == 0, err


def test_a_file_size_limit_is_one_line(sample_json: Path, tmp_path: Path) -> None:
    book = tmp_path / "limited.xlsm"
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000)); "
              "from ims_xl.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", script, "-q", "open", str(sample_json), "-o", str(book)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "a file-size limit" in done.stderr and "Traceback" not in done.stderr
    assert not book.exists()


# --- memory -----------------------------------------------------------------------------------------


def run_with_memory_limit(spare_mb: int, *argv: str | Path) -> subprocess.CompletedProcess[str]:
    """The command line in a process whose address space (``ulimit -v``) is what it uses once
    loaded plus ``spare_mb``."""
    script = ("import resource, sys\n"
              "from ims_xl.cli import main\n"
              "import ims_xl.files.fileport, python_calamine\n"
              "size = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmSize:'))\n"
              f"limit = (size + {spare_mb} * 1024) * 1024\n"
              "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
              "sys.exit(main(sys.argv[1:]))\n")
    return subprocess.run([sys.executable, "-c", script, *map(str, argv)], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process's size from /proc")
def test_too_little_memory_is_one_line_and_the_lock_is_released(tmp_path: Path) -> None:
    book = tmp_path / "big.xlsm"
    assert run("-q", "open", download_with_trade_names(tmp_path, 30_000, records=300), "-o", book)[0] == 0
    before = book.read_bytes()
    done = run_with_memory_limit(16, "-q", "validate", book)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and "panicked" not in done.stderr
    assert re.search(r"big\.xlsm: not enough memory to read this workbook: 308 records need about \d+ MB",
                     done.stderr)
    assert done.stderr.endswith(" [not-enough-memory]\n")
    assert book.read_bytes() == before and not list(tmp_path.glob(".*.lock"))
    assert run_with_memory_limit(400, "-q", "validate", book).returncode == 0  # with room, it reads
