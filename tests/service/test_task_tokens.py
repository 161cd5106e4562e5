"""Task tokens cannot be forged, altered or answered twice (a real `stepfn serve`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from stepfn.tasks.tokens import execution_of_token, new_secret, task_token_for
from tests.tasks.conftest import moto_endpoint  # noqa: F401  (the local AWS)

from .conftest import ROLE, history, wait_for_status

ARN = "arn:aws:states:us-east-1:123456789012:execution:m:e1"


def _decode(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_token_is_the_same_for_the_same_task_and_secret() -> None:
    secret = new_secret()
    token = task_token_for(ARN, "main", 5, secret=secret)
    assert token == task_token_for(ARN, "main", 5, secret=secret)
    assert token != task_token_for(ARN, "main", 6, secret=secret)
    assert execution_of_token(token, secret=secret) == ARN


def test_altered_foreign_or_unsigned_tokens_are_not_recognised() -> None:
    secret = new_secret()
    token = task_token_for(ARN, "main", 5, secret=secret)
    raw = bytearray(_decode(token))
    raw[len(ARN) + 1] ^= 1  # another thread name, same MAC
    assert execution_of_token(_encode(bytes(raw)), secret=secret) is None
    assert execution_of_token(task_token_for(ARN, "main", 5, secret=new_secret()),
                              secret=secret) is None
    # The old unsigned form: the position alone, base64.
    assert execution_of_token(_encode(f"{ARN}#main#5".encode()), secret=secret) is None
    assert execution_of_token("not a token!", secret=secret) is None


def _waiting_task(sfn) -> tuple[str, str]:
    activity = sfn.create_activity(name="approve")["activityArn"]
    arn = sfn.create_state_machine(name="approval", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Approve", "States": {"Approve": {
            "Type": "Task", "Resource": activity, "End": True}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    return ex, sfn.get_activity_task(activityArn=activity, workerName="w")["taskToken"]


def _code(call) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def test_server_rejects_altered_and_foreign_tokens(sfn) -> None:
    ex, token = _waiting_task(sfn)
    raw = _decode(token)
    position = raw[:-32]
    assert position.decode().startswith(ex)  # the position is readable, not secret
    other_id = b"8" if position.endswith(b"9") else b"9"  # another task, same MAC
    forged = _encode(position[:-1] + other_id + raw[-32:])
    foreign = _encode(position + hmac.new(new_secret(), position, hashlib.sha256).digest())
    unsigned = _encode(position)
    for bad in (forged, foreign, unsigned):
        assert _code(lambda t=bad: sfn.send_task_success(taskToken=t, output="{}")) == (
            "InvalidToken")
        assert _code(lambda t=bad: sfn.send_task_heartbeat(taskToken=t)) == "InvalidToken"
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output='{"ok": 1}')
    assert wait_for_status(sfn, ex)["status"] == "SUCCEEDED"


def test_racing_answers_on_one_token_succeed_once(sfn, server) -> None:
    ex, token = _waiting_task(sfn)
    clients = [server.client() for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(clients))

    def answer(client) -> None:
        barrier.wait()
        try:
            client.send_task_success(taskToken=token, output='{"by": "racer"}')
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=answer, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["TaskTimedOut"] * 3 + ["ok"]
    assert wait_for_status(sfn, ex)["status"] == "SUCCEEDED"
    assert _code(lambda: sfn.send_task_failure(taskToken=token, error="late")) == (
        "TaskTimedOut")


@pytest.mark.usefixtures("moto_endpoint")
def test_sqs_send_message_wait_for_task_token(sfn) -> None:
    """The callback pattern every SQS worker application uses: the message carries the
    token to moto's queue, a worker answers on stepfn (it always failed with 'integration
    pattern not supported')."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName=f"callbacks-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    machine = sfn.create_state_machine(name="sqs-callback", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": queue, "MessageBody": {
                "token.$": "$$.Task.Token", "order.$": "$.order"}},
            "TimeoutSeconds": 20, "End": True}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=machine, input='{"order": 7}')["executionArn"]
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10).get("Messages", [])
    assert messages, sfn.describe_execution(executionArn=ex)
    body = json.loads(messages[0]["Body"])
    assert body["order"] == 7
    sfn.send_task_success(taskToken=body["token"], output='{"shipped": 7}')
    desc = wait_for_status(sfn, ex, timeout=10)
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"]) == {"shipped": 7}
    submitted = [e for e in history(sfn, ex) if e["type"] == "TaskSubmitted"]
    assert "MessageId" in json.loads(submitted[0]["taskSubmittedEventDetails"]["output"])
