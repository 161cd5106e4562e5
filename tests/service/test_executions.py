"""Executions through a real `stepfn serve`, driven by boto3 (and the AWS CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE, history, wait_for_status

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def create(sfn, definition: dict, name: str, machine_type: str = "STANDARD") -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE, type=machine_type)["stateMachineArn"]


PIPELINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"value.$": "$.start"}, "Next": "AddOne"},
        "AddOne": {"Type": "Task", "Resource": FN + "add_one", "Next": "Big?"},
        "Big?": {"Type": "Choice",
                 "Choices": [{"Variable": "$.value", "NumericGreaterThan": 10, "Next": "Big"}],
                 "Default": "Small"},
        "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
    },
}


def test_standard_execution_runs_and_reports_like_aws(sfn) -> None:
    arn = create(sfn, PIPELINE, "pipeline")
    started = sfn.start_execution(stateMachineArn=arn, name="first", input='{"start": 41}')
    assert started["executionArn"].endswith(":execution:pipeline:first")
    desc = wait_for_status(sfn, started["executionArn"])
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"value": 42, "size": "big"}
    events = history(sfn, started["executionArn"])
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered",
        "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
        "TaskStateExited", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered",
        "PassStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[1]["previousEventId"] == 0 and events[2]["previousEventId"] == 2
    reverse = sfn.get_execution_history(executionArn=started["executionArn"],
                                        reverseOrder=True, maxResults=2)
    assert [e["id"] for e in reverse["events"]] == [len(events), len(events) - 1]
    assert "nextToken" in reverse
    found = sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert json.loads(found["definition"]) == PIPELINE


def test_list_executions_newest_first_with_status_filter(sfn) -> None:
    arn = create(sfn, PIPELINE, "listing")
    arns = [sfn.start_execution(stateMachineArn=arn, name=f"run{i}",
                                input='{"start": 1}')["executionArn"] for i in range(3)]
    for ex in arns:
        wait_for_status(sfn, ex)
    listed = sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")["executions"]
    assert [e["executionArn"] for e in listed] == list(reversed(arns))
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"] == []


def test_same_name_running_returns_the_execution_closed_conflicts(sfn) -> None:
    arn = create(sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1,
                                                        "End": True}}}, "idempotent")
    first = sfn.start_execution(stateMachineArn=arn, name="once", input="{}")
    again = sfn.start_execution(stateMachineArn=arn, name="once", input="{}")
    assert again["executionArn"] == first["executionArn"]
    with pytest.raises(ClientError) as err:
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"other": 1}')
    assert err.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    assert wait_for_status(sfn, first["executionArn"])["status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as err:
        sfn.start_execution(stateMachineArn=arn, name="once", input="{}")
    assert err.value.response["Error"]["Code"] == "ExecutionAlreadyExists"


def test_express_sync_execution(sfn) -> None:
    arn = create(sfn, PIPELINE, "express", "EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=arn, input='{"start": 1}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"value": 2, "size": "small"}
    failing = create(sfn, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom",
                                                            "Cause": "on purpose"}}},
                     "express-fail", "EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=failing, input="{}")
    assert (result["status"], result["error"], result["cause"]) == ("FAILED", "Boom",
                                                                     "on purpose")


def test_stop_execution_aborts_with_error_and_cause(sfn) -> None:
    arn = create(sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60,
                                                        "End": True}}}, "stoppable")
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    time.sleep(0.2)
    sfn.stop_execution(executionArn=ex, error="Operator", cause="changed my mind")
    desc = sfn.describe_execution(executionArn=ex)
    assert desc["status"] == "ABORTED"
    last = history(sfn, ex)[-1]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {"error": "Operator",
                                                    "cause": "changed my mind"}


def test_redrive_reruns_the_failed_state(sfn, tmp_path) -> None:
    flag = tmp_path / "ready"
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Task", "Resource": FN + "add_one", "ResultPath": "$.added",
                      "Next": "Gate"},
            "Gate": {"Type": "Task", "Resource": FN + "fail_unless_flag", "End": True},
        },
    }
    arn = create(sfn, definition, "redrivable")
    ex = sfn.start_execution(stateMachineArn=arn,
                             input=json.dumps({"value": 1, "flag": str(flag)}))["executionArn"]
    assert wait_for_status(sfn, ex)["status"] == "FAILED"
    flag.write_text("go")
    sfn.redrive_execution(executionArn=ex)
    desc = wait_for_status(sfn, ex)
    assert desc["status"] == "SUCCEEDED", desc
    assert desc["redriveCount"] == 1
    types = [e["type"] for e in history(sfn, ex)]
    assert types.count("ExecutionRedriven") == 1
    assert types.count("LambdaFunctionSucceeded") == 2  # First is not run again
    with pytest.raises(ClientError) as err:
        sfn.redrive_execution(executionArn=ex)
    assert err.value.response["Error"]["Code"] == "ExecutionNotRedrivable"


def test_activity_worker_completes_a_task(sfn) -> None:
    activity = sfn.create_activity(name="resize")["activityArn"]
    arn = create(sfn, {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "Parameters": {"image.$": "$.image"},
        "End": True}}}, "with-activity")
    ex = sfn.start_execution(stateMachineArn=arn, input='{"image": "cat.png"}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="worker-1")
    assert json.loads(task["input"]) == {"image": "cat.png"}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"resized": true}')
    desc = wait_for_status(sfn, ex)
    assert desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == {"resized": True}
    events = history(sfn, ex)
    assert [e["type"] for e in events if e["type"].startswith("Activity")] == [
        "ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    started = next(e for e in events if e["type"] == "ActivityStarted")
    assert started["activityStartedEventDetails"]["workerName"] == "worker-1"
    with pytest.raises(ClientError) as err:
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert err.value.response["Error"]["Code"] in ("TaskDoesNotExist", "TaskTimedOut")


def test_activity_failure_and_heartbeat_timeout(sfn) -> None:
    activity = sfn.create_activity(name="flaky")["activityArn"]
    arn = create(sfn, {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "HeartbeatSeconds": 1, "TimeoutSeconds": 30,
        "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Late"}],
        "End": True}, "Late": {"Type": "Pass", "End": True}}}, "heartbeats")
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_heartbeat(taskToken=task["taskToken"])  # one beat, then silence
    desc = wait_for_status(sfn, ex, timeout=10)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"])["Error"] == "States.HeartbeatTimeout"
    assert "ActivityTimedOut" in [e["type"] for e in history(sfn, ex)]

    arn = create(sfn, {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "End": True}}}, "failing-activity")
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    task = sfn.get_activity_task(activityArn=activity)
    sfn.send_task_failure(taskToken=task["taskToken"], error="Worker.Broken", cause="disk full")
    desc = wait_for_status(sfn, ex)
    assert (desc["status"], desc["error"], desc["cause"]) == ("FAILED", "Worker.Broken",
                                                              "disk full")


def test_wait_for_task_token_callback(sfn) -> None:
    arn = create(sfn, {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "answer_token",
                       "Payload": {"token.$": "$$.Task.Token", "value.$": "$.value"}},
        "End": True}}}, "callback")
    ex = sfn.start_execution(stateMachineArn=arn, input='{"value": 7}')["executionArn"]
    desc = wait_for_status(sfn, ex)
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"]) == {"answered": 7}
    types = [e["type"] for e in history(sfn, ex)]
    assert types[types.index("TaskScheduled"):types.index("TaskSucceeded") + 1] == [
        "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]


def test_bad_requests_get_aws_error_codes(sfn) -> None:
    with pytest.raises(ClientError) as err:
        sfn.create_state_machine(name="bad", roleArn=ROLE, definition=json.dumps(
            {"StartAt": "Missing", "States": {"A": {"Type": "Pass", "End": True}}}))
    assert err.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "/StartAt" in err.value.response["Error"]["Message"]
    arn = create(sfn, PIPELINE, "inputs")
    with pytest.raises(ClientError) as err:
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    assert err.value.response["Error"]["Code"] == "InvalidExecutionInput"
    with pytest.raises(ClientError) as err:
        sfn.describe_execution(
            executionArn="arn:aws:states:us-east-1:123456789012:execution:inputs:nope")
    assert err.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_test_state_runs_one_state(sfn) -> None:
    answer = sfn.test_state(
        definition=json.dumps({"Type": "Pass", "InputPath": "$.a",
                               "Parameters": {"b.$": "$.x"}, "Next": "Later"}),
        roleArn=ROLE, input='{"a": {"x": 5}}', inspectionLevel="DEBUG")
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"b": 5}
    assert answer["nextState"] == "Later"
    assert json.loads(answer["inspectionData"]["afterInputPath"]) == {"x": 5}
    assert json.loads(answer["inspectionData"]["afterParameters"]) == {"b": 5}


def test_aws_cli_works_against_stepfn(server, sfn) -> None:
    create(sfn, PIPELINE, "from-cli")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run(
        ["aws", "stepfunctions", "list-state-machines", "--endpoint-url", server.endpoint],
        capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    names = [m["name"] for m in json.loads(out.stdout)["stateMachines"]]
    assert "from-cli" in names


def test_many_concurrent_executions(sfn) -> None:
    arn = create(sfn, PIPELINE, "many")
    arns: list[str] = []
    lock = threading.Lock()

    def start(i: int) -> None:
        ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"start": i}))
        with lock:
            arns.append(ex["executionArn"])

    threads = [threading.Thread(target=start, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outputs = sorted(json.loads(wait_for_status(sfn, a)["output"])["value"] for a in arns)
    assert outputs == list(range(1, 41))


def test_start_by_version_and_alias_runs_that_version(sfn) -> None:
    v1_def = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v1", "End": True}}}
    v2_def = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": True}}}
    created = sfn.create_state_machine(name="versioned", definition=json.dumps(v1_def),
                                       roleArn=ROLE, publish=True)
    v1 = created["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=created["stateMachineArn"],
                             definition=json.dumps(v2_def), publish=True)
    alias = sfn.create_state_machine_alias(
        name="prod", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    by_version = sfn.start_execution(stateMachineArn=v1, input="{}")["executionArn"]
    by_alias = sfn.start_execution(stateMachineArn=alias, input="{}")["executionArn"]
    latest = sfn.start_execution(stateMachineArn=created["stateMachineArn"],
                                 input="{}")["executionArn"]
    assert json.loads(wait_for_status(sfn, by_version)["output"]) == "v1"
    assert json.loads(wait_for_status(sfn, by_alias)["output"]) == "v1"
    assert json.loads(wait_for_status(sfn, latest)["output"]) == "v2"
    described = sfn.describe_execution(executionArn=by_alias)
    assert described["stateMachineAliasArn"] == alias
    assert described["stateMachineVersionArn"] == v1


def test_failed_tasks_are_logged_with_their_state(server, sfn) -> None:
    """One warning line per failed task, naming the state it ran in: inside a
    Parallel branch of a Standard execution (logged as its checkpoint commits) and in
    an Express one (logged at its end)."""
    fn = FN + "fail_always"
    fork = {"Type": "Parallel", "End": True,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "Branches": [
                {"StartAt": "Idle", "States": {"Idle": {"Type": "Pass", "End": True}}},
                {"StartAt": "Charge", "States": {"Charge": {
                    "Type": "Task", "Resource": fn, "End": True}}}]}
    definition = json.dumps({"StartAt": "Fork", "States": {
        "Fork": fork, "Caught": {"Type": "Succeed"}}})
    standard = sfn.create_state_machine(name="logged-std", roleArn=ROLE,
                                        definition=definition)["stateMachineArn"]
    express = sfn.create_state_machine(name="logged-exp", roleArn=ROLE,
                                       definition=definition, type="EXPRESS")
    arn = sfn.start_execution(stateMachineArn=standard, name="one")["executionArn"]
    assert wait_for_status(sfn, arn)["status"] == "SUCCEEDED"
    sync = sfn.start_sync_execution(stateMachineArn=express["stateMachineArn"], name="two")
    assert sync["status"] == "SUCCEEDED"
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in server.log.read_text().splitlines()
                 if "task failed:" in line]
        if len(lines) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) == 2, lines
    assert f"logged-std {arn} state 'Charge': ValueError" in lines[0]
    assert f"logged-exp {sync['executionArn']} state 'Charge': ValueError" in lines[1]


def test_an_activity_that_does_not_exist_fails_to_schedule(sfn) -> None:
    activity = "arn:aws:states:us-east-1:123456789012:activity:never-created"
    arn = sfn.create_state_machine(name="no-activity", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity,
                                               "End": True}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    desc = wait_for_status(sfn, ex, timeout=10)
    assert (desc["status"], desc["error"]) == ("FAILED", "States.Runtime")
    assert f"The activity {activity} does not exist." in desc["cause"]
    assert [e["type"] for e in history(sfn, ex)][-3:] == [
        "ActivityScheduled", "ActivityScheduleFailed", "ExecutionFailed"]
