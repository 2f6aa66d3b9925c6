"""Amounts typed in cells: what counts as a number, and what is an error on the cell.

Text is read as an amount only when its digit grouping is valid Indian (``1,23,456.78``) or
Western (``123,456.78``), or it has no grouping at all (``123456.78``). ``2,50`` or ``1,2,3`` may be
a decimal comma or a slip, and reading either as 250 or 123 would send a wrong amount, so they
are errors. A negative zero is zero: the portal is never sent ``-0.00``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_PLAIN = r"\d+(?:\.\d*)?|\.\d+"
_INDIAN = r"\d{1,2}(?:,\d{2})*,\d{3}"  # 1,23,456 and 12,34,56,789; also 1,234
_WESTERN = r"\d{1,3}(?:,\d{3})+"  # 123,456 and 1,234,567
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
