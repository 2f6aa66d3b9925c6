"""What each button and command does, written once over a small workbook port.

Two ports implement ``WorkbookPort``: ``files.fileport.FilePort`` (a workbook file, for the command
line) and ``excel.XlwingsPort`` (the workbook open in Excel, for the buttons). An action reads
the book through the port, lets the core decide, and hands the port the new state along with
the columns it changed, so the Excel port writes only those.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .core import codec, render
from .core.book import BookState, Home, LogEntry, entry_from_record, full_words
from .core.errorfile import apply_error_file
from .core.layout import LAST_ACTION_CHARACTERS
from .core.problems import InputError, Problem, Report, Severity
from .core.records import PortalFile
from .core.refresh import rows_by_sheet
from .core.rules import validate
from .core.sections import SECTIONS
from .core.upload import build_upload, upload_recipient, upload_violations
from .core.writeplan import SPELL_OUT
from .files.atomic import replacing
from .files.portal import upload_bytes

if TYPE_CHECKING:
    from .core.purchases import RegisterEntry, RegisterProblem

ALL_COLUMNS = None  # a save that rewrites every column and the number of rows


class WorkbookPort(Protocol):
    """The few things an action needs from a workbook."""

    @property
    def name(self) -> str: ...

    def load(self) -> BookState: ...

    def clear_filters(self) -> None: ...

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None,
             recon: dict[str, tuple[int, Decimal]] | None = None) -> None:
        """Write the state back. ``fields``: the section columns that changed on rows already on
        the sheets (None: the records may have changed; rows may come and go). ``report`` and
        ``recon``: a new validation's findings and a new reconciliation's totals for Home (None:
        Home keeps the last ones). Home's fields and summary, the change log and the auxiliary
        sheets are written always."""


@dataclass
class Outcome:
    """What an action did: one sentence for a message box, and details for the console."""

    message: str
    ok: bool = True
    details: list[str] = field(default_factory=list)
    output: Path | None = None
    report: Report | None = None


def _now_text(now: datetime) -> str:
    return now.strftime("%Y-%m-%d %H:%M:%S")


def _log(state: BookState, now: datetime, action: str, details: str, file: str = "", sha256: str = "") -> None:
    state.log.append(LogEntry(_now_text(now), action, details, file, sha256))
    state.home.last_action = last_action_text(f"{_now_text(now)} {action}: {details}")


_SEE_LOG = " … (all of it: Change Log)"


def last_action_text(text: str) -> str:
    """Home's "Last action": what its three lines show, cut after a sentence (or a word) with a
    pointer to the Change Log, which keeps the whole message."""
    if len(text) <= LAST_ACTION_CHARACTERS:
        return text
    room = LAST_ACTION_CHARACTERS - len(_SEE_LOG)
    sentence = text.rfind(". ", 0, room)
    if sentence > room // 2:  # whole sentences when they fill most of the room
        return text[:sentence + 1] + _SEE_LOG
    cut = text.rfind(" ", 0, room + 1)
    return text[:cut if cut > room // 2 else room].rstrip(" ,;:.") + _SEE_LOG


# --- Open -----------------------------------------------------------------------------------


def open_download(port: WorkbookPort, download: PortalFile, source_name: str, *, gstin: str | None = None,
                  now: datetime | None = None, sha256: str = "") -> Outcome:
    """Fill the workbook from a portal download, replacing its rows. ``sha256``: the download
    file's, for the change log (``practice`` takes a download in only when it differs)."""
    moment = now or datetime.now()
    if download.envelope == "error":
        raise InputError(f"{source_name}: this is a portal error file; open it with 'errors' "
                         "(Open Downloaded Error JSON File)", code="wrong-kind-of-file", file=source_name)
    if download.envelope == "upload":  # it holds only the changed records: opening it would lose the rest
        raise InputError(f"{source_name}: this is an upload file (what Generate writes), not the IMS download; "
                         "open the file from IMS Dashboard > Offline > Download JSON", code="wrong-kind-of-file",
                         file=source_name)
    typed = gstin.strip().upper() if gstin else None
    if typed and download.gstin and typed != download.gstin:
        raise InputError(f"{source_name}: the download is for GSTIN {download.gstin}, not {typed}",
                         code="gstin-mismatch", file=source_name)
    previous = port.load()
    state = BookState(
        home=Home(gstin=download.gstin or typed or previous.home.gstin,
                  period=download.period or _period_of(download) or previous.home.period,
                  source_file=source_name, download_gstin=download.gstin or typed),
        log=previous.log,
    )
    codec.refuse_overlong_text(download.records, source_name)
    for record in download.records:
        state.entries[record.section.key].append(entry_from_record(record))
    _note_downloaded(state)
    counts = ", ".join(f"{s.sheet} {len(state.entries[s.key]):,}" for s in SECTIONS if state.entries[s.key])
    message = f"Opened {len(download.records):,} records from {source_name}" + (f" ({counts})" if counts else "")
    _log(state, moment, "Open", message, source_name, sha256)
    port.save(state, None, ALL_COLUMNS)
    details = [] if state.home.gstin else ["Enter the recipient GSTIN on the Home sheet (or use --gstin)."]
    return Outcome(message, details=details)


