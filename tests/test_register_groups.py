"""An invoice booked over several tax rates is one document: its rows are summed before matching."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ims_xl.core import layout
from ims_xl.core.reconcile import reconcile
from ims_xl.core.register_groups import group_register
from tests.test_reconcile import SUPPLIER, book, ims, line

MATCHED, DATE_DIFFERS, AMOUNTS_DIFFER, NOT_IN_REGISTER, NOT_IN_IMS = layout.RECON_RESULTS


def test_an_invoice_over_two_rates_matches_its_ims_record_exactly() -> None:
    # IMS: 10,000 at 18% and 5,000 at 12% on one invoice = 15,000 taxable, 1,800 + 600 IGST.
    entry = ims("INV/2024/0891", txval="15000.00", iamt="2400.00")
    state = book(entry)
    outcome = reconcile(state, [
        line("INV-2024-891", taxable="10000.00", igst="1800.00", row=12),
        line("inv 2024 0891", taxable="5000.00", igst="600.00", row=13),
    ])
    assert (entry.match_result, entry.suggested_action) == ("Matched (2 register rows: 12, 13)", "Accept")
    assert state.not_in_ims == []
    assert outcome.counts[MATCHED] == 1
    assert outcome.counts[NOT_IN_IMS] == 0
    assert outcome.summary() == ("Reconciled 1 IMS record with 1 register entry (2 rows, the rates of one "
                                 "document combined): 1 matched, 0 differ, 0 not in the register, "
                                 "0 register entries not in IMS")


def test_three_rows_that_differ_in_total_say_so_with_the_rows() -> None:
    entry = ims("B-7", txval="300.00", iamt="0", camt="20.00", samt="20.00")
    reconcile(book(entry), [
        line("B-7", taxable="100.00", igst="0", cgst="2.50", sgst="2.50", row=12),
        line("B-7", taxable="100.00", igst="0", cgst="6.00", sgst="6.00", row=13),
        line("B-7", taxable="100.00", igst="0", cgst="9.00", sgst="9.00", row=14),
    ])
    assert entry.match_result == ("CGST differs: 20.00 in IMS, 17.50 in books; "
                                  "SGST differs: 20.00 in IMS, 17.50 in books (3 register rows: 12, 13, 14)")
    assert entry.match_status == AMOUNTS_DIFFER and entry.books_tax == Decimal("35.00")


def test_a_date_difference_on_a_combined_document_is_still_a_match() -> None:
    entry = ims("INV1", "15-06-2024", txval="300.00", iamt="36.00")
    reconcile(book(entry), [line("INV1", date(2024, 6, 14), taxable="100.00", igst="12.00", row=4),
                            line("INV1", date(2024, 6, 14), taxable="200.00", igst="24.00", row=5)])
    assert entry.match_result == "Matched by number; date differs by 1 day (2 register rows: 4, 5)"
    assert entry.match_status == DATE_DIFFERS and entry.books_tax == Decimal("36.00")


def test_a_multi_rate_document_missing_from_ims_is_one_follow_up_with_summed_amounts() -> None:
    state = book()
    reconcile(state, [line("X1", taxable="100.00", igst="5.00", row=7),
                      line("X1", taxable="200.00", igst="36.00", cess="1.00", row=8)])
    assert [list(row.values()) for row in state.not_in_ims] == [[
        SUPPLIER, "X1", date(2024, 6, 15), "Invoice",
        Decimal("300.00"), Decimal("41.00"), Decimal("0"), Decimal("0"), Decimal("1.00"),
        7, "Not uploaded by the supplier: follow up (2 register rows: 7, 8)", "Missing from IMS",
    ]]


def test_rows_differing_in_supplier_type_or_date_stay_separate_documents() -> None:
    rows = [
        line("N1", row=2),
        line("N1", row=3, gstin="07AABFL2260Q2Z2"),
        line("N1", row=4, document_type="Credit Note"),
        line("N1", date(2024, 6, 16), row=5),
        line("N-1", row=6),  # the same number written differently: joins row 2
    ]
    grouped = group_register(rows)
    assert [(g.source_row, g.merged_rows) for g in grouped] == [(2, (2, 6)), (3, ()), (4, ()), (5, ())]
    assert grouped[0].igst == Decimal("3600.00")
    assert grouped[0].number == "N1"


def test_a_credit_note_booked_negative_over_two_rates_matches() -> None:
    note = ims("CN-5", section="b2bcn", txval="300.00", iamt="46.00")
    reconcile(book(note), [
        line("CN-5", document_type="Credit Note", taxable="-100.00", igst="-10.00", row=2),
        line("CN-5", document_type="Credit Note", taxable="-200.00", igst="-36.00", row=3),
    ])
    assert note.match_result == "Matched (2 register rows: 2, 3)"
