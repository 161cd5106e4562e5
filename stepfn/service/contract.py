"""What the API needs from the execution layer, as a Protocol, and the values that
cross between them.

The API validates requests, resolves ARNs against the store (machine, version, alias,
execution, activity) and renders answers; the service runs executions. The service
raises its own errors (``stepfn.service.errors``: ``TaskDoesNotExist``,
``TaskTimedOut``, ``InvalidToken``, ``ExecutionNotRedrivable``...), which the API
answers with AWS's codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from stepfn.store.base import (
    ActivityRecord,
    AliasRecord,
    ExecutionRecord,
    StateMachineRecord,
    VersionRecord,
)


@dataclass(frozen=True)
class StartRequest:
    """A validated StartExecution / StartSyncExecution.

    ``definition``/``role_arn``/``revision_id`` are those of the resolved target: the
    machine's current revision, or the version's (also when reached through an alias).
    """

    execution_arn: str
    name: str
    input: str  # JSON text, already checked to be JSON and at most 256 KiB
    machine: StateMachineRecord
    definition: str
    role_arn: str
    revision_id: str | None
    version: VersionRecord | None = None
    alias: AliasRecord | None = None
    trace_header: str | None = None
    test_case: str | None = None  # StartExecution on ``<machine ARN>#<test case>``


@dataclass(frozen=True)
class ActivityTaskGrant:
    """What GetActivityTask hands a worker."""

    task_token: str
    input: str  # JSON text


@dataclass(frozen=True)
class SyncResult:
    """A finished Express execution (StartSyncExecution's answer)."""

    execution: ExecutionRecord  # status SUCCEEDED | FAILED | TIMED_OUT
    billed_duration_ms: int = 0
    billed_memory_mb: int = 64


class ServiceExtension(Protocol):
    """Something that runs beside the execution service, started after it and stopped
    before it (an application's machines, event sources and schedules: templates)."""

    async def start(self, manager: Any) -> None:
        """Called with the ``ExecutionManager`` once it has started."""
        ...

    async def stop(self) -> None:
        ...


class ExecutionService(Protocol):
    """The execution layer as the API calls it (implemented over the engine)."""

    async def start_execution(self, request: StartRequest) -> ExecutionRecord:
        """Start an execution (Standard: persist it before answering) and return its
        record (``arn`` and ``start_date`` are answered). For an existing ARN the API
        has already applied AWS's idempotency rule; a race may still raise
        the store's ``Conflict``."""
        ...

    async def start_sync_execution(self, request: StartRequest) -> SyncResult:
        """Run an Express execution to its end and return how it ended."""
        ...

    async def stop_execution(self, execution: ExecutionRecord, error: str | None,
                             cause: str | None) -> float:
        """Abort a running execution; returns the stop date (epoch seconds)."""
        ...

    async def redrive_execution(self, execution: ExecutionRecord,
                                client_token: str | None) -> float:
        """Redrive a failed execution; returns the redrive date. Raises
        ``ExecutionNotRedrivable`` when AWS's rules forbid it."""
        ...

    async def redrive_status_reason(self, execution: ExecutionRecord) -> str | None:
        """Why RedriveExecution would refuse ``execution`` now (DescribeExecution's
        ``redriveStatusReason``); None when it is REDRIVABLE."""
        ...

    async def test_state(self, request: dict) -> dict:
        """TestState: run one state; returns the answer's members (AWS names)."""
        ...

    async def get_activity_task(self, activity: ActivityRecord,
                                worker_name: str | None) -> ActivityTaskGrant | None:
        """Long-poll (up to 60 s) for a task of ``activity``; None when none came."""
        ...

    async def send_task_success(self, task_token: str, output: str) -> None:
        """Complete a callback or activity task (``output`` is checked JSON text)."""
        ...

    async def send_task_failure(self, task_token: str, error: str | None,
                                cause: str | None) -> None:
        ...

    async def send_task_heartbeat(self, task_token: str) -> None:
        ...
