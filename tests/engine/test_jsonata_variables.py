"""Workflow variables in both query languages: Assign in every state that has it, the
evaluation order (Assign and Output see the values from before the state), scoping in
Map and Parallel, and machines that mix JSONPath and JSONata states."""

from __future__ import annotations

import json

from .conftest import assert_failed, assert_succeeded, events_of, lambda_arn, machine

JSONATA = {"QueryLanguage": "JSONata"}


def assigned(result, state: str) -> dict:
    """The assignedVariables of ``state``'s Exited event, parsed."""
    for event in events_of(result, "PassStateExited") + [
            e for e in result.events if e.type.endswith("StateExited")]:
        if event.details["name"] == state:
            raw = event.details.get("assignedVariables") or {}
            return {k: json.loads(v) for k, v in raw.items()}
    raise AssertionError(f"{state} never exited")


# -- evaluation order ---------------------------------------------------------------------------
def test_jsonata_assign_and_output_see_values_from_before_the_state(engine):
    definition = machine({
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "old": "{% $x %}"},
              "Output": {"seen": "{% $x %}"}, "Next": "C"},
        "C": {"Type": "Pass", "End": True, "Output": {"x": "{% $x %}", "old": "{% $old %}"}},
    }, **JSONATA)
    result = engine.run(definition, {})
    assert_succeeded(result, {"x": 2, "old": 1})
    assert assigned(result, "B") == {"x": 2, "old": 1}
    assert json.loads([e for e in result.events if e.type == "PassStateExited"][1]
                      .details["output"]) == {"seen": 1}


def test_jsonpath_assign_evaluation_order(engine):
    definition = machine({
        "A": {"Type": "Pass", "Result": {"q": "?"}, "Assign": {"q.$": "$.q", "a": 42},
              "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$a", "ResultPath": "$.r", "OutputPath": "$a",
              "Assign": {"a": "later"}, "End": True}})
    assert_succeeded(engine.run(definition, {}), 42)


def test_task_assign_reads_result(engine):
    engine.register_function("echo", lambda event: {"v": event["n"] * 2})
    definition = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("echo"), "Next": "P",
              "Assign": {"r": "{% $states.result.v %}", "i": "{% $states.input.n %}"}},
        "P": {"Type": "Pass", "End": True, "Output": ["{% $r %}", "{% $i %}"]}}, **JSONATA)
    assert_succeeded(engine.run(definition, {"n": 5}), [10, 5])


def test_wait_assign(engine):
    definition = machine({
        "W": {"Type": "Wait", "Seconds": 0, "Assign": {"w": "{% $states.input.k %}"},
              "Next": "P"},
        "P": {"Type": "Pass", "End": True, "Output": "{% $w %}"}}, **JSONATA)
    assert_succeeded(engine.run(definition, {"k": "v"}), "v")


def test_choice_rule_assign_and_state_assign(engine):
    definition = machine({
        "C": {"Type": "Choice", "Default": "P", "Assign": {"path": "default"},
              "Choices": [{"Condition": "{% $states.input.go %}", "Next": "P",
                           "Assign": {"path": "rule"}}]},
        "P": {"Type": "Pass", "End": True, "Output": "{% $path %}"}}, **JSONATA)
    assert_succeeded(engine.run(definition, {"go": True}), "rule")
    assert_succeeded(engine.run(definition, {"go": False}), "default")


def test_assign_error_names_the_variable_field(engine):
    definition = machine({"A": {"Type": "Pass", "End": True,
                                "Assign": {"x": "{% $states.input.missing %}"}}}, **JSONATA)
    result = engine.run(definition, {})
    assert_failed(result, "States.QueryEvaluationError")
    assert "specified for the field 'Assign/x' returned nothing" in result.cause


def test_catch_assign_error_field_names_the_catcher(engine):
    def fail(event):
        raise ValueError("x")
    engine.register_function("fail", fail)
    definition = machine({
        "T": {"Type": "Task", "Resource": lambda_arn("fail"), "End": True,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "P",
                         "Assign": {"e": "{% $states.errorOutput.Nope %}"}}]},
        "P": {"Type": "Pass", "End": True}}, **JSONATA)
    result = engine.run(definition, {})
    assert_failed(result, "States.QueryEvaluationError")
    assert "specified for the field 'Catch[0]/Assign/e' returned nothing" in result.cause


# -- scoping ------------------------------------------------------------------------------------
def _iteration(assign: dict, output: str) -> dict:
    return {"StartAt": "I", "States": {"I": {"Type": "Pass", "Assign": assign,
                                             "Output": output, "End": True}}}


def test_map_iterations_read_outer_variables_but_do_not_assign_them(engine):
    definition = machine({
        "A": {"Type": "Pass", "Assign": {"x": 10, "xs": [1, 2]}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% $xs %}", "Next": "After",
              "ItemProcessor": _iteration({"x": "{% $states.input * 100 %}"},
                                          "{% $x + $states.input %}")},
        "After": {"Type": "Pass", "End": True,
                  "Output": {"x": "{% $x %}", "res": "{% $states.input %}"}}}, **JSONATA)
    assert_succeeded(engine.run(definition, {}), {"x": 10, "res": [11, 12]})


def test_parallel_branches_read_outer_variables_but_do_not_assign_them(engine):
    definition = machine({
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "Par"},
        "Par": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True,
                                                "Assign": {"x": 2}, "Output": "{% $x %}"}}},
            {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True,
                                                "Output": "{% $x %}"}}}]},
        "After": {"Type": "Pass", "End": True,
                  "Output": {"x": "{% $x %}", "res": "{% $states.input %}"}}}, **JSONATA)
    assert_succeeded(engine.run(definition, {}), {"x": 1, "res": [1, 1]})


def test_jsonpath_map_scope(engine):
    definition = machine({
        "A": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2]}, "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$items", "Next": "B", "ItemProcessor": {
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True,
                                             "Assign": {"x.$": "$"},
                                             "Parameters": {"outer.$": "$x"}}}}},
        "B": {"Type": "Pass", "End": True, "Parameters": {"x.$": "$x", "r.$": "$"}}})
    assert_succeeded(engine.run(definition, {}), {"x": 42, "r": [{"outer": 42}] * 2})


# -- mixed machines -----------------------------------------------------------------------------
def test_jsonpath_machine_with_a_jsonata_state(engine):
    definition = machine({
        "P1": {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "Assign": {"v.$": "$.a"},
               "Next": "J"},
        "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Next": "P2",
              "Assign": {"w": "{% $v * 2 %}"}, "Output": {"b": "{% $states.input.a %}"}},
        "P2": {"Type": "Pass", "End": True, "Parameters": {"b.$": "$.b", "w.$": "$w"}}})
    assert_succeeded(engine.run(definition, {"a": 3}), {"b": 3, "w": 6})


def test_jsonata_string_in_a_jsonpath_state_is_a_literal(engine):
    definition = machine({"P": {"Type": "Pass", "End": True,
                                "Parameters": {"v": "{% 1 + 1 %}"}}})
    assert_succeeded(engine.run(definition, {}), {"v": "{% 1 + 1 %}"})


def test_jsonata_map_in_jsonpath_machine_runs_jsonpath_iterations(engine):
    definition = machine({"M": {
        "Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.xs %}",
        "End": True, "ItemProcessor": {"StartAt": "I", "States": {"I": {
            "Type": "Pass", "End": True, "Parameters": {"v.$": "$"}}}}}})
    assert_succeeded(engine.run(definition, {"xs": [1]}), [{"v": 1}])
