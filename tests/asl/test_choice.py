"""Tests for stepfn.asl.choice: JSONPath Choice rules compiled into predicates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stepfn.asl.choice import ChoiceRuleError, compile_choice_rule, parse_timestamp
from stepfn.asl.paths import EvalEnv, compile_reference
from stepfn.errors import StatesError

ENV = EvalEnv(context={"Execution": {"Name": "run-1"}}, variables={"limit": 10, "cfg": {"on": True}})


def holds(rule: dict, doc: Any, env: EvalEnv = ENV) -> bool:
    return compile_choice_rule(rule)(doc, env)


# --- conformance cases recorded against AWS ------------------------------------------

CASES_DIR = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "cases" / "choice_operators"


def _load_cases() -> list[dict]:
    if not CASES_DIR.is_dir():
        return []
    return [json.loads(path.read_text()) for path in sorted(CASES_DIR.glob("*.json"))]


CASES = _load_cases()


def _choose(state: dict, doc: Any, env: EvalEnv) -> str:
    """The Next of the first matching rule, else Default (as the interpreter does)."""
    if state.get("InputPath") is not None:
        doc = compile_reference(state["InputPath"])(doc, env)
    for rule in state["Choices"]:
        if compile_choice_rule(rule)(doc, env):
            return rule["Next"]
    if "Default" in state:
        return state["Default"]
    raise StatesError("States.NoChoiceMatched")


def _branch_aws_took(definition: dict, choice_name: str, expected: dict) -> str:
    """The Choice target AWS went to: from the history when recorded, else from the
    output, which only one target's Pass state produces."""
    names = [e.get("name") for e in expected.get("events") or []]
    if choice_name in names and names.index(choice_name) + 1 < len(names):
        following = [n for n in names[names.index(choice_name) + 1:] if n]
        if following:
            return following[0]
    state = definition["States"][choice_name]
    targets = {rule["Next"] for rule in state["Choices"]} | {state.get("Default")}
    revealing = [name for name in targets if name is not None
                 and definition["States"][name].get("Result") == expected["output"]]
    assert len(revealing) == 1, f"cannot tell the branch from the output: {revealing}"
    return revealing[0]


@pytest.mark.skipif(not CASES, reason="conformance cases not available")
@pytest.mark.parametrize("case", CASES, ids=[c["id"].split("::", 1)[-1] for c in CASES])
def test_recorded_aws_case(case: dict) -> None:
    definition = json.loads(case["definition"])
    choice_name = definition["StartAt"]
    state = definition["States"][choice_name]
    assert state["Type"] == "Choice"
    doc = json.loads(case["input"]) if case["input"] is not None else {}
    expected = case["expected"]
    env = EvalEnv(context={})
    if expected["status"] == "SUCCEEDED":
        assert _choose(state, doc, env) == _branch_aws_took(definition, choice_name, expected)
    else:
        with pytest.raises(StatesError) as failure:
            _choose(state, doc, env)
        assert failure.value.error == expected["error"]
        # AWS prefixes the cause with the state and event id; the engine adds that.
        assert expected.get("cause", "").endswith(failure.value.cause or "")


def test_conformance_cases_load_when_present() -> None:
    if not CASES_DIR.parent.is_dir():
        pytest.skip("conformance cases not available")
    assert len(CASES) >= 300


# --- operators -----------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (1, True), (1.0, True), (2, False), (True, False), ("1", False), (None, False),
])
def test_numeric_equals_is_typed_and_int_equals_float(value: Any, expected: bool) -> None:
    assert holds({"Variable": "$.v", "NumericEquals": 1}, {"v": value}) is expected


@pytest.mark.parametrize("op, value, expected", [
    ("NumericLessThan", 4, True), ("NumericLessThan", 5, False),
    ("NumericLessThanEquals", 5, True), ("NumericLessThanEquals", 5.5, False),
    ("NumericGreaterThan", 6, True), ("NumericGreaterThan", 5.0, False),
    ("NumericGreaterThanEquals", 5.0, True), ("NumericGreaterThanEquals", -1, False),
])
def test_numeric_ordering(op: str, value: Any, expected: bool) -> None:
    assert holds({"Variable": "$.v", op: 5}, {"v": value}) is expected


