"""A new workbook, written with XlsxWriter from the sheet descriptions in ``core.layout``.

This builds the template and every new book: Home (fields, buttons, summary tables, chart,
instructions), the section sheets (headers, formats, dropdowns, highlighting rules, filters,
protection), the auxiliary sheets and, for ``.xlsm``, the VBA project and ``xlwings.conf``.
Books that exist are never rewritten: ``files.fileport`` edits them in place.

XlsxWriter counts rows and columns from 0; the descriptions count as Excel does, from 1. The
conversion happens here and nowhere else (``_rc``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # XlsxWriter is imported when a book is written: most commands only patch one
    import xlsxwriter
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

from .. import __version__
from ..core import codec, layout
from ..core.book import BookState, Entry, text_or_none
from ..core.layout import Cell, Table
from ..core.problems import InputError
from ..core.sections import (
    ACTION_LABELS,
    DECLARED_FIELDS,
    FIRST_DATA_ROW,
    HEADER_ROW,
    ITC_LABELS,
    SECTIONS,
    Column,
    Kind,
    Section,
)

LAST_ROW = 1_048_576  # Excel's last row
CELL_TEXT_LIMIT = 32_767
TEMPLATE_CREATED = datetime(2026, 1, 1)  # fixed, so the shipped template's bytes never change
VERSION_PROPERTY = "ims-xl version"  # a custom document property: which ims-xl wrote the book

_RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
_YELLOW = {"bg_color": "#FFEB9C", "font_color": "#7F6000"}
_ORANGE = {"bg_color": "#F8CBAD"}
_GREEN = {"bg_color": "#C6EFCE"}
_BLUE = {"bg_color": "#DDEBF7"}
_GREY = {"bg_color": "#D9D9D9", "font_color": "#595959"}  # an input the portal does not allow for the row
_PURPLE = {"bg_color": "#E4DFEC", "font_color": "#5B2C6F", "bold": True}  # a decision to take again
_INPUT_FILL = "#FFF9E5"
_NUMBER_FORMATS = {Kind.TEXT: "@", Kind.MONEY: layout.MONEY_FORMAT, Kind.DATE: "dd-mm-yyyy", Kind.LABEL: "@",
                   Kind.COUNT: "#,##0"}


def _rc(cell: Cell) -> tuple[int, int]:
    """An Excel-numbered cell as XlsxWriter's 0-based (row, column)."""
    return cell.row - 1, cell.column - 1


@dataclass
class MacroSetup:
    """What makes an ``.xlsm``: the VBA project and the ``xlwings.conf`` sheet's entries."""

    vba_project: bytes
    conf: dict[str, str] = field(default_factory=dict)


# --- writing ---------------------------------------------------------------------------------


