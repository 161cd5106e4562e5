"""A Distributed Map run: its child executions, their counts and its failure threshold.

Each item (or batch of items) runs as a child execution with a history of its own and
an ARN as AWS names it, ``...:execution:<machine>/<label>:<uuid>``, where ``<label>`` is
the middle part of the Map Run's ARN (the state's ``Label`` when it has one). At most
MaxConcurrency children run at once. A child that fails, times out or is aborted counts
against ToleratedFailureCount / ToleratedFailurePercentage; past the threshold the run
fails with ``States.ExceedToleratedFailureThreshold``, the children still running are
aborted and those not started stay pending.

The interpreter does no I/O of its own: what the service keeps of a Map Run (its record
with live counts, the children's records and histories, UpdateMapRun's changes) goes
through a ``MapRunHost`` the service sets on the execution (``ExecutionRun.map_runs``).
Without one (an in-memory run) the children live in memory only. Child names are derived
from the Map Run ARN and the child's index, so a parent resumed after a crash finds the
children that already ended and does not run them again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import StatesError
from .frame import Frame
from .history import Event

EXCEEDED = "States.ExceedToleratedFailureThreshold"
EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"
_SETTINGS_POLL_SECONDS = 1.0  # how often a waiting run re-reads UpdateMapRun's changes
_FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
_COUNT_KEYS = ("pending", "running", "succeeded", "failed", "timedOut", "aborted", "total",
               "resultsWritten", "failuresNotRedrivable", "pendingRedrive")
_STATUS_KEY = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut",
               "ABORTED": "aborted", "RUNNING": "running", "PENDING": "pending"}


@dataclass
class ChildExecution:
    """One child execution of a Map Run (one item, or one batch of items)."""

    index: int
    arn: str
    name: str
    machine_arn: str
    input_text: str
    items: int = 1  # the items it processes (a batch's size)
    status: str = "PENDING"  # PENDING | RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    start: float | None = None
    stop: float | None = None
    output: Any = None
    output_text: str | None = None
    error: str | None = None
    cause: str | None = None
    # Set when a redriven Map Run runs this (STANDARD) child again: the service redrives
    # the stored execution (same ARN, its redriveCount raised) instead of starting one.
    redrive: bool = False


@dataclass
class MapRunView:
    """What a Map Run is at a moment: its settings, status and AWS-shaped counts."""

    arn: str
    execution_arn: str
    start: float
    execution_type: str = "STANDARD"
    status: str = "RUNNING"
    stop: float | None = None
    max_concurrency: int = 0
    tolerated_count: int | None = None  # None: not set (DescribeMapRun shows 0)
    tolerated_percentage: float | None = None
    item_counts: dict = field(default_factory=dict)
    execution_counts: dict = field(default_factory=dict)
    definition: str | None = None  # the item processor as a state machine definition
    role_arn: str = ""
    redrive_count: int = 0  # how many times the parent's redrives redrove this Map Run
    redrive_date: float | None = None  # the last redrive; children that ended before it
    # unsuccessfully run again


class MapRunHost(Protocol):
    """What the service keeps of Map Runs (see the module docstring)."""

    async def map_run_started(self, run: MapRunView) -> None:
        """Store the Map Run's record."""

    async def recorded_children(self, run: MapRunView) -> dict[str, ChildExecution]:
        """The children already stored for this Map Run (a parent resumed), by ARN."""

    async def child_started(self, run: MapRunView, child: ChildExecution) -> None:
        """Store a child's record as RUNNING, with the run's counts."""

    async def child_ended(self, run: MapRunView, child: ChildExecution,
                          events: list[Event]) -> None:
        """Store a child's end, its history and the run's counts."""

    async def settings(self, run: MapRunView) -> tuple[int, int | None, float | None] | None:
        """(maxConcurrency, toleratedFailureCount, toleratedFailurePercentage) as they are
        now (UpdateMapRun may have changed them); None when unknown."""

    async def map_run_ended(self, run: MapRunView) -> None:
        """Store the Map Run's end and final counts."""

    # Hosts that run STANDARD children as executions of their own (any worker may
    # claim them) set ``remote`` and implement these two.
    remote: bool

    async def run_child(self, run: MapRunView, child: ChildExecution) -> None:
        """Start ``child`` as a stored execution (or find it started) and wait for its
        end, filling in its status, output, error and dates."""

    async def abort_child(self, run: MapRunView, child: ChildExecution) -> None:
        """Stop ``child`` wherever it runs (the Map Run failed or was stopped)."""


