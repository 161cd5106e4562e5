"""Execution history: event types in order, id/previousEventId chaining, AWS rendering."""

from __future__ import annotations

from datetime import datetime

import orjson

from stepfn.engine.history import event_to_aws, render_details

from .conftest import assert_succeeded, first, lambda_task, machine, single, types


def _chain(result) -> list[tuple[int, int, str]]:
    return [(e.id, e.previous_event_id, e.type) for e in result.events]


def test_task_with_retry_and_catch_event_sequence(engine):
    def always_fails(event):
        raise TimeoutError("slow backend")

    engine.register_function("fails", always_fails)
    definition = machine({
        "Work": lambda_task("fails", Retry=[{"ErrorEquals": ["TimeoutError"], "MaxAttempts": 1}],
                            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                            End=True),
        "Recover": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {})
    assert result.status == "SUCCEEDED"
    assert _chain(result) == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "TaskStateEntered"),
        (3, 2, "LambdaFunctionScheduled"),
        (4, 3, "LambdaFunctionStarted"),
        (5, 4, "LambdaFunctionFailed"),
        (6, 5, "LambdaFunctionScheduled"),
        (7, 6, "LambdaFunctionStarted"),
        (8, 7, "LambdaFunctionFailed"),
        (9, 8, "TaskStateExited"),
        (10, 9, "PassStateEntered"),
        (11, 10, "PassStateExited"),
        (12, 11, "ExecutionSucceeded"),
    ]


def test_sequential_events_chain_to_the_previous_one(engine):
    definition = machine({
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Wait", "Seconds": 5, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True,
                                             "Next": "D"}], "Default": "D"},
        "D": {"Type": "Succeed"},
    })
    result = engine.run(definition, {"x": 1})
    assert result.events[0].type == "ExecutionStarted"
    assert result.events[0].previous_event_id == 0
    assert result.events[1].previous_event_id == 0  # the first state too, as in AWS
    for event in result.events[2:]:
        assert event.previous_event_id == event.id - 1
    assert [e.id for e in result.events] == list(range(1, len(result.events) + 1))
    stamps = [e.timestamp for e in result.events]
    assert stamps == sorted(stamps)


def test_failed_execution_event_details(engine):
    result = engine.run(single({"Type": "Fail", "Error": "E", "Cause": "C"}), {})
    assert _chain(result) == [(1, 0, "ExecutionStarted"), (2, 0, "FailStateEntered"),
                              (3, 2, "ExecutionFailed")]


def test_map_iteration_events(engine):
    definition = single({"Type": "Map", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Inner",
        "States": {"Inner": {"Type": "Pass", "End": True}}}}, name="M")
    result = engine.run(definition, [10, 20, 30])
    assert_succeeded(result, [10, 20, 30])
    by_id = {e.id: e for e in result.events}
    started = [e for e in result.events if e.type == "MapIterationStarted"]
    succeeded = [e for e in result.events if e.type == "MapIterationSucceeded"]
    assert sorted(e.details["index"] for e in started) == [0, 1, 2]
    assert sorted(e.details["index"] for e in succeeded) == [0, 1, 2]
    assert all(e.details["name"] == "M" for e in started + succeeded)
    map_started = first(result, "MapStateStarted")
    assert map_started.details == {"length": 3}
    # Each iteration's first state chains to its own MapIterationStarted; its
    # MapIterationSucceeded to that iteration's last state.
    for iteration in started:
        entered = next(e for e in result.events if e.previous_event_id == iteration.id
                       and e.type == "PassStateEntered")
        exited = next(e for e in result.events if e.previous_event_id == entered.id)
        assert exited.type == "PassStateExited"
        done = next(e for e in succeeded if e.details["index"] == iteration.details["index"])
        assert done.previous_event_id == exited.id
    assert types(result)[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    assert by_id[first(result, "MapStateExited").previous_event_id].type in (
        "MapIterationSucceeded", "MapStateSucceeded")


def test_parallel_branches_chain_to_parallel_state_started(engine):
    definition = single({"Type": "Parallel", "Branches": [
        {"StartAt": f"B{i}", "States": {f"B{i}": {"Type": "Pass", "End": True}}}
        for i in range(3)]})
    result = engine.run(definition, {})
    started = first(result, "ParallelStateStarted")
    branch_starts = [e for e in result.events if e.type == "PassStateEntered"]
    assert len(branch_starts) == 3
    assert all(e.previous_event_id == started.id for e in branch_starts)


def test_event_to_aws_rendering(engine):
    engine.register_function("ident", lambda event: event)
    definition = single(lambda_task("ident"), name="T")
    result = engine.run(definition, {"k": "v"})
    rendered = [event_to_aws(e) for e in result.events]
    started = rendered[0]
    assert isinstance(started["timestamp"], datetime)
    assert started["timestamp"].tzinfo is not None
    assert {k: v for k, v in started.items() if k != "timestamp"} == {
        "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
        "executionStartedEventDetails": {"input": '{"k":"v"}',
                                         "inputDetails": {"truncated": False},
                                         "roleArn": "arn:aws:iam::123456789012:role/stepfn"}}
    entered = rendered[1]
    assert entered["stateEnteredEventDetails"] == {
        "name": "T", "input": '{"k":"v"}', "inputDetails": {"truncated": False}}
    scheduled = rendered[2]
    assert scheduled["lambdaFunctionScheduledEventDetails"] == {
        "resource": "arn:aws:lambda:us-east-1:123456789012:function:ident",
        "input": '{"k":"v"}', "inputDetails": {"truncated": False}}
    assert "lambdaFunctionStartedEventDetails" not in rendered[3]
    assert rendered[4]["lambdaFunctionSucceededEventDetails"] == {
        "output": '{"k":"v"}', "outputDetails": {"truncated": False}}
    assert rendered[5]["stateExitedEventDetails"] == {
        "name": "T", "output": '{"k":"v"}', "outputDetails": {"truncated": False}}
    assert rendered[6]["executionSucceededEventDetails"] == {
        "output": '{"k":"v"}', "outputDetails": {"truncated": False}}
    assert event_to_aws(result.events[0], include_data=False)[
        "executionStartedEventDetails"] == {"inputDetails": {"truncated": False},
                                            "roleArn": "arn:aws:iam::123456789012:role/stepfn"}


def test_rendering_details_already_rendered_changes_nothing() -> None:
    """Histories stored by earlier builds hold rendered details; they are rendered
    again when read, and must give the same bytes as details stored as recorded."""
    recorded = {"name": "S", "input": '{"a":1}', "output": "[]"}
    for include_data in (True, False):
        once = render_details(recorded, include_data)
        stored_rendered = render_details(recorded)
        again = render_details(stored_rendered, include_data)
        if include_data:
            assert orjson.dumps(again) == orjson.dumps(once)
        else:  # the data is dropped, its "<field>Details" siblings stay, in order
            assert list(again) == ["name", "inputDetails", "outputDetails"] == list(once)
            assert again == once
