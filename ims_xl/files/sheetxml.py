"""One worksheet's XML patched at the byte level: rows and cells located by their tags, nothing
parsed into objects, so a sheet of a million rows streams through in a few MB.

What the patcher copes with, because Excel, LibreOffice and the Open XML SDK write it: shared or
inline strings, cells without an ``r`` or ``s`` attribute (a blanked one stays in place as an
empty cell), rows absent from the XML, styles renumbered by the last save (a replaced cell keeps
its own style, a new cell takes its column's), shared formulas (a replaced master hands its
formula, translated, to the next cell of its group), the 1904 date system, filters to clear. Text
is written as Excel writes it: characters XML cannot carry or would normalise (CR) as ``_xHHHH_``.
What it refuses, with ``SheetXmlNotSupported``: a sheet written with a namespace prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, unescape

from ..core.dates import EPOCH_1900, EPOCH_1904, to_serial
from ..core.layout import column_letter, column_number

_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData\b[^>]*>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_LETTERS = re.compile(rb"[A-Z]+")
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CELL_STYLE = re.compile(rb'\bs="(\d+)"')
_COL = re.compile(rb"<col\b([^>]*?)/?>")
_ATTRIBUTE = re.compile(rb'(\w+)="([^"]*)"')
_AUTOFILTER = re.compile(rb"<autoFilter\b([^>]*?)(?:/>|>.*?</autoFilter>)", re.S)
_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')
_FILTER_MODE = re.compile(rb'\sfilterMode="(?:1|true)"')
# What XML cannot carry, and CR, which an XML reader turns into LF (Excel writes it as _x000D_).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LOOKS_ESCAPED = re.compile("_(x[0-9A-Fa-f]{4}_)")
_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_SHARED_CHILD = re.compile(rb'<f\b[^>]*\bsi="(\d+)"[^>]*?(?:/>|>\s*</f>)')
_PREFIXED = re.compile(rb"<\w+:(?:worksheet|sheetData)\b")
_RANGE = re.compile(r"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?")

Value = Any  # str, Decimal, int, float, bool, date, datetime, or None (blank the cell)


@dataclass
class SheetEdit:
    """What to change on one sheet: cell values by (row, column), Excel numbering."""

    cells: dict[int, dict[int, Value]] = field(default_factory=dict)
    clear_filter: bool = False
    # Rows below every row the sheet has, produced while the sheet is written (a new book's rows:
    # never all in memory at once): (row, first column, values), and where they end.
    appended: Iterable[tuple[int, int, list[Value]]] = ()
    appended_extent: tuple[int, int] = (0, 0)

    def extent(self) -> tuple[int, int]:
        """The last row and column this edit writes."""
        rows = max(self.cells, default=0)
        columns = max((max(cells) for cells in self.cells.values() if cells), default=0)
        return max(rows, self.appended_extent[0]), max(columns, self.appended_extent[1])

    def set(self, row: int, column: int, value: Value) -> None:
        self.cells.setdefault(row, {})[column] = value

    def set_row(self, row: int, first_column: int, values: list[Value]) -> None:
        target = self.cells.setdefault(row, {})
        for offset, value in enumerate(values):
            target[first_column + offset] = value

    def __bool__(self) -> bool:
        return bool(self.cells) or self.clear_filter or self.appended_extent[0] > 0


class UnlessFormula(str):
    """Text for a cell only if it holds a typed value: a cell with a formula keeps it (Validate
    writes "a" back as "Accept", but not over the user's lookup that shows "a")."""

    __slots__ = ()


class SheetXmlNotSupported(ValueError):
    """Valid sheet XML this patcher does not write (the reason is the message)."""


@dataclass
class PatchOutcome:
    """What patching a sheet found, for the package around it."""

    formula_replaced: bool = False  # a formula cell was replaced: the workbook's calcChain is stale


@dataclass
class _Context:
    """What every cell written on one sheet depends on."""

    column_styles: dict[int, int]
    date1904: bool
    outcome: PatchOutcome
    # Shared formulas whose master was replaced, by si: (formula, master row, column, group's
    # last row, first column, last column); the next cell of the group becomes the master.
    waiting: dict[bytes, tuple[str, int, int, int, int, int]] = field(default_factory=dict)


# --- one sheet -----------------------------------------------------------------------------------


def patch_sheet(xml: bytes, edit: SheetEdit, *, date1904: bool = False, outcome: PatchOutcome | None = None) -> bytes:
    """The sheet XML with ``edit`` applied (all in memory; ``patch_sheet_chunks`` streams)."""
    return b"".join(patch_sheet_chunks([xml], edit, date1904=date1904, outcome=outcome))


def patch_sheet_chunks(chunks: Iterable[bytes], edit: SheetEdit, *, date1904: bool = False,
                       outcome: PatchOutcome | None = None) -> Iterator[bytes]:
    """The sheet XML, arriving in ``chunks``, with ``edit`` applied: rows are patched as they pass.

    ``edit.clear_filter`` shows every hidden row and removes the autofilter's criteria.
    """
    source = iter(chunks)
    buffer = b""
    opening = None
    for chunk in source:
        buffer += chunk
        opening = _SHEET_DATA.search(buffer)
        if opening is not None:
            break
        if _PREFIXED.search(buffer):
            break
    if opening is None:
        if _PREFIXED.search(buffer):
            raise SheetXmlNotSupported("its XML uses a namespace prefix (x:worksheet)")
        raise SheetXmlNotSupported("it has no sheetData element")
    head = buffer[:opening.start()]
    if _PREFIXED.search(head):
        raise SheetXmlNotSupported("its XML uses a namespace prefix (x:worksheet)")
    context = _Context(_column_styles(head), date1904, outcome or PatchOutcome())
    if edit.clear_filter:
        head = _FILTER_MODE.sub(b"", head)
    last_row, last_column = edit.extent()
    if last_row:
        head = _grow_dimension(head, last_row, last_column)
    yield head + b"<sheetData>"
    buffer = buffer[opening.end():]
    body_done = opening.group(0).endswith(b"/>")

    pending = sorted(edit.cells.items())
    next_pending = 0
    previous_row = 0
    while not body_done:
        out: list[bytes] = []
        position = 0
        closing = buffer.find(b"</sheetData>")  # once per piece: searching it per row would scan it all again
        while True:
            start = buffer.find(b"<row", position)
            if closing >= 0 and (start < 0 or closing < start):
                out.append(buffer[position:closing])
                position, body_done = closing + len(b"</sheetData>"), True
                break
            if start < 0:
                break
            tag_end = buffer.find(b">", start)
            if tag_end < 0:
                break
            self_closing = buffer[tag_end - 1] == 0x2F  # "/"
            if self_closing:
                end = tag_end + 1
            else:
                close = buffer.find(b"</row>", tag_end)
                if close < 0:
                    break
                end = close + len(b"</row>")
            start_tag = buffer[start:tag_end + 1]
            number_match = _ROW_NUMBER.search(start_tag)
            row = int(number_match.group(1)) if number_match else previous_row + 1
            out.append(buffer[position:start])
            while next_pending < len(pending) and pending[next_pending][0] < row:  # rows the XML lacks
                new_row, values = pending[next_pending]
                out.append(_new_row(new_row, values, context))
                next_pending += 1
            if edit.clear_filter and b"hidden" in start_tag:
                start_tag = _HIDDEN.sub(b"", start_tag)
            if next_pending < len(pending) and pending[next_pending][0] == row:
                content = b"" if self_closing else buffer[tag_end + 1:end - len(b"</row>")]
                if self_closing:
                    start_tag = start_tag[:-2] + b">"
                if not number_match:
                    start_tag = start_tag[:-1] + b' r="%d">' % row
                content = _patch_row(content, row, pending[next_pending][1], context)
                if context.waiting and b'si="' in content:
                    content = _take_over_formulas(content, row, context)
                out.append(start_tag + content + b"</row>")
                next_pending += 1
            elif context.waiting and not self_closing and b'si="' in buffer[tag_end + 1:end]:
                content = _take_over_formulas(buffer[tag_end + 1:end - len(b"</row>")], row, context)
                out.append(start_tag + content + b"</row>")
            else:
                out.append(start_tag + buffer[tag_end + 1:end] if not self_closing else start_tag)
            position, previous_row = end, row
        yield b"".join(out)
        buffer = buffer[position:]
        if not body_done:
            more = next(source, None)
            if more is None:
                raise ValueError("a worksheet whose sheetData does not end")
            buffer += more
    yield b"".join(_new_row(row, values, context) for row, values in pending[next_pending:])
    yield from encode_rows(edit.appended, context.column_styles, date1904=context.date1904)
    yield b"</sheetData>"
    rest = buffer + b"".join(source)  # what follows the rows is short: filters, formats, drawings
    if edit.clear_filter:
        rest = without_filter_criteria(rest)
    yield rest


def _patch_row(content: bytes, row: int, values: dict[int, Value], context: _Context) -> bytes:
    """A row's cells with ``values`` set: each named cell replaced (keeping its style) or inserted in
    column order; every other cell's bytes as they were.

    Excel, LibreOffice and XlsxWriter write every cell as ``<c r="B7" ...``: then each target is
    found by its reference (a few byte searches, no parsing). Anything else is parsed cell by cell.
    """
    cells = content.count(b"<c")
    if cells != content.count(b'<c r="'):
        return _patch_row_slowly(content, row, values, context)
    last_column = 0
    if cells:
        tail = content.rfind(b'<c r="') + 6
        last_column = _column_number(_LETTERS.match(content, tail).group(0))  # type: ignore[union-attr]
    suffix = b'%d"' % row
    for column, value in sorted(values.items(), reverse=True):  # right to left: offsets on the left stay
        start = content.find(b'<c r="' + _letters(column) + suffix)
        if start >= 0:
            tag_end = content.index(b">", start)
            end = tag_end + 1 if content[tag_end - 1] == 0x2F else content.index(b"</c>", tag_end) + 4  # "/"
            style = _CELL_STYLE.search(content, start, tag_end)
            if content.find(b"<f", tag_end, end) >= 0:
                if isinstance(value, UnlessFormula):
                    continue
                _formula_replaced(content[start:end], row, column, context)
            new = _cell(row, column, value, int(style.group(1)) if style else None, context.date1904)
            content = content[:start] + new + content[end:]
            continue
        if last_column - column > 64:  # a far cell of the user's: do not search column by column
            return _patch_row_slowly(content, row, values, context)
        at = len(content)
        for later in range(column + 1, last_column + 1):  # before the first cell right of it
            found = content.find(b'<c r="' + _letters(later) + suffix)
            if found >= 0:
                at = found
                break
        content = content[:at] + _cell(row, column, value, context.column_styles.get(column), context.date1904) + \
            content[at:]
    return content


def _patch_row_slowly(content: bytes, row: int, values: dict[int, Value], context: _Context) -> bytes:
    """``_patch_row`` for cells whose attributes come in another order, or without ``r``: every
    cell parsed. A cell without ``r`` sits right of the one before it, so a blanked cell stays as an
    empty element (removing it would move every later cell one column left)."""
    cells: list[tuple[int, bytes]] = []
    previous = 0
    positional = False  # a cell without r: its place is the one after the cell before it
    for match in _CELL.finditer(content):
        cell = match.group(0)
        start_tag = cell[:cell.index(b">") + 1]
        reference = _CELL_REF.search(start_tag)
        column = column_number(reference.group(1).decode()) if reference else previous + 1
        positional = positional or reference is None
        cells.append((column, cell))
        previous = column
    out: list[bytes] = []
    remaining = dict(sorted(values.items()))
    styles, date1904 = context.column_styles, context.date1904
    for column, cell in cells:
        while remaining and next(iter(remaining)) < column:
            new_column = next(iter(remaining))
            out.append(_cell(row, new_column, remaining.pop(new_column), styles.get(new_column), date1904))
        if column in remaining and isinstance(remaining[column], UnlessFormula) and b"<f" in cell:
            remaining.pop(column)
            out.append(cell)
        elif column in remaining:
            start_tag = cell[:cell.index(b">") + 1]
            style = _CELL_STYLE.search(start_tag)
            if b"<f" in cell:
                _formula_replaced(cell, row, column, context)
            new = _cell(row, column, remaining.pop(column), int(style.group(1)) if style else None, date1904)
            out.append(new or (b'<c r="%s%d"/>' % (_letters(column), row) if positional else b""))
        else:
            out.append(cell)
    for column, value in remaining.items():
        out.append(_cell(row, column, value, styles.get(column), date1904))
    return b"".join(out)


# --- formulas --------------------------------------------------------------------------------------


def _formula_replaced(cell: bytes, row: int, column: int, context: _Context) -> None:
    """A formula cell is being replaced: the calcChain is stale; a shared formula's master hands
    its formula to the next cell of its group."""
    context.outcome.formula_replaced = True
    found = _FORMULA.search(cell)
    if found is None:
        return
    attributes = dict(_ATTRIBUTE.findall(found.group(1)))
    if attributes.get(b"t") != b"shared" or b"si" not in attributes or not found.group(2):
        return
    group = _RANGE.fullmatch(attributes.get(b"ref", b"").decode())
    if group is None:
        return
    first_column = column_number(group.group(1))
    last_column = column_number(group.group(3)) if group.group(3) else first_column
    last_row = int(group.group(4)) if group.group(4) else int(group.group(2))
    formula = unescape(found.group(2).decode(), {"&quot;": '"', "&apos;": "'"})
    context.waiting[attributes[b"si"]] = (formula, row, column, last_row, first_column, last_column)


def _take_over_formulas(content: bytes, row: int, context: _Context) -> bytes:
    """Cells of a row that belong to a shared formula whose master was replaced: the first one
    becomes the group's master, with the formula translated to its place."""
    out: list[bytes] = []
    previous = 0
    for match in _CELL.finditer(content):
        cell = match.group(0)
        start_tag = cell[:cell.index(b">") + 1]
        reference = _CELL_REF.search(start_tag)
        column = column_number(reference.group(1).decode()) if reference else previous + 1
        previous = column
        child = _SHARED_CHILD.search(cell)
        if child is not None and child.group(1) in context.waiting:
            si = child.group(1)
            formula, from_row, from_column, last_row, first_column, last_column = context.waiting.pop(si)
            here = f"{column_letter(column)}{row}"
            # openpyxl loads in half a second: only when a shared formula has to move
            from openpyxl.formula.translate import Translator, TranslatorError

            try:
                moved = Translator("=" + formula, origin=f"{column_letter(from_column)}{from_row}").translate_formula(
                    here)[1:]
            except TranslatorError:
                moved = formula
            group = f"{column_letter(first_column)}{row}:{column_letter(last_column)}{last_row}"
            master = b'<f t="shared" ref="%s" si="%s">%s</f>' % (group.encode(), si, escape(moved).encode())
            cell = cell[:child.start()] + master + cell[child.end():]
        out.append(cell)
    if len(out) != content.count(b"<c"):  # not only cells between the cells (unusual): leave the row
        return content
    return b"".join(out)


@lru_cache(maxsize=4096)
def _column_number(letters: bytes) -> int:
    return column_number(letters.decode())


@lru_cache(maxsize=4096)
def _letters(column: int) -> bytes:
    return column_letter(column).encode()


def _new_row(row: int, values: dict[int, Value], context: _Context) -> bytes:
    styles, date1904 = context.column_styles, context.date1904
    cells = b"".join(_cell(row, column, value, styles.get(column), date1904)
                     for column, value in sorted(values.items()))
    return b'<row r="%d">%s</row>' % (row, cells)


def _cell(row: int, column: int, value: Value, style: int | None, date1904: bool = False) -> bytes:
    reference = f'r="{column_letter(column)}{row}"'
    styled = f'{reference} s="{style}"' if style else reference
    if value is None or value == "":
        return f"<c {styled}/>".encode() if style else b""
    if isinstance(value, str):
        return f'<c {styled} t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>'.encode()
    if isinstance(value, bool):
        return f'<c {styled} t="b"><v>{int(value)}</v></c>'.encode()
    if isinstance(value, Decimal):
        number = format(value.normalize() if value == value.to_integral() else value, "f")
    elif isinstance(value, int | float):
        number = repr(value)
    elif isinstance(value, date):  # a datetime too
        number = repr(to_serial(value, date1904=date1904))
    else:
        return _cell(row, column, str(value), style, date1904)
    return f"<c {styled}><v>{number}</v></c>".encode()


# --- new rows, many at a time --------------------------------------------------------------------


def encode_rows(rows: Iterable[tuple[int, int, list[Value]]], column_styles: dict[int, int],
                rows_per_piece: int = 1000, *, date1904: bool = False) -> Iterator[bytes]:
    """New rows (row, first column, values) as sheet XML, in pieces of ``rows_per_piece`` rows.

    The same bytes as ``_new_row`` gives, several times faster: each column's cell openings (its
    letters and style) are made once (``_ColumnTemplate``), a row is one string encoded once, and
    a text is escaped only when it holds a character that needs it (most portal text does not).
    """
    layouts: dict[tuple[int, int], list[_ColumnTemplate]] = {}  # (first column, width): the row's templates
    epoch = EPOCH_1904 if date1904 else EPOCH_1900  # the fast path for plain dates; to_serial for the rest
    piece: list[str] = []
    for row, first_column, values in rows:
        templates = layouts.get((first_column, len(values)))
        if templates is None:
            templates = layouts[first_column, len(values)] = [
                _template(column, column_styles) for column in range(first_column, first_column + len(values))]
        number = str(row)
        cells = []
        for template, value in zip(templates, values, strict=True):
            kind = type(value)
            if kind is str:
                if not value:
                    if template.blank:  # a styled blank: readers that ignore column styles see the cell's
                        cells.append(template.head + number + template.blank)
                    continue
                if not value.isprintable() or "&" in value or "<" in value or ">" in value or "_" in value:
                    value = xml_text(value)
                cells.append(template.head + number + template.text + value + _TEXT_END)
            elif value is None:
                if template.blank:
                    cells.append(template.head + number + template.blank)
                continue
            elif kind is Decimal:
                figure = format(value.normalize() if value == value.to_integral() else value, "f")
                cells.append(template.head + number + template.number + figure + _NUMBER_END)
            elif kind is date:
                cells.append(template.head + number + template.number + str((value - epoch).days) + _NUMBER_END)
            else:  # rarer values (int, float, bool, datetime): the general encoder
                cells.append(_cell(row, template.column, value, template.style, date1904).decode())
        piece.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(piece) >= rows_per_piece:
            yield "".join(piece).encode()
            piece = []
    if piece:
        yield "".join(piece).encode()


@dataclass(frozen=True, slots=True)
class _ColumnTemplate:
    """A column's cell openings around the row number: ``head + row + text + escaped text + _TEXT_END``."""

    column: int
    head: str  # '<c r="AB'
    text: str  # '" s="3" t="inlineStr"><is><t xml:space="preserve">'
    number: str  # '" s="3"><v>'
    blank: str  # '" s="3"/>', or "" for an unstyled column (its blank cells are left out)
    style: int | None


_TEXT_END = "</t></is></c>"
_NUMBER_END = "</v></c>"


def _template(column: int, column_styles: dict[int, int]) -> _ColumnTemplate:
    style = column_styles.get(column)
    styled = f'" s="{style}"' if style else '"'
    return _ColumnTemplate(column, f'<c r="{column_letter(column)}',
                           f'{styled} t="inlineStr"><is><t xml:space="preserve">', f"{styled}><v>",
                           f"{styled}/>" if style else "", style)


def xml_text(value: str) -> str:
    """Text as a cell's XML holds it: escaped, and characters XML cannot carry as _xHHHH_."""
    value = _LOOKS_ESCAPED.sub(r"_x005F_\1", value)
    value = _NOT_XML.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)
    return escape(value)


