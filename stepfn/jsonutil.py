"""JSON at the edges: compact serialisation as AWS prints it, fast parsing.

orjson does the work; the standard library is the fallback for the values orjson
refuses (integers beyond 64 bits), which JSON allows and AWS accepts.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
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


# -- nesting depth ---------------------------------------------------------------------
# JSON texts (definitions, execution inputs, task outputs, TestState fields) are parsed
# and then walked by recursive code; Python's recursion limit is about 1,000 frames, so a
# text nested deeper than ``MAX_JSON_DEPTH`` is refused up front (the definition loader,
# the API's input checks) instead of failing inside the engine. Far beyond any real
# document (a definition nests about four levels per Parallel or Map), well within what
# the validator, the engine and JSONata can walk.
MAX_JSON_DEPTH = 256

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (0 for a scalar); brackets inside
    strings do not count. Linear, without recursion, whatever the text holds."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def too_deep(text: str) -> bool:
    """Whether ``text`` nests deeper than ``MAX_JSON_DEPTH``."""
    # Fewer opening brackets than the limit cannot nest beyond it: the usual case,
    # decided by two counts at memory speed, without the scan.
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    return json_depth(text) > MAX_JSON_DEPTH


def depth_message() -> str:
    return f"JSON nesting depth exceeds the maximum of {MAX_JSON_DEPTH}"
