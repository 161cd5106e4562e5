"""The execution history, in AWS's event types and detail shapes.

Events are appended as small tuples; ``to_aws`` renders one as GetExecutionHistory
returns it. Inputs and outputs are serialised once, when the event is recorded, so the
history holds exactly what the state saw even if a user function later mutates a value,
and so payload sizes can be checked against AWS's limit at no extra cost.

``previousEventId`` follows AWS: each thread of the execution (the top level, one
Parallel branch, one Map iteration) chains its own events; see ``Frame.prev``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..errors import StatesError

# Detail fields whose values are JSON documents: AWS renders them as JSON text with a
# sibling "<field>Details": {"truncated": false}.
_DATA_FIELDS = ("input", "output")


_new_tuple = tuple.__new__


class Event(NamedTuple):
    id: int
    previous_event_id: int
    timestamp: float  # seconds since the epoch
    type: str
    details: dict | None
    thread: str = ""  # which thread of the execution recorded it (see Frame.thread)


def details_key(event_type: str) -> str:
    """AWS's name for an event type's details member."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class ReplayDivergence(Exception):
    """Re-running an execution produced an event its recorded history does not have."""


class History:
    """The ordered events of one execution (and of the Map/Parallel threads in it).

    Given the events already recorded, the history *replays* them: while a thread
    (the top level, a Parallel branch, a Map iteration) still has recorded events, each
    event it records is matched against the next recorded one of that thread instead of
    being appended. That is how an execution resumes after a crash: the interpreter runs
    again from the start and the recorded events stand in for the work already done.
    ``replayed`` is the recorded event the last ``add`` matched, or None when it was new.
    """

    __slots__ = ("events", "max_events", "on_append", "clock", "replayed", "_pending",
                 "choice_rules")

    def __init__(self, max_events: int = 25_000,
                 on_append: Callable[[Event], None] | None = None,
                 recorded: list[Event] | None = None,
                 replay: list[Event] | None = None, trace: bool = False) -> None:
        """``recorded``: the events stored so far (new ones are numbered after them);
        ``replay``: those to match while re-running (default: all of ``recorded``; a
        redrive replays only the part before the state that failed); ``trace``: also
        keep what workflow coverage needs beyond AWS's history (``choice_rules``)."""
        self.events: list[Event] = list(recorded or ())
        self.max_events = max_events
        self.on_append = on_append
        self.clock: Callable[[], float] = time.time
        self.replayed: Event | None = None
        self._pending: dict[str, deque[Event]] = {}
        # Traced runs only (not part of AWS's history): ChoiceStateExited event id -> the
        # index of the Choice rule that matched (absent: the Default was taken). Workflow
        # coverage reads it, since several rules may lead to the same state; other runs
        # pay nothing for it.
        self.choice_rules: dict[int, int] | None = {} if trace else None
        for event in (replay if replay is not None else recorded) or ():
            self._pending.setdefault(event.thread, deque()).append(event)

    def add(self, event_type: str, details: dict | None, previous: int,
            final: bool = False, thread: str = "") -> int:
        """Record an event and return its id; ``final`` events may pass the limit."""
        if self._pending:
            recorded = self._next_recorded(thread, event_type)
            if recorded is not None:
                return recorded.id
        self.replayed = None
        events = self.events
        event_id = len(events) + 1
        if event_id > self.max_events and not final:
            raise StatesError(
                "States.Runtime",
                f"The execution reached the maximum number of history events "
                f"({self.max_events}).")
        # tuple.__new__ skips the NamedTuple's Python-level __new__ (one frame per event).
        event = _new_tuple(Event, (event_id, previous, self.clock(), event_type, details,
                                   thread))
        events.append(event)
        if self.on_append is not None:
            self.on_append(event)
        return event_id

    def peek(self, thread: str) -> Event | None:
        """The next recorded event of ``thread`` not yet replayed, if any."""
        queue = self._pending.get(thread)
        return queue[0] if queue else None

    def _next_recorded(self, thread: str, event_type: str) -> Event | None:
        queue = self._pending.get(thread)
        if not queue:
            self.replayed = None
            return None
        recorded = queue.popleft()
        if not queue:
            del self._pending[thread]
        if recorded.type != event_type:
            raise ReplayDivergence(
                f"event {recorded.id} was {recorded.type}; the replay produced {event_type}")
        self.replayed = recorded
        return recorded

    def __len__(self) -> int:
        return len(self.events)

    def to_aws(self, include_data: bool = True) -> list[dict]:
        return [event_to_aws(e, include_data) for e in self.events]


def event_to_aws(event: Event, include_data: bool = True) -> dict:
    """One event as GetExecutionHistory returns it (timestamp as a datetime)."""
    out: dict[str, Any] = {
        "timestamp": datetime.fromtimestamp(event.timestamp, UTC),
        "type": event.type,
        "id": event.id,
        "previousEventId": event.previous_event_id,
    }
    if event.details:  # AWS leaves the member out when there is nothing to say
        out[details_key(event.type)] = render_details(event.details, include_data)
    return out


def render_details(details: dict, include_data: bool = True) -> dict:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if key in _DATA_FIELDS:
            if include_data:
                out[key] = value
            out[key + "Details"] = {"truncated": False}
        else:
            out[key] = value
    return out
