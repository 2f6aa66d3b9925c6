"""Checks made before a command does any work: can it write where it will write, and may it?

On POSIX a file or folder without any write permission bit counts as read-only even for a user
(or root) the system would let write: the user marked it so. Windows sets the read-only attribute
on many ordinary folders (Documents, Desktop) without meaning it, so there only a file's flag is
read; a folder that truly refuses writes is caught when the tool's lock file cannot be created.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

from ..core.problems import InputError

_WORKBOOK_OR_ARCHIVE = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".zip")
_UPLOAD_KEYS = {"rtin", "reqtyp", "invdata"}  # core.upload.build_upload's envelope, exactly
_LARGEST_UPLOAD_READ = 256 << 20


def _read_only(path: Path, *, folder: bool) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if folder and os.name == "nt":
        return False
    return not (mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) or not os.access(path, os.W_OK)


def refuse_unless_writable(book: Path) -> None:
    """The book (if it exists) and its folder must take a write; else one line, nothing written."""
    folder = book.parent
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder", code="no-such-folder", file=folder)
    if book.exists() and _read_only(book, folder=False):
        raise InputError(f"{book}: the workbook is read-only; nothing was written (clear its read-only mark, "
                         "or work on a copy)", code="read-only", file=book)
    if _read_only(folder, folder=True):
        raise InputError(f"{folder}: the folder is read-only; nothing was written (the tool writes the new "
                         "workbook and a backup beside the old one)", code="read-only", file=folder)


def refuse_unless_folder_writable(target: Path) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder", code="no-such-folder", file=folder)
    if _read_only(folder, folder=True):
        raise InputError(f"{folder}: the folder is read-only; nothing was written", code="read-only", file=folder)
    if target.exists() and _read_only(target, folder=False):
        raise InputError(f"{target}: the file is read-only; nothing was written", code="read-only", file=target)


def refuse_bad_upload_target(target: Path, book: Path) -> None:
    """``generate -o``: never onto the workbook, a download, a workbook or an archive.

    An existing .json may be replaced only when it is an upload file the tool wrote before.
    """
    if _same_file(target, book):
        raise InputError(f"{target}: that is the workbook itself; give the upload file another name, "
                         "ending in .json; nothing was written", code="target-is-the-workbook", file=target)
    if target.suffix.lower() in _WORKBOOK_OR_ARCHIVE:
        raise InputError(f"{target}: the upload file must end in .json, not {target.suffix}; nothing was written",
                         code="wrong-file-type", file=target)
    if target.is_dir():
        raise InputError(f"{target}: is a folder; name the upload file, ending in .json",
                         code="is-a-folder", file=target)
    if target.exists() and not is_tool_upload(target):
        raise InputError(f"{target}: already exists and is not an upload file written by ims-xl (a portal download?); "
                         "choose another name; nothing was written", code="would-replace-other-file", file=target)
    refuse_unless_folder_writable(target)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def is_tool_upload(path: Path) -> bool:
    """Is ``path`` a JSON file of exactly the tool's upload envelope (a SAVE request)?"""
    try:
        if path.stat().st_size > _LARGEST_UPLOAD_READ:
            return False
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError):
        return False
    return (isinstance(document, dict) and set(document) == _UPLOAD_KEYS and document.get("reqtyp") == "SAVE"
            and isinstance(document.get("invdata"), dict))


def explain_os_error(error: BaseException) -> str | None:
    """One line for the operating-system errors a user can act on; None for the others."""
    while not isinstance(error, OSError):  # a library's own error around it (XlsxWriter's FileCreateError)
        if error.__cause__ is None and error.__context__ is None:
            return None
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    where = f"{error.filename}: " if error.filename else ""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (f"{where}the disk is full; the workbook was left as it was (no backup was added): free some "
                "space and run the command again")
    if error.errno == errno.EFBIG:
        return (f"{where}the file would be larger than this system lets a file be (a file-size limit); the "
                "workbook was left as it was")
    if error.errno == errno.EROFS:
        return f"{where}the disk is read-only; the workbook was left as it was"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"{where}permission denied (read-only, or open in another program?); the workbook was left as it was"
    return None
