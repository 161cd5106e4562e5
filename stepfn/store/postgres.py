"""The PostgreSQL store: the same contract as the SQLite store, for scale-out.

Reads and the read-modify-write operations (claims, heartbeats, leases) take a
connection from a psycopg 3 async pool (``psycopg_pool``) in autocommit mode: each is
one statement or one short transaction. Work and activity tasks are claimed with
``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent claimers never wait on, or take,
each other's rows.

Batches go through one writer task on a connection of its own, as the SQLite store's
thread does: they commit in the order their blocks exit (the execution service relies
on it: two checkpoints of one execution must not land out of order), and every batch
queued while the writer was busy is committed in one transaction, each batch in a
single transaction (should one batch fail, the group is applied again batch by batch,
so it fails alone and raises to its caller): one commit, one WAL flush, per group.

Records and histories are encoded as the SQLite store encodes them
(``stepfn.store.codec``): GetExecutionHistory answers the same bytes from either store.
Every statement is named in ``stepfn.store.postgres_sql``; the schema is created and
upgraded by the numbered files in ``migrations/postgres`` (see ``migrate``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from importlib import resources
from typing import Any, TypeVar

import orjson

from stepfn.store import postgres_sql as q
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

try:  # optional: pip install 'stepfn[postgres]'
    import psycopg
    from psycopg import sql as pgsql
    from psycopg_pool import AsyncConnectionPool
except ImportError:  # pragma: no cover - reported by PostgresStore.open
    psycopg = None  # type: ignore[assignment]

log = logging.getLogger("stepfn.store")

URL_SCHEMES = ("postgresql://", "postgres://")
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_HISTORY_CHUNKS = 8  # event chunks read per round trip by get_history
_MAX_GROUP = 256  # batches committed together at most

T = TypeVar("T")
Conn = Any  # psycopg.AsyncConnection (psycopg is an optional dependency)
Check = Callable[[], Awaitable[None]]
# Sends a write's statements; may return a check to run once their results are in.
Op = Callable[[Conn], Awaitable["Check | None"]]


def is_postgres_url(value: str) -> bool:
    """True when ``value`` names a PostgreSQL database rather than a SQLite file."""
    return value.lower().startswith(URL_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def migrations() -> list[tuple[int, str, str]]:
    """The schema migrations shipped with stepfn: (number, file name, SQL), in order.

    Files are ``NNNN_name.sql``, numbered from 0001 without gaps; each is applied once,
    in a transaction, and recorded in the ``schema_version`` table."""
    folder = resources.files("stepfn.store").joinpath("migrations", "postgres")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort()
    if [n for n, _, _ in found] != list(range(1, len(found) + 1)):
        raise StoreError("the PostgreSQL migrations are not numbered 0001, 0002, ...")
    return found


def latest_version() -> int:
    """The schema version this stepfn writes and reads."""
    return len(migrations())


# ----------------------------------------------------------------- unit of work
class _PostgresBatch(Batch):
    """Records writes as coroutines over plain values, run in one transaction.

    Each op only *sends* its statements (the writer runs them in pipeline mode, so no
    op waits for the server) and may return a check, run once the whole group's
    results are in, that raises the contract's error (Conflict, NotFound) from a row
    count or a row it fetched; the transaction then rolls back."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self._inserted: set[str] = set()  # executions this batch inserts

    def _add(self, statement: str, params: dict[str, Any]) -> None:
        async def op(conn: Conn) -> None:
            await conn.execute(statement, params)
        self.ops.append(op)

    # --- state machines
    def put_state_machine(self, machine: StateMachineRecord) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.INSERT_MACHINE, {
                "arn": machine.arn, "name": machine.name, "data": pack(machine)})
            await _put_revision(conn, machine)
            return _expect_rows(cur, Conflict, f"state machine exists: {machine.arn}")
        self.ops.append(op)

    def update_state_machine(self, machine: StateMachineRecord) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.UPDATE_MACHINE,
                                     {"arn": machine.arn, "data": pack(machine)})
            await _put_revision(conn, machine)
            return _expect_rows(cur, NotFound, machine.arn)
        self.ops.append(op)

    def delete_state_machine(self, arn: str) -> None:
        async def op(conn: Conn) -> None:
            params = {"arn": arn, "prefix": arn + ":"}
            for statement in (q.DELETE_MACHINE, q.DELETE_MACHINE_VERSIONS,
                              q.DELETE_MACHINE_ALIASES, q.DELETE_MACHINE_TAGS):
                await conn.execute(statement, params)
        self.ops.append(op)

    def put_version(self, version: VersionRecord) -> None:
        async def op(conn: Conn) -> Check:
            params = {"arn": version.arn, "machine_arn": version.machine_arn,
                      "version": version.version, "data": pack(version)}
            cur = await conn.execute(q.INSERT_VERSION, params)
            await conn.execute(q.BUMP_VERSION_COUNTER, params)
            return _expect_rows(cur, Conflict, f"version exists: {version.arn}")
        self.ops.append(op)

    def delete_version(self, arn: str) -> None:
        self._add(q.DELETE_VERSION, {"arn": arn})

    def put_alias(self, alias: AliasRecord) -> None:
        self._add(q.UPSERT_ALIAS, {"arn": alias.arn, "machine_arn": alias.machine_arn,
                                   "name": alias.name, "data": pack(alias)})

    def delete_alias(self, arn: str) -> None:
        self._add(q.DELETE_ALIAS, {"arn": arn})

    def set_tags(self, resource_arn: str, tags: dict[str, str]) -> None:
        rows = [{"resource_arn": resource_arn, "key": k, "value": v}
                for k, v in tags.items()]
        self.ops.append(_many(q.UPSERT_TAG, rows))

    def remove_tags(self, resource_arn: str, keys: Sequence[str]) -> None:
        rows = [{"resource_arn": resource_arn, "key": k} for k in keys]
        self.ops.append(_many(q.DELETE_TAG, rows))

    def put_activity(self, activity: ActivityRecord) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.INSERT_ACTIVITY, {
                "arn": activity.arn, "name": activity.name, "data": pack(activity)})
            return _expect_rows(cur, Conflict, f"activity exists: {activity.arn}")
        self.ops.append(op)

    def delete_activity(self, arn: str) -> None:
        async def op(conn: Conn) -> None:
            for statement in (q.DELETE_ACTIVITY, q.DELETE_ACTIVITY_TASKS,
                              q.DELETE_RESOURCE_TAGS):
                await conn.execute(statement, {"arn": arn})
        self.ops.append(op)

    # --- executions
    def put_execution(self, execution: ExecutionRecord) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.INSERT_EXECUTION, _execution_params(execution))
            return _expect_rows(cur, Conflict, f"execution exists: {execution.arn}")
        self.ops.append(op)
        self._inserted.add(execution.arn)

    def put_executions(self, executions: Sequence[ExecutionRecord],
                       work_kind: str | None = None) -> None:
        rows = [_execution_params(e) for e in executions]
        if not rows:
            return
        columns = {name: [row[name] for row in rows] for name in rows[0]}
        self._add(q.INSERT_EXECUTIONS, columns)
        if work_kind is not None:
            self._add(q.ENSURE_WORKS, {"kind": work_kind, "keys": columns["arn"],
                                       "available_at": 0.0})

    def update_execution(self, execution: ExecutionRecord) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.UPDATE_EXECUTION, _execution_params(execution))
            return _expect_rows(cur, NotFound, execution.arn)
        self.ops.append(op)

    def append_events(self, execution_arn: str, events: Sequence[HistoryEvent]) -> None:
        # No other transaction can append to an execution this one inserts (it cannot
        # see it before the commit, and the insert conflicts if it exists): no lock.
        locking = execution_arn not in self._inserted

        async def op(conn: Conn) -> Check | None:
            if not events:
                return None
            # Ids must increase within the events (checked here) and past the highest
            # stored one (checked by the insert, after the lock: see INSERT_CHUNKS).
            rows = list(chunk_rows(execution_arn, events, 0))
            params = {"execution_arn": execution_arn}
            if locking:
                await conn.execute(q.LOCK_HISTORY, params)
            if len(rows) == 1:
                _, last_id, first_id, count, data = rows[0]
                cur = await conn.execute(q.INSERT_CHUNK, {
                    **params, "last_id": last_id, "first_id": first_id, "count": count,
                    "data": data})
            else:
                cur = await conn.execute(q.INSERT_CHUNKS, {
                    **params, "first_id": rows[0][2], "last_ids": [r[1] for r in rows],
                    "first_ids": [r[2] for r in rows], "counts": [r[3] for r in rows],
                    "data": [r[4] for r in rows]})

            async def check() -> None:
                row = await cur.fetchone()
                if not row or not row[0]:
                    raise Conflict(f"event id {rows[0][2]} already stored for "
                                   f"{execution_arn}")
            return check
        self.ops.append(op)

    def put_map_run(self, map_run: MapRunRecord) -> None:
        self._add(q.UPSERT_MAP_RUN, {"arn": map_run.arn,
                                     "execution_arn": map_run.execution_arn,
                                     "start_date": map_run.start_date,
                                     "data": pack(map_run)})

    # --- timers, tokens, activity tasks, work
    def add_timer(self, timer: Timer) -> None:
        self._add(q.UPSERT_TIMER, {"id": timer.id, "execution_arn": timer.execution_arn,
                                   "due": timer.due, "payload": orjson.dumps(timer.payload)})

    def delete_timer(self, timer_id: str) -> None:
        self._add(q.DELETE_TIMER, {"id": timer_id})

    def put_task_token(self, token: TaskTokenRecord) -> None:
        self._add(q.UPSERT_TASK_TOKEN, {"token": token.token,
                                        "execution_arn": token.execution_arn,
                                        "heartbeat_deadline": token.heartbeat_deadline,
                                        "data": pack(token)})

    def enqueue_activity_task(self, task: ActivityTask) -> None:
        self._add(q.INSERT_ACTIVITY_TASK, {"id": task.id, "activity_arn": task.activity_arn,
                                           "created": task.created, "data": pack(task)})

    def enqueue_work(self, kind: str, key: str, payload: JSON = None,
                     available_at: float = 0.0) -> None:
        self._add(q.ENQUEUE_WORK, {"kind": kind, "key": key,
                                   "payload": orjson.dumps(payload),
                                   "available_at": available_at})

    def complete_work(self, item_id: int, owner: str) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.COMPLETE_WORK, {"id": item_id, "owner": owner})

            async def check() -> None:
                row = await cur.fetchone()
                if not row or not row[0]:
                    raise Conflict(f"work item {item_id} is not leased by {owner}")
            return check
        self.ops.append(op)

    def lease_work(self, kind: str, key: str, owner: str, expires: float) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.LEASE_WORK, {"kind": kind, "key": key,
                                                    "owner": owner, "expires": expires,
                                                    "now": time.time()})
            return _expect_rows(cur, Conflict, f"work item {key} is leased by another owner")
        self.ops.append(op)

    def check_lease(self, key: str, owner: str) -> None:
        async def op(conn: Conn) -> Check:
            cur = await conn.execute(q.CHECK_LEASE, {"key": key})

            async def check() -> None:
                row = await cur.fetchone()
                if row is None or row[0] != owner:
                    raise Conflict(f"work item {key} is not leased by {owner}")
            return check
        self.ops.append(op)

    def finish_work(self, key: str, owner: str | None) -> None:
        async def op(conn: Conn) -> Check | None:
            if owner is None:
                await conn.execute(q.DROP_WORK, {"key": key})
                return None
            cur = await conn.execute(q.FINISH_WORK, {"key": key, "owner": owner})
            return _expect_rows(cur, Conflict, f"work item {key} is not leased by {owner}")
        self.ops.append(op)

    def ensure_work(self, kind: str, key: str, available_at: float = 0.0) -> None:
        self._add(q.ENSURE_WORK, {"kind": kind, "key": key, "available_at": available_at})

    def park_work(self, key: str, owner: str) -> None:
        async def op(conn: Conn) -> None:
            cur = await conn.execute(q.PARK_WORK, {"key": key, "owner": owner,
                                                   "now": time.time(), "never": NEVER})
            if await cur.fetchone() is None:
                raise Conflict(f"work item {key} is not leased by {owner}")
        self.ops.append(op)

    def wake_work(self, key: str) -> None:
        self._add(q.WAKE_WORK, {"key": key, "now": time.time()})

    def delete_timers_of(self, execution_arn: str) -> None:
        self._add(q.DELETE_TIMERS_OF, {"execution_arn": execution_arn})

    def signal(self, topic: str) -> None:
        self._add(q.SIGNAL, {"topic": topic})


