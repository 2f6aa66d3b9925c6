"""The workbook open in Excel, through xlwings: the buttons' port.

Only this module and ``macros`` touch xlwings objects. The reading and writing are
``rangeport.RangePort``'s (one read per sheet, one write per run of changed columns, whatever the
number of rows; highlighting needs no calls at all, because the template's conditional formats
follow the "Sheet Validation Errors" column); this adds what desktop Excel has: the used range,
sheet protection, the status bar, message boxes and a file picker.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from ..core.book import BookState
from ..core.codec import has_content
from ..core.problems import Report
from ..core.sections import SECTIONS
from .rangeport import RangePort, to_excel

__all__ = ["XlwingsPort", "to_excel"]

_PROTECT_OPTIONS = {
    "DrawingObjects": False, "Contents": True, "AllowFormattingColumns": True, "AllowFormattingRows": True,
    "AllowSorting": True, "AllowFiltering": True,
}


# Rows per Range.value call. One call moves the whole block through COM as one array of variants
# (16 bytes a cell plus each text): 100,000 rows x 40 columns in one call is some 4 million
# variants and several hundred MB at once, which 32-bit Excel (2 GB of address space, still common
# at firms) fails with "not enough memory". 10,000 rows (about 400,000 cells, tens of MB) stay well
# inside it while a 100,000-record sheet takes ten calls: the number of calls grows with the blocks,
# not with the rows, and a book under 10,000 records per sheet makes one call per sheet as before.
BLOCK_ROWS = 10_000


class XlwingsPort(RangePort):
    """The actions' port over an ``xlwings.Book`` (in practice ``xw.Book.caller()``): reads a sheet
    with one look at its used range and one read per block of rows; lifts the sheets' protection
    around writes; progress in Excel's status bar; message boxes and a file picker for the buttons."""

    def _read_block(self, sheet_name: str, first_row: int, width: int) -> list[list[Any]]:
        sheet = self.book.sheets[sheet_name]
        last_row = sheet.used_range.last_cell.row
        values: list[list[Any]] = []
        for top in range(first_row, last_row + 1, BLOCK_ROWS):
            bottom = min(last_row, top + BLOCK_ROWS - 1)
            values += [list(row) for row in sheet.range((top, 1), (bottom, width)).options(ndim=2).value]
        while values and not has_content(values[-1]):
            values.pop()
        return values

    def _write(self, sheet: Any, top: int, left: int, rows: list[list[Any]]) -> None:
        """The rows in blocks of ``BLOCK_ROWS``, one Range.value call each."""
        for offset in range(0, len(rows), BLOCK_ROWS):
            super()._write(sheet, top + offset, left, rows[offset:offset + BLOCK_ROWS])

    @contextmanager
    def _editing(self, sheet: Any) -> Iterator[None]:
        with _unprotected(sheet.api):
            yield

    def _progress(self, text: str | None) -> None:
        self.book.app.status_bar = text if text is not None else False

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None,
             recon: dict[str, tuple[int, Decimal]] | None = None) -> None:
        app = self.book.app
        app.screen_updating = False
        try:
            super().save(state, report, fields, recon)
        finally:
            app.screen_updating = True

    # --- filters ---------------------------------------------------------------------------

    def clear_filters(self) -> None:
        """Show every row on every section sheet: filter criteria off, hidden rows shown."""
        for section in SECTIONS:
            api = self.book.sheets[section.sheet].api
            with _unprotected(api):
                _show_all_data(api)

    # --- talking to the user ---------------------------------------------------------------

    def alert(self, message: str, *, title: str = "ims-xl", critical: bool = False) -> None:
        self.book.app.alert(message, title=title, mode="critical" if critical else "info")

    def confirm(self, message: str, *, title: str = "ims-xl") -> bool:
        return str(self.book.app.alert(message, title=title, buttons="yes_no")).lower() == "yes"

    def pick_file(self, title: str, description: str, patterns: Sequence[str]) -> str | None:
        """A file picker; None when the user cancels."""
        if sys.platform == "win32":
            spec = ";".join(patterns)
            chosen = self.book.app.api.GetOpenFilename(f"{description} ({spec}),{spec}", 1, title)
            return None if chosen in (False, "False", None) else str(chosen)
        return _tk_pick_file(title, description, patterns)


class _unprotected:
    """Lift a sheet's protection (the template's has no password) for the writes, then restore it."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def __enter__(self) -> None:
        try:
            self.api.Unprotect()
        except AttributeError:  # macOS (appscript) spells the object model differently
            _call_if_present(self.api, "unprotect")

    def __exit__(self, *exc: object) -> None:
        try:
            self.api.Protect(**_PROTECT_OPTIONS)
        except AttributeError:
            _call_if_present(self.api, "protect_worksheet")


def _show_all_data(api: Any) -> None:
    """"Clear filters" as every port means it (``core.writeplan``): criteria off, the sheet's
    tables' included, every row shown."""
    try:
        if api.FilterMode:
            api.ShowAllData()
        for table in getattr(api, "ListObjects", None) or ():  # Excel Tables keep filters of their own
            with contextlib.suppress(Exception):  # a table without a filter refuses ShowAllData
                table.AutoFilter.ShowAllData()
        api.Rows.Hidden = False
    except AttributeError:
        _call_if_present(api, "show_all_data")


def _call_if_present(api: Any, name: str) -> None:
    method = getattr(api, name, None)
    if callable(method):
        with contextlib.suppress(Exception):  # best effort on the Mac object model; Windows is the main target
            method()


def _tk_pick_file(title: str, description: str, patterns: Sequence[str]) -> str | None:
    import tkinter
    from tkinter import filedialog

    root = tkinter.Tk()
    root.withdraw()
    root.attributes("-topmost", True)
    try:
        chosen = filedialog.askopenfilename(title=title, filetypes=[(description, " ".join(patterns))])
    finally:
        root.destroy()
    return chosen or None
