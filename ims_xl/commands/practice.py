"""``ims-xl practice DIR``: every client's IMS download in a folder, in worker processes, and one dashboard.

Each download in DIR is one client-month. Its book is DIR/<stem>.xlsm: opened when new, refreshed
(decisions kept) when the download differs from the one the book last took in, then validated;
with ``--generate`` the upload is written beside books that have changes and no errors. The run
ends with ``DIR/Practice.xlsx`` (sheet "Clients"), rewritten every time: it is the tool's own file.

The actions are the same as the single-book commands' (``ims_xl.actions`` over ``FilePort``); a
book's saves are held in memory and written once at the end of its client's work, so a new client
costs one parse of the download and one write of the book.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .. import actions
from ..core import jsonio
from ..core.book import BookState
from ..core.gcpause import collector_paused
from ..core.practice import (
    DASHBOARD_HEADERS,
    DASHBOARD_NAME,
    DASHBOARD_TABLE,
    ClientResult,
    book_figures,
    book_name_for,
    dashboard_cells,
    dashboard_order,
    dashboard_total_cells,
    exit_code,
    gstin_in_name,
    is_download_candidate,
    last_taken_sha256,
    last_upload,
    last_upload_sha256,
    needs_attention,
    problem_sentence,
)
from ..core.problems import InputError, Report
from ..core.upload import build_upload, upload_recipient
from ..excel.template import this_pythons_macros
from ..files.atomic import replacing
from ..files.fileport import FilePort
from ..files.locks import lock_files
from ..files.portal import file_sha256, read_portal_file
from ..files.tablesheet import TableStyles, write_table

Say = Callable[[str], None]


@dataclass(frozen=True)
class ClientJob:
    download: Path
    book: Path
    generate: bool


# --- one client, in a worker process ------------------------------------------------------------


class HeldPort:
    """A ``FilePort`` whose saves are held in memory until ``flush``.

    Open (or refresh), validate and generate run on a book one after the other; each action
    loads what the previous one saved, so one write at the end serves them all and a book that
    fails half-way is left as it was.
    """

    def __init__(self, file: FilePort) -> None:
        self.file = file
        self.state: BookState | None = None
        self._report: Report | None = None
        self._recon: dict[str, tuple[int, Decimal]] | None = None
        self._saved = False

    @property
    def name(self) -> str:
        return self.file.name

    def load(self) -> BookState:
        if self.state is None:
            self.state = self.file.load()
        return self.state

    def clear_filters(self) -> None:
        self.file.clear_filters()

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None,
             recon: dict[str, tuple[int, Decimal]] | None = None) -> None:
        self.state, self._saved = state, True
        self._report = report or self._report
        self._recon = recon or self._recon

    def flush(self) -> None:
        if self._saved and self.state is not None:
            self.file.save(self.state, self._report, actions.ALL_COLUMNS, recon=self._recon)


def _lock_file(book: Path) -> Path | None:
    """The Excel or LibreOffice lock file beside ``book``, if it is open there."""
    return next(iter(lock_files(book)), None)


def _locked_problem(book: Path, lock: Path) -> str:
    return (f"{book.name} is open in Excel or LibreOffice ({lock.name} beside it): close it and run again; "
            "the book was not changed")


def run_client(job: ClientJob) -> ClientResult:
    """Take one download into its book, validate, and (with --generate) write the upload.

    Never raises: whatever goes wrong becomes the result's ``problem``, and the book is unchanged.
    """
    result = ClientResult(download=job.download.name, workbook=job.book.name if job.book.exists() else "")
    try:
        with collector_paused():  # a worker process is a command of its own
            _take_in(job, result)
    except InputError as error:
        result.problem = problem_sentence(str(error), job.download.name)
    except Exception as error:  # one client's surprise must not stop the other clients
        result.problem = f"Unexpected error: {type(error).__name__}: {error}"
    return result


def _take_in(job: ClientJob, result: ClientResult) -> None:
    name, book = job.download.name, job.book
    download = read_portal_file(job.download)
    if download.envelope in ("upload", "error"):
        result.skipped = ("an upload file (the portal's SAVE envelope)" if download.envelope == "upload"
                          else "a portal error file")
        return
    gstin = download.gstin or gstin_in_name(name)
    if not gstin:
        result.problem = ("No GSTIN: the download carries none and its name holds no valid GSTIN; "
                          "put the client's GSTIN in the file name, e.g. 27AAPFU0939F1ZV_102025.json")
        return
    result.gstin = gstin
    lock = _lock_file(book)
    if lock is not None:
        result.problem = _locked_problem(book, lock)
        _show_book_as_it_is(book, result)
        return

    sha256 = file_sha256(job.download)
    port = HeldPort(FilePort(book, new=not book.exists(), macros=this_pythons_macros))
    if book.exists():
        state = port.load()
        if state.home.gstin and state.home.gstin != gstin:
            result.problem = (f"{book.name} is for GSTIN {state.home.gstin} but the download is for {gstin}; "
                              "the book was not changed")
            _show_book_as_it_is(book, result, state)
            return
        if last_taken_sha256(state.log) == sha256:
            result.taken = "unchanged"
        else:
            actions.refresh_book(port, download, name, sha256=sha256)
            result.taken = "refreshed"
    else:
        actions.open_download(port, download, name, gstin=None if download.gstin else gstin, sha256=sha256)
        result.taken = "opened"
    outcome = actions.validate_book(port)
    report = outcome.report
    assert report is not None and port.state is not None
    if job.generate:
        _generate(port, book, report, result)
    # The upload and the book succeed or fail together: an upload the book's change log does not
    # record (the book not saved) is taken back.
    lock = _lock_file(book)  # opened in Excel while we worked: leave it alone
    if lock is not None:
        _take_back_upload(book, result)
        result.problem = _locked_problem(book, lock)
        return
    try:
        port.flush()
    except BaseException:
        _take_back_upload(book, result)
        raise
    state = port.state
    result.workbook = book.name
    result.figures = book_figures(state.all_entries(), errors=len(report.errors), warnings=len(report.warnings))
    _name_client(result, book, state)
    result.last_upload = last_upload(state.log)


def _generate(port: HeldPort, book: Path, report: Report, result: ClientResult) -> None:
    state = port.state
    assert state is not None
    if report.errors:
        count = len(report.errors)
        result.not_generated = f"{count:,} {'error' if count == 1 else 'errors'} to fix first"
        return
    recipient = upload_recipient(state.home)
    assert recipient  # validation found no error, so the recipient GSTIN is valid
    document, count = build_upload(state.all_entries(), recipient)
    if count == 0:
        result.not_generated = "no changes since the download"
        return
    # The same bytes generate_upload would write (write_json_atomically): a rerun writes no second copy.
    if hashlib.sha256(jsonio.dumps(document).encode("utf-8")).hexdigest() == last_upload_sha256(state.log):
        result.not_generated = f"already generated: {last_upload(state.log)}"
        return

    def target(chosen: BookState, moment: datetime) -> Path:
        return _reserve(book.with_name(actions.default_upload_name(chosen, moment)))

    outcome = actions.generate_upload(port, target)
    if outcome.output is not None:
        result.upload = outcome.output.name


def _take_back_upload(book: Path, result: ClientResult) -> None:
    if result.upload:
        book.with_name(result.upload).unlink(missing_ok=True)
        result.upload = ""


def _reserve(upload: Path) -> Path:
    """Claim the upload's name: two books of one GSTIN (two downloads of the same client) generated
    in the same second by two workers must not write one file. The second gets "-2"."""
    candidate, serial = upload, 1
    while True:
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return candidate
        except FileExistsError:
            serial += 1
            candidate = upload.with_name(f"{upload.stem}-{serial}{upload.suffix}")


def _show_book_as_it_is(book: Path, result: ClientResult, state: BookState | None = None) -> None:
    """Figures of a book the run may not change, as it was last saved (its last validation's counts)."""
    if not book.exists():
        return
    if state is None:
        try:
            state = FilePort(book, read_only=True).load()
        except InputError:
            return
    result.workbook = book.name
    _name_client(result, book, state)
    result.figures = book_figures(state.all_entries(), errors=state.home.errors or 0,
                                  warnings=state.home.warnings or 0)
    result.last_upload = last_upload(state.log)


def _name_client(result: ClientResult, book: Path, state: BookState) -> None:
    result.client = book.stem
    result.period = state.home.period or ""


# --- the whole folder -------------------------------------------------------------------------------


def find_jobs(directory: Path, generate: bool) -> tuple[list[ClientJob], list[ClientResult]]:
    """The downloads in DIR (not its subfolders) as jobs, and results for those that cannot run:
    two downloads that would share one book are both refused rather than one guessed."""
    names = sorted((entry.name for entry in os.scandir(directory) if entry.is_file()), key=str.lower)
    by_book: dict[str, list[str]] = {}
    for name in names:
        if is_download_candidate(name):
            by_book.setdefault(book_name_for(name).lower(), []).append(name)
    jobs: list[ClientJob] = []
    refused: list[ClientResult] = []
    for shared in by_book.values():
        if len(shared) == 1:
            download = directory / shared[0]
            jobs.append(ClientJob(download, directory / book_name_for(shared[0]), generate))
            continue
        for name in shared:
            others = ", ".join(other for other in shared if other != name)
            refused.append(ClientResult(download=name, problem=(
                f"{others} would use the same workbook {book_name_for(name)}; keep one of them, or rename")))
    return jobs, refused


def run_practice(directory: Path, *, generate: bool, jobs: int | None, say: Say, progress: Say,
                 warn: Say) -> int:
    """The ``practice`` command. ``say``: stdout; ``progress``: stderr unless quiet; ``warn``: stderr."""
    if directory.is_file():
        raise InputError(f"{directory}: is a file, not a folder; 'practice' takes the folder holding every "
                         f"client's download (ims-xl practice {directory.parent}), or use 'ims-xl open' for one "
                         "file", code="not-a-folder", file=directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: no such folder", code="no-such-folder", file=directory)
    work, results = find_jobs(directory, generate)
    if not work and not results:
        raise InputError(f"{directory}: no IMS downloads (.json or .zip) in this folder",
                         code="no-downloads", file=directory)
    for refused in results:
        warn(f"ims-xl: {refused.download}: {refused.problem}")
    workers = max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))
    progress(f"{len(work):,} .json/.zip files in {directory}, {workers} worker{'s' if workers > 1 else ''}")
    if work:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures: dict[Future[ClientResult], ClientJob] = {pool.submit(run_client, job): job for job in work}
            for done, future in enumerate(as_completed(futures), start=1):
                result = _result_of(future, futures[future])
                results.append(result)
                _report_client(result, f"[{done}/{len(work)}]", progress, warn)

    dashboard = directory / DASHBOARD_NAME
    written = _write_dashboard_safely(dashboard, results, warn)
    _summarise(results, dashboard if written else None, generate, say)
    return max(exit_code(results), 0 if written else 2)


