"""`ims-xl doctor` and `ims-xl repoint`: what is wrong with a PC or a book's buttons, and the fix that works."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ims_xl import __version__
from ims_xl.cli import main
from ims_xl.commands import doctor
from ims_xl.commands.doctor import Finding, Machine, diagnose, has_problems, render
from ims_xl.commands.repoint import VBA_PART, conf_edit, repoint
from ims_xl.core.book import BookState
from ims_xl.excel import vbaproject
from ims_xl.excel.template import build_template, this_interpreter_conf
from ims_xl.files.fileport import FilePort, read_conf
from ims_xl.files.sheetxml import SheetEdit, patch_sheet

XLWINGS = "0.37.8"
NOWHERE = "/no/such/folder/python3"
PYTHON_LINE = ": its buttons' Python "  # the interpreter check's line


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def linux(home: Path) -> Machine:
    return Machine(system="linux", home=home, excel_found=False)


def mac(home: Path, *, excel: bool = True) -> Machine:
    return Machine(system="darwin", home=home, excel_found=excel)


def windows(home: Path, *, excel: bool = True, zone: str | None = None,
            path: dict[str, str] | None = None) -> Machine:
    return Machine(system="win32", home=home, excel_found=excel, zone_identifier=lambda book: zone,
                   which=lambda name: (path or {}).get(name))


def helper(home: Path, version: str = XLWINGS) -> Path:
    """Where `xlwings runpython install` puts the AppleScript on a Mac."""
    target = home / "Library" / "Application Scripts" / "com.microsoft.Excel" / f"xlwings-{version}.applescript"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("on VbaHandler(args)\nend VbaHandler\n")
    return target


def about(findings: list[Finding], words: str) -> Finding:
    matches = [finding for finding in findings if words in finding.text]
    assert len(matches) == 1, f"{words!r} in {render(findings)}"
    return matches[0]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """What `ims-xl workbook -o IMS.xlsm` writes: buttons pointed at this Python."""
    target = tmp_path / "IMS.xlsm"
    build_template(target, conf=this_interpreter_conf())
    return target


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with neither ims_xl nor xlwings: a fresh virtual environment."""
    where = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    return where / "bin" / "python"


# --- this PC ----------------------------------------------------------------------------------------


def test_without_a_book_it_reports_this_python_and_that_the_command_line_works_without_excel() -> None:
    code, out, err = run("doctor")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == (f"ok       this Python: {sys.version.split()[0]} at {sys.executable}; ims-xl {__version__}; "
                        f"xlwings {XLWINGS}")
    assert lines[1].startswith("note     Excel: not found on this Linux machine; the command line does the same work")


def test_a_mac_with_excel_needs_the_runpython_helper_of_the_books_xlwings(home: Path, book: Path) -> None:
    missing = diagnose(book, mac(home))
    finding = about(missing, "RunPython helper")
    assert finding.status == "problem"
    assert f"xlwings-{XLWINGS}.applescript is missing" in finding.text
    assert "xlwings runpython install" in finding.fix
    assert has_problems(missing)

    helper(home)
    installed = diagnose(book, mac(home))
    assert about(installed, "RunPython helper").status == "ok"
    assert not has_problems(installed), render(installed)


def test_a_mac_without_excel_gets_a_note_and_no_helper_check(home: Path, book: Path) -> None:
    findings = diagnose(book, mac(home, excel=False))
    assert about(findings, "Excel: not found on this macOS machine").status == "note"
    assert not [f for f in findings if "RunPython helper" in f.text]
    assert not has_problems(findings)


def test_windows_excel_found_or_not(tmp_path: Path) -> None:
    assert about(diagnose(None, windows(tmp_path)), "Excel").text == "Excel: registered"
    assert about(diagnose(None, windows(tmp_path, excel=False)), "Excel").status == "note"


# --- a healthy book ------------------------------------------------------------------------------------


