"""Who else has a workbook: Excel, LibreOffice, another ims-xl command, or a change on disk.

- Excel keeps an owner file ``~$NAME`` beside an open book (Word-style naming drops the first one or
  two characters of a long name: ``~$ME.xlsm`` for ``LONGNAME.xlsm``; both forms are checked);
  LibreOffice keeps ``.~lock.NAME#``. A book with either beside it is open, and the user's next
  save there would overwrite the tool's work, so the tool refuses.
- The tool's own lock is ``.NAME.ims-xl.lock``, created exclusively and holding the process id,
  host and start time. A second command waits a few seconds for it, then refuses. A lock whose
  process is gone (same host), or that is older than any command runs, is stale and taken over.
- ``Fingerprint``: size, modification time and SHA-256 of the book at load, compared again just
  before the new book replaces it; a difference means someone else saved meanwhile.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.problems import InputError

LOCK_WAIT_SECONDS = 10.0  # how long a second command waits for the first to finish
LOCK_POLL_SECONDS = 0.2
STALE_LOCK_SECONDS = 2 * 60 * 60  # no command on one book runs for two hours
_UNREADABLE_LOCK_GRACE_SECONDS = 5.0  # a lock being written is readable within microseconds


def excel_owner_files(book: Path) -> list[Path]:
    """The names Excel (and Word-style Office) may give the owner file of an open ``book``."""
    name, stem = book.name, book.stem
    names = [f"~${name}"]
    if len(stem) == 7:
        names.append(f"~${name[1:]}")
    if len(stem) >= 8:
        names.append(f"~${name[2:]}")
    return [book.with_name(n) for n in names]


def libreoffice_lock_file(book: Path) -> Path:
    return book.with_name(f".~lock.{book.name}#")


def lock_files(book: Path) -> list[Path]:
    """Lock files beside ``book`` saying it is open: Excel's ``~$NAME`` (in its shortened forms too),
    LibreOffice's ``.~lock.NAME#``."""
    return [lock for lock in (*excel_owner_files(book), libreoffice_lock_file(book)) if lock.exists()]


def open_elsewhere(book: Path) -> str | None:
    """"open in Excel" / "open in LibreOffice" when the program's lock file sits beside ``book``."""
    if any(owner.exists() for owner in excel_owner_files(book)):
        return "open in Excel"
    if libreoffice_lock_file(book).exists():
        return "open in LibreOffice"
    return None


def refuse_if_open_elsewhere(book: Path) -> None:
    where = open_elsewhere(book)
    if where is None:
        return
    marker = next((p for p in excel_owner_files(book) if p.exists()), None) or libreoffice_lock_file(book)
    raise InputError(f"{book.name}: the workbook is {where}; close it there first and run the command again "
                     f"(if it is not open anywhere, delete the leftover file {marker.name}); nothing was written",
                     code="open-in-another-program", file=book.name)


# --- the tool's own lock -----------------------------------------------------------------------


def lock_file(book: Path) -> Path:
    return book.with_name(f".{book.name}.ims-xl.lock")


@dataclass(frozen=True)
class _Holder:
    pid: int
    host: str
    since: str
    token: str


@contextmanager
def exclusive(book: Path, *, wait: float | None = None) -> Iterator[Path]:
    """Hold the tool's lock on ``book`` for the duration; yields the lock file's path.

    Raises InputError (one line) when another command holds it for longer than ``wait`` seconds,
    or when the folder does not take the lock file (read-only).
    """
    path = lock_file(book)
    token = secrets.token_hex(8)
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
    while True:
        try:
            _create(path, token)
            break
        except FileExistsError:
            holder = _read_holder(path)
            if _is_stale(path, holder):
                _remove_if_unchanged(path, holder)
                continue
            if time.monotonic() >= deadline:
                raise InputError(_busy_message(book, holder), code="workbook-busy", file=book.name) from None
            time.sleep(LOCK_POLL_SECONDS)
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise InputError(f"{book.parent}: the folder is read-only; nothing was written "
                                 "(the tool writes the new workbook and a backup beside the old one)",
                                 code="read-only", file=book.parent) from None
            raise
    try:
        yield path
    finally:
        current = _read_holder(path)
        if current is not None and current.token == token:
            path.unlink(missing_ok=True)


def _create(path: Path, token: str) -> None:
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now().isoformat(timespec="seconds"),
              "token": token}
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        os.write(descriptor, json.dumps(holder).encode("utf-8"))
    finally:
        os.close(descriptor)


def _read_holder(path: Path) -> _Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _Holder(int(data["pid"]), str(data["host"]), str(data["since"]), str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _is_stale(path: Path, holder: _Holder | None) -> bool:
    if not path.exists():
        return True
    if holder is None:
        return _age(path) > _UNREADABLE_LOCK_GRACE_SECONDS
    if _age(path) > STALE_LOCK_SECONDS:
        return True
    return holder.host == socket.gethostname() and not pid_alive(holder.pid)


def _remove_if_unchanged(path: Path, holder: _Holder | None) -> None:
    # Another waiting command may have taken the stale lock over already: remove only what we judged.
    if _read_holder(path) == holder:
        path.unlink(missing_ok=True)


def _busy_message(book: Path, holder: _Holder | None) -> str:
    who = f" (process {holder.pid} on {holder.host}, since {holder.since})" if holder else ""
    return (f"{book.name}: another ims-xl command is working on this workbook{who}; run this one again when "
            f"it has finished (if none is running, delete {lock_file(book).name}); nothing was written")


def pid_alive(pid: int) -> bool:
    """Is a process of this id running on this machine?"""
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# --- did the book change on disk? ----------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint | None:
        """The file's fingerprint, or None when there is no file."""
        try:
            status = path.stat()
            digest = hashlib.sha256()
            with open(path, "rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
        except FileNotFoundError:
            return None
        return cls(status.st_size, status.st_mtime_ns, digest.hexdigest())


def refuse_if_changed(book: Path, at_load: Fingerprint | None) -> None:
    """Raise InputError when ``book`` is no longer what was loaded (someone saved meanwhile)."""
    if Fingerprint.of(book) != at_load:
        raise InputError(f"{book.name}: the workbook was changed on disk while this command ran (saved in Excel, "
                         "or by another program); nothing was written: run the command again",
                         code="changed-while-running", file=book.name)
