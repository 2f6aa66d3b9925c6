"""Entry points of the workbook's buttons (``workbook/ims_buttons.bas`` calls these by RunPython).

Each one finds the calling workbook, runs its action over ``XlwingsPort`` and shows the outcome
in a message box. A user's mistake is one sentence in a message box; an unexpected error too,
with the traceback written to a log file for whoever supports the firm.
"""

from __future__ import annotations

import tempfile
import traceback
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from . import actions
from .core import layout
from .core.gcpause import collector_paused
from .core.problems import InputError
from .core.records import PortalFile
from .core.refresh import FORCE_HINT
from .excel.xlwings_port import XlwingsPort
from .files.portal import file_saved, file_sha256, read_portal_file
from .files.targets import explain_os_error

LOG_FILE = Path(tempfile.gettempdir()) / "ims-xl-error.log"


def _caller_port() -> XlwingsPort:
    import xlwings as xw  # only here: the rest of ims_xl runs without Excel

    return XlwingsPort(xw.Book.caller())


def run_button(body: Callable[[XlwingsPort], actions.Outcome | None], port: XlwingsPort | None = None) -> None:
    """Run one button's work and tell the user how it went."""
    port = port or _caller_port()
    try:
        with collector_paused():
            outcome = body(port)
    except InputError as error:
        port.book.app.status_bar = False
        port.alert(str(error), title="ims-xl: cannot do that", critical=True)
        return
    except Exception as error:
        port.book.app.status_bar = False
        notes = "".join(f"; {note}" for note in getattr(error, "__notes__", ()))  # "no upload file was written"
        explained = explain_os_error(error)  # a full disk, a read-only drive: the user can act on these
        if explained:
            port.alert(explained + notes, title="ims-xl: cannot do that", critical=True)
            return
        LOG_FILE.write_text(f"{datetime.now():%Y-%m-%d %H:%M:%S}\n{traceback.format_exc()}", encoding="utf-8")
        port.alert(f"Unexpected error: {type(error).__name__}: {error}{notes}\n\nDetails were written to {LOG_FILE}",
                   title="ims-xl: unexpected error", critical=True)
        return
    if outcome is not None:
        port.alert(outcome.message, title="ims-xl" if outcome.ok else "ims-xl: please fix",
                   critical=not outcome.ok)


def _book_folder(port: XlwingsPort) -> Path:
    full = Path(str(getattr(port.book, "fullname", "") or ""))
    return full.parent if full.parent.exists() and str(full.parent) not in ("", ".") else Path.home()


def open_json(port: XlwingsPort | None = None, path: str | None = None) -> None:
    def body(port: XlwingsPort) -> actions.Outcome | None:
        chosen = path or port.pick_file(layout.OPEN_JSON, "IMS download", ["*.json", "*.zip"])
        if not chosen:
            return None
        download = read_portal_file(chosen)
        current = port.load()
        if current.all_entries() and not port.confirm(
            f"This workbook already holds {len(current.all_entries()):,} records. Replace them with the "
            "download? (To keep your work, use 'Refresh from Newer Download' instead.)"):
            return None
        return _with_warnings(actions.open_download(port, download, Path(chosen).name), download)

    run_button(body, port)


def validate_sheet(port: XlwingsPort | None = None) -> None:
    run_button(actions.validate_book, port)


def generate_json(port: XlwingsPort | None = None) -> None:
    def body(port: XlwingsPort) -> actions.Outcome:
        folder = _book_folder(port)
        return actions.generate_upload(
            port, lambda state, moment: folder / actions.default_upload_name(state, moment))

    run_button(body, port)


def open_error_json(port: XlwingsPort | None = None, path: str | None = None) -> None:
    def action(port: XlwingsPort, error_file: PortalFile, chosen: str, force: bool) -> actions.Outcome:
        return actions.open_error_file(port, error_file, Path(chosen).name, sha256=file_sha256(chosen),
                                       saved=file_saved(chosen), force=force)

    _portal_file_button("Open Downloaded Error JSON File", "IMS error file", action, port, path)


def suggest_actions(port: XlwingsPort | None = None, path: str | None = None, apply: bool | None = None) -> None:
    def body(port: XlwingsPort) -> actions.Outcome | None:
        from .files.register import read_register_file

        chosen = path or port.pick_file("Choose the purchase register", "Purchase register", ["*.xlsx", "*.csv"])
        if not chosen:
            return None
        register = read_register_file(chosen)
        should_apply = apply if apply is not None else port.confirm(
            "Also set Status from the suggestions, on rows whose Status you have not changed?")
        outcome = actions.reconcile_book(port, register.entries, Path(chosen).name, tolerance=Decimal("1.00"),
                                         apply=should_apply, problems=register.problems)
        outcome.message = "\n".join([outcome.message, *register.notes(), *outcome.details[:11]])
        return outcome

    run_button(body, port)


def supplier_follow_up(port: XlwingsPort | None = None) -> None:
    """Write <book>_suppliers.xlsx and .csv beside the workbook and say where."""
    def body(port: XlwingsPort) -> actions.Outcome:
        from .commands.suppliers import write_follow_up

        full = str(getattr(port.book, "fullname", "") or "")
        name = Path(str(getattr(port.book, "name", "") or "IMS")).stem
        target = _book_folder(port) / f"{name}_suppliers.xlsx"
        return write_follow_up(port.load(), target, book=Path(full) if full else None)

    run_button(body, port)


def refresh_download(port: XlwingsPort | None = None, path: str | None = None) -> None:
    def action(port: XlwingsPort, download: PortalFile, chosen: str, force: bool) -> actions.Outcome:
        return actions.refresh_book(port, download, Path(chosen).name, sha256=file_sha256(chosen), force=force)

    _portal_file_button("Refresh from Newer Download", "IMS download", action, port, path)


_DOUBTS = ("download-doubtful", "error-file-doubtful")


def _portal_file_button(title: str, description: str,
                        action: Callable[[XlwingsPort, PortalFile, str, bool], actions.Outcome],
                        port: XlwingsPort | None, path: str | None) -> None:
    """A button that asks for a portal file and hands it to an action; a file that looks like the
    wrong one is taken only when the user says so (the command line's --force)."""
    def body(port: XlwingsPort) -> actions.Outcome | None:
        chosen = path or port.pick_file(title, description, ["*.json", "*.zip"])
        if not chosen:
            return None
        portal_file = read_portal_file(chosen)
        try:
            outcome = action(port, portal_file, chosen, False)
        except InputError as error:
            if error.code not in _DOUBTS:
                raise
            question = str(error).replace(FORCE_HINT, "nothing was changed yet") + ". Take it anyway?"
            if not port.confirm(question):
                return None
            outcome = action(port, portal_file, chosen, True)
        return _with_warnings(outcome, portal_file)

    run_button(body, port)


def _with_warnings(outcome: actions.Outcome, portal_file: PortalFile) -> actions.Outcome:
    """The portal file's warnings (what was not read) go into the message box too."""
    if portal_file.warnings:
        outcome.message = "\n\n".join([outcome.message, *portal_file.warnings])
    return outcome
