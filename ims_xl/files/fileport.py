"""A workbook file as the actions' port (the command line's): read with python-calamine, edited in
place through ``files.package``: only the tool's own cells change, atomically, with a backup.

A new book is built by ``bookfile.write_book`` (XlsxWriter: Home, validations, formats, names,
VBA, buttons) and its section rows are then streamed in by the same patcher, which is several
times faster than XlsxWriter's per-cell calls.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from ..core import codec, writeplan
from ..core.book import BookState, Entry, is_blank
from ..core.layout import (
    CHANGE_LOG_TABLE,
    HOME,
    LAYOUT_VERSION,
    NOT_IN_IMS_TABLE,
    REMOVED_TABLE,
    XLWINGS_CONF,
    Cell,
    Table,
    column_letter,
)
from ..core.problems import InputError, Report
from ..core.sections import HEADER_ROW, SECTIONS, Section
from ..core.summary import findings_by_sheet
from .backups import replace_keeping_backup
from .bookfile import MacroSetup, write_book
from .locks import Fingerprint, refuse_if_changed
from .memory import WorkbookNeeds
from .package import Package, check_extent, rewrite_package
from .sheetxml import SheetEdit, UnlessFormula
from .upgrade import upgrade_if_older, upgraded_copy


class FilePort:
    """The actions' port over a workbook file."""

    def __init__(self, path: str | os.PathLike[str], *, new: bool = False,
                 macros: Callable[[], MacroSetup] | None = None,
                 progress: Callable[[str], None] | None = None, read_only: bool = False) -> None:
        """``macros`` gives a new .xlsm its VBA project and xlwings.conf (the caller's choice of
        Python); it is called only when a new macro book is written. A book of an older layout is
        upgraded in place when loaded (``files.upgrade``), or, ``read_only``, read from an upgraded
        copy and left as it is."""
        self.path = Path(path)
        self.new = new  # a new book: nothing to read yet
        self._macros = macros
        self._progress = progress or (lambda message: None)
        self.backup: Path | None = None
        self._clear_filters = False
        self._sheets = writeplan.Loaded()  # what the sheets held at the last load or save
        self._at_load: Fingerprint | None = None  # compared before a save replaces the book
        self._loaded = False
        self.read_only = read_only
        self.upgraded_from: int | None = None  # the layout the book had, when loading upgraded it

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def has_macros(self) -> bool:
        return self.path.suffix.lower() == ".xlsm"

    # --- reading ---------------------------------------------------------------------------

    def load(self) -> BookState:
        if self.new:
            self._at_load, self._loaded = Fingerprint.of(self.path), True
            return BookState()
        if self.read_only and self.path.exists():
            with tempfile.TemporaryDirectory() as folder:
                copy = upgraded_copy(self.path, Path(folder))
                self._progress(f"Reading {self.path.name}")
                state = self._read([], copy)
            self._progress(f"Read {len(state.all_entries()):,} records")
            return state
        if self.path.exists() and not self._loaded:
            self.upgraded_from = upgrade_if_older(self.path)
            if self.upgraded_from is not None:
                self._progress(f"Upgraded {self.path.name} from layout {self.upgraded_from} to {LAYOUT_VERSION}")
        self._at_load, self._loaded = Fingerprint.of(self.path), True
        self._progress(f"Reading {self.path.name}")
        needs: list[WorkbookNeeds] = []
        try:
            state = self._read(needs)
        except MemoryError:  # the estimate let it through, yet Python ran short: the same one line
            if not needs:
                raise
            raise needs[0].error(self.path.name) from None
        self._progress(f"Read {len(state.all_entries()):,} records")
        return state

    def _read(self, needs: list[WorkbookNeeds], source: Path | None = None) -> BookState:
        name = self.path.name
        source = source or self.path
        if not source.exists():
            raise InputError(f"{self.path}: no such workbook", code="no-such-workbook", file=self.path)
        with Package(source) as package:
            codec.check_sheets(name, package.sheet_parts)
            for sheet, part in package.sheet_parts.items():
                check_extent(package, sheet, part, name)
            section_sheets = [section.sheet for section in SECTIONS]
            aux = (NOT_IN_IMS_TABLE, REMOVED_TABLE, CHANGE_LOG_TABLE)
            read = [HOME, *section_sheets, *(table.sheet for table in aux)]
            needs.append(WorkbookNeeds(package, read, section_sheets))
        needs[0].refuse_if_short(name)
        try:
            book = CalamineWorkbook.from_path(str(source))
        except Exception as error:  # calamine raises its own types for damaged zips and XML
            raise InputError(f"{name}: not an Excel workbook that can be read ({_first_line(error)})",
                             code="not-a-workbook", file=name) from None
        sheets = set(book.sheet_names)
        home = _grid(book, HOME)
        state = BookState(home=codec.decode_home(lambda cell: _at(home, cell)))
        for section in SECTIONS:
            sheet_rows = _rows(book, section.sheet, len(section.columns))
            header = next((cells for row, cells in sheet_rows if row == HEADER_ROW), [])
            codec.check_section_header(section, header, name)
            data = _DataRows(sheet_rows, len(section.columns))
            entries = codec.decode_section(section, data, name)
            if any(is_blank(entry.status) for entry in entries):
                _show_formula_errors(source, section, entries)
            state.entries[section.key] = entries
            self._sheets.read_section(section, entries, data.last)
        for table in (NOT_IN_IMS_TABLE, REMOVED_TABLE, CHANGE_LOG_TABLE):
            found = self._read_table(book, table, sheets)
            if table is NOT_IN_IMS_TABLE:
                state.not_in_ims = [values for _, values in found]
            elif table is REMOVED_TABLE:
                state.removed = [codec.decode_removed(row, values, name) for row, values in found]
            else:
                state.log = [codec.decode_log(values) for _, values in found]
            self._sheets.read_table(table, max((row for row, _ in found), default=table.header_row), len(found))
        self._sheets.read_state(state)
        return state

    def _read_table(self, book: CalamineWorkbook, table: Table, sheets: set[str]) -> list[tuple[int, dict[str, Any]]]:
        if table.sheet not in sheets:
            return []
        rows = _rows(book, table.sheet, table.left - 1 + table.width)
        return codec.decode_table(table, ((row, cells) for row, cells in rows if row >= table.first_row))

    # --- filters ---------------------------------------------------------------------------

    def clear_filters(self) -> None:
        """Filter criteria go and filtered rows show again when the book is next written."""
        self._clear_filters = True

    # --- writing ---------------------------------------------------------------------------

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None,
             recon: dict[str, tuple[int, Any]] | None = None) -> None:
        findings = findings_by_sheet(report) if report is not None else None
        if self.new or not self.path.exists():
            self._write_new(state, findings, recon)
            self.new = False
            return
        plan = writeplan.plan_write(state, self._sheets, fields, findings=findings, recon=recon,
                                    clear_filters=self._clear_filters)
        edits = {section_plan.section.sheet: _section_edit(section_plan) for section_plan in plan.sections}
        home = edits.setdefault(HOME, SheetEdit())
        for top, rows in plan.home:
            for r, values in enumerate(rows):
                home.set_row(top.row + r, top.column, values)
        for table_plan in plan.tables:
            _table_edit(table_plan, edits.setdefault(table_plan.table.sheet, SheetEdit()))
        self._progress(f"Writing {self.path.name}")
        self.backup = save_in_place(self.path, edits, progress=self._progress, before_replace=self._refuse_if_changed)
        plan.done()
        self._clear_filters = False
        self._at_load = Fingerprint.of(self.path)

    def _refuse_if_changed(self) -> None:
        if self._loaded:
            refuse_if_changed(self.path, self._at_load)

    def _write_new(self, state: BookState, findings: dict[str, tuple[int, int]] | None,
                   recon: dict[str, tuple[int, Any]] | None) -> None:
        macros = None
        if self.has_macros:
            if self._macros is None:
                raise ValueError("a new .xlsm needs its macros: FilePort(..., macros=...)")
            macros = self._macros()
        self._progress(f"Writing {self.path.name}")
        with tempfile.TemporaryDirectory(dir=self.path.parent, prefix=f".{self.path.stem}.") as folder:
            skeleton = Path(folder) / f"skeleton{self.path.suffix}"
            write_book(skeleton, state, macros=macros, findings=findings, recon=recon, rows=False)
            plan = writeplan.plan_write(state, writeplan.Loaded(), None, with_home=False)
            edits = {}
            for section_plan in plan.sections:
                # The rows are encoded as the sheet is written: never all of them in memory at once.
                last = section_plan.first_added + len(section_plan.added) - 1
                edits[section_plan.section.sheet] = SheetEdit(
                    appended=((row, 1, values) for row, values in section_plan.added_rows()),
                    appended_extent=(last, section_plan.width) if section_plan.added else (0, 0))
            self.backup = save_in_place(self.path, edits, source=skeleton, progress=self._progress,
                                        before_replace=self._refuse_if_changed)
            plan.done()  # write_book wrote Home, the tables and the log the plan names
        self._at_load = Fingerprint.of(self.path)


