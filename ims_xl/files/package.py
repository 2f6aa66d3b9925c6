"""An .xlsx/.xlsm package edited in place: only the cells the tool owns change.

A workbook is a zip of XML parts. To write a few columns, only those sheets' parts are inflated
and patched (``sheetxml``) and deflated again; every other part is copied as stored (its
compressed bytes, never inflated), so the user's sheets, comments, formulas, names, charts, the
VBA project and the buttons come through unchanged. Clearing filters also clears the criteria of
the sheet's tables (``xl/tables/*.xml``). When a formula cell is replaced, ``xl/calcChain.xml``
(Excel's record of which cells to calculate) is dropped with its content type and relationship:
Excel rebuilds it. The package is checked for size and expansion before anything is inflated.
"""

from __future__ import annotations

import re
import struct
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from ..core.layout import HOME
from ..core.problems import InputError
from ..core.sections import SECTIONS
from .sheetxml import PatchOutcome, SheetEdit, SheetXmlNotSupported, patch_sheet_chunks, without_filter_criteria

# A workbook whose parts would inflate past these is refused before anything is read: a damaged
# or hostile file must not exhaust the PC it is opened on. The limits follow from what the tool
# writes: a section row is some 1.9 KB of sheet XML (40 cells and the hidden record), so a full
# sheet (Excel's 1,048,576 rows, a million-record month) is some 2 GB; 4 KB a row leaves room for
# the user's own columns. Sheets stream through the patcher in 4 MB pieces, and the dense reader
# has its own limit on cells (files/fileport.py), so these bound the work, not the memory.
# (A read's size must fit the platform's ssize_t: xlwings Lite's Pyodide is 32-bit, 2 GB.)
PART_LIMIT = min(1_048_576 * 4096, sys.maxsize - 1)
PACKAGE_LIMIT = PART_LIMIT + (2 << 30)
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
        self.date1904 = re.search(rb'<(?:\w+:)?workbookPr\b[^>]*\bdate1904="(?:1|true)"', self._workbook) is not None

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
            workbook = self._workbook = self.read("xl/workbook.xml")
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

    def table_parts(self, sheet_part: str) -> list[str]:
        """The table parts (Excel Tables, LibreOffice database ranges) of a sheet."""
        folder, name = sheet_part.rsplit("/", 1)
        try:
            rels = self.read(f"{folder}/_rels/{name}.rels")
        except KeyError:
            return []
        tables = []
        for match in re.finditer(rb"<Relationship\b([^>]*)/?>", rels):
            attributes = dict(_ATTRIBUTE.findall(match.group(1)))
            if attributes.get(b"Type", b"").endswith(b"/table"):
                target = attributes.get(b"Target", b"").decode()
                path = target.lstrip("/") if target.startswith("/") else _joined(folder, target)
                tables.append(path)
        return tables


def _joined(folder: str, target: str) -> str:
    parts: list[str] = folder.split("/")
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


_CALC_CHAIN = "xl/calcChain.xml"
_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_LAST = (_CONTENT_TYPES, _WORKBOOK_RELS, _CALC_CHAIN)  # written after the sheets: they may change with them


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
        tables = {table for part, (_, edit) in by_part.items() if edit.clear_filter
                  for table in package.table_parts(part)}
        outcome = PatchOutcome()
        last: list[zipfile.ZipInfo] = []
        for info in package.zip.infolist():
            if replace_parts and info.filename in replace_parts:
                out.writestr(info, replace_parts[info.filename], compress_type=info.compress_type)
            elif info.filename in by_part:
                sheet, edit = by_part[info.filename]
                if progress:
                    progress(f"Writing {sheet}")
                pieces = patch_sheet_chunks(package.chunks(info.filename), edit, date1904=package.date1904,
                                            outcome=outcome)
                # The sheets written on every command: the fastest deflate level (about a fifth larger,
                # several times faster); Excel and LibreOffice save them smaller again.
                _write_streamed(out, info, _refusing(pieces, source.name, sheet), level=1)
            elif info.filename in tables:
                out.writestr(_copy_of(info), without_filter_criteria(package.read(info.filename)))
            elif info.filename in _LAST:
                last.append(info)
            else:
                _copy_stored(package.zip, info, out)
        for info in last:
            if not outcome.formula_replaced:
                _copy_stored(package.zip, info, out)
            elif info.filename == _CONTENT_TYPES:
                out.writestr(_copy_of(info), re.sub(rb'<Override\b[^>]*PartName="/xl/calcChain.xml"[^>]*/>', b"",
                                                    package.read(info.filename)))
            elif info.filename == _WORKBOOK_RELS:
                out.writestr(_copy_of(info), re.sub(rb'<Relationship\b[^>]*Target="(?:/xl/)?calcChain.xml"[^>]*/>',
                                                    b"", package.read(info.filename)))
            # a stale calcChain.xml is left out: Excel rebuilds it


