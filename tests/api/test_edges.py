"""Edges answered as AWS answers them: a machine deleted while executions run, history
of an Express execution."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/sfn"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def _code(call) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def _machine(sfn) -> str:
    return sfn.create_state_machine(name=f"m-{uuid.uuid4().hex[:8]}", definition=PASS,
                                    roleArn=ROLE)["stateMachineArn"]


def test_machine_with_running_executions_is_deleting_until_they_end(sfn) -> None:
    arn = _machine(sfn)
    running = sfn.start_execution(stateMachineArn=arn, input='{"hold": true}')["executionArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert sfn.describe_state_machine(stateMachineArn=arn)["status"] == "DELETING"
    assert _code(lambda: sfn.start_execution(stateMachineArn=arn)) == "StateMachineDeleting"
    assert _code(lambda: sfn.update_state_machine(stateMachineArn=arn, definition=PASS)) == (
        "StateMachineDeleting")
    listed = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [e["executionArn"] for e in listed] == [running]
    sfn.stop_execution(executionArn=running)
    assert _code(lambda: sfn.describe_state_machine(stateMachineArn=arn)) == (
        "StateMachineDoesNotExist")
    assert sfn.describe_execution(executionArn=running)["status"] == "ABORTED"


def test_machine_without_running_executions_is_deleted_at_once(sfn) -> None:
    arn = _machine(sfn)
    done = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert _code(lambda: sfn.describe_state_machine(stateMachineArn=arn)) == (
        "StateMachineDoesNotExist")
    assert sfn.describe_execution(executionArn=done)["status"] == "SUCCEEDED"


def test_history_of_an_express_execution_is_invalid_arn(sfn) -> None:
    express = "arn:aws:states:us-east-1:123456789012:express:m:e:" + str(uuid.uuid4())
    assert _code(lambda: sfn.get_execution_history(executionArn=express)) == "InvalidArn"


def test_a_null_member_of_update_state_machine_is_absent(server) -> None:
    """``"definition": null`` is no definition (it was checked as a text: a 500)."""
    import urllib.error
    import urllib.request

    arn = _machine_via(server)

    def update(body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(server.url + "/", data=json.dumps(body).encode(),
                                         method="POST", headers={
                                             "Content-Type": "application/x-amz-json-1.0",
                                             "X-Amz-Target": "AWSStepFunctions.UpdateStateMachine"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, answer = update({"stateMachineArn": arn, "definition": None})
    assert (status, answer["__type"]) == (400, "MissingRequiredParameter")
    status, answer = update({"stateMachineArn": arn, "definition": None, "roleArn": ROLE + "2"})
    assert status == 200 and "updateDate" in answer


def _machine_via(server) -> str:
    from conftest import make_client  # tests/api is not a package

    return _machine(make_client(server.url))
