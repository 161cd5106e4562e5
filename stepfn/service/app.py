"""Composition: the one place that wires a store, the task integrations and the
execution service together, for ``stepfn serve`` (``create_execution_service``),
``stepfn worker`` (``run_worker``) and the tests.

In ``stepfn serve`` executions run on an event loop of their own, in a thread of their
own (``OffLoopService``): the API's loop only hands work over and awaits the answer.
An execution that keeps its loop busy (a filter regex or a JSONata expression running
up to its time budget, a heavy payload template) then delays other executions, but
not the API: DescribeExecution, ListExecutions and the like answer from the store on
the API's loop. A thread rather than a process: the executions share the store (one
SQLite connection and its group commit), the event feed and the task-token secret with
the API, and the expensive evaluations leave the interpreter to the API's thread:
``regex`` releases the GIL while it matches, and Python code (JSONata) is interrupted
every ``sys.getswitchinterval()`` (set to 1 ms while serving; Python's default is 5 ms)
for the other thread. Single long C calls (building a huge list) are not; a process
would isolate those too (benchmarks/README.md, "Runaway expressions").

(``stepfn run`` runs one execution in memory with ``stepfn.runtime.Engine``: no store,
no service, nothing to wire.)
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..asl import budgets
from ..settings import FLEET_SETTINGS, Settings
from ..store.base import ActivityRecord, ExecutionRecord, Store
from ..tasks import tokens
from ..tasks.http import HttpPolicy
from ..tasks.mocks import MockConfig
from .contract import ActivityTaskGrant, StartRequest, SyncResult
from .executions import DEFAULT_LEASE_SECONDS, ExecutionManager
from .express import DEFAULT_KEEP, DEFAULT_KEEP_MB
from .fleet import FleetMembership, FleetSettings, agree

T = TypeVar("T")
SWITCH_INTERVAL_SECONDS = 0.001  # see OffLoopService.start


@dataclass(frozen=True)
class ServiceSettings:
    """How to build the execution service of one process (``stepfn serve``/``worker``
    options): built whole from ``stepfn.settings.Settings`` by ``from_settings``, and
    again by ``with_fleet`` once the fleet's settings are known."""

    region: str = "us-east-1"
    account: str = "123456789012"
    functions: Sequence[str] = ()  # --functions specs: modules or files of local functions
    max_history_events: int = 25_000
    worker: bool = True  # False: an API-only node (--no-worker)
    mock_config: MockConfig | None = None  # --mock-config
    http_policy: HttpPolicy = field(default_factory=HttpPolicy)  # --http-allow
    lambda_forward: bool = False
    read_connections: bool = True  # STEPFN_HTTP_CONNECTIONS
    expression_timeout_ms: int = budgets.EXPRESSION_TIMEOUT_MS
    jsonata_range_limit: int = budgets.RANGE_LIMIT
    lease_seconds: float | None = None
    park_after: float | None = None
    token_poll_seconds: float | None = None
    sync_poll_seconds: float | None = None
    express_keep: int = DEFAULT_KEEP
    express_keep_mb: int = DEFAULT_KEEP_MB
    execution_logs: str = "cloudwatch"
    # The role this process joins the fleet on its store as ("serve", "api", "worker");
    # None: it does not join (tests building a service of their own).
    fleet_role: str | None = None
    # The fleet settings set by a flag or variable: name -> that flag or variable.
    given: Mapping[str, str] = field(default_factory=dict)
    # A template's functions: a stepfn.lambda_runtime.LambdaRuntime, built whole by the
    # caller (who closes it), or None.
    lambda_runtime: Any = None
    # Run beside the service (contract.ServiceExtension): an application's machines,
    # event sources and schedules (stepfn.templates.host).
    extensions: tuple[Any, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings, fleet_role: str | None) -> ServiceSettings:
        """From the command line's settings. ValueError naming the flag or variable for
        an allow-list entry that is not a host or network; MockConfigError for a mock
        configuration that does not load."""
        try:
            policy = HttpPolicy.parse(settings.http_allow)
        except ValueError as exc:
            raise ValueError(f"{settings.origin('http_allow')}: {exc}") from None
        mock = MockConfig.load(settings.mock_config) if settings.mock_config else None
        return cls(region=settings.region, account=settings.account,
                   functions=settings.functions,
                   max_history_events=settings.max_history_events,
                   worker=settings.worker, mock_config=mock, http_policy=policy,
                   lambda_forward=settings.lambda_forward,
                   read_connections=settings.http_connections == "read",
                   expression_timeout_ms=settings.expression_timeout_ms,
                   jsonata_range_limit=settings.jsonata_range_limit,
                   lease_seconds=settings.lease_seconds,
                   park_after=settings.park_seconds,
                   token_poll_seconds=settings.token_poll_seconds,
                   sync_poll_seconds=settings.sync_poll_seconds,
                   express_keep=settings.express_keep,
                   express_keep_mb=settings.express_keep_mb,
                   execution_logs=settings.execution_logs, fleet_role=fleet_role,
                   given={name: settings.origin(name) for name in FLEET_SETTINGS
                          if settings.given(name)})

    def fleet_settings(self) -> FleetSettings:
        """The settings this process shares with its fleet, as they compare."""
        return FleetSettings({
            "region": self.region, "account": self.account,
            "http_allow": list(self.http_policy.allow) if self.http_policy.allow else None,
            "http_connections": "read" if self.read_connections else "ignore",
            "lambda_forward": self.lambda_forward,
            "mock_config": self.mock_config.document if self.mock_config else None,
            "max_history_events": self.max_history_events,
            "expression_timeout_ms": self.expression_timeout_ms,
            "jsonata_range_limit": self.jsonata_range_limit})

    def with_fleet(self, fleet: FleetSettings) -> ServiceSettings:
        """These settings with ``fleet``'s values for the fleet settings."""
        values = fleet.values
        document = values["mock_config"]
        mock = self.mock_config
        if document != (mock.document if mock else None):
            mock = (MockConfig.from_json(document, "<the fleet's mock configuration>")
                    if document is not None else None)
        return replace(self, region=values["region"], account=values["account"],
                       http_policy=HttpPolicy.parse(values["http_allow"]),
                       read_connections=values["http_connections"] == "read",
                       lambda_forward=values["lambda_forward"], mock_config=mock,
                       max_history_events=values["max_history_events"],
                       expression_timeout_ms=values["expression_timeout_ms"],
                       jsonata_range_limit=values["jsonata_range_limit"])


