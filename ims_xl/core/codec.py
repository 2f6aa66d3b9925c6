"""Sheet rows <-> ``BookState``: the one translation every workbook port uses.

A port reads cell values (rows of plain Python values, columns from A) and hands them here; it
gets back rows and blocks of values to write. Which value sits in which column comes only from
``layout``'s descriptions.

A row's decision belongs to the document its visible cells show. The hidden "Portal Record"
cell is what the upload sends, so when a user sorts only the visible columns (Excel's "continue
with the current selection"), the visible keys and the hidden record part ways: the row is then
bound to the downloaded record its visible keys identify, or the read stops naming the row.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import jsonio
from .book import (
    NO_DECLARATIONS,
    BookState,
    Entry,
    Home,
    LogEntry,
    RemovedEntry,
    as_loaded,
    is_blank,
    text_or_none,
)
from .dates import from_serial, portal_date, portal_text
from .itc import itc_impact, itc_rows
from .layout import (
    CHANGE_LOG_TABLE,
    HOME,
    HOME_FIELD,
    HOME_FIELDS,
    ITC_TABLE,
    LAYOUT_VERSION,
    NOT_IN_IMS_TABLE,
    RECON_RESULTS,
    RECON_TABLE,
    REMOVED_TABLE,
    SUMMARY_TABLE,
    Cell,
    Table,
    column_letter,
)
from .problems import InputError
from .records import Record, make_record, make_records
from .refresh import note_counts
from .sections import ACTION_LABELS, BY_SHEET, DECLARED_FIELDS, HEADER_ROW, SECTIONS, Section
from .summary import summary_rows

Row = Sequence[Any]
Block = tuple[Cell, list[list[Any]]]  # top-left cell and the rows of values from there



# --- section rows --------------------------------------------------------------------------------


def _as_date(text: str | None) -> date | str | None:
    """A dd-mm-yyyy portal date as a real date for the sheet (sortable), else the text itself."""
    return portal_date(text) or text or None


def _flag_label(value: bool | None) -> str | None:
    return None if value is None else ("Y" if value else "N")


def _inv_typ(entry: Entry) -> Any:
    return getattr(entry.record.model, "inv_typ", None)


# How each section column's value comes from an entry (declared amounts: ``entry.declared``).
_GETTERS: dict[str, Callable[[Entry], Any]] = {
    "original_number": lambda e: e.record.original_number,
    "original_date": lambda e: _as_date(e.record.original_date),
    "stin": lambda e: e.record.model.stin,
    "tradenm": lambda e: e.record.model.tradenm,
    "number": lambda e: e.record.number,
    "inv_typ": _inv_typ,
    "date": lambda e: _as_date(e.record.date),
    "val": lambda e: e.record.model.val,
    "status": lambda e: e.status,
    "pos": lambda e: e.record.model.pos,
    "txval": lambda e: e.record.model.txval,
    "iamt": lambda e: e.record.model.iamt,
    "camt": lambda e: e.record.model.camt,
    "samt": lambda e: e.record.model.samt,
    "cess": lambda e: e.record.model.cess,
    "itc": lambda e: e.itc,
    "remarks": lambda e: e.remarks,
    "srcform": lambda e: e.record.model.srcform,
    "rtnprd": lambda e: e.record.model.rtnprd,
    "srcfilstatus": lambda e: e.record.model.srcfilstatus,
    "sheet_errors": lambda e: e.sheet_errors or None,
    "portal_errors": lambda e: e.portal_errors or None,
    "previous_status": lambda e: ACTION_LABELS[e.record.model.action],
    "pending_blocked": lambda e: _flag_label(e.record.model.pending_blocked),
    "remarks_blocked": lambda e: _flag_label(e.record.model.remarks_blocked),
    "itc_blocked": lambda e: _flag_label(e.record.model.itc_blocked),
    "suggested_action": lambda e: e.suggested_action or None,
    "match_status": lambda e: e.match_status or None,
    "books_tax": lambda e: e.books_tax,
    "match_result": lambda e: e.match_result or None,
    "refresh_note": lambda e: e.refresh_note or None,
    "record": lambda e: jsonio.dumps_record(e.record.raw),
}


def _declared_getter(name: str) -> Callable[[Entry], Any]:
    return lambda entry: entry.declared.get(name)


for _name in DECLARED_FIELDS:
    _GETTERS[_name] = _declared_getter(_name)
_ROW_GETTERS = {section.key: [_GETTERS[column.field] for column in section.columns] for section in SECTIONS}


def section_row(entry: Entry, *, with_record: bool = True) -> list[Any]:
    """Cell values of an entry in the order of its section's columns. ``with_record=False`` leaves
    the hidden record out (None): encoding it is most of the cost, and most saves do not write it."""
    values = [get(entry) for get in _ROW_GETTERS[entry.section.key][:-1]]
    values.append(jsonio.dumps_record(entry.record.raw) if with_record else None)
    return values


CELL_TEXT_LIMIT = 32_767  # characters an Excel cell holds
_LONG_TEXT_FROM = 30_000  # records whose texts add up to less cannot reach the limit in any cell


def refuse_overlong_text(records: Iterable[Record], source: str) -> None:
    """Refuse (text-too-long, naming the record) a record with a text, or a hidden record, over
    what an Excel cell holds: the tool never writes a book Excel would truncate or refuse."""
    positions: dict[str, int] = {}
    for record in records:
        section = record.section
        position = positions[section.key] = positions.get(section.key, 0) + 1
        raw = record.raw
        if sum(len(value) for value in raw.values() if isinstance(value, str)) < _LONG_TEXT_FROM:
            continue
        longest = max((key for key in raw if isinstance(raw[key], str)), key=lambda key: len(raw[key]))
        length = len(raw[longest])
        what = f"its {longest} has {length:,} characters"
        if length <= CELL_TEXT_LIMIT:
            length = len(jsonio.dumps(raw))
            if length <= CELL_TEXT_LIMIT:
                continue
            what = f"its texts together (the hidden Portal Record) have {length:,} characters"
        raise InputError(f"{source}: {section.sheet} record {position:,} (supplier {record.model.stin}, "
                         f"document {record.number}): {what}; an Excel cell holds at most "
                         f"{CELL_TEXT_LIMIT:,}; nothing was written", code="text-too-long", file=source,
                         sheet=section.sheet, field=longest)


def field_value(entry: Entry, field: str) -> Any:
    """One column's value of an entry (what ``section_row`` has at that column)."""
    return _GETTERS[field](entry)