def _note_downloaded(state: BookState) -> None:
    """Remember how many records each sheet holds, so rows deleted later are noticed."""
    state.home.downloaded = {section.sheet: len(state.entries[section.key]) for section in SECTIONS}


def _period_of(download: PortalFile) -> str | None:
    periods = {record.model.rtnprd for record in download.records if record.model.rtnprd}
    return periods.pop() if len(periods) == 1 else None


# --- Validate -------------------------------------------------------------------------------


# What Validate and Generate write on the section sheets: the findings, and statuses typed short
# ("a", "accepted") as the dropdown's word where the cell holds no formula.
_FINDINGS = frozenset({"sheet_errors", SPELL_OUT})


def validate_book(port: WorkbookPort, *, now: datetime | None = None) -> Outcome:
    """Clear filters, check every row, write each row's findings, update the summary."""
    moment = now or datetime.now()
    port.clear_filters()
    state = port.load()
    report = _validate_state(state)
    message = report.summary() + _missing_note(state)
    _log(state, moment, "Validate", message)
    port.save(state, report, _FINDINGS)
    details = _details(report, report.problems) + _spelled_note(state)
    return Outcome(message, ok=not report.errors, details=details, report=report)


_ROWS_NAMED = 20


def _spelled_note(state: BookState) -> list[str]:
    """The line saying which typed-short statuses Validate and Generate wrote back as full words."""
    typed = [entry for entry in state.all_entries() if full_words(entry)]
    if not typed:
        return []
    more = len(typed) - _ROWS_NAMED
    rest = f" and {more:,} more" if more > 0 else ""
    return [f"Status or 'ITC to be reduced' typed short, written as the full word (a cell with a formula keeps "
            f"it): {rows_by_sheet(typed[:_ROWS_NAMED])}{rest}"]


_HINTS_LISTED = 3


def _details(report: Report, problems: list[Problem]) -> list[str]:
    """The command's lines under its message: each finding, then one line on odd portal data."""
    findings = [problem for problem in problems if problem.severity is not Severity.HINT]
    hints = [problem for problem in problems if problem.severity is Severity.HINT]
    lines = [render.console_text(problem) for problem in findings + hints[:_HINTS_LISTED]]
    if len(hints) > _HINTS_LISTED:  # advice, not findings: a few as examples, the rest counted in one line
        more = len(hints) - _HINTS_LISTED
        lines.append(f"hint: {more:,} more {'row has' if more == 1 else 'rows have'} advice like this "
                     "(not counted as warnings): see 'Sheet Validation Errors'")
    oddities = render.portal_oddities_line(report)
    return [*lines, oddities] if oddities else lines


