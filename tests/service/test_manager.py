"""The execution manager over a real SqliteStore, in-process: what each start commits,
duplicate ARNs, and the start path's machine cache through a real server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from stepfn.service.contract import StartRequest
from stepfn.service.executions import ExecutionManager
from stepfn.store.base import Conflict, StateMachineRecord
from stepfn.store.sqlite import SqliteStore

from .conftest import ROLE

PREFIX = "arn:aws:states:us-east-1:123456789012:"
PURE = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"x.$": "$.x", "y": 2}, "Next": "B"},
    "B": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.x, $.y)"}, "End": True}}}
WAITING = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}


def machine(name: str, definition: dict) -> StateMachineRecord:
    return StateMachineRecord(arn=f"{PREFIX}stateMachine:{name}", name=name,
                              definition=json.dumps(definition), role_arn=ROLE,
                              type="STANDARD", creation_date=time.time())


def request(m: StateMachineRecord, name: str, text: str = '{"x": 1}') -> StartRequest:
    return StartRequest(execution_arn=f"{PREFIX}execution:{m.name}:{name}", name=name,
                        input=text, machine=m, definition=m.definition,
                        role_arn=m.role_arn, revision_id=m.revision_id)


def with_manager(tmp_path: Path, body) -> None:
    async def main() -> None:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        manager = ExecutionManager(store)
        await manager.start()
        try:
            await body(store, manager)
        finally:
            await manager.stop()
            await store.close()
    asyncio.run(main())


def count_writes(store: SqliteStore) -> list[int]:
    """Count the store's write transactions from now on (one per batch)."""
    writes = [0]
    call = store._call

    async def counting(fn, is_write: bool = False):
        writes[0] += is_write
        return await call(fn, is_write)
    store._call = counting  # type: ignore[method-assign]
    return writes


def test_an_effect_free_machine_is_stored_in_one_commit_before_start_answers(
        tmp_path: Path) -> None:
    """Pass states only: nothing to wait for and no side effect, so the execution runs
    before StartExecution answers and its start and end are one transaction."""
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        m = machine("pure", PURE)
        async with store.batch() as tx:
            tx.put_state_machine(m)
        writes = count_writes(store)
        record = await manager.start_execution(request(m, "one"))
        assert writes[0] == 1
        stored = await store.get_execution(record.arn)
        assert stored is not None and stored.status == "SUCCEEDED"
        assert json.loads(stored.output) == {"sum": 3}
        ended = await manager.wait_for_end(record.arn)
        assert ended.status == "SUCCEEDED" and writes[0] == 1
        history = (await store.get_history(record.arn)).items
        assert [e.type for e in history] == [
            "ExecutionStarted", "PassStateEntered", "PassStateExited",
            "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
        assert history[0].details["input"] == '{"x": 1}'
        assert [e.id for e in history] == list(range(1, 7))
        assert await store.count_work(time.time()) == {"available": 0, "leased": 0,
                                                       "waiting": 0}
    with_manager(tmp_path, body)


def test_a_machine_that_waits_commits_its_start_before_running_on(tmp_path: Path) -> None:
    """A Wait (as a Task) may take long or act outside: its record and ExecutionStarted
    are committed before StartExecution answers, the rest at its checkpoints."""
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        m = machine("waiting", WAITING)
        async with store.batch() as tx:
            tx.put_state_machine(m)
        writes = count_writes(store)
        record = await manager.start_execution(request(m, "one"))
        stored = await store.get_execution(record.arn)
        assert stored is not None and stored.status == "RUNNING"
        first = (await store.get_history(record.arn)).items[0]
        assert first.type == "ExecutionStarted" and first.details["input"] == '{"x": 1}'
        ended = await manager.wait_for_end(record.arn)
        assert ended.status == "SUCCEEDED" and writes[0] >= 2
        types = [e.type for e in (await store.get_history(record.arn)).items]
        assert types == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                         "ExecutionSucceeded"]
    with_manager(tmp_path, body)


def test_duplicate_arn_conflicts_without_touching_the_running_execution(
        tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        m = machine("waiting", WAITING)
        async with store.batch() as tx:
            tx.put_state_machine(m)
        first = await manager.start_execution(request(m, "same"))
        with pytest.raises(Conflict):
            await manager.start_execution(request(m, "same"))
        ended = await manager.wait_for_end(first.arn)
        assert ended.status == "SUCCEEDED"
        count = await store.count_events(first.arn)
        # Once ended, the store refuses it; its history stays as it was.
        with pytest.raises(Conflict):
            await manager.start_execution(request(m, "same"))
        assert await store.count_events(first.arn) == count
        assert first.arn not in manager.running
    with_manager(tmp_path, body)


def test_many_concurrent_starts_share_commits_and_all_end(tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        m = machine("many", PURE)
        async with store.batch() as tx:
            tx.put_state_machine(m)
        records = await asyncio.gather(*(manager.start_execution(request(m, f"e{i}"))
                                         for i in range(50)))
        ended = await asyncio.gather(*(manager.wait_for_end(r.arn) for r in records))
        assert {e.status for e in ended} == {"SUCCEEDED"}
        page = await store.list_executions(machine_arn=m.arn, status="SUCCEEDED")
        assert len(page.items) == 50
    with_manager(tmp_path, body)


def test_start_uses_the_new_definition_right_after_an_update(sfn) -> None:
    one = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}}
    two = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}}
    arn = sfn.create_state_machine(name="cached", definition=json.dumps(one), roleArn=ROLE,
                                   type="EXPRESS")["stateMachineArn"]
    assert sfn.start_sync_execution(stateMachineArn=arn)["output"] == "1"
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(two))
    assert sfn.start_sync_execution(stateMachineArn=arn)["output"] == "2"
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as err:
        sfn.start_sync_execution(stateMachineArn=arn)
    assert err.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


