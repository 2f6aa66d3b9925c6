"""Amounts: what counts as a number in a typed cell, and how the tool writes one as text.

Text is read as an amount only when its digit grouping is valid Indian (``1,23,456.78``) or
Western (``123,456.78``), or it has no grouping at all (``123456.78``). ``2,50`` or ``1,2,3`` may be
a decimal comma or a slip, and reading either as 250 or 123 would send a wrong amount, so they
are errors. A negative zero is zero: the portal is never sent ``-0.00``.

Every amount the tool writes as text (messages, Match Result, Refresh Notes, letters, the command
line) goes through ``indian_money``: an Indian CA reads ``1,71,24,417.99``, not ``17,124,417.99``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_PLAIN = r"\d+(?:\.\d*)?|\.\d+"
_INDIAN = r"\d{1,2}(?:,\d{2})*,\d{3}"  # 1,23,456 and 12,34,56,789; also 1,234
_WESTERN = r"\d{1,3}(?:,\d{3})+"  # 123,456 and 1,234,567
_PAISE = Decimal("0.01")
_AMOUNT_TEXT = re.compile(rf"[+-]?(?:{_PLAIN}|(?:{_INDIAN}|{_WESTERN})(?:\.\d*)?)")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_amount(value: Any) -> Decimal | None:
    """A typed amount as Decimal; blank -> None. Raises ValueError for anything else.

    Excel hands numbers over as binary floats; their shortest repr is what the user typed.
    """
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        text = str(value).strip()
        if not _AMOUNT_TEXT.fullmatch(text):
            reason = " (digits grouped wrongly: write 1,23,456.78 or 123,456.78)" if "," in text else ""
            raise ValueError(f"{value!r} is not an amount{reason}")
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimal numbers
            raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    if amount.is_zero() and amount.is_signed():
        amount = amount.copy_abs()  # "-0" is zero; the upload must not say -0.00
    return amount


# A register's amount as accounting software exports it: "₹ 1,23,456.00", "Rs. 18,000", "18,000.00 Dr".
_CURRENCY = re.compile(r"^(?:₹|rs\.?|inr)\s*", re.IGNORECASE)
_SIDE = re.compile(r"\s*(?<![a-z])(cr|dr)\.?$", re.IGNORECASE)


def parse_register_amount(value: Any) -> Decimal | None:
    """A purchase register's amount: what ``parse_amount`` reads, also with a rupee sign or "Rs."
    in front, spaces around, and a "Dr" or "Cr" after it. Blank -> None; ValueError for the rest.

    The register is the buyer's books: a purchase debits the purchase and input-tax ledgers, so
    "Dr" is the document's own amount and "Cr" the reverse side, read as negative (as a minus sign
    would be). A credit note booked with "Cr" amounts therefore matches its IMS credit note the
    way one booked with negative amounts does (``core.reconcile``).
    """
    if not isinstance(value, str):
        return parse_amount(value)
    text = value.replace("\u00a0", " ").replace("\u202f", " ").strip()  # exports pad with no-break spaces
    side = _SIDE.search(text)
    if side:
        text = text[:side.start()].strip()
    bare = _CURRENCY.sub("", text).strip()
    if (side or bare != text) and not bare:  # "Cr" or "₹" with no number
        raise ValueError(f"{value!r} is not an amount")
    text = bare
    try:
        amount = parse_amount(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an amount") from None
    if amount is not None and side and side.group(1).lower() == "cr" and not amount.is_zero():
        amount = -amount
    return amount


def indian_money(amount: Decimal | int | float) -> str:
    """An amount in rupees with two decimals and Indian digit grouping: ``1,71,24,417.99``.

    The last three digits of the rupees form one group, the rest go in pairs (lakh, crore). A
    float (an Excel cell) is taken at its shortest repr, so 0.1 + 0.2 does not show as 0.30000004.
    Rounded half-up, as a person would; a negative zero shows as ``0.00``.
    """
    if isinstance(amount, float):
        amount = Decimal(repr(amount))
    value = Decimal(amount).quantize(_PAISE, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    rupees, paise = f"{abs(value):.2f}".split(".")
    head, tail = rupees[:-3], rupees[-3:]
    pairs: list[str] = []
    while head:
        head, pair = head[:-2], head[-2:]
        pairs.insert(0, pair)
    return f"{sign}{','.join([*pairs, tail])}.{paise}"
