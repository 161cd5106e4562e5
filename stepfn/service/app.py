"""Composition: the one place that wires a store, the task integrations and the
execution service together, for ``stepfn serve`` (``create_execution_service``),
``stepfn worker`` (``run_worker``) and the tests.

(``stepfn run`` runs one execution in memory with ``stepfn.runtime.Engine``: no store,
no service, nothing to wire.)
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..store.base import Store
from ..tasks import tokens
from .executions import ExecutionManager


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

    @classmethod
    def from_config(cls, config: Any) -> ServiceSettings:
        """From an ``api.ApiConfig`` (its ``extra`` holds the service's options)."""
        extra = config.extra
        return cls(region=config.region, account=config.account,
                   functions=tuple(extra.get("functions", ())),
                   max_history_events=extra.get("max_history_events", 25_000),
                   worker=extra.get("worker", True), mock_config=extra.get("mock_config"))


def build_service(store: Store, settings: ServiceSettings) -> ExecutionManager:
    """The execution service over ``store``, its local functions loaded."""
    from ..functions_loader import register_all

    manager = ExecutionManager(store, region=settings.region, account=settings.account,
                               max_history_events=settings.max_history_events,
                               lease_seconds=settings.lease_seconds, worker=settings.worker)
    for spec in settings.functions:
        register_all(manager.functions, spec)
    if settings.mock_config is not None:  # StartExecution on <machine ARN>#<test case>
        manager.mock_config = settings.mock_config
    return manager


def create_execution_service(store: Store, config: Any) -> Any:
    """The execution service ``stepfn serve`` answers with (``api.server.serve``'s
    default ``service_factory``)."""
    return build_service(store, ServiceSettings.from_config(config))


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
