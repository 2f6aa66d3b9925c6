"""The supplier follow-up pack as files: ``<name>.xlsx`` (Suppliers, Documents) and ``<name>.csv``.

``core.followup`` decides what goes in; this module only writes it, with XlsxWriter. Both files
are written to temporary files first and put in place together, so a failure leaves neither
half-written. Text from the portal is written as text, never as a formula; money as numbers
with two decimals; document numbers as text.
"""

from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from ..actions import Outcome
from ..core.book import BookState
from ..core.followup import (
    DOCUMENTS_SHEET,
    DOCUMENTS_TABLE,
    MAIL_MERGE_HEADERS,
    SUPPLIERS_SHEET,
    Sender,
    SupplierFollowUp,
    follow_up,
    suppliers_table,
)
from ..core.problems import InputError
from ..files.atomic import replacing
from ..files.tablesheet import TableStyles, write_table

__all__ = ["DOCUMENTS_SHEET", "SUPPLIERS_SHEET", "default_target", "mail_merge_path", "write_follow_up"]


def default_target(book: Path) -> Path:
    """``<book stem>_suppliers.xlsx`` beside the book."""
    return book.with_name(f"{book.stem}_suppliers.xlsx")


def mail_merge_path(target: Path) -> Path:
    return target.with_suffix(".csv")


def write_follow_up(state: BookState, target: Path, *, book: Path | None = None, firm: str | None = None) -> Outcome:
    """Write the pack for ``state`` to ``target`` (.xlsx) and its mail-merge CSV beside it.

    Args:
        state: the book's contents (after ``reconcile`` the differences and missing documents too).
        target: the workbook to write; the CSV takes its name with ``.csv``.
        book: the book the state came from, which is never overwritten; its name names the client.
        firm: who signs the letters (the CA firm); without it, the client.

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
    sender = Sender.of(state, client_name(book or target), firm)
    try:
        with replacing(target) as book_part, replacing(csv_target) as csv_part:
            _write_workbook(book_part, suppliers, sender)
            _write_csv(csv_part, suppliers, sender)
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


def client_name(book: Path) -> str:
    """The client as the letters and headings name it: the book's file name, without its suffix."""
    return book.stem


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun if count == 1 else noun + 's'}"


# --- xlsx -------------------------------------------------------------------------------------


def _write_workbook(path: Path, suppliers: list[SupplierFollowUp], sender: Sender) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    book.set_properties({"title": f"Supplier follow-up: {sender.client}", "author": sender.firm or "ims-xl"})
    styles = TableStyles(book)
    write_table(book, suppliers_table(sender), [supplier.cells() for supplier in suppliers], styles)
    write_table(book, DOCUMENTS_TABLE,
                [document.cells() for supplier in suppliers for document in supplier.documents], styles)
    book.close()


# --- csv --------------------------------------------------------------------------------------


def _write_csv(path: Path, suppliers: list[SupplierFollowUp], sender: Sender) -> None:
    # utf-8-sig: Excel and Word's mail merge then read names in any script correctly.
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(MAIL_MERGE_HEADERS)
        for supplier in suppliers:
            writer.writerow([_csv_text(value) for value in supplier.mail_merge_cells(sender)])


def _csv_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    # A cell starting with = + - @ is a formula to Excel: keep portal text text (OWASP CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
