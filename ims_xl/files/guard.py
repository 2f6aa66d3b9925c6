"""Everything checked before a command touches a workbook, and held while it runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .backups import remove_leftovers
from .locks import exclusive, refuse_if_open_elsewhere
from .targets import refuse_bad_upload_target, refuse_unless_writable


@contextmanager
def guarding(book: Path, *, upload: Path | None = None) -> Iterator[None]:
    """Refuse (one line, nothing written) a book open in Excel or LibreOffice, a read-only book or
    folder, or a bad upload target; then hold the tool's lock on the book while the command runs,
    after clearing temporary files a killed run left behind."""
    refuse_if_open_elsewhere(book)
    refuse_unless_writable(book)
    if upload is not None:
        refuse_bad_upload_target(upload, book)
    with exclusive(book):
        remove_leftovers(book)
        yield
