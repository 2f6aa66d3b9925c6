"""A hand-written fake of the few xlwings objects ``ims_xl.excel.xlwings_port`` and ``ims_xl.macros`` use.

It behaves like Excel where the port's correctness depends on it, and records every call that
would cross to Excel (``FakeBook.calls``), so tests can count them:

* cells live in a dict ``{(row, column): value}`` (1-based); an empty cell reads as None;
* numbers are stored and read back as floats, dates as datetimes, as Excel hands them to xlwings;
* a string with a leading apostrophe is stored as text without it (Excel keeps the apostrophe as
  a prefix and never returns it); a string without one is taken the way a General cell takes
  typing: "000123" becomes the number 123, "=..." becomes a formula (kept in ``FakeSheet.formulas``;
  the fake evaluates nothing, so the cell reads back as None, as xlwings reads an error cell);
* writing a list of lists fills the block from the range's top-left cell, sized by the data, as
  xlwings resizes the range to the data; a flat list is one row, as xlwings writes it;
* values Excel cannot take through COM unchanged (Decimal would become a 4-decimal Currency)
  raise TypeError, texts longer than a cell holds raise FakeComError;
* a sheet that is protected in the file refuses every write and clear until ``api.Unprotect()``
  (stricter than Excel, which lets unlocked cells be written); ``api.ShowAllData()`` fails when
  the sheet is not filtered, as Excel's does;
* ``used_range`` reaches the lowest row that ever held a value: clearing cells does not shrink it
  (Excel shrinks the used range only on save).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

CELL_TEXT_LIMIT = 32_767
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
# Keyword arguments of Excel's Worksheet.Protect.
PROTECT_ARGUMENTS = frozenset({
    "Password", "DrawingObjects", "Contents", "Scenarios", "UserInterfaceOnly", "AllowFormattingCells",
    "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingColumns", "AllowInsertingRows",
    "AllowInsertingHyperlinks", "AllowDeletingColumns", "AllowDeletingRows", "AllowSorting", "AllowFiltering",
    "AllowUsingPivotTables",
})

Call = tuple[str, str, str]  # (kind, sheet, address or what): ("read", "B2B", "A5:Z8")


class FakeComError(Exception):
    """What Excel raises through COM when it refuses something."""


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def address(top: int, left: int, bottom: int, right: int) -> str:
    first = f"{column_letters(left)}{top}"
    return first if (top, left) == (bottom, right) else f"{first}:{column_letters(right)}{bottom}"


def excel_value(value: Any) -> Any:
    """A cell value as Excel hands it back: numbers float, dates datetime, '' empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


# --- the application and the book ------------------------------------------------------------


class FakeApp:
    def __init__(self, book: FakeBook, answers: Iterable[str] = ()) -> None:
        self._book = book
        self.answers = list(answers)  # what the next alerts return, first first; then "ok"
        self.alerts: list[dict[str, Any]] = []
        self._screen_updating = True
        self._status_bar: Any = False
        self.api = _AppApi(book)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: Any = None) -> str:
        self._book.calls.append(("app", "", "alert"))
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return self.answers.pop(0) if self.answers else "ok"

    @property
    def screen_updating(self) -> bool:
        return self._screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._book.calls.append(("app", "", f"screen_updating={value}"))
        self._screen_updating = value

    @property
    def status_bar(self) -> Any:
        return self._status_bar

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._book.calls.append(("app", "", "status_bar"))
        self._status_bar = value


class _AppApi:
    def __init__(self, book: FakeBook) -> None:
        self._book = book
        self.open_filename: Any = False  # what GetOpenFilename returns (False: the user cancelled)

    def GetOpenFilename(self, *args: Any) -> Any:
        self._book.calls.append(("api", "", "GetOpenFilename"))
        return self.open_filename


class _Sheets:
    def __init__(self, sheets: dict[str, FakeSheet]) -> None:
        self._sheets = sheets

    def __getitem__(self, name: str) -> FakeSheet:
        try:
            return self._sheets[name]
        except KeyError:
            raise FakeComError(f"no sheet named {name!r}") from None

    def __iter__(self) -> Any:
        return iter(self._sheets.values())

    def __len__(self) -> int:
        return len(self._sheets)

    def __contains__(self, name: object) -> bool:
        return name in self._sheets