def test_a_book_from_ims_xl_workbook_is_healthy(book: Path) -> None:
    code, out, err = run("doctor", str(book))
    assert code == 0, out + err
    assert f"ok       IMS.xlsm: an ims-xl workbook, written by ims-xl {__version__}" in out
    assert "ok       IMS.xlsm: macro-enabled" in out
    assert (f"ok       IMS.xlsm: its buttons' Python {sys.executable} (this Python) (the Python named in the "
            f"workbook) runs, with ims-xl {__version__} and xlwings {XLWINGS}") in out
    assert "INTERPRETER" not in out and "xlwings.conf" not in out
    assert f"ok       IMS.xlsm: its VBA is xlwings {XLWINGS}, the same as its buttons' Python has" in out
    assert "ok       IMS.xlsm: not open" in out
    assert "problem" not in out


def test_an_xlsx_has_no_buttons_which_is_a_note(sample_xlsx: Path) -> None:
    code, out, _ = run("doctor", str(sample_xlsx))
    assert code == 0
    assert "note     sample.xlsx: an .xlsx has no buttons; the command line works on it" in out


# --- what goes wrong with a book -----------------------------------------------------------------------


def test_missing_interpreter_is_a_problem_where_excel_runs_the_buttons(book: Path, home: Path) -> None:
    repoint(book, {"INTERPRETER_MAC": NOWHERE, "INTERPRETER_WIN": NOWHERE})
    helper(home)
    findings = diagnose(book, mac(home))
    finding = about(findings, PYTHON_LINE)
    assert finding.status == "problem"
    assert finding.text == (f"IMS.xlsm: its buttons' Python {NOWHERE} (the Python named in the workbook) is not "
                            "there")
    assert finding.fix.startswith(f"ims-xl repoint {book}")
    assert about(findings, "its VBA is").status == "note"  # nothing to compare with
    assert has_problems(findings)

    # On Linux no Excel runs the buttons: the same finding is a note, and doctor exits 0.
    code, out, _ = run("doctor", str(book))
    assert code == 0
    assert f"note     IMS.xlsm: its buttons' Python {NOWHERE}" in out
    assert "(matters only where Excel runs the buttons)" in out


def test_interpreter_without_ims_xl_is_a_problem_and_repoint_fixes_it(book: Path, home: Path,
                                                                       bare_python: Path) -> None:
    repoint(book, {"INTERPRETER_MAC": str(bare_python), "INTERPRETER_WIN": str(bare_python)})
    helper(home)
    finding = about(diagnose(book, mac(home)), PYTHON_LINE)
    assert finding.status == "problem"
    assert finding.text.endswith("cannot run them: ModuleNotFoundError: No module named 'ims_xl'")
    assert f"ims-xl repoint {book}" in finding.fix
    assert f"{bare_python} -m pip install ims_xl-{__version__}-py3-none-any.whl" in finding.fix

    code, out, err = run("repoint", str(book))
    assert (code, err) == (0, ""), out
    assert read_conf(book)["INTERPRETER_MAC"] == sys.executable
    assert not has_problems(diagnose(book, mac(home)))


def test_windows_reads_interpreter_win_and_falls_back_to_pythonw_on_the_path(book: Path, tmp_path: Path) -> None:
    repoint(book, {"INTERPRETER_WIN": sys.executable, "INTERPRETER_MAC": NOWHERE})
    assert about(diagnose(book, windows(tmp_path)), PYTHON_LINE).status == "ok"
    assert about(diagnose(book, mac(tmp_path)), PYTHON_LINE).status == "problem"

    shipped = tmp_path / "shipped.xlsm"
    build_template(shipped)  # names no interpreter: xlwings runs "pythonw" from the PATH on Windows
    nothing_on_path = about(diagnose(shipped, windows(tmp_path)), PYTHON_LINE)
    assert nothing_on_path.status == "problem"
    assert "pythonw (xlwings' default 'pythonw' on the PATH" in nothing_on_path.text
    on_path = about(diagnose(shipped, windows(tmp_path, path={"pythonw": sys.executable})), PYTHON_LINE)
    assert on_path.status == "ok", on_path


