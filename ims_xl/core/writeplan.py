"""What a command writes, decided once for every port.

From the rows a port loaded, the new state and the command's changed columns, ``plan_write`` says
per sheet which cells get which values, which rows are blanked whole, which rows are added and
whether filters are cleared. The file port (``files.fileport``: a ``SheetEdit`` per sheet) and the
range ports (``excel.rangeport``: range writes for Excel and xlwings Lite) only carry it out, so
the cells a user sees after a command are the same whichever button or command ran it.

The rules, in one place:

- A row already on a sheet keeps its place; a cell of it is written only when its value changes.
  Which cells may change is the command's ``fields`` (None: every column the user does not type
  into, as a new download may change them all); a row whose inputs the tool restarted (a supplier
  edit, ``Entry.write_inputs``) may change in every column; a row whose hidden record now follows
  its visible keys (``Entry.rebound``) gets that record. So a user's formula in an input cell is
  replaced only when the command must change that cell's value.
- A row whose record left the sheet (refresh moved it to "Removed from Portal", open replaced the
  rows) is blanked across the whole table: the user's Status and Remarks go with their record.
- New rows go below the last row with content; when no row stays (Open into a used book) they go
  from the top.
- "Clear filters" means: filter criteria removed (the sheet's autofilter and its tables'), every
  hidden row of the section sheet shown. Validate and Generate ask for it, so no finding is hidden.
- A Status or ITC answer typed another way ("a", "accepted", "y") is written back as the dropdown's
  word when the command asks for it (``SPELL_OUT`` among its fields: Validate and Generate), and
  only in a cell without a formula: ``SectionPlan.spelled`` is carried out by the ports, which
  alone can see the formula.
- Home's fields and tables, the auxiliary tables (rewritten when their rows changed) and the
  change log (appended to) are written on every save.

The header and sheet checks every port runs before reading rows are ``codec.check_sheets`` and
``codec.check_section_header``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import codec
from .book import BookState, Entry, as_loaded, full_words
from .layout import CHANGE_LOG_TABLE, NOT_IN_IMS_TABLE, REMOVED_TABLE, Table
from .sections import FIRST_DATA_ROW, HEADER_ROW, SECTIONS, Section

# Columns the tool writes its findings and results into (neither typed by the user nor the portal's).
TOOL_FIELDS = frozenset({"sheet_errors", "portal_errors", "suggested_action", "match_status", "books_tax",
                         "match_result", "refresh_note"})
# Among a command's fields: write typed-short statuses and ITC answers back as full words.
SPELL_OUT = "spell_out"
_AUX_TABLES = {NOT_IN_IMS_TABLE.sheet: NOT_IN_IMS_TABLE, REMOVED_TABLE.sheet: REMOVED_TABLE}

_RECORD, _PORTAL, _VALUE = 0, 1, 2  # how a column's change is found: record identity, record values, value


# --- what the sheets held ------------------------------------------------------------------------


def fingerprint(rows: list[list[Any]]) -> int:
    """What a table's rows were, in a few bytes (comparing, not keeping, 100,000 rows)."""
    return hash(tuple(tuple(row) for row in rows))


_EMPTY_TABLE = fingerprint([])


@dataclass
class Loaded:
    """What a port's sheets held at its last load or save: kept by the port between the two."""

    rows: dict[str, set[int]] = field(default_factory=dict)  # section key -> rows with content
    last: dict[str, int] = field(default_factory=dict)  # section key -> last row with content
    tables: dict[str, tuple[int, int]] = field(default_factory=dict)  # aux sheet -> (fingerprint, last row)
    log: tuple[int, int] = (0, CHANGE_LOG_TABLE.first_row)  # (lines, the next line's row)

    def read_section(self, section: Section, entries: list[Entry], last_row: int) -> None:
        """A section sheet was read: its entries and the last row with content in the table."""
        self.rows[section.key] = {entry.row for entry in entries if entry.row is not None}
        self.last[section.key] = max(last_row, HEADER_ROW)

    def read_table(self, table: Table, last_row: int, lines: int = 0) -> None:
        """An auxiliary table (or the change log, with its number of lines) was read."""
        last = max(last_row, table.header_row)
        if table is CHANGE_LOG_TABLE:
            self.log = (lines, last + 1)
        else:
            self.tables[table.sheet] = (_EMPTY_TABLE, last)

    def read_state(self, state: BookState) -> None:
        """Every table was read: remember their rows' fingerprints."""
        for sheet, rows in codec.aux_tables(state).items():
            self.tables[sheet] = (fingerprint(rows), self.tables.get(sheet, (0, _AUX_TABLES[sheet].header_row))[1])


