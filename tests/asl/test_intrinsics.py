"""Tests for stepfn.asl.intrinsics: parsing, every function, and AWS-recorded cases."""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from stepfn.asl.intrinsics import (
    IntrinsicSyntaxError,
    compile_intrinsic,
    is_intrinsic,
    java_double_str,
    render_format_value,
    to_json_string,
)
from stepfn.asl.paths import EvalEnv
from stepfn.errors import StatesError

CONTEXT = {
    "Execution": {
        "Id": "arn:aws:states:us-east-1:111111111111:execution:my-machine:my-exec",
        "Name": "my-exec",
    },
    "StateMachine": {
        "Id": "arn:aws:states:us-east-1:111111111111:stateMachine:my-machine",
        "Name": "my-machine",
    },
}


def run(text: str, doc: Any = None, variables: dict | None = None) -> Any:
    return compile_intrinsic(text)(doc, EvalEnv(CONTEXT, variables))


def failure(text: str, doc: Any = None) -> StatesError:
    with pytest.raises(StatesError) as info:
        run(text, doc)
    assert info.value.error == "States.IntrinsicFailure"
    assert info.value.cause
    return info.value


# ------------------------------------------------------------------------ recognition


@pytest.mark.parametrize("text, expected", [
    ("States.Format('x')", True),
    ("States.UUID()", True),
    ("$.a", False),
    ("$$.Execution.Id", False),
    ("states.Format('x')", False),
    (" States.UUID()", False),
])
def test_is_intrinsic(text: str, expected: bool) -> None:
    assert is_intrinsic(text) is expected


# ---------------------------------------------------------------------------- syntax


@pytest.mark.parametrize("text", [
    "States.Format('x'",                    # missing )
    "States.Format('x')x",                  # trailing text
    "States.Format('unterminated)",
    "States.Nope(1)",                       # unknown function
    "States.format('x')",                   # names are case-sensitive
    "States.Format",                        # no argument list
    "States.Format('a',)",                  # missing argument
    "States.Format(,'a')",
    "States.Array(1 2)",
    "States.Array(foo)",                    # bare word
    "States.Array(True)",                   # keywords are lower-case
    "States.Format('He said \\\"hi\\\"')",  # \" is not an intrinsic escape
    "States.Format('a\\nb')",               # nor is \n
    "States.Format('trailing backslash\\",
    "States.Array($.a[)",                   # malformed path
    "States.Array($a b)",
    "States.UUID(1)",                       # arity
    "States.MathAdd(1)",
    "States.MathAdd(1, 2, 3)",
    "States.MathRandom(1)",
    "States.MathRandom(1, 2, 3, 4)",
    "States.JsonMerge($.a, $.b)",
    "States.ArrayRange(1, 2)",
    "States.StringToJson()",
    "States.Format()",
    "States.Hash('x')",
])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(IntrinsicSyntaxError) as info:
        compile_intrinsic(text)
    assert text in str(info.value)


def test_syntax_error_is_a_value_error() -> None:
    assert issubclass(IntrinsicSyntaxError, ValueError)


def test_arity_message_names_the_function() -> None:
    with pytest.raises(IntrinsicSyntaxError, match=r"States\.MathAdd takes 2 arguments, got 3"):
        compile_intrinsic("States.MathAdd(1, 2, 3)")


def _nested(depth: int) -> str:
    text = "$.a"
    for _ in range(depth):
        text = f"States.Array({text})"
    return text


def test_nesting_up_to_the_limit_is_accepted() -> None:
    value = run(_nested(10), {"a": 1})
    for _ in range(10):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == 1


def test_nesting_beyond_the_limit_is_rejected() -> None:
    with pytest.raises(IntrinsicSyntaxError, match="nested"):
        compile_intrinsic(_nested(11))


