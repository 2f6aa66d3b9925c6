"""Findings about a workbook or a portal file, as data.

Every finding has a stable ``code`` (tests and users refer to it; it never changes once
released), a severity, and where it is: section sheet, row and column. A validation returns a
``Report``; ``core.render`` turns it into cell text or console lines, from the catalogue's templates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from pathlib import PurePath
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # blocks the upload
    WARNING = "warning"  # counted, shown on the row and highlighted
    HINT = "hint"  # advice on the row: not counted, never highlighted, never blocks


@dataclass(frozen=True)
class Problem:
    """A finding as data: its catalogue ``code``, where it is, and the ``values`` its message
    template needs. Its words are the renderer's (``core.render``), never stored here.

    ``column`` is the header text of the column at fault (what the user sees, and what the cell
    highlighting looks for); ``field`` its name in the layout ("status", "decl_igst").
    """

    code: str
    severity: Severity
    sheet: str | None = None  # "B2B-CN", "Home"
    row: int | None = None  # 1-based sheet row
    column: str | None = None
    field: str | None = None
    values: tuple[tuple[str, object], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def value(self, name: str) -> object:
        return dict(self.values)[name]


@dataclass
class Report:
    problems: list[Problem] = dataclass_field(default_factory=list)
    records: int = 0
    # Odd values the portal itself sent (decision D9: no finding on a row, since the user cannot
    # change them), counted by kind for one line of the command's output.
    portal_oddities: Counter[str] = dataclass_field(default_factory=Counter)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def by_sheet(self, severity: Severity) -> Counter[str]:
        return Counter(p.sheet or "" for p in self.problems if p.severity is severity)

    def summary(self) -> str:
        """A sentence for a message box or the console: "Validated 12,403 records: 3 errors on B2B-CN"."""
        errors = self.by_sheet(Severity.ERROR)
        warnings = self.by_sheet(Severity.WARNING)
        head = f"Validated {self.records:,} records"
        if not errors and not warnings:
            return f"{head}: no errors"
        parts = [
            f"{count:,} {'error' if count == 1 else 'errors'} on {sheet}" for sheet, count in errors.items()
        ]
        if not errors:
            parts.append("no errors")
        total_warnings = sum(warnings.values())
        if total_warnings:
            parts.append(f"{total_warnings:,} {'warning' if total_warnings == 1 else 'warnings'}")
        return f"{head}: " + ", ".join(parts)


class InputError(Exception):
    """A user's file or cell is not what the tool needs; the tool refuses it and writes nothing.

    ``str(error)`` is the one-line message, which names the place in words. ``code`` is stable
    (``catalogue.INPUT_ERRORS`` explains each); ``file``, ``sheet``, ``row`` (1-based) and ``field``
    hold the place as data where the raising code knows it.
    """

    def __init__(self, message: str, *, code: str, file: str | PurePath | None = None,
                 sheet: str | None = None, row: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.file = None if file is None else str(file)
        self.sheet = sheet
        self.row = row
        self.field = field

    def add_clause(self, clause: str) -> None:
        """Extend the one-line message ("...; no upload file was written")."""
        self.message = f"{self.message}; {clause}"
        self.args = (self.message,)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments: the default pickling (a worker process's result) would lose them.
        return _rebuild_input_error, (self.message, self.code, self.file, self.sheet, self.row, self.field)


def _rebuild_input_error(message: str, code: str, file: str | None, sheet: str | None, row: int | None,
                         field: str | None) -> InputError:
    return InputError(message, code=code, file=file, sheet=sheet, row=row, field=field)
