"""The ims-xl command line, as a user runs it: exit codes, messages, and the files it leaves."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from ims_xl.cli import main
from ims_xl.core import jsonio, layout
from ims_xl.files import backups, package
from ims_xl.files.fileport import FilePort
from tests.conftest import SAMPLE


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def cell_texts(book: Path, sheet: str, header: str) -> list[str | None]:
    workbook = openpyxl.load_workbook(book, read_only=True)
    rows = list(workbook[sheet].iter_rows(min_row=4, values_only=True))
    column = list(rows[0]).index(header)
    return [row[column] for row in rows[1:] if any(v is not None for v in row)]


def set_inputs(book: Path, changes: dict[tuple[str, int], dict[str, object]]) -> None:
    """Type into the sheet as a user would (through the file port)."""
    port = FilePort(book)
    state = port.load()
    for (key, index), values in changes.items():
        for name, value in values.items():
            setattr(state.entries[key][index], name, value)
    port.save(state, None, frozenset({"status", "remarks", "itc"}))


# --- open ------------------------------------------------------------------------------------

def test_open_writes_a_macro_book_beside_the_download(sample_json: Path) -> None:
    code, out, err = run("-q", "open", sample_json)
    book = sample_json.with_suffix(".xlsm")
    assert code == 0 and book.exists()
    assert "Opened 12 records from sample_download.json" in out and str(book) in out
    assert err == ""


def test_open_chooses_xlsx_by_suffix(sample_json: Path, tmp_path: Path) -> None:
    code, _, _ = run("-q", "open", sample_json, "-o", tmp_path / "client.xlsx")
    assert code == 0
    assert "xl/vbaProject.bin" not in __import__("zipfile").ZipFile(tmp_path / "client.xlsx").namelist()


def test_open_never_overwrites_without_force(sample_json: Path, tmp_path: Path) -> None:
    book = tmp_path / "client.xlsm"
    run("-q", "open", sample_json, "-o", book)
    before = book.read_bytes()
    code, out, err = run("-q", "open", sample_json, "-o", book)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "already exists; use --force" in err
    assert book.read_bytes() == before
    code, out, _ = run("-q", "open", sample_json, "-o", book, "--force")
    assert code == 0 and "Previous workbook kept as ims-xl backups/client-" in out
    assert len(backups.backups_of(book)) == 1


def test_gstin_from_the_command_line_when_the_download_has_none(tmp_path: Path) -> None:
    document = jsonio.loads(SAMPLE.read_text())
    del document["gstin"]
    download = tmp_path / "nogstin.json"
    download.write_text(jsonio.dumps(document))
    code, out, _ = run("-q", "open", download)
    assert code == 0 and "Enter the recipient GSTIN" in out
    code, out, _ = run("-q", "generate", download.with_suffix(".xlsm"))
    assert code == 1 and "Recipient GSTIN" in out
    code, _, _ = run("-q", "open", download, "--gstin", "27aapfu0939f1zv", "--force")
    assert code == 0
    assert run("-q", "validate", download.with_suffix(".xlsm"))[0] == 0


def test_a_gstin_that_contradicts_the_download_is_refused(sample_json: Path) -> None:
    code, _, err = run("-q", "open", sample_json, "--gstin", "07AABFL2260Q2Z2")
    assert code == 2 and "the download is for GSTIN 27AAPFU0939F1ZV" in err


@pytest.mark.parametrize(("content", "expected", "error_code"), [
    (b'{"imsDetails": {"b2b": [{"stin": "27AABCS1429B1ZU", "inum": "1"', "cut short", "invalid-json"),
    (b"this is not json", "not valid JSON", "invalid-json"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\xff\xfe\xfd", "not a JSON text file", "not-json-text"),
    (b"", "the file is empty", "empty-file"),
    (b'["b2b"]', "expected a JSON object", "not-an-ims-file"),
    (b'{"imsDetails": {"b2b": [{"stin": "27AABCS1429B1ZU", "inum": "1", "idt": "2025-01-01", "val": 1, '
     b'"txval": 1}]}}', "section b2b, record 1 (1), field idt", "invalid-record"),
    (b'{"imsDetails": {"b2b": [{"stin": "27AABCS1429B1ZU", "inum": "1", "idt": "01-01-2025", "val": "ten", '
     b'"txval": 1}]}}', "field val", "invalid-record"),
])
def test_bad_downloads_give_one_line_and_no_workbook(tmp_path: Path, content: bytes, expected: str,
                                                     error_code: str) -> None:
    download = tmp_path / "download.json"
    download.write_bytes(content)
    code, out, err = run("-q", "open", download)
    assert code == 2 and out == ""
    assert err.startswith("ims-xl: error: download.json") and err.count("\n") == 1 and expected in err
    assert err.endswith(f" [{error_code}]\n")  # the stable code, last on the line
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download.json"]


def test_a_workbook_that_is_not_ims_xl_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    code, _, err = run("-q", "validate", other)
    assert code == 2 and "not an ims-xl workbook (no sheet Home, B2B" in err
    picture = tmp_path / "picture.xlsx"
    picture.write_bytes(b"\x89PNG\r\n")
    code, _, err = run("-q", "validate", picture)
    assert code == 2 and "picture.xlsx: not an Excel workbook that can be read" in err


# --- validate ---------------------------------------------------------------------------------

def test_validate_passes_an_untouched_book(sample_book: Path) -> None:
    code, out, _ = run("-q", "validate", sample_book)
    assert code == 0 and out.startswith("Validated 12 records: no errors")


def test_validate_marks_errors_on_their_rows_and_exits_1(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2bcn", 0): {"status": "Pending"}, ("b2b", 0): {"status": "No Action",
                                                                              "remarks": "ok"}})
    code, out, _ = run("-q", "validate", sample_book)
    assert code == 1
    assert "Validated 12 records: 1 error on B2B, 1 error on B2B-CN" in out
    assert "B2B-CN, row 5, Status: The portal does not allow Pending" in out
    errors = cell_texts(sample_book, "B2B-CN", "Sheet Validation Errors")
    assert errors[0].startswith("ERROR [Status] The portal does not allow Pending")
    assert errors[1] is None


def test_validate_clears_filters_and_shows_hidden_rows(sample_book: Path) -> None:
    # A user filtered B2B in LibreOffice or Excel and saved: criteria and hidden rows in the file.
    workbook = openpyxl.load_workbook(sample_book, keep_vba=True)
    sheet = workbook["B2B"]
    sheet.auto_filter.add_filter_column(6, ["Accept"])
    sheet.row_dimensions[6].hidden = True
    workbook.save(sample_book)
    assert run("-q", "validate", sample_book)[0] == 0
    after = openpyxl.load_workbook(sample_book)["B2B"]
    assert after.auto_filter.filterColumn == []
    assert not any(after.row_dimensions[r].hidden for r in range(1, 20))


def test_validate_updates_the_home_summary(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}, ("b2bcn", 0): {"status": "Pending"}})
    run("-q", "validate", sample_book)
    home = openpyxl.load_workbook(sample_book, read_only=True)["Home"]
    table = layout.SUMMARY_TABLE
    rows = {row[table.left - 1]: dict(zip(table.headers, row[table.left - 1:], strict=False))
            for row in home.iter_rows(min_row=table.first_row, max_row=table.last_row, values_only=True)}
    assert [rows["B2B"][h] for h in ("Records", "No Action", "Accept", "Reject", "Pending")] == [4, 1, 2, 0, 1]
    assert rows["B2B-CN"]["Errors"] == 1


# --- generate --------------------------------------------------------------------------------

def test_generate_refuses_with_errors_and_writes_nothing(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2bcn", 0): {"status": "Pending"}})  # CN-0007: the portal blocks Pending
    code, out, _ = run("-q", "generate", sample_book)
    assert code == 1 and out.startswith("No upload file written: 1 error to fix first")
    assert not list(sample_book.parent.glob("IMS_upload_*.json"))


def test_generate_with_no_changes_writes_an_empty_upload(sample_book: Path) -> None:
    code, out, _ = run("-q", "generate", sample_book)
    assert code == 0 and out.startswith("No changes since the download; the upload file holds no records")
    [upload] = sample_book.parent.glob("IMS_upload_27AAPFU0939F1ZV_*.json")
    assert json.loads(upload.read_text()) == {"rtin": "27AAPFU0939F1ZV", "reqtyp": "SAVE", "invdata": {}}


def test_generate_writes_the_changed_records(sample_book: Path, tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2b", 1): {"status": "Reject", "remarks": "No goods received"}})
    target = tmp_path / "up.json"
    code, out, _ = run("-q", "generate", sample_book, "-o", target)
    assert code == 0 and out.startswith(f"Saved the upload JSON: {target}, 1 record")
    [record] = json.loads(target.read_text())["invdata"]["b2b"]
    assert record["inum"] == "000123" and record["action"] == "R" and record["remarks"] == "No goods received"
    assert "tradenm" not in record


def test_the_change_log_records_each_operation_with_the_upload_hash(sample_book: Path, tmp_path: Path) -> None:
    import hashlib

    target = tmp_path / "up.json"
    run("-q", "validate", sample_book)
    run("-q", "generate", sample_book, "-o", target)
    log = list(openpyxl.load_workbook(sample_book, read_only=True)["Change Log"].iter_rows(min_row=4,
                                                                                            values_only=True))
    assert [row[1] for row in log] == ["Open", "Validate", "Generate"]
    assert log[2][3] == "up.json" and log[2][4] == hashlib.sha256(target.read_bytes()).hexdigest()


# --- errors ----------------------------------------------------------------------------------

def test_an_error_file_lands_on_its_rows_and_adds_missing_records(sample_book: Path, tmp_path: Path) -> None:
    document = jsonio.loads(SAMPLE.read_text())
    details = document.pop("imsDetails")
    details["b2bcn"][1]["error_msg"] = "Error! Please enter value for the column itcRedReq."
    extra = dict(details["b2b"][0], inum="NEW-1", error_msg="Invoice edited by supplier")
    error_file = tmp_path / "error.json"
    error_file.write_text(jsonio.dumps({"imsDetailsErr": {"b2bcn": [details["b2bcn"][1]], "b2b": [extra]}}))
    code, out, _ = run("-q", "errors", error_file, sample_book)
    assert code == 0 and "Marked 2 rows with GST portal errors; added 1 records" in out
    assert cell_texts(sample_book, "B2B-CN", "GST Portal Validation Errors") == [
        None, "Error! Please enter value for the column itcRedReq."]
    assert cell_texts(sample_book, "B2B", "GST Portal Validation Errors")[-1] == "Invoice edited by supplier"


def test_a_gsp_error_report_lands_on_its_rows(sample_book: Path, tmp_path: Path) -> None:
    report = {"status_cd": "PE", "error_report": {"cn": [{
        "error_cd": "IMSSAV0054", "error_msg": "Error! Please enter value for the column itcRedReq.",
        "stin": "27AAFCD5862R1ZV", "inv": [{"inum": "CN-0008", "rtnprd": "102025"}]}]}}
    error_file = tmp_path / "status.json"
    error_file.write_text(json.dumps(report))
    code, out, _ = run("-q", "errors", error_file, sample_book)
    assert code == 0 and out.startswith("Marked 1 row with GST portal errors")
    assert cell_texts(sample_book, "B2B-CN", "GST Portal Validation Errors")[1] == (
        "IMSSAV0054: Error! Please enter value for the column itcRedReq. -- This means accepting a credit note "
        "(or a downward amendment) needs an answer to 'ITC to be reduced'. Fix: choose Yes or No in 'ITC to be "
        "reduced' on this row, then Validate and generate the upload again.")


def test_a_document_named_twice_by_the_portal_shows_its_error_once(sample_book: Path, tmp_path: Path) -> None:
    error = {"error_cd": "IMSSAV0054", "error_msg": "Error! Please enter value for the column itcRedReq.",
             "stin": "27AAFCD5862R1ZV", "inv": [{"inum": "CN-0008", "rtnprd": "102025"}]}
    other = dict(error, error_cd="IMSSAV0012", error_msg="The invoice was already actioned")
    error_file = tmp_path / "status.json"
    error_file.write_text(json.dumps({"status_cd": "PE", "error_report": {"cn": [error, other, error]}}))
    code, out, _ = run("-q", "errors", error_file, sample_book)
    assert code == 0 and out.startswith("Marked 3 rows")  # three errors named it; the cell shows two
    first, second = cell_texts(sample_book, "B2B-CN", "GST Portal Validation Errors")[1].split("\n")
    assert first.startswith("IMSSAV0054: Error! Please enter value for the column itcRedReq. -- This means")
    assert second == "IMSSAV0012: The invoice was already actioned"  # a code not known: the portal's words


def test_a_record_added_from_the_error_file_shows_the_portal_code_once(sample_book: Path, tmp_path: Path) -> None:
    details = jsonio.loads(SAMPLE.read_text())["imsDetails"]
    extra = dict(details["b2b"][0], inum="NEW-1", error_cd="IMSSAV0012", error_msg="Already actioned")
    known = dict(details["b2b"][1], error_msg="Invoice edited by supplier")  # one of the book's: it is this book's file
    error_file = tmp_path / "error.json"
    error_file.write_text(jsonio.dumps({"imsDetailsErr": {"b2b": [known, extra]}}))
    assert run("-q", "errors", error_file, sample_book)[0] == 0
    assert cell_texts(sample_book, "B2B", "GST Portal Validation Errors")[-1] == "IMSSAV0012: Already actioned"


def test_a_download_given_as_error_file_is_refused(sample_book: Path, sample_json: Path) -> None:
    code, _, err = run("-q", "errors", sample_json, sample_book)
    assert code == 2 and "not an IMS error file" in err


# --- safety ------------------------------------------------------------------------------------

def test_a_crash_while_writing_leaves_the_old_book_intact(sample_book: Path, monkeypatch) -> None:
    before = sample_book.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(package, "patch_sheet_chunks", crash)  # halfway through writing the new package
    code, _, err = run("-q", "validate", sample_book)
    assert code == 3 and "disk full" in err
    assert sample_book.read_bytes() == before
    assert [p.name for p in sample_book.parent.iterdir() if p.name.startswith(".")] == []


def test_backups_keep_the_newest_three(sample_book: Path) -> None:
    for _ in range(5):
        run("-q", "validate", sample_book)
    assert len(backups.backups_of(sample_book)) == 3


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    code, out, _ = run("-q", "demo", tmp_path / "demo")
    assert code == 0
    assert "Validated 12 records: no errors" in out and "Saved the upload JSON" in out
    [upload] = (tmp_path / "demo").glob("IMS_upload_*.json")
    assert len(json.loads(upload.read_text())["invdata"]["b2b"]) == 2


def test_usage_errors_exit_2() -> None:
    code, _, _ = run("frobnicate")
    assert code == 2



@pytest.mark.parametrize("argv", [
    ["-q", "validate", "BOOK"], ["validate", "BOOK", "-q"], ["validate", "-q", "BOOK"], ["validate", "--quiet", "BOOK"],
])
def test_quiet_goes_before_or_after_the_command(sample_book: Path, argv: list[str]) -> None:
    code, out, err = run(*[sample_book if arg == "BOOK" else arg for arg in argv])
    assert code == 0 and "Validated" in out
    assert err == ""  # no progress lines


def test_global_options_keep_their_values_wherever_given() -> None:
    from ims_xl.cli import _parser

    def options(*argv: str) -> tuple[bool, bool]:
        args = _parser().parse_args(argv)
        return args.quiet, args.debug

    assert options("validate", "b.xlsm") == (False, False)
    assert options("-q", "validate", "b.xlsm") == (True, False)  # not reset by the subcommand's defaults
    assert options("--debug", "validate", "b.xlsm", "-q") == (True, True)
    assert options("reconcile", "b.xlsm", "r.csv", "--debug") == (False, True)
