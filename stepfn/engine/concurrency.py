"""Running Parallel branches and Map iterations side by side, failing fast."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable


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
