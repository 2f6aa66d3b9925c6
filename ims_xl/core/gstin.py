"""GSTIN format and check character (domain doc §10.1, decisions D5 and D6)."""

from __future__ import annotations

import re

from stdnum import luhn

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Formats from GSTN's API documentation: normal taxpayer, government department, TDS, TCS (ECO),
# UIN, NRI and OIDAR registrations. python-stdnum's validate() is stricter (it rejects Ladakh, 38,
# and TDS/TCS numbers), so only its checksum is used.
_FORMATS = tuple(
    re.compile(pattern)
    for pattern in (
        r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9ABD-J][0-9A-Z]",
        r"[0-9]{2}[A-Z]{4}[0-9]{5}[A-Z][0-9]Z[0-9]",
        r"[0-9]{2}[A-Z]{4}[A-Z0-9][0-9]{4}[A-Z][1-9A-Z]D[0-9A-Z]",
        r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]C[0-9A-Z]",
        r"[0-9]{4}[A-Z]{3}[0-9]{5}[UO]N[A-Z0-9]",
        r"[0-9]{4}[A-Z]{3}[0-9]{5}NR[0-9A-Z]",
        r"99[0-9]{2}[A-Z]{3}[0-9]{5}OS[0-9A-Z]",
    )
)


def gstin_problem(value: str | None) -> str | None:
    """Why a GSTIN is not valid, or None when it is."""
    text = (value or "").strip().upper()
    if not text:
        return "is empty"
    if len(text) != 15:
        return f"{text!r} has {len(text)} characters; a GSTIN has 15"
    if not any(pattern.fullmatch(text) for pattern in _FORMATS):
        return f"{text!r} is not in a GSTIN format"
    if not luhn.is_valid(text, _ALPHABET):
        return f"{text!r} fails the GSTIN check character"
    return None


def is_valid_gstin(value: str | None) -> bool:
    return gstin_problem(value) is None


def with_check_character(first14: str) -> str:
    """Complete 14 characters to a GSTIN with its check character (for fixtures and benchmarks)."""
    return first14 + luhn.calc_check_digit(first14, _ALPHABET)