def getter(field: str) -> Callable[[Any], Any]:
    """How a column's value comes from an entry (or from ``AsLoaded``: its value as read)."""
    return _GETTERS[field]


assert all(section.columns[-1].field == "record" for section in SECTIONS), "section_row writes the record last"


def has_content(cells: Row, width: int | None = None) -> bool:
    return any(value not in (None, "") for value in (cells if width is None else cells[:width]))


def decode_section(section: Section, rows: Iterable[tuple[int, Row]], book: str) -> list[Entry]:
    """Entries from a section sheet's data rows: (Excel row number, cells from column A).

    Rows whose table cells are all blank are skipped; cells right of the table are the user's.
    """
    width = len(section.columns)
    entries: list[Entry] = []
    astray: list[tuple[Entry, tuple[str, ...], list[Any]]] = []  # rows whose keys and record disagree
    batch: list[tuple[int, list[Any]]] = []

    def flush() -> None:
        raws = _hidden_records(section, batch, book)
        records = make_records(section, raws) or [
            make_record(section, raw, f"{book}: sheet {section.sheet}, row {row}", file=book, sheet=section.sheet,
                        row=row) for (row, _), raw in zip(batch, raws, strict=True)]
        for (row, values), record in zip(batch, records, strict=True):
            entry, keys = _entry_from_row(section, values, row, record)
            entries.append(entry)
            if keys == entry.record.identity:
                entry.edited = tuple(edited_values(section, entry, values))
            else:  # rare (a partial sort, a typed-over key): decided once every record is known
                astray.append((entry, keys, values))
        batch.clear()

    at = _POSITIONS[section.key]
    for row, cells in rows:
        if not has_content(cells, width):
            continue
        values = [None if cell == "" else cell for cell in cells[:width]]
        values += [None] * (width - len(values))
        if is_blank(values[at["record"]]) and is_blank(values[at["stin"]]) and is_blank(values[at["number"]]):
            continue  # no record and no document: a total or a note under the table, the user's own
        batch.append((row, values))
        if len(batch) == _BATCH:
            flush()
    flush()
    if astray:
        _bind_visible_keys(section, entries, astray, book)
    return entries


