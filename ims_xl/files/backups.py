"""Backups of a workbook: ``<stem>-YYYYMMDD-HHMMSS<ext>`` in the folder ``ims-xl backups`` beside
it (out of the way of the books staff open), the newest few kept.

Only a name of exactly that pattern (or ``<stem>-YYYYMMDD-HHMMSS-N<ext>`` when two saves share a
second) in that folder is a backup. ``BOOK-20251015-signed.xlsm`` or ``BOOK-Oct_2025-review.xlsm``
are the user's own files: never counted, never pruned; so are backups that earlier releases left
beside the books.

Temporary files are the ``atomic.replacing`` pattern ``.<stem>.<8 random characters><ext>`` (and
the same beside a backup being copied). ``remove_leftovers`` deletes those over a minute old. It
runs under the tool's lock on the book (``locks``), so no other ims-xl command is writing one of
them: what is found was left by a killed run. The minute is a margin, not the proof.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .atomic import replacing

BACKUPS_KEPT = 3
BACKUP_FOLDER = "ims-xl backups"  # beside the books; named in the README
LEFTOVER_AGE_SECONDS = 60
_STAMP = r"\d{8}-\d{6}"
_TEMPORARY_CHARACTERS = "[a-z0-9_]{8}"  # tempfile.mkstemp's random part


def _backup_pattern(book: Path) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(book.stem)}-(?P<stamp>{_STAMP})(?:-(?P<counter>[0-9]+))?{re.escape(book.suffix)}")


def backup_folder(book: Path) -> Path:
    return book.parent / BACKUP_FOLDER


def is_backup_of(book: Path, candidate: Path) -> bool:
    """Is ``candidate`` named exactly as the tool names a backup of ``book``, in the backups folder?"""
    return (candidate.parent == backup_folder(book)
            and _backup_pattern(book).fullmatch(candidate.name) is not None)


def backups_of(book: Path) -> list[Path]:
    """The tool's backups of a book, oldest first (the stamp sorts by time; -N by its number)."""
    pattern = _backup_pattern(book)
    found: list[tuple[str, int, Path]] = []
    for candidate in _listing(backup_folder(book)):
        match = pattern.fullmatch(candidate.name)
        if match and candidate.is_file():
            found.append((match["stamp"], int(match["counter"] or 1), candidate))
    return [path for _, _, path in sorted(found)]


def backup_path(book: Path, moment: datetime) -> Path:
    """A free backup name for a save at ``moment``."""
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    folder = backup_folder(book)
    candidate = folder / f"{book.stem}-{stamp}{book.suffix}"
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = folder / f"{book.stem}-{stamp}-{counter}{book.suffix}"
    return candidate


def make_backup(book: Path, moment: datetime) -> Path:
    """Copy the book to its backup name, atomically: a failed copy leaves no file of that name."""
    target = backup_path(book, moment)
    target.parent.mkdir(exist_ok=True)
    with replacing(target) as temporary:
        shutil.copy2(book, temporary)
    return target


def prune_backups(book: Path, keep: int = BACKUPS_KEPT) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    backups = backups_of(book)
    doomed = backups[:-keep] if keep else backups
    for old in doomed:
        old.unlink(missing_ok=True)
    return doomed


def replace_keeping_backup(book: Path, write: Callable[[Path], None], *, keep: int = BACKUPS_KEPT,
                           now: datetime | None = None,
                           before_replace: Callable[[], None] | None = None) -> Path | None:
    """Write a new version of ``book`` through ``write(temporary)``; keep the old one as a backup.

    ``before_replace`` runs after the new version is complete and before anything is replaced:
    it may raise to stop the save (the book stays as it was, no backup is made). Returns the
    backup's path, if there was an old book to keep.
    """
    moment = now or datetime.now()
    backup: Path | None = None
    with replacing(book) as temporary:
        write(temporary)
        if before_replace is not None:
            before_replace()
        if book.exists():
            backup = make_backup(book, moment)
    prune_backups(book, keep)
    return backup


def temporary_pattern(target: Path) -> re.Pattern[str]:
    """Names ``atomic.replacing`` gives temporary files for ``target`` and for its backups."""
    return re.compile(rf"\.{re.escape(target.stem)}(?:-{_STAMP}(?:-[0-9]+)?)?\.{_TEMPORARY_CHARACTERS}"
                      rf"{re.escape(target.suffix)}")


def remove_leftovers(target: Path, *, older_than: float = LEFTOVER_AGE_SECONDS) -> list[Path]:
    """Delete temporary files a killed run left beside ``target`` (or among its backups); returns what
    was deleted."""
    pattern = temporary_pattern(target)
    limit = time.time() - older_than
    removed = []
    for candidate in _listing(target.parent) + _listing(backup_folder(target)):
        if not pattern.fullmatch(candidate.name):
            continue
        try:
            if candidate.is_file() and candidate.stat().st_mtime < limit:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue  # gone meanwhile, or not ours to delete
    return removed


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


__all__ = ["BACKUPS_KEPT", "BACKUP_FOLDER", "backup_folder", "backup_path", "backups_of", "is_backup_of",
           "make_backup", "prune_backups",
           "remove_leftovers", "replace_keeping_backup"]
