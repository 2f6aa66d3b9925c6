"""The upload file: only what changed since the download, values exactly as downloaded (D3).

The portal takes an upload as the taxpayer's word, so its guarantees are checked on the built
document before anything is written (``upload_violations``): one record per document per section,
the GSTIN of the download, only records the user changed, every record's values the download's.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .book import Entry, Home
from .records import ITC_KEY_SPELLINGS, Record, identity_of, key_text
from .rules import decide, is_changed, itc_answer_due
from .sections import BY_KEY, DECLARED_FIELDS, SECTIONS

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
    itc = decision.itc
    if itc is None and not decision.declared and itc_answer_due(section, model.itc_blocked):
        itc = "Y"  # D8: blank is the portal's default, full reversal (no declared amounts)
    if section.takes_itc_declaration and decision.action == "A" and not model.itc_blocked and itc is not None:
        sent[_spelling(raw, "itc_reduce")] = itc
        # A "Yes" with no amounts means full reversal: the portal reads absence as full.
        if decision.itc == "Y" and decision.declared:
            for name in DECLARED_FIELDS:
                amount = decision.declared.get(name, Decimal(0))
                sent[_spelling(raw, name)] = amount.quantize(_CENT)
    return sent


def upload_recipient(home: Home) -> str | None:
    """The GSTIN an upload goes out under: the download's, as recorded when the book took it in;
    Home's for a book that did not record it (made before the record was kept, or opened from a
    download without a GSTIN)."""
    return home.download_gstin or home.gstin


def build_upload(entries: Iterable[Entry], recipient_gstin: str) -> tuple[dict[str, Any], int]:
    """The SAVE envelope holding every changed record, and how many records it holds.

    A document on two rows (a copied row; validation has made sure both carry one decision) is sent once.
    """
    by_section: dict[str, list[dict[str, Any]]] = {section.key: [] for section in SECTIONS}
    sent: set[tuple[str, ...]] = set()
    for entry in entries:
        record = upload_record(entry)
        if record is not None and entry.record.identity not in sent:
            sent.add(entry.record.identity)
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


def upload_violations(document: dict[str, Any], entries: Iterable[Entry], recipient_gstin: str) -> list[str]:
    """What is wrong with a built upload, in words (empty: it may be written).

    Checked independently of how the upload was built, from the rows themselves: each section's
    records name distinct documents; the envelope names the download's GSTIN; every record is of
    a row the user changed; every value sent from the download is the download's, and none is left out.
    """
    problems: list[str] = []
    if document.get("rtin") != recipient_gstin:
        problems.append(f"the upload is for GSTIN {document.get('rtin')}, the download for {recipient_gstin}")
    if set(document) != {"rtin", "reqtyp", "invdata"} or document.get("reqtyp") != "SAVE":
        problems.append("the envelope is not a SAVE request of rtin, reqtyp and invdata")
    invdata = document.get("invdata")
    # Only rows whose supplier and document number are sent can hold a sent document: the others are
    # skipped before their identity and decision are worked out (a few thousand rows of 100,000 are sent).
    sent_numbers = {(key, key_text(sent, "stin"), key_text(sent, section.number_key))
                    for key, records in (invdata.items() if isinstance(invdata, dict) else ())
                    if (section := BY_KEY.get(key)) is not None and isinstance(records, list)
                    for sent in records if isinstance(sent, dict)}
    changed: dict[tuple[str, ...], list[Record]] = {}
    downloaded: dict[tuple[str, ...], list[Record]] = {}
    for entry in entries:
        section = entry.section
        raw = entry.record.raw
        if (section.key, key_text(raw, "stin"), key_text(raw, section.number_key)) not in sent_numbers:
            continue
        downloaded.setdefault(entry.record.identity, []).append(entry.record)
        decision = decide(entry)
        if decision.readable and is_changed(entry, decision):
            changed.setdefault(entry.record.identity, []).append(entry.record)
    for key, records in (invdata.items() if isinstance(invdata, dict) else ()):
        section = BY_KEY.get(key)
        if section is None or not isinstance(records, list):
            problems.append(f"invdata.{key} is not a section's list of records")
            continue
        seen: set[tuple[str, ...]] = set()
        for position, sent in enumerate(records, start=1):
            where = f"invdata.{key}[{position}]"
            identity = identity_of(section, sent)
            if identity in seen:
                problems.append(f"{where}: the document is in the upload more than once")
            seen.add(identity)
            if identity not in downloaded:
                problems.append(f"{where}: no row of the workbook holds this document")
                continue
            if identity not in changed:
                problems.append(f"{where}: the document's row was not changed since the download")
            if not any(_echoes(sent, record.raw) for record in downloaded[identity]):
                problems.append(f"{where}: the values sent differ from the download's")
    return problems


def _echoes(sent: dict[str, Any], raw: dict[str, Any]) -> bool:
    """Does ``sent`` carry exactly the download's values for every key echoed from it?"""
    return (all(sent.get(key) == raw[key] for key in ECHOED_KEYS if key in raw)
            and all(key in raw for key in sent if key in ECHOED_KEYS)
            and sent.get("prev_status") == raw.get("action"))
