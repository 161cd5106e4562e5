"""Running Parallel branches and Map iterations side by side, failing fast.

Branches that may suspend get an asyncio Task each. Branches made only of pure states
(known when the definition is compiled, ``Branch.pure``) cannot suspend, so they run
one after another without coroutines or Tasks (``run_all_sync``): in index order,
which is the order their Tasks would have run in, so the history is the same.

(Driving a coroutine by hand up to its first suspension and only then giving it a
Task would also save the Task for branches that happen not to suspend, but on Python
3.11 that first part would run with the *caller's* task as ``asyncio.current_task()``,
which ``asyncio.timeout`` and ``TaskGroup`` in a task handler would then cancel.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def run_all(count: int, make: Callable[[int], Awaitable[Any]],
                  limit: int | None = None) -> list[Any]:
    """Await ``make(i)`` for i in range(count), at most ``limit`` at once (None: all).

    Results come back in index order. The first failure cancels the rest and is
    re-raised once they have settled.
    """
    if limit == 1:
        return [await make(i) for i in range(count)]
    results: list[Any] = [None] * count
    semaphore = asyncio.Semaphore(limit) if limit else None

    async def one(i: int) -> None:
        if semaphore is None:
            results[i] = await make(i)
            return
        async with semaphore:
            results[i] = await make(i)

    tasks = [asyncio.ensure_future(one(i)) for i in range(count)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return results


def run_all_sync(count: int, call: Callable[[int], Any], limit: int | None = None) -> list[Any]:
    """``run_all`` for branches that never suspend (pure states only): each runs to its
    end in turn. As in ``run_all``, a failure stops the others only with a limit of 1
    (one at a time); otherwise the branches after it would have started already, so
    they run, and the first failure is raised at the end."""
    if limit == 1:
        return [call(i) for i in range(count)]
    results: list[Any] = [None] * count
    failure: BaseException | None = None
    for i in range(count):
        try:
            results[i] = call(i)
        except Exception as exc:
            if failure is None:
                failure = exc
    if failure is not None:
        raise failure
    return results
