"""The macro workbook as a file: the shipped template's bytes, its VBA, its buttons and its sheets.

Fast and without LibreOffice: oletools reads the VBA back, the VML drawing is read from the zip,
openpyxl reads the sheets. What LibreOffice makes of the same file is in test_libreoffice.py.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import sys
import sysconfig
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.worksheet import Worksheet

from ims_xl import cli, macros
from ims_xl.core import layout
from ims_xl.core.sections import FIRST_DATA_ROW, HEADER_ROW, SECTIONS, Kind, Section
from ims_xl.excel.template import SHIPPED_TEMPLATE_NAME, build_template
from tests.conftest import ROOT

SHIPPED = ROOT / "templates" / SHIPPED_TEMPLATE_NAME
BUTTONS_BAS = ROOT / "workbook" / "ims_buttons.bas"
XLWINGS_BAS = Path(xlwings.__file__).resolve().parent / "xlwings.bas"
REFRESH = "ims-xl workbook --shipped -o templates/IMS_Template.xlsm --force"

SECTION_SHEETS = ["B2B", "B2BA", "B2B-DN", "B2B-DNA", "B2B-CN", "B2B-CNA", "ECO", "ECOA"]
ITC_SHEETS = {"B2BA", "B2B-DNA", "B2B-CN", "B2B-CNA", "ECOA"}
ITC_HEADERS = ["ITC to be reduced", "Declared IGST", "Declared CGST", "Declared SGST", "Declared Cess"]
COMMON_HEADERS = ["Status", "Remarks", "Sheet Validation Errors", "GST Portal Validation Errors", "Previous Status"]
LAST_ROW = 1_048_576

VML = {"v": "urn:schemas-microsoft-com:vml", "x": "urn:schemas-microsoft-com:office:excel"}
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("template") / SHIPPED_TEMPLATE_NAME
    build_template(target, conf={})
    return target


@pytest.fixture(scope="module")
def shipped() -> Path:
    assert SHIPPED.exists(), f"{SHIPPED} is missing; create it with `{REFRESH}`"
    return SHIPPED


# --- the shipped template ------------------------------------------------------------------


def test_shipped_template_is_what_the_build_gives(built: Path, shipped: Path) -> None:
    assert sha256(built) == sha256(shipped), (
        f"templates/{SHIPPED_TEMPLATE_NAME} is out of date with the code (bookfile, template, "
        f"workbook/ims_buttons.bas or the installed xlwings). Refresh the shipped copy with `{REFRESH}` "
        "and commit it."
    )


def test_build_gives_the_same_bytes_every_time(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsm"
    build_template(again, conf={})
    assert again.read_bytes() == built.read_bytes()
    # The refresh command in the message above gives those bytes too.
    by_cli = tmp_path / "by_cli.xlsm"
    assert cli.main(["-q", "workbook", "--shipped", "-o", str(by_cli)]) == 0
    assert sha256(by_cli) == sha256(built)


def test_shipped_template_names_no_path_of_the_build_machine(shipped: Path) -> None:
    machine_paths = {sys.executable, str(Path(sys.executable).resolve()), sysconfig.get_paths()["purelib"],
                     str(ROOT), str(Path.home()) + "/", "site-packages"}
    texts: dict[str, bytes] = {}
    with zipfile.ZipFile(shipped) as archive:
        for name in archive.namelist():
            texts[name] = archive.read(name)
    for module, source in olevba_modules(shipped).items():
        texts[f"VBA module {module}"] = source.encode("utf-8")
    found = [(where, path) for where, data in texts.items() for path in machine_paths
             if path.encode("utf-8") in data]
    assert not found, f"the shipped template names paths of this machine: {found}"


# --- VBA ------------------------------------------------------------------------------------


def olevba_modules(book: Path) -> dict[str, str]:
    """Module name -> source, as oletools reads it out of the workbook."""
    parser = VBA_Parser(str(book))
    try:
        return {stream.rsplit("/", 1)[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def lines_of(source: str, *, drop: str) -> list[str]:
    """Source lines with the line endings normalised and the lines starting with ``drop`` left out."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.strip("\n").split("\n") if not line.startswith(drop)]


@pytest.fixture(params=["template", "sample book"])
def macro_book(request: pytest.FixtureRequest, shipped: Path) -> Path:
    """The shipped template, and a book the command line filled and saved: both carry the macros."""
    if request.param == "template":
        return shipped
    return Path(request.getfixturevalue("sample_book"))


