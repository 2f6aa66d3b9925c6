"""An .xlsx/.xlsm package edited in place: only the cells the tool owns change.

A workbook is a zip of XML parts. To write a few columns, only those sheets' parts are inflated
and patched (``sheetxml``) and deflated again; every other part is copied as stored, so the user's
sheets, comments, formulas, names, charts, the VBA project and the buttons come through unchanged.
The package is checked for size and expansion before anything is inflated.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from ..core.layout import HOME
from ..core.problems import InputError
from ..core.sections import SECTIONS
from .sheetxml import SheetEdit, filtered_from, patch_sheet_chunks

# A workbook whose parts would inflate past these is refused before anything is read: a damaged
# or hostile file must not exhaust the memory of the PC it is opened on.
PART_LIMIT = 1 << 30
PACKAGE_LIMIT = 3 << 30
# Deflated XML reaches ~10-20x; far more is a zip bomb. What the tool itself writes stays far below:
# with no text over a cell's 32,767 characters (refused at open: text-too-long), a sheet of 400
# records each with a 30,000-character trade name deflates 78x (tests/test_upload_guarantees.py).
_RATIO_LIMIT = 200
_ATTRIBUTE = re.compile(rb'(\w+)="([^"]*)"')



def is_ims_xl_workbook(path: Path) -> bool:
    """Does the file hold the sheets ims-xl writes (Home and the section sheets)? False for anything
    unreadable: the caller's own reading then says what is wrong."""
    try:
        with Package(path) as package:
            return all(sheet in package.sheet_parts for sheet in (HOME, *(s.sheet for s in SECTIONS)))
    except (InputError, OSError, KeyError, ValueError):
        return False


class Package:
    """A workbook file's parts, checked for size before anything is inflated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise InputError(f"{path.name}: not an Excel workbook that can be read ({error})",
                             code="not-a-workbook", file=path.name) from None
        total = 0
        for info in self.zip.infolist():
            total += info.file_size
            ratio = info.file_size / info.compress_size if info.compress_size else 0
            too_big = info.file_size > PART_LIMIT or (info.file_size > 1_000_000 and ratio > _RATIO_LIMIT)
            if too_big or total > PACKAGE_LIMIT:
                self.zip.close()
                raise InputError(f"{path.name}: the part {info.filename} would expand to {info.file_size:,} bytes; "
                                 "this is not a workbook the tool will open (damaged or hostile file)",
                                 code="workbook-too-large", file=path.name)
        self.sheet_parts = self._sheet_parts()

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, name: str) -> bytes:
        with self.zip.open(name) as stream:
            data = stream.read(PART_LIMIT + 1)
        if len(data) > PART_LIMIT:
            raise InputError(f"{self.path.name}: the part {name} is larger than it declares",
                             code="workbook-too-large", file=self.path.name)
        return data

    def chunks(self, name: str) -> Iterator[bytes]:
        """A part's bytes in pieces of a few MB; refused past what a part may declare."""
        total = 0
        with self.zip.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > PART_LIMIT:
                    raise InputError(f"{self.path.name}: the part {name} is larger than it declares",
                                     code="workbook-too-large", file=self.path.name)
                yield chunk

    def _sheet_parts(self) -> dict[str, str]:
        """Sheet name -> part name, through the workbook's relationships."""
        try:
            workbook = self.read("xl/workbook.xml")
            rels = self.read("xl/_rels/workbook.xml.rels")
        except KeyError:
            raise InputError(f"{self.path.name}: not an Excel workbook (no xl/workbook.xml)",
                             code="not-a-workbook", file=self.path.name) from None
        targets = {}
        for match in re.finditer(rb"<Relationship\b([^>]*)/?>", rels):
            attributes = dict(_ATTRIBUTE.findall(match.group(1)))
            target = attributes.get(b"Target", b"").decode()
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[attributes.get(b"Id", b"").decode()] = path
        parts = {}
        for match in re.finditer(rb"<sheet\b([^>]*)/?>", workbook):
            sheet_tag: bytes = match.group(1)
            name = re.search(rb'\bname="([^"]*)"', sheet_tag)
            rid = re.search(rb'\br:id="([^"]*)"|\b\w+:id="([^"]*)"', sheet_tag)
            if name and rid:
                key = (rid.group(1) or rid.group(2)).decode()
                parts[_unescape(name.group(1).decode())] = targets.get(key, "")
        return parts


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def rewrite_package(source: Path, target: Path, edits: Mapping[str, SheetEdit],
                    progress: Callable[[str], None] | None = None, *,
                    replace_parts: Mapping[str, bytes] | None = None) -> None:
    """Write ``source`` to ``target`` with the sheets in ``edits`` patched and the parts in
    ``replace_parts`` replaced whole; every other part as stored.

    Parts stream through in chunks: memory stays flat whatever the size of the sheets."""
    with Package(source) as package, zipfile.ZipFile(target, "w", allowZip64=True) as out:
        by_part = {}
        for sheet, edit in edits.items():
            part = package.sheet_parts.get(sheet)
            if not part or part not in package.zip.namelist():
                raise InputError(f"{source.name}: the sheet '{sheet}' is missing; it is the tool's own sheet "
                                 "(restore it from a backup, or open the download into a new workbook)",
                                 code="sheet-missing", file=source.name, sheet=sheet)
            if edit:
                by_part[part] = (sheet, edit)
        for info in package.zip.infolist():
            if replace_parts and info.filename in replace_parts:
                out.writestr(info, replace_parts[info.filename], compress_type=info.compress_type)
                continue
            pieces: Iterable[bytes] = package.chunks(info.filename)
            copy = _copy_of(info)
            if info.filename in by_part:
                sheet, edit = by_part[info.filename]
                if progress:
                    progress(f"Writing {sheet}")
                unhide_from = filtered_from(package.chunks(info.filename)) if edit.clear_filter else None
                pieces = patch_sheet_chunks(pieces, edit, unhide_from)
                # The sheets written on every command: the fastest deflate level (about a fifth larger,
                # several times faster); Excel and LibreOffice save them smaller again.
                copy._compresslevel = 1  # type: ignore[attr-defined]
            with out.open(copy, "w", force_zip64=info.file_size > _ZIP64_FROM) as stream:
                for piece in pieces:
                    stream.write(piece)


_ZIP64_FROM = 1 << 30  # parts near 2 GiB need the zip64 header, decided before writing
_CHUNK = 1 << 22


def _copy_of(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    return copy
