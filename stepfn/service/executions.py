"""Executions over time: start, run, persist, stop, redrive and resume after a crash.

Durability (design.md §3) rests on the history. A Standard execution's events are
buffered as the interpreter records them and committed to the store at every
checkpoint: before each side effect (a task invocation, a wait) and when it ends. Pure
states between two checkpoints are committed together. After a crash, ``start`` finds
every execution still RUNNING and runs it again *by replay*: the interpreter starts from
the beginning with the stored history; recorded events stand in for the work already
done (recorded task results are reused, recorded outputs win, a Wait keeps its recorded
deadline) and only what comes after the last committed event happens anew. Tasks are
invoked at least once, state transitions recorded exactly once.

Ownership (design.md §4): a Standard execution is advanced by one process at a time,
under a lease: a work item of kind ``execution`` keyed by its ARN, leased to this
manager's ``owner`` id and renewed by the scheduler loop. Every checkpoint checks the
lease in its own transaction (fencing), so a process that lost its lease writes
nothing more; another process claims expired leases and resumes by replay.

Express executions run in memory, as on AWS.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..api.errors import ApiError
from ..api.service import ActivityTaskGrant, StartRequest, SyncResult
from ..engine.clock import RealClock
from ..engine.execution import ExecutionResult, ExecutionRun, fail_unexpectedly
from ..engine.history import Event, History, render_details
from ..engine.machine import StateMachine, compile_definition
from ..store.base import (
    ActivityRecord,
    Conflict,
    ExecutionRecord,
    HistoryEvent,
    Store,
    WorkItem,
)
from ..tasks.base import TaskDispatcher
from ..tasks.functions import FunctionRegistry
from ..tasks.registry import default_dispatcher
from . import logs
from .callbacks import CallbackHub
from .feed import EventFeed
from .metrics import Metrics
from .nested import NestedExecutions

log = logging.getLogger("stepfn.service")

TERMINAL_EVENTS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut",
                   "ExecutionAborted"}
_MACHINE_CACHE_SIZE = 256


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


class ExecutionManager:
    """The execution layer behind the API (implements ``api.service.ExecutionService``)."""

    def __init__(self, store: Store, *, region: str = "us-east-1",
                 account: str = "123456789012", functions: FunctionRegistry | None = None,
                 tasks: TaskDispatcher | None = None, clock: Any = None,
                 max_history_events: int = 25_000, lease_seconds: float | None = None,
                 worker: bool = True) -> None:
        self.store = store
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds or float(
            os.environ.get("STEPFN_LEASE_SECONDS", "15"))
        # False: an API-only node; it starts executions but leaves them to workers.
        self.worker = worker
        self._scheduler: asyncio.Task | None = None
        self.region = region
        self.account = account
        self.clock = clock or RealClock()
        self.max_history_events = max_history_events
        self.feed = EventFeed()  # every committed history event, for live followers
        self.metrics = Metrics()  # counted from the same events
        self.feed.listeners.append(self.metrics.observe)
        self.functions = functions or FunctionRegistry()
        self.tasks = tasks or default_dispatcher(self.functions, region=region,
                                                 account=account)[0]
        self.callbacks = CallbackHub(store, self.clock)
        self.callbacks.install(self.tasks)
        self.tasks.register_type("states", NestedExecutions(self))
        # The mock configuration for ``<machine ARN>#<test case>`` starts (a MockConfig).
        self.mock_config: Any = None
        self._ended: dict[str, list[asyncio.Future]] = {}
        self.running: dict[str, _Running] = {}
        self._machines: OrderedDict[tuple[str, str], StateMachine] = OrderedDict()
        # (version ARN or "", machine ARN, revision id) -> (definition, role ARN)
        self._definitions: OrderedDict[tuple[str, str, str | None], tuple[str, str]] = \
            OrderedDict()

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Take the leases of executions nobody holds (or whose holder died) and resume
        them; then keep claiming and renewing in the background."""
        await self._adopt_unleased()
        await self._release_dead_owners()
        if self.worker:
            await self._claim()
        # An API-only node renews too: a redrive it began runs on here.
        self._scheduler = asyncio.ensure_future(self._schedule())

    async def stop(self) -> None:
        """Stop running executions without ending them and without writing anything
        (replay recomputes what was not committed), then hand their leases back."""
        if self._scheduler is not None:
            self._scheduler.cancel()
            await asyncio.gather(self._scheduler, return_exceptions=True)
            self._scheduler = None
        entries = list(self.running.values())
        for entry in entries:
            entry.dropped = True
            if entry.task is not None:
                entry.task.cancel()
        for entry in entries:
            if entry.task is not None:
                await asyncio.gather(entry.task, return_exceptions=True)
        self.running.clear()
        try:
            await self.store.release_leases_of(self.owner)
        except Exception:  # noqa: BLE001 - the leases then lapse on their own
            log.warning("could not hand the leases back; they lapse in %.0f s",
                        self.lease_seconds)

    # -- leases -----------------------------------------------------------------------------
    async def _adopt_unleased(self) -> None:
        """RUNNING Standard executions written before leases existed get a work item."""
        cursor = None
        while True:
            page = await self.store.list_executions(status="RUNNING", limit=500,
                                                    cursor=cursor)
            standard = [r.arn for r in page.items if r.type == "STANDARD"]
            if standard:
                async with self.store.batch() as tx:
                    for arn in standard:
                        tx.ensure_work(_EXECUTION, arn)
            cursor = page.next_cursor
            if not cursor:
                return

    async def _release_dead_owners(self) -> None:
        """A holder on this host whose process is gone loses its leases now rather
        than at expiry (a restart after kill -9 resumes at once)."""
        host = socket.gethostname()
        for owner in await self.store.lease_owners():
            holder_host, _, rest = owner.partition(":")
            pid = rest.partition(":")[0]
            if holder_host == host and pid.isdigit() and not _alive(int(pid)):
                await self.store.release_leases_of(owner)

    async def _schedule(self) -> None:
        """Renew the leases held, drop executions whose lease was lost, claim more."""
        tick = min(0.5, self.lease_seconds / 5)
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(tick)
            try:
                if time.monotonic() - renewed >= self.lease_seconds / 3:
                    renewed = time.monotonic()
                    await self._renew()
                if self.worker:
                    await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - transient; the next round retries
                log.warning("lease renewal or claim failed, retrying: %s: %s",
                            type(exc).__name__, exc)

    async def _renew(self) -> None:
        leased = [arn for arn, e in self.running.items()
                  if e.inserting is None and e.run.persist is not None]
        held = set(await self.store.renew_leases_of(self.owner, self.lease_seconds))
        for arn in leased:
            entry = self.running.get(arn)
            if entry is not None and arn not in held:
                log.warning("lost the lease of %s; another process resumes it", arn)
                self._drop(entry)

    async def _claim(self) -> None:
        """Lease executions nobody holds and resume them by replay (the executions of
        one claim are read and resumed concurrently: their reads overlap)."""
        while True:
            items = await self.store.claim_work(self.owner, self.lease_seconds,
                                                limit=_CLAIM_BATCH, kinds=[_EXECUTION])
            loaded = await self.store.load_executions([i.key for i in items]) if items \
                else {}
            outcomes = await asyncio.gather(*(self._take(item, loaded.get(item.key))
                                              for item in items), return_exceptions=True)
            for item, outcome in zip(items, outcomes, strict=True):
                if isinstance(outcome, Exception):  # its lease lapses; claimed again
                    log.warning("cannot take %s: %s: %s", item.key,
                                type(outcome).__name__, outcome)
            if len(items) < _CLAIM_BATCH:
                return

    async def _take(self, item: WorkItem,
                    loaded: tuple[ExecutionRecord, list[HistoryEvent]] | None) -> None:
        """Resume a leased execution from its record and history, read at the claim."""
        arn = item.key
        record = loaded[0] if loaded else None
        if record is None or record.status != "RUNNING" or record.type != "STANDARD":
            async with self.store.batch() as tx:
                tx.finish_work(arn, self.owner)
            return
        if arn in self.running:
            return
        assert loaded is not None
        recorded = [Event(e.id, e.previous_event_id, e.timestamp, e.type, e.details,
                          e.thread) for e in loaded[1]]
        try:
            await self._resume(record, recorded=recorded)
        except Exception:  # noqa: BLE001 - offered again later, here or elsewhere
            log.exception("cannot resume %s", arn)
            await self.store.release_work(item.id, self.owner,
                                          available_at=time.time() + _RETRY_RESUME_SECONDS)

    def _drop(self, entry: _Running) -> None:
        """Stop an execution here without writing anything more for it."""
        entry.dropped = True
        self._forget(entry)
        if entry.task is not None and not entry.task.done():
            entry.task.cancel()

    # -- starting ---------------------------------------------------------------------------
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

    async def start_execution(self, request: StartRequest,
                              parent_arn: str | None = None) -> ExecutionRecord:
        record = replace(self._new_record(request), parent_arn=parent_arn)
        machine = self.compile(request.definition, record.type)
        self._use_test_case(request)
        if record.arn in self.running:
            raise Conflict(f"execution exists: {record.arn}")
        if record.type == "EXPRESS":
            async with self.store.batch() as tx:
                tx.put_execution(record)
            self._launch(self._prepare(record, machine, request.role_arn, recorded=None,
                                       durable=False))
            return record
        # Committed before the caller hears of it: a crash from here on resumes it. The
        # record goes in with the execution's first checkpoint (ExecutionStarted), one
        # transaction instead of two.
        entry = self._prepare(record, machine, request.role_arn, recorded=None)
        entry.inserting = asyncio.get_running_loop().create_future()
        self._launch(entry)
        # Shielded: a caller that goes away does not stop an execution being stored.
        await asyncio.shield(entry.inserting)
        return record

    async def start_sync_execution(self, request: StartRequest) -> SyncResult:
        record = self._new_record(request)
        machine = self.compile(request.definition, "EXPRESS")
        self._use_test_case(request)
        started = time.monotonic()
        history = History(self.max_history_events)
        history.on_append = logs.TaskFailureWatcher(_machine_name(record), record.arn)
        run = self._new_run(record, machine, request.role_arn, history)
        logs.execution_started(_machine_name(record), record.arn)
        try:
            result = await run.run()
        except Exception as exc:  # a bug in stepfn still ends the execution as AWS would
            result = fail_unexpectedly(run, exc)
        finally:
            if self.tasks.mocks is not None:
                self.tasks.mocks.release(record.arn)
        finished = _finished_record(record, result, self.clock.now())
        _log_end(finished)
        billed = max(100, int((time.monotonic() - started) * 1000 + 99) // 100 * 100)
        return SyncResult(finished, billed_duration_ms=billed)

    def _use_test_case(self, request: StartRequest) -> None:
        """Mock the states the request's test case names, for this execution."""
        if request.test_case is not None:
            self._mock_execution(request.execution_arn, request.machine.name,
                                 request.test_case)

    def _mock_execution(self, execution_arn: str, machine_name: str, test_case: str) -> None:
        """Mock the states ``test_case`` of ``machine_name`` names, for one execution (at
        its start, and again when it is resumed: the record keeps the test case)."""
        if self.mock_config is None:
            return
        from ..tasks.mocks import TaskMocks

        if self.tasks.mocks is None:
            self.tasks.mocks = TaskMocks()
        self.tasks.mocks.assign(execution_arn,
                                self.mock_config.test_case(machine_name, test_case))

    def _new_record(self, request: StartRequest) -> ExecutionRecord:
        return ExecutionRecord(
            arn=request.execution_arn, machine_arn=request.machine.arn, name=request.name,
            status="RUNNING", start_date=self.clock.now(), input=request.input,
            type=request.machine.type, revision_id=request.revision_id,
            version_arn=request.version.arn if request.version else None,
            alias_arn=request.alias.arn if request.alias else None,
            trace_header=request.trace_header, test_case=request.test_case)

    def _new_run(self, record: ExecutionRecord, machine: StateMachine, role_arn: str,
                 history: History) -> ExecutionRun:
        machine_name = record.machine_arn.rsplit(":", 1)[-1]
        return ExecutionRun(
            machine, _loads(record.input), input_text=record.input or "{}",
            execution_arn=record.arn, name=record.name, machine_arn=record.machine_arn,
            machine_name=machine_name, tasks=self.tasks, role_arn=role_arn,
            clock=self.clock, history=history, redrive_count=record.redrive_count,
            start_time=record.start_date)

    def _prepare(self, record: ExecutionRecord, machine: StateMachine, role_arn: str,
                 recorded: list[Event] | None, replay: list[Event] | None = None,
                 durable: bool = True) -> _Running:
        history = History(self.max_history_events, recorded=recorded, replay=replay)
        run = self._new_run(record, machine, role_arn, history)
        entry = _Running(record, run)
        if durable:
            history.on_append = entry.pending.append
            run.persist = lambda: self._flush(entry)
        history.on_append = logs.TaskFailureWatcher(_machine_name(record), record.arn,
                                                    history.on_append)
        return entry

    def _launch(self, entry: _Running) -> None:
        self.running[entry.record.arn] = entry
        entry.task = asyncio.ensure_future(self._drive(entry))

    async def _drive(self, entry: _Running) -> None:
        """Run an execution to its end and record how it ended."""
        logs.execution_started(_machine_name(entry.record), entry.record.arn)
        try:
            result = await entry.run.run()
        except (_NotInserted, _Dropped):  # nothing (more) may be stored for it here
            self._forget(entry)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in stepfn must not leave the execution hanging
            result = fail_unexpectedly(entry.run, exc)
        finished = _finished_record(entry.record, result, self.clock.now())
        entry.record = finished
        try:
            await self._flush(entry, finished)
        except (_NotInserted, _Dropped):
            self._forget(entry)
            return
        self.running.pop(finished.arn, None)
        _log_end(finished)
        self._notify_end(finished)

    def _forget(self, entry: _Running) -> None:
        if self.running.get(entry.record.arn) is entry:
            del self.running[entry.record.arn]
            if self.tasks.mocks is not None:  # its test case, if it ran one
                self.tasks.mocks.release(entry.record.arn)

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

    def _notify_end(self, record: ExecutionRecord) -> None:
        for future in self._ended.pop(record.arn, ()):
            if not future.done():
                future.set_result(record)

    async def _flush(self, entry: _Running, record: ExecutionRecord | None = None) -> None:
        """Commit the events recorded since the last checkpoint (and the record)."""
        if entry.dropped:  # shutting down or lease lost: replay redoes the rest
            raise _Dropped()
        events, entry.pending[:] = list(entry.pending), []
        inserting = entry.inserting
        if not events and record is None and inserting is None:
            return
        arn = entry.record.arn
        ended = record is not None and record.status != "RUNNING"
        try:
            async with self.store.batch() as tx:
                if inserting is not None:
                    tx.put_execution(record or entry.record)
                    if not ended and self.worker:
                        tx.lease_work(_EXECUTION, arn, self.owner,
                                      time.time() + self.lease_seconds)
                    elif not ended:  # an API-only node: a worker claims it from here
                        tx.ensure_work(_EXECUTION, arn)
                elif ended:
                    tx.finish_work(arn, self.owner)
                else:
                    tx.check_lease(arn, self.owner)
                if events:
                    # Rendered on the store's side as it writes them (see _StoreEvents).
                    tx.append_events(entry.record.arn, _StoreEvents(events))
                if record is not None and inserting is None:
                    tx.update_execution(record)
        except Conflict as exc:
            if inserting is None:  # the lease is someone else's: stop writing
                log.warning("lost the lease of %s; another process resumes it", arn)
                self._drop(entry)
                raise _Dropped() from exc
            entry.inserting = None
            if not inserting.done():
                inserting.set_exception(exc)
            raise _NotInserted() from exc
        except BaseException as exc:
            if inserting is None:
                raise
            entry.inserting = None
            if not inserting.done():
                inserting.set_exception(exc)
            raise _NotInserted() from exc
        if inserting is not None:
            entry.inserting = None
            if not inserting.done():
                inserting.set_result(None)
        if events:  # committed: now they may be seen
            self.feed.publish(entry.record.arn, events, _to_store)
        if inserting is not None and not self.worker and not ended:
            self._drop(entry)  # an API-only node: a worker runs it from here
            raise _Dropped()

    # -- resuming ---------------------------------------------------------------------------
    async def _resume(self, record: ExecutionRecord, replay_filter: Any = None,
                      recorded: list[Event] | None = None) -> None:
        definition, role_arn = await self._definition_of(record)
        machine = self.compile(definition, record.type)
        if record.test_case is not None:
            self._mock_execution(record.arn, record.machine_arn.rsplit(":", 1)[-1],
                                 record.test_case)
        if recorded is None:
            recorded = await self._load_history(record.arn)
        replay = replay_filter(recorded) if replay_filter else None
        entry = self._prepare(record, machine, role_arn, recorded, replay)
        self._launch(entry)

    async def _definition_of(self, record: ExecutionRecord) -> tuple[str, str]:
        # Versions and revisions never change once written: read each once.
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
            raise ApiError("StateMachineDoesNotExist",
                           f"State Machine Does Not Exist: '{record.machine_arn}'")
        return machine.definition, machine.role_arn

    async def _load_history(self, arn: str) -> list[Event]:
        events: list[Event] = []
        cursor = None
        while True:
            page = await self.store.get_history(arn, limit=1000, cursor=cursor)
            events.extend(Event(e.id, e.previous_event_id, e.timestamp, e.type, e.details,
                                e.thread) for e in page.items)
            cursor = page.next_cursor
            if not cursor:
                return events

    def _keep_definition(self, key: tuple[str, str, str | None], definition: str,
                         role_arn: str) -> tuple[str, str]:
        self._definitions[key] = (definition, role_arn)
        if len(self._definitions) > _MACHINE_CACHE_SIZE:
            self._definitions.popitem(last=False)
        return definition, role_arn

    # -- stopping and redriving -------------------------------------------------------------
    async def stop_execution(self, execution: ExecutionRecord, error: str | None,
                             cause: str | None) -> float:
        now = self.clock.now()
        entry = self.running.pop(execution.arn, None)
        details: dict[str, Any] = {}
        if error is not None:
            details["error"] = error
        if cause is not None:
            details["cause"] = cause
        record = replace(execution, status="ABORTED", stop_date=now,
                         redrive_status="REDRIVABLE" if execution.type == "STANDARD" else None)
        if entry is not None:
            if entry.task is not None:
                entry.task.cancel()
                await asyncio.gather(entry.task, return_exceptions=True)
            history = entry.run.history
            history.add("ExecutionAborted", details or None, len(history), True)
            record = replace(record, error=error, cause=cause)
            await self._flush(entry, record)
        else:
            await self._abort_elsewhere(replace(record, error=error, cause=cause),
                                        details or None)
        await self.callbacks.forget_execution(execution.arn)
        self._notify_end(replace(record, error=error, cause=cause))
        return now

    async def _abort_elsewhere(self, record: ExecutionRecord, details: dict | None) -> None:
        """End an execution this process does not run. Its work item goes in the same
        transaction, so whoever holds it finds its lease gone and writes no more; an
        event id taken by that holder's last checkpoint meanwhile means count again."""
        for attempt in range(5):
            count = await self.store.count_events(record.arn)
            event = HistoryEvent(count + 1, count, record.stop_date or self.clock.now(),
                                 "ExecutionAborted", details)
            try:
                async with self.store.batch() as tx:
                    tx.finish_work(record.arn, None)
                    tx.append_events(record.arn, [event])
                    tx.update_execution(record)
                self.feed.publish(record.arn, [event])
                return
            except Conflict:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.05)

    async def redrive_execution(self, execution: ExecutionRecord,
                                client_token: str | None) -> float:
        if execution.type != "STANDARD":
            raise ApiError("ExecutionNotRedrivable",
                           f"Execution {execution.arn} is an Express execution")
        if execution.status not in ("FAILED", "TIMED_OUT", "ABORTED"):
            raise ApiError("ExecutionNotRedrivable",
                           f"Execution {execution.arn} is {execution.status}: only failed, "
                           "timed out or aborted executions can be redriven")
        now = self.clock.now()
        recorded = await self._load_history(execution.arn)
        count = len(recorded)
        redrive_count = execution.redrive_count + 1
        redriven = HistoryEvent(count + 1, count, now, "ExecutionRedriven",
                                {"redriveCount": redrive_count})
        record = replace(execution, status="RUNNING", stop_date=None, output=None,
                         error=None, cause=None, redrive_count=redrive_count,
                         redrive_date=now, redrive_status=None)
        async with self.store.batch() as tx:
            tx.append_events(execution.arn, [redriven])
            tx.update_execution(record)
            tx.lease_work(_EXECUTION, execution.arn, self.owner,
                          time.time() + self.lease_seconds)
        self.feed.publish(execution.arn, [redriven])
        await self._resume(record, replay_filter=events_before_failed_state)
        return now

    # -- TestState ------------------------------------------------------------------------
    async def test_state(self, request: dict) -> dict:
        from .test_state import run_test_state

        return await run_test_state(request, self.tasks, self.region, self.account)

    # -- activities and callbacks ---------------------------------------------------------
    async def get_activity_task(self, activity: ActivityRecord,
                                worker_name: str | None) -> ActivityTaskGrant | None:
        return await self.callbacks.get_activity_task(activity, worker_name)

    async def send_task_success(self, task_token: str, output: str) -> None:
        await self.callbacks.complete(task_token, output=output)

    async def send_task_failure(self, task_token: str, error: str | None,
                                cause: str | None) -> None:
        await self.callbacks.complete(task_token, error=error or "", cause=cause or "",
                                      failed=True)

    async def send_task_heartbeat(self, task_token: str) -> None:
        await self.callbacks.heartbeat(task_token)


