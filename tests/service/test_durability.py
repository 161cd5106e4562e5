"""A Standard execution survives kill -9 of the server at any moment."""

from __future__ import annotations

import json
import time
from collections import Counter

from .conftest import ROLE, history, wait_for_status

FN = "arn:aws:lambda:us-east-1:123456789012:function:"

WAIT_THEN_TASK = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 3, "Next": "Add"},
        "Add": {"Type": "Task", "Resource": FN + "add_one", "End": True},
    },
}
SLOW_TASK_CHAIN = {
    "StartAt": "Before",
    "States": {
        "Before": {"Type": "Pass", "Parameters": {"value.$": "$.value", "id.$": "States.UUID()"},
                   "Next": "Slow"},
        "Slow": {"Type": "Task", "Resource": FN + "slow_add_one", "ResultPath": "$.slow",
                 "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"value.$": "$.slow.value", "id.$": "$.id"},
                  "End": True},
    },
}
MAP_OF_SLOW_TASKS = {
    "StartAt": "Each",
    "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
        "ItemProcessor": {"StartAt": "Slow", "States": {"Slow": {
            "Type": "Task", "Resource": FN + "slow_add_one", "End": True}}},
        "End": True}},
}


def check_history(events: list[dict]) -> None:
    """Consecutive ids, links to earlier events, no state entered or exited twice."""
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert all(0 <= e["previousEventId"] < e["id"] for e in events)
    assert events[0]["type"] == "ExecutionStarted"
    assert [e["type"] for e in events].count("ExecutionStarted") == 1
    assert events[-1]["type"] == "ExecutionSucceeded"


def test_executions_resume_after_kill_9(server, sfn) -> None:
    waiting = sfn.create_state_machine(name="waiting", definition=json.dumps(WAIT_THEN_TASK),
                                       roleArn=ROLE)["stateMachineArn"]
    slow = sfn.create_state_machine(name="slow", definition=json.dumps(SLOW_TASK_CHAIN),
                                    roleArn=ROLE)["stateMachineArn"]
    fan = sfn.create_state_machine(name="fan", definition=json.dumps(MAP_OF_SLOW_TASKS),
                                   roleArn=ROLE)["stateMachineArn"]
    started_at = time.time()
    wait_ex = sfn.start_execution(stateMachineArn=waiting, input='{"value": 1}')["executionArn"]
    slow_ex = sfn.start_execution(stateMachineArn=slow,
                                  input='{"value": 10, "sleep": 2}')["executionArn"]
    fan_ex = sfn.start_execution(
        stateMachineArn=fan,
        input=json.dumps({"items": [{"value": i, "sleep": 2} for i in range(5)]}))["executionArn"]
    time.sleep(1.0)  # the wait is under way, the slow tasks are running
    before = history(sfn, slow_ex)
    uuid_before = json.loads(next(e for e in before if e["type"] == "PassStateExited")
                             ["stateExitedEventDetails"]["output"])["id"]
    server.kill()
    server.start()  # returns once the server listens: it has resumed what it holds
    restarted = time.time()
    sfn = server.client()

    desc = wait_for_status(sfn, wait_ex)
    assert desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == {"value": 2}
    events = history(sfn, wait_ex)
    check_history(events)
    entered = next(e for e in events if e["type"] == "WaitStateEntered")["timestamp"]
    exited = next(e for e in events if e["type"] == "WaitStateExited")["timestamp"]
    # The Wait kept its original deadline: it ended 3 s after it was entered or, if the
    # server was still down then, as soon as it was back; a Wait begun anew at the
    # restart (at least 1 s after it was entered) would end 3 s after the restart.
    assert (exited - entered).total_seconds() >= 2.9
    assert exited.timestamp() < max(entered.timestamp() + 3, restarted) + 0.9
    assert entered.timestamp() - started_at < 1.0

    desc = wait_for_status(sfn, slow_ex)
    assert desc["status"] == "SUCCEEDED"
    output = json.loads(desc["output"])
    assert output["value"] == 11
    assert output["id"] == uuid_before  # the recorded UUID, not a new one
    events = history(sfn, slow_ex)
    check_history(events)
    counts = Counter((e["type"], (e.get("stateEnteredEventDetails") or
                                  e.get("stateExitedEventDetails") or {}).get("name"))
                     for e in events)
    assert all(n == 1 for n in counts.values()), counts

    desc = wait_for_status(sfn, fan_ex)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == [{"value": i + 1} for i in range(5)]
    events = history(sfn, fan_ex)
    check_history(events)
    types = Counter(e["type"] for e in events)
    assert types["MapIterationStarted"] == 5 and types["MapIterationSucceeded"] == 5
    assert types["TaskStateEntered"] == 5 and types["TaskStateExited"] == 5


def test_activity_token_answered_after_a_restart(server, sfn) -> None:
    activity = sfn.create_activity(name="approve")["activityArn"]
    arn = sfn.create_state_machine(name="approval", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Approve", "States": {"Approve": {
            "Type": "Task", "Resource": activity, "End": True}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input='{"order": 7}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="human")
    server.kill()
    server.start()
    sfn = server.client()
    sfn.send_task_success(taskToken=task["taskToken"], output='{"approved": true}')
    desc = wait_for_status(sfn, ex)
    assert desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == {"approved": True}
    events = history(sfn, ex)
    check_history(events)
    assert [e["type"] for e in events].count("ActivityScheduled") == 1
