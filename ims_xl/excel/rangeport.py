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

from ..core import codec, writeplan
from ..core.book import BookState, Home
from ..core.layout import (
    CHANGE_LOG_TABLE,
    HOME,
    HOME_FIELDS,
    LAYOUT_VERSION,
    NOT_IN_IMS_TABLE,
    REMOVED_TABLE,
    SUMMARY_TABLE,
    Cell,
    section_layout,
)
from ..core.problems import InputError, Report
from ..core.sections import HEADER_ROW, SECTIONS, Section
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
        self._sheets = writeplan.Loaded()  # what the sheets held at the last load or save

    @property
    def name(self) -> str:
        return str(self.book.name)

    def _refuse_older_layout(self, section: Section, header: list[Any]) -> None:
        """A book of an earlier ims-xl's layout is upgraded by the command line, on the file (the
        columns move): in Excel it is named, before anything is written."""
        found = section_layout([str(value).strip() if value is not None else "" for value in header], section)
        if found is not None and found < LAYOUT_VERSION:
            raise InputError(
                f"{self.name}: this workbook has layout {found}, from an earlier ims-xl; save and close it, run "
                f"'ims-xl validate {self.name}' once (it upgrades the book in place, keeping a backup), and "
                "open it again", code="older-layout-in-excel", file=self.name, sheet=section.sheet, row=HEADER_ROW)

    # --- hooks -----------------------------------------------------------------------------

    def _read_block(self, sheet_name: str, first_row: int, width: int) -> list[list[Any]]:
        """All rows from ``first_row`` down to the last one with a value, table columns only."""
        raise NotImplementedError

    def _write(self, sheet: Any, top: int, left: int, rows: list[list[Any]]) -> None:
        """Write a block of (already converted) values with its top-left cell at (top, left)."""
        sheet.range((top, left), (top + len(rows) - 1, left + len(rows[0]) - 1)).value = rows

    def _formula_flags(self, sheet: Any, column: int, top: int, bottom: int) -> list[bool] | None:
        """Which cells of a column, ``top`` to ``bottom``, hold a formula (one read); None: this
        engine cannot tell, so nothing is written over them."""
        found = sheet.range((top, column), (bottom, column)).formula
        formulas = [found] if isinstance(found, str) else [row[0] if isinstance(row, list | tuple) else row
                                                           for row in found]
        return [isinstance(formula, str) and formula.startswith("=") for formula in formulas]

    @contextmanager
    def _editing(self, sheet: Any) -> Iterator[None]:
        """Around writes to a sheet (the Excel port lifts and restores protection)."""
        yield

    def _progress(self, text: str | None) -> None:
        """A progress line for the user (None: done)."""

    # --- reading ---------------------------------------------------------------------------

    def load(self) -> BookState:
        codec.check_sheets(self.name, [sheet.name for sheet in self.book.sheets])
        state = BookState(home=self._read_home())
        for section in SECTIONS:
            self._progress(f"ims-xl: reading {section.sheet}")
            # The header row comes with the data, in the same read: it is checked as the file port checks it
            # (a book of an older layout is named first: the command line upgrades it).
            rows = self._read_block(section.sheet, HEADER_ROW, len(section.columns))
            self._refuse_older_layout(section, rows[0] if rows else [])
            codec.check_section_header(section, rows[0] if rows else [], self.name)
            numbered = [(HEADER_ROW + offset, cells) for offset, cells in enumerate(rows) if offset]
            entries = codec.decode_section(section, numbered, self.name)
            state.entries[section.key] = entries
            self._sheets.read_section(section, entries, HEADER_ROW + len(rows) - 1)
        for table in (NOT_IN_IMS_TABLE, REMOVED_TABLE, CHANGE_LOG_TABLE):
            rows = self._read_block(table.sheet, table.first_row, table.width)
            found = codec.decode_table(table, ((table.first_row + i, cells) for i, cells in enumerate(rows)))
            if table is NOT_IN_IMS_TABLE:
                state.not_in_ims = [values for _, values in found]
            elif table is REMOVED_TABLE:
                state.removed = [codec.decode_removed(row, values, self.name) for row, values in found]
            else:
                state.log = [codec.decode_log(values) for _, values in found]
            self._sheets.read_table(table, max((row for row, _ in found), default=table.header_row), len(found))
        self._sheets.read_state(state)
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

    # --- writing: carrying out the plan ----------------------------------------------------

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None,
             recon: dict[str, tuple[int, Decimal]] | None = None) -> None:
        findings = findings_by_sheet(report) if report is not None else None
        plan = writeplan.plan_write(state, self._sheets, fields, findings=findings, recon=recon)
        try:
            for section_plan in plan.sections:
                self._progress(f"ims-xl: writing {section_plan.section.sheet}")
                self._write_section(section_plan)
            self._write_blocks(HOME, plan.home)
            for table_plan in plan.tables:
                self._write_table(table_plan)
        finally:
            self._progress(None)
        plan.done()

    def _write_section(self, plan: writeplan.SectionPlan) -> None:
        if not (plan.cells or plan.blanked or plan.added or plan.spelled):
            return
        sheet = self.book.sheets[plan.section.sheet]
        with self._editing(sheet):
            for first, stop in _runs(plan.blanked):  # rows whose record left: every cell of the table
                sheet.range((first, 1), (stop - 1, plan.width)).clear_contents()
            for top, left, rows in _changed_blocks(plan):
                self._write(sheet, top, left, rows)
            if plan.added:
                self._write(sheet, plan.first_added, 1,
                            [[to_excel(value) for value in values] for _, values in plan.added_rows()])
            self._write_spelled(sheet, plan.spelled)

    def _write_spelled(self, sheet: Any, spelled: dict[int, dict[int, str]]) -> None:
        """Statuses typed short, written as full words where the cell holds no formula: one read of
        the column's formulas, then a write per run of rows."""
        by_column: dict[int, list[int]] = {}
        for row in sorted(spelled):
            for column in spelled[row]:
                by_column.setdefault(column, []).append(row)
        for column, rows in by_column.items():
            flags = self._formula_flags(sheet, column, rows[0], rows[-1])
            if flags is None:
                continue
            typed = [row for row in rows if not flags[row - rows[0]]]
            for first, stop in _runs(typed):
                self._write(sheet, first, column, [[to_excel(spelled[row][column])] for row in range(first, stop)])

    def _write_blocks(self, sheet_name: str, blocks: list[codec.Block]) -> None:
        sheet = self.book.sheets[sheet_name]
        with self._editing(sheet):
            for top, rows in blocks:
                if rows:
                    self._write(sheet, top.row, top.column, [[to_excel(value) for value in row] for row in rows])

    def _write_table(self, plan: writeplan.TablePlan) -> None:
        table = plan.table
        sheet = self.book.sheets[table.sheet]
        if plan.rows:
            self._write(sheet, plan.top, table.left, [[to_excel(value) for value in row] for row in plan.rows])
        first_blank = plan.top + len(plan.rows)
        if plan.blank_to >= first_blank:
            sheet.range((first_blank, table.left), (plan.blank_to, table.left + table.width - 1)).clear_contents()


