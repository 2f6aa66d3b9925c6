"""The upload file: only what changed since the download, values exactly as downloaded (D3)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .book import Entry
from .records import ITC_KEY_SPELLINGS
from .rules import decide, is_changed
from .sections import DECLARED_FIELDS, SECTIONS

# Keys echoed from the download, in the download's own order. Display-only keys (tradenm, hash,
# error_msg, blocked flags, srcfilstatus) and unknown fields stay in the workbook but are not sent.
ECHOED_KEYS = frozenset({
    "stin", "inum", "idt", "nt_num", "nt_dt", "oinum", "oidt", "ont_num", "ont_dt", "inv_typ",
    "srcform", "rtnprd", "val", "pos", "txval", "iamt", "camt", "samt", "cess",
})
_CENT = Decimal("0.01")


def upload_record(entry: Entry) -> dict[str, Any] | None:
    """The record to send for a changed row, or None when the row is as downloaded.

    Assumes the row passed validation.
    """
    decision = decide(entry)
    if not decision.readable or not is_changed(entry, decision):
        return None
    raw, model, section = entry.record.raw, entry.record.model, entry.section
    sent: dict[str, Any] = {key: value for key, value in raw.items() if key in ECHOED_KEYS}
    sent["action"] = decision.action
    sent["prev_status"] = model.action
    if decision.remarks and not model.remarks_blocked and decision.action in ("A", "R", "P"):
        sent["remarks"] = decision.remarks
    if (section.takes_itc_declaration and decision.action == "A" and not model.itc_blocked
            and decision.itc is not None):
        sent[_spelling(raw, "itc_reduce")] = decision.itc
        # A "Yes" with no amounts means full reversal: the portal reads absence as full.
        if decision.itc == "Y" and decision.declared:
            for name in DECLARED_FIELDS:
                amount = decision.declared.get(name, Decimal(0))
                sent[_spelling(raw, name)] = amount.quantize(_CENT)
    return sent


def build_upload(entries: Iterable[Entry], recipient_gstin: str) -> tuple[dict[str, Any], int]:
    """The SAVE envelope holding every changed record, and how many records it holds."""
    by_section: dict[str, list[dict[str, Any]]] = {section.key: [] for section in SECTIONS}
    for entry in entries:
        record = upload_record(entry)
        if record is not None:
            by_section[entry.section.key].append(record)
    invdata = {key: records for key, records in by_section.items() if records}
    count = sum(len(records) for records in invdata.values())
    return {"rtin": recipient_gstin, "reqtyp": "SAVE", "invdata": invdata}, count


def _spelling(raw: dict[str, Any], name: str) -> str:
    """The key the download used for this input, else the GSTN API spelling (D2)."""
    spellings = ITC_KEY_SPELLINGS[name]
    for key in spellings:
        if key in raw:
            return key
    return spellings[0]
