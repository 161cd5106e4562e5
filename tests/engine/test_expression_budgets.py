"""A runaway expression fails its execution with AWS's error, naming the field."""

from __future__ import annotations

import pytest

from stepfn.asl import budgets

from .conftest import assert_failed, assert_succeeded, machine, runtime_cause, single

RUNAWAY = "$.items[?(@.name =~ /(a|a)+$/)]"
RUNAWAY_INPUT = {"items": [{"name": "a" * 40 + "!"}, {"name": "aa"}]}


@pytest.fixture(autouse=True)
def short_budget(monkeypatch):
    monkeypatch.setattr(budgets, "EXPRESSION_TIMEOUT_MS", 50)


def test_runaway_regex_in_input_path_fails_the_execution(engine):
    result = engine.run(single({"Type": "Pass", "InputPath": RUNAWAY}), RUNAWAY_INPUT)
    assert_failed(result, "States.Runtime", runtime_cause(
        "S", 2, f"The JSONPath expression '{RUNAWAY}' specified for the field 'InputPath' "
        "exceeded the evaluation time limit of 50 ms"))


def test_runaway_regex_in_output_path_names_output_path(engine):
    result = engine.run(single({"Type": "Pass", "OutputPath": RUNAWAY}), RUNAWAY_INPUT)
    assert_failed(result, "States.Runtime")
    assert "specified for the field 'OutputPath' exceeded" in result.cause


def test_runaway_regex_in_parameters_names_the_key(engine):
    state = {"Type": "Pass", "Parameters": {"hits.$": RUNAWAY, "k": 1}}
    result = engine.run(single(state), RUNAWAY_INPUT)
    assert_failed(result, "States.Runtime", runtime_cause(
        "S", 2, f"The JSONPath expression '{RUNAWAY}' specified for the field 'hits.$' "
        "exceeded the evaluation time limit of 50 ms"))


@pytest.mark.parametrize("rule", [{"IsPresent": True}, {"NumericEquals": 1}])
def test_runaway_regex_in_a_choice_fails_rather_than_counting_as_absent(engine, rule):
    definition = machine({
        "C": {"Type": "Choice", "Default": "Done",
              "Choices": [{"Variable": RUNAWAY + ".length()", **rule, "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    })
    result = engine.run(definition, RUNAWAY_INPUT)
    assert_failed(result, "States.Runtime")
    assert result.cause.endswith("exceeded the evaluation time limit of 50 ms")


def test_ordinary_regex_filter_still_works(engine):
    state = {"Type": "Pass", "InputPath": "$.items[?(@.name =~ /a+/)].name"}
    result = engine.run(single(state), RUNAWAY_INPUT)
    assert_succeeded(result, ["aa"])


def _jsonata(output: str) -> dict:
    return {**single({"Type": "Pass", "Output": output}), "QueryLanguage": "JSONata"}


def test_heavy_jsonata_range_fails_with_query_evaluation_error(engine):
    result = engine.run(_jsonata("{% $count([1..10000000]) %}"), {})
    assert_failed(result, "States.QueryEvaluationError", runtime_cause(
        "S", 2, "The JSONata expression '$count([1..10000000])' specified for the field "
        "'Output' threw an error during evaluation. D2014: The size of the sequence "
        "allocated by the range operator (..) must not exceed "
        f"{budgets.RANGE_LIMIT}. Attempted to allocate 10000000."))


def test_huge_aws_range_fails_fast(engine):
    result = engine.run(_jsonata("{% $count($range(0, 1e8, 1)) %}"), {})
    assert_failed(result, "States.QueryEvaluationError")
    assert result.cause.endswith(
        "specified for the field 'Output' threw an error during evaluation: "
        "The $range result must not exceed 1000 elements")


def test_slow_jsonata_runs_out_of_time(engine):
    expression = "$reduce([1..999998], function($a, $b) { $a + $b })"
    result = engine.run(_jsonata("{% " + expression + " %}"), {})
    assert_failed(result, "States.QueryEvaluationError", runtime_cause(
        "S", 2, f"The JSONata expression '{expression}' specified for the field 'Output' "
        "threw an error during evaluation. U1001: Expression evaluation timeout: the "
        "expression exceeded the evaluation time limit of 50 ms"))


def test_ordinary_jsonata_still_works(engine):
    result = engine.run(_jsonata("{% $sum([1..100]) %}"), {})
    assert_succeeded(result, 5050)
