"""The supplier follow-up pack: what a CA office sends each supplier after the actions.

Books are built from records and a purchase register, saved as a file, and the pack is made by
the command line (and the Home button); the outputs are read back as a user would open them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ims_xl import cli, macros
from ims_xl.core.book import BookState
from ims_xl.core.followup import DOCUMENT_HEADERS, MAIL_MERGE_HEADERS, SUPPLIER_HEADERS
from ims_xl.core.layout import MONEY_FORMAT
from ims_xl.core.reconcile import RegisterEntry, reconcile
from ims_xl.excel.template import this_pythons_macros
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.fileport import FilePort
from tests.builders import SUPPLIER, entry
from tests.xlwings_fake import FakeBook

LOGISTICS = "07AABFL2260Q2Z2"
UNKNOWN = "24AAACJ8599C1Z2"  # only in the register
QUIET = "29AAACJ8599C1Z5"  # everything in order: not listed


def register_line(gstin: str, number: str, day: dt.date, row: int, *, document_type: str = "Invoice",
                  igst: str = "0", cgst: str = "0", sgst: str = "0", taxable: str = "10000.00") -> RegisterEntry:
    return RegisterEntry(gstin, number, day, document_type, Decimal(taxable), Decimal(igst), Decimal(cgst),
                         Decimal(sgst), Decimal(0), row)


def the_book(tmp_path: Path, *, with_register: bool) -> Path:
    """Rejected, pending, accepted; a credit note differing from the books; documents IMS lacks."""
    state = BookState()
    state.home.gstin = "27AAPFU0939F1ZV"
    state.entries["b2b"] += [
        entry("b2b", inum="DOC-1", status="Reject", remarks="Goods not received"),
        entry("b2b", inum="DOC-2", status="Pending", remarks="Rate differs from our purchase order"),
        entry("b2b", inum="DOC-3", status="Accept"),
        entry("b2b", inum="000123", stin=QUIET, tradenm="=HYPERLINK(\"http://example.invalid\",\"Quiet\")",
              status="Accept"),
    ]
    state.entries["b2bcn"] += [
        entry("b2bcn", nt_num="CN-9", stin=LOGISTICS, tradenm="Delhi Logistics", iamt="500.00", camt=0, samt=0),
    ]
    if with_register:
        october = dt.date(2025, 10, 4)
        reconcile(state, [
            register_line(SUPPLIER, "DOC-1", october, 2, cgst="900.00", sgst="900.00"),
            register_line(SUPPLIER, "DOC-2", october, 3, cgst="900.00", sgst="900.00"),
            register_line(SUPPLIER, "DOC-3", october, 4, cgst="900.00", sgst="900.00"),
            register_line(QUIET, "123", october, 5, cgst="900.00", sgst="900.00"),
            register_line(LOGISTICS, "CN-9", october, 6, document_type="Credit Note", igst="450.00"),
            # One invoice over two rates that the supplier never uploaded, and one from an unknown supplier.
            register_line(SUPPLIER, "DOC-7", dt.date(2025, 10, 9), 7, taxable="1000.00", cgst="90.00", sgst="90.00"),
            register_line(SUPPLIER, "DOC-7", dt.date(2025, 10, 9), 8, taxable="1000.00", cgst="90.00", sgst="90.00"),
            register_line(UNKNOWN, "X-1", dt.date(2025, 10, 11), 9, igst="100.00"),
        ])
    book = tmp_path / "client.xlsx"
    FilePort(book, new=True, macros=this_pythons_macros).save(state, None, None)
    return book


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["-q", *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def sheet_rows(path: Path, name: str) -> list[list[Any]]:
    """The table on a sheet: its header row and the items (not the heading above, not the totals row)."""
    sheet = openpyxl.load_workbook(path)[name]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "GSTIN of Supplier")
    return [row for row in rows[header:] if row[0] != "Total"]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_after_reconcile_every_kind_of_follow_up_is_listed_by_supplier(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=True)
    code, out, err = run("suppliers", str(book))
    assert code == 0, err
    target = tmp_path / "client_suppliers.xlsx"
    assert out.strip() == (f"Supplier follow-up: 3 suppliers, 5 documents: {target} "
                           "(letters for mail merge: client_suppliers.csv)")

    suppliers = sheet_rows(target, "Suppliers")
    assert suppliers[0] == list(SUPPLIER_HEADERS) == ["GSTIN of Supplier", "Trade/Legal Name", "Rejected",
                                                      "Pending", "Not in IMS", "Amounts Differ", "Tax at Stake"]
    # Most tax at stake first: 1,800 rejected + 1,800 pending + 360 never uploaded; 100 missing; 50 short.
    assert suppliers[1:] == [
        [SUPPLIER, "Shree Ganesh Traders", 1, 1, 1, 0, 3960],
        [UNKNOWN, None, 0, 0, 1, 0, 100],
        [LOGISTICS, "Delhi Logistics", 0, 0, 0, 1, 50],
    ]

    documents = sheet_rows(target, "Documents")
    assert documents[0] == list(DOCUMENT_HEADERS) == ["GSTIN of Supplier", "Trade/Legal Name", "Section",
                                                      "Document Number", "Document Date", "IMS Tax", "Books Tax",
                                                      "Status", "Reason"]
    october = dt.datetime(2025, 10, 4)
    assert documents[1:] == [
        [SUPPLIER, "Shree Ganesh Traders", "B2B", "DOC-1", october, 1800, 1800, "Rejected", "Goods not received"],
        [SUPPLIER, "Shree Ganesh Traders", "B2B", "DOC-2", october, 1800, 1800, "Pending",
         "Rate differs from our purchase order"],
        [SUPPLIER, "Shree Ganesh Traders", "B2B", "DOC-7", dt.datetime(2025, 10, 9), None, 360, "Not in IMS",
         "Not uploaded by the supplier"],
        [UNKNOWN, None, "B2B", "X-1", dt.datetime(2025, 10, 11), None, 100, "Not in IMS",
         "Not uploaded by the supplier"],
        [LOGISTICS, "Delhi Logistics", "B2B-CN", "CN-9", october, 500, 450, "Amounts Differ",
         "IGST differs: 500.00 in IMS, 450.00 in books"],
    ]


def test_cells_are_typed_numbers_text_and_dates(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=True)
    assert run("suppliers", str(book))[0] == 0
    sheet = openpyxl.load_workbook(tmp_path / "client_suppliers.xlsx")["Documents"]
    tax, number, day = sheet["F2"], sheet["D2"], sheet["E2"]
    assert (tax.data_type, tax.number_format) == ("n", MONEY_FORMAT)
    assert (number.data_type, number.number_format) == ("s", "@")
    assert day.number_format == "dd-mm-yyyy"
    assert sheet.freeze_panes == "A2"


def test_the_mail_merge_csv_has_one_letter_per_supplier(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=True)
    assert run("suppliers", str(book))[0] == 0
    rows = csv_rows(tmp_path / "client_suppliers.csv")
    assert list(rows[0]) == list(MAIL_MERGE_HEADERS) == ["GSTIN", "Name", "Email", "Rejected", "Pending", "Not in IMS",
                                                         "Amounts Differ", "Tax at Stake", "Letter"]
    assert [(r["GSTIN"], r["Name"], r["Rejected"], r["Pending"], r["Not in IMS"], r["Amounts Differ"],
             r["Tax at Stake"]) for r in rows] == [
        (SUPPLIER, "Shree Ganesh Traders", "1", "1", "1", "0", "3960.00"),
        (UNKNOWN, "", "0", "0", "1", "0", "100.00"),
        (LOGISTICS, "Delhi Logistics", "0", "0", "0", "1", "50.00"),
    ]
    ganesh = rows[0]["Letter"]
    assert ganesh.startswith("Dear Shree Ganesh Traders,\n\n")
    assert f"from you (GSTIN {SUPPLIER})" in ganesh
    assert ("Documents we have rejected in IMS: please correct each one by amending it in your next GSTR-1/IFF "
            "(or GSTR-1A), or issue a credit note where the supply did not take place.\n"
            "1. Invoice DOC-1 dated 04-10-2025 (tax Rs. 1,800.00 in IMS): Goods not received") in ganesh
    assert "1. Invoice DOC-2 dated 04-10-2025 (tax Rs. 1,800.00 in IMS): Rate differs from our purchase order" in ganesh
    assert ("Documents in our books that you have not uploaded: please upload each missing document in your next "
            "GSTR-1/IFF (or GSTR-1A), so that the credit reaches our GSTR-2B.\n"
            "1. Invoice DOC-7 dated 09-10-2025 (Rs. 360.00 in our books)") in ganesh
    assert "Input tax credit of Rs. 3,960.00 is held up" in ganesh
    assert rows[1]["Letter"].startswith(f"Dear GSTIN {UNKNOWN},")
    logistics = rows[2]["Letter"]
    assert ("Documents whose amounts differ from our books: please check them with your records and amend them "
            "in your GSTR-1/IFF (or GSTR-1A), or issue a credit note or debit note for the difference.\n"
            "1. Credit Note CN-9 dated 04-10-2025 (tax Rs. 500.00 in IMS, Rs. 450.00 in our books): "
            "IGST differs: 500.00 in IMS, 450.00 in books") in logistics
    assert "rejected" not in logistics and "not uploaded" not in logistics


def test_without_a_register_only_rejected_and_pending_are_followed_up(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=False)
    target = tmp_path / "out" / "pack.xlsx"
    target.parent.mkdir()
    code, _, err = run("suppliers", str(book), "-o", str(target))
    assert code == 0, err
    assert sheet_rows(target, "Suppliers")[1:] == [[SUPPLIER, "Shree Ganesh Traders", 1, 1, 0, 0, 3600]]
    assert [row[3:] for row in sheet_rows(target, "Documents")[1:]] == [
        ["DOC-1", dt.datetime(2025, 10, 4), 1800, None, "Rejected", "Goods not received"],
        ["DOC-2", dt.datetime(2025, 10, 4), 1800, None, "Pending", "Rate differs from our purchase order"],
    ]
    assert [row["GSTIN"] for row in csv_rows(tmp_path / "out" / "pack.csv")] == [SUPPLIER]


def test_a_book_with_nothing_to_follow_up_says_so(tmp_path: Path) -> None:
    state = BookState()
    state.entries["b2b"].append(entry("b2b", status="Accept"))
    book = tmp_path / "clean.xlsx"
    FilePort(book, new=True, macros=this_pythons_macros).save(state, None, None)
    code, out, _ = run("suppliers", str(book))
    assert code == 0
    assert out.startswith("No supplier needs follow-up")
    assert sheet_rows(tmp_path / "clean_suppliers.xlsx", "Suppliers") == [list(SUPPLIER_HEADERS)]
    assert csv_rows(tmp_path / "clean_suppliers.csv") == []


def test_portal_text_is_never_a_formula(tmp_path: Path) -> None:
    state = BookState()
    state.entries["b2b"].append(entry("b2b", inum="=1+1", tradenm="=HYPERLINK(\"http://x.invalid\",\"Pay\")",
                                      status="Reject", remarks="@SUM(A1)"))
    book = tmp_path / "client.xlsx"
    FilePort(book, new=True, macros=this_pythons_macros).save(state, None, None)
    assert run("suppliers", str(book))[0] == 0
    sheet = openpyxl.load_workbook(tmp_path / "client_suppliers.xlsx")["Documents"]
    for cell in (sheet["B2"], sheet["D2"], sheet["I2"]):
        assert cell.data_type == "s", cell.coordinate
    assert sheet["D2"].value == "=1+1"
    [row] = csv_rows(tmp_path / "client_suppliers.csv")
    assert row["Name"] == "'=HYPERLINK(\"http://x.invalid\",\"Pay\")"


@pytest.mark.parametrize("output", ["client.xlsx", "client.csv", "pack.txt"])
def test_the_workbook_itself_or_a_wrong_kind_of_file_is_refused(tmp_path: Path, output: str) -> None:
    book = the_book(tmp_path, with_register=False)
    before = book.read_bytes()
    code, _, err = run("suppliers", str(book), "-o", str(tmp_path / output))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ims-xl: error: ")
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client.xlsx"]


def test_the_home_button_writes_the_pack_beside_the_workbook(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=True)
    fake = FakeBook.from_file(book)
    macros.supplier_follow_up(port=XlwingsPort(fake))
    target = tmp_path / "client_suppliers.xlsx"
    [alert] = fake.app.alerts
    assert alert["prompt"] == (f"Supplier follow-up: 3 suppliers, 5 documents: {target} "
                               "(letters for mail merge: client_suppliers.csv)")
    assert alert["mode"] == "info"
    assert len(sheet_rows(target, "Suppliers")) == 4
    assert (tmp_path / "client_suppliers.csv").exists()


def test_the_pack_names_the_client_and_period_and_the_letters_are_signed(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=True)
    port = FilePort(book)
    state = port.load()
    state.home.period = "102025"
    port.save(state, None, frozenset())
    code, _, err = run("suppliers", str(book), "--firm", "Mehta & Rao, Chartered Accountants")
    assert code == 0, err
    sheet = openpyxl.load_workbook(tmp_path / "client_suppliers.xlsx")["Suppliers"]
    assert sheet["A1"].value == "Supplier follow-up: client (GSTIN 27AAPFU0939F1ZV), return period October 2025"
    assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$3:$3"
    total = [cell.value for cell in sheet[7]]
    assert total == ["Total", None, 1, 1, 2, 1, 4110]  # 3,960 + 100 + 50 at stake
    assert sheet["G7"].number_format == MONEY_FORMAT and sheet["G7"].font.bold

    rows = csv_rows(tmp_path / "client_suppliers.csv")
    assert [row["Email"] for row in rows] == ["", "", ""]  # to fill before the merge
    letter = rows[0]["Letter"]
    assert ("While reconciling the input tax credit of client (GSTIN 27AAPFU0939F1ZV), return period October 2025 "
            "with the Invoice Management System (IMS)") in letter
    assert letter.endswith("Regards,\nMehta & Rao, Chartered Accountants\nfor client")


def test_without_a_firm_the_client_signs(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=False)
    assert run("suppliers", str(book))[0] == 0
    [row] = csv_rows(tmp_path / "client_suppliers.csv")
    assert row["Letter"].endswith("Regards,\nclient")
    assert "client (GSTIN 27AAPFU0939F1ZV) with the Invoice" in row["Letter"]  # no period on Home: none named


def test_documents_headers_fit_and_tax_columns_hold_crores(tmp_path: Path) -> None:
    book = the_book(tmp_path, with_register=True)
    assert run("suppliers", str(book))[0] == 0
    sheet = openpyxl.load_workbook(tmp_path / "client_suppliers.xlsx")["Documents"]
    width_of = {c: dimension.width for dimension in sheet.column_dimensions.values()
                for c in range(dimension.min, dimension.max + 1)}
    widths = {sheet.cell(1, c).value: width_of.get(c) for c in range(1, sheet.max_column + 1)}
    assert widths["Books Tax"] >= len("1,71,24,417.99") + 2 and widths["IMS Tax"] == widths["Books Tax"]
    # "Document Date" wraps onto a second line of a taller header row instead of running into its neighbour.
    assert sheet["E1"].alignment.wrap_text and sheet.row_dimensions[1].height >= 30
    assert sheet["I2"].alignment.wrap_text  # Reason
