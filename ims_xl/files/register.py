"""The purchase register file: reading it for reconciliation, and its blank template.

The register is a ``.csv`` (UTF-8 with or without a byte-order mark, the Windows code page, or
UTF-16 with its mark), Excel's "Unicode Text" ``.txt`` (tab-separated UTF-16), or an Excel workbook
(the first sheet). Headers are found by name, ignoring case, spaces, punctuation and a trailing
"Paid"/"Amount"/"(Rs.)", so the exports of Tally (purchase register, GSTR-2), GSTN's GSTR-2 offline
template (b2b, cdnr) and Busy are read as they come (``LAYOUTS``; README "Purchase register").
Title rows above the header, blank rows and total rows are skipped; reverse-charge rows too (they
never reach IMS). A file that cannot be used is an ``InputError`` with one line; a cell that cannot
be read is a ``RegisterProblem`` naming the row and the column: every one is reported, its row left
out, the other rows matched.

``python -m ims_xl.files.register`` rewrites the shipped blank template, templates/purchase_register.xlsx.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from ..core.amounts import parse_register_amount
from ..core.book import is_blank
from ..core.dates import DOCUMENT_SERIALS, from_serial
from ..core.layout import SIGNED_MONEY_FORMAT, column_number
from ..core.problems import InputError
from ..core.purchases import RegisterEntry, RegisterProblem
from .package import Package

TEMPLATE_CREATED = datetime(2026, 1, 1)  # fixed, so the shipped template's bytes never change
TEMPLATE_SHEET = "Purchase Register"
_HEADER_SEARCH_ROWS = 20  # exports often put a title and a period above the header row
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_TEXT_SUFFIXES = (".csv", ".txt")  # .txt: Excel's "Unicode Text" (tab-separated UTF-16)


@dataclass(frozen=True)
class RegisterColumn:
    """A register column: the header the template writes and the other spellings read."""

    field: str  # RegisterEntry attribute
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    width: float = 14


# Spellings are compared squashed (see _header_key): "State/UT Tax Paid", "State/UT Tax Amount" and
# "STATE/UT TAX (Rs.)" are all "stateuttax". The first spelling listed that a file has wins, so a
# supplier's own invoice number is preferred to a voucher-level one.
COLUMNS: tuple[RegisterColumn, ...] = (
    RegisterColumn("supplier_gstin", "Supplier GSTIN",
                   ("GSTIN of Supplier", "Supplier GSTIN/UIN", "GSTIN/UIN of Supplier", "GSTIN/UIN",
                    "Party GSTIN", "Party GSTIN/UIN", "GSTIN/UIN of Party", "Vendor GSTIN", "GSTIN", "GST No",
                    "GSTIN No"), width=18),
    RegisterColumn("number", "Document Number",
                   ("Document No", "Doc No", "Doc Number", "Invoice Number", "Invoice No",
                    "Supplier Invoice No", "Supplier Invoice Number", "Note/Refund Voucher Number",
                    "Party Inv No", "Party Invoice No", "Party Bill No", "Inv No", "Bill No", "Bill Number",
                    "Note Number", "Note No", "Vch/Bill No"), width=20),
    RegisterColumn("date", "Document Date",
                   ("Doc Date", "Invoice Date", "Supplier Invoice Date", "Note/Refund Voucher Date",
                    "Party Inv Date", "Party Invoice Date", "Party Bill Date", "Inv Date", "Bill Date",
                    "Note Date", "Vch/Bill Date", "Date"),
                   width=13),
    RegisterColumn("document_type", "Document Type", ("Doc Type", "Note Type", "Type"), required=False),
    RegisterColumn("taxable", "Taxable Value", ("Taxable", "Taxable Amt", "Assessable Value")),
    RegisterColumn("igst", "IGST", ("Integrated Tax", "Input IGST", "IGST Input")),
    RegisterColumn("cgst", "CGST", ("Central Tax", "Input CGST", "CGST Input")),
    RegisterColumn("sgst", "SGST",
                   ("State/UT Tax", "SGST/UTGST", "State Tax", "UTGST", "Input SGST", "SGST Input")),
    # Few suppliers charge cess, so a register without the column is read as no cess.
    RegisterColumn("cess", "Cess", ("Compensation Cess", "Cess Input", "Input Cess"), required=False, width=12),
)
_MONEY_FIELDS = ("taxable", "igst", "cgst", "sgst", "cess")
# Read but not written in the template: reverse-charge purchases never reach IMS, so those rows are
# left out (GSTR-2's b2b sheet and Tally's GSTR-2 export carry the column).
REVERSE_CHARGE = RegisterColumn("reverse_charge", "Reverse Charge", ("RCM", "Reverse Charge Applicable"),
                                required=False)
_READ_COLUMNS = (*COLUMNS, REVERSE_CHARGE)


@dataclass(frozen=True)
class Layout:
    """An accounting export recognised by its headers, named in what the tool says."""

    name: str
    headers: tuple[str, ...]  # every one present (squashed) identifies the layout


# Most specific first. Sources: README "Purchase register".
LAYOUTS: tuple[Layout, ...] = (
    Layout("GSTR-2 cdnr (GSTN offline template / Tally GSTR-2 export)",
           ("GSTIN of Supplier", "Note/Refund Voucher Number", "Note/Refund Voucher date", "Integrated Tax Paid")),
    Layout("GSTR-2 b2b (GSTN offline template / Tally GSTR-2 export)",
           ("GSTIN of Supplier", "Invoice Number", "Invoice date", "Integrated Tax Paid")),
    Layout("Tally purchase register", ("GSTIN/UIN", "Supplier Invoice No.", "Supplier Invoice Date")),
    Layout("Busy purchase register", ("Vch/Bill No",)),
    Layout("ims-xl purchase register template", tuple(column.header for column in COLUMNS)),
)

_DOCUMENT_TYPE_WORDS = {
    "Invoice": ("invoice", "inv", "i", "taxinvoice", "bill", "purchase", "purchaseinvoice"),
    "Credit Note": ("creditnote", "credit", "cn", "c", "cr", "crn", "crnote", "cdn"),
    "Debit Note": ("debitnote", "debit", "dn", "d", "dr", "drn", "drnote"),
}
_DOCUMENT_TYPES = {word: name for name, words in _DOCUMENT_TYPE_WORDS.items() for word in words}
# Day first, as Indian registers write dates; then ISO. "%b" covers Tally's "1-Apr-2025" and
# "1-Apr-25"; four-digit years are tried before two-digit ones.
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%b-%Y", "%d/%b/%Y",
                 "%d %b %Y", "%d-%B-%Y", "%d %B %Y", "%d-%b-%y", "%d/%b/%y", "%d-%m-%y", "%d/%m/%y", "%d.%m.%y")
# Excel stores a date as days since 30-12-1899; a CSV saved from a sheet can carry that number.
# Only serials of 2000 to 2099 are taken for dates, so a stray small number is still an error.
# "Total", "Grand Total", "Sub Total", "Total:" in a row with no GSTIN: the export's totals.
_TOTAL_ROW = re.compile(r"^(grand|sub)?\s*totals?\b", re.IGNORECASE)
_YES = {"y", "yes", "true"}
_GSTR2_SHEETS = ("b2b", "cdnr")


# --- reading ----------------------------------------------------------------------------------


@dataclass
class RegisterFile:
    """A register as read: its entries and what was left out on the way."""

    name: str  # the file, and the sheet when a workbook has several registers
    entries: list[RegisterEntry]
    layout: str | None = None  # the export recognised by its headers, if one was
    total_rows: list[int] = field(default_factory=list)  # 1-based rows skipped as totals
    reverse_charge_rows: list[int] = field(default_factory=list)
    sheets: list[RegisterFile] = field(default_factory=list)  # each sheet read, when more than one
    # Cells that could not be read: their rows are left out, the others matched (see RegisterProblem).
    problems: list[RegisterProblem] = field(default_factory=list)

    def notes(self) -> list[str]:
        """One line per thing the user should know about the reading, for the console or a message."""
        if self.sheets:
            return [line for sheet in self.sheets for line in sheet.notes()]
        lines = [f"{self.name}: read as {self.layout}"] if self.layout else []
        if self.total_rows:
            lines.append(f"{self.name}: skipped {_rows(self.total_rows)} of totals")
        if self.reverse_charge_rows:
            lines.append(f"{self.name}: left out {_rows(self.reverse_charge_rows)} under reverse charge "
                         "(reverse-charge purchases are not in IMS)")
        return lines


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10]) + (", ..." if len(numbers) > 10 else "")
    return f"{'row' if len(numbers) == 1 else f'{len(numbers):,} rows'} {shown}"


def read_register(path: str | os.PathLike[str]) -> list[RegisterEntry]:
    """The entries of a purchase register (see ``read_register_file``)."""
    return read_register_file(path).entries


def read_register_file(path: str | os.PathLike[str]) -> RegisterFile:
    """Read a purchase register; blank rows, total rows and reverse-charge rows are skipped.

    Args:
        path: a ``.csv`` file or an Excel workbook: its first sheet, or a GSTR-2 workbook's sheets
            ``b2b`` and ``cdnr`` (invoices, then notes).

    Returns:
        One entry per register row (a multi-rate invoice is still several), in file order, each
        knowing its row number in its sheet; and the rows skipped.

    Raises:
        InputError: one line naming the file (and sheet), row and column of the first problem.
    """
    file = Path(path)
    parts = [_read_sheet(rows, name, _Place(file.name, sheet)) for name, sheet, rows in _read_sheets(file)]
    if len(parts) == 1:
        register = parts[0]
    else:
        register = RegisterFile(file.name, [entry for part in parts for entry in part.entries], sheets=parts,
                                problems=[problem for part in parts for problem in part.problems])
    refuse_unreadable(register)
    return register


def refuse_unreadable(register: RegisterFile) -> None:
    """A register none of whose rows could be read is refused, naming the first problem: there is
    nothing to match, and the user has a file to fix."""
    if register.entries or not register.problems:
        return
    first = register.problems[0]
    more = len(register.problems) - 1
    extra = f" (and {more:,} more problem{'s' if more != 1 else ''}; no row could be read)" if more else ""
    raise InputError(f"{first.line()}{extra}", code="bad-register-value", file=register.name, sheet=first.sheet,
                     row=first.row, field=first.column)


@dataclass(frozen=True)
class _Place:
    """Where a sheet's rows come from, for an InputError's place: the file and (Excel) the sheet."""

    file: str
    sheet: str | None


def _read_sheet(rows: Iterable[list[Any]], name: str, place: _Place) -> RegisterFile:
    """A sheet's rows, taken one at a time: a CSV register is parsed as it is read (100,000 lines
    held as lists of cells at once were twice the memory of their entries)."""
    source = iter(rows)
    head = list(itertools.islice(source, _HEADER_SEARCH_ROWS))
    header_row, positions = _find_header(head, name, place)
    result = RegisterFile(name, [], _layout_of(head[header_row]))
    gstin_at = positions["supplier_gstin"]
    for index, cells in enumerate(itertools.chain(head[header_row + 1:], source), start=header_row + 1):
        if all(is_blank(cell) for cell in cells):
            continue
        if _is_total_row(cells, gstin_at):
            result.total_rows.append(index + 1)
            continue
        values = {name: cells[i] if i < len(cells) else None for name, i in positions.items()}
        if _text(values.get("reverse_charge") or "").lower() in _YES:
            result.reverse_charge_rows.append(index + 1)
            continue
        entry = _entry(values, name, index + 1, place, result.problems)
        if entry is not None:
            result.entries.append(entry)
    return result


def _is_total_row(cells: Sequence[Any], gstin_at: int) -> bool:
    gstin = cells[gstin_at] if gstin_at < len(cells) else None
    if not is_blank(gstin) and not _TOTAL_ROW.match(str(gstin).strip()):
        return False
    return any(isinstance(cell, str) and _TOTAL_ROW.match(cell.strip()) for cell in cells)


def _layout_of(header: Sequence[Any]) -> str | None:
    found = {_header_key(cell) for cell in header if not is_blank(cell)}
    return next((layout.name for layout in LAYOUTS
                 if all(_header_key(name) in found for name in layout.headers)), None)


def _read_sheets(file: Path) -> Sequence[tuple[str, str | None, Iterable[list[Any]]]]:
    """(name for messages, sheet name or None for a CSV, rows) of each sheet to read."""
    suffix = file.suffix.lower()
    if suffix not in (*_TEXT_SUFFIXES, *_EXCEL_SUFFIXES):
        raise InputError(f"{file.name}: expected a purchase register as .csv, .txt (Excel's \"Unicode Text\") or "
                         ".xlsx", code="wrong-file-type", file=file.name)
    if not file.is_file():
        raise InputError(f"{file}: no such file", code="no-such-file", file=file)
    try:
        if suffix in _TEXT_SUFFIXES:
            return [(file.name, None, _csv_rows(file.read_bytes(), file.name))]
        return _excel_sheets(file)
    except OSError as error:
        raise InputError(f"{file}: cannot be read ({error.strerror})", code="cannot-read-file", file=file) from None
    except csv.Error as error:
        raise InputError(f"{file.name}: not a readable CSV file ({error})", code="not-a-csv", file=file.name) from None
    except (CalamineError, ValueError) as error:
        raise InputError(f"{file.name}: not a readable Excel workbook ({error})",
                         code="not-a-workbook", file=file.name) from None


def _csv_rows(data: bytes, name: str) -> Iterator[list[Any]]:
    """The rows of a CSV (or Excel "Unicode Text") register, parsed as they are taken; the text's
    encoding and delimiter are settled first, so a file that is no CSV is refused before any row."""
    reader = _csv_reader(data)

    def rows() -> Iterator[list[Any]]:
        try:
            for row in reader:
                yield list(row)
        except csv.Error as error:
            raise InputError(f"{name}: not a readable CSV file (line {reader.line_num}: {error})",
                             code="not-a-csv", file=name, row=reader.line_num) from None

    return rows()


def _csv_reader(data: bytes) -> Any:
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        # Excel's "Unicode Text" and Notepad's "Unicode": UTF-16 with its mark, Excel's tab-separated.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise csv.Error("the UTF-16 text is damaged") from None
    elif data.startswith(b"PK\x03\x04") or b"\x00" in data:
        raise csv.Error("binary content; if it is an Excel workbook, save it as .xlsx")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel's "CSV (Comma delimited)" saves in the Windows code page, not UTF-8.
            text = data.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _excel_sheets(file: Path) -> list[tuple[str, str | None, Iterable[list[Any]]]]:
    book = CalamineWorkbook.from_path(str(file))
    # GSTN's GSTR-2 workbook (and Tally's export of it) opens with a help sheet; its registered
    # purchases are on "b2b" and "cdnr". Any other workbook: the first sheet.
    named = {name.strip().lower(): name for name in book.sheet_names}
    chosen = [named[key] for key in _GSTR2_SHEETS if key in named]
    if not chosen:
        first = book.sheet_names[0]
        return [(file.name, first, _draining(_sheet_rows(book, first, file)))]
    return [(f"{file.name}, sheet {name}", name, _draining(_sheet_rows(book, name, file))) for name in chosen]


def _draining(rows: list[list[Any]]) -> Iterator[list[Any]]:
    """A sheet's rows, each let go once taken: a 100,000-line register is large."""
    for index in range(len(rows)):
        cells, rows[index] = rows[index], []
        yield cells


