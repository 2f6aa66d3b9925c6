"""The ``ims-xl`` command line: the workbook's buttons for Linux, a Mac without Excel, and batches.

Exit codes: 0 done; 1 the workbook has validation errors (validate, generate); 2 bad input or
usage (one line on stderr says what and where; nothing is written).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from . import __version__, actions
from .bookfile import FilePort
from .core.book import BookState
from .core.problems import InputError
from .portal import read_portal_file

EXIT_OK, EXIT_ERRORS, EXIT_BAD_INPUT = 0, 1, 2
_SHOWN_DETAILS = 50  # findings printed before "... and N more"


class _Console:
    def __init__(self, out: TextIO, err: TextIO, quiet: bool) -> None:
        self.out, self.err, self.quiet = out, err, quiet
        self.started = time.perf_counter()

    def say(self, line: str) -> None:
        print(line, file=self.out)

    def progress(self, line: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.started:6.1f}s] {line}", file=self.err, flush=True)

    def details(self, lines: Sequence[str]) -> None:
        for line in lines[:_SHOWN_DETAILS]:
            print(f"  {line}", file=self.out)
        if len(lines) > _SHOWN_DETAILS:
            print(f"  ... and {len(lines) - _SHOWN_DETAILS:,} more (see 'Sheet Validation Errors' in the workbook)",
                  file=self.out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ims-xl",
        description="GST IMS offline workbook: open the portal download, validate, generate the upload.")
    parser.add_argument("--version", action="version", version=f"ims-xl {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("open", help="portal download (.json/.zip) -> a new workbook")
    p.add_argument("download", type=Path, metavar="DOWNLOAD")
    p.add_argument("-o", "--output", type=Path, metavar="BOOK",
                   help="workbook to write: .xlsm (with buttons) or .xlsx; default: beside the download")
    p.add_argument("--gstin", help="recipient GSTIN, when the download does not carry it")
    p.add_argument("--force", action="store_true", help="replace an existing workbook (a backup is kept)")

    p = commands.add_parser("validate", help="clear filters, check every row, mark problems")
    p.add_argument("book", type=Path, metavar="BOOK")

    p = commands.add_parser("generate", help="validate, then write the upload JSON")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("-o", "--output", type=Path, metavar="UPLOAD",
                   help="upload file; default: beside the book, named with the GSTIN and a timestamp")

    p = commands.add_parser("errors", help="put a portal error file's messages on the rows")
    p.add_argument("error_file", type=Path, metavar="ERRORFILE")
    p.add_argument("book", type=Path, metavar="BOOK")

    p = commands.add_parser("reconcile", help="match with the purchase register and suggest actions")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("register", type=Path, metavar="REGISTER")
    p.add_argument("--apply", action="store_true",
                   help="set Status from the suggestion where Status is still as downloaded")
    p.add_argument("--tolerance", default="1.00", metavar="RUPEES",
                   help="largest difference per tax head that still matches (default 1.00)")

    p = commands.add_parser("refresh", help="take a newer download without losing your work")
    p.add_argument("book", type=Path, metavar="BOOK")
    p.add_argument("download", type=Path, metavar="DOWNLOAD")

    p = commands.add_parser("workbook", help="write an empty macro workbook whose buttons use this Python")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="PATH")
    p.add_argument("--shipped", action="store_true",
                   help="name no interpreter path (xlwings' defaults apply): the copy under templates/")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = commands.add_parser("lite", help="write the macro-free workbook for xlwings Lite (no Python on the PC)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="PATH.xlsx")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = commands.add_parser("demo", help="the whole flow on the bundled sample download")
    p.add_argument("directory", type=Path, nargs="?", default=Path("ims-xl-demo"), metavar="DIR")
    return parser


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
        return _COMMANDS[args.command](args, console)
    except InputError as error:
        print(f"ims-xl: error: {error}", file=err)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ims-xl: interrupted; nothing was half-written", file=err)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"ims-xl: unexpected error: {type(error).__name__}: {error} (run with --debug for details)",
              file=err)
        return 3


def _book(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"{path}: no such workbook")
    if path.suffix.lower() not in (".xlsm", ".xlsx"):
        raise InputError(f"{path}: expected an .xlsm or .xlsx workbook")
    return path


def _cmd_open(args: argparse.Namespace, console: _Console) -> int:
    download_path: Path = args.download
    target: Path = args.output or download_path.with_suffix(".xlsm")
    if target.suffix.lower() not in (".xlsm", ".xlsx"):
        raise InputError(f"{target}: the workbook must end in .xlsm (with buttons) or .xlsx")
    if target.exists() and not args.force:
        raise InputError(f"{target}: already exists; use --force to replace it (a backup is kept), "
                         "or 'ims-xl refresh' to take a newer download without losing your work")
    console.progress(f"Reading {download_path.name}")
    download = read_portal_file(download_path)
    port = FilePort(target, new=True, progress=console.progress)
    outcome = actions.open_download(port, download, download_path.name, gstin=args.gstin)
    console.say(f"{outcome.message}\nWorkbook: {target}")
    if port.backup:
        console.say(f"Previous workbook kept as {port.backup.name}")
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


def _cmd_errors(args: argparse.Namespace, console: _Console) -> int:
    port = FilePort(_book(args.book), progress=console.progress)
    error_file = read_portal_file(args.error_file)
    outcome = actions.open_error_file(port, error_file, args.error_file.name)
    console.say(outcome.message)
    console.details(outcome.details)
    return EXIT_OK


def _cmd_reconcile(args: argparse.Namespace, console: _Console) -> int:
    from .register import read_register

    try:
        tolerance = Decimal(args.tolerance)
    except InvalidOperation:
        raise InputError(f"--tolerance: {args.tolerance!r} is not an amount") from None
    if tolerance < 0:
        raise InputError("--tolerance: cannot be negative")
    port = FilePort(_book(args.book), progress=console.progress)
    console.progress(f"Reading {args.register.name}")
    register = read_register(args.register)
    outcome = actions.reconcile_book(port, register, args.register.name, tolerance=tolerance, apply=args.apply)
    console.say(outcome.message)
    return EXIT_OK


def _cmd_refresh(args: argparse.Namespace, console: _Console) -> int:
    port = FilePort(_book(args.book), progress=console.progress)
    console.progress(f"Reading {args.download.name}")
    download = read_portal_file(args.download)
    outcome = actions.refresh_book(port, download, args.download.name)
    console.say(outcome.message)
    if port.backup:
        console.say(f"Previous workbook kept as {port.backup.name}")
    return EXIT_OK


def _cmd_workbook(args: argparse.Namespace, console: _Console) -> int:
    from .template import build_template, this_interpreter_conf

    target: Path = args.output
    if target.suffix.lower() != ".xlsm":
        raise InputError(f"{target}: the workbook with buttons must end in .xlsm")
    if target.exists() and not args.force:
        raise InputError(f"{target}: already exists; use --force to replace it")
    conf = {} if args.shipped else this_interpreter_conf()
    if not target.parent.exists():
        raise InputError(f"{target.parent}: no such folder")
    temporary = target.with_name(f".{target.name}.part")
    try:
        build_template(temporary, conf=conf)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    where = "xlwings' default Python" if args.shipped else sys.executable
    console.say(f"Wrote {target}; its buttons run {where}")
    return EXIT_OK


def _cmd_lite(args: argparse.Namespace, console: _Console) -> int:
    from .lite.build import write_for_cli

    console.say(write_for_cli(args.output, force=args.force))
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, console: _Console) -> int:
    from .demo import run_demo

    return run_demo(args.directory, console.say, console.progress)


_COMMANDS = {
    "open": _cmd_open,
    "validate": _cmd_validate,
    "generate": _cmd_generate,
    "errors": _cmd_errors,
    "reconcile": _cmd_reconcile,
    "refresh": _cmd_refresh,
    "workbook": _cmd_workbook,
    "lite": _cmd_lite,
    "demo": _cmd_demo,
}


if __name__ == "__main__":
    raise SystemExit(main())
