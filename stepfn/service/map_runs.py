"""Distributed Map runs kept in the store: the ``engine.map_run.MapRunHost`` of one
durable execution.

The Map Run's record (DescribeMapRun, ListMapRuns) is rewritten with live counts each
time a child starts or ends; each child execution gets a record of its own (its
``mapRunArn`` and parent set, so ListExecutions with ``mapRunArn`` and DescribeExecution
find it) and, when it ends, its history. UpdateMapRun writes the record's settings; the
run reads them back (``settings``) and every write here keeps them, so a change made
while the run goes on takes effect.

Children run inside their parent's process under the parent's lease: they never get a
lease of their own, and start-up does not adopt them (a parent resumed after a crash
finds the children that ended and runs the others again).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import jsonutil
from ..engine.history import Event, render_details
from ..engine.map_run import ChildExecution, MapRunView
from ..store.base import ExecutionRecord, HistoryEvent, MapRunRecord

if TYPE_CHECKING:
    from .executions import ExecutionManager


class StoredMapRuns:
    """The Map Runs of one durable execution, kept in the store."""

    def __init__(self, manager: ExecutionManager, entry: Any) -> None:
        self.manager = manager
        self.store = manager.store
        self.entry = entry  # the parent's _Running: nothing is written once it is dropped

    def _check(self) -> None:
        if self.entry.dropped:
            from .executions import _Dropped

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
            stop_date=view.stop)
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

    async def child_started(self, run: MapRunView, child: ChildExecution) -> None:
        self._check()
        label = run.arn.rsplit(":", 1)[0].rpartition("/")[2]
        record = ExecutionRecord(
            arn=child.arn, machine_arn=child.machine_arn, name=child.name, status="RUNNING",
            start_date=child.start or run.start, input=child.input_text,
            type=run.execution_type, parent_arn=run.execution_arn, map_run_arn=run.arn,
            state_machine_label=label)
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
            self.manager.feed.publish(child.arn, events, _to_store)

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


def _child_of(record: ExecutionRecord) -> ChildExecution:
    """A stored child execution as the Map Run knows it (its index is set later)."""
    output = jsonutil.loads(record.output) if record.output is not None else None
    return ChildExecution(
        index=-1, arn=record.arn, name=record.name, machine_arn=record.machine_arn,
        input_text=record.input or "{}", status=record.status, start=record.start_date,
        stop=record.stop_date, output=output, output_text=record.output,
        error=record.error, cause=record.cause)


def _to_store(event: Event) -> HistoryEvent:
    details = render_details(event.details) if event.details else None
    return HistoryEvent(event.id, event.previous_event_id, event.timestamp, event.type,
                        details, event.thread)