def test_vba_is_our_button_module_and_the_installed_xlwings_module(macro_book: Path) -> None:
    modules = olevba_modules(macro_book)
    assert lines_of(modules["Module1"], drop="Attribute ") == lines_of(
        BUTTONS_BAS.read_text(encoding="utf-8"), drop="Attribute "), "Module1 is not workbook/ims_buttons.bas"
    assert lines_of(modules["xlwings"], drop="Attribute VB_Name") == lines_of(
        XLWINGS_BAS.read_text(encoding="utf-8"), drop="Attribute VB_Name"), (
        f"the workbook's xlwings module is not {XLWINGS_BAS} (xlwings {xlwings.__version__})")
    assert f"'Version: {xlwings.__version__}" in modules["xlwings"]


# --- buttons --------------------------------------------------------------------------------


def public_subs() -> dict[str, list[str]]:
    """Each ``Public Sub`` of ims_buttons.bas -> the statements of its body."""
    source = BUTTONS_BAS.read_text(encoding="utf-8")
    subs = re.findall(r"^Public Sub (\w+)\(\)[ \t]*\r?\n(.*?)^End Sub", source, flags=re.MULTILINE | re.DOTALL)
    declared = re.findall(r"^\s*(?:Public |Private )?(?:Sub|Function) \w+", source, flags=re.MULTILINE)
    assert len(declared) == len(subs), f"ims_buttons.bas declares more than Public Subs: {declared}"
    return {name: [line.strip() for line in body.splitlines() if line.strip()] for name, body in subs}


def zip_target(base: str, target: str) -> str:
    """A relationship target, resolved against the part that names it."""
    parts: list[str] = []
    for piece in (PurePosixPath(base).parent / target).parts:
        if piece == "..":
            parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    rels = PurePosixPath(part).parent / "_rels" / f"{PurePosixPath(part).name}.rels"
    if str(rels) not in archive.namelist():
        return {}
    root = ET.fromstring(archive.read(str(rels)))
    return {rel.get("Id", ""): zip_target(part, rel.get("Target", "")) for rel in root.iter(f"{PKG_REL}Relationship")}


def buttons_by_sheet(book: Path) -> dict[str, list[tuple[str, str]]]:
    """Sheet name -> (caption, FmlaMacro) of each form button drawn on it."""
    found: dict[str, list[tuple[str, str]]] = {}
    with zipfile.ZipFile(book) as archive:
        workbook_rels = relationships(archive, "xl/workbook.xml")
        for sheet in ET.fromstring(archive.read("xl/workbook.xml")).iter(f"{MAIN}sheet"):
            part = workbook_rels[sheet.get(f"{DOC_REL}id", "")]
            legacy = ET.fromstring(archive.read(part)).find(f"{MAIN}legacyDrawing")
            if legacy is None:
                continue
            vml = relationships(archive, part)[legacy.get(f"{DOC_REL}id", "")]
            assert re.fullmatch(r"xl/drawings/vmlDrawing\d+\.vml", vml), vml
            for shape in ET.fromstring(archive.read(vml)).iter(f"{{{VML['v']}}}shape"):
                data = shape.find("x:ClientData", VML)
                if data is None or data.get("ObjectType") != "Button":
                    continue
                box = shape.find("v:textbox", VML)
                caption = "".join(box.itertext()).strip() if box is not None else ""
                found.setdefault(sheet.get("name", ""), []).append((caption, data.findtext("x:FmlaMacro", "", VML)))
    return found


def test_every_button_on_home_runs_a_sub_of_our_module(macro_book: Path) -> None:
    buttons = buttons_by_sheet(macro_book)
    assert list(buttons) == [layout.HOME], f"buttons are expected on Home only: {buttons}"
    subs = public_subs()
    with zipfile.ZipFile(macro_book) as archive:  # no button left out by the reading above
        drawn = sum(archive.read(name).count(b"<x:FmlaMacro>") for name in archive.namelist()
                    if re.fullmatch(r"xl/drawings/vmlDrawing\d+\.vml", name))
    assert drawn == len(buttons[layout.HOME])
    bound = []
    for caption, macro in buttons[layout.HOME]:
        assert macro.startswith("[0]!"), f"button {caption!r}: {macro!r} is not a macro of this workbook"
        name = macro.removeprefix("[0]!")
        assert name in subs, f"button {caption!r} calls {name}, which is not a Public Sub of ims_buttons.bas"
        bound.append((caption, name))
    assert bound == list(layout.BUTTONS)
    captions = [caption for caption, _ in bound]
    assert len(captions) == 7
    for caption in ("Open Downloaded IMS JSON File", "Validate Sheet", "Generate JSON File to Upload",
                    "Open Downloaded Error JSON File", "Supplier Follow-up"):
        assert caption in captions


