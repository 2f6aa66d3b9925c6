"""The portal's business rules for a recipient's actions (domain doc §9), as typed problems.

Rules about a decision (Pending allowed? remarks allowed? ITC declaration due?) apply to rows the
user changed since the download: an untouched row is the portal's own state and is not sent.
The supplier's data as the portal sent it (GSTIN check character, document number format) gets no
finding (decision D9: the user cannot change it); ``portal_oddities`` counts it for one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from .amounts import indian_money
from .book import Entry, Home, is_blank, parse_action, parse_amount, parse_itc, remarks_text
from .catalogue import problem
from .gstin import gstin_problem
from .problems import Problem, Report
from .sections import ACTION_LABELS, DECLARED_FIELDS, DECLARED_TAX_HEAD, Section

REMARKS_MAX = 250  # itc-guard, recovered from the official tool's VBA (domain doc §9.5)
_DOCUMENT_NUMBER = re.compile(r"[A-Za-z0-9/\-]{1,16}")  # CGST Rule 46(b)
_CENT = Decimal("0.01")
_HEAD_NAMES = {"iamt": "IGST", "camt": "CGST", "samt": "SGST", "cess": "Cess"}


@dataclass
class Decision:
    """What a row's inputs mean once read, and whether they differ from the download."""

    action: str | None = None
    remarks: str | None = None
    itc: str | None = None  # "Y" / "N" / None
    declared: dict[str, Decimal] = field(default_factory=dict)
    readable: bool = True  # False when an input could not be read (a problem says which)

    def itc_inputs_given(self) -> bool:
        return self.itc is not None or bool(self.declared)


def decide(entry: Entry, problems: list[Problem] | None = None) -> Decision:
    """Read an entry's inputs; unreadable ones add a problem to ``problems``."""
    found = problems if problems is not None else []
    section = entry.section
    decision = Decision()
    try:
        decision.action = parse_action(entry.status)
    except ValueError as error:
        found.append(_problem(entry, "unknown-status", "status", reason=error))
        decision.readable = False
    if decision.readable and decision.action is None:
        found.append(_problem(entry, "missing-status", "status"))
        decision.readable = False
    decision.remarks = remarks_text(entry.remarks)
    if section.takes_itc_declaration:
        try:
            decision.itc = parse_itc(entry.itc)
        except ValueError as error:
            found.append(_problem(entry, "unknown-itc", "itc", reason=error))
            decision.readable = False
        for name in DECLARED_FIELDS:
            try:
                amount = parse_amount(entry.declared.get(name))
            except ValueError as error:
                found.append(_problem(entry, "amount-not-a-number", name, reason=error))
                decision.readable = False
                continue
            if amount is not None:
                decision.declared[name] = amount
    return decision


def is_changed(entry: Entry, decision: Decision) -> bool:
    """Does the row differ from the download in action, remarks or ITC-reduction inputs?"""
    model = entry.record.model
    if decision.action != model.action:
        return True
    if decision.remarks != remarks_text(model.remarks):
        return True
    if entry.section.takes_itc_declaration:
        downloaded_itc = None if model.itc_reduce is None else ("Y" if model.itc_reduce else "N")
        if decision.itc != downloaded_itc:
            return True
        for name in DECLARED_FIELDS:
            typed, downloaded = decision.declared.get(name), getattr(model, name)
            if (typed is None) != (downloaded is None) or (typed is not None and typed != downloaded):
                return True
    return False


def check_entry(entry: Entry) -> list[Problem]:
    problems: list[Problem] = []
    decision = decide(entry, problems)
    if not decision.readable or not is_changed(entry, decision):
        return problems
    problems += _action_rules(entry, decision)
    problems += _remarks_rules(entry, decision)
    problems += _itc_rules(entry, decision)
    problems += _remarks_advice(entry, decision)
    return problems


def check_home(home: Home) -> list[Problem]:
    why = gstin_problem(home.gstin)
    if why is None:
        if home.download_gstin and home.gstin != home.download_gstin:
            return [problem("recipient-gstin-not-the-downloads", sheet="Home", column="Recipient GSTIN",
                            field="gstin", typed=home.gstin, download=home.download_gstin)]
        return []
    if is_blank(home.gstin):
        return [problem("recipient-gstin-missing", sheet="Home", column="Recipient GSTIN", field="gstin")]
    return [problem("recipient-gstin-invalid", sheet="Home", column="Recipient GSTIN", field="gstin", reason=why)]


