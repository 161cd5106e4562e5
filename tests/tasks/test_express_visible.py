"""Express executions that can be seen, on a real `stepfn serve` driven by boto3: the
recent ones kept with their events and served by the stepfn API
(``/stepfn/v1/express-executions...``), the live feed of a kept one, and execution
logging by ``loggingConfiguration`` to CloudWatch Logs (moto's server) and to a file."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.service.conftest import ROLE, Server

from .conftest import unique

PASS_WAIT = {"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Result": {"n": 1}, "Next": "W"},
    "W": {"Type": "Wait", "Seconds": 0, "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "c"}}}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Iterator[Server]:
    """One server for the module: keeps 3 Express executions, logs to CloudWatch
    (moto's server, through AWS_ENDPOINT_URL)."""
    tmp = tmp_path_factory.mktemp("express")
    saved = {k: os.environ.get(k) for k in ("STEPFN_EXPRESS_KEEP", "STEPFN_EXECUTION_LOGS")}
    os.environ.update(STEPFN_EXPRESS_KEEP="3", STEPFN_EXECUTION_LOGS="cloudwatch")
    server = Server(tmp / "stepfn.db", tmp / "serve.log")
    try:
        server.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield server
    server.stop()


def get(server: Server, path: str, **query: str) -> tuple[int, dict]:
    url = server.endpoint + path + ("?" + urlencode(query) if query else "")
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def express_machine(sfn, name: str, definition: dict, logging: dict | None = None) -> str:
    extra = {"loggingConfiguration": logging} if logging else {}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE, type="EXPRESS", **extra)["stateMachineArn"]


def kept(server: Server, machine: str, count: int) -> list[dict]:
    """The kept executions of ``machine`` once ``count`` of them have ended."""
    deadline = time.monotonic() + 20
    while True:
        status, body = get(server, "/stepfn/v1/express-executions", stateMachineArn=machine)
        assert status == 200, body
        done = [e for e in body["executions"] if e["status"] != "RUNNING"]
        if len(done) >= count or time.monotonic() > deadline:
            return body["executions"]
        time.sleep(0.05)


def test_recent_express_executions_are_kept_and_served(served: Server) -> None:
    sfn = served.client()
    machine = express_machine(sfn, "seen", PASS_WAIT)
    sync = sfn.start_sync_execution(stateMachineArn=machine, name="first", input='{"a":1}')
    arns = [sfn.start_execution(stateMachineArn=machine, name=f"n{i}")["executionArn"]
            for i in range(3)]
    executions = kept(served, machine, 3)
    # Bounded (STEPFN_EXPRESS_KEEP=3): the oldest, the sync one, is forgotten; newest first.
    assert [e["executionArn"] for e in executions] == arns[::-1]
    assert [set(e) for e in executions] == [{"executionArn", "stateMachineArn", "name",
                                             "status", "startDate", "stopDate"}] * 3
    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    assert [e["name"] for e in executions] == ["n2", "n1", "n0"]
    assert executions[0]["startDate"] <= executions[0]["stopDate"] < time.time() + 1
    status, body = get(served, "/stepfn/v1/express-executions/describe",
                       executionArn=sync["executionArn"])
    assert (status, body["__type"]) == (404, "ExecutionDoesNotExist")
    status, body = get(served, "/stepfn/v1/express-executions/describe",
                       executionArn=arns[1])
    assert status == 200
    assert (body["status"], body["output"], body["input"]) == ("SUCCEEDED", '{"n":1}', "{}")
    assert body["stateMachineArn"] == machine and body["name"] == "n1"
    status, body = get(served, "/stepfn/v1/express-executions/history",
                       executionArn=arns[1])
    assert status == 200
    assert [e["type"] for e in body["events"]] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered",
        "WaitStateExited", "ExecutionSucceeded"]
    assert [(e["id"], e["previousEventId"]) for e in body["events"]][:3] == [
        (1, 0), (2, 0), (3, 2)]
    assert body["events"][2]["stateExitedEventDetails"] == {
        "name": "P", "output": '{"n":1}', "outputDetails": {"truncated": False}}
    status, body = get(served, "/stepfn/v1/express-executions/history",
                       executionArn=arns[1], reverseOrder="true",
                       includeExecutionData="false")
    assert body["events"][0]["type"] == "ExecutionSucceeded"
    assert "output" not in body["events"][0]["executionSucceededEventDetails"]
    # The live feed streams a kept Express execution to its end.
    with urllib.request.urlopen(served.endpoint + "/feed/executions/" + quote(arns[2], ""),
                                timeout=30) as resp:
        text = resp.read().decode()
    assert [json.loads(line[5:])["type"] for line in text.splitlines()
            if line.startswith("data:")][-1] == "ExecutionSucceeded"
    # AWS's own API still refuses Express executions where AWS does.
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.list_executions(stateMachineArn=machine)


