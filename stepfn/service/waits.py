"""Durable waits and parking (design.md §4: waiting things are rows, not only futures).

Every wait of a Standard execution (a Wait state, a retry back-off, a task waiting for
its token's answer, an activity, a ``.sync`` child execution) goes through the run's
``WaitBook``:

* **As rows.** A wait whose end is known in time (its deadline, or the earliest of a
  task's TimeoutSeconds, its heartbeat deadline and the execution's TimeoutSeconds) is
  a *timer* row (id ``<execution ARN>|<thread>``), written in the same transaction as
  the checkpoint that begins the wait and deleted with the checkpoint after it. Waits
  for an answer are rows already: the task token (the answer is written into it), the
  activity task, the child execution. Whoever writes an answer also calls
  ``wake_work`` on the waiting execution's work item.
* **Parked.** When every thread of the execution that could do something is in such a
  wait and none of them ends within ``park_after`` seconds (answer waits: after
  waiting ``park_after`` seconds already), the execution is *parked*: its coroutines
  are dropped (nothing more is written for them), and its work item is handed back in
  one transaction (``Batch.park_work``), claimable again when its earliest timer is
  due or at once when an answer arrives. Any worker then claims it and resumes it by
  replay, exactly as after a crash: recorded events are matched, so the history is the
  one an unparked run writes (same events, same ids; a Wait keeps its recorded
  deadline, a back-off counts from its recorded failure, a task's timeout from its
  recorded scheduling, a heartbeat from the token's stored deadline).

Shorter waits stay in memory under the lease: parking and resuming costs a replay, not
worth it for a two-second back-off. Parked, an execution costs no memory, no coroutine
and no lease renewal, which is what lets a fleet hold 100,000 executions waiting for
callbacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..engine.history import History
from ..store.base import Batch, Timer

T = TypeVar("T")

#: Seconds a wait must still have to run (or, for an answer, must have lasted) before
#: the execution is parked (``STEPFN_PARK_SECONDS`` sets it for a process).
DEFAULT_PARK_AFTER = 5.0
#: Waits for an answer: their end is not known in advance.
ANSWER_WAITS = frozenset({"token", "child"})


@dataclass
class _Wait:
    kind: str
    due: float | None  # when it ends at the latest (epoch seconds); None: unknown
    since: float  # when it began
    durable: bool  # a thread of the execution's own history (not a Distributed Map
    # child run inside it, whose history is its own and is never parked)


class WaitBook:
    """The threads and waits of one durable execution run by this process."""

    def __init__(self, execution_arn: str, history: History, clock: Any,
                 park_after: float, checkpoint: Callable[[], Awaitable[None]],
                 park: Callable[[], None], timeout_at: float | None = None,
                 resumed: bool = False) -> None:
        self.arn = execution_arn
        self.history = history
        self.clock = clock
        self.park_after = park_after
        self._checkpoint = checkpoint
        self._park = park
        self.timeout_at = timeout_at  # the execution's TimeoutSeconds, as epoch seconds
        self.live: dict[tuple[int, str], int] = {}  # thread -> its live child threads
        self.waiting: dict[tuple[int, str], _Wait] = {}
        # Timer writes for the next checkpoint: id -> the timer, or None to delete it.
        self.pending: dict[str, Timer | None] = {}
        # Resumed (by replay): the timers a previous run left are dropped with the first
        # checkpoint; every wait still open registers its own again as it is replayed.
        self.clear_first = resumed
        self.parked = False
        # Whether the execution may have timer rows (to delete when it ends): not for
        # the many that never wait, whose end then costs no extra statement.
        self.has_timers = resumed

    # -- the engine's hooks ---------------------------------------------------------------
    def thread_started(self, history: History, thread: str) -> None:
        """A thread began (the top level, a Parallel branch, a Map iteration)."""
        self.live[(id(history), thread)] = 0
        parent = _parent(history, thread)
        if parent in self.live:
            self.live[parent] += 1

    def thread_ended(self, history: History, thread: str) -> None:
        """A thread ended (or was cancelled)."""
        self.live.pop((id(history), thread), None)
        parent = _parent(history, thread)
        if parent in self.live:
            self.live[parent] -= 1
        if self.waiting and not self.parked:
            # The threads left may all be waiting now (a branch ended beside one that
            # waits for an answer): look again.
            self._check_at(self.clock.now())

    async def wait(self, history: History, thread: str, kind: str, due: float | None,
                   waiting: Callable[[], Awaitable[T]]) -> T:
        """Record the wait, checkpoint, then wait (the execution may be parked meanwhile:
        then this coroutine is cancelled and a replay comes back here later)."""
        key = (id(history), thread)
        durable = history is self.history
        if self.timeout_at is not None:
            due = self.timeout_at if due is None else min(due, self.timeout_at)
        timer_id = f"{self.arn}|{thread}"
        if durable and due is not None:
            self.pending[timer_id] = Timer(timer_id, self.arn, due, {"kind": kind})
            self.has_timers = True
        await self._checkpoint()
        now = self.clock.now()
        self.waiting[key] = _Wait(kind, due, now, durable)
        self._check_at(now if kind not in ANSWER_WAITS else now + self.park_after)
        try:
            return await waiting()
        finally:
            self.waiting.pop(key, None)
            if durable and due is not None and not self.parked:
                self.pending[timer_id] = None

    # -- the service's side ---------------------------------------------------------------
    def write_timers(self, tx: Batch) -> None:
        """Add the pending timer writes to a checkpoint's batch."""
        if self.clear_first or self.pending:
            self.take_timers()(tx)

    def take_timers(self) -> Callable[[Batch], None]:
        """The pending timer writes (taken: the next checkpoint has none), as a
        function adding them to a batch (which may be tried more than once)."""
        clear, pending = self.clear_first, self.pending
        self.clear_first, self.pending = False, {}
        arn = self.arn

        def write(tx: Batch) -> None:
            if clear:
                tx.delete_timers_of(arn)
            for timer_id, timer in pending.items():
                if timer is None:
                    tx.delete_timer(timer_id)
                else:
                    tx.add_timer(timer)
        return write

    @property
    def has_writes(self) -> bool:
        """Whether the next checkpoint has timers to write even without events."""
        return self.clear_first or bool(self.pending)

    def parkable(self, now: float) -> bool:
        """Whether every thread that could act is in a wait long enough to park."""
        if self.parked or not self.waiting:
            return False
        for key, children in self.live.items():
            if children:
                continue  # waits for its branches or iterations
            wait = self.waiting.get(key)
            if wait is None or not wait.durable:
                return False  # running (a task, a checkpoint), or not ours to park
            if wait.kind in ANSWER_WAITS and now - wait.since < self.park_after:
                return False
            if wait.due is not None and wait.due - now <= self.park_after:
                return False
        return True

    def _check_at(self, when: float) -> None:
        delay = max(0.0, when - self.clock.now())
        loop = asyncio.get_running_loop()
        if delay <= 0:
            loop.call_soon(self._check)
        elif delay != float("inf"):
            loop.call_later(delay, self._check)

    def _check(self) -> None:
        if self.parkable(self.clock.now()):
            self.parked = True
            self._park()


def _parent(history: History, thread: str) -> tuple[int, str] | None:
    if not thread:
        return None
    return (id(history), thread.rpartition("/")[0])
