"""Bounds on what a request may carry, so no input can exhaust the server.

The nesting-depth guard lives in ``stepfn.jsonutil`` (the definition loader in
``stepfn.asl`` applies it too); it is re-exported here for the API's input checks.
Every check is linear in the text and runs in C, so no text can make a check slower
than parsing it: ``benchmarks/input_checks.py`` times them on the service model's
largest inputs against ``orjson.loads`` alone.
"""

from __future__ import annotations

from ..jsonutil import MAX_JSON_DEPTH, depth_message, json_depth, too_deep

__all__ = ["MAX_JSON_DEPTH", "depth_message", "json_depth", "too_deep", "utf8_size_exceeds"]


def utf8_size_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` takes more than ``limit`` bytes in UTF-8, without encoding it
    when its length alone decides (a character takes 1 to 4 bytes)."""
    if len(text) > limit:
        return True
    if 4 * len(text) <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit
