"""Rows of the section sheets: a portal record plus what the user typed.

``entry_to_row`` and ``entry_from_row`` are the only code that knows which value goes in which
column; both follow ``Section.columns``. Cell values are plain Python values (str, Decimal,
datetime.date, None); each workbook adapter turns them into its own cell types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import jsonio
from .amounts import parse_amount as parse_amount  # moved; still importable from here
from .problems import InputError
from .records import Record, make_record
from .sections import ACTION_LABELS, BY_KEY, DECLARED_FIELDS, FIRST_DATA_ROW, ITC_LABELS, SECTIONS, Section


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
    match_result: str = ""
    refresh_note: str = ""
    row: int | None = None  # 1-based sheet row, once known

    @property
    def section(self) -> Section:
        return self.record.section


@dataclass
class Home:
    """The Home sheet's inputs and what the tool records there."""

    gstin: str | None = None
    period: str | None = None
    source_file: str | None = None
    last_action: str | None = None


@dataclass
class LogEntry:
    """One line of the Change Log sheet."""

    when: str
    action: str
    details: str
    file: str = ""
    sha256: str = ""

    def cells(self) -> list[Any]:
        return [self.when, self.action, self.details, self.file or None, self.sha256 or None]


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
    not_in_ims: list[list[Any]] = field(default_factory=list)  # rows under layout.NOT_IN_IMS_HEADERS
    removed: list[RemovedEntry] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    # Sheets a user added to the book: their cell values, carried over when the file is rewritten.
    extra_sheets: dict[str, list[list[Any]]] = field(default_factory=dict)

    def all_entries(self) -> list[Entry]:
        return [entry for section in SECTIONS for entry in self.entries[section.key]]

    def number_rows(self) -> None:
        """Give every entry the sheet row it will be written to."""
        for entries in self.entries.values():
            for offset, entry in enumerate(entries):
                entry.row = FIRST_DATA_ROW + offset


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

_ACTION_WORDS = {
    "a": "A", "accept": "A", "accepted": "A",
    "r": "R", "reject": "R", "rejected": "R",
    "p": "P", "pending": "P", "keeppending": "P",
    "n": "N", "noaction": "N", "none": "N",
}
_ITC_WORDS = {"y": "Y", "yes": "Y", "n": "N", "no": "N"}


def _squash(value: Any) -> str:
    return re.sub(r"[\s_\-]+", "", str(value)).lower()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_action(value: Any) -> str | None:
    """"Accept", " accepted ", "A", "No action" -> one-letter code; blank -> None.

    Raises ValueError for anything else.
    """
    if is_blank(value):
        return None
    code = _ACTION_WORDS.get(_squash(value))
    if code is None:
        raise ValueError(f"{value!r} is not a status; choose Accept, Reject, Pending or No Action")
    return code


def parse_itc(value: Any) -> str | None:
    """"Yes"/"No" (or Y/N) -> "Y"/"N"; blank -> None. Raises ValueError otherwise."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    code = _ITC_WORDS.get(_squash(value))
    if code is None:
        raise ValueError(f"{value!r} is not Yes or No")
    return code


def text_or_none(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- rows ------------------------------------------------------------------------------------


def _as_date(text: str | None) -> date | str | None:
    """A dd-mm-yyyy portal date as a real date for the sheet (sortable), else the text itself."""
    if not text:
        return None
    try:  # records checked the dd-mm-yyyy shape already; slicing is 10x faster than strptime
        return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    except ValueError:
        return text


def _flag_label(value: bool | None) -> str | None:
    return None if value is None else ("Y" if value else "N")


def entry_to_row(entry: Entry) -> list[Any]:
    """Cell values of an entry in the order of its section's columns."""
    record, model = entry.record, entry.record.model
    values: dict[str, Any] = {
        "original_number": record.original_number,
        "original_date": _as_date(record.original_date),
        "stin": model.stin,
        "tradenm": model.tradenm,
        "number": record.number,
        "inv_typ": getattr(model, "inv_typ", None),
        "date": _as_date(record.date),
        "val": model.val,
        "status": entry.status,
        "pos": model.pos,
        "txval": model.txval,
        "iamt": model.iamt,
        "camt": model.camt,
        "samt": model.samt,
        "cess": model.cess,
        "itc": entry.itc,
        "remarks": entry.remarks,
        "srcform": model.srcform,
        "rtnprd": model.rtnprd,
        "srcfilstatus": model.srcfilstatus,
        "sheet_errors": entry.sheet_errors or None,
        "portal_errors": entry.portal_errors or None,
        "previous_status": ACTION_LABELS[model.action],
        "pending_blocked": _flag_label(model.pending_blocked),
        "remarks_blocked": _flag_label(model.remarks_blocked),
        "itc_blocked": _flag_label(model.itc_blocked),
        "suggested_action": entry.suggested_action or None,
        "match_result": entry.match_result or None,
        "refresh_note": entry.refresh_note or None,
        "record": jsonio.dumps(record.raw),
    }
    values.update(entry.declared)
    return [values.get(column.field) for column in entry.section.columns]


def entry_from_row(section: Section, cells: list[Any], row: int, sheet: str | None = None) -> Entry:
    """Rebuild an entry from a sheet row. The portal record comes from the hidden record column."""
    where = f"{sheet or section.sheet} row {row}"
    columns = section.columns
    by_field = {column.field: (cells[i] if i < len(cells) else None) for i, column in enumerate(columns)}
    raw_text = by_field["record"]
    if is_blank(raw_text):
        raise InputError(
            f"{where}: the hidden 'Portal Record' cell is empty; rows can only come from a portal download"
        )
    try:
        raw = jsonio.loads(str(raw_text))
    except ValueError:
        raise InputError(f"{where}: the hidden 'Portal Record' cell was changed and cannot be read") from None
    record = make_record(section, raw, where)
    return Entry(
        record=record,
        status=text_or_none(by_field["status"]) if isinstance(by_field["status"], str) else by_field["status"],
        remarks=text_or_none(by_field["remarks"]),
        itc=by_field.get("itc"),
        declared={name: by_field[name] for name in DECLARED_FIELDS
                  if name in by_field and not is_blank(by_field[name])},
        sheet_errors=text_or_none(by_field["sheet_errors"]) or "",
        portal_errors=text_or_none(by_field["portal_errors"]) or "",
        suggested_action=text_or_none(by_field["suggested_action"]) or "",
        match_result=text_or_none(by_field["match_result"]) or "",
        refresh_note=text_or_none(by_field["refresh_note"]) or "",
        row=row,
    )


def section_of(key: str) -> Section:
    return BY_KEY[key]


def removed_to_row(removed: RemovedEntry) -> list[Any]:
    """Cells of a "Removed from Portal" row (layout.REMOVED_HEADERS)."""
    entry = removed.entry
    record, model = entry.record, entry.record.model
    tax = model.iamt + model.camt + model.samt + model.cess
    return [
        entry.section.sheet, model.stin, model.tradenm, record.number, record.date, record.original_number,
        model.txval, tax, entry.status, entry.remarks, entry.itc,
        *(entry.declared.get(name) for name in DECLARED_FIELDS),
        removed.removed_on, jsonio.dumps(record.raw),
    ]


def removed_from_row(cells: list[Any], row: int) -> RemovedEntry:
    from .sections import BY_SHEET

    cells = list(cells) + [None] * (17 - len(cells))
    section = BY_SHEET.get(str(cells[0]))
    where = f"Removed from Portal row {row}"
    if section is None:
        raise InputError(f"{where}: {cells[0]!r} is not a section sheet")
    try:
        raw = jsonio.loads(str(cells[16]))
    except ValueError:
        raise InputError(f"{where}: the hidden 'Portal Record' cell cannot be read") from None
    record = make_record(section, raw, where)
    declared = {name: value for name, value in zip(DECLARED_FIELDS, cells[11:15], strict=True)
                if not is_blank(value)}
    entry = Entry(record=record, status=cells[8], remarks=text_or_none(cells[9]), itc=cells[10],
                  declared=declared)
    return RemovedEntry(entry, str(cells[15] or ""))
