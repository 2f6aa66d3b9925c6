"""The workbook open in Excel, through xlwings: the buttons' port.

Only this module and ``macros`` touch xlwings objects. Every sheet is read with one
``Range.value`` call and written with one call per changed column (or one for the whole block),
whatever the number of rows; highlighting needs no calls at all, because the template's
conditional formats follow the "Sheet Validation Errors" column.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .core import codec
from .core.book import BookState, Entry, Home, LogEntry
from .core.codec import has_content
from .core.layout import (
    CHANGE_LOG_TABLE,
    HOME,
    HOME_FIELDS,
    NOT_IN_IMS_TABLE,
    REMOVED_TABLE,
    SUMMARY_TABLE,
    Cell,
)
from .core.problems import Report
from .core.sections import FIRST_DATA_ROW, SECTIONS, Section
from .core.summary import findings_by_sheet

_PROTECT_OPTIONS = {
    "DrawingObjects": False, "Contents": True, "AllowFormattingColumns": True, "AllowFormattingRows": True,
    "AllowSorting": True, "AllowFiltering": True,
}


def to_excel(value: Any) -> Any:
    """A core cell value as Excel takes it through xlwings.

    Text gets a leading apostrophe, which Excel keeps as a prefix and never returns: so text from
    the portal (a trade name "=HYPERLINK(...)", a number "000123") is never taken as a formula or
    a number.
    """
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


class XlwingsPort:
    """The actions' port over an ``xlwings.Book`` (in practice ``xw.Book.caller()``).

    The same codec as the file port; the same rule on what may be written: the changed columns on
    rows already on a sheet, every column on rows the tool adds, nothing right of the tables.
    """

    def __init__(self, book: Any) -> None:
        self.book = book
        self._loaded_rows: dict[str, set[int]] = {}
        self._last_row: dict[str, int] = {}
        self._aux_loaded: dict[str, tuple[list[list[Any]], int]] = {}
        self._log_next = (0, CHANGE_LOG_TABLE.first_row)

    @property
    def name(self) -> str:
        return str(self.book.name)

    # --- reading ---------------------------------------------------------------------------

    def load(self) -> BookState:
        state = BookState(home=self._read_home())
        for section in SECTIONS:
            self.book.app.status_bar = f"ims-xl: reading {section.sheet}"
            rows = self._read_block(section.sheet, FIRST_DATA_ROW, len(section.columns))
            numbered = [(FIRST_DATA_ROW + offset, cells) for offset, cells in enumerate(rows)]
            entries = codec.decode_section(section, numbered, self.name)
            state.entries[section.key] = entries
            self._loaded_rows[section.key] = {entry.row for entry in entries if entry.row is not None}
            self._last_row[section.key] = FIRST_DATA_ROW + len(rows) - 1
        for table in (NOT_IN_IMS_TABLE, REMOVED_TABLE, CHANGE_LOG_TABLE):
            rows = self._read_block(table.sheet, table.first_row, table.width)
            found = codec.decode_table(table, ((table.first_row + i, cells) for i, cells in enumerate(rows)))
            last = table.first_row + len(rows) - 1
            if table is NOT_IN_IMS_TABLE:
                state.not_in_ims = [values for _, values in found]
            elif table is REMOVED_TABLE:
                state.removed = [codec.decode_removed(row, values, self.name) for row, values in found]
            else:
                state.log = [codec.decode_log(values) for _, values in found]
                self._log_next = (len(found), last + 1)
            self._aux_loaded[table.sheet] = ([], last)
        for sheet, rows in codec.aux_tables(state).items():
            self._aux_loaded[sheet] = (rows, self._aux_loaded[sheet][1])
        self.book.app.status_bar = f"ims-xl: checking {len(state.all_entries()):,} records"
        return state

    def _read_home(self) -> Home:
        sheet = self.book.sheets[HOME]
        cells = [home_field.cell for home_field in HOME_FIELDS]
        bottom = max(SUMMARY_TABLE.last_row, *(cell.row for cell in cells))
        right = max(SUMMARY_TABLE.left + SUMMARY_TABLE.width - 1, *(cell.column for cell in cells))
        values = sheet.range((1, 1), (bottom, right)).options(ndim=2).value

        def value_at(cell: Cell) -> Any:
            return values[cell.row - 1][cell.column - 1]

        return codec.decode_home(value_at)

    def _read_block(self, sheet_name: str, first_row: int, width: int) -> list[list[Any]]:
        """All rows from ``first_row`` down to the sheet's last used row, table columns only: two calls."""
        sheet = self.book.sheets[sheet_name]
        last_row = sheet.used_range.last_cell.row
        if last_row < first_row:
            return []
        values = sheet.range((first_row, 1), (last_row, width)).options(ndim=2).value
        while values and not has_content(values[-1]):
            values.pop()
        return [list(row) for row in values]

    # --- filters ---------------------------------------------------------------------------

    def clear_filters(self) -> None:
        """Show every row on every section sheet: filter criteria off, hidden rows shown."""
        for section in SECTIONS:
            api = self.book.sheets[section.sheet].api
            with _unprotected(api):
                _show_all_data(api)

    # --- writing ---------------------------------------------------------------------------

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None,
             recon: dict[str, tuple[int, Decimal]] | None = None) -> None:
        app = self.book.app
        app.screen_updating = False
        try:
            for section in SECTIONS:
                app.status_bar = f"ims-xl: writing {section.sheet}"
                self._write_section(section, state.entries[section.key], fields)
            findings = findings_by_sheet(report) if report is not None else None
            self._write_blocks(HOME, codec.home_blocks(state, findings=findings, recon=recon))
            self._write_aux(state)
            self._append_log(state.log)
        finally:
            app.status_bar = False
            app.screen_updating = True

    def _write_section(self, section: Section, entries: list[Entry], fields: frozenset[str] | None) -> None:
        sheet = self.book.sheets[section.sheet]
        width = len(section.columns)
        loaded = self._loaded_rows.get(section.key, set())
        last = self._last_row.get(section.key, FIRST_DATA_ROW - 1)
        kept = {entry.row: entry for entry in entries if entry.row is not None and entry.row in loaded}
        # Every row new (Open in an existing book): start at the top.
        last_written = last if kept else FIRST_DATA_ROW - 1
        added = [entry for entry in entries if entry.row is None or kept.get(entry.row) is not entry]
        with _unprotected(sheet.api):
            if kept and last >= FIRST_DATA_ROW:
                positions = set(_owned_positions(section, fields))
                if any(entry.rebound for entry in kept.values()):
                    positions.add(section.index("record"))
                rows = []
                for row in range(FIRST_DATA_ROW, last + 1):
                    entry = kept.get(row)
                    rows.append(codec.section_row(entry) if entry is not None else [None] * width)
                for first, stop in _runs(sorted(positions)):
                    sheet.range((FIRST_DATA_ROW, first + 1), (last, stop)).value = [
                        [to_excel(value) for value in row[first:stop]] for row in rows]
                inputs = [entry for entry in kept.values() if entry.write_inputs]
                for entry in inputs:  # the tool replaced these rows' inputs (supplier edits)
                    assert entry.row is not None
                    sheet.range((entry.row, 1), (entry.row, width)).value = [
                        [to_excel(value) for value in codec.section_row(entry)]]
            elif last >= FIRST_DATA_ROW:
                sheet.range((FIRST_DATA_ROW, 1), (last, width)).clear_contents()
            if added:
                first_new = last_written + 1
                for offset, entry in enumerate(added):
                    entry.row = first_new + offset
                sheet.range((first_new, 1), (first_new + len(added) - 1, width)).value = [
                    [to_excel(value) for value in codec.section_row(entry)] for entry in added]
                last = max(last, first_new + len(added) - 1)
        self._loaded_rows[section.key] = {entry.row for entry in entries if entry.row is not None}
        self._last_row[section.key] = last

    def _write_blocks(self, sheet_name: str, blocks: list[codec.Block]) -> None:
        sheet = self.book.sheets[sheet_name]
        with _unprotected(sheet.api):
            for top, rows in blocks:
                if rows:
                    sheet.range((top.row, top.column), (top.row + len(rows) - 1, top.column + len(rows[0]) - 1)
                                ).value = [[to_excel(value) for value in row] for row in rows]

    def _write_aux(self, state: BookState) -> None:
        tables = {NOT_IN_IMS_TABLE.sheet: NOT_IN_IMS_TABLE, REMOVED_TABLE.sheet: REMOVED_TABLE}
        for sheet_name, rows in codec.aux_tables(state).items():
            before, last = self._aux_loaded.get(sheet_name, ([], tables[sheet_name].header_row))
            if rows == before:
                continue
            table = tables[sheet_name]
            sheet = self.book.sheets[sheet_name]
            if last >= table.first_row:
                sheet.range((table.first_row, table.left), (last, table.left + table.width - 1)).clear_contents()
            if rows:
                sheet.range((table.first_row, table.left),
                            (table.first_row + len(rows) - 1, table.left + table.width - 1)).value = [
                    [to_excel(value) for value in row] for row in rows]
            self._aux_loaded[sheet_name] = (rows, table.first_row + len(rows) - 1)

    def _append_log(self, log: list[LogEntry]) -> None:
        count, next_row = self._log_next
        new = log[count:]
        if not new:
            return
        sheet = self.book.sheets[CHANGE_LOG_TABLE.sheet]
        sheet.range((next_row, CHANGE_LOG_TABLE.left),
                    (next_row + len(new) - 1, CHANGE_LOG_TABLE.left + CHANGE_LOG_TABLE.width - 1)).value = [
            [to_excel(v) for v in row] for row in codec.log_rows(new)]
        self._log_next = (len(log), next_row + len(new))

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


def _owned_positions(section: Section, fields: frozenset[str] | None) -> tuple[int, ...]:
    if fields is None:
        return tuple(i for i, column in enumerate(section.columns) if not column.editable)
    return tuple(i for i, column in enumerate(section.columns) if column.field in fields)


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs of 0-based positions as (first, stop): one range write per run."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position:
            runs[-1] = (runs[-1][0], position + 1)
        else:
            runs.append((position, position + 1))
    return runs


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
    try:
        if api.FilterMode:
            api.ShowAllData()
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
