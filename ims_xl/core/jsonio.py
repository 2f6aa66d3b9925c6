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