def _expect_rows(cur: Any, error: type[StoreError], message: str) -> Check:
    """A check that ``cur``'s statement changed a row (``error(message)`` otherwise)."""
    async def check() -> None:
        if cur.rowcount == 0:
            raise error(message)
    return check


def _many(statement: str, rows: list[dict[str, Any]]) -> Op:
    async def op(conn: Conn) -> None:
        if rows:
            async with conn.cursor() as cur:
                await cur.executemany(statement, rows)
    return op


async def _put_revision(conn: Conn, machine: StateMachineRecord) -> None:
    revision = RevisionRecord(
        machine_arn=machine.arn, revision_id=machine.revision_id,
        definition=machine.definition, role_arn=machine.role_arn,
        logging_configuration=machine.logging_configuration,
        tracing_configuration=machine.tracing_configuration,
        encryption_configuration=machine.encryption_configuration,
        update_date=machine.update_date)
    await conn.execute(q.UPSERT_REVISION, {"machine_arn": machine.arn,
                                           "revision_id": rev_key(machine.revision_id),
                                           "data": pack(revision)})


def _execution_params(e: ExecutionRecord) -> dict[str, Any]:
    return {"arn": e.arn, "machine_arn": e.machine_arn, "version_arn": e.version_arn,
            "alias_arn": e.alias_arn, "map_run_arn": e.map_run_arn, "status": e.status,
            "start_date": e.start_date, "redrive_count": e.redrive_count,
            "map_items": e.map_items, "data": pack(e)}


