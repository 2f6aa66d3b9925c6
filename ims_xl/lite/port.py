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

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..core import layout
from ..core.book import (
    BookState,
    Entry,
    Home,
    LogEntry,
    entry_from_row,
    entry_to_row,
    removed_from_row,
    removed_to_row,
    text_or_none,
)
from ..core.problems import Report
from ..core.sections import FIRST_DATA_ROW, SECTIONS, Section
from ..core.summary import reconciliation_rows, summary_rows
from ..excel import to_excel
from . import home as lite_home

WRITE_LIMIT = 4_000_000  # bytes of cell values per write, under Excel on the web's 5 MB request limit
READ_PAGE = 10_000  # rows read per call while looking for the end of a sheet's data
FILTER_NOTE = "findings are on every row; a filter may hide some (Data > Clear shows them all)"


class LitePort:
    """The actions' port over the ``xw.Book`` that xlwings Lite hands a script."""

    def __init__(self, book: Any, *, write_limit: int = WRITE_LIMIT, read_page: int = READ_PAGE) -> None:
        self.book = book
        self.write_limit = write_limit
        self.read_page = read_page
        self._rows_at_load: dict[str, int] = {}
        self._log_rows_at_load = 0
        self._aux_rows_at_load: dict[str, int] = {}
        self.filters_may_hide_rows = False

    @property
    def name(self) -> str:
        return str(self.book.name)

    # --- reading ---------------------------------------------------------------------------

    def load(self) -> BookState:
        state = BookState(home=self._read_home())
        for section in SECTIONS:
            rows = self._read_block(section.sheet, FIRST_DATA_ROW, len(section.columns))
            self._rows_at_load[section.sheet] = len(rows)
            state.entries[section.key] = [
                entry_from_row(section, list(cells), FIRST_DATA_ROW + offset)
                for offset, cells in enumerate(rows) if _has_content(cells)
            ]
        first_aux = layout.AUX_HEADER_ROW + 2
        removed = self._read_block(layout.REMOVED, first_aux, len(layout.REMOVED_HEADERS))
        state.removed = [removed_from_row(list(c), first_aux + i) for i, c in enumerate(removed) if _has_content(c)]
        not_in_ims = self._read_block(layout.NOT_IN_IMS, first_aux, len(layout.NOT_IN_IMS_HEADERS))
        state.not_in_ims = [list(cells) for cells in not_in_ims if _has_content(cells)]
        log = self._read_block(layout.CHANGE_LOG, first_aux, len(layout.CHANGE_LOG_HEADERS))
        state.log = [LogEntry(*(str(v) if v is not None else "" for v in cells))
                     for cells in log if _has_content(cells)]
        self._aux_rows_at_load = {layout.REMOVED: len(removed), layout.NOT_IN_IMS: len(not_in_ims)}
        self._log_rows_at_load = len(state.log)
        return state

    def _read_home(self) -> Home:
        sheet = self.book.sheets[layout.HOME]
        top, column = layout.HOME_GSTIN
        bottom = layout.HOME_LAST_ACTION[0]
        values = sheet.range((top + 1, column + 1), (bottom + 1, column + 1)).options(ndim=2).value
        gstin, period, source, last = (text_or_none(row[0]) for row in values)
        return Home(gstin=gstin.upper() if gstin else None, period=period, source_file=source, last_action=last)

    def _read_block(self, sheet_name: str, first_row: int, width: int) -> list[Sequence[Any]]:
        """All rows from ``first_row`` (1-based) to the last one with a value.

        Lite's book has no used range: read pages of rows until a page is empty.
        """
        sheet = self.book.sheets[sheet_name]
        values: list[Sequence[Any]] = []
        top = first_row
        while True:
            page = sheet.range((top, 1), (top + self.read_page - 1, width)).options(ndim=2).value
            if not any(_has_content(cells) for cells in page):
                break
            values.extend(page)
            top += self.read_page
        while values and not _has_content(values[-1]):
            values.pop()
        return values

    def home(self) -> Home:
        """Only the Home sheet's inputs, without reading the section sheets."""
        return self._read_home()

    def file_cell(self) -> str | None:
        """The file the user named on Home, if any."""
        row, column = lite_home.FILE
        return text_or_none(self.book.sheets[layout.HOME].range((row + 1, column + 1)).value)

    # --- filters ---------------------------------------------------------------------------

    def clear_filters(self) -> None:
        """Lite cannot clear filters: remember to say that a filter may hide rows."""
        self.filters_may_hide_rows = True

    # --- writing ---------------------------------------------------------------------------

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None) -> None:
        state.number_rows()
        for section in SECTIONS:
            self._write_section(section, state.entries[section.key], fields)
        self._write_home(state, report)
        self._write_aux(layout.NOT_IN_IMS, state.not_in_ims, len(layout.NOT_IN_IMS_HEADERS))
        self._write_aux(layout.REMOVED, [removed_to_row(r) for r in state.removed], len(layout.REMOVED_HEADERS))
        self._append_log(state.log)

    def _write_section(self, section: Section, entries: list[Entry], fields: frozenset[str] | None) -> None:
        sheet = self.book.sheets[section.sheet]
        width = len(section.columns)
        rows = [entry_to_row(entry) for entry in entries]
        # A row the user blanked out would shift every later row's cells: rewrite the block instead.
        if fields is None or self._rows_at_load.get(section.sheet, 0) != len(rows):
            self._replace_block(sheet, rows, FIRST_DATA_ROW, width, self._rows_at_load.get(section.sheet, 0))
            self._rows_at_load[section.sheet] = len(rows)
            return
        for field_name in sorted(fields):
            try:
                column = section.index(field_name)
            except KeyError:
                continue  # e.g. the ITC column on a section that has none
            self._write_rows(sheet, FIRST_DATA_ROW, column + 1, [[row[column]] for row in rows])

    def _replace_block(self, sheet: Any, rows: list[list[Any]], first_row: int, width: int, old_count: int) -> None:
        self._write_rows(sheet, first_row, 1, rows)
        if old_count > len(rows):  # fewer rows than before: clear what is left below
            sheet.range((first_row + len(rows), 1), (first_row + old_count - 1, width)).clear_contents()

    def _write_rows(self, sheet: Any, first_row: int, first_column: int, rows: list[list[Any]]) -> None:
        """Write ``rows`` from (first_row, first_column), in blocks under the write limit."""
        values = [[to_excel(value) for value in row] for row in rows]
        for offset, block in _blocks(values, self.write_limit):
            top = first_row + offset
            sheet.range((top, first_column), (top + len(block) - 1, first_column + len(block[0]) - 1)).value = block

    def _write_home(self, state: BookState, report: Report | None) -> None:
        sheet = self.book.sheets[layout.HOME]
        home = state.home
        top, column = layout.HOME_GSTIN
        sheet.range((top + 1, column + 1), (layout.HOME_LAST_ACTION[0] + 1, column + 1)).value = [
            [to_excel(v or "")] for v in (home.gstin, home.period, home.source_file, home.last_action)]
        summary = summary_rows(state, report)
        sheet.range((layout.SUMMARY_TOP + 2, 2), (layout.SUMMARY_TOP + 1 + len(summary), 13)).value = [
            [to_excel(v) for v in row] for row in summary]
        recon = reconciliation_rows(state)
        sheet.range((layout.RECON_TOP + 2, 2), (layout.RECON_TOP + 1 + len(recon), 4)).value = [
            [to_excel(v) for v in row] for row in recon]

    def _write_aux(self, sheet_name: str, rows: list[list[Any]], width: int) -> None:
        sheet = self.book.sheets[sheet_name]
        self._replace_block(sheet, rows, layout.AUX_HEADER_ROW + 2, width, self._aux_rows_at_load.get(sheet_name, 0))
        self._aux_rows_at_load[sheet_name] = len(rows)

    def _append_log(self, log: list[LogEntry]) -> None:
        new = log[self._log_rows_at_load:]
        if not new:
            return
        sheet = self.book.sheets[layout.CHANGE_LOG]
        first = layout.AUX_HEADER_ROW + 2 + self._log_rows_at_load
        self._write_rows(sheet, first, 1, [line.cells() for line in new])
        self._log_rows_at_load = len(log)

    # --- talking to the user ---------------------------------------------------------------

    def status(self, message: str) -> None:
        """Show one line in the status cell on Home (Lite has no message box or status bar)."""
        if self.filters_may_hide_rows:
            message = f"{message}; {FILTER_NOTE}"
        self._home_cell(lite_home.STATUS, message)

    def upload_written(self, name: str) -> None:
        self._home_cell(lite_home.UPLOAD, name)

    def _home_cell(self, position: tuple[int, int], text: str) -> None:
        row, column = position
        self.book.sheets[layout.HOME].range((row + 1, column + 1)).value = to_excel(text)


def _has_content(cells: Sequence[Any]) -> bool:
    return any(value not in (None, "") for value in cells)


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