def validate(entries: Iterable[Entry], home: Home) -> tuple[Report, dict[int, list[Problem]]]:
    """Check every row and the Home inputs.

    Returns the report and, keyed by ``id(entry)``, each row's problems for its error cell.
    """
    report = Report(problems=check_home(home))
    per_entry: dict[int, list[Problem]] = {}
    first_row_of: dict[tuple[str, ...], Entry] = {}
    count = 0

    def add(entry: Entry, problems: list[Problem]) -> None:
        if problems:
            per_entry.setdefault(id(entry), []).extend(problems)
            report.problems.extend(problems)

    for entry in entries:
        count += 1
        problems = check_entry(entry) + _overwritten_values(entry)
        report.portal_oddities.update(portal_oddities(entry))
        first = first_row_of.setdefault(entry.record.identity, entry)
        if first is not entry:
            retyped = [row for row in (first, entry) if _keys_typed_over(row)]
            if retyped:  # a copy whose keys were typed over: its hidden record is the other row's document
                if first in retyped:
                    add(first, [_problem(first, "copied-row-retyped", "number", other=entry.row,
                                         number=first.record.number)])
                if entry in retyped:
                    problems.append(_problem(entry, "copied-row-retyped", "number", other=first.row,
                                             number=entry.record.number))
            elif _decision_of(first) == _decision_of(entry):
                problems.append(_problem(entry, "duplicate-record", "number", other=first.row))
            else:  # two decisions for one document: neither may go out
                problems.append(_problem(entry, "duplicate-decisions", "number", other=first.row))
                add(first, [_problem(first, "duplicate-decisions", "number", other=entry.row)])
        add(entry, problems)
    report.records = count
    return report, per_entry


_KEY_FIELDS = frozenset({"stin", "number", "date", "original_number"})


def _keys_typed_over(entry: Entry) -> bool:
    return any(field_name in _KEY_FIELDS for field_name, _ in entry.edited)


def _decision_of(entry: Entry) -> tuple[object, ...]:
    decision = decide(entry)
    return decision.action, decision.remarks, decision.itc, tuple(sorted(decision.declared.items()))


def _overwritten_values(entry: Entry) -> list[Problem]:
    """Downloaded values the user typed over (the codec noticed them): the upload keeps the portal's."""
    record = entry.record
    keys = {"stin": record.model.stin, "number": record.number, "date": record.date,
            "original_number": record.original_number}
    problems = []
    for field_name, shown in entry.edited:
        portal = keys[field_name] if field_name in keys else getattr(record.model, field_name, None)
        problems.append(_problem(entry, "portal-value-overwritten", field_name,
                                 header=entry.section.column(field_name).header, shown=_shown(shown),
                                 portal=_shown(portal)))
    return problems


def _shown(value: object) -> str:
    if isinstance(value, Decimal | float):
        return indian_money(value)
    return f"'{value}'"


# --- the rules -------------------------------------------------------------------------------


def _action_rules(entry: Entry, decision: Decision) -> list[Problem]:
    model = entry.record.model
    if decision.action == "N" and model.action != "N":
        return [_problem(entry, "reset-needs-portal", "status", was=ACTION_LABELS[model.action])]
    if decision.action == "P" and model.pending_blocked:
        return [_problem(entry, "pending-blocked", "status")]
    return []


def _remarks_rules(entry: Entry, decision: Decision) -> list[Problem]:
    if decision.remarks is None:
        return []
    problems = []
    if entry.record.model.remarks_blocked:
        problems.append(_problem(entry, "remarks-blocked", "remarks"))
    elif decision.action not in ("A", "R", "P"):  # D7: Accept may carry remarks too
        problems.append(_problem(entry, "remarks-need-an-action", "remarks"))
    if len(decision.remarks) > REMARKS_MAX:
        problems.append(_problem(entry, "remarks-too-long", "remarks", length=len(decision.remarks),
                                 limit=REMARKS_MAX))
    return problems


def _remarks_advice(entry: Entry, decision: Decision) -> list[Problem]:
    """D7: accepting a specified record with a partial or nil ITC reduction and no remarks."""
    model = entry.record.model
    if (decision.remarks is not None or decision.action != "A" or not entry.section.takes_itc_declaration
            or model.itc_blocked or model.remarks_blocked):
        return []
    tax = model.iamt + model.camt + model.samt + model.cess
    declared = sum(decision.declared.values(), Decimal(0))
    if decision.itc == "N":
        why = "'ITC to be reduced' is No"
    elif decision.itc == "Y" and decision.declared and declared < tax:
        why = f"the declared reduction ({indian_money(declared)}) is below the document's tax ({indian_money(tax)})"
    else:
        return []
    return [_problem(entry, "remarks-advised-partial-reduction", "remarks", why=why)]