# --- carrying out the plan ----------------------------------------------------------------------


def _section_edit(plan: writeplan.SectionPlan) -> SheetEdit:
    edit = SheetEdit(cells=dict(plan.cells), clear_filter=plan.clear_filters)  # the plan's own stays as planned
    for row, words in plan.spelled.items():
        edit.cells[row] = {**edit.cells.get(row, {}), **{column: UnlessFormula(word) for column, word in words.items()}}
    blank = [None] * plan.width
    for row in plan.blanked:
        edit.set_row(row, 1, blank)
    for row, values in plan.added_rows():
        edit.set_row(row, 1, values)
    return edit


def _table_edit(plan: writeplan.TablePlan, edit: SheetEdit) -> None:
    """Rows the sheet has are patched; the rest are encoded as the sheet is written."""
    table = plan.table
    on_sheet = max(0, plan.blank_to - plan.top + 1) if table is not CHANGE_LOG_TABLE else len(plan.rows)
    for offset, values in enumerate(plan.rows[:on_sheet]):
        edit.set_row(plan.top + offset, table.left, values)
    for row in range(plan.top + len(plan.rows), plan.blank_to + 1):
        edit.set_row(row, table.left, [None] * table.width)
    if len(plan.rows) > on_sheet:
        first_new = plan.top + on_sheet
        edit.appended = ((first_new + i, table.left, values) for i, values in enumerate(plan.rows[on_sheet:]))
        edit.appended_extent = (plan.top + len(plan.rows) - 1, table.left + table.width - 1)


