"""Refresh a workbook from a newer portal download without losing what the user decided.

Suppliers keep uploading and editing invoices while staff work through a month's workbook, so a
newer download is merged into the book rather than replacing it:

- a record whose values are unchanged keeps the user's inputs and takes the new portal record
  (hash, flags, action), so the next upload compares against the portal's current state;
- a record the supplier edited starts again from the portal's state, and its "Refresh Notes" cell
  says what changed and what the user had typed;
- new records are appended to their sheet; records gone from the download move to "Removed from
  Portal" with the user's inputs, and come back from there if they reappear.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .amounts import indian_money
from .book import (
    BookState,
    Entry,
    LogEntry,
    RemovedEntry,
    entry_from_record,
    is_blank,
    parse_action,
    parse_amount,
    parse_itc,
)
from .layout import CONFIRMED_MARK, REMOVED, RESET_MARK, UNCONFIRMED_MARK
from .problems import InputError
from .records import PortalFile, PortalRecord, Record
from .rules import decide, is_changed
from .sections import ACTION_LABELS, DECLARED_FIELDS, SECTIONS, Section

Identity = tuple[str, ...]

_WHERE = "Refresh from Newer Download"
# The supplier's values that make a record "edited", in the order the sheet shows them.
_SUPPLIER_FIELDS = ("inv_typ", "val", "pos", "txval", "iamt", "camt", "samt", "cess")
_MONEY_FIELDS = frozenset({"val", "txval", "iamt", "camt", "samt", "cess"})
# ECO sheets have no Supply Type column, but their records may still carry inv_typ.
_FALLBACK_HEADERS = {"inv_typ": "Supply Type"}


@dataclass
class RefreshOutcome:
    """How many rows each kind of change touched."""

    unchanged: int = 0
    edited: int = 0
    added: int = 0
    removed: int = 0
    restored: int = 0
    reset: list[Entry] = field(default_factory=list)  # rows whose decision the supplier's edit reset
    confirmed: list[Entry] = field(default_factory=list)  # uploaded decisions the download shows
    unconfirmed: list[Entry] = field(default_factory=list)  # uploaded decisions it does not (yet)

    def summary(self) -> str:
        """One sentence for a message box, the console and the Change Log."""
        parts = [f"{self.unchanged:,} unchanged"]
        if self.edited:
            parts.append(f"{self.edited:,} changed by {'a supplier' if self.edited == 1 else 'suppliers'}")
        if self.added:
            parts.append(f"{self.added:,} new")
        if self.restored:
            parts.append(f"{self.restored:,} back from '{REMOVED}'")
        if self.removed:
            parts.append(f"{self.removed:,} removed from the portal (kept on '{REMOVED}')")
        if len(parts) == 1:
            parts.append("nothing new, changed or removed")
        return "Refreshed: " + ", ".join(parts)

    def follow_up(self) -> str:
        """What the user must look at, with the rows (once the rows are on the sheets): the uploaded
        decisions the portal shows or not, then the decisions reset, which end the message."""
        sentences = []
        if self.confirmed or self.unconfirmed:
            line = (f"Of the decisions uploaded, {len(self.confirmed):,} "
                    f"{'is' if len(self.confirmed) == 1 else 'are'} {CONFIRMED_MARK}")
            if self.unconfirmed:
                line += f", {len(self.unconfirmed):,} {UNCONFIRMED_MARK}: {rows_by_sheet(self.unconfirmed)}"
            sentences.append(line + ".")
        if self.reset:
            count = len(self.reset)
            sentences.append(f"{count:,} of your decisions {'was' if count == 1 else 'were'} reset "
                             f"because the supplier changed the document: {rows_by_sheet(self.reset)} — "
                             f"{RESET_MARK}.")
        return " ".join(sentences)


def rows_by_sheet(entries: Iterable[Entry]) -> str:
    """"B2B rows 5, 110; B2B-CN row 6": where the rows are, sheet by sheet, in the sheets' order."""
    rows: dict[str, list[int]] = {}
    for entry in entries:
        if entry.row is not None:
            rows.setdefault(entry.section.sheet, []).append(entry.row)
    order = [section.sheet for section in SECTIONS]
    parts = []
    for sheet in sorted(rows, key=order.index):
        numbers = sorted(rows[sheet])
        parts.append(f"{sheet} {'row' if len(numbers) == 1 else 'rows'} {', '.join(str(n) for n in numbers)}")
    return "; ".join(parts)