def _refusing(pieces: Iterable[bytes], book: str, sheet: str) -> Iterator[bytes]:
    try:
        yield from pieces
    except SheetXmlNotSupported as error:
        raise InputError(f"{book}: sheet {sheet} cannot be written in place: {error}; open the workbook in "
                         "Excel or LibreOffice, save it, and try again", code="sheet-xml-not-supported",
                         file=book, sheet=sheet) from None


def _write_streamed(out: zipfile.ZipFile, info: zipfile.ZipInfo, pieces: Iterable[bytes], *, level: int) -> None:
    copy = _copy_of(info)
    copy._compresslevel = level  # type: ignore[attr-defined]
    with out.open(copy, "w", force_zip64=info.file_size > _ZIP64_FROM) as stream:
        for piece in pieces:
            stream.write(piece)


def _copy_stored(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """A part copied as its compressed bytes: never inflated or deflated again."""
    if info.flag_bits & 0x1:  # encrypted: not in a workbook; copy through zipfile's own path
        raise InputError(f"{Path(str(source.filename)).name}: the part {info.filename} is encrypted",
                         code="not-a-workbook", file=Path(str(source.filename)).name)
    assert source.fp is not None and out.fp is not None
    source.fp.seek(info.header_offset)
    header = source.fp.read(30)
    if header[:4] != b"PK\x03\x04":
        raise InputError(f"{Path(str(source.filename)).name}: the part {info.filename} is damaged",
                         code="not-a-workbook", file=Path(str(source.filename)).name)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    source.fp.seek(info.header_offset + 30 + name_length + extra_length)
    copy = _copy_of(info)
    copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
    copy.flag_bits = info.flag_bits & ~0x08  # sizes go in the header: no data descriptor after the bytes
    copy.header_offset = out.fp.tell()
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    out.fp.write(copy.FileHeader(zip64))
    remaining = info.compress_size
    while remaining:
        piece = source.fp.read(min(remaining, _CHUNK))
        if not piece:
            raise InputError(f"{Path(str(source.filename)).name}: the part {info.filename} is cut short",
                             code="not-a-workbook", file=Path(str(source.filename)).name)
        out.fp.write(piece)
        remaining -= len(piece)
    out.filelist.append(copy)
    out.NameToInfo[copy.filename] = copy
    out.start_dir = out.fp.tell()


_ZIP64_FROM = 1 << 30  # parts near 2 GiB need the zip64 header, decided before writing
_CHUNK = 1 << 22


def _copy_of(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    return copy


_CELL_LIMIT = 60_000_000  # cells a sheet may span before the reader refuses it (calamine reads densely)
_DIMENSION = re.compile(rb'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')
_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>')


def check_extent(package: Package, sheet: str, part: str, book: str) -> None:
    """Refuse a sheet whose used range would make the dense reader allocate gigabytes."""
    try:
        with package.zip.open(part) as stream:
            start = stream.read(4096)
    except KeyError:
        return
    match = _DIMENSION.search(start)
    if match is None:
        return
    last_column, last_row = match.group(1).decode(), int(match.group(2))
    if _too_far(last_column, last_row):
        # Some programs write a dimension larger than the cells they wrote (or never shrink it): only
        # a cell that holds something makes the reader allocate, so look for the last such cell.
        last_column, last_row = _last_value_cell(package, part)
    if _too_far(last_column, last_row):
        raise InputError(f"{book}: sheet {sheet} has a value in {last_column}{last_row}, far outside the tables; "
                         "delete that cell (Ctrl+End shows it in Excel) and try again",
                         code="stray-cell", file=book, sheet=sheet, row=last_row)


def _too_far(column: str, row: int) -> bool:
    columns = sum((ord(c) - 64) * 26 ** i for i, c in enumerate(reversed(column)))
    return columns * row > _CELL_LIMIT or columns > 2000


def _last_value_cell(package: Package, part: str) -> tuple[str, int]:
    """The cell holding something (not a self-closed, styled-only ``<c .../>``) that lies farthest out."""
    widest, lowest, tail = "A", 1, b""
    with package.zip.open(part) as stream:
        while chunk := stream.read(1 << 22):
            data = tail + chunk
            for found in _VALUE_CELL.finditer(data):
                column, row = found.group(1).decode(), int(found.group(2))
                if (len(column), column) > (len(widest), widest):
                    widest = column
                lowest = max(lowest, row)
            tail = data[-64:]
    return widest, lowest
