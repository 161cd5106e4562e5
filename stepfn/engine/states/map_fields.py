"""Numeric fields of a Map state and its ItemReader/ItemBatcher, with their *Path forms
(MaxConcurrency, ToleratedFailureCount/Percentage, MaxItems, MaxItemsPerBatch...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...asl.paths import compile_reference
from ...errors import PathNotFound
from ..frame import Frame

NumberField = Callable[[Frame, Any], Any]


def number_field(spec: dict, field: str, kind: type = int, *,
                 numeric_strings: bool = False, non_negative: bool = False) -> NumberField:
    """``spec[field]``, or the value its ``<field>Path`` selects from the effective
    input, as ``f(frame, effective) -> value`` (None when neither is given).

    ``numeric_strings``: a string of digits counts as the integer (AWS accepts them for
    the ItemReader and ItemBatcher counts).
    """
    if field in spec:
        value = spec[field]
        return lambda frame, effective: value
    path_field = field + "Path"
    if path_field not in spec:
        return lambda frame, effective: None
    text = spec[path_field]
    getter = compile_reference(text)
    kind_name = "float" if kind is float else "integer"

    def read(frame: Frame, effective: Any) -> Any:
        try:
            value = getter(effective, frame)
        except PathNotFound:
            raise frame.run.runtime_error(
                frame, f"The {path_field} field does not reference an input value: {text}"
            ) from None
        if numeric_strings and isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                kind is int and not float(value).is_integer()) or (
                non_negative and value < 0):
            shown = value if isinstance(value, str) else frame.run.serialize(value)
            raise frame.run.runtime_error(
                frame, f"The {path_field} field refers to value \"{shown}\" which is not a "
                f"valid {kind_name}: {text}")
        return kind(value)

    return read
