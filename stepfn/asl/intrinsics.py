"""The intrinsic functions of the Amazon States Language (``States.Format(...)`` & co.).

A ``.$`` value such as ``States.Format('Hello {}', $.name)`` is parsed once, when the
definition is compiled, into a tree of closures. ``compile_intrinsic`` returns a
``Getter`` (``getter(doc, env) -> value``, see ``paths.py``) so the interpreter calls an
intrinsic exactly as it calls a reference path.

* A malformed call (bad syntax, unknown function, wrong number of arguments, nesting
  deeper than AWS allows) raises ``IntrinsicSyntaxError`` at compile time.
* A call that fails on the data it receives raises
  ``StatesError("States.IntrinsicFailure", cause)`` at run time.
* A path argument that matches nothing raises ``StatesError("States.Runtime", cause)``
  with AWS's cause, which quotes the whole call: ``The function 'States.Format('{}',
  $.nope)' had the following error: The JsonPath argument for the field '$.nope' could
  not be found in the input '{"other":1}'``.

Values are JSON values as ``json.loads`` builds them; they are never mutated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

from ..errors import PathNotFound, StatesError
from ..jsonutil import dumps, json_type_name
from .jsonpath import JsonPathSyntaxError
from .paths import EvalEnv, Getter, compile_reference

__all__ = [
    "IntrinsicSyntaxError",
    "is_intrinsic",
    "compile_intrinsic",
    "render_format_value",
    "to_json_string",
    "MAX_NESTING_DEPTH",
]

INTRINSIC_FAILURE = "States.IntrinsicFailure"
PREFIX = "States."

# "You can nest up to 10 intrinsic functions within a field" (AWS developer guide).
MAX_NESTING_DEPTH = 10
# Documented input limits.
MAX_ARRAY_RANGE_ITEMS = 1000
MAX_CODEC_INPUT_CHARS = 10_000  # Base64Encode, Base64Decode, Hash
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

HASH_ALGORITHMS: dict[str, str] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class IntrinsicSyntaxError(ValueError):
    """A malformed intrinsic function call, found when the definition is compiled."""


def is_intrinsic(text: str) -> bool:
    """Whether a ``.$`` value is an intrinsic function call rather than a path."""
    return isinstance(text, str) and text.startswith(PREFIX)


def compile_intrinsic(text: str) -> Getter:
    """Parse ``text`` once into a getter ``getter(doc, env) -> value``.

    Raises ``IntrinsicSyntaxError`` when the call is malformed.
    """
    if not is_intrinsic(text):
        raise IntrinsicSyntaxError(f"not an intrinsic function call: {text!r}")
    parser = _Parser(text)
    node = parser.parse()
    return _compile_node(node, text)


# --------------------------------------------------------------------------- failures


def _fail(cause: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, cause)


def _path_argument_missing(call_text: str, path: str, doc: Any, env: EvalEnv) -> StatesError:
    """AWS's error for a path argument that matches nothing: ``States.Runtime`` (not
    ``States.IntrinsicFailure``), quoting the whole call and the document the path read."""
    source = env.context if path.startswith("$$") else doc
    return StatesError(
        "States.Runtime",
        f"The function '{call_text}' had the following error: The JsonPath argument for "
        f"the field '{path}' could not be found in the input '{dumps(source)}'")


def _arg_error(function: str, position: int, expected: str, value: Any) -> StatesError:
    return _fail(
        f"Invalid arguments in {function}: argument {position} must be {expected}, "
        f"but was {json_type_name(value)}: {to_json_string(value)}"
    )


# ----------------------------------------------------------------------------- syntax


class _Literal(NamedTuple):
    value: Any
    # For string literals: the text split at unescaped ``{}`` (States.Format's template).
    segments: tuple[str, ...] | None = None


class _Path(NamedTuple):
    text: str
    getter: Getter


class _Call(NamedTuple):
    name: str
    args: tuple[Any, ...]  # _Literal | _Path | _Call


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}
_ESCAPABLE = "'{}\\"


class _Parser:
    """A recursive-descent parser over one intrinsic call string."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(
            f"Invalid intrinsic function call '{self.text}': {message} (at position {self.pos})"
        )

    def parse(self) -> _Call:
        call = self.call(depth=1)
        self.skip_spaces()
        if self.pos != len(self.text):
            raise self.error("unexpected text after the closing parenthesis")
        return call

    def skip_spaces(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        self.pos = pos

    def call(self, depth: int) -> _Call:
        if depth > MAX_NESTING_DEPTH:
            raise self.error(f"intrinsic functions may be nested at most {MAX_NESTING_DEPTH} deep")
        if not self.text.startswith(PREFIX, self.pos):
            raise self.error("expected 'States.'")
        self.pos += len(PREFIX)
        m = _NAME.match(self.text, self.pos)
        if not m:
            raise self.error("expected a function name after 'States.'")
        name = m.group(0)
        if name not in _FUNCTIONS:
            raise self.error(f"unknown function 'States.{name}'")
        self.pos = m.end()
        self.skip_spaces()
        if not self.text.startswith("(", self.pos):
            raise self.error("expected '('")
        self.pos += 1
        args = self.arguments(depth)
        _check_arity(name, len(args), self)
        return _Call(name, tuple(args))

    def arguments(self, depth: int) -> list[Any]:
        args: list[Any] = []
        self.skip_spaces()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return args
        while True:
            self.skip_spaces()
            args.append(self.argument(depth))
            self.skip_spaces()
            if self.pos >= len(self.text):
                raise self.error("missing ')'")
            char = self.text[self.pos]
            self.pos += 1
            if char == ")":
                return args
            if char != ",":
                raise self.error(f"expected ',' or ')' but found {char!r}")

    def argument(self, depth: int) -> Any:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error("missing argument")
        char = text[pos]
        if char == "'":
            return self.string()
        if char == "$":
            return self.path()
        if text.startswith(PREFIX, pos):
            return self.call(depth + 1)
        m = _NUMBER.match(text, pos)
        if m:
            self.pos = m.end()
            literal = m.group(0)
            is_float = m.group(1) is not None or m.group(2) is not None
            return _Literal(float(literal) if is_float else int(literal))
        for word, value in _KEYWORDS.items():
            if text.startswith(word, pos) and not _is_name_char(text, pos + len(word)):
                self.pos = pos + len(word)
                return _Literal(value)
        raise self.error("expected a string, number, boolean, null, path or intrinsic function")

    def string(self) -> _Literal:
        """A single-quoted string; only ``\\'``, ``\\{``, ``\\}`` and ``\\\\`` escape."""
        text = self.text
        pos = self.pos + 1
        segments: list[str] = []
        current: list[str] = []
        while True:
            if pos >= len(text):
                self.pos = pos
                raise self.error("unterminated string")
            char = text[pos]
            if char == "'":
                break
            if char == "\\":
                escaped = text[pos + 1: pos + 2]
                if not escaped or escaped not in _ESCAPABLE:
                    self.pos = pos
                    raise self.error(f"invalid escape sequence '\\{escaped}' in a string")
                current.append(escaped)
                pos += 2
                continue
            if char == "{" and text.startswith("{}", pos):
                # An unescaped ``{}`` is a States.Format placeholder.
                segments.append("".join(current))
                current = []
                pos += 2
                continue
            current.append(char)
            pos += 1
        segments.append("".join(current))
        self.pos = pos + 1
        return _Literal("{}".join(segments), tuple(segments))

    def path(self) -> _Path:
        """A reference path, up to the ``,`` or ``)`` that ends the argument."""
        text = self.text
        start = pos = self.pos
        depth = 0
        quote: str | None = None
        while pos < len(text):
            char = text[pos]
            if quote:
                if char == "\\":
                    pos += 1
                elif char == quote:
                    quote = None
            elif char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            pos += 1
        path = text[start:pos].rstrip()
        try:
            getter = compile_reference(path)
        except JsonPathSyntaxError as exc:
            self.pos = start
            raise self.error(f"invalid path argument '{path}' ({exc})") from None
        self.pos = pos
        return _Path(path, getter)


def _is_name_char(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isalnum() or text[pos] in "_.$")


def _check_arity(name: str, count: int, parser: _Parser) -> None:
    low, high = _FUNCTIONS[name].arity
    if count < low or (high is not None and count > high):
        if high is None:
            expected = f"at least {low}"
        elif low == high:
            expected = str(low)
        else:
            expected = f"{low} to {high}"
        raise parser.error(
            f"States.{name} takes {expected} argument{'s' if expected != '1' else ''}, "
            f"got {count}"
        )


# ------------------------------------------------------------------------ compilation


def _compile_node(node: Any, call_text: str) -> Getter:
    """The getter of one node; ``call_text`` is the whole call, which errors quote."""
    if isinstance(node, _Literal):
        value = node.value
        return lambda doc, env: value
    if isinstance(node, _Path):
        return _compile_path_argument(node, call_text)
    return _compile_call(node, call_text)


def _compile_path_argument(node: _Path, call_text: str) -> Getter:
    getter, path = node.getter, node.text

    def read_argument(doc: Any, env: EvalEnv) -> Any:
        try:
            return getter(doc, env)
        except PathNotFound:
            raise _path_argument_missing(call_text, path, doc, env) from None

    return read_argument


def _compile_call(call: _Call, call_text: str) -> Getter:
    if call.name == "Format" and isinstance(call.args[0], _Literal) \
            and call.args[0].segments is not None:
        return _compile_literal_format(call, call_text)
    impl = _FUNCTIONS[call.name].impl
    getters = tuple(_compile_node(arg, call_text) for arg in call.args)
    if not getters:
        return lambda doc, env: impl()
    if len(getters) == 1:
        (g0,) = getters
        return lambda doc, env: impl(g0(doc, env))
    if len(getters) == 2:
        g0, g1 = getters
        # A literal argument is passed as is rather than through a getter call.
        first, second = call.args
        if isinstance(second, _Literal) and not isinstance(first, _Literal):
            v1 = second.value
            return lambda doc, env: impl(g0(doc, env), v1)
        if isinstance(first, _Literal) and not isinstance(second, _Literal):
            v0 = first.value
            return lambda doc, env: impl(v0, g1(doc, env))
        return lambda doc, env: impl(g0(doc, env), g1(doc, env))
    return lambda doc, env: impl(*[g(doc, env) for g in getters])


def _compile_literal_format(call: _Call, call_text: str) -> Getter:
    """States.Format whose template is a literal: placeholders are found at compile time."""
    segments = call.args[0].segments
    assert segments is not None
    getters = tuple(_compile_node(arg, call_text) for arg in call.args[1:])
    placeholders = len(segments) - 1
    if placeholders != len(getters):
        # The count is static here, but AWS reports the mismatch when the state runs.
        cause = _format_count_cause(placeholders, len(getters))

        def fail(doc: Any, env: EvalEnv) -> Any:
            raise _fail(cause)

        return fail
    if not getters:
        constant = segments[0]
        return lambda doc, env: constant
    last = segments[-1]
    pairs = tuple(zip(segments, getters, strict=False))  # the last segment follows

    def format_(doc: Any, env: EvalEnv) -> str:
        parts: list[str] = []
        for text, getter in pairs:
            parts.append(text)
            parts.append(render_format_value(getter(doc, env)))
        parts.append(last)
        return "".join(parts)

    return format_


# -------------------------------------------------------------------- value rendering


def java_double_str(value: float) -> str:
    """Render a float as Java's ``Double.toString`` does (AWS runs on the JVM).

    ``1.0`` -> ``"1.0"``, ``1e20`` -> ``"1.0E20"``, ``1e-5`` -> ``"1.0E-5"``.
    """
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    # repr() gives the shortest digits that round-trip, as modern JDKs do.
    digits_tuple = Decimal(repr(magnitude)).as_tuple()
    digits = "".join(map(str, digits_tuple.digits)).rstrip("0") or "0"
    # Decimal exponent of the first digit: magnitude = 0.d1d2... * 10**point
    point = len(digits_tuple.digits) + int(digits_tuple.exponent)
    if 1e-3 <= magnitude < 1e7:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        whole = digits[:point].ljust(point, "0")
        fraction = digits[point:] or "0"
        return f"{sign}{whole}.{fraction}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{point - 1}"


def _number_str(value: int | float) -> str:
    return java_double_str(value) if isinstance(value, float) else str(value)


def render_format_value(value: Any) -> str:
    """How States.Format prints an argument (Java's ``toString`` of the value).

    Strings print raw, ``null``/``true``/``false`` as words, objects as
    ``{key=value, ...}`` and arrays as ``[a, b]``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(
            f"{key}={render_format_value(item)}" for key, item in value.items()) + "}"
    return str(value)


def to_json_string(value: Any) -> str:
    """Compact JSON text as AWS prints it (no spaces, non-ASCII kept, Java numbers)."""
    # orjson renders JSON without floats exactly as below (same escapes, non-ASCII
    # kept); floats need Java's rendering (1.0E20), so only values without one take it.
    if _is_plain_json(value):
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # an integer beyond 64 bits or a lone surrogate: rendered below
            pass
    return _render_json(value)


_PLAIN_SCALARS = (str, int, bool, type(None))


def _is_plain_json(value: Any) -> bool:
    """Made only of (exactly) dict, list, str, int, bool and None: no float, nothing
    that orjson would render differently from ``_render_json``."""
    kind = type(value)
    if kind is dict:
        return all(map(_is_plain_json, value.values()))
    if kind is list:
        return all(map(_is_plain_json, value))
    return kind in _PLAIN_SCALARS


def _render_json(value: Any) -> str:
    """``to_json_string`` by hand, for values orjson would render otherwise."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, list):
        return "[" + ",".join(_render_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(
            json.dumps(key, ensure_ascii=False) + ":" + _render_json(item)
            for key, item in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


# ----------------------------------------------------------------- argument checking


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _java_round(value: float) -> int:
    """Java's ``Math.round``: halves go up (towards positive infinity)."""
    return math.floor(value + 0.5)


def _integer(function: str, position: int, value: Any) -> int:
    """An integer argument; AWS rounds a non-integer number to the nearest integer."""
    if not _is_number(value):
        raise _arg_error(function, position, "a number", value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _arg_error(function, position, "a finite number", value)
        return _java_round(value)
    return value


def _string(function: str, position: int, value: Any) -> str:
    if not isinstance(value, str):
        raise _arg_error(function, position, "a string", value)
    return value


def _array(function: str, position: int, value: Any) -> list:
    if not isinstance(value, list):
        raise _arg_error(function, position, "an array", value)
    return value


def _object(function: str, position: int, value: Any) -> dict:
    if not isinstance(value, dict):
        raise _arg_error(function, position, "an object", value)
    return value


def _equality_key(value: Any) -> Any:
    """A hashable key under which two JSON values are equal when AWS deems them equal.

    Numbers compare by value (``1`` equals ``1.0``), booleans never equal numbers and
    objects compare regardless of key order.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("number", Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, list):
        return ("array", tuple(_equality_key(item) for item in value))
    return ("object", frozenset((key, _equality_key(item)) for key, item in value.items()))


# ------------------------------------------------------------------------- functions


def _format_count_cause(placeholders: int, arguments: int) -> str:
    return (
        f"Invalid arguments in States.Format: the format string has {placeholders} "
        f"placeholder{'s' if placeholders != 1 else ''} '{{}}' but {arguments} "
        f"argument{'s were' if arguments != 1 else ' was'} given"
    )


def fn_format(template: Any, *args: Any) -> str:
    """States.Format with a template known only at run time."""
    segments = _string("States.Format", 1, template).split("{}")
    if len(segments) - 1 != len(args):
        raise _fail(_format_count_cause(len(segments) - 1, len(args)))
    parts = [segments[0]]
    for arg, text in zip(args, segments[1:], strict=True):
        parts.append(render_format_value(arg))
        parts.append(text)
    return "".join(parts)


def _reject_non_finite(token: str) -> Any:
    raise ValueError(f"invalid JSON token {token}")


_LONG_DIGITS = re.compile(r"\d{19}")


def fn_string_to_json(text: Any) -> Any:
    text = _string("States.StringToJson", 1, text)
    if not text.strip():
        return None  # AWS answers null for an empty or blank string.
    # orjson parses as json does, except integers past 64 bits (it makes them floats):
    # a run of 19 digits may be one, so such text goes to json.
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # json reports the error as AWS's cause quotes it (or parses 1e400)
    try:
        return json.loads(text, parse_constant=_reject_non_finite)
    except ValueError:
        raise _fail(
            f"Invalid arguments in States.StringToJson: the string is not valid JSON: "
            f"{to_json_string(text)}") from None


def fn_json_to_string(value: Any) -> str:
    return to_json_string(value)


def fn_array(*values: Any) -> list:
    return list(values)


def fn_array_partition(array: Any, size: Any) -> list:
    array = _array("States.ArrayPartition", 1, array)
    chunk = _integer("States.ArrayPartition", 2, size)
    if chunk <= 0:
        raise _fail(
            f"Invalid arguments in States.ArrayPartition: the chunk size must be a "
            f"positive, non-zero integer, but was {chunk}")
    return [array[i:i + chunk] for i in range(0, len(array), chunk)]


def fn_array_contains(array: Any, value: Any) -> bool:
    array = _array("States.ArrayContains", 1, array)
    key = _equality_key(value)
    return any(_equality_key(item) == key for item in array)


def fn_array_range(start: Any, end: Any, step: Any) -> list[int]:
    first = _integer("States.ArrayRange", 1, start)
    last = _integer("States.ArrayRange", 2, end)
    increment = _integer("States.ArrayRange", 3, step)
    if increment == 0:
        raise _fail("Invalid arguments in States.ArrayRange: the step must be a non-zero integer")
    count = max(0, (last - first) // increment + 1)
    if count > MAX_ARRAY_RANGE_ITEMS:
        raise _fail(
            f"Invalid arguments in States.ArrayRange: the array would contain {count} "
            f"items, more than the maximum of {MAX_ARRAY_RANGE_ITEMS}")
    return list(range(first, first + count * increment, increment))


def fn_array_get_item(array: Any, index: Any) -> Any:
    array = _array("States.ArrayGetItem", 1, array)
    position = _integer("States.ArrayGetItem", 2, index)
    if not 0 <= position < len(array):
        raise _fail(
            f"Invalid arguments in States.ArrayGetItem: index {position} is out of "
            f"bounds for an array of length {len(array)}")
    return array[position]


def fn_array_length(array: Any) -> int:
    return len(_array("States.ArrayLength", 1, array))


def fn_array_unique(array: Any) -> list:
    array = _array("States.ArrayUnique", 1, array)
    seen: set[Any] = set()
    unique: list[Any] = []
    for item in array:
        key = _equality_key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _limited_string(function: str, value: Any) -> str:
    text = _string(function, 1, value)
    if len(text) > MAX_CODEC_INPUT_CHARS:
        raise _fail(
            f"Invalid arguments in {function}: the input string has {len(text)} "
            f"characters, more than the maximum of {MAX_CODEC_INPUT_CHARS}")
    return text


def fn_base64_encode(value: Any) -> str:
    text = _limited_string("States.Base64Encode", value)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def fn_base64_decode(value: Any) -> str:
    text = _limited_string("States.Base64Decode", value)
    # Like the JVM's basic decoder, padding is optional but a lone trailing character
    # is not; undecodable UTF-8 becomes U+FFFD as Java's String constructor makes it.
    try:
        if len(text) % 4 == 1:
            raise ValueError("truncated Base64 input")
        padded = text + "=" * (-len(text) % 4)
        return base64.b64decode(padded, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        raise _fail(
            f"Invalid arguments in States.Base64Decode: the input is not valid "
            f"Base64-encoded UTF-8 text: {to_json_string(text)}") from None


def fn_hash(data: Any, algorithm: Any) -> str:
    text = _limited_string("States.Hash", data)
    name = _string("States.Hash", 2, algorithm)
    hashlib_name = HASH_ALGORITHMS.get(name)
    if hashlib_name is None:
        raise _fail(
            f"Invalid arguments in States.Hash: unsupported hash algorithm "
            f"{to_json_string(name)}; supported algorithms are {', '.join(HASH_ALGORITHMS)}")
    return hashlib.new(hashlib_name, text.encode("utf-8")).hexdigest()


def fn_json_merge(first: Any, second: Any, deep: Any) -> dict:
    left = _object("States.JsonMerge", 1, first)
    right = _object("States.JsonMerge", 2, second)
    if not isinstance(deep, bool):
        raise _arg_error("States.JsonMerge", 3, "a boolean", deep)
    if deep:
        raise _fail(
            "Invalid arguments in States.JsonMerge: deep merging is not supported; "
            "the third argument must be false")
    return {**left, **right}  # shallow: the second object's keys win


def fn_math_random(start: Any, end: Any, seed: Any = None) -> int:
    low = _integer("States.MathRandom", 1, start)
    high = _integer("States.MathRandom", 2, end)
    if low >= high:
        raise _fail(
            f"Invalid arguments in States.MathRandom: the start ({low}) must be less "
            f"than the end ({high})")
    if seed is None:
        return random.randrange(low, high)  # start inclusive, end exclusive
    return random.Random(_integer("States.MathRandom", 3, seed)).randrange(low, high)


def fn_math_add(first: Any, second: Any) -> int:
    # The common case first: two 32-bit ints (type() is int excludes bool).
    if type(first) is int and type(second) is int and INT32_MIN <= first <= INT32_MAX \
            and INT32_MIN <= second <= INT32_MAX:
        return first + second
    total = 0
    for position, value in ((1, first), (2, second)):
        number = _integer("States.MathAdd", position, value)
        if not INT32_MIN <= number <= INT32_MAX:
            raise _fail(
                f"Invalid arguments in States.MathAdd: argument {position} ({number}) is "
                f"outside the range {INT32_MIN} to {INT32_MAX}")
        total += number
    return total


def fn_string_split(value: Any, delimiters: Any) -> list[str]:
    """Split on any of the delimiter characters, dropping empty pieces."""
    text = _string("States.StringSplit", 1, value)
    chars = _string("States.StringSplit", 2, delimiters)
    if not chars:
        return [text] if text else []
    pattern = _split_pattern(chars)
    return [piece for piece in pattern.split(text) if piece]


_SPLIT_PATTERNS: dict[str, re.Pattern[str]] = {}


def _split_pattern(chars: str) -> re.Pattern[str]:
    pattern = _SPLIT_PATTERNS.get(chars)
    if pattern is None:
        pattern = re.compile("[" + "".join(re.escape(c) for c in chars) + "]")
        if len(_SPLIT_PATTERNS) < 256:
            _SPLIT_PATTERNS[chars] = pattern
    return pattern


def fn_uuid() -> str:
    return str(uuid.uuid4())


class _Function(NamedTuple):
    impl: Callable[..., Any]
    arity: tuple[int, int | None]  # (minimum, maximum or None for unbounded)


_FUNCTIONS: dict[str, _Function] = {
    "Format": _Function(fn_format, (1, None)),
    "StringToJson": _Function(fn_string_to_json, (1, 1)),
    "JsonToString": _Function(fn_json_to_string, (1, 1)),
    "Array": _Function(fn_array, (0, None)),
    "ArrayPartition": _Function(fn_array_partition, (2, 2)),
    "ArrayContains": _Function(fn_array_contains, (2, 2)),
    "ArrayRange": _Function(fn_array_range, (3, 3)),
    "ArrayGetItem": _Function(fn_array_get_item, (2, 2)),
    "ArrayLength": _Function(fn_array_length, (1, 1)),
    "ArrayUnique": _Function(fn_array_unique, (1, 1)),
    "Base64Encode": _Function(fn_base64_encode, (1, 1)),
    "Base64Decode": _Function(fn_base64_decode, (1, 1)),
    "Hash": _Function(fn_hash, (2, 2)),
    "JsonMerge": _Function(fn_json_merge, (3, 3)),
    "MathRandom": _Function(fn_math_random, (2, 3)),
    "MathAdd": _Function(fn_math_add, (2, 2)),
    "StringSplit": _Function(fn_string_split, (2, 2)),
    "UUID": _Function(fn_uuid, (0, 0)),
}