_BATCH = 2000  # rows whose hidden records are parsed in one JSON call (keys shared, one call's overhead)


def _hidden_records(section: Section, batch: list[tuple[int, list[Any]]], book: str) -> list[dict[str, Any]]:
    """The hidden records of a batch of rows, parsed together; a row whose cell is empty or changed
    is named in the error (the batch is then parsed row by row to find it)."""
    position = _POSITIONS[section.key]["record"]
    texts = [values[position] for _, values in batch]
    if all(isinstance(text, str) and text.startswith("{") for text in texts):
        try:
            parsed = json.loads("[" + ",".join(texts) + "]", parse_float=Decimal)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and len(parsed) == len(texts) and all(type(raw) is dict for raw in parsed):
            return parsed
    raws = []
    for (row, _), text in zip(batch, texts, strict=True):
        where = f"{book}: sheet {section.sheet}, row {row}"
        if is_blank(text):
            raise InputError(f"{where}: this row shows a document but has no hidden 'Portal Record': type invoices "
                             "in the purchase register, not on the IMS sheet; rows come from the portal download "
                             "(a document the supplier uploaded since comes in with 'refresh' from a newer download)",
                             code="row-without-record", file=book, sheet=section.sheet, row=row,
                             field="Portal Record")
        try:
            raw = jsonio.loads(str(text))
        except ValueError:
            raw = None
        if type(raw) is not dict:
            raise InputError(f"{where}: the hidden 'Portal Record' cell was changed and cannot be read",
                             code="record-cell-changed", file=book, sheet=section.sheet, row=row,
                             field="Portal Record")
        raws.append(raw)
    return raws


def _entry_from_row(section: Section, values: list[Any], row: int, record: Record) -> tuple[Entry, tuple[str, ...]]:
    at = _POSITIONS[section.key]
    status = values[at["status"]]
    if isinstance(status, str):  # one string per word, not one per row ("No Action" on 100,000 rows)
        status = text_or_none(status)
        status = sys.intern(status) if status is not None and len(status) < 32 else status
    declared = NO_DECLARATIONS
    if section.takes_itc_declaration:
        typed = {name: values[at[name]] for name in DECLARED_FIELDS if not is_blank(values[at[name]])}
        declared = typed or NO_DECLARATIONS
    entry = Entry(
        record=record,
        status=status,
        remarks=text_or_none(values[at["remarks"]]),
        itc=values[at["itc"]] if section.takes_itc_declaration else None,
        declared=declared,
        sheet_errors=_text(values[at["sheet_errors"]]),
        portal_errors=_text(values[at["portal_errors"]]),
        suggested_action=_text(values[at["suggested_action"]]),
        match_status=_text(values[at["match_status"]]),
        books_tax=_money_or_none(values[at["books_tax"]]),
        match_result=_text(values[at["match_result"]]),
        refresh_note=_text(values[at["refresh_note"]]),
        row=row,
    )
    entry.loaded = as_loaded(entry)
    return entry, _visible_identity(section, values)


def _text(value: Any) -> str:
    """A tool-written text cell read back: "" for blank."""
    if value is None:
        return ""
    return value.strip() if type(value) is str else (text_or_none(value) or "")


