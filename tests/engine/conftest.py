"""Shared helpers for the interpreter tests: an engine with a virtual clock, ARNs,
definition builders and history accessors.

Every test drives the public API (``Engine.run`` / ``Engine.compile``) and asserts what
AWS Step Functions itself answers: outputs, error names, causes and history events.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepfn import Engine
from stepfn.engine.execution import ExecutionResult
from stepfn.engine.history import Event

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Engine.run names the machine "stepfn" unless told otherwise.
MACHINE_NAME = "stepfn"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{MACHINE_NAME}"


def lambda_arn(name: str) -> str:
    """The direct Lambda ARN under which a registered local function answers."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def machine(states: dict[str, dict], start: str | None = None, **top: Any) -> dict:
    """A definition from its states; StartAt defaults to the first state."""
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def single(state: dict, name: str = "S") -> dict:
    """A one-state machine; the state ends the execution unless it says otherwise."""
    spec = dict(state)
    if spec["Type"] not in ("Succeed", "Fail", "Choice") and "Next" not in spec:
        spec.setdefault("End", True)
    return machine({name: spec})


def lambda_task(name: str, **fields: Any) -> dict:
    """A Task state calling the local function ``name`` through its direct ARN."""
    return {"Type": "Task", "Resource": lambda_arn(name), **fields}


def invoke_task(name: str, **fields: Any) -> dict:
    """A Task state calling ``name`` through the lambda:invoke integration."""
    params = fields.pop("Parameters", {"FunctionName": name, "Payload.$": "$"})
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": params, **fields}


def runtime_cause(state: str, entered_id: int, detail: str) -> str:
    """The cause AWS gives a States.Runtime error raised in ``state``."""
    return (f"An error occurred while executing the state '{state}' "
            f"(entered at the event id #{entered_id}). {detail}")


def types(result: ExecutionResult) -> list[str]:
    """The event types of the execution's history, in order."""
    return [e.type for e in result.events]


def events_of(result: ExecutionResult, event_type: str) -> list[Event]:
    return [e for e in result.events if e.type == event_type]


def first(result: ExecutionResult, event_type: str) -> Event:
    found = events_of(result, event_type)
    assert found, f"no {event_type} in {types(result)}"
    return found[0]


def entered_id(result: ExecutionResult, state: str) -> int:
    """Id of the first ...StateEntered event of ``state``."""
    for e in result.events:
        if e.type.endswith("StateEntered") and e.details and e.details.get("name") == state:
            return e.id
    raise AssertionError(f"state {state} was never entered")


def state_output(result: ExecutionResult, state: str) -> Any:
    """The parsed output recorded in the last ...StateExited event of ``state``."""
    for e in reversed(result.events):
        if e.type.endswith("StateExited") and e.details and e.details.get("name") == state:
            return json.loads(e.details["output"])
    raise AssertionError(f"state {state} never exited")


def state_input(result: ExecutionResult, state: str) -> Any:
    for e in result.events:
        if e.type.endswith("StateEntered") and e.details and e.details.get("name") == state:
            return json.loads(e.details["input"])
    raise AssertionError(f"state {state} was never entered")


def assert_succeeded(result: ExecutionResult, output: Any) -> None:
    assert (result.status, result.error, result.cause) == ("SUCCEEDED", None, None), \
        f"{result.status} {result.error}: {result.cause}"
    assert result.output == output


def assert_failed(result: ExecutionResult, error: str, cause: str | None = None) -> None:
    assert result.status == "FAILED", f"{result.status}: {result.output}"
    assert result.error == error, f"{result.error}: {result.cause}"
    if cause is not None:
        assert result.cause == cause


@pytest.fixture
def engine() -> Engine:
    """An engine whose Waits and retry back-offs take no real time."""
    return Engine(time_skipping=True)


class CallLog:
    """Records the events a local function was called with."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def __len__(self) -> int:
        return len(self.events)


@pytest.fixture
def calls() -> CallLog:
    return CallLog()


@pytest.fixture(autouse=True)
def no_aws(monkeypatch, tmp_path) -> None:
    """No AWS account is reachable from these tests: boto3 finds no credentials (and
    does not probe the instance metadata service), so an unregistered function is
    reported as not found rather than sent to real Lambda."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
