"""Damaged and odd input: one clear line, exit 2, nothing written (and amounts read only as typed).

Each case runs the command line as a user would.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ims_xl.cli import main
from ims_xl.core import jsonio
from ims_xl.core.amounts import parse_amount
from ims_xl.files import portal
from ims_xl.files.fileport import FilePort
from tests.conftest import SAMPLE


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str, code: str | None = None) -> str:
    """The CLI's one error line; with ``code``, it must end with that stable code in brackets."""
    assert err.count("\n") == 1 and err.startswith("ims-xl: error: "), err
    assert "Traceback" not in err and "unexpected error" not in err
    if code is not None:
        assert err.endswith(f" [{code}]\n"), err
    return err


def sample() -> dict[str, Any]:
    document: dict[str, Any] = jsonio.loads(SAMPLE.read_text(encoding="utf-8"))
    return document


def refused_open(download: Path, error_code: str) -> str:
    """Open the download; assert exit 2, one line ending with ``error_code``, and no workbook; return the line."""
    book = download.with_suffix(".xlsm")
    exit_code, out, err = run("-q", "open", download)
    assert exit_code == 2 and out == ""
    assert not book.exists() and [p for p in download.parent.iterdir() if p.suffix == ".xlsm"] == []
    return one_error_line(err, error_code)


# --- portal downloads -----------------------------------------------------------------------------

def test_a_repeated_section_key_is_refused_naming_it(tmp_path: Path) -> None:
    details = sample()["imsDetails"]
    b2b = jsonio.dumps(details["b2b"])
    download = tmp_path / "twice.json"
    download.write_text(f'{{"gstin":"27AAPFU0939F1ZV","imsDetails":{{"b2b":{b2b},"b2bcn":[],"b2b":[]}}}}')
    assert "the key 'b2b' appears twice in one object" in refused_open(download, "duplicate-key")


def test_an_unknown_section_holding_records_is_named_in_a_warning(tmp_path: Path) -> None:
    document = sample()
    details = document["imsDetails"]
    details["b2bx"] = details["b2b"][:3]
    details["impg"] = details["b2b"][:1]  # imports of goods: known, not IMS, no warning
    download = tmp_path / "unknown.json"
    download.write_text(jsonio.dumps(document))
    code, out, err = run("-q", "open", download)
    assert code == 0 and "Opened 12 records" in out
    assert err == ("ims-xl: warning: unknown.json: section 'b2bx' is not an IMS section the tool knows; "
                   "its 3 records are not in the workbook\n")


