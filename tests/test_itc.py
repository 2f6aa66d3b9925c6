"""ITC after your actions: every rule per section kind, by tax head, in exact Decimals (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ims_xl.core.itc import ITC_HEADERS, Heads, itc_impact, itc_json, itc_rows
from tests.builders import entry

D = Decimal
# builders.raw_record: CGST 900.00 + SGST 900.00, no IGST or cess
TAX = Heads(D(0), D("900.00"), D("900.00"), D(0))
INVOICE_LIKE = ("b2b", "b2ba", "b2bdn", "b2bdna", "ecom", "ecoma")
CREDIT_NOTES = ("b2bcn", "b2bcna")


def only(row: str, impact, expected: Heads) -> None:
    """``row`` holds ``expected``; every other row of the table except the derived ones is zero."""
    for key, amounts in impact.rows():
        if key == row:
            assert amounts == expected, key
        elif key in ("accepted", "deemed", "credit_note_reduction", "rejected", "pending"):
            assert amounts == Heads(), key


# --- invoices, debit notes, ECO documents and their amendments --------------------------------

@pytest.mark.parametrize("section", INVOICE_LIKE)
def test_accepting_an_invoice_like_record_makes_its_tax_accepted_and_available(section: str) -> None:
    impact = itc_impact([entry(section, status="Accept", itc="No" if section.endswith("a") else None)])
    only("accepted", impact, TAX)
    assert impact.after_actions == TAX
    assert impact.as_downloaded == TAX  # downloaded as No Action: deemed accepted
    assert impact.change == Heads()


@pytest.mark.parametrize("section", INVOICE_LIKE)
def test_no_action_is_deemed_accepted(section: str) -> None:
    impact = itc_impact([entry(section)])
    only("deemed", impact, TAX)
    assert impact.after_actions == impact.as_downloaded == TAX


@pytest.mark.parametrize("section", INVOICE_LIKE)
def test_rejecting_takes_the_tax_out_of_the_available_itc(section: str) -> None:
    impact = itc_impact([entry(section, status="Reject")])
    only("rejected", impact, TAX)
    assert impact.after_actions == Heads()
    assert impact.change == -TAX
    assert impact.change.total == D("-1800.00")


@pytest.mark.parametrize("section", INVOICE_LIKE)
def test_pending_defers_the_tax(section: str) -> None:
    impact = itc_impact([entry(section, status="Pending")])
    only("pending", impact, TAX)
    assert impact.after_actions == Heads() and impact.change == -TAX


def test_an_amendment_counts_with_its_amended_values_and_its_declaration_changes_nothing() -> None:
    amended = entry("b2ba", status="Accept", itc="Yes", declared={"decl_cgst": "100", "decl_sgst": "100"},
                    camt=D("450.50"), samt=D("450.50"), iamt=0)
    impact = itc_impact([amended])
    only("accepted", impact, Heads(D(0), D("450.50"), D("450.50"), D(0)))


def test_every_tax_head_is_kept_apart() -> None:
    impact = itc_impact([entry("b2b", status="Accept", iamt=D("1.11"), camt=D("2.22"), samt=D("3.33"),
                               cess=D("4.44"))])
    assert impact.accepted == Heads(D("1.11"), D("2.22"), D("3.33"), D("4.44"))
    assert impact.accepted.total == D("11.10")


# --- credit notes and their amendments ----------------------------------------------------------

@pytest.mark.parametrize("section", CREDIT_NOTES)
def test_credit_note_yes_with_declared_amounts_reduces_by_those_amounts(section: str) -> None:
    note = entry(section, status="Accept", itc="Yes", declared={"decl_cgst": "250.25", "decl_sgst": 250.25})
    impact = itc_impact([note])
    declared = Heads(D(0), D("250.25"), D("250.25"), D(0))
    only("credit_note_reduction", impact, declared)
    assert impact.after_actions == -declared
    assert impact.as_downloaded == -TAX  # No Action in the download: the full tax
    assert impact.change == TAX - declared


@pytest.mark.parametrize("section", CREDIT_NOTES)
def test_credit_note_yes_without_amounts_reduces_by_the_full_tax(section: str) -> None:
    impact = itc_impact([entry(section, status="Accept", itc="Yes")])
    only("credit_note_reduction", impact, TAX)
    assert impact.after_actions == -TAX and impact.change == Heads()


@pytest.mark.parametrize("section", CREDIT_NOTES)
def test_credit_note_no_reduces_nothing(section: str) -> None:
    impact = itc_impact([entry(section, status="Accept", itc="No")])
    only("credit_note_reduction", impact, Heads())
    assert impact.after_actions == Heads()
    assert impact.change == TAX  # the download's No Action would have reduced by the full tax


@pytest.mark.parametrize("section", CREDIT_NOTES)
def test_credit_note_no_action_reduces_by_the_full_tax_whatever_the_itc_inputs(section: str) -> None:
    impact = itc_impact([entry(section, itc="No", declared={"decl_cgst": "1"})])
    only("credit_note_reduction", impact, TAX)
    assert impact.deemed == Heads()  # a credit note is no deemed-accepted ITC


@pytest.mark.parametrize("section", CREDIT_NOTES)
def test_credit_note_accept_without_an_answer_reduces_by_the_full_tax(section: str) -> None:
    only("credit_note_reduction", itc_impact([entry(section, status="Accept")]), TAX)


@pytest.mark.parametrize("section", CREDIT_NOTES)
def test_rejecting_a_credit_note_reduces_nothing_and_offsets_rejected_itc(section: str) -> None:
    impact = itc_impact([entry(section, status="Reject"),
                         entry("b2b", status="Reject", iamt=D("5000"), camt=0, samt=0)])
    assert impact.credit_note_reduction == Heads()
    assert impact.after_actions == Heads()
    assert impact.rejected == Heads(D("5000"), D("-900.00"), D("-900.00"), D(0))
    assert impact.change == Heads(D("-5000"), D("900.00"), D("900.00"), D(0))


@pytest.mark.parametrize("section", CREDIT_NOTES)
def test_a_pending_credit_note_defers_its_reduction(section: str) -> None:
    impact = itc_impact([entry(section, status="Pending")])
    assert impact.credit_note_reduction == Heads() and impact.after_actions == Heads()
    assert impact.pending == -TAX
    assert impact.change == TAX


def test_a_blank_declared_head_reduces_by_zero_as_the_upload_sends_it() -> None:
    note = entry("b2bcn", status="Accept", itc="Yes", declared={"decl_igst": "0"}, iamt=D("500"))
    assert itc_impact([note]).credit_note_reduction == Heads()


# --- as downloaded, and what cannot be read --------------------------------------------------------

def test_as_downloaded_uses_the_downloads_statuses_and_itc_inputs() -> None:
    # Downloaded: accepted with a declared partial reduction; the user now says Yes (full).
    note = entry("b2bcn", status="Accept", action="A", itcRedReq="Y", declCgst=D("100.00"), declSgst=D("100.00"))
    note.declared = {}
    invoice = entry("b2b", status="Accept", action="R")
    impact = itc_impact([note, invoice])
    assert impact.as_downloaded == Heads(D(0), D("-100.00"), D("-100.00"), D(0))
    assert impact.after_actions == Heads(D(0), D("0.00"), D("0.00"), D(0))  # invoice +900 each, note -900 each
    assert impact.change == Heads(D(0), D("100.00"), D("100.00"), D(0))


def test_a_download_saying_no_reduces_nothing_as_downloaded() -> None:
    note = entry("b2bcna", action="A", itcRedReq="N")
    impact = itc_impact([note])
    assert impact.as_downloaded == Heads() == impact.after_actions


def test_an_unreadable_or_blank_status_counts_as_the_downloaded_one() -> None:
    assert itc_impact([entry("b2b", status="Approve", action="P")]).pending == TAX
    assert itc_impact([entry("b2b", status="  ", action="R")]).rejected == TAX


def test_unreadable_itc_inputs_count_as_the_downloaded_ones() -> None:
    note = entry("b2bcn", status="Accept", action="A", itcRedReq="N", itc="Maybe")
    assert itc_impact([note]).credit_note_reduction == Heads()
    note = entry("b2bcn", status="Accept", action="A", itcRedReq="N", itc="Yes", declared={"decl_cgst": "ten"})
    assert itc_impact([note]).credit_note_reduction == Heads()


# --- exactness and the table -----------------------------------------------------------------

def test_sums_are_exact_decimals_not_floats() -> None:
    rows = [entry("b2b", status="Accept", iamt=D("0.1"), camt=0, samt=0),
            entry("b2b", status="Accept", iamt=D("0.2"), camt=0, samt=0)]
    accepted = itc_impact(rows).accepted
    assert accepted.igst == D("0.3") and 0.1 + 0.2 != 0.3
    # Excel hands declared amounts over as binary floats: read as typed, not as 0.1000000000000000055...
    note = entry("b2bcn", status="Accept", itc="Yes", declared={"decl_cgst": 0.1, "decl_sgst": 0.2})
    assert itc_impact([note]).credit_note_reduction.total == D("0.3")
    assert itc_json(itc_impact(rows))["accepted"] == {"igst": "0.30", "cgst": "0.00", "sgst": "0.00",
                                                      "cess": "0.00"}


def test_large_amounts_keep_every_digit() -> None:
    rows = [entry("b2b", status="Accept", iamt=D("99999999999.99"), camt=0, samt=0) for _ in range(3)]
    assert itc_json(itc_impact(rows))["accepted"]["igst"] == "299999999999.97"


def test_the_table_rows_have_the_issues_labels_order_and_totals() -> None:
    impact = itc_impact([entry("b2b", status="Accept"), entry("b2b", status="Reject"), entry("b2bcn")])
    rows = itc_rows(impact)
    assert ITC_HEADERS == ("", "IGST", "CGST", "SGST", "Cess", "Total")
    assert [row[0] for row in rows] == ["Accepted", "Deemed accepted (No Action)", "Credit-note reduction",
                                        "Available after actions", "As downloaded", "Change from this upload",
                                        "Rejected", "Pending"]
    assert rows[0] == ["Accepted", D(0), D("900.00"), D("900.00"), D(0), D("1800.00")]
    assert rows[3][1:] == [D(0), D("0.00"), D("0.00"), D(0), D("0.00")]  # accepted 1,800 less the note's 1,800
    assert rows[4][5] == D("1800.00")  # downloaded: two deemed invoices, less the note
    assert rows[5][5] == D("-1800.00")
    assert all(len(row) == len(ITC_HEADERS) and row[5] == sum(row[1:5]) for row in rows)


def test_json_amounts_are_strings_with_two_places_and_never_minus_zero() -> None:
    impact = itc_impact([entry("b2b", status="Reject", iamt=D("12.5"), camt=0, samt=0)])
    document = itc_json(impact)
    assert list(document) == ["accepted", "deemed", "credit_note_reduction", "after_actions", "as_downloaded",
                              "change", "rejected", "pending"]
    assert document["change"] == {"igst": "-12.50", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"}
    assert document["rejected"]["igst"] == "12.50"
    assert all(value != "-0.00" for amounts in document.values() for value in amounts.values())
    assert (-Heads()).as_strings() == {"igst": "0.00", "cgst": "0.00", "sgst": "0.00", "cess": "0.00"}
