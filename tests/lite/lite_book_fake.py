"""A fake of the book xlwings Lite hands a script: an in-memory grid that records every write.

Only the stdlib, so it runs under Pyodide too. It offers what Lite's book offers to a script and
nothing more: ``name``, ``sheets[name]``, ``sheet.range(a, b)``, ``.options(ndim=2)``, ``.value``
(read and write) and ``.clear_contents()``. No ``.api``, no ``app`` (status bar, alerts), no
``used_range``, no protection: touching them raises AttributeError, as using them in Lite fails.

Where the port's correctness depends on it, it behaves like Excel through Office.js:
* an empty cell reads as None; numbers read back as floats; dates as datetimes;
* a text with a leading apostrophe is stored without it; a text starting with "=" would be a
  formula (kept in ``formulas``, read back as None), so portal text must never arrive bare;
* a write whose values exceed Excel on the web's request limit (5 MB) raises RequestTooLarge;
* a write's values must have the range's shape (xlwings sizes the range to the data; the port
  always gives the exact range, and a mismatch here means a bug).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

REQUEST_LIMIT = 5 * 1024 * 1024


class RequestTooLarge(Exception):
    """Excel on the web refuses a request over 5 MB."""


@dataclass
class Write:
    sheet: str
    top: int
    left: int
    rows: int
    columns: int
    size: int  # bytes of the values as JSON


def _stored(value: Any) -> Any:
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
    if isinstance(value, str):
        return value[1:] if value.startswith("'") else value
    raise TypeError(f"Lite cannot send {type(value).__name__} to Excel: {value!r}")


class FakeLiteBook:
    def __init__(self, sheet_names: list[str], name: str = "IMS_Lite.xlsx") -> None:
        self.name = name
        self.sheets = _Sheets({n: FakeLiteSheet(self, n) for n in sheet_names})
        self.writes: list[Write] = []


class _Sheets:
    def __init__(self, sheets: dict[str, FakeLiteSheet]) -> None:
        self._sheets = sheets

    def __getitem__(self, name: str) -> FakeLiteSheet:
        return self._sheets[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._sheets.values())


@dataclass
class FakeLiteSheet:
    book: FakeLiteBook
    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> FakeLiteRange:
        return FakeLiteRange(self, first, last or first)

    def get(self, row: int, column: int) -> Any:
        return self.cells.get((row, column))

    def last_row(self) -> int:
        return max((r for r, _ in self.cells), default=0)


class FakeLiteRange:
    def __init__(self, sheet: FakeLiteSheet, first: tuple[int, int], last: tuple[int, int], ndim: int | None = None
                 ) -> None:
        self.sheet = sheet
        self.top, self.left = first
        self.bottom, self.right = last
        self.ndim = ndim

    def options(self, ndim: int | None = None) -> FakeLiteRange:
        return FakeLiteRange(self.sheet, (self.top, self.left), (self.bottom, self.right), ndim)

    @property
    def value(self) -> Any:
        grid = [[self.sheet.cells.get((r, c)) for c in range(self.left, self.right + 1)]
                for r in range(self.top, self.bottom + 1)]
        if self.ndim == 2:
            return grid
        if len(grid) == 1 and len(grid[0]) == 1:
            return grid[0][0]
        if len(grid) == 1:
            return grid[0]
        if len(grid[0]) == 1:
            return [row[0] for row in grid]
        return grid

    @value.setter
    def value(self, values: Any) -> None:
        if not isinstance(values, list):
            values = [[values]]
        elif values and not isinstance(values[0], list):
            values = [values]
        rows, columns = len(values), len(values[0]) if values else 0
        if (rows, columns) != (self.bottom - self.top + 1, self.right - self.left + 1):
            raise ValueError(f"{self.sheet.name}: {rows}x{columns} values for a "
                             f"{self.bottom - self.top + 1}x{self.right - self.left + 1} range")
        size = len(json.dumps(values, default=str, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        if size > REQUEST_LIMIT:
            raise RequestTooLarge(f"{self.sheet.name}: a write of {size:,} bytes")
        self.sheet.book.writes.append(Write(self.sheet.name, self.top, self.left, rows, columns, size))
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                key = (self.top + r, self.left + c)
                self.sheet.formulas.pop(key, None)
                if isinstance(value, str) and value.startswith("="):
                    self.sheet.formulas[key] = value
                    self.sheet.cells.pop(key, None)
                    continue
                stored = _stored(value)
                if stored is None:
                    self.sheet.cells.pop(key, None)
                else:
                    self.sheet.cells[key] = stored

    def clear_contents(self) -> None:
        for r in range(self.top, self.bottom + 1):
            for c in range(self.left, self.right + 1):
                self.sheet.cells.pop((r, c), None)
                self.sheet.formulas.pop((r, c), None)


def lite_book() -> FakeLiteBook:
    """An empty book with the sheets of ``ims-xl lite``'s workbook."""
    from ims_xl.core import layout
    from ims_xl.core.sections import HEADER_ROW, SECTIONS

    book = FakeLiteBook([layout.HOME, *(s.sheet for s in SECTIONS), layout.NOT_IN_IMS, layout.REMOVED,
                         layout.CHANGE_LOG, layout.LISTS])
    for section in SECTIONS:  # the section sheets' headers, as ``ims-xl lite`` writes them
        for column, header in enumerate((c.header for c in section.columns), start=1):
            book.sheets[section.sheet].cells[(HEADER_ROW, column)] = header
    return book
