"""Workbook files: read with python-calamine, write with XlsxWriter.

The workbook is always written whole, from a ``BookState``, by the same code that builds the
template, so a book saved by the command line is the template plus data: the same sheets,
dropdowns, conditional formats, protection and, for ``.xlsm``, the same VBA and buttons.
(openpyxl is deliberately not used to re-save books: it drops or rewrites the button shapes.)

Every save is atomic and keeps the previous version beside the book.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .atomic import replacing
from .core import layout
from .core.book import (
    BookState,
    Entry,
    Home,
    LogEntry,
    entry_from_row,
    entry_to_row,
    removed_from_row,
    removed_to_row,
    text_or_none,
)
from .core.problems import InputError, Report
from .core.sections import (
    ACTION_LABELS,
    FIRST_DATA_ROW,
    HEADER_ROW,
    HELP_ROW,
    ITC_LABELS,
    SECTIONS,
    TITLE_ROW,
    Column,
    Kind,
    Section,
)
from .core.summary import reconciliation_rows, summary_rows

LAST_ROW = 1_048_575  # Excel's last row, 0-based
CELL_TEXT_LIMIT = 32_767
TEMPLATE_CREATED = datetime(2026, 1, 1)  # fixed, so the shipped template's bytes never change
BACKUPS_KEPT = 3

_RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
_YELLOW = {"bg_color": "#FFEB9C", "font_color": "#7F6000"}
_ORANGE = {"bg_color": "#F8CBAD"}
_GREEN = {"bg_color": "#C6EFCE"}
_BLUE = {"bg_color": "#DDEBF7"}
_INPUT_FILL = "#FFF9E5"
# Columns whose cells are highlighted when a finding names them (Problem.cell_text's "[Header]").
_HIGHLIGHTED_FIELDS = ("stin", "number", "original_number", "status", "itc", "decl_igst", "decl_cgst",
                       "decl_sgst", "decl_cess", "remarks")


_WRAPPED_FIELDS = ("sheet_errors", "portal_errors", "match_result", "refresh_note")


@dataclass
class MacroSetup:
    """What makes an ``.xlsm``: the VBA project and the ``xlwings.conf`` sheet's entries."""

    vba_project: bytes
    conf: dict[str, str] = field(default_factory=dict)


# --- writing ---------------------------------------------------------------------------------


