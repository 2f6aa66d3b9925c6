"""The purchase register is read whole (issue 24): every bad cell at once, the good rows matched;
amounts as exports write them; UTF-16 files."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from ims_xl.cli import main
from ims_xl.core import layout
from ims_xl.core.amounts import parse_amount, parse_register_amount
from ims_xl.files.register import read_register_file

HEADER = "Supplier GSTIN,Document Number,Document Date,Taxable Value,IGST,CGST,SGST"
SHREE_GANESH = "27AABCS1429B1ZU,SGT/2025/0417,04-10-2025"  # a B2B invoice of the sample download


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write_csv(tmp_path: Path, *lines: str, name: str = "register.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join((HEADER, *lines)).encode(encoding))
    return path


def not_in_ims(book: Path) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(book, read_only=True)[layout.NOT_IN_IMS]
    rows = list(sheet.iter_rows(min_row=layout.NOT_IN_IMS_TABLE.first_row, values_only=True))
    return [dict(zip(layout.NOT_IN_IMS_HEADERS, row, strict=False)) for row in rows if any(row)]


def match_result(book: Path, number: str) -> str:
    sheet = openpyxl.load_workbook(book, read_only=True)["B2B"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    header = list(rows[0])
    row = next(row for row in rows[1:] if row[header.index("Invoice Number")] == number)
    return str(row[header.index("Match Result")])


def test_every_bad_cell_is_reported_at_once_and_the_good_rows_are_matched(sample_book: Path, tmp_path: Path) -> None:
    register = write_csv(tmp_path,
                         f"{SHREE_GANESH},120932.18,0,10883.91,10883.91",
                         "27AABCS1429B1ZU,X-1,31-02-2025,abc,18 rupees,0,0",
                         ",X-2,01-10-2025,100,18,0,0")
    code, out, err = run("-q", "reconcile", sample_book, register)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Reconciled 12 IMS records with 1 register entry: 1 matched")
    assert lines[0].endswith("; 2 register rows not read (4 problems, listed on the Not in IMS sheet)")
    assert lines[1:] == [
        "  Register problems (4):",
        "  register.csv row 3, Document Date: '31-02-2025' is not a date (write dd-mm-yyyy)",
        "  register.csv row 3, Taxable Value: 'abc' is not an amount",
        "  register.csv row 3, IGST: '18 rupees' is not an amount",
        "  register.csv row 4, Supplier GSTIN: is blank (purchases from unregistered suppliers never reach IMS: "
        "leave them out)",
    ]
    assert match_result(sample_book, "SGT/2025/0417") == "Matched"
    rows = not_in_ims(sample_book)
    assert [(row["Supplier GSTIN"], row["Document Number"], row["Register Row"]) for row in rows] == [
        ("27AABCS1429B1ZU", "X-1", 3), ("27AABCS1429B1ZU", "X-1", 3), ("27AABCS1429B1ZU", "X-1", 3), (None, "X-2", 4)]
    assert rows[1]["Follow-up"] == (
        "Not read: register.csv row 3, Taxable Value: 'abc' is not an amount; fix the register and reconcile again")
    assert {row["Kind of Row"] for row in rows} == {"Not read from register"}


def test_register_problems_are_not_letters_to_suppliers(sample_book: Path, tmp_path: Path) -> None:
    register = write_csv(tmp_path, f"{SHREE_GANESH},120932.18,0,10883.91,10883.91", "27AABCS1429B1ZU,X-1,,1,x,0,0")
    assert run("-q", "reconcile", sample_book, register)[0] == 0
    code, _, _ = run("-q", "suppliers", sample_book, "-o", tmp_path / "pack.xlsx")
    assert code == 0
    documents = openpyxl.load_workbook(tmp_path / "pack.xlsx", read_only=True)["Documents"]
    assert not any("X-1" in [str(value) for value in row] for row in documents.iter_rows(values_only=True))


def test_a_register_with_no_readable_row_is_refused_with_the_count(sample_book: Path, tmp_path: Path) -> None:
    register = write_csv(tmp_path, "27AABCS1429B1ZU,X-1,31-02-2025,100,x,0,0", "27AABCS1429B1ZU,X-2,,100,y,0,0")
    before = sample_book.read_bytes()
    code, _, err = run("-q", "reconcile", sample_book, register)
    assert code == 2
    assert err == ("ims-xl: error: register.csv row 2, Document Date: '31-02-2025' is not a date (write dd-mm-yyyy) "
                   "(and 2 more problems; no row could be read) [bad-register-value]\n")
    assert sample_book.read_bytes() == before


@pytest.mark.parametrize(("written", "amount"), [
    ("₹ 1,20,932.18", "120932.18"), ("Rs. 10,883.91", "10883.91"), ("  10883.91  ", "10883.91"),
    ("10,883.91 Dr", "10883.91"), ("10883.91Dr.", "10883.91"), ("10,883.91 Cr", "-10883.91"),
    ("\u20b910,883.91\u00a0Cr", "-10883.91"), ("INR 0", "0"),
])
def test_amounts_as_exports_write_them(written: str, amount: str) -> None:
    assert parse_register_amount(written) == Decimal(amount)


@pytest.mark.parametrize("written", ["Cr", "₹", "10 Crore", "1 0883", "2,50 Dr"])
def test_what_is_still_not_an_amount(written: str) -> None:
    with pytest.raises(ValueError, match="is not an amount"):
        parse_register_amount(written)
    with pytest.raises(ValueError):
        parse_amount(written)  # a declared amount on the sheet stays strict


def test_a_register_with_rupee_signs_and_dr_matches(sample_book: Path, tmp_path: Path) -> None:
    register = write_csv(tmp_path, f'{SHREE_GANESH},"₹ 1,20,932.18",0,"10,883.91 Dr","10,883.91 Dr"')
    code, out, _ = run("-q", "reconcile", sample_book, register)
    assert code == 0 and "1 matched" in out and "not read" not in out
    assert match_result(sample_book, "SGT/2025/0417") == "Matched"


def test_a_credit_note_booked_with_cr_amounts_matches_like_a_negative_one(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("Supplier GSTIN,Document Number,Document Date,Document Type,Taxable Value,IGST,CGST,SGST\n"
                    "27AABCS1429B1ZU,CN-1,04-10-2025,Credit Note,1000 Cr,180 Cr,0,0\n", encoding="utf-8")
    [entry] = read_register_file(path).entries
    assert (entry.taxable, entry.igst) == (Decimal(-1000), Decimal(-180))


@pytest.mark.parametrize(("name", "encoding", "separator"), [
    ("register.txt", "utf-16", "\t"),  # Excel's "Unicode Text"
    ("register.csv", "utf-16", ","),  # Notepad's "Unicode"
    ("register.csv", "utf-16-be", ","),
])
def test_a_register_saved_as_utf16_is_read(sample_book: Path, tmp_path: Path, name: str, encoding: str,
                                           separator: str) -> None:
    lines = [HEADER, f"{SHREE_GANESH},120932.18,0,10883.91,10883.91"]
    text = "\ufeff" + "\r\n".join(line.replace(",", separator) for line in lines) + "\r\n"
    path = tmp_path / name
    path.write_bytes(text.encode("utf-16-le" if encoding == "utf-16" else encoding))
    code, out, err = run("-q", "reconcile", sample_book, path)
    assert (code, err) == (0, "")
    assert out.startswith("Reconciled 12 IMS records with 1 register entry: 1 matched")