def test_the_stepfn_api_answers_bad_requests_with_aws_codes(served: Server) -> None:
    sfn = served.client()
    standard = sfn.create_state_machine(name="std", definition=json.dumps(FAIL),
                                        roleArn=ROLE)["stateMachineArn"]
    cases = [
        (("/stepfn/v1/express-executions", {}), (400, "ValidationException")),
        (("/stepfn/v1/express-executions", {"stateMachineArn": "nope"}), (400, "InvalidArn")),
        (("/stepfn/v1/express-executions", {"stateMachineArn": standard + "x"}),
         (400, "StateMachineDoesNotExist")),
        (("/stepfn/v1/express-executions", {"stateMachineArn": standard}),
         (400, "StateMachineTypeNotSupported")),
        (("/stepfn/v1/express-executions", {"stateMachineArn": standard,
                                            "maxResults": "x"}), (400, "ValidationException")),
        (("/stepfn/v1/express-executions/describe", {"executionArn": standard}),
         (400, "InvalidArn")),
        (("/stepfn/v1/nothing", {}), (404, "UnknownOperationException")),
    ]
    for (path, query), expected in cases:
        status, body = get(served, path, **query)
        assert (status, body["__type"]) == expected, (path, query, body)


def _log_messages(aws, group: str, count: int) -> list[dict]:
    logs = aws.client("logs")
    deadline = time.monotonic() + 20
    while True:
        events = logs.filter_log_events(logGroupName=group).get("events", [])
        if len(events) >= count or time.monotonic() > deadline:
            return [json.loads(e["message"]) for e in events]
        time.sleep(0.1)


def test_execution_logs_go_to_cloudwatch_as_the_level_says(served: Server, aws) -> None:
    sfn = served.client()
    logs = aws.client("logs")
    for group in ("sfn-all", "sfn-error"):
        logs.create_log_group(logGroupName=group)
    group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:{}:*"

    def config(level: str, group: str, data: bool) -> dict:
        return {"level": level, "includeExecutionData": data, "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": group_arn.format(group)}}]}

    every = express_machine(sfn, "logged", PASS_WAIT, config("ALL", "sfn-all", True))
    sync = sfn.start_sync_execution(stateMachineArn=every, input='{"k":"v"}')
    errors = sfn.create_state_machine(name="logged-std", definition=json.dumps(FAIL),
                                      roleArn=ROLE,
                                      loggingConfiguration=config("ERROR", "sfn-error", False))
    failed = sfn.start_execution(stateMachineArn=errors["stateMachineArn"])["executionArn"]
    messages = _log_messages(aws, "sfn-all", 6)
    assert [m["type"] for m in messages] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered",
        "WaitStateExited", "ExecutionSucceeded"]
    first = messages[0]
    assert list(first) == ["id", "type", "details", "previous_event_id", "event_timestamp",
                           "execution_arn", "redrive_count"]
    assert (first["id"], first["previous_event_id"], first["redrive_count"]) == ("1", "0", "0")
    assert first["execution_arn"] == sync["executionArn"]
    assert first["details"] == {"input": '{"k":"v"}', "inputDetails": {"truncated": False},
                                "roleArn": ROLE}
    assert abs(int(first["event_timestamp"]) / 1000 - sync["startDate"].timestamp()) < 5
    streams = logs.describe_log_streams(logGroupName="sfn-all")["logStreams"]
    assert [s["logStreamName"].split("/")[:2] for s in streams] == [["states", "logged"]]
    # ERROR: the failure events only; no execution data.
    messages = _log_messages(aws, "sfn-error", 2)
    assert [(m["type"], m["execution_arn"]) for m in messages] == [
        ("FailStateEntered", failed), ("ExecutionFailed", failed)]
    assert messages[0]["details"] == {"name": "F"}
    assert messages[1]["details"] == {"error": "Oops", "cause": "c"}