def child_prefix(map_run_arn: str) -> tuple[str, str]:
    """(the children's execution ARN prefix, their state machine ARN) for a Map Run:
    ``...:mapRun:<machine>/<label>:<id>`` -> ``...:execution:<machine>/<label>:``."""
    base = map_run_arn.rsplit(":", 1)[0]
    return (base.replace(":mapRun:", ":execution:", 1) + ":",
            base.replace(":mapRun:", ":stateMachine:", 1))


def map_run_id(map_run_arn: str) -> str:
    """The Map Run's id: the last part of its ARN (ResultWriter's folder)."""
    return map_run_arn.rsplit(":", 1)[-1]


class MapRun:
    """Runs one Map Run's children (see the module docstring)."""

    def __init__(self, frame: Frame, view: MapRunView, host: MapRunHost | None,
                 count_given: bool, percentage_given: bool) -> None:
        self.frame = frame
        self.view = view
        self.host = host
        # Which thresholds the definition (or UpdateMapRun) set; none set: no failure
        # is tolerated.
        self.count_given = count_given
        self.percentage_given = percentage_given
        self.children: list[ChildExecution] = []
        self.failed_items = 0
        self.total_items = 0

    # -- counts ---------------------------------------------------------------------------
    def _recount(self) -> None:
        items = dict.fromkeys(_COUNT_KEYS, 0)
        executions = dict.fromkeys(_COUNT_KEYS, 0)
        for child in self.children:
            key = _STATUS_KEY[child.status]
            items[key] += child.items
            executions[key] += 1
        items["total"] = self.total_items
        executions["total"] = len(self.children)
        items["resultsWritten"] = self.view.item_counts.get("resultsWritten", 0)
        executions["resultsWritten"] = self.view.execution_counts.get("resultsWritten", 0)
        self.view.item_counts, self.view.execution_counts = items, executions

    def results_written(self, items: int, executions: int) -> None:
        self.view.item_counts["resultsWritten"] = items
        self.view.execution_counts["resultsWritten"] = executions

    # -- thresholds -----------------------------------------------------------------------
    def exceeded(self) -> bool:
        """Whether the failed items are past the tolerated threshold."""
        failed, total = self.failed_items, self.total_items
        if failed == 0:
            return False
        view = self.view
        if not self.count_given and not self.percentage_given:
            return True
        if self.count_given and failed > (view.tolerated_count or 0):
            return True
        return bool(self.percentage_given and total
                    and failed * 100 / total > (view.tolerated_percentage or 0))

    async def _refresh(self) -> None:
        """Take UpdateMapRun's changes (concurrency and thresholds) into account."""
        if self.host is None:
            return
        current = await self.host.settings(self.view)
        if current is None:
            return
        concurrency, count, percentage = current
        view = self.view
        view.max_concurrency = concurrency
        if count != (view.tolerated_count or 0):
            view.tolerated_count, self.count_given = count, True
        if percentage != (view.tolerated_percentage or 0):
            view.tolerated_percentage, self.percentage_given = percentage, True

    # -- running --------------------------------------------------------------------------
    async def run(self, inputs: list[Any], item_sizes: list[int],
                  run_child: Callable[[ChildExecution, Any], Awaitable[None]]) -> None:
        """Run one child per input; raises the threshold error when it is exceeded."""
        frame, view, host = self.frame, self.view, self.host
        prefix, machine_arn = child_prefix(view.arn)
        recorded = await host.recorded_children(view) if host is not None else {}
        for index, value in enumerate(inputs):
            name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{view.arn}#{index}"))
            child = ChildExecution(index, prefix + name, name, machine_arn,
                                   frame.run.serialize(value), items=item_sizes[index])
            stored = recorded.get(child.arn)
            if stored is not None and stored.status not in ("RUNNING", "PENDING"):
                child = stored  # ended before the parent was resumed: not run again
                child.index, child.items = index, item_sizes[index]
                if self._redrives(child):
                    child = self._redriven(child, recorded)
            self.children.append(child)
        self.total_items = sum(item_sizes)
        self.failed_items = sum(c.items for c in self.children if c.status in _FAILED_STATUSES)
        self._recount()
        if self.exceeded():
            return self._fail()
        waiting = [c for c in self.children if c.status == "PENDING"]
        waiting.reverse()  # pop() takes them in order
        running: dict[asyncio.Task, ChildExecution] = {}
        try:
            while waiting or running:
                limit = view.max_concurrency or len(self.children)
                while waiting and len(running) < limit:
                    child = waiting.pop()
                    running[asyncio.ensure_future(
                        run_child(child, inputs[child.index]))] = child
                timeout = _SETTINGS_POLL_SECONDS if host is not None else None
                done, _ = await asyncio.wait(running, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    child = running.pop(task)
                    task.result()  # a child's own failure is in its status, not raised
                    if child.status in _FAILED_STATUSES:
                        self.failed_items += child.items
                if self.exceeded():
                    await _abort(running)
                    return self._fail()
                await self._refresh()
        except BaseException:
            await _abort(running)
            raise

    def _redrives(self, child: ChildExecution) -> bool:
        """Whether a redrive of the Map Run runs ``child`` again: it ended unsuccessfully
        before the redrive (children of this attempt keep how they ended)."""
        redrive_date = self.view.redrive_date
        return (redrive_date is not None and child.status in _FAILED_STATUSES
                and (child.stop or 0.0) < redrive_date)

    def _redriven(self, child: ChildExecution,
                  recorded: dict[str, ChildExecution]) -> ChildExecution:
        """The child that runs ``child``'s item again. A STANDARD child of a service that
        keeps executions is the same execution, redriven; otherwise (EXPRESS, as AWS
        restarts those with StartExecution) a new execution, named after the attempt."""
        if self.host is not None and getattr(self.host, "remote", False) and (
                self.view.execution_type == "STANDARD"):
            return ChildExecution(child.index, child.arn, child.name, child.machine_arn,
                                  child.input_text, items=child.items, redrive=True)
        prefix, _ = child_prefix(self.view.arn)
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.view.arn}#{child.index}"
                                                  f"#redrive{self.view.redrive_count}"))
        fresh = ChildExecution(child.index, prefix + name, name, child.machine_arn,
                               child.input_text, items=child.items)
        stored = recorded.get(fresh.arn)
        if stored is not None and stored.status not in ("RUNNING", "PENDING"):
            stored.index, stored.items = child.index, child.items
            return stored
        return fresh

    async def begin(self) -> None:
        """Record the Map Run as started (before its items are read)."""
        self._recount()
        if self.host is not None:
            await self.host.map_run_started(self.view)

    def _fail(self) -> None:
        raise StatesError(EXCEEDED, EXCEEDED_CAUSE)

    async def finish(self, status: str) -> None:
        """Record the Map Run's end (SUCCEEDED, FAILED or ABORTED)."""
        self.view.status = status
        self.view.stop = self.frame.run.now()
        self._recount()
        if self.host is not None:
            await self.host.map_run_ended(self.view)

    async def child_started(self, child: ChildExecution) -> None:
        child.status, child.start = "RUNNING", self.frame.run.clock.now()
        self._recount()
        if self.host is not None:
            await self.host.child_started(self.view, child)

    async def run_remote(self, child: ChildExecution) -> None:
        """Run ``child`` as an execution of its own that any worker may claim."""
        host = self.host
        assert host is not None
        child.status, child.start = "RUNNING", self.frame.run.clock.now()
        self._recount()
        try:
            await host.run_child(self.view, child)
        except asyncio.CancelledError:
            if child.status in ("RUNNING", "PENDING"):
                child.status = "ABORTED"
                child.stop = self.frame.run.clock.now()
                try:
                    await host.abort_child(self.view, child)
                except Exception:  # noqa: BLE001 - its holder finds out by itself
                    pass
            raise
        self._recount()
        await host.child_ended(self.view, child, [])

    async def child_ended(self, child: ChildExecution, events: list[Event]) -> None:
        child.stop = self.frame.run.clock.now()
        self._recount()
        if self.host is not None:
            await self.host.child_ended(self.view, child, events)


async def _abort(running: dict[asyncio.Task, ChildExecution]) -> None:
    """Stop the children still running (each records itself as ABORTED)."""
    for task in running:
        task.cancel()
    if running:
        await asyncio.gather(*running, return_exceptions=True)
    running.clear()
