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

from .app import create_execution_service
from .executions import ExecutionManager

__all__ = ["ExecutionManager", "create_execution_service"]
