"""What a CA sees on opening the book: lakh grouping in money cells on any PC, columns wide enough
for crores, a Home whose first screen explains the book and its colours, and the inputs the portal
blocks greyed before any validation.

The book is read back through openpyxl (formats, widths, merged cells, rules, the chart's XML) and
rendered by LibreOffice (the digits a person reads, and no ``###``).
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from ims_xl.core import layout
from ims_xl.core.amounts import indian_money
from ims_xl.core.sections import BY_KEY, SECTIONS, Kind
from tests.builders import RECIPIENT, raw_record
from tests.test_cli import run, set_inputs
from tests.test_libreoffice import SINGLE_PAGE_SHEETS, convert, poppler, soffice  # noqa: F401 (fixtures)

INVOICE = {"inum": "KSI/25-26/1187", "val": Decimal("260000000.00"), "txval": Decimal("220338983.05"),
           "iamt": Decimal("39661016.95"), "camt": 0, "samt": 0}


@pytest.fixture
def crore_book(tmp_path: Path) -> Path:
    """A 26-crore invoice (IGST 3.97 crore) and a credit note whose remarks the portal blocks."""
    download = tmp_path / "client.json"
    records = {"b2b": [raw_record("b2b", **INVOICE)],
               "b2bcn": [raw_record("b2bcn", nt_num="CN-1", isRemarksBlocked="Y", ispendactblocked="Y")]}
    download.write_text(json.dumps({"gstin": RECIPIENT, "imsDetails": records}, default=str))
    book = tmp_path / "client.xlsx"
    assert run("-q", "open", download, "-o", book)[0] == 0
    return book


def width(sheet, column: int) -> float:
    dimension = sheet.column_dimensions[layout.column_letter(column)]
    if dimension.width is None or dimension.min is None:  # a grouped <col min max>: find the group
        for group in sheet.column_dimensions.values():
            if group.min is not None and group.min <= column <= group.max:
                return group.width
    return dimension.width


def test_money_columns_use_the_lakh_format_and_fit_crores(crore_book: Path) -> None:
    book = openpyxl.load_workbook(crore_book)
    invoice_value = len(indian_money(Decimal("99,99,99,999.99".replace(",", ""))))  # 15 characters
    tax = len(indian_money(Decimal("39661016.95")))  # 14: the IGST of a 22-crore invoice
    for section in SECTIONS:
        sheet = book[section.sheet]
        for position, column in enumerate(section.columns, start=1):
            if column.kind is Kind.MONEY:
                assert width(sheet, position) > (invoice_value if column.field in ("val", "txval") else tax), \
                    (section.sheet, column.header)
    for table in layout.AUX_TABLES:
        for offset, column in enumerate(table.columns):
            if column.kind is Kind.MONEY:
                assert width(book[table.sheet], table.left + offset) > tax, (table.sheet, column.header)
    home = book[layout.HOME]
    for column in range(layout.SUMMARY_TABLE.left + 1, layout.SUMMARY_TABLE.left + layout.SUMMARY_TABLE.width):
        assert width(home, column) > tax
    b2b = book["B2B"]
    igst = b2b.cell(5, BY_KEY["b2b"].index("iamt") + 1)
    assert (igst.value, igst.number_format) == (pytest.approx(39661016.95), layout.MONEY_FORMAT)


@pytest.mark.libreoffice
def test_libreoffice_shows_lakhs_and_crores_and_keeps_the_sign_of_a_negative_change(
        crore_book: Path, soffice: str, poppler: str, tmp_path: Path) -> None:  # noqa: F811
    set_inputs(crore_book, {("b2b", 0): {"status": "Reject", "remarks": "Not our purchase"}})
    [pdf] = convert(soffice, [crore_book], SINGLE_PAGE_SHEETS, tmp_path / "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    for shown in ("26,00,00,000.00", "22,03,38,983.05", "3,96,61,016.95", "1,800.00"):
        assert shown in text
    assert "39,661,016.95" not in text.replace("-39,661,016.95", "")  # only the signed change row
    assert "-39,661,016.95" in text  # Change from this upload: the minus sign survives
    assert "###" not in text


def test_home_first_screen_explains_the_book_and_its_colours(crore_book: Path) -> None:
    book = openpyxl.load_workbook(crore_book)
    home = book[layout.HOME]
    top = layout.INSTRUCTIONS_TOP
    assert home.cell(top.row, top.column).value == "How to use this workbook"
    assert top.row + len(layout.INSTRUCTIONS) <= layout.SUMMARY_TABLE.header_row - 1  # above the first table
    assert all(len(line) <= 85 for line in layout.INSTRUCTIONS)  # within B:E, left of the buttons
    legend = {home.cell(layout.LEGEND_TOP.row + offset, layout.LEGEND_TOP.column).value:
              home.cell(layout.LEGEND_TOP.row + offset, layout.LEGEND_TOP.column).fill.fgColor.rgb[-6:]
              for offset in range(1, len(layout.LEGEND) + 1)}
    assert legend == {"Green": "C6EFCE", "Red": "FFC7CE", "Yellow": "FFEB9C", "Orange": "F8CBAD",
                      "Blue": "DDEBF7", "Grey": "D9D9D9"}
    # Last action wraps in its own area, left of the buttons.
    first, last = layout.LAST_ACTION_AREA
    assert f"{first.a1}:{last.a1}" in {str(merged) for merged in home.merged_cells.ranges}
    assert home[first.a1].alignment.wrap_text and last.column < layout.BUTTON_TOP.column
    # Labels are not cut: the label column fits the longest row label.
    longest = max(len(label) for table in layout.HOME_TABLES for label in table.row_labels)
    assert width(home, 2) > longest


def test_the_chart_plots_what_its_title_says(crore_book: Path) -> None:
    with zipfile.ZipFile(crore_book) as package:
        chart = next(package.read(name).decode() for name in package.namelist() if name.startswith("xl/charts/"))
    table = layout.SUMMARY_TABLE
    first, last = (layout.column_letter(table.column_of(field)) for field in ("tax_N", "tax_P"))
    assert layout.CHART_TITLE in chart and "ITC by status" not in chart
    assert re.search(rf"<c:val><c:numRef><c:f>Home!\$?{first}\$?{table.last_row}:\$?{last}\$?{table.last_row}", chart)
    home = openpyxl.load_workbook(crore_book)[layout.HOME]
    assert home.cell(table.header_row, table.column_of("tax_N")).value == "Tax: No Action"
    assert home.cell(table.last_row, table.left).value == layout.TOTAL_LABEL


def test_inputs_the_portal_blocks_are_greyed_before_validation(crore_book: Path) -> None:
    sheet = openpyxl.load_workbook(crore_book)["B2B-CN"]
    section = BY_KEY["b2bcn"]

    def grey_rules(field: str) -> set[str]:
        column = layout.column_letter(section.index(field) + 1)
        return {rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules
                if str(cf.sqref).startswith(f"{column}5:") and rule.dxf is not None and rule.dxf.fill is not None
                and (rule.dxf.fill.bgColor.rgb or "").endswith("D9D9D9")}

    def flag(field: str) -> str:
        return layout.column_letter(section.index(field) + 1)

    assert grey_rules("status") == {f'${flag("pending_blocked")}5="Y"'}
    assert grey_rules("remarks") == {f'${flag("remarks_blocked")}5="Y"'}
    for field in ("itc", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess"):
        assert grey_rules(field) == {f'${flag("itc_blocked")}5="Y"'}
    # The flags the rules read are what the download said.
    row = [cell.value for cell in sheet[5]]
    assert (row[section.index("remarks_blocked")], row[section.index("pending_blocked")]) == ("Y", "Y")
    # A hint alone does not colour the findings cell; a warning does.
    errors = layout.column_letter(section.index("sheet_errors") + 1)
    formulas = [rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules
                if str(cf.sqref).startswith(f"{errors}5:")]
    assert formulas == [f'ISNUMBER(SEARCH("ERROR",${errors}5))', f'ISNUMBER(SEARCH("WARNING",${errors}5))']


def test_a_long_last_action_fits_its_three_lines_and_the_change_log_keeps_it_whole() -> None:
    from ims_xl.actions import _log, last_action_text
    from ims_xl.core.book import BookState, Home

    message = "2026-12-04 10:15 Refresh: " + " ".join(f"B2B row {row} changed by the supplier;" for row in range(5, 40))
    shown = last_action_text(message)
    assert len(shown) <= layout.LAST_ACTION_CHARACTERS
    assert shown.endswith("… (all of it: Change Log)") and shown.startswith("2026-12-04 10:15 Refresh: B2B row 5")
    assert last_action_text("2026-12-04 10:15 Validate: no errors") == "2026-12-04 10:15 Validate: no errors"

    state = BookState(home=Home())
    _log(state, datetime(2026, 12, 4, 10, 15), "Refresh", message)
    assert state.log[-1].details == message and state.home.last_action.endswith("(all of it: Change Log)")


def test_every_home_label_and_instruction_line_shows_nothing_placed_over_another(crore_book: Path) -> None:
    home = openpyxl.load_workbook(crore_book)[layout.HOME]
    for home_field in layout.HOME_FIELDS:
        assert home.cell(home_field.cell.row, home_field.cell.column - 1).value == home_field.label
    top = layout.INSTRUCTIONS_TOP
    assert [home.cell(top.row + i, top.column).value for i in range(len(layout.INSTRUCTIONS))] == list(
        layout.INSTRUCTIONS)
    merged = {str(area) for area in home.merged_cells.ranges}
    assert {f"{first.a1}:{last.a1}" for first, (last, _) in layout.WRAPPED_AREAS.items()} <= merged


def test_a_long_last_action_is_cut_after_a_whole_sentence_when_one_fills_most_of_it() -> None:
    from ims_xl.actions import last_action_text

    message = ("2026-12-04 21:44 Refresh: Refreshed: 11 unchanged, 1 changed by a supplier. Of the decisions "
               "uploaded, 3 are confirmed by the portal. 1 of your decisions was reset because the supplier "
               "changed the document: B2B row 6.")
    assert last_action_text(message) == ("2026-12-04 21:44 Refresh: Refreshed: 11 unchanged, 1 changed by a "
                                         "supplier. Of the decisions uploaded, 3 are confirmed by the portal. "
                                         "… (all of it: Change Log)")