def _missing_note(state: BookState) -> str:
    """"; 2 downloaded records are no longer on the sheets (B2B 2) ..." when rows were deleted."""
    missing = state.downloaded_missing()
    if not missing:
        return ""
    count = sum(missing.values())
    where = ", ".join(f"{sheet} {number:,}" for sheet, number in missing.items())
    return (f"; {count:,} downloaded {'record is' if count == 1 else 'records are'} no longer on the sheets "
            f"({where}): deleted rows send no decision; 'refresh' from the download brings them back")


def _validate_state(state: BookState) -> Report:
    entries = state.all_entries()
    report, per_entry = validate(entries, state.home)
    for entry in entries:
        problems = per_entry.get(id(entry))
        entry.sheet_errors = render.cell_lines(problems) if problems else ""
    return report


# --- Generate -------------------------------------------------------------------------------


def generate_upload(port: WorkbookPort, choose_target: Callable[[BookState, datetime], Path | None], *,
                    now: datetime | None = None) -> Outcome:
    """Validate; with no errors, build the upload, check it, and write it and the book together.

    The upload goes to a temporary file beside its target, the book (whose change log records the
    upload's SHA-256) is saved, and only then does the upload take its name: when the save fails,
    no upload is left that the book does not record.
    """
    moment = now or datetime.now()
    port.clear_filters()
    state = port.load()
    report = _validate_state(state)
    if report.errors:
        message = (f"No upload file written: {len(report.errors):,} "
                   f"{'error' if len(report.errors) == 1 else 'errors'} to fix first ({report.summary()})"
                   + _missing_note(state))
        _log(state, moment, "Generate", message)
        port.save(state, report, _FINDINGS)
        return Outcome(message, ok=False, details=_details(report, report.problems) + _spelled_note(state),
                       report=report)
    recipient = upload_recipient(state.home)
    assert recipient  # validation guarantees a valid recipient GSTIN on Home, and that it is the download's
    notes = []
    if not state.home.download_gstin:
        state.home.download_gstin = recipient
        notes.append(f"This workbook did not record the GSTIN of its download; the upload is for the GSTIN on "
                     f"Home, {recipient}, now recorded as the workbook's")
    entries = state.all_entries()
    document, count = build_upload(entries, recipient)
    violations = upload_violations(document, entries, recipient)
    if violations:
        more = f" (and {len(violations) - 1:,} more)" if len(violations) > 1 else ""
        raise InputError(f"{port.name}: the upload built from this workbook fails its own check: "
                         f"{violations[0]}{more}; no upload file was written (a fault in ims-xl: please report it)",
                         code="upload-check-failed", file=port.name)
    target = choose_target(state, moment)
    if target is None:
        return Outcome("Cancelled: no upload file written", ok=True, report=report)
    payload = upload_bytes(document)
    if count:
        message = f"Saved the upload JSON: {target}, {count:,} {'record' if count == 1 else 'records'}"
    else:
        message = f"No changes since the download; the upload file holds no records: {target}"
    message += _missing_note(state)
    _log(state, moment, "Generate", message, target.name, hashlib.sha256(payload).hexdigest())
    try:
        with replacing(target) as staged:
            staged.write_bytes(payload)
            port.save(state, report, _FINDINGS)
    except InputError as error:
        error.add_clause("no upload file was written")
        raise
    except Exception as error:
        error.add_note("no upload file was written")
        raise
    return Outcome(message, details=notes + _details(report, report.warnings) + _spelled_note(state), output=target,
                   report=report)


def default_upload_name(state: BookState, moment: datetime) -> str:
    return f"IMS_upload_{state.home.gstin or 'GSTIN'}_{moment:%Y%m%d-%H%M%S}.json"


# --- Error file -----------------------------------------------------------------------------


