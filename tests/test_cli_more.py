"""ims-xl reconcile and refresh from the command line, and the sheets they leave behind."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl

from ims_xl.core import jsonio
from tests.conftest import SAMPLE
from tests.test_cli import cell_texts, run, set_inputs

REGISTER_HEADER = "Supplier GSTIN,Document Number,Document Date,Document Type,Taxable Value,IGST,CGST,SGST,Cess\n"


def write_register(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "register.csv"
    path.write_text(REGISTER_HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_reconcile_suggests_and_explains_each_row(sample_book: Path, tmp_path: Path) -> None:
    register = write_register(tmp_path, [
        "27AABCS1429B1ZU,SGT-2025-417,04/10/2025,Invoice,120932.18,0,10883.91,10883.91,0",  # matches
        "24AAACR5055K1ZD,123,11-10-2025,Invoice,50000,9100,0,0,0",  # IGST differs
        "29AAGCT8734C1Z4,2025260000004512,18-10-2025,Invoice,10000.42,1800.08,0,0,0",  # date differs
        "27AAFCD5862R1ZV,CN-0008,28-10-2025,Credit Note,10000,0,900,900,0",  # credit note matches
        "33AABCT3518Q1Z3,DN/25/099,22-10-2025,Debit Note,100,18,0,0,0",  # not in IMS
    ])
    code, out, err = run("-q", "reconcile", sample_book, register)
    assert code == 0, err
    assert out.startswith("Reconciled 12 IMS records with 5 register entries")
    results = cell_texts(sample_book, "B2B", "Match Result")
    assert results[0] == "Matched"
    assert results[1] == "IGST differs: 9,000.00 in IMS, 9,100.00 in books"
    assert results[2] == "Matched by number; date differs by 3 days"
    assert results[3] == "Not in purchase register"
    assert cell_texts(sample_book, "B2B", "Suggested Action") == ["Accept", "Pending", "Accept", "Pending"]
    assert cell_texts(sample_book, "B2B-CN", "Suggested Action")[1] == "Accept"
    # Pending is blocked for CN-0007: no suggestion, and the reason says so.
    assert cell_texts(sample_book, "B2B-CN", "Match Result")[0].endswith("decide Accept or Reject)")
    assert cell_texts(sample_book, "B2B", "Status") == ["No Action", "No Action", "Accept", "Pending"]
    workbook = openpyxl.load_workbook(sample_book, read_only=True)
    not_in_ims = [row for row in workbook["Not in IMS"].iter_rows(min_row=4, values_only=True) if any(row)]
    assert [(row[0], row[1]) for row in not_in_ims] == [("33AABCT3518Q1Z3", "DN/25/099")]
    summary = {row[1]: row[2] for row in workbook["Home"].iter_rows(min_row=29, max_row=34, values_only=True)}
    assert summary["Matched"] == 2 and summary["Not in IMS (register only)"] == 1


def test_reconcile_apply_never_overrides_a_users_choice(sample_book: Path, tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Reject", "remarks": "Wrong rate"}})
    register = write_register(tmp_path, [
        "27AABCS1429B1ZU,SGT/2025/0417,04-10-2025,Invoice,120932.18,0,10883.91,10883.91,0",
        "24AAACR5055K1ZD,000123,11-10-2025,Invoice,50000,9000,0,0,0",
    ])
    code, out, _ = run("-q", "reconcile", sample_book, register, "--apply")
    assert code == 0 and "applied" in out
    statuses = cell_texts(sample_book, "B2B", "Status")
    assert statuses[0] == "Reject"  # the user's choice stands, though the books match
    assert statuses[1] == "Accept"  # untouched and matched: applied


def test_reconcile_bad_register_is_one_line(sample_book: Path, tmp_path: Path) -> None:
    register = write_register(tmp_path, ["27AABCS1429B1ZU,X1,31-02-2025,Invoice,1,0,0,0,0"])
    before = sample_book.read_bytes()
    code, _, err = run("-q", "reconcile", sample_book, register)
    assert code == 2 and err.count("\n") == 1 and "register.csv row 2, Document Date" in err
    assert sample_book.read_bytes() == before
    assert run("-q", "reconcile", sample_book, register, "--tolerance", "abc")[0] == 2


def newer_download(tmp_path: Path) -> Path:
    """The sample a few days later: one invoice edited, one new, one gone."""
    document = jsonio.loads(SAMPLE.read_text())
    b2b = document["imsDetails"]["b2b"]
    b2b[2]["txval"] = Decimal("12000.42")
    b2b[2]["iamt"] = Decimal("2160.08")
    b2b.append(dict(b2b[0], inum="SGT/2025/0501", idt="30-10-2025"))
    document["imsDetails"]["ecom"] = []
    path = tmp_path / "newer.json"
    path.write_text(jsonio.dumps(document))
    return path


def test_refresh_keeps_work_and_reports_supplier_changes(sample_book: Path, tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}, ("b2b", 2): {"status": "Reject",
                                                                           "remarks": "Rate wrong"},
                             ("ecom", 0): {"status": "Reject", "remarks": "Not ours"}})
    code, out, err = run("-q", "refresh", sample_book, newer_download(tmp_path))
    assert code == 0, err
    assert "1 changed by a supplier" in out and "1 new" in out and "1 removed" in out
    assert "Previous workbook kept as" in out
    statuses = cell_texts(sample_book, "B2B", "Status")
    assert statuses[0] == "Accept"  # unchanged record keeps the user's decision
    assert statuses[2] == "Accept"  # edited: back to the portal's action (it was Accepted there)
    notes = cell_texts(sample_book, "B2B", "Refresh Notes")
    assert notes[2].startswith("Changed by supplier: Taxable Value 10,000.42 -> 12,000.42")
    assert "your Status was Reject" in notes[2]
    assert notes[4].startswith("New in the download of")
    removed = [row for row in openpyxl.load_workbook(sample_book, read_only=True)["Removed from Portal"]
               .iter_rows(min_row=4, values_only=True) if any(row)]
    assert [(row[0], row[3], row[8], row[9]) for row in removed] == [("ECO", "QC000981", "Reject", "Not ours")]


def test_refresh_with_the_same_download_changes_only_the_log(sample_book: Path, sample_json: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accept"}})
    before = {sheet: cell_texts(sample_book, sheet, "Status") for sheet in ("B2B", "B2B-CN")}
    code, out, _ = run("-q", "refresh", sample_book, sample_json)
    assert code == 0 and "nothing new, changed or removed" in out
    assert {sheet: cell_texts(sample_book, sheet, "Status") for sheet in ("B2B", "B2B-CN")} == before
    log = [row[1] for row in openpyxl.load_workbook(sample_book, read_only=True)["Change Log"]
           .iter_rows(min_row=4, values_only=True) if any(row)]
    assert log == ["Open", "Refresh"]


def test_refresh_for_another_client_is_refused(sample_book: Path, tmp_path: Path) -> None:
    document = jsonio.loads(SAMPLE.read_text())
    document["gstin"] = "07AABFL2260Q2Z2"
    other = tmp_path / "other.json"
    other.write_text(jsonio.dumps(document))
    before = sample_book.read_bytes()
    code, _, err = run("-q", "refresh", sample_book, other)
    assert code == 2 and "07AABFL2260Q2Z2" in err and sample_book.read_bytes() == before
