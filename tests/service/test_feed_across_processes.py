"""The event feed across processes, with real processes on SQLite and PostgreSQL: an
execution run by a `stepfn worker` is followed live from another process (PostgreSQL:
through NOTIFY, the subscriber reading the events from the store; SQLite: by polling
the store), including while it is parked and taken over by a second worker."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from stepfn.service.contract import StartRequest
from stepfn.service.executions import ExecutionManager
from stepfn.service.feed import FeedEvent
from stepfn.store import PostgresStore, SqliteStore, Store
from stepfn.store.base import StateMachineRecord

from .conftest import ROLE, Server, history, wait_for_status
from .test_leases import Worker, store_url  # noqa: F401 - the fixture

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
PREFIX = "arn:aws:states:us-east-1:123456789012:"
NAP = {"StartAt": "Nap", "States": {
    "Nap": {"Type": "Wait", "Seconds": 3, "Next": "Add"},
    "Add": {"Type": "Task", "Resource": FN + "add_one", "End": True}}}
TERMINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


@pytest.fixture
def parking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers park an execution whose wait has more than a second to run."""
    monkeypatch.setenv("STEPFN_PARK_SECONDS", "1")


def _store(url: str) -> Store:
    return PostgresStore(url) if url.startswith("postgresql://") else SqliteStore(url)


def test_a_subscriber_follows_an_execution_a_worker_process_runs(
        store_url: str, tmp_path: Path, parking: None) -> None:  # noqa: F811
    worker = Worker(store_url, tmp_path / "worker.log", "http://127.0.0.1:9")

    async def main() -> None:
        store = _store(store_url)
        await store.open()
        # This process is an API node: it stores the execution, a worker runs it.
        api = ExecutionManager(store, worker=False)
        await api.start()
        try:
            m = StateMachineRecord(arn=f"{PREFIX}stateMachine:nap", name="nap",
                                   definition=json.dumps(NAP), role_arn=ROLE,
                                   type="STANDARD", creation_date=time.time())
            async with store.batch() as tx:
                tx.put_state_machine(m)
            arn = f"{PREFIX}execution:nap:followed"
            sub = api.feed.subscribe(arn)
            worker.start()
            await api.start_execution(StartRequest(arn, "followed", '{"value": 1}', m,
                                                   m.definition, ROLE, None))
            events = []
            while not events or events[-1].type not in TERMINAL:
                item = await asyncio.wait_for(sub.get(), 30)
                assert isinstance(item, FeedEvent), item  # no gap, nothing lost
                events.append(item.event)
            stored = (await store.get_history(arn, limit=1000)).items
            assert events == stored
            assert [e.id for e in events] == list(range(1, len(stored) + 1))
            assert events[-1].type == "ExecutionSucceeded"
            assert api.running == {}  # followed, never run here
        finally:
            await api.stop()
            await store.close()
    try:
        asyncio.run(main())
    finally:
        assert worker.stop() == 0


def _metric(endpoint: str, name: str) -> float:
    with urllib.request.urlopen(endpoint + "/metrics", timeout=30) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def test_sse_on_an_api_node_follows_a_parked_execution_taken_over(
        store_url: str, tmp_path: Path, parking: None) -> None:  # noqa: F811
    """`serve --no-worker` streams /feed/executions/<ARN> of an execution a worker runs;
    the worker parks it and stops, a second worker resumes it at its timer."""
    api = Server(store_url, tmp_path / "api.log", args=("--no-worker",))
    api.start()
    first = Worker(store_url, tmp_path / "worker1.log", api.endpoint)
    second = Worker(store_url, tmp_path / "worker2.log", api.endpoint)
    try:
        sfn = api.client()
        machine = sfn.create_state_machine(name="nap", definition=json.dumps(NAP),
                                           roleArn=ROLE)["stateMachineArn"]
        first.start()
        arn = sfn.start_execution(stateMachineArn=machine, input='{"value": 1}')[
            "executionArn"]
        feed = urllib.request.urlopen(api.endpoint + "/feed/executions/" +
                                      quote(arn, safe=""), timeout=60)
        deadline = time.monotonic() + 20
        while _metric(api.endpoint, "stepfn_parked_executions") != 1:
            assert time.monotonic() < deadline, "never parked"
            time.sleep(0.1)
        assert first.stop() == 0  # parked: its worker may go
        second.start()
        body = feed.read().decode()  # ends after the terminal event
        assert wait_for_status(sfn, arn)["status"] == "SUCCEEDED"
        streamed = [json.loads(dict(line.split(": ", 1) for line in m.split("\n"))["data"])
                    for m in body.split("\n\n") if m]
        stored = history(sfn, arn)
        assert [e["id"] for e in streamed] == [e["id"] for e in stored] == \
            list(range(1, len(stored) + 1))
        assert [e["type"] for e in streamed] == [e["type"] for e in stored]
        assert streamed[-1]["type"] == "ExecutionSucceeded"
        assert _metric(api.endpoint, "stepfn_parked_executions") == 0
    finally:
        first.stop()
        second.stop()
        api.stop()
