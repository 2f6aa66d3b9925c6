"""`ims-xl lite`: the workbook for xlwings Lite, taken apart as Lite and Excel would read it."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xlsxwriter

from ims_xl.cli import main
from ims_xl.core import layout
from ims_xl.lite import home as lite_home
from ims_xl.lite.package import encode_property, read_lite_code
from tests.conftest import SAMPLE
from tests.test_libreoffice import convert, tool

LITE_TESTS = Path(__file__).resolve().parent / "lite"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("lite") / "IMS_Lite.xlsx"
    assert main(["lite", "-o", str(target)], out=io.StringIO(), err=io.StringIO()) == 0
    return target


@pytest.fixture(scope="module")
def code(workbook: Path) -> dict[str, str]:
    return read_lite_code(workbook.read_bytes())


def test_the_same_package_builds_the_same_bytes(workbook: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    assert main(["lite", "-o", str(again)], out=io.StringIO(), err=io.StringIO()) == 0
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(workbook.read_bytes()).hexdigest()


def test_the_cli_refuses_a_macro_name_and_an_existing_file(workbook: Path) -> None:
    err = io.StringIO()
    assert main(["lite", "-o", str(workbook.with_suffix(".xlsm"))], out=io.StringIO(), err=err) == 2
    assert main(["lite", "-o", str(workbook)], out=io.StringIO(), err=err) == 2
    assert err.getvalue().splitlines() == [
        f"ims-xl: error: {workbook.with_suffix('.xlsm')}: the xlwings Lite workbook must end in .xlsx (Lite runs no "
        "macros) [wrong-file-type]",
        f"ims-xl: error: {workbook}: already exists; use --force to replace it [already-exists]",
    ]


def test_the_workbook_has_no_macros_no_protection_and_the_lite_part(workbook: Path) -> None:
    with zipfile.ZipFile(workbook) as archive:
        names = archive.namelist()
        sheets = {n: archive.read(n) for n in names if n.startswith("xl/worksheets/sheet")}
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("_rels/.rels").decode()
    assert "xl/vbaProject.bin" not in names and "macroEnabled" not in types
    assert not any(b"<sheetProtection" in xml for xml in sheets.values())
    assert {"xl/webextensions/webextension1.xml", "xl/webextensions/taskpanes.xml",
            "xl/webextensions/_rels/taskpanes.xml.rels"} <= set(names)
    assert 'PartName="/xl/webextensions/webextension1.xml" ContentType="application/vnd.ms-office.webextension+xml"' \
        in types
    assert 'Type="http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes" ' \
        'Target="xl/webextensions/taskpanes.xml"' in rels
    assert len(set(re.findall(r'Id="(rId\d+)"', rels))) == len(re.findall(r'Id="rId\d+"', rels))


def test_properties_are_stored_as_lite_stores_them() -> None:
    # As in the public Lite workbooks: a JSON string, UTF-8 kept, "/" escaped.
    assert encode_property('x = "a/b"\n₹') == '"x = \\"a\\/b\\"\\n₹"'
    assert json.loads(encode_property('x = "a/b"\n₹')) == 'x = "a/b"\n₹'


def test_requirements_name_only_what_lite_can_install(code: dict[str, str]) -> None:
    names = {re.split(r"[=<>~ #]", line, maxsplit=1)[0] for line in code["requirements.txt"].splitlines() if line}
    assert names == {"xlwings", "pydantic", "python-stdnum", "python-calamine"}


def home_buttons(workbook: Path) -> dict[str, str]:
    """The named shapes on Home with a hyperlink: shape name -> the cell it selects ("Home!F3")."""
    with zipfile.ZipFile(workbook) as archive:
        sheet_xml = archive.read("xl/workbook.xml").decode()
        assert re.search(r'<sheet name="Home" sheetId="1" r:id="rId1"/>', sheet_xml)
        sheet_rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        drawing = "xl/drawings/" + re.findall(r'Target="\.\./drawings/([^"]+)"', sheet_rels)[0]
        root = ElementTree.fromstring(archive.read(drawing))
        rels = ElementTree.fromstring(archive.read(drawing.replace("drawings/", "drawings/_rels/") + ".rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    buttons = {}
    for shape in root.iter(f"{XDR}sp"):
        properties = shape.find(f"{XDR}nvSpPr/{XDR}cNvPr")
        assert properties is not None
        link = properties.find(f"{A}hlinkClick")
        if link is not None:
            buttons[properties.get("name", "")] = targets[link.get(f"{REL}id", "")].lstrip("#")
    return buttons


def script_buttons(main_py: str) -> dict[str, str]:
    """main.py's @script functions: function name -> its button= text."""
    found = {}
    for node in ast.parse(main_py).body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "script":
                    (button,) = [k.value for k in decorator.keywords if k.arg == "button"]
                    assert isinstance(button, ast.Constant)
                    found[node.name] = button.value
    return found


def test_every_script_button_is_a_named_shape_with_a_hyperlink_to_its_cell(workbook: Path,
                                                                           code: dict[str, str]) -> None:
    shapes = home_buttons(workbook)
    scripts = script_buttons(code["main.py"])
    assert len(scripts) == len(lite_home.BUTTONS) == len(shapes) == 6
    bound = {}
    for function, button in scripts.items():
        match = re.fullmatch(r"\[(\w+)\](Home![A-Z]+\d+)", button)
        assert match, button
        assert shapes[match[1]] == match[2], f"{function}: {button} but the shape links to {shapes.get(match[1])}"
        bound[match[1]] = function
    assert set(bound) == set(shapes)
    captions = {b.shape: b.caption for b in lite_home.BUTTONS}
    assert [captions[s] for s in sorted(shapes, key=lambda s: int(shapes[s][6:]))] == [
        "Open Downloaded IMS JSON File", "Validate Sheet", "Generate JSON File to Upload",
        "Open Downloaded Error JSON File", "Suggest Actions", "Refresh from Newer Download"]


