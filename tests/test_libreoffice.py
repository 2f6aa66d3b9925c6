"""The workbook in a real second client: headless LibreOffice opens the .xlsm, as a user's Calc would.

Checked on the converted .ods: each Home button is bound to our VBA Sub (and a button naming a Sub
that does not exist is not: the check can fail), dropdowns from the named lists, conditional
formats, filter buttons, protection, and the validation messages in their cells. The validated book
is also rendered to PDF and PNG under test-artifacts/libreoffice/ for a person to look at, and the
PNG's pixels show the error highlight on the sheets with errors and on no other.

LibreOffice does not run the VBA: this proves binding and structure, not that Excel runs Python.
Skipped without soffice/poppler, unless IMS_XL_REQUIRE_LIBREOFFICE=1 (CI), which makes that a failure.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from ims_xl import actions
from ims_xl.core import layout
from ims_xl.core.book import BookState
from ims_xl.core.sections import FIRST_DATA_ROW, HEADER_ROW, SECTIONS, Section
from ims_xl.excel.template import macro_setup
from ims_xl.files.fileport import FilePort
from tests.conftest import ARTIFACTS, SAMPLE, open_book

pytestmark = pytest.mark.libreoffice

TIMEOUT = 180  # seconds per soffice run; a first start on a slow runner takes a few
REQUIRED = os.environ.get("IMS_XL_REQUIRE_LIBREOFFICE") == "1"
PICTURES = ARTIFACTS / "libreoffice"
LAST_ROW = 1_048_576
ERROR_FILL = bytes.fromhex("FFC7CE")  # the light red fill of an ERROR finding (bookfile._RED)
SINGLE_PAGE_SHEETS = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "form": "urn:oasis:names:tc:opendocument:xmlns:form:1.0",
    "script": "urn:oasis:names:tc:opendocument:xmlns:script:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
}


def q(name: str) -> str:
    """"table:name" -> "{urn...}name", for ElementTree."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


