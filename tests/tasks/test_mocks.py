"""Step Functions Local mock configurations: parsing, and mocked runs in-process and
through `stepfn run`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stepfn import Engine
from stepfn.tasks.mocks import MockConfig, MockConfigError

DATA = Path(__file__).with_name("mockdata")
DEFINITION = DATA / "LambdaSQSIntegration.json"
CONFIG = DATA / "MockConfigFile.json"


def run_case(case: str, **kwargs: Any):
    engine = Engine(time_skipping=True, mock_config=CONFIG)
    engine.register_function("HelloWorldFunction",
                             lambda event: {"StatusCode": 200, "body": "real"})
    return engine.run(DEFINITION.read_text(), {"who": "tester"}, test_case=case,
                      machine_name="LambdaSQSIntegration", **kwargs)


def types(result) -> list[str]:
    return [e.type for e in result.events]


def test_happy_path_uses_both_mocks_and_records_task_events() -> None:
    result = run_case("HappyPath")
    assert result.status == "SUCCEEDED"
    assert result.output == {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                             "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}
    assert types(result).count("TaskScheduled") == 2
    succeeded = [e.details for e in result.events if e.type == "TaskSucceeded"]
    assert succeeded[0]["resourceType"] == "lambda"
    assert json.loads(succeeded[0]["output"])["Payload"]["body"] == "Hello from Lambda!"


def test_retry_path_walks_the_invocation_ranges() -> None:
    result = run_case("RetryPath")
    assert result.status == "SUCCEEDED"
    failed = [e.details["error"] for e in result.events if e.type == "TaskFailed"]
    # invocation 0, then "1-2", then "3" returns
    assert failed == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException",
                      "Lambda.TimeoutException"]
    assert types(result).count("TaskScheduled") == 5  # 4 Lambda tries + SQS


def test_throw_is_caught_by_catch() -> None:
    result = run_case("CaughtPath")
    assert result.status == "SUCCEEDED"
    assert result.output["recovery"] == "recovered"
    assert result.output["error"] == {"Error": "Lambda.TimeoutException",
                                      "Cause": "Lambda timed out."}


def test_hybrid_case_runs_the_unmocked_state_for_real() -> None:
    result = run_case("HybridPath")
    assert result.status == "SUCCEEDED"
    lambda_out = json.loads([e.details for e in result.events
                             if e.type == "TaskSucceeded"][0]["output"])
    assert lambda_out["Payload"] == {"StatusCode": 200, "body": "real"}
    assert result.output["MessageId"] == "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"


def test_invocations_past_the_defined_ones_fail_clearly() -> None:
    config = MockConfig.from_json({
        "StateMachines": {"m": {"TestCases": {"t": {"T": "Once"}}}},
        "MockedResponses": {"Once": {"0": {"Return": 1}}}})
    definition = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
              "ResultPath": "$.r", "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [
            {"Variable": "$.again", "IsPresent": True, "Next": "Done"}], "Default": "Mark"},
        "Mark": {"Type": "Pass", "Result": True, "ResultPath": "$.again", "Next": "T"},
        "Done": {"Type": "Succeed"}}}
    engine = Engine(time_skipping=True, mock_config=config)
    result = engine.run(definition, {}, test_case="t", machine_name="m")
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert result.cause.endswith("The mocked response 'Once' of state 'T' defines no "
                                 "invocation 1")


def test_mocks_answer_activities_and_wait_for_task_token() -> None:
    config = MockConfig.from_json({
        "StateMachines": {"m": {"TestCases": {"t": {"Act": "R", "Wait": "W"}}}},
        "MockedResponses": {"R": {"0": {"Return": {"a": 1}}},
                            "W": {"0": {"Throw": {"Error": "Rejected", "Cause": "no"}}}}})
    definition = {"StartAt": "Act", "States": {
        "Act": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:"
                "activity:worker", "ResultPath": "$.act", "Next": "Wait"},
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage."
                 "waitForTaskToken", "Parameters": {"QueueUrl": "q", "MessageBody": {
                     "token.$": "$$.Task.Token"}}, "End": True}}}
    engine = Engine(mock_config=config)
    result = engine.run(definition, {}, test_case="t", machine_name="m")
    assert result.status == "FAILED"
    assert (result.error, result.cause) == ("Rejected", "no")
    kinds = types(result)
    assert kinds[:6] == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                         "ActivityStarted", "ActivitySucceeded", "TaskStateExited"]
    assert "TaskSubmitted" in kinds and "TaskFailed" in kinds


@pytest.mark.parametrize("config, location, problem", [
    ([], "/", "must be a JSON object"),
    ({"StateMachine": {}}, "/StateMachine", "unknown field"),
    ({"MockedResponses": {"R": {"x": {"Return": 1}}}}, "/MockedResponses/R/x",
     "invocation keys"),
    ({"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}},
     "/MockedResponses/R/0", "exactly one of Return or Throw"),
    ({"MockedResponses": {"R": {"0": {"Throw": {"Cause": "c"}}}}},
     "/MockedResponses/R/0/Throw", "Error must be"),
    ({"MockedResponses": {"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}},
     "/MockedResponses/R/2", "overlaps"),
    ({"StateMachines": {"m": {"TestCases": {"t": {"S": "Nope"}}}}},
     "/StateMachines/m/TestCases/t/S", "no mocked response named 'Nope'"),
])
def test_a_bad_configuration_is_reported_with_its_location(config: Any, location: str,
                                                           problem: str) -> None:
    with pytest.raises(MockConfigError) as info:
        MockConfig.from_json(config, "mocks.json")
    assert str(info.value).startswith(f"mocks.json: {location}: ")
    assert problem in str(info.value)
    assert "\n" not in str(info.value)


# -- stepfn run -------------------------------------------------------------------------
def stepfn(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stepfn.cli", *args], capture_output=True,
                          text=True, timeout=60)


def test_cli_runs_a_test_case_named_by_the_file_stem() -> None:
    proc = stepfn("run", str(DEFINITION), "--mock-config", str(CONFIG), "--test-case",
                  "RetryPath", "--skip-time", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "SUCCEEDED"
    assert out["output"]["MessageId"].startswith("3bcb6e8e")


def test_cli_hybrid_case_calls_the_local_function() -> None:
    proc = stepfn("run", str(DEFINITION), "--mock-config", str(CONFIG), "--test-case",
                  "HybridPath", "--functions", str(DATA / "functions.py"),
                  "--input", '{"who": "cli"}')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["MessageId"].startswith("3bcb6e8e")


def test_cli_reports_an_unknown_test_case_in_one_line(tmp_path: Path) -> None:
    proc = stepfn("run", str(DEFINITION), "--mock-config", str(CONFIG), "--test-case",
                  "Nope")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"error: {CONFIG}: /StateMachines/LambdaSQSIntegration/TestCases: no test case "
        "named 'Nope' (it has: CaughtPath, HappyPath, HybridPath, RetryPath)")


def test_cli_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "mocks.json"
    bad.write_text('{"MockedResponses": {"R": {"0": {"Retrun": 1}}}}')
    proc = stepfn("run", str(DEFINITION), "--mock-config", str(bad), "--test-case", "x")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {bad}: /MockedResponses/R/0: must have "
                                   "exactly one of Return or Throw")


def test_invocation_numbers_come_from_the_history_so_a_replay_sees_them() -> None:
    from stepfn.engine.history import History
    from stepfn.tasks.base import TaskCall, parse_resource
    from stepfn.tasks.mocks import invocation_number

    events = run_case("RetryPath").events
    lambda_scheduled = [e.id for e in events if e.type == "TaskScheduled"][:4]
    # A fresh process re-running the execution has only the recorded events.
    replayed = History(recorded=events)
    numbers = [invocation_number(TaskCall(
        parse_resource("arn:aws:states:::lambda:invoke"), {}, "{}", "LambdaState", "arn",
        history=replayed, scheduled_event_id=event_id)) for event_id in lambda_scheduled]
    assert numbers == [0, 1, 2, 3]


def test_sync_and_http_tasks_are_mocked_with_aws_events() -> None:
    config = MockConfig.from_json({
        "StateMachines": {"m": {"TestCases": {"t": {"Child": "C", "Call": "H"}}}},
        "MockedResponses": {"C": {"0": {"Return": {"Status": "SUCCEEDED"}}},
                            "H": {"0": {"Return": {"StatusCode": 200,
                                                   "ResponseBody": {"ok": 1}}}}}})
    definition = {"StartAt": "Child", "States": {
        "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:"
                                 "stateMachine:child"}, "ResultPath": "$.child",
                  "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                 "Parameters": {"ApiEndpoint": "https://example.invalid/x", "Method": "GET",
                                "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:"
                                                   "123456789012:connection/c/1"}},
                 "ResultSelector": {"body.$": "$.ResponseBody"}, "End": True}}}
    engine = Engine(mock_config=config)
    result = engine.run(definition, {}, test_case="t", machine_name="m")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"body": {"ok": 1}}
    scheduled = [(e.details["resourceType"], e.details["resource"])
                 for e in result.events if e.type == "TaskScheduled"]
    # AWS names the resource with its pattern (startExecution.sync in its histories).
    assert scheduled == [("states", "startExecution.sync:2"), ("http", "invoke")]
    assert [e.type for e in result.events].count("TaskSucceeded") == 2


def test_serve_refuses_a_bad_mock_config_before_listening(tmp_path: Path) -> None:
    bad = tmp_path / "mocks.json"
    bad.write_text('{"StateMachines": {"m": {"TestCases": {"t": {"S": "Missing"}}}}}')
    proc = stepfn("serve", "--port", "1", "--db", str(tmp_path / "db"), "--mock-config",
                  str(bad))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {bad}: /StateMachines/m/TestCases/t/S: no "
                                   "mocked response named 'Missing' in MockedResponses")
