"""JSONata as AWS Step Functions runs it: AWS functions, templates, undefined, errors."""

from __future__ import annotations

import hashlib
import re

import pytest

from stepfn.asl.jsonata import (
    QUERY_EVALUATION_ERROR,
    UNDEFINED,
    JsonataEvaluationError,
    JsonataSyntaxError,
    compile_jsonata,
    compile_template,
    is_expression,
    json_ready,
    state_error_cause,
    unexpected_type_cause,
)
from stepfn.errors import StatesError

STATES = {"input": {"a": {"b": 42}, "items": [{"v": 1}, {"v": 2}, {"v": 3}],
                    "s": "Hello", "n": 2.0, "FunctionInput": "[1, 2, \"x\"]"},
          "context": {"Execution": {"Name": "run-1"}}}
BINDINGS = {"states": STATES, "myVar": 3}


def ev(expr: str, bindings: dict | None = None):
    return compile_jsonata(expr).evaluate(BINDINGS if bindings is None else bindings)


def cause_of(expr: str) -> str:
    with pytest.raises(StatesError) as info:
        ev(expr)
    assert info.value.error == QUERY_EVALUATION_ERROR
    return info.value.cause


# ----------------------------------------------------------------- bindings and numbers

def test_states_and_variables_are_read_from_bindings():
    assert ev("$states.input.a.b") == 42
    assert ev("$myVar * 2") == 6
    assert ev("$states.context.Execution.Name") == "run-1"


def test_integral_results_are_ints_and_others_stay_floats():
    assert ev("$states.input.n") == 2 and type(ev("$states.input.n")) is int
    assert type(ev("3 / 1.5")) is int
    assert ev("3 / 2") == 1.5
    assert ev("[1.0, {'a': 2.0, 'b': 0.5}]") == [1, {"a": 2, "b": 0.5}]
    assert type(ev("[1.0]")[0]) is int


def test_json_ready_shares_unchanged_containers():
    doc = {"a": [1, 2, {"b": "x"}], "c": True}
    assert json_ready(doc) is doc
    changed = {"a": [1, 2.0], "c": {"d": 1}}
    ready = json_ready(changed)
    assert ready == {"a": [1, 2], "c": {"d": 1}} and ready["c"] is changed["c"]
    assert changed["a"] == [1, 2.0] and type(changed["a"][1]) is float  # not mutated


def test_infinite_result_is_a_query_error():
    assert cause_of("1/0") == "D1001: Number out of range"


def test_input_is_not_mutated_by_transforms():
    data = {"states": {"input": {"o": {"k": 1}}}}
    assert ev("$states.input.o ~> |$|{'z': 2}|", data) == {"k": 1, "z": 2}
    assert data["states"]["input"]["o"] == {"k": 1}


# ----------------------------------------------------------------- undefined

def test_missing_path_is_undefined_not_null():
    assert ev("$states.input.nothing") is UNDEFINED
    assert ev("null") is None
    assert ev("$states.input.nothing ? 1 : 2") == 2


def test_unknown_variable_is_undefined():
    assert ev("$notAssigned") is UNDEFINED


def test_undefined_members_are_dropped_inside_a_constructed_object():
    assert ev("{'a': $states.input.nothing, 'b': 1}") == {"b": 1}


# ----------------------------------------------------------------- AWS functions

def test_partition_chunks_an_array():
    assert ev("$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 4)") == [[1, 2, 3, 4], [5, 6, 7, 8], [9]]
    assert ev("$partition($states.input.items, 2)") == [[{"v": 1}, {"v": 2}], [{"v": 3}]]


@pytest.mark.parametrize("expr", ["$partition([1, 2], 0)", "$partition([1, 2], -1)",
                                  "$partition([1, 2], 1.5)", "$partition('ab', 1)"])
def test_partition_rejects_bad_arguments(expr):
    assert cause_of(expr)


@pytest.mark.parametrize("args,expected", [  # the recorded AWS cases
    ("0, 9, 3", [0, 3, 6, 9]), ("0, 10, 3", [0, 3, 6, 9]), ("1, 9, 9", 1),
    ("1, 9, 2", [1, 3, 5, 7, 9]), ("10, 0, -5", [10, 5, 0])])
def test_range(args, expected):
    assert ev(f"$range({args})") == expected