def _itc_rules(entry: Entry, decision: Decision) -> list[Problem]:
    section, model = entry.section, entry.record.model
    if not section.takes_itc_declaration:
        if decision.itc_inputs_given():
            return [_problem(entry, "itc-not-allowed-here", "status", title=section.title)]
        return []
    if decision.itc_inputs_given():
        if model.itc_blocked:
            return [_problem(entry, "itc-blocked", _first_itc_field(decision))]
        if decision.action != "A":
            return [_problem(entry, "itc-only-on-accept", _first_itc_field(decision))]
    elif decision.action == "A" and not model.itc_blocked:
        return [_itc_answer_missing(entry, section, model.itc_blocked)]
    if decision.action != "A" or model.itc_blocked:
        return []
    problems: list[Problem] = []
    if decision.itc is None:
        problems.append(_itc_answer_missing(entry, section, model.itc_blocked))
    problems += _declared_amount_rules(entry, decision)
    return problems


def _itc_answer_missing(entry: Entry, section: Section, blocked: bool | None) -> Problem:
    due = itc_answer_due(section, blocked)
    return _problem(entry, "itc-answer-defaulted" if due else "itc-answer-advised", "itc")


def itc_answer_due(section: Section, blocked: bool | None) -> bool:
    """Does the portal refuse an Accept of this record without 'ITC to be reduced' (IMSSAV0054)?
    Credit notes always; amendments only when downward, which the download signals by saying the
    declaration is not blocked. A blank answer is then sent as Yes, the portal's default (D8)."""
    return section.itc_declaration_always_due or blocked is False


def _declared_amount_rules(entry: Entry, decision: Decision) -> list[Problem]:
    model = entry.record.model
    problems: list[Problem] = []
    if decision.itc == "N" and any(amount != 0 for amount in decision.declared.values()):
        problems.append(_problem(entry, "amounts-with-itc-no",
                                 next(name for name, amount in decision.declared.items() if amount != 0)))
        return problems
    for name, amount in decision.declared.items():
        supplier_tax = getattr(model, DECLARED_TAX_HEAD[name])
        if amount < 0:
            problems.append(_problem(entry, "amount-negative", name))
        elif amount != amount.quantize(_CENT):
            problems.append(_problem(entry, "amount-too-precise", name, amount=amount))
        elif amount > supplier_tax:
            problems.append(_problem(entry, "amount-above-tax", name, amount=indian_money(amount),
                                     head=_HEAD_NAMES[DECLARED_TAX_HEAD[name]], tax=indian_money(supplier_tax)))
    cgst, sgst = decision.declared.get("decl_cgst"), decision.declared.get("decl_sgst")
    if (cgst is not None or sgst is not None) and (cgst or Decimal(0)) != (sgst or Decimal(0)):
        problems.append(_problem(entry, "cgst-sgst-differ", "decl_sgst", cgst=indian_money(cgst or 0),
                                 sgst=indian_money(sgst or 0)))
    return problems


def portal_oddities(entry: Entry) -> list[str]:
    """Kinds of ``catalogue.PORTAL_ODDITIES`` in the record as downloaded (none is the user's doing)."""
    record = entry.record
    kinds = []
    if _cached_gstin_problem(record.model.stin):
        kinds.append("supplier-gstin-check")
    for number in (record.number, record.original_number):
        if number is not None and not _DOCUMENT_NUMBER.fullmatch(number):
            kinds.append("document-number-format")
    return kinds


@lru_cache(maxsize=65536)
def _cached_gstin_problem(gstin: str) -> str | None:
    return gstin_problem(gstin)


def _first_itc_field(decision: Decision) -> str:
    return "itc" if decision.itc is not None else next(iter(decision.declared))


def _problem(entry: Entry, code: str, field_name: str, **values: object) -> Problem:
    """A finding on a row: severity and message from the catalogue, placed on ``field_name``'s cell."""
    section = entry.section
    try:
        header: str | None = section.column(field_name).header
    except KeyError:
        header = None
    return problem(code, sheet=section.sheet, row=entry.row, column=header, field=field_name, **values)