def test_execution_logs_to_a_file(tmp_path: Path) -> None:
    log_file = tmp_path / "executions.jsonl"
    os.environ["STEPFN_EXECUTION_LOGS"] = f"file:{log_file}"
    try:
        server = Server(tmp_path / "stepfn.db", tmp_path / "serve.log")
        server.start()
    finally:
        del os.environ["STEPFN_EXECUTION_LOGS"]
    try:
        sfn = server.client()
        machine = express_machine(sfn, "filed", FAIL, {
            "level": "FATAL", "includeExecutionData": True, "destinations": [
                {"cloudWatchLogsLogGroup": {
                    "logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:g:*"}}]})
        result = sfn.start_sync_execution(stateMachineArn=machine)
        assert result["status"] == "FAILED"
    finally:
        server.stop()  # a graceful stop writes what was logged
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [(m["type"], m["execution_arn"]) for m in lines] == [
        ("ExecutionFailed", result["executionArn"])]


@pytest.mark.parametrize("setting", ["--execution-logs=nope", "--express-keep=-1"])
def test_a_bad_setting_is_one_error_line(setting: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "stepfn.cli", "serve", "--port", "0",
                           "--db", str(tmp_path / "db"), setting],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    flag = setting.split("=")[0]
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: {flag} ")


def test_the_stepfn_api_is_signed_like_the_aws_api_under_sigv4(tmp_path: Path) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    keys = tmp_path / "keys"
    keys.write_text("AKIDSTEPFN secret-key\n")
    server = Server(tmp_path / "stepfn.db", tmp_path / "serve.log",
                    ("--auth", "sigv4", "--access-keys", str(keys)))
    server.start()
    url = (server.endpoint + "/stepfn/v1/express-executions?" + urlencode(
        {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:none"}))
    try:
        unsigned = get(server, url[len(server.endpoint):])
        request = AWSRequest("GET", url)
        SigV4Auth(Credentials("AKIDSTEPFN", "secret-key"), "states",
                  "us-east-1").add_auth(request)
        prepared = request.prepare()
        with pytest.raises(urllib.error.HTTPError) as signed:
            urllib.request.urlopen(urllib.request.Request(
                prepared.url, headers=dict(prepared.headers)), timeout=30)
    finally:
        server.stop()
    assert (unsigned[0], unsigned[1]["__type"]) == (403,
                                                    "MissingAuthenticationTokenException")
    # Signed, it reaches the route: that machine does not exist.
    assert signed.value.code == 400
    assert json.loads(signed.value.read())["__type"] == "StateMachineDoesNotExist"


def test_a_logging_configuration_aws_refuses_is_refused(served: Server) -> None:
    sfn = served.client()
    group = "arn:aws:logs:us-east-1:123456789012:log-group:g:*"
    cases = [{"level": "ALL"},  # no destination
             {"level": "ERROR", "destinations": [
                 {"cloudWatchLogsLogGroup": {"logGroupArn": group}}] * 2},
             {"level": "ALL", "destinations": [
                 {"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:s3:::bucket"}}]}]
    for logging in cases:
        with pytest.raises(sfn.exceptions.InvalidLoggingConfiguration):
            express_machine(sfn, unique("badlog"), FAIL, logging)
    machine = express_machine(sfn, unique("oklog"), FAIL, {"level": "OFF"})
    with pytest.raises(sfn.exceptions.InvalidLoggingConfiguration):
        sfn.update_state_machine(stateMachineArn=machine,
                                 loggingConfiguration={"level": "FATAL"})


def test_kept_executions_are_bounded_by_the_bytes_they_hold() -> None:
    from stepfn.engine.history import Event
    from stepfn.service.express import RecentExpressExecutions
    from stepfn.store.base import ExecutionRecord

    def run(kept: RecentExpressExecutions, name: str, payload: int) -> str:
        arn = f"arn:aws:states:us-east-1:123456789012:express:m:{name}:1"
        record = ExecutionRecord(arn, "arn:aws:states:us-east-1:123456789012:stateMachine:m",
                                 name, "RUNNING", 0.0)
        events = [Event(1, 0, 0.0, "ExecutionStarted", {"input": "x" * payload})]
        kept.started(record, events)
        kept.ended(ExecutionRecord(arn, record.machine_arn, name, "SUCCEEDED", 0.0,
                                   stop_date=1.0))
        return arn

    kept = RecentExpressExecutions(limit=10, max_bytes=10_000)
    small = [run(kept, f"s{i}", 3_000) for i in range(4)]
    # 4 x ~3.2 KB > 10 KB: the oldest went, the newest three stay.
    assert [kept.record(arn) is not None for arn in small] == [False, True, True, True]
    huge = run(kept, "huge", 50_000)  # larger than the budget alone: its record only
    assert kept.record(huge).status == "SUCCEEDED" and kept.get(huge) is None
    assert kept.get(small[-1]) is not None
