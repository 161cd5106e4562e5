"""The event feed (stepfn.service.feed): committed events reach subscribers, a slow
subscriber loses its oldest events and is told so, and per-state status from real
histories recorded by the execution manager."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from stepfn.engine.clock import SkippingClock
from stepfn.service.contract import StartRequest
from stepfn.service.executions import ExecutionManager
from stepfn.service.feed import EventFeed, FeedEvent, Gap, state_status
from stepfn.store.base import HistoryEvent, StateMachineRecord
from stepfn.store.sqlite import SqliteStore
from stepfn.tasks.functions import FunctionRegistry

PREFIX = "arn:aws:states:us-east-1:123456789012:"
FN = "arn:aws:lambda:us-east-1:123456789012:function:"
ROLE = "arn:aws:iam::123456789012:role/r"


def _functions() -> FunctionRegistry:
    registry = FunctionRegistry()
    calls: dict[str, int] = {}

    def flaky(event: Any) -> Any:
        calls["flaky"] = calls.get("flaky", 0) + 1
        if calls["flaky"] == 1:
            raise ValueError("first call fails")
        return {"ok": True}

    def boom(event: Any) -> Any:
        raise ValueError(f"bad item {event}")

    def echo(event: Any) -> Any:
        if event == 2:
            raise ValueError("item 2 fails")
        return event

    registry.register("flaky", flaky, blocking=False)
    registry.register("boom", boom, blocking=False)
    registry.register("echo", echo, blocking=False)
    return registry


Body = Callable[[SqliteStore, ExecutionManager], Awaitable[None]]


def with_manager(tmp_path: Path, body: Body, skipping: bool = True) -> None:
    async def main() -> None:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        manager = ExecutionManager(store, functions=_functions(),
                                   clock=SkippingClock() if skipping else None)
        await manager.start()
        try:
            await body(store, manager)
        finally:
            await manager.stop()
            await store.close()
    asyncio.run(main())


async def run(store: SqliteStore, manager: ExecutionManager, definition: dict,
              text: str = "{}", name: str = "m", wait: bool = True
              ) -> tuple[str, list[HistoryEvent]]:
    machine = StateMachineRecord(arn=f"{PREFIX}stateMachine:{name}", name=name,
                                 definition=json.dumps(definition), role_arn=ROLE,
                                 type="STANDARD", creation_date=time.time())
    async with store.batch() as tx:
        tx.put_state_machine(machine)
    arn = f"{PREFIX}execution:{name}:e"
    await manager.start_execution(StartRequest(
        execution_arn=arn, name="e", input=text, machine=machine,
        definition=machine.definition, role_arn=ROLE, revision_id=machine.revision_id))
    if wait:
        await manager.wait_for_end(arn)
    return arn, (await store.get_history(arn)).items


def task(name: str, **fields: Any) -> dict:
    return {"Type": "Task", "Resource": FN + name, **fields}


RETRIED = {"StartAt": "T", "States": {"T": task("flaky", End=True, Retry=[
    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}])}}
CAUGHT = {"StartAt": "T", "States": {
    "T": task("boom", Next="Z", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "H"}]),
    "H": {"Type": "Pass", "End": True}, "Z": {"Type": "Succeed"}}}
MAP = {"StartAt": "M", "States": {"M": {
    "Type": "Map", "ItemsPath": "$.items", "End": True,
    "ItemProcessor": {"StartAt": "E", "States": {"E": task("echo", End=True)}}}}}
PARALLEL = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "After", "Branches": [
    {"StartAt": "W1", "States": {"W1": {"Type": "Wait", "Seconds": 300, "End": True}}},
    {"StartAt": "W2", "States": {"W2": {"Type": "Wait", "Seconds": 300, "End": True}}}]},
    "After": {"Type": "Pass", "End": True}}}


def test_status_of_a_task_retried_then_succeeded(tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        _, history = await run(store, manager, RETRIED)
        failed_at = next(i for i, e in enumerate(history) if e.type.endswith("Failed"))
        assert state_status(RETRIED, history[:2]) == {"/States/T": "running"}
        # the retrier takes the failure: retrying during the back-off already
        assert state_status(RETRIED, history[:failed_at + 1]) == {"/States/T": "retrying"}
        assert state_status(RETRIED, history[:failed_at + 2]) == {"/States/T": "retrying"}
        assert state_status(RETRIED, history) == {"/States/T": "succeeded"}
    with_manager(tmp_path, body)


def test_status_after_a_failure_follows_the_retriers(tmp_path: Path) -> None:
    """Failed for good when no retrier matches the error or the matching one has no
    attempts left (only the first match counts, as the interpreter decides); retrying
    otherwise; then caught when the Catch takes it."""
    flaky_then_caught = {"StartAt": "T", "States": {
        "T": task("boom", Next="Z", Retry=[
            {"ErrorEquals": ["Other.Error"], "MaxAttempts": 5},
            {"ErrorEquals": ["ValueError"], "IntervalSeconds": 1, "MaxAttempts": 1},
            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 9}],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "H"}]),
        "H": {"Type": "Pass", "End": True}, "Z": {"Type": "Succeed"}}}

    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        _, history = await run(store, manager, flaky_then_caught)
        failures = [i for i, e in enumerate(history) if e.type == "LambdaFunctionFailed"]
        assert len(failures) == 2  # one retry (States.ALL comes after a match: unused)
        first, second = failures
        assert state_status(flaky_then_caught, history[:first + 1])["/States/T"] == \
            "retrying"
        assert state_status(flaky_then_caught, history[:second + 1])["/States/T"] == \
            "failed"
        assert state_status(flaky_then_caught, history)["/States/T"] == "caught"
    with_manager(tmp_path, body)


def test_status_of_a_caught_error(tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        _, history = await run(store, manager, CAUGHT)
        assert state_status(json.dumps(CAUGHT), history) == {
            "/States/T": "caught", "/States/H": "succeeded", "/States/Z": "not-started"}
    with_manager(tmp_path, body)


def test_status_of_a_map_with_a_failing_iteration(tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        _, history = await run(store, manager, MAP, '{"items": [1, 2, 3]}')
        assert history[-1].type == "ExecutionFailed"
        assert state_status(MAP, history) == {
            "/States/M": "failed", "/States/M/ItemProcessor/States/E": "failed"}
        # before the failing item's result came back, its sibling had succeeded
        first_failure = next(i for i, e in enumerate(history)
                             if e.type == "LambdaFunctionFailed")
        assert state_status(MAP, history[:first_failure])["/States/M"] == "running"
    with_manager(tmp_path, body)


def test_status_of_waits_running_then_a_parallel_aborted(tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        arn, history = await run(store, manager, PARALLEL, wait=False)
        for _ in range(200):  # until both Waits are entered and committed
            history = (await store.get_history(arn)).items
            if sum(e.type == "WaitStateEntered" for e in history) == 2:
                break
            await asyncio.sleep(0.01)
        assert state_status(PARALLEL, history) == {
            "/States/P": "running", "/States/P/Branches[0]/States/W1": "running",
            "/States/P/Branches[1]/States/W2": "running", "/States/After": "not-started"}
        record = await store.get_execution(arn)
        assert record is not None
        await manager.stop_execution(record, "Stopped", None)
        history = (await store.get_history(arn)).items
        assert history[-1].type == "ExecutionAborted"
        assert state_status(PARALLEL, history) == {
            "/States/P": "aborted", "/States/P/Branches[0]/States/W1": "aborted",
            "/States/P/Branches[1]/States/W2": "aborted", "/States/After": "not-started"}
    with_manager(tmp_path, body, skipping=False)


# ----------------------------------------------------------------------- the feed
def test_subscribers_get_committed_events_of_their_execution_or_all(
        tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        everything = manager.feed.subscribe()
        one = manager.feed.subscribe(f"{PREFIX}execution:caught:e")
        other = manager.feed.subscribe(f"{PREFIX}execution:nothing:e")
        _, history = await run(store, manager, CAUGHT, name="caught")
        _, history2 = await run(store, manager, MAP, '{"items": [1]}', name="map")
        got = []
        while (item := one.get_nowait()) is not None:
            assert isinstance(item, FeedEvent)
            got.append(item.event)
        assert got == history  # every event, once, in order, as stored
        seen = []
        while (item := everything.get_nowait()) is not None:
            assert isinstance(item, FeedEvent)
            seen.append((item.execution_arn.rsplit(":", 2)[1], item.event.id))
        assert seen == [("caught", e.id) for e in history] + [("map", e.id)
                                                             for e in history2]
        assert other.get_nowait() is None
        one.close()
        everything.close()
        other.close()
        assert not manager.feed.has_subscribers
    with_manager(tmp_path, body)


def test_a_slow_subscriber_loses_its_oldest_events_and_is_told() -> None:
    async def main() -> None:
        feed = EventFeed(buffer=3)
        sub = feed.subscribe("a")
        events = [HistoryEvent(i, i - 1, 0.0, "PassStateEntered", None) for i in range(1, 9)]
        feed.publish("a", events)  # returns at once: nobody waits for the reader
        assert await sub.get() == Gap(5)
        assert [(await sub.get()).event.id for _ in range(3)] == [6, 7, 8]  # type: ignore
        waiter = asyncio.ensure_future(sub.get())
        await asyncio.sleep(0)
        feed.publish("a", [HistoryEvent(9, 8, 0.0, "X", None)])
        assert (await waiter) == FeedEvent("a", HistoryEvent(9, 8, 0.0, "X", None))
        async with feed.subscribe() as everything:
            feed.publish("b", events[:1])
            assert everything.get_nowait() == FeedEvent("b", events[0])
        sub.close()
        assert [item async for item in sub] == []
    asyncio.run(main())


def test_events_published_on_another_threads_loop_reach_the_subscriber() -> None:
    """stepfn serve publishes on the executions' loop (its own thread) while the SSE
    route reads on the API's loop: each event wakes the reader's loop (no timer of its
    own would), in order; a subscriber on the publisher's loop gets them at once."""
    import threading

    feed = EventFeed()
    arn = PREFIX + "execution:m:x"
    events = [HistoryEvent(i, i - 1, float(i), "PassStateEntered", {"name": "P"})
              for i in range(1, 4)]
    reader_loop = asyncio.new_event_loop()
    subscribed = threading.Event()
    got: list = []

    async def read() -> None:
        sub = feed.subscribe(arn)
        subscribed.set()
        for _ in events:  # no timeout: only a publish can wake this loop
            got.append(await sub.get())
        sub.close()

    reader = threading.Thread(target=reader_loop.run_until_complete, args=(read(),),
                              daemon=True)  # a failure below must not hang the exit
    reader.start()
    assert subscribed.wait(10)

    async def publish() -> list:
        local = feed.subscribe(arn)
        for event in events:
            feed.publish(arn, [event])
        return [local.get_nowait() for _ in events]
    seen_here = asyncio.run(publish())
    reader.join(10)
    stuck = reader.is_alive()
    if stuck:  # wake it so the thread ends, then fail
        while reader.is_alive():
            reader_loop.call_soon_threadsafe(lambda: None)
            reader.join(0.5)
    reader_loop.close()
    assert not stuck, "the reader's loop was never woken"
    assert [item.event.id for item in seen_here] == [1, 2, 3]
    assert all(isinstance(item, FeedEvent) and item.execution_arn == arn for item in got)
    assert [item.event.id for item in got] == [1, 2, 3]
