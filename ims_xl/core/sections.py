"""The eight IMS sections and the columns of their sheets, declared once.

The template builder, the workbook readers and writers, the validator and the reconciler all
read these tables; no column letter or header text is written anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's values are typed and shown."""

    TEXT = "text"  # always text, never a number (GSTINs, document numbers)
    MONEY = "money"  # two decimals
    DATE = "date"  # shown dd-mm-yyyy
    LABEL = "label"  # short text chosen from a list
    COUNT = "count"  # a whole number


@dataclass(frozen=True)
class Column:
    field: str  # internal name used by the core
    header: str  # exact header text on the sheet
    kind: Kind = Kind.TEXT
    width: float = 14
    editable: bool = False
    hidden: bool = False
    wrapped: bool = False  # long text: shown on several lines
    highlighted: bool = False  # coloured when a finding names this column (layout.finding_tag)
    compared: bool = False  # a portal value checked against the hidden record: typing over it is warned about
    signed: bool = False  # money that can be negative (the register's Cr amounts): layout.SIGNED_MONEY_FORMAT


@dataclass(frozen=True)
class Section:
    key: str  # lowercase portal key: "b2b", "b2bcn", ...
    sheet: str  # sheet name, as in GSTN's offline tool
    title: str
    number_key: str  # "inum" or "nt_num"
    date_key: str
    original_number_key: str | None  # amendments only
    original_date_key: str | None
    has_supply_type: bool  # carries inv_typ (not ECO sections)
    takes_itc_declaration: bool  # "Whether ITC needs to be reduced" may be answered on Accept
    itc_declaration_always_due: bool  # credit notes: the portal refuses Accept without it
    document_type: str  # Invoice / Credit Note / Debit Note, for reconciliation
    error_report_keys: tuple[str, ...]  # keys of this section in a GSP error_report

    @property
    def is_amendment(self) -> bool:
        return self.original_number_key is not None

    @property
    def is_note(self) -> bool:
        return self.number_key == "nt_num"

    @property
    def columns(self) -> tuple[Column, ...]:
        return _columns(self)

    def column(self, field: str) -> Column:
        for column in self.columns:
            if column.field == field:
                return column
        raise KeyError(f"{self.sheet} has no column {field!r}")

    def index(self, field: str) -> int:
        """0-based offset of a column within a row (its sheet column is ``index + 1``)."""
        for position, column in enumerate(self.columns):
            if column.field == field:
                return position
        raise KeyError(f"{self.sheet} has no column {field!r}")


SECTIONS: tuple[Section, ...] = (
    Section("b2b", "B2B", "B2B invoices", "inum", "idt", None, None, True, False, False, "Invoice",
            ("b2b",)),
    Section("b2ba", "B2BA", "Amended B2B invoices", "inum", "idt", "oinum", "oidt", True, True, False,
            "Invoice", ("b2ba",)),
    Section("b2bdn", "B2B-DN", "B2B debit notes", "nt_num", "nt_dt", None, None, True, False, False,
            "Debit Note", ("b2bdn", "dn")),
    Section("b2bdna", "B2B-DNA", "Amended B2B debit notes", "nt_num", "nt_dt", "ont_num", "ont_dt", True,
            True, False, "Debit Note", ("b2bdna", "dna")),
    Section("b2bcn", "B2B-CN", "B2B credit notes", "nt_num", "nt_dt", None, None, True, True, True,
            "Credit Note", ("b2bcn", "cn")),
    Section("b2bcna", "B2B-CNA", "Amended B2B credit notes", "nt_num", "nt_dt", "ont_num", "ont_dt", True,
            True, True, "Credit Note", ("b2bcna", "cna")),
    Section("ecom", "ECO", "Supplies through e-commerce operators u/s 9(5)", "inum", "idt", None, None,
            False, False, False, "Invoice", ("ecom", "e_b2b", "e_c2b")),
    Section("ecoma", "ECOA", "Amended e-commerce operator documents", "inum", "idt", "oinum", "oidt",
            False, True, False, "Invoice", ("ecoma", "e_b2ba", "e_c2ba")),
)

BY_KEY: dict[str, Section] = {section.key: section for section in SECTIONS}
BY_SHEET: dict[str, Section] = {section.sheet: section for section in SECTIONS}

# Status labels as the dropdown shows them, and the portal's one-letter codes.
ACTION_LABELS: dict[str, str] = {"A": "Accept", "R": "Reject", "P": "Pending", "N": "No Action"}
# The order statuses are counted and listed in (Home, summary, the dashboard): No Action first, as the portal does.
STATUS_ORDER = ("N", "A", "R", "P")
ITC_LABELS: dict[str, str] = {"Y": "Yes", "N": "No"}

# Sheet geometry shared by every section sheet.
TITLE_ROW = 1  # 1-based rows, as Excel numbers them
HELP_ROW = 2
HEADER_ROW = 4
FIRST_DATA_ROW = 5