class GatedStore(SqliteStore):
    """A real SqliteStore whose next batch, once ``gate`` is set, waits for ``open``:
    it holds an execution in the middle of its final checkpoint."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.gate: asyncio.Event | None = None
        self.held = asyncio.Event()

    def batch(self):  # type: ignore[override]
        gate, self.gate = self.gate, None
        inner = super().batch()
        if gate is None:
            return inner
        held = self.held

        class Gated:
            async def __aenter__(self):
                return await inner.__aenter__()

            async def __aexit__(self, *exc):
                held.set()
                await gate.wait()
                return await inner.__aexit__(*exc)
        return Gated()


def test_stop_racing_the_end_of_an_execution_leaves_it_ended(tmp_path: Path) -> None:
    """StopExecution of an execution whose end is being committed (the API read it
    RUNNING a moment before) leaves it as it ended: no second terminal event, no error
    (this race once made the fuzz test see a 500), and the stop date is its end."""
    async def main() -> None:
        store = GatedStore(str(tmp_path / "s.db"))
        await store.open()
        manager = ExecutionManager(store)
        await manager.start()
        try:
            m = machine("race", {"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 0, "End": True}}})
            async with store.batch() as tx:
                tx.put_state_machine(m)
            record = await manager.start_execution(request(m, "r1"))
            opened = asyncio.Event()
            store.gate = opened  # the next commit is the execution's end
            await asyncio.wait_for(store.held.wait(), 10)
            stop = asyncio.ensure_future(manager.stop_execution(record, "E", "c"))
            await asyncio.sleep(0.05)  # the stop is waiting, not cancelling
            opened.set()
            stop_date = await asyncio.wait_for(stop, 10)
            ended = await store.get_execution(record.arn)
            assert ended is not None and ended.status == "SUCCEEDED"
            assert stop_date == ended.stop_date
            events = (await store.get_history(record.arn)).items
            assert [e.id for e in events] == list(range(1, len(events) + 1))
            assert [e.type for e in events if e.type.startswith("Execution")] == [
                "ExecutionStarted", "ExecutionSucceeded"]
        finally:
            await manager.stop()
            await store.close()
    asyncio.run(main())


def test_stop_of_an_execution_that_ended_meanwhile_writes_nothing(tmp_path: Path) -> None:
    """The API read the execution RUNNING, then it ended (here or in another process)
    before the stop reached the service: the stop leaves it as it ended."""
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        m = machine("pure", PURE)
        async with store.batch() as tx:
            tx.put_state_machine(m)
        record = await manager.start_execution(request(m, "done"))
        await manager.wait_for_end(record.arn)
        before = (await store.get_history(record.arn)).items
        stop_date = await manager.stop_execution(record, None, None)  # a stale RUNNING read
        ended = await store.get_execution(record.arn)
        assert ended is not None and ended.status == "SUCCEEDED"
        assert stop_date == ended.stop_date
        assert (await store.get_history(record.arn)).items == before
    with_manager(tmp_path, body)


def test_a_lapsed_lease_claimed_back_while_running_here_is_resumed_afresh(
        tmp_path: Path) -> None:
    """A starved loop renews too late: the lease lapses while the execution still runs
    here and this process claims it again. The stale run is dropped and the execution
    resumed by replay, rather than left RUNNING under a lease renewed with nothing
    running it."""
    naps = machine("naps", {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
        "P": {"Type": "Pass", "Result": {"done": True}, "End": True}}})

    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        async with store.batch() as tx:
            tx.put_state_machine(naps)
        record = await manager.start_execution(request(naps, "lapsed"))
        stale = manager.running[record.arn]
        # The lease lapses (as if the renewal came too late) while it runs here.
        async with store.batch() as tx:
            tx.lease_work("execution", record.arn, manager.owner, time.time() - 1)
        await manager.scheduler._claim()
        assert stale.dropped and manager.running.get(record.arn) is not stale
        ended = await asyncio.wait_for(manager.wait_for_end(record.arn), 10)
        assert ended.status == "SUCCEEDED" and json.loads(ended.output) == {"done": True}
        history = (await store.get_history(record.arn)).items
        assert [e.id for e in history] == list(range(1, len(history) + 1))
        assert [e.type for e in history].count("WaitStateEntered") == 1
    with_manager(tmp_path, body)


def test_a_lease_held_with_nothing_running_it_is_handed_back_and_resumed(
        tmp_path: Path) -> None:
    """A run dropped on a Conflict while its lease is still this process's (stale
    events took its ids) leaves a lease renewed with nothing running it: the scheduler
    hands it back after two renewals and the execution is resumed by replay."""
    naps = machine("orphan", {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
        "P": {"Type": "Pass", "Result": {"done": True}, "End": True}}})

    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        async with store.batch() as tx:
            tx.put_state_machine(naps)
        record = await manager.start_execution(request(naps, "orphan"))
        manager.runner.drop(manager.running[record.arn])  # as a Conflict drops it
        await manager.scheduler._renew()
        assert await store.queue_depth(time.time()) == 0  # one round: maybe a resume
        await manager.scheduler._renew()
        assert await store.queue_depth(time.time()) == 1  # handed back
        await manager.scheduler._claim()
        ended = await asyncio.wait_for(manager.wait_for_end(record.arn), 10)
        assert ended.status == "SUCCEEDED" and json.loads(ended.output) == {"done": True}
        history = (await store.get_history(record.arn)).items
        assert [e.id for e in history] == list(range(1, len(history) + 1))
    with_manager(tmp_path, body)