def test_each_sub_is_one_runpython_call_into_ims_xl_macros() -> None:
    subs = public_subs()
    assert set(subs) == {macro for _, macro in layout.BUTTONS}, "a Sub without a button, or a button without a Sub"
    for name, body in subs.items():
        assert len(body) == 1, f"{name}: expected one RunPython line, found {body}"
        call = re.fullmatch(r'RunPython "import ims_xl\.macros as m; m\.(\w+)\(\)"', body[0])
        assert call, f"{name}: {body[0]!r} is not a RunPython call into ims_xl.macros"
        function = getattr(macros, call.group(1), None)
        assert callable(function), f"{name} runs ims_xl.macros.{call.group(1)}, which does not exist"
        inspect.signature(function).bind()  # RunPython calls it with no arguments


# --- xlwings.conf ---------------------------------------------------------------------------


def conf_of(book: Path) -> dict[str, str]:
    workbook = openpyxl.load_workbook(book)
    assert layout.XLWINGS_CONF == "xlwings.conf"  # with a leading underscore xlwings would ignore it
    sheet = workbook[layout.XLWINGS_CONF]
    return {str(key): str(value) for key, value in sheet.iter_rows(min_row=1, max_col=2, values_only=True) if key}


def test_shipped_template_names_no_interpreter(shipped: Path) -> None:
    conf = conf_of(shipped)
    assert not [key for key in conf if key.startswith("INTERPRETER")], conf


def test_workbook_command_points_the_buttons_at_this_python(tmp_path: Path) -> None:
    book = tmp_path / "mine.xlsm"
    assert cli.main(["-q", "workbook", "-o", str(book)]) == 0
    python = sys.executable
    if sys.platform == "win32" and Path(python).with_name("pythonw.exe").exists():
        python = str(Path(python).with_name("pythonw.exe"))
    conf = conf_of(book)
    assert conf["INTERPRETER_WIN"] == python
    assert conf["INTERPRETER_MAC"] == python


# --- sheets ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_book(shipped: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(shipped, keep_vba=False)