def write_book(target: str | os.PathLike[str] | io.BytesIO, state: BookState, *,
               macros: MacroSetup | None = None, report: Report | None = None,
               created: datetime = TEMPLATE_CREATED,
               home_extras: Callable[[xlsxwriter.Workbook, Worksheet], None] | None = None) -> None:
    """Write the whole workbook for ``state`` to a path or a binary stream. ``home_extras`` adds
    to Home in its free rows (Excel's 8 to 15) and stands in for the .xlsx's no-buttons note."""
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False, "in_memory": False}
    book = xlsxwriter.Workbook(target, options)
    book.set_properties({"title": "IMS offline workbook", "author": "ims-xl", "created": created,
                         "comments": "Built by ims-xl"})
    styles = _Styles(book)
    if macros is not None:
        book.add_vba_project(io.BytesIO(macros.vba_project), is_stream=True)
        book.set_vba_name("ThisWorkbook")
    home = book.add_worksheet(layout.HOME)
    sections = {section.key: book.add_worksheet(section.sheet) for section in SECTIONS}
    not_in_ims = book.add_worksheet(layout.NOT_IN_IMS)
    removed = book.add_worksheet(layout.REMOVED)
    change_log = book.add_worksheet(layout.CHANGE_LOG)
    extra = {name: book.add_worksheet(name) for name in state.extra_sheets}
    lists = book.add_worksheet(layout.LISTS)
    conf = book.add_worksheet(layout.XLWINGS_CONF) if macros is not None else None

    _write_lists(book, lists)
    _write_home(book, home, state, styles, report, buttons=macros is not None, extras=home_extras)
    state.number_rows()
    for section in SECTIONS:
        _write_section(sections[section.key], section, state.entries[section.key], styles)
    _write_table(not_in_ims, "Register entries with no IMS record: the supplier has not uploaded them yet",
                 layout.NOT_IN_IMS_HEADERS, state.not_in_ims, styles, money_from=4, money_to=8)
    _write_table(removed, "Records gone from the newer download, kept with your inputs",
                 layout.REMOVED_HEADERS, [removed_to_row(r) for r in state.removed], styles,
                 money_from=6, money_to=14, hidden_last=True)
    _write_table(change_log, "Every operation on this workbook", layout.CHANGE_LOG_HEADERS,
                 [line.cells() for line in state.log], styles)
    for name, rows in state.extra_sheets.items():
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells):
                _write_cell(extra[name], r, c, value, None)
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
        self.input = book.add_format({"locked": False, "bg_color": _INPUT_FILL, "border": 1, "num_format": "@"})
        self.money = book.add_format({"num_format": "#,##0.00"})
        self.count = book.add_format({"num_format": "#,##0"})
        self.text = book.add_format({"num_format": "@"})
        self.red = book.add_format(_RED)
        self.yellow = book.add_format(_YELLOW)
        self.orange = book.add_format(_ORANGE)
        self.green = book.add_format(_GREEN)
        self.blue = book.add_format(_BLUE)
        self.plain = book.add_format({"locked": True})
        self._cells: dict[tuple[Kind, bool, bool], Format] = {}

    def cell(self, column: Column) -> Format:
        wrap = column.field in _WRAPPED_FIELDS
        key = (column.kind, column.editable, wrap)
        if key not in self._cells:
            props: dict[str, Any] = {"num_format": {Kind.TEXT: "@", Kind.MONEY: "#,##0.00",
                                                    Kind.DATE: "dd-mm-yyyy", Kind.LABEL: "@"}[column.kind]}
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