def write_book(target: str | os.PathLike[str] | io.BytesIO, state: BookState, *,
               macros: MacroSetup | None = None, findings: Mapping[str, tuple[int, int]] | None = None,
               recon: Mapping[str, tuple[int, Any]] | None = None, rows: bool = True,
               created: datetime = TEMPLATE_CREATED, home_extras: HomeExtras | None = None) -> None:
    """Write a whole new workbook for ``state`` to a path or a binary stream.

    ``rows=False`` leaves the section sheets' data rows out (the file port streams them in).
    ``home_extras``: see ``_write_home``.
    """
    import xlsxwriter

    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False, "in_memory": False}
    book = xlsxwriter.Workbook(target, options)
    book.set_properties({"title": "IMS offline workbook", "author": "ims-xl", "created": created,
                         "comments": "Built by ims-xl"})
    book.set_custom_property(VERSION_PROPERTY, __version__)  # read by ims-xl doctor
    styles = _Styles(book)
    if macros is not None:
        book.add_vba_project(io.BytesIO(macros.vba_project), is_stream=True)
        book.set_vba_name("ThisWorkbook")
    home = book.add_worksheet(layout.HOME)
    sections = {section.key: book.add_worksheet(section.sheet) for section in SECTIONS}
    aux = {table.sheet: book.add_worksheet(table.sheet) for table in layout.AUX_TABLES}
    lists = book.add_worksheet(layout.LISTS)
    conf = book.add_worksheet(layout.XLWINGS_CONF) if macros is not None else None

    _write_lists(book, lists)
    _write_home(book, home, state, styles, findings, recon, buttons=macros is not None, extras=home_extras)
    for section in SECTIONS:
        entries = state.entries[section.key] if rows else []
        for offset, entry in enumerate(entries):
            entry.row = FIRST_DATA_ROW + offset
        _write_section(sheet=sections[section.key], section=section, entries=entries, styles=styles)
    tables = {**codec.aux_tables(state), layout.CHANGE_LOG: codec.log_rows(state.log)}
    for table in layout.AUX_TABLES:
        _write_table(aux[table.sheet], table, tables[table.sheet], styles)
    if conf is not None and macros is not None:
        for r, (key, value) in enumerate(macros.conf.items()):
            conf.write_string(r, 0, key)
            conf.write_string(r, 1, value)
        conf.hide()
    home.activate()
    book.close()


class _Styles:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.help = book.add_format({"italic": True, "font_color": "#595959"})
        self.header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#D9E1F2",
                                       "border": 1})
        self.input_header = book.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                             "bg_color": "#FFE699", "border": 1})
        self.label = book.add_format({"bold": True})
        self.label_top = book.add_format({"bold": True, "valign": "top"})  # beside a wrapped value
        self.input = book.add_format({"locked": False, "bg_color": _INPUT_FILL, "border": 1, "num_format": "@"})
        self.text = book.add_format({"num_format": "@"})
        self.red = book.add_format(_RED)
        self.yellow = book.add_format(_YELLOW)
        self.orange = book.add_format(_ORANGE)
        self.green = book.add_format(_GREEN)
        self.blue = book.add_format(_BLUE)
        self.grey = book.add_format(_GREY)
        self.legend = {name: book.add_format({**fill, "border": 1}) for name, fill in
                       (("green", _GREEN), ("red", _RED), ("yellow", _YELLOW), ("orange", _ORANGE),
                        ("blue", _BLUE), ("grey", _GREY))}
        self.wrapped_text = book.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
        self.signed_money = book.add_format({"num_format": layout.SIGNED_MONEY_FORMAT})
        self.purple = book.add_format(_PURPLE)
        self.plain = book.add_format({"locked": True})
        self._cells: dict[tuple[Kind, bool, bool, bool], Format] = {}

    def cell(self, column: Column) -> Format:
        wrap = column.wrapped
        key = (column.kind, column.editable, wrap, column.signed)
        if key not in self._cells:
            number_format = layout.SIGNED_MONEY_FORMAT if column.signed else _NUMBER_FORMATS[column.kind]
            props: dict[str, Any] = {"num_format": number_format}
            if column.editable:
                props.update(locked=False, bg_color=_INPUT_FILL)
            if wrap:  # several findings, one per line: all of them visible
                props.update(text_wrap=True, valign="top")
            self._cells[key] = self.book.add_format(props)
        return self._cells[key]


def _write_lists(book: xlsxwriter.Workbook, sheet: Worksheet) -> None:
    # constant_memory mode drops writes to rows already left behind: write row by row.
    statuses, answers = list(ACTION_LABELS.values()), list(ITC_LABELS.values())
    for r in range(max(len(statuses), len(answers))):
        if r < len(statuses):
            sheet.write_string(r, 0, statuses[r])
        if r < len(answers):
            sheet.write_string(r, 1, answers[r])
    book.define_name("StatusList", f"='{layout.LISTS}'!$A$1:$A${len(statuses)}")
    book.define_name("ItcList", f"='{layout.LISTS}'!$B$1:$B${len(answers)}")
    sheet.hide()


