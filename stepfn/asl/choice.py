"""Choice rules of the JSONPath query language, compiled once into predicates.

A Choice rule (one entry of a Choice state's ``Choices``, or a rule nested in
``And``/``Or``/``Not``) compiles into a ``Predicate``: ``pred(doc, env) -> bool``, where
``doc`` is the Choice state's effective input and ``env`` an ``EvalEnv``. Everything
that depends only on the definition (paths, literal timestamps, wildcard patterns,
operand type checks) is done at compile time; evaluation reads values and compares.

AWS semantics kept here:

* a value of the wrong type makes a comparison false, never an error; JSON booleans
  are not numbers (Python's ``True`` is an ``int``, so every numeric test excludes
  ``bool``); ``1`` equals ``1.0``;
* ``IsPresent`` is the only operator for which a ``Variable`` that matches nothing is
  an answer (false); for every other operator, and for a ``...Path`` operand that
  matches nothing, the execution fails with ``States.Runtime``;
* timestamps follow RFC 3339 with an uppercase ``T`` and ``Z`` (or a numeric offset);
  a string that is not such a timestamp compares false;
* ``StringMatches`` knows one wildcard, ``*``; ``\\*`` and ``\\\\`` stand for a literal
  star and backslash;
* strings order as Java orders them (by UTF-16 code unit), which differs from Python's
  code-point order only when characters beyond U+FFFF are involved.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from ..errors import PathNotFound, StatesError
from .budgets import ExpressionTimeout
from .jsonpath import JsonPathSyntaxError
from .paths import EvalEnv, Getter, compile_reference
from .timestamps import parse_timestamp

Predicate = Callable[[Any, EvalEnv], bool]
Compare = Callable[[Any, Any], bool]


class ChoiceRuleError(ValueError):
    """A malformed Choice rule.

    ``location`` is relative to the rule, written as AWS writes definition locations
    (``""`` for the rule itself, ``/And[1]/NumericEquals`` for a field of a nested
    rule), so a validator can append it to the rule's own location.
    """

    def __init__(self, message: str, location: str = "") -> None:
        self.message = message
        self.location = location
        where = f" at {location}" if location else ""
        super().__init__(f"{message}{where}")


# Fields a Choice rule may hold that are not part of its condition.
_NON_CONDITION_FIELDS = frozenset({"Next", "Comment", "Assign"})

_BOOLEAN_COMBINATORS = ("And", "Or", "Not")

_ORDER: dict[str, Compare] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

_TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")


def compile_choice_rule(rule: dict) -> Predicate:
    """Compile one JSONPath Choice rule into ``pred(doc, env) -> bool``.

    ``Next``, ``Comment`` and ``Assign`` are ignored. Raises ``ChoiceRuleError`` (a
    ``ValueError``) when the rule has no operator, more than one, an operand of the
    wrong type, or a malformed path. At run time the predicate raises ``StatesError``
    (``States.Runtime``) when a path other than an ``IsPresent`` variable matches
    nothing.
    """
    return _compile_rule(rule, "")


def _compile_rule(rule: Any, location: str) -> Predicate:
    if not isinstance(rule, dict):
        raise ChoiceRuleError("A Choice rule must be a JSON object", location)
    operators = [key for key in rule
                 if key not in _NON_CONDITION_FIELDS and key != "Variable"]
    if not operators:
        raise ChoiceRuleError("The Choice rule has no comparison operator "
                              "and no And, Or or Not", location)
    if len(operators) > 1:
        raise ChoiceRuleError("The Choice rule has more than one operator: "
                              + ", ".join(operators), location)
    name = operators[0]
    if name in _BOOLEAN_COMBINATORS:
        if "Variable" in rule:
            raise ChoiceRuleError(f"A rule using {name} must not have a Variable",
                                  f"{location}/Variable")
        return _compile_combinator(name, rule[name], f"{location}/{name}")
    if "Variable" not in rule:
        raise ChoiceRuleError(f"The {name} rule is missing the field 'Variable'", location)
    variable_text = rule["Variable"]
    variable = _compile_path(variable_text, f"{location}/Variable")
    return _compile_comparison(name, rule[name], variable_text, variable,
                               f"{location}/{name}")


def _compile_combinator(name: str, operand: Any, location: str) -> Predicate:
    if name == "Not":
        inner = _compile_rule(operand, location)
        return lambda doc, env: not inner(doc, env)
    if not isinstance(operand, list) or not operand:
        raise ChoiceRuleError(f"{name} must be a non-empty array of Choice rules",
                              location)
    rules = tuple(_compile_rule(item, f"{location}[{i}]") for i, item in enumerate(operand))
    return _all_of(rules) if name == "And" else _any_of(rules)


def _all_of(rules: tuple[Predicate, ...]) -> Predicate:
    def predicate(doc: Any, env: EvalEnv) -> bool:
        for rule in rules:
            if not rule(doc, env):
                return False
        return True

    return predicate


def _any_of(rules: tuple[Predicate, ...]) -> Predicate:
    def predicate(doc: Any, env: EvalEnv) -> bool:
        for rule in rules:
            if rule(doc, env):
                return True
        return False

    return predicate


def _compile_path(text: Any, location: str) -> Getter:
    if not isinstance(text, str):
        raise ChoiceRuleError("A path must be a string", location)
    try:
        return compile_reference(text)
    except JsonPathSyntaxError as exc:
        raise ChoiceRuleError(f"'{text}' is not a valid reference path ({exc})",
                              location) from exc


def _invalid_path(text: str) -> StatesError:
    return StatesError(
        "States.Runtime",
        f"Invalid path '{text}': The choice state's condition path references "
        "an invalid value.",
    )


def _resolver(text: str, getter: Getter) -> Getter:
    """``getter`` turning 'matches nothing' into AWS's Choice runtime error."""

    def resolve(doc: Any, env: EvalEnv) -> Any:
        try:
            return getter(doc, env)
        except (PathNotFound, StatesError) as exc:
            raise _unresolved(text, exc) from None

    return resolve


