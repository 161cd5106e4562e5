"""Bounds on what a request may carry, so no input can exhaust the server.

The nesting-depth guard lives in ``stepfn.jsonutil`` (the definition loader in
``stepfn.asl`` applies it too); it is re-exported here for the API's input checks.
"""

from __future__ import annotations

from ..jsonutil import MAX_JSON_DEPTH, depth_message, json_depth, too_deep

__all__ = ["MAX_JSON_DEPTH", "depth_message", "json_depth", "too_deep"]
