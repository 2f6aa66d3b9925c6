"""Findings are for what the user can change (decision D9), and the portal's words come with their meaning.

Odd values in the supplier's data as the portal sent them get no finding on the row and one line
in the command's output; a mistyped status gets a guess; a portal error code gets a plain-English
explanation and the fix next to the portal's message.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.builders import RECIPIENT, raw_record
from tests.test_cli import cell_texts, run, set_inputs


def odd_download(tmp_path: Path) -> Path:
    download = tmp_path / "odd.json"
    records = [raw_record("b2b", inum="INV 2025#77"), raw_record("b2b", inum="INV 2025#78"),
               raw_record("b2b", inum="OK-1", stin="24MAYAS0100J1JD")]  # the check character fails
    download.write_text(json.dumps({"gstin": RECIPIENT, "imsDetails": {"b2b": records}}, default=str))
    return download


def test_odd_portal_data_is_one_line_of_output_and_no_finding_on_the_rows(tmp_path: Path) -> None:
    book = tmp_path / "odd.xlsx"
    assert run("-q", "open", odd_download(tmp_path), "-o", book)[0] == 0
    code, out, _ = run("-q", "validate", book)
    assert code == 0 and out.startswith("Validated 3 records: no errors")
    assert "warning" not in out
    [note] = [line for line in out.splitlines() if "portal's data" in line]
    assert note.strip() == (
        "note: the portal's data holds 1 supplier GSTIN failing its check character, 2 document numbers outside "
        "the GST pattern (16 letters, digits, / and -); shown as downloaded and sent unchanged: nothing for you "
        "to change")
    assert not any(cell_texts(book, "B2B", "Sheet Validation Errors"))


def test_the_odd_number_still_goes_to_the_portal_as_it_came(tmp_path: Path) -> None:
    book = tmp_path / "odd.xlsx"
    run("-q", "open", odd_download(tmp_path), "-o", book)
    set_inputs(book, {("b2b", 0): {"status": "Accept"}})
    code, out, _ = run("-q", "generate", book, "-o", tmp_path / "upload.json")
    assert code == 0 and out.count("portal's data holds") == 1
    [sent] = json.loads((tmp_path / "upload.json").read_text(), parse_float=Decimal)["invdata"]["b2b"]
    assert sent["inum"] == "INV 2025#77" and sent["action"] == "A"


def test_a_mistyped_status_gets_did_you_mean(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2b", 0): {"status": "Accpet"}, ("b2b", 1): {"status": "Rejcet"},
                             ("b2b", 2): {"status": "OK"}})
    code, out, _ = run("-q", "validate", sample_book)
    assert code == 1
    assert "error: B2B, row 5, Status: 'Accpet' is not a status: did you mean Accept? (unknown-status)" in out
    assert "'Rejcet' is not a status: did you mean Reject? (unknown-status)" in out
    assert "'OK' is not a status; choose Accept, Reject, Pending or No Action (unknown-status)" in out


def test_a_portal_error_code_is_explained_with_its_fix_next_to_the_portals_words(sample_book: Path,
                                                                                 tmp_path: Path) -> None:
    sample = json.loads((Path(__file__).parent.parent / "ims_xl/data/sample_download.json").read_text())
    rejected = dict(sample["imsDetails"]["b2b"][0], action="A", error_cd="IMSSAV0010",
                    error_msg="Either previous action is incorrect/ invoice might have edited by supplier")
    error_file = tmp_path / "error.json"
    error_file.write_text(json.dumps({"gstin": RECIPIENT, "imsDetailsErr": {"b2b": [rejected]}}))
    code, _, _ = run("-q", "errors", error_file, sample_book)
    assert code == 0
    cell = cell_texts(sample_book, "B2B", "GST Portal Validation Errors")[0]
    assert cell == (
        "IMSSAV0010: Either previous action is incorrect/ invoice might have edited by supplier -- This means the "
        "record changed on the portal after your download (the supplier edited it, or an action was taken on the "
        "portal), so its previous status no longer matches. Fix: download IMS again, take it in with Refresh from "
        "Newer Download (ims-xl refresh), check the row and generate the upload again.")