def marked(entries: Iterable[Entry], mark: str) -> list[Entry]:
    """Rows whose Refresh Notes carry ``mark`` (RESET_MARK, CONFIRMED_MARK, UNCONFIRMED_MARK)."""
    return [entry for entry in entries if mark in entry.refresh_note]


def note_counts(state: BookState) -> None:
    """Home's counts of what the last refresh found, from the rows' notes."""
    entries = state.all_entries()
    state.home.reset = len(marked(entries, RESET_MARK))
    state.home.confirmed = len(marked(entries, CONFIRMED_MARK))
    state.home.unconfirmed = len(marked(entries, UNCONFIRMED_MARK))
    home = state.home
    parts = []
    if home.reset:
        parts.append(f"{home.reset:,} {'decision' if home.reset == 1 else 'decisions'} reset ({RESET_MARK})")
    if home.confirmed or home.unconfirmed:
        parts.append(f"of the decisions uploaded, {home.confirmed:,} {CONFIRMED_MARK}, "
                     f"{home.unconfirmed:,} {UNCONFIRMED_MARK}")
    home.last_refresh = "; ".join(parts) or None


def refresh(state: BookState, download: PortalFile, *, today: str, uploaded: bool = False) -> RefreshOutcome:
    """Merge a newer portal download into ``state`` in place; ``today`` dates the notes.

    ``uploaded``: the book generated an upload since it last took a download in, so each decision
    that upload held is compared with the portal's action in this download.

    Raises InputError, before changing anything, when the download cannot be a newer download
    of this workbook's GSTIN.
    """
    _check_download(state, download)
    unclaimed = _Unclaimed(download.records)
    outcome = RefreshOutcome()

    # The checks above are the only ones that raise. Rows are sorted into new lists, which
    # replace the sections and the removed list at the end.
    sections: dict[str, list[Entry]] = {}
    gone: list[Entry] = []
    for key, entries in state.entries.items():
        sections[key] = []
        for entry in entries:
            record = unclaimed.claim(entry.record.identity)
            if record is None:
                gone.append(entry)
            else:
                sections[key].append(_carry_over(entry, record, outcome, uploaded))

    still_removed: list[RemovedEntry] = []
    for removed in state.removed:
        record = unclaimed.claim(removed.entry.record.identity)
        if record is None:
            still_removed.append(removed)
        else:
            sections.setdefault(record.section.key, []).append(_bring_back(removed.entry, record, today, outcome))
            outcome.restored += 1

    for record in unclaimed.rest():
        entry = entry_from_record(record)
        entry.refresh_note = f"New in the download of {today}"
        sections.setdefault(record.section.key, []).append(entry)
        outcome.added += 1

    for entry in gone:
        entry.row = None  # no longer on a section sheet
        still_removed.append(RemovedEntry(entry, removed_on=today))
    outcome.removed = len(gone)

    state.entries.update(sections)
    state.removed = still_removed
    return outcome


# --- is this the next download? -----------------------------------------------------------------

TAKE_IN_ACTIONS = ("Open", "Refresh")
FORCE_HINT = "nothing was changed; if it is the right file, use --force to take it anyway"


def refresh_doubts(state: BookState, download: PortalFile, sha256: str = "") -> str | None:
    """Why ``download`` looks like the wrong one to refresh this book from, in one line; None if
    nothing does: a download the book took before a later one (older), another return period
    (where the file says one), or one holding fewer than half of the book's records (none
    included: another client's, or a partial file)."""
    found: list[str] = []
    earlier = _earlier_take(state.log, sha256)
    if earlier is not None:
        found.append(f"this download was taken in on {earlier[0].when}, before the one taken in on "
                     f"{earlier[1].when}: it is older")
    book_records = state.all_entries()
    identities = {record.identity for record in download.records}
    matched = sum(1 for entry in book_records if entry.record.identity in identities)
    few = bool(book_records) and matched * 2 < len(book_records)
    theirs, ours = download.period, (str(state.home.period).strip() if state.home.period else "")
    other_period = bool(theirs and ours and theirs != ours)
    if few or other_period:
        facts = []
        if few:
            facts.append(f"{matched:,} of the book's {len(book_records):,} records")
        if other_period:
            facts.append(f"period {theirs}")
        line = "this download has " + " and ".join(facts)
        if other_period:
            line += f"; the book is for {ours}"
        found.append(line)
    return "; ".join(found) or None


