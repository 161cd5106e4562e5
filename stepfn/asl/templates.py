"""Payload templates of the JSONPath query language, compiled once.

``Parameters``, ``ResultSelector``, ``ItemSelector`` (and Task ``Credentials``) are
JSON templates: a key ending in ``.$`` takes the value of a path or an intrinsic
function evaluated at run time, under the key without ``.$``. ``compile_payload``
turns a template into a ``Getter`` (``getter(doc, env) -> value``); parts without any
``.$`` key are built once and shared (payloads are never mutated in place).
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import PathNotFound, StatesError
from ..jsonutil import dumps
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
    parts: list[tuple[str, bool, Any]] = []  # (key, dynamic?, constant or getter)
    dynamic = False
    for key, value in node.items():
        if key.endswith(".$"):
            parts.append((key[:-2], True, compile_dynamic_value(key, value)))
            dynamic = True
            continue
        getter = _compile_node(value, field)
        if getter is None:
            parts.append((key, False, value))
        else:
            parts.append((key, True, getter))
            dynamic = True
    if not dynamic:
        return None
    frozen = tuple(parts)

    def build_object(doc: Any, env: EvalEnv) -> dict:
        return {key: (part(doc, env) if is_dynamic else part)
                for key, is_dynamic, part in frozen}

    return build_object


def _compile_array(node: list, field: str) -> Getter | None:
    getters = [_compile_node(item, field) for item in node]
    if all(g is None for g in getters):
        return None
    items = tuple((g, item) for g, item in zip(getters, node))

    def build_array(doc: Any, env: EvalEnv) -> list:
        return [item if g is None else g(doc, env) for g, item in items]

    return build_array


def compile_dynamic_value(key: str, expression: Any) -> Getter:
    """The getter for one ``key.$`` entry: a path or an intrinsic function call."""
    if not isinstance(expression, str):
        raise ValueError(f"The value for the field '{key}' must be a STRING")
    if expression.startswith("States."):
        from .intrinsics import compile_intrinsic

        return compile_intrinsic(expression)
    path = compile_reference(expression)

    def read_path(doc: Any, env: EvalEnv) -> Any:
        try:
            return path(doc, env)
        except PathNotFound:
            source = env.context if expression.startswith("$$") else doc
            raise StatesError(
                "States.Runtime",
                f"The JSONPath '{expression}' specified for the field '{key}' "
                f"could not be found in the input '{dumps(source)}'",
            ) from None

    return read_path


__all__: list[str] = ["compile_payload", "compile_dynamic_value"]
