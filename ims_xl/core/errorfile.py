"""Portal error files mapped back onto the workbook's rows.

Two shapes exist (domain doc §4.3, §6): the offline tool's error file, the download's sections
under ``imsDetailsErr`` with ``error_msg`` on each record; and the GSP request-status
``error_report``, errors grouped by section key, supplier and code, each listing ``inv: [{inum,
rtnprd}]``. Either way the message lands in the row's "GST Portal Validation Errors" cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import render
from .book import ADDED_FROM_ERROR_FILE, BookState, Entry, LogEntry, entry_from_record
from .catalogue import problem
from .problems import InputError, Problem
from .records import PortalFile, Record, json_type_name, make_record
from .sections import STATUS_ORDER, section_for_error_key


@dataclass
class ErrorFileOutcome:
    marked: int = 0  # rows that now show a portal error
    added: int = 0  # records of the error file that were not in the book
    matched: int = 0  # records (or error-report documents) of the error file found in the book
    unmatched: list[str] = field(default_factory=list)  # error-report entries with no row

    def summary(self) -> str:
        parts = [f"Marked {self.marked:,} {'row' if self.marked == 1 else 'rows'} with GST portal errors"]
        if self.added:
            parts.append(f"added {self.added:,} records that were not in the workbook")
        if self.unmatched:
            parts.append(f"{len(self.unmatched):,} errors name documents not in the workbook")
        return "; ".join(parts)


def apply_error_file(state: BookState, error_file: PortalFile, name: str) -> ErrorFileOutcome:
    """Replace every row's portal errors with those of this error file."""
    has_messages = any(r.model.error_msg or r.model.error_cd for r in error_file.records)
    if error_file.error_report is None and not has_messages:
        raise InputError(f"{name}: not an IMS error file: no record carries an error_msg and there is no "
                         "error_report (is this the download rather than the error file?)",
                         code="not-an-error-file", file=name)
    if error_file.gstin and state.home.gstin and error_file.gstin != state.home.gstin:
        raise InputError(f"{name}: the error file is for GSTIN {error_file.gstin}, this workbook is for "
                         f"{state.home.gstin}", code="gstin-mismatch", file=name)
    outcome = ErrorFileOutcome()
    found = _Found()
    if error_file.error_report is not None:
        _apply_error_report(state, error_file.error_report, outcome, found, name)
        if outcome.unmatched and not outcome.matched:
            _refuse_as_not_this_workbooks(name, len(outcome.unmatched))
    else:
        _apply_error_records(state, error_file, outcome, found, name)
    for entry in state.all_entries():
        entry.portal_errors = render.portal_cell(found.problems.get(id(entry), ()))
    return outcome


def error_file_doubts(state: BookState, error_file: PortalFile, *, sha256: str = "",
                      saved: datetime | None = None) -> str | None:
    """Why this error file looks like the wrong one for the book, in one line; None if nothing does:
    another return period (where the file says one), or older than the book's last upload (the same
    file opened before that upload was generated, or saved, at ``saved``, before it)."""
    found: list[str] = []
    upload = _last_upload(state.log)
    if upload is not None:
        index, line = upload
        seen_before = any(earlier.action == "Errors" and earlier.sha256 == sha256 for earlier in state.log[:index])
        if sha256 and seen_before:
            found.append(f"this error file was opened before the last upload was generated ({line.when}): "
                         "it is for an earlier upload")
        elif saved is not None and saved.strftime(_WHEN) < line.when:
            found.append(f"this error file was saved on {saved:%d-%m-%Y %H:%M}, before the last upload was "
                         f"generated ({line.when}): it is for an earlier upload")
    theirs, ours = error_file.period, (str(state.home.period).strip() if state.home.period else "")
    if theirs and ours and theirs != ours:
        found.append(f"this error file is for period {theirs}; the book is for {ours}")
    return "; ".join(found) or None


_WHEN = "%Y-%m-%d %H:%M:%S"  # the Change Log's "When", which sorts as text


def _last_upload(log: list[LogEntry]) -> tuple[int, LogEntry] | None:
    for index in range(len(log) - 1, -1, -1):
        if log[index].action == "Generate" and log[index].file:
            return index, log[index]
    return None


@dataclass
class _Found:
    """Each row's portal errors (keyed by ``id(entry)``), in the order the file gives them."""

    problems: dict[int, list[Problem]] = field(default_factory=dict)

    def add(self, entry: Entry, portal_error: Problem) -> None:
        self.problems.setdefault(id(entry), []).append(portal_error)


