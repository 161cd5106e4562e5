"""JSONata-language states, field by field: Output, Arguments, Items, ItemSelector,
Condition, Seconds/Timestamp, Error/Cause, TimeoutSeconds, MaxConcurrency, catchers'
Output, the ``$states`` fields, errors and the EvaluationFailed event."""

from __future__ import annotations

import json

from .conftest import (
    assert_failed,
    assert_succeeded,
    entered_id,
    events_of,
    first,
    lambda_arn,
    machine,
    runtime_cause,
    single,
    types,
)

JSONATA = {"QueryLanguage": "JSONata"}


def jsonata(states: dict, **top) -> dict:
    return machine(states, **JSONATA, **top)


def one(state: dict) -> dict:
    return {**single(state), **JSONATA}


def _fail(event):
    raise ValueError("boom")


# -- Pass / Succeed: Output ---------------------------------------------------------------
def test_pass_without_output_passes_its_input(engine):
    assert_succeeded(engine.run(one({"Type": "Pass"}), {"a": 1}), {"a": 1})


def test_pass_output_template_reads_input_and_context(engine):
    result = engine.run(one({"Type": "Pass", "Output": {
        "sum": "{% $states.input.a + 1 %}", "name": "{% $states.context.State.Name %}",
        "literal": "$.not.a.path", "list": [1, "{% $states.input.a * 10 %}"]}}), {"a": 1})
    assert_succeeded(result, {"sum": 2, "name": "S", "literal": "$.not.a.path",
                              "list": [1, 10]})


def test_output_may_be_any_json_value(engine):
    assert_succeeded(engine.run(one({"Type": "Pass", "Output": 0.5}), {}), 0.5)
    assert_succeeded(engine.run(one({"Type": "Pass", "Output": None}), {}), None)
    assert_succeeded(engine.run(one({"Type": "Pass", "Output": "{% 'x' & 'y' %}"}), {}), "xy")


def test_succeed_output(engine):
    result = engine.run(one({"Type": "Succeed", "Output": "{% $states.input.v %}"}),
                        {"v": [1]})
    assert_succeeded(result, [1])


def test_output_returning_nothing_is_a_query_evaluation_error(engine):
    result = engine.run(one({"Type": "Pass", "Output": {"v": "{% $states.input.nope %}"}}),
                        {})
    assert_failed(result, "States.QueryEvaluationError", runtime_cause(
        "S", 2, "The JSONata expression '$states.input.nope' specified for the field "
        "'Output/v' returned nothing (undefined)."))
    failed = first(result, "EvaluationFailed")
    assert failed.details == {"error": "States.QueryEvaluationError", "cause": result.cause,
                              "location": "Output/v", "state": "S"}
    assert types(result)[-2:] == ["EvaluationFailed", "ExecutionFailed"]


def test_output_that_throws_names_the_jsonata_error(engine):
    result = engine.run(one({"Type": "Pass", "Output": "{% $abs('x') %}"}), {})
    assert_failed(result, "States.QueryEvaluationError")
    assert ("The JSONata expression '$abs('x')' specified for the field 'Output' threw an "
            "error during evaluation. T0410") in result.cause


# -- Task: Arguments, Output, $states.result, timeouts --------------------------------------
def test_task_arguments_default_to_the_input_and_output_to_the_result(engine):
    engine.register_function("echo", lambda event: {"got": event})
    result = engine.run(one({"Type": "Task", "Resource": lambda_arn("echo")}), {"x": 1})
    assert_succeeded(result, {"got": {"x": 1}})


def test_task_arguments_and_output_see_input_and_result(engine):
    engine.register_function("echo", lambda event: {"got": event})
    result = engine.run(one({
        "Type": "Task", "Resource": lambda_arn("echo"),
        "Arguments": {"n": "{% $states.input.n * 2 %}", "k": "const"},
        "Output": {"in": "{% $states.input %}", "res": "{% $states.result.got.n %}"}}),
        {"n": 4})
    assert_succeeded(result, {"in": {"n": 4}, "res": 8})
    scheduled = first(result, "LambdaFunctionScheduled")
    assert json.loads(scheduled.details["input"]) == {"n": 8, "k": "const"}


def test_task_lambda_invoke_integration_arguments(engine):
    engine.register_function("echo", lambda event: event)
    result = engine.run(one({
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "echo", "Payload": {"v": "{% $states.input.v %}"}},
        "Output": "{% $states.result.Payload %}"}), {"v": "x"})
    assert_succeeded(result, {"v": "x"})


def test_task_timeout_seconds_expression(engine):
    engine.register_function("echo", lambda event: event)
    result = engine.run(one({"Type": "Task", "Resource": lambda_arn("echo"),
                             "TimeoutSeconds": "{% $states.input.t %}"}), {"t": 7})
    assert_succeeded(result, {"t": 7})
    assert first(result, "LambdaFunctionScheduled").details["timeoutInSeconds"] == 7


