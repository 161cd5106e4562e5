"""The execution service as the API calls it: start, stop, redrive, TestState, task
tokens and activities.

``ExecutionManager`` is a facade over three parts: the ``ExecutionRunner`` (drives
executions, checkpoints them under the lease, replays), the ``LeaseScheduler`` (which
executions this process runs: claims, renewals, takeover, release on shutdown) and the
``CallbackHub`` (task tokens, activities, heartbeats). ``stepfn.service.app`` wires it
to a store and, for ``stepfn serve``, runs it on an event loop of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..engine.clock import RealClock
from ..store.base import ActivityRecord, ExecutionRecord, HistoryEvent, Store
from ..tasks.base import TaskDispatcher
from ..tasks.functions import FunctionRegistry
from ..tasks.http import HttpPolicy
from ..tasks.registry import default_dispatcher
from .callbacks import CallbackHub
from .contract import ActivityTaskGrant, ServiceExtension, StartRequest, SyncResult
from .errors import ExecutionNotRedrivable, StateMachineDoesNotExist
from .execution_logs import LogWriter
from .express import DEFAULT_KEEP, DEFAULT_KEEP_MB, RecentExpressExecutions
from .feed import EventFeed, RemoteEvents
from .fleet import FleetMembership
from .metrics import Metrics
from .nested import NestedExecutions
from .runner import EXECUTION, ExecutionRunner, Lease, events_before_failed_state
from .scheduler import LeaseScheduler, new_owner

__all__ = ["ExecutionManager", "events_before_failed_state", "redrive_refusal"]

# API_RedriveExecution: "Your workflow execution has not exceeded the redrivable period
# of 14 days ... This period starts from the day a state machine completes its
# execution. The workflow execution has not exceeded the maximum open time of one year.
# ... The execution event history count is less than 24,999" (the limit less one: the
# ExecutionRedriven event and at least one more must fit).
REDRIVABLE_SECONDS = 14 * 86400
MAX_OPEN_SECONDS = 365 * 86400


def redrive_refusal(execution: ExecutionRecord, now: float, event_count: int,
                    max_events: int, machine_deleting: bool = False) -> str | None:
    """Why RedriveExecution would refuse ``execution`` now, in the words of
    DescribeExecution's ``redriveStatusReason``; None when it is redrivable."""
    if machine_deleting:
        return "State machine is in DELETING status"
    if execution.status not in ("FAILED", "TIMED_OUT", "ABORTED"):
        return f"Execution is {execution.status} and cannot be redriven"
    if execution.stop_date is not None and now - execution.stop_date > REDRIVABLE_SECONDS:
        return "Execution redrivable period exceeded"
    if now - execution.start_date > MAX_OPEN_SECONDS:
        return "Execution has exceeded the max execution time"
    if event_count >= max_events - 1:
        return "Execution history event limit exceeded"
    return None

#: How long a running execution's lease lasts unless renewed (``STEPFN_LEASE_SECONDS``
#: sets it for a process).
DEFAULT_LEASE_SECONDS = 15.0