# -- helpers ----------------------------------------------------------------------------
def events_before_failed_state(events: list[Event]) -> list[Event]:
    """The part of a history a redrive replays: everything before the top-level state
    that ended the execution was entered, so that state runs again from its start."""
    last_entered = 0
    for event in events:
        if event.thread == "" and event.type.endswith("StateEntered"):
            last_entered = event.id
    return [e for e in events if e.id < last_entered and e.type not in TERMINAL_EVENTS
            and e.type != "ExecutionRedriven"]


class _NotInserted(Exception):
    """An execution's first commit (its record) failed: it must not run on."""


class _Dropped(asyncio.CancelledError):
    """This process must write nothing more for an execution (shutdown, lease lost).
    A cancellation, so the interpreter unwinds as it does when stopped."""


_EXECUTION = "execution"  # the work-item kind whose lease owns an execution
_CLAIM_BATCH = 50  # executions leased per claim statement
_RETRY_RESUME_SECONDS = 30.0  # before an execution that failed to resume is offered again


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _to_store(event: Event) -> HistoryEvent:
    details = render_details(event.details) if event.details else None
    return HistoryEvent(event.id, event.previous_event_id, event.timestamp, event.type,
                        details, event.thread)


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


def _machine_name(record: ExecutionRecord) -> str:
    return record.machine_arn.rsplit(":", 1)[-1]


def _log_end(record: ExecutionRecord) -> None:
    """The execution's end line: status, and how long since it started."""
    duration = max(0, int(((record.stop_date or record.start_date) - record.start_date)
                          * 1000))
    logs.execution_ended(_machine_name(record), record.arn, record.status, duration,
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
