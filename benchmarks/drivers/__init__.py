"""Engine drivers: how a worker runs a workload on one engine.

A driver module defines ``Driver``, constructed with the workload; the worker calls
``setup()`` once (untimed: compile, create the state machine, start a server),
``run(n)`` per timed run (n executions one after another, returning their Outcomes),
and ``close()`` at the end. Drivers import their engine, so each runs only under the
interpreter its engine mode names (see benchmarks/engines.py).
"""

from __future__ import annotations

from typing import Protocol

from common import Outcome, Workload


class Driver(Protocol):
    notes: list[str]  # anything the table's reader should know (workarounds applied)

    def __init__(self, workload: Workload) -> None: ...

    def setup(self) -> None: ...

    def run(self, executions: int) -> list[Outcome]: ...

    def close(self) -> None: ...
