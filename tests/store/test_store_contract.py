"""The store contract (stepfn.store.base), run against every store: SQLite in a file
in tmp_path, PostgreSQL in a schema of its own (tests/store/conftest.py).

Store-specific behaviour (SQLite's WAL and old-layout migration, PostgreSQL's
migrations and SKIP LOCKED) is tested in test_sqlite_store.py and
test_postgres_store.py."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from stepfn.store import (
    ActivityRecord,
    ActivityTask,
    AliasRecord,
    Conflict,
    ExecutionRecord,
    HistoryEvent,
    MapRunRecord,
    NotFound,
    RoutingEntry,
    StateMachineRecord,
    Store,
    TaskTokenRecord,
    Timer,
    VersionRecord,
)
from tests.store.conftest import Backend

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def machine(name: str, **kw) -> StateMachineRecord:
    return StateMachineRecord(arn=ARN + name, name=name, definition='{"x":1}',
                              role_arn="arn:aws:iam::1:role/r", type="STANDARD",
                              creation_date=1.0, **kw)


def execution(name: str, start: float, machine_name: str = "m", **kw) -> ExecutionRecord:
    return ExecutionRecord(arn=f"arn:aws:states:us-east-1:123456789012:execution:"
                               f"{machine_name}:{name}", machine_arn=ARN + machine_name,
                           name=name, status="RUNNING", start_date=start, input="{}",
                           **kw)


def test_machines_revisions_and_pagination(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for name in ("c", "a", "b"):
                tx.put_state_machine(machine(name))
        with pytest.raises(Conflict):
            async with store.batch() as tx:
                tx.put_state_machine(machine("a"))
        first = await store.list_state_machines(2)
        assert [m.name for m in first.items] == ["a", "b"] and first.next_cursor
        rest = await store.list_state_machines(2, first.next_cursor)
        assert [m.name for m in rest.items] == ["c"] and rest.next_cursor is None
        updated = replace(machine("a"), definition='{"y":2}', revision_id="r2")
        async with store.batch() as tx:
            tx.update_state_machine(updated)
        assert (await store.get_state_machine(ARN + "a")).definition == '{"y":2}'
        assert (await store.get_state_machine_by_name("a")).revision_id == "r2"
        assert (await store.get_revision(ARN + "a", None)).definition == '{"x":1}'
        assert (await store.get_revision(ARN + "a", "r2")).definition == '{"y":2}'
        with pytest.raises(NotFound):
            async with store.batch() as tx:
                tx.update_state_machine(machine("zzz"))
    backend.run(body)


def test_versions_numbers_are_never_reused(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_state_machine(machine("m"))
        for _ in range(3):
            number = await store.next_version_number(ARN + "m")
            async with store.batch() as tx:
                tx.put_version(VersionRecord(
                    arn=f"{ARN}m:{number}", machine_arn=ARN + "m", version=number,
                    definition="{}", role_arn="r", type="STANDARD", revision_id=None,
                    creation_date=float(number)))
        async with store.batch() as tx:
            tx.delete_version(ARN + "m:3")
        assert await store.next_version_number(ARN + "m") == 4
        page = await store.list_versions(ARN + "m", 1)
        assert [v.version for v in page.items] == [2]
        page = await store.list_versions(ARN + "m", 5, page.next_cursor)
        assert [v.version for v in page.items] == [1] and page.next_cursor is None
        alias = AliasRecord(arn=ARN + "m:prod", machine_arn=ARN + "m", name="prod",
                            routing=(RoutingEntry(ARN + "m:1", 70),
                                     RoutingEntry(ARN + "m:2", 30)),
                            creation_date=1.0, update_date=1.0)
        async with store.batch() as tx:
            tx.put_alias(alias)
            tx.set_tags(ARN + "m", {"k": "v", "k2": "v2"})
        assert await store.get_alias(ARN + "m:prod") == alias
        assert (await store.list_aliases(ARN + "m", 10)).items == [alias]
        async with store.batch() as tx:
            tx.remove_tags(ARN + "m", ["k"])
        assert await store.get_tags(ARN + "m") == {"k2": "v2"}
        async with store.batch() as tx:
            tx.delete_state_machine(ARN + "m")
        assert await store.get_alias(ARN + "m:prod") is None
        assert await store.get_version(ARN + "m:1") is None
        assert await store.get_tags(ARN + "m") == {}
    backend.run(body)


def test_executions_newest_first_with_filters(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for i in range(5):
                tx.put_execution(execution(f"e{i}", float(i),
                                           version_arn=ARN + "m:1" if i % 2 else None))
            tx.put_execution(execution("other", 10.0, machine_name="n"))
        page = await store.list_executions(machine_arn=ARN + "m", limit=2)
        assert [e.name for e in page.items] == ["e4", "e3"]
        page = await store.list_executions(machine_arn=ARN + "m", limit=10,
                                           cursor=page.next_cursor)
        assert [e.name for e in page.items] == ["e2", "e1", "e0"]
        assert page.next_cursor is None
        by_version = await store.list_executions(version_arn=ARN + "m:1")
        assert [e.name for e in by_version.items] == ["e3", "e1"]
        done = replace(execution("e2", 2.0), status="SUCCEEDED", output='{"a":1}',
                       stop_date=3.0)
        async with store.batch() as tx:
            tx.update_execution(done)
        assert await store.get_execution(done.arn) == done
        ok = await store.list_executions(status="SUCCEEDED")
        assert [e.name for e in ok.items] == ["e2"]
        with pytest.raises(Conflict):
            async with store.batch() as tx:
                tx.put_execution(execution("e0", 0.0))
    backend.run(body)


def test_history_batches_pages_and_reverse(backend: Backend) -> None:
    arn = execution("e", 1.0).arn

    async def body(store: Store) -> None:
        events = [HistoryEvent(i, i - 1, float(i), "PassStateEntered",
                               {"name": "S", "input": "{}",
                                "inputDetails": {"truncated": False}})
                  for i in range(1, 8)]
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
            tx.append_events(arn, events[:4])
            tx.append_events(arn, events[4:])
        assert await store.count_events(arn) == 7
        page = await store.get_history(arn, limit=3)
        assert [e.id for e in page.items] == [1, 2, 3]
        assert page.items[0] == events[0]
        page = await store.get_history(arn, limit=10, cursor=page.next_cursor)
        assert [e.id for e in page.items] == [4, 5, 6, 7] and page.next_cursor is None
        back = await store.get_history(arn, limit=4, reverse=True)
        assert [e.id for e in back.items] == [7, 6, 5, 4]
        back = await store.get_history(arn, limit=4, reverse=True, cursor=back.next_cursor)
        assert [e.id for e in back.items] == [3, 2, 1]
    backend.run(body)


def test_failed_batch_writes_nothing_and_others_still_commit(backend: Backend) -> None:
    arn = execution("e", 1.0).arn

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
            tx.append_events(arn, [HistoryEvent(1, 0, 1.0, "ExecutionStarted")])

        async def failing() -> None:
            async with store.batch() as tx:
                tx.append_events(arn, [HistoryEvent(2, 1, 2.0, "PassStateEntered")])
                tx.append_events(arn, [HistoryEvent(1, 0, 2.0, "Duplicate")])

        async def fine(i: int) -> None:
            async with store.batch() as tx:
                tx.put_execution(execution(f"x{i}", float(i)))

        # Run them together so the store thread commits them in one group.
        results = await asyncio.gather(failing(), *(fine(i) for i in range(20)),
                                       return_exceptions=True)
        assert isinstance(results[0], Conflict)
        assert all(r is None for r in results[1:])
        assert await store.count_events(arn) == 1  # event 2 rolled back with its batch
        assert len((await store.list_executions(limit=100)).items) == 21
    backend.run(body)


def test_committed_data_survives_reopen(backend: Backend) -> None:
    arn = execution("e", 1.0).arn

    async def write(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
            tx.append_events(arn, [HistoryEvent(1, 0, 1.0, "ExecutionStarted",
                                                {"input": "{}"})])
            tx.put_snapshot(arn, b"\x00engine-state")

    async def read(store: Store) -> None:
        assert (await store.get_execution(arn)).status == "RUNNING"
        assert (await store.get_history(arn)).items[0].details == {"input": "{}"}
        assert await store.get_snapshot(arn) == b"\x00engine-state"
    backend.run(write)
    backend.run(read)


def test_timers_tokens_and_activity_tasks(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.add_timer(Timer("t2", "e", 20.0, {"state": "W"}))
            tx.add_timer(Timer("t1", "e", 10.0))
            tx.put_task_token(TaskTokenRecord("tok", "e", {"state": "T"}, 1.0, 50.0))
            tx.put_activity(ActivityRecord("arn:act", "act", 1.0))
            tx.enqueue_activity_task(ActivityTask("a1", "arn:act", "tok", "{}", 1.0))
            tx.enqueue_activity_task(ActivityTask("a2", "arn:act", "tok2", "{}", 2.0))
        assert await store.next_timer_due() == 10.0
        assert [t.id for t in await store.due_timers(15.0)] == ["t1"]
        async with store.batch() as tx:
            tx.delete_timer("t1")
        assert [t.payload for t in await store.due_timers(99.0)] == [{"state": "W"}]
        assert (await store.get_task_token("tok")).resume == {"state": "T"}
        assert await store.expired_task_tokens(60.0) != []
        assert await store.heartbeat_task_token("tok", 100.0)
        assert await store.expired_task_tokens(60.0) == []
        assert not await store.heartbeat_task_token("nope", 1.0)
        assert (await store.claim_activity_task("arn:act")).id == "a1"
        assert (await store.claim_activity_task("arn:act")).id == "a2"
        assert await store.claim_activity_task("arn:act") is None
        map_run = MapRunRecord("arn:map", "e", "RUNNING", 5.0)
        async with store.batch() as tx:
            tx.put_map_run(map_run)
        assert await store.get_map_run("arn:map") == map_run
        assert (await store.list_map_runs("e", 10)).items == [map_run]
    backend.run(body)


def test_work_queue_leases(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.enqueue_work("resume", "exec-1", {"n": 1}, available_at=1.0)
            tx.enqueue_work("resume", "exec-2", None, available_at=2.0)
            tx.enqueue_work("resume", "exec-1", {"n": 2}, available_at=5.0)  # merged
        items = await store.claim_work("w1", 30.0, limit=10, now=10.0)
        assert [(i.key, i.payload) for i in items] == [("exec-1", {"n": 2}),
                                                      ("exec-2", None)]
        # Leased: another worker gets nothing until the lease expires.
        assert await store.claim_work("w2", 30.0, now=20.0) == []
        taken = await store.claim_work("w2", 30.0, now=41.0)
        assert {i.key for i in taken} == {"exec-1", "exec-2"}
        assert all(i.attempts == 2 for i in taken)
        first = taken[0]
        with pytest.raises(Conflict):  # w1 lost its lease
            async with store.batch() as tx:
                tx.complete_work(first.id, "w1")
        assert await store.renew_lease([first.id], "w1", 30.0) == []
        assert await store.renew_lease([first.id], "w2", 30.0) == [first.id]
        # Re-enqueued while leased: completing it hands it back instead of deleting.
        async with store.batch() as tx:
            tx.enqueue_work("resume", first.key, {"again": True}, available_at=0.0)
        async with store.batch() as tx:
            tx.complete_work(first.id, "w2")
        again = await store.claim_work("w3", 30.0, now=1e12)
        assert first.key in {i.key for i in again}
        second = next(i for i in again if i.key != first.key)
        assert await store.release_work(second.id, "w3", available_at=5e12)
        assert await store.claim_work("w4", 30.0, now=1e12 + 10) == []
    backend.run(body)


def test_long_histories_are_chunked_and_page_across_chunks(backend: Backend) -> None:
    arn = execution("e", 1.0).arn
    big = "x" * 40_000  # payload text: fewer events per row

    def event(i: int) -> HistoryEvent:
        text = big if 400 < i <= 410 else "{}"
        return HistoryEvent(i, i - 1, float(i), "PassStateEntered",
                            {"name": f"S{i}", "input": text,
                             "inputDetails": {"truncated": False}}, "t" if i % 2 else "")
    events = [event(i) for i in range(1, 451)]

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
            tx.append_events(arn, events[:300])
        async with store.batch() as tx:
            tx.append_events(arn, events[300:])
        assert await store.count_events(arn) == 450
        seen, cursor = [], None
        while True:
            page = await store.get_history(arn, limit=100, cursor=cursor)
            seen += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == events
        back, cursor = [], None
        while True:
            page = await store.get_history(arn, limit=77, cursor=cursor, reverse=True)
            back += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        assert back == events[::-1]
        with pytest.raises(Conflict):  # ids must go on past the stored ones
            async with store.batch() as tx:
                tx.append_events(arn, [event(450)])
        assert await store.count_events(arn) == 450
    backend.run(body)
    rows = backend.rows("SELECT count, length(data) FROM event_chunks")
    assert sum(r[0] for r in rows) == 450
    assert len(rows) < 450 // 10  # many events per row...
    assert max(r[1] for r in rows) < 200_000  # ...but no row holds all the big payloads
