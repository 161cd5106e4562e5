"""Request validation driven by botocore's Step Functions service model.

The rules (required members, types, enums, length and value ranges, patterns, list
sizes) come from ``stepfunctions/2016-11-23/service-2.json`` as botocore ships it, so
they follow AWS's model instead of hand-written copies. Messages follow AWS's
``N validation error(s) detected: Value 'x' at 'member.path' failed to satisfy
constraint: ...`` format; a value of the wrong JSON type is a SerializationException,
as AWS's JSON protocol answers it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from botocore.loaders import Loader

from stepfn.api.errors import ApiError

SERVICE = "stepfunctions"
API_VERSION = "2016-11-23"

Checker = Callable[[Any, str, list[str]], None]


@lru_cache(maxsize=1)
def service_model() -> dict:
    """The raw service model (loaded once)."""
    return Loader().load_service_model(SERVICE, "service-2", API_VERSION)


@lru_cache(maxsize=1)
def operation_names() -> frozenset[str]:
    return frozenset(service_model()["operations"])


def _java_regex(pattern: str) -> re.Pattern:
    # The model's patterns are Java regexes; \p{ASCII} is the only construct Python's
    # re lacks among them.
    return re.compile(pattern.replace(r"\p{ASCII}", r"[\x00-\x7f]"), re.DOTALL)


# Longer values are cut in messages: a rejected megabyte is not sent back.
MAX_SHOWN = 1024


def _show(value: Any, sensitive: bool = False) -> str:
    """A value as AWS quotes it in a validation message; ``sensitive`` members (the
    model's definitions, inputs, outputs, errors and causes) are not quoted at all,
    as AWS words it: "Value at 'definition' failed to satisfy constraint"."""
    if sensitive:
        return ""
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value[:MAX_SHOWN]}...'" if len(value) > MAX_SHOWN else f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, (int, float)) else str(value)


class _Compiler:
    """Turns shapes into checker closures once; recursive shapes are resolved lazily."""

    def __init__(self, shapes: dict) -> None:
        self.shapes = shapes
        self.cache: dict[str, Checker] = {}

    def checker(self, shape_name: str) -> Checker:
        if shape_name not in self.cache:
            slot: list[Checker] = []
            self.cache[shape_name] = lambda v, p, errs: slot[0](v, p, errs)
            slot.append(self._build(self.shapes[shape_name]))
            self.cache[shape_name] = slot[0]
        return self.cache[shape_name]

    def _build(self, shape: dict) -> Checker:
        kind = shape["type"]
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        if kind == "string":
            return self._string(shape)
        if kind in ("integer", "long", "float", "double"):
            return self._number(shape)
        if kind == "boolean":
            return _typed(bool, "Boolean")
        if kind == "timestamp":
            return _typed((int, float), "Timestamp")
        return lambda v, p, errs: None  # blob: not used by this service's inputs

    def _structure(self, shape: dict) -> Checker:
        members = {name: self.checker(m["shape"]) for name, m in shape["members"].items()}
        required = tuple(shape.get("required", ()))

        def check(value: Any, path: str, errs: list[str]) -> None:
            if not isinstance(value, dict):
                raise _serialization(value, "structure")
            prefix = f"{path}." if path else ""
            for name in required:
                if value.get(name) is None:
                    errs.append(f"Value null at '{prefix}{name}' failed to satisfy "
                                "constraint: Member must not be null")
            for name, member_value in value.items():
                checker = members.get(name)
                if checker is not None and member_value is not None:
                    checker(member_value, prefix + name, errs)
        return check

    def _list(self, shape: dict) -> Checker:
        lo, hi = shape.get("min"), shape.get("max")
        member = self.checker(shape["member"]["shape"])

        def check(value: Any, path: str, errs: list[str]) -> None:
            if not isinstance(value, list):
                raise _serialization(value, "list")
            _length(value, len(value), lo, hi, path, errs)
            for i, item in enumerate(value, 1):
                if item is None:  # a list cannot hold null members
                    errs.append(f"Value null at '{path}.{i}.member' failed to satisfy "
                                "constraint: Member must not be null")
                else:
                    member(item, f"{path}.{i}.member", errs)
        return check

    def _map(self, shape: dict) -> Checker:
        lo, hi = shape.get("min"), shape.get("max")
        key = self.checker(shape["key"]["shape"])
        val = self.checker(shape["value"]["shape"])

        def check(value: Any, path: str, errs: list[str]) -> None:
            if not isinstance(value, dict):
                raise _serialization(value, "map")
            _length(value, len(value), lo, hi, path, errs)
            for k, v in value.items():
                key(k, f"{path}.key", errs)
                if v is not None:
                    val(v, f"{path}.{k}", errs)
        return check

    def _string(self, shape: dict) -> Checker:
        lo, hi = shape.get("min"), shape.get("max")
        enum = shape.get("enum")
        pattern = _java_regex(shape["pattern"]) if "pattern" in shape else None
        sensitive = bool(shape.get("sensitive"))

        def check(value: Any, path: str, errs: list[str]) -> None:
            if not isinstance(value, str):
                raise _serialization(value, "String")
            if lo is not None or hi is not None:
                _length(value, len(value), lo, hi, path, errs, sensitive)
            if enum is not None and value not in enum:
                errs.append(f"Value {_show(value)} at '{path}' failed to satisfy "
                            f"constraint: Member must satisfy enum value set: "
                            f"[{', '.join(enum)}]")
            if pattern is not None and not pattern.fullmatch(value):
                shown = _show(value, sensitive)
                errs.append(f"Value {shown + ' ' if shown else ''}at '{path}' failed to satisfy "
                            f"constraint: Member must satisfy regular expression "
                            f"pattern: {shape['pattern']}")
        return check

    def _number(self, shape: dict) -> Checker:
        lo, hi = shape.get("min"), shape.get("max")
        integral = shape["type"] in ("integer", "long")

        def check(value: Any, path: str, errs: list[str]) -> None:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or (integral and isinstance(value, float) and not value.is_integer()):
                raise _serialization(value, "Integer" if integral else "Number")
            if lo is not None and value < lo:
                errs.append(f"Value {_show(value)} at '{path}' failed to satisfy "
                            f"constraint: Member must have value greater than or equal "
                            f"to {lo}")
            if hi is not None and value > hi:
                errs.append(f"Value {_show(value)} at '{path}' failed to satisfy "
                            f"constraint: Member must have value less than or equal "
                            f"to {hi}")
        return check


def _typed(types: Any, name: str) -> Checker:
    def check(value: Any, path: str, errs: list[str]) -> None:
        if not isinstance(value, types) or (name != "Boolean" and isinstance(value, bool)):
            raise _serialization(value, name)
    return check


def _length(value: Any, size: int, lo: int | None, hi: int | None, path: str,
            errs: list[str], sensitive: bool = False) -> None:
    shown = _show(value, sensitive) if isinstance(value, str) else _show(str(value))
    shown = f"{shown} " if shown else ""
    if lo is not None and size < lo:
        errs.append(f"Value {shown}at '{path}' failed to satisfy constraint: Member "
                    f"must have length greater than or equal to {lo}")
    if hi is not None and size > hi:
        errs.append(f"Value {shown}at '{path}' failed to satisfy constraint: Member "
                    f"must have length less than or equal to {hi}")


def _serialization(value: Any, expected: str) -> ApiError:
    found = {dict: "Start of structure or map", list: "Start of list", str: "STRING_VALUE",
             bool: "Boolean"}.get(type(value), "NUMBER_VALUE")
    return ApiError("SerializationException",
                    f"{found} found where {expected} was expected")


@cache
def _operation_checker(operation: str) -> Checker:
    model = service_model()
    return _Compiler(model["shapes"]).checker(model["operations"][operation]["input"]["shape"])


def validate_request(operation: str, body: Any) -> None:
    """Raise ApiError (ValidationException or SerializationException) for a request
    that breaks the service model's constraints."""
    errors: list[str] = []
    _operation_checker(operation)(body, "", errors)
    if errors:
        count = len(errors)
        noun = "validation error" if count == 1 else "validation errors"
        raise ApiError("ValidationException",
                       f"{count} {noun} detected: " + "; ".join(errors))
