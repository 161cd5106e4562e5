"""Distributed Map runs kept in the store: the ``engine.map_run.MapRunHost`` of one
durable execution.

The Map Run's record (DescribeMapRun, ListMapRuns) is written when the run starts, once
its totals are known and when it ends, with what its children run (the item processor
as a definition, and the role). Its live counts are the store's: the store counts a Map
Run's children by status in the transactions that change them (``Store.
count_map_run_children``), so nothing here recounts children. UpdateMapRun writes the
record's settings; the run reads them back (``settings``) and every write here keeps
them, so a change made while the run goes on takes effect.

A STANDARD child is an execution of its own: its record (``mapRunArn`` and parent set,
so ListExecutions by ``mapRunArn`` and DescribeExecution find it) goes in with a work
item, and any worker claims it, runs it under its own lease and resumes it by replay if
its worker dies, as any execution (design.md §4). The parent stores children a batch at
a time, under its own lease (a parent that lost it stores nothing), and only while
fewer than MaxConcurrency run, which bounds them across the fleet. A child's end tells
the parent at once (``Batch.signal``: NOTIFY on PostgreSQL, in-process on SQLite);
reading the counts now and then (``engine.map_run``) is what correctness rests on.
EXPRESS children run in the parent's process (``child_started`` / ``child_ended`` store
their records and histories).

A store that fails for a while (a pool timeout, a lost connection) does not fail the
Map Run: every call here is tried again, backing off, until the store answers or the
parent is stopped or handed over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from .. import jsonutil
from ..engine.history import Event
from ..engine.map_run import ChildCounts, ChildExecution, MapRunView
from ..store.base import (
    Conflict,
    ExecutionRecord,
    HistoryEvent,
    MapRunRecord,
    NotFound,
    StoreError,
)

if TYPE_CHECKING:
    from .runner import ExecutionRunner

log = logging.getLogger("stepfn.service")

T = TypeVar("T")
_UNSUCCESSFUL = ("FAILED", "TIMED_OUT", "ABORTED")
_RETRY_FIRST_SECONDS = 0.05  # the first back-off after a store error, doubled up to
_RETRY_MAX_SECONDS = 5.0
_ABORTS_AT_ONCE = 8  # children aborted concurrently (each a few store calls)
_ABORT_PAGE = 200
_CHILD_ENDED = "map-run-child "  # + the Map Run's ARN: a signal topic


def child_ended_topic(map_run_arn: str) -> str:
    """The ``Batch.signal`` topic a Map Run child's end sends, for its parent."""
    return _CHILD_ENDED + map_run_arn


def transient(exc: BaseException) -> bool:
    """Whether a store call that raised ``exc`` may succeed if made again: the database
    away, busy or slow (a pool timeout, a lost connection), never a Conflict or a
    NotFound (what is stored says no)."""
    if isinstance(exc, (Conflict, NotFound)):
        return False
    if isinstance(exc, (StoreError, OSError, TimeoutError, sqlite3.OperationalError)):
        return True
    # psycopg's OperationalError and psycopg_pool's PoolTimeout, without importing them
    # (PostgreSQL support is optional).
    return type(exc).__module__.split(".")[0] in ("psycopg", "psycopg_pool")