def _result_of(future: Future[ClientResult], job: ClientJob) -> ClientResult:
    try:
        return future.result()
    except Exception as error:  # the worker died (out of memory, killed): the others go on
        return ClientResult(download=job.download.name,
                            problem=f"The worker process stopped ({type(error).__name__}: {error})")


def _report_client(result: ClientResult, counter: str, progress: Say, warn: Say) -> None:
    if result.skipped:
        progress(f"{counter} {result.download}: skipped, {result.skipped}")
        return
    if result.problem:
        warn(f"ims-xl: {result.download}: {result.problem}")
        return
    figures = result.figures
    assert figures is not None
    line = (f"{counter} {result.download}: {result.taken}, {_count(figures.records, 'record')}, "
            f"{_count(figures.errors, 'error')}, {_count(figures.warnings, 'warning')}")
    if result.upload:
        line += f", upload {result.upload}"
    elif result.not_generated:
        line += f", not generated ({result.not_generated})"
    progress(line)


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}{'' if number == 1 else 's'}"


def _write_dashboard_safely(path: Path, results: list[ClientResult], warn: Say) -> bool:
    lock = _lock_file(path)
    if lock is not None:
        warn(f"ims-xl: {path.name} is open ({lock.name} beside it): close it and run again to see the dashboard")
        return False
    try:
        write_dashboard(path, results)
    except OSError as error:
        warn(f"ims-xl: {path}: cannot be written ({error.strerror or error})")
        return False
    return True


