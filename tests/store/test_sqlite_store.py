"""What only the SQLite store does (the shared contract: test_store_contract.py):
WAL mode, its schema version, the old one-row-per-event layout migrated in place."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from stepfn.store import ExecutionRecord, HistoryEvent, SqliteStore, StoreError
from stepfn.store.sqlite import SCHEMA_VERSION

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def run_with_store(path: Path, body: Callable[[SqliteStore], Awaitable[None]],
                   **kw: str) -> None:
    async def main() -> None:
        store = SqliteStore(str(path), **kw)
        await store.open()
        try:
            await body(store)
        finally:
            await store.close()
    asyncio.run(main())


def execution(name: str, start: float, machine_name: str = "m", **kw) -> ExecutionRecord:
    return ExecutionRecord(arn=f"arn:aws:states:us-east-1:123456789012:execution:"
                               f"{machine_name}:{name}", machine_arn=ARN + machine_name,
                           name=name, status="RUNNING", start_date=start, input="{}",
                           **kw)


def test_schema_and_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "s.db"

    async def body(store: SqliteStore) -> None:
        assert await store.get_state_machine(ARN + "x") is None
    run_with_store(db, body)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"state_machines", "executions", "event_chunks", "timers", "work"} <= tables


def test_one_row_per_event_histories_are_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    arn = execution("e", 1.0).arn
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE events (execution_arn TEXT NOT NULL, id INTEGER NOT NULL, "
                "data BLOB NOT NULL, PRIMARY KEY (execution_arn, id)) WITHOUT ROWID")
    for i in (1, 2, 3):
        con.execute("INSERT INTO events VALUES (?,?,?)", (arn, i, json.dumps(
            [i - 1, float(i), "PassStateEntered", {"name": f"S{i}"}, ""]).encode()))
    con.commit()
    con.close()

    async def body(store: SqliteStore) -> None:
        page = await store.get_history(arn)
        assert [(e.id, e.previous_event_id, e.details) for e in page.items] == [
            (1, 0, {"name": "S1"}), (2, 1, {"name": "S2"}), (3, 2, {"name": "S3"})]
        assert await store.count_events(arn) == 3
        async with store.batch() as tx:
            tx.append_events(arn, [HistoryEvent(4, 3, 4.0, "ExecutionSucceeded")])
        assert await store.count_events(arn) == 4
    run_with_store(path, body)
    tables = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert "events" not in tables


def test_schema_version_is_stamped_and_newer_databases_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"

    async def body(store: SqliteStore) -> None:
        assert await store.schema_version() == SCHEMA_VERSION
    run_with_store(db, body)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer than this stepfn"):
        run_with_store(db, body)


def test_committed_data_survives_reopen_with_synchronous_normal(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    arn = execution("e", 1.0).arn

    async def write(store: SqliteStore) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("e", 1.0))
            tx.append_events(arn, [HistoryEvent(1, 0, 1.0, "ExecutionStarted",
                                                {"input": "{}"})])

    async def read(store: SqliteStore) -> None:
        assert (await store.get_history(arn)).items[0].details == {"input": "{}"}
    run_with_store(path, write, synchronous="NORMAL")
    run_with_store(path, read)


def test_version_1_indexes_become_partial_and_listing_still_uses_them(
        tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE executions (arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, "
        "version_arn TEXT, alias_arn TEXT, map_run_arn TEXT, status TEXT NOT NULL, "
        "start_date REAL NOT NULL, redrive_count INTEGER NOT NULL, data BLOB NOT NULL);"
        "CREATE INDEX executions_by_version ON executions (version_arn, start_date);"
        "CREATE INDEX executions_by_alias ON executions (alias_arn, start_date);"
        "CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date);"
        "CREATE INDEX executions_by_status ON executions (status);"
        "PRAGMA user_version=1;")
    con.close()
    version = ARN + "m:1"

    async def body(store: SqliteStore) -> None:
        async with store.batch() as tx:
            tx.put_execution(execution("a", 1.0, version_arn=version))
            tx.put_execution(execution("b", 2.0))
        page = await store.list_executions(version_arn=version)
        assert [e.name for e in page.items] == ["a"]
        assert [e.name for e in (await store.list_executions(
            machine_arn=ARN + "m", status="RUNNING")).items] == ["b", "a"]
    run_with_store(path, body)
    con = sqlite3.connect(path)
    indexes = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type='index' "
                               "AND tbl_name='executions' AND sql IS NOT NULL"))
    assert "executions_by_status" not in indexes
    for column in ("version", "alias", "map_run"):
        assert f"WHERE {column}_arn IS NOT NULL" in indexes[f"executions_by_{column}"]
    plan = " ".join(str(r) for r in con.execute(
        "EXPLAIN QUERY PLAN SELECT data FROM executions WHERE version_arn=? "
        "ORDER BY start_date DESC", (version,)))
    assert "executions_by_version" in plan
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