# --- the plan ------------------------------------------------------------------------------------


@dataclass
class SectionPlan:
    """What to write on one section sheet (rows and columns in Excel's numbering)."""

    section: Section
    cells: dict[int, dict[int, Any]]  # rows kept on the sheet: {row: {column: new value}}, changed cells only
    blanked: list[int]  # rows blanked across the table's width, ascending
    first_added: int  # the row of the first added entry
    added: list[Entry]  # entries written whole from ``first_added`` down (encoded as written)
    kept: dict[int, Entry]  # row -> the entry that stays on it
    clear_filters: bool
    # {row: {column: full word}}: cells to write only when they hold a typed value, not a formula
    spelled: dict[int, dict[int, str]] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return len(self.section.columns)

    def added_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row, values from column A) of each added entry, encoded one at a time."""
        for offset, entry in enumerate(self.added):
            yield self.first_added + offset, codec.section_row(entry)

    @property
    def last_row(self) -> int:
        """The last row the plan writes (0: none)."""
        return max(self.first_added + len(self.added) - 1 if self.added else 0,
                   max(self.cells, default=0), self.blanked[-1] if self.blanked else 0)


@dataclass
class TablePlan:
    """Rows of an auxiliary table written from ``top`` down; rows below them to ``blank_to`` blanked."""

    table: Table
    top: int
    rows: list[list[Any]]
    blank_to: int = 0


@dataclass
class WritePlan:
    sections: list[SectionPlan]
    home: list[codec.Block]  # blocks of values on Home
    tables: list[TablePlan]  # Not in IMS, Removed from Portal (when changed) and the new change log lines
    loaded: Loaded
    _state: BookState

    def done(self) -> None:
        """The port carried the plan out: what the sheets hold now is what the next save compares with."""
        for plan in self.sections:
            key = plan.section.key
            for row in plan.cells:
                entry = plan.kept[row]
                entry.loaded, entry.write_inputs, entry.rebound = as_loaded(entry), False, False
            for entry in plan.added:
                entry.loaded = None  # not read back: a later save writes its cells again
            self.loaded.rows[key] = {entry.row for entry in self._state.entries[key] if entry.row is not None}
            last = plan.first_added + len(plan.added) - 1 if plan.added else 0
            self.loaded.last[key] = max(self.loaded.last.get(key, HEADER_ROW), last)
        for table_plan in self.tables:
            table = table_plan.table
            if table is CHANGE_LOG_TABLE:
                self.loaded.log = (len(self._state.log), table_plan.top + len(table_plan.rows))
            else:
                last = max(table_plan.blank_to, table.first_row + len(table_plan.rows) - 1)
                self.loaded.tables[table.sheet] = (fingerprint(table_plan.rows), last)


def plan_write(state: BookState, loaded: Loaded, fields: frozenset[str] | None, *,
               findings: Mapping[str, tuple[int, int]] | None = None,
               recon: Mapping[str, tuple[int, Any]] | None = None, clear_filters: bool = False,
               with_home: bool = True) -> WritePlan:
    """The cells a save of ``state`` writes, given what the sheets held (``loaded``).

    ``fields``: the section columns the command changed on rows already on the sheets (None: the
    records themselves may have changed). ``findings``/``recon``: a new validation's findings and
    a new reconciliation's totals for Home (None: Home keeps the last ones). ``with_home=False``
    leaves Home's blocks out (a new book's Home is written with the book).
    """
    sections = [_plan_section(section, state.entries[section.key], loaded, fields, clear_filters)
                for section in SECTIONS]
    home = codec.home_blocks(state, findings=findings, recon=recon) if with_home else []
    return WritePlan(sections, home, _plan_tables(state, loaded), loaded, state)


def _plan_section(section: Section, entries: list[Entry], loaded: Loaded, fields: frozenset[str] | None,
                  clear_filters: bool) -> SectionPlan:
    on_sheet = loaded.rows.get(section.key, set())
    kept: dict[int, Entry] = {}
    added: list[Entry] = []
    for entry in entries:
        at = entry.row
        if at is not None and at in on_sheet and at not in kept:
            kept[at] = entry
        else:
            added.append(entry)  # a new record, or a second row claiming one place: below the others
    first_added = loaded.last.get(section.key, HEADER_ROW) + 1 if kept else FIRST_DATA_ROW
    for offset, entry in enumerate(added):
        entry.row = first_added + offset
    stop = first_added + len(added)
    blanked = sorted(row for row in on_sheet if row not in kept and not first_added <= row < stop)
    columns = _COLUMNS[section.key]
    candidates = columns.owned(fields)
    cells: dict[int, dict[int, Any]] = {}
    for row, entry in kept.items():
        changed = columns.changes(entry, columns.every if entry.write_inputs else candidates)
        if changed:
            cells[row] = changed
    spelled = _spelled(kept, cells, columns) if fields is not None and SPELL_OUT in fields else {}
    return SectionPlan(section, cells, blanked, first_added, added, kept, clear_filters, spelled)


def _spelled(kept: dict[int, Entry], cells: dict[int, dict[int, Any]], columns: _Columns) -> dict[int, dict[int, str]]:
    """The Status and ITC cells of kept rows typed another way than the dropdown's word."""
    spelled: dict[int, dict[int, str]] = {}
    for row, entry in kept.items():
        for name, word in full_words(entry).items():
            column = columns.fields.index(name) + 1
            if column not in cells.get(row, ()):
                spelled.setdefault(row, {})[column] = word
    return spelled


