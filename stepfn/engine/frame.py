"""Where one thread of an execution stands, and the context object it sees.

A *thread* is the top level of an execution, one Parallel branch or one Map
iteration. Each has its own variables scope, its own place in the history chain
(``prev``) and its own context object (``$$``), built only when a path reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..asl.paths import EvalEnv

if TYPE_CHECKING:
    from .run_context import RunContext


def iso_timestamp(epoch_seconds: float) -> str:
    """AWS's rendering of a time in the context object: millisecond precision, Z."""
    dt = datetime.fromtimestamp(epoch_seconds, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Frame(EvalEnv):
    """One thread of an execution: an ``EvalEnv`` for paths plus history bookkeeping."""

    # ``variables`` and ``_context`` are EvalEnv's slots.
    __slots__ = ("run", "history", "prev", "thread", "state_name", "entered_at",
                 "entered_id", "retry_count", "map_item", "task_token", "current_input")

    def __init__(self, run: RunContext, variables: dict, prev: int,
                 map_item: dict | None = None, thread: str = "") -> None:
        self.run = run
        self.history = run.history  # the run's (a Distributed Map child's own history)
        self.variables = variables
        self.prev = prev
        # Names this thread in the history so a replay matches events thread by thread:
        # "" for the top level, "<parent>/<started event id>.<index>" below it.
        self.thread = thread
        self.state_name = ""
        self.entered_at = 0.0
        self.entered_id = 0
        self.retry_count: int | None = None
        self.map_item = map_item
        self.task_token: str | None = None
        self.current_input: Any = None
        self._context: dict | None = None

    def child(self, started_id: int, index: int, prev: int) -> Frame:
        """A frame for branch/iteration ``index`` of the Parallel or Map state whose
        Started event is ``started_id``; it reads this frame's variables but assigns
        its own copy (AWS's scoping)."""
        return Frame(self.run, dict(self.variables), prev,
                     thread=f"{self.thread}/{started_id}.{index}")

    def emit(self, event_type: str, details: dict | None = None) -> int:
        """Record an event that follows this thread's previous one."""
        self.prev = self.history.add(event_type, details, self.prev, False, self.thread)
        return self.prev

    def emit_first(self, event_type: str, details: dict | None, prev: int) -> int:
        """Record this thread's first event, chained to ``prev`` in the parent thread."""
        self.prev = self.history.add(event_type, details, prev, False, self.thread)
        return self.prev

    def emit_side(self, event_type: str, details: dict | None = None) -> int:
        """Record an event that does not move this thread's chain forward."""
        return self.history.add(event_type, details, self.prev, False, self.thread)

    def enter_state(self, state_name: str, event_type: str, raw_input: Any,
                    input_text: str) -> None:
        """Enter a state: record its Entered event and start its context afresh.

        The event's own timestamp is the state's EnteredTime (the recorded one when
        replaying), so entering costs one clock read."""
        self.state_name = state_name
        self.retry_count = None
        self.task_token = None
        self._context = None
        self.current_input = raw_input
        history = self.history
        self.entered_id = self.prev = history.add(
            event_type, {"name": state_name, "input": input_text}, self.prev, False,
            self.thread)
        replayed = history.replayed
        self.entered_at = (replayed if replayed is not None else history.events[-1]).timestamp

    def set_retry_count(self, count: int) -> None:
        self.retry_count = count
        self._context = None

    def set_task_token(self, token: str) -> None:
        self.task_token = token
        self._context = None

    def set_map_item(self, item: dict | None) -> None:
        """``$$.Map.Item`` while an iteration's input is made (``Index``, ``Value`` and,
        over an object's pairs, ``Key``); None outside."""
        self.map_item = item
        self._context = None

    @property
    def context(self) -> dict:
        """The context object ``$$`` as AWS shapes it for the current state."""
        ctx = self._context
        if ctx is None:
            ctx = self._context = self._build_context()
        return ctx

    def _build_context(self) -> dict:
        run = self.run
        state: dict[str, Any] = {"Name": self.state_name,
                                 "EnteredTime": iso_timestamp(self.entered_at)}
        if self.retry_count is not None:
            state["RetryCount"] = self.retry_count
        ctx: dict[str, Any] = {
            "Execution": run.execution_context,
            "StateMachine": run.machine_context,
            "State": state,
        }
        if self.task_token is not None:
            ctx["Task"] = {"Token": self.task_token}
        if self.map_item is not None:
            ctx["Map"] = {"Item": self.map_item}
        return ctx
