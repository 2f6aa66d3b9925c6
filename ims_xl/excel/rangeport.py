"""A workbook open in Excel, seen as ranges of values: what the Excel port (xlwings on Windows and
macOS) and the Lite port (xlwings Lite, Python inside Excel) have in common.

Both read a sheet block with one ``Range.value`` and write the tool's columns back as blocks, over
the same codec as the file port and with the same rule on what may be written: the changed
columns on rows already on a sheet, every column on rows the tool adds, nothing right of the
tables. What differs is a few hooks: how far a sheet's data goes, how a block is written (Excel
on the web takes at most 5 MB a request), whether protection must be lifted, and where progress
goes. This module uses only ``book.sheets[...]``, ``sheet.range(...)``, ``.value``, ``.options``
and ``.clear_contents``: the subset xlwings Lite offers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..core import codec
from ..core.book import BookState, Entry, Home, LogEntry
from ..core.layout import (
    CHANGE_LOG_TABLE,
    HOME,
    HOME_FIELDS,
    NOT_IN_IMS_TABLE,
    REMOVED_TABLE,
    SUMMARY_TABLE,
    Cell,
)
from ..core.problems import Report
from ..core.sections import FIRST_DATA_ROW, SECTIONS, Section
from ..core.summary import findings_by_sheet


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


class RangePort:
    """The actions' port over an ``xlwings.Book``-like object; subclasses supply the hooks."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self._loaded_rows: dict[str, set[int]] = {}
        self._last_row: dict[str, int] = {}
        self._aux_loaded: dict[str, tuple[list[list[Any]], int]] = {}
        self._log_next = (0, CHANGE_LOG_TABLE.first_row)

    @property
    def name(self) -> str:
        return str(self.book.name)

    # --- hooks -----------------------------------------------------------------------------

    def _read_block(self, sheet_name: str, first_row: int, width: int) -> list[list[Any]]:
        """All rows from ``first_row`` down to the last one with a value, table columns only."""
        raise NotImplementedError

    def _write(self, sheet: Any, top: int, left: int, rows: list[list[Any]]) -> None:
        """Write a block of (already converted) values with its top-left cell at (top, left)."""
        sheet.range((top, left), (top + len(rows) - 1, left + len(rows[0]) - 1)).value = rows

    @contextmanager
    def _editing(self, sheet: Any) -> Iterator[None]:
        """Around writes to a sheet (the Excel port lifts and restores protection)."""
        yield

    def _progress(self, text: str | None) -> None:
        """A progress line for the user (None: done)."""

    # --- reading ---------------------------------------------------------------------------

    def load(self) -> BookState:
        state = BookState(home=self._read_home())
        for section in SECTIONS:
            self._progress(f"ims-xl: reading {section.sheet}")
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
        self._progress(f"ims-xl: checking {len(state.all_entries()):,} records")
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

    # --- writing ---------------------------------------------------------------------------

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None,
             recon: dict[str, tuple[int, Decimal]] | None = None) -> None:
        try:
            for section in SECTIONS:
                self._progress(f"ims-xl: writing {section.sheet}")
                self._write_section(section, state.entries[section.key], fields)
            findings = findings_by_sheet(report) if report is not None else None
            self._write_blocks(HOME, codec.home_blocks(state, findings=findings, recon=recon))
            self._write_aux(state)
            self._append_log(state.log)
        finally:
            self._progress(None)

    def _write_section(self, section: Section, entries: list[Entry], fields: frozenset[str] | None) -> None:
        sheet = self.book.sheets[section.sheet]
        width = len(section.columns)
        loaded = self._loaded_rows.get(section.key, set())
        last = self._last_row.get(section.key, FIRST_DATA_ROW - 1)
        kept = {entry.row: entry for entry in entries if entry.row is not None and entry.row in loaded}
        last_written = last if kept else FIRST_DATA_ROW - 1  # every row new (Open in a used book): from the top
        added = [entry for entry in entries if entry.row is None or kept.get(entry.row) is not entry]
        with self._editing(sheet):
            if kept and last >= FIRST_DATA_ROW:
                positions = set(codec.owned_positions(section, fields))
                if any(entry.rebound for entry in kept.values()):
                    positions.add(section.index("record"))  # the hidden record follows the visible keys
                rows = [codec.section_row(kept[row]) if row in kept else [None] * width
                        for row in range(FIRST_DATA_ROW, last + 1)]
                for first, stop in _runs(sorted(positions)):
                    self._write(sheet, FIRST_DATA_ROW, first + 1,
                                [[to_excel(value) for value in row[first:stop]] for row in rows])
                for entry in kept.values():
                    if entry.write_inputs and entry.row is not None:  # the tool replaced these inputs
                        self._write(sheet, entry.row, 1, [[to_excel(value) for value in codec.section_row(entry)]])
            elif last >= FIRST_DATA_ROW:
                sheet.range((FIRST_DATA_ROW, 1), (last, width)).clear_contents()
            if added:
                first_new = last_written + 1
                for offset, entry in enumerate(added):
                    entry.row = first_new + offset
                self._write(sheet, first_new, 1,
                            [[to_excel(value) for value in codec.section_row(entry)] for entry in added])
                last = max(last, first_new + len(added) - 1)
        self._loaded_rows[section.key] = {entry.row for entry in entries if entry.row is not None}
        self._last_row[section.key] = last

    def _write_blocks(self, sheet_name: str, blocks: list[codec.Block]) -> None:
        sheet = self.book.sheets[sheet_name]
        with self._editing(sheet):
            for top, rows in blocks:
                if rows:
                    self._write(sheet, top.row, top.column, [[to_excel(value) for value in row] for row in rows])

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
                self._write(sheet, table.first_row, table.left, [[to_excel(value) for value in row] for row in rows])
            self._aux_loaded[sheet_name] = (rows, table.first_row + len(rows) - 1)

    def _append_log(self, log: list[LogEntry]) -> None:
        count, next_row = self._log_next
        new = log[count:]
        if not new:
            return
        self._write(self.book.sheets[CHANGE_LOG_TABLE.sheet], next_row, CHANGE_LOG_TABLE.left,
                    [[to_excel(v) for v in row] for row in codec.log_rows(new)])
        self._log_next = (len(log), next_row + len(new))


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs of 0-based positions as (first, stop): one range write per run."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position:
            runs[-1] = (runs[-1][0], position + 1)
        else:
            runs.append((position, position + 1))
    return runs

