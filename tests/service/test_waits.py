"""WaitBook (service/waits.py): when an execution may be parked, from its threads and
their waits; which timer rows a checkpoint writes."""

from __future__ import annotations

import asyncio
import time

from stepfn.engine.history import History
from stepfn.store.base import Timer

ARN = "arn:aws:states:us-east-1:123456789012:execution:m:e"


class _Clock:
    now = staticmethod(time.time)


class _Batch:
    """Records the timer writes a book adds to a batch."""

    def __init__(self) -> None:
        self.writes: list[tuple] = []

    def add_timer(self, timer: Timer) -> None:
        self.writes.append(("add", timer.id, timer.due))

    def delete_timer(self, timer_id: str) -> None:
        self.writes.append(("delete", timer_id))

    def delete_timers_of(self, arn: str) -> None:
        self.writes.append(("clear", arn))


def _book(park_after: float, parks: list[str], resumed: bool = False,
          timeout_at: float | None = None):
    from stepfn.service.waits import WaitBook

    history = History()

    async def checkpoint() -> None:
        return None
    book = WaitBook(ARN, history, _Clock(), park_after, checkpoint,
                    lambda: parks.append("parked"), timeout_at, resumed=resumed)
    return book, history


def test_parks_once_every_branch_waits_long_enough() -> None:
    async def main() -> None:
        parks: list[str] = []
        book, history = _book(0.05, parks)
        book.thread_started(history, "")
        book.thread_started(history, "/3.0")
        book.thread_started(history, "/3.1")
        answer = asyncio.get_running_loop().create_future()
        waiting = asyncio.ensure_future(book.wait(history, "/3.0", "token", None,
                                                  lambda: answer))
        await asyncio.sleep(0.15)
        assert parks == []  # branch 1 still runs (a task, say)
        short = asyncio.ensure_future(book.wait(history, "/3.1", "wait", time.time() + 0.02,
                                                lambda: asyncio.sleep(0.02)))
        await asyncio.sleep(0.01)
        assert parks == []  # a wait about to end is not worth parking for
        await short
        book.thread_ended(history, "/3.1")  # the branch ended beside the waiting one
        await asyncio.sleep(0.01)
        assert parks == ["parked"]
        waiting.cancel()
    asyncio.run(main())


def test_a_long_timed_wait_parks_at_once_and_its_timer_rides_the_checkpoint() -> None:
    async def main() -> None:
        parks: list[str] = []
        book, history = _book(1.0, parks, timeout_at=time.time() + 60)
        book.thread_started(history, "")
        due = time.time() + 3600
        wait = asyncio.ensure_future(book.wait(history, "", "wait", due,
                                               lambda: asyncio.sleep(3600)))
        await asyncio.sleep(0.01)
        assert parks == ["parked"]
        batch = _Batch()
        book.write_timers(batch)  # capped by the execution's own timeout
        assert batch.writes == [("add", f"{ARN}|", book.timeout_at)]
        wait.cancel()
    asyncio.run(main())


def test_a_resumed_run_clears_old_timers_and_deletes_ended_waits() -> None:
    async def main() -> None:
        book, history = _book(float("inf"), [], resumed=True)
        book.thread_started(history, "")
        due = time.time() + 0.01
        await book.wait(history, "", "retry", due, lambda: asyncio.sleep(0.01))
        batch = _Batch()
        book.write_timers(batch)
        # The old ones go first; this wait's row came and went (the last write wins).
        assert batch.writes == [("clear", ARN), ("delete", f"{ARN}|")]
        assert book.has_timers
        other = _Batch()
        book.write_timers(other)
        assert other.writes == []
    asyncio.run(main())
