# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Strict JSON reading for request bodies and manifests.

Python's ``json`` accepts ``NaN``, ``Infinity`` and ``-Infinity`` and silently keeps the
last of two duplicate keys. Both would let a request the client did not mean reach the
model, so here the non-standard constants become a :class:`NonFinite` marker (the
validator then names the field that held it) and a duplicated key becomes a
:class:`DuplicateKeys` marker in place of its object. Integers are read as floats: the
model only takes floats, and an integer too long for a float reads as infinity (refused by
name) instead of raising deep inside the decoder.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH_ERROR = "JSON nested too deeply"


class StrictJSONError(ValueError):
    """Text that is not one well-formed JSON document; the message gives the position."""


class NonFinite:
    """Stands in for ``NaN``/``Infinity``/``-Infinity`` so validation can name the field."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return f"NonFinite({self.token})"


class DuplicateKeys:
    """Stands in for an object that named a key more than once."""

    __slots__ = ("keys",)

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def __repr__(self) -> str:
        return f"DuplicateKeys({self.keys})"


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any] | DuplicateKeys:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dupes: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                dupes.add(key)
            seen.add(key)
        return DuplicateKeys(sorted(dupes))
    return obj


_DECODER = json.JSONDecoder(parse_constant=NonFinite, parse_int=float, object_pairs_hook=_pairs)


def loads(text: str) -> Any:
    """Parse one JSON document; raise :class:`StrictJSONError` naming line and column."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise StrictJSONError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise StrictJSONError(MAX_DEPTH_ERROR) from None


def contains_marker(value: Any) -> bool:
    """Whether a parsed document holds a NaN/Infinity or duplicate-key marker anywhere."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, NonFinite | DuplicateKeys):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