class ExecutionManager:
    """The execution layer behind the API (implements ``contract.ExecutionService``)."""

    def __init__(self, store: Store, *, region: str = "us-east-1",
                 account: str = "123456789012", functions: FunctionRegistry | None = None,
                 tasks: TaskDispatcher | None = None, clock: Any = None,
                 max_history_events: int = 25_000, lease_seconds: float | None = None,
                 worker: bool = True, park_after: float | None = None,
                 token_poll_seconds: float | None = None, mock_config: Any = None,
                 lambda_forward: bool = False, http_policy: HttpPolicy | None = None,
                 read_connections: bool = True, sync_poll_seconds: float | None = None,
                 fleet: FleetMembership | None = None, express_keep: int = DEFAULT_KEEP,
                 express_keep_bytes: int = DEFAULT_KEEP_MB * 1024 * 1024,
                 execution_logs: str = "cloudwatch", lambda_runtime: Any = None,
                 extensions: Sequence[ServiceExtension] = ()) -> None:
        """``mock_config``: a ``tasks.mocks.MockConfig`` (StartExecution on
        ``<machine ARN>#<test case>``); ``lambda_forward``, ``http_policy``,
        ``read_connections`` and ``sync_poll_seconds`` are handed to the task
        integrations (unless ``tasks`` is given); ``fleet``: this process's membership
        of the fleet on ``store`` (joined at ``start``); ``express_keep``: how many
        recent Express executions to keep with their events, ``express_keep_bytes`` how
        much of their inputs and outputs at most; ``execution_logs``: where
        executions log by their machine's loggingConfiguration, ``cloudwatch``,
        ``stdout``, ``file:PATH`` or ``off`` (service/execution_logs.py);
        ``lambda_runtime``: a template's functions (a ``stepfn.lambda_runtime.
        LambdaRuntime``, owned by whoever built it), for Lambda names no local function
        has; ``extensions``: run beside the service, started after it and stopped before
        it (contract.ServiceExtension: an application's machines, event sources and
        schedules)."""
        self.store = store
        self.region = region
        self.account = account
        self.clock = clock or RealClock()
        self.lease = Lease(new_owner(), lease_seconds or DEFAULT_LEASE_SECONDS, worker)
        self.fleet = fleet
        self.feed = EventFeed()  # every committed history event, for live followers
        self.metrics = Metrics()  # counted from the same events
        self.feed.listeners.append(self.metrics.observe)
        self.functions = functions or FunctionRegistry()
        self.tasks = tasks or default_dispatcher(
            self.functions, region=region, account=account, lambda_forward=lambda_forward,
            http_policy=http_policy, read_connections=read_connections,
            sync_poll_seconds=sync_poll_seconds, lambda_runtime=lambda_runtime)[0]
        self.express = RecentExpressExecutions(express_keep, express_keep_bytes)
        self.execution_logs = LogWriter(execution_logs) if execution_logs != "off" else None
        self.runner = ExecutionRunner(store, self.tasks, self.lease, clock=self.clock,
                                      feed=self.feed, region=region,
                                      max_history_events=max_history_events,
                                      park_after=park_after, mock_config=mock_config,
                                      express=self.express,
                                      execution_logs=self.execution_logs)
        self.scheduler = LeaseScheduler(store, self.runner, self.lease)
        # Events other processes append, into this process's feed (service/feed.py).
        self.remote_events = RemoteEvents(store, self.feed, self.runner.running.__contains__)
        self.callbacks = CallbackHub(store, self.clock, token_poll_seconds)
        self.callbacks.books = self.runner.book_of
        self.callbacks.install(self.tasks)
        self.tasks.register_type("states", NestedExecutions(self))
        # Started after the service and stopped before it (service/contract.py).
        self.extensions = tuple(extensions)

    # -- what the API and the tests look at -------------------------------------------------
    @property
    def owner(self) -> str:
        """This process's lease owner id."""
        return self.lease.owner

    @property
    def running(self) -> dict[str, Any]:
        """The executions this process is running now, by ARN."""
        return self.runner.running

    @property
    def mock_config(self) -> Any:
        """The mock configuration ``<machine ARN>#<test case>`` starts use (or None)."""
        return self.runner.mock_config

    def compile(self, definition: str, machine_type: str) -> Any:
        """A compiled machine, cached by definition text."""
        return self.runner.compile(definition, machine_type)

    async def wait_for_end(self, arn: str) -> ExecutionRecord:
        """The record of execution ``arn`` once it has ended."""
        return await self.runner.wait_for_end(arn)

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Join the fleet (FleetConflict when its settings differ), then resume what
        needs this process and keep claiming (see LeaseScheduler)."""
        if self.fleet is not None:
            await self.fleet.join(self.owner)
        self.remote_events.start()
        self.callbacks.start()
        await self.scheduler.start()
        for extension in self.extensions:
            await extension.start(self)

    async def stop(self) -> None:
        """Stop running executions without ending them; hand their leases back."""
        for extension in reversed(self.extensions):
            await extension.stop()
        await self.remote_events.stop()
        self.callbacks.stop()
        await self.scheduler.stop()
        if self.execution_logs is not None:  # what was logged so far is written
            writer = self.execution_logs
            await asyncio.get_running_loop().run_in_executor(None, writer.close)
        if self.fleet is not None:
            await self.fleet.leave()

    # -- starting ---------------------------------------------------------------------------
    async def start_execution(self, request: StartRequest,
                              parent_arn: str | None = None) -> ExecutionRecord:
        record = replace(self._new_record(request), parent_arn=parent_arn)
        machine = self.runner.compile(request.definition, record.type)
        self._use_test_case(request)
        await self.runner.start(record, machine, request.role_arn,
                                self._log_of(request, record))
        return record

    async def start_sync_execution(self, request: StartRequest) -> SyncResult:
        record = self._new_record(request)
        machine = self.runner.compile(request.definition, "EXPRESS")
        self._use_test_case(request)
        started = time.monotonic()
        finished = await self.runner.run_sync(record, machine, request.role_arn,
                                              self._log_of(request, record))
        billed = max(100, int((time.monotonic() - started) * 1000 + 99) // 100 * 100)
        return SyncResult(finished, billed_duration_ms=billed)

    def _log_of(self, request: StartRequest, record: ExecutionRecord) -> Any:
        """Where the new execution logs: its version's or machine's logging
        configuration (None: nowhere)."""
        if self.execution_logs is None:
            return None
        source = request.version or request.machine
        return self.execution_logs.session(source.logging_configuration,
                                           request.machine.name, record.arn,
                                           record.start_date)

    def _use_test_case(self, request: StartRequest) -> None:
        """Mock the states the request's test case names, for this execution."""
        if request.test_case is not None:
            self.runner.mock_execution(request.execution_arn, request.machine.name,
                                       request.test_case)

    def _new_record(self, request: StartRequest) -> ExecutionRecord:
        return ExecutionRecord(
            arn=request.execution_arn, machine_arn=request.machine.arn, name=request.name,
            status="RUNNING", start_date=self.clock.now(), input=request.input,
            type=request.machine.type, revision_id=request.revision_id,
            version_arn=request.version.arn if request.version else None,
            alias_arn=request.alias.arn if request.alias else None,
            trace_header=request.trace_header, test_case=request.test_case)

    # -- stopping and redriving -------------------------------------------------------------
    async def stop_execution(self, execution: ExecutionRecord, error: str | None,
                             cause: str | None) -> float:
        now = self.clock.now()
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        record = replace(execution, status="ABORTED", stop_date=now, error=error,
                         cause=cause,
                         redrive_status="REDRIVABLE" if execution.type == "STANDARD" else None)
        ended = await self.runner.abort(record, details or None)
        await self.callbacks.forget_execution(execution.arn)
        self.runner.notify_end(ended)
        return ended.stop_date or now

    async def redrive_execution(self, execution: ExecutionRecord,
                                client_token: str | None) -> float:
        if execution.type != "STANDARD":
            raise ExecutionNotRedrivable(f"Execution {execution.arn} is an Express execution")
        if execution.status not in ("FAILED", "TIMED_OUT", "ABORTED"):
            raise ExecutionNotRedrivable(
                f"Execution {execution.arn} is {execution.status}: only failed, "
                "timed out or aborted executions can be redriven")
        try:  # what it ran must still exist: the version, revision or machine
            await self.runner.definition_of(execution)
        except StateMachineDoesNotExist:
            raise ExecutionNotRedrivable(f"Execution {execution.arn} cannot be redriven: its "
                                         "state machine no longer exists") from None
        now = self.clock.now()
        count = await self.store.count_events(execution.arn)
        refusal = await self.redrive_status_reason(execution, count)
        if refusal is not None:
            raise ExecutionNotRedrivable(
                f"Execution {execution.arn} cannot be redriven: {refusal}")
        redrive_count = execution.redrive_count + 1
        redriven = HistoryEvent(count + 1, count, now, "ExecutionRedriven",
                                {"redriveCount": redrive_count})
        record = replace(execution, status="RUNNING", stop_date=None, output=None,
                         error=None, cause=None, redrive_count=redrive_count,
                         redrive_date=now, redrive_status=None)
        async with self.store.batch() as tx:
            tx.append_events(execution.arn, [redriven])
            tx.update_execution(record)
            tx.lease_work(EXECUTION, execution.arn, self.lease.owner,
                          time.time() + self.lease.seconds)
        self.feed.publish(execution.arn, [redriven])
        await self.runner.resume(record, replay_filter=events_before_failed_state)
        return now

    @property
    def max_history_events(self) -> int:
        return self.runner.max_history_events

    async def redrive_status_reason(self, execution: ExecutionRecord,
                                    event_count: int | None = None) -> str | None:
        """DescribeExecution's ``redriveStatusReason`` for ``execution`` now (None:
        REDRIVABLE), by ``redrive_refusal``'s rules."""
        if event_count is None:
            event_count = await self.store.count_events(execution.arn)
        machine = await self.store.get_state_machine(execution.machine_arn)
        return redrive_refusal(execution, self.clock.now(), event_count,
                               self.max_history_events,
                               machine is not None and machine.status == "DELETING")

    # -- TestState --------------------------------------------------------------------------
    async def test_state(self, request: dict) -> dict:
        from .test_state import run_test_state

        return await run_test_state(request, self.tasks, self.region, self.account)

    # -- activities and callbacks -----------------------------------------------------------
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
