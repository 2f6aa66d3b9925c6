"""What to ask each supplier to fix: the rows of the supplier follow-up pack, built from a book.

A document needs the supplier when the user rejected it or kept it pending in IMS, when
reconciliation found its amounts differ from the books, or when it is in the books but the
supplier never uploaded it (the book's "Not in IMS" sheet). Without a reconciliation only the
first two exist. Pure: ``ims_xl.commands.suppliers`` writes the files.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .amounts import indian_money
from .book import BookState, Entry, is_blank, parse_amount, text_or_none
from .dates import DOCUMENT_SERIALS, from_serial, portal_date
from .layout import AMOUNTS_DIFFER as _AMOUNTS_DIFFER
from .layout import DUPLICATE_IN_REGISTER, NOT_READ_FROM_REGISTER, Table
from .sections import SECTIONS, Column, Kind
from .summary import current_action, entry_tax

REJECTED, PENDING, NOT_IN_IMS, AMOUNTS_DIFFER = "Rejected", "Pending", "Not in IMS", "Amounts Differ"
KINDS = (REJECTED, PENDING, NOT_IN_IMS, AMOUNTS_DIFFER)  # the order of the count columns
NOT_UPLOADED = "Not uploaded by the supplier"

SUPPLIERS_SHEET, DOCUMENTS_SHEET = "Suppliers", "Documents"
_MONEY_WIDTH = 16  # "1,71,24,417.99" and the filter button

# The pack's two sheets, described as the book's tables are (``layout.Table``); the Suppliers sheet's
# title is the client's (``suppliers_table``).
SUPPLIERS_TABLE = Table(SUPPLIERS_SHEET, "Supplier follow-up", 3, (
    Column("gstin", "GSTIN of Supplier", Kind.TEXT, 18),
    Column("name", "Trade/Legal Name", Kind.TEXT, 30),
    *(Column(kind.lower().replace(" ", "_"), kind, Kind.COUNT, 11) for kind in KINDS),
    Column("tax_at_stake", "Tax at Stake", Kind.MONEY, _MONEY_WIDTH),
), totals=True)
DOCUMENTS_TABLE = Table(DOCUMENTS_SHEET, "", 1, (
    Column("gstin", "GSTIN of Supplier", Kind.TEXT, 18),
    Column("name", "Trade/Legal Name", Kind.TEXT, 30),
    Column("section", "Section", Kind.TEXT, 9),
    Column("number", "Document Number", Kind.TEXT, 20),
    Column("date", "Document Date", Kind.DATE, 13),
    Column("ims_tax", "IMS Tax", Kind.MONEY, _MONEY_WIDTH),
    Column("books_tax", "Books Tax", Kind.MONEY, _MONEY_WIDTH),
    Column("kind", "Status", Kind.TEXT, 15),
    Column("reason", "Reason", Kind.TEXT, 70, wrapped=True),
))
SUPPLIER_HEADERS = SUPPLIERS_TABLE.headers
DOCUMENT_HEADERS = DOCUMENTS_TABLE.headers
MAIL_MERGE_HEADERS = ("GSTIN", "Name", "Email", *KINDS, "Tax at Stake", "Letter")  # Email: for the user to fill


@dataclass(frozen=True)
class Sender:
    """Who the letters are from: the client, its GSTIN and return period, and who signs."""

    client: str  # the client's name
    gstin: str | None = None
    period: str | None = None  # MMYYYY, as on Home
    firm: str | None = None  # the CA firm that signs for the client

    @classmethod
    def of(cls, state: BookState, client: str, firm: str | None = None) -> Sender:
        return cls(client=client, gstin=state.home.gstin or None, period=state.home.period or None,
                   firm=(firm or "").strip() or None)

    @property
    def period_words(self) -> str | None:
        return period_words(self.period)

    @property
    def described(self) -> str:
        """"Acme Traders (GSTIN 27AAPFU0939F1ZV), return period October 2025"."""
        text = self.client + (f" (GSTIN {self.gstin})" if self.gstin else "")
        return text + (f", return period {self.period_words}" if self.period_words else "")


def period_words(period: str | None) -> str | None:
    """"102025" -> "October 2025"; None when it is no readable return period (MMYYYY)."""
    text = (period or "").strip()
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[:2]) <= 12:
        return None
    return f"{calendar.month_name[int(text[:2])]} {text[2:]}"


def suppliers_table(sender: Sender) -> Table:
    """The Suppliers sheet with its heading: whose follow-up, for which period."""
    return replace(SUPPLIERS_TABLE, title=f"Supplier follow-up: {sender.described}")


_SHEET_OF_TYPE = {section.document_type: section.sheet for section in SECTIONS if not section.original_number_key
                  and section.key != "ecom"}
_ZERO = Decimal(0)


@dataclass(frozen=True)
class FollowUpDocument:
    """One row of the Documents sheet."""

    gstin: str
    name: str
    section: str  # the section sheet ("B2B", "B2B-CN", ...)
    document_type: str  # "Invoice", "Credit Note", "Debit Note", for the letter
    number: str
    day: date | None
    written_date: str  # the date as the source had it, when it is not a date
    ims_tax: Decimal | None  # None: not in IMS
    books_tax: Decimal | None  # None: not known (no reconciliation, or not in the books)
    kind: str  # one of KINDS
    reason: str

    @property
    def tax_at_stake(self) -> Decimal:
        """The credit held up: the IMS tax, the books' tax when the supplier never uploaded, or the gap."""
        if self.kind == NOT_IN_IMS:
            return self.books_tax or _ZERO
        if self.kind == AMOUNTS_DIFFER and self.books_tax is not None and self.ims_tax is not None:
            return abs(self.books_tax - self.ims_tax)
        return self.ims_tax or _ZERO

    def cells(self) -> list[Any]:
        return [self.gstin, self.name, self.section, self.number, self.day or (self.written_date or None),
                self.ims_tax, self.books_tax, self.kind, self.reason]


