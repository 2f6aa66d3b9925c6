"""Books survive upgrades: a book of each released layout (tests/fixtures/layouts/) keeps working
with every command, its decisions and its upload intact.

``layout1_213ee6d.xlsm`` was written by commit 213ee6d (the release before layout versions): the
sample download opened with `ims-xl open`, then B2B SGT/2025/0417 Accept, B2B 000123 Reject with
remarks "No goods received", B2B-CN CN-0008 Accept with ITC to be reduced = Yes, B2B-DN DN/25/014
Pending with remarks "Rate query", saved by that build's file port, then validated.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ims_xl import macros
from ims_xl.core import jsonio, layout
from ims_xl.core.sections import BY_KEY, HEADER_ROW, SECTIONS, fields_of_layout
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files import backups
from ims_xl.files.fileport import FilePort
from ims_xl.files.upgrade import book_layout
from tests.conftest import FIXTURES, SAMPLE
from tests.test_month import register_of_everything, run, sample, write
from tests.xlwings_fake import FakeBook

RELEASED = sorted((FIXTURES / "layouts").glob("layout*.xlsm"))
DECISIONS = {("b2b", 0): ("Accept", None), ("b2b", 1): ("Reject", "No goods received"),
             ("b2bcn", 1): ("Accept", None), ("b2bdn", 0): ("Pending", "Rate query")}


@pytest.fixture(params=RELEASED, ids=[path.stem for path in RELEASED])
def old_book(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    target = tmp_path / "client.xlsm"
    shutil.copyfile(request.param, target)
    return target


def headers(book: Path, sheet: str) -> list[Any]:
    rows = openpyxl.load_workbook(book, read_only=True)[sheet].iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW,
                                                                        values_only=True)
    return list(next(iter(rows)))


def assert_decisions_kept(book: Path) -> None:
    state = FilePort(book, read_only=True).load()
    for (key, index), (status, remarks) in DECISIONS.items():
        entry = state.entries[key][index]
        assert (entry.status, entry.remarks) == (status, remarks), (key, index)
    assert str(state.entries["b2bcn"][1].itc) == "Yes"


def assert_upgraded(book: Path) -> None:
    assert book_layout(book) == layout.LAYOUT_VERSION
    for section in SECTIONS:
        assert headers(book, section.sheet)[:len(section.columns)] == [c.header for c in section.columns]
    log = [row for row in openpyxl.load_workbook(book, read_only=True)[layout.CHANGE_LOG].iter_rows(
        min_row=layout.CHANGE_LOG_TABLE.first_row, values_only=True) if row[0]]
    upgrades = [row for row in log if row[1] == "Upgrade"]
    assert len(upgrades) == 1 and upgrades[0][2].startswith("Workbook layout 1 -> 2")
    assert backups.backups_of(book), "a backup before the upgrade"
    home = openpyxl.load_workbook(book, read_only=True)[layout.HOME]
    cell = layout.HOME_FIELD["layout"].cell
    assert home.cell(cell.row, cell.column).value == layout.LAYOUT_VERSION
    assert home.cell(cell.row, cell.column - 1).value == "Workbook layout"


def test_the_fixture_is_of_the_old_layout(old_book: Path) -> None:
    assert book_layout(old_book) == 1
    b2b = BY_KEY["b2b"]
    assert headers(old_book, "B2B")[:len(b2b.columns)] == [b2b.column(f).header for f in fields_of_layout(b2b, 1)]


def test_doctor_reports_the_layout_before_and_after_the_upgrade(old_book: Path) -> None:
    _, out, _ = run("doctor", old_book)
    assert "workbook layout 1, from an earlier ims-xl; the next command that writes it upgrades it" in out
    assert run("-q", "validate", old_book)[0] == 0
    _, out, _ = run("doctor", old_book)
    assert f"client.xlsm: workbook layout {layout.LAYOUT_VERSION} (current)" in out


def test_commands_that_only_read_leave_an_old_book_as_it_is(old_book: Path, tmp_path: Path) -> None:
    before = old_book.read_bytes()
    code, out, _ = run("-q", "summary", old_book, "--json")
    assert code == 0
    records = jsonio.loads(out)["records"]
    assert records["B2B"] == {"No Action": 0, "Accept": 2, "Reject": 1, "Pending": 1}
    assert run("-q", "suppliers", old_book, "-o", tmp_path / "pack.xlsx")[0] == 0
    assert old_book.read_bytes() == before


@pytest.mark.parametrize("command", ["validate", "generate", "errors", "reconcile", "refresh", "repoint", "practice"])
def test_every_command_upgrades_an_old_book_and_keeps_its_decisions(old_book: Path, tmp_path: Path,
                                                                    command: str) -> None:
    folder = old_book.parent
    if command == "validate":
        code, out, _ = run("-q", "validate", old_book)
        assert code == 0 and out.startswith("Validated 12 records: no errors")
    elif command == "generate":
        assert run("-q", "generate", old_book, "-o", folder / "up.json")[0] == 0
    elif command == "errors":
        record = dict(sample()["imsDetails"]["b2bcn"][0], error_msg="Invoice edited by supplier")
        errors = write(folder / "errors.json", {"imsDetailsErr": {"b2bcn": [record]}})
        assert run("-q", "errors", errors, old_book)[0] == 0
        assert FilePort(old_book).load().entries["b2bcn"][0].portal_errors
    elif command == "reconcile":
        assert run("-q", "reconcile", old_book, register_of_everything(tmp_path))[0] == 0
        assert FilePort(old_book).load().entries["b2bdn"][0].suggested_action == "Accept"
    elif command == "refresh":
        newer = sample()
        newer["imsDetails"]["b2b"][2]["txval"] = 1  # a record nobody decided: no decision reset
        assert run("-q", "refresh", old_book, write(folder / "newer.json", newer))[0] == 0
    elif command == "repoint":
        assert run("-q", "repoint", old_book)[0] == 0
    else:  # practice: the client's download beside its book, as `practice` names them
        shutil.copyfile(SAMPLE, folder / "client.json")
        assert run("-q", "practice", folder)[0] == 0
    if command != "repoint":  # repoint edits only xlwings.conf: the layout waits for the next command
        assert_upgraded(old_book)
    assert_decisions_kept(old_book)
    assert run("-q", "generate", old_book, "-o", folder / "after.json")[0] == 0
    sent = jsonio.loads((folder / "after.json").read_text())["invdata"]
    assert [(r["inum"], r["action"], r.get("remarks")) for r in sent["b2b"]] == [
        ("SGT/2025/0417", "A", None), ("000123", "R", "No goods received")]
    assert [(r["nt_num"], r["action"], r["itcRedReq"]) for r in sent["b2bcn"]] == [("CN-0008", "A", "Y")]
    assert [(r["nt_num"], r["action"], r["remarks"]) for r in sent["b2bdn"]] == [("DN/25/014", "P", "Rate query")]


def test_the_upgrade_moves_the_users_cells_styles_and_rules_with_their_columns(old_book: Path) -> None:
    sheet_before = openpyxl.load_workbook(old_book)["B2B-CN"]
    b2bcn = BY_KEY["b2bcn"]
    old = {name: i + 1 for i, name in enumerate(fields_of_layout(b2bcn, 1))}
    before = {name: (sheet_before.cell(6, column).value, sheet_before.cell(6, column).protection.locked)
              for name, column in old.items() if name != "record"}
    remarks_rule = {str(dv.sqref) for dv in sheet_before.data_validations.dataValidation if dv.type == "textLength"}

    assert run("-q", "validate", old_book)[0] == 0

    sheet = openpyxl.load_workbook(old_book)["B2B-CN"]
    after = {name: (sheet.cell(6, b2bcn.index(name) + 1).value,
                    sheet.cell(6, b2bcn.index(name) + 1).protection.locked) for name in before}
    assert after == before  # every value, and whether the user may type in it, moved with its column
    assert after["itc"] == ("Yes", False) and after["status"] == ("Accept", False)
    letter = layout.column_letter
    assert {str(dv.sqref) for dv in sheet.data_validations.dataValidation if dv.type == "textLength"} == {
        f"{letter(b2bcn.index('remarks') + 1)}5:{letter(b2bcn.index('remarks') + 1)}1048576"} != remarks_rule
    formulas = [rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules]
    errors = letter(b2bcn.index("sheet_errors") + 1)
    assert f'ISNUMBER(SEARCH("ERROR [Remarks]",${errors}5))' in formulas
    assert any(layout.RESET_MARK in formula for formula in formulas)
    widths = {name: sheet.column_dimensions[letter(b2bcn.index(name) + 1)].width for name in ("remarks", "itc")}
    assert widths["remarks"] > widths["itc"]


def test_a_button_on_an_old_book_says_how_to_upgrade_it(old_book: Path) -> None:
    fake = FakeBook.from_file(old_book)
    macros.validate_sheet(port=XlwingsPort(fake))
    [alert] = fake.app.alerts
    assert alert["title"] == "ims-xl: cannot do that"
    assert "has layout 1, from an earlier ims-xl" in alert["prompt"]
    assert "ims-xl validate client.xlsm" in alert["prompt"]
    assert fake.count("write") == 0

    assert run("-q", "validate", old_book)[0] == 0
    upgraded = FakeBook.from_file(old_book)
    macros.validate_sheet(port=XlwingsPort(upgraded))
    assert upgraded.app.alerts[-1]["prompt"].startswith("Validated 12 records: no errors")
