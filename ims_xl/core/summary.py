"""The Home sheet's summary: records and tax by section and status, and reconciliation totals."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from .book import BookState, Entry, parse_action
from .layout import RECON_RESULTS
from .problems import Report, Severity
from .reconcile import bucket_of
from .sections import SECTIONS

_STATUS_ORDER = ("N", "A", "R", "P")


def entry_tax(entry: Entry) -> Decimal:
    model = entry.record.model
    return model.iamt + model.camt + model.samt + model.cess


def current_action(entry: Entry) -> str:
    """The row's status as a code; an unreadable or blank status counts as the downloaded one."""
    try:
        return parse_action(entry.status) or entry.record.model.action
    except ValueError:
        return entry.record.model.action


def summary_rows(state: BookState, report: Report | None = None) -> list[list[Any]]:
    """Rows under layout.SUMMARY_HEADERS: one per section, then the total."""
    if report is not None:
        errors, warnings = report.by_sheet(Severity.ERROR), report.by_sheet(Severity.WARNING)
    else:  # no new validation: count what the rows show from the last one
        errors, warnings = _shown_findings(state)
    rows: list[list[Any]] = []
    totals: list[Any] = ["Total", 0, 0, 0, 0, 0, Decimal(0), Decimal(0), Decimal(0), Decimal(0), 0, 0]
    for section in SECTIONS:
        counts: Counter[str] = Counter()
        taxes: dict[str, Decimal] = dict.fromkeys(_STATUS_ORDER, Decimal(0))
        for entry in state.entries[section.key]:
            action = current_action(entry)
            counts[action] += 1
            taxes[action] += entry_tax(entry)
        row: list[Any] = [
            section.sheet, sum(counts.values()),
            *(counts[code] for code in _STATUS_ORDER),
            *(taxes[code] for code in _STATUS_ORDER),
            errors.get(section.sheet, 0), warnings.get(section.sheet, 0),
        ]
        rows.append(row)
        totals = [totals[0], *(a + b for a, b in zip(totals[1:], row[1:], strict=True))]
    totals[10] += errors.get("Home", 0)
    rows.append(totals)
    return rows


def _shown_findings(state: BookState) -> tuple[Counter[str], Counter[str]]:
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    for entry in state.all_entries():
        for line in entry.sheet_errors.splitlines():
            if line.startswith("ERROR"):
                errors[entry.section.sheet] += 1
            elif line.startswith("WARNING"):
                warnings[entry.section.sheet] += 1
    return errors, warnings


def reconciliation_rows(state: BookState) -> list[list[Any]]:
    """Rows under layout.RECON_HEADERS: records and tax per match result."""
    counts: Counter[str] = Counter()
    taxes: dict[str, Decimal] = dict.fromkeys(RECON_RESULTS, Decimal(0))
    for entry in state.all_entries():
        result = bucket_of(entry.match_result)
        if result:
            counts[result] += 1
            taxes[result] += entry_tax(entry)
    for row in state.not_in_ims:
        counts[RECON_RESULTS[4]] += 1
        taxes[RECON_RESULTS[4]] += sum((Decimal(str(v)) for v in row[5:9] if v not in (None, "")), Decimal(0))
    return [[result, counts[result], taxes[result]] for result in RECON_RESULTS]
