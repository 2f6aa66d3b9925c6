"""``ims-xl summary BOOK [--json]``: records by section and status, findings, and ITC after your actions.

Reads the book and runs the validator in memory; never writes the book.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import jsonio
from ..core.amounts import indian_money
from ..core.book import BookState, Entry
from ..core.itc import ITC_HEADERS, ITC_TABLE_TITLE, ItcImpact, itc_impact, itc_json, itc_rows
from ..core.layout import CONFIRMED_MARK, RESET_MARK, UNCONFIRMED_MARK
from ..core.problems import Report
from ..core.refresh import marked
from ..core.rules import validate
from ..core.sections import ACTION_LABELS, SECTIONS, STATUS_ORDER
from ..core.summary import current_action
from ..files.fileport import FilePort


@dataclass
class BookSummary:
    gstin: str | None
    period: str | None
    records: dict[str, Counter[str]]  # section sheet -> status code -> rows
    report: Report
    itc: ItcImpact
    reset: dict[str, list[int]]  # sheet -> rows whose decision the last refresh reset
    confirmed: dict[str, list[int]]  # sheet -> rows whose uploaded decision the portal showed
    unconfirmed: dict[str, list[int]]  # sheet -> rows whose uploaded decision it did not (yet) show


def summarize(state: BookState) -> BookSummary:
    """Count, validate (in memory) and compute the ITC table of a loaded book."""
    entries = state.all_entries()
    report, _ = validate(entries, state.home)
    records = {section.sheet: Counter(current_action(entry) for entry in state.entries[section.key])
               for section in SECTIONS}
    return BookSummary(state.home.gstin, state.home.period, records, report, itc_impact(entries),
                       _rows(marked(entries, RESET_MARK)), _rows(marked(entries, CONFIRMED_MARK)),
                       _rows(marked(entries, UNCONFIRMED_MARK)))


def _rows(entries: list[Entry]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for entry in entries:
        if entry.row is not None:
            rows.setdefault(entry.section.sheet, []).append(entry.row)
    return rows


def summarize_book(path: Path, progress: Callable[[str], None] | None = None) -> BookSummary:
    return summarize(FilePort(path, progress=progress, read_only=True).load())


def summary_json(summary: BookSummary) -> dict[str, Any]:
    """The object ``--json`` prints (its shape is documented in the README)."""
    return {
        "gstin": summary.gstin,
        "period": summary.period,
        "records": {sheet: {ACTION_LABELS[code]: counts[code] for code in STATUS_ORDER}
                    for sheet, counts in summary.records.items()},
        "errors": len(summary.report.errors),
        "warnings": len(summary.report.warnings),
        "itc": itc_json(summary.itc),
        # What the last refresh found: decisions it reset, uploaded decisions the portal showed or not.
        "refresh": {name: {"count": sum(len(rows) for rows in found.values()), "rows": found}
                    for name, found in (("reset", summary.reset), ("confirmed", summary.confirmed),
                                        ("unconfirmed", summary.unconfirmed))},
    }


def summary_text(summary: BookSummary) -> list[str]:
    """Lines for the console: records table, findings, ITC table."""
    lines = [f"GSTIN {summary.gstin or '(not set)'}, return period {summary.period or '(not set)'}", ""]
    header = ["Records", *(ACTION_LABELS[code] for code in STATUS_ORDER), "Total"]
    rows: list[list[Any]] = []
    totals: Counter[str] = Counter()
    for sheet, counts in summary.records.items():
        rows.append([sheet, *(counts[code] for code in STATUS_ORDER), sum(counts.values())])
        totals += counts
    rows.append(["Total", *(totals[code] for code in STATUS_ORDER), sum(totals.values())])
    lines += _table(header, rows, lambda value: f"{value:,}")
    errors, warnings = len(summary.report.errors), len(summary.report.warnings)
    findings = (f"{errors:,} {'error' if errors == 1 else 'errors'}, "
                f"{warnings:,} {'warning' if warnings == 1 else 'warnings'}")
    if errors or warnings:
        findings += " ('ims-xl validate BOOK' marks them on the rows)"
    lines += ["", findings, ""]
    for label, found in (("Decisions reset by the last refresh (decide again)", summary.reset),
                         ("Uploaded decisions not (yet) applied by the portal", summary.unconfirmed)):
        if found:
            where = "; ".join(f"{sheet} rows {', '.join(map(str, rows))}" for sheet, rows in found.items())
            lines += [f"{label}: {sum(len(r) for r in found.values()):,} ({where})", ""]
    if summary.confirmed:
        lines += [f"Uploaded decisions confirmed by the portal: {sum(len(r) for r in summary.confirmed.values()):,}",
                  ""]
    lines += _table([ITC_TABLE_TITLE, *ITC_HEADERS[1:]], itc_rows(summary.itc), indian_money)
    return lines


def _table(header: list[str], rows: list[list[Any]], number: Callable[[Any], str]) -> list[str]:
    cells = [header, *([row[0], *(number(value) for value in row[1:])] for row in rows)]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    return ["  ".join(str(value).ljust(widths[0]) if i == 0 else str(value).rjust(widths[i])
                      for i, value in enumerate(row)).rstrip() for row in cells]


def render_json(summary: BookSummary) -> str:
    return jsonio.dumps(summary_json(summary), indent=2)
