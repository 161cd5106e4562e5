"""JSONPath as AWS Step Functions evaluates it (Jayway JsonPath semantics).

``compile_jsonpath(text)`` parses a ``$``-rooted path once into a ``JsonPath`` whose
``evaluate(doc)`` is a chain of closures; nothing is parsed again at run time.

What a path returns follows Jayway, which AWS runs:

* a *definite* path (only single names, single indexes, a trailing multi-name merge
  ``['a','b']`` or a function) returns one value and raises ``PathNotFound`` when it
  matches nothing;
* any other path returns the list of its matches and skips the branches that are
  missing or of the wrong type, so it never raises for missing data.

Jayway quirks kept on purpose: a filter applied to an object tests the object itself;
slices do not wrap negative ``from`` the Python way (``[-3:2]`` walks -3..1, ``[1:-1]``
is empty); ``['a','b']`` at the end of a path merges into one object; ``max()`` starts
from Java's ``Double.MIN_VALUE``; in filters a number equals a string holding the same
number when the number is on the left, and JSON booleans never equal numbers; an
unquoted word in a filter (``[?(@.Name==Receipt)]``, ``in [a, b]``) is the string it
spells, as AWS runs such deployed workflows.
"""

from __future__ import annotations

import math
import operator
import re
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import regex

from ..errors import PathNotFound
from . import budgets

__all__ = ["JsonPath", "JsonPathSyntaxError", "compile_jsonpath"]


class JsonPathSyntaxError(ValueError):
    """A path that Jayway's compiler (and so AWS) would reject."""


# A step is ``step(node, root, out)``: it finds what it selects in ``node`` and hands
# each hit to the next step, the last of which appends to ``out``.
Step = Callable[[Any, Any, list], None]
# A filter predicate: ``pred(item, root) -> bool``.
Predicate = Callable[[Any, Any], bool]
# A filter operand: ``operand(item, root) -> value`` (``UNDEFINED`` when missing).
Operand = Callable[[Any, Any], Any]


class _Undefined:
    """What a filter operand is when its path matched nothing."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()


class _AggregationError(Exception):
    """A numeric function found no number to work on (Jayway raises here too)."""


# --------------------------------------------------------------------------- tokens
# The parser produces one token per path step; the compiler turns tokens into steps.

class _Name:
    __slots__ = ("names",)

    def __init__(self, names: list[str]) -> None:
        self.names = names


class _Index:
    __slots__ = ("indexes",)

    def __init__(self, indexes: list[int]) -> None:
        self.indexes = indexes


class _Slice:
    __slots__ = ("start", "stop")

    def __init__(self, start: int | None, stop: int | None) -> None:
        self.start = start
        self.stop = stop


class _Wildcard:
    __slots__ = ()


class _Scan:
    __slots__ = ()


class _Filter:
    __slots__ = ("predicate",)

    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate


class _Function:
    __slots__ = ("name", "params")

    def __init__(self, name: str, params: list[Operand]) -> None:
        self.name = name
        self.params = params


Token = _Name | _Index | _Slice | _Wildcard | _Scan | _Filter | _Function


def _token_is_definite(token: Token, is_leaf: bool) -> bool:
    """Jayway's ``isTokenDefinite``: one name, one index, a leaf merge or a function."""
    if isinstance(token, _Name):
        return len(token.names) == 1 or is_leaf
    if isinstance(token, _Index):
        return len(token.indexes) == 1
    return isinstance(token, _Function)


# --------------------------------------------------------------------------- parser

_INT_RE = re.compile(r"-?\d+")
_NUMBER_RE = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_STRICT_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD_OPERATORS = ("in", "nin", "subsetof", "anyof", "noneof", "size", "empty", "contains")
_SYMBOL_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "=~", "===", "!==")
_OPERATOR_CHARS = frozenset("<>=~!")
# Where a name written with a dot ends inside a filter or a function's arguments.
_EMBEDDED_NAME_END = frozenset(" \t\r\n<>=~!)&|,")
_TOP_NAME_END = frozenset(".[(")
_JAVA_INT_MAX = 2**31 - 1
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
# Where an unquoted word ends: as a filter operand at a blank, a parenthesis, a logical
# or relational operator; inside a JSON literal at that literal's separators (json-smart
# reads the word up to them and drops trailing blanks).
_OPERAND_WORD_END = frozenset(" \t\r\n()&|<>=!~,")
_LIST_WORD_END = frozenset(",]()[{}")
_OBJECT_WORD_END = frozenset(",}()[{]")
_KEY_WORD_END = frozenset(":,}()[{]")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# A filter regex that may backtrack runs on the ``regex`` package, whose matches take a
# timeout (``re`` cannot stop one); both packages give these flags the same values.
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE,
                "u": 0, "d": 0, "U": 0}
assert all(getattr(regex, name) == getattr(re, name)
           for name in ("IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE"))


