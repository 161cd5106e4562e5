"""JSON at the edges: compact serialisation as AWS prints it, fast parsing.

orjson does the work; the standard library is the fallback for the values orjson
refuses (integers beyond 64 bits), which JSON allows and AWS accepts.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    """Compact JSON text (no spaces), as AWS renders inputs and outputs."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dumps_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(text: str | bytes) -> Any:
    """Parse JSON text; raises ValueError when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson rejects integers beyond 64 bits and some edge cases json accepts.
        return json.loads(text)


def json_type_name(value: Any) -> str:
    """The JSON type AWS names in causes: object, array, string, number, boolean, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
