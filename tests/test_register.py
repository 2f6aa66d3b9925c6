"""Reading the purchase register (.csv, .xlsx) and writing its blank template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ims_xl.core.book import BookState, entry_from_record
from ims_xl.core.layout import SIGNED_MONEY_FORMAT
from ims_xl.core.problems import InputError
from ims_xl.core.reconcile import RegisterEntry, reconcile
from ims_xl.core.records import make_record
from ims_xl.core.sections import BY_KEY
from ims_xl.files.register import COLUMNS, read_register, write_register_template

SUPPLIER = "27AAPFU0939F1ZV"
HEADER = "Supplier GSTIN,Document Number,Document Date,Document Type,Taxable Value,IGST,CGST,SGST,Cess"
EXPECTED = (" (expected Supplier GSTIN, Document Number, Document Date, Taxable Value, IGST, CGST, SGST, or the "
            "names Tally, Busy and GSTR-2 exports use: see 'Purchase register' in USER_GUIDE.txt)")
SHIPPED_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "purchase_register.xlsx"


def write_csv(tmp_path: Path, *lines: str, name: str = "register.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    return path


def write_xlsx(tmp_path: Path, rows: list[list[Any]], name: str = "register.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, dt.date):
                cell.number_format = "dd-mm-yyyy"
    path = tmp_path / name
    book.save(path)
    return path


def refusal(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_register(path)
    assert "\n" not in str(caught.value)
    return caught.value


def input_error(path: Path, code: str) -> str:
    """The one-line message, after checking the stable code (catalogue.INPUT_ERRORS)."""
    error = refusal(path)
    assert error.code == code, str(error)
    return str(error)


# --- CSV --------------------------------------------------------------------------------------


def test_csv_with_a_byte_order_mark_reads_every_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER, f" {SUPPLIER.lower()} ,000123,05-04-2025,Invoice,\"1,50,000.50\",0,"
                     "\"13,500.05\",13500.05,", bom=True)
    assert read_register(path) == [RegisterEntry(
        SUPPLIER, "000123", dt.date(2025, 4, 5), "Invoice",
        Decimal("150000.50"), Decimal(0), Decimal("13500.05"), Decimal("13500.05"), Decimal(0), 2,
    )]


@pytest.mark.parametrize("written", ["05-04-2025", "05/04/2025", "05.04.2025", "2025-04-05", "5-Apr-2025",
                                     "5/4/2025"])
def test_dates_are_read_day_first_in_the_usual_ways(tmp_path: Path, written: str) -> None:
    path = write_csv(tmp_path, HEADER, f"{SUPPLIER},INV1,{written},,100,18,0,0,0")
    assert read_register(path)[0].date == dt.date(2025, 4, 5)


@pytest.mark.parametrize(("written", "document_type"), [
    ("", "Invoice"), ("invoice", "Invoice"), ("INV", "Invoice"),
    ("CN", "Credit Note"), ("credit note", "Credit Note"), ("Credit_Note", "Credit Note"),
    ("Debit", "Debit Note"), ("dn", "Debit Note"), (" DEBIT NOTE ", "Debit Note"),
])
def test_document_types_are_read_forgivingly(tmp_path: Path, written: str, document_type: str) -> None:
    path = write_csv(tmp_path, HEADER, f"{SUPPLIER},N1,01-05-2025,{written},100,18,0,0,0")
    assert read_register(path)[0].document_type == document_type


def test_headers_are_matched_by_alias_ignoring_case_spaces_and_dots(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Sr. No.,supplier_gstin/uin,INVOICE NO.,Invoice Date,Taxable Amount,Integrated Tax,Central Tax,"
        "State/UT Tax",
        f"1,{SUPPLIER},B-77,01-05-2025,1000,0,90,90",
    )
    [entry] = read_register(path)
    assert (entry.supplier_gstin, entry.number, entry.document_type, entry.cess) == (
        SUPPLIER, "B-77", "Invoice", Decimal(0))
    assert (entry.taxable, entry.cgst, entry.sgst) == (Decimal(1000), Decimal(90), Decimal(90))


def test_blank_rows_are_skipped_and_rows_keep_their_file_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER, f"{SUPPLIER},A1,01-05-2025,,100,18,,,", ",,,,,,,,", "",
                     f"{SUPPLIER},A2,02-05-2025,,200,36,,,")
    assert [(e.number, e.source_row, e.cgst) for e in read_register(path)] == [
        ("A1", 2, Decimal(0)), ("A2", 5, Decimal(0))]


def test_a_csv_saved_in_the_windows_code_page_is_read(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(f"{HEADER},Supplier Name\r\n{SUPPLIER},A1,01-05-2025,,100,18,0,0,0,Caf\xe9\r\n"
                     .encode("cp1252"))
    assert read_register(path)[0].number == "A1"


# --- xlsx -------------------------------------------------------------------------------------


def test_xlsx_with_real_dates_numbers_and_a_title_above_the_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["Purchase Register", None, None],
        ["1-Apr-2025 to 30-Apr-2025"],
        ["GSTIN", "Bill No", "Bill Date", "Type", "Taxable Value", "IGST", "CGST", "SGST"],
        [SUPPLIER, 123, dt.date(2025, 4, 30), "CN", 1800.08, 324.01, 0, None],
        [None],
        [SUPPLIER, "000124", dt.datetime(2025, 4, 1, 10, 30), None, 100, "18.00", None, None],
    ])
    assert read_register(path) == [
        RegisterEntry(SUPPLIER, "123", dt.date(2025, 4, 30), "Credit Note", Decimal("1800.08"),
                      Decimal("324.01"), Decimal(0), Decimal(0), Decimal(0), 4),
        RegisterEntry(SUPPLIER, "000124", dt.date(2025, 4, 1), "Invoice", Decimal(100),
                      Decimal("18.00"), Decimal(0), Decimal(0), Decimal(0), 6),
    ]


def test_a_register_read_from_file_reconciles_with_ims(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [
        ["Supplier GSTIN", "Document Number", "Document Date", "Taxable Value", "IGST", "CGST", "SGST"],
        [SUPPLIER, "inv-2024-891", dt.date(2024, 6, 15), 10000, 1800, 0, 0],
    ])
    section = BY_KEY["b2b"]
    raw = {"stin": SUPPLIER, "inum": "INV/2024/0891", "idt": "15-06-2024", "val": Decimal("11800"),
           "txval": Decimal("10000.00"), "iamt": Decimal("1800.00"), "camt": 0, "samt": 0, "cess": 0,
           "action": "N"}
    entry = entry_from_record(make_record(section, raw, "test"))
    state = BookState()
    state.entries["b2b"].append(entry)
    reconcile(state, read_register(path))
    assert (entry.match_result, entry.suggested_action) == ("Matched", "Accept")


# --- one-line errors naming file, row and column --------------------------------------------------


def test_an_impossible_date_names_file_row_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER, f"{SUPPLIER},A2,31-02-2025,,100,18,0,0,0")
    assert input_error(path, "bad-register-value") == (
        "register.csv row 2, Document Date: '31-02-2025' is not a date (write dd-mm-yyyy)")
    error = refusal(path)
    assert (error.file, error.sheet, error.row, error.field) == ("register.csv", None, 2, "Document Date")


def test_a_number_in_a_date_cell_is_not_taken_for_a_date(tmp_path: Path) -> None:
    # Excel serials of 2000-2099 are dates (test_register_layouts); a small number is not.
    path = write_xlsx(tmp_path, [HEADER.split(","), [SUPPLIER, "A1", 4567, None, 1, 1, 0, 0, 0]])
    assert input_error(path, "bad-register-value") == (
        "register.xlsx row 2, Document Date: '4567' is not a date (write dd-mm-yyyy)")
    assert refusal(path).sheet == "Sheet"  # openpyxl's first sheet: the place names it though the message need not


def test_text_in_an_amount_cell_names_file_row_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER, f"{SUPPLIER},A1,01-05-2025,,100,18 rupees,0,0,0")
    assert input_error(path, "bad-register-value") == "register.csv row 2, IGST: '18 rupees' is not an amount"


def test_an_unknown_document_type_names_file_row_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, HEADER, f"{SUPPLIER},A1,01-05-2025,Receipt,100,18,0,0,0")
    assert input_error(path, "bad-register-value") == (
        "register.csv row 2, Document Type: 'Receipt' is not a document type "
        "(write Invoice, Credit Note or Debit Note)")


def test_a_blank_gstin_or_number_is_refused(tmp_path: Path) -> None:
    no_gstin = write_csv(tmp_path, HEADER, ",A1,01-05-2025,,100,18,0,0,0", name="a.csv")
    no_number = write_csv(tmp_path, HEADER, f"{SUPPLIER},,01-05-2025,,100,18,0,0,0", name="b.csv")
    assert input_error(no_gstin, "bad-register-value").startswith("a.csv row 2, Supplier GSTIN: is blank")
    assert input_error(no_number, "bad-register-value") == "b.csv row 2, Document Number: is blank"


def test_a_missing_column_names_the_columns_found(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "GSTIN,Invoice No,Taxable Value,IGST,CGST,SGST", f"{SUPPLIER},A1,100,18,0,0")
    assert input_error(path, "missing-columns") == (
        "register.csv row 1: missing column Document Date; the columns found are "
        "'GSTIN', 'Invoice No', 'Taxable Value', 'IGST', 'CGST', 'SGST'" + EXPECTED)


def test_a_missing_column_is_reported_against_the_header_row_not_a_title(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [["Purchase Register FY 2025-26"], [], ["GSTIN", "Bill No", "Bill Date", "IGST"]])
    assert input_error(path, "missing-columns") == (
        "register.xlsx row 3: missing columns Taxable Value, CGST, SGST; "
        "the columns found are 'GSTIN', 'Bill No', 'Bill Date', 'IGST'" + EXPECTED)
    assert refusal(path).row == 3


def test_an_empty_file_wrong_kind_of_file_or_no_file_is_one_line(tmp_path: Path) -> None:
    empty = write_csv(tmp_path, "", name="empty.csv")
    text = tmp_path / "register.ods"
    text.write_text(HEADER)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"Supplier GSTIN\x00,Document Number\n")
    assert input_error(empty, "empty-register").startswith("empty.csv: the register is empty")
    assert input_error(text, "wrong-file-type") == (
        'register.ods: expected a purchase register as .csv, .txt (Excel\'s "Unicode Text") or .xlsx')
    assert input_error(broken, "not-a-workbook").startswith("broken.xlsx: not a readable Excel workbook")
    assert input_error(tmp_path / "gone.csv", "no-such-file").endswith("gone.csv: no such file")
    assert input_error(binary, "not-a-csv") == (
        "binary.csv: not a readable CSV file (binary content; if it is an Excel workbook, save it as .xlsx)")


def test_a_csv_that_breaks_part_way_is_one_line_naming_the_line(tmp_path: Path) -> None:
    # Rows are parsed as they are read: a fault on line 3 is found after two good lines, and still
    # refuses the file in one line rather than matching half of it.
    good = "27AAPFU0939F1ZV,INV-1,01-10-2025,Invoice,100.00,18.00,0,0,0\n"
    huge = tmp_path / "huge.csv"
    huge.write_text(HEADER + "\n" + good + '27AAPFU0939F1ZV,"' + "x" * 200_000 + '",01-10-2025\n')
    assert input_error(huge, "not-a-csv") == (
        "huge.csv: not a readable CSV file (line 3: field larger than field limit (131072))")


# --- the template -----------------------------------------------------------------------------


def test_the_blank_template_reads_back_as_an_empty_register(tmp_path: Path) -> None:
    path = tmp_path / "purchase_register.xlsx"
    write_register_template(path)
    assert read_register(path) == []
    sheet = openpyxl.load_workbook(path).active
    assert [cell.value for cell in sheet[1]] == [column.header for column in COLUMNS]
    assert sheet.freeze_panes == "A2"


def test_the_template_keeps_document_numbers_as_text_and_shows_dates_and_money(tmp_path: Path) -> None:
    path = tmp_path / "purchase_register.xlsx"
    write_register_template(path)
    sheet = openpyxl.load_workbook(path).active
    # A <col> element may span several columns with the same format.
    by_position = {position: dimension.number_format for dimension in sheet.column_dimensions.values()
                   for position in range(dimension.min, dimension.max + 1)}
    formats = {column.header: by_position[position] for position, column in enumerate(COLUMNS, start=1)}
    assert formats["Supplier GSTIN"] == formats["Document Number"] == "@"
    assert formats["Document Date"] == "dd-mm-yyyy"
    # Typed amounts can be negative (a credit note as Cr): the format that keeps the minus sign everywhere.
    assert formats["Taxable Value"] == formats["IGST"] == formats["Cess"] == SIGNED_MONEY_FORMAT


def test_the_shipped_template_is_the_one_the_code_writes(tmp_path: Path) -> None:
    fresh = tmp_path / "purchase_register.xlsx"
    write_register_template(fresh)
    assert fresh.read_bytes() == SHIPPED_TEMPLATE.read_bytes()