def _summarise(results: list[ClientResult], dashboard: Path | None, generate: bool, say: Say) -> None:
    rows = [result for result in results if not result.skipped]
    taken = {kind: sum(result.taken == kind for result in rows) for kind in ("opened", "refreshed", "unchanged")}
    say(f"{_count(len(rows), 'download')}: {taken['opened']:,} opened, {taken['refreshed']:,} refreshed, "
        f"{taken['unchanged']:,} unchanged since the last run")
    with_errors = [result for result in rows if result.has_errors and not result.problem]
    if with_errors:
        say(f"Books with validation errors ({len(with_errors):,}"
            f"{', not generated' if generate else ''}):")
        for result in sorted(with_errors, key=lambda r: r.workbook.lower()):
            assert result.figures is not None
            say(f"  {result.workbook}: {_count(result.figures.errors, 'error')}")
    if generate:
        uploads = [result for result in rows if result.upload]
        say(f"Uploads written ({len(uploads):,}):" if uploads else "No upload files written.")
        for result in sorted(uploads, key=lambda r: r.upload.lower()):
            say(f"  {result.upload}")
    problems = [result for result in rows if result.problem]
    if problems:
        say(f"Could not process ({len(problems):,}):")
        for result in sorted(problems, key=lambda r: r.download.lower()):
            say(f"  {result.download}: {result.problem}")
    if dashboard is not None:
        say(f"Dashboard: {dashboard}")