def _unresolved(text: str, exc: PathNotFound | StatesError) -> Exception:
    """What reading a Choice path that failed with ``exc`` raises: AWS's invalid-path
    error when it matched nothing or names an undefined $variable (which the Choice
    state reports as it reports a missing field), else ``exc`` itself."""
    if isinstance(exc, ExpressionTimeout):  # not a missing path: its cause names the path
        return exc
    if isinstance(exc, PathNotFound) or exc.error == "States.Runtime":
        return _invalid_path(text)
    return exc


# --- comparisons -------------------------------------------------------------------

def _compile_comparison(name: str, operand: Any, variable_text: str,
                        variable: Getter, location: str) -> Predicate:
    left = _resolver(variable_text, variable)
    if name in _TYPE_TESTS:
        return _compile_type_test(name, operand, variable, left, location)
    if name == "StringMatches":
        if not isinstance(operand, str):
            raise ChoiceRuleError("StringMatches must be a string", location)
        return _string_matches(left, operand)
    family, relation, by_path = _split_operator(name, location)
    coerce = _COERCIONS[family]
    order = _java_string_order(relation) if family == "String" else _ORDER[relation]
    if by_path:
        right = _compile_path(operand, location)
        return _compare_paths(variable_text, variable, operand, right, coerce, order)
    literal = coerce(operand)
    if literal is None:
        raise ChoiceRuleError(_LITERAL_EXPECTED[family].format(name=name), location)
    return _compare_to_literal(variable_text, variable, literal, coerce, order)


def _split_operator(name: str, location: str) -> tuple[str, str, bool]:
    """``NumericLessThanPath`` -> (``Numeric``, ``LessThan``, True)."""
    by_path = name.endswith("Path")
    core = name[:-4] if by_path else name
    for family, relations in _RELATIONS.items():
        if core.startswith(family) and core[len(family):] in relations:
            return family, core[len(family):], by_path
    raise ChoiceRuleError(f"Unknown Choice rule operator '{name}'", location)


# The comparisons read their paths bare and translate a failure in place (rather than
# through a ``_resolver`` frame per read): Choice states are evaluated in tight loops.
def _compare_paths(left_text: str, left: Getter, right_text: str, right: Getter,
                   coerce: Callable[[Any], Any], order: Compare) -> Predicate:
    def predicate(doc: Any, env: EvalEnv) -> bool:
        # Both paths are resolved first: a missing operand fails the execution even
        # when the Variable's value already has the wrong type.
        try:
            a = left(doc, env)
        except (PathNotFound, StatesError) as exc:
            raise _unresolved(left_text, exc) from None
        try:
            b = right(doc, env)
        except (PathNotFound, StatesError) as exc:
            raise _unresolved(right_text, exc) from None
        a, b = coerce(a), coerce(b)
        return a is not None and b is not None and order(a, b)

    return predicate