def _write_home(book: xlsxwriter.Workbook, sheet: Worksheet, state: BookState, styles: _Styles,
                report: Report | None, *, buttons: bool,
                extras: Callable[[xlsxwriter.Workbook, Worksheet], None] | None = None) -> None:
    sheet.set_column(0, 0, 2)
    sheet.set_column(1, 1, 24)
    sheet.set_column(2, 2, 22)
    sheet.set_column(3, 12, 13)
    sheet.write_string(0, 1, "IMS Offline Workbook (ims-xl)", styles.title)
    if buttons:
        for index, (caption, macro) in enumerate(layout.BUTTONS):
            sheet.insert_button(layout.BUTTON_FIRST_ROW + index * layout.BUTTON_ROW_STEP, layout.BUTTON_COLUMN, {
                "macro": macro, "caption": caption, "width": 230, "height": 30})
    elif extras is None:
        sheet.write_string(layout.BUTTON_FIRST_ROW, layout.BUTTON_COLUMN,
                           "This .xlsx has no buttons: use the ims-xl command line, or open the .xlsm.",
                           styles.help)
    home = state.home
    values = {layout.HOME_GSTIN: home.gstin, layout.HOME_PERIOD: home.period,
              layout.HOME_SOURCE: home.source_file, layout.HOME_LAST_ACTION: home.last_action}
    for (r, c), label in layout.HOME_LABELS.items():
        sheet.write_string(r, c - 1, label, styles.label)
        editable = (r, c) in (layout.HOME_GSTIN, layout.HOME_PERIOD)
        value = values[(r, c)]
        cell_format = styles.input if editable else styles.text
        if value:
            sheet.write_string(r, c, str(value), cell_format)
        else:
            sheet.write_blank(r, c, None, cell_format)
    book.define_name("RecipientGSTIN", f"='{layout.HOME}'!${layout.column_letter(layout.HOME_GSTIN[1])}$"
                     f"{layout.HOME_GSTIN[0] + 1}")
    book.define_name("ReturnPeriod", f"='{layout.HOME}'!${layout.column_letter(layout.HOME_PERIOD[1])}$"
                     f"{layout.HOME_PERIOD[0] + 1}")
    sheet.data_validation(*layout.HOME_GSTIN, *layout.HOME_GSTIN, {
        "validate": "length", "criteria": "==", "value": 15, "error_type": "warning",
        "error_title": "Recipient GSTIN", "error_message": "A GSTIN has 15 characters."})
    if extras is not None:
        extras(book, sheet)

    top = layout.SUMMARY_TOP
    sheet.write_string(top - 1, 1, "Summary by section and status (tax = IGST + CGST + SGST + Cess)", styles.label)
    for c, header in enumerate(layout.SUMMARY_HEADERS):
        sheet.write_string(top, 1 + c, header, styles.header)
    for r, row in enumerate(summary_rows(state, report), start=top + 1):
        for c, value in enumerate(row):
            style = styles.money if 6 <= c <= 9 else styles.count
            _write_cell(sheet, r, 1 + c, value, style if c else styles.label)

    recon = layout.RECON_TOP
    sheet.write_string(recon - 1, 1, "Reconciliation with the purchase register", styles.label)
    for c, header in enumerate(layout.RECON_HEADERS):
        sheet.write_string(recon, 1 + c, header, styles.header)
    for r, row in enumerate(reconciliation_rows(state), start=recon + 1):
        for c, value in enumerate(row):
            _write_cell(sheet, r, 1 + c, value, styles.money if c == 2 else (styles.count if c else None))

    chart = book.add_chart({"type": "column"})
    total_row = top + layout.SUMMARY_ROWS
    chart.add_series({
        "name": "ITC by status",
        "categories": [layout.HOME, top, 7, top, 10],
        "values": [layout.HOME, total_row, 7, total_row, 10],
        "data_labels": {"value": True, "num_format": "#,##0"},
    })
    chart.set_title({"name": "ITC by status"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": "#,##0"})
    chart.set_size({"width": 520, "height": 260})
    sheet.insert_chart(layout.BUTTON_FIRST_ROW, layout.BUTTON_COLUMN + 3, chart)

    _print_setup(sheet)
    for offset, line in enumerate(layout.INSTRUCTIONS):
        sheet.write_string(layout.INSTRUCTIONS_TOP + offset, 1, line, styles.label if offset == 0 else None)
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True,
                       "objects": False})