def _earlier_take(log: list[LogEntry], sha256: str) -> tuple[LogEntry, LogEntry] | None:
    """(the earlier take of this same file, the last take) when the file is not the last one taken."""
    if not sha256:
        return None
    takes = [line for line in log if line.action in TAKE_IN_ACTIONS and line.sha256]
    if not takes or takes[-1].sha256 == sha256:
        return None
    same = [line for line in takes if line.sha256 == sha256]
    return (same[-1], takes[-1]) if same else None


def _check_download(state: BookState, download: PortalFile) -> None:
    # An error file or an upload holds only some records: refreshing from one would move every
    # other row to "Removed from Portal".
    if download.envelope == "error":
        raise InputError(f"{_WHERE}: this is an IMS error file, not a download; open it with "
                         "'Open Downloaded Error JSON File'", code="wrong-kind-of-file")
    if download.envelope == "upload":
        raise InputError(f"{_WHERE}: this is an upload file, not a download; use the file from "
                         "IMS Dashboard > Offline > Download JSON", code="wrong-kind-of-file")
    theirs, ours = download.gstin, state.home.gstin
    if is_blank(theirs) or is_blank(ours):
        return
    theirs, ours = str(theirs).strip().upper(), str(ours).strip().upper()
    if theirs != ours:
        raise InputError(f"{_WHERE}: the download is for GSTIN {theirs}, this workbook is for {ours}",
                         code="gstin-mismatch")


class _Unclaimed:
    """The download's records by identity; each record matches at most one row.

    Identities should be unique, but if a download or a book holds duplicates they pair up in
    order and the rest count as new or removed, so nothing is dropped.
    """

    def __init__(self, records: Iterable[Record]) -> None:
        self._records = list(records)
        self._by_identity: dict[Identity, deque[Record]] = {}
        for record in self._records:
            self._by_identity.setdefault(record.identity, deque()).append(record)
        self._claimed: set[int] = set()

    def claim(self, identity: Identity) -> Record | None:
        waiting = self._by_identity.get(identity)
        if not waiting:
            return None
        record = waiting.popleft()
        self._claimed.add(id(record))
        return record

    def rest(self) -> list[Record]:
        """Records no row claimed, in the download's order."""
        return [record for record in self._records if id(record) not in self._claimed]


# --- one row -----------------------------------------------------------------------------------


def _carry_over(entry: Entry, record: Record, outcome: RefreshOutcome, uploaded: bool) -> Entry:
    """A row that is still in the download: keep the inputs, or restart if the supplier edited it."""
    changes = supplier_changes(entry.record, record)
    if changes:
        outcome.edited += 1
        fresh = _take_supplier_edit(entry, record, changes)
        if RESET_MARK in fresh.refresh_note:
            outcome.reset.append(fresh)
        return fresh
    outcome.unchanged += 1
    previous_action = entry.record.model.action
    decision = decide(entry)
    sent = uploaded and decision.readable and decision.action is not None and is_changed(entry, decision)
    _keep_inputs(entry, record)
    if sent:
        shown, now = ACTION_LABELS[str(decision.action)], entry.record.model.action
        if now == decision.action:
            entry.refresh_note = f"Uploaded {shown}: {CONFIRMED_MARK}"
            outcome.confirmed.append(entry)
        else:
            entry.refresh_note = f"Uploaded {shown}, the portal shows {ACTION_LABELS[now]}: {UNCONFIRMED_MARK}"
            outcome.unconfirmed.append(entry)
        return entry
    entry.refresh_note = _portal_status_note(entry, previous_action)
    return entry


def _bring_back(entry: Entry, record: Record, today: str, outcome: RefreshOutcome) -> Entry:
    """A row from "Removed from Portal" whose record is in the download again."""
    back = f"Back in the download of {today}"
    changes = supplier_changes(entry.record, record)
    if changes:
        restarted = _take_supplier_edit(entry, record, changes)
        restarted.refresh_note = f"{back}. {restarted.refresh_note}"
        if RESET_MARK in restarted.refresh_note:
            outcome.reset.append(restarted)
        return restarted
    _keep_inputs(entry, record)
    entry.refresh_note = back
    return entry


def _keep_inputs(entry: Entry, record: Record) -> None:
    # Inputs, portal errors, suggestion and match result all still apply: the values are the same.
    # Only the record moves on, so the next upload's prev_status is the portal's current action.
    entry.record = record


