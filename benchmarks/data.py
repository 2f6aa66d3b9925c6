"""The synthetic inputs every benchmark measures on: an IMS download of N records over all eight
sections and a purchase register of N lines, the same files for the same seed.

The download: about 80% b2b, 8% b2bcn, 4% b2bdn, 3% b2ba, 2% b2bcna, 1% b2bdna, 1% ecom, 1% ecoma;
valid supplier GSTINs (a few thousand suppliers), document numbers as strings (some with leading
zeros), dd-mm-yyyy dates, two-decimal amounts and the portal's flags (0.5% of the numbers draw a
validator warning, as real data does). The register holds ~90% of those records (a few with other
amounts or differently written numbers), padded to exactly N lines with entries the supplier never
uploaded, so reconcile is N x N.
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable from a checkout where ims_xl is not installed
    sys.path.insert(0, str(ROOT))

from ims_xl.core import jsonio  # noqa: E402
from ims_xl.core.gstin import with_check_character  # noqa: E402
from ims_xl.core.sections import BY_KEY  # noqa: E402

SEED = 20251020
RECIPIENT = with_check_character("27AAPFU0939F1Z")
PERIOD = "102025"

# Share of records per section, as in a typical trading business's month.
SECTION_MIX = {"b2b": 0.80, "b2bcn": 0.08, "b2bdn": 0.04, "b2ba": 0.03, "b2bcna": 0.02, "b2bdna": 0.01,
               "ecom": 0.01, "ecoma": 0.01}
REGISTER_SHARE = 0.90  # IMS records also in the register
REGISTER_AMOUNT_DIFFERS = 0.05  # of those, booked with different amounts
REGISTER_NUMBER_RESTYLED = 0.03  # of those, number written differently (case, zeros, spaces)
REGISTER_EXTRA = 0.05  # at least this share of N in register lines with no IMS record (padded to N lines)

_CENT = Decimal("0.01")
_STATES = ("27", "27", "27", "27", "24", "29", "07", "33", "09", "19", "36", "06", "08", "32")
_WORDS = ("Shree", "Ganesh", "Sai", "Balaji", "Laxmi", "Om", "Jai", "Bharat", "Deccan", "Sahyadri", "Konkan",
          "Tumkur", "Chennai", "Hindustan", "National", "Royal", "Star", "Unique", "Global", "Vijay")
_TRADES = ("Traders", "Enterprises", "Steel", "Agro Foods", "Logistics", "Packaging", "Chemicals", "Textiles",
           "Electricals", "Pharma", "Tools Co", "Plastics", "Auto Parts", "Paper Mills", "Hardware")
_FORMS = ("Pvt Ltd", "LLP", "& Co", "", "", "Ltd")



# --- the synthetic download and register ------------------------------------------------------------


@dataclass(frozen=True)
class Supplier:
    gstin: str
    name: str
    prefix: str  # how this supplier numbers its documents
    style: int  # 0: PREFIX/2025/00042, 1: 000042 (leading zeros), 2: PREFIX-42, 3: 2025260000000042


def _letters(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(count))


def make_suppliers(rng: random.Random, count: int) -> list[Supplier]:
    suppliers: list[Supplier] = []
    seen: set[str] = set()
    while len(suppliers) < count:
        pan = f"{_letters(rng, 3)}{rng.choice('CFPH')}{_letters(rng, 1)}{rng.randrange(10_000):04d}{_letters(rng, 1)}"
        gstin = with_check_character(f"{rng.choice(_STATES)}{pan}{rng.choice('1112')}Z")
        if gstin in seen:
            continue
        seen.add(gstin)
        name = f"{rng.choice(_WORDS)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}".strip()
        suppliers.append(Supplier(gstin, name, _letters(rng, rng.choice((2, 3))), rng.randrange(4)))
    return suppliers


def _document_number(supplier: Supplier, serial: int, note: bool) -> str:
    prefix = f"{supplier.prefix}N" if note else supplier.prefix  # notes are numbered apart from invoices
    if supplier.style == 0:
        return f"{prefix}/2025/{serial:05d}"
    if supplier.style == 1:
        return f"{serial:06d}"
    if supplier.style == 2:
        return f"{prefix}-{serial}"
    return f"20252600{serial:08d}"


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _amount_or_zero(amount: Decimal) -> Decimal | int:
    return amount if amount else 0  # the portal writes untaxed heads as a bare 0


def make_download(n: int, seed: int = SEED) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """A download of ``n`` records and, in file order, (section key, record) for the register."""
    rng = random.Random(seed)
    suppliers = make_suppliers(rng, max(20, min(3_000, n // 30)))
    serials = {s.gstin: rng.randrange(1, 500) for s in suppliers}
    counts = {key: int(n * share) for key, share in SECTION_MIX.items()}
    counts["b2b"] += n - sum(counts.values())
    month_start = date(2025, 10, 1)
    sections: dict[str, list[dict[str, Any]]] = {}
    flat: list[tuple[str, dict[str, Any]]] = []
    for key, count in counts.items():
        section = BY_KEY[key]
        records: list[dict[str, Any]] = []
        for _ in range(count):
            supplier = rng.choice(suppliers)
            serials[supplier.gstin] += 1
            number = _document_number(supplier, serials[supplier.gstin], section.is_note)
            if rng.random() < 0.005:  # a few numbers the validator warns about
                number = number.replace("/", " ").replace("-", "_")
            day = month_start + timedelta(days=rng.randrange(31))
            record: dict[str, Any] = {"stin": supplier.gstin, "tradenm": supplier.name}
            if section.is_amendment:
                original_day = day - timedelta(days=rng.randrange(20, 90))
                assert section.original_number_key and section.original_date_key
                record[section.original_number_key] = number
                record[section.original_date_key] = original_day.strftime("%d-%m-%Y")
                if rng.random() < 0.3:
                    number += "A"
                day = original_day
            record[section.number_key] = number
            record[section.date_key] = day.strftime("%d-%m-%Y")
            if section.has_supply_type:
                record["inv_typ"] = rng.choices(("R", "SEWP", "SEWOP", "DE", "CBW"), (90, 2, 3, 4, 1))[0]
            taxable = _money(rng.randrange(10_000, 5_000_000) if key != "ecom" else rng.randrange(10_000, 500_000))
            rate = Decimal(rng.choice((5, 12, 18, 18, 18, 28)))
            tax = (taxable * rate / 100).quantize(_CENT)
            intra = supplier.gstin[:2] == RECIPIENT[:2]
            half = (tax / 2).quantize(_CENT)
            cess = (taxable * Decimal("0.12")).quantize(_CENT) if rate == 28 and rng.random() < 0.2 else Decimal(0)
            iamt, camt, samt = (Decimal(0), half, half) if intra else (tax, Decimal(0), Decimal(0))
            action = rng.choices("NAPR", (90, 6, 3, 1))[0]
            record.update({
                "val": taxable + iamt + camt + samt + cess, "pos": RECIPIENT[:2], "txval": taxable,
                "iamt": _amount_or_zero(iamt), "camt": _amount_or_zero(camt), "samt": _amount_or_zero(samt),
                "cess": _amount_or_zero(cess), "action": action,
            })
            if action == "P":
                record["remarks"] = "Awaiting delivery proof"
            record.update({
                "srcform": rng.choices(("R1", "IFF", "R1A"), (85, 10, 5))[0], "rtnprd": PERIOD,
                "srcfilstatus": rng.choices(("Filed", "Not Filed"), (80, 20))[0],
                "ispendactblocked": "Y" if rng.random() < 0.05 else "N",
                "isRemarksBlocked": "Y" if rng.random() < 0.02 else "N",
            })
            if section.takes_itc_declaration:
                record["isItcRedReqBlocked"] = "Y" if rng.random() < 0.3 else "N"
            if rng.random() < 0.5:
                record["hash"] = f"{rng.getrandbits(256):064x}"
            records.append(record)
            flat.append((key, record))
        sections[key] = records
    return {"gstin": RECIPIENT, "rtnprd": PERIOD, "imsDetails": sections}, flat


REGISTER_HEADERS = ("Supplier GSTIN", "Document Number", "Document Date", "Document Type", "Taxable Value",
                    "IGST", "CGST", "SGST", "Cess")


def _restyled(number: str, rng: random.Random) -> str:
    """The same number as an accountant might key it: other case, no leading zeros, spaces."""
    choice = rng.randrange(3)
    if choice == 0:
        return number.lower()
    if choice == 1:
        return number.lstrip("0") or number
    return number.replace("/", " / ")


def make_register(flat: Sequence[tuple[str, dict[str, Any]]], n: int, seed: int = SEED) -> list[list[str]]:
    """Register rows (header first): ~90% of the records, a few differing, padded with entries that
    have no IMS record to exactly N lines, so the reconcile is N records against N register lines."""
    rng = random.Random(seed + 1)
    rows: list[list[str]] = []
    for key, record in flat:
        if rng.random() >= REGISTER_SHARE:
            continue  # not booked yet
        section = BY_KEY[key]
        number = str(record[section.number_key])
        if rng.random() < REGISTER_NUMBER_RESTYLED:
            number = _restyled(number, rng)
        amounts = [Decimal(record[head]) for head in ("txval", "iamt", "camt", "samt", "cess")]
        if rng.random() < REGISTER_AMOUNT_DIFFERS:
            factor = Decimal(rng.choice(("0.9", "1.1", "1.02")))
            amounts = [(amount * factor).quantize(_CENT) for amount in amounts]
        rows.append([record["stin"], number, record[section.date_key], section.document_type,
                     *(f"{amount:.2f}" for amount in amounts)])
    suppliers = sorted({record["stin"] for _, record in flat})
    for serial in range(max(n - len(rows), int(n * REGISTER_EXTRA))):
        taxable = _money(rng.randrange(10_000, 2_000_000))
        tax = (taxable * Decimal("0.18")).quantize(_CENT)
        day = date(2025, 10, 1) + timedelta(days=rng.randrange(31))
        rows.append([rng.choice(suppliers), f"NU/{serial:06d}", day.strftime("%d-%m-%Y"), "Invoice",
                     f"{taxable:.2f}", f"{tax:.2f}", "0.00", "0.00", "0.00"])
    rng.shuffle(rows)
    return [list(REGISTER_HEADERS), *rows]


def write_inputs(directory: Path, n: int) -> tuple[Path, Path, int]:
    directory.mkdir(parents=True, exist_ok=True)
    document, flat = make_download(n)
    download = directory / "download.json"
    download.write_text(jsonio.dumps(document), encoding="utf-8")
    register = directory / "register.csv"
    rows = make_register(flat, n)
    with register.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return download, register, len(rows) - 1
