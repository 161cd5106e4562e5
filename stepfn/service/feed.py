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

Events appended by *other* processes (a ``stepfn worker`` advancing an execution that
an API node's client follows) reach the same feed through ``RemoteEvents``: on
PostgreSQL each append NOTIFYs its execution ARN and event ids and the subscriber's
process reads those events from the store; on SQLite (no notifications between
processes) the store is polled for the executions someone follows that this process
does not run. Each event is delivered once per subscriber whichever way it came.

``state_status`` turns a history into the status of each state of the definition, for
the UI's graph.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..asl.model import MachineModel, load_model
from ..engine.recovery import Retrier, find_retrier
from ..store.base import HistoryEvent
from .logs import TASK_FAILURES

DEFAULT_BUFFER = 1000  # events a subscriber may fall behind before it loses the oldest
# How often, without notifications (SQLite), the store is read for followed executions
# that another process may be advancing.
REMOTE_POLL_SECONDS = 1.0
_TERMINAL = frozenset(("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut",
                       "ExecutionAborted"))

log = logging.getLogger("stepfn.feed")


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
        # The last event id delivered per followed execution: an event that arrives
        # both from this process and from the store (RemoteEvents) is delivered once.
        self._delivered: dict[str, int] = {}

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
                    self._delivered.pop(sub.execution_arn, None)

    @property
    def has_subscribers(self) -> bool:
        """Whether anyone listens (publishing costs nothing otherwise)."""
        return bool(self._everything or self._by_execution)

    def follows(self, execution_arn: str) -> bool:
        """Whether a subscriber wants the events of ``execution_arn``."""
        return bool(self._everything) or execution_arn in self._by_execution

    def followed(self) -> list[str]:
        """The executions subscribed to by ARN."""
        with self._lock:
            return list(self._by_execution)

    def delivered(self, execution_arn: str) -> int | None:
        """The last event id delivered for ``execution_arn`` (None: none tracked)."""
        return self._delivered.get(execution_arn)

    def mark_delivered(self, execution_arn: str, event_id: int) -> None:
        """Take events up to ``event_id`` as delivered (a follower read them itself)."""
        with self._lock:
            if self.follows(execution_arn) and execution_arn not in self._delivered:
                self._delivered[execution_arn] = event_id

    def publish_remote(self, execution_arn: str, events: Sequence[HistoryEvent]) -> None:
        """Deliver events another process appended (read back from the store) to the
        subscribers, not the listeners (that process counted them), skipping those
        delivered already."""
        self._deliver(execution_arn, events, None)

    def publish(self, execution_arn: str, events: Sequence[Any],
                render: Callable[[Any], HistoryEvent] | None = None) -> None:
        """Hand committed events to the listeners (as given) and to the subscribers
        (as ``render`` makes them HistoryEvents, only when someone subscribed); never
        blocks."""
        for listener in self.listeners:
            listener(execution_arn, events)
        self._deliver(execution_arn, events, render)

    def _deliver(self, execution_arn: str, events: Sequence[Any],
                 render: Callable[[Any], HistoryEvent] | None) -> None:
        if not self._everything and execution_arn not in self._by_execution:
            if self._delivered:
                self._delivered.pop(execution_arn, None)
            return
        with self._lock:
            targets = self._by_execution.get(execution_arn)
            receivers = [*(targets or ()), *self._everything]
            if not receivers or not events:
                return
            after = self._delivered.get(execution_arn, 0)
            fresh = [event for event in events if event.id > after]  # not yet delivered
            last = events[-1]
            if last.type in _TERMINAL and not targets:
                # Followed by everything-subscribers only: forget it, the map stays
                # small (an ARN's own subscribers keep it until they leave: _remove).
                self._delivered.pop(execution_arn, None)
            elif last.id > after:
                self._delivered[execution_arn] = last.id
        if not fresh:
            return
        items = [FeedEvent(execution_arn, render(event) if render else event)
                 for event in fresh]
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


class RemoteEvents:
    """Brings events that other processes append into ``feed`` (see the module
    docstring): through ``store.on_events`` where the store notifies across processes,
    else by reading the store every ``poll_seconds`` for each execution followed by
    ARN that ``runs_here`` says this process does not run."""

    def __init__(self, store: Any, feed: EventFeed, runs_here: Callable[[str], bool],
                 poll_seconds: float = REMOTE_POLL_SECONDS) -> None:
        self.store = store
        self.feed = feed
        self.runs_here = runs_here
        self.poll_seconds = poll_seconds
        self._stop: Callable[[], None] | None = None
        self._poller: asyncio.Task | None = None
        self._reading: dict[str, asyncio.Task] = {}
        self._again: set[str] = set()

    def start(self) -> None:
        """Begin listening (or polling)."""
        if self.store.events_across_processes:
            self._stop = self.store.on_events(self._notified)
        else:
            self._poller = asyncio.ensure_future(self._poll())

    async def stop(self) -> None:
        """Stop listening and reading."""
        if self._stop is not None:
            self._stop()
            self._stop = None
        tasks = [t for t in (self._poller, *self._reading.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._poller = None
        self._reading.clear()

    def _notified(self, execution_arn: str, first: int, last: int) -> None:
        delivered = self.feed.delivered(execution_arn)
        if not self.feed.follows(execution_arn) or (delivered or 0) >= last:
            return  # nobody follows it, or this process published those already
        self._read_soon(execution_arn, first - 1)

    def _read_soon(self, execution_arn: str, after: int) -> None:
        """Read the execution's new events, one read per execution at a time (a
        notification during a read makes it read once more)."""
        if execution_arn in self._reading:
            self._again.add(execution_arn)
            return
        self._reading[execution_arn] = asyncio.ensure_future(
            self._read(execution_arn, after))

    async def _read(self, execution_arn: str, after: int) -> None:
        try:
            while True:
                self._again.discard(execution_arn)
                delivered = self.feed.delivered(execution_arn)
                if delivered is not None:
                    after = delivered
                await self._publish_after(execution_arn, after)
                if execution_arn not in self._again:
                    return
        except Exception as exc:  # noqa: BLE001 - followers re-read the store themselves
            log.warning("cannot read the new events of %s: %s", execution_arn, exc)
        finally:
            self._reading.pop(execution_arn, None)

    async def _publish_after(self, execution_arn: str, after: int) -> None:
        cursor = str(after) if after > 0 else None
        while True:
            page = await self.store.get_history(execution_arn, limit=1000, cursor=cursor)
            if page.items:
                self.feed.publish_remote(execution_arn, page.items)
            cursor = page.next_cursor
            if not cursor:
                return

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            for arn in self.feed.followed():
                if self.runs_here(arn) or arn in self._reading:
                    continue
                delivered = self.feed.delivered(arn)
                if delivered is None:
                    # First look: what is stored now was there before anyone followed
                    # (followers read the history themselves); deliver what comes next.
                    try:
                        count = await self.store.count_events(arn)
                    except Exception as exc:  # noqa: BLE001 - next round
                        log.warning("cannot read the history of %s: %s", arn, exc)
                        continue
                    self.feed.mark_delivered(arn, count)
                    continue
                self._read_soon(arn, delivered)


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
    ``failed`` when its task (or the state) failed for good; ``retrying`` from a task
    failure one of the state's retriers takes (its ErrorEquals matches first and it has
    attempts left: the back-off has begun) until the next outcome; ``caught`` when a
    failure was followed by the state's Exited event and a move to its Catch target;
    ``aborted`` when the thread it ran in was stopped (a Parallel branch or Map
    iteration aborted, its container failed, the execution stopped, timed out or
    ended). A state entered many times (a loop, every iteration
    loop) shows its latest visit; a state run by many Map iterations at once shows the
    most telling of their statuses (failed, aborted, retrying, running, caught,
    succeeded, in that order).
    """
    model = load_model(orjson.loads(definition) if isinstance(definition, str)
                       else definition)
    locations = _locations_by_name(model)
    retriers = _retriers_by_location(model)
    status: dict[tuple[str, str], str] = {}  # (thread, location) -> latest status
    current: dict[str, str] = {}  # thread -> location of the state it is in
    failed: dict[str, str] = {}  # thread -> its state that failed, outcome unknown yet
    attempts: dict[str, list[int]] = {}  # thread -> retries used per retrier, this visit
    for event in history:
        kind, thread = event.type, event.thread
        if kind.endswith("StateEntered"):
            loc = locations.get((event.details or {}).get("name", ""))
            if loc is not None:
                current[thread] = loc
                status[thread, loc] = RUNNING
                attempts[thread] = [0] * len(retriers.get(loc, ()))
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
                # A task attempt's failure may be retried (a Map or Parallel writes its
                # own failure event only once no retrier takes it).
                retried = kind in TASK_FAILURES and _retries(
                    retriers.get(loc, ()), attempts.get(thread), event)
                status[thread, loc] = RETRYING if retried else FAILED
                failed[thread] = loc  # caught, should no retry come after all
            _abort(status, current, failed, thread, inside_only=True)
    return _summary(locations.values(), status)


def _retries(retriers: tuple[Retrier, ...], used: list[int] | None,
             event: HistoryEvent) -> bool:
    """Whether the interpreter retries after this task failure, as its Recovery
    decides: the first retrier matching the error, if it has attempts left (counted in
    ``used``, which this updates)."""
    if not retriers or used is None:
        return False
    details = event.details or {}
    error = details.get("error") or ("States.Timeout" if event.type.endswith("TimedOut")
                                     else None)
    index = find_retrier(retriers, error) if isinstance(error, str) else -1
    if index < 0 or used[index] >= retriers[index].max_attempts:
        return False
    used[index] += 1
    return True


def _retriers_by_location(model: MachineModel) -> dict[str, tuple[Retrier, ...]]:
    found = {}
    for state in model.walk_states():
        specs = state.fields.get("Retry")
        if isinstance(specs, list) and specs:
            try:
                found[state.location] = tuple(Retrier.from_spec(spec) for spec in specs)
            except (KeyError, TypeError):  # not a valid definition: no prediction
                continue
    return found


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