# Columns the user types into. Everything else on a section sheet is written by the tool.
INPUT_FIELDS = ("status", "itc", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess", "remarks")
DECLARED_FIELDS = ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess")
TAX_FIELDS = ("iamt", "camt", "samt", "cess")
# Each declared head is capped by the supplier's tax of the same head.
DECLARED_TAX_HEAD = {"decl_igst": "iamt", "decl_cgst": "camt", "decl_sgst": "samt", "decl_cess": "cess"}


def _columns(section: Section) -> tuple[Column, ...]:
    return _COLUMN_CACHE[section.key]


def _build_columns(section: Section) -> tuple[Column, ...]:
    noun = "Note" if section.is_note else "Invoice"
    columns: list[Column] = []
    if section.is_amendment:
        columns += [
            Column("original_number", f"Original {noun} Number", Kind.TEXT, 18, highlighted=True),
            Column("original_date", f"Original {noun} Date", Kind.DATE, 12),
        ]
    columns += [
        Column("stin", "GSTIN of Supplier", Kind.TEXT, 17, highlighted=True),
        Column("tradenm", "Trade/Legal Name", Kind.TEXT, 28),
        Column("number", f"{noun} Number", Kind.TEXT, 18, highlighted=True),
    ]
    if section.has_supply_type:
        columns.append(Column("inv_typ", "Supply Type", Kind.TEXT, 8))
    columns += [
        Column("date", f"{noun} Date", Kind.DATE, 12, highlighted=True),
        # Money widths fit crores: 99,99,99,999.99.
        Column("val", f"{noun} Value", Kind.MONEY, 17, highlighted=True, compared=True),
        Column("status", "Status", Kind.LABEL, 12, editable=True, highlighted=True),
        # What the user reads to decide, beside Status (layout 2); the portal's columns keep their order.
        Column("suggested_action", "Suggested Action", Kind.LABEL, 12),
        Column("match_status", "Match Status", Kind.LABEL, 14),  # one of layout.RECON_RESULTS
        Column("pos", "Place of Supply", Kind.TEXT, 8, compared=True),
        Column("txval", "Taxable Value", Kind.MONEY, 17, highlighted=True, compared=True),
        Column("iamt", "IGST", Kind.MONEY, 15, highlighted=True, compared=True),
        Column("camt", "CGST", Kind.MONEY, 15, highlighted=True, compared=True),
        Column("samt", "SGST", Kind.MONEY, 15, highlighted=True, compared=True),
        Column("cess", "Cess", Kind.MONEY, 15, highlighted=True, compared=True),
    ]
    if section.takes_itc_declaration:
        columns += [
            Column("itc", "ITC to be reduced", Kind.LABEL, 10, editable=True, highlighted=True),
            Column("decl_igst", "Declared IGST", Kind.MONEY, 15, editable=True, highlighted=True),
            Column("decl_cgst", "Declared CGST", Kind.MONEY, 15, editable=True, highlighted=True),
            Column("decl_sgst", "Declared SGST", Kind.MONEY, 15, editable=True, highlighted=True),
            Column("decl_cess", "Declared Cess", Kind.MONEY, 15, editable=True, highlighted=True),
        ]
    columns += [
        Column("remarks", "Remarks", Kind.TEXT, 30, editable=True, highlighted=True),
        Column("srcform", "Source", Kind.TEXT, 8),
        Column("rtnprd", "Source Return Period", Kind.TEXT, 10),
        Column("srcfilstatus", "Source Filing Status", Kind.TEXT, 10),
        Column("sheet_errors", "Sheet Validation Errors", Kind.TEXT, 50, wrapped=True),
        Column("portal_errors", "GST Portal Validation Errors", Kind.TEXT, 40, wrapped=True),
        Column("previous_status", "Previous Status", Kind.LABEL, 12),
        Column("pending_blocked", "Pending Blocked", Kind.LABEL, 8),
        Column("remarks_blocked", "Remarks Blocked", Kind.LABEL, 8),
    ]
    if section.takes_itc_declaration:
        columns.append(Column("itc_blocked", "ITC Declaration Blocked", Kind.LABEL, 8))
    columns += [
        Column("books_tax", "Books Tax", Kind.MONEY, 15, signed=True),  # the purchase register's tax for the document
        Column("match_result", "Match Result", Kind.TEXT, 40, wrapped=True),
        Column("refresh_note", "Refresh Notes", Kind.TEXT, 40, wrapped=True),
        # The record exactly as downloaded, so the upload never depends on what Excel did to the
        # visible cells (rounding, dates, numbers turned to text or back).
        Column("record", "Portal Record", Kind.TEXT, 10, hidden=True),
    ]
    return tuple(columns)


_COLUMN_CACHE: dict[str, tuple[Column, ...]] = {s.key: _build_columns(s) for s in SECTIONS}

_MOVED_IN_LAYOUT_2 = ("suggested_action", "match_status")


def fields_of_layout(section: Section, layout: int) -> tuple[str, ...]:
    """A section sheet's fields, column by column, in an earlier layout (files.upgrade moves them).

    Layout 1 (the releases up to 213ee6d) had Suggested Action and Match Status after the blocked
    flags, just before Books Tax; the headers were the same."""
    fields = [column.field for column in section.columns]
    if layout >= 2:
        return tuple(fields)
    kept = [name for name in fields if name not in _MOVED_IN_LAYOUT_2]
    at = kept.index("books_tax")
    return tuple(kept[:at] + list(_MOVED_IN_LAYOUT_2) + kept[at:])


def section_for_error_key(key: str) -> Section | None:
    """The section a key of a GSP ``error_report`` or an error file refers to."""
    lowered = key.lower()
    for section in SECTIONS:
        if lowered in section.error_report_keys:
            return section
    return None
