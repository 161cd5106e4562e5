"""Definition text to a dict, with AWS's parse-time diagnostics (malformed JSON,
empty text, a state name repeated in one ``States`` object).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ...errors import DefinitionError, Diagnostic
from .rules import DUPLICATE_NAME, INVALID_JSON


class _DuplicateTracker:
    """object_pairs_hook that builds dicts and remembers the keys seen twice."""

    def __init__(self) -> None:
        self.duplicates: dict[int, list[str]] = {}

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict:
        obj: dict = {}
        for key, value in pairs:
            if key in obj:
                self.duplicates.setdefault(id(obj), []).append(key)
            obj[key] = value
        return obj


def find_duplicate_keys(text: str) -> list[tuple[str, str]]:
    """Return ``(location, key)`` for every key repeated inside one JSON object of ``text``.

    The location is that of the object holding the key (``/`` for the root,
    ``/States`` for the root state list...). Raises ``json.JSONDecodeError`` for
    malformed JSON.
    """
    tracker = _DuplicateTracker()
    doc = json.loads(text, object_pairs_hook=tracker)
    return [(location or "/", key) for location, obj in _objects_with_duplicates(doc, tracker)
            for key in tracker.duplicates[id(obj)]]


# Reported duplicate-key locations at most: a location is as long as the path to its
# object, so listing every one of a text made of repeats could take more than the
# text's size squared.
MAX_DUPLICATES_REPORTED = 100


def _objects_with_duplicates(doc: Any, tracker: _DuplicateTracker,
                             under_states: bool = False) -> Iterator[tuple[str, dict]]:
    """``(location, object)`` for the objects holding a repeated key (those that are a
    ``States`` value only, when ``under_states``), in document order.

    One pass over the values with an explicit stack (no recursion, no chain of
    generators, whose every item passes through each level: quadratic in depth), and a
    location is built, from the parent links, only for an object that is reported.
    """
    if not tracker.duplicates:
        return
    reported = 0
    # (value, parent entry, the location segment from the parent to this value)
    stack: list[tuple[Any, Any, str]] = [(doc, None, "")]
    while stack and reported < MAX_DUPLICATES_REPORTED:
        entry = stack.pop()
        value, _, segment = entry
        if isinstance(value, dict):
            if id(value) in tracker.duplicates and (
                    not under_states or segment == "/States"):
                reported += 1
                yield _location(entry), value
            stack.extend((child, entry, f"/{key}")
                         for key, child in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((child, entry, f"[{index}]")
                         for index, child in reversed(list(enumerate(value))))


def _location(entry: tuple[Any, Any, str]) -> str:
    segments: list[str] = []
    node: Any = entry
    while node is not None:
        segments.append(node[2])
        node = node[1]
    return "".join(reversed(segments))


def parse_definition(text: str) -> dict:
    """Parse definition ``text``; raise ``DefinitionError`` as AWS rejects bad JSON.

    Malformed JSON gives ``INVALID_JSON_DESCRIPTION``; a state name declared twice in
    one ``States`` object gives ``DUPLICATE_STATE_NAME`` (a dict would silently keep
    only the last one). Everything else is ``validate_definition``'s job.
    """
    doc, diagnostics = parse_with_duplicates(text)
    if diagnostics:
        raise DefinitionError(diagnostics)
    return doc


def parse_with_duplicates(text: str) -> tuple[Any, list[Diagnostic]]:
    """The parsed document and a ``DUPLICATE_STATE_NAME`` diagnostic for each state name
    declared twice in one ``States`` object (the document keeps the last of them);
    ``DefinitionError`` for empty text or malformed JSON."""
    if not isinstance(text, str) or not text.strip():
        raise DefinitionError([Diagnostic(
            "MISSING_DESCRIPTION", "/", "Received a null or empty workflow input")])
    tracker = _DuplicateTracker()
    try:
        doc = json.loads(text, object_pairs_hook=tracker)
    except json.JSONDecodeError as exc:
        raise DefinitionError([_json_error(exc)]) from None
    diagnostics = [Diagnostic(DUPLICATE_NAME, f"{location}/{key}" if location != "/"
                              else f"/{key}", f"Duplicate State name: {key}")
                   for location, key in _duplicates_in(doc, tracker)]
    return doc, diagnostics


def _json_error(exc: json.JSONDecodeError) -> Diagnostic:
    message = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    return Diagnostic(INVALID_JSON, "/", message)


def _duplicates_in(doc: Any, tracker: _DuplicateTracker) -> list[tuple[str, str]]:
    """Duplicated keys of ``States`` objects only: other repeats are last-one-wins."""
    return [(location, key) for location, obj in _objects_with_duplicates(doc, tracker, True)
            for key in tracker.duplicates[id(obj)]]
