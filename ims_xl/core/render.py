"""Findings in words: the one place a ``Problem`` becomes text.

The message is the catalogue's template filled with the problem's values; the cell text adds the
tag the sheet's highlighting rules look for (``layout.finding_tag``); the console text adds where.
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalogue import CATALOGUE
from .layout import finding_tag
from .problems import Problem


def message(problem: Problem) -> str:
    return CATALOGUE[problem.code].template.format(**dict(problem.values))


def cell_text(problem: Problem) -> str:
    """One line for the row's "Sheet Validation Errors" cell."""
    return f"{finding_tag(problem.is_error, problem.column)} {message(problem)}"


def cell_lines(problems: Iterable[Problem]) -> str:
    """A row's "Sheet Validation Errors" cell: its findings, one a line."""
    return "\n".join(cell_text(p) for p in problems)


def portal_cell(problems: Iterable[Problem]) -> str:
    """A row's "GST Portal Validation Errors" cell: what the portal said, untagged, each finding once
    (an error file can name a document twice)."""
    return "\n".join(message(p) for p in dict.fromkeys(problems))


def console_text(problem: Problem) -> str:
    place = ", ".join(
        part
        for part in (
            problem.sheet,
            f"row {problem.row}" if problem.row is not None else None,
            problem.column,
        )
        if part
    )
    prefix = "error" if problem.is_error else "warning"
    text = message(problem)
    return f"{prefix}: {place}: {text} ({problem.code})" if place else f"{prefix}: {text}"
