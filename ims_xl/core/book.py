"""What a workbook holds, as the core sees it: rows of the section sheets (a portal record plus
what the user typed), the Home inputs, the auxiliary sheets' rows and the change log.

``codec`` turns sheet rows into these and back; cell values are plain Python values (str,
Decimal, datetime.date, None), which each port turns into its own cell types.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .amounts import parse_amount as parse_amount  # moved; still importable from here
from .records import Record
from .sections import ACTION_LABELS, DECLARED_FIELDS, ITC_LABELS, SECTIONS, Section


@dataclass(eq=False, slots=True)
class Entry:
    """One row of a section sheet."""

    record: Record
    status: Any = None  # as typed: "Accept", "accepted", "A", ...
    remarks: Any = None
    itc: Any = None  # "Yes"/"No" as typed
    declared: dict[str, Any] = field(default_factory=dict)  # decl_igst... -> as typed
    sheet_errors: str = ""  # the last validation's findings, as shown
    portal_errors: str = ""
    suggested_action: str = ""
    match_status: str = ""  # the reconciliation's result line (layout.RECON_RESULTS); "" before one
    books_tax: Decimal | None = None  # the register's tax for the document, when reconciliation found one
    match_result: str = ""  # the reconciliation's explanation, in words
    refresh_note: str = ""
    row: int | None = None  # the sheet row (Excel's number); None for a row the tool will add
    # Set by the codec when a row is read: visible cells that differ from the portal's values
    # (field, value shown), and whether the row's hidden record was re-bound to its visible keys.
    edited: tuple[tuple[str, Any], ...] = ()
    rebound: bool = False
    write_inputs: bool = False  # the tool replaced this row's inputs (supplier edit): write them too
    # What the row's cells held when read (``writeplan`` writes only the cells whose value changes);
    # None for a row the tool has not read.
    loaded: AsLoaded | None = None

    @property
    def section(self) -> Section:
        return self.record.section


@dataclass(slots=True)
class AsLoaded:
    """A row's record and values as read from its cells, before a command changed them: the
    attributes the codec's getters read, so a column's loaded value is found as its new one is.

    Never changed once made (not frozen only because a frozen dataclass is made several times
    slower, and every row of every read makes one)."""

    record: Record
    status: Any
    remarks: Any
    itc: Any
    declared: dict[str, Any]
    sheet_errors: str
    portal_errors: str
    suggested_action: str
    match_status: str
    books_tax: Decimal | None
    match_result: str
    refresh_note: str


# Shared by every row without declared amounts (the codec's reads, as-loaded copies); never changed:
# an entry's declared amounts are replaced, not edited.
NO_DECLARATIONS: dict[str, Any] = {}


def as_loaded(entry: Entry) -> AsLoaded:
    return AsLoaded(entry.record, entry.status, entry.remarks, entry.itc,
                    dict(entry.declared) if entry.declared else NO_DECLARATIONS, entry.sheet_errors,
                    entry.portal_errors, entry.suggested_action, entry.match_status, entry.books_tax,
                    entry.match_result, entry.refresh_note)


@dataclass
class Home:
    """The Home sheet's inputs and what the tool records there."""

    gstin: str | None = None
    period: str | None = None
    source_file: str | None = None
    last_action: str | None = None
    download_gstin: str | None = None  # recorded when the download was taken in (None: a book from before)
    downloaded: dict[str, int] = field(default_factory=dict)  # records per section sheet when taken in
    # The last validation's totals, as Home shows them (None: never validated).
    errors: int | None = None
    warnings: int | None = None
    # Counted from the rows' Refresh Notes whenever the book is written (``refresh.note_counts``).
    reset: int = 0
    confirmed: int = 0
    unconfirmed: int = 0
    last_refresh: str | None = None  # the three counts in words, for Home
    layout: int | None = None  # the layout version the book records (None: before versions, layout 1)


@dataclass
class LogEntry:
    """One line of the Change Log sheet."""

    when: str
    action: str
    details: str
    file: str = ""
    sha256: str = ""



@dataclass
class RemovedEntry:
    """A row whose record is gone from a newer download, kept with the user's inputs."""

    entry: Entry
    removed_on: str


@dataclass
class BookState:
    """Everything a workbook holds that the tool reads or writes."""

    home: Home = field(default_factory=Home)
    entries: dict[str, list[Entry]] = field(default_factory=lambda: {s.key: [] for s in SECTIONS})
    not_in_ims: list[dict[str, Any]] = field(default_factory=list)  # by field of layout.NOT_IN_IMS_TABLE
    removed: list[RemovedEntry] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)

    def all_entries(self) -> list[Entry]:
        return [entry for section in SECTIONS for entry in self.entries[section.key]]

    def downloaded_missing(self) -> dict[str, int]:
        """Downloaded records no longer on their sheet (rows the user deleted), by sheet."""
        missing = {}
        for section in SECTIONS:
            gone = self.home.downloaded.get(section.sheet, 0) - len(self.entries[section.key])
            if gone > 0:
                missing[section.sheet] = gone
        return missing


