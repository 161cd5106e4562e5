"""`stepfn serve --mock-config`: StartExecution on `<machine ARN>#<test case>` runs the
test case, as Step Functions Local takes it (driven through boto3)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.service import conftest as service_conftest
from tests.service.conftest import Server

DATA = Path(__file__).with_name("mockdata")
ROLE = "arn:aws:iam::123456789012:role/x"


@pytest.fixture(scope="module")
def mock_server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("mockserve")
    os.environ["SFN_MOCK_CONFIG"] = str(DATA / "MockConfigFile.json")
    # The server loads the hybrid case's local function instead of the service tests'.
    service_functions = service_conftest.FUNCTIONS
    service_conftest.FUNCTIONS = DATA / "functions.py"
    server = Server(tmp / "db.sqlite", tmp / "log.txt")
    try:
        server.start()
    finally:
        del os.environ["SFN_MOCK_CONFIG"]
        service_conftest.FUNCTIONS = service_functions
    yield server
    server.stop()


def finish(sfn, arn: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("the execution did not end")


@pytest.fixture(scope="module")
def machine(mock_server: Server) -> str:
    sfn = mock_server.client()
    # Back-offs are real time in the server: 1 s apart instead of 1, 2, 4 s.
    definition = json.loads((DATA / "LambdaSQSIntegration.json").read_text())
    definition["States"]["LambdaState"]["Retry"][0]["BackoffRate"] = 1
    return sfn.create_state_machine(
        name="LambdaSQSIntegration", roleArn=ROLE,
        definition=json.dumps(definition))["stateMachineArn"]


def test_happy_path_through_a_test_case_arn(mock_server: Server, machine: str) -> None:
    sfn = mock_server.client()
    started = sfn.start_execution(stateMachineArn=f"{machine}#HappyPath", input="{}")
    assert ":execution:LambdaSQSIntegration:" in started["executionArn"]
    described = finish(sfn, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["MessageId"].startswith("3bcb6e8e-8b51")
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    scheduled = [e["taskScheduledEventDetails"] for e in events
                 if e["type"] == "TaskScheduled"]
    assert [s["resourceType"] for s in scheduled] == ["lambda", "sqs"]


def test_retries_and_catch_through_test_case_arns(mock_server: Server, machine: str) -> None:
    sfn = mock_server.client()
    retry = sfn.start_execution(stateMachineArn=f"{machine}#RetryPath")["executionArn"]
    caught = sfn.start_execution(stateMachineArn=f"{machine}#CaughtPath")["executionArn"]
    described = finish(sfn, caught)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["recovery"] == "recovered"
    assert finish(sfn, retry)["status"] == "SUCCEEDED"
    events = sfn.get_execution_history(executionArn=retry)["events"]
    errors = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert errors == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException",
                      "Lambda.TimeoutException"]


def test_hybrid_case_runs_the_local_function(mock_server: Server, machine: str) -> None:
    sfn = mock_server.client()
    arn = sfn.start_execution(stateMachineArn=f"{machine}#HybridPath")["executionArn"]
    described = finish(sfn, arn)
    assert described["status"] == "SUCCEEDED"
    events = sfn.get_execution_history(executionArn=arn)["events"]
    outputs = [json.loads(e["taskSucceededEventDetails"]["output"]) for e in events
               if e["type"] == "TaskSucceeded"]
    assert outputs[0]["Payload"] == {"StatusCode": 200, "body": "real nobody"}
    assert outputs[1]["MessageId"].startswith("3bcb6e8e-8b51")


def test_an_unknown_test_case_is_an_invalid_arn(mock_server: Server, machine: str) -> None:
    sfn = mock_server.client()
    with pytest.raises(ClientError) as info:
        sfn.start_execution(stateMachineArn=f"{machine}#Nope")
    assert info.value.response["Error"]["Code"] == "InvalidArn"
    assert "no test case named 'Nope'" in info.value.response["Error"]["Message"]


def test_start_sync_execution_takes_a_test_case_arn(mock_server: Server) -> None:
    sfn = mock_server.client()
    express = sfn.create_state_machine(
        name="ExpressOrders", roleArn=ROLE, type="EXPRESS",
        definition=(DATA / "LambdaSQSIntegration.json").read_text())["stateMachineArn"]
    answer = sfn.start_sync_execution(stateMachineArn=f"{express}#HappyPath", input="{}")
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"])["MessageId"].startswith("3bcb6e8e-8b51")
    # Test cases are looked up under the machine's own name.
    with pytest.raises(ClientError) as info:
        sfn.start_sync_execution(stateMachineArn=f"{express}#RetryPath")
    assert "no test case named 'RetryPath' (it has: HappyPath)" in str(info.value)


def test_a_test_case_survives_a_kill_and_restart(tmp_path: Path) -> None:
    # The execution keeps its test case in the store: after kill -9 and a restart the
    # retries still left are answered by the mock, not by a real Lambda.
    service_functions = service_conftest.FUNCTIONS
    service_conftest.FUNCTIONS = DATA / "functions.py"
    server = Server(tmp_path / "db.sqlite", tmp_path / "log.txt",
                    args=("--mock-config", str(DATA / "MockConfigFile.json")))
    try:
        server.start()
        sfn = server.client()
        definition = json.loads((DATA / "LambdaSQSIntegration.json").read_text())
        definition["States"]["LambdaState"]["Retry"][0].update(IntervalSeconds=2,
                                                               BackoffRate=1)
        machine = sfn.create_state_machine(name="LambdaSQSIntegration", roleArn=ROLE,
                                           definition=json.dumps(definition))
        arn = sfn.start_execution(
            stateMachineArn=machine["stateMachineArn"] + "#RetryPath")["executionArn"]
        deadline = time.monotonic() + 10
        while not any(e["type"] == "TaskFailed" for e in
                      sfn.get_execution_history(executionArn=arn)["events"]):
            assert time.monotonic() < deadline, "the first mocked failure never came"
            time.sleep(0.05)
        server.kill()
        server.start()
        described = finish(server.client(), arn)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"])["MessageId"].startswith("3bcb6e8e-8b51")
        events = server.client().get_execution_history(executionArn=arn)["events"]
        assert [e["type"] for e in events].count("TaskFailed") == 3
    finally:
        server.stop()
        service_conftest.FUNCTIONS = service_functions
