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

# One token: a string (escapes included; an unterminated one runs to the end of the
# text, so the scan never restarts inside it: restarting at every quote of an
# unterminated string of escaped quotes is what made an earlier two-regex scan
# quadratic: 64,001 characters took 10.6 s), or a run of characters that are neither
# quotes nor brackets. Possessive quantifiers (``++``, ``*+``) give nothing back, so
# each character is read once. What is left after removing every token is the brackets
# outside strings. (benchmarks/input_checks.py times it against orjson.loads.)
_NOT_A_BRACKET = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[^"\[\]{}]++', re.DOTALL)
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
_CHUNK = 4096  # brackets summed per step: a deep text is refused after its first steps


def json_depth(text: str, stop_above: int | None = None) -> int:
    """How deeply arrays and objects nest in ``text`` (0 for a scalar); brackets inside
    strings do not count. One linear pass in C, without recursion, whatever the text
    holds (it need not be valid JSON: the parser judges that afterwards). With
    ``stop_above``, the count may stop at the first depth beyond it."""
    brackets = _NOT_A_BRACKET.sub("", text)
    depth = peak = 0
    for start in range(0, len(brackets), _CHUNK):
        running = list(accumulate(map(_DELTA.__getitem__, brackets[start:start + _CHUNK]),
                                  initial=depth))
        peak, depth = max(peak, max(running)), running[-1]
        if stop_above is not None and peak > stop_above:
            break
    return peak


def too_deep(text: str) -> bool:
    """Whether ``text`` nests deeper than ``MAX_JSON_DEPTH``."""
    # Fewer opening brackets than the limit cannot nest beyond it (the usual case,
    # decided by two counts at memory speed, without the scan).
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    return json_depth(text, stop_above=MAX_JSON_DEPTH) > MAX_JSON_DEPTH


def depth_message() -> str:
    return f"JSON nesting depth exceeds the maximum of {MAX_JSON_DEPTH}"
