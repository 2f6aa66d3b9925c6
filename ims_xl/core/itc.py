"""ITC after your actions: what the chosen statuses do to the client's input tax credit.

Indicative, as draft GSTR-2B would treat the records (issue 16); by tax head, in exact Decimals.

- Invoices, debit notes and ECO documents, and their amendments (with the amended values, i.e.
  the record's own): Accept counts as accepted, No Action as deemed accepted; both are available
  ITC. Reject counts as rejected, Pending as pending (deferred, not available this period). An
  ITC-reduction declaration on such an amendment changes nothing here: the amended values are
  already the reduced ones.
- Credit notes and their amendments: Accept or No Action reduce ITC. With "ITC to be reduced" =
  Yes and declared amounts, by the declared amounts (a head left blank reduces by 0, as the
  upload sends it); with Yes and no amounts, with no answer, or with No Action, by the note's
  full tax; with No, by nothing (ITC never availed or already reversed). Reject reduces nothing;
  Pending defers the reduction.
- In the Rejected and Pending rows a credit note counts with a minus sign (its full tax): the
  rows say what those records would have done to the ITC had they been accepted, so a rejected
  credit note offsets a rejected invoice.
- Available after actions = accepted + deemed accepted - credit-note reduction. As downloaded =
  the same with the statuses and ITC inputs of the download. Change = after - as downloaded.

"After actions" reads what the row says now. A blank or unreadable Status counts as the
downloaded one (``summary.current_action``); unreadable ITC inputs ("ITC to be reduced" or a
declared amount that is not Yes/No or a number) count as the downloaded inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from .book import Entry, awaiting_decision, parse_amount, parse_itc
from .layout import ITC_ROWS, ITC_TABLE
from .records import PortalRecord
from .sections import DECLARED_FIELDS, TAX_FIELDS
from .summary import current_action

_ZERO = Decimal(0)
_CENT = Decimal("0.01")
HEADS = ("igst", "cgst", "sgst", "cess")

# The table as Home shows it comes from its description (``layout.ITC_TABLE``): header, then one
# row per ItcImpact field, in that order.
ITC_TABLE_TITLE = "ITC after your actions"
ITC_HEADERS = ITC_TABLE.headers
ITC_LABELS: dict[str, str] = dict(ITC_ROWS)


@dataclass(frozen=True, slots=True)
class Heads:
    """An amount per tax head."""

    igst: Decimal = _ZERO
    cgst: Decimal = _ZERO
    sgst: Decimal = _ZERO
    cess: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        return self.igst + self.cgst + self.sgst + self.cess

    def __add__(self, other: Heads) -> Heads:
        return Heads(self.igst + other.igst, self.cgst + other.cgst, self.sgst + other.sgst, self.cess + other.cess)

    def __sub__(self, other: Heads) -> Heads:
        return Heads(self.igst - other.igst, self.cgst - other.cgst, self.sgst - other.sgst, self.cess - other.cess)

    def __neg__(self) -> Heads:
        return Heads(-self.igst, -self.cgst, -self.sgst, -self.cess)

    def values(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        return self.igst, self.cgst, self.sgst, self.cess

    def as_strings(self) -> dict[str, str]:
        """{"igst": "1234.50", ...}: exact decimals with 2 places, for JSON."""
        return {head: _two_places(amount) for head, amount in zip(HEADS, self.values(), strict=True)}


ZERO = Heads()


@dataclass(frozen=True, slots=True)
class ItcImpact:
    """The rows of the ITC table (see the module docstring for what each holds)."""

    accepted: Heads = ZERO
    deemed: Heads = ZERO
    credit_note_reduction: Heads = ZERO
    after_actions: Heads = ZERO
    as_downloaded: Heads = ZERO
    change: Heads = ZERO
    rejected: Heads = ZERO
    pending: Heads = ZERO

    def rows(self) -> Iterator[tuple[str, Heads]]:
        """(key, amounts) in the table's order."""
        for item in fields(self):
            yield item.name, getattr(self, item.name)


def record_tax(record: PortalRecord) -> Heads:
    """The record's own tax by head: an amendment's amended values."""
    return Heads(*(getattr(record, name) for name in TAX_FIELDS))


def _declared(values: dict[str, Decimal | None]) -> Heads:
    return Heads(*(values.get(name) or _ZERO for name in DECLARED_FIELDS))