class _Parser:
    """A recursive-descent reader over the whole path text (filters included)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        #: Whether a filter regex needs the time budget (see ``_Pattern``).
        self.timed = False

    # -- helpers
    def error(self, message: str, pos: int | None = None) -> JsonPathSyntaxError:
        where = self.pos if pos is None else pos
        return JsonPathSyntaxError(
            f"Invalid JSONPath {self.text!r}: {message} (at position {where})")

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if i < len(self.text) else ""

    def skip_blanks(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos] in " \t\r\n":
            self.pos += 1

    def expect(self, char: str, what: str) -> None:
        self.skip_blanks()
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end of the path"
            raise self.error(f"expected {what} but found {found}")
        self.pos += 1

    # -- paths
    def parse_path(self, embedded: bool) -> list[Token]:
        """Read ``$...`` or ``@...`` from the current position into tokens.

        ``embedded`` paths (inside filters and function arguments) stop at the first
        character that cannot continue them; a top-level path must use all the text.
        """
        root = self.peek()
        if root != "$" and not (embedded and root == "@"):
            raise self.error("a path must start with '$'")
        self.pos += 1
        tokens: list[Token] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == ".":
                self.read_dot(tokens, embedded)
            elif char == "[":
                tokens.append(self.read_bracket())
            elif embedded:
                break
            elif not tokens:
                raise self.error(f"illegal character {char!r} after '$', expected '.' or '['")
            else:
                raise self.error(f"unexpected character {char!r}, expected '.' or '['")
        return tokens

    def read_dot(self, tokens: list[Token], embedded: bool) -> None:
        start = self.pos
        if self.peek(1) == ".":
            tokens.append(_Scan())
            self.pos += 2
        else:
            self.pos += 1
        char = self.peek()
        if not char or (embedded and char in _EMBEDDED_NAME_END):
            raise self.error("a path must not end with '.' or '..'", start)
        if char == ".":
            raise self.error("character '.' is not valid here")
        if char == "[":
            tokens.append(self.read_bracket())
        elif char == "*":
            self.pos += 1
            tokens.append(_Wildcard())
        else:
            tokens.append(self.read_name_or_function(embedded))

    def read_name_or_function(self, embedded: bool) -> Token:
        text = self.text
        start = self.pos
        ends = _TOP_NAME_END | _EMBEDDED_NAME_END if embedded else _TOP_NAME_END
        while self.pos < len(text) and text[self.pos] not in ends:
            if text[self.pos] in " \t\r\n":
                raise self.error(
                    "use bracket notation ['my prop'] for a name with blank characters")
            self.pos += 1
        name = text[start:self.pos]
        if not name:
            raise self.error("empty property name")
        if self.peek() == "(":
            return self.read_function(name)
        return _Name([name])

    def read_function(self, name: str) -> _Function:
        start = self.pos - len(name)
        if name not in _FUNCTIONS:
            raise self.error(f"unknown function {name}()", start)
        self.pos += 1  # (
        params: list[Operand] = []
        self.skip_blanks()
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                self.skip_blanks()
                params.append(self.read_operand())
                self.skip_blanks()
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect(")", "',' or ')' in the arguments of " + name + "()")
                break
        if params and name not in _FUNCTIONS_WITH_PARAMS:
            raise self.error(f"{name}() takes no arguments", start)
        return _Function(name, params)

    def read_bracket(self) -> Token:
        start = self.pos
        self.pos += 1  # [
        self.skip_blanks()
        char = self.peek()
        if char in ("'", '"'):
            token: Token = self.read_quoted_names()
        elif char == "*":
            self.pos += 1
            token = _Wildcard()
        elif char == "?":
            self.pos += 1
            self.expect("(", "'(' after '[?'")
            predicate = self.parse_or()
            self.expect(")", "')' closing the filter")
            token = _Filter(predicate)
        elif char and (char.isdigit() or char in "-:"):
            token = self.read_index_or_slice()
        elif not char:
            raise self.error("unclosed '['", start)
        else:
            raise self.error(
                "could not parse the bracket starting here, expected ?, ', \", 0-9, - or *",
                start)
        self.expect("]", "']'")
        return token

    def read_quoted_names(self) -> _Name:
        names = [self.read_string()]
        self.skip_blanks()
        while self.peek() == ",":
            self.pos += 1
            self.skip_blanks()
            if not self.peek() or self.peek() not in "'\"":
                raise self.error("expected a quoted name after ','")
            names.append(self.read_string())
            self.skip_blanks()
        return _Name(names)

    def read_string(self) -> str:
        quote = self.peek()
        start = self.pos
        text = self.text
        i = self.pos + 1
        while i < len(text):
            char = text[i]
            if char == "\\":
                i += 2
                continue
            if char == quote:
                self.pos = i + 1
                return _unescape(text[start + 1:i])
            i += 1
        raise self.error("unclosed string", start)

    def read_index_or_slice(self) -> Token:
        start = self.pos
        end = self.text.find("]", start)
        if end < 0:
            raise self.error("unclosed '['", start - 1)
        body = self.text[start:end].strip()
        self.pos = end
        if ":" in body:
            return self.parse_slice(body, start)
        parts = [part.strip() for part in body.split(",")]
        indexes: list[int] = []
        for part in parts:
            if not _INT_RE.fullmatch(part):
                raise self.error(f"failed to parse array index {body!r}", start)
            indexes.append(self.java_int(part, start))
        return _Index(indexes)

    def parse_slice(self, body: str, start: int) -> _Slice:
        if any(not (c.isdigit() or c in "-:") for c in body):
            raise self.error(f"failed to parse slice {body!r}", start)
        # Java's String.split drops trailing empty parts; a third part (a step) is
        # accepted and ignored, as Jayway does.
        parts = body.split(":")
        while parts and parts[-1] == "":
            parts.pop()
        bounds = [self.slice_bound(parts, i, body, start) for i in (0, 1)]
        if bounds[0] is None and bounds[1] is None:
            raise self.error(f"failed to parse slice {body!r}", start)
        return _Slice(bounds[0], bounds[1])

    def slice_bound(self, parts: list[str], i: int, body: str, start: int) -> int | None:
        if i >= len(parts) or parts[i] == "":
            return None
        if not _INT_RE.fullmatch(parts[i]):
            raise self.error(f"failed to parse slice {body!r}", start)
        return self.java_int(parts[i], start)

    def java_int(self, digits: str, start: int) -> int:
        value = int(digits)
        if not -_JAVA_INT_MAX - 1 <= value <= _JAVA_INT_MAX:
            raise self.error(f"index {digits} is out of range", start)
        return value

    # -- filters
    def parse_or(self) -> Predicate:
        terms = [self.parse_and()]
        while self.at_operator("||"):
            self.pos += 2
            terms.append(self.parse_and())
        return terms[0] if len(terms) == 1 else _any_of(terms)

    def parse_and(self) -> Predicate:
        terms = [self.parse_unary()]
        while self.at_operator("&&"):
            self.pos += 2
            terms.append(self.parse_unary())
        return terms[0] if len(terms) == 1 else _all_of(terms)

    def at_operator(self, op: str) -> bool:
        self.skip_blanks()
        return self.text.startswith(op, self.pos)

    def parse_unary(self) -> Predicate:
        self.skip_blanks()
        char = self.peek()
        if char == "!":
            save = self.pos
            self.pos += 1
            self.skip_blanks()
            if self.peek() in ("@", "$"):
                # '!@.x' is a path that must not exist: handled by parse_relation.
                self.pos = save
            else:
                negated = self.parse_unary()
                return lambda item, root: not negated(item, root)
        elif char == "(":
            self.pos += 1
            inner = self.parse_or()
            self.expect(")", "')'")
            return inner
        return self.parse_relation()

    def parse_relation(self) -> Predicate:
        self.skip_blanks()
        start = self.pos
        must_exist = True
        if self.peek() == "!":
            must_exist = False
            self.pos += 1
            self.skip_blanks()
        left = self.read_operand()
        operator = self.read_operator()
        if operator is None:
            if not isinstance(left, _PathOperand):
                raise self.error("a filter needs a comparison or a path to test", start)
            return _exists_predicate(left, must_exist)
        self.skip_blanks()
        if not self.peek() or self.peek() in ")&|":
            raise self.error(f"missing the right operand of {operator}")
        right = self.read_operand()
        return _relation(left, operator, right)

    def read_operator(self) -> str | None:
        self.skip_blanks()
        start = self.pos
        text = self.text
        char = self.peek()
        if not char or char in ")&|]," or text.startswith("&&", start):
            return None
        if char in _OPERATOR_CHARS:
            while self.pos < len(text) and text[self.pos] in _OPERATOR_CHARS:
                self.pos += 1
            operator = text[start:self.pos]
            if operator not in _SYMBOL_OPERATORS:
                raise self.error(f"unknown operator {operator!r}", start)
            return operator
        while self.pos < len(text) and text[self.pos].isalpha():
            self.pos += 1
        # Jayway upper-cases the word before looking it up: 'IN', 'In' and 'in' are one.
        operator = text[start:self.pos].lower()
        if operator not in _WORD_OPERATORS:
            raise self.error(f"unknown operator {operator or char!r}", start)
        return operator

    def read_operand(self) -> Operand:
        char = self.peek()
        if char in ("@", "$"):
            return _PathOperand(self.parse_path(embedded=True), char == "$")
        if char == "/":
            return _Literal(self.read_regex())
        return _Literal(self.read_literal())

    def read_regex(self) -> _Pattern:
        start = self.pos
        text = self.text
        i = start + 1
        while i < len(text) and text[i] != "/":
            i += 2 if text[i] == "\\" else 1
        if i >= len(text):
            raise self.error("unclosed regular expression", start)
        source = text[start + 1:i]
        i += 1
        flags = 0
        while i < len(text) and text[i].isalpha():
            if text[i] not in _REGEX_FLAGS:
                raise self.error(f"unknown regular expression flag {text[i]!r}", i)
            flags |= _REGEX_FLAGS[text[i]]
            i += 1
        self.pos = i
        try:
            pattern = _Pattern(source, flags)
            self.timed = self.timed or pattern.timed
            return pattern
        except (re.error, regex.error, ValueError) as exc:
            raise self.error(f"bad regular expression /{source}/: {exc}", start) from None

    def read_literal(self, ends: frozenset[str] = _OPERAND_WORD_END) -> Any:
        """A JSON-ish literal, or an unquoted word, which is a string.

        Jayway (json-smart) also takes single-quoted strings. An unquoted word such as
        ``es`` in ``[?(@.lang==es)]`` is the string ``"es"``, as Jayway's inline filter
        parser kept a bare operand and as json-smart's permissive mode reads one inside
        ``[...]``/``{...}`` literals; ``ends`` says where such a word stops.
        """
        self.skip_blanks()
        char = self.peek()
        if char in ("'", '"'):
            return self.read_string()
        if char == "[":
            return self.read_list_literal()
        if char == "{":
            return self.read_object_literal()
        start = self.pos
        end = start
        text = self.text
        while end < len(text) and text[end] not in ends:
            end += 1
        word = text[start:end].rstrip()
        if not word:
            found = repr(char) if char else "the end of the path"
            raise self.error(f"expected a value but found {found}")
        self.pos = start + len(word)
        if word in _KEYWORDS:
            return _KEYWORDS[word]
        if _NUMBER_RE.fullmatch(word):
            return _number(word)
        return word

    def read_list_literal(self) -> list:
        self.pos += 1
        items: list = []
        self.skip_blanks()
        if self.peek() == "]":
            self.pos += 1
            return items
        while True:
            items.append(self.read_literal(_LIST_WORD_END))
            self.skip_blanks()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("]", "',' or ']' in a list")
            return items

    def read_key(self) -> str:
        """An object literal's key: quoted, or (json-smart) the unquoted text as is."""
        self.skip_blanks()
        if self.peek() in ("'", '"') and self.peek():
            return self.read_string()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _KEY_WORD_END:
            self.pos += 1
        key = self.text[start:self.pos].rstrip()
        if not key:
            raise self.error("expected a key in an object")
        self.pos = start + len(key)
        return key

    def read_object_literal(self) -> dict:
        self.pos += 1
        result: dict = {}
        self.skip_blanks()
        if self.peek() == "}":
            self.pos += 1
            return result
        while True:
            key = self.read_key()
            self.expect(":", "':' in an object")
            result[key] = self.read_literal(_OBJECT_WORD_END)
            self.skip_blanks()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("}", "',' or '}' in an object")
            return result


