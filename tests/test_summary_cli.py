"""``ims-xl summary BOOK [--json]`` as a user or a script runs it; it never writes the book."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.test_cli import run, set_inputs

SHEETS = ["B2B", "B2BA", "B2B-DN", "B2B-DNA", "B2B-CN", "B2B-CNA", "ECO", "ECOA"]
ITC_KEYS = ["accepted", "deemed", "credit_note_reduction", "after_actions", "as_downloaded", "change", "rejected",
            "pending"]
# What the demo decides on the sample: accept an invoice and a credit note (full reduction),
# reject the IGST 9,000.00 invoice, keep the IGST 900.00 debit note pending.
DEMO_CHOICES = {("b2b", 0): {"status": "Accept"}, ("b2b", 1): {"status": "Reject", "remarks": "No goods"},
                ("b2bcn", 1): {"status": "Accept", "itc": "Yes"}, ("b2bdn", 0): {"status": "Pending",
                                                                             "remarks": "Rate query"}}


def summary_json(book: Path) -> dict:
    code, out, err = run("-q", "summary", book, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_json_has_exactly_the_documented_shape(sample_book: Path) -> None:
    document = summary_json(sample_book)
    assert list(document) == ["gstin", "period", "records", "errors", "warnings", "itc", "refresh"]
    assert document["refresh"] == {name: {"count": 0, "rows": {}} for name in ("reset", "confirmed", "unconfirmed")}
    assert document["gstin"] == "27AAPFU0939F1ZV" and document["period"] == "102025"
    assert list(document["records"]) == SHEETS
    for counts in document["records"].values():
        assert list(counts) == ["No Action", "Accept", "Reject", "Pending"]
        assert all(isinstance(n, int) for n in counts.values())
    assert isinstance(document["errors"], int) and isinstance(document["warnings"], int)
    assert list(document["itc"]) == ITC_KEYS
    for amounts in document["itc"].values():
        assert list(amounts) == ["igst", "cgst", "sgst", "cess"]
        assert all(isinstance(a, str) and re.fullmatch(r"-?\d+\.\d\d", a) for a in amounts.values()), amounts


def test_the_json_counts_the_downloaded_statuses(sample_book: Path) -> None:
    document = summary_json(sample_book)
    assert document["records"]["B2B"] == {"No Action": 2, "Accept": 1, "Reject": 0, "Pending": 1}
    assert document["records"]["B2B-CN"] == {"No Action": 2, "Accept": 0, "Reject": 0, "Pending": 0}
    assert sum(sum(c.values()) for c in document["records"].values()) == 12
    assert (document["errors"], document["warnings"]) == (0, 0)
    assert document["itc"]["change"] == {"igst": "0.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"}
    assert document["itc"]["after_actions"] == document["itc"]["as_downloaded"] == {
        "igst": "11970.08", "cgst": "13133.91", "sgst": "13133.91", "cess": "0.00"}


def test_the_json_shows_what_the_chosen_actions_do_to_the_itc(sample_book: Path) -> None:
    set_inputs(sample_book, DEMO_CHOICES)
    document = summary_json(sample_book)
    itc = document["itc"]
    assert document["records"]["B2B"] == {"No Action": 0, "Accept": 2, "Reject": 1, "Pending": 1}
    assert itc["accepted"] == {"igst": "1800.08", "cgst": "10883.91", "sgst": "10883.91", "cess": "0.00"}
    assert itc["deemed"] == {"igst": "270.00", "cgst": "3600.00", "sgst": "3600.00", "cess": "0.00"}
    assert itc["credit_note_reduction"] == {"igst": "0.00", "cgst": "1350.00", "sgst": "1350.00", "cess": "0.00"}
    assert itc["after_actions"] == {"igst": "2070.08", "cgst": "13133.91", "sgst": "13133.91", "cess": "0.00"}
    assert itc["change"] == {"igst": "-9900.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"}
    assert itc["rejected"]["igst"] == "9000.00"
    assert itc["pending"]["igst"] == "4500.00"  # the downloaded Pending invoice (3,600) and the debit note


def test_errors_and_warnings_are_counted_by_running_the_validator(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2bcn", 0): {"status": "Pending"},  # CN-0007: Pending is blocked, an error
                             ("b2bcn", 1): {"status": "Accept", "itc": "No"}})  # D7: no remarks, a hint
    document = summary_json(sample_book)
    assert (document["errors"], document["warnings"]) == (1, 0)  # a hint is not counted as a warning


def test_summary_never_writes_the_book(sample_book: Path) -> None:
    set_inputs(sample_book, {("b2bcn", 0): {"status": "Pending"}})
    before, modified = sample_book.read_bytes(), sample_book.stat().st_mtime_ns
    files = sorted(sample_book.parent.iterdir())
    for extra in ((), ("--json",)):
        code, _, _ = run("-q", "summary", sample_book, *extra)
        assert code == 0
    assert sample_book.read_bytes() == before and sample_book.stat().st_mtime_ns == modified
    assert sorted(sample_book.parent.iterdir()) == files  # no backup, no temporary file


def test_the_text_report_has_the_three_parts(sample_book: Path) -> None:
    set_inputs(sample_book, DEMO_CHOICES)
    code, out, _ = run("-q", "summary", sample_book)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "GSTIN 27AAPFU0939F1ZV, return period 102025"
    assert re.fullmatch(r"Records\s+No Action\s+Accept\s+Reject\s+Pending\s+Total", lines[2])
    assert re.fullmatch(r"B2B\s+0\s+2\s+1\s+1\s+4", lines[3])
    assert re.fullmatch(r"Total\s+6\s+3\s+1\s+2\s+12", lines[11])
    assert "0 errors, 0 warnings" in out
    assert re.search(r"^ITC after your actions\s+IGST\s+CGST\s+SGST\s+Cess\s+Total$", out, re.M)
    assert re.search(r"^Change from this upload\s+-9,900\.00\s+0\.00\s+0\.00\s+0\.00\s+-9,900\.00$", out, re.M)
    assert re.search(r"^Rejected\s+9,000\.00\s", out, re.M)


def test_a_missing_book_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = run("-q", "summary", tmp_path / "nope.xlsm", "--json")
    assert code == 2 and out == ""
    assert err.strip() == f"ims-xl: error: {tmp_path / 'nope.xlsm'}: no such workbook [no-such-workbook]"


def test_a_file_that_is_not_a_book_is_refused(sample_json: Path) -> None:
    code, _, err = run("-q", "summary", sample_json)
    assert code == 2 and "expected an .xlsm or .xlsx workbook" in err


def test_the_demo_prints_the_itc_change_it_made(tmp_path: Path) -> None:
    code, out, _ = run("-q", "demo", tmp_path / "demo")
    assert code == 0
    book = tmp_path / "demo" / "sample_download.xlsm"
    assert (f"6. ITC after your actions: 28,337.90 (change from this upload: -9,900.00); "
            f"'ims-xl summary {book}' shows it by tax head") in out.splitlines()
    # Step 7 refreshed from the next day's download, where the portal shows the decisions: nothing
    # changes from that download any more, and the one decision reset is listed.
    after = summary_json(book)
    assert after["itc"]["change"]["igst"] == "0.00"
    assert after["refresh"]["reset"] == {"count": 1, "rows": {"B2B": [6]}}