class _Columns:
    """A section's columns as the plan compares them."""

    def __init__(self, section: Section) -> None:
        self.fields = [column.field for column in section.columns]
        self.getters: list[Callable[[Any], Any]] = [codec.getter(name) for name in self.fields]
        self.kinds = [_RECORD if name == "record" else
                      _VALUE if column.editable or name in TOOL_FIELDS else _PORTAL
                      for name, column in zip(self.fields, section.columns, strict=True)]
        self.record = self.fields.index("record")
        self.every = tuple(range(len(self.fields)))
        self.not_editable = tuple(i for i, column in enumerate(section.columns) if not column.editable)
        self._by_fields: dict[frozenset[str], tuple[int, ...]] = {}

    def owned(self, fields: frozenset[str] | None) -> tuple[int, ...]:
        if fields is None:
            return self.not_editable
        found = self._by_fields.get(fields)
        if found is None:
            found = self._by_fields[fields] = tuple(i for i, name in enumerate(self.fields) if name in fields)
        return found

    def changes(self, entry: Entry, positions: tuple[int, ...]) -> dict[int, Any]:
        """{column: new value} of the cells among ``positions`` whose value changes."""
        before = entry.loaded
        same_record = before is not None and entry.record is before.record
        typed_over = {name for name, _ in entry.edited} if entry.edited else ()
        changed: dict[int, Any] = {}
        kinds, getters, fields = self.kinds, self.getters, self.fields
        for position in positions:
            kind = kinds[position]
            if kind == _RECORD:
                if same_record and not entry.rebound:
                    continue
                changed[position + 1] = codec.field_value(entry, "record")
                continue
            get = getters[position]
            value = get(entry)
            if before is not None and fields[position] not in typed_over:
                if kind == _PORTAL and same_record:
                    continue  # the same record shows the same values
                if value == get(before):
                    continue
            changed[position + 1] = value
        if entry.rebound and self.record + 1 not in changed:  # the hidden record follows the visible keys
            changed[self.record + 1] = codec.field_value(entry, "record")
        return changed


_COLUMNS = {section.key: _Columns(section) for section in SECTIONS}


def _plan_tables(state: BookState, loaded: Loaded) -> list[TablePlan]:
    plans = []
    for sheet, rows in codec.aux_tables(state).items():
        table = _AUX_TABLES[sheet]
        before, last = loaded.tables.get(sheet, (_EMPTY_TABLE, table.header_row))
        if fingerprint(rows) != before:
            plans.append(TablePlan(table, table.first_row, rows, blank_to=last))
    count, next_row = loaded.log
    if len(state.log) > count:
        plans.append(TablePlan(CHANGE_LOG_TABLE, next_row, codec.log_rows(state.log[count:])))
    return plans
