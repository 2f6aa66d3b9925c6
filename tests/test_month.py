"""A month's work as a sequence: open, decide, refresh, upload, error file, refresh again. Each step
keeps the user's work and says what it did (issue 23)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import openpyxl

from ims_xl import macros
from ims_xl.cli import main
from ims_xl.core import jsonio
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.fileport import FilePort
from tests.conftest import SAMPLE
from tests.xlwings_fake import FakeBook


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def sample() -> dict[str, Any]:
    document: dict[str, Any] = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    return document


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(jsonio.dumps(document), encoding="utf-8")
    return path


def statuses(book: Path, key: str) -> list[Any]:
    return [entry.status for entry in FilePort(book).load().entries[key]]


def decide(book: Path, key: str, index: int, **values: Any) -> None:
    port = FilePort(book)
    state = port.load()
    for name, value in values.items():
        setattr(state.entries[key][index], name, value)
    port.save(state, None, frozenset({"status", "remarks", "itc"}))


def removed_count(book: Path) -> int:
    return len(FilePort(book).load().removed)


# --- refresh guards ---------------------------------------------------------------------------------


def test_a_download_of_another_period_is_refused_without_force(sample_book: Path, tmp_path: Path) -> None:
    decide(sample_book, "b2b", 0, status="Reject")
    september = sample()
    september["rtnprd"] = "092025"
    before = sample_book.read_bytes()

    code, _, err = run("-q", "refresh", sample_book, write(tmp_path / "sep.json", september))

    assert code == 2
    assert err.strip().endswith("[download-doubtful]")
    assert "this download has period 092025; the book is for 102025" in err
    assert sample_book.read_bytes() == before

    code, out, _ = run("-q", "refresh", sample_book, tmp_path / "sep.json", "--force")
    assert code == 0 and out.startswith("Refreshed: 12 unchanged")
    assert statuses(sample_book, "b2b")[0] == "Reject"


def test_a_download_with_few_of_the_books_records_is_refused_saying_how_many(sample_book: Path,
                                                                             tmp_path: Path) -> None:
    partial = sample()
    details = partial["imsDetails"]
    for key in ("b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma"):
        details[key] = []
    details["b2b"] = details["b2b"][:2]
    partial["rtnprd"] = "092025"

    code, _, err = run("-q", "refresh", sample_book, write(tmp_path / "partial.json", partial))

    assert code == 2
    assert ("partial.json: this download has 2 of the book's 12 records and period 092025; the book is for "
            "102025") in err
    assert removed_count(sample_book) == 0


def test_a_download_holding_none_of_the_books_records_is_refused(sample_book: Path, tmp_path: Path) -> None:
    other = sample()
    for records in other["imsDetails"].values():
        for record in records:
            record["stin"] = "33GSPTN0481G1ZA"

    code, _, err = run("-q", "refresh", sample_book, write(tmp_path / "other.json", other))

    assert code == 2 and "this download has 0 of the book's 12 records" in err


def test_an_older_download_taken_before_is_refused(sample_json: Path, tmp_path: Path) -> None:
    sample_book = tmp_path / "book.xlsm"
    assert run("-q", "open", sample_json, "-o", sample_book)[0] == 0
    newer = sample()
    newer["imsDetails"]["b2b"][0]["action"] = "A"
    assert run("-q", "refresh", sample_book, write(tmp_path / "newer.json", newer))[0] == 0

    code, _, err = run("-q", "refresh", sample_book, sample_json)

    assert code == 2 and "[download-doubtful]" in err
    assert "this download was taken in on " in err and "it is older" in err
    # The newest one again is no doubt: nothing new, nothing refused.
    assert run("-q", "refresh", sample_book, tmp_path / "newer.json")[0] == 0


def test_the_refresh_button_asks_before_taking_a_doubtful_download(sample_book: Path, tmp_path: Path) -> None:
    september = sample()
    september["rtnprd"] = "092025"
    path = write(tmp_path / "sep.json", september)

    declined = FakeBook.from_file(sample_book, answers=["no"])
    macros.refresh_download(port=XlwingsPort(declined), path=str(path))
    [question] = declined.app.alerts
    assert question["buttons"] == "yes_no"
    assert "this download has period 092025; the book is for 102025" in question["prompt"]
    assert question["prompt"].endswith("Take it anyway?")
    assert declined.count("write") == 0

    accepted = FakeBook.from_file(sample_book, answers=["yes"])
    macros.refresh_download(port=XlwingsPort(accepted), path=str(path))
    assert accepted.app.alerts[-1]["prompt"].startswith("Refreshed: 12 unchanged")


# --- error file guards ------------------------------------------------------------------------------


def error_file(tmp_path: Path, name: str = "error.json", period: str | None = None) -> Path:
    details = sample()["imsDetails"]
    record = dict(details["b2bcn"][1], error_msg="Error! Please enter value for the column itcRedReq.")
    document: dict[str, Any] = {"imsDetailsErr": {"b2bcn": [record]}}
    if period:
        document["rtnprd"] = period
    return write(tmp_path / name, document)


def test_an_error_file_of_another_period_is_refused_without_force(sample_book: Path, tmp_path: Path) -> None:
    path = error_file(tmp_path, period="092025")

    code, _, err = run("-q", "errors", path, sample_book)
    assert code == 2 and err.strip().endswith("[error-file-doubtful]")
    assert "this error file is for period 092025; the book is for 102025" in err

    assert run("-q", "errors", path, sample_book, "--force")[0] == 0


def test_an_error_file_older_than_the_last_upload_is_refused(sample_book: Path, tmp_path: Path) -> None:
    path = error_file(tmp_path)
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    decide(sample_book, "b2b", 0, status="Reject")
    assert run("-q", "generate", sample_book, "-o", tmp_path / "up.json")[0] == 0

    code, _, err = run("-q", "errors", path, sample_book)

    assert code == 2 and "[error-file-doubtful]" in err
    assert "before the last upload was generated" in err and "it is for an earlier upload" in err


def test_the_same_error_file_opened_before_the_last_upload_is_refused(sample_book: Path, tmp_path: Path) -> None:
    path = error_file(tmp_path)
    assert run("-q", "errors", path, sample_book)[0] == 0
    assert run("-q", "errors", path, sample_book)[0] == 0  # again, before any new upload: fine
    decide(sample_book, "b2bcn", 1, status="Accept", itc="Yes")
    assert run("-q", "generate", sample_book, "-o", tmp_path / "up.json")[0] == 0
    os.utime(path)  # even saved just now: its content was taken before the upload

    code, _, err = run("-q", "errors", path, sample_book)

    assert code == 2 and "this error file was opened before the last upload was generated" in err


def workbook_cell(book: Path, sheet: str, row: int, header: str) -> Any:
    workbook = openpyxl.load_workbook(book, read_only=True)
    rows = list(workbook[sheet].iter_rows(min_row=4, values_only=True))
    return rows[row - 4][list(rows[0]).index(header)]


# --- suggestions leave an uploadable book (D8) ------------------------------------------------------

_TYPES = {"b2b": "Invoice", "b2ba": "Invoice", "b2bdn": "Debit Note", "b2bdna": "Debit Note",
          "b2bcn": "Credit Note", "b2bcna": "Credit Note", "ecom": "Invoice", "ecoma": "Invoice"}


def register_of_everything(tmp_path: Path) -> Path:
    """A purchase register that books every document of the sample exactly as the portal has it."""
    lines = ["Supplier GSTIN,Document Number,Document Date,Document Type,Taxable Value,IGST,CGST,SGST,Cess"]
    for key, records in sample()["imsDetails"].items():
        for r in records:
            number, day = (r["nt_num"], r["nt_dt"]) if "nt_num" in r else (r["inum"], r["idt"])
            lines.append(",".join(str(v) for v in (r["stin"], number, day, _TYPES[key], r["txval"], r["iamt"],
                                                   r["camt"], r["samt"], r["cess"])))
    path = tmp_path / "register.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_applied_suggestions_validate_without_errors_and_send_itc_yes(sample_book: Path, tmp_path: Path) -> None:
    code, out, _ = run("-q", "reconcile", sample_book, register_of_everything(tmp_path), "--apply")
    assert code == 0 and "applied" in out
    assert statuses(sample_book, "b2bcn")[1] == "Accept"

    code, out, _ = run("validate", sample_book)
    assert code == 0 and "no errors" in out.splitlines()[0]
    assert "itc-answer-defaulted" in out

    assert run("-q", "generate", sample_book, "-o", tmp_path / "up.json")[0] == 0
    sent = jsonio.loads((tmp_path / "up.json").read_text())["invdata"]
    accepted_notes = [r for r in sent["b2bcn"] if r["action"] == "A"]
    assert accepted_notes and all(r["itcRedReq"] == "Y" for r in accepted_notes)
    assert not any(key.startswith("decl") for r in accepted_notes for key in r)


def test_suggest_actions_button_with_apply_leaves_no_errors(sample_book: Path, tmp_path: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    macros.suggest_actions(port=XlwingsPort(fake), path=str(register_of_everything(tmp_path)), apply=True)
    assert "applied" in fake.app.alerts[-1]["prompt"]

    macros.validate_sheet(port=XlwingsPort(fake))

    assert fake.app.alerts[-1]["title"] == "ims-xl"  # not "please fix"
    assert "no errors" in fake.app.alerts[-1]["prompt"]


# --- decisions reset by a refresh are visible --------------------------------------------------------


def home_value(book: Path, field: str) -> Any:
    from ims_xl.core import layout

    cell = layout.HOME_FIELD[field].cell
    return openpyxl.load_workbook(book, read_only=True)["Home"].cell(cell.row, cell.column).value


def assert_status_highlighted(book: Path, sheet_name: str, row: int) -> None:
    """The Status cell's rule for a reset decision is on the sheet and holds for the row: its Refresh
    Notes say "decide again" and its Status is still the portal's (Previous Status)."""
    from openpyxl.utils import get_column_letter

    from ims_xl.core.layout import RESET_MARK
    from ims_xl.core.sections import BY_SHEET

    section = BY_SHEET[sheet_name]
    sheet = openpyxl.load_workbook(book)[sheet_name]
    letter = {name: get_column_letter(section.index(name) + 1) for name in ("status", "refresh_note",
                                                                           "previous_status")}
    formulas = [rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules
                if f"{letter['status']}{row}" in cf.sqref]
    assert any(f'SEARCH("{RESET_MARK}",${letter["refresh_note"]}' in f and
               f'${letter["status"]}5=${letter["previous_status"]}5' in f for f in formulas), formulas
    value = {name: sheet[f"{column}{row}"].value for name, column in letter.items()}
    assert RESET_MARK in value["refresh_note"] and value["status"] == value["previous_status"]


