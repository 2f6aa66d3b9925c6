"""Register rows that are one document: an invoice booked over several tax rates.

Accounting exports (Tally's GSTR-2, GSTN's GSTR-2 template, Busy) write one row per invoice per
tax rate. Rows with the same supplier GSTIN, document type, normalised document number and
document date are one document; their amounts are added up before it is compared with IMS.
``reconcile`` calls this first.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from .purchases import RegisterEntry, normalise_number

DocumentKey = tuple[str, str, str, date | None]


def document_key(line: RegisterEntry) -> DocumentKey:
    return (line.supplier_gstin, line.document_type, normalise_number(line.number), line.date)


def group_register(lines: list[RegisterEntry]) -> list[RegisterEntry]:
    """One entry per document, in the order documents first appear.

    A document made of one row is that row unchanged. A document of several rows carries the
    sums of their amounts (Decimal, exact), the first row's number as written and its
    ``source_row``, and every row in ``merged_rows``.
    """
    groups: dict[DocumentKey, list[RegisterEntry]] = {}
    for line in lines:
        groups.setdefault(document_key(line), []).append(line)
    return [rows[0] if len(rows) == 1 else _merge(rows) for rows in groups.values()]


def _merge(rows: list[RegisterEntry]) -> RegisterEntry:
    first = rows[0]
    return replace(
        first,
        taxable=sum((row.taxable for row in rows), Decimal(0)),
        igst=sum((row.igst for row in rows), Decimal(0)),
        cgst=sum((row.cgst for row in rows), Decimal(0)),
        sgst=sum((row.sgst for row in rows), Decimal(0)),
        cess=sum((row.cess for row in rows), Decimal(0)),
        merged_rows=tuple(row.source_row for row in rows),
    )
