"""Payload templates and JSON text: the fast paths keep AWS's exact answers.

Templates fill a copy of a precomputed object and name a failing field only when
something fails; JsonToString and StringToJson use orjson where its output is
identical to the hand-written rendering.
"""

from __future__ import annotations

import json
from collections import OrderedDict

import pytest

from stepfn.asl.intrinsics import _render_json, compile_intrinsic, to_json_string
from stepfn.asl.paths import EvalEnv
from stepfn.asl.templates import compile_payload
from stepfn.errors import StatesError

ENV = EvalEnv({"Execution": {"Id": "arn"}}, {"v": {"k": 5}})


def test_template_keeps_key_order_with_constants_and_paths_interleaved():
    build = compile_payload({"a": 1, "b.$": "$.x", "c": "C", "d.$": "$$.Execution.Id",
                             "e.$": "$v.k", "f": {"g.$": "States.MathAdd($.x, 1)"}})
    out = build({"x": 2}, ENV)
    assert list(out) == ["a", "b", "c", "d", "e", "f"]
    assert out == {"a": 1, "b": 2, "c": "C", "d": "arn", "e": 5, "f": {"g": 3}}


def test_each_build_is_a_new_object():
    build = compile_payload({"a": 1, "b.$": "$.x"})
    first, second = build({"x": 1}, ENV), build({"x": 2}, ENV)
    assert first == {"a": 1, "b": 1} and second == {"a": 1, "b": 2}


@pytest.mark.parametrize("template, error, fragment", [
    ({"a.$": "$.missing", "b.$": "States.MathAdd($.x, 'no')"}, "States.Runtime",
     "The JSONPath '$.missing' specified for the field 'a.$'"),
    ({"b.$": "States.MathAdd($.x, 'no')", "a.$": "$.missing"}, "States.IntrinsicFailure",
     "Invalid arguments in States.MathAdd"),
    ({"ok.$": "$.x", "n": {"z.$": "$.zz"}}, "States.Runtime",
     "The JSONPath '$.zz' specified for the field 'z.$' could not be found in the "
     "input '{\"x\":1}'"),
])
def test_the_first_failing_field_in_template_order_is_reported(template, error, fragment):
    with pytest.raises(StatesError) as raised:
        compile_payload(template)({"x": 1}, ENV)
    assert raised.value.error == error
    assert fragment in raised.value.cause


def test_a_key_beside_its_dollar_form_keeps_the_later_one():
    assert compile_payload({"a.$": "$.x", "a": 1})({"x": 2}, ENV) == {"a": 1}
    assert compile_payload({"a": 1, "a.$": "$.x"})({"x": 2}, ENV) == {"a": 2}


@pytest.mark.parametrize("value", [
    {"a": 1, "b": {"c": "x", "d": [1, 2, 3]}, "s": "text"},
    ["quote\" backslash\\ nl\n tab\t ctrl\x01 del\x7f", "é ü 日本 \u2028 😀"],
    [True, False, None, 0, -5, 2**63 - 1], {}, [], "plain", 7, None,
    2**70, [2**64, "big"],
])
def test_json_to_string_without_floats_matches_the_hand_rendering(value):
    assert to_json_string(value) == _render_json(value)


def test_json_to_string_renders_floats_as_java():
    assert to_json_string({"a": [1.0, 1e20, 1.5e-5], "b": 2}) == \
        '{"a":[1.0,1.0E20,1.5E-5],"b":2}'
    # A float inside a dict subclass (a user function's result) is found too.
    assert to_json_string(OrderedDict(x=[{"y": 2e-7}])) == '{"x":[{"y":2.0E-7}]}'


@pytest.mark.parametrize("text, expected", [
    ('{"a":[1,2.5,"x",null,true]}', {"a": [1, 2.5, "x", None, True]}),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ('[-9223372036854775809]', [-9223372036854775809]),
    ("1e400", float("inf")),
])
def test_string_to_json_parses_as_json_does(text, expected):
    value = compile_intrinsic("States.StringToJson($.s)")({"s": text}, ENV)
    assert value == expected and type(value) is type(expected)
    assert value == json.loads(text)


def test_string_to_json_error_quotes_json():
    with pytest.raises(StatesError) as raised:
        compile_intrinsic("States.StringToJson($.s)")({"s": "{bad"}, ENV)
    assert raised.value.error == "States.IntrinsicFailure"
    assert "the string is not valid JSON" in raised.value.cause


def test_math_add_fast_path_and_its_limits():
    add = compile_intrinsic("States.MathAdd($.a, $.b)")
    assert add({"a": 2, "b": -3}, ENV) == -1
    assert add({"a": 1.5, "b": 1}, ENV) == 3  # Java rounding of non-integers
    with pytest.raises(StatesError):
        add({"a": 2**31, "b": 0}, ENV)
    with pytest.raises(StatesError):
        add({"a": True, "b": 0}, ENV)