# --- the dashboard -------------------------------------------------------------------------------------

_LINK_COLUMN = DASHBOARD_HEADERS.index("Workbook")
_UPLOAD_COLUMN = DASHBOARD_HEADERS.index("Last Upload")
_PROBLEM_COLUMN = DASHBOARD_HEADERS.index("Problem")


def write_dashboard(path: Path, results: list[ClientResult]) -> None:
    """DIR/Practice.xlsx, written atomically: one row per download, largest tax at No Action first;
    rows whose file could not be processed or whose book has errors highlighted."""
    rows = dashboard_order(results)
    with replacing(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"strings_to_formulas": False, "strings_to_urls": False,
                                                   "strings_to_numbers": False})
        book.set_properties({"title": "IMS practice dashboard", "author": "ims-xl"})
        styles = TableStyles(book)
        sheet = write_table(book, DASHBOARD_TABLE, [dashboard_cells(result) for result in rows], styles,
                            total_row=dashboard_total_cells(rows))
        link = book.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"})
        text = styles.cell(DASHBOARD_TABLE.columns[_LINK_COLUMN])
        attention = book.add_format({"bg_color": "#FCE4D6"})
        for r, result in enumerate(rows, start=1):
            if result.workbook:
                _write_link(sheet, r, result.workbook, link, text)
            if needs_attention(result):
                sheet.conditional_format(r, 0, r, DASHBOARD_TABLE.width - 1,
                                         {"type": "no_errors", "format": attention})
        book.close()


def _write_link(sheet: Worksheet, r: int, name: str, link: Format, text: Format) -> None:
    """A link relative to the dashboard, so the folder can move or be shared; names with "#" (read
    as a place inside the file) are written as plain text."""
    if "#" in name:
        sheet.write_string(r, _LINK_COLUMN, name, text)
    else:
        sheet.write_url(r, _LINK_COLUMN, f"external:{name}", link, string=name, tip=f"Open {name}")
