"""Parallel: result order, branch input, failures, Catch and Retry."""

from __future__ import annotations

import asyncio

from .conftest import assert_failed, assert_succeeded, lambda_task, machine, single, types


def _branch(state: dict, name: str = "B") -> dict:
    spec = dict(state)
    if spec["Type"] not in ("Succeed", "Fail") and "Next" not in spec:
        spec["End"] = True
    return {"StartAt": name, "States": {name: spec}}


def test_results_follow_branch_order_not_finish_order(engine):
    async def delayed(event):
        # Branch 0 finishes last, branch 2 first.
        await asyncio.sleep(0.02 * (3 - event["i"]))
        return event["i"]

    engine.register_function("delayed", delayed)
    branches = [_branch(lambda_task("delayed", Parameters={"i": i}), f"B{i}") for i in range(3)]
    result = engine.run(single({"Type": "Parallel", "Branches": branches}), {})
    assert_succeeded(result, [0, 1, 2])


def test_every_branch_gets_the_parameters_as_input(engine):
    definition = single({
        "Type": "Parallel",
        "Parameters": {"shared.$": "$.x"},
        "Branches": [_branch({"Type": "Pass"}, "Echo"),
                     _branch({"Type": "Pass", "InputPath": "$.shared"}, "Inner")],
    })
    assert_succeeded(engine.run(definition, {"x": {"k": 1}}), [{"shared": {"k": 1}}, {"k": 1}])


def test_result_selector_and_result_path(engine):
    definition = single({
        "Type": "Parallel",
        "Branches": [_branch({"Type": "Pass", "Result": 1}, "One"),
                     _branch({"Type": "Pass", "Result": 2}, "Two")],
        "ResultSelector": {"first.$": "$[0]", "second.$": "$[1]"},
        "ResultPath": "$.out",
    })
    assert_succeeded(engine.run(definition, {"in": True}),
                     {"in": True, "out": {"first": 1, "second": 2}})


def test_parallel_history_events(engine):
    definition = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        _branch({"Type": "Pass"}, "Only")]}})
    result = engine.run(definition, {})
    assert types(result) == [
        "ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted",
        "PassStateEntered", "PassStateExited", "ParallelStateSucceeded",
        "ParallelStateExited", "ExecutionSucceeded"]


def test_branch_failure_fails_execution(engine):
    definition = single({"Type": "Parallel", "Branches": [
        _branch({"Type": "Pass"}, "Fine"),
        _branch({"Type": "Fail", "Error": "BranchBroke", "Cause": "details"}, "Broke"),
    ]})
    result = engine.run(definition, {})
    assert_failed(result, "BranchBroke", "details")
    assert types(result)[-2:] == ["ParallelStateFailed", "ExecutionFailed"]


def test_function_error_in_branch_fails_execution(engine):
    def boom(event):
        raise KeyError("k")

    engine.register_function("boom", boom)
    definition = single({"Type": "Parallel", "Branches": [_branch(lambda_task("boom"))]})
    assert_failed(engine.run(definition, {}), "KeyError")


def test_catch_on_parallel(engine):
    definition = machine({
        "P": {"Type": "Parallel", "Branches": [
            _branch({"Type": "Fail", "Error": "BranchBroke", "Cause": "why"}, "Broke")],
            "Catch": [{"ErrorEquals": ["BranchBroke"], "ResultPath": "$.error",
                       "Next": "Handled"}],
            "End": True},
        "Handled": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {"keep": 1})
    assert_succeeded(result, {"keep": 1, "error": {"Error": "BranchBroke", "Cause": "why"}})
    assert "ParallelStateFailed" in types(result)
    assert "ParallelStateExited" in types(result)


def test_retry_on_parallel_reruns_branches(engine, calls):
    def flaky(event):
        calls.events.append(event)
        if len(calls) < 3:
            raise ConnectionError("try again")
        return "ok"

    engine.register_function("flaky", flaky)
    definition = single({
        "Type": "Parallel",
        "Branches": [_branch(lambda_task("flaky"), "Flaky"),
                     _branch({"Type": "Pass", "Result": "steady"}, "Steady")],
        "Retry": [{"ErrorEquals": ["ConnectionError"], "MaxAttempts": 3,
                   "IntervalSeconds": 1}],
    })
    result = engine.run(definition, {})
    assert_succeeded(result, ["ok", "steady"])
    assert len(calls) == 3
    assert types(result).count("ParallelStateStarted") == 3


def test_retry_on_parallel_exhausted_matches_aws_history(engine):
    # AWS recording scenarios_parallel/test_parallel_state_retry.
    definition = machine({
        "ParallelState": {"Type": "Parallel", "Branches": [
            {"StartAt": "Branch1", "States": {"Branch1": {
                "Type": "Fail", "Error": "FailureType", "Cause": "Cause description"}}}],
            "Retry": [{"ErrorEquals": ["FailureType"], "MaxAttempts": 2}],
            "Next": "Final"},
        "Final": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {})
    assert_failed(result, "FailureType", "Cause description")
    assert types(result) == [
        "ExecutionStarted", "ParallelStateEntered",
        "ParallelStateStarted", "FailStateEntered",
        "ParallelStateStarted", "FailStateEntered",
        "ParallelStateStarted", "FailStateEntered",
        "ParallelStateFailed", "ExecutionFailed"]
    assert [(e.id, e.previous_event_id) for e in result.events] == [
        (1, 0), (2, 0), (3, 2), (4, 3), (5, 4), (6, 5), (7, 6), (8, 7), (9, 8), (10, 9)]


def test_failing_branch_records_its_open_task_as_aborted():
    """AWS records <Type>StateAborted for a Task a failing branch leaves open."""
    from stepfn import Engine

    engine = Engine()

    def boom(event):
        raise RuntimeError("no")

    engine.register_function("boom", boom)
    definition = {"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": True,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
        "Branches": [{"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:boom",
            "End": True}}}]}, "Handled": {"Type": "Pass", "End": True}}}
    result = engine.run(definition, {})
    assert result.status == "SUCCEEDED"
    types = [e.type for e in result.events]
    assert types[types.index("LambdaFunctionFailed"):types.index("ParallelStateExited") + 1] == [
        "LambdaFunctionFailed", "TaskStateAborted", "ParallelStateFailed", "ParallelStateExited"]