def test_task_timeout_seconds_of_wrong_type(engine):
    engine.register_function("echo", lambda event: event)
    result = engine.run(one({"Type": "Task", "Resource": lambda_arn("echo"),
                             "TimeoutSeconds": "{% $states.input.t %}"}), {"t": "7"})
    assert_failed(result, "States.QueryEvaluationError")
    assert "Expected 'integer', but was 'string'" in result.cause


def test_catch_output_and_assign_see_error_output(engine):
    engine.register_function("fail", _fail)
    definition = jsonata({
        "T": {"Type": "Task", "Resource": lambda_arn("fail"),
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After",
                         "Assign": {"err": "{% $states.errorOutput.Error %}"},
                         "Output": {"in": "{% $states.input %}",
                                    "error": "{% $states.errorOutput.Error %}"}}],
              "End": True},
        "After": {"Type": "Pass", "Output": {"prev": "{% $states.input %}", "v": "{% $err %}"}},
    })
    definition["States"]["After"]["End"] = True
    result = engine.run(definition, {"a": 1})
    assert_succeeded(result, {"prev": {"in": {"a": 1}, "error": "ValueError"},
                              "v": "ValueError"})


def test_catch_without_output_passes_the_error_output(engine):
    engine.register_function("fail", _fail)
    definition = jsonata({
        "T": {"Type": "Task", "Resource": lambda_arn("fail"), "End": True,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}]},
        "After": {"Type": "Pass", "End": True}})
    result = engine.run(definition, {})
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "ValueError"
    assert "boom" in result.output["Cause"]


def test_query_evaluation_error_in_output_can_be_caught(engine):
    engine.register_function("echo", lambda event: event)
    definition = jsonata({
        "T": {"Type": "Task", "Resource": lambda_arn("echo"), "End": True,
              "Output": "{% $states.result.missing %}",
              "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "After"}]},
        "After": {"Type": "Pass", "End": True, "Output": "{% $states.input.Error %}"}})
    assert_succeeded(engine.run(definition, {}), "States.QueryEvaluationError")


# -- Choice: Condition, rule Output -----------------------------------------------------------
def _choice(**extra) -> dict:
    return jsonata({
        "C": {"Type": "Choice", "Default": "D", **extra,
              "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "Big",
                           "Output": {"big": "{% $states.input.n %}"}},
                          {"Condition": True, "Next": "D"}]},
        "Big": {"Type": "Pass", "End": True},
        "D": {"Type": "Pass", "End": True}})


def test_choice_condition_and_rule_output(engine):
    assert_succeeded(engine.run(_choice(), {"n": 5}), {"big": 5})
    assert_succeeded(engine.run(_choice(), {"n": 0}), {"n": 0})