def run_flow(command: list[str], config: dict[str, object], folder: Path) -> dict[str, object]:
    """tests/lite/flow.py (main.py as Lite runs it) with ``config``: its one line of JSON."""
    (folder / "flow.json").write_text(json.dumps(config), encoding="utf-8")
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert isinstance(report, dict)
    return report


def assert_the_flow_worked(report: dict[str, object]) -> None:
    """What the user sees after Open, decisions with one mistake, Validate, the fix, Validate, Generate."""
    assert str(report["ims_xl"]).startswith(str(report["zip"]) + "/ims_xl/")
    assert report["buttons"] == {b.script: b.binding for b in lite_home.BUTTONS}
    statuses = report["statuses"]
    assert isinstance(statuses, list)
    assert statuses[0].startswith("Opened 12 records from returns_R1_27AAPFU0939F1ZV_102025.json")
    assert statuses[1].startswith("Please fix: Validated 12 records: 1 error on B2B-CN;")
    assert statuses[2].startswith("Validated 12 records: no errors;")
    uploads = report["uploads"]
    assert isinstance(uploads, list) and len(uploads) == 1
    assert statuses[3].startswith("Saved the upload JSON: ") and f"{uploads[0]}, 1 record" in statuses[3]
    assert report["upload_on_home"] == uploads[0]
    assert report["sent"] == {"b2b": [[FIRST_B2B_NUMBER, "R", "Not received"]]}
    assert statuses[4].startswith("Reconciled 12 IMS records with 1 register entry: 1 matched")
    assert report["suggested"] == ["Matched", "Accept"]


@pytest.fixture(scope="module")
def register_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A purchase register (.xlsx) holding the sample's first B2B invoice, its number written differently."""
    path = tmp_path_factory.mktemp("register") / "register.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Supplier GSTIN", "Document Number", "Document Date", "Taxable Value", "IGST", "CGST",
                           "SGST", "Cess"])
    sheet.write_row(1, 0, ["27AABCS1429B1ZU", "sgt-2025-417", "04-10-2025", 120932.18, 0, 10883.91, 10883.91, 0])
    book.close()
    return path


FIRST_B2B_NUMBER = json.loads(SAMPLE.read_text(encoding="utf-8"))["imsDetails"]["b2b"][0]["inum"]


def test_main_py_runs_ims_xl_from_inside_the_workbook(code: dict[str, str], register_xlsx: Path,
                                                      tmp_path: Path) -> None:
    main_py = tmp_path / "main.py"
    main_py.write_text(code["main.py"], encoding="utf-8")
    # -I -S: no user site, no PYTHONPATH, no .pth files (the editable install of ims_xl is one);
    # site-packages itself is added by hand for pydantic, python-stdnum and python-calamine.
    site = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    config = {"main_py": str(main_py), "data": str(tmp_path / "data"), "sample": str(SAMPLE),
              "register": str(register_xlsx), "site": site}
    report = run_flow([sys.executable, "-I", "-S", str(LITE_TESTS / "flow.py"), "flow.json"], config, tmp_path)
    assert report["platform"] == sys.platform
    assert_the_flow_worked(report)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_lite_workbook(workbook: Path, tmp_path: Path) -> None:
    soffice = tool("soffice", "libreoffice-calc-nogui")
    pdftotext = tool("pdftotext", "poppler-utils")
    source = tmp_path / workbook.name
    shutil.copyfile(workbook, source)
    (pdf,) = convert(soffice, [source], "pdf", tmp_path / "out")
    text = subprocess.run([pdftotext, "-l", "1", str(pdf), "-"], capture_output=True, text=True, timeout=120).stdout
    assert "IMS Offline Workbook (ims-xl)" in text
    assert lite_home.LABELS[lite_home.STATUS] in text
    assert "Open Downloaded IMS JSON File" in text  # the button's text box
    assert layout.HOME_FIELD["gstin"].label in text


def test_the_command_line_keeps_the_lite_code_in_the_workbook(workbook: Path, tmp_path: Path) -> None:
    """A Lite workbook filled in Lite, then validated on a PC with the command line: the Lite part,
    its main.py included, comes through byte for byte, and the findings are in their cells."""
    from ims_xl import actions
    from ims_xl.files.fileport import FilePort
    from ims_xl.files.portal import read_portal_file

    book = tmp_path / "client.xlsx"
    shutil.copyfile(workbook, book)
    actions.open_download(FilePort(book), read_portal_file(SAMPLE), SAMPLE.name)  # as Lite's Open fills it

    def lite_parts() -> dict[str, bytes]:
        with zipfile.ZipFile(book) as package:
            return {name: package.read(name) for name in package.namelist() if "webextension" in name}

    before = lite_parts()
    assert before and read_lite_code(book.read_bytes())["main.py"]
    out, err = io.StringIO(), io.StringIO()
    assert main(["-q", "validate", str(book)], out=out, err=err) == 0, err.getvalue()
    assert lite_parts() == before
    assert "Validated 12 records" in out.getvalue()