async def agree_with_fleet(store: Store, settings: ServiceSettings) -> ServiceSettings:
    """``settings`` with the fleet settings the live members of the fleet on ``store``
    (an open store) run with, where this process was not given its own (FleetConflict
    when one it was given differs: see service/fleet.py)."""
    members = await store.fleet_members(time.time())
    return settings.with_fleet(agree(settings.fleet_settings(), settings.given, members))


def build_service(store: Store, settings: ServiceSettings) -> ExecutionManager:
    """The execution service over ``store``, its local functions loaded; the expression
    budgets (process-wide) set."""
    from ..functions_loader import register_all

    budgets.configure(settings.expression_timeout_ms, settings.jsonata_range_limit)
    lease_seconds = settings.lease_seconds or DEFAULT_LEASE_SECONDS
    fleet = (FleetMembership(store, settings.fleet_settings(), settings.fleet_role,
                             lease_seconds) if settings.fleet_role else None)
    manager = ExecutionManager(
        store, region=settings.region, account=settings.account,
        max_history_events=settings.max_history_events, lease_seconds=lease_seconds,
        worker=settings.worker, park_after=settings.park_after,
        token_poll_seconds=settings.token_poll_seconds, mock_config=settings.mock_config,
        lambda_forward=settings.lambda_forward, http_policy=settings.http_policy,
        read_connections=settings.read_connections,
        sync_poll_seconds=settings.sync_poll_seconds, express_keep=settings.express_keep,
        express_keep_bytes=settings.express_keep_mb * 1024 * 1024,
        execution_logs=settings.execution_logs, fleet=fleet,
        lambda_runtime=settings.lambda_runtime, extensions=settings.extensions)
    for spec in settings.functions:
        register_all(manager.functions, spec)
    return manager


def create_execution_service(store: Store,
                             settings: ServiceSettings | None = None) -> OffLoopService:
    """The execution service ``stepfn serve`` answers with (``api.server.serve``'s
    default ``service_factory``): on an event loop of its own."""
    own = store.for_another_loop()
    manager = build_service(own, settings or ServiceSettings())
    return OffLoopService(manager, own if own is not store else None)


