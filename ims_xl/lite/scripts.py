"""What the Lite workbook's buttons do; ``main.py`` in the workbook binds each to its shape.

A Lite script cannot ask for a file or show a message: the files come from Lite's Files panel
(``/data``), the newest suitable one unless the user names one on Home, and every outcome is one
line in the status cell on Home (a traceback also goes to Lite's output pane).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import actions
from ..core.gcpause import collector_paused
from ..core.problems import InputError
from ..core.records import PortalFile
from ..files.portal import read_portal_file
from .home import DATA_FOLDER
from .port import LitePort

UPLOAD_PREFIX = "IMS_upload_"  # the files Generate writes: never taken as a download
PORTAL_SUFFIXES = (".json", ".zip")
REGISTER_SUFFIXES = (".csv", ".xlsx")


def run_button(book: Any, body: Callable[[LitePort], actions.Outcome | None], *,
               port: LitePort | None = None) -> actions.Outcome | None:
    """Run one button's work and put how it went in the status cell."""
    port = port or LitePort(book)
    port.filters_may_hide_rows = False
    try:
        with collector_paused():
            outcome = body(port)
    except InputError as error:
        port.filters_may_hide_rows = False
        port.status(f"Cannot do that: {error}")
        return None
    except Exception as error:
        port.filters_may_hide_rows = False
        traceback.print_exc()  # Lite's output pane
        port.status(f"Unexpected error: {type(error).__name__}: {error} (details in Lite's output pane)")
        return None
    if outcome is not None:
        port.status(outcome.message if outcome.ok else f"Please fix: {outcome.message}")
    return outcome


def find_portal_file(port: LitePort, folder: Path, *, want_error_file: bool, skip: str | None = None
                     ) -> tuple[Path, PortalFile]:
    """The portal file named on Home, else the newest download (or error file) in ``folder``."""
    named = port.file_cell()
    if named and Path(named).suffix.lower() in PORTAL_SUFFIXES:
        path = folder / Path(named).name
        if not path.is_file():
            raise InputError(f"{named}: not in Lite's Files ({folder}); import it there first",
                             code="not-in-lite-files", file=named)
        portal_file = read_portal_file(path)
        if not _is_wanted(portal_file, want_error_file):
            kind = {"error": "an error file", "upload": "an upload file"}.get(portal_file.envelope, "a download")
            raise InputError(f"{named}: this is {kind}; press the other button, or name another file on Home",
                             code="wrong-kind-of-file", file=named)
        return path, portal_file
    candidates = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PORTAL_SUFFIXES
         and not p.name.startswith(UPLOAD_PREFIX) and p.name != skip),
        key=lambda p: (p.stat().st_mtime, p.name), reverse=True,
    ) if folder.is_dir() else []
    for path in candidates:
        try:
            portal_file = read_portal_file(path)
        except InputError:
            continue  # not a portal file: look at the next one
        if _is_wanted(portal_file, want_error_file):
            return path, portal_file
    kind = "IMS error file" if want_error_file else "IMS download"
    raise InputError(f"no {kind} in Lite's Files ({folder}): import the portal's file there first",
                     code="not-in-lite-files")


def find_register(port: LitePort, folder: Path) -> Path:
    """The purchase register named on Home, else the newest .csv or .xlsx in ``folder``."""
    named = port.file_cell()
    if named and Path(named).suffix.lower() in REGISTER_SUFFIXES:
        path = folder / Path(named).name
        if not path.is_file():
            raise InputError(f"{named}: not in Lite's Files ({folder}); import it there first",
                             code="not-in-lite-files", file=named)
        return path
    candidates = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in REGISTER_SUFFIXES),
                        key=lambda p: (p.stat().st_mtime, p.name), reverse=True) if folder.is_dir() else []
    if not candidates:
        raise InputError(f"no purchase register (.csv or .xlsx) in Lite's Files ({folder}): import it there first",
                         code="not-in-lite-files")
    return candidates[0]


def _is_wanted(portal_file: PortalFile, want_error_file: bool) -> bool:
    return portal_file.envelope == "error" if want_error_file else portal_file.envelope in ("download", "bare")


def open_json(book: Any, folder: str | Path = DATA_FOLDER, *, port: LitePort | None = None
              ) -> actions.Outcome | None:
    def body(port: LitePort) -> actions.Outcome:
        current = port.load()
        if current.all_entries():
            raise InputError(
                f"this workbook already holds {len(current.all_entries()):,} records; to keep your work use "
                "'Refresh from Newer Download', or open the download in a fresh copy of the workbook",
                code="workbook-has-records")
        path, download = find_portal_file(port, Path(folder), want_error_file=False)
        return actions.open_download(port, download, path.name)

    return run_button(book, body, port=port)


def validate_sheet(book: Any, *, port: LitePort | None = None) -> actions.Outcome | None:
    return run_button(book, actions.validate_book, port=port)


def generate_json(book: Any, folder: str | Path = DATA_FOLDER, *, port: LitePort | None = None,
                  now: datetime | None = None) -> actions.Outcome | None:
    def body(port: LitePort) -> actions.Outcome:
        outcome = actions.generate_upload(
            port, lambda state, moment: Path(folder) / actions.default_upload_name(state, moment), now=now)
        if outcome.output is not None:
            port.upload_written(outcome.output.name)
            outcome.message += " (download it from Lite's Files panel)"
        return outcome

    return run_button(book, body, port=port)


def open_error_json(book: Any, folder: str | Path = DATA_FOLDER, *, port: LitePort | None = None
                    ) -> actions.Outcome | None:
    def body(port: LitePort) -> actions.Outcome:
        path, error_file = find_portal_file(port, Path(folder), want_error_file=True)
        return actions.open_error_file(port, error_file, path.name)

    return run_button(book, body, port=port)


def refresh_download(book: Any, folder: str | Path = DATA_FOLDER, *, port: LitePort | None = None
                     ) -> actions.Outcome | None:
    def body(port: LitePort) -> actions.Outcome:
        path, download = find_portal_file(port, Path(folder), want_error_file=False,
                                          skip=port.home().source_file)
        return actions.refresh_book(port, download, path.name)

    return run_button(book, body, port=port)


def suggest_actions(book: Any, folder: str | Path = DATA_FOLDER, *, port: LitePort | None = None
                    ) -> actions.Outcome | None:
    """Reconcile with the purchase register: suggestions only (Lite cannot ask whether to set Status)."""
    def body(port: LitePort) -> actions.Outcome:
        from ..files.register import read_register_file  # python-calamine, for .xlsx registers

        path = find_register(port, Path(folder))
        register = read_register_file(path)
        return actions.reconcile_book(port, register.entries, path.name, tolerance=Decimal("1.00"),
                                      problems=register.problems)

    return run_button(book, body, port=port)
