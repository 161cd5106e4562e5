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
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..store.base import ActivityRecord, ExecutionRecord, Store
from ..tasks import tokens
from .contract import ActivityTaskGrant, StartRequest, SyncResult
from .executions import ExecutionManager

T = TypeVar("T")
SWITCH_INTERVAL_SECONDS = 0.001  # see OffLoopService.start


@dataclass(frozen=True)
class ServiceSettings:
    """How to build the execution service (``stepfn serve``/``worker`` options)."""

    region: str = "us-east-1"
    account: str = "123456789012"
    functions: Sequence[str] = ()  # --functions specs: modules or files of local functions
    max_history_events: int = 25_000
    worker: bool = True  # False: an API-only node (--no-worker)
    mock_config: Any = None  # a tasks.mocks.MockConfig (--mock-config)
    lease_seconds: float | None = None
    # A template's functions: a stepfn.lambda_runtime.LambdaRuntime, built whole by the
    # caller (who closes it), or None.
    lambda_runtime: Any = None
    # Run beside the service (contract.ServiceExtension): an application's machines,
    # event sources and schedules (stepfn.templates.host).
    extensions: tuple[Any, ...] = ()

    @classmethod
    def from_config(cls, config: Any) -> ServiceSettings:
        """From an ``api.ApiConfig`` (its ``extra`` holds the service's options)."""
        extra = config.extra
        return cls(region=config.region, account=config.account,
                   functions=tuple(extra.get("functions", ())),
                   max_history_events=extra.get("max_history_events", 25_000),
                   worker=extra.get("worker", True), mock_config=extra.get("mock_config"),
                   lambda_runtime=extra.get("lambda_runtime"),
                   extensions=tuple(extra.get("extensions", ())))


def build_service(store: Store, settings: ServiceSettings) -> ExecutionManager:
    """The execution service over ``store``, its local functions loaded."""
    from ..functions_loader import register_all

    manager = ExecutionManager(store, region=settings.region, account=settings.account,
                               max_history_events=settings.max_history_events,
                               lease_seconds=settings.lease_seconds, worker=settings.worker,
                               lambda_runtime=settings.lambda_runtime,
                               extensions=settings.extensions)
    for spec in settings.functions:
        register_all(manager.functions, spec)
    if settings.mock_config is not None:  # StartExecution on <machine ARN>#<test case>
        manager.mock_config = settings.mock_config
    return manager


def create_execution_service(store: Store, config: Any) -> OffLoopService:
    """The execution service ``stepfn serve`` answers with (``api.server.serve``'s
    default ``service_factory``): on an event loop of its own."""
    own = store.for_another_loop()
    manager = build_service(own, ServiceSettings.from_config(config))
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
    manager = build_service(store, settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await open_store(store)
    try:
        await manager.start()
        await stopping.wait()
    finally:
        await manager.stop()
        await store.close()
