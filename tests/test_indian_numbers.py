"""Amounts as an Indian CA reads them: 1,71,24,417.99 wherever the tool writes an amount as text.

One function in core does the grouping; each place that writes amounts as text is checked here
through what the user reads: the summary command, Match Result, Refresh Notes, validation
messages and the supplier letter.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from ims_xl.cli import main
from ims_xl.core.amounts import indian_money
from ims_xl.core.book import BookState
from ims_xl.core.followup import follow_up, letter
from ims_xl.core.reconcile import RegisterEntry, reconcile
from ims_xl.core.records import make_record
from ims_xl.core.refresh import supplier_changes
from ims_xl.core.render import message
from ims_xl.core.rules import check_entry
from ims_xl.core.sections import BY_KEY
from tests.builders import RECIPIENT, SUPPLIER, entry, raw_record

# A 26-crore invoice: IGST of 3.97 crore.
CRORE_INVOICE = {"inum": "KSI/25-26/1187", "val": Decimal("260000000.00"), "txval": Decimal("220338983.05"),
                 "iamt": Decimal("39661016.95"), "camt": 0, "samt": 0}


@pytest.mark.parametrize(("amount", "shown"), [
    (Decimal("17124417.99"), "1,71,24,417.99"),
    (Decimal("100000"), "1,00,000.00"),
    (Decimal("99999.99"), "99,999.99"),
    (Decimal("999.5"), "999.50"),
    (Decimal("1000"), "1,000.00"),
    (Decimal("123456789012.34"), "1,23,45,67,89,012.34"),
    (0, "0.00"),
    (7, "7.00"),
    (Decimal("-1234567.5"), "-12,34,567.50"),
    (Decimal("-0.001"), "0.00"),  # never "-0.00"
    (Decimal("99999.995"), "1,00,000.00"),  # rounded half up, as a person rounds
    (0.1 + 0.2, "0.30"),  # an Excel float at its shortest repr
    (1_000_000.25, "10,00,000.25"),
])
def test_amounts_are_grouped_in_lakhs_and_crores(amount: Decimal | int | float, shown: str) -> None:
    assert indian_money(amount) == shown


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_summary_command_prints_crores_the_indian_way(tmp_path: Path) -> None:
    download = tmp_path / "client.json"
    download.write_text(json.dumps({"gstin": RECIPIENT, "imsDetails": {"b2b": [raw_record("b2b", **CRORE_INVOICE)]}},
                                   default=str))
    book = tmp_path / "client.xlsx"
    assert run("-q", "open", download, "-o", book)[0] == 0
    code, out, _ = run("-q", "summary", book)
    assert code == 0
    assert "3,96,61,016.95" in out  # IGST deemed accepted, and the total
    assert "39,661,016.95" not in out


def test_match_result_states_the_difference_in_lakhs() -> None:
    state = BookState()
    state.entries["b2b"].append(entry("b2b", **CRORE_INVOICE))
    reconcile(state, [RegisterEntry(SUPPLIER, "KSI/25-26/1187", dt.date(2025, 10, 4), "Invoice",
                                    Decimal("220338983.05"), Decimal("39000000"), Decimal(0), Decimal(0),
                                    Decimal(0), 2)])
    assert state.entries["b2b"][0].match_result.startswith(
        "IGST differs: 3,96,61,016.95 in IMS, 3,90,00,000.00 in books")


def test_a_refresh_note_shows_the_supplier_change_in_lakhs() -> None:
    section = BY_KEY["b2b"]
    old = make_record(section, raw_record("b2b", txval=Decimal("1712441.50")), "old.json")
    new = make_record(section, raw_record("b2b", txval=Decimal("17124417.99")), "new.json")
    assert supplier_changes(old, new) == ["Taxable Value 17,12,441.50 -> 1,71,24,417.99"]


def test_validation_messages_give_amounts_in_lakhs() -> None:
    note = entry("b2bcn", iamt=Decimal("250000.00"), camt=0, samt=0, status="Accept", itc="Yes",
                 declared={"decl_igst": "300000"})
    messages = {problem.code: message(problem) for problem in check_entry(note)}
    assert messages["amount-above-tax"] == "3,00,000.00 is more than the supplier's IGST of 2,50,000.00"


def test_the_supplier_letter_states_the_credit_at_stake_in_lakhs() -> None:
    state = BookState()
    state.home.gstin = RECIPIENT
    state.entries["b2b"].append(entry("b2b", status="Reject", remarks="Goods not received", **CRORE_INVOICE))
    (supplier,) = follow_up(state)
    text = letter(supplier)
    assert "Rs. 3,96,61,016.95" in text
    assert "39,661,016.95" not in text
