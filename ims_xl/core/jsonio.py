"""JSON with exact money: Decimal in, the same digits out (decision D4).

The standard encoder cannot write a Decimal as a JSON number, so each Decimal is first written as a
marked string and the marks are then taken off; the C encoder does the rest at full speed.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\ue000"  # a private-use character: never in portal text
_MARKED_NUMBER = re.compile(f'"{_MARK}(-?[0-9][0-9.Ee+-]*){_MARK}"')


def _mark_decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number JSON can hold")
        return f"{_MARK}{value}{_MARK}"  # str() keeps the digits as read: 142700.00 stays 142700.00
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(document: Any, *, indent: int | None = None) -> str:
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(document, default=_mark_decimal, ensure_ascii=False, indent=indent,
                      separators=separators)
    return _MARKED_NUMBER.sub(r"\1", text)


_encode_text = json.encoder.encode_basestring  # what dumps uses for text with ensure_ascii=False (C)
_KEY_TEXTS: dict[str, str] = {}  # '"stin":' for each key seen: records repeat some thirty keys


def dumps_record(record: dict[str, Any]) -> str:
    """``dumps(record)`` of a flat record (text, whole numbers, Decimals, flags, null): the same
    text, a few times faster. Every book write encodes each hidden record once; anything else in
    the record (a nested object, a float) goes to ``dumps``."""
    parts = []
    for key, value in record.items():
        kind = type(value)
        if kind is str:
            text = _encode_text(value)
        elif kind is Decimal:
            if not value.is_finite():
                raise ValueError(f"{value} is not a number JSON can hold")
            text = str(value)
        elif kind is int:
            text = int.__repr__(value)
        elif value is None:
            text = "null"
        elif kind is bool:
            text = "true" if value else "false"
        else:
            return dumps(record)
        key_text = _KEY_TEXTS.get(key) if type(key) is str else None
        if key_text is None:
            if type(key) is not str:
                return dumps(record)
            key_text = _encode_text(key) + ":"
            if len(_KEY_TEXTS) < 4096:
                _KEY_TEXTS[key] = key_text
        parts.append(key_text + text)
    return "{" + ",".join(parts) + "}"


class DuplicateKeyError(ValueError):
    """One JSON object names the same key twice: the standard parser would silently keep the last."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice in one object")
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


def loads(text: str) -> Any:
    """Parse JSON keeping every fraction as a Decimal; integers stay int.

    Raises DuplicateKeyError (a ValueError) when an object repeats a key.
    """
    return json.loads(text, parse_float=Decimal, object_pairs_hook=_unique_keys)