@pytest.mark.parametrize("expr", ["$range(0, 10, 0)", "$range(0, 1.5, 1)",
                                  "$range(0, 5000, 1)", "$range('a', 2, 1)"])
def test_range_rejects_bad_arguments(expr):
    assert cause_of(expr)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_hash_algorithms(algorithm):
    python_name = algorithm.replace("-", "").lower()
    assert ev(f"$hash($states.input.s, '{algorithm}')") == \
        hashlib.new(python_name, b"Hello").hexdigest()


def test_hash_rejects_unknown_algorithm_and_non_strings():
    assert "MD5, SHA-1, SHA-256, SHA-384, SHA-512" in cause_of("$hash('a', 'SHA-3')")
    assert cause_of("$hash(1, 'MD5')")


def test_random_is_in_unit_interval_and_seeded_random_repeats():
    value = ev("$random()")
    assert 0 <= value < 1
    assert ev("$random(42)") == ev("$random(42)")
    assert ev("$random(42)") != ev("$random(43)")
    assert 0 <= ev("$random(7)") < 1
    assert cause_of("$random('x')")


def test_random_inside_a_string_literal_is_not_renamed():
    assert ev("'$random() and $eval'") == "$random() and $eval"


def test_uuid_is_a_v4_uuid_and_changes():
    first, second = ev("$uuid()"), ev("$uuid()")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        first)
    assert first != second


@pytest.mark.parametrize("text,expected", [  # the recorded AWS cases
    ("-0", 0), ("1", 1), ("1.1", 1.1), ("true", True), ('"HelloWorld"', "HelloWorld"),
    ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]),
    ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []})])
def test_parse(text, expected):
    result = ev("$parse($states.input.t)", {"states": {"input": {"t": text}}})
    assert result == expected and type(result) is type(expected)


def test_parse_rejects_invalid_json():
    assert cause_of("$parse('{nope')")


def test_eval_is_not_available():
    assert cause_of("$eval('1 + 1')") == "T1006: Attempted to invoke a non-function"


# ----------------------------------------------------------------- errors

def test_runtime_error_causes_use_jsonata_codes_and_names():
    assert cause_of("$sum(['a'])") == \
        'T0412: Argument 1 of function "sum" must be an array of "numbers"'
    assert cause_of("$abs('a')") == \
        'T0410: Argument 1 of function "abs" does not match function signature'
    assert cause_of("'a' + 1") == \
        "T2001: The left side of the + operator must evaluate to a number"
    assert cause_of("$number('x')") == "D3030: Unable to cast value to a number"
    assert cause_of("$error('boom')") == "D3137: boom"


def test_evaluation_error_is_a_states_error():
    with pytest.raises(JsonataEvaluationError) as info:
        ev("$notAFunction()")
    assert isinstance(info.value, StatesError)
    assert info.value.error == "States.QueryEvaluationError"


@pytest.mark.parametrize("expr,code", [("a[1,2)", "S0202"), ("1 +", "S0207"),
                                       ('"unterminated', "S0101"), ("(", None)])
def test_syntax_errors(expr, code):
    with pytest.raises(JsonataSyntaxError) as info:
        compile_jsonata(expr)
    assert isinstance(info.value, ValueError)
    assert info.value.expression == expr
    if code:
        assert info.value.code == code


# ----------------------------------------------------------------- static references

def test_variables_referenced_skip_locals_builtins_and_strings():
    compiled = compile_jsonata(
        "($x := 1; $map($states.input.items, function($i) { $i.v + $x + $myVar }) "
        "& '$inString' & $uuid() & $random() & $other.field)")
    assert compiled.variables_referenced == {"states", "myVar", "other"}


def test_top_level_fields_are_reported():
    assert compile_jsonata("phone.number").top_level_fields == ("phone",)
    assert set(compile_jsonata("$ & $$").top_level_fields) == {"$", "$$"}
    assert compile_jsonata("$states.input.phone").top_level_fields == ()
    assert compile_jsonata("$map([1], function($v) { $v.x })").top_level_fields == ()


# ----------------------------------------------------------------- templates

def test_is_expression_needs_both_delimiters_at_the_edges():
    assert is_expression("{% $x %}") and is_expression("{%\n  true\n%}")
    assert not is_expression(" {% $x %}") and not is_expression("{% $x %} ")
    assert not is_expression("Hello {% $x %}") and not is_expression("{% $x")


