"""The SQLite store: stepfn's embedded, zero-configuration default.

Threading
---------
One dedicated thread owns the only connection and runs every statement; coroutines
hand it jobs through a queue and await a future. The event loop therefore never waits
on disk I/O or fsync, and SQLite never sees two threads.

The thread does **group commit**: it drains every job queued while it was busy, applies
consecutive batches each inside its own SAVEPOINT (a failing batch rolls back alone and
raises to its caller), and commits them all with one COMMIT, i.e. one fsync. Reads run
between groups, after the writes queued before them are committed, so a coroutine
always reads its own committed writes.

Durability
----------
WAL journal. ``synchronous=FULL`` (the default here) fsyncs the WAL at every commit, so
a batch whose ``__aexit__`` returned survives a process kill *and* a power loss or OS
crash. ``synchronous=NORMAL`` is faster but only survives process crashes (kill -9):
the last commits may roll back if the machine itself goes down. Because of group
commit, FULL costs one fsync per group, not per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import orjson

from stepfn.store.base import (
    JSON,
    NEVER,
    ActivityRecord,
    ActivityTask,
    AliasRecord,
    Batch,
    Conflict,
    ExecutionRecord,
    FleetMember,
    HistoryEvent,
    MapRunRecord,
    NotFound,
    Page,
    RevisionRecord,
    StateMachineRecord,
    Store,
    StoreError,
    TaskTokenRecord,
    Timer,
    VersionRecord,
    WorkItem,
    with_child_counts,
)
from stepfn.store.codec import (
    chunk_events,
    chunk_rows,
    exec_cursor,
    pack,
    parse_exec_cursor,
    rev_key,
    unpack,
    unpack_alias,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state_machines (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB NOT NULL,
    version_counter INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS revisions (
    machine_arn TEXT NOT NULL, revision_id TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (machine_arn, revision_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
    arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, version INTEGER NOT NULL,
    data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS versions_by_machine ON versions (machine_arn, version);
CREATE TABLE IF NOT EXISTS aliases (
    arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, name TEXT NOT NULL,
    data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_by_machine ON aliases (machine_arn, name);
CREATE TABLE IF NOT EXISTS tags (
    resource_arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS activity_tasks (
    id TEXT PRIMARY KEY, activity_arn TEXT NOT NULL, created REAL NOT NULL,
    data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS activity_tasks_queue ON activity_tasks (activity_arn, created);
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, version_arn TEXT,
    alias_arn TEXT, map_run_arn TEXT, status TEXT NOT NULL,
    start_date REAL NOT NULL, redrive_count INTEGER NOT NULL, data BLOB NOT NULL,
    map_items INTEGER);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (machine_arn, start_date);
CREATE INDEX IF NOT EXISTS executions_by_version ON executions (version_arn, start_date)
    WHERE version_arn IS NOT NULL;
CREATE INDEX IF NOT EXISTS executions_by_alias ON executions (alias_arn, start_date)
    WHERE alias_arn IS NOT NULL;
CREATE INDEX IF NOT EXISTS executions_by_map_run ON executions (map_run_arn, start_date)
    WHERE map_run_arn IS NOT NULL;
CREATE TABLE IF NOT EXISTS event_chunks (
    execution_arn TEXT NOT NULL, last_id INTEGER NOT NULL, first_id INTEGER NOT NULL,
    count INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (execution_arn, last_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (execution_arn TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS map_runs (
    arn TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, start_date REAL NOT NULL,
    data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS map_runs_by_execution ON map_runs (execution_arn, start_date);
CREATE TABLE IF NOT EXISTS timers (
    id TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, due REAL NOT NULL,
    payload BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS timers_by_due ON timers (due);
CREATE INDEX IF NOT EXISTS timers_by_execution ON timers (execution_arn, due);
CREATE TABLE IF NOT EXISTS task_tokens (
    token TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, heartbeat_deadline REAL,
    data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS task_tokens_by_deadline ON task_tokens (heartbeat_deadline);
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, key TEXT NOT NULL UNIQUE,
    payload BLOB NOT NULL, available_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT, lease_expires REAL, requeued INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS work_available ON work (available_at);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_members (
    owner TEXT PRIMARY KEY, settings TEXT NOT NULL, role TEXT NOT NULL,
    joined REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS map_run_counts (
    map_run_arn TEXT NOT NULL, status TEXT NOT NULL, executions INTEGER NOT NULL,
    items INTEGER NOT NULL, PRIMARY KEY (map_run_arn, status)) WITHOUT ROWID;
"""
# A Distributed Map's children counted by status in the transaction that inserts a child
# or changes its status, so a Map Run's live counts cost a few rows to read however many
# children it has (items: the child's batch size, map_items; 0 counts nothing). One
# writer at a time here: the counters are updated in place (PostgreSQL, with many
# writers, appends deltas instead: migrations/postgres/0005).
_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS map_run_child_inserted AFTER INSERT ON executions
WHEN NEW.map_run_arn IS NOT NULL AND NEW.map_items > 0
BEGIN
    INSERT INTO map_run_counts (map_run_arn, status, executions, items)
    VALUES (NEW.map_run_arn, NEW.status, 1, NEW.map_items)
    ON CONFLICT (map_run_arn, status) DO UPDATE
    SET executions = executions + 1, items = items + excluded.items;
END;
CREATE TRIGGER IF NOT EXISTS map_run_child_changed
AFTER UPDATE OF status, map_items, map_run_arn ON executions
WHEN (OLD.map_run_arn IS NOT NULL OR NEW.map_run_arn IS NOT NULL)
     AND (OLD.status IS NOT NEW.status OR OLD.map_items IS NOT NEW.map_items
          OR OLD.map_run_arn IS NOT NEW.map_run_arn)