def patched_vba(book: Path, version: str) -> bytes:
    """The book's VBA project with the xlwings module claiming another xlwings version."""
    with zipfile.ZipFile(book) as archive:
        project = archive.read(VBA_PART)
    source = vbaproject.module_source(project, "xlwings")
    assert f'XLWINGS_VERSION As String = "{XLWINGS}"' in source
    return vbaproject.replace_module_source(project, "xlwings", source.replace(f'"{XLWINGS}"', f'"{version}"', 1))


def test_vba_version_unlike_the_interpreters_xlwings_is_a_problem_and_repoint_vba_fixes_it(
        book: Path, home: Path) -> None:
    repoint(book, {}, vba=patched_vba(book, "0.30.0"))
    helper(home, "0.30.0")  # the helper the old VBA asks for is there: only the versions differ
    findings = diagnose(book, mac(home))
    finding = about(findings, "its VBA is")
    assert finding.status == "problem"
    assert finding.text == (f"IMS.xlsm: its VBA is xlwings 0.30.0 but its buttons' Python has xlwings {XLWINGS}; "
                            "RunPython refuses a different version")
    assert finding.fix.startswith(f"ims-xl repoint {book} --vba")
    assert about(findings, "RunPython helper").text.startswith("RunPython helper for Excel: xlwings-0.30.0")

    code, out, err = run("repoint", str(book), "--vba")
    assert (code, err) == (0, ""), out
    helper(home)
    after = diagnose(book, mac(home))
    assert about(after, "its VBA is").status == "ok"
    assert not has_problems(after), render(after)


@pytest.mark.parametrize("lock_name", ["~$IMS.xlsm", ".~lock.IMS.xlsm#"])
def test_a_lock_file_is_a_problem_and_repoint_refuses(book: Path, lock_name: str) -> None:
    lock = book.with_name(lock_name)
    lock.write_text("someone")
    before = book.read_bytes()

    code, out, _ = run("doctor", str(book))
    assert code == 1
    assert f"problem  IMS.xlsm: open elsewhere or left over from a crash: lock file {lock_name}" in out
    assert "fix: close the book in Excel or LibreOffice; if nobody has it open, delete" in out

    code, out, err = run("repoint", str(book))
    assert code == 2
    assert err.startswith(f"ims-xl: error: {book.name}: the workbook is open in ") and lock_name in err
    assert err.endswith(" [open-in-another-program]\n")
    assert book.read_bytes() == before