def test_numeric_comparisons_reject_booleans_on_either_side() -> None:
    assert not holds({"Variable": "$.v", "NumericGreaterThan": 0}, {"v": True})
    assert not holds({"Variable": "$.v", "NumericEqualsPath": "$.w"}, {"v": 1, "w": True})
    assert holds({"Variable": "$.v", "NumericEqualsPath": "$.w"}, {"v": 1, "w": 1.0})


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), (1, False), ("true", False)])
def test_boolean_equals(value: Any, expected: bool) -> None:
    assert holds({"Variable": "$.v", "BooleanEquals": True}, {"v": value}) is expected


def test_boolean_equals_path() -> None:
    rule = {"Variable": "$.a", "BooleanEqualsPath": "$.b"}
    assert holds(rule, {"a": False, "b": False})
    assert not holds(rule, {"a": False, "b": 0})


@pytest.mark.parametrize("op, value, expected", [
    ("StringEquals", "abc", True), ("StringEquals", "ABC", False), ("StringEquals", 1, False),
    ("StringLessThan", "abb", True), ("StringLessThan", "abc", False),
    ("StringLessThanEquals", "abc", True), ("StringGreaterThan", "abcd", True),
    ("StringGreaterThan", "ab", False), ("StringGreaterThanEquals", "abc", True),
    ("StringGreaterThanEquals", None, False),
])
def test_string_operators(op: str, value: Any, expected: bool) -> None:
    assert holds({"Variable": "$.v", op: "abc"}, {"v": value}) is expected


def test_string_order_is_utf16_code_unit_order_as_java() -> None:
    # U+1F600 is encoded as surrogates (0xD83D...), below U+FFFD in UTF-16 order,
    # though above it in code-point order.
    assert holds({"Variable": "$.v", "StringLessThan": "\ufffd"}, {"v": "\U0001F600"})
    assert holds({"Variable": "$.v", "StringGreaterThanPath": "$.w"},
                 {"v": "\ufffd", "w": "\U0001F600"})


@pytest.mark.parametrize("pattern, value, expected", [
    ("log-*.txt", "log-2024.txt", True),
    ("log-*.txt", "log-.txt", True),
    ("log-*.txt", "log-1.txt.gz", False),
    ("*", "", True),
    ("a**b", "ab", True),
    ("a.c", "abc", False),  # no regex leaks through
    ("a\\*b", "a*b", True),
    ("a\\*b", "axb", False),
    ("a\\\\*", "a\\anything", True),
    ("a\\\\*", "anything", False),
    ("line*", "line1\nline2", True),
    ("x", 1, False),
])
def test_string_matches(pattern: str, value: Any, expected: bool) -> None:
    assert holds({"Variable": "$.v", "StringMatches": pattern}, {"v": value}) is expected


@pytest.mark.parametrize("text, valid", [
    ("2016-08-18T17:33:00Z", True),
    ("2016-08-18T17:33:00.5Z", True),
    ("2016-03-05T21:29:29.243167252Z", True),
    ("2016-08-18T17:33:00+01:00", True),
    ("2016-08-18T17:33:00-05:30", True),
    ("2016-08-18t17:33:00Z", False),
    ("2016-08-18T17:33:00z", False),
    ("2016-08-18T17:33:00", False),
    ("2016-08-18 17:33:00Z", False),
    ("2016-08-18", False),
    ("2016-13-05T21:29:29Z", False),
    ("2016-02-30T21:29:29Z", False),
    ("2016-12-05T25:29:29Z", False),
    ("05-12-2016T21:29:29Z", False),
    ("2016-08-18T17:33Z", False),
])
def test_timestamp_format(text: str, valid: bool) -> None:
    assert (parse_timestamp(text) is not None) is valid
    assert holds({"Variable": "$.v", "IsTimestamp": True}, {"v": text}) is valid