HomeExtras = Callable[["xlsxwriter.Workbook", "Worksheet"], Mapping[Cell, tuple[Any, dict[str, Any] | None]]]


def _write_home(book: xlsxwriter.Workbook, sheet: Worksheet, state: BookState, styles: _Styles,
                findings: Mapping[str, tuple[int, int]] | None, recon: Mapping[str, tuple[int, Any]] | None,
                *, buttons: bool, extras: HomeExtras | None = None) -> None:
    """Home, top to bottom (constant_memory: every row is written once, in order).

    ``extras`` (the Lite edition's) may add shapes and returns cells to write, each with its
    format's properties; it stands in for the .xlsx's no-buttons note.
    """
    for first, last, width in layout.HOME_WIDTHS:
        sheet.set_column(first - 1, last - 1, width)
    areas = layout.WRAPPED_AREAS
    for area_top, (area_bottom, height) in sorted(areas.items(), key=lambda item: item[0].row):
        for area_row in range(area_top.row, area_bottom.row + 1):
            sheet.set_row(area_row - 1, height)
    cells = _HomeCells()
    cells[layout.HOME_TITLE] = ("IMS Offline Workbook (ims-xl)", styles.title)
    if extras is not None:
        for cell, (value, properties) in extras(book, sheet).items():
            cells[cell] = (value, book.add_format(properties) if properties else None)
    elif not buttons:
        cells[layout.BUTTON_TOP] = ("This .xlsx has no buttons: use the ims-xl command line, or open the .xlsm.",
                                    styles.help)
    values = codec.home_field_values(state.home)
    for home_field in layout.HOME_FIELDS:
        wrapped = home_field.cell in areas
        cells[Cell(home_field.cell.row, home_field.cell.column - 1)] = (
            home_field.label, styles.label_top if wrapped else styles.label)
        style = styles.input if home_field.editable else styles.text
        cells[home_field.cell] = (values[home_field.cell] or None, styles.wrapped_text if wrapped else style)
        if home_field.name:
            book.define_name(home_field.name, f"='{layout.HOME}'!${layout.column_letter(home_field.cell.column)}$"
                             f"{home_field.cell.row}")
    gstin = layout.HOME_FIELD["gstin"].cell
    sheet.data_validation(*_rc(gstin), *_rc(gstin), {
        "validate": "length", "criteria": "==", "value": 15, "error_type": "warning",
        "error_title": "Recipient GSTIN", "error_message": "A GSTIN has 15 characters."})

    blocks = dict(codec.home_blocks(state, findings=findings or {}, recon=recon or {}))
    for table in layout.HOME_TABLES:
        cells[Cell(table.header_row - 1, table.left)] = (table.title, styles.label)
        for offset, column in enumerate(table.columns):
            cells[Cell(table.header_row, table.left + offset)] = (column.header, styles.header)
        rows = blocks.get(Cell(table.first_row, table.left)) or [[label] for label in table.row_labels]
        signed = {table.row_labels.index(label) for key, label in layout.ITC_ROWS
                  if key in layout.ITC_SIGNED_ROWS} if table is layout.ITC_TABLE else set()
        for r, row in enumerate(rows):
            for offset, value in enumerate(row):
                column = table.columns[offset]
                style = (styles.label if offset == 0 else styles.signed_money if r in signed
                         else styles.cell(column))
                cells[Cell(table.first_row + r, table.left + offset)] = (value, style)
    # The Lite edition keeps its status and file cells where the instructions go in a macro book.
    instructions = layout.INSTRUCTIONS_TOP if extras is None else layout.INSTRUCTIONS_BELOW_TABLES
    for offset, line in enumerate(layout.INSTRUCTIONS):
        cells[instructions.down(offset)] = (line, styles.label if offset == 0 else None)
    cells[layout.LEGEND_TOP] = (layout.LEGEND_TITLE, styles.label)
    for offset, (name, colour, meaning) in enumerate(layout.LEGEND, start=1):
        cells[layout.LEGEND_TOP.down(offset)] = (colour, styles.legend[name])
        cells[layout.LEGEND_TOP.down(offset).right()] = (meaning, None)

    # A merged area goes last in its row: it writes its lower rows too (constant_memory: no going back).
    for cell in sorted(cells, key=lambda c: (c.row, c in areas, c.column)):
        value, style = cells[cell]
        r, c = _rc(cell)
        if cell in areas:  # a long text wraps over its area
            sheet.merge_range(r, c, *_rc(areas[cell][0]), value or "", style)
        elif value is None or value == "":
            if style is not None:
                sheet.write_blank(r, c, None, style)
        else:
            _write_cell(sheet, r, c, value, style)

    if buttons:
        for index, (caption, macro) in enumerate(layout.BUTTONS):
            r, c = _rc(layout.BUTTON_TOP.down(index * layout.BUTTON_ROW_STEP))
            sheet.insert_button(r, c, {"macro": macro, "caption": caption, "width": 230, "height": 30})
    _status_chart(book, sheet)
    _print_setup(sheet)
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True,
                       "objects": False})


