"""Input/output processing order, per state type:

InputPath -> Parameters/ItemSelector -> (work) -> ResultSelector -> ResultPath (into the
raw input) -> OutputPath.
"""

from __future__ import annotations

import json

from .conftest import (
    assert_failed,
    assert_succeeded,
    first,
    lambda_task,
    single,
    state_input,
    state_output,
)

# Raw input shared by the tests: InputPath picks "sel"; ResultPath writes back into the
# raw input, so "raw" must survive; OutputPath then picks "sel" again.
RAW = {"raw": 1, "sel": {"a": 2, "b": 3}}


def test_task_io_order(engine, calls):
    def compute(event):
        calls.events.append(event)
        return {"res": event["sum"] * 10, "junk": True}

    engine.register_function("compute", compute)
    spec = lambda_task(
        "compute",
        InputPath="$.sel",
        Parameters={"sum.$": "States.MathAdd($.a, $.b)", "state.$": "$$.State.Name"},
        ResultSelector={"kept.$": "$.res"},
        ResultPath="$.sel.out",
        OutputPath="$.sel")
    result = engine.run(single(spec, name="Compute"), RAW)
    assert calls.events == [{"sum": 5, "state": "Compute"}]
    assert_succeeded(result, {"a": 2, "b": 3, "out": {"kept": 50}})
    # The function's raw result is what the history records as the task's output.
    assert json.loads(first(result, "LambdaFunctionSucceeded").details["output"]) == {
        "res": 50, "junk": True}
    assert state_input(result, "Compute") == RAW


def test_pass_io_order(engine):
    spec = {"Type": "Pass", "InputPath": "$.sel",
            "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
            "ResultPath": "$.sel.out", "OutputPath": "$.sel"}
    assert_succeeded(engine.run(single(spec), RAW), {"a": 2, "b": 3, "out": {"sum": 5}})


def test_parallel_io_order(engine):
    spec = {"Type": "Parallel", "InputPath": "$.sel",
            "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
            "Branches": [
                {"StartAt": "One", "States": {"One": {"Type": "Pass", "End": True}}},
                {"StartAt": "Two", "States": {"Two": {"Type": "Pass", "InputPath": "$.sum",
                                                      "End": True}}}],
            "ResultSelector": {"first.$": "$[0].sum", "second.$": "$[1]"},
            "ResultPath": "$.sel.out", "OutputPath": "$.sel"}
    assert_succeeded(engine.run(single(spec), RAW),
                     {"a": 2, "b": 3, "out": {"first": 5, "second": 5}})


def test_map_io_order(engine):
    spec = {"Type": "Map", "InputPath": "$.sel", "ItemsPath": "$.items",
            "ItemSelector": {"item.$": "$$.Map.Item.Value", "offset.$": "$.offset"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Add",
                              "States": {"Add": {"Type": "Pass", "Parameters": {
                                  "v.$": "States.MathAdd($.item, $.offset)"}, "End": True}}},
            "ResultSelector": {"values.$": "$[*].v"},
            "ResultPath": "$.sel.out", "OutputPath": "$.sel"}
    raw = {"raw": 1, "sel": {"items": [1, 2], "offset": 100}}
    assert_succeeded(engine.run(single(spec), raw),
                     {"items": [1, 2], "offset": 100, "out": {"values": [101, 102]}})


def test_choice_io_order(engine):
    definition = {"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "InputPath": "$.sel", "OutputPath": "$.b",
                 "Choices": [{"Variable": "$.a", "NumericEquals": 2, "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}}
    result = engine.run(definition, RAW)
    assert_succeeded(result, 3)
    assert state_output(result, "Pick") == 3


def test_wait_io_order(engine):
    spec = {"Type": "Wait", "InputPath": "$.sel", "SecondsPath": "$.a", "OutputPath": "$.b"}
    assert_succeeded(engine.run(single(spec), RAW), 3)


def test_succeed_io_order(engine):
    spec = {"Type": "Succeed", "InputPath": "$.sel", "OutputPath": "$.b"}
    assert_succeeded(engine.run(single(spec), RAW), 3)


def test_result_path_dollar_replaces_and_output_path_reads_the_result(engine):
    engine.register_function("wrap", lambda event: {"wrapped": event})
    spec = lambda_task("wrap", InputPath="$.sel.a", OutputPath="$.wrapped")
    assert_succeeded(engine.run(single(spec), RAW), 2)


def test_result_selector_missing_path_is_runtime_error(engine):
    engine.register_function("ident", lambda event: event)
    spec = lambda_task("ident", ResultSelector={"x.$": "$.nope"})
    result = engine.run(single(spec, name="T"), {"a": 1})
    assert_failed(result, "States.Runtime")
    assert result.cause.startswith(
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input")


def test_result_path_into_a_non_object_fails(engine):
    spec = {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b"}
    result = engine.run(single(spec), {"a": "text"})
    assert_failed(result, "States.ResultPathMatchFailure")