def _child_counts(rows: list[tuple]) -> dict[str, tuple[int, int]]:
    return {status: (int(executions), int(items)) for status, executions, items in rows}


def _work_item(row: tuple) -> WorkItem:
    item_id, kind, key, payload, available_at, attempts, owner, expires = row
    return WorkItem(item_id, kind, key, orjson.loads(payload), available_at, attempts,
                    owner, expires)


_Job = tuple[list[Op], "asyncio.Future[None]"]


async def _run(conn: Conn, group: list[list[Op]]) -> None:
    """Send every op of ``group`` in one transaction down the pipeline, wait for the
    results once, then run the ops' checks (any error rolls the transaction back)."""
    async with conn.pipeline() as pipeline, conn.transaction():
        checks = []
        for ops in group:
            for op in ops:
                check = await op(conn)
                if check is not None:
                    checks.append(check)
        await pipeline.sync()
        for check in checks:
            await check()


async def _apply_alone(conn: Conn, ops: list[Op]) -> BaseException | None:
    """Run one batch as its own transaction; the error that rolled it back, if any."""
    try:
        await _run(conn, [ops])
    except psycopg.OperationalError:
        raise  # the connection, not the batch: the caller fails the group
    except Exception as exc:  # noqa: BLE001 - handed to the batch's caller
        return _as_store_error(exc)
    return None


