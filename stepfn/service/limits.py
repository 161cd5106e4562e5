"""Bounds on what a request may carry, so no input can exhaust the server.

JSON texts (definitions, execution inputs, task outputs, TestState fields) are parsed
and then walked by recursive code; Python's recursion limit is about 1,000 frames, so a
text nested deeper than ``MAX_JSON_DEPTH`` is refused up front with the operation's own
error code instead of failing inside the engine.

Every check here is linear in the text and runs in C (``re`` with possessive
quantifiers, which never backtrack, and ``itertools``), so no text can make a check
slower than parsing it: ``benchmarks/input_checks.py`` times them on the service
model's largest inputs against ``orjson.loads`` alone.
"""

from __future__ import annotations

import re
from itertools import accumulate

# Far beyond any real document (a definition nests about four levels per Parallel or
# Map), well within what the validator, the engine and JSONata can walk.
MAX_JSON_DEPTH = 256

# One token: a string (escapes included; an unterminated one runs to the end of the
# text, so the scan never restarts inside it: restarting at every quote of an
# unterminated string of escaped quotes is what made the earlier two-regex scan
# quadratic), or a run of characters that are neither quotes nor brackets. Possessive
# quantifiers (``++``, ``*+``) give nothing back, so each character is read once.
# What is left after removing every token is the brackets outside strings.
_NOT_A_BRACKET = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[^"\[\]{}]++', re.DOTALL)
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
_CHUNK = 4096  # brackets summed per step: a deep text is refused after its first steps


def json_depth(text: str, stop_above: int | None = None) -> int:
    """How deeply arrays and objects nest in ``text`` (0 for a scalar); brackets inside
    strings do not count. One linear pass, without recursion, whatever the text holds
    (it need not be valid JSON: the parser judges that afterwards). With
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


def utf8_size_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` takes more than ``limit`` bytes in UTF-8, without encoding it
    when its length alone decides (a character takes 1 to 4 bytes)."""
    if len(text) > limit:
        return True
    if 4 * len(text) <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit
