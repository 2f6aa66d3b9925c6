"""The purchase register file: reading it for reconciliation, and its blank template.

The register is a ``.csv`` (UTF-8, with or without a byte-order mark) or an Excel workbook (the
first sheet). Headers are found by name, ignoring case, spaces and punctuation, and a few common
spellings from accounting exports are accepted. Every failure is an ``InputError`` with one line
naming the file, the row and the column.

``python -m ims_xl.register`` rewrites the shipped blank template, templates/purchase_register.xlsx.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from .core.book import is_blank, parse_amount
from .core.problems import InputError
from .core.reconcile import RegisterEntry

TEMPLATE_CREATED = datetime(2026, 1, 1)  # fixed, so the shipped template's bytes never change
TEMPLATE_SHEET = "Purchase Register"
_HEADER_SEARCH_ROWS = 20  # exports often put a title and a period above the header row
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


@dataclass(frozen=True)
class RegisterColumn:
    """A register column: the header the template writes and the other spellings read."""

    field: str  # RegisterEntry attribute
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    width: float = 14


COLUMNS: tuple[RegisterColumn, ...] = (
    RegisterColumn("supplier_gstin", "Supplier GSTIN",
                   ("GSTIN of Supplier", "Supplier GSTIN/UIN", "GSTIN/UIN of Supplier", "GSTIN/UIN",
                    "Party GSTIN", "Vendor GSTIN", "GSTIN"), width=18),
    RegisterColumn("number", "Document Number",
                   ("Document No", "Doc No", "Doc Number", "Invoice Number", "Invoice No",
                    "Supplier Invoice No", "Supplier Invoice Number", "Inv No", "Bill No", "Bill Number",
                    "Note Number", "Note No"), width=20),
    RegisterColumn("date", "Document Date",
                   ("Doc Date", "Invoice Date", "Supplier Invoice Date", "Inv Date", "Bill Date", "Note Date"),
                   width=13),
    RegisterColumn("document_type", "Document Type", ("Doc Type", "Note Type", "Type"), required=False),
    RegisterColumn("taxable", "Taxable Value",
                   ("Taxable Amount", "Taxable Amt", "Taxable", "Assessable Value")),
    RegisterColumn("igst", "IGST", ("IGST Amount", "IGST Amt", "Integrated Tax", "Integrated Tax Amount")),
    RegisterColumn("cgst", "CGST", ("CGST Amount", "CGST Amt", "Central Tax", "Central Tax Amount")),
    RegisterColumn("sgst", "SGST",
                   ("SGST Amount", "SGST Amt", "SGST/UTGST", "State/UT Tax", "State/UT Tax Amount",
                    "State Tax", "UTGST")),
    # Few suppliers charge cess, so a register without the column is read as no cess.
    RegisterColumn("cess", "Cess", ("Cess Amount", "Cess Amt", "Compensation Cess"), required=False, width=12),
)
_MONEY_FIELDS = ("taxable", "igst", "cgst", "sgst", "cess")

_DOCUMENT_TYPE_WORDS = {
    "Invoice": ("invoice", "inv", "i", "taxinvoice", "bill", "purchase", "purchaseinvoice"),
    "Credit Note": ("creditnote", "credit", "cn", "c", "cr", "crn", "crnote", "cdn"),
    "Debit Note": ("debitnote", "debit", "dn", "d", "dr", "drn", "drnote"),
}
_DOCUMENT_TYPES = {word: name for name, words in _DOCUMENT_TYPE_WORDS.items() for word in words}
# Day first, as Indian registers write dates; then ISO. "%b" covers Tally's "1-Apr-2025".
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%b-%Y", "%d-%b-%y")


# --- reading ----------------------------------------------------------------------------------


def read_register(path: str | os.PathLike[str]) -> list[RegisterEntry]:
    """Read a purchase register; entirely blank rows are skipped.

    Args:
        path: a ``.csv`` file or an Excel workbook, whose first sheet is read.

    Returns:
        One entry per filled row, in file order, each knowing its row number in the file.

    Raises:
        InputError: one line naming the file, row and column of the first problem.
    """
    file = Path(path)
    rows = _read_rows(file)
    header_row, positions = _find_header(rows, file.name)
    entries: list[RegisterEntry] = []
    for index in range(header_row + 1, len(rows)):
        cells, rows[index] = rows[index], []  # let each row go once read: a 100,000-line register is large
        if all(is_blank(cell) for cell in cells):
            continue
        values = {name: cells[i] if i < len(cells) else None for name, i in positions.items()}
        entries.append(_entry(values, f"{file.name} row {index + 1}", index + 1))
    return entries


def _read_rows(file: Path) -> list[list[Any]]:
    suffix = file.suffix.lower()
    if suffix not in (".csv", *_EXCEL_SUFFIXES):
        raise InputError(f"{file.name}: expected a purchase register as .csv or .xlsx")
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    try:
        return _csv_rows(file.read_bytes()) if suffix == ".csv" else _excel_rows(file)
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})") from None
    except csv.Error as error:
        raise InputError(f"{file.name}: not a readable CSV file ({error})") from None
    except (CalamineError, ValueError) as error:
        raise InputError(f"{file.name}: not a readable Excel workbook ({error})") from None


def _csv_rows(data: bytes) -> list[list[Any]]:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data:
        raise csv.Error("binary content; if it is an Excel workbook, save it as .xlsx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (Comma delimited)" saves in the Windows code page, not UTF-8.
        text = data.decode("cp1252", errors="replace")
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]


def _excel_rows(file: Path) -> list[list[Any]]:
    sheet = CalamineWorkbook.from_path(str(file)).get_sheet_by_index(0)
    # Keep leading blank rows and columns so row numbers in messages are the ones Excel shows.
    return [list(row) for row in sheet.to_python(skip_empty_area=False)]


def _squash(header: Any) -> str:
    return re.sub(r"[\W_]+", "", str(header or "")).lower()


def _positions(cells: Sequence[Any]) -> dict[str, int]:
    """Column index of each register field found in a header row; the first-listed spelling wins."""
    found = {_squash(cell): i for i, cell in reversed(list(enumerate(cells))) if not is_blank(cell)}
    positions: dict[str, int] = {}
    for column in COLUMNS:
        for spelling in (column.header, *column.aliases):
            if _squash(spelling) in found:
                positions[column.field] = found[_squash(spelling)]
                break
    return positions


def _missing(positions: dict[str, int]) -> list[str]:
    return [column.header for column in COLUMNS if column.required and column.field not in positions]


def _find_header(rows: list[list[Any]], name: str) -> tuple[int, dict[str, int]]:
    """The header row's index and the fields' column positions."""
    filled = [i for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]) if not all(is_blank(c) for c in row)]
    if not filled:
        raise InputError(f"{name}: the register is empty (expected a header row such as "
                         f"{', '.join(column.header for column in COLUMNS)})")
    for i in filled:
        positions = _positions(rows[i])
        if not _missing(positions):
            return i, positions
    # Report against the likeliest header: the row naming the most columns (a title row names none).
    best = max(filled, key=lambda i: len(_positions(rows[i])))
    found = ", ".join(repr(str(cell).strip()) for cell in rows[best] if not is_blank(cell))
    missing = _missing(_positions(rows[best]))
    noun = "column" if len(missing) == 1 else "columns"
    raise InputError(f"{name} row {best + 1}: missing {noun} {', '.join(missing)}; "
                     f"the columns found are {found}")


def _entry(values: dict[str, Any], where: str, row: int) -> RegisterEntry:
    def read(field: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(values.get(field))
        except ValueError as error:
            raise InputError(f"{where}, {_header_of(field)}: {error}") from None

    money = {field: read(field, _amount) for field in _MONEY_FIELDS}
    return RegisterEntry(
        supplier_gstin=read("supplier_gstin", _gstin),
        number=read("number", _document_number),
        date=read("date", _date),
        document_type=read("document_type", _document_type),
        source_row=row,
        **money,
    )


def _header_of(field: str) -> str:
    return next(column.header for column in COLUMNS if column.field == field)


# --- cells ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text; a number Excel stored for a code ("123" typed in a number cell) loses its ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _gstin(value: Any) -> str:
    if is_blank(value):
        raise ValueError("is blank (purchases from unregistered suppliers never reach IMS: leave them out)")
    return _text(value).upper()


def _document_number(value: Any) -> str:
    if is_blank(value):
        raise ValueError("is blank")
    return _text(value)


def _date(value: Any) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for pattern in _DATE_FORMATS:
            try:
                return datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
    raise ValueError(f"{_shown(value)} is not a date (write dd-mm-yyyy)")


def _document_type(value: Any) -> str:
    if is_blank(value):
        return "Invoice"
    name = _DOCUMENT_TYPES.get(_squash(value))
    if name is None:
        raise ValueError(f"{_shown(value)} is not a document type (write Invoice, Credit Note or Debit Note)")
    return name


_ZERO = Decimal(0)


def _amount(value: Any) -> Decimal:
    try:
        amount = parse_amount(value)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not an amount") from None
    if amount is None or amount == 0:
        return _ZERO  # one shared zero: most tax heads of most lines are empty
    return amount


def _shown(value: Any) -> str:
    return repr(_text(value))


# --- the template -----------------------------------------------------------------------------


def write_register_template(path: str | os.PathLike[str]) -> None:
    """Write a blank purchase register (.xlsx) with the headers ``read_register`` looks for.

    GSTIN and number columns are text (so "000123" keeps its zeros), dates show dd-mm-yyyy and
    amounts two decimals. The header row is frozen and Document Type has a dropdown.
    """
    import xlsxwriter  # here only: xlwings Lite reads registers without it

    book = xlsxwriter.Workbook(os.fspath(path))
    book.set_properties({"title": "Purchase register for IMS reconciliation", "created": TEMPLATE_CREATED})
    sheet = book.add_worksheet(TEMPLATE_SHEET)
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    formats = {
        "text": book.add_format({"num_format": "@"}),
        "date": book.add_format({"num_format": "dd-mm-yyyy"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
    }
    for position, column in enumerate(COLUMNS):
        sheet.set_column(position, position, column.width, formats[_template_kind(column.field)])
        sheet.write_string(0, position, column.header, header)
    type_column = next(i for i, column in enumerate(COLUMNS) if column.field == "document_type")
    sheet.data_validation(1, type_column, 1_048_575, type_column, {
        "validate": "list",
        "source": list(_DOCUMENT_TYPE_WORDS),
        "error_message": "Choose Invoice, Credit Note or Debit Note",
    })
    sheet.freeze_panes(1, 0)
    book.close()


def _template_kind(field: str) -> str:
    if field in _MONEY_FIELDS:
        return "money"
    return "date" if field == "date" else "text"


if __name__ == "__main__":
    write_register_template(Path(__file__).resolve().parent.parent / "templates" / "purchase_register.xlsx")
