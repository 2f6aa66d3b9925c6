"""The Home sheet's summary: records and tax by section and status, rows no longer on the sheets,
and the findings of the last validation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .book import BookState, Entry, parse_action
from .layout import SUMMARY_TABLE, TOTAL_LABEL
from .problems import Report, Severity
from .sections import SECTIONS, STATUS_ORDER


def entry_tax(entry: Entry) -> Decimal:
    model = entry.record.model
    return model.iamt + model.camt + model.samt + model.cess


def current_action(entry: Entry) -> str:
    """The row's status as a code; an unreadable or blank status counts as the downloaded one."""
    try:
        return parse_action(entry.status) or entry.record.model.action
    except ValueError:
        return entry.record.model.action


def findings_by_sheet(report: Report) -> dict[str, tuple[int, int]]:
    """(errors, warnings) by sheet name, from a validation's report."""
    errors, warnings = report.by_sheet(Severity.ERROR), report.by_sheet(Severity.WARNING)
    return {sheet: (errors.get(sheet, 0), warnings.get(sheet, 0)) for sheet in {*errors, *warnings}}


def summary_rows(state: BookState, findings: Mapping[str, tuple[int, int]] | None) -> list[list[Any]]:
    """Rows of ``layout.SUMMARY_TABLE``: one per section, then the total (Home's own findings count
    in the total). Without ``findings`` the errors and warnings cells are None."""
    rows: list[dict[str, Any]] = []
    missing = state.downloaded_missing()
    for section in SECTIONS:
        counts: Counter[str] = Counter()
        taxes: dict[str, Decimal] = dict.fromkeys(STATUS_ORDER, Decimal(0))
        for entry in state.entries[section.key]:
            action = current_action(entry)
            counts[action] += 1
            taxes[action] += entry_tax(entry)
        row: dict[str, Any] = {"sheet": section.sheet, "records": sum(counts.values()),
                               "downloaded": state.home.downloaded.get(section.sheet, sum(counts.values())),
                               "not_on_sheet": missing.get(section.sheet, 0)}
        for code in STATUS_ORDER:
            row[f"count_{code}"] = counts[code]
            row[f"tax_{code}"] = taxes[code]
        if findings is not None:
            row["errors"], row["warnings"] = findings.get(section.sheet, (0, 0))
        rows.append(row)
    total: dict[str, Any] = {"sheet": TOTAL_LABEL}
    for column in SUMMARY_TABLE.columns[1:]:
        if column.field in ("errors", "warnings") and findings is None:
            continue
        total[column.field] = sum((row[column.field] for row in rows), Decimal(0) if "tax" in column.field else 0)
    if findings is not None:
        home_errors, home_warnings = findings.get("Home", (0, 0))
        total["errors"] += home_errors
        total["warnings"] += home_warnings
    rows.append(total)
    return [[row.get(column.field) for column in SUMMARY_TABLE.columns] for row in rows]