def test_a_workbook_not_made_by_ims_xl_is_a_problem(tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    code, out, _ = run("doctor", str(other))
    assert code == 1
    assert "problem  other.xlsx: not an ims-xl workbook (no sheet Home, B2B, B2BA" in out
    assert "fix: open the portal download into a new book: ims-xl open DOWNLOAD -o NAME.xlsm" in out


@pytest.mark.parametrize("content", [None, b"not a zip at all"])
def test_a_missing_or_unreadable_book_is_one_line_and_exit_2(tmp_path: Path, content: bytes | None) -> None:
    target = tmp_path / "client.xlsm"
    if content is not None:
        target.write_bytes(content)
    code, out, err = run("doctor", str(target))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith((f"ims-xl: error: {target}: ", f"ims-xl: error: {target.name}: "))
    assert err.endswith(" [no-such-workbook]\n" if content is None else " [not-a-workbook]\n")


def test_windows_internet_mark_blocks_macros_until_unblocked(book: Path, tmp_path: Path) -> None:
    marked = windows(tmp_path, zone="[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://mail.example/\r\n")
    finding = about(diagnose(book, marked), "from the internet")
    assert finding.status == "problem"
    assert "ZoneId=3" in finding.text and "Excel blocks its macros" in finding.text
    assert "Unblock" in finding.fix and "Trusted Locations" in finding.fix

    assert about(diagnose(book, windows(tmp_path, zone=None)), "from the internet").status == "ok"
    intranet = windows(tmp_path, zone="[ZoneTransfer]\nZoneId=1\n")
    assert about(diagnose(book, intranet), "from the internet").status == "ok"
    no_excel = windows(tmp_path, excel=False, zone="ZoneId=3")
    assert about(diagnose(book, no_excel), "from the internet").status == "note"
    assert not [f for f in diagnose(book, linux(tmp_path)) if "from the internet" in f.text]


def test_each_problem_line_is_followed_by_its_fix(book: Path, home: Path) -> None:
    repoint(book, {"INTERPRETER_MAC": NOWHERE})
    book.with_name("~$IMS.xlsm").write_text("x")
    lines = render(diagnose(book, mac(home)))
    problems = [i for i, line in enumerate(lines) if line.startswith("problem")]
    assert len(problems) == 3  # the helper, the interpreter, the lock file
    assert all(lines[i + 1].startswith("         fix: ") for i in problems)


# --- repoint keeps the user's file ---------------------------------------------------------------------


def members(book: Path) -> list[tuple[str, tuple[int, ...], int, bytes]]:
    with zipfile.ZipFile(book) as archive:
        return [(i.filename, i.date_time, i.compress_type, archive.read(i)) for i in archive.infolist()]


def decisions(state: BookState) -> list[tuple[object, ...]]:
    return [(e.record.raw, e.status, e.remarks, e.itc) for e in state.all_entries()]


def test_repoint_changes_only_the_conf_sheets_interpreter_cells(sample_book: Path) -> None:
    repoint(sample_book, {"INTERPRETER_MAC": NOWHERE, "INTERPRETER_WIN": NOWHERE})
    before = members(sample_book)
    state_before = FilePort(sample_book).load()

    code, out, err = run("repoint", str(sample_book))
    assert (code, err) == (0, "")
    assert out == f"{sample_book}: its buttons now run {sys.executable}\n"

    after = members(sample_book)
    assert [m[0] for m in after] == [m[0] for m in before]
    changed = [b[0] for b, a in zip(before, after, strict=True) if a != b]
    assert changed == ["xl/worksheets/sheet14.xml"]  # the xlwings.conf sheet
    assert read_conf(sample_book) == {"SHOW CONSOLE": "False", "INTERPRETER_WIN": sys.executable,
                                      "INTERPRETER_MAC": sys.executable}
    old_conf = next(m[3] for m in before if m[0] == changed[0])
    new_conf = next(m[3] for m in after if m[0] == changed[0])
    assert old_conf.replace(NOWHERE.encode(), sys.executable.encode()) == new_conf  # the rest of it, byte for byte
    assert decisions(FilePort(sample_book).load()) == decisions(state_before)


def test_repoint_adds_the_interpreter_rows_a_shipped_template_lacks(tmp_path: Path) -> None:
    shipped = tmp_path / "IMS_Template.xlsm"
    build_template(shipped)
    assert read_conf(shipped) == {"SHOW CONSOLE": "False"}
    repoint(shipped, {"INTERPRETER_WIN": "C:\\Python312\\pythonw.exe", "INTERPRETER_MAC": " /opt/py & co/python3"})
    assert read_conf(shipped) == {"SHOW CONSOLE": "False", "INTERPRETER_WIN": "C:\\Python312\\pythonw.exe",
                                  "INTERPRETER_MAC": " /opt/py & co/python3"}
    with zipfile.ZipFile(shipped) as archive:
        sheet = archive.read("xl/worksheets/sheet14.xml")
    assert b'<dimension ref="A1:B3"/>' in sheet
    assert openpyxl.load_workbook(shipped)["xlwings.conf"]["B3"].value == " /opt/py & co/python3"


def test_conf_keys_found_by_value_whatever_the_cell_type() -> None:
    """The keys are found by their values (Excel saves them as shared strings, XlsxWriter inline)."""
    rows: list[list[object]] = [["SHOW CONSOLE", "False"], ["INTERPRETER_WIN", "C:\\old\\pythonw.exe"]]
    edit = conf_edit(rows, {"INTERPRETER_WIN": "C:\\Python312\\pythonw.exe", "INTERPRETER_MAC": "/py"})
    assert edit.cells == {2: {2: "C:\\Python312\\pythonw.exe"}, 3: {1: "INTERPRETER_MAC", 2: "/py"}}


def test_the_patcher_keeps_a_cells_style_and_fills_cells_without_references() -> None:
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:B2"/>'
             b'<sheetData><row r="1" spans="1:2"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             b'<row r="2" spans="1:2"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1" t="s"><v>3</v></c></row>'
             b"</sheetData></worksheet>")
    edit = SheetEdit()
    edit.set(2, 2, "C:\\Python312\\pythonw.exe")
    assert patch_sheet(sheet, edit) == sheet.replace(
        b'<c r="B2" s="1" t="s"><v>3</v></c>',
        b'<c r="B2" s="1" t="inlineStr"><is><t xml:space="preserve">C:\\Python312\\pythonw.exe</t></is></c>')
    no_references = (b'<worksheet><sheetData><row><c t="inlineStr"><is><t>INTERPRETER_MAC</t></is></c>'
                     b'<c s="3"><v>1</v></c></row></sheetData></worksheet>')
    edit = SheetEdit()
    edit.set(1, 2, "/py")
    assert b'<c r="B1" s="3" t="inlineStr"><is><t xml:space="preserve">/py</t></is></c></row>' in patch_sheet(
        no_references, edit)
    empty = b'<worksheet><dimension ref="A1"/><sheetData/></worksheet>'
    edit = SheetEdit()
    edit.set_row(1, 1, ["K", "v"])
    assert patch_sheet(empty, edit) == (
        b'<worksheet><dimension ref="A1:B1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
        b'<t xml:space="preserve">K</t></is></c><c r="B1" t="inlineStr"><is><t xml:space="preserve">v</t></is></c>'
        b"</row></sheetData></worksheet>")