def _write_section(sheet: Worksheet, section: Section, entries: Sequence[Entry], styles: _Styles) -> None:
    columns = section.columns
    last_column = len(columns) - 1
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width, styles.cell(column), {"hidden": column.hidden})
    # Rows go out in order (constant_memory); above the header, input columns get plain locked cells.
    editable = [c for c, column in enumerate(columns) if column.editable]
    texts = {TITLE_ROW - 1: (f"{section.sheet}: {section.title}", styles.title),
             HELP_ROW - 1: ("Choose Status (and Remarks, ITC to be reduced where asked) in the yellow columns; "
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
        for c, value in enumerate(entry_to_row(entry)):
            if value is None or value == "":
                continue
            writers[c](r, c, value, cell_formats[c])
    _section_rules(sheet, section, styles)
    _print_setup(sheet, repeat_to=HEADER_ROW - 1)
    # The filter covers whole columns: rows that Excel's Open button adds later are filtered too.
    sheet.autofilter(HEADER_ROW - 1, 0, LAST_ROW, last_column)
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
    first = FIRST_DATA_ROW - 1
    status = section.index("status")
    sheet.data_validation(first, status, LAST_ROW, status, {
        "validate": "list", "source": "=StatusList", "error_type": "warning",
        "error_title": "Status", "error_message": "Choose Accept, Reject, Pending or No Action."})
    remarks = section.index("remarks")
    sheet.data_validation(first, remarks, LAST_ROW, remarks, {
        "validate": "length", "criteria": "<=", "value": 250, "error_type": "warning",
        "error_title": "Remarks", "error_message": "The portal takes at most 250 characters."})
    if section.takes_itc_declaration:
        itc = section.index("itc")
        sheet.data_validation(first, itc, LAST_ROW, itc, {
            "validate": "list", "source": "=ItcList", "error_type": "warning",
            "error_title": "ITC to be reduced", "error_message": "Choose Yes or No."})
        low, high = section.index("decl_igst"), section.index("decl_cess")
        sheet.data_validation(first, low, LAST_ROW, high, {
            "validate": "decimal", "criteria": ">=", "value": 0, "error_type": "warning",
            "error_title": "Declared amount", "error_message": "Type an amount of 0 or more."})

    errors = layout.column_letter(section.index("sheet_errors"))
    portal = layout.column_letter(section.index("portal_errors"))
    anchor = FIRST_DATA_ROW

    def rule(column: int, formula: str, style: Format) -> None:
        sheet.conditional_format(first, column, LAST_ROW, column, {
            "type": "formula", "criteria": formula, "format": style, "stop_if_true": True})

    for field_name in _HIGHLIGHTED_FIELDS:
        try:
            c = section.index(field_name)
        except KeyError:
            continue
        header = section.columns[c].header
        rule(c, f'=ISNUMBER(SEARCH("ERROR [{header}]",${errors}{anchor}))', styles.red)
        rule(c, f'=ISNUMBER(SEARCH("WARNING [{header}]",${errors}{anchor}))', styles.yellow)
    status_letter = layout.column_letter(status)
    rule(status, f'=${portal}{anchor}<>""', styles.orange)
    previous = layout.column_letter(section.index("previous_status"))
    rule(status, f'=AND(${status_letter}{anchor}<>"",${status_letter}{anchor}<>${previous}{anchor})', styles.green)
    rule(section.index("sheet_errors"), f'=ISNUMBER(SEARCH("ERROR",${errors}{anchor}))', styles.red)
    rule(section.index("sheet_errors"), f'=${errors}{anchor}<>""', styles.yellow)
    rule(section.index("portal_errors"), f'=${portal}{anchor}<>""', styles.orange)
    note = section.index("refresh_note")
    rule(note, f'=${layout.column_letter(note)}{anchor}<>""', styles.blue)


def _write_table(sheet: Worksheet, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                 styles: _Styles, *, money_from: int = -1, money_to: int = -1, hidden_last: bool = False) -> None:
    sheet.write_string(0, 0, title, styles.title)
    for c, header in enumerate(headers):
        sheet.write_string(layout.AUX_HEADER_ROW, c, header, styles.header)
        width = 14 if money_from <= c <= money_to else 20
        sheet.set_column(c, c, width, styles.money if money_from <= c <= money_to else styles.text,
                         {"hidden": hidden_last and c == len(headers) - 1})
    count = 0
    for r, cells in enumerate(rows, start=layout.AUX_HEADER_ROW + 1):
        count += 1
        for c, value in enumerate(cells):
            style = styles.money if money_from <= c <= money_to else styles.text
            _write_cell(sheet, r, c, value, style, where=(sheet.name, r))
    sheet.autofilter(layout.AUX_HEADER_ROW, 0, layout.AUX_HEADER_ROW + max(count, 1), len(headers) - 1)
    sheet.freeze_panes(layout.AUX_HEADER_ROW + 1, 0)
    _print_setup(sheet, repeat_to=layout.AUX_HEADER_ROW)


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
            place = f"{where[0]} row {where[1] + 1}" if where else sheet.name
            raise InputError(f"{place}: a text of {len(value):,} characters is longer than an Excel cell holds")
        sheet.write_string(r, c, value, style)  # never write_formula: portal text stays text
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value, style)
    elif isinstance(value, Decimal | int | float):
        sheet.write_number(r, c, float(value), style)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(r, c, value, style)
    else:
        sheet.write_string(r, c, str(value), style)


# --- reading ---------------------------------------------------------------------------------


_KNOWN_SHEETS = {layout.HOME, layout.NOT_IN_IMS, layout.REMOVED, layout.CHANGE_LOG, layout.LISTS,
                 layout.XLWINGS_CONF, "_xlwings.conf", *(s.sheet for s in SECTIONS)}


def read_book(path: str | os.PathLike[str]) -> BookState:
    """Read an ims-xl workbook (as written by this tool and edited in Excel or LibreOffice)."""
    file = Path(path)
    name = file.name
    if not file.exists():
        raise InputError(f"{file}: no such workbook")
    try:
        book = CalamineWorkbook.from_path(str(file))
    except (CalamineError, OSError, ValueError) as error:
        raise InputError(f"{name}: not an Excel workbook that can be read ({_first_line(error)})") from None
    except Exception as error:  # calamine raises its own types for damaged zips and XML
        raise InputError(f"{name}: not an Excel workbook that can be read ({_first_line(error)})") from None
    sheets = set(book.sheet_names)
    missing = [sheet for sheet in (layout.HOME, *(s.sheet for s in SECTIONS)) if sheet not in sheets]
    if missing:
        raise InputError(f"{name}: not an ims-xl workbook (no sheet {', '.join(missing)})")
    state = BookState(home=_read_home(book))
    for section in SECTIONS:
        state.entries[section.key] = _read_section(book, section, name)
    if layout.REMOVED in sheets:
        state.removed = [removed_from_row(cells, r) for r, cells in _aux_rows(book, layout.REMOVED)]
    if layout.NOT_IN_IMS in sheets:
        state.not_in_ims = [list(cells) for _, cells in _aux_rows(book, layout.NOT_IN_IMS)]
    if layout.CHANGE_LOG in sheets:
        state.log = [LogEntry(*(str(v) if v not in (None, "") else "" for v in (list(cells) + [""] * 5)[:5]))
                     for _, cells in _aux_rows(book, layout.CHANGE_LOG)]
    for sheet_name in book.sheet_names:
        if sheet_name not in _KNOWN_SHEETS:
            state.extra_sheets[sheet_name] = [
                [None if v == "" else v for v in row]
                for row in book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
            ]
    return state


def _read_home(book: CalamineWorkbook) -> Home:
    rows = book.get_sheet_by_name(layout.HOME).to_python(skip_empty_area=False)

    def cell(position: tuple[int, int]) -> str | None:
        r, c = position
        if r < len(rows) and c < len(rows[r]):
            return text_or_none(rows[r][c])
        return None

    gstin = cell(layout.HOME_GSTIN)
    return Home(gstin=gstin.upper() if gstin else None, period=cell(layout.HOME_PERIOD),
                source_file=cell(layout.HOME_SOURCE), last_action=cell(layout.HOME_LAST_ACTION))


def _read_section(book: CalamineWorkbook, section: Section, name: str) -> list[Entry]:
    sheet = book.get_sheet_by_name(section.sheet)
    columns = section.columns
    entries: list[Entry] = []
    first_row, first_column = sheet.start or (0, 0)  # calamine skips leading empty rows and columns
    for index, cells in enumerate(sheet.iter_rows()):
        row = index + 1 + first_row
        if row < HEADER_ROW:
            continue
        if row == HEADER_ROW:
            _check_headers(section, cells, name, first_column)
            continue
        if first_column:
            cells = [""] * first_column + list(cells)
        if all(value == "" or value is None for value in cells):
            continue
        entries.append(entry_from_row(section, [None if v == "" else v for v in cells[:len(columns)]], row))
    return entries


def _check_headers(section: Section, cells: Sequence[Any], name: str, offset: int) -> None:
    found = [""] * offset + [str(v).strip() for v in cells]
    for c, column in enumerate(section.columns):
        actual = found[c] if c < len(found) else ""
        if actual != column.header:
            raise InputError(
                f"{name}: sheet {section.sheet}, column {layout.column_letter(c)}: expected the header "
                f"'{column.header}', found '{actual}' (is this workbook from ims-xl?)")


def _aux_rows(book: CalamineWorkbook, sheet_name: str) -> Iterable[tuple[int, list[Any]]]:
    rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    for index in range(layout.AUX_HEADER_ROW + 1, len(rows)):
        cells = [None if v == "" else v for v in rows[index]]
        if any(v is not None for v in cells):
            yield index + 1, cells


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


# --- saving safely ---------------------------------------------------------------------------


def save_book(path: str | os.PathLike[str], state: BookState, *, macros: MacroSetup | None,
              report: Report | None = None, keep: int = BACKUPS_KEPT, now: datetime | None = None) -> Path | None:
    """Write the book atomically; an existing book is first copied to ``NAME-YYYYMMDD-HHMMSS.ext``.

    Returns the backup's path, if one was made. A failure leaves the old book untouched.
    """
    file = Path(path)
    moment = now or datetime.now()
    backup: Path | None = None
    with replacing(file) as temporary:
        write_book(temporary, state, macros=macros, report=report, created=moment)
        if file.exists():
            backup = _backup_path(file, moment)
            shutil.copy2(file, backup)
    _prune_backups(file, keep)
    return backup


def _backup_path(file: Path, moment: datetime) -> Path:
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    candidate = file.with_name(f"{file.stem}-{stamp}{file.suffix}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = file.with_name(f"{file.stem}-{stamp}-{counter}{file.suffix}")
    return candidate


def backups_of(file: Path) -> list[Path]:
    """Backups of a book, oldest first."""
    pattern = f"{file.stem}-????????-??????*{file.suffix}"
    return sorted(file.parent.glob(pattern))


def _prune_backups(file: Path, keep: int) -> None:
    for old in backups_of(file)[:-keep] if keep else backups_of(file):
        old.unlink(missing_ok=True)


# --- the command line's workbook port ---------------------------------------------------------


def read_conf(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``xlwings.conf`` sheet's entries of an existing book (empty if it has none)."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        if layout.XLWINGS_CONF not in book.sheet_names:
            return {}
        rows = book.get_sheet_by_name(layout.XLWINGS_CONF).to_python(skip_empty_area=False)
    except Exception:
        return {}
    return {str(row[0]): str(row[1]) for row in rows if len(row) > 1 and row[0] not in ("", None)}


class FilePort:
    """A workbook file as the actions' port: read whole, written whole (atomically, with a backup).

    Filters need no clearing: the file is rewritten without filter criteria or hidden rows.
    """

    def __init__(self, path: str | os.PathLike[str], *, new: bool = False,
                 conf: dict[str, str] | None = None, progress: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self.new = new  # a new book: nothing to read yet
        self._conf = conf
        self._progress = progress or (lambda message: None)
        self.backup: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def has_macros(self) -> bool:
        return self.path.suffix.lower() == ".xlsm"

    def load(self) -> BookState:
        if self.new:
            return BookState()
        self._progress(f"Reading {self.path.name}")
        state = read_book(self.path)
        self._progress(f"Read {len(state.all_entries()):,} records")
        return state

    def clear_filters(self) -> None:
        return None

    def save(self, state: BookState, report: Report | None, fields: frozenset[str] | None) -> None:
        from .template import macro_setup, this_interpreter_conf

        macros = None
        if self.has_macros:
            conf = self._conf
            if conf is None:
                conf = this_interpreter_conf() if self.new else read_conf(self.path)
            macros = macro_setup(conf)
        self._progress(f"Writing {self.path.name}")
        self.backup = save_book(self.path, state, macros=macros, report=report)
        self.new = False
