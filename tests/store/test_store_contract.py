"""The store contract (stepfn.store.base), run against every store: SQLite in a file
in tmp_path, PostgreSQL in a schema of its own (tests/store/conftest.py).

Store-specific behaviour (SQLite's WAL and old-layout migration, PostgreSQL's
migrations and SKIP LOCKED) is tested in test_sqlite_store.py and
test_postgres_store.py."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import orjson
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
    Page,
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
        assert (await store.get_state_machine(ARN + "a")).revision_id == "r2"
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


def test_load_executions_reads_records_and_whole_histories(backend: Backend) -> None:
    first, second = execution("a", 1.0), execution("b", 2.0)

    async def body(store: Store) -> None:
        events = [HistoryEvent(i, i - 1, float(i), "PassStateEntered",
                               {"name": "S", "input": "{}",
                                "inputDetails": {"truncated": False}})
                  for i in range(1, 300)]  # more than one chunk
        async with store.batch() as tx:
            tx.put_execution(first)
            tx.put_execution(second)
            tx.append_events(first.arn, events)
        assert await store.load_executions([]) == {}
        loaded = await store.load_executions([first.arn, second.arn, first.arn + "-gone"])
        assert set(loaded) == {first.arn, second.arn}
        assert loaded[first.arn] == (first, events)
        assert loaded[second.arn] == (second, [])
    backend.run(body)


def test_release_leases_of_some_keys_only(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for key in ("a", "b", "c"):
                tx.lease_work("execution", key, "w1", time.time() + 60)
            tx.lease_work("execution", "d", "w2", time.time() + 60)
        assert await store.release_leases_of("w1", ["a", "c", "d"]) == 2
        assert await store.queue_depth(time.time() + 1) == 2
        assert sorted(await store.renew_leases_of("w1", 60)) == ["b"]
    backend.run(body)


def test_queue_depth_counts_ready_items_held_by_nobody(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.ensure_work("execution", "ready")
            tx.ensure_work("execution", "later", available_at=2000.0)
            tx.lease_work("execution", "held", "w1", 1500.0)
            tx.lease_work("execution", "lapsed", "w2", 900.0)
        assert await store.queue_depth(1000.0) == 2  # ready, and lapsed's expired lease
        assert await store.queue_depth(3000.0) == 4
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

    async def read(store: Store) -> None:
        assert (await store.get_execution(arn)).status == "RUNNING"
        assert (await store.get_history(arn)).items[0].details == {"input": "{}"}
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
        assert await store.count_due_timers(15.0) == 1
        async with store.batch() as tx:
            tx.delete_timer("t1")
        assert await store.count_due_timers(15.0) == 0
        assert await store.count_due_timers(99.0) == 1
        assert (await store.get_task_token("tok")).resume == {"state": "T"}
        assert await store.heartbeat_task_token("tok", 100.0)
        assert (await store.get_task_token("tok")).heartbeat_deadline == 100.0
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
        assert await store.renew_leases_of("w1", 30.0) == []
        assert first.key in await store.renew_leases_of("w2", 30.0)
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


def test_execution_leases_fence_and_hand_over(backend: Backend) -> None:
    async def body(store: Store) -> None:
        now = time.time()
        async with store.batch() as tx:
            tx.lease_work("execution", "e1", "w1", now + 60)
            tx.ensure_work("execution", "e2")
            tx.ensure_work("execution", "e1")  # exists: left as it is
        async with store.batch() as tx:
            tx.check_lease("e1", "w1")
        with pytest.raises(Conflict):  # someone else's live lease
            async with store.batch() as tx:
                tx.lease_work("execution", "e1", "w2", now + 60)
        with pytest.raises(Conflict):
            async with store.batch() as tx:
                tx.check_lease("e1", "w2")
        with pytest.raises(Conflict):  # unleased: nobody may write for it
            async with store.batch() as tx:
                tx.check_lease("e2", "w1")
        assert await store.lease_owners() == ["w1"]
        assert await store.renew_leases_of("w1", 30.0) == ["e1"]
        assert [i.key for i in await store.claim_work("w2", 30.0, kinds=["execution"])] \
            == ["e2"]
        assert await store.release_leases_of("w1") == 1
        assert [i.key for i in await store.claim_work("w3", 30.0)] == ["e1"]
        with pytest.raises(Conflict):  # w1 handed it back: fenced out
            async with store.batch() as tx:
                tx.check_lease("e1", "w1")
        with pytest.raises(Conflict):
            async with store.batch() as tx:
                tx.finish_work("e1", "w1")
        async with store.batch() as tx:
            tx.finish_work("e1", "w3")
            tx.finish_work("e2", None)  # whoever holds it
        assert await store.lease_owners() == []
        assert await store.claim_work("w4", 30.0, now=now + 1e6) == []
        # An expired lease can be taken by lease_work too.
        async with store.batch() as tx:
            tx.lease_work("execution", "e3", "w1", now - 1)
        async with store.batch() as tx:
            tx.lease_work("execution", "e3", "w2", now + 60)
        assert await store.renew_leases_of("w1", 30.0) == []
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


# ----------------------------------------------------------------- every other method
def test_missing_things_read_as_none_or_empty(backend: Backend) -> None:
    async def body(store: Store) -> None:
        assert await store.get_state_machine(ARN + "nope") is None
        assert await store.get_revision(ARN + "nope", None) is None
        assert await store.get_version(ARN + "nope:1") is None
        assert await store.next_version_number(ARN + "nope") == 1
        assert await store.get_alias(ARN + "nope:a") is None
        assert await store.get_tags(ARN + "nope") == {}
        assert await store.get_activity("arn:nope") is None
        assert await store.claim_activity_task("arn:nope") is None
        assert await store.get_execution("arn:nope") is None
        assert await store.get_history("arn:nope") == Page([], None)
        assert await store.count_events("arn:nope") == 0
        assert await store.get_map_run("arn:nope") is None
        assert await store.list_map_runs("arn:nope", 10) == Page([], None)
        assert await store.count_due_timers(1e12) == 0
        assert await store.get_task_token("nope") is None
        assert await store.claim_work("w", 30.0) == []
        assert await store.renew_leases_of("w", 30.0) == []
        assert not await store.release_work(1, "w")
        assert (await store.list_state_machines(10)).items == []
        assert (await store.list_activities(10)).items == []
        assert (await store.list_versions(ARN + "nope", 10)).items == []
        assert (await store.list_aliases(ARN + "nope", 10)).items == []
        assert (await store.list_executions()).items == []
        async with store.batch():  # an empty batch commits nothing and fails nothing
            pass
        async with store.batch() as tx:  # deleting what is missing is a no-op
            tx.delete_state_machine(ARN + "nope")
            tx.delete_version(ARN + "nope:1")
            tx.delete_alias(ARN + "nope:a")
            tx.delete_activity("arn:nope")
            tx.remove_tags(ARN + "nope", ["k"])
            tx.delete_timer("nope")
        with pytest.raises(Conflict):
            async with store.batch() as tx:
                tx.complete_work(12345, "w")
        with pytest.raises(NotFound):
            async with store.batch() as tx:
                tx.update_execution(execution("nope", 1.0))
    backend.run(body)


def test_activities_list_conflict_and_delete(backend: Backend) -> None:
    def activity(name: str) -> ActivityRecord:
        return ActivityRecord(f"arn:aws:states:us-east-1:1:activity:{name}", name, 1.0,
                              {"type": "AWS_OWNED_KEY"})

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for name in ("b", "c", "a"):
                tx.put_activity(activity(name))
        with pytest.raises(Conflict):
            async with store.batch() as tx:
                tx.put_activity(activity("a"))
        assert await store.get_activity(activity("a").arn) == activity("a")
        first = await store.list_activities(2)
        assert [a.name for a in first.items] == ["a", "b"]
        rest = await store.list_activities(2, first.next_cursor)
        assert [a.name for a in rest.items] == ["c"] and rest.next_cursor is None
        arn = activity("b").arn
        async with store.batch() as tx:
            tx.set_tags(arn, {"team": "x"})
            tx.enqueue_activity_task(ActivityTask("t1", arn, "tok", '{"n":1}', 1.0))
        async with store.batch() as tx:
            tx.delete_activity(arn)
        assert await store.get_activity(arn) is None
        assert await store.get_tags(arn) == {}
        assert await store.claim_activity_task(arn) is None  # its tasks went with it
        with pytest.raises(Conflict):  # a task id is unique
            async with store.batch() as tx:
                tx.enqueue_activity_task(ActivityTask("t2", "arn:x", "a", "{}", 1.0))
                tx.enqueue_activity_task(ActivityTask("t2", "arn:x", "b", "{}", 2.0))
        assert await store.claim_activity_task("arn:x") is None  # rolled back whole
    backend.run(body)


def test_machine_name_is_unique_and_tags_of_versions_go_with_the_machine(
        backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_state_machine(machine("m"))
            tx.put_state_machine(machine("m_other"))
            tx.set_tags(ARN + "m:prod", {"k": "alias"})
            tx.set_tags(ARN + "m_other", {"k": "kept"})
        with pytest.raises(Conflict):  # same name, another ARN
            async with store.batch() as tx:
                tx.put_state_machine(replace(machine("m"), arn=ARN + "m2"))
        async with store.batch() as tx:
            tx.set_tags(ARN + "m", {"k": "v1"})
            tx.set_tags(ARN + "m", {"k": "v2", "z": "1"})  # overwrite and add
        assert await store.get_tags(ARN + "m") == {"k": "v2", "z": "1"}
        async with store.batch() as tx:
            tx.delete_state_machine(ARN + "m")
        assert await store.get_state_machine(ARN + "m") is None
        assert await store.get_tags(ARN + "m:prod") == {}
        assert await store.get_tags(ARN + "m_other") == {"k": "kept"}
        # Revisions outlive the machine: executions that ran it still describe it.
        assert (await store.get_revision(ARN + "m", None)).definition == '{"x":1}'
    backend.run(body)


def test_aliases_replace_page_and_delete(backend: Backend) -> None:
    def alias(name: str, weight: int = 100) -> AliasRecord:
        return AliasRecord(arn=f"{ARN}m:{name}", machine_arn=ARN + "m", name=name,
                           routing=(RoutingEntry(ARN + "m:1", weight),),
                           creation_date=1.0, update_date=2.0, description="d")

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for name in ("b", "a", "c"):
                tx.put_alias(alias(name))
            tx.put_alias(alias("a", 50))  # insert or replace
        assert (await store.get_alias(ARN + "m:a")).routing[0].weight == 50
        first = await store.list_aliases(ARN + "m", 2)
        assert [a.name for a in first.items] == ["a", "b"]
        rest = await store.list_aliases(ARN + "m", 2, first.next_cursor)
        assert [a.name for a in rest.items] == ["c"] and rest.next_cursor is None
        async with store.batch() as tx:
            tx.delete_alias(ARN + "m:b")
        assert [a.name for a in (await store.list_aliases(ARN + "m", 9)).items] == ["a",
                                                                                   "c"]
    backend.run(body)


def test_execution_filters_alias_map_run_and_redrive(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("a", 1.0, alias_arn=ARN + "m:prod"))
            tx.put_execution(execution("b", 2.0, map_run_arn="arn:map", redrive_count=1))
            tx.put_execution(execution("c", 3.0, map_run_arn="arn:map"))
            tx.put_execution(execution("d", 3.0))  # same start date: ARN breaks ties
        by_alias = await store.list_executions(alias_arn=ARN + "m:prod")
        assert [e.name for e in by_alias.items] == ["a"]
        in_map = await store.list_executions(map_run_arn="arn:map")
        assert [e.name for e in in_map.items] == ["c", "b"]
        redriven = await store.list_executions(redriven=True)
        assert [e.name for e in redriven.items] == ["b"]
        assert len((await store.list_executions(redriven=False)).items) == 3
        both = await store.list_executions(map_run_arn="arn:map", redriven=False)
        assert [e.name for e in both.items] == ["c"]
        seen, cursor = [], None
        while True:  # one at a time across the tie
            page = await store.list_executions(limit=1, cursor=cursor)
            seen += [e.name for e in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == ["d", "c", "b", "a"]
        full = replace(execution("z", 5.0), input='{"é": "\\u0000 x"}',
                       trace_header="Root=1", state_machine_label="label",
                       parent_arn="arn:p")
        async with store.batch() as tx:
            tx.put_execution(full)
        assert await store.get_execution(full.arn) == full
    backend.run(body)


def test_map_runs_replace_and_page_newest_first(backend: Backend) -> None:
    async def body(store: Store) -> None:
        runs = [MapRunRecord(f"arn:map:{i}", "arn:e", "RUNNING", float(i),
                             max_concurrency=5, item_counts={"total": i})
                for i in range(3)]
        async with store.batch() as tx:
            for run in runs:
                tx.put_map_run(run)
            tx.put_map_run(MapRunRecord("arn:other", "arn:f", "RUNNING", 9.0))
        done = replace(runs[1], status="SUCCEEDED", stop_date=7.0,
                       execution_counts={"succeeded": 1})
        async with store.batch() as tx:
            tx.put_map_run(done)
        assert await store.get_map_run("arn:map:1") == done
        first = await store.list_map_runs("arn:e", 2)
        assert [m.arn for m in first.items] == ["arn:map:2", "arn:map:1"]
        rest = await store.list_map_runs("arn:e", 2, first.next_cursor)
        assert [m.arn for m in rest.items] == ["arn:map:0"] and rest.next_cursor is None
    backend.run(body)


def test_map_run_children_inserted_at_once_and_counted_as_they_change(
        backend: Backend) -> None:
    """A Map Run's children go in many at a time, each with a claimable work item; the
    store counts them by status in the transactions that change them, and a Map Run
    read back carries those counts (pending: its total less the children that exist)."""
    async def body(store: Store) -> None:
        run = MapRunRecord("arn:map", "arn:parent", "RUNNING", 1.0,
                           item_counts={"total": 9, "resultsWritten": 0},
                           execution_counts={"total": 5, "resultsWritten": 0})
        children = [execution(f"c{i}", 2.0, map_run_arn="arn:map", map_items=2)
                    for i in range(4)]
        async with store.batch() as tx:
            tx.put_map_run(run)
            tx.put_executions(children[:3], work_kind="execution")
            tx.put_execution(execution("plain", 2.0))  # not a child: not counted
        assert await store.count_map_run_children("arn:map") == {"RUNNING": (3, 6)}
        async with store.batch() as tx:  # those that exist are left as they are
            tx.put_executions([replace(children[0], status="FAILED"), children[3]],
                              work_kind="execution")
        assert (await store.get_execution(children[0].arn)).status == "RUNNING"
        claimed = await store.claim_work("w", 30.0, limit=10)
        assert sorted(i.key for i in claimed) == sorted(c.arn for c in children)
        found = await store.get_executions([children[1].arn, "arn:none", children[2].arn])
        assert found == {children[1].arn: children[1], children[2].arn: children[2]}
        async with store.batch() as tx:
            tx.update_execution(replace(children[0], status="SUCCEEDED"))
            tx.update_execution(replace(children[1], status="FAILED"))
            tx.update_execution(replace(children[2], status="FAILED", map_items=0))
        assert await store.count_map_run_children("arn:map") == {
            "RUNNING": (1, 2), "SUCCEEDED": (1, 2), "FAILED": (1, 2)}
        async with store.batch() as tx:  # a status written again changes nothing
            tx.update_execution(replace(children[0], status="SUCCEEDED", output="1"))
        counts = await store.count_map_run_children("arn:map")
        assert {s: c for s, c in counts.items() if c != (0, 0)} == {
            "RUNNING": (1, 2), "SUCCEEDED": (1, 2), "FAILED": (1, 2)}
        described = await store.get_map_run("arn:map")
        assert described.execution_counts == {
            "total": 5, "resultsWritten": 0, "running": 1, "succeeded": 1, "failed": 1,
            "timedOut": 0, "aborted": 0, "pending": 2}
        assert described.item_counts["pending"] == 3 and described.item_counts["running"] == 2
        assert await store.get_map_run("arn:other") is None
        assert await store.count_map_run_children("arn:other") == {}
    backend.run(body)


def test_a_timer_added_again_is_replaced(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for i in range(5):
                tx.add_timer(Timer(f"t{i}", "arn:e", 100.0 - i, [i]))
            tx.add_timer(Timer("t0", "arn:e", 1.0, {"moved": True}))  # replaced
            tx.lease_work("execution", "arn:e", "w1", 1e12)
        assert await store.count_due_timers(97.0) == 3  # t0 (now due at 1), t4, t3
        async with store.batch() as tx:
            tx.park_work("arn:e", "w1")  # claimable at its earliest timer: t0's new due
        assert await store.claim_work("w2", 30.0, now=0.5) == []
        assert [i.key for i in await store.claim_work("w2", 30.0, now=1.0)] == ["arn:e"]
    backend.run(body)


def test_task_tokens_heartbeat_keeps_the_record(backend: Backend) -> None:
    async def body(store: Store) -> None:
        tokens = [TaskTokenRecord(f"tok{i}", "arn:e", {"state": "T", "i": i}, 1.0,
                                  deadline) for i, deadline in enumerate((30.0, 10.0,
                                                                          None))]
        async with store.batch() as tx:
            for token in tokens:
                tx.put_task_token(token)
        assert await store.heartbeat_task_token("tok1", None)
        assert await store.get_task_token("tok1") == replace(tokens[1],
                                                             heartbeat_deadline=None)
        assert await store.get_task_token("tok0") == tokens[0]
    backend.run(body)


def test_work_kinds_limit_release_and_requeue(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.enqueue_work("resume", "r1", 1, available_at=1.0)
            tx.enqueue_work("timer", "t1", 2, available_at=2.0)
            tx.enqueue_work("resume", "r2", 3, available_at=3.0)
            tx.enqueue_work("resume", "later", 4, available_at=100.0)
        timers = await store.claim_work("w1", 30.0, kinds=["timer"], now=50.0)
        assert [(i.key, i.kind, i.lease_owner, i.lease_expires) for i in timers] == [
            ("t1", "timer", "w1", 80.0)]
        one = await store.claim_work("w1", 30.0, limit=1, kinds=["resume"], now=50.0)
        assert [i.key for i in one] == ["r1"]  # earliest available first
        assert not await store.release_work(one[0].id, "w2")  # not w2's to give back
        assert await store.release_work(one[0].id, "w1", available_at=60.0)
        rest = await store.claim_work("w2", 30.0, now=50.0)
        assert [i.key for i in rest] == ["r2"]  # r1 waits until 60, later until 100
        again = await store.claim_work("w2", 30.0, now=60.0)
        assert [(i.key, i.attempts) for i in again] == [("r1", 2)]
        # Re-enqueued after its lease expired: the worker may still complete it, and
        # the key is handed back rather than lost.
        async with store.batch() as tx:
            tx.enqueue_work("timer", "t1", "new", available_at=0.0)
            tx.complete_work(timers[0].id, "w1")
        back = await store.claim_work("w3", 30.0, kinds=["timer"], now=200.0)
        assert [(i.key, i.payload) for i in back] == [("t1", "new")]
        async with store.batch() as tx:
            tx.complete_work(back[0].id, "w3")
        assert await store.claim_work("w3", 30.0, kinds=["timer"], now=1e9) == []
    backend.run(body)


def test_renew_lease_keeps_an_item_from_other_workers(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.enqueue_work("resume", "a", available_at=0.0)
            tx.enqueue_work("resume", "b", available_at=0.0)
        mine = await store.claim_work("w1", 3600.0, now=None)
        assert len(mine) == 2
        assert sorted(await store.renew_leases_of("w1", 3600.0)) == ["a", "b"]
        assert await store.claim_work("w2", 30.0) == []  # leased (for an hour)
        assert await store.renew_leases_of("w2", 30.0) == []
    backend.run(body)


# ----------------------------------------------------------------- concurrency
def test_concurrent_claimers_get_each_item_once(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for i in range(60):
                tx.enqueue_work("resume", f"k{i}", i, available_at=float(i))

        async def worker(owner: str) -> list[int]:
            got: list[int] = []
            while True:
                items = await store.claim_work(owner, 600.0, limit=3, now=1000.0)
                if not items:
                    return got
                got += [i.payload for i in items]
                await asyncio.sleep(0)
        results = await asyncio.gather(*(worker(f"w{n}") for n in range(4)))
        claimed = [p for r in results for p in r]
        assert sorted(claimed) == list(range(60))  # every item, each exactly once
    backend.run(body)


def test_concurrent_activity_pollers_get_each_task_once(backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            for i in range(20):
                tx.enqueue_activity_task(ActivityTask(f"t{i:02}", "arn:act", f"tok{i}",
                                                      "{}", float(i)))
        got = await asyncio.gather(*(store.claim_activity_task("arn:act")
                                     for _ in range(30)))
        ids = [t.id for t in got if t is not None]
        assert sorted(ids) == [f"t{i:02}" for i in range(20)]
    backend.run(body)


def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_complete(
        backend: Backend) -> None:
    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.enqueue_work("resume", "exec", {"n": 1}, available_at=0.0)
        (first,) = await store.claim_work("dead", 10.0, now=100.0)
        assert await store.claim_work("alive", 10.0, now=109.0) == []
        (taken,) = await store.claim_work("alive", 10.0, now=110.0)
        assert taken.id == first.id and taken.lease_owner == "alive"
        assert taken.attempts == 2
        with pytest.raises(Conflict):
            async with store.batch() as tx:
                tx.complete_work(first.id, "dead")
        assert not await store.release_work(first.id, "dead")
        async with store.batch() as tx:
            tx.complete_work(first.id, "alive")
        assert await store.claim_work("any", 10.0, now=1e12) == []
    backend.run(body)


def test_concurrent_appends_to_one_history_never_duplicate_ids(backend: Backend) -> None:
    arn = execution("e", 1.0).arn

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))

        async def append(i: int) -> BaseException | None:
            try:
                async with store.batch() as tx:
                    tx.append_events(arn, [HistoryEvent(i, i - 1, float(i), "X")])
            except Conflict as exc:
                return exc
            return None
        # Ids 1..10, each twice, all at once: every id is stored once, whatever order
        # the writers commit in (a later id first makes the earlier ones conflict).
        await asyncio.gather(*(append(i) for i in list(range(1, 11)) * 2))
        ids = [e.id for e in (await store.get_history(arn)).items]
        assert ids == sorted(set(ids)) and len(ids) >= 1
    backend.run(body)


def test_batches_commit_in_the_order_they_exit(backend: Backend) -> None:
    """Checkpoints of one execution, submitted back to back without waiting, big and
    small in turn: each appends the next events, so any reordering raises Conflict."""
    arn = execution("e", 1.0).arn
    sizes = [300 if k % 2 else 1 for k in range(40)]
    starts = [1 + sum(sizes[:k]) for k in range(len(sizes))]

    async def body(store: Store) -> None:
        async def checkpoint(k: int) -> None:
            events = [HistoryEvent(i, i - 1, float(i), "X", {"output": "x" * 500})
                      for i in range(starts[k], starts[k] + sizes[k])]
            async with store.batch() as tx:
                if k == 0:
                    tx.put_execution(execution("e", 1.0))
                tx.append_events(arn, events)
        await asyncio.gather(*(checkpoint(k) for k in range(len(sizes))))
        assert await store.count_events(arn) == sum(sizes)
    backend.run(body)


def test_same_history_bytes_in_every_store(backend: Backend) -> None:
    """Both stores hold a history in the same encoding (stepfn.store.codec), so what
    one stores is what the other would, byte for byte."""
    from stepfn.store.codec import chunk_rows

    arn = execution("e", 1.0).arn
    events = [HistoryEvent(i, i - 1, 1.5 + i, "TaskSucceeded",
                           {"output": '{"a": "é\\n"}', "outputDetails": {"truncated": False},
                            "resourceType": "lambda"}, "t") for i in range(1, 300)]

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.append_events(arn, events)
    backend.run(body)
    stored = [bytes(r[0]) for r in backend.rows(
        "SELECT data FROM event_chunks ORDER BY last_id")]
    assert stored == [row[4] for row in chunk_rows(arn, events, 0)]


def test_a_payload_repeated_by_the_next_event_is_stored_once(backend: Backend) -> None:
    """A state's input repeats the previous state's output: the history keeps that text
    once (not escaped), and reads back exactly as it was appended."""
    arn = execution("e", 1.0).arn
    texts = [orjson.dumps({"blob": f'"q{k}" é\n' * 20_000}).decode()
             for k in range(6)]  # ~200 KiB each, unrelated, a quote every few bytes
    events = [HistoryEvent(1, 0, 1.0, "ExecutionStarted",
                           {"input": texts[0], "inputDetails": {"truncated": False},
                            "roleArn": "r"}, "")]
    for k in range(5):
        n = len(events)
        events.append(HistoryEvent(n + 1, n, 2.0 + k, "PassStateEntered",
                                   {"name": f"P{k}", "input": texts[k],
                                    "inputDetails": {"truncated": False}}, ""))
        events.append(HistoryEvent(n + 2, n + 1, 2.5 + k, "PassStateExited",
                                   {"name": f"P{k}", "output": texts[k + 1],
                                    "outputDetails": {"truncated": False}}, ""))
    events.append(HistoryEvent(len(events) + 1, len(events), 9.0, "ExecutionSucceeded",
                               {"output": texts[5], "outputDetails": {"truncated": False}},
                               ""))
    events.append(HistoryEvent(len(events) + 1, len(events), 9.5, "MapRunStarted", None,
                               "t"))

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
            tx.append_events(arn, events)
        page = await store.get_history(arn, limit=100)
        assert page.items == events
        assert [list(e.details or ()) for e in page.items] == \
            [list(e.details or ()) for e in events]  # member order kept
        back = await store.get_history(arn, limit=5, reverse=True)
        assert back.items == events[::-1][:5]
        later = await store.get_history(arn, limit=3, cursor="4")
        assert later.items == events[4:7]
    backend.run(body)
    stored = sum(r[0] for r in backend.rows("SELECT length(data) FROM event_chunks"))
    distinct = sum(len(t.encode()) for t in texts)
    assert distinct <= stored < distinct * 1.05


def test_a_payload_differing_from_the_previous_one_in_one_member_is_a_delta(
        backend: Backend) -> None:
    """A Pass or Task with a ResultPath changes one member of a large document: the
    next text is stored as what changed, and still reads back exactly."""
    arn = execution("e", 1.0).arn
    big = {"records": [{"id": i, "name": f"r\u00e9cord {i}"} for i in range(3000)]}
    events = []
    for k in range(1, 60):
        text = orjson.dumps({**big, "meta": {"step": k}}).decode()
        events.append(HistoryEvent(k, k - 1, float(k), "PassStateExited",
                                   {"name": f"P{k}", "output": text,
                                    "outputDetails": {"truncated": False}}, ""))

    async def body(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
            tx.append_events(arn, events)
        assert (await store.get_history(arn, limit=100)).items == events
        assert (await store.get_history(arn, limit=10, cursor="40")).items == events[40:50]
    backend.run(body)
    stored = sum(r[0] for r in backend.rows("SELECT length(data) FROM event_chunks"))
    assert stored < len(events[0].details["output"]) * 1.2  # not 59 copies


def test_chunks_written_by_earlier_versions_still_read(backend: Backend) -> None:
    """Before payloads were stored apart, a chunk was one orjson array of event rows."""
    arn = execution("e", 1.0).arn
    old = orjson.dumps([[1, 0, 1.0, "ExecutionStarted", {"input": "{}" * 40,
                                                          "roleArn": "r"}, ""],
                        [2, 1, 2.0, "ExecutionSucceeded", None, ""]]).hex()
    literal = f"X'{old}'" if backend.name == "sqlite" else f"'\\x{old}'::bytea"

    async def put(store: Store) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
    backend.run(put)
    backend.rows("INSERT INTO event_chunks (execution_arn, last_id, first_id, count, "
                 f"data) VALUES ('{arn}', 2, 1, 2, {literal})")

    async def body(store: Store) -> None:
        page = await store.get_history(arn)
        assert page.items == [
            HistoryEvent(1, 0, 1.0, "ExecutionStarted", {"input": "{}" * 40,
                                                          "roleArn": "r"}, ""),
            HistoryEvent(2, 1, 2.0, "ExecutionSucceeded", None, "")]
        async with store.batch() as tx:  # and new events go on after them
            tx.append_events(arn, [HistoryEvent(3, 2, 3.0, "X", {"output": "1"}, "")])
        assert len((await store.get_history(arn)).items) == 3
    backend.run(body)


def test_a_secret_is_created_once_and_kept(backend: Backend) -> None:
    async def body(store: Store) -> None:
        first = await store.get_or_create_secret("task-tokens", b"\x01" * 32)
        assert first == b"\x01" * 32
        # A second server racing on the same store gets the first one's secret.
        again = await asyncio.gather(*(store.get_or_create_secret("task-tokens", bytes([n]) * 32)
                                       for n in range(2, 6)))
        assert again == [first] * 4
        assert await store.get_or_create_secret("other", b"\x09") == b"\x09"
    backend.run(body)


def test_fleet_members_join_only_with_the_live_members_settings(backend: Backend) -> None:
    from stepfn.store import FleetMember

    async def body(store: Store) -> None:
        a = FleetMember("a", '{"x":1}', "api", 100.0, 130.0)
        assert await store.join_fleet(a, 100.0) == []
        # Racing joins with other settings: none gets in while "a" lives.
        other = [FleetMember(f"o{n}", '{"x":2}', "worker", 101.0, 131.0) for n in range(4)]
        refused = await asyncio.gather(*(store.join_fleet(m, 101.0) for m in other))
        assert refused == [[a]] * 4
        assert await store.join_fleet(FleetMember("b", '{"x":1}', "worker", 102.0, 132.0),
                                      102.0) == []
        assert [m.owner for m in await store.fleet_members(105.0)] == ["a", "b"]
        await store.renew_fleet_member(FleetMember("a", '{"x":1}', "api", 100.0, 200.0))
        await store.leave_fleet("b")
        assert await store.fleet_members(150.0) == [FleetMember("a", '{"x":1}', "api",
                                                                100.0, 200.0)]
        # Once "a" has lapsed, other settings get in (and the lapsed row goes).
        late = FleetMember("c", '{"x":2}', "worker", 250.0, 280.0)
        assert await store.join_fleet(late, 250.0) == []
        assert await store.fleet_members(0.0) == [late]
    backend.run(body)


def test_parked_work_comes_back_at_its_timer_or_when_woken(backend: Backend) -> None:
    async def body(store: Store) -> None:
        now = time.time()
        async with store.batch() as tx:
            tx.lease_work("execution", "e1", "w1", now + 60)
            tx.add_timer(Timer("e1#a", "e1", now + 100))
            tx.add_timer(Timer("e1#b", "e1", now + 50))
            tx.add_timer(Timer("other", "e2", now + 1))
        with pytest.raises(Conflict):  # only the holder parks it
            async with store.batch() as tx:
                tx.park_work("e1", "w2")
        async with store.batch() as tx:
            tx.park_work("e1", "w1")
        assert await store.lease_owners() == []
        assert await store.claim_work("w2", 30.0, now=now + 49) == []
        assert await store.count_work(now + 10) == {"leased": 0, "available": 0,
                                                    "waiting": 1}
        assert await store.count_due_timers(now + 60) == 2
        (item,) = await store.claim_work("w2", 30.0, now=now + 51)
        assert item.key == "e1"
        # Parked with no timer: claimable only once woken.
        async with store.batch() as tx:
            tx.delete_timers_of("e1")
            tx.park_work("e1", "w2")
        assert await store.count_due_timers(now + 1e6) == 1  # e2's is left
        assert await store.claim_work("w3", 30.0, now=now + 1e6) == []
        async with store.batch() as tx:
            tx.wake_work("e1")
            tx.wake_work("missing")  # no item: nothing happens
        assert [i.key for i in await store.claim_work("w3", 30.0)] == ["e1"]
        assert await store.count_work(time.time()) == {"leased": 1, "available": 0,
                                                       "waiting": 0}
        # Woken while held: parking hands it back claimable at once, timers or not.
        async with store.batch() as tx:
            tx.add_timer(Timer("e1#c", "e1", now + 500))
            tx.wake_work("e1")
        async with store.batch() as tx:
            tx.park_work("e1", "w3")
        assert [i.key for i in await store.claim_work("w4", 30.0)] == ["e1"]
        # ...and only that once: the next park waits for the timer again.
        async with store.batch() as tx:
            tx.park_work("e1", "w4")
        assert await store.claim_work("w5", 30.0) == []
    backend.run(body)


def test_signals_reach_listeners_when_their_batch_commits(backend: Backend) -> None:
    """``Batch.signal`` topics reach ``on_signal`` listeners once their batch committed
    (PostgreSQL: from another store's connection, through NOTIFY; SQLite: this
    process's batches), a topic's spaces kept; a batch that fails signals nothing."""
    act = "arn:aws:states:us-east-1:123456789012:activity:a"

    async def body(store: Store) -> None:
        loop = asyncio.get_running_loop()
        topics: asyncio.Queue[str | None] = asyncio.Queue()
        remove = store.on_signal(lambda topic: loop.call_soon(topics.put_nowait, topic))
        writer = backend.make() if backend.name == "postgres" else store
        if writer is not store:
            await writer.open()
            # Connected: "look at everything" (signals sent before are not heard).
            assert await asyncio.wait_for(topics.get(), 10) is None
        try:
            async with writer.batch() as tx:
                tx.put_activity(ActivityRecord(act, "a", 1.0))
                tx.signal("activity one two")
            assert await asyncio.wait_for(topics.get(), 10) == "activity one two"
            with pytest.raises(Conflict):
                async with writer.batch() as tx:
                    tx.signal("rolled back")
                    tx.put_activity(ActivityRecord(act, "a", 1.0))
            async with writer.batch() as tx:  # a batch of nothing but a signal
                tx.signal("token t")
            # The next topic heard is the later batch's: the failed one told nothing.
            assert await asyncio.wait_for(topics.get(), 10) == "token t"
            remove()
            async with writer.batch() as tx:
                tx.signal("token u")
            await asyncio.sleep(0.2)
            assert topics.empty()  # removed: told no more
        finally:
            if writer is not store:
                await writer.close()
    backend.run(body)


def test_wake_ups_reach_listeners(backend: Backend) -> None:
    """Work made claimable is told to ``on_work`` listeners (PostgreSQL: from another
    store's connection, through LISTEN/NOTIFY; SQLite: this process's writes), and on
    PostgreSQL appended events are told to ``on_events`` listeners."""
    async def body(store: Store) -> None:
        loop = asyncio.get_running_loop()
        works: asyncio.Queue[float] = asyncio.Queue()
        events: asyncio.Queue[tuple] = asyncio.Queue()
        remove = store.on_work(lambda at: loop.call_soon(works.put_nowait, at))
        store.on_events(lambda *args: loop.call_soon(events.put_nowait, args))
        writer = backend.make() if backend.name == "postgres" else store
        if writer is not store:
            await writer.open()
            # The LISTEN is up when its connect tells the listeners to claim now.
            # (Waiting for that wake-up rather than draining the queue once
            # `store.listening` is true: it is queued by call_soon and may land after
            # the drain, leaving every later wake-up one behind.)
            assert await asyncio.wait_for(works.get(), 10) <= time.time()
        try:
            now = time.time()
            async with writer.batch() as tx:
                tx.ensure_work("execution", "e1", available_at=now)
            # abs: approx's default relative tolerance is half an hour on epoch seconds.
            assert await asyncio.wait_for(works.get(), 10) == pytest.approx(now, abs=1e-3)
            async with writer.batch() as tx:
                tx.lease_work("execution", "e2", "w1", now + 60)
                tx.add_timer(Timer("t", "e2", now + 30))
            async with writer.batch() as tx:
                tx.park_work("e2", "w1")
            assert await asyncio.wait_for(works.get(), 10) == pytest.approx(now + 30, abs=1e-3)
            async with writer.batch() as tx:
                tx.wake_work("e2")
            assert await asyncio.wait_for(works.get(), 10) <= time.time()
            if backend.name == "postgres":
                assert store.events_across_processes
                async with writer.batch() as tx:
                    tx.put_execution(execution("x", 1.0))
                    tx.append_events(execution("x", 1.0).arn, [
                        HistoryEvent(1, 0, 1.0, "ExecutionStarted", None),
                        HistoryEvent(2, 1, 1.0, "PassStateEntered", None)])
                assert await asyncio.wait_for(events.get(), 10) == (
                    execution("x", 1.0).arn, 1, 2)
            else:
                assert not store.events_across_processes
            remove()
            async with writer.batch() as tx:
                tx.wake_work("e1")
            await asyncio.sleep(0.2)
            assert works.empty()  # removed: told no more
        finally:
            if writer is not store:
                await writer.close()
    backend.run(body)
