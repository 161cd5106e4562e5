"""Distributed Map runs kept in the store: the ``engine.map_run.MapRunHost`` of one
durable execution.

The Map Run's record (DescribeMapRun, ListMapRuns) is rewritten with live counts each
time a child starts or ends, together with what its children run (the item processor as
a definition, and the role). UpdateMapRun writes the record's settings; the run reads
them back (``settings``) and every write here keeps them, so a change made while the run
goes on takes effect.

A STANDARD child is an execution of its own: its record (``mapRunArn`` and parent set,
so ListExecutions by ``mapRunArn`` and DescribeExecution find it) goes in with a work
item in one transaction, and any worker claims it, runs it under its own lease and
resumes it by replay if its worker dies, as any execution (design.md §4). The parent
starts at most MaxConcurrency of them at a time, which bounds them across the fleet, and
waits for their ends. A parent resumed after a crash finds its children by their names
(derived from the Map Run ARN and the index): ended ones are not run again, running ones
are waited for. EXPRESS children run in the parent's process (``child_started`` /
``child_ended`` store their records and histories).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import jsonutil
from ..engine.history import Event
from ..engine.map_run import ChildExecution, MapRunView
from ..store.base import ExecutionRecord, HistoryEvent, MapRunRecord

if TYPE_CHECKING:
    from .runner import ExecutionRunner

_POLL_SECONDS = 1.0  # how often children running in other processes are looked at
_UNSUCCESSFUL = ("FAILED", "TIMED_OUT", "ABORTED")


class StoredMapRuns:
    """The Map Runs of one durable execution, kept in the store."""

    remote = True  # STANDARD children run as executions of their own

    def __init__(self, runner: ExecutionRunner, entry: Any) -> None:
        self.runner = runner
        self.store = runner.store
        self.feed = runner.feed
        self.entry = entry  # the parent's _Running: nothing is written once it is dropped
        # Map Run ARN -> the children waited for (ARN -> future), and their poller
        self._waiting: dict[str, dict[str, asyncio.Future]] = {}
        self._pollers: dict[str, asyncio.Task] = {}

    def _check(self) -> None:
        if self.entry.dropped:
            from .runner import _Dropped  # a cancellation: the interpreter unwinds

            raise _Dropped()

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

    async def map_run_started(self, run: MapRunView) -> None:
        self._check()
        record = await self._record(run)
        async with self.store.batch() as tx:
            tx.put_map_run(record)

    async def recorded_children(self, run: MapRunView) -> dict[str, ChildExecution]:
        out: dict[str, ChildExecution] = {}
        cursor = None
        while True:
            page = await self.store.list_executions(map_run_arn=run.arn, limit=1000,
                                                    cursor=cursor)
            for record in page.items:
                out[record.arn] = _child_of(record)
            cursor = page.next_cursor
            if not cursor:
                return out

    async def run_child(self, run: MapRunView, child: ChildExecution) -> None:
        from .runner import EXECUTION

        self._check()
        record = await self.store.get_execution(child.arn)
        if child.redrive and record is not None and record.status in _UNSUCCESSFUL:
            record = await self._redrive_child(run, record)
        elif record is None:
            record = _child_record(run, child)
            map_run = await self._record(run)
            async with self.store.batch() as tx:
                tx.put_execution(record)
                tx.ensure_work(EXECUTION, child.arn)  # any worker may claim it
                tx.put_map_run(map_run)
            if self.runner.wake_scheduler is not None:  # this worker may claim it now
                self.runner.wake_scheduler()
        finished = record if record.status != "RUNNING" else await self._wait(run, child.arn)
        child.status, child.error, child.cause = finished.status, finished.error, finished.cause
        child.start, child.stop = finished.start_date, finished.stop_date
        child.output_text = finished.output
        child.output = jsonutil.loads(finished.output) if finished.output else None

    async def _redrive_child(self, run: MapRunView, record: ExecutionRecord) -> ExecutionRecord:
        """Redrive a child that ended unsuccessfully, as RedriveExecution does (AWS
        redrives a redriven Map Run's STANDARD children): ExecutionRedriven in its
        history, its redriveCount raised, and it runs on here from the state that failed,
        under this process's lease."""
        from .runner import EXECUTION, events_before_failed_state

        now = self.runner.clock.now()
        count = await self.store.count_events(record.arn)
        redrive_count = record.redrive_count + 1
        redriven = HistoryEvent(count + 1, count, now, "ExecutionRedriven",
                                {"redriveCount": redrive_count})
        record = replace(record, status="RUNNING", stop_date=None, output=None, error=None,
                         cause=None, redrive_count=redrive_count, redrive_date=now,
                         redrive_status=None)
        lease = self.runner.lease
        map_run = await self._record(run)
        async with self.store.batch() as tx:
            tx.append_events(record.arn, [redriven])
            tx.update_execution(record)
            tx.lease_work(EXECUTION, record.arn, lease.owner, time.time() + lease.seconds)
            tx.put_map_run(map_run)
        self.feed.publish(record.arn, [redriven])
        await self.runner.resume(record, replay_filter=events_before_failed_state)
        return record

    async def _wait(self, run: MapRunView, arn: str) -> ExecutionRecord:
        """The child's record once it has ended: at once when it ends in this process,
        else found by one poll of the Map Run's children a second (not one per child:
        a Map Run may wait for thousands)."""
        future = self.runner.end_future(arn)
        self._waiting.setdefault(run.arn, {})[arn] = future
        poller = self._pollers.get(run.arn)
        if poller is None or poller.done():
            self._pollers[run.arn] = asyncio.ensure_future(self._poll(run.arn))
        try:
            return await asyncio.shield(future)
        finally:
            waiting = self._waiting.get(run.arn, {})
            waiting.pop(arn, None)
            if not waiting:  # nothing left to watch: no poller outlives its waits
                self._waiting.pop(run.arn, None)
                task = self._pollers.pop(run.arn, None)
                if task is not None:
                    task.cancel()

    async def _poll(self, run_arn: str) -> None:
        """Resolve the waits of children that ended in other processes."""
        while self._waiting.get(run_arn):
            await asyncio.sleep(_POLL_SECONDS)
            waiting = self._waiting.get(run_arn) or {}
            cursor = None
            while waiting:
                try:
                    page = await self.store.list_executions(map_run_arn=run_arn, limit=1000,
                                                            cursor=cursor)
                except Exception:  # noqa: BLE001 - transient: the next round asks again
                    break
                for record in page.items:
                    future = waiting.get(record.arn)
                    if future is not None and record.status != "RUNNING" and not future.done():
                        future.set_result(record)
                cursor = page.next_cursor
                if not cursor:
                    break

    async def abort_child(self, run: MapRunView, child: ChildExecution) -> None:
        self._check()
        record = await self.store.get_execution(child.arn)
        if record is None or record.status != "RUNNING":
            return
        await self.runner.abort(replace(record, status="ABORTED", stop_date=child.stop,
                                        redrive_status="REDRIVABLE"), None)
        self.runner.notify_end(replace(record, status="ABORTED", stop_date=child.stop))

    async def child_started(self, run: MapRunView, child: ChildExecution) -> None:
        self._check()
        record = _child_record(run, child)
        existing = await self.store.get_execution(child.arn)
        map_run = await self._record(run)
        async with self.store.batch() as tx:
            if existing is None:
                tx.put_execution(record)
            else:  # run again after the parent resumed
                tx.update_execution(record)
            tx.put_map_run(map_run)

    async def child_ended(self, run: MapRunView, child: ChildExecution,
                          events: list[Event]) -> None:
        self._check()
        record = await self.store.get_execution(child.arn)
        if record is None:
            return
        record = replace(record, status=child.status, stop_date=child.stop,
                         output=child.output_text, error=child.error, cause=child.cause)
        stored_events = [_to_store(e) for e in events]
        fresh = await self.store.count_events(child.arn) == 0
        map_run = await self._record(run)
        async with self.store.batch() as tx:
            tx.update_execution(record)
            if fresh:
                tx.append_events(child.arn, stored_events)
            tx.put_map_run(map_run)
        if fresh:
            self.feed.publish(child.arn, events, _to_store)

    async def settings(self, run: MapRunView) -> tuple[int, int | None, float | None] | None:
        stored = await self.store.get_map_run(run.arn)
        if stored is None:
            return None
        return (stored.max_concurrency, stored.tolerated_failure_count,
                stored.tolerated_failure_percentage)

    async def map_run_ended(self, run: MapRunView) -> None:
        self._check()
        record = await self._record(run)
        async with self.store.batch() as tx:
            tx.put_map_run(record)


def _child_record(run: MapRunView, child: ChildExecution) -> ExecutionRecord:
    """A new child execution's record, RUNNING."""
    label = run.arn.rsplit(":", 1)[0].rpartition("/")[2]
    return ExecutionRecord(
        arn=child.arn, machine_arn=child.machine_arn, name=child.name, status="RUNNING",
        start_date=child.start or run.start, input=child.input_text,
        type=run.execution_type, parent_arn=run.execution_arn, map_run_arn=run.arn,
        state_machine_label=label)


def _child_of(record: ExecutionRecord) -> ChildExecution:
    """A stored child execution as the Map Run knows it (its index is set later)."""
    output = jsonutil.loads(record.output) if record.output is not None else None
    return ChildExecution(
        index=-1, arn=record.arn, name=record.name, machine_arn=record.machine_arn,
        input_text=record.input or "{}", status=record.status, start=record.start_date,
        stop=record.stop_date, output=output, output_text=record.output,
        error=record.error, cause=record.cause)


def _to_store(event: Event) -> HistoryEvent:
    return HistoryEvent(*event)  # details are rendered when read (see HistoryEvent)
