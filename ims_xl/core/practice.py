"""A CA practice's month over a folder of client downloads: which files count, and the dashboard.

Pure: file names, change-log lines and book entries in; classifications, figures and dashboard
rows out. ``ims_xl.commands.practice`` does the reading, the writing and the worker processes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .book import Entry, LogEntry
from .followup import period_words
from .gstin import is_valid_gstin
from .layout import CONFIRMED_MARK, TOTAL_LABEL, UNCONFIRMED_MARK, Table
from .sections import Column, Kind
from .summary import current_action, entry_tax

DASHBOARD_NAME = "Practice.xlsx"
DASHBOARD_SHEET = "Clients"
# The dashboard, described as the book's tables are: adding a column is a line here and a value in
# ``dashboard_cells``. The Problem sits near the left, where the eye starts.
DASHBOARD_TABLE = Table(DASHBOARD_SHEET, "", 1, (
    Column("gstin", "GSTIN", Kind.TEXT, 17),
    Column("client", "Client", Kind.TEXT, 24),
    Column("period", "Period", Kind.TEXT, 14),
    Column("problem", "Problem", Kind.TEXT, 50, wrapped=True),
    Column("download", "Download", Kind.TEXT, 30),
    Column("workbook", "Workbook", Kind.TEXT, 30),
    Column("records", "Records", Kind.COUNT, 9),
    Column("no_action", "No Action", Kind.COUNT, 10),
    Column("accept", "Accept", Kind.COUNT, 9),
    Column("reject", "Reject", Kind.COUNT, 9),
    Column("pending", "Pending", Kind.COUNT, 9),
    Column("tax_no_action", "Tax No Action", Kind.MONEY, 16),
    Column("errors", "Errors", Kind.COUNT, 8),
    Column("warnings", "Warnings", Kind.COUNT, 9),
    Column("confirmed", "Confirmed", Kind.COUNT, 10),
    Column("not_applied", "Not Applied", Kind.COUNT, 11),
    Column("last_upload", "Last Upload", Kind.TEXT, 42),
), totals=True)
DASHBOARD_HEADERS = DASHBOARD_TABLE.headers
BOOK_SUFFIX = ".xlsm"  # where `ims-xl open` puts a download's book by default

_DOWNLOAD_SUFFIXES = (".json", ".zip")
_UPLOAD_NAME = re.compile(r"ims_upload_.*\.json", re.IGNORECASE)  # actions.default_upload_name
_GSTIN_WINDOW = re.compile(r"(?=([0-9A-Z]{15}))")  # every 15-character run, overlapping
_TAKE_IN_ACTIONS = ("Open", "Refresh")


# --- which files are downloads --------------------------------------------------------------


def is_download_candidate(name: str) -> bool:
    """A file directly in the folder that may be a client's download (its content decides).

    Not: other suffixes, hidden and temporary files (our own atomic writes start with "."), office
    lock files, and the upload files ims-xl writes beside each book.
    """
    if not name.lower().endswith(_DOWNLOAD_SUFFIXES):
        return False
    if name.startswith((".", "~$")):
        return False
    return not _UPLOAD_NAME.fullmatch(name)


def book_name_for(download_name: str) -> str:
    """DIR/<file stem>.xlsm, as `ims-xl open DOWNLOAD` names the book."""
    stem = download_name.rsplit(".", 1)[0]
    return stem + BOOK_SUFFIX


def gstin_in_name(name: str) -> str | None:
    """The first valid GSTIN (format and check character) anywhere in a file name."""
    for match in _GSTIN_WINDOW.finditer(name.upper()):
        candidate = match.group(1)
        if is_valid_gstin(candidate):
            return candidate
    return None


def problem_sentence(message: str, download_name: str) -> str:
    """An input error's one line without the leading file name the Download column already shows."""
    if message.startswith(download_name):
        cut = message.find(": ", len(download_name))
        if cut != -1:
            rest = message[cut + 2:]
            return rest[:1].upper() + rest[1:]
    return message


# --- what a book's Change Log says ------------------------------------------------------------


def last_taken_sha256(log: Sequence[LogEntry]) -> str:
    """The SHA-256 of the download the book last took in (Open or Refresh); "" when not recorded."""
    for line in reversed(log):
        if line.action in _TAKE_IN_ACTIONS:
            return line.sha256
    return ""


def _last_upload_line(log: Sequence[LogEntry]) -> LogEntry | None:
    for line in reversed(log):
        if line.action == "Generate" and line.file:
            return line
    return None


def last_upload(log: Sequence[LogEntry]) -> str:
    """"<upload file>, generated <when>" of the book's last Generate that wrote a file ("" when none
    did): generated, because only a later download shows whether it was uploaded; a refresh since
    that found its decisions on the portal adds "confirmed by the portal <when>"."""
    line = _last_upload_line(log)
    if line is None:
        return ""
    text = f"{line.file}, generated {line.when}"
    after = log[max(i for i, candidate in enumerate(log) if candidate is line) + 1:]
    for later in after:
        if later.action == "Refresh" and CONFIRMED_MARK in later.details:
            partly = UNCONFIRMED_MARK in later.details
            text += f"; {'partly ' if partly else ''}{CONFIRMED_MARK} {later.when}"
            break
    return text


