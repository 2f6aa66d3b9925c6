"""The upload file: golden files per case, the workbook round trip, and a property-based check."""

from __future__ import annotations

import difflib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ims_xl import actions
from ims_xl.core import codec, jsonio
from ims_xl.core.book import Home, entry_from_record
from ims_xl.core.records import make_record
from ims_xl.core.rules import validate
from ims_xl.core.sections import BY_KEY, SECTIONS
from ims_xl.core.upload import ECHOED_KEYS, build_upload
from ims_xl.files.fileport import FilePort
from tests import golden
from tests.builders import RECIPIENT, raw_record
from tests.conftest import open_book


@pytest.mark.parametrize("case", golden.cases())
def test_golden_upload(case: str) -> None:
    actual = golden.render(golden.upload_for(case))
    expected = golden.expected_text(case)
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"{case}.expected.json", "actual"))
        pytest.fail(f"upload differs from the golden file (python -m tests.golden generate --force after a "
                    f"deliberate change):\n{diff}")


@pytest.mark.parametrize("case", golden.cases())
def test_golden_changes_pass_validation(case: str) -> None:
    state = golden.state_for(case)
    golden.apply_changes(state.all_entries(), json.loads((golden.FIXTURES / f"{case}.changes.json").read_text()))
    report, _ = validate(state.all_entries(), Home(gstin=RECIPIENT))
    assert report.errors == []


def test_every_section_appears_in_the_golden_upload() -> None:
    document = json.loads(golden.expected_text("every_section"))
    assert sorted(document["invdata"]) == sorted(section.key for section in SECTIONS)


def test_no_changes_gives_an_empty_upload() -> None:
    assert json.loads(golden.expected_text("no_changes"))["invdata"] == {}


def test_the_workbook_round_trip_gives_the_golden_upload(tmp_path: Path) -> None:
    """Through a real .xlsm: open, type the changes, save, generate; the same bytes as the golden file."""
    book = open_book(golden.FIXTURES / "every_section.ims.json", tmp_path / "book.xlsm")
    port = FilePort(book)
    state = port.load()
    golden.apply_changes(state.all_entries(),
                         json.loads((golden.FIXTURES / "every_section.changes.json").read_text()))
    port.save(state, None, frozenset({"status", "remarks", "itc", "decl_igst", "decl_cgst", "decl_sgst",
                                      "decl_cess"}))
    target = tmp_path / "upload.json"
    outcome = actions.generate_upload(FilePort(book), lambda state, moment: target)
    assert outcome.ok, outcome.details
    assert json.loads(target.read_text()) == json.loads(golden.expected_text("every_section"))
    assert jsonio.loads(target.read_text()) == jsonio.loads(golden.expected_text("every_section"))


# --- property: unchanged -> empty; changed -> exactly those records, values identical --------

_money = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999999.99"), places=2, allow_nan=False,
                     allow_infinity=False) | st.integers(min_value=0, max_value=10**9)
_number = st.from_regex(r"[A-Z0-9][A-Z0-9/\-]{0,15}", fullmatch=True)


@st.composite
def downloads(draw: st.DrawFn) -> list[dict[str, Any]]:
    records = []
    for index in range(draw(st.integers(min_value=1, max_value=12))):
        key = draw(st.sampled_from([section.key for section in SECTIONS]))
        section = BY_KEY[key]
        raw = raw_record(key, **{section.number_key: f"{draw(_number)}{index}"})
        for name in ("val", "txval", "iamt", "camt", "samt", "cess"):
            raw[name] = draw(_money)
        raw["action"] = draw(st.sampled_from("ARPN"))
        raw["ispendactblocked"] = draw(st.sampled_from("YN"))
        records.append({"section": key, "raw": raw})
    return records


def _entries(records: list[dict[str, Any]]):
    return [entry_from_record(make_record(BY_KEY[r["section"]], r["raw"], "test")) for r in records]


def _through_the_sheet(entries):
    """What the workbook gives back: every row written to cells and read again."""
    back = []
    for i, entry in enumerate(entries):
        back += codec.decode_section(entry.section, [(5 + i, codec.section_row(entry))], "test")
    return back


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(downloads())
def test_an_unchanged_download_gives_an_empty_upload(records: list[dict[str, Any]]) -> None:
    document, count = build_upload(_through_the_sheet(_entries(records)), RECIPIENT)
    assert count == 0 and document == {"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": {}}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(downloads(), st.data())
def test_changed_rows_give_exactly_those_records_with_identical_values(records, data) -> None:
    entries = _through_the_sheet(_entries(records))
    changed = {}
    for index, entry in enumerate(entries):
        downloaded = entry.record.model.action
        blocked = entry.record.model.pending_blocked
        choices = [code for code in "ARP" if code != downloaded and not (code == "P" and blocked)]
        if choices and data.draw(st.booleans()):
            new = data.draw(st.sampled_from(choices))
            entry.status = {"A": "Accept", "R": "Reject", "P": "Pending"}[new]
            if new == "A" and entry.section.takes_itc_declaration:
                entry.itc = "No"
            changed[index] = new
    document, count = build_upload(entries, RECIPIENT)
    assert count == len(changed)
    sent = [record for section in SECTIONS for record in document["invdata"].get(section.key, [])]
    expected = [i for section in SECTIONS for i, e in enumerate(entries) if e.section is section and i in changed]
    for record, index in zip(sent, expected, strict=True):
        raw = records[index]["raw"]
        assert record["action"] == changed[index]
        assert record["prev_status"] == raw["action"]
        for key, value in raw.items():
            if key in ECHOED_KEYS:
                assert record[key] == value and type(record[key]) is type(value), key
                assert jsonio.dumps(record[key]) == jsonio.dumps(value)
