"""Nested executions (states:startExecution) through a real `stepfn serve`."""

from __future__ import annotations

import json

from .conftest import ROLE, history, wait_for_status

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def child_machines(sfn) -> tuple[str, str]:
    ok = sfn.create_state_machine(name="child-ok", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Add", "States": {"Add": {"Type": "Task", "Resource": FN + "add_one",
                                             "End": True}}}))["stateMachineArn"]
    bad = sfn.create_state_machine(name="child-bad", roleArn=ROLE, definition=json.dumps({
        "StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "ChildBroke",
                                         "Cause": "as planned"}}}))["stateMachineArn"]
    return ok, bad


def parent(sfn, name: str, resource: str, child: str, catch: bool = False) -> str:
    state = {"Type": "Task", "Resource": resource, "End": True, "Parameters": {
        "StateMachineArn": child,
        "Input": {"value.$": "$.value", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":
                  "$$.Execution.Id"}}}
    states = {"Run": state}
    if catch:
        state["Catch"] = [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}]
        states["Handled"] = {"Type": "Pass", "End": True}
    return sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(
        {"StartAt": "Run", "States": states}))["stateMachineArn"]


def test_sync_waits_for_the_child_and_returns_its_output(sfn) -> None:
    ok, _ = child_machines(sfn)
    for pattern, as_json in ((".sync", False), (".sync:2", True)):
        arn = parent(sfn, f"parent{pattern.replace('.', '-').replace(':', '')}",
                     "arn:aws:states:::states:startExecution" + pattern, ok)
        ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 4}')["executionArn"]
        desc = wait_for_status(sfn, ex)
        assert desc["status"] == "SUCCEEDED", desc
        out = json.loads(desc["output"])
        assert out["Status"] == "SUCCEEDED"
        child_output = out["Output"] if as_json else json.loads(out["Output"])
        assert child_output == {"value": 5}
        child = sfn.describe_execution(executionArn=out["ExecutionArn"])
        assert child["status"] == "SUCCEEDED"
        assert json.loads(child["input"])["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == ex
        # As AWS records it: TaskSubmitted with the child's ARN before the task ends.
        tasks = [e for e in history(sfn, ex) if e["type"] in ("TaskScheduled",
                                                             "TaskSubmitted", "TaskSucceeded")]
        assert [e["type"] for e in tasks] == ["TaskScheduled", "TaskSubmitted",
                                              "TaskSucceeded"]
        submitted = tasks[1]["taskSubmittedEventDetails"]
        assert submitted["resource"] == "startExecution" + pattern
        assert json.loads(submitted["output"])["ExecutionArn"] == out["ExecutionArn"]


def test_failing_child_fails_the_task_and_can_be_caught(sfn) -> None:
    _, bad = child_machines(sfn)
    arn = parent(sfn, "parent-fails", "arn:aws:states:::states:startExecution.sync", bad)
    ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 1}')["executionArn"]
    desc = wait_for_status(sfn, ex)
    assert (desc["status"], desc["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(desc["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "ChildBroke",
                                                                 "as planned")
    arn = parent(sfn, "parent-catches", "arn:aws:states:::states:startExecution.sync", bad,
                 catch=True)
    ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 1}')["executionArn"]
    desc = wait_for_status(sfn, ex)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"])["Error"] == "States.TaskFailed"


def test_request_response_returns_once_started(sfn) -> None:
    ok, _ = child_machines(sfn)
    arn = parent(sfn, "fire-and-forget", "arn:aws:states:::states:startExecution", ok)
    ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 9}')["executionArn"]
    desc = wait_for_status(sfn, ex)
    out = json.loads(desc["output"])
    prefix = "arn:aws:states:us-east-1:123456789012:execution:child-ok:"
    assert out["ExecutionArn"].startswith(prefix)
    assert isinstance(out["StartDate"], int)
    assert wait_for_status(sfn, out["ExecutionArn"])["status"] == "SUCCEEDED"
    assert [e["type"] for e in history(sfn, ex)].count("TaskSucceeded") == 1


def test_sync_records_the_submission_and_a_failed_start(sfn) -> None:
    # AWS's history of a .sync task: TaskScheduled, TaskStarted, TaskSubmitted (the
    # child started), TaskSucceeded; a start that fails is TaskSubmitFailed.
    ok, _ = child_machines(sfn)
    arn = parent(sfn, "parent-submits", "arn:aws:states:::states:startExecution.sync", ok)
    ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 2}')["executionArn"]
    assert wait_for_status(sfn, ex)["status"] == "SUCCEEDED"
    events = history(sfn, ex)
    assert [e["type"] for e in events if e["type"].startswith("Task")] == [
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
        "TaskStateExited"]
    submitted = next(e for e in events if e["type"] == "TaskSubmitted")
    details = submitted["taskSubmittedEventDetails"]
    assert (details["resourceType"], details["resource"]) == ("states", "startExecution.sync")
    assert json.loads(details["output"])["ExecutionArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:execution:child-ok:")
    missing = ok.replace("child-ok", "no-such-child")
    arn = parent(sfn, "parent-cannot-start", "arn:aws:states:::states:startExecution.sync",
                 missing)
    ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 2}')["executionArn"]
    desc = wait_for_status(sfn, ex)
    assert (desc["status"], desc["error"]) == (
        "FAILED", "StepFunctions.StateMachineDoesNotExistException")
    failed = [e for e in history(sfn, ex) if e["type"] == "TaskSubmitFailed"]
    assert failed and failed[0]["taskSubmitFailedEventDetails"]["error"] == (
        "StepFunctions.StateMachineDoesNotExistException")


def test_sync_waits_for_an_express_child(sfn) -> None:
    """An Express child runs in memory, under no lease: its end is recorded (it once
    'lost the lease' at its end, so its parent's .sync never heard of it)."""
    child = sfn.create_state_machine(
        name="express-child", roleArn=ROLE, type="EXPRESS", definition=json.dumps({
            "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1},
                                             "End": True}}}))["stateMachineArn"]
    for pattern, as_json in ((".sync", False), (".sync:2", True)):
        arn = parent(sfn, f"express-parent{pattern.replace('.', '-').replace(':', '')}",
                     "arn:aws:states:::states:startExecution" + pattern, child)
        ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 2}')["executionArn"]
        desc = wait_for_status(sfn, ex, timeout=10)
        assert desc["status"] == "SUCCEEDED", desc
        out = json.loads(desc["output"])
        assert out["Status"] == "SUCCEEDED"
        assert (out["Output"] if as_json else json.loads(out["Output"])) == {"ok": 1}
        assert ":express:express-child:" in out["ExecutionArn"]
    # The same end for an Express execution started on its own.
    alone = sfn.start_execution(stateMachineArn=child)["executionArn"]
    assert wait_for_status(sfn, alone, timeout=10)["status"] == "SUCCEEDED"