def _portal_error(entry_sheet: str, error_code: Any, message: Any) -> Problem:
    text = str(message or "").strip() or "Rejected by the portal (no message given)"
    if error_code:
        return problem("portal-error", sheet=entry_sheet, portal_code=str(error_code), portal_message=text)
    return problem("portal-error-uncoded", sheet=entry_sheet, portal_message=text)


def _apply_error_records(state: BookState, error_file: PortalFile, outcome: ErrorFileOutcome,
                         found: _Found, name: str) -> None:
    rows = {entry.record.identity: entry for entry in state.all_entries()}
    for record in error_file.records:
        model = record.model
        if not (model.error_msg or model.error_cd):
            continue
        portal_error = _portal_error(record.section.sheet, model.error_cd, model.error_msg)
        entry = rows.get(record.identity)
        if entry is None:
            entry = _added_entry(record, name)
            state.entries[record.section.key].append(entry)
            rows[record.identity] = entry
            outcome.added += 1
        else:
            outcome.matched += 1
        found.add(entry, portal_error)
        outcome.marked += 1
    if not outcome.matched:
        _refuse_as_not_this_workbooks(name, outcome.marked)


def _added_entry(record: Record, name: str) -> Entry:
    """A row for an error-file record the book did not hold. The record is the rejected upload's, so
    the portal still has it at its previous status; the row's Status starts empty for the user to choose."""
    previous = record.raw.get("prev_status")
    raw = {**record.raw, "action": previous if previous in STATUS_ORDER else "N"}
    entry = entry_from_record(make_record(record.section, raw, f"{name}: {record.describe()}", file=name))
    entry.status = None
    entry.refresh_note = f"{ADDED_FROM_ERROR_FILE}: choose its Status (not counted in the ITC figures until then)"
    return entry


def _refuse_as_not_this_workbooks(name: str, records: int) -> None:
    raise InputError(f"{name}: none of the error file's {records:,} {'record is' if records == 1 else 'records are'} "
                     "in this workbook (another client's error file, or another period's?); nothing was written",
                     code="not-this-workbooks-error-file", file=name)


def _apply_error_report(state: BookState, report: dict[str, Any], outcome: ErrorFileOutcome, found: _Found,
                        name: str) -> None:
    for key, groups in report.items():
        section = section_for_error_key(key)
        if section is None or groups is None:
            continue
        if not isinstance(groups, list):
            raise InputError(f"{name}: error_report.{key} should be a list, found {type(groups).__name__}",
                             code="unexpected-json-shape", file=name, field=f"error_report.{key}")
        by_document: dict[tuple[str, str], list[Entry]] = {}
        for entry in state.entries[section.key]:
            by_document.setdefault((entry.record.model.stin.upper(), entry.record.number.upper()), []).append(entry)
        for position, group in enumerate(groups, start=1):
            if not isinstance(group, dict):
                raise InputError(f"{name}: error_report.{key} item {position} should be an object",
                                 code="unexpected-json-shape", file=name, field=f"error_report.{key}")
            supplier = str(group.get("stin") or group.get("ctin") or "").strip().upper()
            portal_error = _portal_error(section.sheet, group.get("error_cd"), group.get("error_msg"))
            documents = group.get("inv") or group.get("nt") or []
            if not isinstance(documents, list):
                raise InputError(f"{name}: error_report.{key} item {position}: inv should be a list of documents, "
                                 f"found {json_type_name(documents)}",
                                 code="unexpected-json-shape", file=name, field=f"error_report.{key}")
            for number_in_group, document in enumerate(documents, start=1):
                if not isinstance(document, dict):
                    raise InputError(f"{name}: error_report.{key} item {position}, document {number_in_group} "
                                     f"should be an object with inum (or nt_num), found {json_type_name(document)}",
                                     code="unexpected-json-shape", file=name, field=f"error_report.{key}")
                number = str(document.get("inum") or document.get("nt_num") or "").strip().upper()
                period = document.get("rtnprd")
                candidates = [e for e in by_document.get((supplier, number), [])
                              if not period or e.record.model.rtnprd in (None, period)]
                if not candidates:
                    outcome.unmatched.append(f"{section.sheet}: {supplier} {number}: {render.message(portal_error)}")
                else:
                    outcome.matched += 1
                for entry in candidates:
                    found.add(entry, portal_error)
                    outcome.marked += 1
