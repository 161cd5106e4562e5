"""The event feed: every history event appended to the store is published here, so a
client (the web UI, a test, a CLI) can follow an execution live.

``EventFeed`` is an in-process pub/sub the service owns. ``publish`` is called after the
events are committed and never blocks the runner: each subscriber has a bounded queue,
and a subscriber that falls behind loses its *oldest* events and is told how many (a
``Gap`` in its stream), so it can read them back from the store if it cares.

Publisher and subscribers may live on different threads: ``stepfn serve`` runs
executions on an event loop of their own while the API's loop streams the feed. A
subscription belongs to the loop it was made on, and events reach it through that
loop (``call_soon_threadsafe``) when they are published from another thread.

``state_status`` turns a history into the status of each state of the definition, for
the UI's graph.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..asl.model import MachineModel, load_model
from ..store.base import HistoryEvent

DEFAULT_BUFFER = 1000  # events a subscriber may fall behind before it loses the oldest


@dataclass(frozen=True)
class FeedEvent:
    """One history event of one execution, as published."""

    execution_arn: str
    event: HistoryEvent


@dataclass(frozen=True)
class Gap:
    """``lost`` events were dropped for this subscriber because it read too slowly."""

    lost: int


class Subscription:
    """A subscriber's bounded view of the feed; iterate it (async) to receive
    ``FeedEvent``s and ``Gap``s, and ``close`` it (or leave the ``async with``)."""

    def __init__(self, feed: EventFeed, execution_arn: str | None, buffer: int) -> None:
        self.execution_arn = execution_arn
        self._feed = feed
        self._items: deque[FeedEvent] = deque()
        self._buffer = buffer
        self._lost = 0
        self._wake = asyncio.Event()
        self.closed = False
        try:  # where _offer must run: the loop that reads this subscription
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None

    def _offer_all(self, items: list[FeedEvent]) -> None:
        for item in items:
            self._offer(item)

    def _offer(self, item: FeedEvent) -> None:
        if len(self._items) >= self._buffer:
            self._items.popleft()  # the oldest goes: the runner never waits for us
            self._lost += 1
        self._items.append(item)
        self._wake.set()

    async def get(self) -> FeedEvent | Gap:
        """The next item: a Gap first if events were lost since the last call."""
        while True:
            if self._lost:
                lost, self._lost = self._lost, 0
                return Gap(lost)
            if self._items:
                return self._items.popleft()
            if self.closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()

    def get_nowait(self) -> FeedEvent | Gap | None:
        """The next item if one is waiting, else None."""
        if self._lost:
            lost, self._lost = self._lost, 0
            return Gap(lost)
        return self._items.popleft() if self._items else None

    def __aiter__(self) -> AsyncIterator[FeedEvent | Gap]:
        return self

    async def __anext__(self) -> FeedEvent | Gap:
        return await self.get()

    def close(self) -> None:
        """Stop receiving; a pending ``get`` ends the iteration."""
        self.closed = True
        self._feed._remove(self)
        self._wake.set()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class EventFeed:
    """In-process pub/sub of appended history events (one per service)."""

    def __init__(self, buffer: int = DEFAULT_BUFFER) -> None:
        self.buffer = buffer
        self._by_execution: dict[str, set[Subscription]] = {}
        self._everything: set[Subscription] = set()
        self._lock = threading.Lock()  # subscribers come and go on another thread
        # Called synchronously with every published batch (cheap counters only).
        self.listeners: list[Callable[[str, Sequence[Any]], None]] = []

    def subscribe(self, execution_arn: str | None = None,
                  buffer: int | None = None) -> Subscription:
        """Events of ``execution_arn`` (or of every execution when None) from now on."""
        sub = Subscription(self, execution_arn, buffer or self.buffer)
        with self._lock:
            if execution_arn is None:
                self._everything.add(sub)
            else:
                self._by_execution.setdefault(execution_arn, set()).add(sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub.execution_arn is None:
                self._everything.discard(sub)
                return
            subs = self._by_execution.get(sub.execution_arn)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_execution[sub.execution_arn]

    @property
    def has_subscribers(self) -> bool:
        """Whether anyone listens (publishing costs nothing otherwise)."""
        return bool(self._everything or self._by_execution)

    def publish(self, execution_arn: str, events: Sequence[Any],
                render: Callable[[Any], HistoryEvent] | None = None) -> None:
        """Hand committed events to the listeners (as given) and to the subscribers
        (as ``render`` makes them HistoryEvents, only when someone subscribed); never
        blocks."""
        for listener in self.listeners:
            listener(execution_arn, events)
        if not self._everything and execution_arn not in self._by_execution:
            return
        with self._lock:
            receivers = [*self._by_execution.get(execution_arn, ()), *self._everything]
        if not receivers:
            return
        items = [FeedEvent(execution_arn, render(event) if render else event)
                 for event in events]
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for sub in receivers:
            if sub.loop is None or sub.loop is here:
                sub._offer_all(items)
                continue
            try:
                sub.loop.call_soon_threadsafe(sub._offer_all, items)
            except RuntimeError:  # its loop has closed: nobody reads it any more
                pass


# ------------------------------------------------------------------ per-state status
NOT_STARTED = "not-started"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CAUGHT = "caught"
RETRYING = "retrying"
ABORTED = "aborted"

_FAILURE_SUFFIXES = ("Failed", "TimedOut")


def state_status(definition: str | dict, history: Sequence[HistoryEvent]) -> dict[str, str]:
    """The status of every state of ``definition`` after ``history``, keyed by the
    state's location in the public model (``/States/A``; nested states of a Map or
    Parallel under their container, ``/States/M/ItemProcessor/States/E``).

    ``running`` from the state's Entered event; ``succeeded`` at its Exited event;
    ``failed`` when its task (or the state) failed; ``retrying`` once a failed task is
    scheduled again; ``caught`` when a failure was followed by the state's Exited event
    and a move to its Catch target; ``aborted`` when the thread it ran in was stopped
    (a Parallel branch or Map iteration aborted, its container failed, the execution
    stopped, timed out or ended). A state entered many times (a loop, every iteration
    loop) shows its latest visit; a state run by many Map iterations at once shows the
    most telling of their statuses (failed, aborted, retrying, running, caught,
    succeeded, in that order).
    """
    model = load_model(orjson.loads(definition) if isinstance(definition, str)
                       else definition)
    locations = _locations_by_name(model)
    status: dict[tuple[str, str], str] = {}  # (thread, location) -> latest status
    current: dict[str, str] = {}  # thread -> location of the state it is in
    failed: dict[str, str] = {}  # thread -> its state that failed, outcome unknown yet
    for event in history:
        kind, thread = event.type, event.thread
        if kind.endswith("StateEntered"):
            loc = locations.get((event.details or {}).get("name", ""))
            if loc is not None:
                current[thread] = loc
                status[thread, loc] = RUNNING
        elif kind.endswith("StateExited"):
            loc = current.pop(thread, None)
            if loc is not None:
                status[thread, loc] = CAUGHT if failed.get(thread) == loc else SUCCEEDED
            failed.pop(thread, None)
            _abort(status, current, failed, thread, inside_only=True)
        elif kind.startswith("Execution") and kind != "ExecutionStarted" and \
                kind != "ExecutionRedriven":
            _abort(status, current, failed, "", inside_only=False)
        elif kind.endswith("Aborted"):
            _abort(status, current, failed, thread, inside_only=False)
        elif kind.endswith("Scheduled") and thread in failed:
            status[thread, failed.pop(thread)] = RETRYING
        elif kind.endswith(_FAILURE_SUFFIXES) and thread in current:
            loc = current[thread]
            if status[thread, loc] != FAILED:
                status[thread, loc] = FAILED
                failed[thread] = loc
            _abort(status, current, failed, thread, inside_only=True)
    return _summary(locations.values(), status)


_RANK = {FAILED: 6, ABORTED: 5, RETRYING: 4, RUNNING: 3, CAUGHT: 2, SUCCEEDED: 1}


def _summary(locations: Iterable[str],
             visits: dict[tuple[str, str], str]) -> dict[str, str]:
    """One status per location: its visits' most telling one (see state_status)."""
    status = dict.fromkeys(locations, NOT_STARTED)
    for (_, loc), value in visits.items():
        if _RANK[value] > _RANK.get(status[loc], 0):
            status[loc] = value
    return status


def _abort(status: dict[tuple[str, str], str], current: dict[str, str], failed: dict[str, str],
           thread: str, inside_only: bool) -> None:
    """The states still running in ``thread`` (unless ``inside_only``) and in the
    threads it started (Map iterations, Parallel branches) were stopped."""
    prefix = thread + "/"
    for t in list(current):
        if t.startswith(prefix) or (t == thread and not inside_only):
            loc = current.pop(t)
            if status[t, loc] in (RUNNING, RETRYING):
                status[t, loc] = ABORTED
            failed.pop(t, None)


def _locations_by_name(model: MachineModel) -> dict[str, str]:
    # State names are unique within a whole machine, nested machines included (ASL),
    # so an event's state name finds its location.
    return {state.name: state.location for state in model.walk_states()}
