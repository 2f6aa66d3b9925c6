"""A ``layout.Table`` written as a sheet of its own by XlsxWriter: the reports the tool hands out
(the supplier pack, the practice dashboard).

The description decides everything: title above, header row, widths, each column's number format by
its kind, wrapped columns, the totals row, frozen header, filter and print setup (A4 landscape, one
page wide, header row on every page). Text is always written as text, never as a formula or a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.layout import MONEY_FORMAT, SIGNED_MONEY_FORMAT, TOTAL_LABEL, Table
from ..core.sections import Column, Kind

_NUMBER_FORMATS = {Kind.TEXT: "@", Kind.LABEL: "@", Kind.MONEY: MONEY_FORMAT, Kind.COUNT: "#,##0",
                   Kind.DATE: "dd-mm-yyyy"}
_SUMMED = (Kind.MONEY, Kind.COUNT)
_LINE_HEIGHT = 15  # points: LibreOffice keeps the default height of wrapped rows, so rows are sized


class TableStyles:
    """The formats of one workbook's tables (XlsxWriter formats belong to their workbook)."""

    def __init__(self, book: Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 12})
        self.header = book.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                                       "valign": "top"})
        self._book = book
        self._formats: dict[tuple[Kind, bool, bool], Format] = {}

    def cell(self, column: Column, *, total: bool = False) -> Format:
        key = (column.kind, column.wrapped, total)
        if key not in self._formats:
            number_format = SIGNED_MONEY_FORMAT if column.signed else _NUMBER_FORMATS[column.kind]
            spec: dict[str, Any] = {"num_format": number_format, "valign": "top"}
            if column.wrapped:
                spec["text_wrap"] = True
            if total:
                spec.update(bold=True, top=1)
            self._formats[key] = self._book.add_format(spec)
        return self._formats[key]


def write_table(book: Workbook, table: Table, rows: Sequence[Sequence[Any]], styles: TableStyles,
                *, total_row: Sequence[Any] | None = None) -> Worksheet:
    """Add ``table.sheet`` to ``book`` holding ``rows`` (values in the order of ``table.columns``).

    A table with ``totals`` gets a Total row: ``total_row`` when given, else "Total" and the sums of
    its money and count columns. Returns the sheet, for what only one table has (a link column).
    """
    sheet = book.add_worksheet(table.sheet)
    top = table.header_row - 1  # XlsxWriter counts from 0
    left = table.left - 1
    if table.title and table.header_row > 1:
        sheet.write_string(0, left, table.title, styles.title)
    for offset, column in enumerate(table.columns):
        sheet.write_string(top, left + offset, column.header, styles.header)
        sheet.set_column(left + offset, left + offset, column.width, None, {"hidden": column.hidden})
    sheet.set_row(top, _LINE_HEIGHT * max(_lines(column.header, column.width) for column in table.columns))
    for r, cells in enumerate(rows, start=top + 1):
        height = 1
        for offset, (column, value) in enumerate(zip(table.columns, cells, strict=True)):
            write_value(sheet, r, left + offset, value, styles.cell(column))
            if column.wrapped and isinstance(value, str):
                height = max(height, _lines(value, column.width))
        if height > 1:
            sheet.set_row(r, _LINE_HEIGHT * height)
    last = top + len(rows)
    if table.totals:
        totals = total_row if total_row is not None else _sums(table, rows)
        for offset, (column, value) in enumerate(zip(table.columns, totals, strict=True)):
            style = styles.cell(column, total=True)
            if value is None or value == "":
                sheet.write_blank(last + 1, left + offset, None, style)
            else:
                write_value(sheet, last + 1, left + offset, value, style)
    sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, left, max(last, top + 1), left + table.width - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(top)
    sheet.set_header("&L&A&RPrinted &D")
    sheet.set_footer("&CPage &P of &N")
    return sheet


def _sums(table: Table, rows: Sequence[Sequence[Any]]) -> list[Any]:
    """"Total", then each money and count column's sum (blank elsewhere)."""
    cells: list[Any] = [TOTAL_LABEL]
    for offset, column in enumerate(table.columns[1:], start=1):
        numbers = [value for cells_ in rows if isinstance(value := cells_[offset], int | Decimal)]
        cells.append(sum(numbers, Decimal(0) if column.kind is Kind.MONEY else 0) if column.kind in _SUMMED else None)
    return cells


def write_value(sheet: Worksheet, r: int, c: int, value: Any, style: Format) -> None:
    """One cell by its Python type: blanks stay empty; text stays text."""
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(r, c, str(value), style)
    elif isinstance(value, Decimal | int | float):
        sheet.write_number(r, c, float(value), style)
    elif isinstance(value, date):
        sheet.write_datetime(r, c, value, style)
    else:
        sheet.write_string(r, c, str(value), style)


def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes in a wrapped column of ``width`` characters."""
    per_line = max(int(width) - 2, 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))
