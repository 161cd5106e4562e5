"""Expression budgets: a JSONPath filter regex and a JSONata evaluation cannot run
unbounded (``stepfn.asl.budgets``)."""

from __future__ import annotations

import pytest

from stepfn.asl import budgets
from stepfn.asl.budgets import ExpressionTimeout
from stepfn.asl.jsonata import JsonataEvaluationError, compile_jsonata
from stepfn.asl.jsonpath import _is_linear, compile_jsonpath

# (a|a)+$ backtracks exponentially in both ``re`` and ``regex`` on "aaaa...!".
RUNAWAY_PATH = "$.items[?(@.name =~ /(a|a)+$/)]"
RUNAWAY_DOC = {"items": [{"name": "a" * 40 + "!"}]}


@pytest.fixture
def short_budget(monkeypatch):
    monkeypatch.setattr(budgets, "EXPRESSION_TIMEOUT_MS", 50)


def test_runaway_filter_regex_fails_with_a_runtime_error(short_budget):
    with pytest.raises(ExpressionTimeout) as info:
        compile_jsonpath(RUNAWAY_PATH).evaluate(RUNAWAY_DOC)
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (f"The JSONPath expression '{RUNAWAY_PATH}' exceeded the "
                                "evaluation time limit of 50 ms")


def test_runaway_regex_in_a_definite_path_fails_too(short_budget):
    path = "$.items[?(@.name =~ /(a|a)+$/)].length()"
    with pytest.raises(ExpressionTimeout):
        compile_jsonpath(path).evaluate(RUNAWAY_DOC)


def test_the_budget_holds_for_the_whole_evaluation_not_each_match(short_budget):
    # each match takes ms, well under 50 ms on its own; 300 of them do not fit
    doc = {"items": [{"name": "a" * 18 + "!"}] * 300}
    with pytest.raises(ExpressionTimeout):
        compile_jsonpath(RUNAWAY_PATH).evaluate(doc)
    # and the next evaluation starts with a whole budget again
    assert compile_jsonpath(RUNAWAY_PATH).evaluate({"items": [{"name": "aa"}]}) == [
        {"name": "aa"}]


def test_with_field_names_the_field_once():
    err = ExpressionTimeout("$.a").with_field("InputPath")
    assert "'$.a' specified for the field 'InputPath' exceeded" in err.cause
    assert err.with_field("OutputPath") is err


def test_ordinary_filter_regexes_still_match(short_budget):
    path = compile_jsonpath("$.items[?(@.name =~ /ab.*/i)].name")
    doc = {"items": [{"name": "ABc"}, {"name": "xab"}, {"name": "abd"}]}
    assert path.evaluate(doc) == ["ABc", "abd"]
    # the runaway pattern on an input that does not backtrack answers normally
    assert compile_jsonpath(RUNAWAY_PATH).evaluate({"items": [{"name": "aaa"}]}) == [
        {"name": "aaa"}]


@pytest.mark.parametrize(("source", "linear"), [
    ("item-1.*", True), (r"\d+", True), ("[a-z*+|]+", True), ("[]*]x", True),
    ("a{2,3}", True), (r"x\*y*", True),
    ("(a|a)+$", False), ("(a+)+$", False), ("a*a*b", False), (r"(\w)\1", False),
    ("a|b", False), (r"\w+@\w+", False),
])
def test_only_patterns_that_may_backtrack_run_under_the_budget(source, linear):
    pattern = compile_jsonpath(f"$[?(@ =~ /{source}/)]")
    assert _is_linear(source) is linear
    assert pattern.evaluate(["x"]) is not None  # both kinds evaluate


def test_a_timed_pattern_matches_like_an_untimed_one():
    doc = {"items": [{"name": "item-12"}, {"name": "x-1"}, {"name": "y-1"}]}
    timed = compile_jsonpath("$.items[?(@.name =~ /(item|x)-1.*/)].name")
    assert timed.evaluate(doc) == ["item-12", "x-1"]


def test_filter_regex_is_compiled_once():
    path = compile_jsonpath("$.items[?(@.name =~ /x+/)]")
    assert compile_jsonpath("$.items[?(@.name =~ /x+/)]") is path


@pytest.mark.parametrize("expression", [
    "[1..10000000]",
    "$count([1..10000000])",
    "$count([0..$n])",
])
def test_a_range_over_the_limit_is_refused_before_it_is_built(expression):
    with pytest.raises(JsonataEvaluationError) as info:
        compile_jsonata(expression).evaluate({"states": {}, "n": 10**9})
    assert info.value.error == "States.QueryEvaluationError"
    assert info.value.cause.startswith(
        "D2014: The size of the sequence allocated by the range operator (..) must not "
        f"exceed {budgets.RANGE_LIMIT}. Attempted to allocate ")


def test_range_limit_is_configurable(monkeypatch):
    monkeypatch.setattr(budgets, "RANGE_LIMIT", 10)
    assert compile_jsonata("$count([1..10])").evaluate({"states": {}}) == 10
    with pytest.raises(JsonataEvaluationError, match="D2014"):
        compile_jsonata("$count([1..11])").evaluate({"states": {}})


def test_ranges_within_the_limit_still_work():
    assert compile_jsonata("[1..5]").evaluate({"states": {}}) == [1, 2, 3, 4, 5]
    assert compile_jsonata("$count([1..$n])").evaluate({"states": {}, "n": 1000}) == 1000


def test_aws_range_function_is_sized_before_it_is_built():
    with pytest.raises(JsonataEvaluationError) as info:
        compile_jsonata("$range(0, 1e12, 1)").evaluate({"states": {}})
    assert info.value.cause == "The $range result must not exceed 1000 elements"
    assert compile_jsonata("$range(0, 10, 5)").evaluate({"states": {}}) == [0, 5, 10]


def test_a_long_evaluation_runs_out_of_time(short_budget):
    expression = "$reduce([1..999999], function($a, $b) { $a + $b })"
    with pytest.raises(JsonataEvaluationError) as info:
        compile_jsonata(expression).evaluate({"states": {}})
    assert info.value.cause == ("U1001: Expression evaluation timeout: the expression "
                                "exceeded the evaluation time limit of 50 ms")


def test_deep_recursion_is_bounded():
    expression = "($f := function($n) { $n <= 0 ? 0 : 1 + $f($n - 1) }; $f(100000))"
    with pytest.raises(JsonataEvaluationError) as info:
        compile_jsonata(expression).evaluate({"states": {}})
    assert info.value.cause.startswith("U1001: Stack overflow error")


def test_budget_settings_refuse_unusable_values():
    """A typo cannot switch a budget off: an unusable value is refused, naming it."""
    from stepfn.settings import Settings, SettingsError

    def timeout_ms(value: str) -> int:
        return Settings.load(environ={"STEPFN_EXPRESSION_TIMEOUT_MS": value}
                             ).expression_timeout_ms

    assert timeout_ms("250") == 250
    assert timeout_ms("") == 1000  # unset
    for bad in ("x", "0", "-5"):
        with pytest.raises(SettingsError, match=f"STEPFN_EXPRESSION_TIMEOUT_MS={bad}"):
            timeout_ms(bad)
    with pytest.raises(ValueError):
        budgets.configure(0, 10)