def supplier_edited(tmp_path: Path) -> Path:
    """The sample a day later: the supplier changed the taxable value of the first B2B invoice."""
    newer = sample()
    newer["imsDetails"]["b2b"][0]["txval"] = 120000
    return write(tmp_path / "newer.json", newer)


def summary_json(book: Path) -> dict[str, Any]:
    code, out, _ = run("-q", "summary", book, "--json")
    assert code == 0
    document: dict[str, Any] = jsonio.loads(out)
    return document


def test_a_decision_reset_by_a_supplier_edit_is_named_counted_and_reported(sample_book: Path,
                                                                           tmp_path: Path) -> None:
    decide(sample_book, "b2b", 0, status="Reject", remarks="Rate wrong")
    decide(sample_book, "b2b", 1, status="Accept")

    code, out, _ = run("-q", "refresh", sample_book, supplier_edited(tmp_path))

    assert code == 0
    assert out.splitlines()[0].endswith("1 of your decisions was reset because the supplier changed the "
                                        "document: B2B row 5 — decide again.")
    assert statuses(sample_book, "b2b")[:2] == ["No Action", "Accept"]
    assert_status_highlighted(sample_book, "B2B", 5)
    assert home_value(sample_book, "last_refresh") == "1 decision reset (decide again)"
    assert summary_json(sample_book)["refresh"]["reset"] == {"count": 1, "rows": {"B2B": [5]}}
    code, out, _ = run("summary", sample_book)
    assert "Decisions reset by the last refresh (decide again): 1 (B2B rows 5)" in out