@dataclass
class SupplierFollowUp:
    """One supplier with everything to ask of them."""

    gstin: str
    name: str
    documents: list[FollowUpDocument] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for document in self.documents if document.kind == kind)

    @property
    def tax_at_stake(self) -> Decimal:
        return sum((document.tax_at_stake for document in self.documents), _ZERO)

    def cells(self) -> list[Any]:
        return [self.gstin, self.name, *(self.count(kind) for kind in KINDS), self.tax_at_stake]

    def mail_merge_cells(self, sender: Sender | None = None) -> list[Any]:
        return [self.gstin, self.name, "", *self.cells()[2:], letter(self, sender)]


def follow_up(state: BookState) -> list[SupplierFollowUp]:
    """Suppliers with something to follow up, the most tax at stake first; their documents in order."""
    names = {entry.record.model.stin.strip().upper(): entry.record.model.tradenm or ""
             for entry in state.all_entries() if entry.record.model.tradenm}
    suppliers: dict[str, SupplierFollowUp] = {}

    def add(document: FollowUpDocument) -> None:
        supplier = suppliers.setdefault(document.gstin, SupplierFollowUp(document.gstin, document.name))
        supplier.name = supplier.name or document.name
        supplier.documents.append(document)

    for entry in state.all_entries():
        document = _ims_document(entry)
        if document is not None:
            add(document)
    for row in state.not_in_ims:
        document = _register_document(row, names)
        if document is not None:
            add(document)
    for supplier in suppliers.values():
        supplier.documents.sort(key=lambda d: (KINDS.index(d.kind), d.day or date.min, d.number))
    return sorted(suppliers.values(), key=lambda s: (-s.tax_at_stake, s.gstin))


def _ims_document(entry: Entry) -> FollowUpDocument | None:
    action = current_action(entry)
    bucket = entry.match_status
    remarks = text_or_none(entry.remarks) or ""
    if action == "R":
        kind, reason = REJECTED, remarks
    elif bucket == _AMOUNTS_DIFFER:
        kind, reason = AMOUNTS_DIFFER, entry.match_result + (f"; remarks: {remarks}" if remarks else "")
    elif action == "P":
        kind, reason = PENDING, remarks
    else:
        return None
    record, model = entry.record, entry.record.model
    ims_tax = entry_tax(entry)
    return FollowUpDocument(
        gstin=model.stin.strip().upper(), name=model.tradenm or "", section=entry.section.sheet,
        document_type=entry.section.document_type, number=record.number, day=portal_date(record.date),
        written_date=record.date, ims_tax=ims_tax, books_tax=entry.books_tax,
        kind=kind, reason=reason,
    )


