"""Durable waits (service/waits.py): an execution waiting longer than the parking
threshold holds no lease and no coroutine; another worker resumes it when its timer is
due or its answer arrives, and its history is the one an unparked run writes.

Each scenario runs on SQLite and PostgreSQL: worker A starts the execution and parks
it, A stops, worker B (a new manager, another owner) finishes it. The same machine run
without parking gives the reference history."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from stepfn.service.contract import StartRequest
from stepfn.service.executions import ExecutionManager
from stepfn.store import PostgresStore, SqliteStore, Store
from stepfn.store.base import ActivityRecord, StateMachineRecord
from stepfn.tasks.functions import FunctionRegistry

PREFIX = "arn:aws:states:us-east-1:123456789012:"
ROLE = "arn:aws:iam::123456789012:role/r"
FN = "arn:aws:lambda:us-east-1:123456789012:function:"
ACTIVITY = f"{PREFIX}activity:approve"
PARK_AFTER = 0.5
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

WAIT = {"StartAt": "Nap", "States": {
    "Nap": {"Type": "Wait", "Seconds": 2, "Next": "Add"},
    "Add": {"Type": "Task", "Resource": FN + "add_one", "End": True}}}
RETRY = {"StartAt": "Flaky", "States": {"Flaky": {
    "Type": "Task", "Resource": FN + "flaky", "End": True,
    "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 2}]}}}
CALLBACK = {"StartAt": "Approve", "States": {"Approve": {
    "Type": "Task", "Resource": ACTIVITY, "Next": "Add"},
    "Add": {"Type": "Task", "Resource": FN + "add_one", "End": True}}}
CHILD = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 2, "End": True}}}
PARENT = {"StartAt": "Both", "States": {"Both": {
    "Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Child", "States": {"Child": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": f"{PREFIX}stateMachine:child",
                           "Input": {"n.$": "$.n"}},
            "OutputPath": "$.Output", "End": True}}},
        {"StartAt": "Short", "States": {
            "Short": {"Type": "Wait", "Seconds": 1, "Next": "Long"},
            "Long": {"Type": "Wait", "Seconds": 4, "End": True}}}]}}}
HEARTBEAT = {"StartAt": "Approve", "States": {
    "Approve": {"Type": "Task", "Resource": ACTIVITY, "HeartbeatSeconds": 2,
                "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"],
                           "ResultPath": "$.error", "Next": "Late"}],
                "End": True},
    "Late": {"Type": "Pass", "End": True}}}


def functions(calls: dict[str, int]) -> FunctionRegistry:
    registry = FunctionRegistry()

    def add_one(event: Any) -> Any:
        return {"value": event["value"] + 1}

    def flaky(event: Any) -> Any:
        calls[event["run"]] = calls.get(event["run"], 0) + 1
        if calls[event["run"]] == 1:
            raise ValueError("first call fails")
        return {"value": event["value"], "calls": calls[event["run"]]}

    registry.register("add_one", add_one, blocking=False)
    registry.register("flaky", flaky, blocking=False)
    return registry


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest,
               tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """A store of one kind on a database of its own for each ``name`` (a SQLite file,
    a PostgreSQL schema)."""
    if request.param == "sqlite":
        yield lambda name: SqliteStore(str(tmp_path / f"{name}.db"))
        return
    from tests.store.conftest import PG_URL, pg_execute, postgres_or_skip

    postgres_or_skip()
    schemas: dict[str, str] = {}

    def make(name: str) -> Store:
        schema = schemas.setdefault(name, "stepfn_p_" + uuid.uuid4().hex[:12])
        return PostgresStore(PG_URL, schema=schema)
    yield make
    for schema in schemas.values():
        pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _request(definition: dict, name: str, text: str) -> StartRequest:
    m = StateMachineRecord(arn=f"{PREFIX}stateMachine:m", name="m",
                           definition=json.dumps(definition), role_arn=ROLE,
                           type="STANDARD", creation_date=time.time())
    return StartRequest(execution_arn=f"{PREFIX}execution:m:{name}", name=name, input=text,
                        machine=m, definition=m.definition, role_arn=ROLE,
                        revision_id=None)


async def _eventually(check: Callable[[], Awaitable[bool]], what: str,
                      timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


def _shape(events: list) -> str:
    """A history without its timestamps (and the run's name in its input, the request
    ids in error causes)."""
    text = json.dumps([(e.id, e.previous_event_id, e.type, e.details) for e in events])
    text = _UUID.sub("<uuid>", text.replace("reference", "parked"))
    return re.sub(r"Date\\\":\d{13}", "Date:<ms>", text)  # a child's start/stop


Act = Callable[[ExecutionManager, str], Awaitable[None]]


async def _run(store: Store, definition: dict, name: str, text: str, calls: dict,
               park: bool, while_parked: Act | None = None,
               parked_items: int = 1) -> tuple[Any, list]:
    """Start on worker A; with ``park``, see it parked, stop A and let worker B (which
    ``while_parked`` may use as an API node) finish it. The record and history."""
    park_after = PARK_AFTER if park else float("inf")
    a = ExecutionManager(store, functions=functions(calls), park_after=park_after)
    await a.start()
    b = None
    try:
        m = _request(definition, name, text)
        async with store.batch() as tx:
            if await store.get_state_machine(m.machine.arn) is None:
                tx.put_state_machine(m.machine)
            if await store.get_state_machine(f"{PREFIX}stateMachine:child") is None:
                tx.put_state_machine(replace(m.machine, arn=f"{PREFIX}stateMachine:child",
                                             name="child", definition=json.dumps(CHILD)))
            if await store.get_activity(ACTIVITY) is None:
                tx.put_activity(ActivityRecord(ACTIVITY, "approve", time.time()))
        arn = (await a.start_execution(m)).arn
        worker = a
        if park:
            async def parked() -> bool:
                return not a.running and await store.lease_owners() == []
            await _eventually(parked, "parked")
            # No lease, no coroutine: the work item waits for its timer or an answer.
            assert (await store.count_work(time.time()))["waiting"] == parked_items
            assert (await store.get_execution(arn)).status == "RUNNING"
            await a.stop()
            b = worker = ExecutionManager(store, functions=functions(calls),
                                          park_after=park_after)
            await b.start()
        if while_parked is not None:
            await while_parked(worker, arn)
        record = await asyncio.wait_for(worker.wait_for_end(arn), 20)
        page = await store.get_history(arn, limit=1000)
        return record, page.items
    finally:
        await a.stop()
        if b is not None:
            await b.stop()


def _scenario(make_store: Callable[[str], Store], definition: dict, text: str,
              while_parked: Act | None = None,
              parked_items: int = 1) -> tuple[Any, list, list, dict]:
    """The parked run and the reference run: (parked record, parked history,
    reference history, calls per run). The two run at the same time, each on a store
    of its own (the parked run's checks see only its own leases and work items)."""
    calls: dict[str, int] = {}

    async def one(name: str, park: bool) -> tuple[Any, list]:
        store = make_store(name)
        await store.open()
        try:
            record, events = await _run(store, definition, name,
                                        text.replace("RUN", name), calls, park,
                                        while_parked, parked_items)
            assert await store.count_due_timers(1e12) == 0  # ended: its timers went
            return record, events
        finally:
            await store.close()

    async def main() -> tuple[Any, list, list]:
        (record, parked), (_, reference) = await asyncio.gather(
            one("parked", True), one("reference", False))
        return record, parked, reference
    record, parked, reference = asyncio.run(main())
    return record, parked, reference, calls


def test_a_long_wait_is_parked_and_resumed_by_another_worker(make_store) -> None:
    record, parked, reference, _ = _scenario(make_store, WAIT, '{"value": 1}')
    assert record.status == "SUCCEEDED" and json.loads(record.output) == {"value": 2}
    assert _shape(parked) == _shape(reference)
    entered, exited = (next(e.timestamp for e in parked if e.type == t)
                       for t in ("WaitStateEntered", "WaitStateExited"))
    assert exited - entered >= 2.0  # the recorded deadline held across the hand-over


def test_a_retry_back_off_is_parked_and_the_task_runs_again_once(make_store) -> None:
    record, parked, reference, calls = _scenario(make_store, RETRY,
                                                 '{"value": 1, "run": "RUN"}')
    assert record.status == "SUCCEEDED"
    assert json.loads(record.output) == {"value": 1, "calls": 2}
    assert calls == {"parked": 2, "reference": 2}  # no task invoked twice
    assert _shape(parked) == _shape(reference)
    assert [e.type for e in parked].count("LambdaFunctionScheduled") == 2
    failed, second = (e.timestamp for e in parked
                      if e.type == "LambdaFunctionFailed" or
                      (e.type == "LambdaFunctionScheduled" and e.id > 3))
    assert second - failed >= 2.0  # the back-off counted from the recorded failure


async def _answer(worker: ExecutionManager, arn: str) -> None:
    """An activity worker polling through ``worker`` (an API node), then answering."""
    activity = ActivityRecord(ACTIVITY, "approve", 0.0)
    grant = None
    while grant is None:
        grant = await worker.get_activity_task(activity, "w1")
    await asyncio.sleep(PARK_AFTER * 3)  # long enough to be parked again meanwhile
    await worker.send_task_success(grant.task_token, '{"value": 41}')


def test_a_callback_wait_is_parked_and_the_answer_wakes_it(make_store) -> None:
    record, parked, reference, _ = _scenario(make_store, CALLBACK, "{}", _answer)
    assert record.status == "SUCCEEDED" and json.loads(record.output) == {"value": 42}
    assert _shape(parked) == _shape(reference)
    types = [e.type for e in parked]
    assert types[types.index("ActivityScheduled"):types.index("ActivitySucceeded") + 1] \
        == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    started = next(e for e in parked if e.type == "ActivityStarted")
    assert started.details == {"workerName": "w1"}


def test_a_heartbeat_timeout_fires_for_a_parked_execution(make_store) -> None:
    record, parked, reference, _ = _scenario(make_store, HEARTBEAT, '{"n": 1}')
    assert record.status == "SUCCEEDED"
    assert json.loads(record.output) == {"n": 1, "error": {
        "Error": "States.HeartbeatTimeout"}}
    assert _shape(parked) == _shape(reference)
    timed_out = next(e for e in parked if e.type == "ActivityTimedOut")
    assert timed_out.details == {"error": "States.HeartbeatTimeout"}
    scheduled = next(e for e in parked if e.type == "ActivityScheduled")
    assert timed_out.timestamp - scheduled.timestamp >= 2.0


def test_parallel_branches_and_a_sync_child_park_together(make_store) -> None:
    """A parent parks only once every branch waits (one for a `.sync` child, one in a
    Wait); the child parks too; its end wakes the parent, whichever worker runs it.
    (The child ends well before the second branch, so both runs interleave alike.)"""
    # Parked: the parent and its child.
    record, parked, reference, _ = _scenario(make_store, PARENT, '{"n": 5}',
                                             parked_items=2)
    assert record.status == "SUCCEEDED" and json.loads(record.output) == [{"n": 5}, {"n": 5}]
    assert _shape(parked) == _shape(reference)
    types = [e.type for e in parked]
    assert types.count("TaskScheduled") == 1 and types.count("WaitStateEntered") == 2
