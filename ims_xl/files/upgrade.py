"""A book of an earlier layout brought to the current one, in place: only the tool's header cells
and columns change (the user's inputs move with their columns), after a backup, with a Change Log
line.

Layout 1 (the releases up to 213ee6d) to 2: Suggested Action and Match Status move beside Status;
each row's cells of the section tables are renumbered, and with them the sheet's column widths and
styles, highlighting rules, dropdowns and any filter; Home gains its "Last refresh found" and
"Workbook layout" cells; Status gets the highlight of a decision a refresh reset.

The sheets are rewritten in memory, once per book: an upgrade is rare, unlike the streamed saves.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from python_calamine import CalamineWorkbook

from ..core import codec
from ..core.book import LogEntry
from ..core.layout import (
    CHANGE_LOG_TABLE,
    HOME,
    HOME_FIELD,
    HOME_FIELDS,
    LAYOUT_VERSION,
    RESET_MARK,
    column_letter,
    column_number,
    section_layout,
)
from ..core.sections import FIRST_DATA_ROW, HEADER_ROW, SECTIONS, Section, fields_of_layout
from .backups import replace_keeping_backup
from .package import Package, check_extent, rewrite_package
from .sheetxml import SheetEdit

_ROW = re.compile(rb"<row\b[^>]*?/>|<row\b[^>]*?>.*?</row>", re.S)
_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_COLS = re.compile(rb"<cols>(.*?)</cols>", re.S)
_COL = re.compile(rb"<col\b([^>]*?)/>")
_MIN_MAX = re.compile(rb'\bmin="(\d+)"\s+max="(\d+)"')
_RANGE_ATTRIBUTE = re.compile(rb'\b(sqref|ref)="([^"]*)"')
_FORMULA = re.compile(rb"<(formula[12]?|xm:f|xm:sqref)>(.*?)</\1>", re.S)
_FILTER_COLUMN = re.compile(rb'<filterColumn colId="(\d+)"')
_REFERENCE = re.compile(r"(?<![A-Za-z_])(\$?)([A-Z]{1,3})(\$?)(\d+)")
_PRIORITY = re.compile(rb'\bpriority="(\d+)"')
_DXFS = re.compile(rb'<dxfs\b[^>]*?count="(\d+)"[^>]*?(?:/>|>)')

_PURPLE_DXF = (b'<dxf><font><b/><color rgb="FF5B2C6F"/></font><fill><patternFill><bgColor rgb="FFE4DFEC"/>'
               b"</patternFill></fill></dxf>")


def book_layout(path: Path) -> int | None:
    """The layout of a book's section sheets: the oldest one found (None when a header is neither).
    Raises InputError for a sheet whose extent the dense reader cannot take (as the reader would)."""
    with Package(path) as package:
        for sheet, part in package.sheet_parts.items():
            if sheet == HOME:
                check_extent(package, sheet, part, path.name)
    book = CalamineWorkbook.from_path(str(path))
    if _recorded_layout(book) == LAYOUT_VERSION:
        # The usual case, settled from Home alone: the section sheets (which may hold a million rows)
        # are neither scanned nor loaded twice; the reader checks their headers anyway.
        return LAYOUT_VERSION
    with Package(path) as package:
        for sheet, part in package.sheet_parts.items():
            check_extent(package, sheet, part, path.name)
    found = []
    for section in SECTIONS:
        if section.sheet not in book.sheet_names:
            return None
        rows = book.get_sheet_by_name(section.sheet).to_python(skip_empty_area=False, nrows=HEADER_ROW)
        headers = [str(value).strip() for value in rows[HEADER_ROW - 1]] if len(rows) >= HEADER_ROW else []
        version = section_layout(headers, section)
        if version is None:
            return None
        found.append(version)
    return min(found)


def _recorded_layout(book: CalamineWorkbook) -> int | None:
    """The layout number a book records on Home (books before layout 2 record none)."""
    if HOME not in book.sheet_names:
        return None
    cell = HOME_FIELD["layout"].cell
    rows = book.get_sheet_by_name(HOME).to_python(skip_empty_area=False, nrows=cell.row)
    try:
        value = rows[cell.row - 1][cell.column - 1]
        return int(value) if isinstance(value, int | float | str) and value != "" else None
    except (IndexError, TypeError, ValueError):
        return None


def upgrade_if_older(path: Path, *, keep_backup: bool = True, now: datetime | None = None) -> int | None:
    """Upgrade the book in place when its layout is older; returns the layout it had (None: current,
    or not a layout the tool knows, which the reader then explains)."""
    try:
        version = book_layout(path)
    except Exception:  # not readable: the reader says so in its own words
        return None
    if version is None or version >= LAYOUT_VERSION:
        return None
    moment = now or datetime.now()
    if keep_backup:
        replace_keeping_backup(path, lambda temporary: _write_upgraded(path, temporary, version, moment),
                               now=moment)
    else:
        with tempfile.TemporaryDirectory(dir=path.parent) as folder:
            temporary = Path(folder) / path.name
            _write_upgraded(path, temporary, version, moment)
            shutil.move(temporary, path)
    return version


def upgraded_copy(path: Path, folder: Path) -> Path:
    """A copy of the book in ``folder`` brought to the current layout, for commands that only read."""
    copy = folder / path.name
    shutil.copy2(path, copy)
    upgrade_if_older(copy, keep_backup=False)
    return copy


def _write_upgraded(source: Path, target: Path, version: int, moment: datetime) -> None:
    with Package(source) as package:
        parts: dict[str, bytes] = {}
        styles_part = "xl/styles.xml"
        styles = package.read(styles_part)
        styles, dxf = _add_dxf(styles)
        parts[styles_part] = styles
        for section in SECTIONS:
            part = package.sheet_parts[section.sheet]
            parts[part] = upgrade_section_xml(package.read(part), section, version, dxf)
    edits = {HOME: _home_edit(), CHANGE_LOG_TABLE.sheet: _log_edit(source, version, moment)}
    rewrite_package(source, target, edits, replace_parts=parts)


def _home_edit() -> SheetEdit:
    edit = SheetEdit()
    for field in HOME_FIELDS:  # the labels of Home's cells, the new ones among them
        edit.set(field.cell.row, field.cell.column - 1, field.label)
    edit.set(HOME_FIELD["layout"].cell.row, HOME_FIELD["layout"].cell.column, LAYOUT_VERSION)
    return edit


def _log_edit(source: Path, version: int, moment: datetime) -> SheetEdit:
    book = CalamineWorkbook.from_path(str(source))
    last = CHANGE_LOG_TABLE.header_row
    if CHANGE_LOG_TABLE.sheet in book.sheet_names:
        rows = book.get_sheet_by_name(CHANGE_LOG_TABLE.sheet).to_python(skip_empty_area=False)
        last = max([CHANGE_LOG_TABLE.header_row] + [number for number, cells in enumerate(rows, start=1)
                                                     if number > CHANGE_LOG_TABLE.header_row
                                                     and any(cell not in ("", None) for cell in cells)])
    line = LogEntry(moment.strftime("%Y-%m-%d %H:%M:%S"), "Upgrade",
                    f"Workbook layout {version} -> {LAYOUT_VERSION}: Suggested Action and Match Status moved "
                    "beside Status; Home's 'Last refresh found' and 'Workbook layout' added; the previous "
                    "version is in the backups folder")
    edit = SheetEdit()
    edit.set_row(last + 1, CHANGE_LOG_TABLE.left, codec.log_rows([line])[0])
    return edit


def _add_dxf(styles: bytes) -> tuple[bytes, int]:
    """styles.xml with one more differential format (the reset highlight); its index."""
    match = _DXFS.search(styles)
    if match is None:
        at = styles.find(b"<tableStyles")
        at = at if at != -1 else styles.rfind(b"</styleSheet>")
        return styles[:at] + b'<dxfs count="1">' + _PURPLE_DXF + b"</dxfs>" + styles[at:], 0
    count = int(match.group(1))
    head = match.group(0).replace(b'count="%d"' % count, b'count="%d"' % (count + 1))
    if head.endswith(b"/>"):
        head = head[:-2] + b">" + _PURPLE_DXF + b"</dxfs>"
        return styles[:match.start()] + head + styles[match.end():], count
    close = styles.index(b"</dxfs>", match.end())
    return styles[:match.start()] + head + styles[match.end():close] + _PURPLE_DXF + styles[close:], count


# --- one section sheet -------------------------------------------------------------------------------


def column_moves(section: Section, version: int) -> dict[int, int]:
    """Old sheet column -> new one, for the columns that move (Excel's numbers)."""
    old = fields_of_layout(section, version)
    new = [column.field for column in section.columns]
    return {i + 1: new.index(name) + 1 for i, name in enumerate(old) if new.index(name) != i}


def upgrade_section_xml(xml: bytes, section: Section, version: int, dxf: int) -> bytes:
    moves = column_moves(section, version)
    start, end = xml.find(b"<sheetData"), xml.find(b"</sheetData>")
    if start == -1 or end == -1:  # an empty <sheetData/>: nothing in the rows to move
        head, data, tail = xml, b"", b""
    else:
        head, data, tail = xml[:start], xml[start:end], xml[end:]
    data = _ROW.sub(lambda row: _move_cells(row.group(0), moves), data)
    head = _COLS.sub(lambda cols: b"<cols>" + _move_cols(cols.group(1), moves) + b"</cols>", head)
    tail = _move_references(tail, moves)
    tail = _FILTER_COLUMN.sub(lambda m: b'<filterColumn colId="%d"' % (moves.get(int(m.group(1)) + 1,
                                                                                int(m.group(1)) + 1) - 1), tail)
    return head + data + _add_reset_rule(tail, section, dxf)


def _move_cells(row: bytes, moves: dict[int, int]) -> bytes:
    if row.endswith(b"/>") and b"</row>" not in row:
        return row
    open_end = row.index(b">") + 1
    cells = []
    position = 0
    for match in _CELL.finditer(row, open_end):
        cell = match.group(0)
        reference = _CELL_REF.search(cell[:cell.index(b">") + 1])
        if reference:
            position, number = column_number(reference.group(1).decode()), reference.group(2)
        else:  # a cell without its reference sits right of the one before
            position += 1
            number = re.search(rb'\br="(\d+)"', row[:open_end]).group(1)  # type: ignore[union-attr]
            cell = b'<c r="%s%s"' % (column_letter(position).encode(), number) + cell[2:]
        target = moves.get(position, position)
        if target != position:
            cell = _CELL_REF.sub(b'r="%s%s"' % (column_letter(target).encode(), number), cell, count=1)
        cells.append((target, cell))
    cells.sort(key=lambda item: item[0])
    return row[:open_end] + b"".join(cell for _, cell in cells) + b"</row>"


def _move_cols(content: bytes, moves: dict[int, int]) -> bytes:
    """<col> widths and styles follow their columns (a range is split into single columns)."""
    entries: list[tuple[int, bytes]] = []
    for match in _COL.finditer(content):
        attributes = match.group(1)
        span = _MIN_MAX.search(attributes)
        if span is None:
            continue
        low, high = int(span.group(1)), int(span.group(2))
        if not any(low <= column <= high for column in moves):
            entries.append((low, match.group(0)))
            continue
        for column in range(low, high + 1):
            target = moves.get(column, column)
            single = _MIN_MAX.sub(b'min="%d" max="%d"' % (target, target), attributes, count=1)
            entries.append((target, b"<col" + single + b"/>"))
    entries.sort(key=lambda item: item[0])
    return b"".join(entry for _, entry in entries)


def _move_references(xml: bytes, moves: dict[int, int]) -> bytes:
    """Cell references in ranges (sqref, ref) and in formulas outside their quoted text."""
    def text(value: str) -> str:
        parts = value.split('"')
        for i in range(0, len(parts), 2):  # outside string literals
            parts[i] = _REFERENCE.sub(lambda m: m.group(1) + column_letter(
                moves.get(column_number(m.group(2)), column_number(m.group(2)))) + m.group(3) + m.group(4),
                parts[i])
        return '"'.join(parts)

    xml = _RANGE_ATTRIBUTE.sub(lambda m: m.group(1) + b'="' + text(m.group(2).decode()).encode() + b'"', xml)
    return _FORMULA.sub(lambda m: b"<" + m.group(1) + b">" + text(m.group(2).decode()).encode()
                        + b"</" + m.group(1) + b">", xml)


def _add_reset_rule(tail: bytes, section: Section, dxf: int) -> bytes:
    """The Status highlight of a decision the last refresh reset (as bookfile writes it in a new book)."""
    def letter(name: str) -> str:
        return column_letter(section.index(name) + 1)

    status, note, previous, row = letter("status"), letter("refresh_note"), letter("previous_status"), FIRST_DATA_ROW
    priorities = [int(value) for value in _PRIORITY.findall(tail)]
    rule = (f'<conditionalFormatting sqref="{status}{row}:{status}1048576"><cfRule type="expression" dxfId="{dxf}" '
            f'priority="{max(priorities, default=0) + 1}" stopIfTrue="1"><formula>AND(ISNUMBER(SEARCH('
            f'"{RESET_MARK}",${note}{row})),${status}{row}=${previous}{row})</formula></cfRule>'
            "</conditionalFormatting>").encode()
    for anchor in (b"<conditionalFormatting", b"<dataValidations", b"<hyperlinks", b"<printOptions",
                   b"<pageMargins"):
        at = tail.find(anchor)
        if at != -1:
            if anchor == b"<conditionalFormatting":  # after the existing rules, which come first
                at = tail.rfind(b"</conditionalFormatting>") + len(b"</conditionalFormatting>")
            return tail[:at] + rule + tail[at:]
    return tail


