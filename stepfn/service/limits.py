"""Bounds on what a request may carry, so no input can exhaust the server.

JSON texts (definitions, execution inputs, task outputs, TestState fields) are parsed
and then walked by recursive code; Python's recursion limit is about 1,000 frames, so a
text nested deeper than ``MAX_JSON_DEPTH`` is refused up front with the operation's own
error code instead of failing inside the engine.
"""

from __future__ import annotations

import re
from itertools import accumulate

# Far beyond any real document (a definition nests about four levels per Parallel or
# Map), well within what the validator, the engine and JSONata can walk.
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
    return json_depth(text) > MAX_JSON_DEPTH


def depth_message() -> str:
    return f"JSON nesting depth exceeds the maximum of {MAX_JSON_DEPTH}"