def column_dimension(sheet: Worksheet, index: int) -> ColumnDimension:
    """The column definition covering 0-based column ``index`` (XlsxWriter groups equal columns)."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min is not None and dimension.min <= index + 1 <= dimension.max:
            return dimension
    raise AssertionError(f"{sheet.title}: column {get_column_letter(index + 1)} has no format")


def covers(ranges: object, column: int) -> bool:
    """Do the ranges (a sqref) cover the whole column below the header row?"""
    for text in str(ranges).split():
        low_col, low_row, high_col, high_row = range_boundaries(text)
        if low_col <= column + 1 <= high_col and low_row <= FIRST_DATA_ROW and high_row == LAST_ROW:
            return True
    return False


def test_sheets_in_order_and_lists_hidden(template_book: openpyxl.Workbook) -> None:
    assert template_book.sheetnames[:9] == ["Home", *SECTION_SHEETS]
    assert [section.sheet for section in SECTIONS] == SECTION_SHEETS
    assert template_book[layout.LISTS].sheet_state in ("hidden", "veryHidden")


def test_dropdown_lists(template_book: openpyxl.Workbook) -> None:
    """The dropdowns offer what the names point at: an empty range is an empty dropdown."""

    def values(name: str) -> list[str]:
        (sheet, cells), = template_book.defined_names[name].destinations
        return [row[0].value for row in template_book[sheet][cells.replace("$", "")]]

    for name, expected in (("StatusList", ["Accept", "Reject", "Pending", "No Action"]), ("ItcList", ["Yes", "No"])):
        where = template_book.defined_names[name].attr_text
        assert values(name) == expected, f"{name} = {where} holds {values(name)}: its dropdown offers nothing useful"


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.sheet)
def test_section_sheet(template_book: openpyxl.Workbook, section: Section) -> None:
    sheet = template_book[section.sheet]
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    assert headers == [column.header for column in section.columns]
    for header in COMMON_HEADERS:
        assert header in headers
    for header in ITC_HEADERS:
        assert (header in headers) == (section.sheet in ITC_SHEETS), header

    # Dropdowns, from the named lists, over the whole input column.
    lists = {dv.formula1.lstrip("="): dv for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    assert covers(lists["StatusList"].sqref, section.index("status"))
    if section.sheet in ITC_SHEETS:
        assert covers(lists["ItcList"].sqref, section.index("itc"))
    else:
        assert "ItcList" not in lists

    # Protected; the user can still filter and sort; only the input columns take typing.
    assert sheet.protection.sheet is True
    assert sheet.protection.autoFilter is False  # openpyxl: False = allowed
    assert sheet.protection.sort is False
    for index, column in enumerate(section.columns):
        dimension = column_dimension(sheet, index)
        assert dimension.protection.locked is not column.editable, column.header
        money = layout.SIGNED_MONEY_FORMAT if column.signed else layout.MONEY_FORMAT
        expected = {Kind.MONEY: money, Kind.DATE: "dd-mm-yyyy"}.get(column.kind, "@")
        assert dimension.number_format == expected, column.header
        assert bool(dimension.hidden) == (column.header == "Portal Record"), column.header
    assert column_dimension(sheet, section.index("number")).number_format == "@"

    # Filter buttons on the header row; header rows and the document number stay in view.
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    assert sheet.sheet_view.pane.state == "frozen"
    column, row = coordinate_from_string(sheet.freeze_panes)
    assert row == FIRST_DATA_ROW
    assert column == get_column_letter(section.index("number") + 2)

    # The findings in "Sheet Validation Errors" colour that cell and the cell at fault.
    errors = get_column_letter(section.index("sheet_errors") + 1)
    rules = {str(cf.sqref): [rule.formula[0] for rule in cf.rules] for cf in sheet.conditional_formatting}
    assert any(covers(ranges, section.index("sheet_errors")) and any('"ERROR"' in f for f in formulas)
               for ranges, formulas in rules.items())
    for field in ("status", "remarks"):
        header = section.columns[section.index(field)].header
        assert any(covers(ranges, section.index(field)) and any(f'"ERROR [{header}]",${errors}' in f for f in formulas)
                   for ranges, formulas in rules.items()), field


# --- a filled book --------------------------------------------------------------------------


def test_sample_book_keeps_portal_text_as_text_and_types_numbers_and_dates(sample_book: Path) -> None:
    sheet = openpyxl.load_workbook(sample_book)["B2B"]
    b2b = SECTIONS[0]
    rows = {sheet.cell(row, b2b.index("number") + 1).value: row for row in range(FIRST_DATA_ROW, sheet.max_row + 1)}

    def cell(number: str, field: str) -> Cell:
        return sheet.cell(rows[number], b2b.index(field) + 1)

    name = cell("000123", "tradenm")
    assert name.data_type == "s"
    assert name.value == '=HYPERLINK("http://example.invalid","Rajesh Steel")'  # shown as typed, never run
    for number in ("000123", "2025260000004512"):
        document = cell(number, "number")
        assert (document.data_type, document.value, document.number_format) == ("s", number, "@")
    assert cell("000123", "txval").value == 50000
    for column in b2b.columns:
        if column.kind is Kind.MONEY:
            amount = cell("000123", column.field)
            money = layout.SIGNED_MONEY_FORMAT if column.signed else layout.MONEY_FORMAT
            assert (amount.data_type, amount.number_format) == ("n", money), column.header
    assert cell("2025260000004512", "val").value == pytest.approx(11800.50)
    when = cell("000123", "date")
    assert isinstance(when.value, datetime)
    assert when.value.date() == date(2025, 10, 11)
    assert when.number_format == "dd-mm-yyyy"
    for index, column in enumerate(b2b.columns):  # filled rows: input cells open, the portal's cells locked
        filled = cell("000123", column.field)
        # An empty cell has no style of its own; Excel then applies the column's.
        locked = (filled if filled.has_style else column_dimension(sheet, index)).protection.locked
        assert locked is not column.editable, column.header


def test_xlsx_home_says_where_the_buttons_went(sample_xlsx: Path) -> None:
    home = openpyxl.load_workbook(sample_xlsx)[layout.HOME]
    where = home.cell(layout.BUTTON_TOP.row, layout.BUTTON_TOP.column)
    assert where.value == "This .xlsx has no buttons: use the ims-xl command line, or open the .xlsm."
    assert buttons_by_sheet(sample_xlsx) == {}