def test_the_refresh_button_says_which_decisions_were_reset(sample_book: Path, tmp_path: Path) -> None:
    fake = FakeBook.from_file(sample_book)
    port = XlwingsPort(fake)
    state = port.load()
    state.entries["b2b"][0].status = "Reject"
    port.save(state, None, frozenset({"status"}))

    macros.refresh_download(port=XlwingsPort(fake), path=str(supplier_edited(tmp_path)))

    assert fake.app.alerts[-1]["prompt"].endswith("B2B row 5 — decide again.")
    from ims_xl.core import layout

    cell = layout.HOME_FIELD["last_refresh"].cell
    assert fake.sheets["Home"].value_at(cell.row, cell.column) == "1 decision reset (decide again)"


# --- confirmed by the portal ------------------------------------------------------------------------


def portal_took_one(tmp_path: Path) -> Path:
    """The download after the upload: the portal shows the Reject of row 5, not the Accept of row 6."""
    after = sample()
    after["imsDetails"]["b2b"][0]["action"] = "R"
    return write(tmp_path / "after.json", after)


def test_refresh_after_an_upload_says_which_uploaded_decisions_the_portal_shows(sample_json: Path,
                                                                               tmp_path: Path) -> None:
    book = tmp_path / "book.xlsm"
    assert run("-q", "open", sample_json, "-o", book)[0] == 0
    decide(book, "b2b", 0, status="Reject", remarks="Not received")
    decide(book, "b2b", 1, status="Accept")
    assert run("-q", "generate", book, "-o", tmp_path / "up.json")[0] == 0

    code, out, _ = run("-q", "refresh", book, portal_took_one(tmp_path))

    assert code == 0
    assert ("Of the decisions uploaded, 1 is confirmed by the portal, 1 not (yet) applied by the portal: "
            "B2B row 6.") in out
    assert home_value(book, "last_refresh") == (
        "of the decisions uploaded, 1 confirmed by the portal, 1 not (yet) applied by the portal")
    refresh = summary_json(book)["refresh"]
    assert refresh["confirmed"] == {"count": 1, "rows": {"B2B": [5]}}
    assert refresh["unconfirmed"] == {"count": 1, "rows": {"B2B": [6]}}
    notes = [entry.refresh_note for entry in FilePort(book).load().entries["b2b"][:2]]
    assert notes == ["Uploaded Reject: confirmed by the portal",
                     "Uploaded Accept, the portal shows No Action: not (yet) applied by the portal"]


