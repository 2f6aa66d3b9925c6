"""`ims-xl practice DIR`: a folder of client downloads, their books, and the dashboard a CA practice reads."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from ims_xl.cli import main
from ims_xl.core import jsonio
from ims_xl.core.gstin import with_check_character
from ims_xl.core.layout import MONEY_FORMAT
from ims_xl.core.practice import DASHBOARD_HEADERS, gstin_in_name, is_download_candidate, problem_sentence
from ims_xl.files.fileport import FilePort
from tests.conftest import SAMPLE

ACME = with_check_character("27AACCA1234D1Z")
BHARAT = with_check_character("29AABCB5678E1Z")
CHETAN = with_check_character("24AAFCC9012F1Z")


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def practice(folder: Path, *more: str) -> tuple[int, str, str]:
    return run("practice", folder, "-j", "2", *more)


def sample_document(gstin: str | None) -> dict[str, Any]:
    document = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    if gstin is None:
        del document["gstin"]
    else:
        document["gstin"] = gstin
    return dict(document)


def write_download(path: Path, gstin: str | None, document: dict[str, Any] | None = None) -> Path:
    text = jsonio.dumps(document or sample_document(gstin))
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("ims_download.json", text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def tax_at_no_action(document: dict[str, Any]) -> Decimal:
    """Worked out from the download itself, apart from the tool's own code."""
    return sum((Decimal(str(record[head])) for records in document["imsDetails"].values() for record in records
                if record["action"] == "N" for head in ("iamt", "camt", "samt", "cess")), Decimal(0))


def dashboard(folder: Path) -> list[dict[str, Any]]:
    """The Clients sheet as header -> value dicts; the totals row last. Checks the header row exactly."""
    sheet = openpyxl.load_workbook(folder / "Practice.xlsx")["Clients"]
    rows = list(sheet.iter_rows())
    assert tuple(cell.value for cell in rows[0]) == DASHBOARD_HEADERS
    return [{header: cell for header, cell in zip(DASHBOARD_HEADERS, row, strict=True)} for row in rows[1:]]


def values(row: dict[str, Any]) -> dict[str, Any]:
    return {header: cell.value for header, cell in row.items()}


def set_inputs(book: Path, changes: dict[tuple[str, int], dict[str, object]]) -> None:
    """Type into the sheet as a user would (through the file port)."""
    port = FilePort(book)
    state = port.load()
    for (key, index), typed in changes.items():
        for name, value in typed.items():
            setattr(state.entries[key][index], name, value)
    port.save(state, None, frozenset({"status", "remarks", "itc"}))


def log_actions(book: Path) -> list[str]:
    return [line.action for line in FilePort(book).load().log]


# --- the pure part ---------------------------------------------------------------------------------


def test_the_first_valid_gstin_in_a_name_is_taken() -> None:
    wrong_check = ACME[:-1] + ("0" if ACME[-1] != "0" else "1")
    assert gstin_in_name(f"{ACME}_102025.json") == ACME
    assert gstin_in_name(f"Acme {ACME.lower()}.zip") == ACME
    assert gstin_in_name(f"{wrong_check} then {BHARAT}.json") == BHARAT
    assert gstin_in_name("27AACCM1234D1Z0_102025.json") == "27AACCM1234D1Z0"  # the example
    assert gstin_in_name("27AACCM1234D1Z1_102025.json") is None  # fails the check character
    assert gstin_in_name("october.json") is None


def test_only_possible_downloads_are_looked_at() -> None:
    assert is_download_candidate("Acme.JSON") and is_download_candidate("acme 102025.zip")
    for name in ("IMS_upload_27AAPFU0939F1ZV_20251015-101010.json", "Acme.xlsm", "Practice.xlsx",
                 ".Acme.abc123.json", "~$Acme.json", "notes.txt"):
        assert not is_download_candidate(name), name


