"""Executions over time: the long-running service behind ``stepfn serve``."""

from __future__ import annotations

from typing import Any

from .executions import ExecutionManager


def create_execution_service(store: Any, config: Any) -> ExecutionManager:
    """The execution service for the API server (``api.server.serve``'s default)."""
    manager = ExecutionManager(store, region=config.region, account=config.account,
                               max_history_events=config.extra.get("max_history_events",
                                                                   25_000),
                               worker=config.extra.get("worker", True))
    from ..functions_loader import register_all

    for spec in config.extra.get("functions", ()):
        register_all(manager.functions, spec)
    mock_config = config.extra.get("mock_config")
    if mock_config is not None:  # StartExecution on <machine ARN>#<test case>
        manager.mock_config = mock_config
    return manager


__all__ = ["ExecutionManager", "create_execution_service"]
