"""Every business rule, allowed and refused (domain doc §9 and the project's decisions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ims_xl.core.book import Home
from ims_xl.core.problems import Severity
from ims_xl.core.render import message
from ims_xl.core.rules import check_entry, check_home, validate
from tests.builders import RECIPIENT, entry


def codes(made) -> list[str]:
    return [p.code for p in check_entry(made) if p.is_error]


def warnings(made) -> list[str]:
    return [p.code for p in check_entry(made) if not p.is_error]


# --- Status ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["Accept", "accept", " ACCEPTED ", "A", "a", "Reject", "R", "Pending", "p",
                                   "no action", "No_Action", "N"])
def test_status_labels_and_codes_are_forgiving(typed: str) -> None:
    assert "unknown-status" not in codes(entry("b2b", status=typed))


def test_an_unknown_status_is_an_error_naming_the_column() -> None:
    [problem] = [p for p in check_entry(entry("b2b", status="Approve")) if p.is_error]
    assert problem.code == "unknown-status"
    assert problem.column == "Status" and problem.sheet == "B2B" and problem.row == 5
    assert "Accept, Reject, Pending or No Action" in message(problem)


def test_an_empty_status_is_an_error() -> None:
    assert codes(entry("b2b", status="  ")) == ["missing-status"]


def test_pending_is_refused_where_the_portal_blocks_it() -> None:
    assert codes(entry("b2bcn", status="Pending", ispendactblocked="Y")) == ["pending-blocked"]
    assert codes(entry("b2bcn", status="Pending", ispendactblocked="N")) == []


def test_the_older_pending_allowed_flag_is_read_inverted() -> None:
    blocked = entry("b2b", status="Pending", ispendactblocked=None, ispendactnallwd="N")
    allowed = entry("b2b", status="Pending", ispendactblocked=None, ispendactnallwd="Y")
    assert codes(blocked) == ["pending-blocked"]
    assert codes(allowed) == []


def test_boolean_flags_are_read_like_y_and_n() -> None:
    assert codes(entry("b2b", status="Pending", ispendactblocked=True)) == ["pending-blocked"]
    assert codes(entry("b2b", status="Pending", ispendactblocked=False)) == []


def test_moving_back_to_no_action_needs_the_portal() -> None:
    [problem] = check_entry(entry("b2b", status="No Action", action="A"))
    assert problem.code == "reset-needs-portal"
    assert "IMS dashboard" in message(problem) and "Accept" in message(problem)
    assert codes(entry("b2b", status="No Action", action="N")) == []


def test_an_untouched_row_is_not_judged_even_if_the_portal_state_would_fail_a_rule() -> None:
    # Downloaded as Pending although pending is blocked now: the user did nothing, nothing is sent.
    assert codes(entry("b2bcn", action="P", ispendactblocked="Y")) == []


# --- Remarks --------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["Accept", "Reject", "Pending"])
def test_remarks_go_with_accept_reject_or_pending(status: str) -> None:  # D7: Accept too
    assert codes(entry("b2b", status=status, remarks="Goods not received")) == []


def test_remarks_are_refused_with_no_action() -> None:
    assert codes(entry("b2b", status="No Action", remarks="Looks fine")) == ["remarks-need-an-action"]


def test_remarks_longer_than_250_characters_are_refused() -> None:
    assert codes(entry("b2b", status="Reject", remarks="x" * 250)) == []
    assert codes(entry("b2b", status="Reject", remarks="x" * 251)) == ["remarks-too-long"]


def test_remarks_are_refused_where_blocked() -> None:
    assert codes(entry("b2b", status="Reject", remarks="No", isRemarksBlocked="Y")) == ["remarks-blocked"]
    assert codes(entry("b2b", status="Reject", remarks="No", isRemarksBlocked="N")) == []


# --- ITC-reduction declaration ----------------------------------------------------------------

@pytest.mark.parametrize("section", ["b2bcn", "b2bcna"])
def test_accepting_a_credit_note_without_the_itc_answer_sends_yes_with_a_warning(section: str) -> None:
    blank = entry(section, status="Accept")
    assert codes(blank) == [] and "itc-answer-defaulted" in warnings(blank)
    assert codes(entry(section, status="Accept", itc="Yes")) == []
    assert codes(entry(section, status="Accept", itc="No")) == []


@pytest.mark.parametrize("section", ["b2ba", "b2bdna", "ecoma"])
def test_downward_amendments_need_the_answer_when_the_portal_allows_it(section: str) -> None:
    open_to_it = entry(section, status="Accept", isItcRedReqBlocked="N")
    assert codes(open_to_it) == [] and "itc-answer-defaulted" in warnings(open_to_it)
    assert codes(entry(section, status="Accept", itc="Yes", isItcRedReqBlocked="N")) == []
    # Flag absent: an upward amendment cannot be told from a downward one, so only a warning.
    made = entry(section, status="Accept", isItcRedReqBlocked=None)
    assert codes(made) == [] and "itc-answer-advised" in warnings(made)


@pytest.mark.parametrize("section", ["b2bcn", "b2ba"])
def test_itc_inputs_are_refused_where_blocked(section: str) -> None:
    assert codes(entry(section, status="Accept", itc="Yes", isItcRedReqBlocked="Y")) == ["itc-blocked"]
    assert codes(entry(section, status="Accept", isItcRedReqBlocked="Y")) == []


def test_the_other_blocked_spelling_is_honoured() -> None:
    made = entry("b2bcn", status="Accept", itc="Yes", isItcRedReqBlocked=None, itcRedReqBlocked="Y")
    assert codes(made) == ["itc-blocked"]


@pytest.mark.parametrize("status", ["Reject", "Pending"])
def test_itc_inputs_go_only_with_accept(status: str) -> None:
    assert codes(entry("b2bcn", status=status, itc="Yes")) == ["itc-only-on-accept"]
    assert codes(entry("b2bcn", status=status, declared={"decl_igst": 5})) == ["itc-only-on-accept"]


@pytest.mark.parametrize("section", ["b2b", "b2bdn", "ecom"])
def test_originals_take_no_itc_declaration(section: str) -> None:
    made = entry(section, status="Accept")
    made.itc = "Yes"  # these sheets have no such column; inputs there are never read
    assert codes(made) == []


def test_an_itc_answer_other_than_yes_or_no_is_an_error() -> None:
    assert codes(entry("b2bcn", status="Accept", itc="Maybe")) == ["unknown-itc"]
    assert codes(entry("b2bcn", status="Accept", itc="y")) == []


# --- Declared amounts -----------------------------------------------------------------------

def declared(**amounts) -> list[str]:
    return codes(entry("b2bcn", status="Accept", itc="Yes", declared=amounts, iamt=Decimal("500.00")))


def test_declared_amounts_within_the_suppliers_tax_are_accepted() -> None:
    assert declared(decl_cgst=Decimal("900.00"), decl_sgst=900.0, decl_igst="500") == []


def test_a_declared_amount_above_the_suppliers_tax_is_refused() -> None:
    assert declared(decl_igst=Decimal("500.01")) == ["amount-above-tax"]


def test_a_negative_declared_amount_is_refused() -> None:
    assert declared(decl_igst=-1) == ["amount-negative"]


def test_more_than_two_decimals_is_refused() -> None:
    assert declared(decl_igst="10.005") == ["amount-too-precise"]
    assert declared(decl_igst=10.05) == []


def test_declared_cgst_must_equal_sgst() -> None:
    assert declared(decl_cgst=100, decl_sgst=100) == []
    assert declared(decl_cgst=100, decl_sgst=90) == ["cgst-sgst-differ"]
    assert declared(decl_cgst=100) == ["cgst-sgst-differ"]


def test_declared_text_that_is_not_a_number_is_refused() -> None:
    assert declared(decl_igst="ten") == ["amount-not-a-number"]


def test_amounts_with_itc_no_are_refused_but_zeros_are_fine() -> None:
    base = {"status": "Accept", "itc": "No"}
    assert codes(entry("b2bcn", **base, declared={"decl_igst": 0})) == []
    assert codes(entry("b2bcn", **base, declared={"decl_cgst": 10, "decl_sgst": 10})) == ["amounts-with-itc-no"]


# --- GSTINs and document numbers ------------------------------------------------------------

def test_recipient_gstin_checksum_failure_is_an_error() -> None:
    assert [p.code for p in check_home(Home(gstin="24MAYAS0100J1JD"))] == ["recipient-gstin-invalid"]
    assert check_home(Home(gstin=RECIPIENT)) == []
    assert check_home(Home(gstin="38AAAAA0000A1ZZ")) == []  # Ladakh: valid although python-stdnum's table lacks it


def test_a_missing_recipient_gstin_is_an_error() -> None:
    [problem] = check_home(Home(gstin=None))
    assert problem.code == "recipient-gstin-missing" and problem.severity is Severity.ERROR


def test_a_supplier_gstin_failing_its_check_character_is_no_finding_but_one_counted_oddity() -> None:
    # D9: the portal sent it; the user cannot change it.
    made = entry("b2b", status="Accept", stin="24MAYAS0100J1JD")
    assert check_entry(made) == []
    report, _ = validate([made], Home(gstin=RECIPIENT))
    assert report.problems == [] and report.portal_oddities == {"supplier-gstin-check": 1}


@pytest.mark.parametrize("number", ["INV 001", "INV#1", "12345678901234567", "_A1"])
def test_odd_document_numbers_from_the_portal_are_counted_not_reported_on_the_row(number: str) -> None:
    made = entry("b2b", inum=number)
    assert check_entry(made) == []
    report, per_entry = validate([made], Home(gstin=RECIPIENT))
    assert per_entry == {} and report.portal_oddities == {"document-number-format": 1}


@pytest.mark.parametrize("number", ["000123", "SGT/2025/0417", "HL-9981", "2025260000004512"])
def test_normal_document_numbers_pass(number: str) -> None:
    report, _ = validate([entry("b2b", inum=number)], Home(gstin=RECIPIENT))
    assert report.portal_oddities == {}


# --- the report -----------------------------------------------------------------------------

def test_validate_reports_each_row_and_a_sentence_for_the_user() -> None:
    rows = [entry("b2b", status="Accept", row=5), entry("b2bcn", status="Pending", ispendactblocked="Y", row=5),
            entry("b2bcn", status="Pending", ispendactblocked="Y", nt_num="DOC-2", row=6)]
    report, per_entry = validate(rows, Home(gstin=RECIPIENT))
    assert report.summary() == "Validated 3 records: 2 errors on B2B-CN"
    assert [p.row for p in report.errors] == [5, 6]
    assert id(rows[0]) not in per_entry


def test_the_same_document_twice_is_flagged() -> None:
    rows = [entry("b2b", row=5), entry("b2b", row=9)]
    report, _ = validate(rows, Home(gstin=RECIPIENT))
    [problem] = report.problems
    assert problem.code == "duplicate-record" and problem.row == 9 and "row 5" in message(problem)