BEGIN
    UPDATE map_run_counts SET executions = executions - 1, items = items - OLD.map_items
    WHERE OLD.map_items > 0 AND map_run_arn = OLD.map_run_arn AND status = OLD.status;
    INSERT INTO map_run_counts (map_run_arn, status, executions, items)
    SELECT NEW.map_run_arn, NEW.status, 1, NEW.map_items
    WHERE NEW.map_run_arn IS NOT NULL AND NEW.map_items > 0
    ON CONFLICT (map_run_arn, status) DO UPDATE
    SET executions = executions + 1, items = items + excluded.items;
END;
"""

_MAX_GROUP = 256  # batches committed together at most
# The schema this stepfn writes (PRAGMA user_version). The tables are created with
# IF NOT EXISTS and older layouts are migrated in place; a database written by a newer
# stepfn (a higher number) is refused rather than misread.
# 2: history details stored as recorded (rendered when read: see HistoryEvent); the
#    executions' version, alias and Map Run indexes partial, no index on status.
# 3: Map Run children counted by status (executions.map_items, map_run_counts).
SCHEMA_VERSION = 3


# ----------------------------------------------------------------- unit of work
Op = Callable[[sqlite3.Connection], object]  # a write step; what it returns is ignored


class _SqliteBatch(Batch):
    """Records writes as closures over plain values; applied on the store thread."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        # When work this batch made claimable becomes so (epoch seconds), filled in by
        # its ops as they run: told to on_work listeners once the batch committed.
        self.wakes: list[float] = []
        # Batch.signal topics, told to on_signal listeners once the batch committed.
        self.signals: list[str] = []

    # --- state machines
    def put_state_machine(self, machine: StateMachineRecord) -> None:
        def op(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO state_machines (arn, name, data) VALUES (?,?,?)",
                           (machine.arn, machine.name, pack(machine)))
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"state machine exists: {machine.arn}") from exc
            _put_revision(db, machine)
        self.ops.append(op)

    def update_state_machine(self, machine: StateMachineRecord) -> None:
        def op(db: sqlite3.Connection) -> None:
            cur = db.execute("UPDATE state_machines SET data=? WHERE arn=?",
                             (pack(machine), machine.arn))
            if cur.rowcount == 0:
                raise NotFound(machine.arn)
            _put_revision(db, machine)
        self.ops.append(op)

    def delete_state_machine(self, arn: str) -> None:
        def op(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM state_machines WHERE arn=?", (arn,))
            db.execute("DELETE FROM versions WHERE machine_arn=?", (arn,))
            db.execute("DELETE FROM aliases WHERE machine_arn=?", (arn,))
            db.execute("DELETE FROM tags WHERE resource_arn=? OR resource_arn LIKE ?",
                       (arn, arn.replace("%", r"\%") + ":%"))
        self.ops.append(op)

    def put_version(self, version: VersionRecord) -> None:
        def op(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO versions (arn, machine_arn, version, data) "
                           "VALUES (?,?,?,?)", (version.arn, version.machine_arn,
                                                version.version, pack(version)))
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"version exists: {version.arn}") from exc
            db.execute("UPDATE state_machines SET version_counter=max(version_counter, ?) "
                       "WHERE arn=?", (version.version, version.machine_arn))
        self.ops.append(op)

    def delete_version(self, arn: str) -> None:
        self.ops.append(lambda db: db.execute("DELETE FROM versions WHERE arn=?", (arn,)))

    def put_alias(self, alias: AliasRecord) -> None:
        self.ops.append(lambda db: db.execute(
            "INSERT OR REPLACE INTO aliases (arn, machine_arn, name, data) VALUES (?,?,?,?)",
            (alias.arn, alias.machine_arn, alias.name, pack(alias))))

    def delete_alias(self, arn: str) -> None:
        self.ops.append(lambda db: db.execute("DELETE FROM aliases WHERE arn=?", (arn,)))

    def set_tags(self, resource_arn: str, tags: dict[str, str]) -> None:
        rows = [(resource_arn, k, v) for k, v in tags.items()]
        self.ops.append(lambda db: db.executemany(
            "INSERT OR REPLACE INTO tags (resource_arn, key, value) VALUES (?,?,?)", rows))

    def remove_tags(self, resource_arn: str, keys: Sequence[str]) -> None:
        rows = [(resource_arn, k) for k in keys]
        self.ops.append(lambda db: db.executemany(
            "DELETE FROM tags WHERE resource_arn=? AND key=?", rows))

    def put_activity(self, activity: ActivityRecord) -> None:
        def op(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO activities (arn, name, data) VALUES (?,?,?)",
                           (activity.arn, activity.name, pack(activity)))
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"activity exists: {activity.arn}") from exc
        self.ops.append(op)

    def delete_activity(self, arn: str) -> None:
        def op(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM activities WHERE arn=?", (arn,))
            db.execute("DELETE FROM activity_tasks WHERE activity_arn=?", (arn,))
            db.execute("DELETE FROM tags WHERE resource_arn=?", (arn,))
        self.ops.append(op)

    # --- executions
    def put_execution(self, execution: ExecutionRecord) -> None:
        def op(db: sqlite3.Connection) -> None:
            try:
                db.execute(_INSERT_EXECUTION, _execution_row(execution))
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"execution exists: {execution.arn}") from exc
        self.ops.append(op)

    def put_executions(self, executions: Sequence[ExecutionRecord],
                       work_kind: str | None = None) -> None:
        rows = [_execution_row(e) for e in executions]

        def op(db: sqlite3.Connection) -> None:
            db.executemany(_INSERT_EXECUTION + " ON CONFLICT (arn) DO NOTHING", rows)
            if work_kind is None or not rows:
                return
            db.executemany("INSERT INTO work (kind, key, payload, available_at) "
                           "VALUES (?,?,'null',0) ON CONFLICT(key) DO NOTHING",
                           [(work_kind, row[0]) for row in rows])
            self.wakes.append(0.0)
        self.ops.append(op)

    def update_execution(self, execution: ExecutionRecord) -> None:
        def op(db: sqlite3.Connection) -> None:
            row = _execution_row(execution)
            cur = db.execute("UPDATE executions SET machine_arn=?, version_arn=?, "
                             "alias_arn=?, map_run_arn=?, status=?, start_date=?, "
                             "redrive_count=?, data=?, map_items=? WHERE arn=?",
                             row[1:] + row[:1])
            if cur.rowcount == 0:
                raise NotFound(execution.arn)
        self.ops.append(op)

    def append_events(self, execution_arn: str, events: Sequence[HistoryEvent]) -> None:
        # Serialised on the store thread, chunk by chunk, as SQLite takes the rows: no
        # batch holds a second copy of a long history at once.
        def op(db: sqlite3.Connection) -> None:
            if not events:
                return
            stored = db.execute("SELECT max(last_id) FROM event_chunks WHERE "
                                "execution_arn=?", (execution_arn,)).fetchone()[0]
            db.executemany("INSERT INTO event_chunks (execution_arn, last_id, first_id, "
                           "count, data) VALUES (?,?,?,?,?)",
                           chunk_rows(execution_arn, events, stored or 0))
        self.ops.append(op)

    def put_map_run(self, map_run: MapRunRecord) -> None:
        self.ops.append(lambda db: db.execute(
            "INSERT OR REPLACE INTO map_runs (arn, execution_arn, start_date, data) "
            "VALUES (?,?,?,?)",
            (map_run.arn, map_run.execution_arn, map_run.start_date, pack(map_run))))

    # --- timers, tokens, activity tasks, work
    def add_timer(self, timer: Timer) -> None:
        self.ops.append(lambda db: db.execute(
            "INSERT OR REPLACE INTO timers (id, execution_arn, due, payload) VALUES (?,?,?,?)",
            (timer.id, timer.execution_arn, timer.due, orjson.dumps(timer.payload))))

    def delete_timer(self, timer_id: str) -> None:
        self.ops.append(lambda db: db.execute("DELETE FROM timers WHERE id=?", (timer_id,)))

    def put_task_token(self, token: TaskTokenRecord) -> None:
        self.ops.append(lambda db: db.execute(
            "INSERT OR REPLACE INTO task_tokens (token, execution_arn, heartbeat_deadline, "
            "data) VALUES (?,?,?,?)",
            (token.token, token.execution_arn, token.heartbeat_deadline, pack(token))))

    def enqueue_activity_task(self, task: ActivityTask) -> None:
        def op(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO activity_tasks (id, activity_arn, created, data) "
                           "VALUES (?,?,?,?)",
                           (task.id, task.activity_arn, task.created, pack(task)))
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"activity task exists: {task.id}") from exc
        self.ops.append(op)

    def enqueue_work(self, kind: str, key: str, payload: JSON = None,
                     available_at: float = 0.0) -> None:
        blob = orjson.dumps(payload)
        # A leased item is being worked on: re-enqueueing its key marks it requeued,
        # so completing it hands it back instead of deleting it (no wake-up is lost).
        def op(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO work (kind, key, payload, available_at) VALUES (?,?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET payload=excluded.payload, "
                "available_at=min(work.available_at, excluded.available_at), "
                "requeued=(work.lease_owner IS NOT NULL)",
                (kind, key, blob, available_at))
            self.wakes.append(available_at)
        self.ops.append(op)

    def complete_work(self, item_id: int, owner: str) -> None:
        def op(db: sqlite3.Connection) -> None:
            cur = db.execute("UPDATE work SET lease_owner=NULL, lease_expires=NULL, "
                             "requeued=0 WHERE id=? AND lease_owner=? AND requeued=1",
                             (item_id, owner))
            if cur.rowcount == 0:
                cur = db.execute("DELETE FROM work WHERE id=? AND lease_owner=?",
                                 (item_id, owner))
            if cur.rowcount == 0:
                raise Conflict(f"work item {item_id} is not leased by {owner}")
        self.ops.append(op)

    def lease_work(self, kind: str, key: str, owner: str, expires: float) -> None:
        def op(db: sqlite3.Connection) -> None:
            cur = db.execute(
                "INSERT INTO work (kind, key, payload, available_at, lease_owner, "
                "lease_expires) VALUES (?,?,'null',0,?,?) ON CONFLICT(key) DO UPDATE SET "
                "lease_owner=excluded.lease_owner, lease_expires=excluded.lease_expires "
                "WHERE work.lease_owner IS NULL OR work.lease_owner=excluded.lease_owner "
                "OR work.lease_expires <= ?", (kind, key, owner, expires, time.time()))
            if cur.rowcount == 0:
                raise Conflict(f"work item {key} is leased by another owner")
        self.ops.append(op)

    def check_lease(self, key: str, owner: str) -> None:
        def op(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT lease_owner FROM work WHERE key=?", (key,)).fetchone()
            if row is None or row[0] != owner:
                raise Conflict(f"work item {key} is not leased by {owner}")
        self.ops.append(op)

    def finish_work(self, key: str, owner: str | None) -> None:
        def op(db: sqlite3.Connection) -> None:
            if owner is None:
                db.execute("DELETE FROM work WHERE key=?", (key,))
                return
            cur = db.execute("DELETE FROM work WHERE key=? AND lease_owner=?", (key, owner))
            if cur.rowcount == 0:
                raise Conflict(f"work item {key} is not leased by {owner}")
        self.ops.append(op)

    def ensure_work(self, kind: str, key: str, available_at: float = 0.0) -> None:
        def op(db: sqlite3.Connection) -> None:
            cur = db.execute(
                "INSERT INTO work (kind, key, payload, available_at) VALUES (?,?,'null',?) "
                "ON CONFLICT(key) DO NOTHING", (kind, key, available_at))
            if cur.rowcount:
                self.wakes.append(available_at)
        self.ops.append(op)

    def park_work(self, key: str, owner: str) -> None:
        def op(db: sqlite3.Connection) -> None:
            now = time.time()
            row = db.execute(
                "UPDATE work SET lease_owner=NULL, lease_expires=NULL, requeued=0, "
                "available_at=CASE WHEN requeued THEN ? ELSE coalesce((SELECT min(due) "
                "FROM timers WHERE execution_arn=?), ?) END "
                "WHERE key=? AND lease_owner=? RETURNING available_at",
                (now, key, NEVER, key, owner)).fetchone()
            if row is None:
                raise Conflict(f"work item {key} is not leased by {owner}")
            if row[0] < NEVER:
                self.wakes.append(row[0])
        self.ops.append(op)

    def wake_work(self, key: str) -> None:
        def op(db: sqlite3.Connection) -> None:
            now = time.time()
            cur = db.execute("UPDATE work SET available_at=min(available_at, ?), "
                             "requeued=(lease_owner IS NOT NULL) WHERE key=?", (now, key))
            if cur.rowcount:
                self.wakes.append(now)
        self.ops.append(op)

    def delete_timers_of(self, execution_arn: str) -> None:
        self.ops.append(lambda db: db.execute(
            "DELETE FROM timers WHERE execution_arn=?", (execution_arn,)))

    def signal(self, topic: str) -> None:
        self.signals.append(topic)


def _put_revision(db: sqlite3.Connection, machine: StateMachineRecord) -> None:
    revision = RevisionRecord(
        machine_arn=machine.arn, revision_id=machine.revision_id,
        definition=machine.definition, role_arn=machine.role_arn,
        logging_configuration=machine.logging_configuration,
        tracing_configuration=machine.tracing_configuration,
        encryption_configuration=machine.encryption_configuration,
        update_date=machine.update_date)
    db.execute("INSERT OR REPLACE INTO revisions (machine_arn, revision_id, data) "
               "VALUES (?,?,?)", (machine.arn, rev_key(machine.revision_id),
                                  pack(revision)))


_INSERT_EXECUTION = ("INSERT INTO executions (arn, machine_arn, version_arn, alias_arn, "
                     "map_run_arn, status, start_date, redrive_count, data, map_items) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?)")


def _execution_row(e: ExecutionRecord) -> tuple:
    return (e.arn, e.machine_arn, e.version_arn, e.alias_arn, e.map_run_arn, e.status,
            e.start_date, e.redrive_count, pack(e), e.map_items)


def _migrate_map_items(db: sqlite3.Connection) -> None:
    """Give a database from before Map Run child counts its executions.map_items column
    (1 for the children it has) and those children's counts, once."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(executions)")}
    if "map_items" in columns:
        return
    db.executescript(
        "BEGIN IMMEDIATE; ALTER TABLE executions ADD COLUMN map_items INTEGER; "
        "UPDATE executions SET map_items = 1 WHERE map_run_arn IS NOT NULL; "
        "INSERT INTO map_run_counts (map_run_arn, status, executions, items) "
        "SELECT map_run_arn, status, count(*), count(*) FROM executions "
        "WHERE map_run_arn IS NOT NULL GROUP BY map_run_arn, status; COMMIT;")


def _migrate_event_rows(db: sqlite3.Connection) -> None:
    """Move a database's history from the one-row-per-event table of earlier stepfn
    versions into event_chunks (one chunk per event), once."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND "
                       "name='events'").fetchone()
    if found is None:
        return
    rows = db.execute("SELECT execution_arn, id, data FROM events")
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("INSERT OR IGNORE INTO event_chunks (execution_arn, last_id, "
                       "first_id, count, data) VALUES (?,?,?,1,?)",
                       ((arn, i, i, orjson.dumps([[i, *orjson.loads(data)]]))
                        for arn, i, data in rows.fetchall()))
        db.execute("DROP TABLE events")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _migrate_indexes(db: sqlite3.Connection) -> None:
    """Drop version 1's full indexes of executions by version, alias, Map Run and
    status, once: the schema then creates the partial ones (writing an execution paid
    an entry in each, also for the columns most executions leave empty)."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type='index' AND "
                       "name='executions_by_status'").fetchone()
    if found is None:
        return
    db.executescript("BEGIN IMMEDIATE; DROP INDEX executions_by_status; "
                     "DROP INDEX IF EXISTS executions_by_version; "
                     "DROP INDEX IF EXISTS executions_by_alias; "
                     "DROP INDEX IF EXISTS executions_by_map_run; COMMIT;")


def _check_schema_version(db: sqlite3.Connection) -> None:
    """Refuse a database written by a newer stepfn; stamp an older one as current (its
    tables were just brought up to date)."""
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        db.close()
        raise StoreError(f"the database schema is at version {found}, newer than this "
                         f"stepfn knows ({SCHEMA_VERSION}): upgrade stepfn")
    if found < SCHEMA_VERSION:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


# ----------------------------------------------------------------- the store thread
class _Job:
    __slots__ = ("fn", "future", "loop", "is_write")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any], is_write: bool) -> None:
        self.fn = fn
        self.is_write = is_write
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future = self.loop.create_future()

    def resolve(self, result: Any = None, error: BaseException | None = None) -> None:
        def settle() -> None:
            if self.future.done():  # the caller was cancelled
                return
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(result)
        self.loop.call_soon_threadsafe(settle)


class SqliteStore(Store):
    """A Store in one SQLite file (``":memory:"`` works too, for tests)."""

    def __init__(self, path: str, *, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("synchronous must be FULL, NORMAL or EXTRA")
        self.path = path
        self.synchronous = synchronous.upper()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._open_error: BaseException | None = None

    # --- lifecycle
    async def open(self) -> None:
        """Start the store thread, which connects and creates the schema."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="stepfn-sqlite",
                                        daemon=True)
        self._thread.start()
        await asyncio.get_running_loop().run_in_executor(None, self._ready.wait)
        if self._open_error is not None:
            self._thread = None
            raise self._open_error

    async def close(self) -> None:
        """Finish queued jobs, then stop the thread and close the connection."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._jobs.put(None)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, for group commit.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self.synchronous}")
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("PRAGMA busy_timeout=5000")
        _migrate_indexes(db)
        db.executescript(_SCHEMA)
        _migrate_map_items(db)
        db.executescript(_TRIGGERS)
        _migrate_event_rows(db)
        _check_schema_version(db)
        return db

    def _run(self) -> None:
        try:
            db = self._connect()
        except BaseException as exc:  # reported to open()
            self._open_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self._serve(db)
        finally:
            db.close()

    def _serve(self, db: sqlite3.Connection) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            jobs = [first]
            while len(jobs) < _MAX_GROUP:
                try:
                    jobs.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            if None in jobs:
                stopping = True
            self._run_jobs(db, [j for j in jobs if j is not None])

    def _run_jobs(self, db: sqlite3.Connection, jobs: list[_Job]) -> None:
        writes: list[_Job] = []
        for job in jobs:
            if job.is_write:
                writes.append(job)
                continue
            self._commit_group(db, writes)
            writes = []
            try:
                job.resolve(job.fn(db))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                job.resolve(error=exc)
        self._commit_group(db, writes)

    @staticmethod
    def _commit_group(db: sqlite3.Connection, writes: list[_Job]) -> None:
        """Apply the batches (each in a savepoint when several share the transaction),
        commit them together, then answer."""
        if not writes:
            return
        outcomes: list[tuple[_Job, BaseException | None]] = []
        alone = len(writes) == 1  # a failure rolls the transaction back: no savepoint
        try:
            db.execute("BEGIN IMMEDIATE")
            for job in writes:
                if alone:
                    job.fn(db)
                    outcomes.append((job, None))
                    continue
                db.execute("SAVEPOINT batch")
                try:
                    job.fn(db)
                    db.execute("RELEASE batch")
                    outcomes.append((job, None))
                except BaseException as exc:  # noqa: BLE001 - this batch only
                    db.execute("ROLLBACK TO batch")
                    db.execute("RELEASE batch")
                    outcomes.append((job, exc))
            db.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - the commit itself failed
            if db.in_transaction:
                db.execute("ROLLBACK")
            for job in writes:
                job.resolve(error=exc)
            return
        for job, error in outcomes:
            job.resolve(error=error)

    async def _call(self, fn: Callable[[sqlite3.Connection], Any],
                    is_write: bool = False) -> Any:
        if self._thread is None:
            raise RuntimeError("store is not open")
        job = _Job(fn, is_write)
        self._jobs.put(job)
        return await job.future

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """Collect writes; commit them in one transaction on a clean exit."""
        unit = _SqliteBatch()
        yield unit
        if unit.ops:
            ops = unit.ops

            def apply(db: sqlite3.Connection) -> None:
                for op in ops:
                    op(db)
            await self._call(apply, is_write=True)
            if unit.wakes:  # in-process wake-ups (another process polls)
                self._signal("work", min(unit.wakes))
        # In-process only, as the work wake-ups: SQLite has no way to tell another
        # process, which finds what the topic is about by reading the store.
        for topic in dict.fromkeys(unit.signals):
            self._signal("signal", topic)

    async def schema_version(self) -> int:
        """The schema version of the open database (SQLite's ``user_version``)."""
        return await self._one("PRAGMA user_version", (), int)

    # --- read helpers
    async def _one(self, sql: str, args: tuple, decode: Callable[[Any], Any]) -> Any:
        def read(db: sqlite3.Connection) -> Any:
            row = db.execute(sql, args).fetchone()
            return None if row is None else decode(row[0])
        return await self._call(read)

    async def _page(self, sql: str, args: tuple, limit: int,
                    decode: Callable[[tuple], Any],
                    cursor_of: Callable[[Any], str]) -> Page:
        """Run a keyset query that fetches ``limit + 1`` rows to know if more exist."""
        def read(db: sqlite3.Connection) -> Page:
            rows = db.execute(sql, args + (limit + 1,)).fetchall()
            items = [decode(r) for r in rows[:limit]]
            more = len(rows) > limit and items
            return Page(items, cursor_of(items[-1]) if more else None)
        return await self._call(read)

    # --- state machines, revisions, versions, aliases
    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        return await self._one("SELECT data FROM state_machines WHERE arn=?", (arn,),
                               lambda b: unpack(StateMachineRecord, b))

    async def list_state_machines(self, limit: int,
                                  cursor: str | None = None) -> Page[StateMachineRecord]:
        return await self._page(
            "SELECT data FROM state_machines WHERE name > ? ORDER BY name LIMIT ?",
            (cursor or "",), limit, lambda r: unpack(StateMachineRecord, r[0]),
            lambda m: m.name)

    async def get_revision(self, machine_arn: str,
                           revision_id: str | None) -> RevisionRecord | None:
        return await self._one(
            "SELECT data FROM revisions WHERE machine_arn=? AND revision_id=?",
            (machine_arn, rev_key(revision_id)), lambda b: unpack(RevisionRecord, b))

    async def get_version(self, arn: str) -> VersionRecord | None:
        return await self._one("SELECT data FROM versions WHERE arn=?", (arn,),
                               lambda b: unpack(VersionRecord, b))

    async def list_versions(self, machine_arn: str, limit: int,
                            cursor: str | None = None) -> Page[VersionRecord]:
        below = int(cursor) if cursor else 2**62
        return await self._page(
            "SELECT data FROM versions WHERE machine_arn=? AND version < ? "
            "ORDER BY version DESC LIMIT ?", (machine_arn, below), limit,
            lambda r: unpack(VersionRecord, r[0]), lambda v: str(v.version))

    async def next_version_number(self, machine_arn: str) -> int:
        counter = await self._one(
            "SELECT version_counter FROM state_machines WHERE arn=?", (machine_arn,),
            int)
        return (counter or 0) + 1

    async def get_alias(self, arn: str) -> AliasRecord | None:
        return await self._one("SELECT data FROM aliases WHERE arn=?", (arn,),
                               unpack_alias)

    async def list_aliases(self, machine_arn: str, limit: int,
                           cursor: str | None = None) -> Page[AliasRecord]:
        return await self._page(
            "SELECT data FROM aliases WHERE machine_arn=? AND name > ? ORDER BY name "
            "LIMIT ?", (machine_arn, cursor or ""), limit,
            lambda r: unpack_alias(r[0]), lambda a: a.name)

    # --- tags and activities
    async def get_tags(self, resource_arn: str) -> dict[str, str]:
        def read(db: sqlite3.Connection) -> dict[str, str]:
            return dict(db.execute("SELECT key, value FROM tags WHERE resource_arn=? "
                                   "ORDER BY key", (resource_arn,)).fetchall())
        return await self._call(read)

    async def get_activity(self, arn: str) -> ActivityRecord | None:
        return await self._one("SELECT data FROM activities WHERE arn=?", (arn,),
                               lambda b: unpack(ActivityRecord, b))

    async def list_activities(self, limit: int,
                              cursor: str | None = None) -> Page[ActivityRecord]:
        return await self._page(
            "SELECT data FROM activities WHERE name > ? ORDER BY name LIMIT ?",
            (cursor or "",), limit, lambda r: unpack(ActivityRecord, r[0]),
            lambda a: a.name)

    async def claim_activity_task(self, activity_arn: str) -> ActivityTask | None:
        def claim(db: sqlite3.Connection) -> ActivityTask | None:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT id, data FROM activity_tasks WHERE "
                                 "activity_arn=? ORDER BY created LIMIT 1",
                                 (activity_arn,)).fetchone()
                if row is not None:
                    db.execute("DELETE FROM activity_tasks WHERE id=?", (row[0],))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return None if row is None else unpack(ActivityTask, row[1])
        return await self._call(claim)

    # --- executions and history
    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        return await self._one("SELECT data FROM executions WHERE arn=?", (arn,),
                               lambda b: unpack(ExecutionRecord, b))

    async def list_executions(self, *, machine_arn: str | None = None,
                              version_arn: str | None = None,
                              alias_arn: str | None = None,
                              map_run_arn: str | None = None,
                              status: str | None = None,
                              redriven: bool | None = None,
                              limit: int = 100,
                              cursor: str | None = None) -> Page[ExecutionRecord]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("machine_arn", machine_arn), ("version_arn", version_arn),
                              ("alias_arn", alias_arn), ("map_run_arn", map_run_arn),
                              ("status", status)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if redriven is not None:
            where.append("redrive_count > 0" if redriven else "redrive_count = 0")
        if cursor:
            date, arn = parse_exec_cursor(cursor)
            where.append("(start_date < ? OR (start_date = ? AND arn < ?))")
            args += [date, date, arn]
        sql = ("SELECT data FROM executions" + (" WHERE " + " AND ".join(where)
                                                 if where else "")
               + " ORDER BY start_date DESC, arn DESC LIMIT ?")
        return await self._page(sql, tuple(args), limit,
                                lambda r: unpack(ExecutionRecord, r[0]),
                                lambda e: exec_cursor(e.start_date, e.arn))

    async def get_history(self, execution_arn: str, *, limit: int = 1000,
                          cursor: str | None = None,
                          reverse: bool = False) -> Page[HistoryEvent]:
        if reverse:
            bound = int(cursor) if cursor else 2**62
            sql = ("SELECT data FROM event_chunks WHERE execution_arn=? AND first_id < ? "
                   "ORDER BY last_id DESC")
            wanted: Callable[[int], bool] = bound.__gt__
        else:
            bound = int(cursor) if cursor else -1
            sql = ("SELECT data FROM event_chunks WHERE execution_arn=? AND last_id > ? "
                   "ORDER BY last_id")
            wanted = bound.__lt__

        def read(db: sqlite3.Connection) -> Page[HistoryEvent]:
            # Chunks are read one by one until the page (and one event more) is full.
            items: list[HistoryEvent] = []
            for (data,) in db.execute(sql, (execution_arn, bound)):
                events = chunk_events(data)
                if reverse:
                    events.reverse()
                items.extend(e for e in events if wanted(e.id))
                if len(items) > limit:
                    break
            more = len(items) > limit
            del items[limit:]
            return Page(items, str(items[-1].id) if more and items else None)
        return await self._call(read)

    async def load_executions(
            self, arns: Sequence[str]) -> dict[str, tuple[ExecutionRecord, list[HistoryEvent]]]:
        def read(db: sqlite3.Connection) -> dict[str, tuple[ExecutionRecord,
                                                           list[HistoryEvent]]]:
            found = {}
            for arn in arns:
                row = db.execute("SELECT data FROM executions WHERE arn=?", (arn,)).fetchone()
                if row is None:
                    continue
                events: list[HistoryEvent] = []
                for (data,) in db.execute("SELECT data FROM event_chunks WHERE "
                                          "execution_arn=? ORDER BY last_id", (arn,)):
                    events.extend(chunk_events(data))
                found[arn] = (unpack(ExecutionRecord, row[0]), events)
            return found
        return await self._call(read)

    async def count_events(self, execution_arn: str) -> int:
        return await self._one("SELECT coalesce(sum(count), 0) FROM event_chunks WHERE "
                               "execution_arn=?", (execution_arn,), int)

    async def get_executions(self, arns: Sequence[str]) -> dict[str, ExecutionRecord]:
        def read(db: sqlite3.Connection) -> dict[str, ExecutionRecord]:
            found = {}
            for start in range(0, len(arns), 500):  # under SQLite's bound-variable limit
                part = list(arns[start:start + 500])
                marks = ",".join("?" * len(part))
                for arn, data in db.execute(f"SELECT arn, data FROM executions WHERE arn "
                                            f"IN ({marks})", part):
                    found[arn] = unpack(ExecutionRecord, data)
            return found
        return await self._call(read)

    async def get_map_run(self, arn: str) -> MapRunRecord | None:
        def read(db: sqlite3.Connection) -> MapRunRecord | None:
            row = db.execute("SELECT data FROM map_runs WHERE arn=?", (arn,)).fetchone()
            if row is None:
                return None
            return with_child_counts(unpack(MapRunRecord, row[0]), _child_counts(db, arn))
        return await self._call(read)

    async def count_map_run_children(self, map_run_arn: str) -> dict[str, tuple[int, int]]:
        return await self._call(lambda db: _child_counts(db, map_run_arn))

    async def list_map_runs(self, execution_arn: str, limit: int,
                            cursor: str | None = None) -> Page[MapRunRecord]:
        args: tuple = (execution_arn,)
        sql = "SELECT data FROM map_runs WHERE execution_arn=?"
        if cursor:
            date, arn = parse_exec_cursor(cursor)
            sql += " AND (start_date < ? OR (start_date = ? AND arn < ?))"
            args += (date, date, arn)
        sql += " ORDER BY start_date DESC, arn DESC LIMIT ?"
        return await self._page(sql, args, limit, lambda r: unpack(MapRunRecord, r[0]),
                                lambda m: exec_cursor(m.start_date, m.arn))

    # --- timers and task tokens
    async def count_due_timers(self, now: float) -> int:
        return await self._one("SELECT count(*) FROM timers WHERE due <= ?", (now,), int)

    async def get_task_token(self, token: str) -> TaskTokenRecord | None:
        return await self._one("SELECT data FROM task_tokens WHERE token=?", (token,),
                               lambda b: unpack(TaskTokenRecord, b))

    async def heartbeat_task_token(self, token: str, deadline: float | None) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT data FROM task_tokens WHERE token=?",
                             (token,)).fetchone()
            if row is None:
                return False
            record = dataclasses.replace(unpack(TaskTokenRecord, row[0]),
                                         heartbeat_deadline=deadline)
            db.execute("UPDATE task_tokens SET heartbeat_deadline=?, data=? WHERE token=?",
                       (deadline, pack(record), token))
            return True
        return await self._call(_in_transaction(write))

    # --- secrets
    async def get_or_create_secret(self, name: str, candidate: bytes) -> bytes:
        def write(db: sqlite3.Connection) -> bytes:
            db.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)",
                       (name, candidate))
            return bytes(db.execute("SELECT value FROM secrets WHERE name=?",
                                    (name,)).fetchone()[0])
        return await self._call(_in_transaction(write))

    # --- the fleet's members
    async def fleet_members(self, now: float) -> list[FleetMember]:
        def read(db: sqlite3.Connection) -> list[FleetMember]:
            return [FleetMember(*row) for row in db.execute(
                "SELECT owner, settings, role, joined, expires FROM fleet_members "
                "WHERE expires > ? ORDER BY joined, owner", (now,))]
        return await self._call(read)

    async def join_fleet(self, member: FleetMember, now: float) -> list[FleetMember]:
        def join(db: sqlite3.Connection) -> list[FleetMember]:
            db.execute("DELETE FROM fleet_members WHERE expires <= ?", (now,))
            others = [FleetMember(*row) for row in db.execute(
                "SELECT owner, settings, role, joined, expires FROM fleet_members "
                "WHERE owner <> ? AND settings <> ? ORDER BY joined, owner",
                (member.owner, member.settings))]
            if not others:
                db.execute("INSERT OR REPLACE INTO fleet_members (owner, settings, role, "
                           "joined, expires) VALUES (?, ?, ?, ?, ?)", dataclasses.astuple(member))
            return others
        return await self._call(_in_transaction(join))

    async def renew_fleet_member(self, member: FleetMember) -> None:
        def renew(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO fleet_members (owner, settings, role, joined, expires) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (owner) DO UPDATE SET "
                       "expires = excluded.expires", dataclasses.astuple(member))
        await self._call(_in_transaction(renew))

    async def leave_fleet(self, owner: str) -> None:
        def leave(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM fleet_members WHERE owner = ?", (owner,))
        await self._call(_in_transaction(leave))

    # --- work queue
    async def claim_work(self, owner: str, lease_seconds: float, *, limit: int = 10,
                         kinds: Sequence[str] | None = None,
                         now: float | None = None) -> list[WorkItem]:
        at = time.time() if now is None else now

        def claim(db: sqlite3.Connection) -> list[WorkItem]:
            sql = ("SELECT id FROM work WHERE available_at <= ? AND "
                   "(lease_expires IS NULL OR lease_expires <= ?)")
            args: list[Any] = [at, at]
            if kinds:
                sql += f" AND kind IN ({','.join('?' * len(kinds))})"
                args += list(kinds)
            ids = [r[0] for r in db.execute(sql + " ORDER BY available_at, id LIMIT ?",
                                            args + [limit])]
            db.executemany("UPDATE work SET lease_owner=?, lease_expires=?, "
                           "attempts=attempts+1 WHERE id=?",
                           [(owner, at + lease_seconds, i) for i in ids])
            return [_work_item(r) for r in db.execute(
                "SELECT id, kind, key, payload, available_at, attempts, lease_owner, "
                f"lease_expires FROM work WHERE id IN ({','.join('?' * len(ids))}) "
                "ORDER BY available_at, id", ids)] if ids else []
        return await self._call(_in_transaction(claim))

    async def release_work(self, item_id: int, owner: str,
                           available_at: float | None = None) -> bool:
        at = time.time() if available_at is None else available_at

        def release(db: sqlite3.Connection) -> bool:
            cur = db.execute("UPDATE work SET lease_owner=NULL, lease_expires=NULL, "
                             "available_at=? WHERE id=? AND lease_owner=?",
                             (at, item_id, owner))
            return cur.rowcount > 0
        released = await self._call(_in_transaction(release))
        if released:
            self._signal("work", at)
        return bool(released)

    async def renew_leases_of(self, owner: str, lease_seconds: float) -> list[str]:
        expires = time.time() + lease_seconds

        def renew(db: sqlite3.Connection) -> list[str]:
            db.execute("UPDATE work SET lease_expires=? WHERE lease_owner=?",
                       (expires, owner))
            return [r[0] for r in db.execute("SELECT key FROM work WHERE lease_owner=?",
                                             (owner,))]
        return await self._call(_in_transaction(renew))

    async def release_leases_of(self, owner: str, keys: Sequence[str] | None = None) -> int:
        at = time.time()

        def release(db: sqlite3.Connection) -> int:
            sql = ("UPDATE work SET lease_owner=NULL, lease_expires=NULL, available_at=? "
                   "WHERE lease_owner=?")
            if keys is None:
                return db.execute(sql, (at, owner)).rowcount
            return sum(db.execute(sql + " AND key=?", (at, owner, key)).rowcount
                       for key in keys)
        count = await self._call(_in_transaction(release))
        if count:
            self._signal("work", at)
        return int(count)


    async def lease_owners(self) -> list[str]:
        def read(db: sqlite3.Connection) -> list[str]:
            return [r[0] for r in db.execute(
                "SELECT DISTINCT lease_owner FROM work WHERE lease_owner IS NOT NULL")]
        return await self._call(read)

    async def count_work(self, now: float) -> dict[str, int]:
        def read(db: sqlite3.Connection) -> dict[str, int]:
            row = db.execute(
                "SELECT coalesce(sum(lease_expires > ?), 0), "
                "coalesce(sum((lease_expires IS NULL OR lease_expires <= ?) "
                "AND available_at <= ?), 0), "
                "coalesce(sum(lease_expires IS NULL AND available_at > ?), 0) FROM work",
                (now, now, now, now)).fetchone()
            return {"leased": row[0], "available": row[1], "waiting": row[2]}
        return await self._call(read)


def _child_counts(db: sqlite3.Connection, map_run_arn: str) -> dict[str, tuple[int, int]]:
    rows = db.execute("SELECT status, executions, items FROM map_run_counts "
                      "WHERE map_run_arn=?", (map_run_arn,))
    return {status: (executions, items) for status, executions, items in rows}


def _work_item(row: tuple) -> WorkItem:
    item_id, kind, key, payload, available_at, attempts, owner, expires = row[:8]
    return WorkItem(item_id, kind, key, orjson.loads(payload), available_at, attempts,
                    owner, expires)


def _in_transaction(fn: Callable[[sqlite3.Connection], Any]
                    ) -> Callable[[sqlite3.Connection], Any]:
    """Wrap a read-modify-write job in its own immediate transaction."""
    def run(db: sqlite3.Connection) -> Any:
        db.execute("BEGIN IMMEDIATE")
        try:
            result = fn(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result
    return run