def test_refresh_without_an_upload_in_between_confirms_nothing(sample_json: Path, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsm"
    assert run("-q", "open", sample_json, "-o", book)[0] == 0
    decide(book, "b2b", 1, status="Accept")

    code, out, _ = run("-q", "refresh", book, portal_took_one(tmp_path))

    assert code == 0 and "uploaded" not in out
    assert summary_json(book)["refresh"]["unconfirmed"]["count"] == 0


def test_the_practice_dashboard_counts_what_the_portal_confirmed(tmp_path: Path) -> None:
    from tests.test_practice import ACME, dashboard, practice, sample_document, set_inputs, values, write_download

    write_download(tmp_path / "acme.json", ACME)
    assert practice(tmp_path)[0] == 0
    set_inputs(tmp_path / "acme.xlsm", {("b2b", 0): {"status": "Reject", "remarks": "Not received"},
                                        ("b2b", 1): {"status": "Accept"}})
    assert practice(tmp_path, "--generate")[0] == 0
    [before] = [values(row) for row in dashboard(tmp_path)[:-1]]
    assert ", generated " in before["Last Upload"] and "confirmed" not in before["Last Upload"]

    after = sample_document(ACME)
    after["imsDetails"]["b2b"][0]["action"] = "R"  # the portal took the Reject, not (yet) the Accept
    write_download(tmp_path / "acme.json", ACME, after)
    assert practice(tmp_path)[0] == 0

    [row] = [values(row) for row in dashboard(tmp_path)[:-1]]
    assert (row["Confirmed"], row["Not Applied"]) == (1, 1)
    assert "; partly confirmed by the portal " in row["Last Upload"]


# --- the demo -----------------------------------------------------------------------------------------


def test_the_demo_shows_a_refresh_that_resets_one_decision_and_says_so(tmp_path: Path) -> None:
    code, out, _ = run("-q", "demo", tmp_path / "demo")
    assert code == 0
    [step] = [line for line in out.splitlines() if line.strip().startswith("Refreshed:")]
    assert "Of the decisions uploaded, 3 are confirmed by the portal." in step
    assert step.endswith("1 of your decisions was reset because the supplier changed the document: B2B row 6 — "
                         "decide again.")
    state = FilePort(tmp_path / "demo" / "sample_download.xlsm").load()
    assert state.entries["b2b"][1].status == "No Action" and "decide again" in state.entries["b2b"][1].refresh_note