def test_docs_example_with_nine_nested_functions() -> None:
    # The guide's own example has three placeholders for two values; two are used here.
    text = ("States.Format('{}.{}', States.ArrayGetItem(States.StringSplit("
            "States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), "
            "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit("
            "$.ImageRecipe.Arn, '/'), 2), '.'), 1))")
    doc = {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:r:a:image-recipe/my.recipe.x/1.0.0"}}
    assert run(text, doc) == "1.0"


# -------------------------------------------------------------------------- literals


@pytest.mark.parametrize("literal, expected", [
    ("'text'", "text"),
    ("''", ""),
    ("'it\\'s'", "it's"),
    ("'\\{\\}'", "{}"),
    ("'back\\\\slash'", "back\\slash"),
    ("'a, b)'", "a, b)"),
    ("'$.not.a.path'", "$.not.a.path"),
    ("'{ lone braces }'", "{ lone braces }"),
    ("0", 0),
    ("-12", -12),
    ("1.5", 1.5),
    ("-0.25", -0.25),
    ("1e3", 1000.0),
    ("true", True),
    ("false", False),
    ("null", None),
])
def test_literal_arguments(literal: str, expected: Any) -> None:
    result = run(f"States.Array({literal})")
    assert result == [expected]
    assert type(result[0]) is type(expected)


def test_whitespace_between_tokens() -> None:
    assert run("States.Array(  1 ,\t'a'  , $.x  )", {"x": 2}) == [1, "a", 2]
    assert run("States.Array()") == []
    assert run("States.Array( )") == []


# ----------------------------------------------------------------------------- paths


def test_path_arguments_read_input_context_and_variables() -> None:
    doc = {"a": {"b": [10, 20]}}
    result = run("States.Array($, $.a.b, $.a.b[1], $$.Execution.Name, $v.k, $v)",
                 doc, {"v": {"k": "var"}})
    assert result == [doc, [10, 20], 20, "my-exec", "var", {"k": "var"}]


def test_path_with_brackets_and_quotes() -> None:
    doc = {"odd, key)": 1}
    assert run("States.Array($['odd, key)'], 2)", doc) == [1, 2]


def test_missing_path_argument_is_aws_runtime_error() -> None:
    # AWS quotes the whole call, the path and the document it read.
    with pytest.raises(StatesError) as info:
        run("States.Format('{}', $.missing)", {"present": 1})
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (
        "The function 'States.Format('{}', $.missing)' had the following error: The JsonPath "
        "argument for the field '$.missing' could not be found in the input '{\"present\":1}'")


def test_missing_path_in_a_nested_call_quotes_the_outer_call() -> None:
    text = "States.ArrayLength(States.Array($.a, $.b))"
    with pytest.raises(StatesError) as info:
        run(text, {"a": 1})
    assert info.value.cause.startswith(f"The function '{text}' had the following error: "
                                       "The JsonPath argument for the field '$.b' ")


def test_undefined_variable_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as info:
        run("States.Array($nope)", {})
    assert info.value.error == "States.Runtime"


def test_values_from_the_input_are_not_copied_or_mutated() -> None:
    inner = {"k": [1, 2]}
    doc = {"a": inner}
    merged = run("States.JsonMerge($.a, $.a, false)", doc)
    assert merged == inner and merged is not inner
    assert doc == {"a": {"k": [1, 2]}}
    assert run("States.Array($.a)", doc)[0] is inner


# ---------------------------------------------------------------------------- Format


@pytest.mark.parametrize("arg, expected", [
    ("'text'", "text"),
    ("1", "1"),
    ("-7", "-7"),
    ("1.5", "1.5"),
    ("1.0", "1.0"),
    ("1e3", "1000.0"),
    ("1e20", "1.0E20"),
    ("true", "true"),
    ("null", "null"),
    ("$.obj", "{a=1, b=[x, null]}"),
    ("$.arr", "[1, two, {c=true}]"),
    ("$.empty_obj", "{}"),
    ("$.empty_arr", "[]"),
])
def test_format_renders_values_as_aws(arg: str, expected: str) -> None:
    doc = {"obj": {"a": 1, "b": ["x", None]}, "arr": [1, "two", {"c": True}],
           "empty_obj": {}, "empty_arr": []}
    assert run(f"States.Format('<{{}}>', {arg})", doc) == f"<{expected}>"


def test_format_several_placeholders_and_escapes() -> None:
    text = "States.Format('\\{{}\\} is \\'{}\\' \\\\ {}', 1, 'two', $.three)"
    assert run(text, {"three": 3}) == "{1} is 'two' \\ 3"


def test_format_without_placeholders() -> None:
    assert run("States.Format('plain')") == "plain"


def test_format_template_from_a_path() -> None:
    doc = {"template": "Hello, my name is {}.", "name": "Arnav"}
    assert run("States.Format($.template, $.name)", doc) == "Hello, my name is Arnav."


@pytest.mark.parametrize("text", [
    "States.Format('{} {}', 1)",
    "States.Format('{}')",
    "States.Format('none', 1)",
])
def test_format_placeholder_count_mismatch(text: str) -> None:
    assert "States.Format" in failure(text).cause


def test_format_runtime_template_must_be_a_string() -> None:
    failure("States.Format($.t, 1)", {"t": 5})
    failure("States.Format($.t, 1)", {"t": "{} {}"})


def test_render_helpers() -> None:
    assert render_format_value({"k": {"n": [1.5]}}) == "{k={n=[1.5]}}"
    assert to_json_string({"a": [1, 2.5, "é\"", None, True]}) == '{"a":[1,2.5,"é\\"",null,true]}'


@pytest.mark.parametrize("value, expected", [
    (0.0, "0.0"), (-0.0, "-0.0"), (1.0, "1.0"), (0.001, "0.001"), (0.0001, "1.0E-4"),
    (1234567.0, "1234567.0"), (1e7, "1.0E7"), (12345678.9, "1.23456789E7"),
    (-1.5e-10, "-1.5E-10"), (100.25, "100.25"),
])
def test_java_double_str(value: float, expected: str) -> None:
    assert java_double_str(value) == expected


# ----------------------------------------------------------------- JSON manipulation


@pytest.mark.parametrize("text, expected", [
    ('{"foo": "bar"}', {"foo": "bar"}),
    ("[1, 2]", [1, 2]),
    ("1.1", 1.1),
    ("-0", 0),
    ('"s"', "s"),
    ("null", None),
    ("", None),
    ("   ", None),
])
def test_string_to_json(text: str, expected: Any) -> None:
    assert run("States.StringToJson($.s)", {"s": text}) == expected


@pytest.mark.parametrize("value", ["{not json", "NaN", "[1,", 5, None, ["[]"]])
def test_string_to_json_failures(value: Any) -> None:
    failure("States.StringToJson($.s)", {"s": value})


def test_string_to_json_literal() -> None:
    assert run("States.StringToJson('\\{\"a\": [1]\\}')") == {"a": [1]}


@pytest.mark.parametrize("value, expected", [
    ({"foo": "bar"}, '{"foo":"bar"}'),
    ({"Arg1": 1, "Arg2": []}, '{"Arg1":1,"Arg2":[]}'),
    ([1, 2, "x"], '[1,2,"x"]'),
    ("HelloWorld", '"HelloWorld"'),
    (None, "null"),
    (1.1, "1.1"),
    (True, "true"),
])
def test_json_to_string(value: Any, expected: str) -> None:
    assert run("States.JsonToString($.v)", {"v": value}) == expected


def test_json_to_string_round_trips_through_string_to_json() -> None:
    doc = {"v": {"a": [1, {"b": None}], "c": "ü"}}
    assert run("States.StringToJson(States.JsonToString($.v))", doc) == doc["v"]


def test_json_merge_is_shallow_and_second_wins() -> None:
    doc = {"a": {"x": {"k1": 1}, "b": 2, "d": 3}, "b": {"x": {"k2": 2}, "c": 3, "d": 4}}
    assert run("States.JsonMerge($.a, $.b, false)", doc) == {
        "x": {"k2": 2}, "b": 2, "d": 4, "c": 3}


def test_json_merge_rejects_deep_mode_and_non_objects() -> None:
    doc = {"a": {"x": 1}, "b": {"y": 2}, "l": [1]}
    assert "deep" in failure("States.JsonMerge($.a, $.b, true)", doc).cause
    failure("States.JsonMerge($.a, $.l, false)", doc)
    failure("States.JsonMerge($.a, $.b, 'false')", doc)


# ---------------------------------------------------------------------------- arrays


def test_array() -> None:
    assert run("States.Array('a', $.id, States.Array())", {"id": 123456}) == ["a", 123456, []]


@pytest.mark.parametrize("items, size, expected", [
    ([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ([], 3, []),
    ([1, 2], 5, [[1, 2]]),
])
def test_array_partition(items: list, size: int, expected: list) -> None:
    assert run("States.ArrayPartition($.a, $.n)", {"a": items, "n": size}) == expected


@pytest.mark.parametrize("doc", [{"a": [1], "n": 0}, {"a": [1], "n": -1},
                                 {"a": "x", "n": 1}, {"a": [1], "n": "2"}])
def test_array_partition_failures(doc: dict) -> None:
    failure("States.ArrayPartition($.a, $.n)", doc)


@pytest.mark.parametrize("value, expected", [
    (5, True), (5.0, True), (6, False), ("5", False), (True, False),
    ({"b": 2, "a": 1}, True), ([1, [2]], True), (None, True),
])
def test_array_contains(value: Any, expected: bool) -> None:
    doc = {"a": [1, 5, "x", {"a": 1, "b": 2}, [1, [2]], None], "v": value}
    assert run("States.ArrayContains($.a, $.v)", doc) is expected


def test_array_contains_needs_an_array() -> None:
    failure("States.ArrayContains($.a, 1)", {"a": {"x": 1}})


@pytest.mark.parametrize("args, expected", [
    ("1, 9, 2", [1, 3, 5, 7, 9]),
    ("0, 10, 3", [0, 3, 6, 9]),
    ("0, 3, 1", [0, 1, 2, 3]),
    ("5, 1, -2", [5, 3, 1]),
    ("5, 1, 1", []),
    ("4, 4, 1", [4]),
])
def test_array_range(args: str, expected: list) -> None:
    assert run(f"States.ArrayRange({args})") == expected


def test_array_range_limit_is_1000_items() -> None:
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000
    assert "1000" in failure("States.ArrayRange(0, 1000, 1)").cause


@pytest.mark.parametrize("args", ["1, 5, 0", "'a', 5, 1", "1, null, 1"])
def test_array_range_failures(args: str) -> None:
    failure(f"States.ArrayRange({args})")


def test_array_get_item() -> None:
    doc = {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "i": 5}
    assert run("States.ArrayGetItem($.a, $.i)", doc) == 6
    assert run("States.ArrayGetItem($.a, 0)", doc) == 1


@pytest.mark.parametrize("index", [9, -1, "1"])
def test_array_get_item_failures(index: Any) -> None:
    failure("States.ArrayGetItem($.a, $.i)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "i": index})


def test_array_length() -> None:
    assert run("States.ArrayLength($.a)", {"a": [None, 1, [], {}]}) == 4
    assert run("States.ArrayLength($.a)", {"a": []}) == 0
    failure("States.ArrayLength($.a)", {"a": "abc"})


def test_array_unique_keeps_first_occurrences_in_order() -> None:
    doc = {"a": [1, 2, 3, 3, 3, 3, 3, 3, 4, 1.0, True, "1", None, None,
                 {"a": 1, "b": 2}, {"b": 2, "a": 1}, [1], [1]]}
    assert run("States.ArrayUnique($.a)", doc) == [
        1, 2, 3, 4, True, "1", None, {"a": 1, "b": 2}, [1]]
    failure("States.ArrayUnique($.a)", {"a": {}})


# ------------------------------------------------------------------ encode, decode, hash


def test_base64_round_trip() -> None:
    encoded = run("States.Base64Encode($.s)", {"s": "Data to encode"})
    assert encoded == "RGF0YSB0byBlbmNvZGU="
    assert run("States.Base64Decode($.s)", {"s": encoded}) == "Data to encode"
    assert run("States.Base64Decode(States.Base64Encode('ünï'))") == "ünï"
    assert run("States.Base64Decode('QQ')") == "A"  # padding is optional


@pytest.mark.parametrize("text", [
    "States.Base64Decode('not base64!')",
    "States.Base64Decode('QUJD=')",
    "States.Base64Decode('QUJDR')",
    "States.Base64Encode(1)",
    "States.Base64Decode(null)",
])
def test_base64_failures(text: str) -> None:
    failure(text)


def test_codec_input_limit_is_10000_characters() -> None:
    ok, too_long = "a" * 10_000, "a" * 10_001
    assert run("States.Base64Encode($.s)", {"s": ok})
    assert run("States.Hash($.s, 'MD5')", {"s": ok})
    for name in ("Base64Encode($.s)", "Base64Decode($.s)", "Hash($.s, 'MD5')"):
        assert "10000" in failure(f"States.{name}", {"s": too_long}).cause


@pytest.mark.parametrize("algorithm, hashlib_name", [
    ("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"),
    ("SHA-384", "sha384"), ("SHA-512", "sha512"),
])
def test_hash(algorithm: str, hashlib_name: str) -> None:
    expected = hashlib.new(hashlib_name, b"input data").hexdigest()
    assert run(f"States.Hash('input data', '{algorithm}')") == expected


@pytest.mark.parametrize("args", ["'x', 'SHA256'", "'x', 'md5'", "1, 'MD5'", "'x', 5"])
def test_hash_failures(args: str) -> None:
    failure(f"States.Hash({args})")


# ------------------------------------------------------------------------------ math


@pytest.mark.parametrize("a, b, expected", [
    (1, 2, 3), (-9, 3, -6), (111, -1, 110),
    # Non-integers are rounded (half up, as Java's Math.round) before adding.
    (1.49, 1.5, 3), (1.5, 1.51, 4), (-1.49, -1.5, -2), (-0.5, 0.5, 1),
    (-2.5, 0, -2), (2.5, 0, 3),
    (2147483647, 0, 2147483647), (-2147483648, 0, -2147483648),
])
def test_math_add(a: Any, b: Any, expected: int) -> None:
    result = run("States.MathAdd($.a, $.b)", {"a": a, "b": b})
    assert result == expected and type(result) is int


@pytest.mark.parametrize("a, b", [(2147483648, 0), (0, -2147483649), ("1", 2), (None, 1),
                                  (True, 1)])
def test_math_add_failures(a: Any, b: Any) -> None:
    failure("States.MathAdd($.a, $.b)", {"a": a, "b": b})


def test_math_random_within_start_inclusive_end_exclusive() -> None:
    getter = compile_intrinsic("States.MathRandom($.s, $.e)")
    env = EvalEnv(CONTEXT)
    seen = {getter({"s": 1, "e": 4}, env) for _ in range(200)}
    assert seen == {1, 2, 3}
    assert -99999 <= getter({"s": -99999, "e": -9999}, env) < -9999
    assert 13 <= getter({"s": 12.5, "e": 44.51}, env) < 45


def test_math_random_with_seed_is_deterministic() -> None:
    values = {run("States.MathRandom(0, 999, 3)") for _ in range(5)}
    assert len(values) == 1 and 0 <= values.pop() < 999


@pytest.mark.parametrize("args", ["5, 5", "6, 5", "'a', 5", "1, 5, 'seed'"])
def test_math_random_failures(args: str) -> None:
    failure(f"States.MathRandom({args})")


# ----------------------------------------------------------------- strings and UUID


@pytest.mark.parametrize("text, delimiters, expected", [
    ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]),
    ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
    ("a,,b,", ",", ["a", "b"]),
    ("", ",", []),
    ("no delimiter", ",", ["no delimiter"]),
    ("a[b]c", "[]", ["a", "b", "c"]),
])
def test_string_split(text: str, delimiters: str, expected: list) -> None:
    assert run("States.StringSplit($.s, $.d)", {"s": text, "d": delimiters}) == expected


def test_string_split_failures() -> None:
    failure("States.StringSplit($.s, ',')", {"s": 1})
    failure("States.StringSplit('a', $.d)", {"d": None})


def test_uuid_is_a_fresh_v4_each_call() -> None:
    getter = compile_intrinsic("States.UUID()")
    first, second = getter(None, EvalEnv(CONTEXT)), getter(None, EvalEnv(CONTEXT))
    assert first != second
    assert uuid.UUID(first).version == 4 and str(uuid.UUID(first)) == first


# ------------------------------------------------------------ AWS-recorded conformance

CASES_DIR = Path(os.environ.get("STEPFN_CONFORMANCE_CASES", "/work/shared/conformance/cases"))
_RANDOM_PLACEHOLDER = "RandomNumberGenerated"


def _load_cases(area: str) -> list[dict]:
    folder = CASES_DIR / area
    if not folder.is_dir():
        return []
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def _intrinsic_pass_cases() -> list[Any]:
    """Cases whose single state is a JSONPath Pass with intrinsic-valued Parameters."""
    params = []
    for case in _load_cases("intrinsic_functions"):
        if case.get("kind") != "execution" or case.get("unreliable"):
            continue
        definition = json.loads(case["definition"])
        states = list(definition["States"].values())
        if len(states) != 1 or states[0].get("Type") != "Pass" \
                or "Parameters" not in states[0] or definition.get("QueryLanguage"):
            continue
        params.append(pytest.param(case, states[0]["Parameters"], id=case["id"]))
    return params or [pytest.param(None, None, id="no-recorded-cases")]


def _wildcard_match(expected: Any, actual: Any) -> bool:
    """Compare through the recordings' placeholders: any ``<...>`` token is a wildcard."""
    if isinstance(expected, str) and re.search(r"<[^<>]+>", expected):
        if not isinstance(actual, str):
            return False
        pattern = "".join(".+?" if re.fullmatch(r"<[^<>]+>", part) else re.escape(part)
                          for part in re.split(r"(<[^<>]+>)", expected))
        return re.fullmatch(pattern, actual, re.S) is not None
    if isinstance(expected, dict):
        return isinstance(actual, dict) and expected.keys() == actual.keys() and all(
            _wildcard_match(expected[k], actual[k]) for k in expected)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            _wildcard_match(e, a) for e, a in zip(expected, actual, strict=True))
    return expected == actual and type(expected) is type(actual) or (
        isinstance(expected, (int, float)) and not isinstance(expected, bool)
        and not isinstance(actual, bool) and expected == actual)


@pytest.mark.parametrize("case, parameters", _intrinsic_pass_cases())
def test_recorded_intrinsic_case(case: dict | None, parameters: dict | None) -> None:
    if case is None:
        pytest.skip("conformance cases are not available")
    assert parameters is not None
    doc = json.loads(case["input"]) if case["input"] else {}
    expected = case["expected"]
    try:
        output = {}
        for key, text in parameters.items():
            assert key.endswith(".$") and is_intrinsic(text)
            output[key[:-2]] = run(text, doc)
    except StatesError as exc:
        assert expected["status"] == "FAILED", f"unexpected failure {exc}"
        assert exc.error == expected["error"]
        assert _wildcard_match(expected["cause"], exc.cause)
        return
    assert expected["status"] == "SUCCEEDED"
    want = expected["output"]
    for key, value in want.items():
        if value == _RANDOM_PLACEHOLDER and "MathRandom" in parameters[key + ".$"]:
            assert isinstance(output[key], int)
            want = {**want, key: output[key]}
    assert _wildcard_match(want, output), f"{output!r} != {want!r}"


def _illegal_escape_cases() -> list[Any]:
    params = []
    for case in _load_cases("validation"):
        if case.get("kind") != "create_error" or "INTRINSIC" not in case["id"]:
            continue
        definition = json.loads(case["definition"])
        for state in definition["States"].values():
            for key, text in state.get("Parameters", {}).items():
                if key.endswith(".$") and is_intrinsic(text):
                    params.append(pytest.param(text, id=case["id"]))
    return params or [pytest.param(None, id="no-recorded-cases")]


@pytest.mark.parametrize("text", _illegal_escape_cases())
def test_recorded_invalid_intrinsics_are_syntax_errors(text: str | None) -> None:
    if text is None:
        pytest.skip("conformance cases are not available")
    with pytest.raises(IntrinsicSyntaxError):
        compile_intrinsic(text)