def _money_or_none(value: Any) -> Decimal | None:
    """A tool-written amount read back (Excel hands numbers over as floats: their repr is exact)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


_POSITIONS = {section.key: {column.field: i for i, column in enumerate(section.columns)} for section in SECTIONS}
_COMPARED_FIELDS = {section.key: tuple(column.field for column in section.columns if column.compared)
                    for section in SECTIONS}


def _key_text(value: Any) -> str:
    return (text_or_none(value) or "").upper()


def _date_text(value: Any) -> str:
    """A date cell as the portal writes dates (dd-mm-yyyy), whatever the cell holds."""
    if isinstance(value, datetime | date):
        return portal_text(value)
    if isinstance(value, int | float) and (day := from_serial(value)) is not None:  # a date shown unformatted
        return portal_text(day)
    return text_or_none(value) or ""


def _visible_identity(section: Section, values: list[Any]) -> tuple[str, ...]:
    """The row's identity as its visible cells show it (``Record.identity``'s shape)."""
    at = _POSITIONS[section.key]
    parts = [section.key, _key_text(values[at["stin"]]), _key_text(values[at["number"]]),
             _date_text(values[at["date"]])]
    if section.is_amendment:
        parts.append(_key_text(values[at["original_number"]]))
    return tuple(parts)


def _bind_visible_keys(section: Section, entries: list[Entry], astray: list[tuple[Entry, tuple[str, ...], list[Any]]],
                       book: str) -> None:
    records: dict[tuple[str, ...], list[Record]] = {}
    for entry in entries:
        records.setdefault(entry.record.identity, []).append(entry.record)
    for entry, keys, cells in astray:
        # Copies of one record (a copied row) are one candidate; two different records are not.
        candidates = {jsonio.dumps(record.raw): record for record in records.get(keys, [])}
        if len(candidates) == 1:
            entry.record = next(iter(candidates.values()))
            entry.rebound = True
        elif len(candidates) > 1:
            raise InputError(
                f"{book}: sheet {section.sheet}, row {entry.row}: the document shown on this row is on the "
                "sheet more than once with different hidden records; undo the last sort or copy, or delete "
                "the extra row", code="row-matches-two-records", file=book, sheet=section.sheet, row=entry.row)
        else:
            # No downloaded record has these keys: the user typed over a key cell. The portal's
            # record stays (it is what the upload must name) and the row says so.
            entry.edited += tuple(_key_differences(section, entry, keys))
        entry.edited += tuple(edited_values(section, entry, cells))


def _key_differences(section: Section, entry: Entry, keys: tuple[str, ...]) -> list[tuple[str, Any]]:
    own = entry.record.identity
    fields = ["stin", "number", "date"] + (["original_number"] if section.is_amendment else [])
    return [(field, keys[i + 1]) for i, field in enumerate(fields) if keys[i + 1] != own[i + 1]]


def edited_values(section: Section, entry: Entry, values: list[Any]) -> list[tuple[str, Any]]:
    """Visible portal values the user typed over (the upload keeps the portal's)."""
    at = _POSITIONS[section.key]
    model = entry.record.model
    edited: list[tuple[str, Any]] = []
    for field in _COMPARED_FIELDS[section.key]:
        shown, portal = values[at[field]], getattr(model, field, None)
        if shown is None or portal is None:
            continue
        if type(shown) is float and isinstance(portal, Decimal):
            same = shown == float(portal)  # the tool wrote float(portal): the same double comes back
        elif isinstance(portal, Decimal):
            try:
                same = Decimal(repr(shown) if isinstance(shown, float) else str(shown).replace(",", "")) == portal
            except ArithmeticError:
                same = False
        else:
            same = (text_or_none(shown) or "") == str(portal)
        if not same:
            edited.append((field, shown))
    return edited


# --- the auxiliary sheets ------------------------------------------------------------------------


def table_rows(table: Table, rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    return [[row.get(column.field) for column in table.columns] for row in rows]


def decode_table(table: Table, rows: Iterable[tuple[int, Row]]) -> list[tuple[int, dict[str, Any]]]:
    """(row, {field: value}) for each non-blank row of an auxiliary table (cells from column A)."""
    first = table.left - 1
    found = []
    for row, cells in rows:
        values = list(cells[first:first + table.width])
        values += [None] * (table.width - len(values))
        values = [None if v == "" else v for v in values]
        if any(v is not None for v in values):
            found.append((row, {column.field: v for column, v in zip(table.columns, values, strict=True)}))
    return found


def removed_values(removed: RemovedEntry) -> dict[str, Any]:
    entry = removed.entry
    record, model = entry.record, entry.record.model
    return {
        "sheet": entry.section.sheet, "stin": model.stin, "tradenm": model.tradenm, "number": record.number,
        "date": record.date, "original_number": record.original_number, "txval": model.txval,
        "tax": model.iamt + model.camt + model.samt + model.cess, "status": entry.status,
        "remarks": entry.remarks, "itc": entry.itc, **entry.declared,
        "removed_on": removed.removed_on, "record": jsonio.dumps_record(record.raw),
    }


def decode_removed(row: int, values: dict[str, Any], book: str) -> RemovedEntry:
    where = f"{book}: sheet {REMOVED_TABLE.sheet}, row {row}"
    section = BY_SHEET.get(str(values["sheet"]))
    if section is None:
        raise InputError(f"{where}: {values['sheet']!r} is not a section sheet",
                         code="unknown-section-sheet", file=book, sheet=REMOVED_TABLE.sheet, row=row)
    try:
        raw = jsonio.loads(str(values["record"]))
    except ValueError:
        raise InputError(f"{where}: the hidden 'Portal Record' cell cannot be read",
                         code="record-cell-changed", file=book, sheet=REMOVED_TABLE.sheet, row=row,
                         field="Portal Record") from None
    record = make_record(section, raw, where, file=book, sheet=REMOVED_TABLE.sheet, row=row)
    declared = {name: values[name] for name in DECLARED_FIELDS if not is_blank(values[name])}
    entry = Entry(record=record, status=values["status"], remarks=text_or_none(values["remarks"]),
                  itc=values["itc"], declared=declared)
    return RemovedEntry(entry, str(values["removed_on"] or ""))


def log_values(line: LogEntry) -> dict[str, Any]:
    return {"when": line.when, "action": line.action, "details": line.details, "file": line.file or None,
            "sha256": line.sha256 or None}


def decode_log(values: dict[str, Any]) -> LogEntry:
    return LogEntry(*(str(values[field]) if values[field] not in (None, "") else ""
                      for field in ("when", "action", "details", "file", "sha256")))


def aux_tables(state: BookState) -> dict[str, list[list[Any]]]:
    """Rows of the tool's auxiliary tables (Change Log excepted: it is only ever appended to)."""
    return {
        NOT_IN_IMS_TABLE.sheet: table_rows(NOT_IN_IMS_TABLE, state.not_in_ims),
        REMOVED_TABLE.sheet: table_rows(REMOVED_TABLE, (removed_values(r) for r in state.removed)),
    }


def log_rows(log: Sequence[LogEntry]) -> list[list[Any]]:
    return table_rows(CHANGE_LOG_TABLE, (log_values(line) for line in log))


# --- Home ----------------------------------------------------------------------------------------


def decode_home(value_at: Callable[[Cell], Any]) -> Home:
    values = {home_field.field: text_or_none(value_at(home_field.cell)) for home_field in HOME_FIELDS}
    gstin, download_gstin = values["gstin"], values["download_gstin"]

    def count(row: int, field: str) -> int | None:
        value = value_at(Cell(row, SUMMARY_TABLE.column_of(field)))
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    downloaded = {}
    for offset, section in enumerate(SECTIONS):
        number = count(SUMMARY_TABLE.first_row + offset, "downloaded")
        if number is not None:
            downloaded[section.sheet] = number
    total_row = SUMMARY_TABLE.last_row

    version = values["layout"]
    return Home(gstin=gstin.upper() if gstin else None, period=values["period"],
                source_file=values["source_file"], last_action=values["last_action"],
                download_gstin=download_gstin.upper() if download_gstin else None, downloaded=downloaded,
                errors=count(total_row, "errors"), warnings=count(total_row, "warnings"),
                layout=int(float(version)) if version and version.replace(".", "", 1).isdigit() else None)


def home_field_values(home: Home) -> dict[Cell, Any]:
    """Home's value cells; the layout cell always says the current layout (a book is upgraded before
    anything else is written to it)."""
    values = {home_field.cell: getattr(home, home_field.field) for home_field in HOME_FIELDS}
    values[HOME_FIELD["layout"].cell] = LAYOUT_VERSION
    return values


def home_blocks(state: BookState, *, findings: Mapping[str, tuple[int, int]] | None,
                recon: Mapping[str, tuple[int, Decimal]] | None) -> list[Block]:
    """Blocks of values the tool writes on Home: its fields, the summary and the ITC table (both
    follow from the rows), and the reconciliation totals.

    ``findings`` (errors, warnings by sheet; "Home" for Home's own) and ``recon`` (records and tax
    by match result) are None when this save has no new ones: their cells are then left as they are.
    """
    note_counts(state)
    blocks: list[Block] = [(cell, [[value]]) for cell, value in home_field_values(state.home).items()]
    rows = summary_rows(state, findings)
    width = SUMMARY_TABLE.width if findings is not None else SUMMARY_TABLE.position("errors")
    blocks.append((Cell(SUMMARY_TABLE.first_row, SUMMARY_TABLE.left), [row[:width] for row in rows]))
    if recon is not None:
        blocks.append((Cell(RECON_TABLE.first_row, RECON_TABLE.left),
                       [[result, *recon.get(result, (0, Decimal(0)))] for result in RECON_RESULTS]))
    blocks.append((Cell(ITC_TABLE.first_row, ITC_TABLE.left), itc_rows(itc_impact(state.all_entries()))))
    return blocks



# --- the sheets and headers a book must have ----------------------------------------------------


def check_sheets(book: str, sheet_names: Iterable[str]) -> None:
    """Refuse a book without Home or a section sheet, naming the sheet and a name that looks like it."""
    names = list(sheet_names)
    needed = (HOME, *(section.sheet for section in SECTIONS))
    missing = [sheet for sheet in needed if sheet not in names]
    if not missing:
        return
    if len(missing) == len(needed):
        raise InputError(f"{book}: not an ims-xl workbook (no sheet {', '.join(missing)})",
                         code="not-an-ims-xl-workbook", file=book, sheet=missing[0])
    others = [name for name in names if name not in needed]
    sheet = missing[0]
    alike = _look_alike(sheet, others)
    hint = (f"the sheet '{alike}' looks like it: rename it back to '{sheet}' (the tool finds its sheets by name)"
            if alike else "it was deleted or renamed: restore it from a backup (the book's name with a date and "
            "time, beside it)")
    more = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
    raise InputError(f"{book}: the sheet '{sheet}' is missing{more}; {hint}", code="sheet-missing", file=book,
                     sheet=sheet)


def _squashed(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def _look_alike(sheet: str, others: Sequence[str]) -> str | None:
    """A sheet name that is probably ``sheet`` renamed: the same letters and digits, a copy's
    "B2B-CN (2)", or the closest spelling."""
    import difflib

    wanted = _squashed(sheet)
    same = [name for name in others if _squashed(name) == wanted or (_squashed(name).startswith(wanted)
            and not _squashed(name)[len(wanted):].isalpha())]
    if same:
        return same[0]
    close = difflib.get_close_matches(wanted, [_squashed(name) for name in others], n=1, cutoff=0.75)
    return next((name for name in others if close and _squashed(name) == close[0]), None)


def check_section_header(section: Section, found: Sequence[Any], book: str) -> None:
    """Refuse a section sheet whose header differs from the layout, saying which column and where it goes."""
    expected = [column.header for column in section.columns]
    actual = ["" if is_blank(value) else str(value).strip() for value in found[:len(expected)]]
    actual += [""] * (len(expected) - len(actual))
    last = column_letter(len(expected))
    for c, want in enumerate(expected):
        got = actual[c]
        if got == want:
            continue
        where = f"{book}: sheet {section.sheet}, column {column_letter(c + 1)}"
        shown = f"the column '{got}'" if got else "a blank column"
        if got in expected:
            advice = (f"holds '{got}', which belongs in column {column_letter(expected.index(got) + 1)}: move it back "
                      f"there (the tool's columns keep their order; your own columns go right of column {last})")
        elif c + 1 < len(expected) and actual[c + 1:] == expected[c:-1]:
            advice = (f": {shown} was inserted inside the table; move it right of column {last} (where your own "
                      "columns go) or delete it")
        elif want in actual:
            advice = (f"should be '{want}', which is now in column {column_letter(actual.index(want) + 1)}: move it "
                      f"back to column {column_letter(c + 1)} (your own columns go right of column {last})")
        else:
            advice = (f"should have the header '{want}', found {repr(got) if got else 'none'}: type '{want}' back "
                      "(the tool finds its columns by these headers)")
        separator = "" if advice.startswith(":") else " "
        raise InputError(f"{where}{separator}{advice}", code="unexpected-header", file=book, sheet=section.sheet,
                         row=HEADER_ROW, field=want)