def _compare_to_literal(text: str, variable: Getter, literal: Any,
                        coerce: Callable[[Any], Any], order: Compare) -> Predicate:
    def predicate(doc: Any, env: EvalEnv) -> bool:
        try:
            value = coerce(variable(doc, env))
        except (PathNotFound, StatesError) as exc:
            raise _unresolved(text, exc) from None
        return value is not None and order(value, literal)

    return predicate


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Each coercion returns the comparable form of a value of its family, or None for a
# value of another type (no JSON value of these families is null).
def _as_number(value: Any) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


_COERCIONS: dict[str, Callable[[Any], Any]] = {
    "Numeric": _as_number,
    "String": lambda value: value if isinstance(value, str) else None,
    "Boolean": lambda value: value if isinstance(value, bool) else None,
    "Timestamp": lambda value: parse_timestamp(value) if isinstance(value, str) else None,
}

_RELATIONS: dict[str, frozenset[str]] = {
    "Numeric": frozenset(_ORDER),
    "String": frozenset(_ORDER),
    "Timestamp": frozenset(_ORDER),
    "Boolean": frozenset({"Equals"}),
}

_LITERAL_EXPECTED = {
    "Numeric": "{name} must be a number",
    "String": "{name} must be a string",
    "Boolean": "{name} must be a boolean",
    "Timestamp": "{name} must be a timestamp string such as 2016-08-18T17:33:00Z",
}


def _java_string_order(relation: str) -> Compare:
    order = _ORDER[relation]
    if relation == "Equals":
        return order

    def compare(a: str, b: str) -> bool:
        return order(*_java_string_keys(a, b))

    return compare


def _java_string_keys(a: str, b: str) -> tuple[Any, Any]:
    """Keys that order ``a`` and ``b`` as Java's ``String.compareTo`` does.

    Java compares UTF-16 code units; that order differs from code-point order only
    when a character beyond the BMP is involved, so the encoding is paid for then only.
    """
    if _within_bmp(a) and _within_bmp(b):
        return a, b
    return a.encode("utf-16-be"), b.encode("utf-16-be")


def _within_bmp(text: str) -> bool:
    return text.isascii() or max(text) <= "\uffff"


# --- type tests ----------------------------------------------------------------------

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": _is_number,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: isinstance(value, str) and parse_timestamp(value) is not None,
}


def _compile_type_test(name: str, operand: Any, variable: Getter, resolve: Getter,
                       location: str) -> Predicate:
    """A type test. ``IsPresent`` reads ``variable`` as is; the other tests read it
    through ``resolve``, which fails the execution when it matches nothing."""
    if not isinstance(operand, bool):
        raise ChoiceRuleError(f"{name} must be a boolean", location)
    if name == "IsPresent":
        return _is_present(variable, operand)
    check = _TYPE_CHECKS[name]
    if operand:
        return lambda doc, env: check(resolve(doc, env))
    return lambda doc, env: not check(resolve(doc, env))


def _is_present(variable: Getter, expected: bool) -> Predicate:
    def predicate(doc: Any, env: EvalEnv) -> bool:
        try:
            variable(doc, env)
        except PathNotFound:
            return not expected
        except StatesError as exc:
            # An undefined $variable is absent too; a path out of time is not.
            if exc.error != "States.Runtime" or isinstance(exc, ExpressionTimeout):
                raise
            return not expected
        return expected

    return predicate




# --- StringMatches -------------------------------------------------------------------

def _string_matches(left: Getter, pattern: str) -> Predicate:
    """Is the Variable a string matching the wildcard ``pattern`` in full?"""
    fullmatch = re.compile(_wildcard_to_regex(pattern), re.DOTALL).fullmatch

    def predicate(doc: Any, env: EvalEnv) -> bool:
        value = left(doc, env)
        return isinstance(value, str) and fullmatch(value) is not None

    return predicate


def _wildcard_to_regex(pattern: str) -> str:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            # \* and \\ are a literal star and backslash, as AWS documents; any
            # other escaped character stands for itself.
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char != "*":
            parts.append(re.escape(char))
        elif not parts or parts[-1] != ".*":
            # A run of stars means one star; collapsing it keeps matching cheap.
            parts.append(".*")
        i += 1
    return "".join(parts)


__all__ = ["ChoiceRuleError", "Predicate", "compile_choice_rule", "parse_timestamp"]
