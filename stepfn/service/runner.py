"""The runner: drives executions of this process, one asyncio task each.

Durability (design.md §3) rests on the history. A Standard execution's events are
buffered as the interpreter records them and committed to the store at every
checkpoint: before each side effect (a task invocation, a wait) and when it ends. Pure
states between two checkpoints are committed together. An execution resumed elsewhere
(after a crash, a lost lease, a redrive) runs again *by replay*: the interpreter starts
from the beginning with the stored history; recorded events stand in for the work
already done (recorded task results are reused, recorded outputs win, a Wait keeps its
recorded deadline) and only what comes after the last committed event happens anew.
Tasks are invoked at least once, state transitions recorded exactly once.

Fencing (design.md §4): every checkpoint checks, in its own transaction, that this
process still holds the execution's lease (``LeaseScheduler`` takes and renews them),
so a process that lost its lease writes nothing more for it.

Waiting (design.md §4, service/waits.py): every wait of a Standard execution is a row
written with the checkpoint that begins it, and an execution whose threads all wait
long is *parked*: its coroutines dropped, its work item handed back until its earliest
timer is due or an answer wakes it; any worker then resumes it by replay.

Express executions run in memory, as on AWS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..engine.clock import RealClock
from ..engine.execution import ExecutionResult, ExecutionRun, fail_unexpectedly
from ..engine.history import Event, History
from ..engine.machine import StateMachine, compile_definition
from ..store.base import Batch, Conflict, ExecutionRecord, HistoryEvent, Store
from ..tasks.base import TaskDispatcher
from . import logs
from .errors import StateMachineDoesNotExist
from .express import RecentExpressExecutions
from .feed import EventFeed
from .map_runs import StoredMapRuns, child_ended_topic
from .waits import DEFAULT_PARK_AFTER, WaitBook

log = logging.getLogger("stepfn.service")

TERMINAL_EVENTS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut",
                   "ExecutionAborted"}
EXECUTION = "execution"  # the work-item kind whose lease owns an execution
_MACHINE_CACHE_SIZE = 256


@dataclass(frozen=True)
class Lease:
    """Who this process is to the store, and for how long its leases run."""

    owner: str
    seconds: float
    # False: an API-only node; it stores new executions but leaves them to workers.
    worker: bool = True


@dataclass
class _Running:
    """An execution this process is running."""

    record: ExecutionRecord
    run: ExecutionRun
    task: asyncio.Task | None = None
    pending: list[Event] = field(default_factory=list)
    # Set while the execution's record is not stored yet: its first commit inserts it
    # together with the first events, then resolves this future (StartExecution waits).
    inserting: asyncio.Future | None = None
    # Set once this process must write nothing more for it (shutdown, lease lost).
    dropped: bool = False
    # Set once the run has ended and its end is being committed: a stop then waits for
    # that commit instead of cancelling it (the execution has ended on its own).
    ending: bool = False
    # Its threads and durable waits (None: not durable); see service/waits.py.
    waits: WaitBook | None = None
    # Where its committed events are logged (service/execution_logs.py), or None.
    log: Any = None


@dataclass
class _Park:
    """What parking an execution writes (kept to try again if the write fails)."""

    arn: str
    events: list[Event]
    timers: Callable[[Batch], None] | None
    log: Any = None


class ExecutionRunner:
    """Runs executions: compiles, drives, checkpoints (fenced by the lease), replays."""

    def __init__(self, store: Store, tasks: TaskDispatcher, lease: Lease, *, clock: Any,
                 feed: EventFeed, region: str, max_history_events: int,
                 park_after: float | None = None, mock_config: Any = None,
                 express: RecentExpressExecutions | None = None,
                 execution_logs: Any = None) -> None:
        self.store = store
        self.tasks = tasks
        self.lease = lease
        self.clock = clock
        # Executions waiting longer than this are parked (service/waits.py); never
        # under a test clock that skips time (its time is this process's alone).
        self.park_after = park_after if park_after is not None else DEFAULT_PARK_AFTER
        if not isinstance(clock, RealClock):
            self.park_after = float("inf")
        self.parking: dict[str, _Park] = {}  # parks whose write is to be tried again
        self.feed = feed
        self.region = region
        self.max_history_events = max_history_events
        # The mock configuration for ``<machine ARN>#<test case>`` starts (a MockConfig).
        self.mock_config: Any = mock_config  # a tasks.mocks.MockConfig (--mock-config)
        self.running: dict[str, _Running] = {}
        # Recent Express executions with their events (service/express.py), and where
        # executions' events are logged by their logging configuration
        # (service/execution_logs.py; None: nowhere).
        self.express = express if express is not None else RecentExpressExecutions(0)
        self.execution_logs = execution_logs
        # Parents waiting for their Map Run's children (running, but not busy: the
        # scheduler's cap on claimed executions leaves them out)
        self.waiting_for_children: set[str] = set()
        # Set by the scheduler when it stopped claiming at its cap: the next end here
        # wakes it to claim again (instead of its next poll).
        self.claims_paused = False
        # Asks this process's scheduler to claim work now (set by LeaseScheduler)
        self.wake_scheduler: Callable[[], None] | None = None
        self._ended: dict[str, list[asyncio.Future]] = {}
        self._machines: OrderedDict[tuple[str, str], StateMachine] = OrderedDict()
        # (version ARN or "", machine ARN, revision id) -> (definition, role ARN)
        self._definitions: OrderedDict[tuple[str, str, str | None], tuple[str, str]] = \
            OrderedDict()

    # -- compiling --------------------------------------------------------------------------
    def compile(self, definition: str, machine_type: str) -> StateMachine:
        """A compiled machine, cached by definition text."""
        key = (definition, machine_type)
        machine = self._machines.get(key)
        if machine is None:
            machine = compile_definition(definition, region=self.region, machine_type=machine_type)
            self._machines[key] = machine
            if len(self._machines) > _MACHINE_CACHE_SIZE:
                self._machines.popitem(last=False)
        else:
            self._machines.move_to_end(key)
        return machine

    def mock_execution(self, execution_arn: str, machine_name: str, test_case: str) -> None:
        """Mock the states ``test_case`` of ``machine_name`` names, for one execution (at
        its start, and again when it is resumed: the record keeps the test case)."""
        if self.mock_config is None:
            return
        from ..tasks.mocks import TaskMocks

        if self.tasks.mocks is None:
            self.tasks.mocks = TaskMocks()
        self.tasks.mocks.assign(execution_arn,
                                self.mock_config.test_case(machine_name, test_case))

    # -- starting ---------------------------------------------------------------------------
    async def start(self, record: ExecutionRecord, machine: StateMachine,
                    role_arn: str, log: Any = None) -> None:
        """Run a new execution; returns once its record is stored (a Standard one's with
        its first checkpoint, in one transaction: a crash from then on resumes it)."""
        running = self.running.get(record.arn)
        if running is not None:
            if running.inserting is not None:  # answer the repeat once the first is
                with contextlib.suppress(Exception):  # stored (or failed to be)
                    await asyncio.shield(running.inserting)
            raise Conflict(f"execution exists: {record.arn}")
        if record.type == "EXPRESS":
            async with self.store.batch() as tx:
                tx.put_execution(record)
            entry = self._prepare(record, machine, role_arn, recorded=None, durable=False)
            if log is not None:  # in memory: each event is logged as it is recorded
                entry.run.history.on_append = log.append
            self.express.started(record, entry.run.history.events)
            self._launch(entry)
            return
        entry = self._prepare(record, machine, role_arn, recorded=None)
        entry.log = log
        entry.inserting = asyncio.get_running_loop().create_future()
        # A worker runs a machine with nothing to wait for and no side effect (Pass,
        # Choice, inline Map and Parallel of them: computation bounded by the history
        # limit) before answering, and stores its start and end in one commit: one
        # transaction, and one fsync, instead of two. An API-only node stores the start
        # at once, for a worker to run.
        entry.run.effect_free_in_one_checkpoint = self.lease.worker
        self._launch(entry)
        # Shielded: a caller that goes away does not stop an execution being stored.
        await asyncio.shield(entry.inserting)

    async def run_sync(self, record: ExecutionRecord, machine: StateMachine,
                       role_arn: str, log: Any = None) -> ExecutionRecord:
        """Run an Express execution in memory to its end; its finished record."""
        history = History(self.max_history_events,
                          on_append=log.append if log is not None else None)
        run = self._new_run(record, machine, role_arn, history)
        self.express.started(record, history.events)
        logs.execution_started(machine_name(record), record.arn)
        try:
            result = await run.run()
        except Exception as exc:  # a bug in stepfn still ends the execution as AWS would
            result = fail_unexpectedly(run, exc)
        finally:
            if self.tasks.mocks is not None:
                self.tasks.mocks.release(record.arn)
        logs.log_task_failures(machine_name(record), record.arn, history.events,
                               history.events)
        finished = _finished_record(record, result, self.clock.now())
        self.express.ended(finished)
        _log_end(finished)
        return finished

    def _new_run(self, record: ExecutionRecord, machine: StateMachine, role_arn: str,
                 history: History) -> ExecutionRun:
        return ExecutionRun(
            machine, _loads(record.input), input_text=record.input or "{}",
            execution_arn=record.arn, name=record.name, machine_arn=record.machine_arn,
            machine_name=machine_name(record), tasks=self.tasks, role_arn=role_arn,
            clock=self.clock, history=history, redrive_count=record.redrive_count,
            start_time=record.start_date, redrive_time=record.redrive_date)

    def _prepare(self, record: ExecutionRecord, machine: StateMachine, role_arn: str,
                 recorded: list[Event] | None, replay: list[Event] | None = None,
                 durable: bool = True) -> _Running:
        history = History(self.max_history_events, recorded=recorded, replay=replay)
        run = self._new_run(record, machine, role_arn, history)
        entry = _Running(record, run)
        if durable:
            history.on_append = entry.pending.append
            run.persist = lambda: self._flush(entry)
            run.map_runs = StoredMapRuns(self, entry)
            timeout_at = (record.start_date + machine.timeout_seconds
                          if machine.timeout_seconds else None)
            entry.waits = run.waits = WaitBook(
                record.arn, history, self.clock, self.park_after, run.checkpoint,
                lambda: self.park(entry), timeout_at, resumed=recorded is not None)
        return entry

    def _launch(self, entry: _Running) -> None:
        self.running[entry.record.arn] = entry
        entry.task = asyncio.ensure_future(self._drive(entry))

    async def _drive(self, entry: _Running) -> None:
        """Run an execution to its end and record how it ended."""
        logs.execution_started(machine_name(entry.record), entry.record.arn)
        try:
            result = await entry.run.run()
        except (_NotInserted, _Dropped):  # nothing (more) may be stored for it here
            self._forget(entry)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in stepfn must not leave the execution hanging
            result = fail_unexpectedly(entry.run, exc)
        if entry.run.persist is None:  # in memory: no checkpoint logged its failures
            events = entry.run.history.events
            logs.log_task_failures(machine_name(entry.record), entry.record.arn, events,
                                   events)
        finished = _finished_record(entry.record, result, self.clock.now())
        entry.record = finished
        entry.ending = True
        if finished.type == "EXPRESS":
            self.express.ended(finished)
        try:
            await self._flush(entry, finished)
        except (_NotInserted, _Dropped):
            self._forget(entry)
            return
        self.running.pop(finished.arn, None)
        self._room_made()
        _log_end(finished)
        self.notify_end(finished)

    # -- checkpoints ------------------------------------------------------------------------
    async def _flush(self, entry: _Running, record: ExecutionRecord | None = None) -> None:
        """Commit the events recorded since the last checkpoint (and the record)."""
        if entry.dropped:  # shutting down or lease lost: replay redoes the rest
            raise _Dropped()
        events, entry.pending[:] = list(entry.pending), []
        inserting = entry.inserting
        waits = entry.waits
        if not events and record is None and inserting is None and \
                not (waits is not None and waits.has_writes):
            return
        arn = entry.record.arn
        ended = record is not None and record.status != "RUNNING"
        owner = self.lease.owner
        try:
            async with self.store.batch() as tx:
                if waits is not None:  # the timers of waits begun and ended
                    waits.write_timers(tx)
                if ended:
                    if waits is not None and waits.has_timers:
                        tx.delete_timers_of(arn)
                    _tell_parent(tx, entry.record)
                if inserting is not None:
                    tx.put_execution(record or entry.record)
                    if not ended and self.lease.worker:
                        tx.lease_work(EXECUTION, arn, owner,
                                      time.time() + self.lease.seconds)
                    elif not ended:  # an API-only node: a worker claims it from here
                        tx.ensure_work(EXECUTION, arn)
                elif ended:
                    # An Express execution runs in memory, under no lease: it has no
                    # work item to finish, only its record to end (and its parent).
                    if entry.run.persist is not None:
                        tx.finish_work(arn, owner)
                else:
                    tx.check_lease(arn, owner)
                if events:
                    # Rendered on the store's side as it writes them (see _StoreEvents).
                    tx.append_events(entry.record.arn, _StoreEvents(events))
                if record is not None and inserting is None:
                    tx.update_execution(record)
        except Conflict as exc:
            if inserting is None:  # the lease is someone else's: stop writing
                log.warning("lost the lease of %s; another process resumes it", arn)
                self.drop(entry)
                raise _Dropped() from exc
            self._not_inserted(entry, inserting, exc)
        except BaseException as exc:
            if inserting is None:
                raise
            self._not_inserted(entry, inserting, exc)
        if inserting is not None:
            entry.inserting = None
            if not inserting.done():
                inserting.set_result(None)
        if events:  # committed: now they may be seen
            self.feed.publish(entry.record.arn, events, _to_store)
            if entry.log is not None:
                entry.log.write(events)
            logs.log_task_failures(machine_name(entry.record), arn, events,
                                   entry.run.history.events)
        if inserting is not None and not self.lease.worker and not ended:
            self.drop(entry)  # an API-only node: a worker runs it from here
            raise _Dropped()

    @staticmethod
    def _not_inserted(entry: _Running, inserting: asyncio.Future,
                      exc: BaseException) -> None:
        """The first commit failed: the starter hears why, the execution runs no more."""
        entry.inserting = None
        if not inserting.done():
            inserting.set_exception(exc)
        raise _NotInserted() from exc

    # -- parking ------------------------------------------------------------------------------
    def book_of(self, execution_arn: str) -> WaitBook | None:
        """The WaitBook of an execution running here (None: not running here)."""
        entry = self.running.get(execution_arn)
        return entry.waits if entry is not None else None

    def park(self, entry: _Running) -> None:
        """Drop a waiting execution's coroutines and hand its work item back (see
        service/waits.py); whoever claims it next resumes it by replay."""
        if entry.dropped or self.running.get(entry.record.arn) is not entry:
            return
        # Taken now: the cancelled coroutines may record more (aborted states), which
        # nobody writes, as on shutdown.
        events = list(entry.pending)
        entry.pending.clear()
        timers = entry.waits.take_timers() if entry.waits is not None else None
        self.drop(entry)
        asyncio.ensure_future(self.write_park(_Park(entry.record.arn, events, timers,
                                                    entry.log)))

    async def write_park(self, park: _Park) -> None:
        """Commit a park (tried again by the scheduler when it fails)."""
        arn = park.arn
        try:
            async with self.store.batch() as tx:
                if park.events:
                    tx.append_events(arn, _StoreEvents(park.events))
                if park.timers is not None:
                    park.timers(tx)
                tx.park_work(arn, self.lease.owner)
        except Conflict:
            log.warning("lost the lease of %s before parking it", arn)
        except Exception as exc:  # noqa: BLE001 - the scheduler tries again
            log.warning("cannot park %s yet (%s); retrying", arn, exc)
            self.parking[arn] = park
            return
        self.parking.pop(arn, None)
        if park.events:
            self.feed.publish(arn, park.events, _to_store)
            if park.log is not None:
                park.log.write(park.events)

    def drop(self, entry: _Running) -> None:
        """Stop an execution here without writing anything more for it."""
        entry.dropped = True
        self._forget(entry)
        if entry.task is not None and not entry.task.done():
            entry.task.cancel()

    def _room_made(self) -> None:
        if self.claims_paused and self.wake_scheduler is not None:
            self.claims_paused = False
            self.wake_scheduler()

    def _forget(self, entry: _Running) -> None:
        if self.running.get(entry.record.arn) is entry:
            del self.running[entry.record.arn]
            self._room_made()
            if self.tasks.mocks is not None:  # its test case, if it ran one
                self.tasks.mocks.release(entry.record.arn)

    def leased(self) -> list[str]:
        """The executions running here under a lease (stored, durable)."""
        return [arn for arn, e in self.running.items()
                if e.inserting is None and e.run.persist is not None]

    async def drop_all(self) -> None:
        """Stop every execution without ending it and without writing anything (replay
        recomputes what was not committed)."""
        entries = list(self.running.values())
        for entry in entries:
            entry.dropped = True
            if entry.task is not None:
                entry.task.cancel()
        for entry in entries:
            if entry.task is not None:
                await asyncio.gather(entry.task, return_exceptions=True)
        self.running.clear()

    # -- resuming ---------------------------------------------------------------------------
    async def resume(self, record: ExecutionRecord,
                     replay_filter: Callable[[list[Event]], list[Event]] | None = None,
                     recorded: list[Event] | None = None) -> None:
        """Run a stored execution on by replaying its history (``replay_filter``: the
        part of it to replay, for a redrive; ``recorded``: the history, when the caller
        has read it already)."""
        definition, role_arn = await self.definition_of(record)
        machine = self.compile(definition, record.type)
        if record.test_case is not None:
            self.mock_execution(record.arn, machine_name(record), record.test_case)
        if recorded is None:
            recorded = await self.load_history(record.arn)
        if replay_filter is None and record.redrive_count:
            replay_filter = events_of_redriven_attempt  # resumed after a crash
        replay = replay_filter(recorded) if replay_filter else None
        entry = self._prepare(record, machine, role_arn, recorded, replay)
        entry.log = await self.log_of(record)
        # Nothing recorded yet (a Distributed Map child, stored by its parent): a
        # machine with no side effect runs to its end before one commit (see start).
        entry.run.effect_free_in_one_checkpoint = not recorded
        self._launch(entry)

    async def log_of(self, record: ExecutionRecord) -> Any:
        """Where a resumed execution logs (its version's or revision's logging
        configuration), or None; read only when execution logging is on."""
        if self.execution_logs is None or record.map_run_arn:
            return None
        source: Any = None
        if record.version_arn:
            source = await self.store.get_version(record.version_arn)
        if source is None:
            source = await self.store.get_revision(record.machine_arn, record.revision_id)
        if source is None:
            source = await self.store.get_state_machine(record.machine_arn)
        if source is None:
            return None
        return self.execution_logs.session(
            source.logging_configuration, machine_name(record), record.arn,
            record.start_date, record.redrive_count)

    async def definition_of(self, record: ExecutionRecord) -> tuple[str, str]:
        """The definition and role ``record`` runs: its version's, its revision's, or
        (for records older than revisions) its machine's; a Distributed Map child runs
        its Map Run's item processor. Versions and revisions never change once written:
        each is read once."""
        if record.map_run_arn:
            # A Map Run's item processor never changes: read once for all its children.
            known = self._definitions.get((record.map_run_arn, "", None))
            if known is not None:
                return known
            map_run = await self.store.get_map_run(record.map_run_arn)
            if map_run is not None and map_run.definition:
                return self._keep_definition((record.map_run_arn, "", None),
                                             map_run.definition, map_run.role_arn or "")
        key = (record.version_arn or "", record.machine_arn, record.revision_id)
        known = self._definitions.get(key)
        if known is not None:
            return known
        if record.version_arn:
            version = await self.store.get_version(record.version_arn)
            if version is not None:
                return self._keep_definition(key, version.definition, version.role_arn)
        revision = await self.store.get_revision(record.machine_arn, record.revision_id)
        if revision is not None:
            return self._keep_definition(key, revision.definition, revision.role_arn)
        machine = await self.store.get_state_machine(record.machine_arn)
        if machine is None:
            raise StateMachineDoesNotExist(record.machine_arn)
        return machine.definition, machine.role_arn

    def _keep_definition(self, key: tuple[str, str, str | None], definition: str,
                         role_arn: str) -> tuple[str, str]:
        self._definitions[key] = (definition, role_arn)
        if len(self._definitions) > _MACHINE_CACHE_SIZE:
            self._definitions.popitem(last=False)
        return definition, role_arn

    async def load_history(self, arn: str) -> list[Event]:
        """Execution ``arn``'s stored history, as the interpreter's events."""
        events: list[Event] = []
        cursor = None
        while True:
            page = await self.store.get_history(arn, limit=1000, cursor=cursor)
            events.extend(Event(e.id, e.previous_event_id, e.timestamp, e.type, e.details,
                                e.thread) for e in page.items)
            cursor = page.next_cursor
            if not cursor:
                return events

    # -- stopping ---------------------------------------------------------------------------
    async def abort(self, record: ExecutionRecord, details: dict | None) -> ExecutionRecord:
        """End ``record``'s execution (``record``: as it is to be stored, ABORTED) with an
        ExecutionAborted event, whether it runs here or in another process. An execution
        that has ended meanwhile on its own is left as it ended: its record is returned
        instead."""
        entry = self.running.get(record.arn)
        if entry is not None and entry.ending and entry.task is not None:
            # Its end is being committed: cancelling now could not take that back.
            await asyncio.wait({entry.task})
            entry = None
        if entry is None or self.running.get(record.arn) is not entry:
            return await self._abort_elsewhere(record, details)
        del self.running[record.arn]
        if entry.task is not None:
            entry.task.cancel()
            await asyncio.gather(entry.task, return_exceptions=True)
        if self.tasks.mocks is not None:  # its test case, if it ran one
            self.tasks.mocks.release(record.arn)
        history = entry.run.history
        history.add("ExecutionAborted", details, len(history), True)
        try:
            await self._flush(entry, record)
        except (_NotInserted, _Dropped):  # its lease went elsewhere meanwhile
            return await self._abort_elsewhere(record, details)
        return record

    async def _abort_elsewhere(self, record: ExecutionRecord,
                               details: dict | None) -> ExecutionRecord:
        """End an execution this process does not run, unless it has ended. Its work
        item goes in the same transaction, so whoever holds it finds its lease gone and
        writes no more; an event id taken by that holder's last checkpoint meanwhile
        means read again (it may have ended)."""
        for attempt in range(5):
            stored = await self.store.get_execution(record.arn)
            if stored is not None and stored.status != "RUNNING":
                return stored
            count = await self.store.count_events(record.arn)
            event = HistoryEvent(count + 1, count, record.stop_date or self.clock.now(),
                                 "ExecutionAborted", details)
            try:
                async with self.store.batch() as tx:
                    tx.finish_work(record.arn, None)
                    tx.delete_timers_of(record.arn)
                    _tell_parent(tx, record)
                    tx.append_events(record.arn, [event])
                    tx.update_execution(record)
                self.feed.publish(record.arn, [event])
                return record
            except Conflict:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.05)
        raise AssertionError("unreachable")

    # -- waiting for an end -----------------------------------------------------------------
    async def wait_for_end(self, arn: str) -> ExecutionRecord:
        """The record of execution ``arn`` once it has ended."""
        if arn not in self.running:  # running here: no need to ask the store
            record = await self.store.get_execution(arn)
            if record is not None and record.status not in ("RUNNING", "PENDING_REDRIVE"):
                return record
        future = asyncio.get_running_loop().create_future()
        self._ended.setdefault(arn, []).append(future)
        # Another process may be running it (or take it over): ask the store too.
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout=1.0)
            except TimeoutError:
                if arn in self.running:
                    continue
                record = await self.store.get_execution(arn)
                if record is not None and record.status not in ("RUNNING",
                                                                "PENDING_REDRIVE"):
                    waiting = self._ended.get(arn, [])
                    if future in waiting:
                        waiting.remove(future)
                    if not waiting:
                        self._ended.pop(arn, None)
                    return record

    def end_future(self, arn: str) -> asyncio.Future:
        """A future resolved with ``arn``'s record when it ends in this process (a
        caller watching other processes polls the store itself)."""
        future = asyncio.get_running_loop().create_future()
        self._ended.setdefault(arn, []).append(future)
        return future

    def notify_end(self, record: ExecutionRecord) -> None:
        """Wake ``wait_for_end`` callers of ``record``'s execution."""
        if record.type == "EXPRESS":
            self.express.ended(record)
        for future in self._ended.pop(record.arn, ()):
            if not future.done():
                future.set_result(record)


