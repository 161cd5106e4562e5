"""The interface between the interpreter and task resources.

The interpreter does no I/O: a Task state asks the ``TaskDispatcher`` for the handler of
its resource ARN and awaits ``handler.invoke(call)``. A handler returns the result as
JSON-ready Python data or raises ``StatesError`` with the error name AWS would report.
New integrations (aws-sdk, sqs, http, activities, callbacks...) plug in by registering a
handler for their resource type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..asl.resources import Resource, ResourceError, parse_resource
from ..errors import StatesError

#: A Task resource taken apart: the one grammar (``stepfn.asl.resources``) the validator
#: and the compiler read too.
ResourceRef = Resource


@dataclass
class TaskCall:
    """One invocation of a task resource by a Task state."""

    ref: ResourceRef
    parameters: Any
    parameters_text: str  # the parameters as JSON text (what the history recorded)
    state_name: str
    execution_arn: str
    timeout_seconds: float | None = None
    heartbeat_seconds: float | None = None
    task_token: str | None = None
    # Names this invocation within its execution, the same when a replay re-invokes it:
    # lets a handler make its side effect idempotent (e.g. a child execution's name).
    invocation_id: str = ""
    extra: dict = field(default_factory=dict)
    # The execution's History and the id of this call's Scheduled event: what a mock
    # reads to number the invocations of a state (the same numbers on replay).
    history: Any = None
    scheduled_event_id: int = 0
    # The thread of the execution the Task runs in (Frame.thread), and when its
    # TimeoutSeconds runs out (epoch seconds from the recorded TaskScheduled, so a
    # resumed task keeps its deadline; None: no timeout).
    thread: str = ""
    deadline: float | None = None
    # Waits ``seconds`` as the run waits (durably under ``stepfn serve``: a timer row,
    # the execution parked when long): what a ``.sync`` job's polling sleeps on.
    sleep: Callable[[float], Awaitable[None]] | None = None


class TaskHandler(Protocol):
    async def invoke(self, call: TaskCall) -> Any:
        """Run the task; return its JSON-ready result or raise StatesError."""


@runtime_checkable
class JobHandler(Protocol):
    """A handler that runs ``.sync`` (Run a Job) tasks in two steps, so the Task state
    records the job's submission as AWS does (TaskSubmitted between the start and the
    end, TaskSubmitFailed when the starting call fails) and a resumed execution follows
    the job it submitted instead of submitting another."""

    def runs_jobs(self, call: TaskCall) -> bool:
        """Whether ``call`` is to be run as ``submit`` then ``complete``."""

    async def submit(self, call: TaskCall) -> Any:
        """Start the job; its output is recorded as TaskSubmitted."""

    async def complete(self, call: TaskCall, submitted: Any) -> Any:
        """Wait for the submitted job to end; the task's result."""


class SubmitFailed(StatesError):
    """The call that starts a ``.sync`` or ``.waitForTaskToken`` task failed: the
    Task state records TaskSubmitFailed (not TaskFailed) with its error and cause.
    The Task state wraps any StatesError of ``submit`` (or of a .waitForTaskToken
    task's call) itself; raise this only to say so from elsewhere."""


class TaskDispatcher:
    """Finds the handler for a resource: by kind, then by service resource type."""

    def __init__(self) -> None:
        self._by_type: dict[str, TaskHandler] = {}
        self._by_kind: dict[str, TaskHandler] = {}
        # Where .waitForTaskToken tasks wait for their answer (the service's callbacks).
        self.token_waiter: Any = None
        # Mocked responses (a ``mocks.TaskMocks``), consulted before any real handler.
        self.mocks: Any = None

    async def register_token(self, call: TaskCall) -> None:
        """Make ``call.task_token`` answerable before the integration hands it out."""
        if self.mocks is not None and self.mocks.mocks(call):
            return  # the mock answers it
        if self.token_waiter is not None:
            await self.token_waiter.register(call)

    async def wait_for_token(self, call: TaskCall) -> Any:
        """The answer sent for ``call.task_token`` (SendTaskSuccess/Failure)."""
        if self.mocks is not None and self.mocks.mocks(call):
            return self.mocks.answer(call)
        if self.token_waiter is None:
            raise StatesError("States.Runtime", "Task tokens need `stepfn serve`: no one "
                              "could answer this .waitForTaskToken task in-process")
        return await self.token_waiter.wait(call)

    def register_kind(self, kind: str, handler: TaskHandler) -> None:
        self._by_kind[kind] = handler

    def register_type(self, resource_type: str, handler: TaskHandler) -> None:
        self._by_type[resource_type] = handler

    def handler_for(self, ref: ResourceRef) -> TaskHandler:
        if self.mocks is not None:
            from .mocks import MockedHandler

            try:
                real: TaskHandler | None = self._real_handler(ref)
            except StatesError as err:
                real, missing = None, err.cause or ""
            else:
                missing = ""
            return MockedHandler(self.mocks, real, missing)
        return self._real_handler(ref)

    def _real_handler(self, ref: ResourceRef) -> TaskHandler:
        if ref.kind != "service":
            handler = self._by_kind.get(ref.kind)
        else:
            handler = self._by_type.get(ref.resource_type)
            if handler is None and ref.resource_type.startswith("aws-sdk:"):
                handler = self._by_type.get("aws-sdk")
        if handler is None:
            raise StatesError(
                "States.Runtime", f"The resource '{ref.arn}' is not supported by stepfn")
        return handler


__all__ = ["JobHandler", "Resource", "ResourceError", "ResourceRef", "SubmitFailed",
           "TaskCall", "TaskDispatcher", "TaskHandler", "parse_resource"]
