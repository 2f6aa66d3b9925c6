"""Purchase registers as accounting software exports them, read as they come.

Each sample is written here from the layout's documented headers (README "Purchase register"):
GSTN's GSTR-2 offline template (b2b and cdnr; Tally's GSTR-2 export uses the same sheets), Tally's
purchase register and Busy's, with the title rows, multi-rate rows and total rows those exports carry.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from ims_xl import cli, macros
from ims_xl.core.problems import InputError
from ims_xl.core.reconcile import reconcile
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.register import read_register, read_register_file
from tests.test_reconcile import book, ims
from tests.test_register import write_csv, write_xlsx
from tests.xlwings_fake import FakeBook

SUPPLIER = "27AAPFU0939F1ZV"
OTHER = "07AABFL2260Q2Z2"

GSTR2_B2B = ("GSTIN of Supplier,Invoice Number,Invoice date,Invoice Value,Place Of Supply,Reverse Charge,"
             "Invoice Type,Rate,Taxable Value,Integrated Tax Paid,Central Tax Paid,State/UT Tax Paid,Cess Paid,"
             "Eligibility For ITC,Availed ITC Integrated Tax,Availed ITC Central Tax,Availed ITC State/UT Tax,"
             "Availed ITC Cess")
GSTR2_CDNR = ("GSTIN of Supplier,Note/Refund Voucher Number,Note/Refund Voucher date,"
              "Invoice/Advance Payment Voucher Number,Invoice/Advance Payment Voucher date,Pre GST,Document Type,"
              "Reason For Issuing document,Supply Type,Note/Refund Voucher Value,Rate,Taxable Value,"
              "Integrated Tax Paid,Central Tax Paid,State/UT Tax Paid,Cess Paid,Eligibility For ITC,"
              "Availed ITC Integrated Tax,Availed ITC Central Tax,Availed ITC State/UT Tax,Availed ITC Cess")


def summary(entries: list) -> list[tuple[str, str, dt.date | None, str, Decimal, Decimal, Decimal, Decimal, int]]:
    return [(e.supplier_gstin, e.number, e.date, e.document_type, e.taxable, e.igst, e.cgst, e.sgst, e.source_row)
            for e in entries]


def test_gstn_gstr2_b2b_csv_with_two_rates_and_a_reverse_charge_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, GSTR2_B2B,
        f"{SUPPLIER},INV/25/0891,01-Apr-2025,17700,27-Maharashtra,N,Regular,18,10000,0,900,900,0,"
        "Inputs,0,900,900,0",
        f"{SUPPLIER},INV/25/0891,01-Apr-2025,17700,27-Maharashtra,N,Regular,12,5000,0,300,300,0,Inputs,0,300,300,0",
        f"{OTHER},77,2-Apr-25,1180,27-Maharashtra,Y,Regular,18,1000,180,0,0,0,Ineligible,0,0,0,0",
        name="b2b.csv")
    register = read_register_file(path)
    assert register.layout == "GSTR-2 b2b (GSTN offline template / Tally GSTR-2 export)"
    assert summary(register.entries) == [
        (SUPPLIER, "INV/25/0891", dt.date(2025, 4, 1), "Invoice", Decimal(10000), Decimal(0), Decimal(900),
         Decimal(900), 2),
        (SUPPLIER, "INV/25/0891", dt.date(2025, 4, 1), "Invoice", Decimal(5000), Decimal(0), Decimal(300),
         Decimal(300), 3),
    ]
    assert register.reverse_charge_rows == [4]
    assert register.notes() == [
        "b2b.csv: read as GSTR-2 b2b (GSTN offline template / Tally GSTR-2 export)",
        "b2b.csv: left out row 4 under reverse charge (reverse-charge purchases are not in IMS)",
    ]
    # The two rates are one invoice: it matches the one IMS record, and nothing is left "Not in IMS".
    entry = ims("INV-25-891", "01-04-2025", txval="15000.00", iamt="0", camt="1200.00", samt="1200.00")
    state = book(entry)
    reconcile(state, register.entries)
    assert entry.match_result == "Matched (2 register rows: 2, 3)"
    assert state.not_in_ims == []


def test_tally_gstr2_workbook_with_its_summary_block_above_the_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["Summary For B2B(3)"],
        ["No. of Suppliers", "No. of Invoices", None, "Total Invoice Value", None, None, None, None,
         "Total Taxable Value", "Total Integrated Tax Paid", "Total Central Tax Paid", "Total State/UT Tax Paid",
         "Total Cess Paid"],
        [1, 1, None, 11800, None, None, None, None, 10000, 1800, 0, 0, 0],
        GSTR2_B2B.split(","),
        [SUPPLIER, "000123", dt.datetime(2025, 4, 30), 11800, "27-Maharashtra", "N", "Regular", 18, 10000, 1800,
         0, 0, 0, "Inputs", 1800, 0, 0, 0],
    ], name="GSTR2.xlsx")
    [entry] = read_register(path)
    assert (entry.number, entry.date, entry.igst, entry.source_row) == ("000123", dt.date(2025, 4, 30),
                                                                       Decimal(1800), 5)


def test_gstn_gstr2_cdnr_reads_notes_by_their_own_number_and_type(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, GSTR2_CDNR,
        f"{SUPPLIER},CN-12,15/05/2025,INV-7,01/04/2025,N,C,01-Sales Return,Intra State,1180,18,1000,0,90,90,0,"
        "Inputs,0,90,90,0",
        f"{SUPPLIER},DN-3,16/05/2025,INV-8,02/04/2025,N,D,07-Others,Inter State,590,18,500,90,0,0,0,"
        "Inputs,90,0,0,0",
        name="cdnr.csv")
    register = read_register_file(path)
    assert register.layout == "GSTR-2 cdnr (GSTN offline template / Tally GSTR-2 export)"
    assert summary(register.entries) == [
        (SUPPLIER, "CN-12", dt.date(2025, 5, 15), "Credit Note", Decimal(1000), Decimal(0), Decimal(90),
         Decimal(90), 2),
        (SUPPLIER, "DN-3", dt.date(2025, 5, 16), "Debit Note", Decimal(500), Decimal(90), Decimal(0),
         Decimal(0), 3),
    ]


def test_tally_purchase_register_with_title_rows_and_a_grand_total(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["Sharma Traders Pvt Ltd"],
        ["Purchase Register"],
        ["1-Apr-25 to 30-Apr-25"],
        [],
        ["Date", "Particulars", "Voucher Type", "Voucher No.", "Supplier Invoice No.", "Supplier Invoice Date",
         "GSTIN/UIN", "Taxable Value", "Integrated Tax Amount", "Central Tax Amount", "State Tax Amount",
         "Cess Amount", "Gross Total"],
        [dt.date(2025, 4, 3), "Total Steel Supplies", "Purchase", 14, "TS/118", "1-Apr-25", SUPPLIER, 2000, 0,
         180, 180, 0, 2360],
        [None, None, None, None, None, None, None, None, None, None, None, None, None],
        [dt.date(2025, 4, 9), "Delhi Logistics", "Purchase", 15, "DL-77", dt.date(2025, 4, 8), OTHER, 500,
         90, 0, 0, 0, 590],
        ["Grand Total", None, None, None, None, None, None, 2500, 90, 180, 180, 0, 2950],
    ], name="purchase_register.xlsx")
    register = read_register_file(path)
    assert register.layout == "Tally purchase register"
    # The supplier's own number and date, not Tally's voucher number and date.
    assert summary(register.entries) == [
        (SUPPLIER, "TS/118", dt.date(2025, 4, 1), "Invoice", Decimal(2000), Decimal(0), Decimal(180),
         Decimal(180), 6),
        (OTHER, "DL-77", dt.date(2025, 4, 8), "Invoice", Decimal(500), Decimal(90), Decimal(0), Decimal(0), 8),
    ]
    assert register.total_rows == [9]
    assert "purchase_register.xlsx: skipped row 9 of totals" in register.notes()


def test_busy_purchase_register_with_totals_and_serial_dates(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Sharma Traders Pvt Ltd",
        "Purchase Register (GST)",
        "From 01-04-2025 to 30-04-2025",
        "Date,Vch/Bill No,Particulars,GSTIN,Taxable Amt,IGST Amt,CGST Amt,SGST Amt,Cess Amt,Bill Amount",
        f"45750,B-101,Sharma Steel,{SUPPLIER},1000.00,0.00,90.00,90.00,0.00,1180.00",
        f"45750,B-101,Sharma Steel,{SUPPLIER},400.00,0.00,10.00,10.00,0.00,420.00",
        ",,,,,,,,,",
        f"03/04/2025,B-102,Delhi Logistics,{OTHER},500.00,90.00,0.00,0.00,0.00,590.00",
        ",Sub Total,,,1900.00,90.00,100.00,100.00,0.00,2190.00",
        "Total,,,,1900.00,90.00,100.00,100.00,0.00,2190.00",
        name="busy.csv")
    register = read_register_file(path)
    assert register.layout == "Busy purchase register"
    assert [(e.number, e.date, e.cgst, e.source_row) for e in register.entries] == [
        ("B-101", dt.date(2025, 4, 3), Decimal("90.00"), 5),
        ("B-101", dt.date(2025, 4, 3), Decimal("10.00"), 6),
        ("B-102", dt.date(2025, 4, 3), Decimal("0.00"), 8),
    ]
    assert register.total_rows == [9, 10]
    assert "busy.csv: skipped 2 rows 9, 10 of totals" in register.notes()


@pytest.mark.parametrize("header", [
    "Integrated Tax,Central Tax,State/UT Tax,Cess",
    "Integrated Tax Paid,Central Tax Paid,State/UT Tax Paid,Cess Paid",
    "Integrated Tax Amount,Central Tax Amount,State/UT Tax Amount,Cess Amount",
    "IGST (Rs.),CGST (Rs.),SGST (Rs.),Cess (Rs.)",
    "Integrated Tax(₹),Central Tax(₹),State/UT Tax(₹),Cess(₹)",
])
def test_tax_heads_with_and_without_paid_or_amount(tmp_path: Path, header: str) -> None:
    path = write_csv(tmp_path, f"GSTIN of Supplier,Invoice Number,Invoice Date,Taxable Value,{header}",
                     f"{SUPPLIER},A1,01-05-2025,100,1,2,3,4")
    [entry] = read_register(path)
    assert (entry.igst, entry.cgst, entry.sgst, entry.cess) == (Decimal(1), Decimal(2), Decimal(3), Decimal(4))


@pytest.mark.parametrize(("written", "expected"), [
    ("01-Apr-2025", dt.date(2025, 4, 1)),
    ("1-Apr-25", dt.date(2025, 4, 1)),
    ("01/04/2025", dt.date(2025, 4, 1)),
    ("1 April 2025", dt.date(2025, 4, 1)),
    ("01-04-25", dt.date(2025, 4, 1)),
    ("45748", dt.date(2025, 4, 1)),
])
def test_export_date_formats(tmp_path: Path, written: str, expected: dt.date) -> None:
    path = write_csv(tmp_path, "GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,CGST,SGST",
                     f"{SUPPLIER},A1,{written},100,18,0,0")
    assert read_register(path)[0].date == expected


def test_excel_serial_and_real_dates_in_a_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "IGST", "CGST", "SGST"],
        [SUPPLIER, "A1", 45748, 100, 18, 0, 0],
        [SUPPLIER, "A2", dt.date(2025, 4, 2), 100, 18, 0, 0],
    ])
    assert [e.date for e in read_register(path)] == [dt.date(2025, 4, 1), dt.date(2025, 4, 2)]


def test_a_supplier_named_total_is_not_a_total_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Particulars,GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,CGST,SGST",
                     f"Total Solutions,{SUPPLIER},A1,01-05-2025,100,18,0,0")
    assert [e.number for e in read_register(path)] == ["A1"]


def test_an_unmappable_header_names_what_was_expected_and_what_was_found(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Sharma Traders", "Party,Ref,When,Net,Tax", "Steel Co,R1,01-05-2025,100,18")
    with pytest.raises(InputError) as caught:
        read_register(path)
    assert str(caught.value) == (
        "register.csv row 2: missing columns Supplier GSTIN, Document Number, Document Date, Taxable Value, IGST, "
        "CGST, SGST; the columns found are 'Party', 'Ref', 'When', 'Net', 'Tax' (expected Supplier GSTIN, "
        "Document Number, Document Date, Taxable Value, IGST, CGST, SGST, or the names Tally, Busy and GSTR-2 "
        "exports use: see 'Purchase register' in USER_GUIDE.txt)")


def test_reconcile_command_says_what_it_skipped(tmp_path: Path, sample_book: Path) -> None:
    path = write_csv(tmp_path, "Purchase Register", "GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,CGST,SGST",
                     f"{SUPPLIER},A1,01-05-2025,100,18,0,0", "Grand Total,,,100,18,0,0", name="reg.csv")
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["-q", "reconcile", str(sample_book), str(path)], out=out, err=err) == 0, err.getvalue()
    assert "reg.csv: skipped row 4 of totals" in out.getvalue()


def test_suggest_actions_button_says_what_it_skipped(tmp_path: Path, sample_book: Path) -> None:
    path = write_csv(tmp_path, "GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,CGST,SGST",
                     f"{SUPPLIER},A1,01-05-2025,100,18,0,0", "Total,,,100,18,0,0", name="reg.csv")
    fake = FakeBook.from_file(sample_book)
    macros.suggest_actions(port=XlwingsPort(fake), path=str(path), apply=False)
    [alert] = fake.app.alerts
    assert alert["prompt"].startswith("Reconciled 12 IMS records with 1 register entry: ")
    assert alert["prompt"].endswith("\nreg.csv: skipped row 3 of totals")


def gstr2_workbook(tmp_path: Path, cdnr_date: object) -> Path:
    """GSTN's GSTR-2 Excel layout: a help sheet first, then b2b, b2bur, cdnr."""
    book = openpyxl.Workbook()
    book.active.title = "Help Instruction"
    book.active.append(["GSTR-2 Excel workbook: read the instructions before filling"])
    sheets = {
        "b2b": [["Summary For B2B(3)"], [], [], GSTR2_B2B.split(","),
                [SUPPLIER, "INV-1", "01-Apr-2025", 1180, "27-Maharashtra", "N", "Regular", 18, 1000, 0, 90, 90, 0]],
        "b2bur": [["Supplier Name", "Invoice Number"], ["Local Kirana", "77"]],
        "cdnr": [["Summary For CDNR(6C)"], [], [], GSTR2_CDNR.split(","),
                 [SUPPLIER, "CN-1", cdnr_date, "INV-1", "01-Apr-2025", "N", "C", "01-Sales Return", "Intra State",
                  118, 18, 100, 0, 9, 9, 0]],
    }
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "GSTR2.xlsx"
    book.save(path)
    return path


