"""``stepfn worker``: a process that runs executions and serves no API.

It opens the store, takes the leases of executions nobody holds (see
``ExecutionManager``), runs them, and on SIGTERM/SIGINT stops them without writing
anything and hands its leases back.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from ..store import store_for
from ..tasks import tokens
from . import create_execution_service


async def run_worker(db: str, *, region: str, account: str, functions: list[str],
                     max_history_events: int = 25_000) -> None:
    """Run executions from the store at ``db`` until SIGTERM or SIGINT."""
    store = store_for(db)
    config: Any = _Config(region, account, {"functions": functions,
                                            "max_history_events": max_history_events})
    manager = create_execution_service(store, config)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await store.open()
    try:
        # Task tokens this worker hands out must verify on every API node.
        tokens.use_secret(await store.get_or_create_secret(tokens.SECRET_NAME,
                                                           tokens.new_secret()))
        await manager.start()
        await stopping.wait()
    finally:
        await manager.stop()
        await store.close()


class _Config:
    """The part of ``ApiConfig`` the execution service reads."""

    def __init__(self, region: str, account: str, extra: dict[str, Any]) -> None:
        self.region = region
        self.account = account
        self.extra = extra