def test_a_value_too_large_for_any_invoice_is_refused(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace('"val": 142700', '"val": 1e400', 1)
    assert '"val": 1e400' in text
    download = tmp_path / "huge.json"
    download.write_text(text)
    line = refused_open(download, "implausible-amount")
    assert "section b2b, record 1 (SGT/2025/0417), field val: 1E+400 is not an amount" in line


def test_a_broken_character_in_a_trade_name_is_refused(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace('"Shree Ganesh Traders"', '"Shree \\ud800 Traders"', 1)
    download = tmp_path / "surrogate.json"
    download.write_text(text)
    line = refused_open(download, "broken-character")
    assert "imsDetails.b2b[1].tradenm: the text holds a broken character" in line


def test_a_proper_surrogate_pair_is_a_character_and_is_read(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace('"Shree Ganesh Traders"', '"Shree \\ud83d\\ude00"', 1)
    download = tmp_path / "emoji.json"
    download.write_text(text)
    assert run("-q", "open", download)[0] == 0


@pytest.mark.parametrize(("documents", "said"), [
    (["CN-0008"], "item 1, document 1 should be an object with inum (or nt_num), found text"),
    ([None], "item 1, document 1 should be an object with inum (or nt_num), found null"),
    ([{"inum": "CN-0008"}, 7], "item 1, document 2 should be an object with inum (or nt_num), found a number"),
    ("CN-0008", "item 1: inv should be a list of documents, found text"),
])
def test_an_error_report_whose_documents_are_not_objects(sample_book: Path, tmp_path: Path, documents: Any,
                                                         said: str) -> None:
    report = {"status_cd": "PE", "error_report": {"cn": [{
        "error_cd": "IMSSAV0054", "error_msg": "Error!", "stin": "27AAFCD5862R1ZV", "inv": documents}]}}
    error_file = tmp_path / "status.json"
    error_file.write_text(json.dumps(report))
    before = sample_book.read_bytes()
    code, _, err = run("-q", "errors", error_file, sample_book)
    assert code == 2
    assert f"status.json: error_report.cn {said}" in one_error_line(err, "unexpected-json-shape")
    assert sample_book.read_bytes() == before


# --- zips that expand to gigabytes ------------------------------------------------------------------

def test_a_zip_declaring_a_huge_member_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal, "MAX_JSON_BYTES", 8 << 20)
    download = tmp_path / "bomb.zip"
    with zipfile.ZipFile(download, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("ims.json", "w",
                                                                                          force_zip64=True) as out:
        block = b" " * (1 << 20)
        for _ in range(portal.MAX_JSON_BYTES // len(block) + 1):
            out.write(block)
    assert download.stat().st_size < 2 << 20
    assert "the zip expands to 9 MB, too large to be an IMS file" in refused_open(download, "file-too-large")


def test_the_download_limit_admits_a_million_records() -> None:
    """The limit follows from a sheet's rows and a record's size: a 430 MB month of a large taxpayer is read."""
    assert portal.MAX_RECORDS == 1_048_576 - 4
    assert portal.MAX_JSON_BYTES >= 1_000_000 * 430 * 2


def test_a_zip_that_expands_like_a_bomb_is_refused_unread(tmp_path: Path) -> None:
    """Within the size limit, but 1,000 times smaller packed than any JSON deflates: a zip bomb."""
    download = tmp_path / "bomb.zip"
    with zipfile.ZipFile(download, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ims.json", b'{"imsDetails": {"b2b": []}}' + b" " * (32 << 20))
    line = refused_open(download, "file-too-large")
    assert "bomb.zip: the zip expands" in line and "a zip bomb? nothing was read" in line


def test_a_file_of_values_that_are_not_records_is_refused_unparsed(tmp_path: Path) -> None:
    """Two bytes a value on disk, a hundred once parsed: counted before parsing, refused."""
    download = tmp_path / "dense.json"
    download.write_bytes(b'{"imsDetails": {"b2b": [' + b"1.5," * (1 << 19) + b"1.5]}}")
    line = refused_open(download, "file-too-large")
    assert "dense.json: holds 524,289 values in 2 objects, far more than IMS records carry" in line


def test_a_file_with_more_records_than_a_sheet_has_rows_is_refused_unparsed(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal, "MAX_RECORDS", 1000)
    download = tmp_path / "many.json"
    download.write_bytes(b'{"imsDetails": {"b2b": [' + b",".join([b"{}"] * 400_000) + b"]}}")
    line = refused_open(download, "too-many-records")
    assert "many.json: holds some 400,002 records, more than the 1,000 a sheet can take" in line


def test_a_zip_member_lying_about_its_size_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The member is read no further than the size it declares; its checksum then fails."""
    monkeypatch.setattr(portal, "MAX_JSON_BYTES", 4 << 20)
    download = tmp_path / "liar.zip"
    with zipfile.ZipFile(download, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ims.json", b" " * (8 << 20))
    data = bytearray(download.read_bytes())
    real = (8 << 20).to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    # the uncompressed size in the local header and in the central directory: claim 1,000 bytes
    assert data.count(real) == 2
    download.write_bytes(bytes(data).replace(real, small))
    line = refused_open(download, "bad-zip")
    assert "liar.zip: the zip file is damaged or incomplete" in line


def test_a_plain_file_over_the_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal, "MAX_JSON_BYTES", 1000)
    download = tmp_path / "big.json"
    download.write_text(SAMPLE.read_text(encoding="utf-8"))
    assert "MB is too large to be an IMS file" in refused_open(download, "file-too-large")


# --- amounts typed in cells -------------------------------------------------------------------------

def declare(book: Path, amount: object) -> None:
    """Accept the first credit note and declare an ITC reduction of ``amount`` IGST (as a user types)."""
    port = FilePort(book)
    state = port.load()
    entry = state.entries["b2bcn"][0]
    entry.status, entry.itc = "Accept", "Yes"
    entry.declared = {"decl_igst": amount}
    port.save(state, None, frozenset({"status", "itc", "decl_igst"}))


@pytest.mark.parametrize("typed", ["2,50", "1,2,3", "12,34", "1_000"])
def test_an_amount_with_wrong_digit_grouping_is_an_error_on_the_cell(sample_book: Path, typed: str) -> None:
    declare(sample_book, typed)
    code, out, _ = run("-q", "generate", sample_book)
    assert code == 1
    assert "amount-not-a-number" in out and repr(typed) in out
    assert list(sample_book.parent.glob("IMS_upload_*.json")) == []


@pytest.mark.parametrize("typed", ["-0", "-0.00", -0.0])
def test_minus_zero_goes_out_as_zero(sample_book: Path, typed: object) -> None:
    declare(sample_book, typed)
    upload = sample_book.parent / "up.json"
    code, out, _ = run("-q", "generate", sample_book, "-o", upload)
    assert code == 0, out
    [record] = json.loads(upload.read_text(), parse_float=Decimal)["invdata"]["b2bcn"]
    assert record["itcRedReq"] == "Y" and str(record["declIgst"]) == "0.00"
    assert re.search(r":\s*-0", upload.read_text()) is None


def test_a_grouped_amount_is_read_as_the_number_it_shows(sample_book: Path) -> None:
    declare(sample_book, "1,23,456.50")
    code, out, _ = run("-q", "generate", sample_book)
    assert code == 1  # read as 123456.50: more IGST than the note carries, which the validator says
    assert "amount-above-tax" in out and "amount-not-a-number" not in out


def test_indian_and_western_grouping_read_as_numbers() -> None:
    assert parse_amount("1,23,456.78") == Decimal("123456.78")
    assert parse_amount("12,34,56,789") == Decimal("123456789")
    assert parse_amount("123,456.78") == Decimal("123456.78")
    assert parse_amount("1,234,567") == Decimal("1234567")
    assert str(parse_amount("-0.00")) == "0.00"
    for wrong in ("2,50", "1,2,3", "1,23,45", ",123", "1,234,56", "1e3", "Infinity"):
        with pytest.raises(ValueError):
            parse_amount(wrong)
