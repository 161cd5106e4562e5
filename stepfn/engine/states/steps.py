"""The compiled steps a state's fields become: JSONPath's InputPath/OutputPath and
ResultPath, and timestamps as AWS accepts them. Compiled once; applied per state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...asl.budgets import ExpressionTimeout
from ...asl.jsonpath import compile_jsonpath
from ...asl.paths import compile_reference, path_and_document
from ...asl.timestamps import parse_timestamp as _parse_timestamp
from ...errors import PathNotFound, StatesError
from ...jsonutil import dumps
from ..frame import Frame

ResultWriter = Callable[[Any, Any], Any]  # (raw_input, result) -> merged


def parse_timestamp(text: Any) -> float | None:
    """A Wait's deadline: the epoch second of an AWS-valid timestamp string (state-wait:
    "Step Functions considers the time value up to seconds and truncates
    milliseconds"), or None."""
    parsed = _parse_timestamp(text) if isinstance(text, str) else None
    return None if parsed is None else float(parsed[0])


# -- compiled paths -------------------------------------------------------------------
class _NullPath:
    """InputPath/OutputPath: null, which yields an empty object."""


NULL_PATH = _NullPath()


def compile_io_path(spec: dict, field: str) -> Any:
    """None when the field is absent or ``$``; NULL_PATH for null; else (text, getter)."""
    text = spec.get(field, "$")
    if text is None:
        return NULL_PATH
    if text == "$":
        return None
    return (text, compile_reference(text), field)


def apply_io_path(path: Any, frame: Frame, value: Any) -> Any:
    if path is None:
        return value
    if path is NULL_PATH:
        return {}
    text, getter, field = path
    try:
        return getter(value, frame)
    except ExpressionTimeout as exc:
        raise exc.with_field(field) from None
    except PathNotFound:
        path, source = path_and_document(text, value, frame)
        raise frame.run.runtime_error(
            frame, f"Invalid path '{text}' : {describe_missing(path, source)}") from None


def describe_missing(text: str, doc: Any) -> str:
    """Jayway's explanation of where a definite path stopped matching."""
    jp = compile_jsonpath(text[1:] if text.startswith("$$") else text)
    if jp.segments is None:
        return "No results for path: " + text
    walked = "$"
    for seg in jp.segments:
        if isinstance(seg, int):
            walked += f"[{seg}]"
            if not isinstance(doc, list) or not -len(doc) <= seg < len(doc):
                return f"Missing property in path {walked}"
        else:
            walked += f"['{seg}']"
            if not isinstance(doc, dict) or seg not in doc:
                return f"Missing property in path {walked}"
        doc = doc[seg]
    return "No results for path: " + text


def compile_result_path(text: str | None) -> ResultWriter:
    """ResultPath: where the result goes in the raw input (copy-on-write)."""
    if text is None:
        return lambda raw, result: raw
    if text == "$":
        return lambda raw, result: result
    if not text.startswith("$") or text.startswith("$$"):
        raise ValueError(f"ResultPath must be a reference path: {text}")
    segments = compile_jsonpath(text).segments
    if not segments:
        raise ValueError(f"ResultPath must be a reference path: {text}")

    def write(raw: Any, result: Any) -> Any:
        try:
            return set_at(raw, segments, result)
        except _CannotSet:
            raise StatesError(
                "States.ResultPathMatchFailure",
                f"Unable to apply step \"{text}\" to input {dumps(raw)}",
            ) from None

    return write


class _CannotSet(Exception):
    pass


def set_at(doc: Any, segments: tuple, value: Any) -> Any:
    """A copy of ``doc`` with ``value`` at ``segments``; intermediate objects created."""
    key = segments[0]
    rest = segments[1:]
    if isinstance(key, int):
        if not isinstance(doc, list) or not -len(doc) <= key < len(doc):
            raise _CannotSet()
        new_list = list(doc)
        new_list[key] = set_at(doc[key], rest, value) if rest else value
        return new_list
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise _CannotSet()
    new_obj = dict(doc)
    new_obj[key] = set_at(doc.get(key), rest, value) if rest else value
    return new_obj