def test_template_builds_values_and_shares_constants():
    template = compile_template({
        "static": {"deep": [1, 2, {"k": "v"}]},
        "title": "{% $states.input.s %}",
        "list": [1, "{% $myVar %}", "literal $myVar", "{% $states.input.n %}"],
        "partial": "Hello {% $myVar %}",
    }, "Arguments")
    first = template.evaluate(BINDINGS)
    assert first == {"static": {"deep": [1, 2, {"k": "v"}]}, "title": "Hello",
                     "list": [1, 3, "literal $myVar", 2], "partial": "Hello {% $myVar %}"}
    assert first["static"] is template.evaluate(BINDINGS)["static"]
    assert not template.is_constant
    assert template.variables_referenced == {"states", "myVar"}


def test_constant_template_returns_the_definition_value_itself():
    value = {"a": [1, {"b": "c"}]}
    template = compile_template(value, "Output")
    assert template.is_constant and template.evaluate({}) is value


def test_whole_field_expression():
    assert compile_template("{% $states.input.items.v %}", "Output").evaluate(BINDINGS) \
        == [1, 2, 3]
    assert compile_template("{%   $myVar   %}", "Output").evaluate(BINDINGS) == 3


@pytest.mark.parametrize("value,field", [  # AWS's field paths, as measured against AWS
    ({"v": "{% $states.input.missing %}"}, "Output/v"),
    ({"a": {"b": "{% $states.input.missing %}"}}, "Output/a/b"),
    ("{% $states.input.missing %}", "Output"),
    ({"l": [0, "{% $states.input.missing %}"]}, "Output/l[1]"),
])
def test_undefined_field_fails_naming_the_field(value, field):
    with pytest.raises(JsonataEvaluationError) as info:
        compile_template(value, "Output").evaluate(BINDINGS)
    assert info.value.cause == (
        f"The JSONata expression '$states.input.missing' specified for the field "
        f"'{field}' returned nothing (undefined).")


def test_failed_field_expression_names_field_and_keeps_code():
    with pytest.raises(JsonataEvaluationError) as info:
        compile_template({"x": "{% $abs('a') %}"}, "Arguments").evaluate(BINDINGS)
    assert info.value.cause == (
        "The JSONata expression '$abs('a')' specified for the field 'Arguments/x' threw "
        'an error during evaluation. T0410: Argument 1 of function "abs" does not match '
        "function signature")


def test_function_failure_uses_colon_separator():
    with pytest.raises(JsonataEvaluationError) as info:
        compile_template("{% $partition([1], 0) %}", "Output").evaluate(BINDINGS)
    assert "threw an error during evaluation: " in info.value.cause


def test_template_syntax_error_is_raised_at_compile_time():
    with pytest.raises(JsonataSyntaxError):
        compile_template({"a": ["{% 1 + %}"]}, "Output")


def test_state_and_type_causes_match_recorded_aws_text():
    inner = unexpected_type_cause("$ItemsVar", "Items", "array", {"foo": "bar"})
    assert state_error_cause("MapIterateState", 4, inner) == (
        "An error occurred while executing the state 'MapIterateState' (entered at the "
        "event id #4). The JSONata expression '$ItemsVar' specified for the field 'Items' "
        "returned an unexpected result type. Expected 'array', but was 'object' for "
        'value: {"foo":"bar"}')
    assert unexpected_type_cause("$v", "Items", "array", "string").endswith(
        "but was 'string' for value: \"string\"")
    assert "'null' for value: null" in unexpected_type_cause("$v", "Items", "array", None)


# ----------------------------------------------------------------- JSONata's library

