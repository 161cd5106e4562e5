"""What only the PostgreSQL store does (the shared contract: test_store_contract.py):
SKIP LOCKED claims beside another connection's locks, versioned migrations under an
advisory lock, ``store_for`` and ``stepfn db upgrade``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from stepfn.store import (
    ActivityTask,
    PostgresStore,
    SqliteStore,
    StoreError,
    store_for,
)
from stepfn.store import postgres as pg
from tests.store.conftest import PG_URL, pg_execute

# A claim that waited on another connection's row lock would hang: fail it instead.
NO_HANG = 30.0


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


async def opened(schema: str, **kw: Any) -> PostgresStore:
    store = PostgresStore(PG_URL, schema=schema, **kw)
    await store.open()
    return store


def test_claims_skip_rows_another_transaction_holds(pg_schema: str) -> None:
    import psycopg

    async def body() -> None:
        store = await opened(pg_schema)
        try:
            async with store.batch() as tx:
                for i in range(3):
                    tx.enqueue_work("resume", f"k{i}", i, available_at=float(i))
                tx.enqueue_activity_task(ActivityTask("old", "arn:act", "t1", "{}", 1.0))
                tx.enqueue_activity_task(ActivityTask("new", "arn:act", "t2", "{}", 2.0))
            other = await psycopg.AsyncConnection.connect(
                PG_URL, options=f"-c search_path={pg_schema}")
            try:
                # Another worker is in the middle of taking k0 and the oldest task.
                await other.execute("SELECT id FROM work WHERE key='k0' FOR UPDATE")
                await other.execute("SELECT id FROM activity_tasks WHERE id='old' "
                                    "FOR UPDATE")
                items = await asyncio.wait_for(store.claim_work("w", 60.0, now=10.0),
                                               NO_HANG)
                assert [i.key for i in items] == ["k1", "k2"]
                task = await asyncio.wait_for(store.claim_activity_task("arn:act"),
                                              NO_HANG)
                assert task is not None and task.id == "new"
                await other.rollback()  # it gave up: its rows are claimable again
            finally:
                await other.close()
            assert [i.key for i in await store.claim_work("w", 60.0, now=10.0)] == ["k0"]
            task = await store.claim_activity_task("arn:act")
            assert task is not None and task.id == "old"
        finally:
            await store.close()
    run(body)


def test_two_stores_claim_disjoint_sets_concurrently(pg_schema: str) -> None:
    """Two stores (two pools, as two processes would have) claiming at once."""
    async def body() -> None:
        one, two = await opened(pg_schema), await opened(pg_schema)
        try:
            async with one.batch() as tx:
                for i in range(200):
                    tx.enqueue_work("resume", f"k{i}", i, available_at=0.0)

            async def drain(store: PostgresStore, owner: str) -> list[int]:
                got: list[int] = []
                while items := await store.claim_work(owner, 600.0, limit=7):
                    got += [i.payload for i in items]
                return got
            results = await asyncio.gather(drain(one, "a"), drain(two, "b"),
                                           drain(one, "c"), drain(two, "d"))
            claimed = [p for got in results for p in got]
            assert sorted(claimed) == list(range(200))  # all of them, each once
        finally:
            await one.close()
            await two.close()
    run(body)


def test_migrations_are_numbered_and_shipped() -> None:
    found = pg.migrations()
    assert [n for n, _, _ in found] == list(range(1, len(found) + 1))
    assert found[0][1] == "0001_initial.sql" and "CREATE TABLE work" in found[0][2]
    assert pg.latest_version() == len(found)


def test_open_applies_migrations_once_even_when_racing(pg_schema: str) -> None:
    async def body() -> None:
        stores = [PostgresStore(PG_URL, schema=pg_schema) for _ in range(4)]
        await asyncio.gather(*(s.open() for s in stores))  # all at once, fresh schema
        assert [await s.schema_version() for s in stores] == [pg.latest_version()] * 4
        for s in stores:
            await s.close()
        again = await opened(pg_schema)  # idempotent
        await again.close()
    run(body)
    rows = pg_execute("SELECT version FROM schema_version ORDER BY version",
                      schema=pg_schema)
    assert [r[0] for r in rows] == list(range(1, pg.latest_version() + 1))


def test_without_migrate_an_old_schema_is_refused_with_the_way_out(pg_schema: str) -> None:
    async def body() -> None:
        with pytest.raises(StoreError, match="stepfn db upgrade"):
            await opened(pg_schema, migrate=False)
        await (await opened(pg_schema)).close()  # migrate=True upgrades it
        store = await opened(pg_schema, migrate=False)
        await store.close()
    pg_execute(f"CREATE SCHEMA {pg_schema}")
    run(body)


def test_a_newer_schema_is_refused(pg_schema: str) -> None:
    async def body() -> None:
        store = await opened(pg_schema)
        await store.close()
        pg_execute(f"INSERT INTO schema_version (version) VALUES "
                   f"({pg.latest_version() + 1})", schema=pg_schema)
        with pytest.raises(StoreError, match="newer than this stepfn"):
            await opened(pg_schema)
    run(body)


def test_a_failing_migration_leaves_nothing_behind(pg_schema: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    good = pg.migrations()
    broken = good + [(len(good) + 1, "9999_broken.sql",
                      "CREATE TABLE half_done (x int); SELECT 1/0;")]

    async def body() -> None:
        monkeypatch.setattr(pg, "migrations", lambda: broken)
        with pytest.raises(StoreError, match="migration failed.*DivisionByZero") as info:
            await opened(pg_schema)
        assert isinstance(info.value.__cause__, psycopg.errors.DivisionByZero)
    run(body)
    # One transaction: not even the schema, the version table or migration 0001 stayed.
    assert pg_execute(f"SELECT 1 FROM pg_namespace WHERE nspname='{pg_schema}'") == []


def test_store_for_picks_the_store_from_the_db_value(tmp_path: Any) -> None:
    assert isinstance(store_for("postgresql://u@h/db"), PostgresStore)
    assert isinstance(store_for("postgres://h/db"), PostgresStore)
    assert isinstance(store_for("POSTGRESQL://h/db"), PostgresStore)
    assert isinstance(store_for(str(tmp_path / "x.db")), SqliteStore)
    assert isinstance(store_for("postgres.db"), SqliteStore)  # a file, not a URL
    assert pg.redact("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    with pytest.raises(ValueError):
        PostgresStore("postgresql://h/db", schema="x; DROP TABLE y")


def test_db_upgrade_command(pg_schema: str) -> None:
    pg_execute(f"CREATE SCHEMA {pg_schema}")
    url = f"{PG_URL}?options=-csearch_path%3D{pg_schema}"
    done = subprocess.run([sys.executable, "-m", "stepfn.cli", "db", "upgrade", "--db",
                           url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"schema version {pg.latest_version()}"
    rows = pg_execute("SELECT max(version) FROM schema_version", schema=pg_schema)
    assert rows == [(pg.latest_version(),)]


def test_db_upgrade_reports_an_unreachable_server_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "stepfn.cli", "db", "upgrade", "--db",
                           "postgresql://u:pw@127.0.0.1:1/x"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot connect to PostgreSQL at "
                                  "postgresql://u:***@127.0.0.1:1/x")
    assert "Traceback" not in done.stderr and "pw" not in done.stderr


def test_a_failing_batch_in_a_group_fails_alone(pg_schema: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches queued together commit as one transaction; when one fails, the group is
    applied again batch by batch, so only that one fails."""
    from stepfn.store import Conflict, ExecutionRecord

    alone: list[int] = []
    apply_alone = pg._apply_alone

    async def counted(conn: Any, ops: Any) -> Any:
        alone.append(len(ops))
        return await apply_alone(conn, ops)
    monkeypatch.setattr(pg, "_apply_alone", counted)

    def record(name: str) -> ExecutionRecord:
        return ExecutionRecord(f"arn:e:{name}", "arn:m", name, "RUNNING", 1.0)

    async def body() -> None:
        store = await opened(pg_schema)
        try:
            async with store.batch() as tx:
                tx.put_execution(record("taken"))
            alone.clear()  # a group of one is applied alone straight away

            async def put(name: str) -> None:
                async with store.batch() as tx:
                    tx.put_execution(record(name))
            # Queued in one go: the writer takes them as one group.
            results = await asyncio.gather(put("a"), put("taken"), put("b"),
                                           return_exceptions=True)
            assert results[0] is None and results[2] is None
            assert isinstance(results[1], Conflict)
            assert len(alone) == 3  # the group's second pass
            names = [e.name for e in (await store.list_executions()).items]
            assert sorted(names) == ["a", "b", "taken"]
        finally:
            await store.close()
    run(body)