def test_timestamps_compare_as_instants_with_offsets_and_nanoseconds() -> None:
    same = {"Variable": "$.v", "TimestampEquals": "2016-08-18T17:33:00Z"}
    assert holds(same, {"v": "2016-08-18T18:33:00+01:00"})
    assert holds(same, {"v": "2016-08-18T17:33:00.000Z"})
    later = {"Variable": "$.v", "TimestampGreaterThan": "2016-08-18T17:33:00.000000001Z"}
    assert holds(later, {"v": "2016-08-18T17:33:00.000000002Z"})
    assert not holds(later, {"v": "2016-08-18T17:33:00.000000001Z"})
    assert holds({"Variable": "$.v", "TimestampLessThanEquals": "2000-01-01T00:00:00Z"},
                 {"v": "1999-12-31T23:59:59Z"})
    assert holds({"Variable": "$.v", "TimestampGreaterThanEquals": "2000-01-01T00:00:00Z"},
                 {"v": "2000-01-01T00:00:00Z"})
    assert holds({"Variable": "$.v", "TimestampLessThan": "2000-01-01T00:00:00Z"},
                 {"v": "2000-01-01T00:00:00+00:01"})


def test_invalid_timestamp_values_compare_false() -> None:
    rule = {"Variable": "$.v", "TimestampLessThanPath": "$.w"}
    assert holds(rule, {"v": "2000-01-01T00:00:00Z", "w": "2001-01-01T00:00:00Z"})
    assert not holds(rule, {"v": "2000-01-01T00:00:00", "w": "2001-01-01T00:00:00Z"})
    assert not holds(rule, {"v": "2000-01-01T00:00:00Z", "w": 5})
    assert not holds({"Variable": "$.v", "TimestampEquals": "2000-01-01T00:00:00Z"}, {"v": 0})


@pytest.mark.parametrize("op, value, expected", [
    ("IsNull", None, True), ("IsNull", 0, False),
    ("IsNumeric", 0, True), ("IsNumeric", 1.5, True), ("IsNumeric", False, False),
    ("IsNumeric", "1", False),
    ("IsString", "", True), ("IsString", None, False),
    ("IsBoolean", False, True), ("IsBoolean", 0, False),
    ("IsTimestamp", "2016-08-18T17:33:00Z", True), ("IsTimestamp", "yesterday", False),
    ("IsPresent", None, True),
])
def test_type_tests(op: str, value: Any, expected: bool) -> None:
    assert holds({"Variable": "$.v", op: True}, {"v": value}) is expected
    assert holds({"Variable": "$.v", op: False}, {"v": value}) is (not expected)


def test_is_present_on_missing_field_and_undefined_variable() -> None:
    assert not holds({"Variable": "$.missing", "IsPresent": True}, {"v": 1})
    assert holds({"Variable": "$.missing.deeper", "IsPresent": False}, {"v": 1})
    assert not holds({"Variable": "$nowhere", "IsPresent": True}, {})
    assert holds({"Variable": "$limit", "IsPresent": True}, {})


def test_and_or_not_combine_and_short_circuit() -> None:
    rule = {"And": [
        {"Variable": "$.x", "IsPresent": True},
        {"Or": [{"Variable": "$.x", "NumericEquals": 1},
                {"Not": {"Variable": "$.x", "IsNumeric": True}}]},
    ], "Next": "A"}
    assert holds(rule, {"x": 1})
    assert holds(rule, {"x": "text"})
    assert not holds(rule, {"x": 2})
    # The IsPresent guard keeps the runtime error of the NumericEquals away.
    assert not holds(rule, {})


# --- roots: $, $$ and $var ------------------------------------------------------------

def test_paths_read_input_context_and_variables() -> None:
    assert holds({"Variable": "$", "StringEquals": "whole"}, "whole")
    assert holds({"Variable": "$$.Execution.Name", "StringEquals": "run-1"}, {})
    assert holds({"Variable": "$limit", "NumericGreaterThan": 5}, {})
    assert holds({"Variable": "$cfg.on", "BooleanEquals": True}, {})
    assert holds({"Variable": "$.n", "NumericLessThanPath": "$limit"}, {"n": 3})
    assert holds({"Variable": "$.n", "StringEqualsPath": "$$.Execution.Name"}, {"n": "run-1"})