def test_a_problem_is_one_sentence_without_the_file_name() -> None:
    assert problem_sentence("bad.zip:inner.json: not valid JSON: cut short", "bad.zip") == \
        "Not valid JSON: cut short"
    assert problem_sentence("client.xlsm: not a workbook", "client.json") == "client.xlsm: not a workbook"


# --- the command ---------------------------------------------------------------------------------------


def test_gstin_from_the_download_and_from_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ims_xl.cli._PROGRESS_AFTER", 0.0)  # progress lines show only after a second: as if slow
    write_download(tmp_path / "acme october.json", ACME)
    write_download(tmp_path / f"Bharat {BHARAT}.zip", None)
    write_download(tmp_path / f"{CHETAN}_102025.json", None)
    code, out, err = practice(tmp_path)
    assert code == 0, err
    assert "3 downloads: 3 opened" in out
    rows = {row["Download"].value: values(row) for row in dashboard(tmp_path)[:-1]}
    assert rows["acme october.json"]["GSTIN"] == ACME
    assert rows[f"Bharat {BHARAT}.zip"]["GSTIN"] == BHARAT
    assert rows[f"{CHETAN}_102025.json"]["GSTIN"] == CHETAN
    assert FilePort(tmp_path / f"Bharat {BHARAT}.xlsm").load().home.gstin == BHARAT
    assert FilePort(tmp_path / f"{CHETAN}_102025.xlsm").load().home.gstin == CHETAN
    assert err.count(".json: opened") + err.count(".zip: opened") == 3


def test_the_dashboard_sorts_by_tax_at_no_action_with_totals_and_links(tmp_path: Path) -> None:
    small = sample_document(BHARAT)
    small["imsDetails"] = {"b2b": small["imsDetails"]["b2b"][:2]}
    write_download(tmp_path / "bharat.json", BHARAT, small)
    full = sample_document(ACME)
    write_download(tmp_path / "acme.json", ACME, full)
    code, _, err = practice(tmp_path)
    assert code == 0, err
    rows = dashboard(tmp_path)
    assert [row["Download"].value for row in rows] == ["acme.json", "bharat.json", "2 downloads"]
    acme, bharat, total = (values(row) for row in rows)
    assert Decimal(str(acme["Tax No Action"])) == tax_at_no_action(full)
    assert Decimal(str(bharat["Tax No Action"])) == tax_at_no_action(small)
    assert acme["Records"] == 12 and bharat["Records"] == 2
    assert acme["No Action"] + acme["Accept"] + acme["Reject"] + acme["Pending"] == 12
    assert total["GSTIN"] == "Total" and total["Records"] == 14
    assert Decimal(str(total["Tax No Action"])) == tax_at_no_action(full) + tax_at_no_action(small)
    assert rows[0]["Tax No Action"].number_format == MONEY_FORMAT
    link = rows[0]["Workbook"].hyperlink
    assert link is not None and link.target == "acme.xlsm"  # relative: the folder can move
    sheet = openpyxl.load_workbook(tmp_path / "Practice.xlsx")["Clients"]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth in (1, None)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$1"


def test_a_file_name_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    write_download(tmp_path / f"=HYPERLINK(1) {ACME}.json", None)
    code, _, err = practice(tmp_path)
    assert code == 0, err
    cell = dashboard(tmp_path)[0]["Download"]
    assert cell.data_type == "s" and cell.value == f"=HYPERLINK(1) {ACME}.json"