class FakeBook:
    def __init__(self, name: str = "Book1.xlsm", fullname: str | None = None,
                 answers: Iterable[str] = ()) -> None:
        self.name = name
        self.fullname = fullname or name
        self.calls: list[Call] = []
        self._sheets: dict[str, FakeSheet] = {}
        self.sheets = _Sheets(self._sheets)
        self.app = FakeApp(self, answers)
        self.api = object()

    def add_sheet(self, name: str, rows: Iterable[Iterable[Any]] = (), *, protected: bool = False) -> FakeSheet:
        sheet = FakeSheet(self, name, protected=protected)
        for r, cells in enumerate(rows, start=1):
            for c, value in enumerate(cells, start=1):
                value = excel_value(value)
                if value is not None:
                    sheet.cells[(r, c)] = value
            sheet.high_water = max(sheet.high_water, r)
        self._sheets[name] = sheet
        return sheet

    @classmethod
    def from_file(cls, path: str | Path, answers: Iterable[str] = ()) -> FakeBook:
        """The book as Excel would show it after opening ``path`` (an .xlsx/.xlsm written by ims-xl)."""
        file = Path(path)
        book = cls(file.name, str(file.resolve()), answers)
        protected = _protected_sheets(file)
        workbook = CalamineWorkbook.from_path(str(file))
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            book.add_sheet(name, rows, protected=name in protected)
        return book

    def count(self, kind: str | None = None, sheet: str | None = None) -> int:
        return sum(1 for k, s, _ in self.calls if (kind is None or k == kind) and (sheet is None or s == sheet))


def _protected_sheets(file: Path) -> set[str]:
    """Names of the sheets that carry <sheetProtection sheet="1"> in the file."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relationship = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(file) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
        protected = set()
        for sheet in workbook.iter(f"{main}sheet"):
            target = targets[sheet.get(relationship)].lstrip("/")
            part = target if target.startswith("xl/") else f"xl/{target}"
            root = ElementTree.fromstring(archive.read(part))
            protection = root.find(f"{main}sheetProtection")
            if protection is not None and protection.get("sheet") in ("1", "true"):
                protected.add(str(sheet.get("name")))
    return protected


# --- sheets and ranges -----------------------------------------------------------------------


class FakeSheet:
    def __init__(self, book: FakeBook, name: str, *, protected: bool = False) -> None:
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.written: dict[tuple[int, int], Any] = {}  # the last value handed over for each cell, as given
        self.high_water = 0  # the lowest row that ever held a value
        self.api = FakeSheetApi(self, protected=protected)

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> FakeRange:
        last = last or first
        top, bottom = sorted((first[0], last[0]))
        left, right = sorted((first[1], last[1]))
        if top < 1 or left < 1:
            raise FakeComError(f"{self.name}: no cell ({top}, {left})")
        return FakeRange(self, top, left, bottom, right)

    @property
    def used_range(self) -> _UsedRange:
        self.book.calls.append(("used_range", self.name, ""))
        columns = [c for _, c in self.cells] or [1]
        return _UsedRange(max(self.high_water, 1), max(columns))

    def value_at(self, row: int, column: int) -> Any:
        """A cell as a person sees it (no call to Excel recorded): for test assertions."""
        return self.cells.get((row, column))

    def row_values(self, row: int, width: int) -> list[Any]:
        return [self.cells.get((row, c)) for c in range(1, width + 1)]

    def type_in(self, row: int, column: int, value: Any) -> None:
        """What a user typing into a cell does (not a call from Python)."""
        self._store(row, column, value)

    def type_formula(self, row: int, column: int, formula: str, *, shows: Any) -> None:
        """A user's formula in a cell, and the value Excel calculated for it."""
        self.formulas[(row, column)] = formula
        self.cells[(row, column)] = shows
        self.high_water = max(self.high_water, row)

    # --- what Excel does with a value ------------------------------------------------------

    def _store(self, row: int, column: int, value: Any) -> None:
        self.written[(row, column)] = value
        self.formulas.pop((row, column), None)
        stored = _cell_value(value)
        if isinstance(stored, _Formula):
            self.formulas[(row, column)] = stored.text
            stored = None
        if stored is None:
            self.cells.pop((row, column), None)
        else:
            self.cells[(row, column)] = stored
            self.high_water = max(self.high_water, row)


class _Formula:
    def __init__(self, text: str) -> None:
        self.text = text


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) > CELL_TEXT_LIMIT + (1 if value.startswith("'") else 0):
            raise FakeComError(f"a text of {len(value):,} characters does not fit in a cell")
        if value.startswith("'"):
            return value[1:] or None
        if not value:
            return None
        if value.startswith("="):
            return _Formula(value)
        if _NUMBER.fullmatch(value):
            return float(value)
        return value
    if isinstance(value, bool | int | float | date):
        return excel_value(value)
    raise TypeError(f"Excel cannot take a {type(value).__name__} unchanged through xlwings: {value!r}")


class _UsedRange:
    def __init__(self, row: int, column: int) -> None:
        self.last_cell = _Cell(row, column)


class _Cell:
    def __init__(self, row: int, column: int) -> None:
        self.row = row
        self.column = column


