"""Reconciliation of IMS records with the purchase register: what a CA reads in the workbook.

Entries are built from small portal-record dicts, as a download would give them; register lines
are RegisterEntry values, as ims_xl.files.register reads them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ims_xl.core import codec, layout
from ims_xl.core.book import BookState, Entry, entry_from_record
from ims_xl.core.reconcile import (
    RegisterEntry,
    financial_year,
    normalise_number,
    reconcile,
)
from ims_xl.core.records import make_record
from ims_xl.core.sections import BY_KEY

SUPPLIER = "27AAPFU0939F1ZV"
OTHER_SUPPLIER = "07AABFL2260Q2Z2"
MATCHED, DATE_DIFFERS, AMOUNTS_DIFFER, NOT_IN_REGISTER, NOT_IN_IMS = layout.RECON_RESULTS
BLOCKED_NOTE = " (Pending is not allowed for this record: decide Accept or Reject)"


def ims(
    number: str = "INV/2024/0891",
    day: str = "15-06-2024",
    *,
    section: str = "b2b",
    stin: str = SUPPLIER,
    txval: str = "10000.00",
    iamt: str = "1800.00",
    camt: str = "0",
    samt: str = "0",
    cess: str = "0",
    action: str = "N",
    pending_blocked: bool | None = None,
) -> Entry:
    """An IMS row as imported from a download."""
    sec = BY_KEY[section]
    amounts = {name: Decimal(value) for name, value in
               (("txval", txval), ("iamt", iamt), ("camt", camt), ("samt", samt), ("cess", cess))}
    raw: dict[str, Any] = {"stin": stin, sec.number_key: number, sec.date_key: day,
                           "val": sum(amounts.values()), **amounts, "action": action}
    if sec.original_number_key and sec.original_date_key:
        raw[sec.original_number_key], raw[sec.original_date_key] = number, day
    if pending_blocked is not None:
        raw["ispendactblocked"] = "Y" if pending_blocked else "N"
    return entry_from_record(make_record(sec, raw, "test"))


def line(
    number: str = "INV-2024-891",
    day: date | None = date(2024, 6, 15),
    *,
    row: int = 2,
    gstin: str = SUPPLIER,
    document_type: str = "Invoice",
    taxable: str = "10000.00",
    igst: str = "1800.00",
    cgst: str = "0",
    sgst: str = "0",
    cess: str = "0",
) -> RegisterEntry:
    """A purchase-register line."""
    return RegisterEntry(gstin, number, day, document_type, Decimal(taxable), Decimal(igst), Decimal(cgst),
                         Decimal(sgst), Decimal(cess), row)


def book(*entries: Entry) -> BookState:
    state = BookState()
    for entry in entries:
        state.entries[entry.section.key].append(entry)
    return state


def results(*entries: Entry) -> list[tuple[str, str]]:
    return [(entry.match_result, entry.suggested_action) for entry in entries]


# --- document numbers and financial years ------------------------------------------------------


@pytest.mark.parametrize(("written", "expected"), [
    ("INV/2024/0891", "INV2024891"),
    ("inv-2024-891", "INV2024891"),
    (" Inv 2024 / 891 ", "INV2024891"),
    ("inv_2024.0891", "INV2024891"),
    ("INV\\2024\\891", "INV2024891"),
    ("000123", "123"),
    ("0000", "0"),
    ("INV-000", "INV0"),
    ("A0B00C", "A0B0C"),
    ("GST/24-25/0007", "GST24257"),
])
def test_numbers_are_compared_without_case_separators_or_leading_zeros(written: str, expected: str) -> None:
    assert normalise_number(written) == expected


def test_numbers_that_differ_in_a_significant_digit_stay_different() -> None:
    assert normalise_number("INV10") != normalise_number("INV1")
    assert normalise_number("INV/2024/0891") != normalise_number("INV/2024/0892")


@given(
    st.lists(st.one_of(st.from_regex(r"[A-Za-z]{1,4}", fullmatch=True), st.integers(0, 99_999)),
             min_size=1, max_size=5),
    st.sampled_from(["/", "-", " ", ".", "_", "\\", " / "]),
    st.integers(0, 3),
)
def test_any_separator_case_and_zero_padding_give_the_same_number(
    parts: list[str | int], separator: str, padding: int
) -> None:
    padded = separator.join("0" * padding + str(p) if isinstance(p, int) else p.lower() for p in parts)
    plain = "/".join(str(p) if isinstance(p, int) else p.upper() for p in parts)
    assert normalise_number(padded) == normalise_number(plain)


@pytest.mark.parametrize(("day", "year"), [
    (date(2025, 3, 31), 2024),
    (date(2025, 4, 1), 2025),
    (date(2024, 12, 31), 2024),
    (date(2025, 1, 1), 2024),
])
def test_financial_year_runs_april_to_march(day: date, year: int) -> None:
    assert financial_year(day) == year


# --- matching ---------------------------------------------------------------------------------


def test_the_same_document_written_differently_matches_and_is_suggested_accept() -> None:
    entry = ims("INV/2024/0891")
    outcome = reconcile(book(entry), [line("inv-2024-891")])
    assert results(entry) == [("Matched", "Accept")]
    assert outcome.counts[MATCHED] == 1
    assert book(entry).not_in_ims == []


def test_a_difference_of_exactly_the_tolerance_still_matches() -> None:
    entry = ims(iamt="1800.00")
    reconcile(book(entry), [line(igst="1801.00")])
    assert results(entry) == [("Matched", "Accept")]


def test_one_paisa_over_the_tolerance_is_reported_with_both_amounts() -> None:
    entry = ims(iamt="1800.08")
    reconcile(book(entry), [line(igst="1801.09")])
    assert results(entry) == [("IGST differs: 1,800.08 in IMS, 1,801.09 in books", "Pending")]


def test_a_zero_tolerance_reports_every_paisa() -> None:
    entry = ims(txval="10000.00")
    reconcile(book(entry), [line(taxable="10000.01")], tolerance=Decimal(0))
    assert entry.match_result == "Taxable Value differs: 10,000.00 in IMS, 10,000.01 in books"


def test_several_differences_are_listed_in_head_order() -> None:
    entry = ims(txval="150000.50", iamt="0", camt="13500.00", samt="13500.00", cess="10")
    reconcile(book(entry), [line(taxable="155000.50", igst="0", cgst="13950.00", sgst="13950.00", cess="10")])
    assert entry.match_result == (
        "Taxable Value differs: 1,50,000.50 in IMS, 1,55,000.50 in books; "
        "CGST differs: 13,500.00 in IMS, 13,950.00 in books; "
        "SGST differs: 13,500.00 in IMS, 13,950.00 in books"
    )
    assert entry.suggested_action == "Pending"


def test_a_different_date_in_the_same_year_still_matches_and_says_by_how_much() -> None:
    three, one = ims("INV1", "15-06-2024"), ims("INV2", "15-06-2024")
    reconcile(book(three, one), [line("INV1", date(2024, 6, 12)), line("INV2", date(2024, 6, 16), row=3)])
    assert results(three, one) == [
        ("Matched by number; date differs by 3 days", "Accept"),
        ("Matched by number; date differs by 1 day", "Accept"),
    ]


def test_amount_and_date_differences_are_both_reported() -> None:
    entry = ims(iamt="1800.00")
    outcome = reconcile(book(entry), [line(igst="1900.00", day=date(2024, 6, 18))])
    assert entry.match_result == "IGST differs: 1,800.00 in IMS, 1,900.00 in books; date differs by 3 days"
    assert outcome.counts[AMOUNTS_DIFFER] == 1


def test_the_same_number_across_the_financial_year_boundary_is_not_the_same_document() -> None:
    entry = ims("INV1", "31-03-2025")
    state = book(entry)
    outcome = reconcile(state, [line("INV1", date(2025, 4, 1), row=7)])
    assert results(entry) == [("Not in purchase register", "Pending")]
    assert [row["register_row"] for row in state.not_in_ims] == [7]
    assert outcome.counts[NOT_IN_IMS] == 1


def test_dates_at_both_ends_of_one_financial_year_match() -> None:
    entry = ims("INV1", "01-04-2024")
    reconcile(book(entry), [line("INV1", date(2025, 3, 31))])
    assert entry.match_result == "Matched by number; date differs by 364 days"


def test_a_credit_note_does_not_match_an_invoice_with_the_same_number() -> None:
    note = ims("CN-1", section="b2bcn")
    state = book(note)
    reconcile(state, [line("CN-1", document_type="Invoice")])
    assert results(note) == [("Not in purchase register", "Pending")]
    assert [row["document_type"] for row in state.not_in_ims] == ["Invoice"]


def test_notes_and_amendments_match_their_own_document_type() -> None:
    credit, debit, amended = ims("CN-1", section="b2bcn"), ims("DN-1", section="b2bdn"), ims("INV9", section="b2ba")
    reconcile(book(credit, debit, amended), [
        line("CN-1", document_type="Credit Note"),
        line("DN-1", document_type="Debit Note", row=3),
        line("INV9", row=4),
    ])
    assert [entry.match_result for entry in (credit, debit, amended)] == ["Matched"] * 3


def test_a_credit_note_booked_with_negative_amounts_matches() -> None:
    note = ims("CN-1", section="b2bcn", txval="1000.00", iamt="180.00")
    reconcile(book(note), [line("CN-1", document_type="Credit Note", taxable="-1000.00", igst="-180.00")])
    assert results(note) == [("Matched", "Accept")]


def test_another_suppliers_document_with_the_same_number_does_not_match() -> None:
    entry = ims("INV1", stin=SUPPLIER)
    state = book(entry)
    reconcile(state, [line("INV1", gstin=OTHER_SUPPLIER)])
    assert entry.match_result == "Not in purchase register"
    assert state.not_in_ims[0]["stin"] == OTHER_SUPPLIER


def test_a_register_line_without_a_date_matches_on_the_number() -> None:
    entry = ims("INV1")
    outcome = reconcile(book(entry), [line("INV1", day=None)])
    assert results(entry) == [("Matched by number; the register has no date", "Accept")]
    assert outcome.counts[MATCHED] == 1


# --- duplicates -------------------------------------------------------------------------------


def test_a_document_twice_in_ims_pairs_the_closest_amounts_and_flags_the_other() -> None:
    first, second = ims("INV1", iamt="1700.00"), ims("INV1", iamt="1800.00")
    reconcile(book(first, second), [line("INV1", igst="1800.00", row=12)])
    assert results(first, second) == [
        ("Duplicate: the register row 12 is already matched to another IMS record", "Pending"),
        ("Matched", "Accept"),
    ]


def test_a_document_twice_in_the_register_keeps_the_closer_line_and_lists_the_other() -> None:
    entry = ims("INV1", iamt="1800.00")
    state = book(entry)
    # Booked twice on different days (rows of one date would be one document over two rates).
    reconcile(state, [line("INV1", date(2024, 6, 14), igst="1500.00", row=11),
                      line("INV1", igst="1800.00", row=12)])
    assert entry.match_result == "Matched"
    follow_ups = [(row["register_row"], row["follow_up"]) for row in state.not_in_ims]
    assert follow_ups == [(11, "Duplicate of register row 12")]


def test_a_document_twice_in_the_register_and_not_in_ims_is_followed_up_once() -> None:
    state = book()
    reconcile(state, [line("INV1", row=5), line("INV/1", date(2024, 6, 16), row=9)])
    assert [(row["register_row"], row["follow_up"]) for row in state.not_in_ims] == [
        (5, "Not uploaded by the supplier: follow up"),
        (9, "Duplicate of register row 5"),
    ]


def test_not_in_ims_rows_say_their_kind_in_a_column_of_their_own() -> None:
    state = book()
    reconcile(state, [line("INV1", row=5), line("INV/1", date(2024, 6, 16), row=9)])
    assert [(row["register_row"], row["row_kind"]) for row in state.not_in_ims] == [
        (5, "Missing from IMS"), (9, "Duplicate in register")]


def test_duplicates_on_both_sides_pair_by_closest_amounts() -> None:
    low, high = ims("INV1", iamt="100.00"), ims("INV1", iamt="900.00")
    state = book(low, high)
    reconcile(state, [line("INV1", igst="905.00", row=3), line("INV1", date(2024, 6, 16), igst="100.50", row=4)])
    assert results(low, high) == [
        ("Matched by number; date differs by 1 day", "Accept"),
        ("IGST differs: 900.00 in IMS, 905.00 in books", "Pending"),
    ]
    assert state.not_in_ims == []


# --- Pending not allowed, and never Reject --------------------------------------------------------


def test_pending_is_not_suggested_where_the_portal_blocks_it() -> None:
    missing = ims("INV1", section="b2bcn", pending_blocked=True)
    differs = ims("INV2", section="b2bcn", pending_blocked=True, iamt="10.00")
    matched = ims("INV3", section="b2bcn", pending_blocked=True)
    outcome = reconcile(book(missing, differs, matched), [
        line("INV2", document_type="Credit Note", igst="20.00"),
        line("INV3", document_type="Credit Note", row=3),
    ])
    assert results(missing, differs, matched) == [
        ("Not in purchase register" + BLOCKED_NOTE, ""),
        ("IGST differs: 10.00 in IMS, 20.00 in books" + BLOCKED_NOTE, ""),
        ("Matched", "Accept"),
    ]
    assert outcome.counts[NOT_IN_REGISTER] == 1 and outcome.counts[AMOUNTS_DIFFER] == 1
    assert "2 records cannot be kept Pending (decide Accept or Reject)" in outcome.summary()


def test_reject_is_never_suggested() -> None:
    entries = [ims("INV1"), ims("INV2", iamt="5"), ims("INV1"), ims("INV3", pending_blocked=True)]
    reconcile(book(*entries), [line("INV1"), line("INV2", row=3)])
    assert {entry.suggested_action for entry in entries} <= {"Accept", "Pending", ""}


# --- applying suggestions ---------------------------------------------------------------------------


def test_apply_sets_suggestions_only_where_the_status_is_as_downloaded() -> None:
    untouched = ims("INV1")  # No Action, as downloaded
    user_rejected = ims("INV2")
    user_rejected.status = "Reject"
    unreadable = ims("INV3")
    unreadable.status = "ask the client"
    was_pending = ims("INV4", action="P")
    not_in_register = ims("INV5")
    register = [line(number, row=row) for row, number in enumerate(("INV1", "INV2", "INV3", "INV4"), start=2)]

    outcome = reconcile(book(untouched, user_rejected, unreadable, was_pending, not_in_register), register,
                        apply=True)

    assert [e.status for e in (untouched, user_rejected, unreadable, was_pending, not_in_register)] == [
        "Accept", "Reject", "ask the client", "Accept", "Pending"]
    assert outcome.applied == 3
    assert outcome.summary().endswith("; applied 3 suggestions")


def test_apply_leaves_decisions_already_on_the_portal() -> None:
    rejected_on_portal = ims("INV1", action="R")
    accepted_on_portal = ims("INV2", action="A", iamt="1900.00")  # differs: the suggestion is Pending
    outcome = reconcile(book(rejected_on_portal, accepted_on_portal), [line("INV1"), line("INV2", row=3)],
                        apply=True)
    assert (rejected_on_portal.status, accepted_on_portal.status) == ("Reject", "Accept")
    assert (rejected_on_portal.suggested_action, accepted_on_portal.suggested_action) == ("Accept", "Pending")
    assert outcome.applied == 0


def test_without_apply_no_status_changes() -> None:
    entry = ims("INV1")
    outcome = reconcile(book(entry), [line("INV1")])
    assert entry.status == "No Action"
    assert entry.suggested_action == "Accept"
    assert outcome.applied is None
    assert "applied" not in outcome.summary()


def test_apply_leaves_a_blocked_record_for_the_user() -> None:
    entry = ims("INV1", pending_blocked=True)
    outcome = reconcile(book(entry), [], apply=True)
    assert entry.status == "No Action"
    assert outcome.applied == 0


def test_apply_does_not_count_a_status_that_already_says_the_same() -> None:
    entry = ims("INV1", action="A")
    outcome = reconcile(book(entry), [line("INV1")], apply=True)
    assert entry.status == "Accept"
    assert outcome.applied == 0


# --- the Not in IMS sheet and the totals ------------------------------------------------------------


def test_register_lines_without_an_ims_record_fill_the_not_in_ims_sheet() -> None:
    state = book(ims("INV1"))
    state.not_in_ims = [["stale row from an earlier run"]]
    reconcile(state, [
        line("INV1"),
        line("000045", date(2024, 7, 1), row=8, gstin=OTHER_SUPPLIER, document_type="Debit Note",
             taxable="500.00", igst="0", cgst="45.00", sgst="45.00", cess="1.50"),
    ])
    assert [list(row.values()) for row in state.not_in_ims] == [[
        OTHER_SUPPLIER, "000045", date(2024, 7, 1), "Debit Note",
        Decimal("500.00"), Decimal("0"), Decimal("45.00"), Decimal("45.00"), Decimal("1.50"),
        8, "Not uploaded by the supplier: follow up", "Missing from IMS",
    ]]
    assert list(state.not_in_ims[0]) == [column.field for column in layout.NOT_IN_IMS_TABLE.columns]


def test_counts_tax_and_summary_sentence() -> None:
    state = book(
        ims("INV1", iamt="100.00"),
        ims("INV2", iamt="200.00"),
        ims("INV3", iamt="300.00"),
        ims("INV4", iamt="400.00"),
    )
    outcome = reconcile(state, [
        line("INV1", igst="100.00"),
        line("INV2", date(2024, 6, 20), igst="200.00", row=3),
        line("INV3", igst="350.00", row=4),
        line("INV9", igst="50.00", cgst="5.00", row=5),
    ])
    assert outcome.counts == {MATCHED: 1, DATE_DIFFERS: 1, AMOUNTS_DIFFER: 1, NOT_IN_REGISTER: 1, NOT_IN_IMS: 1}
    assert outcome.taxes == {MATCHED: Decimal("100.00"), DATE_DIFFERS: Decimal("200.00"),
                             AMOUNTS_DIFFER: Decimal("300.00"), NOT_IN_REGISTER: Decimal("400.00"),
                             NOT_IN_IMS: Decimal("55.00")}
    assert outcome.summary() == (
        "Reconciled 4 IMS records with 4 register entries: 2 matched, 1 differ, "
        "1 not in the register, 1 register entry not in IMS"
    )


def test_the_home_sheet_totals_agree_with_the_outcome() -> None:
    state = book(ims("INV1"), ims("INV1"), ims("INV2", iamt="1"), ims("INV3"), ims("INV4", pending_blocked=True),
                 ims("INV5", "01-06-2024"))
    outcome = reconcile(state, [line("INV1"), line("INV2", row=3), line("INV5", row=4), line("INV8", row=5)])
    blocks = dict(codec.home_blocks(state, findings=None, recon=outcome.by_result()))
    assert blocks[layout.Cell(layout.RECON_TABLE.first_row, layout.RECON_TABLE.left)] == [
        [name, outcome.counts[name], outcome.taxes[name]] for name in layout.RECON_RESULTS]


def test_running_again_replaces_the_previous_results() -> None:
    entry = ims("INV1")
    state = book(entry)
    reconcile(state, [])
    assert entry.match_result == "Not in purchase register"
    reconcile(state, [line("INV1")])
    assert results(entry) == [("Matched", "Accept")]


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        reconcile(book(), [], tolerance=Decimal("-1"))