# -- helpers ----------------------------------------------------------------------------
def _tell_parent(tx: Batch, record: ExecutionRecord) -> None:
    """An execution's end, told to the execution that waits for it: a Distributed Map
    child's parent (which runs while its Map Run does) hears a signal; a ``.sync``
    parent, which may be parked, has its work item woken."""
    if record.map_run_arn:
        tx.signal(child_ended_topic(record.map_run_arn))
    elif record.parent_arn:
        tx.wake_work(record.parent_arn)


def events_before_failed_state(events: list[Event]) -> list[Event]:
    """The part of a history a redrive replays: everything before the top-level state
    that ended the execution was entered, so that state runs again from its start.

    An execution redriven before has one attempt per ``ExecutionRedriven``: each later
    attempt replayed what the one before it kept and recorded only its new events, so
    what each attempt ran before its failing state is kept, and never an earlier
    attempt's failed state (it would replay that failure)."""
    attempts: list[list[Event]] = [[]]
    for event in events:
        if event.type == "ExecutionRedriven":
            attempts.append([])
        else:
            attempts[-1].append(event)
    kept: list[Event] = []
    for attempt in attempts:
        last_entered = 0
        for event in attempt:
            if event.thread == "" and event.type.endswith("StateEntered"):
                last_entered = event.id
        kept.extend(e for e in attempt if e.id < last_entered
                    and e.type not in TERMINAL_EVENTS)
    return kept


