"""A line of the client's purchase register, as the core sees it once a reader has parsed the file.

Pure: ``files.register`` reads the file; ``register_groups`` joins a document's lines;
``reconcile`` matches them with the IMS records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

DOCUMENT_TYPES = ("Invoice", "Credit Note", "Debit Note")

Amounts = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]  # in the order of HEADS


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One line of the purchase register, as read from the file."""

    supplier_gstin: str  # upper case, stripped
    number: str  # as written in the register
    date: date | None
    document_type: str  # one of DOCUMENT_TYPES
    taxable: Decimal
    igst: Decimal
    cgst: Decimal
    sgst: Decimal
    cess: Decimal
    source_row: int  # 1-based row in the register file
    merged_rows: tuple[int, ...] = ()  # every row summed into this document, when it spans several rows

    def __post_init__(self) -> None:
        if self.document_type not in DOCUMENT_TYPES:
            raise ValueError(f"{self.document_type!r} is not one of {', '.join(DOCUMENT_TYPES)}")

    @property
    def amounts(self) -> Amounts:
        return (self.taxable, self.igst, self.cgst, self.sgst, self.cess)

    @property
    def tax(self) -> Decimal:
        return self.igst + self.cgst + self.sgst + self.cess


# Leading zeros of a digit run (keeping the last digit) or a run of spaces and punctuation. One
# pass with no Python callback: this runs for every record on both sides.
_NOT_SIGNIFICANT = re.compile(r"(?<![0-9])0+(?=[0-9])|[\W_]+")


def normalise_number(text: str) -> str:
    """The form of a document number used for matching: "INV/2024/0891" -> "INV2024891".

    Upper case, every run of digits without its leading zeros ("000" -> "0"), then spaces and
    punctuation dropped. Zeros go before separators do, so "INV/2024/0891" and "inv-2024-891"
    agree. The price is ambiguity: "A-1-23" and "A/12/3" both become "A123". That is accepted
    because a match also needs the same supplier, document type and financial year.
    """
    return _NOT_SIGNIFICANT.sub("", str(text).upper())


@dataclass(frozen=True, slots=True)
class RegisterProblem:
    """A register cell that could not be read. Its row is left out of the matching; the others are
    matched, and every problem is listed at once (the command's output and the Not in IMS sheet).
    Readers append to one list of these, whatever the cause (a bad value, a formula with no value)."""

    where: str  # the file, and the sheet when a workbook holds several registers: "register.xlsx, sheet b2b"
    row: int  # 1-based, as the spreadsheet shows it
    column: str  # the register column, as the template names it: "IGST", "Document Date"
    reason: str  # "'18 rupees' is not an amount"
    sheet: str | None = None  # the workbook's sheet; None for a CSV
    supplier_gstin: str = ""  # as written, when readable: to find the row on the Not in IMS sheet
    number: str = ""

    def line(self) -> str:
        return f"{self.where} row {self.row}, {self.column}: {self.reason}"
