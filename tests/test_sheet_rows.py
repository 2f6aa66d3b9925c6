"""New rows are encoded from per-column templates with a fast path for plain text: what a user
reads back must be exactly what the download held, whatever characters the text has."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from python_calamine import CalamineWorkbook

from ims_xl.core import codec
from ims_xl.core.book import entry_from_record
from ims_xl.core.sections import BY_KEY, FIRST_DATA_ROW
from ims_xl.files import package
from ims_xl.files.portal import read_portal_file
from ims_xl.files.sheetxml import PatchOutcome, _Context, _new_row, encode_rows
from tests.conftest import SAMPLE
from tests.test_cli import run

AWKWARD_TEXTS = [
    "Plain Traders Pvt Ltd",
    "A & B <Steel> \"Co\" 'Ltd'",
    "Looks_x0041_escaped",
    "snake_case_name",
    "tab\there",
    "line\nbreak",
    "non\u00a0breaking space",
    "\u0936\u094d\u0930\u0940 \u0917\u0923\u0947\u0936",  # Devanagari
    "emoji \U0001F600",
    "  leading and trailing  ",
    "bell\x07char",
]


def test_opened_book_holds_every_text_as_downloaded(tmp_path: Path) -> None:
    document = json.loads(SAMPLE.read_text(encoding="utf-8"))
    records = document["imsDetails"]["b2b"]
    template = records[0]
    document["imsDetails"]["b2b"] = [dict(template, tradenm=text, inum=f"T{i}") for i, text in enumerate(AWKWARD_TEXTS)]
    download = tmp_path / "awkward.json"
    download.write_text(json.dumps(document), encoding="utf-8")
    book = tmp_path / "awkward.xlsx"
    code, _, err = run("-q", "open", download, "-o", book)
    assert code == 0, err
    sheet = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(BY_KEY["b2b"].sheet).to_python()
    column = BY_KEY["b2b"].index("tradenm")
    shown = [row[column] for row in sheet[FIRST_DATA_ROW - 1:]]
    assert shown == AWKWARD_TEXTS


def test_templated_rows_are_the_bytes_the_general_encoder_writes() -> None:
    values = [*AWKWARD_TEXTS, None, "", Decimal("142700.00"), Decimal("1E+2"), Decimal("-0.50"), 7, 2.5, True,
              date(2025, 10, 3), datetime(2025, 10, 3, 12, 30)]
    styles = {1: 3, 2: 5, 4: 7, 20: 9}
    for first, date1904 in ((1, False), (3, True), (27, False)):
        context = _Context(styles, date1904, PatchOutcome())
        rows = [(FIRST_DATA_ROW + i, first, values[i:] + values[:i]) for i in range(len(values))]
        templated = b"".join(encode_rows(rows, styles, rows_per_piece=4, date1904=date1904))
        general = b"".join(_new_row(row, {first + c: v for c, v in enumerate(cells)}, context)
                           for row, _, cells in rows)
        assert templated == general


def test_a_full_sheet_of_the_tools_own_rows_is_within_the_workbook_limits(sample_json: Path) -> None:
    """The book-side limits must admit what the tool writes: a million-record month fills a sheet."""
    records = read_portal_file(sample_json).records
    rows = [(1_048_576, 1, codec.section_row(entry_from_record(record))) for record in records]
    widest = max(len(b"".join(encode_rows([row], {c: 9 for c in range(1, 60)}))) for row in rows)
    assert widest * 1_048_576 < package.PART_LIMIT < package.PACKAGE_LIMIT