class _HomeCells(dict[Cell, tuple[Any, "Format | None"]]):
    """Home's cells as they are placed: two things placed on one cell (a field over an instruction
    line) is a fault in the layout, refused when any book is built rather than shown to a user."""

    def __setitem__(self, cell: Cell, value: tuple[Any, Format | None]) -> None:
        if cell in self:
            raise AssertionError(f"Home {cell.a1}: {self[cell][0]!r} and {value[0]!r} are both placed there")
        super().__setitem__(cell, value)


def _status_chart(book: xlsxwriter.Workbook, sheet: Worksheet) -> None:
    table = layout.SUMMARY_TABLE
    first, last = table.column_of("tax_N") - 1, table.column_of("tax_P") - 1
    chart = book.add_chart({"type": "column"})
    chart.add_series({  # the summary's Total row, "Tax: No Action" to "Tax: Pending", as its title says
        "name": layout.CHART_TITLE,
        "categories": [layout.HOME, table.header_row - 1, first, table.header_row - 1, last],
        "values": [layout.HOME, table.last_row - 1, first, table.last_row - 1, last],
        "data_labels": {"value": True, "num_format": layout.WHOLE_RUPEES_FORMAT},
    })
    chart.set_title({"name": layout.CHART_TITLE, "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": layout.WHOLE_RUPEES_FORMAT})
    chart.set_size({"width": 520, "height": 260})
    sheet.insert_chart(*_rc(layout.CHART_TOP), chart)


def _write_section(sheet: Worksheet, section: Section, entries: Sequence[Entry], styles: _Styles) -> None:
    columns = section.columns
    last_column = len(columns) - 1
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width, styles.cell(column), {"hidden": column.hidden})
    # Rows go out in order (constant_memory); above the header, input columns get plain locked cells.
    editable = [c for c, column in enumerate(columns) if column.editable]
    table = layout.section_table(section)
    texts = {0: (table.title, styles.title),
             1: ("Choose Status (and Remarks, ITC to be reduced where asked) in the yellow columns; "
                 "then press Validate Sheet on Home.", styles.help)}
    for r in range(HEADER_ROW - 1):
        if r in texts:
            sheet.write_string(r, 0, *texts[r])
        for c in editable:
            sheet.write_blank(r, c, None, styles.plain)
    for c, column in enumerate(columns):
        sheet.write_string(HEADER_ROW - 1, c, column.header,
                           styles.input_header if column.editable else styles.header)
    sheet.set_row(HEADER_ROW - 1, 60)
    cell_formats = [styles.cell(column) for column in columns]
    writers = [_column_writer(sheet, column.kind) for column in columns]
    first = FIRST_DATA_ROW - 1
    for offset, entry in enumerate(entries):
        r = first + offset
        for c, value in enumerate(codec.section_row(entry)):
            if value is None or value == "":
                continue
            writers[c](r, c, value, cell_formats[c])
    _section_rules(sheet, section, styles)
    _print_setup(sheet, repeat_to=HEADER_ROW - 1)
    # The filter covers whole columns: rows that Excel's Open button adds later are filtered too.
    sheet.autofilter(HEADER_ROW - 1, 0, LAST_ROW - 1, last_column)
    sheet.freeze_panes(first, section.index("number") + 1)
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})