def test_the_writer_reconnects_after_losing_its_connection(pg_schema: str) -> None:
    import psycopg

    from stepfn.store import ExecutionRecord

    async def body() -> None:
        store = await opened(pg_schema)
        try:
            async with store.batch() as tx:
                tx.put_execution(ExecutionRecord("arn:e:1", "arn:m", "1", "RUNNING", 1.0))
            pid = store._write_conn.info.backend_pid
            pg_execute(f"SELECT pg_terminate_backend({pid})")
            with pytest.raises(psycopg.OperationalError):  # that batch is lost...
                async with store.batch() as tx:
                    tx.put_execution(ExecutionRecord("arn:e:2", "arn:m", "2", "RUNNING",
                                                     2.0))
            async with store.batch() as tx:  # ...the next one commits
                tx.put_execution(ExecutionRecord("arn:e:3", "arn:m", "3", "RUNNING", 3.0))
            names = [e.name for e in (await store.list_executions()).items]
            assert names == ["3", "1"]
        finally:
            await store.close()
    run(body)


def test_reads_survive_pooled_connections_that_died_while_idle(pg_schema: str) -> None:
    """As after a PostgreSQL restart: every connection of the store is cut."""
    from stepfn.store import ExecutionRecord

    app = "stepfn-test-" + pg_schema

    async def body() -> None:
        store = await opened(pg_schema, application_name=app, min_size=3)
        try:
            async with store.batch() as tx:
                tx.put_execution(ExecutionRecord("arn:e:1", "arn:m", "1", "RUNNING", 1.0))
            assert await store.get_execution("arn:e:1") is not None
            cut = pg_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             f"WHERE application_name = '{app}'")
            assert len(cut) >= 2  # the writer's connection and the pool's
            await asyncio.sleep(0.2)  # let the terminations land
            for _ in range(5):  # one pooled connection after another
                assert (await store.get_execution("arn:e:1")).name == "1"
                assert (await store.get_history("arn:e:1")).items == []
                assert await store.heartbeat_task_token("nope", 1.0) is False
        finally:
            await store.close()
    run(body)


