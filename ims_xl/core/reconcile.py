"""Reconciliation of IMS records with the recipient's purchase register, and suggested actions.

Pure: works on a ``BookState`` and a list of ``RegisterEntry`` values; reading the register file
is ``ims_xl.files.register``'s job.

A register entry and an IMS record are the same document when the supplier GSTIN, the document
type, the financial year of the document date and the normalised document number agree (Rule
46(b): numbers are unique per financial year). Amounts are then compared head by head. The
suggestion is Accept or Pending, never Reject: rejecting is a decision about the supplier, not
something a missing register line proves.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from .amounts import indian_money
from .book import BookState, Entry, parse_action
from .dates import portal_date
from .layout import (
    AMOUNTS_DIFFER,
    DATE_DIFFERS,
    DUPLICATE_IN_REGISTER,
    MATCHED,
    MISSING_FROM_IMS,
    NOT_IN_REGISTER,
    NOT_READ_FROM_REGISTER,
    RECON_RESULTS,
)
from .layout import NOT_IN_IMS_RESULT as NOT_IN_IMS
from .purchases import Amounts, RegisterEntry, RegisterProblem, normalise_number
from .register_groups import group_register
from .sections import ACTION_LABELS

DEFAULT_TOLERANCE = Decimal("1.00")


ACCEPT = ACTION_LABELS["A"]
PENDING = ACTION_LABELS["P"]
_CODE_OF_LABEL = {label: code for code, label in ACTION_LABELS.items()}

NOT_IN_REGISTER_TEXT = "Not in purchase register"
PENDING_BLOCKED_NOTE = " (Pending is not allowed for this record: decide Accept or Reject)"
FOLLOW_UP_SUPPLIER = "Not uploaded by the supplier: follow up"

# The amount heads compared, in the order differences are reported: (label, IMS field).
HEADS = (
    ("Taxable Value", "txval"),
    ("IGST", "iamt"),
    ("CGST", "camt"),
    ("SGST", "samt"),
    ("Cess", "cess"),
)

# Supplier GSTIN, document type, normalised number, financial year (None: the register has no date).
Key = tuple[str, str, str, int | None]


@dataclass
class ReconcileOutcome:
    """What a reconciliation found: records and tax per ``layout.RECON_RESULTS`` line."""

    ims_records: int
    register_entries: int  # documents, after multi-rate rows are combined
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECON_RESULTS, 0))
    taxes: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(RECON_RESULTS, Decimal(0)))
    pending_not_allowed: int = 0  # records left without a suggestion: the user must decide
    register_rows: int | None = None  # rows read, when more than the documents they make up
    applied: int | None = None  # statuses changed; None when suggestions were not applied

    def add(self, bucket: str, tax: Decimal) -> None:
        self.counts[bucket] += 1
        self.taxes[bucket] += tax

    def by_result(self) -> dict[str, tuple[int, Decimal]]:
        """Records and tax per ``RECON_RESULTS`` line, for the Home table."""
        return {result: (self.counts[result], self.taxes[result]) for result in RECON_RESULTS}

    @property
    def matched(self) -> int:
        return self.counts[MATCHED] + self.counts[DATE_DIFFERS]

    def summary(self) -> str:
        """One sentence for the console or a message box."""
        text = (
            f"Reconciled {_plural(self.ims_records, 'IMS record')} with "
            f"{_plural(self.register_entries, 'register entry', 'register entries')}"
            f"{_rows_combined(self.register_rows)}: "
            f"{self.matched:,} matched, {self.counts[AMOUNTS_DIFFER]:,} differ, "
            f"{self.counts[NOT_IN_REGISTER]:,} not in the register, "
            f"{_plural(self.counts[NOT_IN_IMS], 'register entry', 'register entries')} not in IMS"
        )
        if self.pending_not_allowed:
            text += (f"; {_plural(self.pending_not_allowed, 'record')} cannot be kept Pending "
                     "(decide Accept or Reject)")
        if self.applied is not None:
            text += f"; applied {_plural(self.applied, 'suggestion')}"
        return text


def _rows_combined(rows: int | None) -> str:
    return "" if rows is None else f" ({rows:,} rows, the rates of one document combined)"


# --- keys ------------------------------------------------------------------------------------

def financial_year(day: date) -> int:
    """The year an Indian financial year (April to March) starts in: 31-03-2025 -> 2024."""
    return day.year if day.month >= 4 else day.year - 1


# --- both sides, ready to pair ----------------------------------------------------------------


class _ImsDoc(NamedTuple):  # a tuple: 100k of them are built per run
    entry: Entry
    key: Key
    date: date

    @property
    def amounts(self) -> Amounts:  # from the model when asked: one tuple less per record held
        model = self.entry.record.model
        return (model.txval, model.iamt, model.camt, model.samt, model.cess)

    @property
    def tax(self) -> Decimal:
        return sum(self.amounts[1:], Decimal(0))


def _ims_doc(entry: Entry) -> _ImsDoc:
    model = entry.record.model
    day = portal_date(entry.record.date)
    if day is None:  # cannot happen: a record's date is checked dd-mm-yyyy when the record is made
        raise ValueError(f"{entry.record.date!r} is not a dd-mm-yyyy date")
    key = (sys.intern(model.stin.strip().upper()), entry.section.document_type,
           normalise_number(entry.record.number), financial_year(day))
    return _ImsDoc(entry, key, day)


def _register_key(line: RegisterEntry) -> Key:
    year = None if line.date is None else financial_year(line.date)
    return (line.supplier_gstin, line.document_type, normalise_number(line.number), year)


def _booked_amounts(line: RegisterEntry) -> Amounts:
    """The register's amounts as IMS shows them.

    Many accounting exports book a credit note as negative amounts; IMS shows it positive.
    """
    amounts = line.amounts
    if line.document_type == "Credit Note" and all(a <= 0 for a in amounts) and any(a < 0 for a in amounts):
        return (-amounts[0], -amounts[1], -amounts[2], -amounts[3], -amounts[4])
    return amounts


def _group(keys: Iterable[Key]) -> dict[Key, list[int]]:
    groups: dict[Key, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[key].append(position)
    return groups


# --- pairing ----------------------------------------------------------------------------------


def _distance(doc: _ImsDoc, line: RegisterEntry) -> tuple[Decimal, int]:
    """How far apart two candidates are: total amount difference, then days apart."""
    amount_gap = sum((abs(a - b) for a, b in zip(doc.amounts, _booked_amounts(line), strict=True)), Decimal(0))
    day_gap = 0 if line.date is None else abs((doc.date - line.date).days)
    return amount_gap, day_gap


def _pair_closest(
    doc_ids: list[int], line_ids: list[int], docs: list[_ImsDoc], register: list[RegisterEntry]
) -> list[tuple[int, int]]:
    """Pair IMS records with register lines of one key, closest amounts first.

    Each side is used at most once. A key nearly always holds one document on each side; the
    all-pairs sort only runs for duplicates, where the groups are small.
    """
    if len(doc_ids) == 1 and len(line_ids) == 1:
        return [(doc_ids[0], line_ids[0])]
    candidates = sorted((_distance(docs[i], register[j]), i, j) for i in doc_ids for j in line_ids)
    pairs: list[tuple[int, int]] = []
    used_docs: set[int] = set()
    used_lines: set[int] = set()
    for _, i, j in candidates:
        if i not in used_docs and j not in used_lines:
            pairs.append((i, j))
            used_docs.add(i)
            used_lines.add(j)
    return pairs


def _match(docs: list[_ImsDoc], register: list[RegisterEntry], line_groups: dict[Key, list[int]]) -> dict[int, int]:
    """IMS document index -> register line index, for every pair found."""
    matched: dict[int, int] = {}
    for key, doc_ids in _group(doc.key for doc in docs).items():
        line_ids = line_groups.get(key)
        if line_ids:
            matched.update(_pair_closest(doc_ids, line_ids, docs, register))
    # A register line without a date has no financial year: offer it to any year's leftovers.
    undated = {key[:3]: ids for key, ids in line_groups.items() if key[3] is None}
    if undated:
        leftovers: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for position, doc in enumerate(docs):
            if position not in matched and doc.key[:3] in undated:
                leftovers[doc.key[:3]].append(position)
        # Dated lines are only ever paired within their own key, so every undated line is still free.
        for short_key, doc_ids in leftovers.items():
            matched.update(_pair_closest(doc_ids, undated[short_key], docs, register))
    return matched


# --- what the user reads ----------------------------------------------------------------------


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def _compare(doc: _ImsDoc, line: RegisterEntry, tolerance: Decimal) -> tuple[str, str, str]:
    """Result line (``RECON_RESULTS``), match result text and suggested label for a paired IMS record
    and register line."""
    differences = [
        f"{label} differs: {indian_money(ims)} in IMS, {indian_money(books)} in books"
        for (label, _), ims, books in zip(HEADS, doc.amounts, _booked_amounts(line), strict=True)
        if abs(ims - books) > tolerance
    ]
    days = None if line.date is None else abs((doc.date - line.date).days)
    date_note = f"date differs by {_plural(days, 'day')}" if days else ""
    rows = _rows_note(line)
    if differences:
        return AMOUNTS_DIFFER, "; ".join([*differences, date_note] if date_note else differences) + rows, PENDING
    if date_note:
        return DATE_DIFFERS, f"Matched by number; {date_note}{rows}", ACCEPT
    if line.date is None:
        return MATCHED, f"Matched by number; the register has no date{rows}", ACCEPT
    return MATCHED, f"Matched{rows}", ACCEPT


def _rows_note(line: RegisterEntry) -> str:
    """" (3 register rows: 12, 13, 14)" for a document booked over several rows; "" for one row."""
    if len(line.merged_rows) < 2:
        return ""
    return f" ({len(line.merged_rows)} register rows: {', '.join(str(row) for row in line.merged_rows)})"


def _duplicate_text(rows: list[int]) -> str:
    if len(rows) == 1:
        return f"Duplicate: the register row {rows[0]} is already matched to another IMS record"
    shown = ", ".join(str(row) for row in rows)
    return f"Duplicate: the register rows {shown} are already matched to other IMS records"


# --- the whole run ----------------------------------------------------------------------------


def reconcile(
    state: BookState,
    register: list[RegisterEntry],
    *,
    tolerance: Decimal = DEFAULT_TOLERANCE,
    apply: bool = False,
    unread: Iterable[RegisterProblem] = (),
) -> ReconcileOutcome:
    """Compare every IMS record with the purchase register and suggest an action.

    Register rows of one document (an invoice over several tax rates) are summed first
    (``register_groups``). Sets ``match_result`` and ``suggested_action`` on every entry and
    replaces ``state.not_in_ims`` with the register documents no IMS record matched. With ``apply``, the
    suggestion also becomes the status where the user has not changed the downloaded one.

    Args:
        state: the workbook's contents.
        register: the purchase register's lines.
        tolerance: the largest difference per amount head still counted as equal (inclusive).
        apply: copy suggestions into the Status column where the status is untouched.
        unread: register cells that could not be read; an IMS record of a document on such a row
            is not matched and gets no suggestion (the register has it, but its amounts are unknown).

    Returns:
        Counts and tax per reconciliation result, for the Home sheet and the console.
    """
    if tolerance < 0:
        raise ValueError(f"the tolerance cannot be negative ({tolerance})")
    rows_read = len(register)
    unread_documents = {(p.supplier_gstin.strip().upper(), p.number.strip().upper()) for p in unread}
    register = group_register(register)
    entries = state.all_entries()
    docs = [_ims_doc(entry) for entry in entries]
    line_groups = _group(_register_key(line) for line in register)
    matched = _match(docs, register, line_groups)

    outcome = ReconcileOutcome(ims_records=len(docs), register_entries=len(register),
                               register_rows=rows_read if rows_read != len(register) else None)
    for position, doc in enumerate(docs):
        books_tax: Decimal | None
        if position in matched:
            paired = register[matched[position]]
            bucket, result, suggestion = _compare(doc, paired, tolerance)
            books_tax = paired.tax
        elif _document_of(doc.entry) in unread_documents:
            bucket, result, suggestion, books_tax = NOT_IN_REGISTER, UNREAD_REGISTER_ROW_TEXT, "", None
        else:
            (bucket, result), suggestion = _unmatched_result(doc, register, line_groups), PENDING
            books_tax = Decimal("0.00") if bucket == NOT_IN_REGISTER else None  # a duplicate: booked once, elsewhere
        if suggestion == PENDING and doc.entry.record.model.pending_blocked:
            result, suggestion = result + PENDING_BLOCKED_NOTE, ""
            outcome.pending_not_allowed += 1
        doc.entry.match_result, doc.entry.suggested_action = result, suggestion
        doc.entry.match_status, doc.entry.books_tax = bucket, books_tax
        outcome.add(bucket, doc.tax)

    state.not_in_ims = _not_in_ims_rows(register, line_groups, set(matched.values()))
    for row in state.not_in_ims:
        outcome.add(NOT_IN_IMS, row["iamt"] + row["camt"] + row["samt"] + row["cess"])
    if apply:
        outcome.applied = sum(_apply_suggestion(entry) for entry in entries)
    return outcome


UNREAD_REGISTER_ROW_TEXT = ("The register's row for this document could not be read (see Not in IMS): no "
                            "suggestion; fix the register and reconcile again")


def _document_of(entry: Entry) -> tuple[str, str]:
    return entry.record.model.stin.upper(), entry.record.number.upper()


def _unmatched_result(doc: _ImsDoc, register: list[RegisterEntry],
                      line_groups: dict[Key, list[int]]) -> tuple[str, str]:
    """"Not in purchase register", or a duplicate when the register has the document, already used
    (counted with the differences: the books do not show this record on its own)."""
    same_document = line_groups.get(doc.key, []) + line_groups.get((*doc.key[:3], None), [])
    if not same_document:
        return NOT_IN_REGISTER, NOT_IN_REGISTER_TEXT
    return AMOUNTS_DIFFER, _duplicate_text(sorted(register[j].source_row for j in same_document))


def _not_in_ims_rows(
    register: list[RegisterEntry], line_groups: dict[Key, list[int]], used: set[int]
) -> list[dict[str, Any]]:
    """Rows of ``layout.NOT_IN_IMS_TABLE`` for the register lines no IMS record matched."""
    follow_up: dict[int, tuple[str, str]] = {}
    for ids in line_groups.values():
        # The register's own copy of the document: the matched line, else the first one.
        kept = next((j for j in ids if j in used), ids[0])
        for j in ids:
            if j not in used:
                follow_up[j] = ((FOLLOW_UP_SUPPLIER + _rows_note(register[j]), MISSING_FROM_IMS) if j == kept
                                else (f"Duplicate of register row {register[kept].source_row}", DUPLICATE_IN_REGISTER))
    return [_not_in_ims_row(register[j], *follow_up[j]) for j in sorted(follow_up)]


def _not_in_ims_row(line: RegisterEntry, follow_up: str, row_kind: str) -> dict[str, Any]:
    return {
        "stin": line.supplier_gstin, "number": line.number, "date": line.date, "document_type": line.document_type,
        "txval": line.taxable, "iamt": line.igst, "camt": line.cgst, "samt": line.sgst, "cess": line.cess,
        "register_row": line.source_row, "follow_up": follow_up, "row_kind": row_kind,
    }


def _apply_suggestion(entry: Entry) -> bool:
    """Set the status to the suggestion unless the user chose one. True when the status changed."""
    if not entry.suggested_action:
        return False
    try:
        current = parse_action(entry.status)
    except ValueError:
        return False  # text we cannot read is still the user's: leave it for validation to report
    if current != entry.record.model.action:
        return False  # the user changed the downloaded status: never override a choice
    if current not in ("N", "P"):
        return False  # an Accept or Reject already on the portal was someone's decision too
    if _CODE_OF_LABEL[entry.suggested_action] == current:
        return False
    entry.status = entry.suggested_action
    return True


NOT_READ_MARK = "Not read: "  # how a register problem's Follow-up starts (its Kind of Row: NOT_READ_FROM_REGISTER)


def register_problem_rows(problems: Iterable[RegisterProblem]) -> list[dict[str, Any]]:
    """Rows of ``layout.NOT_IN_IMS_TABLE`` for register rows that could not be read: what is
    readable of the row, its number, and what to fix. They follow the documents not in IMS."""
    return [{
        "stin": problem.supplier_gstin or None, "number": problem.number or None, "date": None,
        "document_type": None, "txval": None, "iamt": None, "camt": None, "samt": None, "cess": None,
        "register_row": problem.row,
        "follow_up": f"{NOT_READ_MARK}{problem.line()}; fix the register and reconcile again",
        "row_kind": NOT_READ_FROM_REGISTER,
    } for problem in problems]


def problems_summary(problems: list[RegisterProblem]) -> str:
    """The sentence added to the reconciliation's: how many register rows were left out."""
    rows = len({(problem.where, problem.row) for problem in problems})
    return (f"; {_plural(rows, 'register row')} not read ({_plural(len(problems), 'problem')}, listed on the "
            "Not in IMS sheet)")