def test_a_gstr2_workbook_is_read_from_its_b2b_and_cdnr_sheets(tmp_path: Path) -> None:
    register = read_register_file(gstr2_workbook(tmp_path, "15-May-2025"))
    assert [(e.number, e.document_type, e.date, e.cgst, e.source_row) for e in register.entries] == [
        ("INV-1", "Invoice", dt.date(2025, 4, 1), Decimal(90), 5),
        ("CN-1", "Credit Note", dt.date(2025, 5, 15), Decimal(9), 5),
    ]
    assert register.notes() == [
        "GSTR2.xlsx, sheet b2b: read as GSTR-2 b2b (GSTN offline template / Tally GSTR-2 export)",
        "GSTR2.xlsx, sheet cdnr: read as GSTR-2 cdnr (GSTN offline template / Tally GSTR-2 export)",
    ]


def test_a_problem_in_a_gstr2_workbook_names_the_sheet(tmp_path: Path) -> None:
    register = read_register_file(gstr2_workbook(tmp_path, "31-Feb-2025"))
    assert [entry.number for entry in register.entries] == ["INV-1"]  # the readable rows are still matched
    assert [problem.line() for problem in register.problems] == [
        "GSTR2.xlsx, sheet cdnr row 5, Document Date: '31-Feb-2025' is not a date (write dd-mm-yyyy)"]
    assert register.problems[0].sheet == "cdnr"