def _sheet_rows(book: CalamineWorkbook, name: str, file: Path | None = None) -> list[list[Any]]:
    # Keep leading blank rows and columns so row numbers in messages are the ones Excel shows.
    rows: list[list[Any]] = [list(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
    for row, column in _formulas_without_values(file, name) if file is not None else ():
        if row <= len(rows):
            cells = rows[row - 1]
            cells += [None] * (column - len(cells))
            cells[column - 1] = UNSAVED_FORMULA
        else:
            rows += [[] for _ in range(row - len(rows))]
            rows[row - 1] = [None] * (column - 1) + [UNSAVED_FORMULA]
    return rows


class _UnsavedFormula:
    """A cell holding a formula whose value the program that saved the file did not store (some
    exporters save formulas only): read as blank it would be a phantom zero."""

    def __repr__(self) -> str:
        return "a formula with no saved value"


UNSAVED_FORMULA = _UnsavedFormula()
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REFERENCE = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]|<(?:\w+:)?is>", re.S)


def _formulas_without_values(file: Path, sheet: str) -> list[tuple[int, int]]:
    """(row, column) of the sheet's cells that hold a formula but no stored value."""
    with Package(file) as package:
        part = package.sheet_parts.get(sheet)
        if not part or part not in package.zip.namelist():
            return []
        data = package.read(part)
    if b"<f" not in data and b":f" not in data:
        return []
    found = []
    for match in _CELL.finditer(data):
        inner = match.group(2) or b""
        if (b"<f" in inner or b":f>" in inner or b":f " in inner) and not _VALUE.search(inner):
            reference = _REFERENCE.search(match.group(1))
            if reference:
                found.append((int(reference.group(2)), column_number(reference.group(1).decode())))
    return found


def _squash(header: Any) -> str:
    return re.sub(r"[\W_]+", "", str(header or "")).lower()


# Words exports put after a tax head: "Integrated Tax Paid", "IGST Amount", "CGST Amt", "SGST (Rs.)".
_HEAD_SUFFIX = re.compile(r"(?:inrs|rs|inr|rupees|inrupees)?$")
_AMOUNT_SUFFIX = re.compile(r"(?<=.)(?:paid|amount|amt)$")


def _header_key(header: Any) -> str:
    """A header as compared: squashed, without a trailing currency word, then "paid"/"amount"/"amt"."""
    return _AMOUNT_SUFFIX.sub("", _HEAD_SUFFIX.sub("", _squash(header), count=1))


def _positions(cells: Sequence[Any]) -> dict[str, int]:
    """Column index of each register field found in a header row; the first-listed spelling wins."""
    found = {_header_key(cell): i for i, cell in reversed(list(enumerate(cells))) if not is_blank(cell)}
    positions: dict[str, int] = {}
    for column in _READ_COLUMNS:
        for spelling in (column.header, *column.aliases):
            if _header_key(spelling) in found:
                positions[column.field] = found[_header_key(spelling)]
                break
    return positions


def _missing(positions: dict[str, int]) -> list[str]:
    return [column.header for column in COLUMNS if column.required and column.field not in positions]


def _find_header(rows: list[list[Any]], name: str, place: _Place) -> tuple[int, dict[str, int]]:
    """The header row's index and the fields' column positions."""
    filled = [i for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]) if not all(is_blank(c) for c in row)]
    if not filled:
        raise InputError(f"{name}: the register is empty (expected a header row such as "
                         f"{', '.join(column.header for column in COLUMNS)})",
                         code="empty-register", file=place.file, sheet=place.sheet)
    for i in filled:
        positions = _positions(rows[i])
        if not _missing(positions):
            return i, positions
    # Report against the likeliest header: the row naming the most columns (a title row names none).
    # With no column recognised anywhere, the widest row is likelier the header than a one-cell title.
    best = max(filled, key=lambda i: (len(_positions(rows[i])), sum(not is_blank(c) for c in rows[i])))
    found = ", ".join(repr(str(cell).strip()) for cell in rows[best] if not is_blank(cell))
    missing = _missing(_positions(rows[best]))
    noun = "column" if len(missing) == 1 else "columns"
    expected = ", ".join(column.header for column in COLUMNS if column.required)
    raise InputError(f"{name} row {best + 1}: missing {noun} {', '.join(missing)}; "
                     f"the columns found are {found} (expected {expected}, or the names Tally, Busy and "
                     "GSTR-2 exports use: see 'Purchase register' in USER_GUIDE.txt)",
                     code="missing-columns", file=place.file, sheet=place.sheet, row=best + 1)