class ExecutionLoop:
    """An asyncio event loop running in a daemon thread of its own."""

    def __init__(self, name: str = "stepfn-executions") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on this loop and await its result from the caller's loop (a
        cancelled caller cancels it there too)."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def stop(self) -> None:
        """Stop the loop (its tasks should be done) and wait for the thread."""
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)


class OffLoopService:
    """The execution service on its own ``ExecutionLoop``, as the API calls it
    (``contract.ExecutionService``): every call is handed to that loop.

    ``own_store`` is the service's store when it needs one of its own on that loop
    (PostgreSQL's pool; SQLite's store thread serves both loops), opened and closed
    there.
    """

    def __init__(self, manager: ExecutionManager, own_store: Store | None = None) -> None:
        self.manager = manager
        self._own_store = own_store
        self._loop: ExecutionLoop | None = None

    # What the API's ops routes and start checks read (thread-safe, see feed/metrics).
    @property
    def feed(self) -> Any:
        return self.manager.feed

    @property
    def metrics(self) -> Any:
        return self.manager.metrics

    @property
    def running(self) -> dict[str, Any]:
        return self.manager.running

    @property
    def express(self) -> Any:
        """The recent Express executions (thread-safe; service/express.py)."""
        return self.manager.express

    @property
    def mock_config(self) -> Any:
        return self.manager.mock_config

    async def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the execution service is not started")
        return await self._loop.call(coro)

    async def start(self) -> None:
        """Start the loop, then the service on it (its store first, if its own)."""
        # A busy execution thread holds the GIL until the API's thread asks for it and
        # the interval passes; each API call needs it several times (request, store
        # thread, answer). 1 ms instead of 5 keeps those waits short (benchmarks/
        # runaway.py); it costs nothing while the executions' thread is idle.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_SECONDS))
        self._loop = ExecutionLoop()
        self._loop.start()
        if self._own_store is not None:
            await self._call(self._own_store.open())
        await self._call(self.manager.start())

    async def stop(self) -> None:
        """Stop the service on its loop, then the loop."""
        if self._loop is None:
            return
        try:
            await self._call(self.manager.stop())
            if self._own_store is not None:
                await self._call(self._own_store.close())
        finally:
            loop, self._loop = self._loop, None
            await loop.stop()

    async def start_execution(self, request: StartRequest) -> ExecutionRecord:
        return await self._call(self.manager.start_execution(request))

    async def start_sync_execution(self, request: StartRequest) -> SyncResult:
        return await self._call(self.manager.start_sync_execution(request))

    async def stop_execution(self, execution: ExecutionRecord, error: str | None,
                             cause: str | None) -> float:
        return await self._call(self.manager.stop_execution(execution, error, cause))

    async def redrive_execution(self, execution: ExecutionRecord,
                                client_token: str | None) -> float:
        return await self._call(self.manager.redrive_execution(execution, client_token))

    async def redrive_status_reason(self, execution: ExecutionRecord) -> str | None:
        return await self._call(self.manager.redrive_status_reason(execution))

    async def test_state(self, request: dict) -> dict:
        return await self._call(self.manager.test_state(request))

    async def get_activity_task(self, activity: ActivityRecord,
                                worker_name: str | None) -> ActivityTaskGrant | None:
        return await self._call(self.manager.get_activity_task(activity, worker_name))

    async def send_task_success(self, task_token: str, output: str) -> None:
        await self._call(self.manager.send_task_success(task_token, output))

    async def send_task_failure(self, task_token: str, error: str | None,
                                cause: str | None) -> None:
        await self._call(self.manager.send_task_failure(task_token, error, cause))

    async def send_task_heartbeat(self, task_token: str) -> None:
        await self._call(self.manager.send_task_heartbeat(task_token))


async def open_store(store: Store) -> None:
    """Open ``store`` and use its task-token secret (a token handed out by any process
    on this store verifies on every other, and after a restart)."""
    await store.open()
    tokens.use_secret(await store.get_or_create_secret(tokens.SECRET_NAME,
                                                       tokens.new_secret()))


async def run_worker(db: str, settings: ServiceSettings) -> None:
    """``stepfn worker``: run executions from the store at ``db`` (no API) until
    SIGTERM or SIGINT, then stop them without writing anything and hand the leases
    back."""
    from ..store import store_for

    store = store_for(db)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await open_store(store)
    try:
        manager = build_service(store, await agree_with_fleet(store, settings))
    except BaseException:
        await store.close()
        raise
    try:
        await manager.start()
        await stopping.wait()
    finally:
        await manager.stop()
        await store.close()