# The Refresh Notes of a row an error file added (a record the book did not hold): its Status starts
# empty, and until the user chooses one the row counts in no ITC figure (it may be another client's).
ADDED_FROM_ERROR_FILE = "Added from the portal's error file"


def awaiting_decision(entry: Entry) -> bool:
    """A row an error file added whose Status the user has not chosen yet."""
    return entry.refresh_note.startswith(ADDED_FROM_ERROR_FILE) and is_blank(entry.status)


def entry_from_record(record: Record) -> Entry:
    """A new row for a downloaded record: the inputs start as the portal has them."""
    model = record.model
    declared = {name: getattr(model, name) for name in DECLARED_FIELDS if getattr(model, name) is not None}
    itc = None if model.itc_reduce is None else ITC_LABELS["Y" if model.itc_reduce else "N"]
    return Entry(
        record=record,
        status=ACTION_LABELS[model.action],
        remarks=model.remarks,
        itc=itc if record.section.takes_itc_declaration else None,
        declared=declared if record.section.takes_itc_declaration else {},
        portal_errors=model.error_msg or "",
    )


# --- reading what the user typed -------------------------------------------------------------

# What a cell shows when its formula fails. Ports that read them as text pass them on; the file
# reader finds them in the sheet (its library reads an error cell as empty).
EXCEL_ERROR_VALUES = frozenset({"#N/A", "#REF!", "#VALUE!", "#NAME?", "#DIV/0!", "#NULL!", "#NUM!", "#SPILL!",
                                "#CALC!", "#GETTING_DATA"})
_ACTION_WORDS = {
    "a": "A", "accept": "A", "accepted": "A",
    "r": "R", "reject": "R", "rejected": "R",
    "p": "P", "pending": "P", "keeppending": "P",
    "n": "N", "noaction": "N", "none": "N",
}
_ITC_WORDS = {"y": "Y", "yes": "Y", "n": "N", "no": "N"}
_EXACT_ACTIONS = {label: code for code, label in ACTION_LABELS.items()} | {code: code for code in ACTION_LABELS}
_EXACT_ITC = {label: code for code, label in ITC_LABELS.items()} | {code: code for code in ITC_LABELS}


def _squash(value: Any) -> str:
    return re.sub(r"[\s_\-]+", "", str(value)).lower()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_action(value: Any) -> str | None:
    """"Accept", " accepted ", "A", "No action" -> one-letter code; blank -> None.

    Raises ValueError for anything else.
    """
    if type(value) is str:
        code = _EXACT_ACTIONS.get(value)
        if code is not None:  # the dropdown's own words: most rows, read on every command
            return code
    if is_blank(value):
        return None
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERROR_VALUES:
        raise ValueError(f"Status shows {value.strip()}, the error of the formula in the cell (a lookup that found "
                         "nothing?); fix the formula, or type Accept, Reject, Pending or No Action")
    code = _ACTION_WORDS.get(_squash(value))
    if code is None:
        guess = _close_action(value)
        if guess is not None:
            raise ValueError(f"{value!r} is not a status: did you mean {ACTION_LABELS[guess]}?")
        raise ValueError(f"{value!r} is not a status; choose Accept, Reject, Pending or No Action")
    return code


def _close_action(value: Any) -> str | None:
    """The status a mistyped word most likely means ("Accpet" -> "A"), if one is close enough."""
    words = [word for word in _ACTION_WORDS if len(word) > 1]
    close = difflib.get_close_matches(_squash(value), words, n=1, cutoff=0.75)
    return _ACTION_WORDS[close[0]] if close else None


def parse_itc(value: Any) -> str | None:
    """"Yes"/"No" (or Y/N) -> "Y"/"N"; blank -> None. Raises ValueError otherwise."""
    if type(value) is str:
        code = _EXACT_ITC.get(value)
        if code is not None:
            return code
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    code = _ITC_WORDS.get(_squash(value))
    if code is None:
        raise ValueError(f"{value!r} is not Yes or No")
    return code


def full_word(field: str, value: Any) -> str | None:
    """The dropdown's word for a Status or ITC answer typed another way ("a", " accepted" -> "Accept",
    "y" -> "Yes"), for Validate to write back; None when the cell already shows it or is not understood."""
    if not isinstance(value, str) or value in _FULL_WORDS:
        return None
    try:
        code = parse_action(value) if field == "status" else parse_itc(value)
    except ValueError:
        return None
    if code is None:
        return None
    return ACTION_LABELS[code] if field == "status" else ITC_LABELS[code]


_FULL_WORDS = frozenset(ACTION_LABELS.values()) | frozenset(ITC_LABELS.values())


def full_words(entry: Entry) -> dict[str, str]:
    """{field: the dropdown's word} for the row's Status and ITC answer typed another way."""
    found = {}
    for name, value in (("status", entry.status), ("itc", entry.itc)):
        word = full_word(name, value)
        if word is not None:
            found[name] = word
    return found


def remarks_text(value: Any) -> str | None:
    """Remarks as compared and sent: line breaks as LF (the portal may send CR LF, a sheet gives back
    LF), ends trimmed; blank -> None. A freshly opened book then has no change, whatever the portal sent."""
    if is_blank(value):
        return None
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip() or None


def text_or_none(value: Any) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
