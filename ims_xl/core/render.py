"""Findings in words: the one place a ``Problem`` becomes text.

The message is the catalogue's template filled with the problem's values; the cell text adds the
tag the sheet's highlighting rules look for (``layout.finding_tag``); the console text adds where.
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalogue import CATALOGUE, PORTAL_ERROR_CODES, PORTAL_ODDITIES
from .layout import finding_tag
from .problems import Problem, Report, Severity


def message(problem: Problem) -> str:
    return CATALOGUE[problem.code].template.format(**dict(problem.values))


def cell_text(problem: Problem) -> str:
    """One line for the row's "Sheet Validation Errors" cell."""
    tag = finding_tag(problem.is_error, problem.column, hint=problem.severity is Severity.HINT)
    return f"{tag} {message(problem)}"


def cell_lines(problems: Iterable[Problem]) -> str:
    """A row's "Sheet Validation Errors" cell: its findings, one a line."""
    return "\n".join(cell_text(p) for p in problems)


def portal_cell(problems: Iterable[Problem]) -> str:
    """A row's "GST Portal Validation Errors" cell: what the portal said, untagged, each finding once
    (an error file can name a document twice); a known code is followed by its meaning and fix."""
    return "\n".join(portal_text(p) for p in dict.fromkeys(problems))


def portal_text(problem: Problem) -> str:
    """The portal's code and words, then, for a code it knows, what it means and what to do."""
    said = message(problem)
    code = str(problem.value("portal_code")).strip().upper() if problem.code == "portal-error" else ""
    if code not in PORTAL_ERROR_CODES:
        return said
    meaning, fix = PORTAL_ERROR_CODES[code]
    return f"{said} -- This means {meaning}. Fix: {fix}."


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
    prefix = problem.severity.value
    text = message(problem)
    return f"{prefix}: {place}: {text} ({problem.code})" if place else f"{prefix}: {text}"


def portal_oddities_line(report: Report) -> str | None:
    """One line on odd values in the portal's own data (decision D9), or None when there are none."""
    if not report.portal_oddities:
        return None
    counts = report.portal_oddities
    parts = [f"{counts[kind]:,} {one if counts[kind] == 1 else many}"
             for kind, (one, many) in PORTAL_ODDITIES.items() if counts[kind]]
    return ("note: the portal's data holds " + ", ".join(parts)
            + "; shown as downloaded and sent unchanged: nothing for you to change")