# --- runtime errors ------------------------------------------------------------------

@pytest.mark.parametrize("rule, bad_path", [
    ({"Variable": "$.missing", "NumericEquals": 1}, "$.missing"),
    ({"Variable": "$.missing", "IsNull": True}, "$.missing"),
    ({"Variable": "$.missing", "StringMatches": "*"}, "$.missing"),
    ({"Variable": "$.v", "NumericEqualsPath": "$.missing"}, "$.missing"),
    ({"Variable": "$.v", "StringLessThanPath": "$.missing"}, "$.missing"),
    ({"Not": {"Variable": "$.a.b", "BooleanEquals": True}}, "$.a.b"),
    ({"Variable": "$undefined", "NumericEquals": 1}, "$undefined"),
])
def test_path_matching_nothing_fails_with_states_runtime(rule: dict, bad_path: str) -> None:
    with pytest.raises(StatesError) as failure:
        holds(rule, {"v": 1, "a": {}})
    assert failure.value.error == "States.Runtime"
    assert failure.value.cause == (f"Invalid path '{bad_path}': The choice state's "
                                   "condition path references an invalid value.")


# --- malformed rules -----------------------------------------------------------------

@pytest.mark.parametrize("rule, message, location", [
    ({"Variable": "$.v", "Next": "A"}, "no comparison operator", ""),
    ({"Variable": "$.v", "NumericEquals": 1, "StringEquals": "a"}, "more than one operator", ""),
    ({"Variable": "$.v", "NumericEquals": "1"}, "must be a number", "/NumericEquals"),
    ({"Variable": "$.v", "NumericEquals": True}, "must be a number", "/NumericEquals"),
    ({"Variable": "$.v", "StringEquals": 1}, "must be a string", "/StringEquals"),
    ({"Variable": "$.v", "BooleanEquals": "true"}, "must be a boolean", "/BooleanEquals"),
    ({"Variable": "$.v", "IsNull": "yes"}, "must be a boolean", "/IsNull"),
    ({"Variable": "$.v", "TimestampEquals": "2016-08-18"}, "must be a timestamp", "/TimestampEquals"),
    ({"Variable": "$.v", "StringMatches": 3}, "must be a string", "/StringMatches"),
    ({"Variable": "$.v", "NumericEqualsPath": 3}, "must be a string", "/NumericEqualsPath"),
    ({"Variable": "$.v", "NumericEqualsPath": "v"}, "not a valid reference path", "/NumericEqualsPath"),
    ({"Variable": "no-dollar", "IsNull": True}, "not a valid reference path", "/Variable"),
    ({"NumericEquals": 1}, "missing the field 'Variable'", ""),
    ({"Variable": "$.v", "BooleanLessThan": True}, "Unknown Choice rule operator", "/BooleanLessThan"),
    ({"Variable": "$.v", "StringMatchesPath": "$.p"}, "Unknown Choice rule operator", "/StringMatchesPath"),
    ({"And": []}, "non-empty array", "/And"),
    ({"Or": {"Variable": "$.v", "IsNull": True}}, "non-empty array", "/Or"),
    ({"Variable": "$.v", "And": [{"Variable": "$.v", "IsNull": True}]}, "must not have a Variable", "/Variable"),
    ({"Not": {"And": [{"Variable": "$.v", "IsNull": True}, {"Variable": "$.v"}]}},
     "no comparison operator", "/Not/And[1]"),
    ("not a rule", "must be a JSON object", ""),
])
def test_malformed_rules_raise_value_error(rule: Any, message: str, location: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        compile_choice_rule(rule)
    assert isinstance(error.value, ChoiceRuleError)
    assert error.value.location == location


def test_next_comment_and_assign_are_not_operators() -> None:
    rule = {"Variable": "$.v", "IsNull": True, "Next": "A", "Comment": "c", "Assign": {"x": 1}}
    assert holds(rule, {"v": None})
