"""The ``ims-xl`` command line: the workbook's buttons for Linux, a Mac without Excel, and batches.

Exit codes: 0 done; 1 the workbook has validation errors (validate, generate); 2 bad input or
usage (one line on stderr says what and where; nothing is written).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from . import __version__, actions
from .core.book import BookState
from .core.gcpause import collector_paused
from .core.problems import InputError
from .excel.template import this_pythons_macros
from .files.fileport import FilePort
from .files.guard import guarding
from .files.package import is_ims_xl_workbook
from .files.portal import file_saved, file_sha256, read_portal_file
from .files.targets import explain_os_error

EXIT_OK, EXIT_ERRORS, EXIT_BAD_INPUT = 0, 1, 2
_SHOWN_DETAILS = 50  # findings printed before "... and N more"


_PROGRESS_AFTER = 1.0  # seconds: work done sooner needs no progress lines


class _Console:
    def __init__(self, out: TextIO, err: TextIO, quiet: bool) -> None:
        self.out, self.err, self.quiet = out, err, quiet
        self.started = time.perf_counter()
        self._held: str | None = None  # the latest line, shown if the command is still running after a second

    def say(self, line: str) -> None:
        print(line, file=self.out)

    def progress(self, line: str) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        if elapsed < _PROGRESS_AFTER:
            self._held = f"[{elapsed:6.1f}s] {line}"
            return
        if self._held is not None:  # what it was doing when the second passed
            print(self._held, file=self.err)
            self._held = None
        print(f"[{elapsed:6.1f}s] {line}", file=self.err, flush=True)

    def warn(self, lines: Sequence[str]) -> None:
        for line in lines:  # shown even with -q: the user must know what was not read
            print(f"ims-xl: warning: {line}", file=self.err)

    def details(self, lines: Sequence[str], more: str = "see 'Sheet Validation Errors' in the workbook") -> None:
        for line in lines[:_SHOWN_DETAILS]:
            print(f"  {line}", file=self.out)
        if len(lines) > _SHOWN_DETAILS:
            print(f"  ... and {len(lines) - _SHOWN_DETAILS:,} more ({more})", file=self.out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ims-xl",
        description="GST IMS offline workbook: open the portal download, validate, generate the upload.")
    parser.add_argument("--version", action="version", version=f"ims-xl {__version__}")
    _add_global_options(parser, default=False)
    # The same options after the command ("ims-xl validate BOOK -q"). Their default there is SUPPRESS:
    # a subcommand's defaults would otherwise overwrite a value given before the command.
    after_command = argparse.ArgumentParser(add_help=False)
    _add_global_options(after_command, default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, **options: Any) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[after_command], **options)

    p = command("open", help="portal download (.json/.zip) -> a new workbook")
    p.add_argument("download", type=Path, metavar="DOWNLOAD")
    p.add_argument("-o", "--output", type=Path, metavar="BOOK",
                   help="workbook to write: .xlsm (with buttons) or .xlsx; default: beside the download")
    p.add_argument("--gstin", help="recipient GSTIN, when the download does not carry it")
    p.add_argument("--force", action="store_true", help="replace an existing workbook (a backup is kept)")

    p = command("validate", help="clear filters, check every row, mark problems")
    p.add_argument("book", type=Path, metavar="BOOK")

    p = command("generate", help="validate, then write the upload JSON")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("-o", "--output", type=Path, metavar="UPLOAD",
                   help="upload file; default: beside the book, named with the GSTIN and a timestamp")

    p = command("summary", help="records by status, findings, ITC after your actions; writes nothing")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("--json", action="store_true",
                   help="one JSON object for scripts (see 'ITC after your actions' in USER_GUIDE.txt)")

    p = command("errors", help="put a portal error file's messages on the rows")
    p.add_argument("error_file", type=Path, metavar="ERRORFILE")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("--force", action="store_true",
                   help="take an error file of another return period, or older than the last upload")

    p = command("reconcile", help="match with the purchase register and suggest actions")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("register", type=Path, metavar="REGISTER")
    p.add_argument("--apply", action="store_true",
                   help="set Status from the suggestion where Status is still as downloaded")
    p.add_argument("--tolerance", default="1.00", metavar="RUPEES",
                   help="largest difference per tax head that still matches (default 1.00)")

    p = command("suppliers", help="the supplier follow-up pack: what to ask each supplier to fix")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("-o", "--output", type=Path, metavar="OUT.xlsx",
                   help="workbook to write (a .csv for mail merge goes beside it); "
                        "default: beside the book, <book>_suppliers.xlsx")
    p.add_argument("--firm", metavar="NAME", help="who signs the letters (your firm's name); default: the client")

    p = command("refresh", help="take a newer download without losing your work")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("download", type=Path, metavar="DOWNLOAD")
    p.add_argument("--force", action="store_true",
                   help="take a download that is older, of another return period, or holds fewer than half "
                        "of the book's records")

    p = command("practice", help="every client's download in a folder: open or refresh, validate, "
                                             "a dashboard (Practice.xlsx)")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--generate", action="store_true", help="write the upload for books with changes and no errors")
    p.add_argument("-j", "--jobs", type=int, metavar="N", help="worker processes (default: the number of cores)")

    p = command("workbook", help="write an empty macro workbook whose buttons use this Python")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="PATH")
    p.add_argument("--shipped", action="store_true",
                   help="name no interpreter path (xlwings' defaults apply): the copy under templates/")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = command("doctor", help="check this PC and a book: why the buttons do nothing, and the fix")
    p.add_argument("book", type=Path, nargs="?", metavar="BOOK")

    p = command("repoint", help="point an existing book's buttons at this Python, keeping its data")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("--vba", action="store_true", help="also replace its VBA with this Python's xlwings version")

    p = command("lite", help="write the macro-free workbook for xlwings Lite (no Python on the PC)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="PATH.xlsx")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = command("demo", help="the whole flow on the bundled sample download")
    p.add_argument("directory", type=Path, nargs="?", default=Path("ims-xl-demo"), metavar="DIR")
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", default=default, help="no progress lines on stderr")
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show Python tracebacks for unexpected errors")


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    console = _Console(out, err, args.quiet)
    try:
        _refuse_swapped_arguments(args)
        with _guard(args), collector_paused():
            return _COMMANDS[args.command](args, console)
    except InputError as error:
        print(f"ims-xl: error: {error} [{error.code}]", file=err)  # the code for scripts and support
        return EXIT_BAD_INPUT
    except MemoryError:  # the readers check first (files.memory); this is what slips past them
        print("ims-xl: error: not enough memory to finish this command; nothing was half-written (close other "
              "programs, or use a PC with more memory) [not-enough-memory]", file=err)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ims-xl: interrupted; nothing was half-written", file=err)
        return 130
    except Exception as error:
        if args.debug:
            raise
        notes = "".join(f"; {note}" for note in getattr(error, "__notes__", ()))  # "no upload file was written"
        explained = explain_os_error(error)  # a full disk, a read-only drive: the user can act on these
        if explained:
            print(f"ims-xl: error: {explained}{notes}", file=err)
            return EXIT_BAD_INPUT
        print(f"ims-xl: unexpected error: {type(error).__name__}: {error}{notes} (run with --debug for details)",
              file=err)
        return 3


# Commands that only read the book: they work while it is open in Excel (doctor reports the lock).
_READ_ONLY_COMMANDS = frozenset({"doctor", "summary", "suppliers"})


def _guard(args: argparse.Namespace) -> AbstractContextManager[None]:
    """The checks and the lock for the workbook a command writes (see ims_xl.files)."""
    if args.command in _READ_ONLY_COMMANDS:
        return nullcontext()
    if args.command == "open":
        return guarding(args.output or args.download.with_suffix(".xlsm"))
    if args.command == "workbook":
        return guarding(args.output)
    book: Path | None = getattr(args, "book", None)
    if book is None or not book.is_file():
        return nullcontext()  # the command says what is wrong with a missing book
    return guarding(book, upload=args.output if args.command == "generate" else None)


_BOOK_SUFFIXES = (".xlsm", ".xlsx")
_PORTAL_SUFFIXES = (".json", ".zip")


def _refuse_swapped_arguments(args: argparse.Namespace) -> None:
    """``reconcile REGISTER BOOK`` or ``errors BOOK ERRORFILE``: say the order, before anything is touched."""
    if args.command == "errors":
        first, second = args.error_file, args.book
        swapped = first.suffix.lower() in _BOOK_SUFFIXES and second.suffix.lower() in _PORTAL_SUFFIXES
        usage = "ims-xl errors ERRORFILE BOOK (the portal's error file first, then the workbook)"
    elif args.command == "reconcile":
        first, second = args.book, args.register
        swapped = (first.suffix.lower() not in _BOOK_SUFFIXES and second.suffix.lower() in _BOOK_SUFFIXES) or (
            first.suffix.lower() in _BOOK_SUFFIXES and second.suffix.lower() in _BOOK_SUFFIXES
            and not is_ims_xl_workbook(first) and is_ims_xl_workbook(second))
        usage = "ims-xl reconcile BOOK REGISTER (the workbook first, then the purchase register)"
    else:
        return
    if swapped:
        raise InputError(f"{first.name} and {second.name} are the wrong way round: {usage}",
                         code="arguments-swapped", file=first)


def _book(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"{path}: no such workbook", code="no-such-workbook", file=path)
    if path.suffix.lower() not in (".xlsm", ".xlsx"):
        raise InputError(f"{path}: expected an .xlsm or .xlsx workbook", code="wrong-file-type", file=path)
    return path


def _cmd_open(args: argparse.Namespace, console: _Console) -> int:
    download_path: Path = args.download
    target: Path = args.output or download_path.with_suffix(".xlsm")
    if target.suffix.lower() not in (".xlsm", ".xlsx"):
        raise InputError(f"{target}: the workbook must end in .xlsm (with buttons) or .xlsx",
                         code="wrong-file-type", file=target)
    if target.exists() and not args.force:
        raise InputError(f"{target}: already exists; use --force to replace it (a backup is kept), "
                         "or 'ims-xl refresh' to take a newer download without losing your work",
                         code="already-exists", file=target)
    console.progress(f"Reading {download_path.name}")
    download = read_portal_file(download_path)
    console.warn(download.warnings)
    port = FilePort(target, new=True, macros=this_pythons_macros, progress=console.progress)
    outcome = actions.open_download(port, download, download_path.name, gstin=args.gstin,
                                    sha256=file_sha256(download_path))
    console.say(f"{outcome.message}\nWorkbook: {target}")
    if port.backup:
        console.say(f"Previous workbook kept as {port.backup.parent.name}/{port.backup.name}")
    console.details(outcome.details)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, console: _Console) -> int:
    port = FilePort(_book(args.book), progress=console.progress)
    outcome = actions.validate_book(port)
    console.say(outcome.message)
    console.details(outcome.details)
    return EXIT_OK if outcome.ok else EXIT_ERRORS


def _cmd_generate(args: argparse.Namespace, console: _Console) -> int:
    book = _book(args.book)
    port = FilePort(book, progress=console.progress)

    def target(state: BookState, moment: datetime) -> Path:
        if args.output:
            return Path(args.output)
        return book.with_name(actions.default_upload_name(state, moment))

    outcome = actions.generate_upload(port, target)
    console.say(outcome.message)
    console.details(outcome.details)
    return EXIT_OK if outcome.ok else EXIT_ERRORS


def _cmd_summary(args: argparse.Namespace, console: _Console) -> int:
    from .commands.summary import render_json, summarize_book, summary_text

    summary = summarize_book(_book(args.book), console.progress)
    console.say(render_json(summary) if args.json else "\n".join(summary_text(summary)))
    return EXIT_OK


def _cmd_errors(args: argparse.Namespace, console: _Console) -> int:
    port = FilePort(_book(args.book), progress=console.progress)
    error_file = read_portal_file(args.error_file)
    console.warn(error_file.warnings)
    outcome = actions.open_error_file(port, error_file, args.error_file.name, sha256=file_sha256(args.error_file),
                                      saved=file_saved(args.error_file), force=args.force)
    console.say(outcome.message)
    console.details(outcome.details)
    return EXIT_OK


def _cmd_reconcile(args: argparse.Namespace, console: _Console) -> int:
    from .files.register import read_register_file

    try:
        tolerance = Decimal(args.tolerance)
    except InvalidOperation:
        raise InputError(f"--tolerance: {args.tolerance!r} is not an amount",
                         code="bad-option", field="--tolerance") from None
    if tolerance < 0:
        raise InputError("--tolerance: cannot be negative", code="bad-option", field="--tolerance")
    port = FilePort(_book(args.book), progress=console.progress)
    console.progress(f"Reading {args.register.name}")
    register = read_register_file(args.register)
    outcome = actions.reconcile_book(port, register.entries, args.register.name, tolerance=tolerance,
                                     apply=args.apply, problems=register.problems)
    console.say(outcome.message)
    console.details(register.notes())
    console.details(outcome.details, more="see the Not in IMS sheet")
    return EXIT_OK


def _cmd_suppliers(args: argparse.Namespace, console: _Console) -> int:
    from .commands.suppliers import default_target, write_follow_up

    book = _book(args.book)
    state = FilePort(book, progress=console.progress, read_only=True).load()
    outcome = write_follow_up(state, args.output or default_target(book), book=book, firm=args.firm)
    console.say(outcome.message)
    return EXIT_OK


def _cmd_refresh(args: argparse.Namespace, console: _Console) -> int:
    port = FilePort(_book(args.book), progress=console.progress)
    console.progress(f"Reading {args.download.name}")
    download = read_portal_file(args.download)
    console.warn(download.warnings)
    outcome = actions.refresh_book(port, download, args.download.name, sha256=file_sha256(args.download),
                                   force=args.force)
    console.say(outcome.message)
    if port.backup:
        console.say(f"Previous workbook kept as {port.backup.parent.name}/{port.backup.name}")
    return EXIT_OK


def _cmd_practice(args: argparse.Namespace, console: _Console) -> int:
    from .commands.practice import run_practice

    if args.jobs is not None and args.jobs < 1:
        raise InputError("-j: at least one worker", code="bad-option", field="-j")
    return run_practice(args.directory, generate=args.generate, jobs=args.jobs, say=console.say,
                        progress=console.progress, warn=lambda line: print(line, file=console.err, flush=True))


def _cmd_workbook(args: argparse.Namespace, console: _Console) -> int:
    from .excel.template import build_template, this_interpreter_conf

    target: Path = args.output
    if target.suffix.lower() != ".xlsm":
        raise InputError(f"{target}: the workbook with buttons must end in .xlsm", code="wrong-file-type", file=target)
    if target.exists() and not args.force:
        raise InputError(f"{target}: already exists; use --force to replace it", code="already-exists", file=target)
    conf = {} if args.shipped else this_interpreter_conf()
    if not target.parent.exists():
        raise InputError(f"{target.parent}: no such folder", code="no-such-folder", file=target.parent)
    temporary = target.with_name(f".{target.name}.part")
    try:
        build_template(temporary, conf=conf)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    where = "xlwings' default Python" if args.shipped else sys.executable
    console.say(f"Wrote {target}; its buttons run {where}")
    return EXIT_OK


def _cmd_doctor(args: argparse.Namespace, console: _Console) -> int:
    from .commands.doctor import Machine, diagnose, has_problems, render

    findings = diagnose(args.book, Machine.this())
    for line in render(findings):
        console.say(line)
    return EXIT_ERRORS if has_problems(findings) else EXIT_OK


def _cmd_repoint(args: argparse.Namespace, console: _Console) -> int:
    from .commands.repoint import repoint
    from .excel.template import macro_setup, this_interpreter_conf

    conf = this_interpreter_conf()
    repoint(args.book, conf, vba=macro_setup().vba_project if args.vba else None)
    console.say(f"{args.book}: its buttons now run {conf['INTERPRETER_WIN']}"
                + (" with this Python's xlwings VBA" if args.vba else ""))
    return EXIT_OK


def _cmd_lite(args: argparse.Namespace, console: _Console) -> int:
    from .lite.build import write_for_cli

    console.say(write_for_cli(args.output, force=args.force))
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, console: _Console) -> int:
    from .commands.demo import run_demo

    return run_demo(args.directory, console.say, console.progress)


_COMMANDS = {
    "open": _cmd_open,
    "validate": _cmd_validate,
    "generate": _cmd_generate,
    "summary": _cmd_summary,
    "errors": _cmd_errors,
    "reconcile": _cmd_reconcile,
    "suppliers": _cmd_suppliers,
    "refresh": _cmd_refresh,
    "practice": _cmd_practice,
    "workbook": _cmd_workbook,
    "lite": _cmd_lite,
    "demo": _cmd_demo,
    "doctor": _cmd_doctor,
    "repoint": _cmd_repoint,
}


if __name__ == "__main__":
    raise SystemExit(main())
