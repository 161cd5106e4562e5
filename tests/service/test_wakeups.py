"""Cross-process wake-ups on PostgreSQL (service/callbacks.py): this test process is an
API node (an ``ExecutionManager`` with ``worker=False``), a `stepfn worker` process
runs the executions. Both look in the store for what the other did only every hour
(STEPFN_TOKEN_POLL_SECONDS): an answer, or an activity task, that arrives within the
test's 30 s came through the store's signal (NOTIFY), not through the poll."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from stepfn.service import callbacks
from stepfn.service.app import open_store
from stepfn.service.contract import StartRequest
from stepfn.service.executions import ExecutionManager
from stepfn.store import PostgresStore
from stepfn.store.base import ActivityRecord, ExecutionRecord, HistoryEvent, StateMachineRecord

from .conftest import ROLE
from .test_leases import Worker

PREFIX = "arn:aws:states:us-east-1:123456789012:"
ACTIVITY = PREFIX + "activity:wake"
ASK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {"FunctionName": "hand_token",
                   "Payload": {"token.$": "$$.Task.Token", "value.$": "$.value"}},
    "End": True}}}
WORK = {"StartAt": "Work", "States": {"Work": {
    "Type": "Task", "Resource": ACTIVITY, "HeartbeatSeconds": 2, "TimeoutSeconds": 120,
    "End": True}}}
NO_HANG = 30.0  # far below the hour-long poll: what arrives within it was signalled


@pytest.fixture
def slow_polls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Hour-long store polls in this process and the worker's, no parking (a parked
    execution is resumed through the work queue instead: another path); the file the
    worker's hand_token writes tokens to."""
    monkeypatch.setenv("STEPFN_TOKEN_POLL_SECONDS", "3600")
    monkeypatch.setattr(callbacks, "POLL_SECONDS", 3600.0)
    monkeypatch.setenv("STEPFN_PARK_SECONDS", "inf")
    tokens = tmp_path / "tokens.txt"
    monkeypatch.setenv("STEPFN_FAULT_TOKENS", str(tokens))
    yield tokens


def _run_with_worker(postgres_db: str, tmp_path: Path,
                     body: Callable[[ExecutionManager, PostgresStore, Worker],
                                    Awaitable[None]]) -> None:
    worker = Worker(postgres_db, tmp_path / "worker.log", "http://127.0.0.1:9")

    async def main() -> None:
        store = PostgresStore(postgres_db)
        await open_store(store)  # the worker's task tokens verify here
        api = ExecutionManager(store, worker=False)
        await api.start()
        try:
            await body(api, store, worker)
        finally:
            await api.stop()
            await store.close()
    try:
        asyncio.run(main())
    finally:
        assert worker.stop() == 0
    assert "Traceback" not in (tmp_path / "worker.log").read_text()


async def _start(api: ExecutionManager, store: PostgresStore, name: str, definition: dict,
                 value: int) -> str:
    machine = StateMachineRecord(arn=f"{PREFIX}stateMachine:{name}", name=name,
                                 definition=json.dumps(definition), role_arn=ROLE,
                                 type="STANDARD", creation_date=time.time())
    async with store.batch() as tx:
        tx.put_state_machine(machine)
    arn = f"{PREFIX}execution:{name}:{uuid.uuid4().hex[:8]}"
    await api.start_execution(StartRequest(arn, arn.rsplit(":", 1)[1],
                                           json.dumps({"value": value}), machine,
                                           machine.definition, ROLE, None))
    return arn


async def _until(check: Callable[[], Awaitable[object]], what: str) -> object:
    """``check()``'s first truthy answer, read every 20 ms, within NO_HANG seconds."""
    deadline = time.monotonic() + NO_HANG
    while not (found := await check()):
        assert time.monotonic() < deadline, f"not within {NO_HANG} s: {what}"
        await asyncio.sleep(0.02)
    return found


async def _ended(store: PostgresStore, arn: str) -> ExecutionRecord:
    async def ended() -> ExecutionRecord | None:
        record = await store.get_execution(arn)
        return record if record is not None and record.status != "RUNNING" else None
    found = await _until(ended, f"{arn} ends")
    assert isinstance(found, ExecutionRecord)
    return found


async def _events(store: PostgresStore, arn: str) -> list[HistoryEvent]:
    return (await store.get_history(arn, limit=1000)).items


def test_a_callback_answered_on_the_api_node_wakes_the_worker_waiting_for_it(
        postgres_db: str, tmp_path: Path, slow_polls: Path) -> None:
    async def body(api: ExecutionManager, store: PostgresStore, worker: Worker) -> None:
        worker.start()
        arn = await _start(api, store, "ask", ASK, 7)

        async def submitted() -> bool:
            return any(e.type == "TaskSubmitted" for e in await _events(store, arn))
        await _until(submitted, "the worker hands the token out")
        line = slow_polls.read_text().strip()
        assert line.split(" ", 1)[0] == "7"
        # TaskSubmitted is committed just before the worker begins to wait: give it
        # that moment, so that its wait (not its first read of the token) gets the
        # answer. Were it slower than this, the test would pass without testing the
        # signal, never fail because of it.
        await asyncio.sleep(0.5)
        await api.send_task_success(line.split(" ", 1)[1], '{"answered": 7}')
        record = await _ended(store, arn)  # within NO_HANG: the hour poll did not
        assert record.status == "SUCCEEDED", (record.error, record.cause)
        assert json.loads(record.output or "null") == {"answered": 7}
        assert [e.type for e in await _events(store, arn)][-3:] == [
            "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
        assert api.running == {}  # waited on the worker, not here
    _run_with_worker(postgres_db, tmp_path, body)


def test_get_activity_task_on_the_api_node_is_woken_by_a_worker_scheduling_it(
        postgres_db: str, tmp_path: Path, slow_polls: Path) -> None:
    """The long poll begins before the worker process even runs; the worker schedules
    the task and the poll answers it. Heartbeats sent through the API node keep the
    task alive past its 2 s HeartbeatSeconds; the answer ends it."""
    async def body(api: ExecutionManager, store: PostgresStore, worker: Worker) -> None:
        activity = ActivityRecord(ACTIVITY, "wake", time.time())
        async with store.batch() as tx:
            tx.put_activity(activity)
        poll = asyncio.ensure_future(api.get_activity_task(activity, "wake-worker"))
        await asyncio.sleep(0.1)  # its first look found nothing: it waits now
        assert not poll.done()
        worker.start()
        arn = await _start(api, store, "work", WORK, 3)
        grant = await asyncio.wait_for(poll, NO_HANG)
        assert grant is not None
        assert json.loads(grant.input) == {"value": 3}
        for _ in range(8):  # 3.2 s: past the first heartbeat deadline
            await api.send_task_heartbeat(grant.task_token)
            await asyncio.sleep(0.4)
        await api.send_task_success(grant.task_token, '{"done": 3}')
        record = await _ended(store, arn)
        assert record.status == "SUCCEEDED", (record.error, record.cause)
        assert json.loads(record.output or "null") == {"done": 3}
        events = await _events(store, arn)
        types = [e.type for e in events]
        assert "ActivityTimedOut" not in types
        assert types[types.index("ActivityScheduled"):] == [
            "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
            "TaskStateExited", "ExecutionSucceeded"]
        started = events[types.index("ActivityStarted")]
        assert started.details == {"workerName": "wake-worker"}
    _run_with_worker(postgres_db, tmp_path, body)