def test_damaged_files_get_problem_rows_and_the_others_are_processed(tmp_path: Path) -> None:
    write_download(tmp_path / "acme.json", ACME)
    write_download(tmp_path / "bharat.zip", BHARAT)
    (tmp_path / "cut.json").write_text(jsonio.dumps(sample_document(CHETAN))[:300], encoding="utf-8")
    (tmp_path / "photo.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "settings.json").write_text('{"theme": "dark"}', encoding="utf-8")
    write_download(tmp_path / "unnamed client.json", None)
    code, out, err = practice(tmp_path)
    assert code == 2
    rows = {row["Download"].value: values(row) for row in dashboard(tmp_path)[:-1]}
    assert rows["acme.json"]["Problem"] is None and rows["acme.json"]["Records"] == 12
    assert rows["bharat.zip"]["Problem"] is None and rows["bharat.zip"]["Records"] == 12
    assert rows["cut.json"]["Problem"].startswith("Not valid JSON: the file is cut short")
    assert "The zip file is damaged" in rows["photo.zip"]["Problem"]
    assert "Not an IMS file" in rows["settings.json"]["Problem"]
    assert "No GSTIN" in rows["unnamed client.json"]["Problem"]
    for bad in ("cut.json", "photo.zip", "settings.json", "unnamed client.json"):
        assert rows[bad]["Records"] is None and rows[bad]["Workbook"] is None
        assert not (tmp_path / bad).with_suffix(".xlsm").exists()
        assert sum(line.startswith(f"ims-xl: {bad}: ") for line in err.splitlines()) == 1
    assert (tmp_path / "acme.xlsm").exists() and (tmp_path / "bharat.xlsm").exists()
    assert "Could not process (4):" in out
    assert list(rows) == ["acme.json", "bharat.zip", "cut.json", "photo.zip", "settings.json",
                          "unnamed client.json"]  # books by tax (equal here), then the problems


def test_upload_and_error_files_are_skipped(tmp_path: Path) -> None:
    write_download(tmp_path / "acme.json", ACME)
    (tmp_path / "IMS_upload_old.json").write_text('{"rtin": "x", "reqtyp": "SAVE", "invdata": {}}')
    (tmp_path / "renamed upload.json").write_text(jsonio.dumps({"rtin": ACME, "reqtyp": "SAVE", "invdata": {}}))
    (tmp_path / "portal errors.json").write_text(jsonio.dumps({"gstin": ACME, "imsDetailsErr": {"b2b": []}}))
    code, out, err = practice(tmp_path)
    assert code == 0, err
    assert [row["Download"].value for row in dashboard(tmp_path)[:-1]] == ["acme.json"]
    assert out.startswith("1 download: 1 opened")
    assert not (tmp_path / "renamed upload.xlsm").exists() and not (tmp_path / "portal errors.xlsm").exists()


def test_a_rerun_keeps_typed_decisions_and_updates_the_dashboard(tmp_path: Path) -> None:
    document = sample_document(ACME)
    write_download(tmp_path / "acme.json", ACME, document)
    write_download(tmp_path / "bharat.json", BHARAT)
    assert practice(tmp_path)[0] == 0
    acme_book, bharat_book = tmp_path / "acme.xlsm", tmp_path / "bharat.xlsm"
    before = values(next(row for row in dashboard(tmp_path) if row["Download"].value == "acme.json"))

    set_inputs(acme_book, {("b2b", 0): {"status": "Accept"}})
    code, out, err = practice(tmp_path)
    assert code == 0, err
    assert "0 opened, 0 refreshed, 2 unchanged" in out
    assert FilePort(acme_book).load().entries["b2b"][0].status == "Accept"
    assert log_actions(acme_book).count("Open") == 1 and "Refresh" not in log_actions(acme_book)
    after = values(next(row for row in dashboard(tmp_path) if row["Download"].value == "acme.json"))
    first = document["imsDetails"]["b2b"][0]
    first_tax = sum(Decimal(str(first[head])) for head in ("iamt", "camt", "samt", "cess"))
    assert after["Accept"] == before["Accept"] + 1 and after["No Action"] == before["No Action"] - 1
    assert Decimal(str(after["Tax No Action"])) == Decimal(str(before["Tax No Action"])) - first_tax

    # A newer download for Acme: taken in with refresh, the decision kept; Bharat's book untouched by it.
    newer = sample_document(ACME)
    extra = dict(newer["imsDetails"]["b2b"][1], inum="NEW/2025/0001")
    newer["imsDetails"]["b2b"].append(extra)
    write_download(tmp_path / "acme.json", ACME, newer)
    code, out, err = practice(tmp_path)
    assert code == 0, err
    assert "0 opened, 1 refreshed, 1 unchanged" in out
    state = FilePort(acme_book).load()
    assert state.entries["b2b"][0].status == "Accept" and len(state.all_entries()) == 13
    assert log_actions(acme_book).count("Open") == 1 and log_actions(acme_book).count("Refresh") == 1
    assert log_actions(bharat_book).count("Open") == 1 and "Refresh" not in log_actions(bharat_book)
    assert values(next(row for row in dashboard(tmp_path) if row["Download"].value == "acme.json"))["Records"] == 13


def test_a_book_with_errors_exits_1_and_is_listed(tmp_path: Path) -> None:
    write_download(tmp_path / "acme.json", ACME)
    write_download(tmp_path / "bharat.json", BHARAT)
    assert practice(tmp_path)[0] == 0
    set_inputs(tmp_path / "bharat.xlsm", {("b2b", 0): {"status": "Maybe"}})
    code, out, _ = practice(tmp_path)
    assert code == 1
    assert "Books with validation errors (1):\n  bharat.xlsm: 1 error" in out
    rows = {row["Download"].value: values(row) for row in dashboard(tmp_path)[:-1]}
    assert rows["bharat.json"]["Errors"] == 1 and rows["acme.json"]["Errors"] == 0


def test_generate_writes_uploads_only_for_clean_books_with_changes(tmp_path: Path) -> None:
    for name, gstin in (("acme", ACME), ("bharat", BHARAT), ("chetan", CHETAN)):
        write_download(tmp_path / f"{name}.json", gstin)
    assert practice(tmp_path)[0] == 0
    set_inputs(tmp_path / "acme.xlsm", {("b2b", 1): {"status": "Reject", "remarks": "No goods received"}})
    set_inputs(tmp_path / "bharat.xlsm", {("b2b", 0): {"status": "Maybe"}})  # an error
    code, out, err = practice(tmp_path, "--generate")
    assert code == 1, err
    uploads = sorted(path.name for path in tmp_path.glob("IMS_upload_*.json"))
    assert len(uploads) == 1 and uploads[0].startswith(f"IMS_upload_{ACME}_")
    upload = jsonio.loads((tmp_path / uploads[0]).read_text())
    assert upload["rtin"] == ACME and [r["action"] for r in upload["invdata"]["b2b"]] == ["R"]
    assert "Books with validation errors (1, not generated):\n  bharat.xlsm: 1 error" in out
    assert f"Uploads written (1):\n  {uploads[0]}" in out
    rows = {row["Download"].value: values(row) for row in dashboard(tmp_path)[:-1]}
    assert rows["acme.json"]["Last Upload"].startswith(f"{uploads[0]}, ")
    assert rows["bharat.json"]["Last Upload"] is None and rows["chetan.json"]["Last Upload"] is None

    # Nothing new since: the rerun writes no second copy, and the upload file is no client.
    code, out, _ = practice(tmp_path, "--generate")
    assert code == 1
    assert sorted(path.name for path in tmp_path.glob("IMS_upload_*.json")) == uploads
    assert "No upload files written." in out
    assert len(dashboard(tmp_path)) == 4


@pytest.mark.parametrize("lock_name", ["~$acme.xlsm", ".~lock.acme.xlsm#"])
def test_a_book_open_in_excel_or_libreoffice_is_reported_not_rewritten(tmp_path: Path, lock_name: str) -> None:
    write_download(tmp_path / "acme.json", ACME)
    write_download(tmp_path / "bharat.json", BHARAT)
    assert practice(tmp_path)[0] == 0
    book = tmp_path / "acme.xlsm"
    before = book.read_bytes()
    (tmp_path / lock_name).write_bytes(b"someone")
    newer = sample_document(ACME)
    newer["imsDetails"]["b2b"].pop()
    write_download(tmp_path / "acme.json", ACME, newer)
    code, out, err = practice(tmp_path)
    assert code == 2
    assert book.read_bytes() == before
    assert f"ims-xl: acme.json: acme.xlsm is open in Excel or LibreOffice ({lock_name} beside it)" in err
    rows = {row["Download"].value: values(row) for row in dashboard(tmp_path)[:-1]}
    assert "is open in Excel or LibreOffice" in rows["acme.json"]["Problem"]
    assert rows["acme.json"]["Records"] == 12  # the book as it is now
    assert rows["bharat.json"]["Problem"] is None and "1 unchanged" in out


def test_two_downloads_for_one_book_are_both_refused(tmp_path: Path) -> None:
    write_download(tmp_path / "acme.json", ACME)
    write_download(tmp_path / "acme.zip", ACME)
    code, _, err = practice(tmp_path)
    assert code == 2
    assert not (tmp_path / "acme.xlsm").exists()
    assert err.count("would use the same workbook acme.xlsm") == 2


def test_a_folder_without_downloads_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = practice(tmp_path)
    assert code == 2 and "no IMS downloads" in err
    assert not (tmp_path / "Practice.xlsx").exists()


def test_a_damaged_workbook_is_reported_and_left_alone(tmp_path: Path) -> None:
    write_download(tmp_path / "acme.json", ACME)
    write_download(tmp_path / "bharat.json", BHARAT)
    assert practice(tmp_path)[0] == 0
    book = tmp_path / "acme.xlsm"
    book.write_bytes(book.read_bytes()[:2000])
    damaged = book.read_bytes()
    code, _, err = practice(tmp_path)
    assert code == 2 and book.read_bytes() == damaged
    rows = {row["Download"].value: values(row) for row in dashboard(tmp_path)[:-1]}
    assert rows["acme.json"]["Problem"].startswith("acme.xlsm: not an Excel workbook that can be read")
    assert rows["bharat.json"]["Problem"] is None
    assert "ims-xl: acme.json: acme.xlsm: not an Excel workbook" in err


def test_two_books_of_one_client_never_share_an_upload_name(tmp_path: Path) -> None:
    from ims_xl.commands.practice import _reserve

    upload = tmp_path / f"IMS_upload_{ACME}_20251015-101010.json"
    first, second = _reserve(upload), _reserve(upload)
    assert first == upload and second.name == f"IMS_upload_{ACME}_20251015-101010-2.json"
    assert not is_download_candidate(second.name)


def test_the_dashboard_names_each_client_and_period_and_highlights_what_needs_attention(tmp_path: Path) -> None:
    write_download(tmp_path / "acme.json", ACME)
    (tmp_path / "cut.json").write_text(jsonio.dumps(sample_document(CHETAN))[:300], encoding="utf-8")
    practice(tmp_path)
    assert DASHBOARD_HEADERS[:4] == ("GSTIN", "Client", "Period", "Problem")  # the problem where the eye starts
    rows = {row["Download"].value: values(row) for row in dashboard(tmp_path)[:-1]}
    assert (rows["acme.json"]["Client"], rows["acme.json"]["Period"]) == ("acme", "October 2025")
    assert rows["cut.json"]["Client"] == "cut" and rows["cut.json"]["Problem"]
    sheet = openpyxl.load_workbook(tmp_path / "Practice.xlsx")["Clients"]
    cut_row = next(cell.row for cell in sheet["E"] if cell.value == "cut.json")
    highlighted = {str(rule_range.sqref) for rule_range in sheet.conditional_formatting}
    last = get_column_letter(len(DASHBOARD_HEADERS))  # the whole row, to the last column
    assert highlighted == {f"A{cut_row}:{last}{cut_row}"}  # acme has no errors: not highlighted