class FakeRange:
    def __init__(self, sheet: FakeSheet, top: int, left: int, bottom: int, right: int,
                 ndim: int | None = None) -> None:
        self.sheet = sheet
        self.top, self.left, self.bottom, self.right = top, left, bottom, right
        self.ndim = ndim

    @property
    def address(self) -> str:
        return address(self.top, self.left, self.bottom, self.right)

    @property
    def shape(self) -> tuple[int, int]:
        return self.bottom - self.top + 1, self.right - self.left + 1

    def options(self, ndim: int | None = None, **others: Any) -> FakeRange:
        if others:
            raise NotImplementedError(f"the fake has no options {sorted(others)}")
        if ndim not in (None, 1, 2):
            raise ValueError("ndim must be 1 or 2")
        return FakeRange(self.sheet, self.top, self.left, self.bottom, self.right, ndim)

    @property
    def formula(self) -> Any:
        """As Excel gives it: a formula's text, a constant's value as text, "" for an empty cell; a
        tuple of row tuples for more than one cell."""
        self.sheet.book.calls.append(("read formulas", self.sheet.name, self.address))

        def text(row: int, column: int) -> str:
            if (row, column) in self.sheet.formulas:
                return self.sheet.formulas[(row, column)]
            value = self.sheet.cells.get((row, column))
            return "" if value is None else str(value)

        grid = tuple(tuple(text(r, c) for c in range(self.left, self.right + 1))
                     for r in range(self.top, self.bottom + 1))
        return grid[0][0] if self.shape == (1, 1) else grid

    @property
    def value(self) -> Any:
        self.sheet.book.calls.append(("read", self.sheet.name, self.address))
        grid = [[self.sheet.cells.get((r, c)) for c in range(self.left, self.right + 1)]
                for r in range(self.top, self.bottom + 1)]
        rows, columns = self.shape
        if self.ndim == 2:
            return grid
        if self.ndim == 1 or rows == 1 or columns == 1:
            if rows > 1 and columns > 1:
                raise ValueError(f"{self.address}: ndim=1 needs a single row or column")
            flat = [value for row in grid for value in row]
            return flat if self.ndim == 1 or len(flat) > 1 else flat[0]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        self.sheet.book.calls.append(("write", self.sheet.name, self.address))
        self.sheet.api.check_writable()
        if isinstance(data, list | tuple):
            if not data:
                return  # xlwings writes nothing for an empty list
            rows = [list(row) for row in data] if isinstance(data[0], list | tuple) else [list(data)]
            if len({len(row) for row in rows}) != 1:
                raise ValueError("ragged rows: every row of a block needs the same number of values")
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    self.sheet._store(self.top + r, self.left + c, value)
        else:
            for r in range(self.top, self.bottom + 1):
                for c in range(self.left, self.right + 1):
                    self.sheet._store(r, c, data)

    def clear_contents(self) -> None:
        self.sheet.book.calls.append(("clear", self.sheet.name, self.address))
        self.sheet.api.check_writable()
        for r in range(self.top, self.bottom + 1):
            for c in range(self.left, self.right + 1):
                self.sheet._store(r, c, None)


class _Rows:
    def __init__(self, api: FakeSheetApi) -> None:
        self._api = api

    @property
    def Hidden(self) -> bool:
        return bool(self._api.hidden_rows)

    @Hidden.setter
    def Hidden(self, value: bool) -> None:
        self._api.record(f"Rows.Hidden={value}")
        self._api.check_writable(what="hide or show rows")
        if not value:
            self._api.hidden_rows.clear()


class FakeSheetApi:
    """The few members of Excel's Worksheet object the port calls through ``sheet.api``."""

    def __init__(self, sheet: FakeSheet, *, protected: bool) -> None:
        self._sheet = sheet
        self.protected = protected
        self.protect_options: dict[str, Any] = {}
        self._filter_mode = False
        self.hidden_rows: set[int] = set()
        self.Rows = _Rows(self)

    def record(self, what: str) -> None:
        self._sheet.book.calls.append(("api", self._sheet.name, what))

    def check_writable(self, what: str = "change cells") -> None:
        if self.protected:
            raise FakeComError(f"{self._sheet.name} is protected: cannot {what}")

    def filter(self, *hidden_rows: int) -> None:
        """A user's filter: some rows hidden by filter criteria (not a call from Python)."""
        self._filter_mode = True
        self.hidden_rows.update(hidden_rows)

    def Unprotect(self, Password: str | None = None) -> None:
        self.record("Unprotect")
        self.protected = False

    def Protect(self, **options: Any) -> None:
        self.record("Protect")
        unknown = set(options) - PROTECT_ARGUMENTS
        if unknown:
            raise TypeError(f"Worksheet.Protect has no argument {sorted(unknown)}")
        self.protected = True
        self.protect_options = dict(options)

    @property
    def FilterMode(self) -> bool:
        self.record("FilterMode")
        return self._filter_mode

    def ShowAllData(self) -> None:
        self.record("ShowAllData")
        if not self._filter_mode:
            raise FakeComError(f"{self._sheet.name}: ShowAllData method of Worksheet class failed")
        self.check_writable(what="show all data")
        self._filter_mode = False
        self.hidden_rows.clear()
