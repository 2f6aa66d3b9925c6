"""Refreshing a workbook from a newer download: decisions survive, supplier edits are explained."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ims_xl.core.book import BookState, Entry, Home, RemovedEntry, entry_from_record
from ims_xl.core.problems import InputError
from ims_xl.core.records import PortalFile, Record, make_record
from ims_xl.core.refresh import RefreshOutcome, refresh
from ims_xl.core.sections import BY_KEY
from ims_xl.core.upload import upload_record

RECIPIENT = "07AABFL2260Q2Z2"
SUPPLIER = "27AAPFU0939F1ZV"
TODAY = "12-12-2024"


def invoice(number: str = "INV-1", **changes: Any) -> Record:
    raw: dict[str, Any] = {
        "stin": SUPPLIER, "inum": number, "idt": "05-11-2024", "inv_typ": "R", "pos": "27",
        "val": Decimal("11800.50"), "txval": Decimal("10000.42"), "iamt": Decimal("1800.08"),
        "camt": 0, "samt": 0, "cess": 0, "action": "N", "hash": "h1",
    }
    raw.update(changes)
    return make_record(BY_KEY["b2b"], raw, "test")


def credit_note(number: str = "CN-1", **changes: Any) -> Record:
    raw: dict[str, Any] = {
        "stin": SUPPLIER, "nt_num": number, "nt_dt": "06-11-2024", "inv_typ": "R", "pos": "27",
        "val": Decimal("142700.00"), "txval": Decimal("120932.20"), "iamt": 0,
        "camt": Decimal("10883.90"), "samt": Decimal("10883.90"), "cess": 0, "action": "N",
    }
    raw.update(changes)
    return make_record(BY_KEY["b2bcn"], raw, "test")


def download(*records: Record, gstin: str | None = RECIPIENT) -> PortalFile:
    return PortalFile(envelope="download", records=list(records), gstin=gstin)


def book(*records: Record) -> BookState:
    state = BookState(home=Home(gstin=RECIPIENT))
    for record in records:
        state.entries[record.section.key].append(entry_from_record(record))
    return state


def inputs(entry: Entry) -> tuple[Any, ...]:
    return (entry.status, entry.remarks, entry.itc, dict(entry.declared))


def numbers(state: BookState, key: str) -> list[str]:
    return [entry.record.number for entry in state.entries[key]]


# --- unchanged records ---------------------------------------------------------------------------


def test_unchanged_record_keeps_everything_the_user_typed_and_takes_the_new_record() -> None:
    state = book(credit_note())
    entry = state.entries["b2bcn"][0]
    entry.status, entry.itc, entry.declared = "Accept", "Yes", {"decl_cgst": Decimal("100"),
                                                                  "decl_sgst": Decimal("100")}
    entry.portal_errors, entry.suggested_action = "IMSSAV0054 ITC answer missing", "Accept"
    entry.match_result, entry.refresh_note = "Matched", "New in the download of 01-12-2024"

    # 142700 (a JSON integer) is the same amount as 142700.00; only the hash moved on.
    newer = credit_note(val=142700, hash="h2")
    outcome = refresh(state, download(newer), today=TODAY)

    kept = state.entries["b2bcn"][0]
    assert kept is entry
    assert inputs(kept) == ("Accept", None, "Yes", {"decl_cgst": Decimal("100"), "decl_sgst": Decimal("100")})
    assert (kept.portal_errors, kept.suggested_action, kept.match_result) == (
        "IMSSAV0054 ITC answer missing", "Accept", "Matched")
    assert kept.record is newer
    assert kept.refresh_note == ""  # notes describe the last refresh only
    assert outcome == RefreshOutcome(unchanged=1)


def test_status_uploaded_in_between_is_kept_and_not_sent_again() -> None:
    state = book(invoice())
    state.entries["b2b"][0].status = "Accept"

    refresh(state, download(invoice(action="A")), today=TODAY)

    entry = state.entries["b2b"][0]
    assert entry.status == "Accept"
    assert entry.refresh_note == ""
    assert upload_record(entry) is None  # the portal already shows Accept


def test_status_changed_on_the_portal_is_reported_and_the_typed_status_kept() -> None:
    state = book(invoice())
    state.entries["b2b"][0].status = "Reject"
    state.entries["b2b"][0].remarks = "Rate differs"

    outcome = refresh(state, download(invoice(action="A")), today=TODAY)

    entry = state.entries["b2b"][0]
    assert inputs(entry) == ("Reject", "Rate differs", None, {})
    assert entry.refresh_note == "Portal status changed No Action -> Accept; your Status Reject is kept"
    assert outcome == RefreshOutcome(unchanged=1)


# --- records the supplier edited -----------------------------------------------------------------


def test_supplier_edit_takes_new_values_resets_status_and_explains_the_change() -> None:
    state = book(invoice())
    state.entries["b2b"][0].status = "Accept"

    edited = invoice(txval=Decimal("12000.42"), iamt=Decimal("2160.08"), val=Decimal("11800.50"))
    outcome = refresh(state, download(edited), today=TODAY)

    entry = state.entries["b2b"][0]
    assert entry.record is edited
    assert entry.status == "No Action"
    assert entry.refresh_note == (
        "Changed by supplier: Taxable Value 10,000.42 -> 12,000.42; IGST 1,800.08 -> 2,160.08 "
        "(your Status was Accept): decide again"
    )
    assert outcome == RefreshOutcome(edited=1, reset=[entry])


def test_supplier_edit_note_keeps_every_typed_input_that_the_reset_replaces() -> None:
    state = book(credit_note())
    entry = state.entries["b2bcn"][0]
    entry.status, entry.remarks, entry.itc = "Accept", "checked by RK", "Yes"
    entry.declared = {"decl_cgst": Decimal("500"), "decl_sgst": "500"}
    entry.match_result = "Matched"

    refresh(state, download(credit_note(val=Decimal("150000"), pos="7", inv_typ="SEWP")), today=TODAY)

    fresh = state.entries["b2bcn"][0]
    assert inputs(fresh) == ("No Action", None, None, {})
    assert fresh.match_result == ""  # matched against the old amounts: run the match again
    assert fresh.refresh_note == (
        "Changed by supplier: Supply Type R -> SEWP; Note Value 1,42,700.00 -> 1,50,000.00; "
        "Place of Supply 27 -> 07 (your Status was Accept; your Remarks were \"checked by RK\"; "
        "your ITC to be reduced was Yes; your Declared CGST was 500.00; your Declared SGST was 500.00): decide again"
    )


def test_supplier_edit_note_does_not_mention_inputs_the_new_record_already_has() -> None:
    state = book(invoice())
    state.entries["b2b"][0].status = "pending"  # typed in lower case, same as the new status

    refresh(state, download(invoice(cess=Decimal("10.5"), action="P")), today=TODAY)

    assert state.entries["b2b"][0].status == "Pending"
    assert state.entries["b2b"][0].refresh_note == "Changed by supplier: Cess 0.00 -> 10.50"


# --- new and removed records ----------------------------------------------------------------------


def test_new_record_is_appended_after_the_existing_rows() -> None:
    state = book(invoice("INV-2"), invoice("INV-1"))
    state.entries["b2b"][0].status = "Reject"

    outcome = refresh(state, download(invoice("INV-3"), invoice("INV-1"), invoice("INV-2")), today=TODAY)

    assert numbers(state, "b2b") == ["INV-2", "INV-1", "INV-3"]
    new = state.entries["b2b"][2]
    assert new.status == "No Action"
    assert new.refresh_note == "New in the download of 12-12-2024"
    assert new.row is None  # no row yet: the port puts it below the last one
    assert outcome == RefreshOutcome(unchanged=2, added=1)


def test_record_gone_from_the_download_moves_to_removed_with_the_users_inputs() -> None:
    state = book(invoice("INV-1"), invoice("INV-2"))
    gone = state.entries["b2b"][1]
    gone.status, gone.remarks = "Reject", "Not received"

    outcome = refresh(state, download(invoice("INV-1")), today=TODAY)

    assert numbers(state, "b2b") == ["INV-1"]
    assert len(state.removed) == 1
    removed = state.removed[0]
    assert removed.removed_on == TODAY
    assert inputs(removed.entry) == ("Reject", "Not received", None, {})
    assert outcome == RefreshOutcome(unchanged=1, removed=1)
    assert outcome.summary() == (
        "Refreshed: 1 unchanged, 1 removed from the portal (kept on 'Removed from Portal')")


def test_removed_record_that_reappears_comes_back_with_its_inputs() -> None:
    state = book(invoice("INV-1"), credit_note())
    note = state.entries["b2bcn"][0]
    note.status, note.itc = "Accept", "No"
    refresh(state, download(invoice("INV-1")), today="01-12-2024")
    assert state.entries["b2bcn"] == []

    outcome = refresh(state, download(invoice("INV-1"), credit_note(hash="h9")), today=TODAY)

    assert state.removed == []
    back = state.entries["b2bcn"][0]
    assert inputs(back) == ("Accept", None, "No", {})
    assert back.record.raw["hash"] == "h9"
    assert back.refresh_note == "Back in the download of 12-12-2024"
    assert outcome == RefreshOutcome(unchanged=1, restored=1)


def test_removed_record_that_reappears_edited_starts_again_and_says_so() -> None:
    state = book()
    old = entry_from_record(invoice())
    old.status = "Reject"
    state.removed.append(RemovedEntry(old, removed_on="01-12-2024"))

    refresh(state, download(invoice(txval=Decimal("9000"))), today=TODAY)

    back = state.entries["b2b"][0]
    assert back.status == "No Action"
    assert back.refresh_note == ("Back in the download of 12-12-2024. Changed by supplier: "
                                 "Taxable Value 10,000.42 -> 9,000.00 (your Status was Reject): decide again")


def test_amendment_of_a_different_original_is_a_different_record() -> None:
    def amendment(original: str) -> Record:
        raw = {"stin": SUPPLIER, "inum": "INV-9", "idt": "05-11-2024", "oinum": original, "oidt": "01-10-2024",
               "val": 100, "txval": 100, "action": "N"}
        return make_record(BY_KEY["b2ba"], raw, "test")

    state = book(amendment("INV-1"))
    outcome = refresh(state, download(amendment("INV-2")), today=TODAY)

    assert [entry.record.original_number for entry in state.entries["b2ba"]] == ["INV-2"]
    assert outcome == RefreshOutcome(added=1, removed=1)


# --- refreshing twice, wrong files ------------------------------------------------------------------


def test_refreshing_with_the_same_download_changes_nothing() -> None:
    first = download(invoice("INV-1"), invoice("INV-2", txval=Decimal("5")), credit_note())
    state = book(*first.records)
    state.entries["b2b"][0].status, state.entries["b2b"][0].remarks = "Pending", "Awaiting goods"
    state.entries["b2bcn"][0].status, state.entries["b2bcn"][0].itc = "Accept", "Yes"
    state.removed.append(RemovedEntry(entry_from_record(invoice("OLD-1")), removed_on="01-12-2024"))
    before = {key: [inputs(entry) for entry in entries] for key, entries in state.entries.items()}
    removed_before = [(r.entry.record.identity, inputs(r.entry), r.removed_on) for r in state.removed]

    outcome = refresh(state, first, today=TODAY)

    assert {key: [inputs(entry) for entry in entries] for key, entries in state.entries.items()} == before
    assert [(r.entry.record.identity, inputs(r.entry), r.removed_on) for r in state.removed] == removed_before
    assert outcome == RefreshOutcome(unchanged=3)
    assert outcome.summary() == "Refreshed: 3 unchanged, nothing new, changed or removed"


def test_a_second_refresh_with_the_newer_download_finds_nothing_more() -> None:
    state = book(invoice("INV-1"), invoice("INV-2"))
    state.entries["b2b"][0].status = "Accept"
    newer = download(invoice("INV-1", txval=Decimal("1")), invoice("INV-3"))
    refresh(state, newer, today=TODAY)
    after_first = [inputs(entry) for entry in state.entries["b2b"]]

    outcome = refresh(state, newer, today="13-12-2024")

    assert [inputs(entry) for entry in state.entries["b2b"]] == after_first
    assert len(state.removed) == 1
    assert outcome == RefreshOutcome(unchanged=2)


def test_download_for_another_gstin_is_refused_and_the_book_is_untouched() -> None:
    state = book(invoice("INV-1"))
    entry = state.entries["b2b"][0]
    entry.status = "Accept"
    snapshot = copy.deepcopy((state.home, [inputs(e) for e in state.all_entries()]))
    other = download(invoice("INV-2"), gstin="33GSPTN0481G1ZA")

    with pytest.raises(InputError, match="download is for GSTIN 33GSPTN0481G1ZA, this workbook is for "
                                         "07AABFL2260Q2Z2"):
        refresh(state, other, today=TODAY)

    assert state.entries["b2b"] == [entry]
    assert entry.record.number == "INV-1"
    assert state.removed == []
    assert (state.home, [inputs(e) for e in state.all_entries()]) == snapshot


def test_gstin_typed_in_lower_case_on_home_still_matches() -> None:
    state = book(invoice())
    state.home.gstin = " 07aabfl2260q2z2 "

    assert refresh(state, download(invoice()), today=TODAY) == RefreshOutcome(unchanged=1)


def test_error_file_is_refused_because_it_holds_only_some_records() -> None:
    state = book(invoice("INV-1"), invoice("INV-2"))
    error_file = PortalFile(envelope="error", records=[invoice("INV-1")], gstin=RECIPIENT)

    with pytest.raises(InputError, match="error file"):
        refresh(state, error_file, today=TODAY)
    assert numbers(state, "b2b") == ["INV-1", "INV-2"]


def test_summary_counts_with_thousands_separators() -> None:
    outcome = RefreshOutcome(unchanged=1204, edited=3, added=12, removed=2)
    assert outcome.summary() == (
        "Refreshed: 1,204 unchanged, 3 changed by suppliers, 12 new, 2 removed from the portal "
        "(kept on 'Removed from Portal')"
    )
    assert RefreshOutcome(edited=1, restored=1).summary() == (
        "Refreshed: 0 unchanged, 1 changed by a supplier, 1 back from 'Removed from Portal'")


# --- nothing typed is ever lost ---------------------------------------------------------------------

_NUMBERS = [f"INV-{n}" for n in range(6)]


@settings(max_examples=60, deadline=None)
@given(
    old=st.dictionaries(st.sampled_from(_NUMBERS), st.sampled_from(["Accept", "Reject", "Pending", None])),
    new=st.dictionaries(st.sampled_from(_NUMBERS), st.sampled_from(["10", "10.00", "11"])),
)
def test_every_typed_status_survives_a_refresh(old: dict[str, str | None], new: dict[str, str]) -> None:
    state = book(*(invoice(number, txval=Decimal("10")) for number in old))
    for entry in state.entries["b2b"]:
        entry.status = old[entry.record.number]
    download_ = download(*(invoice(number, txval=Decimal(value)) for number, value in new.items()))

    outcome = refresh(state, download_, today=TODAY)

    rows = {entry.record.number: entry for entry in state.entries["b2b"]}
    removed = {r.entry.record.number: r.entry for r in state.removed}
    assert sorted(rows) == sorted(new)
    assert sorted(removed) == sorted(set(old) - set(new))
    for number, status in old.items():
        if number in removed:
            assert removed[number].status == status
        elif new[number] == "11":  # edited: the typed status is in the note
            assert status is None or f"your Status was {status}" in rows[number].refresh_note
        else:
            assert rows[number].status == status
    assert outcome.unchanged + outcome.edited + outcome.added == len(new)