def test_appended_events_are_announced_to_listeners_at_commit(pg_schema: str) -> None:
    """NOTIFY stepfn_events "<schema> <first id> <last id> <ARN>" for every committed
    append (one per batch), none for a batch that failed."""
    import psycopg

    from stepfn.store import Conflict, ExecutionRecord, HistoryEvent
    from stepfn.store.postgres_sql import EVENTS_CHANNEL

    arn = "arn:aws:states:us-east-1:123456789012:execution:m:e"
    record = ExecutionRecord(arn=arn, machine_arn=arn.replace(":execution:", ":stateMachine:")
                             .rsplit(":", 1)[0], name="e", status="RUNNING", start_date=1.0)

    def events(first: int, last: int) -> list[HistoryEvent]:
        return [HistoryEvent(i, i - 1, float(i), "PassStateEntered", {"name": "x" * 100})
                for i in range(first, last + 1)]

    async def body() -> None:
        listener = await psycopg.AsyncConnection.connect(PG_URL, autocommit=True)
        await listener.execute(f"LISTEN {EVENTS_CHANNEL}")
        store = await opened(pg_schema)
        try:
            async with store.batch() as tx:
                tx.put_execution(record)
                tx.append_events(arn, events(1, 300))
            with pytest.raises(Conflict):
                async with store.batch() as tx:
                    tx.append_events(arn, events(300, 301))  # id 300 exists: rolled back
            async with store.batch() as tx:
                tx.append_events(arn, events(301, 302))
            got = []
            async for note in listener.notifies(timeout=NO_HANG, stop_after=2):
                got.append(note.payload)
            assert got == [f"{pg_schema} 1 300 {arn}", f"{pg_schema} 301 302 {arn}"]
        finally:
            await store.close()
            await listener.close()
    run(body)


def test_the_listen_connection_comes_back_after_it_is_cut(pg_schema: str) -> None:
    """One LISTEN connection per store: cut by the server, it reconnects (and tells its
    listeners to claim at once, since notifications sent meanwhile are lost), then
    hears other connections' notifications again."""
    import time
    import uuid

    name = "stepfn-listen-" + uuid.uuid4().hex[:8]

    async def body() -> None:
        store = await opened(pg_schema, application_name=name)
        writer = await opened(pg_schema)
        works: asyncio.Queue[float] = asyncio.Queue()
        signals: asyncio.Queue[str | None] = asyncio.Queue()
        store.on_work(works.put_nowait)
        store.on_signal(signals.put_nowait)
        try:
            await asyncio.wait_for(works.get(), NO_HANG)  # connected: "claim now"
            assert await asyncio.wait_for(signals.get(), NO_HANG) is None  # "look"
            assert store.listening
            cut = pg_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             f"WHERE application_name = '{name}' AND query LIKE 'LISTEN%'")
            assert cut == [(True,)]
            assert await asyncio.wait_for(works.get(), NO_HANG) <= time.time()  # back
            assert await asyncio.wait_for(signals.get(), NO_HANG) is None
            assert store.listening
            async with writer.batch() as tx:
                tx.ensure_work("execution", "e1", available_at=123.0)
                tx.signal("token t")
            assert await asyncio.wait_for(works.get(), NO_HANG) == 123.0
            assert await asyncio.wait_for(signals.get(), NO_HANG) == "token t"
        finally:
            await writer.close()
            await store.close()
    run(body)
