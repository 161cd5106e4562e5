"""(a) stepfn in-process: ``Engine`` from stepfn.runtime, executions awaited one after
another in one event loop per timed run."""

from __future__ import annotations

import asyncio
import sys

from common import Outcome, Workload

# Several workloads make 40,000-60,000 history events, past AWS's default 25,000.
HISTORY_LIMIT = 10_000_000


def _history_limit_ignored() -> bool:
    """Probe: does Engine(max_history_events) reach the execution? A 1-state machine
    makes 4 events, so a limit of 2 must fail it."""
    from stepfn.runtime import Engine

    probe = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    return Engine(max_history_events=2).run(probe, {}).status == "SUCCEEDED"


def _honour_history_limit(limit: int) -> str | None:
    """Work around ExecutionRun dropping Engine(max_history_events) (it took
    ``history or History()``, and an empty History is falsy since it defines __len__).
    Patches this worker process only; returns a note when the workaround was needed."""
    if not _history_limit_ignored():
        return None
    from stepfn.engine import execution
    from stepfn.engine.history import History

    class RaisedLimitHistory(History):
        __slots__ = ()

        def __init__(self, max_events: int = limit, on_append=None) -> None:
            super().__init__(max_events, on_append)

    execution.History = RaisedLimitHistory
    return ("stepfn bug worked around: Engine(max_history_events) is ignored "
            "(ExecutionRun used `history or History()`; an empty History is falsy)")


class Driver:
    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.notes: list[str] = []

    def setup(self) -> None:
        from stepfn.runtime import Engine

        note = _honour_history_limit(HISTORY_LIMIT)
        if note:
            self.notes.append(note)
            print("warning: " + note, file=sys.stderr)
        self.engine = Engine(time_skipping=False, max_history_events=HISTORY_LIMIT)
        self.machine = self.engine.compile(self.workload.definition)

    def run(self, executions: int) -> list[Outcome]:
        results: list = []
        # The coroutine returns nothing on purpose: on Python 3.11, asyncio.run reprs its
        # finished main task (signal.getsignal formats the SIGINT handler, a partial
        # holding the task), and a result holding a big history costs up to 0.5 s to repr.
        asyncio.run(self._run(executions, results))
        return [Outcome(r.status, r.output, r.error, r.cause) for r in results]

    async def _run(self, executions: int, results: list) -> None:
        engine, machine, value = self.engine, self.machine, self.workload.input
        for _ in range(executions):
            results.append(await engine.execute(machine, value))

    def close(self) -> None:
        pass
