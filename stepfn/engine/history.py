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
from datetime import datetime, timezone
from typing import Any, Callable, NamedTuple

from ..errors import StatesError

# Detail fields whose values are JSON documents: AWS renders them as JSON text with a
# sibling "<field>Details": {"truncated": false}.
_DATA_FIELDS = ("input", "output")


class Event(NamedTuple):
    id: int
    previous_event_id: int
    timestamp: float  # seconds since the epoch
    type: str
    details: dict | None


def details_key(event_type: str) -> str:
    """AWS's name for an event type's details member."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class History:
    """The ordered events of one execution (and of the Map/Parallel threads in it)."""

    __slots__ = ("events", "max_events", "on_append", "clock")

    def __init__(self, max_events: int = 25_000,
                 on_append: Callable[[Event], None] | None = None) -> None:
        self.events: list[Event] = []
        self.max_events = max_events
        self.on_append = on_append
        self.clock: Callable[[], float] = time.time

    def add(self, event_type: str, details: dict | None, previous: int,
            final: bool = False) -> int:
        """Append an event and return its id; ``final`` events may pass the limit."""
        event_id = len(self.events) + 1
        if event_id > self.max_events and not final:
            raise StatesError(
                "States.Runtime",
                f"The execution reached the maximum number of history events "
                f"({self.max_events}).")
        event = Event(event_id, previous, self.clock(), event_type, details)
        self.events.append(event)
        if self.on_append is not None:
            self.on_append(event)
        return event_id

    def __len__(self) -> int:
        return len(self.events)

    def to_aws(self, include_data: bool = True) -> list[dict]:
        return [event_to_aws(e, include_data) for e in self.events]


def event_to_aws(event: Event, include_data: bool = True) -> dict:
    """One event as GetExecutionHistory returns it (timestamp as a datetime)."""
    out: dict[str, Any] = {
        "timestamp": datetime.fromtimestamp(event.timestamp, timezone.utc),
        "type": event.type,
        "id": event.id,
        "previousEventId": event.previous_event_id,
    }
    if event.details is not None:
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