# --- running the tools ----------------------------------------------------------------------


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not on PATH (Debian: apt-get install {package})"
    if REQUIRED:
        pytest.fail(f"IMS_XL_REQUIRE_LIBREOFFICE=1, but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def soffice() -> str:
    return tool("soffice", "libreoffice-calc-nogui")


@pytest.fixture(scope="module")
def poppler() -> str:
    tool("pdftotext", "poppler-utils")
    return tool("pdftoppm", "poppler-utils")


def run(command: list[str], *, env: dict[str, str] | None = None) -> str:
    """Run a tool with a time limit; on timeout end it and what it started (its own session)."""
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        output, errors = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{command[0]} took more than {TIMEOUT}s: {command}", pytrace=False)
    assert process.returncode == 0, f"{command} failed ({process.returncode}):\n{output}{errors}"
    return output


def convert(soffice: str, sources: list[Path], target: str, outdir: Path) -> list[Path]:
    """soffice --convert-to, with a fresh profile (its own HOME) for every run."""
    home = Path(tempfile.mkdtemp(prefix="lo-home-", dir=outdir.parent))
    env = {**os.environ, "HOME": str(home)}
    env.pop("XDG_CONFIG_HOME", None)
    output = run([soffice, f"-env:UserInstallation={(home / 'profile').as_uri()}", "--headless", "--norestore",
                  "--nolockcheck", "--convert-to", target, "--outdir", str(outdir), *map(str, sources)], env=env)
    extension = target.split(":", 1)[0]
    results = [outdir / f"{source.stem}.{extension}" for source in sources]
    missing = [path.name for path in results if not path.exists()]
    assert not missing, f"soffice wrote no {missing}:\n{output}"
    shutil.rmtree(home, ignore_errors=True)
    return results


# --- the books --------------------------------------------------------------------------------


@dataclass
class Validated:
    book: Path
    state: BookState  # as read back after validation: the findings per row
    outcome: actions.Outcome


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Validated:
    """The sample, with choices the portal would refuse, after Validate Sheet."""
    folder = tmp_path_factory.mktemp("book")
    download = folder / SAMPLE.name
    shutil.copyfile(SAMPLE, download)
    book = open_book(download, folder / "validated.xlsm")
    port = FilePort(book)
    state = port.load()
    credit_notes = state.entries["b2bcn"]
    blocked = next(entry for entry in credit_notes if entry.record.model.pending_blocked)
    blocked.status = "Pending"  # the portal blocks Pending here: one finding, on Status
    other = next(entry for entry in credit_notes if entry is not blocked)
    other.status, other.remarks = "Accept", "ok," * 90  # two findings: Remarks too long, ITC sent as Yes (D8)
    invoice = state.entries["b2b"][0]
    invoice.status, invoice.remarks = "No Action", "Checked with the purchase register"  # Remarks with No Action
    port.save(state, None, frozenset({"status", "remarks", "itc"}))
    outcome = actions.validate_book(FilePort(book))
    assert not outcome.ok
    return Validated(book, FilePort(book).load(), outcome)


@pytest.fixture(scope="module")
def unbound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our VBA project, a button naming a Sub that does not exist and one naming a Sub that does."""
    book = tmp_path_factory.mktemp("negative") / "unbound.xlsm"
    workbook = xlsxwriter.Workbook(str(book))
    workbook.add_vba_project(io.BytesIO(macro_setup().vba_project), is_stream=True)
    workbook.set_vba_name("ThisWorkbook")
    sheet = workbook.add_worksheet(layout.HOME)
    sheet.insert_button("B2", {"macro": "NoSuchSub", "caption": "Nothing behind me"})
    sheet.insert_button("B6", {"macro": "IMS_ValidateSheet", "caption": "Validate Sheet"})
    workbook.close()
    return book


@pytest.fixture(scope="module")
def ods(soffice: str, validated: Validated, unbound: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ods]:
    outdir = tmp_path_factory.mktemp("ods")
    converted = convert(soffice, [validated.book, unbound], "ods", outdir)
    return {path.stem: Ods.read(path) for path in converted}


@pytest.fixture(scope="module")
def pictures(soffice: str, poppler: str, validated: Validated, tmp_path_factory: pytest.TempPathFactory) -> Pictures:
    """Each sheet as one page (SinglePageSheets), as PNG for people and PPM for the pixel check."""
    outdir = tmp_path_factory.mktemp("pdf")
    pdf, = convert(soffice, [validated.book], SINGLE_PAGE_SHEETS, outdir)
    shutil.rmtree(PICTURES, ignore_errors=True)
    PICTURES.mkdir(parents=True)
    shutil.copyfile(pdf, PICTURES / "validated-sheets.pdf")
    # One page per sheet, in the book's order (hidden sheets too); the titles confirm it.
    sheets = CalamineWorkbook.from_path(str(validated.book)).sheet_names
    text = run([shutil.which("pdftotext") or "pdftotext", "-layout", str(pdf), "-"])
    firsts = [page.strip().splitlines()[0].strip() if page.strip() else "" for page in text.split("\f")]
    pages = {sheet: number for number, sheet in enumerate(sheets, start=1)}
    for section in SECTIONS:
        assert firsts[pages[section.sheet] - 1] == f"{section.sheet}: {section.title}", firsts
    run([poppler, "-r", "60", "-png", str(pdf), str(outdir / "page")])
    run([poppler, "-r", "60", str(pdf), str(outdir / "page")])  # PPM: raw pixels to count
    pngs: dict[str, Path] = {}
    ppms: dict[str, Path] = {}
    for picture in sorted(outdir.glob("page-*.*")):
        number = int(picture.stem.removeprefix("page-"))
        sheet = sheets[number - 1]
        if picture.suffix == ".png":
            target = PICTURES / f"validated-{number:02d}-{sheet.replace(' ', '_')}.png"
            shutil.copyfile(picture, target)
            pngs[sheet] = target
        else:
            ppms[sheet] = picture
    return Pictures(pages, pngs, ppms)


@dataclass
class Pictures:
    pages: dict[str, int]  # sheet -> page of the PDF
    pngs: dict[str, Path]
    ppms: dict[str, Path]


# --- reading the .ods -------------------------------------------------------------------------


@dataclass
class Ods:
    root: ET.Element
    files: list[str]

    @classmethod
    def read(cls, path: Path) -> Ods:
        with zipfile.ZipFile(path) as archive:
            return cls(ET.fromstring(archive.read("content.xml")), archive.namelist())

    def table(self, name: str) -> ET.Element:
        for table in self.root.iter(q("table:table")):
            if table.get(q("table:name")) == name:
                return table
        raise AssertionError(f"no sheet {name!r} in the .ods")

    def validations(self) -> dict[str, str]:
        return {v.get(q("table:name"), ""): v.get(q("table:condition"), "")
                for v in self.root.iter(q("table:content-validation"))}

    def buttons(self) -> dict[str, list[tuple[str, str]]]:
        """Button label -> (event, script URL) of each listener."""
        found: dict[str, list[tuple[str, str]]] = {}
        for button in self.root.iter(q("form:button")):
            listeners = found.setdefault(button.get(q("form:label"), ""), [])
            for listener in button.iter(q("script:event-listener")):
                listeners.append((listener.get(q("script:event-name"), ""), listener.get(q("xlink:href"), "")))
        return found

    def ranges(self, element: str, attribute: str) -> Iterator[tuple[str, ET.Element]]:
        """(address without quotes, element) for each element carrying a range address."""
        for item in self.root.iter(q(element)):
            yield item.get(q(attribute), "").replace("'", "").replace("$", ""), item


def rows_of(table: ET.Element) -> Iterator[tuple[int, int, ET.Element]]:
    """(first row, rows repeated, row element), 1-based, header rows included."""
    row = 1
    for element in table.iter(q("table:table-row")):
        repeated = int(element.get(q("table:number-rows-repeated"), "1"))
        yield row, repeated, element
        row += repeated


def cell(table: ET.Element, row: int, column: int) -> ET.Element | None:
    """The cell element at a 1-based row and 0-based column (repeats expanded)."""
    for first, repeated, element in rows_of(table):
        if first <= row < first + repeated:
            position = 0
            for item in element:
                if item.tag not in (q("table:table-cell"), q("table:covered-table-cell")):
                    continue
                span = int(item.get(q("table:number-columns-repeated"), "1"))
                if position <= column < position + span:
                    return item
                position += span
            return None
    return None


def text_of(element: ET.Element | None) -> str:
    if element is None:
        return ""
    return "\n".join("".join(p.itertext()) for p in element.findall(q("text:p")))


def letter(position: int) -> str:
    """The column letter of a 0-based position in a row."""
    return layout.column_letter(position + 1)


# --- buttons ----------------------------------------------------------------------------------


def href(sub: str) -> str:
    return f"vnd.sun.star.script:VBAProject.Module1.{sub}?language=Basic&location=document"


def test_every_button_is_bound_to_its_vba_sub(ods: dict[str, Ods]) -> None:
    buttons = ods["validated"].buttons()
    assert sorted(buttons) == sorted(caption for caption, _ in layout.BUTTONS)
    for caption, sub in layout.BUTTONS:
        assert buttons[caption] == [("form:performaction", href(sub))], caption
    assert "Basic/VBAProject/Module1.xml" in ods["validated"].files


def test_a_button_naming_a_missing_sub_gets_no_listener(ods: dict[str, Ods]) -> None:
    buttons = ods["unbound"].buttons()
    assert buttons["Nothing behind me"] == []
    assert buttons["Validate Sheet"] == [("form:performaction", href("IMS_ValidateSheet"))]  # same file, bound


# --- sheets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.sheet)
def test_dropdowns_cover_the_input_columns(ods: dict[str, Ods], validated: Validated, section: Section) -> None:
    book = ods["validated"]
    conditions = book.validations()
    table = book.table(section.sheet)
    lists = {"status": "StatusList"}
    if section.takes_itc_declaration:
        lists["itc"] = "ItcList"
    rows = (FIRST_DATA_ROW, FIRST_DATA_ROW + len(validated.state.entries[section.key]), LAST_ROW)
    for field, name in lists.items():
        for row in rows:  # a data row, the first row below the data, the sheet's last row
            found = cell(table, row, section.index(field))
            validation = found.get(q("table:content-validation-name"), "") if found is not None else ""
            assert conditions.get(validation) == f"of:cell-content-is-in-list({name})", (field, row)


def test_named_lists_hold_the_choices(ods: dict[str, Ods]) -> None:
    book = ods["validated"]
    named = {item.get(q("table:name")): address for address, item in book.ranges("table:named-range",
                                                                                 "table:cell-range-address")}
    for name, expected in (("StatusList", ["Accept", "Reject", "Pending", "No Action"]), ("ItcList", ["Yes", "No"])):
        address = re.fullmatch(r"Lists\.([A-Z])(\d+):\.([A-Z])(\d+)", named[name])
        assert address, f"{name} = {named[name]}"
        column = ord(address.group(1)) - ord("A")
        rows = range(int(address.group(2)), int(address.group(4)) + 1)
        shown = [text_of(cell(book.table(layout.LISTS), row, column)) for row in rows]
        assert shown == expected, f"{name} = {named[name]}: the dropdown offers {shown} in LibreOffice"


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.sheet)
def test_section_keeps_highlight_rules_filter_buttons_and_protection(
        ods: dict[str, Ods], validated: Validated, section: Section) -> None:
    book = ods["validated"]
    sheet = section.sheet

    def whole_column(field: str) -> str:
        column = letter(section.index(field))
        return f"{sheet}.{column}{FIRST_DATA_ROW}:{sheet}.{column}{LAST_ROW}"

    formats = {address: [c.get(q("calcext:value"), "") for c in item.iter(q("calcext:condition"))]
               for address, item in book.ranges("calcext:conditional-format", "calcext:target-range-address")}
    assert any('"ERROR"' in rule for rule in formats[whole_column("sheet_errors")])
    assert any('"ERROR [Status]"' in rule for rule in formats[whole_column("status")])

    # The filter covers whole columns, so rows the Excel button adds later are inside it too.
    filters = [item for address, item in book.ranges("table:database-range", "table:target-range-address")
               if address == f"{sheet}.A{HEADER_ROW}:{sheet}.{letter(len(section.columns) - 1)}{LAST_ROW}"]
    assert len(filters) == 1, f"{sheet}: no filter from the header row down the whole columns"
    assert filters[0].get(q("table:display-filter-buttons")) == "true"
    assert not list(filters[0].iter(q("table:filter-condition"))), "a filter is still set after validation"
    table = book.table(sheet)
    assert not [row for row in table.iter(q("table:table-row")) if row.get(q("table:visibility")) == "filter"]
    assert table.get(q("table:protected")) == "true"


def test_home_is_protected(ods: dict[str, Ods]) -> None:
    assert ods["validated"].table(layout.HOME).get(q("table:protected")) == "true"


def test_findings_are_in_the_sheet_validation_errors_cells(ods: dict[str, Ods], validated: Validated) -> None:
    book = ods["validated"]
    shown: dict[tuple[str, int], str] = {}
    for section in SECTIONS:
        table = book.table(section.sheet)
        for entry in validated.state.entries[section.key]:
            assert entry.row is not None
            text = text_of(cell(table, entry.row, section.index("sheet_errors")))
            assert text == entry.sheet_errors, (section.sheet, entry.row)
            if text:
                shown[(section.sheet, entry.row)] = text
    assert sorted({sheet for sheet, _ in shown}) == ["B2B", "B2B-CN"]
    messages = "\n".join(shown.values())
    assert "ERROR [Status] The portal does not allow Pending for this record" in messages
    assert "WARNING [ITC to be reduced]" in messages
    assert messages.count("ERROR [Remarks]") == 2
    report = validated.outcome.report
    assert report is not None
    assert len(report.errors) == messages.count("ERROR [")


# --- pictures ---------------------------------------------------------------------------------


def error_fill_pixels(ppm: Path) -> int:
    data = ppm.read_bytes()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    assert header, f"{ppm.name} is not an 8-bit PPM"
    pixels = data[header.end():]
    count, start = 0, 0
    while (found := pixels.find(ERROR_FILL, start)) != -1:
        if found % 3 == 0:
            count += 1
        start = found + 1
    return count


def test_pictures_show_the_highlighted_errors(pictures: Pictures) -> None:
    assert {layout.HOME, *(section.sheet for section in SECTIONS)} <= set(pictures.pages), pictures.pages
    for sheet in ("B2B", "B2B-CN"):
        png = pictures.pngs[sheet]
        assert png.stat().st_size > 10_000, f"{png} looks empty"
    assert (PICTURES / "validated-sheets.pdf").stat().st_size > 10_000
    highlighted = {section.sheet: error_fill_pixels(pictures.ppms[section.sheet]) for section in SECTIONS}
    # Each highlighted cell is a few hundred pixels at 60 dpi; sheets without errors have none.
    assert highlighted["B2B"] > 1_000, highlighted
    assert highlighted["B2B-CN"] > highlighted["B2B"], highlighted  # three findings against one
    assert not {sheet: n for sheet, n in highlighted.items() if sheet not in ("B2B", "B2B-CN") and n}, highlighted