def credit_note_reduction(tax: Heads, action: str, itc: str | None, declared: dict[str, Decimal | None]) -> Heads:
    """How much a credit note in this status, with these ITC inputs, reduces ITC.

    ``itc``: "Y", "N" or None (no answer); ``declared``: decl_igst... -> amount or None.
    """
    if action == "N":
        return tax
    if action != "A":
        return ZERO
    if itc == "N":
        return ZERO
    if itc == "Y" and any(amount is not None for amount in declared.values()):
        return _declared(declared)
    return tax  # Yes without amounts, or no answer: the portal reads that as the full tax


def _downloaded_inputs(record: PortalRecord) -> tuple[str | None, dict[str, Decimal | None]]:
    itc = None if record.itc_reduce is None else ("Y" if record.itc_reduce else "N")
    return itc, {name: getattr(record, name) for name in DECLARED_FIELDS}


def _current_inputs(entry: Entry) -> tuple[str | None, dict[str, Decimal | None]]:
    """The row's ITC inputs as typed; the downloaded ones when any of them cannot be read."""
    try:
        itc = parse_itc(entry.itc)
        declared = {name: parse_amount(entry.declared.get(name)) for name in DECLARED_FIELDS}
    except ValueError:
        return _downloaded_inputs(entry.record.model)
    return itc, declared


class _Tally:
    """Running sums by head (plain lists of Decimals: 100,000 rows add up without new objects)."""

    def __init__(self) -> None:
        self.sums = {name: [_ZERO, _ZERO, _ZERO, _ZERO] for name in ("accepted", "deemed", "reduction",
                                                                     "rejected", "pending")}

    def heads(self, name: str) -> Heads:
        return Heads(*self.sums[name])

    @property
    def available(self) -> Heads:
        return self.heads("accepted") + self.heads("deemed") - self.heads("reduction")

    def _add(self, name: str, amounts: Iterable[Decimal], sign: int = 1) -> None:
        total = self.sums[name]
        for head, amount in enumerate(amounts):
            total[head] += amount if sign > 0 else -amount

    def add(self, entry: Entry, action: str, itc: str | None, declared: dict[str, Decimal | None]) -> None:
        model = entry.record.model
        if entry.section.document_type != "Credit Note":
            total = self.sums[_BUCKETS[action]]  # the four adds written out: 100,000 rows, every save
            total[0] += model.iamt
            total[1] += model.camt
            total[2] += model.samt
            total[3] += model.cess
            return
        tax = (model.iamt, model.camt, model.samt, model.cess)
        self._add("reduction", credit_note_reduction(Heads(*tax), action, itc, declared).values())
        if action == "R":
            self._add("rejected", tax, -1)
        elif action == "P":
            self._add("pending", tax, -1)


_BUCKETS = {"A": "accepted", "N": "deemed", "R": "rejected", "P": "pending"}


_NO_INPUTS: tuple[str | None, dict[str, Decimal | None]] = (None, {})


def itc_impact(entries: Iterable[Entry]) -> ItcImpact:
    """The ITC table for the rows of a book."""
    now, downloaded = _Tally(), _Tally()
    for entry in entries:
        if awaiting_decision(entry):
            continue  # added from an error file: not this client's ITC until decided
        model = entry.record.model
        credit_note = entry.section.document_type == "Credit Note"  # only they read the ITC inputs
        now.add(entry, current_action(entry), *(_current_inputs(entry) if credit_note else _NO_INPUTS))
        downloaded.add(entry, model.action, *(_downloaded_inputs(model) if credit_note else _NO_INPUTS))
    return ItcImpact(
        accepted=now.heads("accepted"),
        deemed=now.heads("deemed"),
        credit_note_reduction=now.heads("reduction"),
        after_actions=now.available,
        as_downloaded=downloaded.available,
        change=now.available - downloaded.available,
        rejected=now.heads("rejected"),
        pending=now.heads("pending"),
    )


def itc_rows(impact: ItcImpact) -> list[list[Any]]:
    """Rows under ITC_HEADERS: [label, igst, cgst, sgst, cess, total] in the issue's order."""
    return [[ITC_LABELS[key], *amounts.values(), amounts.total] for key, amounts in impact.rows()]


def itc_json(impact: ItcImpact) -> dict[str, dict[str, str]]:
    """{"accepted": {"igst": "0.00", ...}, ...}: the ``itc`` object of ``ims-xl summary --json``."""
    return {key: amounts.as_strings() for key, amounts in impact.rows()}


def _two_places(amount: Decimal) -> str:
    # Amounts carry at most 2 places (D4); quantize only pads, so the value stays exact.
    exact = amount.quantize(_CENT) if amount == amount.quantize(_CENT) else amount
    return str(abs(exact) if exact.is_zero() else exact)  # never "-0.00"
