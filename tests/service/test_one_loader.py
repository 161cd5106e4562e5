"""Property, through a real `stepfn serve` and boto3: one way in for a definition.

Hypothesis draws definitions whose Task Resources come from the Resource grammar's space
and from outside it (tests/engine/strategies.py ``machines_with_resources``). For each:
``stepfn validate --json`` and ValidateStateMachineDefinition give the same diagnostics;
a definition they accept is created, its execution started without a 5xx, and the run
ends with an AWS status (an error AWS names, a cause free of Python text); one they
refuse is refused by CreateStateMachine with InvalidDefinition. The AWS services the
drawn integrations call are pointed at a closed loopback port, so they fail at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings

from stepfn.cli import main as cli_main
from tests.engine.strategies import machines_with_resources
from tests.engine.test_properties import _PYTHON_TEXT, AWS_ERRORS, PROPERTY_SETTINGS
from tests.service.conftest import ROLE, Server

_TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("one-loader")
    dead = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    saved = {key: os.environ.get(key) for key in dead}
    os.environ.update(dead)
    server = Server(folder / "stepfn.db", folder / "serve.log")
    try:
        server.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield server, folder
    server.stop()


def _cli_diagnostics(folder: Path, text: str, machine_type: str) -> dict:
    path = folder / f"{uuid.uuid4().hex}.asl.json"
    path.write_text(text)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli_main(["validate", str(path), "--type", machine_type, "--json"])
    return json.loads(out.getvalue())


def _ended(sfn, arn: str, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.1)


@settings(PROPERTY_SETTINGS, max_examples=int(os.environ.get("STEPFN_HYPOTHESIS_EXAMPLES", "25")))
@given(definition=machines_with_resources())
def test_validated_definitions_run_and_refused_ones_are_refused(
        served: tuple[Server, Path], definition: dict) -> None:
    server, folder = served
    sfn = server.client()
    machine_type = "STANDARD"
    text = json.dumps(definition)
    api = sfn.validate_state_machine_definition(definition=text, type=machine_type)
    cli = _cli_diagnostics(folder, text, machine_type)
    assert (cli["result"], cli["diagnostics"]) == (api["result"], api["diagnostics"])
    name = "m" + uuid.uuid4().hex[:16]
    if api["result"] == "FAIL":
        with pytest.raises(ClientError) as refused:
            sfn.create_state_machine(name=name, definition=text, roleArn=ROLE)
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
        return
    machine_arn = sfn.create_state_machine(name=name, definition=text,
                                           roleArn=ROLE)["stateMachineArn"]
    try:
        arn = sfn.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]
    except ClientError as exc:  # a 4xx a start may answer; never a 5xx
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] < 500, exc.response
        return
    waits = ":activity:" in text or ".waitForTaskToken" in text
    described = _ended(sfn, arn, 0.5 if waits else 8.0)
    if described["status"] == "RUNNING":  # waiting for a token or an activity worker
        assert waits, described
        sfn.stop_execution(executionArn=arn)
        return
    assert described["status"] in _TERMINAL
    if described["status"] == "FAILED":
        error, cause = described.get("error", ""), described.get("cause", "")
        if error.startswith("States."):
            assert error in AWS_ERRORS, (error, cause)
        assert not _PYTHON_TEXT.search(cause), cause