def _register_document(row: dict[str, Any], names: dict[str, str]) -> FollowUpDocument | None:
    """A "Not in IMS" row (fields of layout.NOT_IN_IMS_TABLE); None for duplicates and blank rows."""
    gstin, number, day, document_type = row.get("stin"), row.get("number"), row.get("date"), row.get("document_type")
    # A second copy of the same document in the register is not asked for twice; a row that could
    # not be read is the firm's to fix, not the supplier's. (A book reconciled
    # before "Kind of Row" existed has none: its rows are all asked for until the next reconciliation.)
    if is_blank(gstin) or is_blank(number) or row.get("row_kind") in (DUPLICATE_IN_REGISTER, NOT_READ_FROM_REGISTER):
        return None
    books = sum((_amount(row.get(head)) for head in ("iamt", "camt", "samt", "cess")), _ZERO)
    kind_of_document = str(document_type or "Invoice").strip() or "Invoice"
    gstin_text = str(gstin).strip().upper()
    return FollowUpDocument(
        gstin=gstin_text, name=names.get(gstin_text, ""),
        section=_SHEET_OF_TYPE.get(kind_of_document, "B2B"), document_type=kind_of_document,
        number=text_or_none(number) or "", day=_as_date(day),
        written_date="" if _as_date(day) else (text_or_none(day) or ""),
        ims_tax=None, books_tax=books, kind=NOT_IN_IMS, reason=NOT_UPLOADED,
    )


def _amount(value: Any) -> Decimal:
    try:
        return parse_amount(value) or _ZERO
    except ValueError:
        return _ZERO


def _as_date(value: Any) -> date | None:
    """A "Not in IMS" date: a date, or the day number Excel stores (the sheet may show it unformatted)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        return from_serial(value, window=DOCUMENT_SERIALS)
    return None


# --- the letter -------------------------------------------------------------------------------

_WHAT_IS_NEEDED = {
    REJECTED: ("Documents we have rejected in IMS",
               "please correct each one by amending it in your next GSTR-1/IFF (or GSTR-1A), or issue a "
               "credit note where the supply did not take place"),
    PENDING: ("Documents we have kept pending in IMS",
              "please send us the clarification noted against each, or amend it in your GSTR-1/IFF (or GSTR-1A)"),
    AMOUNTS_DIFFER: ("Documents whose amounts differ from our books",
                     "please check them with your records and amend them in your GSTR-1/IFF (or GSTR-1A), or "
                     "issue a credit note or debit note for the difference"),
    NOT_IN_IMS: ("Documents in our books that you have not uploaded",
                 "please upload each missing document in your next GSTR-1/IFF (or GSTR-1A), so that the credit "
                 "reaches our GSTR-2B"),
}
_LETTER_ORDER = (REJECTED, PENDING, AMOUNTS_DIFFER, NOT_IN_IMS)


def letter(supplier: SupplierFollowUp, sender: Sender | None = None) -> str:
    """The body of a letter to the supplier, in plain English, ready for mail merge: from the client
    (named, with its GSTIN and period, when ``sender`` says), signed by the firm or the client."""
    addressee = supplier.name or f"GSTIN {supplier.gstin}"
    ours = f"the input tax credit of {sender.described}" if sender else "our input tax credit"
    lines = [
        f"Dear {addressee},",
        "",
        f"While reconciling {ours} with the Invoice Management System (IMS) on the GST portal, "
        f"we found the following documents from you (GSTIN {supplier.gstin}) that need your attention.",
    ]
    for kind in _LETTER_ORDER:
        documents = [document for document in supplier.documents if document.kind == kind]
        if not documents:
            continue
        heading, request = _WHAT_IS_NEEDED[kind]
        lines += ["", f"{heading}: {request}."]
        for number, document in enumerate(documents, start=1):
            lines.append(f"{number}. {_describe(document)}")
    lines += [
        "",
        f"Input tax credit of Rs. {indian_money(supplier.tax_at_stake)} is held up until these are resolved. Kindly "
        "make the corrections in your next return and confirm them to us by reply, or send us the supporting "
        "documents if you believe our records are wrong.",
        "",
        "Thank you for your co-operation.",
        "",
        "Regards,",
        *_signature(sender),
    ]
    return "\n".join(lines)


def _signature(sender: Sender | None) -> list[str]:
    if sender is None:
        return []
    if sender.firm:
        return [sender.firm, f"for {sender.client}"]
    return [sender.client]


def _describe(document: FollowUpDocument) -> str:
    when = document.day.strftime("%d-%m-%Y") if document.day else document.written_date
    text = f"{document.document_type} {document.number}" + (f" dated {when}" if when else "")
    taxes = []
    if document.ims_tax is not None:
        taxes.append(f"tax Rs. {indian_money(document.ims_tax)} in IMS")
    if document.books_tax is not None and (document.kind in (NOT_IN_IMS, AMOUNTS_DIFFER)):
        taxes.append(f"Rs. {indian_money(document.books_tax)} in our books")
    if taxes:
        text += f" ({', '.join(taxes)})"
    if document.kind == NOT_IN_IMS:
        return text
    return f"{text}: {document.reason}" if document.reason else text
