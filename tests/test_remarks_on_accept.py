"""Decision D7 (amended): remarks go with Accept too; a partial or nil ITC reduction without remarks is a hint,
which is shown on the row but neither counts as a warning nor blocks."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ims_xl.core.problems import Severity
from ims_xl.core.render import message
from ims_xl.core.rules import check_entry
from ims_xl.core.sections import SECTIONS, Section
from ims_xl.core.upload import upload_record
from ims_xl.files.fileport import FilePort
from tests.builders import entry
from tests.test_cli import cell_texts, run, set_inputs

ADVICE = "remarks-advised-partial-reduction"


def findings(made) -> list[tuple[str, Severity]]:
    return [(p.code, p.severity) for p in check_entry(made)]


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.sheet)
def test_remarks_with_accept_are_allowed_and_sent_in_every_section(section: Section) -> None:
    itc = "Yes" if section.takes_itc_declaration else None
    made = entry(section.key, status="Accept", itc=itc, remarks="Checked with the purchase register")
    assert not [code for code, severity in findings(made) if severity is Severity.ERROR]
    sent = upload_record(made)
    assert sent is not None and sent["action"] == "A"
    assert sent["remarks"] == "Checked with the purchase register"


def test_remarks_on_accept_are_not_sent_where_the_portal_blocks_them() -> None:
    made = entry("b2b", status="Accept", remarks="Checked", isRemarksBlocked="Y")
    assert findings(made) == [("remarks-blocked", Severity.ERROR)]
    sent = upload_record(made)
    assert sent is not None and "remarks" not in sent


def test_remarks_with_no_action_are_an_error_because_nothing_would_carry_them() -> None:
    [problem] = [p for p in check_entry(entry("b2bcn", status="No Action", remarks="Later")) if p.is_error]
    assert problem.code == "remarks-need-an-action" and problem.column == "Remarks"
    assert "Accept, Reject or Pending" in message(problem)


@pytest.mark.parametrize("section", ["b2bcn", "b2bcna", "b2ba", "b2bdna"])
def test_accepting_with_itc_no_and_no_remarks_is_a_hint_saying_why(section: str) -> None:
    [problem] = [p for p in check_entry(entry(section, status="Accept", itc="No")) if p.code == ADVICE]
    assert problem.severity is Severity.HINT and problem.column == "Remarks"
    assert "partial or nil ITC reduction" in message(problem) and "'ITC to be reduced' is No" in message(problem)
    assert "Remarks are optional" in message(problem)


def test_declared_amounts_below_the_notes_tax_without_remarks_are_a_hint() -> None:
    made = entry("b2bcn", status="Accept", itc="Yes", declared={"decl_cgst": "400", "decl_sgst": "400"})
    [problem] = [p for p in check_entry(made) if p.code == ADVICE]
    assert "declared reduction (800.00) is below the document's tax (1,800.00)" in message(problem)
    assert findings(made) == [(ADVICE, Severity.HINT)]


@pytest.mark.parametrize("inputs", [
    {"itc": "Yes"},  # full reduction
    {"itc": "Yes", "declared": {"decl_cgst": "900.00", "decl_sgst": "900"}},  # declared = the full tax
    {"itc": "No", "remarks": "ITC never availed"},  # the remark is there
])
def test_no_advice_for_a_full_reduction_or_when_remarks_are_given(inputs: dict) -> None:
    assert findings(entry("b2bcn", status="Accept", **inputs)) == []


def test_no_advice_where_it_cannot_be_followed_or_does_not_apply() -> None:
    assert ADVICE not in dict(findings(entry("b2bcn", status="Accept", itc="No", isRemarksBlocked="Y")))
    assert ADVICE not in dict(findings(entry("b2bcn", status="Accept", isItcRedReqBlocked="Y")))
    assert ADVICE not in dict(findings(entry("b2bcn", status="Reject", remarks=None)))
    assert ADVICE not in dict(findings(entry("b2b", status="Accept")))
    # The download's own state is not judged: accepted with No before, untouched now.
    assert findings(entry("b2bcn", action="A", itcRedReq="N", status="Accept")) == []


def test_the_hint_is_on_the_row_but_counts_as_no_warning_and_the_upload_is_written(sample_book: Path,
                                                                                   tmp_path: Path) -> None:
    set_inputs(sample_book, {("b2bcn", 1): {"status": "Accept", "itc": "No"},
                             ("b2b", 0): {"status": "Accept", "remarks": "Matched with the register"}})
    code, out, _ = run("-q", "validate", sample_book)
    assert code == 0 and "Validated 12 records: no errors" in out and "warning" not in out
    assert "hint: B2B-CN, row 6, Remarks: Accepted with a partial or nil ITC reduction" in out
    [cell] = [text for text in cell_texts(sample_book, "B2B-CN", "Sheet Validation Errors") if text]
    assert cell.startswith("HINT [Remarks] Accepted with a partial or nil ITC reduction")
    assert FilePort(sample_book).load().home.warnings == 0  # Home's Warnings count
    code, out, _ = run("-q", "generate", sample_book, "-o", tmp_path / "upload.json")
    assert code == 0 and ADVICE not in out
    invdata = json.loads((tmp_path / "upload.json").read_text(), parse_float=Decimal)["invdata"]
    assert invdata["b2b"][0]["action"] == "A" and invdata["b2b"][0]["remarks"] == "Matched with the register"
    assert invdata["b2bcn"][0]["itcRedReq"] == "N" and "remarks" not in invdata["b2bcn"][0]


def test_many_hints_are_a_few_examples_and_one_line_in_the_output() -> None:
    from ims_xl.actions import _details
    from ims_xl.core.catalogue import problem
    from ims_xl.core.problems import Report

    hints = [problem(ADVICE, sheet="B2B-CN", row=row, column="Remarks", why="'ITC to be reduced' is No")
             for row in range(5, 305)]
    error = problem("missing-status", sheet="B2B", row=7, column="Status")
    lines = _details(Report(problems=[*hints, error]), [*hints, error])
    assert lines[0].startswith("error: B2B, row 7, Status:")  # findings first, every one of them
    assert [line.split(":")[0] for line in lines[1:4]] == ["hint"] * 3
    assert lines[4] == ("hint: 297 more rows have advice like this (not counted as warnings): "
                        "see 'Sheet Validation Errors'")
    assert len(lines) == 5