@pytest.mark.parametrize("expr,expected", [
    # strings
    ("$uppercase($states.input.s)", "HELLO"),
    ("$substring('Hello World', 3, 5)", "lo Wo"),
    ("$join(['a', 'b', 'c'], '-')", "a-b-c"),
    ("$split('a,b,c', ',')", ["a", "b", "c"]),
    ("$replace('abcabc', 'b', 'x')", "axcaxc"),
    ("$contains('hello$world', /^hello\\$/)", True),  # recorded AWS case
    ("$contains('hello$world', /^hello\\ /)", False),  # recorded AWS case
    ("$string({'a': 1})", '{"a":1}'),
    ("$trim('  a   b ')", "a b"),
    ("$length('héllo')", 5),
    ("$states.input.s & ' ' & $string($myVar)", "Hello 3"),
    # numbers
    ("$sum($states.input.items.v)", 6),
    ("$average([1, 2, 3, 4])", 2.5),
    ("$round(2.567, 2)", 2.57),
    ("$round(2.5)", 2),
    ("$floor(-1.5)", -2),
    ("$power(2, 10)", 1024),
    ("$number('2')", 2),  # recorded AWS case
    ("$formatNumber(1234.5, '#,##0.00')", "1,234.50"),
    ("7 % 3", 1),
    # arrays
    ("$count($states.input.items)", 3),
    ("$append([1, 2], [3])", [1, 2, 3]),
    ("$reverse([1, 2, 3])", [3, 2, 1]),
    ("$sort([3, 1, 2])", [1, 2, 3]),
    ("$distinct([1, 1, 2])", [1, 2]),
    ("$states.input.items[v > 1].v", [2, 3]),
    ("$states.input.items[0].v", 1),
    ("[1..4]", [1, 2, 3, 4]),
    ("$zip([1, 2], ['a', 'b'])", [[1, "a"], [2, "b"]]),
    # objects
    ("$keys({'a': 1, 'b': 2})", ["a", "b"]),
    ("$merge([{'a': 1}, {'b': 2}])", {"a": 1, "b": 2}),
    ("$lookup({'a': 1}, 'a')", 1),
    ("$spread({'a': 1, 'b': 2})", [{"a": 1}, {"b": 2}]),
    ("$exists($states.input.nothing)", False),
    ("$type($states.input.a)", "object"),
    # higher-order functions
    ("$map($states.input.items, function($i) { $i.v * 10 })", [10, 20, 30]),
    ("$filter([1, 2, 3, 4], function($x) { $x % 2 = 0 })", [2, 4]),
    ("$reduce([1, 2, 3, 4], function($a, $b) { $a + $b })", 10),
    ("$single([1, 2, 3], function($x) { $x = 2 })", 2),
    ("$sift({'a': 1, 'b': 2}, function($v) { $v > 1 })", {"b": 2}),
    ("$each({'a': 1}, function($v, $k) { $k & '=' & $v })", "a=1"),
    ("($double := function($x) { $x * 2 }; $double($myVar))", 6),
    ("$states.input.items.v ~> $map(function($x) { $x + 1 })", [2, 3, 4]),
    # booleans and conditionals
    ("$not($states.input.a.b = 42)", False),
    ("$states.input.a.b > 40 and $myVar < 5", True),
    ("$boolean([])", False),
    ("'x' in ['x', 'y']", True),
])
def test_jsonata_library(expr, expected):
    result = ev(expr)
    assert result == expected
    assert type(result) is type(expected)


def test_now_and_millis_are_fixed_within_one_evaluation():
    same = ev("$millis() = $millis() and $now() = $now()")
    assert same is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev("$now()"))


def test_inputs_ready_returns_input_values_without_walking_them():
    ready_input = {"big": [{"k": i} for i in range(50)]}
    bindings = {"states": {"input": ready_input}}
    assert compile_jsonata("$states.input").evaluate(bindings, inputs_ready=True) is ready_input
    assert ev("6 / 3", bindings) == 2 and type(compile_jsonata("6 / 3").evaluate(
        bindings, inputs_ready=True)) is int
    template = compile_template({"all": "{% $states.input.big %}"}, "Output")
    assert template.evaluate(bindings, inputs_ready=True)["all"] is ready_input["big"]


# -- what the validator and the engine learn from an expression ---------------------------
@pytest.mark.parametrize("expr,fields", [
    ("$states.input.a", {"input"}),
    ("$states.result[0].x + $states.context.State.Name", {"result", "context"}),
    ("$states.input.items[x > 1]", {"input"}),
    ("$states", {"*"}),
    ("($s := $states; $s.errorOutput)", {"*"}),
    ("$x + 1", set()),
])
def test_states_fields_read(expr, fields):
    from stepfn.asl.jsonata import compile_jsonata

    assert compile_jsonata(expr).states_fields == frozenset(fields)


def test_template_errors_carry_the_field_location():
    from stepfn.asl.jsonata import JsonataEvaluationError, compile_template

    template = compile_template({"a": [0, "{% $nope %}"]}, "Output")
    with pytest.raises(JsonataEvaluationError) as caught:
        template.evaluate({})
    assert caught.value.location == "Output/a[1]"
