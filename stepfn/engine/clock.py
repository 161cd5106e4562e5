"""Time as executions see it: real, or skipped ahead for fast tests of long waits."""

from __future__ import annotations

import asyncio
import time


class RealClock:
    """Wall-clock time; waits really wait (without holding a thread)."""

    # The builtin itself, not a method wrapping it: the history reads the clock for
    # every event, and a Python frame per read showed in profiles.
    now = staticmethod(time.time)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


class SkippingClock:
    """Virtual time: a wait returns at once and moves this clock forward.

    Lets a test run a workflow with hour-long Waits and retry back-offs in
    milliseconds, with the timestamps the workflow would have seen.
    """

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._offset += seconds
        await asyncio.sleep(0)
