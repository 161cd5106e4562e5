"""Lambda tasks on the runtime's functions: one resolution path (a --functions function,
else the runtime's, else not found), qualifiers, lambda:invoke's shapes, and Lambda's
error names in the execution; in memory (``stepfn run``'s Engine) and through the
service composition ``stepfn serve`` uses, driven by boto3."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from stepfn import Engine
from stepfn.lambda_runtime import LambdaRuntime

from .test_runtime import FUNCTIONS, MISC, spec

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
SPECS = [
    spec("OddFunction", "app.lambda_handler", FUNCTIONS / "odd",
         environment={"PARITY": "odd"}, aliases=("live",)),
    spec("Raises", "app.raises", MISC),
    spec("Sleepy", "app.sleep", MISC, timeout_seconds=0.3),
    spec("Limited", "app.sleep", MISC, reserved_concurrency=1),
    spec("Missing", "app.handler", FUNCTIONS / "missing"),
    spec("Node", "index.handler", MISC, runtime="nodejs20.x"),
]


@pytest.fixture(scope="module")
def runtime() -> Iterator[LambdaRuntime]:
    with LambdaRuntime(SPECS) as rt:
        yield rt


@pytest.fixture
def engine(runtime: LambdaRuntime, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.delenv("STEPFN_LAMBDA_FORWARD", raising=False)
    return Engine(lambda_runtime=runtime)


def task(resource: str, **fields: Any) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource,
                                             "End": True, **fields}}}


def invoke(function_name: str, payload: Any = None, **params: Any) -> dict:
    return task("arn:aws:states:::lambda:invoke",
                Parameters={"FunctionName": function_name, "Payload": payload, **params})


def test_direct_arn_and_lambda_invoke(engine: Engine) -> None:
    result = engine.run(task(ARN + "OddFunction"), {"value": 3})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["parity"] == "odd" and result.output["odd"] is True
    for name in ("OddFunction:live", "123456789012:function:OddFunction:live",
                 ARN + "OddFunction:live"):
        result = engine.run(invoke(name, {"value": 4}), {})
        assert result.status == "SUCCEEDED", result.cause
        out = result.output
        assert (out["ExecutedVersion"], out["StatusCode"]) == ("1", 200)
        assert out["Payload"]["odd"] is False
        headers = out["SdkHttpMetadata"]["HttpHeaders"]
        assert headers["X-Amz-Executed-Version"] == "1"
        assert int(headers["Content-Length"]) == len(json.dumps(out["Payload"]))
    result = engine.run(invoke("OddFunction", {"value": 4}, Qualifier="$LATEST"), {})
    assert result.output["ExecutedVersion"] == "$LATEST"


def test_event_and_dry_run(engine: Engine) -> None:
    event = engine.run(invoke("OddFunction", {"value": 1}, InvocationType="Event"), {})
    assert event.status == "SUCCEEDED", event.cause
    assert (event.output["StatusCode"], event.output["Payload"]) == (202, "")
    assert "ExecutedVersion" not in event.output
    dry = engine.run(invoke("OddFunction", {"value": 1}, InvocationType="DryRun"), {})
    assert (dry.output["StatusCode"], dry.output["SdkHttpMetadata"]["HttpStatusCode"]) == (
        204, 204)


def test_function_errors_name_the_task_failure(engine: Engine) -> None:
    direct = engine.run(task(ARN + "Raises"), {"value": 1})
    assert direct.error == "ValueError"
    assert direct.cause.startswith('{"errorMessage": "cannot handle 1", "errorType": '
                                   '"ValueError", "requestId": "')
    failed = [e for e in direct.events if e.type == "LambdaFunctionFailed"]
    assert failed and failed[0].details["error"] == "ValueError"
    service = engine.run(invoke("Raises", {"value": 2}), {})
    assert service.error == "ValueError"
    assert service.cause.startswith('{"errorMessage":"cannot handle 2","errorType":"ValueError"')
    timed_out = engine.run(invoke("Sleepy", {"seconds": 5}), {})
    assert timed_out.error == "Sandbox.Timedout"
    assert "Task timed out after 0.30 seconds" in json.loads(timed_out.cause)["errorMessage"]
    missing = engine.run(task(ARN + "Missing"), {})
    assert missing.error == "Runtime.ImportModuleError"
    assert json.loads(missing.cause)["errorMessage"] == (
        "Unable to import module 'app': No module named 'nonexistent_package'")


def test_a_retry_catches_lambdas_error_names(runtime: LambdaRuntime) -> None:
    engine = Engine(lambda_runtime=runtime, time_skipping=True)
    definition = task(ARN + "Sleepy", Retry=[{"ErrorEquals": ["Sandbox.Timedout"],
                                              "MaxAttempts": 1, "IntervalSeconds": 1}],
                      Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}])
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = engine.run(definition, {"seconds": 5})
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "Sandbox.Timedout"
    assert sum(e.type == "LambdaFunctionScheduled" for e in result.events) == 2


def test_throttled_beyond_reserved_concurrency(engine: Engine) -> None:
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 2, "End": True,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": ARN + "Limited", "End": True}}}}}}
    result = engine.run(definition, [{"seconds": 0.5}, {"seconds": 0.5}])
    assert result.error == "Lambda.TooManyRequestsException"
    assert result.cause.startswith("Rate Exceeded. (Service: AWSLambda; Status Code: 429; "
                                   "Error Code: TooManyRequestsException; Request ID: ")


def test_resolution_order_and_not_found(engine: Engine) -> None:
    engine.register_function("OddFunction", lambda event: {"local": True})
    assert engine.run(task(ARN + "OddFunction"), {"value": 1}).output == {"local": True}
    unknown = engine.run(invoke("Nothing", {}), {})
    assert unknown.error == "Lambda.ResourceNotFoundException"
    assert unknown.cause.startswith(f"Function not found: {ARN}Nothing (Service: Lambda")
    assert "Local functions: Limited, Missing, OddFunction, Raises, Sleepy." in unknown.cause
    node = engine.run(task(ARN + "Node"), {})
    assert node.error == "Lambda.ResourceNotFoundException"
    assert "[stepfn] Node cannot run here: its runtime is nodejs20.x" in node.cause
    alias = engine.run(invoke("Raises:nope", {}), {})
    assert alias.error == "Lambda.ResourceNotFoundException"
    assert f"Function not found: {ARN}Raises:nope " in alias.cause
    clash = engine.run(invoke("OddFunction:live", {}, Qualifier="7"), {})
    assert clash.error == "Lambda.InvalidParameterValueException"


@pytest.fixture
def served(runtime: LambdaRuntime, tmp_path) -> Iterator[Any]:
    """The service composition `stepfn serve` answers with, the runtime passed in."""
    from stepfn.api import ApiConfig, create_app
    from stepfn.service import create_execution_service
    from stepfn.service.app import ServiceSettings
    from stepfn.store import SqliteStore

    store = SqliteStore(str(tmp_path / "stepfn.db"))
    service = create_execution_service(store, ServiceSettings(lambda_runtime=runtime))
    app = create_app(store, service, ApiConfig())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.02)
    yield boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                       region_name="us-east-1", aws_access_key_id="k",
                       aws_secret_access_key="s", config=Config(retries={"max_attempts": 1}))
    server.should_exit = True
    thread.join(10)


def test_through_the_service(served: Any) -> None:
    role = "arn:aws:iam::123456789012:role/r"
    machine = served.create_state_machine(
        name="odd", roleArn=role, definition=json.dumps(task(ARN + "OddFunction")))
    execution = served.start_execution(stateMachineArn=machine["stateMachineArn"],
                                       input='{"value": 9}')["executionArn"]
    deadline = time.monotonic() + 20
    while (desc := served.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"])["odd"] is True