async def _apply_group(conn: Conn, group: list[list[Op]]) -> list[BaseException | None]:
    """Commit a group of batches in one transaction; the outcome of each.

    The statements of the whole group are pipelined (sent without waiting for one
    another's results: one round trip for the group, not one per statement). Batches
    rarely fail, so the group is first tried whole. If any batch fails (a lost lease,
    a duplicate key), that transaction rolls back and the batches are applied again one
    by one, in order, each as its own transaction, so a failing batch fails alone."""
    if len(group) > 1:
        try:
            await _run(conn, group)
            return [None] * len(group)
        except psycopg.OperationalError:
            raise  # the connection, not a batch: the caller fails the group
        except Exception:  # noqa: BLE001 - found again, batch by batch, below
            pass
    return [await _apply_alone(conn, ops) for ops in group]


def _as_store_error(exc: Exception) -> Exception:
    """A duplicate key is the contract's Conflict, whichever statement hit it."""
    if isinstance(exc, psycopg.errors.UniqueViolation):
        error = Conflict(str(exc).strip())
        error.__cause__ = exc
        return error
    return exc


# ----------------------------------------------------------------- migrations
async def migrate(conn: Conn, schema: str | None, *, apply: bool = True) -> int:
    """Bring the schema of ``conn``'s database (``schema``, or the current schema) to
    the latest version and return it.

    Everything happens in one transaction under an advisory lock, so two processes
    starting at once apply each migration once and never see a half-made schema. With
    ``apply=False`` nothing is written: a schema that is not at the latest version
    raises StoreError saying how to upgrade it. A schema written by a newer stepfn is
    always refused."""
    wanted = migrations()
    latest = len(wanted)
    async with conn.transaction():
        where = schema or await _scalar(conn, "SELECT current_schema()", {})
        if where is None:
            raise StoreError("no schema to create stepfn's tables in: the search_path "
                             "names no existing schema")
        if apply:
            await conn.execute(q.MIGRATION_LOCK, {"key": f"stepfn-migrate:{where}"})
            if schema:
                await conn.execute(pgsql.SQL(q.CREATE_SCHEMA).format(
                    schema=pgsql.Identifier(schema)))
            await conn.execute(q.SCHEMA_VERSION_TABLE)
        current = 0
        if await _scalar(conn, q.TABLE_EXISTS, {}):
            current = await _scalar(conn, q.CURRENT_VERSION, {})
        if current > latest:
            raise StoreError(f"the database schema is at version {current}, newer than "
                             f"this stepfn knows ({latest}): upgrade stepfn")
        if current < latest and not apply:
            raise StoreError(f"the database schema is at version {current}, this stepfn "
                             f"needs {latest}: run `stepfn db upgrade --db URL`")
        for number, _name, text in wanted[current:]:
            await conn.execute(text)
            await conn.execute(q.RECORD_VERSION, {"version": number})
    return latest


async def _scalar(conn: Conn, statement: str, params: dict[str, Any]) -> Any:
    cur = await conn.execute(statement, params)
    row = await cur.fetchone()
    return None if row is None else row[0]


