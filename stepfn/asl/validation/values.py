"""Predicates on field values (paths, intrinsic calls, JSONata strings, numbers) and
the location helpers every check uses.
"""

from __future__ import annotations

from typing import Any

from ..jsonpath import JsonPathSyntaxError, compile_jsonpath
from ..paths import compile_reference
from .rules import INTRINSIC_HEAD


def _at(location: str, key: str) -> str:
    return f"/{key}" if location == "/" else f"{location}/{key}"


def _item(location: str, index: int) -> str:
    return f"{location}[{index}]"


# ------------------------------------------------------------------- optional modules

def _optional(name: str) -> Any:
    try:
        return __import__(f"stepfn.asl.{name}", fromlist=["_"])
    except ImportError:
        return None


def _intrinsic_error(text: str) -> bool:
    """True when ``text`` is not a well-formed intrinsic function call."""
    module = _optional("intrinsics")
    compile_intrinsic = getattr(module, "compile_intrinsic", None)
    if compile_intrinsic is not None:
        try:
            compile_intrinsic(text)
        except Exception:  # noqa: BLE001 - any failure to compile means invalid
            return True
        return False
    return not _looks_like_intrinsic(text)


def _looks_like_intrinsic(text: str) -> bool:
    """Lexical fallback while the intrinsic parser is unavailable."""
    if not INTRINSIC_HEAD.match(text) or not text.rstrip().endswith(")"):
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                # inside '...' only \' \{ \} \\ are escapes AWS accepts
                if char not in "'{}\\":
                    return False
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "'":
                in_string = False
        elif char == "'":
            in_string = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not in_string


def _compile_jsonata(expression: str) -> tuple[Any, str | None]:
    """(compiled expression, None) or (None, the parser's message as AWS words it:
    without the JSONata code). (None, None) when the JSONata module is missing."""
    module = _optional("jsonata")
    compile_jsonata = getattr(module, "compile_jsonata", None)
    if compile_jsonata is None:
        return None, None
    try:
        return compile_jsonata(expression), None
    except RecursionError:  # Python's own wording varies with where it ran out
        return None, "The expression is nested too deeply"
    except Exception as exc:  # noqa: BLE001 - report whatever the parser says
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return None, message


def _has_dynamic_key(value: Any) -> bool:
    """True when a ``"key.$"`` appears anywhere inside ``value``."""
    if isinstance(value, dict):
        return any((key.endswith(".$") and len(key) > 2) or _has_dynamic_key(child)
                   for key, child in value.items())
    if isinstance(value, list):
        return any(_has_dynamic_key(child) for child in value)
    return False


def _looks_dynamic(value: Any) -> bool:
    """A string that reads like a JSONPath or an intrinsic call (the NO_DOLLAR and
    NO_PATH warnings): ``$.x``, ``$$.x``, ``$[0]`` or ``States.Name(...)``."""
    if not isinstance(value, str):
        return False
    return value.startswith(("$.", "$$.", "$[")) or bool(INTRINSIC_HEAD.match(value))


def _is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


# ---------------------------------------------------------------------- value checks

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _reference_ok(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        compile_reference(text)
    except (JsonPathSyntaxError, ValueError):
        return False
    return True


def _result_path_ok(text: Any) -> bool:
    """ResultPath writes into the state input: ``$`` rooted, names and indexes only."""
    if not isinstance(text, str) or not text.startswith("$") or text.startswith("$$"):
        return False
    if len(text) > 1 and text[1] not in ".[":
        return False
    try:
        path = compile_jsonpath(text)
    except (JsonPathSyntaxError, ValueError):
        return False
    return path.segments is not None
