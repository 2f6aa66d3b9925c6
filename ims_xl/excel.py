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

from .core import layout
from .core.book import (
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
from .core.problems import Report
from .core.sections import FIRST_DATA_ROW, SECTIONS, Section
from .core.summary import reconciliation_rows, summary_rows

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
    """The actions' port over an ``xlwings.Book`` (in practice ``xw.Book.caller()``)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self._rows_at_load: dict[str, int] = {}
        self._log_rows_at_load = 0
        self._aux_rows_at_load: dict[str, int] = {}

    @property
    def name(self) -> str:
        return str(self.book.name)

    # --- reading ---------------------------------------------------------------------------

    def load(self) -> BookState:
        state = BookState(home=self._read_home())
        for section in SECTIONS:
            self.book.app.status_bar = f"ims-xl: reading {section.sheet}"
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
        self.book.app.status_bar = f"ims-xl: checking {len(state.all_entries()):,} records"
        return state

    def _read_home(self) -> Home:
        sheet = self.book.sheets[layout.HOME]
        top, column = layout.HOME_GSTIN
        bottom = layout.HOME_LAST_ACTION[0]
        values = sheet.range((top + 1, column + 1), (bottom + 1, column + 1)).options(ndim=1).value
        gstin, period, source, last = (text_or_none(v) for v in values)
        return Home(gstin=gstin.upper() if gstin else None, period=period, source_file=source, last_action=last)

    def _read_block(self, sheet_name: str, first_row: int, width: int) -> list[Sequence[Any]]:
        """All rows from ``first_row`` (1-based) down to the sheet's last used row: two calls."""
        sheet = self.book.sheets[sheet_name]
        last_row = sheet.used_range.last_cell.row
        if last_row < first_row:
            return []
        values = sheet.range((first_row, 1), (last_row, width)).options(ndim=2).value
        while values and not _has_content(values[-1]):
            values.pop()
        return list(values)

    # --- filters ---------------------------------------------------------------------------

    def clear_filters(self) -> None:
        """Show every row on every section sheet: filter criteria off, hidden rows shown."""
        for section in SECTIONS:
            api = self.book.sheets[section.sheet].api
            with _unprotected(api):
                _show_all_data(api)

    # --- writing ---------------------------------------------------------------------------

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None) -> None:
        app = self.book.app
        app.screen_updating = False
        try:
            state.number_rows()
            for section in SECTIONS:
                app.status_bar = f"ims-xl: writing {section.sheet}"
                self._write_section(section, state.entries[section.key], fields)
            self._write_home(state, report)
            self._write_aux(layout.NOT_IN_IMS, state.not_in_ims, len(layout.NOT_IN_IMS_HEADERS))
            self._write_aux(layout.REMOVED, [removed_to_row(r) for r in state.removed], len(layout.REMOVED_HEADERS))
            self._append_log(state.log)
        finally:
            app.status_bar = False
            app.screen_updating = True

    def _write_section(self, section: Section, entries: list[Entry], fields: frozenset[str] | None) -> None:
        sheet = self.book.sheets[section.sheet]
        width = len(section.columns)
        rows = [entry_to_row(entry) for entry in entries]
        with _unprotected(sheet.api):
            # A row the user blanked out would shift every later row's cells: rewrite the block instead.
            if fields is None or self._rows_at_load.get(section.sheet, 0) != len(rows):
                self._replace_block(sheet, rows, FIRST_DATA_ROW, width, self._rows_at_load.get(section.sheet, 0))
                self._rows_at_load[section.sheet] = len(rows)
                return
            if not rows:
                return
            for field_name in sorted(fields):
                try:
                    column = section.index(field_name)
                except KeyError:
                    continue  # e.g. the ITC column on a section that has none
                last = FIRST_DATA_ROW + len(rows) - 1
                sheet.range((FIRST_DATA_ROW, column + 1), (last, column + 1)).value = [
                    [to_excel(row[column])] for row in rows]

    def _replace_block(self, sheet: Any, rows: list[list[Any]], first_row: int, width: int, old_count: int) -> None:
        if rows:
            sheet.range((first_row, 1), (first_row + len(rows) - 1, width)).value = [
                [to_excel(value) for value in row] for row in rows]
        if old_count > len(rows):  # fewer rows than before: clear what is left below
            sheet.range((first_row + len(rows), 1), (first_row + old_count - 1, width)).clear_contents()

    def _write_home(self, state: BookState, report: Report | None) -> None:
        sheet = self.book.sheets[layout.HOME]
        home = state.home
        top, column = layout.HOME_GSTIN
        with _unprotected(sheet.api):
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
        sheet.range((first, 1), (first + len(new) - 1, len(layout.CHANGE_LOG_HEADERS))).value = [
            [to_excel(v) for v in line.cells()] for line in new]
        self._log_rows_at_load = len(log)

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


def _has_content(cells: Sequence[Any]) -> bool:
    return any(value not in (None, "") for value in cells)


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