# ----------------------------------------------------------------- the store
class PostgresStore(Store):
    """A Store in a PostgreSQL database, shared by any number of processes.

    ``url`` is a libpq connection URI (``postgresql://user@host:port/db``). ``schema``
    keeps stepfn's tables in that schema (created if missing) instead of the
    connection's current one. ``migrate=False`` leaves the schema alone at ``open``
    and refuses one that is not at the latest version (see ``stepfn db upgrade``).
    """

    events_across_processes = True  # every append NOTIFYs (postgres_sql.INSERT_CHUNKS)

    def __init__(self, url: str, *, schema: str | None = None, migrate: bool = True,
                 min_size: int = 1, max_size: int = 10, connect_timeout: float = 10.0,
                 application_name: str = "stepfn") -> None:
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ValueError(f"not a plain schema name: {schema!r}")
        self.url = url
        self.schema = schema
        self.migrate = migrate
        self.min_size = min_size
        self.max_size = max_size
        self.connect_timeout = connect_timeout
        self.application_name = application_name  # as pg_stat_activity shows it
        self._pool: Any = None
        self._version = 0
        self._jobs: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._write_conn: Any = None
        self._listener: asyncio.Task[None] | None = None
        self.listening = False  # True while the LISTEN connection is up

    # --- lifecycle
    def _connection_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"autocommit": True,
                                  "application_name": self.application_name}
        if self.schema:
            kwargs["options"] = f"-c search_path={self.schema}"
        return kwargs

    def for_another_loop(self) -> PostgresStore:
        """A pool and writer of their own: psycopg's belong to the loop that opened
        them. The schema is this store's to check or upgrade, not the twin's."""
        return PostgresStore(self.url, schema=self.schema, migrate=False,
                             min_size=self.min_size, max_size=self.max_size,
                             connect_timeout=self.connect_timeout,
                             application_name=self.application_name)

    async def open(self) -> None:
        """Check the schema (upgrading it unless ``migrate=False``), then open the pool."""
        if self._pool is not None:
            return
        if psycopg is None:
            raise StoreError("PostgreSQL support is not installed: "
                             "pip install 'stepfn[postgres]'")
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.url, connect_timeout=max(1, int(self.connect_timeout)),
                **self._connection_kwargs())
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {redact(self.url)}: "
                             f"{str(exc).strip()}") from exc
        try:
            self._version = await migrate(conn, self.schema, apply=self.migrate)
        except psycopg.Error as exc:  # rolled back whole: the schema is as it was
            raise StoreError(f"the schema migration failed, nothing was changed: "
                             f"{type(exc).__name__}: {str(exc).strip()}") from exc
        finally:
            await conn.close()
        pool = AsyncConnectionPool(self.url, kwargs=self._connection_kwargs(),
                                   min_size=self.min_size, max_size=self.max_size,
                                   timeout=self.connect_timeout, open=False,
                                   name="stepfn")
        await pool.open(wait=True, timeout=self.connect_timeout)
        self._pool = pool
        self._jobs = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="stepfn-pg-writer")
        if self._has_listeners():
            self._listening_changed()

    async def close(self) -> None:
        """Commit the batches already queued, then release every connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        writer, self._writer = self._writer, None
        if writer is not None:
            self._jobs.put_nowait(None)
            await writer
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def schema_version(self) -> int:
        """The schema version of the open database."""
        return self._version

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[Conn]:
        if self._pool is None:
            raise RuntimeError("store is not open")
        async with self._pool.connection() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """Collect writes; the writer commits them in one transaction on a clean exit."""
        unit = _PostgresBatch()
        yield unit
        if not unit.ops:
            return
        if self._writer is None:
            raise RuntimeError("store is not open")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait((unit.ops, future))
        await future

    # --- the writer
    async def _write_loop(self) -> None:
        """Commit queued batches, in order, a group at a time, until ``close``."""
        stopping = False
        while not stopping:
            jobs = [await self._jobs.get()]
            while len(jobs) < _MAX_GROUP and not self._jobs.empty():
                jobs.append(self._jobs.get_nowait())
            if None in jobs:
                stopping = True
            await self._commit_group([j for j in jobs if j is not None])
        if self._write_conn is not None:
            await self._write_conn.close()
            self._write_conn = None

    async def _commit_group(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        outcomes: list[BaseException | None] = []
        try:
            if self._write_conn is None or self._write_conn.closed:
                self._write_conn = await psycopg.AsyncConnection.connect(
                    self.url, **self._connection_kwargs())
            conn = self._write_conn
            outcomes = await _apply_group(conn, [ops for ops, _future in jobs])
        except Exception as exc:  # noqa: BLE001 - the commit itself failed: all fail
            if self._write_conn is not None and self._write_conn.broken:
                self._write_conn = None  # reconnect for the next group
            outcomes = [exc] * len(jobs)
        for (_ops, future), error in zip(jobs, outcomes, strict=True):
            if future.done():  # the caller was cancelled
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

    # --- read helpers
    async def _read(self, fn: Callable[[Conn], Awaitable[T]], *, retry: bool = True) -> T:
        """``fn(conn)`` on a pooled connection. A pooled connection may have died while
        idle (PostgreSQL restarted, a firewall cut it): a statement that fails because
        of that is run once more, after the pool has replaced its dead connections,
        unless ``retry`` is False (a claim, which may have happened before the answer
        was lost)."""
        conn: Conn = None
        try:
            async with self._conn() as conn:
                return await fn(conn)
        except psycopg.OperationalError:
            if not retry or conn is None or not conn.broken:
                raise
        # Its idle siblings likely died with it: have the pool test and replace them.
        if self._pool is not None:
            await self._pool.check()
        async with self._conn() as conn:
            return await fn(conn)

    async def _one(self, statement: str, params: dict[str, Any],
                   decode: Callable[[Any], Any], *, retry: bool = True) -> Any:
        async def read(conn: Conn) -> Any:
            return await (await conn.execute(statement, params)).fetchone()
        row = await self._read(read, retry=retry)
        return None if row is None or row[0] is None else decode(row[0])

    async def _rows(self, statement: str, params: dict[str, Any], *,
                    retry: bool = True) -> list[tuple]:
        async def read(conn: Conn) -> list[tuple]:
            return list(await (await conn.execute(statement, params)).fetchall())
        return await self._read(read, retry=retry)

    async def _page(self, statement: str, params: dict[str, Any], limit: int,
                    decode: Callable[[tuple], Any],
                    cursor_of: Callable[[Any], str]) -> Page:
        """Run a keyset query that fetches ``limit + 1`` rows to know if more exist."""
        rows = await self._rows(statement, {**params, "limit": limit + 1})
        items = [decode(r) for r in rows[:limit]]
        more = len(rows) > limit and items
        return Page(items, cursor_of(items[-1]) if more else None)

    # --- state machines, revisions, versions, aliases
    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        return await self._one(q.GET_MACHINE, {"arn": arn},
                               lambda b: unpack(StateMachineRecord, b))

    async def list_state_machines(self, limit: int,
                                  cursor: str | None = None) -> Page[StateMachineRecord]:
        return await self._page(q.LIST_MACHINES, {"after": cursor or ""}, limit,
                                lambda r: unpack(StateMachineRecord, r[0]),
                                lambda m: m.name)

    async def get_revision(self, machine_arn: str,
                           revision_id: str | None) -> RevisionRecord | None:
        return await self._one(q.GET_REVISION, {"machine_arn": machine_arn,
                                                "revision_id": rev_key(revision_id)},
                               lambda b: unpack(RevisionRecord, b))

    async def get_version(self, arn: str) -> VersionRecord | None:
        return await self._one(q.GET_VERSION, {"arn": arn},
                               lambda b: unpack(VersionRecord, b))

    async def list_versions(self, machine_arn: str, limit: int,
                            cursor: str | None = None) -> Page[VersionRecord]:
        below = int(cursor) if cursor else 2**31 - 1
        return await self._page(q.LIST_VERSIONS, {"machine_arn": machine_arn,
                                                  "below": below}, limit,
                                lambda r: unpack(VersionRecord, r[0]),
                                lambda v: str(v.version))

    async def next_version_number(self, machine_arn: str) -> int:
        counter = await self._one(q.VERSION_COUNTER, {"arn": machine_arn}, int)
        return (counter or 0) + 1

    async def get_alias(self, arn: str) -> AliasRecord | None:
        return await self._one(q.GET_ALIAS, {"arn": arn}, unpack_alias)

    async def list_aliases(self, machine_arn: str, limit: int,
                           cursor: str | None = None) -> Page[AliasRecord]:
        return await self._page(q.LIST_ALIASES, {"machine_arn": machine_arn,
                                                 "after": cursor or ""}, limit,
                                lambda r: unpack_alias(r[0]), lambda a: a.name)

    # --- tags and activities
    async def get_tags(self, resource_arn: str) -> dict[str, str]:
        return dict(await self._rows(q.GET_TAGS, {"resource_arn": resource_arn}))

    async def get_activity(self, arn: str) -> ActivityRecord | None:
        return await self._one(q.GET_ACTIVITY, {"arn": arn},
                               lambda b: unpack(ActivityRecord, b))

    async def list_activities(self, limit: int,
                              cursor: str | None = None) -> Page[ActivityRecord]:
        return await self._page(q.LIST_ACTIVITIES, {"after": cursor or ""}, limit,
                                lambda r: unpack(ActivityRecord, r[0]),
                                lambda a: a.name)

    async def claim_activity_task(self, activity_arn: str) -> ActivityTask | None:
        return await self._one(q.CLAIM_ACTIVITY_TASK, {"activity_arn": activity_arn},
                               lambda b: unpack(ActivityTask, b), retry=False)

    # --- executions and history
    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        return await self._one(q.GET_EXECUTION, {"arn": arn},
                               lambda b: unpack(ExecutionRecord, b))

    async def list_executions(self, *, machine_arn: str | None = None,
                              version_arn: str | None = None,
                              alias_arn: str | None = None,
                              map_run_arn: str | None = None,
                              status: str | None = None,
                              redriven: bool | None = None,
                              limit: int = 100,
                              cursor: str | None = None) -> Page[ExecutionRecord]:
        params: dict[str, Any] = {"machine_arn": machine_arn, "version_arn": version_arn,
                                  "alias_arn": alias_arn, "map_run_arn": map_run_arn,
                                  "status": status}
        filters = [q.EXECUTION_FILTERS[name] for name, value in params.items()
                   if value is not None]
        if redriven is not None:
            filters.append(q.EXECUTION_FILTERS["redriven" if redriven else "not_redriven"])
        if cursor:
            params["after_date"], params["after_arn"] = parse_exec_cursor(cursor)
            filters.append(q.EXECUTION_FILTERS["after"])
        statement = (q.LIST_EXECUTIONS + (" WHERE " + " AND ".join(filters) if filters
                                          else "") + q.LIST_EXECUTIONS_ORDER)
        return await self._page(statement, params, limit,
                                lambda r: unpack(ExecutionRecord, r[0]),
                                lambda e: exec_cursor(e.start_date, e.arn))

    async def get_history(self, execution_arn: str, *, limit: int = 1000,
                          cursor: str | None = None,
                          reverse: bool = False) -> Page[HistoryEvent]:
        if reverse:
            bound = int(cursor) if cursor else 2**31 - 1
            statement = q.HISTORY_REVERSE
        else:
            bound = int(cursor) if cursor else -1
            statement = q.HISTORY_FORWARD
        start = bound

        async def read(conn: Conn) -> list[HistoryEvent]:
            # Chunks a few at a time, until the page (and one event more) is full.
            items: list[HistoryEvent] = []
            after = start
            while len(items) <= limit:
                cur = await conn.execute(statement, {"execution_arn": execution_arn,
                                                     "bound": after,
                                                     "chunks": _HISTORY_CHUNKS})
                rows = await cur.fetchall()
                for last_id, first_id, data in rows:
                    events = chunk_events(data)
                    if reverse:
                        events.reverse()
                        items.extend(e for e in events if e.id < start)
                        after = first_id
                    else:
                        items.extend(e for e in events if e.id > start)
                        after = last_id
                if len(rows) < _HISTORY_CHUNKS:
                    break
            return items
        items = await self._read(read)
        more = len(items) > limit
        del items[limit:]
        return Page(items, str(items[-1].id) if more and items else None)

    async def load_executions(
            self, arns: Sequence[str]) -> dict[str, tuple[ExecutionRecord, list[HistoryEvent]]]:
        async def read(conn: Conn) -> tuple[list[tuple], list[tuple]]:
            params = {"arns": list(arns)}
            async with conn.pipeline():  # both statements in one round trip
                records = await conn.execute(q.GET_EXECUTIONS, params)
                chunks = await conn.execute(q.HISTORIES, params)
                return await records.fetchall(), await chunks.fetchall()
        if not arns:
            return {}
        records, chunks = await self._read(read)
        histories: dict[str, list[HistoryEvent]] = {}
        for arn, data in chunks:  # by ARN, then id
            histories.setdefault(arn, []).extend(chunk_events(data))
        return {arn: (unpack(ExecutionRecord, data), histories.get(arn, []))
                for arn, data in records}

    async def count_events(self, execution_arn: str) -> int:
        return await self._one(q.COUNT_EVENTS, {"execution_arn": execution_arn}, int)

    async def get_executions(self, arns: Sequence[str]) -> dict[str, ExecutionRecord]:
        if not arns:
            return {}
        rows = await self._rows(q.GET_EXECUTIONS, {"arns": list(arns)})
        return {arn: unpack(ExecutionRecord, data) for arn, data in rows}

    async def get_map_run(self, arn: str) -> MapRunRecord | None:
        async def read(conn: Conn) -> tuple[Any, list[tuple]]:
            params = {"arn": arn}
            async with conn.pipeline():  # the record and its counts in one round trip
                record = await conn.execute(q.GET_MAP_RUN, params)
                counts = await conn.execute(q.MAP_RUN_CHILD_COUNTS, params)
                return await record.fetchone(), await counts.fetchall()
        row, counts = await self._read(read)
        if row is None:
            return None
        return with_child_counts(unpack(MapRunRecord, row[0]), _child_counts(counts))

    async def count_map_run_children(self, map_run_arn: str) -> dict[str, tuple[int, int]]:
        # Folding is a write, but idempotent: run again after a lost answer, it folds
        # what is left and reads the same counts.
        return _child_counts(await self._rows(q.FOLD_MAP_RUN_CHILD_COUNTS,
                                              {"arn": map_run_arn}))

    async def list_map_runs(self, execution_arn: str, limit: int,
                            cursor: str | None = None) -> Page[MapRunRecord]:
        params: dict[str, Any] = {"execution_arn": execution_arn}
        statement = q.LIST_MAP_RUNS
        if cursor:
            params["after_date"], params["after_arn"] = parse_exec_cursor(cursor)
            statement = q.LIST_MAP_RUNS_AFTER
        return await self._page(statement, params, limit,
                                lambda r: unpack(MapRunRecord, r[0]),
                                lambda m: exec_cursor(m.start_date, m.arn))

    # --- timers and task tokens
    async def count_due_timers(self, now: float) -> int:
        return await self._one(q.COUNT_DUE_TIMERS, {"now": now}, int)

    async def get_task_token(self, token: str) -> TaskTokenRecord | None:
        return await self._one(q.GET_TASK_TOKEN, {"token": token},
                               lambda b: unpack(TaskTokenRecord, b))

    async def get_or_create_secret(self, name: str, candidate: bytes) -> bytes:
        async def write(conn: Conn) -> bytes:
            async with conn.transaction():
                await conn.execute(q.INSERT_SECRET, {"name": name, "value": candidate})
                row = await (await conn.execute(q.GET_SECRET, {"name": name})).fetchone()
                return bytes(row[0])
        return await self._read(write)

    async def fleet_members(self, now: float) -> list[FleetMember]:
        async def read(conn: Conn) -> list[FleetMember]:
            rows = await (await conn.execute(q.FLEET_MEMBERS, {"now": now})).fetchall()
            return [FleetMember(*row) for row in rows]
        return await self._read(read)

    async def join_fleet(self, member: FleetMember, now: float) -> list[FleetMember]:
        async def join(conn: Conn) -> list[FleetMember]:
            async with conn.transaction():
                await conn.execute(q.LOCK_FLEET)
                await conn.execute(q.FORGET_LAPSED_MEMBERS, {"now": now})
                rows = await (await conn.execute(
                    q.DIFFERING_MEMBERS, dataclasses.asdict(member))).fetchall()
                if not rows:
                    await conn.execute(q.UPSERT_FLEET_MEMBER, dataclasses.asdict(member))
                return [FleetMember(*row) for row in rows]
        return await self._read(join)

    async def renew_fleet_member(self, member: FleetMember) -> None:
        async def renew(conn: Conn) -> None:
            async with conn.transaction():
                await conn.execute(q.RENEW_FLEET_MEMBER, dataclasses.asdict(member))
        await self._read(renew)

    async def leave_fleet(self, owner: str) -> None:
        async def leave(conn: Conn) -> None:
            async with conn.transaction():
                await conn.execute(q.LEAVE_FLEET, {"owner": owner})
        await self._read(leave)

    async def heartbeat_task_token(self, token: str, deadline: float | None) -> bool:
        async def write(conn: Conn) -> bool:
            async with conn.transaction():
                row = await (await conn.execute(q.LOCK_TASK_TOKEN,
                                                {"token": token})).fetchone()
                if row is None:
                    return False
                record = dataclasses.replace(unpack(TaskTokenRecord, row[0]),
                                             heartbeat_deadline=deadline)
                await conn.execute(q.HEARTBEAT_TASK_TOKEN, {"token": token,
                                                            "deadline": deadline,
                                                            "data": pack(record)})
                return True
        return await self._read(write)  # setting a deadline twice is harmless

    # --- work queue
    async def claim_work(self, owner: str, lease_seconds: float, *, limit: int = 10,
                         kinds: Sequence[str] | None = None,
                         now: float | None = None) -> list[WorkItem]:
        at = time.time() if now is None else now
        rows = await self._rows(q.CLAIM_WORK, {
            "now": at, "expires": at + lease_seconds, "owner": owner, "limit": limit,
            "kinds": list(kinds) if kinds else None}, retry=False)
        items = [_work_item(r) for r in rows]
        items.sort(key=lambda i: (i.available_at, i.id))
        return items

    async def release_work(self, item_id: int, owner: str,
                           available_at: float | None = None) -> bool:
        at = time.time() if available_at is None else available_at
        async with self._conn() as conn:
            cur = await conn.execute(q.RELEASE_WORK, {"id": item_id, "owner": owner,
                                                      "available_at": at})
            return cur.rowcount > 0

    async def renew_leases_of(self, owner: str, lease_seconds: float) -> list[str]:
        rows = await self._rows(q.RENEW_LEASES_OF, {"owner": owner,
                                                    "expires": time.time() + lease_seconds})
        return [r[0] for r in rows]

    async def release_leases_of(self, owner: str, keys: Sequence[str] | None = None) -> int:
        async with self._conn() as conn:
            cur = await conn.execute(q.RELEASE_LEASES_OF, {
                "owner": owner, "now": time.time(),
                "keys": None if keys is None else list(keys)})
            row = await cur.fetchone()
            return int(row[0]) if row else 0

    async def lease_owners(self) -> list[str]:
        return [r[0] for r in await self._rows(q.LEASE_OWNERS, {})]

    async def count_work(self, now: float) -> dict[str, int]:
        rows = await self._rows(q.COUNT_WORK, {"now": now})
        leased, available, waiting = rows[0]
        return {"leased": leased, "available": available, "waiting": waiting}

    # --- LISTEN
    def _listening_changed(self) -> None:
        if self._pool is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen_loop(),
                                                 name="stepfn-pg-listen")

    async def _listen_loop(self) -> None:
        """One connection LISTENing on the work, events and signal channels, for as
        long as the store is open; reconnects (backing off up to 5 s) when it is lost.
        After each (re)connect every work listener is told to claim now, and every
        signal listener to look at everything: notifications sent while it was down
        are gone, and polling would only find what they told later."""
        delay = 0.2
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.url, connect_timeout=max(1, int(self.connect_timeout)),
                    **self._connection_kwargs())
                async with conn:
                    schema = await _scalar(conn, q.CURRENT_SCHEMA, {})
                    for channel in (q.WORK_CHANNEL, q.EVENTS_CHANNEL, q.SIGNAL_CHANNEL):
                        await conn.execute(pgsql.SQL(q.LISTEN).format(
                            channel=pgsql.Identifier(channel)))
                    delay = 0.2
                    self.listening = True
                    self._signal("work", time.time())
                    self._signal("signal", None)
                    async for note in conn.notifies():
                        self._dispatch(schema, note.channel, note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect; polling covers the gap
                log.warning("PostgreSQL LISTEN connection lost (%s: %s); reconnecting "
                            "in %.1f s", type(exc).__name__, str(exc).strip(), delay)
            finally:
                self.listening = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _dispatch(self, schema: str, channel: str, payload: str) -> None:
        """Hand one notification of this store's schema to its listeners."""
        parts = payload.split(" ", 3)
        if not parts or parts[0] != schema:
            return  # another stepfn schema in the same database
        try:
            if channel == q.SIGNAL_CHANNEL:
                topic = payload[len(schema) + 1:]  # may hold spaces
                if topic:
                    self._signal("signal", topic)
            elif channel == q.WORK_CHANNEL and len(parts) == 2:
                self._signal("work", float(parts[1]))
            elif channel == q.EVENTS_CHANNEL and len(parts) == 4:
                self._signal("events", parts[3], int(parts[1]), int(parts[2]))
        except ValueError:
            log.warning("unreadable %s notification: %r", channel, payload)
