"""The supplier follow-up pack as files: ``<name>.xlsx`` (Suppliers, Documents) and ``<name>.csv``.

``core.followup`` decides what goes in; this module only writes it, with XlsxWriter. Both files
are written to temporary files first and put in place together, so a failure leaves neither
half-written. Text from the portal is written as text, never as a formula; money as numbers
with two decimals; document numbers as text.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ..actions import Outcome
from ..core.book import BookState
from ..core.followup import (
    DOCUMENT_HEADERS,
    MAIL_MERGE_HEADERS,
    SUPPLIER_HEADERS,
    SupplierFollowUp,
    follow_up,
)
from ..core.problems import InputError
from ..files.atomic import replacing

SUPPLIERS_SHEET = "Suppliers"
DOCUMENTS_SHEET = "Documents"
_WIDTHS = {"GSTIN of Supplier": 18, "Trade/Legal Name": 30, "Document Number": 20, "Reason": 70,
           "Document Date": 12, "Section": 9, "Status": 15}


def default_target(book: Path) -> Path:
    """``<book stem>_suppliers.xlsx`` beside the book."""
    return book.with_name(f"{book.stem}_suppliers.xlsx")


def mail_merge_path(target: Path) -> Path:
    return target.with_suffix(".csv")


def write_follow_up(state: BookState, target: Path, *, book: Path | None = None) -> Outcome:
    """Write the pack for ``state`` to ``target`` (.xlsx) and its mail-merge CSV beside it.

    Args:
        state: the book's contents (after ``reconcile`` the differences and missing documents too).
        target: the workbook to write; the CSV takes its name with ``.csv``.
        book: the book the state came from, which is never overwritten.

    Raises:
        InputError: a target that is not .xlsx, is the book itself, or sits in a missing folder.
    """
    if target.suffix.lower() != ".xlsx":
        raise InputError(f"{target}: the follow-up workbook must end in .xlsx", code="wrong-file-type", file=target)
    csv_target = mail_merge_path(target)
    if book is not None and _same_file(book, target):
        raise InputError(f"{target}: that is the workbook itself; choose another name for the follow-up",
                         code="target-is-the-workbook", file=target)
    if book is not None and _same_file(book, csv_target):
        raise InputError(f"{csv_target}: that is the workbook itself; choose another name for the follow-up",
                         code="target-is-the-workbook", file=csv_target)
    if not target.parent.is_dir():
        raise InputError(f"{target.parent}: no such folder", code="no-such-folder", file=target.parent)
    suppliers = follow_up(state)
    try:
        with replacing(target) as book_part, replacing(csv_target) as csv_part:
            _write_workbook(book_part, suppliers)
            _write_csv(csv_part, suppliers)
    except PermissionError:
        raise InputError(f"{target}: cannot be written (is it open in Excel?)",
                         code="cannot-write-file", file=target) from None
    documents = sum(len(supplier.documents) for supplier in suppliers)
    if not suppliers:
        message = f"No supplier needs follow-up (nothing rejected, pending, differing or missing): {target}"
    else:
        message = (f"Supplier follow-up: {_plural(len(suppliers), 'supplier')}, {_plural(documents, 'document')}: "
                   f"{target} (letters for mail merge: {csv_target.name})")
    return Outcome(message, output=target)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun if count == 1 else noun + 's'}"


# --- xlsx -------------------------------------------------------------------------------------


def _write_workbook(path: Path, suppliers: list[SupplierFollowUp]) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    book.set_properties({"title": "Supplier follow-up", "author": "ims-xl"})
    styles = {
        "header": book.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                                   "valign": "top"}),
        "text": book.add_format({"num_format": "@", "valign": "top"}),
        "wrap": book.add_format({"num_format": "@", "text_wrap": True, "valign": "top"}),
        "money": book.add_format({"num_format": "#,##0.00", "valign": "top"}),
        "count": book.add_format({"num_format": "0", "valign": "top"}),
        "date": book.add_format({"num_format": "dd-mm-yyyy", "valign": "top"}),
    }
    _table(book.add_worksheet(SUPPLIERS_SHEET), SUPPLIER_HEADERS,
           [supplier.cells() for supplier in suppliers], styles)
    _table(book.add_worksheet(DOCUMENTS_SHEET), DOCUMENT_HEADERS,
           [document.cells() for supplier in suppliers for document in supplier.documents], styles)
    book.close()


def _table(sheet: Worksheet, headers: Sequence[str], rows: list[list[Any]], styles: dict[str, Format]) -> None:
    for column, header in enumerate(headers):
        sheet.write_string(0, column, header, styles["header"])
        sheet.set_column(column, column, _WIDTHS.get(header, 13))
    for r, cells in enumerate(rows, start=1):
        for c, value in enumerate(cells):
            _write_cell(sheet, r, c, value, headers[c], styles)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)


def _write_cell(sheet: Worksheet, r: int, c: int, value: Any, header: str, styles: dict[str, Format]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, Decimal):
        sheet.write_number(r, c, float(value), styles["money"])
    elif isinstance(value, bool):
        sheet.write_string(r, c, str(value), styles["text"])
    elif isinstance(value, int):
        sheet.write_number(r, c, value, styles["count"])
    elif isinstance(value, date):
        sheet.write_datetime(r, c, value, styles["date"])
    else:
        sheet.write_string(r, c, str(value), styles["wrap" if header == "Reason" else "text"])


# --- csv --------------------------------------------------------------------------------------


def _write_csv(path: Path, suppliers: list[SupplierFollowUp]) -> None:
    # utf-8-sig: Excel and Word's mail merge then read names in any script correctly.
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(MAIL_MERGE_HEADERS)
        for supplier in suppliers:
            writer.writerow([_csv_text(value) for value in supplier.mail_merge_cells()])


def _csv_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    # A cell starting with = + - @ is a formula to Excel: keep portal text text (OWASP CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
