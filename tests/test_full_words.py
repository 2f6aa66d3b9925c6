"""Statuses typed short ("a", "accepted") are read, and Validate writes them back as the dropdown's
word, except in a cell that holds a formula (the user's lookup stays a lookup)."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from ims_xl import actions
from ims_xl.core.book import full_word, full_words
from ims_xl.core.sections import BY_KEY, FIRST_DATA_ROW
from ims_xl.excel.xlwings_port import XlwingsPort
from ims_xl.files.fileport import FilePort
from ims_xl.files.package import Package
from ims_xl.lite import scripts
from ims_xl.lite.port import LitePort
from tests.conftest import SAMPLE, open_book
from tests.lite.lite_book_fake import lite_book
from tests.test_cli import cell_texts, run, set_inputs
from tests.xlwings_fake import FakeBook

B2B = BY_KEY["b2b"]


@pytest.mark.parametrize(("field", "typed", "word"), [
    ("status", "a", "Accept"), ("status", " accepted ", "Accept"), ("status", "REJECTED", "Reject"),
    ("status", "keep pending", "Pending"), ("status", "no action", "No Action"), ("itc", "y", "Yes"),
    ("itc", "NO", "No"),
])
def test_a_status_typed_another_way_has_its_full_word(field: str, typed: str, word: str) -> None:
    assert full_word(field, typed) == word


@pytest.mark.parametrize("typed", ["Accept", "No Action", None, "", "Accpet", 5])
def test_nothing_to_write_back_for_the_word_itself_a_blank_or_a_mistake(typed: object) -> None:
    assert full_word("status", typed) is None


def status_letter(section=B2B) -> str:
    index = section.index("status")
    return chr(ord("A") + index) if index < 26 else "A" + chr(ord("A") + index - 26)


def put_formula(book: Path, sheet: str, reference: str, formula: str, shows: str) -> None:
    """Replace a cell with a formula and the value it shows, as Excel saves it."""
    with Package(book) as package:
        part = package.sheet_parts[sheet]
    temporary = book.with_name(book.name + ".tmp")
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                cell = re.compile(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % reference.encode(), re.S)
                new = b'<c r="%s" t="str"><f>%s</f><v>%s</v></c>' % (reference.encode(), formula.encode(),
                                                                     shows.encode())
                data, count = cell.subn(new, data, count=1)
                assert count == 1, f"no cell {reference} on {sheet}"
            target.writestr(info, data)
    shutil.move(temporary, book)


def test_validate_writes_full_words_but_not_over_a_formula(sample_json: Path, tmp_path: Path) -> None:
    book = open_book(sample_json, tmp_path / "client.xlsm")
    set_inputs(book, {("b2b", 0): {"status": "a"}, ("b2b", 1): {"status": "rejected"},
                      ("b2b", 2): {"status": "Pending"}})
    lookup_row = FIRST_DATA_ROW + 2
    put_formula(book, "B2B", f"{status_letter()}{lookup_row}", 'LOWER("P")', "p")

    code, out, err = run("-q", "validate", book)

    assert code in (0, 1), err
    assert f"written as the full word (a cell with a formula keeps it): B2B rows {FIRST_DATA_ROW}, " in out
    assert cell_texts(book, "B2B", "Status")[:3] == ["Accept", "Reject", '=LOWER("P")']  # the formula stays
    state = FilePort(book).load()
    assert [entry.status for entry in state.entries["b2b"][:3]] == ["Accept", "Reject", "p"]


def test_validate_in_excel_writes_full_words_but_not_over_a_formula(sample_json: Path, tmp_path: Path) -> None:
    fake = FakeBook.from_file(open_book(sample_json, tmp_path / "client.xlsm"))
    sheet = fake.sheets["B2B"]
    column = B2B.index("status") + 1
    sheet.type_in(FIRST_DATA_ROW, column, "a")
    sheet.type_in(FIRST_DATA_ROW + 1, column, "accepted")
    sheet.type_formula(FIRST_DATA_ROW + 2, column, '=LOWER("R")', shows="r")

    actions.validate_book(XlwingsPort(fake))

    assert [sheet.value_at(FIRST_DATA_ROW + i, column) for i in range(3)] == ["Accept", "Accept", "r"]
    assert sheet.formulas[(FIRST_DATA_ROW + 2, column)] == '=LOWER("R")'


def test_an_untouched_book_gets_no_status_writes(sample_json: Path, tmp_path: Path) -> None:
    fake = FakeBook.from_file(open_book(sample_json, tmp_path / "client.xlsm"))
    column = B2B.index("status") + 1
    actions.validate_book(XlwingsPort(fake))
    assert not [key for key in fake.sheets["B2B"].written if key[1] == column]


def test_generate_writes_full_words_and_names_the_rows(sample_json: Path, tmp_path: Path) -> None:
    book = open_book(sample_json, tmp_path / "client.xlsm")
    set_inputs(book, {("b2b", 0): {"status": "accepted"}})
    code, out, err = run("-q", "generate", book, "-o", tmp_path / "upload.json")
    assert code == 0, err
    assert cell_texts(book, "B2B", "Status")[0] == "Accept"
    assert f"written as the full word (a cell with a formula keeps it): B2B row {FIRST_DATA_ROW}" in out
    assert [record["action"] for record in json.loads((tmp_path / "upload.json").read_text())["invdata"]["b2b"]] == [
        "A"]


def test_lite_reads_a_status_typed_short_but_leaves_it_as_typed(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(SAMPLE, folder / "returns_R1_27AAPFU0939F1ZV_102025.json")
    book = lite_book()
    scripts.open_json(book, folder)
    column = B2B.index("status") + 1
    book.sheets["B2B"].range((FIRST_DATA_ROW, column)).value = "a"
    scripts.validate_sheet(book)
    assert book.sheets["B2B"].get(FIRST_DATA_ROW, column) == "a"  # Lite cannot see a formula: no write-back
    state = LitePort(book).load()
    assert full_words(state.entries["b2b"][0]) == {"status": "Accept"}  # read as what it means