def events_of_redriven_attempt(events: list[Event]) -> list[Event]:
    """The part of a redriven execution's history that a resumed run (a crash, a lost
    lease) replays: what its redrive replayed, then what the redriven attempt recorded."""
    last = max((i for i, e in enumerate(events) if e.type == "ExecutionRedriven"),
               default=-1)
    if last < 0:
        return events
    return events_before_failed_state(events[:last]) + events[last + 1:]


class _NotInserted(Exception):
    """An execution's first commit (its record) failed: it must not run on."""


class _Dropped(asyncio.CancelledError):
    """This process must write nothing more for an execution (shutdown, lease lost).
    A cancellation, so the interpreter unwinds as it does when stopped."""


_new_tuple = tuple.__new__


def _to_store(event: Event) -> HistoryEvent:
    # The same fields in the same order: a new tuple of the store's type, no copying
    # of details (rendered when read: see HistoryEvent).
    return _new_tuple(HistoryEvent, event)


class _StoreEvents(Sequence[HistoryEvent]):
    """The interpreter's events in the store's shape, each rendered when the store
    reads it: a long history is never held twice in memory."""

    __slots__ = ("events",)

    def __init__(self, events: list[Event]) -> None:
        self.events = events

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [_to_store(e) for e in self.events[index]]
        return _to_store(self.events[index])

    def __iter__(self) -> Iterator[HistoryEvent]:
        return map(_to_store, self.events)


def machine_name(record: ExecutionRecord) -> str:
    """The name of the machine ``record`` is an execution of."""
    return record.machine_arn.rsplit(":", 1)[-1]


def _log_end(record: ExecutionRecord) -> None:
    """The execution's end line: status, and how long since it started."""
    duration = max(0, int(((record.stop_date or record.start_date) - record.start_date)
                          * 1000))
    logs.execution_ended(machine_name(record), record.arn, record.status, duration,
                         record.error)


def _finished_record(record: ExecutionRecord, result: ExecutionResult,
                     now: float) -> ExecutionRecord:
    redrivable = record.type == "STANDARD" and result.status != "SUCCEEDED"
    return replace(record, status=result.status, output=result.output_text,
                   error=result.error, cause=result.cause, stop_date=now,
                   redrive_status="REDRIVABLE" if redrivable else None)


def _loads(text: str | None) -> Any:
    from ..jsonutil import loads

    return loads(text) if text else {}