def _entry(values: dict[str, Any], name: str, row: int, place: _Place,
           problems: list[RegisterProblem]) -> RegisterEntry | None:
    """The row's entry; None, with a problem for each cell that cannot be read, when it has any."""
    found: list[RegisterProblem] = []

    def read(field: str, parse: Callable[[Any], Any]) -> Any:
        try:
            if values.get(field) is UNSAVED_FORMULA:
                raise ValueError("is a formula whose value was not saved with the file (open the register in "
                                 "Excel and save it, or paste the values)")
            return parse(values.get(field))
        except ValueError as error:
            found.append(RegisterProblem(name, row, _header_of(field), str(error), place.sheet,
                                         _raw_text(values.get("supplier_gstin")), _raw_text(values.get("number"))))
            return None

    money = {field: read(field, _amount) for field in _MONEY_FIELDS}
    parsed = {"supplier_gstin": read("supplier_gstin", _gstin), "number": read("number", _document_number),
              "date": read("date", _date), "document_type": read("document_type", _document_type)}
    if found:
        problems.extend(sorted(found, key=lambda problem: _FIELD_ORDER[problem.column]))
        return None
    return RegisterEntry(source_row=row, **parsed, **money)


def _raw_text(value: Any) -> str:
    return "" if is_blank(value) else _text(value)


