"""Succeed and Fail: outputs, Error/Cause, ErrorPath/CausePath, Fail inside Map/Parallel."""

from __future__ import annotations

from .conftest import assert_failed, assert_succeeded, machine, runtime_cause, single, types


def test_succeed_ends_execution_with_its_input(engine):
    definition = machine({
        "Pick": {"Type": "Choice", "Choices": [
            {"Variable": "$.a", "NumericEquals": 1, "Next": "Done"}], "Default": "Later"},
        "Done": {"Type": "Succeed"},
        "Later": {"Type": "Pass", "Result": "later", "End": True},
    })
    result = engine.run(definition, {"a": 1})
    assert_succeeded(result, {"a": 1})
    assert types(result) == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
                             "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]


def test_succeed_input_and_output_path(engine):
    spec = {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}
    assert_succeeded(engine.run(single(spec), {"a": {"b": [1]}}), [1])


def test_fail_with_error_and_cause(engine):
    result = engine.run(single({"Type": "Fail", "Error": "MyError", "Cause": "it broke"}), {})
    assert_failed(result, "MyError", "it broke")
    assert types(result) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    failed = result.events[-1]
    assert failed.details == {"error": "MyError", "cause": "it broke"}
    assert failed.previous_event_id == 2


def test_fail_with_error_only_has_no_cause(engine):
    result = engine.run(single({"Type": "Fail", "Error": "OnlyError"}), {})
    assert_failed(result, "OnlyError")
    assert result.cause is None
    assert result.events[-1].details == {"error": "OnlyError"}


def test_fail_error_path_and_cause_path(engine):
    spec = {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.Cause"}
    result = engine.run(single(spec, name="FailState"),
                        {"Error": "error string", "Cause": "cause string"})
    assert_failed(result, "error string", "cause string")


def test_fail_paths_with_intrinsics(engine):
    spec = {"Type": "Fail", "ErrorPath": "States.Format('{}', $.Error)",
            "CausePath": "States.Format('This is a custom error message for {}, caused by {}.',"
                         " $.Error, $.Cause)"}
    result = engine.run(single(spec), {"Error": "error string", "Cause": "cause string"})
    assert_failed(result, "error string",
                  "This is a custom error message for error string, caused by cause string.")


def test_fail_cause_path_from_context(engine):
    spec = {"Type": "Fail", "Error": "E", "CausePath": "$$.State.Name"}
    assert_failed(engine.run(single(spec, name="Stop"), {}), "E", "Stop")


def test_fail_error_path_to_non_string_is_runtime_error(engine):
    spec = {"Type": "Fail", "ErrorPath": "$.code", "Cause": "c"}
    result = engine.run(single(spec, name="F"), {"code": 42})
    assert_failed(result, "States.Runtime")
    assert result.cause.startswith(runtime_cause("F", 2, ""))


def test_fail_inside_parallel_fails_execution_with_its_error(engine):
    definition = single({"Type": "Parallel", "Branches": [
        {"StartAt": "Ok", "States": {"Ok": {"Type": "Pass", "End": True}}},
        {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "BranchError",
                                               "Cause": "branch cause"}}},
    ]})
    result = engine.run(definition, {})
    assert_failed(result, "BranchError", "branch cause")
    assert "ParallelStateFailed" in types(result)


def test_fail_inside_map_fails_execution_with_its_error(engine):
    definition = single({"Type": "Map", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$", "NumericEquals": 2, "Next": "Bad"}], "Default": "Ok"},
            "Ok": {"Type": "Pass", "End": True},
            "Bad": {"Type": "Fail", "ErrorPath": "States.Format('Item{}Error', $)",
                    "Cause": "item failed"}}}, "MaxConcurrency": 1})
    result = engine.run(definition, [1, 2, 3])
    assert_failed(result, "Item2Error", "item failed")
    assert "MapIterationFailed" in types(result)
    assert "MapStateFailed" in types(result)