class StoredMapRuns:
    """The Map Runs of one durable execution, kept in the store."""

    remote = True  # STANDARD children run as executions of their own

    def __init__(self, runner: ExecutionRunner, entry: Any) -> None:
        self.runner = runner
        self.store = runner.store
        self.feed = runner.feed
        self.entry = entry  # the parent's _Running: nothing is written once it is dropped
        # Map Run ARN -> set when one of its children may have ended
        self._ended: dict[str, asyncio.Event] = {}
        self._unlisten: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _check(self) -> None:
        if self.entry.dropped:
            from .runner import _Dropped  # a cancellation: the interpreter unwinds

            raise _Dropped()

    def _lost_lease(self) -> BaseException:
        """The parent's lease is another process's: stop writing, let it resume there."""
        from .runner import _Dropped

        log.warning("lost the lease of %s while running its Map Run; another process "
                    "resumes it", self.entry.record.arn)
        self.runner.drop(self.entry)
        return _Dropped()

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call()``, tried again while the store fails transiently (backing off)."""
        delay = _RETRY_FIRST_SECONDS
        while True:
            self._check()
            try:
                return await call()
            except Exception as exc:
                if not transient(exc):
                    raise
                log.warning("Map Run of %s: %s failed (%s: %s); trying again in %.2f s",
                            self.entry.record.arn, what, type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_MAX_SECONDS)

    # -- the Map Run's record -------------------------------------------------------------
    async def _record(self, view: MapRunView) -> MapRunRecord:
        """The record for ``view``, keeping the settings UpdateMapRun may have written."""
        stored = await self.store.get_map_run(view.arn)
        record = MapRunRecord(
            arn=view.arn, execution_arn=view.execution_arn, status=view.status,
            start_date=view.start, max_concurrency=view.max_concurrency,
            tolerated_failure_percentage=float(view.tolerated_percentage or 0.0),
            tolerated_failure_count=int(view.tolerated_count or 0),
            item_counts=dict(view.item_counts), execution_counts=dict(view.execution_counts),
            stop_date=view.stop, definition=view.definition, role_arn=view.role_arn,
            redrive_count=view.redrive_count, redrive_date=view.redrive_date)
        if stored is not None:
            record = replace(record, start_date=stored.start_date,
                             max_concurrency=stored.max_concurrency,
                             tolerated_failure_percentage=stored.tolerated_failure_percentage,
                             tolerated_failure_count=stored.tolerated_failure_count)
        return record

    async def _write_record(self, view: MapRunView, what: str) -> None:
        async def write() -> None:
            record = await self._record(view)
            async with self.store.batch() as tx:
                tx.put_map_run(record)
        await self._retrying(what, write)

    async def map_run_started(self, run: MapRunView) -> None:
        self._listen()
        await self._write_record(run, "storing the Map Run")

    async def settings(self, run: MapRunView) -> tuple[int, int | None, float | None] | None:
        stored = await self._retrying("reading the Map Run's settings",
                                      lambda: self.store.get_map_run(run.arn))
        if stored is None:
            return None
        return (stored.max_concurrency, stored.tolerated_failure_count,
                stored.tolerated_failure_percentage)

    async def map_run_ended(self, run: MapRunView) -> None:
        self._unlisten_now()
        await self._write_record(run, "storing the Map Run's end")

    # -- stored (STANDARD) children -------------------------------------------------------
    async def child_counts(self, run: MapRunView) -> ChildCounts:
        return await self._retrying("reading the children's counts",
                                    lambda: self.store.count_map_run_children(run.arn))

    async def start_children(self, run: MapRunView,
                             children: Sequence[ChildExecution]) -> None:
        """Store new children with their work items, fenced by the parent's lease (a
        write tried again after a lost answer finds them stored and leaves them)."""
        from .runner import EXECUTION

        now = self.runner.clock.now()
        records = [_child_record(run, c, now) for c in children]
        owner = self.runner.lease.owner

        async def write() -> None:
            async with self.store.batch() as tx:
                tx.check_lease(run.execution_arn, owner)
                tx.put_executions(records, work_kind=EXECUTION)
        try:
            await self._retrying("storing children", write)
        except Conflict:
            raise self._lost_lease() from None
        if self.runner.wake_scheduler is not None:  # this process may claim them now
            self.runner.wake_scheduler()

    async def unsuccessful_children(self, run: MapRunView) -> list[ChildExecution]:
        found: list[ChildExecution] = []
        for status in _UNSUCCESSFUL:
            cursor = None
            while True:
                page = await self._retrying(
                    "listing the children to redrive",
                    lambda s=status, c=cursor: self.store.list_executions(  # type: ignore
                        map_run_arn=run.arn, status=s, limit=1000, cursor=c))
                found.extend(_child_of(r) for r in page.items
                             if (r.map_items is None or r.map_items > 0)
                             and (r.stop_date or 0.0) < (run.redrive_date or 0.0))
                cursor = page.next_cursor
                if not cursor:
                    break
        return found

    async def redrive_children(self, run: MapRunView,
                               children: Sequence[ChildExecution]) -> None:
        """Redrive children that ended unsuccessfully, as RedriveExecution does (AWS
        redrives a redriven Map Run's STANDARD children): ExecutionRedriven in each
        history, its redriveCount raised, and a work item any worker claims to run it on
        from the state that failed (``runner.events_of_redriven_attempt``)."""
        from .runner import EXECUTION

        owner = self.runner.lease.owner
        written: list[tuple[str, HistoryEvent]] = []

        async def write() -> None:
            written.clear()
            stored = await self.store.get_executions([c.arn for c in children])
            now = self.runner.clock.now()
            redriven = []
            for child in children:
                record = stored.get(child.arn)
                if record is None or record.status not in _UNSUCCESSFUL:
                    continue  # redriven already (an answer was lost), or gone
                count = await self.store.count_events(record.arn)
                redrive_count = record.redrive_count + 1
                event = HistoryEvent(count + 1, count, now, "ExecutionRedriven",
                                     {"redriveCount": redrive_count})
                redriven.append((replace(
                    record, status="RUNNING", stop_date=None, output=None, error=None,
                    cause=None, redrive_count=redrive_count, redrive_date=now,
                    redrive_status=None), event))
            async with self.store.batch() as tx:
                tx.check_lease(run.execution_arn, owner)
                for record, event in redriven:
                    tx.append_events(record.arn, [event])
                    tx.update_execution(record)
                    tx.ensure_work(EXECUTION, record.arn)
            written[:] = [(record.arn, event) for record, event in redriven]
        try:
            await self._retrying("redriving children", write)
        except Conflict:
            raise self._lost_lease() from None
        for arn, event in written:
            self.feed.publish(arn, [event])
        if self.runner.wake_scheduler is not None:
            self.runner.wake_scheduler()

    async def wait_for_children(self, run: MapRunView, timeout: float) -> None:
        self._check()
        ended = self._ended.setdefault(run.arn, asyncio.Event())
        parent = self.entry.record.arn
        self.runner.waiting_for_children.add(parent)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), timeout)
        finally:
            self.runner.waiting_for_children.discard(parent)
            ended.clear()  # ends from now on wake the next wait

    async def abort_children(self, run: MapRunView) -> None:
        """Abort the children still running, a page at a time (those that end meanwhile
        stay as they ended)."""
        self._check()
        gate = asyncio.Semaphore(_ABORTS_AT_ONCE)

        async def abort(record: ExecutionRecord) -> None:
            async with gate:
                ended = replace(record, status="ABORTED", stop_date=self.runner.clock.now(),
                                redrive_status="REDRIVABLE")
                try:
                    await self._retrying("aborting a child",
                                         lambda: self.runner.abort(ended, None))
                except Conflict:  # its holder kept committing: it ends as it ends
                    log.warning("could not abort %s", record.arn)
                    return
                self.runner.notify_end(ended)
        tried: set[str] = set()
        while True:
            page = await self._retrying(
                "listing the running children",
                lambda: self.store.list_executions(map_run_arn=run.arn, status="RUNNING",
                                                   limit=_ABORT_PAGE))
            fresh = [r for r in page.items if r.arn not in tried]
            if not fresh:  # none left, or only some whose abort lost to their holder
                return
            tried.update(r.arn for r in fresh)
            await asyncio.gather(*(abort(r) for r in fresh))

    async def read_children(self, run: MapRunView,
                            children: Sequence[ChildExecution]) -> None:
        stored = await self._retrying(
            "reading the children's results",
            lambda: self.store.get_executions([c.arn for c in children]))
        for child in children:
            record = stored.get(child.arn)
            if record is not None:
                _fill(child, record)

    # -- wake-ups ---------------------------------------------------------------------------
    def _listen(self) -> None:
        if self._unlisten is None:
            self._loop = asyncio.get_running_loop()
            self._unlisten = self.store.on_signal(self._signalled)

    def _unlisten_now(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None

    def _signalled(self, topic: str | None) -> None:
        """``store.on_signal``: a child of a Map Run waited for here may have ended (or,
        for None, signals may have been missed). Called on the loop of whoever
        committed: hops to this one."""
        loop = self._loop
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is not None and here is not loop:
            with contextlib.suppress(RuntimeError):  # closed: nothing waits any more
                loop.call_soon_threadsafe(self._signalled, topic)
            return
        if topic is None:
            for ended in self._ended.values():
                ended.set()
        elif topic.startswith(_CHILD_ENDED):
            waiting = self._ended.get(topic[len(_CHILD_ENDED):])
            if waiting is not None:
                waiting.set()

    # -- children in the parent's process (EXPRESS) ----------------------------------------
    async def recorded_children(self, run: MapRunView) -> dict[str, ChildExecution]:
        out: dict[str, ChildExecution] = {}
        cursor = None
        while True:
            page = await self._retrying(
                "listing the children",
                lambda c=cursor: self.store.list_executions(  # type: ignore[misc]
                    map_run_arn=run.arn, limit=1000, cursor=c))
            for record in page.items:
                out[record.arn] = _child_of(record)
            cursor = page.next_cursor
            if not cursor:
                return out

    async def child_started(self, run: MapRunView, child: ChildExecution) -> None:
        self._check()
        record = _child_record(run, child, child.start or run.start)

        async def write() -> None:
            existing = await self.store.get_execution(child.arn)
            async with self.store.batch() as tx:
                if existing is None:
                    tx.put_execution(record)
                else:  # run again after the parent resumed
                    tx.update_execution(record)
        await self._retrying("storing a child", write)

    async def child_ended(self, run: MapRunView, child: ChildExecution,
                          events: list[Event]) -> None:
        self._check()
        stored_events = [_to_store(e) for e in events]
        published = False

        async def write() -> None:
            nonlocal published
            record = await self.store.get_execution(child.arn)
            if record is None:
                return
            record = replace(record, status=child.status, stop_date=child.stop,
                             output=child.output_text, error=child.error, cause=child.cause)
            fresh = await self.store.count_events(child.arn) == 0
            async with self.store.batch() as tx:
                tx.update_execution(record)
                if fresh:
                    tx.append_events(child.arn, stored_events)
            published = fresh
        await self._retrying("storing a child's end", write)
        if published:
            self.feed.publish(child.arn, events, _to_store)

    async def child_replaced(self, run: MapRunView, child: ChildExecution) -> None:
        async def write() -> None:
            record = await self.store.get_execution(child.arn)
            if record is None or record.map_items == 0:
                return
            async with self.store.batch() as tx:
                tx.update_execution(replace(record, map_items=0))
        await self._retrying("replacing a child", write)


def _child_record(run: MapRunView, child: ChildExecution, start: float) -> ExecutionRecord:
    """A new child execution's record, RUNNING."""
    label = run.arn.rsplit(":", 1)[0].rpartition("/")[2]
    return ExecutionRecord(
        arn=child.arn, machine_arn=child.machine_arn, name=child.name, status="RUNNING",
        start_date=start, input=child.input_text, type=run.execution_type,
        parent_arn=run.execution_arn, map_run_arn=run.arn, state_machine_label=label,
        map_items=child.items)


def _child_of(record: ExecutionRecord) -> ChildExecution:
    """A stored child execution as the Map Run knows it (its index is set later)."""
    child = ChildExecution(index=-1, arn=record.arn, name=record.name,
                           machine_arn=record.machine_arn, input_text="")
    _fill(child, record)
    return child


def _fill(child: ChildExecution, record: ExecutionRecord) -> None:
    """``child`` as its stored record says it is."""
    child.input_text = record.input or "{}"
    child.items = record.map_items or child.items
    child.status, child.start, child.stop = record.status, record.start_date, record.stop_date
    child.output_text = record.output
    child.output = jsonutil.loads(record.output) if record.output is not None else None
    child.error, child.cause = record.error, record.cause


def _to_store(event: Event) -> HistoryEvent:
    return HistoryEvent(*event)  # details are rendered when read (see HistoryEvent)