def last_upload_sha256(log: Sequence[LogEntry]) -> str:
    line = _last_upload_line(log)
    return line.sha256 if line else ""


# --- figures ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """One book's counts for the dashboard (or their totals)."""

    records: int = 0
    no_action: int = 0
    accept: int = 0
    reject: int = 0
    pending: int = 0
    tax_no_action: Decimal = Decimal(0)  # IGST + CGST + SGST + Cess still at No Action: deemed accepted
    errors: int = 0
    warnings: int = 0
    confirmed: int = 0  # uploaded decisions the last refresh found on the portal
    unconfirmed: int = 0  # and those it did not (yet)

    def add(self, other: Figures) -> None:
        self.records += other.records
        self.no_action += other.no_action
        self.accept += other.accept
        self.reject += other.reject
        self.pending += other.pending
        self.tax_no_action += other.tax_no_action
        self.errors += other.errors
        self.warnings += other.warnings
        self.confirmed += other.confirmed
        self.unconfirmed += other.unconfirmed


def book_figures(entries: Iterable[Entry], *, errors: int, warnings: int) -> Figures:
    """Records by current status (as the Home summary counts them) and the tax still at No Action."""
    counts: Counter[str] = Counter()
    tax_no_action = Decimal(0)
    confirmed = unconfirmed = 0
    for entry in entries:
        confirmed += CONFIRMED_MARK in entry.refresh_note
        unconfirmed += UNCONFIRMED_MARK in entry.refresh_note
        action = current_action(entry)
        counts[action] += 1
        if action == "N":
            tax_no_action += entry_tax(entry)
    return Figures(records=counts.total(), no_action=counts["N"], accept=counts["A"], reject=counts["R"],
                   pending=counts["P"], tax_no_action=tax_no_action, errors=errors, warnings=warnings,
                   confirmed=confirmed, unconfirmed=unconfirmed)


# --- one client's outcome and the dashboard -------------------------------------------------------


@dataclass
class ClientResult:
    """What the run did with one download; a row of the dashboard (``skipped`` ones are not)."""

    download: str
    gstin: str = ""
    client: str = ""  # the client's name: the book's (else the download's) file name
    period: str = ""  # the return period on the book's Home, MMYYYY
    workbook: str = ""  # the book's file name, once there is a book
    figures: Figures | None = None
    last_upload: str = ""
    problem: str = ""  # one sentence: why this file could not be processed
    skipped: str = ""  # not a download after all (an upload or a portal error file): why
    taken: str = ""  # "opened", "refreshed" or "unchanged"
    upload: str = ""  # the upload file written by this run
    not_generated: str = ""  # why --generate wrote nothing for this book
    notes: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return self.figures is not None and self.figures.errors > 0


def dashboard_order(results: Iterable[ClientResult]) -> list[ClientResult]:
    """Rows of the dashboard: largest tax still at No Action first; books without figures last."""
    rows = [result for result in results if not result.skipped]
    return sorted(rows, key=lambda r: (r.figures is None,
                                       -(r.figures.tax_no_action if r.figures else Decimal(0)),
                                       r.download.lower()))


def totals(results: Iterable[ClientResult]) -> Figures:
    total = Figures()
    for result in results:
        if result.figures is not None:
            total.add(result.figures)
    return total


def figure_cells(figures: Figures | None) -> list[Any]:
    """The values under Records ... Not Applied (None where a file has no book to count)."""
    if figures is None:
        return [None] * 10
    return [figures.records, figures.no_action, figures.accept, figures.reject, figures.pending,
            figures.tax_no_action, figures.errors, figures.warnings, figures.confirmed, figures.unconfirmed]


def dashboard_cells(result: ClientResult) -> list[Any]:
    """A dashboard row, in the order of ``DASHBOARD_TABLE``."""
    figures = figure_cells(result.figures)
    return [result.gstin, result.client or result.download.rsplit(".", 1)[0],
            period_words(result.period) or result.period, result.problem, result.download, result.workbook,
            *figures, result.last_upload]


def dashboard_total_cells(results: list[ClientResult]) -> list[Any]:
    problems = sum(1 for result in results if result.problem)
    count = len(results)
    return [TOTAL_LABEL, None, None, f"{problems:,} with a problem" if problems else None,
            f"{count:,} {'download' if count == 1 else 'downloads'}", None, *figure_cells(totals(results)), None]


def needs_attention(result: ClientResult) -> bool:
    """A row the dashboard highlights: the file could not be processed, or its book has errors."""
    return bool(result.problem) or result.has_errors


EXIT_CLEAN, EXIT_BOOK_ERRORS, EXIT_PROBLEMS = 0, 1, 2


def exit_code(results: Iterable[ClientResult]) -> int:
    """2 when some file could not be processed, else 1 when some book has validation errors, else 0."""
    rows = [result for result in results if not result.skipped]
    if any(result.problem for result in rows):
        return EXIT_PROBLEMS
    if any(result.has_errors for result in rows):
        return EXIT_BOOK_ERRORS
    return EXIT_CLEAN