def test_choice_state_output_applies_on_default(engine):
    definition = jsonata({
        "C": {"Type": "Choice", "Default": "D", "Output": "default",
              "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "D"}]},
        "D": {"Type": "Pass", "End": True}})
    assert_succeeded(engine.run(definition, {"n": 0}), "default")
    assert_succeeded(engine.run(definition, {"n": 2}), {"n": 2})


def test_choice_condition_must_be_boolean(engine):
    definition = jsonata({
        "C": {"Type": "Choice", "Default": "D",
              "Choices": [{"Condition": "{% $states.input.n %}", "Next": "D"}]},
        "D": {"Type": "Pass", "End": True}})
    result = engine.run(definition, {"n": 3})
    assert_failed(result, "States.QueryEvaluationError", runtime_cause(
        "C", 2, "The JSONata expression '$states.input.n' specified for the field "
        "'Choices[0]/Condition' returned an unexpected result type. Expected 'boolean', "
        "but was 'number' for value: 3"))


# -- Wait -------------------------------------------------------------------------------------
def test_wait_seconds_and_timestamp_expressions(engine):
    result = engine.run(one({"Type": "Wait", "Seconds": "{% $states.input.s %}"}), {"s": 3})
    assert_succeeded(result, {"s": 3})
    result = engine.run(one({"Type": "Wait", "Timestamp": "{% $states.input.t %}",
                             "Output": "{% $states.input.t %}"}),
                        {"t": "2020-01-01T00:00:00Z"})
    assert_succeeded(result, "2020-01-01T00:00:00Z")


def test_wait_seconds_of_wrong_type(engine):
    result = engine.run(one({"Type": "Wait", "Seconds": "{% $states.input.s %}"}), {"s": "3"})
    assert_failed(result, "States.QueryEvaluationError", runtime_cause(
        "S", 2, "The JSONata expression '$states.input.s' specified for the field 'Seconds' "
        "returned an unexpected result type. Expected 'integer', but was 'string' for "
        "value: \"3\""))


# -- Fail -------------------------------------------------------------------------------------
def test_fail_error_and_cause_expressions(engine):
    result = engine.run(one({"Type": "Fail", "Error": "{% $states.input.e %}",
                             "Cause": "{% 'because ' & $states.input.c %}"}),
                        {"e": "Custom", "c": "x"})
    assert_failed(result, "Custom", "because x")


def test_fail_error_must_be_a_string(engine):
    result = engine.run(one({"Type": "Fail", "Error": "{% $states.input.e %}"}), {"e": 1})
    assert_failed(result, "States.QueryEvaluationError")
    assert "specified for the field 'Error' returned an unexpected result type" in result.cause


# -- Map: Items, ItemSelector, MaxConcurrency, tolerated failures ------------------------------
def _map(**fields) -> dict:
    return one({"Type": "Map", "ItemProcessor": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, **fields})


def test_map_items_default_to_the_input(engine):
    assert_succeeded(engine.run(_map(), [1, 2]), [1, 2])


def test_map_items_array_and_expression(engine):
    assert_succeeded(engine.run(_map(Items=[1, "{% 1 + 1 %}"]), {}), [1, 2])
    assert_succeeded(engine.run(_map(Items="{% $states.input.xs %}"), {"xs": [3]}), [3])


def test_map_items_of_wrong_type(engine):
    result = engine.run(_map(Items="{% $states.input.xs %}"), {"xs": {"a": 1}})
    assert_failed(result, "States.QueryEvaluationError", runtime_cause(
        "S", 2, "The JSONata expression '$states.input.xs' specified for the field 'Items' "
        "returned an unexpected result type. Expected 'array', but was 'object' for "
        "value: {\"a\":1}"))
    assert types(result)[-3:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]
    assert first(result, "EvaluationFailed").details["location"] == "Items"


def test_map_without_items_over_an_input_that_is_no_array(engine):
    # as if Items were "{% $states.input %}": a QueryEvaluationError, EvaluationFailed
    definition = _map()
    definition["States"]["S"].pop("Items", None)
    result = engine.run(definition, "text")
    assert_failed(result, "States.QueryEvaluationError", runtime_cause(
        "S", 2, "The JSONata expression '$states.input' specified for the field 'Items' "
        "returned an unexpected result type. Expected 'array', but was 'string' for "
        "value: \"text\""))
    assert types(result)[-3:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]


def test_map_item_selector_sees_map_item_and_input(engine):
    result = engine.run(_map(Items="{% $states.input.xs %}", ItemSelector={
        "i": "{% $states.context.Map.Item.Index %}",
        "v": "{% $states.context.Map.Item.Value %}", "k": "{% $states.input.k %}"}),
        {"xs": ["a", "b"], "k": 9})
    assert_succeeded(result, [{"i": 0, "v": "a", "k": 9}, {"i": 1, "v": "b", "k": 9}])


def test_map_max_concurrency_and_output(engine):
    result = engine.run(_map(MaxConcurrency="{% $states.input.m %}", Items=[1, 2, 3],
                             Output="{% $sum($states.result) %}"), {"m": 1})
    assert_succeeded(result, 6)


def test_map_tolerated_failure_count_expression(engine):
    definition = one({"Type": "Map", "Items": [1, 2],
                      "ToleratedFailureCount": "{% $states.input.n %}",
                      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                          "ExecutionType": "STANDARD"},
                                        "StartAt": "F", "States": {"F": {"Type": "Fail",
                                                                           "Error": "E"}}}})
    result = engine.run(definition, {"n": 2})
    assert result.status == "SUCCEEDED"
    assert [r["Error"] for r in result.output] == ["E", "E"]


# -- Parallel -----------------------------------------------------------------------------------
def test_parallel_arguments_and_output(engine):
    def branch(name: str) -> dict:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True,
                                                   "Output": "{% $states.input.v %}"}}}
    result = engine.run(one({"Type": "Parallel", "Branches": [branch("B1"), branch("B2")],
                             "Arguments": {"v": "{% $states.input.x * 3 %}"},
                             "Output": {"all": "{% $states.result %}"}}), {"x": 2})
    assert_succeeded(result, {"all": [6, 6]})


# -- $states.context and inputs ------------------------------------------------------------------
def test_states_context_reads_execution_input(engine):
    result = engine.run(jsonata({
        "A": {"Type": "Pass", "Output": 1, "Next": "B"},
        "B": {"Type": "Pass", "End": True,
              "Output": {"orig": "{% $states.context.Execution.Input %}",
                         "now": "{% $states.input %}"}}}), {"o": 1})
    assert_succeeded(result, {"orig": {"o": 1}, "now": 1})


def test_evaluation_failed_location_names_nested_fields(engine):
    result = engine.run(one({"Type": "Pass", "Output": {"a": [1, {"b": "{% $states.input.nope %}"}]}}), {})
    assert_failed(result, "States.QueryEvaluationError")
    assert first(result, "EvaluationFailed").details["location"] == "Output/a[1]/b"
    assert entered_id(result, "S") == 2
    assert len(events_of(result, "EvaluationFailed")) == 1
