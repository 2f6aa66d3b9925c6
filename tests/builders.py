"""Small builders for portal records and sheet rows in tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ims_xl.core.book import Entry, entry_from_record
from ims_xl.core.records import make_record
from ims_xl.core.sections import BY_KEY

SUPPLIER = "27AABCS1429B1ZU"  # passes the GSTIN check character
RECIPIENT = "27AAPFU0939F1ZV"


def raw_record(section_key: str, **overrides: Any) -> dict[str, Any]:
    """A valid portal record of the section, with overrides (None removes a key)."""
    section = BY_KEY[section_key]
    raw: dict[str, Any] = {"stin": SUPPLIER, "tradenm": "Shree Ganesh Traders"}
    if section.is_amendment:
        raw[section.original_number_key] = "ORIG-1"  # type: ignore[index]
        raw[section.original_date_key] = "01-09-2025"  # type: ignore[index]
    raw[section.number_key] = "DOC-1"
    raw[section.date_key] = "04-10-2025"
    if section.has_supply_type:
        raw["inv_typ"] = "R"
    raw.update({
        "val": Decimal("11800.00"), "pos": "27", "txval": Decimal("10000.00"), "iamt": 0,
        "camt": Decimal("900.00"), "samt": Decimal("900.00"), "cess": 0, "action": "N", "srcform": "R1",
        "rtnprd": "102025", "srcfilstatus": "Filed", "ispendactblocked": "N", "isRemarksBlocked": "N",
    })
    if section.takes_itc_declaration:
        raw["isItcRedReqBlocked"] = "N"
    for key, value in overrides.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def entry(section_key: str, *, status: Any = None, remarks: Any = None, itc: Any = None,
          declared: dict[str, Any] | None = None, row: int = 5, **raw_overrides: Any) -> Entry:
    """A sheet row for a record, with the user's inputs set when given."""
    made = entry_from_record(make_record(BY_KEY[section_key], raw_record(section_key, **raw_overrides), "test"))
    made.row = row
    if status is not None:
        made.status = status
    if remarks is not None:
        made.remarks = remarks
    if itc is not None:
        made.itc = itc
    if declared is not None:
        made.declared = declared
    return made
