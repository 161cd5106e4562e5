"""GET /health, /metrics and the live feed (/feed/executions/<ARN>, Server-Sent Events)
on a real `stepfn serve`, beside the API."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from stepfn.api import ops
from stepfn.store.sqlite import SqliteStore

from .conftest import ROLE, Server, wait_for_status

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def get(server: Server, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(server.endpoint + path, timeout=30) as resp:
            return resp.status, resp.headers["content-type"], resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["content-type"], exc.read()


def machine(sfn, name: str, definition: dict) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE)["stateMachineArn"]


def sample(text: str, name: str) -> float:
    """The value of the sample line ``name`` (with its labels) in the exposition."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in\n{text}")


def test_health_and_metrics_after_a_few_executions(server: Server, sfn) -> None:
    assert get(server, "/health") == (200, "application/json", b'{"status":"ok"}')
    ok = machine(sfn, "ok", {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": FN + "add_one", "Next": "B"},
        "B": {"Type": "Pass", "End": True}}})
    bad = machine(sfn, "bad", {"StartAt": "F", "States": {
        "F": {"Type": "Fail", "Error": "E", "Cause": "c"}}})
    arns = [sfn.start_execution(stateMachineArn=ok, input='{"value": 1}')["executionArn"]
            for _ in range(3)]
    arns.append(sfn.start_execution(stateMachineArn=bad)["executionArn"])
    statuses = [wait_for_status(sfn, arn)["status"] for arn in arns]
    assert statuses == ["SUCCEEDED"] * 3 + ["FAILED"]
    status, kind, body = get(server, "/metrics")
    assert status == 200 and kind.startswith("text/plain; version=0.0.4")
    text = body.decode()
    assert sample(text, f'stepfn_executions_started_total{{state_machine="{ok}"}}') == 3
    assert sample(text, f'stepfn_executions_started_total{{state_machine="{bad}"}}') == 1
    assert sample(text, f'stepfn_executions_ended_total{{state_machine="{ok}",'
                        'status="succeeded"}') == 3
    assert sample(text, f'stepfn_executions_ended_total{{state_machine="{bad}",'
                        'status="failed"}') == 1
    assert sample(text, "stepfn_state_transitions_total") == 3 * 2 + 1
    assert sample(text, "stepfn_task_duration_seconds_count") == 3
    assert sample(text, 'stepfn_task_duration_seconds_bucket{le="+Inf"}') == 3
    assert sample(text, "stepfn_lease_takeovers_total") == 0
    assert sample(text, "stepfn_due_timers") == 0
    assert sample(text, "stepfn_queue_depth") == 0
    assert sample(text, "stepfn_parked_executions") == 0
    assert sample(text, "stepfn_leased_executions") == 0
    assert "# TYPE stepfn_task_duration_seconds histogram" in text


def test_queue_depth_counts_executions_no_worker_holds(tmp_path: Path) -> None:
    """An API-only node starts executions and leaves them to workers: until one comes,
    they wait in the queue."""
    api = Server(tmp_path / "stepfn.db", tmp_path / "api.log", args=("--no-worker",))
    api.start()
    try:
        sfn = api.client()
        arn = machine(sfn, "queued", {"StartAt": "P", "States": {
            "P": {"Type": "Pass", "End": True}}})
        for _ in range(3):
            sfn.start_execution(stateMachineArn=arn)
        text = get(api, "/metrics")[2].decode()
        assert sample(text, "stepfn_queue_depth") == 3
        assert "# TYPE stepfn_queue_depth gauge" in text
    finally:
        api.stop()


def test_feed_streams_the_history_then_live_events_until_the_end(server: Server,
                                                                 sfn) -> None:
    arn_m = machine(sfn, "waits", {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
        "P": {"Type": "Pass", "End": True}}})
    arn = sfn.start_execution(stateMachineArn=arn_m)["executionArn"]
    # Opened while the Wait runs: the start comes from the store, the rest live.
    status, kind, body = get(server, "/feed/executions/" + quote(arn, safe=""))
    assert status == 200 and kind == "text/event-stream"
    messages = [m for m in body.decode().split("\n\n") if m]
    events = []
    for message in messages:
        lines = dict(line.split(": ", 1) for line in message.split("\n"))
        assert lines["event"] == "history"
        event = json.loads(lines["data"])
        assert int(lines["id"]) == event["id"]
        events.append(event)
    history = sfn.get_execution_history(executionArn=arn)["events"]
    assert [e["id"] for e in events] == [e["id"] for e in history] == \
        list(range(1, len(history) + 1))
    assert [e["type"] for e in events] == [e["type"] for e in history]
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert events[1]["stateEnteredEventDetails"] == \
        {"name": "W", "input": "{}", "inputDetails": {"truncated": False}}
    # An ended execution: its whole history, then the stream ends.
    assert get(server, "/feed/executions/" + quote(arn, safe=""))[2] == body
    missing = quote(arn.replace(":waits:", ":nothing:"), safe="")
    assert get(server, "/feed/executions/" + missing)[0] == 404
    # Each event names its thread (the UI follows nested states by it).
    assert {e["thread"] for e in events} == {""}
    # GET / is the web UI's page; the API itself is still POST / only.
    status, kind, _ = get(server, "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")


class _Unreachable(SqliteStore):
    async def get_execution(self, arn: str):  # type: ignore[override]
        raise OSError("database is gone")


def test_health_is_503_when_the_store_does_not_answer(tmp_path) -> None:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "GET", "path": "/health"}
    assert ops.handles(scope)
    asyncio.run(ops.answer(scope, receive, send, _Unreachable(str(tmp_path / "s.db")),
                           None))
    assert sent[0]["status"] == 503
    assert json.loads(sent[1]["body"]) == {"status": "unavailable"}


@pytest.mark.parametrize("path", ["/", "/ui", "/feed", "/metricsx"])
def test_other_paths_are_not_ours(path: str) -> None:
    assert not ops.handles({"type": "http", "method": "GET", "path": path})
    assert not ops.handles({"type": "http", "method": "POST", "path": "/metrics"})
