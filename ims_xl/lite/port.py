"""The workbook open in Excel under xlwings Lite: the Lite buttons' port.

The same shape as ``excel.XlwingsPort`` (load / save / clear_filters / name), over the subset of
xlwings that Lite offers: reading and writing range values and clearing contents. Lite has no
``.api``, no status bar, no message box, no protection calls and cannot clear filters, so:
feedback goes to a status cell on Home (``status``); the Lite workbook's sheets are not
protected; Validate writes its findings to whole columns (hidden rows too) and the status says a
filter may hide some. Excel on the web refuses requests over 5 MB, so every write goes in blocks
of rows whose values stay under ``write_limit`` bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core.book import Home, text_or_none
from ..core.codec import has_content
from ..core.layout import HOME, Cell
from ..excel.rangeport import RangePort, to_excel
from . import home as lite_home

WRITE_LIMIT = 4_000_000  # bytes of cell values per write, under Excel on the web's 5 MB request limit
READ_PAGE = 10_000  # rows read per call while looking for the end of a sheet's data
FILTER_NOTE = "findings are on every row; a filter may hide some (Data > Clear shows them all)"


class LitePort(RangePort):
    """The actions' port over the ``xw.Book`` that xlwings Lite hands a script."""

    def __init__(self, book: Any, *, write_limit: int = WRITE_LIMIT, read_page: int = READ_PAGE) -> None:
        super().__init__(book)
        self.write_limit = write_limit
        self.read_page = read_page
        self.filters_may_hide_rows = False

    # --- hooks -----------------------------------------------------------------------------

    def _read_block(self, sheet_name: str, first_row: int, width: int) -> list[list[Any]]:
        """All rows from ``first_row`` to the last one with a value.

        Lite's book has no used range: read pages of rows until a page is empty.
        """
        sheet = self.book.sheets[sheet_name]
        values: list[list[Any]] = []
        top = first_row
        while True:
            page = sheet.range((top, 1), (top + self.read_page - 1, width)).options(ndim=2).value
            if not any(has_content(cells) for cells in page):
                break
            values.extend(list(cells) for cells in page)
            top += self.read_page
        while values and not has_content(values[-1]):
            values.pop()
        return values

    def _formula_flags(self, sheet: Any, column: int, top: int, bottom: int) -> list[bool] | None:
        """Lite reads formulas only asynchronously, which its scripts are not: a status typed short
        stays as typed (it is read all the same)."""
        return None

    def _write(self, sheet: Any, top: int, left: int, rows: list[list[Any]]) -> None:
        """Write in blocks of rows under the write limit."""
        for offset, block in _blocks(rows, self.write_limit):
            first = top + offset
            sheet.range((first, left), (first + len(block) - 1, left + len(block[0]) - 1)).value = block

    # --- Lite's own cells on Home ------------------------------------------------------------

    def home(self) -> Home:
        """Only the Home sheet's inputs, without reading the section sheets."""
        return self._read_home()

    def file_cell(self) -> str | None:
        """The file the user named on Home, if any."""
        cell = lite_home.FILE
        return text_or_none(self.book.sheets[HOME].range((cell.row, cell.column)).value)

    # --- filters ---------------------------------------------------------------------------

    def clear_filters(self) -> None:
        """Lite cannot clear filters: remember to say that a filter may hide rows."""
        self.filters_may_hide_rows = True

    # --- talking to the user ---------------------------------------------------------------

    def status(self, message: str) -> None:
        """Show one line in the status cell on Home (Lite has no message box or status bar)."""
        if self.filters_may_hide_rows:
            message = f"{message}; {FILTER_NOTE}"
        self._home_cell(lite_home.STATUS, message)

    def upload_written(self, name: str) -> None:
        self._home_cell(lite_home.UPLOAD, name)

    def _home_cell(self, cell: Cell, text: str) -> None:
        self.book.sheets[HOME].range((cell.row, cell.column)).value = to_excel(text)


def _blocks(rows: list[list[Any]], limit: int) -> list[tuple[int, list[list[Any]]]]:
    """``rows`` cut into consecutive blocks whose values add up to at most ``limit`` bytes (a
    row larger than the limit on its own is a block by itself)."""
    blocks: list[tuple[int, list[list[Any]]]] = []
    start, size = 0, 0
    for index, row in enumerate(rows):
        row_size = sum(_value_size(value) for value in row)
        if index > start and size + row_size > limit:
            blocks.append((start, rows[start:index]))
            start, size = index, 0
        size += row_size
    if start < len(rows):
        blocks.append((start, rows[start:]))
    return blocks


def _value_size(value: Any) -> int:
    """At least what one value, as written, costs in the JSON sent to Excel: text as UTF-8 with its
    escapes, quotes and the comma; a row's brackets are counted on its first value's comma."""
    if value is None:
        return 6
    if isinstance(value, datetime):
        return 24  # "2025-10-04 00:00:00" at most
    if isinstance(value, str):
        escapes = value.count('"') + value.count("\\") + value.count("\n") + value.count("\r") + value.count("\t")
        return len(value.encode("utf-8")) + escapes + 4
    return len(str(value)) + 4
