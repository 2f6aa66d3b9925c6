"""Point an existing book's buttons at this Python, changing nothing else in the file.

The book is the user's: only the ``xlwings.conf`` sheet's interpreter cells are rewritten (other
cells of that sheet stay as they are); every other member of the package is copied with the same
name, order, contents, compression and timestamp; the file is replaced in one step. With
``vba=...`` the VBA project (``xl/vbaProject.bin``) is replaced too, for a book whose xlwings
module is older or newer than the xlwings that will run its buttons.

Also the small package readers ``ims-xl doctor`` shares: sheet names, lock files.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from .atomic import replacing
from .core import layout
from .core.problems import InputError

VBA_PART = "xl/vbaProject.bin"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

_ROW = re.compile(rb"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData\b[^>]*>(.*?)</sheetData>", re.S)
_DIMENSION = re.compile(rb'(<dimension\b[^>]*\bref=")([^"]*)(")')


def lock_files(book: Path) -> list[Path]:
    """Lock files beside ``book`` saying it is open: Excel's ``~$NAME``, LibreOffice's ``.~lock.NAME#``."""
    candidates = (book.with_name(f"~${book.name}"), book.with_name(f".~lock.{book.name}#"))
    return [lock for lock in candidates if lock.exists()]


def sheet_names(archive: zipfile.ZipFile) -> list[str]:
    """The book's sheet names in tab order, from ``xl/workbook.xml``."""
    return [name for name, _ in _sheets(archive)]


def _sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name) for each sheet."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relationships = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in relationships.iter(f"{_PKG_REL}Relationship")}
    sheets = []
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_DOC_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        sheets.append((sheet.get("name", ""), part))
    return sheets


def repoint(book: Path, conf: dict[str, str], *, vba: bytes | None = None) -> None:
    """Set ``conf``'s keys on the book's ``xlwings.conf`` sheet (and replace its VBA project if given).

    Raises InputError, before writing anything, for a book that is open, is not an .xlsm, cannot be
    read, or has no ``xlwings.conf`` sheet.
    """
    if not book.exists():
        raise InputError(f"{book}: no such workbook")
    if book.suffix.lower() != ".xlsm":
        raise InputError(f"{book}: only an .xlsm has buttons to repoint")
    locks = lock_files(book)
    if locks:
        raise InputError(f"{book}: it is open (lock file {locks[0].name}); close it in Excel or LibreOffice first")
    try:
        with zipfile.ZipFile(book) as archive:
            parts = dict(_sheets(archive))
            if layout.XLWINGS_CONF not in parts:
                raise InputError(f"{book}: no {layout.XLWINGS_CONF} sheet; make a new book with 'ims-xl workbook'")
            conf_part = parts[layout.XLWINGS_CONF]
            shared = _shared_strings(archive)
            replacements = {conf_part: set_conf_values(archive.read(conf_part), conf, shared)}
            if vba is not None:
                if VBA_PART not in archive.namelist():
                    raise InputError(f"{book}: has no VBA project to replace; make a new book with 'ims-xl workbook'")
                replacements[VBA_PART] = vba
            with replacing(book) as temporary, zipfile.ZipFile(temporary, "w") as copy:
                for info in archive.infolist():
                    data = replacements.get(info.filename)
                    copy.writestr(_copy_of(info), archive.read(info) if data is None else data)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as error:
        raise InputError(f"{book}: not a workbook that can be read ({error})") from None
    except PermissionError as error:  # Windows: Excel holds the file open
        raise InputError(f"{book}: cannot be replaced ({error.strerror}); is it open in Excel?") from None