def _print_setup(sheet: Worksheet, *, repeat_to: int | None = None) -> None:
    """Landscape, one page wide: wide sheets print (and render to PDF) readably."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    if repeat_to is not None:
        sheet.repeat_rows(0, repeat_to)


def _section_rules(sheet: Worksheet, section: Section, styles: _Styles) -> None:
    """Dropdowns and conditional formats, each over whole columns: one rule, any number of rows."""
    from ..core.rules import REMARKS_MAX

    first, last = FIRST_DATA_ROW - 1, LAST_ROW - 1
    status = section.index("status")
    sheet.data_validation(first, status, last, status, {
        "validate": "list", "source": "=StatusList", "error_type": "warning",
        "error_title": "Status", "error_message": "Choose Accept, Reject, Pending or No Action."})
    remarks = section.index("remarks")
    sheet.data_validation(first, remarks, last, remarks, {
        "validate": "length", "criteria": "<=", "value": REMARKS_MAX, "error_type": "warning",
        "error_title": "Remarks", "error_message": f"The portal takes at most {REMARKS_MAX} characters."})
    if section.takes_itc_declaration:
        itc = section.index("itc")
        sheet.data_validation(first, itc, last, itc, {
            "validate": "list", "source": "=ItcList", "error_type": "warning",
            "error_title": "ITC to be reduced", "error_message": "Choose Yes or No."})
        low, high = section.index("decl_igst"), section.index("decl_cess")
        sheet.data_validation(first, low, last, high, {
            "validate": "decimal", "criteria": ">=", "value": 0, "error_type": "warning",
            "error_title": "Declared amount", "error_message": "Type an amount of 0 or more."})

    def letter(field_name: str) -> str:
        return layout.column_letter(section.index(field_name) + 1)

    errors, portal, anchor = letter("sheet_errors"), letter("portal_errors"), FIRST_DATA_ROW

    status_letter, previous = letter("status"), letter("previous_status")

    def rule(column: int, formula: str, style: Format) -> None:
        sheet.conditional_format(first, column, last, column, {
            "type": "formula", "criteria": formula, "format": style, "stop_if_true": True})

    for c, column in enumerate(section.columns):
        if not column.highlighted:
            continue
        header = column.header
        rule(c, f'=ISNUMBER(SEARCH("{layout.finding_tag(True, header)}",${errors}{anchor}))', styles.red)
        rule(c, f'=ISNUMBER(SEARCH("{layout.finding_tag(False, header)}",${errors}{anchor}))', styles.yellow)
    rule(status, f'=${portal}{anchor}<>""', styles.orange)
    # A decision the supplier's edit reset, until the user decides again (Status moves off the portal's).
    note_letter = letter("refresh_note")
    rule(status, f'=AND(ISNUMBER(SEARCH("{layout.RESET_MARK}",${note_letter}{anchor})),'
                 f'${status_letter}{anchor}=${previous}{anchor})', styles.purple)
    rule(status, f'=AND(${status_letter}{anchor}<>"",${status_letter}{anchor}<>${previous}{anchor})', styles.green)
    rule(section.index("sheet_errors"), f'=ISNUMBER(SEARCH("{layout.ERROR_TAG}",${errors}{anchor}))', styles.red)
    # A hint alone (``layout.HINT_TAG``) is advice: not coloured.
    rule(section.index("sheet_errors"), f'=ISNUMBER(SEARCH("{layout.WARNING_TAG}",${errors}{anchor}))', styles.yellow)
    # Inputs the portal blocks for the row, grey before any validation: after the finding colours,
    # which win where both apply (LibreOffice shows only the first rule that holds).
    blocked = [("pending_blocked", ("status",)), ("remarks_blocked", ("remarks",)),
               ("itc_blocked", ("itc", *DECLARED_FIELDS))]
    for flag, fields in blocked:
        if not any(column.field == flag for column in section.columns):
            continue
        for field_name in fields:
            rule(section.index(field_name), f'=${letter(flag)}{anchor}="Y"', styles.grey)
    rule(section.index("portal_errors"), f'=${portal}{anchor}<>""', styles.orange)
    note = section.index("refresh_note")
    rule(note, f'=${letter("refresh_note")}{anchor}<>""', styles.blue)


def _write_table(sheet: Worksheet, table: Table, rows: Iterable[Sequence[Any]], styles: _Styles) -> None:
    sheet.write_string(0, table.left - 1, table.title, styles.title)
    header = table.header_row - 1
    for offset, column in enumerate(table.columns):
        c = table.left - 1 + offset
        sheet.write_string(header, c, column.header, styles.header)
        sheet.set_column(c, c, column.width, styles.cell(column), {"hidden": column.hidden})
    for r, cells in enumerate(rows, start=table.first_row - 1):
        for offset, value in enumerate(cells):
            _write_cell(sheet, r, table.left - 1 + offset, value, styles.cell(table.columns[offset]),
                        where=(sheet.name, r))
    # Whole columns, as on the section sheets: rows added later are filtered too.
    sheet.autofilter(header, table.left - 1, LAST_ROW - 1, table.left - 2 + table.width)
    sheet.freeze_panes(table.first_row - 1, 0)
    _print_setup(sheet, repeat_to=header)


def _column_writer(sheet: Worksheet, kind: Kind) -> Callable[[int, int, Any, Format], None]:
    """The writer for one column: a direct XlsxWriter call for the values the column expects.

    At 100,000 rows a general type dispatch for each of some two million cells costs seconds.
    """
    write_string, write_number = sheet.write_string, sheet.write_number

    def text(r: int, c: int, value: Any, style: Format) -> None:
        if type(value) is str and len(value) <= CELL_TEXT_LIMIT:
            write_string(r, c, value, style)  # never write_formula: portal text stays text
        else:
            _write_cell(sheet, r, c, value if isinstance(value, str) else text_or_none(value), style,
                        where=(sheet.name, r))

    def money(r: int, c: int, value: Any, style: Format) -> None:
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            write_number(r, c, float(value), style)
        else:
            _write_cell(sheet, r, c, value, style, where=(sheet.name, r))

    def other(r: int, c: int, value: Any, style: Format) -> None:
        _write_cell(sheet, r, c, value, style, where=(sheet.name, r))

    return {Kind.TEXT: text, Kind.LABEL: text, Kind.MONEY: money}.get(kind, other)


def _write_cell(sheet: Worksheet, r: int, c: int, value: Any, style: Format | None,
                where: tuple[str, int] | None = None) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str):
        if len(value) > CELL_TEXT_LIMIT:
            sheet_name, row = (where[0], where[1] + 1) if where else (sheet.name, None)
            place = f"{sheet_name} row {row}" if row else sheet_name
            raise InputError(f"{place}: a text of {len(value):,} characters is longer than an Excel cell holds",
                             code="text-too-long", sheet=sheet_name, row=row)
        sheet.write_string(r, c, value, style)  # never write_formula: portal text stays text
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value, style)
    elif isinstance(value, Decimal | int | float):
        sheet.write_number(r, c, float(value), style)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(r, c, value, style)
    else:
        sheet.write_string(r, c, str(value), style)
