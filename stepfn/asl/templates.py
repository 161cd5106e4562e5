"""Payload templates of the JSONPath query language, compiled once.

``Parameters``, ``ResultSelector``, ``ItemSelector`` (and Task ``Credentials``) are
JSON templates: a key ending in ``.$`` takes the value of a path or an intrinsic
function evaluated at run time, under the key without ``.$``. ``compile_payload``
turns a template into a ``Getter`` (``getter(doc, env) -> value``); parts without any
``.$`` key are built once and shared (payloads are never mutated in place).
"""

from __future__ import annotations

from typing import Any

from ..errors import PathNotFound, StatesError
from ..jsonutil import dumps
from .budgets import ExpressionTimeout
from .paths import EvalEnv, Getter, compile_reference


def compile_payload(template: Any, field: str = "Parameters") -> Getter:
    """Compile a payload template; ``field`` names it in error causes."""
    build = _compile_node(template, field)
    if build is None:
        return lambda doc, env: template
    return build


def _compile_node(node: Any, field: str) -> Getter | None:
    """A getter for ``node``, or None when ``node`` is constant."""
    if isinstance(node, dict):
        return _compile_object(node, field)
    if isinstance(node, list):
        return _compile_array(node, field)
    return None


def _compile_object(node: dict, field: str) -> Getter | None:
    # (output key, getter, the "key.$" and path text when the getter reads a path)
    entries: list[tuple[str, Getter, tuple[str, str] | None]] = []
    shape: dict[str, Any] = {}  # every output key in template order; constants filled
    for key, value in node.items():
        if key.endswith(".$"):
            name = key[:-2]
            getter, path = _compile_dynamic(key, value)
            entries.append((name, getter, path))
            shape[name] = None
            continue
        nested = _compile_node(value, field)
        if nested is None:
            shape[key] = value
        else:
            entries.append((key, nested, None))
            shape[key] = None
    if not entries:
        return None
    if len(shape) < len(node):  # "a" beside "a.$": keep the template's exact semantics
        return _colliding_object_builder(node, field)
    return _object_builder(shape, tuple(entries))


def _colliding_object_builder(node: dict, field: str) -> Getter:
    """Every entry evaluated in template order, a later one overwriting an earlier one of
    the same name (a rare template, so the plain way)."""
    parts = []
    for key, value in node.items():
        if key.endswith(".$"):
            parts.append((key[:-2], compile_dynamic_value(key, value), True))
        else:
            getter = _compile_node(value, field)
            parts.append((key, value, False) if getter is None else (key, getter, True))

    def build_object(doc: Any, env: EvalEnv) -> dict:
        return {key: (part(doc, env) if dynamic else part) for key, part, dynamic in parts}

    return build_object


def _object_builder(shape: dict, entries: tuple) -> Getter:
    """The getter of an object with dynamic entries.

    The object starts as a copy of ``shape`` (so keys keep the template's order) and
    each dynamic entry is filled in. Paths are evaluated bare, without the wrapper that
    names the field in the error: only when something fails are the entries evaluated
    again, one by one in template order, to raise the error AWS reports first.
    """
    bare = tuple((name, getter) for name, getter, _ in entries)

    def build_object(doc: Any, env: EvalEnv) -> dict:
        out = shape.copy()
        try:
            for name, getter in bare:
                out[name] = getter(doc, env)
        except ExpressionTimeout as exc:  # not evaluated again: it would run as long
            raise _timed_out(exc, entries) from None
        except (PathNotFound, StatesError):
            _raise_first_failure(entries, doc, env)
            raise
        return out

    return build_object


def _timed_out(exc: ExpressionTimeout, entries: tuple) -> ExpressionTimeout:
    """``exc`` naming the ``key.$`` field whose path ran out of time."""
    for _, _, path in entries:
        if path is not None and exc.path in (path[1], path[1][1:]):
            return exc.with_field(path[0])
    return exc


def _raise_first_failure(entries: tuple, doc: Any, env: EvalEnv) -> None:
    """Evaluate ``entries`` in order and raise the first one's error, a path's in the
    form AWS gives it; returns only if none fails this time."""
    for _, getter, path in entries:
        try:
            getter(doc, env)
        except PathNotFound:
            if path is None:
                raise
            key, expression = path
            raise _path_not_found(key, expression, doc, env) from None


def _compile_array(node: list, field: str) -> Getter | None:
    getters = [_compile_node(item, field) for item in node]
    if all(g is None for g in getters):
        return None
    items = tuple((g, item) for g, item in zip(getters, node, strict=True))

    def build_array(doc: Any, env: EvalEnv) -> list:
        return [item if g is None else g(doc, env) for g, item in items]

    return build_array


def compile_dynamic_value(key: str, expression: Any) -> Getter:
    """The getter for one ``key.$`` entry: a path or an intrinsic function call."""
    getter, path = _compile_dynamic(key, expression)
    if path is None:
        return getter

    def read_path(doc: Any, env: EvalEnv) -> Any:
        try:
            return getter(doc, env)
        except PathNotFound:
            raise _path_not_found(key, expression, doc, env) from None
        except ExpressionTimeout as exc:
            raise exc.with_field(key) from None

    return read_path


def _compile_dynamic(key: str, expression: Any) -> tuple[Getter, tuple[str, str] | None]:
    """The bare getter of a ``key.$`` entry, and (key, path) when it is a path, whose
    PathNotFound the caller turns into AWS's error naming the field."""
    if not isinstance(expression, str):
        raise ValueError(f"The value for the field '{key}' must be a STRING")
    if expression.startswith("States."):
        from .intrinsics import compile_intrinsic

        return compile_intrinsic(expression), None
    return compile_reference(expression), (key, expression)


def _path_not_found(key: str, expression: str, doc: Any, env: EvalEnv) -> StatesError:
    source = env.context if expression.startswith("$$") else doc
    return StatesError(
        "States.Runtime",
        f"The JSONPath '{expression}' specified for the field '{key}' "
        f"could not be found in the input '{dumps(source)}'",
    )


__all__: list[str] = ["compile_payload", "compile_dynamic_value"]