def _unescape(raw: str) -> str:
    """Java-style escapes in a quoted name or string literal."""
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\" or i + 1 == len(raw):
            out.append(char)
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2:i + 6]):
            out.append(chr(int(raw[i + 2:i + 6], 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)


def _number(text: str) -> int | float:
    if any(c in text for c in ".eE"):
        return float(text)
    return int(text)


# --------------------------------------------------------------------- value model
# Filter operands are plain JSON values; these helpers give them Jayway's node types.

class _Pattern:
    """A regex literal; compares only through ``=~``.

    A pattern that cannot backtrack more than linearly runs on ``re``, as fast as
    ever; any other runs on ``regex`` under the time budget (``timed``): passing
    ``timeout=`` costs about 2 us per match, ten times a simple match.
    """

    __slots__ = ("regex", "timed")

    def __init__(self, source: str, flags: int) -> None:
        self.timed = not _is_linear(source)
        self.regex: re.Pattern | regex.Pattern = (
            regex.compile(source, flags) if self.timed else re.compile(source, flags))


def _is_linear(source: str) -> bool:
    """True when ``source`` has at most one quantifier, no alternation and no
    backreference: a full match then takes time linear in the input. Anything else
    (``(a+)+``, ``(a|a)*``, ``a*a*b``...) may backtrack polynomially or exponentially.
    Conservative: ``(?:`` and lazy ``*?`` count as quantifiers too."""
    quantifiers = 0
    i, end = 0, len(source)
    while i < end:
        char = source[i]
        if char == "\\":
            if source[i + 1:i + 2] in _BACKREFERENCE_STARTS:
                return False
            i += 2
            continue
        if char == "[":
            i = _class_end(source, i)
            continue
        if char == "|":
            return False
        if char in "*+?" or (char == "{" and source[i + 1:i + 2].isdigit()):
            quantifiers += 1
            if quantifiers > 1:
                return False
        i += 1
    return True


# Backreferences (\1, \g<1>, \k<n>); \p is counted with them, conservatively.
_BACKREFERENCE_STARTS = frozenset("123456789gkp")


def _class_end(source: str, start: int) -> int:
    """The index after the character class opening at ``start``."""
    i = start + 1
    if source[i:i + 1] == "^":
        i += 1
    if source[i:i + 1] == "]":
        i += 1
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i + 1


def _is_number(value: Any) -> bool:
    return (type(value) is int or type(value) is float) and not isinstance(value, bool)


def _is_json(value: Any) -> bool:
    return isinstance(value, (list, dict))


def _java_number_text(number: int | float) -> str:
    """Roughly Java's toString of a number (used when a string meets a number)."""
    if isinstance(number, int):
        return str(number)
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(number)
    mantissa, exponent = f"{number:.17E}".split("E")
    digits = repr(float(mantissa))
    return f"{digits}E{int(exponent)}"


def _string_as_number(text: str) -> int | float | None:
    if not _STRICT_NUMBER_RE.fullmatch(text):
        return None
    return _number(text)


def _json_equal(left: Any, right: Any) -> bool:
    """Deep equality that keeps JSON booleans apart from numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict):
        return (isinstance(right, dict) and left.keys() == right.keys()
                and all(_json_equal(v, right[k]) for k, v in left.items()))
    if isinstance(left, list):
        return (isinstance(right, list) and len(left) == len(right)
                and all(_json_equal(a, b) for a, b in zip(left, right, strict=True)))
    if _is_number(left):
        return _is_number(right) and left == right
    return type(left) is type(right) and left == right


_SCALAR_TYPES = frozenset({str, int, float, bool})


def _equals(left: Any, right: Any) -> bool:
    """Jayway's ``left.equals(right)`` on value nodes (it is not symmetric)."""
    if type(left) is type(right) and type(left) in _SCALAR_TYPES:
        return left == right  # the common case: same JSON type
    if left is UNDEFINED or right is UNDEFINED:
        return False
    if _is_number(left):
        if _is_number(right):
            return left == right
        if isinstance(right, str):
            number = _string_as_number(right)
            return number is not None and left == number
        return False
    if isinstance(left, str):
        if isinstance(right, str):
            return left == right
        if _is_number(right):
            return left == _java_number_text(right)
        return False
    if isinstance(left, bool):
        return isinstance(right, bool) and left == right
    if left is None:
        return right is None
    if _is_json(left):
        return _is_json(right) and _json_equal(left, right)
    if isinstance(left, _Pattern):
        return isinstance(right, _Pattern) and left.regex.pattern == right.regex.pattern
    return False


def _node_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if _is_json(value):
        return "json"
    if isinstance(value, _Pattern):
        return "pattern"
    return "undefined"


def _utf16_key(text: str) -> str | bytes:
    """Java compares strings by UTF-16 code units; only non-ASCII text differs."""
    return text if text.isascii() else text.encode("utf-16-be")


def _utf16_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _ordering(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Numbers with numbers, strings with strings; anything else is false."""
    def compare(left: Any, right: Any) -> bool:
        left_type = type(left)
        right_type = type(right)
        if (left_type is int or left_type is float) and (
                right_type is int or right_type is float):
            return test(left, right)
        if left_type is str and right_type is str:
            return test(_utf16_key(left), _utf16_key(right))
        return False
    return compare


def _regex_input(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if _is_number(value):
        return _java_number_text(value)
    return ""


def _regex_match(left: Any, right: Any) -> bool:
    """``=~``; a match that outlives the expression budget raises ``TimeoutError``
    (``JsonPath.evaluate`` turns it into ``ExpressionTimeout``)."""
    if isinstance(left, _Pattern) == isinstance(right, _Pattern):
        return False
    pattern, text = (left, right) if isinstance(left, _Pattern) else (right, left)
    if pattern.timed:
        deadline = getattr(_BUDGET, "deadline", None)
        if deadline is None:
            timeout = budgets.EXPRESSION_TIMEOUT_MS / 1000.0
        else:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                raise TimeoutError
        timed: Any = pattern.regex
        return timed.fullmatch(_regex_input(text), timeout=timeout) is not None
    return pattern.regex.fullmatch(_regex_input(text)) is not None


# The deadline of the path being evaluated on this thread, when it has timed filter
# regexes: the budget holds for the whole evaluation, not each match (a filter over
# 1,000 items must not take 1,000 budgets).
_BUDGET = threading.local()


def _within_budget(inner: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``inner`` (an evaluator) run under one deadline for all its regex matches."""

    def evaluate(doc: Any, root: Any) -> Any:
        if getattr(_BUDGET, "deadline", None) is not None:  # an enclosing evaluation's
            return inner(doc, root)
        _BUDGET.deadline = time.monotonic() + budgets.EXPRESSION_TIMEOUT_MS / 1000.0
        try:
            return inner(doc, root)
        finally:
            _BUDGET.deadline = None

    return evaluate


def _contains_node(values: list, probe: Any) -> bool:
    return any(_equals(probe, value) for value in values)


def _in(left: Any, right: Any) -> bool:
    return isinstance(right, list) and _contains_node(right, left)


def _nin(left: Any, right: Any) -> bool:
    return not _in(left, right)


def _subsetof(left: Any, right: Any) -> bool:
    if not isinstance(left, list) or not isinstance(right, list):
        return False
    return all(_contains_node(right, value) for value in left)


def _anyof(left: Any, right: Any) -> bool:
    if not isinstance(left, list) or not isinstance(right, list):
        return False
    return any(_contains_node(right, value) for value in left)


def _noneof(left: Any, right: Any) -> bool:
    if not isinstance(left, list) or not isinstance(right, list):
        return False
    return not any(_contains_node(right, value) for value in left)


def _size(left: Any, right: Any) -> bool:
    if not _is_number(right) or not math.isfinite(right):
        return False
    expected = int(right)  # Java's intValue() truncates
    if isinstance(left, str):
        return _utf16_length(left) == expected
    return isinstance(left, list) and len(left) == expected


def _empty(left: Any, right: Any) -> bool:
    if not isinstance(right, bool):
        return False
    if isinstance(left, (str, list, dict)):
        return (len(left) == 0) == right
    return False


def _contains(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return right in left
    if isinstance(left, list):
        return any(_equals(right, value) for value in left)
    return False


def _strict_equals(left: Any, right: Any) -> bool:
    return _node_kind(left) == _node_kind(right) and _equals(left, right)


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equals,
    "!=": lambda left, right: not _equals(left, right),
    "===": _strict_equals,
    "!==": lambda left, right: not _strict_equals(left, right),
    "<": _ordering(operator.lt),
    "<=": _ordering(operator.le),
    ">": _ordering(operator.gt),
    ">=": _ordering(operator.ge),
    "=~": _regex_match,
    "in": _in,
    "nin": _nin,
    "subsetof": _subsetof,
    "anyof": _anyof,
    "noneof": _noneof,
    "size": _size,
    "empty": _empty,
    "contains": _contains,
}


# ------------------------------------------------------------------ filter closures

class _Literal:
    """A constant operand."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, item: Any, root: Any) -> Any:
        return self.value


class _PathOperand:
    """A path inside a filter or argument list: ``@...`` (the item) or ``$...``."""

    __slots__ = ("from_root", "definite", "evaluate", "get")

    def __init__(self, tokens: list[Token], from_root: bool) -> None:
        self.from_root = from_root
        self.definite = _path_is_definite(tokens)
        self.evaluate = _build_evaluator(tokens, self.definite)
        segments = _plain_segments(tokens)
        # ``get(item, root)``: the value, a list if indefinite, UNDEFINED if missing.
        if segments is None:
            self.get: Operand = self.value
        elif from_root:
            read = _segment_operand(segments)
            self.get = lambda item, root: read(root, root)
        else:
            self.get = _segment_operand(segments)

    def __call__(self, item: Any, root: Any) -> Any:
        return self.get(item, root)

    def value(self, item: Any, root: Any) -> Any:
        """The value the path selects, a list if indefinite, UNDEFINED if missing."""
        try:
            return self.evaluate(root if self.from_root else item, root)
        except (_Missing, _AggregationError):
            return UNDEFINED

    def exists(self, item: Any, root: Any) -> bool:
        """Whether the path selects something (an empty list counts as nothing)."""
        found = self.get(item, root)
        if self.definite:
            return found is not UNDEFINED
        return found is not UNDEFINED and len(found) > 0


def _segment_operand(segments: tuple[str | int, ...]) -> Operand:
    """A relative definite path of names and indexes, read without the step chain."""
    if not segments:
        return lambda item, root: item

    def get(item: Any, root: Any) -> Any:
        for key in segments:
            if type(key) is int:
                if not isinstance(item, list) or not -len(item) <= key < len(item):
                    return UNDEFINED
            elif not isinstance(item, dict) or key not in item:
                return UNDEFINED
            item = item[key]
        return item
    return get


def _exists_predicate(path: _PathOperand, must_exist: bool) -> Predicate:
    if must_exist:
        return path.exists
    return lambda item, root: not path.exists(item, root)


def _relation(left: Operand, operator: str, right: Operand) -> Predicate:
    test = _RELATIONS[operator]
    get_left = left.get if isinstance(left, _PathOperand) else left
    if isinstance(right, _Literal):
        constant = right.value
        return lambda item, root: test(get_left(item, root), constant)
    get_right = right.get if isinstance(right, _PathOperand) else right
    return lambda item, root: test(get_left(item, root), get_right(item, root))


def _any_of(terms: list[Predicate]) -> Predicate:
    if len(terms) == 2:
        first, second = terms
        return lambda item, root: first(item, root) or second(item, root)

    def any_term(item: Any, root: Any) -> bool:
        for term in terms:
            if term(item, root):
                return True
        return False
    return any_term


def _all_of(terms: list[Predicate]) -> Predicate:
    if len(terms) == 2:
        first, second = terms
        return lambda item, root: first(item, root) and second(item, root)

    def all_terms(item: Any, root: Any) -> bool:
        for term in terms:
            if not term(item, root):
                return False
        return True
    return all_terms


# ------------------------------------------------------------------------ functions

def _numbers(model: Any, params: list[Operand], root: Any) -> list[float]:
    """Numbers of an array model plus those of the arguments (lists are opened)."""
    values = [v for v in model if _is_number(v)] if isinstance(model, list) else []
    for value in _param_values(model, params, root):
        if _is_number(value):
            values.append(value)
    if not values:
        raise _AggregationError("aggregation function attempted on an empty array")
    return [float(v) for v in values]


def _param_values(model: Any, params: list[Operand], root: Any) -> list:
    values: list = []
    for param in params:
        value = param(model, root)
        if isinstance(value, list):
            values.extend(value)
        elif value is not UNDEFINED:
            values.append(value)
    return values


def _fn_length(model: Any, params: list[Operand], root: Any) -> Any:
    if params:  # only from a '$..x.length()' rewrite: count what the scan found
        found = params[0](model, root)
        if isinstance(found, list):
            return len(found)
    return len(model) if isinstance(model, (list, dict)) else None


def _fn_sum(model: Any, params: list[Operand], root: Any) -> float:
    return math.fsum(_numbers(model, params, root))


def _fn_avg(model: Any, params: list[Operand], root: Any) -> float:
    values = _numbers(model, params, root)
    return sum(values) / len(values)


def _fn_min(model: Any, params: list[Operand], root: Any) -> float:
    return min(_numbers(model, params, root))


def _fn_max(model: Any, params: list[Operand], root: Any) -> float:
    # Jayway starts from Double.MIN_VALUE, the smallest *positive* double.
    return max([5e-324, *_numbers(model, params, root)])


def _fn_stddev(model: Any, params: list[Operand], root: Any) -> float:
    values = _numbers(model, params, root)
    count = len(values)
    total = sum(values)
    squares = sum(v * v for v in values)
    return math.sqrt(max(squares / count - total * total / count / count, 0.0))


def _fn_keys(model: Any, params: list[Operand], root: Any) -> Any:
    return list(model) if isinstance(model, dict) else None


def _fn_first(model: Any, params: list[Operand], root: Any) -> Any:
    return model[0] if isinstance(model, list) and model else None


def _fn_last(model: Any, params: list[Operand], root: Any) -> Any:
    return model[-1] if isinstance(model, list) and model else None


def _fn_concat(model: Any, params: list[Operand], root: Any) -> str:
    parts = [v for v in model if isinstance(v, str)] if isinstance(model, list) else []
    parts.extend(v for v in _param_values(model, params, root) if isinstance(v, str))
    return "".join(parts)


def _fn_append(model: Any, params: list[Operand], root: Any) -> Any:
    if not isinstance(model, list):
        return model
    added = [param(model, root) for param in params]
    return model + [None if v is UNDEFINED else v for v in added]


_FUNCTIONS: dict[str, Callable[[Any, list[Operand], Any], Any]] = {
    "length": _fn_length, "size": _fn_length, "sum": _fn_sum, "avg": _fn_avg,
    "min": _fn_min, "max": _fn_max, "stddev": _fn_stddev, "keys": _fn_keys,
    "first": _fn_first, "last": _fn_last, "concat": _fn_concat, "append": _fn_append,
}
_FUNCTIONS_WITH_PARAMS = frozenset({"sum", "avg", "min", "max", "stddev", "concat", "append"})


# ------------------------------------------------------------------------- compiler

class _Missing(Exception):
    """A definite path selected nothing (internal; becomes PathNotFound)."""


def _path_is_definite(tokens: list[Token]) -> bool:
    last = len(tokens) - 1
    return all(_token_is_definite(token, i == last) for i, token in enumerate(tokens))


def _append_hit(node: Any, root: Any, out: list) -> None:
    out.append(node)


def _compile_steps(tokens: list[Token]) -> Step:
    """Chain the tokens into closures, last first, and return the first step."""
    steps: list[Step] = [_append_hit] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        steps[i] = _compile_token(tokens, i, steps)
    return steps[0]


def _compile_token(tokens: list[Token], i: int, steps: list[Step]) -> Step:
    token = tokens[i]
    nxt = steps[i + 1]
    is_leaf = i == len(tokens) - 1
    if isinstance(token, _Name):
        return _name_step(token.names, is_leaf, nxt)
    if isinstance(token, _Index):
        return _index_step(token.indexes, nxt)
    if isinstance(token, _Slice):
        return _slice_step(token.start, token.stop, nxt)
    if isinstance(token, _Wildcard):
        return _wildcard_step(nxt)
    if isinstance(token, _Filter):
        return _filter_step(token.predicate, nxt)
    if isinstance(token, _Function):
        return _function_step(token, nxt)
    return _scan_step(tokens, i, steps)


def _name_step(names: list[str], is_leaf: bool, nxt: Step) -> Step:
    if len(names) == 1:
        name = names[0]

        def one_name(node: Any, root: Any, out: list) -> None:
            if isinstance(node, dict) and name in node:
                nxt(node[name], root, out)
        return one_name

    if is_leaf:
        def merge_names(node: Any, root: Any, out: list) -> None:
            if isinstance(node, dict):
                nxt({k: node[k] for k in names if k in node}, root, out)
        return merge_names

    def each_name(node: Any, root: Any, out: list) -> None:
        if isinstance(node, dict):
            for name in names:
                if name in node:
                    nxt(node[name], root, out)
    return each_name


def _index_step(indexes: list[int], nxt: Step) -> Step:
    def at_indexes(node: Any, root: Any, out: list) -> None:
        if isinstance(node, list):
            size = len(node)
            for index in indexes:
                # Jayway adds the length once; an index still negative is missing.
                position = index + size if index < 0 else index
                if 0 <= position < size:
                    nxt(node[position], root, out)
    return at_indexes


def _slice_positions(start: int | None, stop: int | None, size: int) -> range:
    """Jayway's three slice forms; not Python's slice arithmetic."""
    if size == 0:
        return range(0)
    if start is None and stop is None:  # [:]
        return range(size)
    if stop is None:  # [from:]
        assert start is not None
        first = max(0, start + size if start < 0 else start)
        return range(first, size)
    if start is None:  # [:to]
        return range(0, min(size, stop + size if stop < 0 else stop))
    return range(start, min(size, stop))  # [from:to]: no wrapping of 'to'


def _slice_step(start: int | None, stop: int | None, nxt: Step) -> Step:
    def in_slice(node: Any, root: Any, out: list) -> None:
        if isinstance(node, list):
            size = len(node)
            for index in _slice_positions(start, stop, size):
                position = index + size if index < 0 else index
                if 0 <= position < size:
                    nxt(node[position], root, out)
    return in_slice


def _wildcard_step(nxt: Step) -> Step:
    def every_child(node: Any, root: Any, out: list) -> None:
        if isinstance(node, dict):
            for value in node.values():
                nxt(value, root, out)
        elif isinstance(node, list):
            for value in node:
                nxt(value, root, out)
    return every_child


def _filter_step(predicate: Predicate, nxt: Step) -> Step:
    def filtered(node: Any, root: Any, out: list) -> None:
        if isinstance(node, list):
            for item in node:
                if predicate(item, root):
                    nxt(item, root, out)
        elif isinstance(node, dict) and predicate(node, root):
            # Jayway applies a filter on an object to the object itself.
            nxt(node, root, out)
    return filtered


def _function_step(token: _Function, nxt: Step) -> Step:
    function = _FUNCTIONS[token.name]
    params = token.params

    def call(node: Any, root: Any, out: list) -> None:
        nxt(function(node, params, root), root, out)
    return call


def _scan_predicate(target: Token, target_is_leaf: bool) -> Predicate:
    """Which nodes of a deep scan the token after ``..`` is tried on (as Jayway)."""
    if isinstance(target, _Name):
        names = target.names
        if len(names) == 1:
            name = names[0]
            return lambda node, root: isinstance(node, dict) and name in node
        if not target_is_leaf:
            return lambda node, root: isinstance(node, dict)
        return lambda node, root: isinstance(node, dict) and all(n in node for n in names)
    if isinstance(target, (_Index, _Slice)):
        return lambda node, root: isinstance(node, list)
    if isinstance(target, _Wildcard):
        return lambda node, root: True
    if isinstance(target, _Filter):
        return target.predicate
    return lambda node, root: False


def _scan_step(tokens: list[Token], i: int, steps: list[Step]) -> Step:
    target_step = steps[i + 1]
    after_target = steps[i + 2]
    target_is_leaf = i + 1 == len(tokens) - 1
    matches = _scan_predicate(tokens[i + 1], target_is_leaf)

    def walk(node: Any, root: Any, out: list) -> None:
        if isinstance(node, dict):
            if matches(node, root):
                target_step(node, root, out)
            children: Any = node.values()
        elif isinstance(node, list):
            if matches(node, root):
                if target_is_leaf:
                    target_step(node, root, out)
                else:
                    # Jayway hands the array's elements straight to the token after
                    # the target here (right for '*', surprising for '[0]').
                    for value in node:
                        after_target(value, root, out)
            children = node
        else:
            return
        for value in children:
            if isinstance(value, (dict, list)):
                walk(value, root, out)
    return walk


def _build_evaluator(tokens: list[Token], definite: bool) -> Callable[[Any, Any], Any]:
    """``evaluate(doc, root)``: a value (raises _Missing) or the list of matches."""
    first = _compile_steps(tokens)
    if definite:
        def evaluate_one(doc: Any, root: Any) -> Any:
            out: list = []
            first(doc, root, out)
            if not out:
                raise _Missing
            return out[0]
        return evaluate_one

    def evaluate_all(doc: Any, root: Any) -> list:
        out: list = []
        first(doc, root, out)
        return out
    return evaluate_all


def _segment_evaluator(text: str, segments: tuple[str | int, ...]) -> Callable[..., Any]:
    """The hot path: a definite path of names and indexes, as a tight loop.

    The evaluators take an ignored second argument, so that one can serve directly as a
    reference-path getter ``(doc, env)`` without a wrapper (see paths.py)."""
    if not segments:
        def whole(doc: Any, env: Any = None) -> Any:
            return doc
        return whole
    if all(type(key) is str for key in segments):
        if len(segments) == 1:
            key = segments[0]

            def one_name(doc: Any, env: Any = None) -> Any:
                # A str key on a list or a str raises TypeError: missing, as wanted.
                try:
                    return doc[key]
                except (KeyError, TypeError):
                    raise PathNotFound(text) from None
            return one_name

        def names(doc: Any, env: Any = None) -> Any:
            try:
                for key in segments:
                    doc = doc[key]
            except (KeyError, TypeError):
                raise PathNotFound(text) from None
            return doc
        return names

    def names_and_indexes(doc: Any, env: Any = None) -> Any:
        try:
            for key in segments:
                # An int only indexes a list (not a str, never a dict).
                if type(key) is int and type(doc) is not list:
                    raise PathNotFound(text)
                doc = doc[key]
        except (KeyError, IndexError, TypeError):
            raise PathNotFound(text) from None
        return doc
    return names_and_indexes


class JsonPath:
    """A compiled ``$``-rooted JSONPath.

    ``evaluate(doc)`` returns the selected value for a definite path (raising
    ``PathNotFound(text)`` when nothing matches) and the list of matches otherwise; it
    accepts (and ignores) a second argument, so it is a ``(doc, env)`` getter too.
    ``segments`` holds the keys of a definite path made only of names and indexes
    (``()`` for ``$``) and is None for any other path.
    """

    __slots__ = ("text", "is_definite", "segments", "evaluate")

    def __init__(self, text: str, tokens: list[Token], timed: bool = False) -> None:
        self.text = text
        self.is_definite = _path_is_definite(tokens)
        self.segments = _plain_segments(tokens)
        # (doc, env=None) -> value; env is ignored, so it serves as a (doc, env) getter
        self.evaluate: Callable[..., Any] = self._make_evaluate(tokens, timed)

    def _make_evaluate(self, tokens: list[Token], timed: bool) -> Callable[..., Any]:
        if self.segments is not None:
            return _segment_evaluator(self.text, self.segments)
        evaluate = _build_evaluator(tokens, self.is_definite)
        if timed:
            evaluate = _within_budget(evaluate)
        text = self.text
        if not self.is_definite:
            def evaluate_all(doc: Any, env: Any = None) -> list:
                try:
                    return evaluate(doc, doc)
                except _AggregationError:
                    return []  # AWS's Jayway suppresses the exception: no match
                except TimeoutError:  # a filter regex ran out of its budget
                    raise budgets.ExpressionTimeout(text) from None
            return evaluate_all

        def evaluate_definite(doc: Any, env: Any = None) -> Any:
            try:
                return evaluate(doc, doc)
            except (_Missing, _AggregationError):
                raise PathNotFound(text) from None
            except TimeoutError:
                raise budgets.ExpressionTimeout(text) from None
        return evaluate_definite

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"


def _plain_segments(tokens: list[Token]) -> tuple[str | int, ...] | None:
    segments: list[str | int] = []
    for token in tokens:
        if isinstance(token, _Name) and len(token.names) == 1:
            segments.append(token.names[0])
        elif isinstance(token, _Index) and len(token.indexes) == 1:
            segments.append(token.indexes[0])
        else:
            return None
    return tuple(segments)


@lru_cache(maxsize=4096)
def compile_jsonpath(text: str) -> JsonPath:
    """Compile a ``$``-rooted JSONPath; raise JsonPathSyntaxError if malformed."""
    if not isinstance(text, str):
        raise JsonPathSyntaxError(f"a JSONPath must be a string, not {type(text).__name__}")
    parser = _Parser(text.rstrip())
    if not parser.text.startswith("$"):
        raise parser.error("a path must start with '$'", 0)
    tokens = parser.parse_path(embedded=False)
    return JsonPath(text, _invert_scan_function(tokens), parser.timed)


def _invert_scan_function(tokens: list[Token]) -> list[Token]:
    """Jayway runs ``$..x.fn()`` as ``fn`` over everything ``$..x`` finds.

    ``length()`` then counts the children of the matches (Jayway appends ``.*``);
    the other functions take the matches as their argument.
    """
    if not tokens or not isinstance(tokens[0], _Scan) or not isinstance(tokens[-1], _Function):
        return tokens
    first_function = next(i for i, t in enumerate(tokens) if isinstance(t, _Function))
    function = tokens[first_function]
    assert isinstance(function, _Function)
    scanned = tokens[:first_function]
    if function.name in ("length", "size"):
        scanned = [*scanned, _Wildcard()]
    argument = _PathOperand(scanned, from_root=True)
    return [_Function(function.name, [argument]), *tokens[first_function + 1:]]