def test_repoint_refuses_what_it_cannot_repoint(tmp_path: Path, sample_xlsx: Path) -> None:
    code, _, err = run("repoint", str(sample_xlsx))
    assert (code, err) == (2, f"ims-xl: error: {sample_xlsx}: only an .xlsm has buttons to repoint [wrong-file-type]\n")
    code, _, err = run("repoint", str(tmp_path / "none.xlsm"))
    assert code == 2 and re.fullmatch(r"ims-xl: error: .*none\.xlsm: no such workbook \[no-such-workbook\]\n", err)


@pytest.mark.libreoffice
def test_a_book_saved_by_libreoffice_can_be_repointed_and_still_opens(book: Path, tmp_path: Path) -> None:
    from tests.test_libreoffice import convert, tool

    soffice = tool("soffice", "libreoffice-calc-nogui")
    repoint(book, {"INTERPRETER_WIN": NOWHERE, "INTERPRETER_MAC": NOWHERE})
    saved, = convert(soffice, [book], "xlsm:Calc MS Excel 2007 VBA XML", tmp_path / "saved")
    with zipfile.ZipFile(saved) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()  # LibreOffice keeps the keys as shared strings
    assert read_conf(saved)["INTERPRETER_MAC"] == NOWHERE

    code, _, err = run("repoint", str(saved))
    assert (code, err) == (0, "")
    assert read_conf(saved)["INTERPRETER_MAC"] == sys.executable
    reopened, = convert(soffice, [saved], "xlsx", tmp_path / "reopened")
    assert read_conf(reopened)["INTERPRETER_WIN"] == sys.executable


def test_an_interpreter_that_hangs_is_stopped_and_reported(book: Path, home: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    hanging = tmp_path / "python3"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    hanging.chmod(0o755)
    monkeypatch.setattr(doctor, "PROBE_TIMEOUT", 0.5)
    repoint(book, {"INTERPRETER_MAC": str(hanging)})
    finding = about(diagnose(book, mac(home)), PYTHON_LINE)
    assert finding.status == "problem"
    assert finding.text.endswith("did not answer within 0.5 s")