def open_error_file(port: WorkbookPort, error_file: PortalFile, source_name: str, *,
                    now: datetime | None = None, sha256: str = "", saved: datetime | None = None,
                    force: bool = False) -> Outcome:
    """``saved``: when the error file was saved (its modification time), to notice one older than the
    book's last upload; ``force`` takes a doubtful file anyway."""
    from .core.errorfile import error_file_doubts
    from .core.refresh import FORCE_HINT

    moment = now or datetime.now()
    state = port.load()
    doubt = None if force else error_file_doubts(state, error_file, sha256=sha256, saved=saved)
    if doubt:
        raise InputError(f"{source_name}: {doubt}; {FORCE_HINT}", code="error-file-doubtful", file=source_name)
    rows_before = len(state.all_entries())
    outcome = apply_error_file(state, error_file, source_name)
    message = outcome.summary()
    _log(state, moment, "Errors", message, source_name, sha256)
    rows_changed = len(state.all_entries()) != rows_before
    if rows_changed:
        _note_downloaded(state)
    port.save(state, None, frozenset({"portal_errors", "refresh_note"}))
    return Outcome(message, details=outcome.unmatched)


# --- Reconcile ------------------------------------------------------------------------------


def reconcile_book(port: WorkbookPort, register: list[RegisterEntry], register_name: str, *,
                   tolerance: Decimal = Decimal("1.00"), apply: bool = False,
                   now: datetime | None = None, problems: Sequence[RegisterProblem] = ()) -> Outcome:
    """``problems``: register cells that could not be read; their rows are listed on Not in IMS and
    in the outcome's details, under "Register problems"."""
    from .core.reconcile import problems_summary, reconcile, register_problem_rows

    moment = now or datetime.now()
    state = port.load()
    outcome = reconcile(state, register, tolerance=tolerance, apply=apply, unread=problems)
    message = outcome.summary()
    details: list[str] = []
    if problems:
        message += problems_summary(list(problems))
        state.not_in_ims += register_problem_rows(problems)
        details = [f"Register problems ({len(problems):,}):", *(problem.line() for problem in problems)]
    _log(state, moment, "Reconcile", message, register_name)
    fields = {"suggested_action", "match_status", "books_tax", "match_result"} | ({"status"} if apply else set())
    port.save(state, None, frozenset(fields), recon=outcome.by_result())
    return Outcome(message, details=details)


# --- Refresh --------------------------------------------------------------------------------


def refresh_book(port: WorkbookPort, download: PortalFile, source_name: str, *,
                 now: datetime | None = None, sha256: str = "", force: bool = False) -> Outcome:
    """Merge a newer download; one that looks like the wrong one (older, another period, few of the
    book's records) is refused unless ``force``."""
    from .core.refresh import FORCE_HINT, refresh, refresh_doubts

    moment = now or datetime.now()
    if download.envelope == "error":
        raise InputError(f"{source_name}: this is a portal error file, not a download",
                         code="wrong-kind-of-file", file=source_name)
    codec.refuse_overlong_text(download.records, source_name)
    state = port.load()
    doubt = None if force else refresh_doubts(state, download, sha256)
    if doubt:
        raise InputError(f"{source_name}: {doubt}; {FORCE_HINT}", code="download-doubtful", file=source_name)
    outcome = refresh(state, download, today=moment.strftime("%d-%m-%Y"), uploaded=_uploaded_since_taken(state))
    state.home.source_file = source_name
    if download.period:
        state.home.period = download.period
    if not state.home.gstin and download.gstin:
        state.home.gstin = download.gstin
    if not state.home.download_gstin and download.gstin:
        state.home.download_gstin = download.gstin
    _note_downloaded(state)
    message = " ".join(part for part in (outcome.summary() + ".", outcome.follow_up()) if part)
    _log(state, moment, "Refresh", message, source_name, sha256)
    port.save(state, None, ALL_COLUMNS)
    return Outcome(message)


def _uploaded_since_taken(state: BookState) -> bool:
    """Did the book write an upload file after it last took a download in?"""
    from .core.refresh import TAKE_IN_ACTIONS

    for line in reversed(state.log):
        if line.action in TAKE_IN_ACTIONS:
            return False
        if line.action == "Generate" and line.file:
            return True
    return False

