"""Executions over time: the long-running service behind ``stepfn serve`` and
``stepfn worker``.

- ``executions``: the facade the API calls (``ExecutionManager``);
- ``runner``: drives executions, checkpoints them (fenced by the lease), replays;
- ``scheduler``: leases (claim, renew, take over, release on shutdown);
- ``machines``: the rules of state machines, versions and aliases;
- ``callbacks``: task tokens, activities, heartbeats;
- ``errors``: what the service raises (the API maps it to AWS's codes);
- ``app``: the composition (store + tasks + service).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ExecutionManager", "create_execution_service"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the API imports stepfn.service.errors and should not pay
    # for the engine and the task integrations before it needs them.
    if name == "ExecutionManager":
        from .executions import ExecutionManager
        return ExecutionManager
    if name == "create_execution_service":
        from .app import create_execution_service
        return create_execution_service
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