def _changed_blocks(plan: writeplan.SectionPlan) -> Iterator[tuple[int, int, list[list[Any]]]]:
    """The plan's changed cells as blocks to write, few whatever the number of rows.

    An input column's cells are written exactly (a run of adjacent changed rows per write), so a
    formula the user keeps in an unchanged input cell stays. The tool's and the portal's columns go
    in one block per run of adjacent columns, from the first to the last row with a change: the
    cells in between get the value they already show.
    """
    if not plan.cells:
        return
    section = plan.section
    by_column: dict[int, list[int]] = {}
    for row in sorted(plan.cells):
        for column in plan.cells[row]:
            by_column.setdefault(column, []).append(row)
    inputs = sorted(column for column in by_column if section.columns[column - 1].editable)
    for column in inputs:
        for first, stop in _runs(by_column[column]):
            yield first, column, [[to_excel(plan.cells[row][column])] for row in range(first, stop)]
    others = sorted(column for column in by_column if not section.columns[column - 1].editable)
    for first_column, stop_column in _runs(others):
        rows = sorted({row for column in range(first_column, stop_column) for row in by_column[column]})
        top, bottom = rows[0], rows[-1]
        fields = [section.columns[column - 1].field for column in range(first_column, stop_column)]
        block = []
        for row in range(top, bottom + 1):
            entry = plan.kept.get(row)
            changed = plan.cells.get(row, {})
            block.append([to_excel(changed[column] if column in changed else
                                   None if entry is None else codec.field_value(entry, name))
                          for column, name in zip(range(first_column, stop_column), fields, strict=True)])
        yield top, first_column, block


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs of ascending positions as (first, stop): one range call per run."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position:
            runs[-1] = (runs[-1][0], position + 1)
        else:
            runs.append((position, position + 1))
    return runs