def _copy_of(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    return copy


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        table = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    except KeyError:
        return []
    return ["".join(t.text or "" for t in item.iter(f"{_MAIN}t")) for item in table.iter(f"{_MAIN}si")]


def set_conf_values(sheet_xml: bytes, values: dict[str, str], shared: list[str]) -> bytes:
    """The conf sheet's XML with column B set to ``values[key]`` on the row whose column A is ``key``.

    Keys not on the sheet get new rows at the end. Every other cell and row stays byte for byte.
    """
    found = _SHEET_DATA.search(sheet_xml)
    if found is None:
        raise InputError(f"the {layout.XLWINGS_CONF} sheet has no cell data")
    body = found.group(1) or b""
    pending = dict(values)
    last_row = 0

    def rewrite_row(match: re.Match[bytes]) -> bytes:
        nonlocal last_row
        row = match.group(0)
        number = _int_attribute(row[: row.index(b">") + 1], b"r") or last_row + 1
        last_row = max(last_row, number)
        cells = list(_CELL.finditer(row))
        by_column = {_column_of(cell.group(0), position): cell for position, cell in enumerate(cells)}
        key_cell = by_column.get("A")
        key = _cell_text(key_cell.group(0), shared) if key_cell else None
        if key_cell is None or key not in pending:
            return row
        new_cell = _inline_cell(f"B{number}", pending.pop(key), _style_of(by_column.get("B")))
        if "B" in by_column:
            old = by_column["B"]
            return row[: old.start()] + new_cell + row[old.end():]
        return row[: key_cell.end()] + new_cell + row[key_cell.end():]

    new_body = _ROW.sub(rewrite_row, body)
    for key, value in pending.items():
        last_row += 1
        new_body += (f'<row r="{last_row}">'.encode() + _inline_cell(f"A{last_row}", key, None)
                     + _inline_cell(f"B{last_row}", value, None) + b"</row>")
    result = sheet_xml[: found.start()] + b"<sheetData>" + new_body + b"</sheetData>" + sheet_xml[found.end():]
    return _DIMENSION.sub(lambda m: m.group(1) + _grown(m.group(2), last_row) + m.group(3), result, count=1)


def _grown(reference: bytes, last_row: int) -> bytes:
    """A dimension reference grown to cover columns A:B and rows 1..last_row."""
    end = reference.split(b":")[-1]
    letters = re.match(rb"[A-Z]*", end)
    digits = re.search(rb"\d+$", end)
    column = max(letters.group(0) if letters else b"", b"B", key=lambda c: (len(c), c))
    row = max(int(digits.group(0)) if digits else 1, last_row, 1)
    return b"A1:" + column + str(row).encode()


def _int_attribute(tag: bytes, name: bytes) -> int | None:
    found = re.search(rb"\s" + name + rb'="(\d+)"', tag)
    return int(found.group(1)) if found else None


def _column_of(cell: bytes, position: int) -> str:
    """The cell's column letters (from ``r``; the spec lets a writer leave ``r`` out)."""
    found = re.search(rb'\sr="([A-Z]+)\d+"', cell[: cell.index(b">") + 1])
    if found:
        return found.group(1).decode()
    return chr(ord("A") + position) if position < 26 else ""


def _style_of(cell: re.Match[bytes] | None) -> bytes | None:
    if cell is None:
        return None
    found = re.search(rb'\ss="(\d+)"', cell.group(0)[: cell.group(0).index(b">") + 1])
    return found.group(1) if found else None


def _cell_text(cell: bytes, shared: list[str]) -> str | None:
    try:
        element = ElementTree.fromstring(re.sub(rb"^<c\b", f'<c xmlns="{_MAIN[1:-1]}"'.encode(), cell))
    except ElementTree.ParseError:
        return None
    kind = element.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in element.iter(f"{_MAIN}t"))
    value = element.find(f"{_MAIN}v")
    if value is None or value.text is None:
        return None
    if kind == "s":
        index = int(value.text)
        return shared[index] if 0 <= index < len(shared) else None
    return value.text


def _inline_cell(reference: str, text: str, style: bytes | None) -> bytes:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    style_attribute = b' s="' + style + b'"' if style else b""
    return (f'<c r="{reference}"'.encode() + style_attribute
            + f' t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'.encode())