def _column_styles(head: bytes) -> dict[int, int]:
    styles: dict[int, int] = {}
    for match in _COL.finditer(head):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        style = attributes.get(b"style")
        if style is None or b"min" not in attributes:
            continue
        low = int(attributes[b"min"])
        high = int(attributes.get(b"max") or low)
        for column in range(low, min(high, 16384) + 1):
            styles[column] = int(style)
    return styles


def without_filter_criteria(tail: bytes) -> bytes:
    """The autofilter kept (its arrows) without its criteria or sort state: in a sheet's XML after
    its rows, or in a table part."""
    match = _AUTOFILTER.search(tail)
    if match is None:
        return tail
    return tail[:match.start()] + b"<autoFilter" + match.group(1).rstrip(b"/") + b"/>" + tail[match.end():]


def _grow_dimension(head: bytes, last_row: int, last_column: int) -> bytes:
    """The sheet's used range (``<dimension>``) grown to cover the cells written."""
    match = _DIMENSION.search(head)
    if match is None:
        return head
    end_letters, end_row = (match.group(3), match.group(4)) if match.group(3) else (match.group(1), match.group(2))
    row = max(int(end_row), last_row)
    column = max(column_number(end_letters.decode()), last_column)
    start = match.group(1) + match.group(2)
    updated = b'<dimension ref="%s:%s%d"/>' % (start, column_letter(column).encode(), row)
    return head[:match.start()] + updated + head[match.end():]