def _take_supplier_edit(entry: Entry, record: Record, changes: list[str]) -> Entry:
    """A fresh row for the edited record; the note keeps what the user had typed."""
    fresh = entry_from_record(record)
    note = "Changed by supplier: " + "; ".join(changes)
    typed = _typed_inputs_replaced(entry, fresh)
    if typed:
        note += " (" + "; ".join(typed) + f"): {RESET_MARK}"
    fresh.refresh_note = note
    fresh.row, fresh.write_inputs = entry.row, True  # same row; its inputs start again
    fresh.loaded = entry.loaded  # what its cells hold: only the values that change are written
    return fresh


def _portal_status_note(entry: Entry, previous_action: str) -> str:
    """Say so when the portal's status moved and the row's Status (kept as typed) is not it.

    A user who uploaded in between sees nothing: their Status is what the portal now shows.
    """
    now = entry.record.model.action
    if now == previous_action or _action_code(entry.status) == now:
        return ""
    return (f"Portal status changed {ACTION_LABELS[previous_action]} -> {ACTION_LABELS[now]}; "
            f"your Status {_shown(entry.status)} is kept")


# --- what changed, in words ---------------------------------------------------------------------


def supplier_changes(old: Record, new: Record) -> list[str]:
    """The supplier's values that differ, as "Taxable Value 10,000.42 -> 12,000.42"; empty if none."""
    changes = []
    for name in _SUPPLIER_FIELDS:
        before, after = _supplier_value(old.model, name), _supplier_value(new.model, name)
        if before != after:
            changes.append(f"{_header(new.section, name)} {_show_value(before)} -> {_show_value(after)}")
    return changes


def _supplier_value(model: PortalRecord, name: str) -> Decimal | str:
    value: Any = getattr(model, name, None)
    if name in _MONEY_FIELDS:
        return Decimal(value)  # Decimal equality: 142700 equals 142700.00
    text = "" if value is None else str(value).strip().upper()
    if name == "pos" and text.isdigit():
        text = text.zfill(2)  # 7 (a JSON number) and "07" are the same state
    return text


def _show_value(value: Decimal | str) -> str:
    if isinstance(value, Decimal):
        return indian_money(value)
    return value or "(blank)"


def _typed_inputs_replaced(old: Entry, new: Entry) -> list[str]:
    """What the user had typed that the fresh row no longer shows: "your Status was Accept"."""
    section = old.section
    typed: list[str] = []
    if _typed_differs(old.status, new.status, _action_code):
        typed.append(f"your Status was {_shown(old.status)}")
    if _typed_differs(old.remarks, new.remarks, _remarks_text):
        typed.append(f'your Remarks were "{_shown(old.remarks)}"')
    if not section.takes_itc_declaration:
        return typed
    if _typed_differs(old.itc, new.itc, _itc_code):
        typed.append(f"your {_header(section, 'itc')} was {_shown(old.itc)}")
    for name in DECLARED_FIELDS:
        before = old.declared.get(name)
        if _typed_differs(before, new.declared.get(name), _amount):
            typed.append(f"your {_header(section, name)} was {_shown_amount(before)}")
    return typed


def _typed_differs(before: Any, after: Any, meaning: Callable[[Any], Any]) -> bool:
    """Did the user type something the new value does not say? A blank input loses nothing."""
    return not is_blank(before) and meaning(before) != meaning(after)


def _action_code(value: Any) -> str | None:
    return _parsed_or_text(parse_action, value)


def _itc_code(value: Any) -> str | None:
    return _parsed_or_text(parse_itc, value)


def _amount(value: Any) -> Decimal | str | None:
    return _parsed_or_text(parse_amount, value)


def _remarks_text(value: Any) -> str | None:
    return None if is_blank(value) else str(value).strip()


def _parsed_or_text(parse: Callable[[Any], Any], value: Any) -> Any:
    # An input the parser rejects still counts as typed: compare its text so it is reported.
    try:
        return parse(value)
    except ValueError:
        return str(value).strip()


def _shown(value: Any) -> str:
    return str(value).strip()


def _shown_amount(value: Any) -> str:
    try:
        amount = parse_amount(value)
    except ValueError:
        return _shown(value)
    return _shown(value) if amount is None else indian_money(amount)


def _header(section: Section, name: str) -> str:
    try:
        return section.column(name).header
    except KeyError:
        return _FALLBACK_HEADERS.get(name, name)