def _header_of(field: str) -> str:
    return next(column.header for column in _READ_COLUMNS if column.field == field)


_FIELD_ORDER = {column.header: position for position, column in enumerate(_READ_COLUMNS)}  # problems left to right


# --- cells ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text; a number Excel stored for a code ("123" typed in a number cell) loses its ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _gstin(value: Any) -> str:
    if is_blank(value):
        raise ValueError("is blank (purchases from unregistered suppliers never reach IMS: leave them out)")
    return sys.intern(_text(value).upper())  # one string per supplier, however many lines


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
        day = _date_text(value.strip())
        if day is not None:
            return day
    serial = _serial(value)
    if serial is not None:
        return from_serial(serial, window=DOCUMENT_SERIALS)
    raise ValueError(f"{_shown(value)} is not a date (write dd-mm-yyyy)")


@functools.lru_cache(maxsize=4096)
def _date_text(text: str) -> date | None:
    """A written date, or None. Cached: a register repeats a few hundred dates over many rows, and
    each format that does not fit costs a strptime exception."""
    if text.isdigit():
        return None  # a day number, for _serial
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _serial(value: Any) -> int | None:
    """An Excel date serial (a whole number of days in 2000-2099), as a number or as digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and value in DOCUMENT_SERIALS else None


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
        amount = parse_register_amount(value)
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
        "money": book.add_format({"num_format": SIGNED_MONEY_FORMAT}),  # typed; Cr amounts are negative
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
