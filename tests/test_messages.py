"""Messages that point the way (issue 24): a wrong file, a swapped argument, a moved column, a renamed sheet."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ims_xl.cli import main
from ims_xl.core import layout
from ims_xl.core.sections import BY_KEY, BY_SHEET


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def refused(err: str, code: str) -> str:
    """The one error line, checked to end with its code; returned without the prefix and the code."""
    assert err.count("\n") == 1 and err.startswith("ims-xl: error: "), err
    assert err.endswith(f" [{code}]\n"), err
    return err.removeprefix("ims-xl: error: ").removesuffix(f" [{code}]\n")


# --- the wrong file -------------------------------------------------------------------------------------


def test_an_excel_workbook_given_as_the_download_is_named_as_such(sample_book: Path, tmp_path: Path) -> None:
    code, _, err = run("-q", "open", sample_book, "-o", tmp_path / "new.xlsm")
    assert code == 2
    message = refused(err, "not-json-text")
    assert message.startswith("sample.xlsm: this is an Excel workbook, not the IMS download;")
    assert "[Content_Types].xml" not in message and not (tmp_path / "new.xlsm").exists()


def test_an_upload_given_to_open_is_refused(sample_book: Path, tmp_path: Path) -> None:
    upload = tmp_path / "upload.json"
    upload.write_text(json.dumps({"rtin": "27AAPFU0939F1ZV", "reqtyp": "SAVE", "invdata": {"b2b": []}}))
    code, out, err = run("-q", "open", upload, "-o", tmp_path / "from-upload.xlsm")
    assert code == 2 and out == ""
    assert refused(err, "wrong-kind-of-file").startswith(
        "upload.json: this is an upload file (what Generate writes), not the IMS download;")
    assert not (tmp_path / "from-upload.xlsm").exists()


def test_practice_given_a_file_says_it_is_a_file(sample_json: Path) -> None:
    code, _, err = run("-q", "practice", sample_json)
    assert code == 2
    assert refused(err, "not-a-folder").startswith(f"{sample_json}: is a file, not a folder;")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_download_saved_as_utf16_is_read(sample_json: Path, tmp_path: Path, encoding: str) -> None:
    text = sample_json.read_text(encoding="utf-8")
    unicode_file = tmp_path / "unicode.json"  # Notepad's "Unicode": UTF-16 LE with its byte-order mark
    unicode_file.write_bytes(("\ufeff" + text).encode("utf-16-le" if encoding == "utf-16" else encoding))
    code, out, err = run("-q", "open", unicode_file, "-o", tmp_path / "unicode.xlsm")
    assert (code, err) == (0, "")
    assert out.startswith("Opened 12 records from unicode.json")


# --- the arguments the wrong way round ----------------------------------------------------------------


def test_reconcile_with_the_register_first_says_the_order(sample_book: Path, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text("Supplier GSTIN,Document Number,Document Date,Taxable Value,IGST,CGST,SGST\n")
    before = sample_book.read_bytes()
    code, _, err = run("-q", "reconcile", register, sample_book)
    assert code == 2
    assert refused(err, "arguments-swapped") == (
        "register.csv and sample.xlsm are the wrong way round: ims-xl reconcile BOOK REGISTER (the workbook "
        "first, then the purchase register)")
    assert sample_book.read_bytes() == before


def test_reconcile_with_an_excel_register_first_says_the_order(sample_book: Path, tmp_path: Path) -> None:
    register = tmp_path / "register.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Supplier GSTIN", "Document Number", "Document Date", "Taxable Value", "IGST", "CGST", "SGST"])
    book.save(register)
    code, _, err = run("-q", "reconcile", register, sample_book)
    assert code == 2 and "ims-xl reconcile BOOK REGISTER" in refused(err, "arguments-swapped")


def test_errors_with_the_book_first_says_the_order(sample_book: Path, sample_json: Path) -> None:
    code, _, err = run("-q", "errors", sample_book, sample_json)
    assert code == 2
    assert refused(err, "arguments-swapped") == (
        "sample.xlsm and sample_download.json are the wrong way round: ims-xl errors ERRORFILE BOOK (the portal's "
        "error file first, then the workbook)")


# --- a changed table or sheet ---------------------------------------------------------------------------


def _edit_with_openpyxl(book: Path, change) -> None:  # type: ignore[no-untyped-def]
    workbook = openpyxl.load_workbook(book)
    change(workbook)
    workbook.save(book)


def test_a_column_inserted_inside_a_table_is_named_with_where_it_goes(sample_xlsx: Path) -> None:
    def insert(workbook: openpyxl.Workbook) -> None:
        sheet = workbook["B2B"]
        sheet.insert_cols(4)
        sheet.cell(4, 4, "Our Ref")

    _edit_with_openpyxl(sample_xlsx, insert)
    code, _, err = run("-q", "validate", sample_xlsx)
    assert code == 2
    last = openpyxl.utils.get_column_letter(len(BY_SHEET["B2B"].columns))
    assert refused(err, "unexpected-header") == (
        f"sample.xlsx: sheet B2B, column D: the column 'Our Ref' was inserted inside the table; move it right of "
        f"column {last} (where your own columns go) or delete it")
    assert "is this workbook from ims-xl" not in err


def test_a_column_moved_inside_a_table_says_where_it_belongs(sample_xlsx: Path) -> None:
    def move(workbook: openpyxl.Workbook) -> None:
        sheet = workbook["B2B"]  # Status (G) dragged before Supply Type (D)
        sheet.insert_cols(4)
        for row in range(1, sheet.max_row + 1):
            sheet.cell(row, 4).value = sheet.cell(row, 8).value
        sheet.delete_cols(8)

    _edit_with_openpyxl(sample_xlsx, move)
    code, _, err = run("-q", "validate", sample_xlsx)
    assert code == 2
    assert refused(err, "unexpected-header").startswith(
        "sample.xlsx: sheet B2B, column D holds 'Status', which belongs in column G: move it back there")


def test_a_renamed_header_is_named(sample_xlsx: Path) -> None:
    column = BY_KEY["b2b"].index("txval") + 1
    _edit_with_openpyxl(sample_xlsx, lambda workbook: setattr(workbook["B2B"].cell(4, column), "value", "Taxable"))
    code, _, err = run("-q", "validate", sample_xlsx)
    assert code == 2
    assert refused(err, "unexpected-header").startswith(
        f"sample.xlsx: sheet B2B, column {layout.column_letter(column)} should have the header 'Taxable Value', "
        "found 'Taxable': type 'Taxable Value' back")


@pytest.mark.parametrize("new_name", ["B2B CN", "b2b-cn (2)", "B2BCN"])
def test_a_renamed_section_sheet_names_the_sheet_and_its_look_alike(sample_xlsx: Path, new_name: str) -> None:
    _edit_with_openpyxl(sample_xlsx, lambda workbook: setattr(workbook["B2B-CN"], "title", new_name))
    code, _, err = run("-q", "validate", sample_xlsx)
    assert code == 2
    assert refused(err, "sheet-missing") == (
        f"sample.xlsx: the sheet 'B2B-CN' is missing; the sheet '{new_name}' looks like it: rename it back to "
        "'B2B-CN' (the tool finds its sheets by name)")


def test_a_deleted_section_sheet_is_named(sample_xlsx: Path) -> None:
    _edit_with_openpyxl(sample_xlsx, lambda workbook: workbook.remove(workbook["ECOA"]))
    code, _, err = run("-q", "validate", sample_xlsx)
    assert code == 2
    assert refused(err, "sheet-missing").startswith("sample.xlsx: the sheet 'ECOA' is missing; it was deleted or "
                                                    "renamed: restore it from a backup")


def _set_dimension(book: Path, sheet_part: str, reference: str) -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(book) as original, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as changed:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == sheet_part:
                text = data.decode()
                start = text.index("<dimension ref=\"") + len("<dimension ref=\"")
                data = (text[:start] + reference + text[text.index('"', start):]).encode()
            changed.writestr(info, data)
    book.write_bytes(stream.getvalue())


def test_a_dimension_naming_a_cell_that_does_not_exist_is_no_stray_cell(sample_book: Path) -> None:
    with zipfile.ZipFile(sample_book) as package:
        part = next(name for name in package.namelist() if name.startswith("xl/worksheets/sheet")
                    and b"<dimension" in package.read(name))
    _set_dimension(sample_book, part, "A1:XFD1048576")  # what some exporters write
    code, out, err = run("-q", "validate", sample_book)
    assert (code, err) == (0, "") and "Validated 12 records" in out


# --- progress and the demo ------------------------------------------------------------------------------


def test_the_demo_prints_no_progress_lines_and_keeps_no_backups(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import ims_xl.cli

    monkeypatch.setattr(ims_xl.cli.time, "perf_counter", lambda: 0.5)  # the demo's 0.3 s, on a busy machine too
    code, out, err = run("demo", tmp_path / "demo")  # not -q: under a second of work says nothing on stderr
    assert code == 0 and "Saved the upload JSON" in out
    assert err == ""
    assert sorted(path.name for path in (tmp_path / "demo").iterdir() if path.suffix == ".xlsm") == [
        "sample_download.xlsm"]


def test_work_over_a_second_shows_its_progress(sample_book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ims_xl.cli

    monkeypatch.setattr(ims_xl.cli, "_PROGRESS_AFTER", 0.0)  # as if the machine were slow
    code, _, err = run("validate", sample_book)
    assert code == 0
    lines = err.splitlines()
    assert lines and all(line.startswith("[") and "s] " in line for line in lines)
    assert any(line.endswith("] Reading sample.xlsm") for line in lines)


def test_a_status_showing_na_says_so(sample_xlsx: Path) -> None:
    """A Status filled by a lookup that found nothing shows #N/A; the message says that, not "empty"."""
    status = openpyxl.utils.get_column_letter(BY_SHEET["B2B"].index("status") + 1)
    stream = io.BytesIO()
    with zipfile.ZipFile(sample_xlsx) as original, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as changed:
        sheet_part = next(name for name in original.namelist() if name.startswith("xl/worksheets/")
                          and f'<c r="{status}5"'.encode() in original.read(name)
                          and b"SGT/2025/0417" in original.read(name))
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == sheet_part:
                text = data.decode()
                start = text.index(f'<c r="{status}5"')
                end = text.index("</c>", start) + len("</c>")
                data = (text[:start] + f'<c r="{status}5" t="e"><f>VLOOKUP(C5,Decisions!A:B,2,FALSE)</f>'
                        "<v>#N/A</v></c>" + text[end:]).encode()
            changed.writestr(info, data)
    sample_xlsx.write_bytes(stream.getvalue())
    code, out, _ = run("-q", "validate", sample_xlsx)
    assert code == 1
    assert ("error: B2B, row 5, Status: Status shows #N/A, the error of the formula in the cell (a lookup that found "
            "nothing?); fix the formula, or type Accept, Reject, Pending or No Action (unknown-status)") in out
    assert "Status is empty" not in out


def test_the_lite_edition_gets_its_supplier_pack_from_the_command_line(tmp_path: Path) -> None:
    """Lite has no Supplier Follow-up button (README, "What differs"); the command reads a Lite book."""
    lite = tmp_path / "IMS_Lite.xlsx"
    assert run("-q", "lite", "-o", lite)[0] == 0
    code, out, err = run("-q", "suppliers", lite)
    assert (code, err) == (0, "") and out.startswith("No supplier needs follow-up")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    differs = readme.split("What differs from the `.xlsm`:", 1)[1].split("\n\n", 1)[0]
    assert "No **Supplier Follow-up** button" in differs and "ims-xl suppliers IMS_Lite.xlsx" in differs