# --- saving ------------------------------------------------------------------------------------


def save_in_place(path: Path, edits: dict[str, SheetEdit], *, source: Path | None = None,
                  progress: Callable[[str], None] | None = None,
                  before_replace: Callable[[], None] | None = None) -> Path | None:
    """Patch the book atomically; an existing book is first kept as ``NAME-YYYYMMDD-HHMMSS.ext``.

    Returns the backup's path, if one was made. A failure leaves the old book untouched.
    """
    return replace_keeping_backup(
        path, lambda temporary: rewrite_package(source or path, temporary, edits, progress),
        before_replace=before_replace)


# --- reading helpers -------------------------------------------------------------------------------


class _DataRows:
    """A section sheet's rows below the header that have content, remembering the last one's number."""

    def __init__(self, rows: Iterator[tuple[int, list[Any]]], width: int) -> None:
        self.rows, self.width, self.last = rows, width, HEADER_ROW

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        for row, cells in self.rows:
            if row > HEADER_ROW and codec.has_content(cells, self.width):
                self.last = row
                yield row, cells


def _rows(book: CalamineWorkbook, sheet: str, width: int) -> Iterator[tuple[int, list[Any]]]:
    """A sheet's rows one at a time, (row number, the first ``width`` cells from column A), "" blank:
    the sheet is never held as Python objects all at once."""
    found = book.get_sheet_by_name(sheet)
    first_row, first_column = found.start or (0, 0)  # calamine starts at the first used cell
    for offset, cells in enumerate(found.iter_rows()):
        values = list(cells[:max(0, width - first_column)])
        yield first_row + offset + 1, ([""] * first_column + values) if first_column else values


def _grid(book: CalamineWorkbook, sheet: str) -> list[list[Any]]:
    """A sheet's values from A1, ``""`` for blank cells."""
    rows: list[list[Any]] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return rows


def _at(rows: Sequence[Sequence[Any]], cell: Cell) -> Any:
    if cell.row - 1 < len(rows) and cell.column - 1 < len(rows[cell.row - 1]):
        value = rows[cell.row - 1][cell.column - 1]
        return None if value == "" else value
    return None


def _show_formula_errors(path: Path, section: Section, entries: list[Entry]) -> None:
    """Give a blank Status the error its formula shows (#N/A): calamine reads an error cell as empty,
    and "Status is empty" would send the user looking for a blank cell."""
    letter = column_letter(section.index("status") + 1).encode()
    error_cell = re.compile(rb'<c r="' + letter + rb'([0-9]+)"[^>]*?\bt="e"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>',
                            re.DOTALL)
    with Package(path) as package:
        part = package.sheet_parts.get(section.sheet)
        if part is None:
            return
        shown = {int(found.group(1)): found.group(2).decode(errors="replace")
                 for found in error_cell.finditer(package.zip.read(part))}
    for entry in entries:
        if entry.row in shown and is_blank(entry.status):
            entry.status = shown[entry.row]




def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def read_conf(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``xlwings.conf`` sheet's entries of an existing book (empty if it has none)."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        if XLWINGS_CONF not in book.sheet_names:
            return {}
        rows = _grid(book, XLWINGS_CONF)
    except Exception:
        return {}
    return {str(row[0]): str(row[1]) for row in rows if len(row) > 1 and row[0] not in ("", None)}

