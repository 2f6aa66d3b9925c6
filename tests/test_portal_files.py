"""Reading portal files: every envelope, zip and BOM, field spellings, and one-line errors."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from ims_xl.core import jsonio
from ims_xl.core.problems import InputError
from ims_xl.files.portal import read_portal_file
from tests.builders import RECIPIENT, raw_record
from tests.conftest import SAMPLE


def write(tmp_path: Path, document: object, name: str = "f.json", *, bom: bool = False) -> Path:
    path = tmp_path / name
    text = jsonio.dumps(document)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


SECTIONS = {"b2b": [raw_record("b2b")], "b2bcn": [raw_record("b2bcn")]}


@pytest.mark.parametrize(("document", "envelope"), [
    ({"imsDetails": SECTIONS}, "download"),
    ({"imsDetailsErr": SECTIONS}, "error"),
    ({"rtin": RECIPIENT, "reqtyp": "SAVE", "invdata": SECTIONS}, "upload"),
    (SECTIONS, "bare"),
    ({"data": {"imsDetails": SECTIONS}}, "download"),
    ({"data": SECTIONS}, "bare"),
])
def test_every_envelope_is_read(tmp_path: Path, document: dict, envelope: str) -> None:
    read = read_portal_file(write(tmp_path, document))
    assert read.envelope == envelope
    assert sorted(r.section.key for r in read.records) == ["b2b", "b2bcn"]


def test_top_level_gstin_or_rtin_gives_the_recipient(tmp_path: Path) -> None:
    assert read_portal_file(write(tmp_path, {"gstin": RECIPIENT, "imsDetails": SECTIONS})).gstin == RECIPIENT
    assert read_portal_file(write(tmp_path, {"rtin": RECIPIENT.lower(), "imsDetails": SECTIONS})).gstin == RECIPIENT
    assert read_portal_file(write(tmp_path, {"imsDetails": SECTIONS})).gstin is None


def test_keys_outside_the_envelope_are_kept(tmp_path: Path) -> None:
    read = read_portal_file(write(tmp_path, {"gstin": RECIPIENT, "chksum": "abc", "imsDetails": SECTIONS}))
    assert read.top_level == {"gstin": RECIPIENT, "chksum": "abc"}


def test_bom_and_zip_are_read(tmp_path: Path) -> None:
    plain = write(tmp_path, {"imsDetails": SECTIONS}, bom=True)
    assert len(read_portal_file(plain).records) == 2
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("IMS_27AAPFU0939F1ZV.json", plain.read_bytes())
    assert len(read_portal_file(archive).records) == 2


def test_money_stays_exact_and_numbers_stay_text(tmp_path: Path) -> None:
    read = read_portal_file(SAMPLE)
    first = read.by_section()["b2b"][0]
    assert first.raw["val"] == 142700 and isinstance(first.raw["val"], int)
    assert first.raw["camt"] == Decimal("10883.91")
    assert read.by_section()["b2b"][1].number == "000123"


def test_unknown_fields_and_spellings_are_kept_as_read(tmp_path: Path) -> None:
    record = raw_record("b2bcn", isItcRedReqBlocked=None, itcRedReqBlocked="N", itc_red_req="Y",
                        decl_igst=Decimal("1.50"), ItcAvailabilityCheck="Y")
    [read] = read_portal_file(write(tmp_path, {"imsDetails": {"b2bcn": [record]}})).records
    assert read.model.itc_blocked is False and read.model.itc_reduce is True
    assert read.model.decl_igst == Decimal("1.50")
    assert read.raw["ItcAvailabilityCheck"] == "Y" and list(read.raw) == list(record)


def test_sections_outside_the_eight_are_skipped(tmp_path: Path) -> None:
    document = {"imsDetails": {"b2b": [raw_record("b2b")], "impg": [{"boenum": "1"}], "isd": []}}
    assert [r.section.key for r in read_portal_file(write(tmp_path, document)).records] == ["b2b"]


# --- bad input: one line naming the file and where -------------------------------------------

def error_for(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_portal_file(path)
    assert "\n" not in str(caught.value)
    return caught.value


def message_for(path: Path, code: str) -> str:
    """The one-line message, after checking the stable code (catalogue.INPUT_ERRORS)."""
    error = error_for(path)
    assert error.code == code, str(error)
    return str(error)


def test_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(SAMPLE.read_text()[:500])
    assert message_for(path, "invalid-json").startswith("cut.json: not valid JSON: the file is cut short")


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("hello there")
    assert message_for(path, "invalid-json").startswith("notes.json: not valid JSON")


def test_a_picture(tmp_path: Path) -> None:
    path = tmp_path / "scan.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    assert "not a JSON text file" in message_for(path, "not-json-text")


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    assert message_for(path, "empty-file") == "empty.json: the file is empty"


def test_a_missing_file(tmp_path: Path) -> None:
    assert message_for(tmp_path / "nope.json", "no-such-file").endswith("nope.json: no such file")


def test_wrong_shapes(tmp_path: Path) -> None:
    assert "expected a JSON object, found a list" in message_for(write(tmp_path, [1, 2]), "not-an-ims-file")
    assert "no imsDetails" in message_for(write(tmp_path, {"hello": 1}), "not-an-ims-file")
    assert "section b2b should be a list" in message_for(
        write(tmp_path, {"imsDetails": {"b2b": {"x": 1}}}), "unexpected-json-shape")
    assert "expected a record object" in message_for(write(tmp_path, {"imsDetails": {"b2b": [7]}}), "invalid-record")


def test_wrong_types_name_section_record_and_field(tmp_path: Path) -> None:
    bad_date = raw_record("b2b", idt="2025-10-04")
    text = message_for(write(tmp_path, {"imsDetails": {"b2b": [raw_record("b2b"), bad_date]}}, "d.json"),
                       "invalid-record")
    assert text.startswith("d.json: section b2b, record 2 (DOC-1), field idt:")
    assert "dd-mm-yyyy" in text
    error = error_for(tmp_path / "d.json")
    assert (error.code, error.file, error.field) == ("invalid-record", "d.json", "idt")
    missing = raw_record("b2bcn", txval=None)
    assert "record 1 (DOC-1), field txval: is missing" in message_for(
        write(tmp_path, {"imsDetails": {"b2bcn": [missing]}}), "invalid-record")
    assert "field val" in message_for(
        write(tmp_path, {"imsDetails": {"b2b": [raw_record("b2b", val="lots")]}}), "invalid-record")
    assert "field action" in message_for(
        write(tmp_path, {"imsDetails": {"b2b": [raw_record("b2b", action="X")]}}), "invalid-record")


def test_a_zip_with_two_files_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.json", "{}")
        zipped.writestr("b.json", "{}")
    assert "expected one JSON file in the zip, found a.json, b.json" in message_for(archive, "zip-not-one-json")


def test_a_damaged_zip(tmp_path: Path) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 20)
    assert "damaged or incomplete" in message_for(path, "bad-zip")


def test_json_dumps_keeps_decimal_digits() -> None:
    document = jsonio.loads('{"a": 142700, "b": 142700.00, "c": 10883.91, "d": 0.10}')
    assert jsonio.dumps(document) == '{"a":142700,"b":142700.00,"c":10883.91,"d":0.10}'
    assert json.loads(jsonio.dumps({"x": Decimal("-5.25")})) == {"x": -5.25}
