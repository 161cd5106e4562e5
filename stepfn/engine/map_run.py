"""A Distributed Map run: its child executions, their counts and its failure threshold.

Each item (or batch of items) runs as a child execution with a history of its own and
an ARN as AWS names it, ``...:execution:<machine>/<label>:<uuid>``, where ``<label>`` is
the middle part of the Map Run's ARN (the state's ``Label`` when it has one). At most
MaxConcurrency children run at once (10,000 when it is 0, as on AWS). A child that
fails, times out or is aborted counts against ToleratedFailureCount /
ToleratedFailurePercentage; past the threshold the run fails with
``States.ExceedToleratedFailureThreshold``, the children still running are aborted and
those not started stay pending.

The interpreter does no I/O of its own: what the service keeps of a Map Run (its record,
the children's records and histories, their counts, UpdateMapRun's changes) goes
through a ``MapRunHost`` the service sets on the execution (``ExecutionRun.map_runs``).
Child names are derived from the Map Run ARN and the child's index, so a parent resumed
after a crash finds the children that already ended and does not run them again.

Two ways to run children:

* **Stored** (a host with ``remote``, STANDARD children): each child is an execution of
  its own that any worker claims. The parent keeps no child in memory. It stores new
  children a batch at a time, in index order, while fewer than MaxConcurrency run (the
  store's commit paces it), and learns how many run, ended and failed from the counts
  the store keeps as children change (``child_counts``: a few rows, however many
  children), waking when a child ends (``wait_for_children``). Everything it knows is in
  the store: a parent resumed elsewhere reads the counts again, and the children stored
  so far are a prefix of the indexes. The results are read back from the store at the
  end, a chunk at a time.
* **In process** (no host, an in-memory run; or EXPRESS children, at least once as on
  AWS): the children run as coroutines of the parent, their counts kept as they change.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import StatesError
from .frame import Frame
from .history import Event

EXCEEDED = "States.ExceedToleratedFailureThreshold"
EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"
# MaxConcurrency 0 (or unset): AWS runs up to 10,000 child executions at once.
DEFAULT_MAX_CONCURRENCY = 10_000
START_BATCH = 500  # stored children: how many one transaction stores at most
RESULTS_CHUNK = 500  # stored children: how many records one read brings back
_SETTINGS_POLL_SECONDS = 1.0  # how often a waiting run re-reads UpdateMapRun's changes
_COUNTS_POLL_SECONDS = 1.0  # a stored run reads its counts this often with no wake-up
# A stored run with room for many children reads its counts at most this often: ends
# arriving meanwhile are taken together (a small MaxConcurrency reacts to each end).
_COALESCE_SECONDS = 0.05
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


# {status: (executions, items)} of a Map Run's children, as a host counts them.
ChildCounts = dict[str, tuple[int, int]]


class MapRunHost(Protocol):
    """What the service keeps of Map Runs (see the module docstring)."""

    async def map_run_started(self, run: MapRunView) -> None:
        """Store the Map Run's record (again once its totals are known)."""

    async def settings(self, run: MapRunView) -> tuple[int, int | None, float | None] | None:
        """(maxConcurrency, toleratedFailureCount, toleratedFailurePercentage) as they are
        now (UpdateMapRun may have changed them); None when unknown."""

    async def map_run_ended(self, run: MapRunView) -> None:
        """Store the Map Run's end."""

    # -- children run in the parent's process ------------------------------------------
    async def recorded_children(self, run: MapRunView) -> dict[str, ChildExecution]:
        """The children already stored for this Map Run (a parent resumed), by ARN."""

    async def child_started(self, run: MapRunView, child: ChildExecution) -> None:
        """Store a child's record as RUNNING."""

    async def child_ended(self, run: MapRunView, child: ChildExecution,
                          events: list[Event]) -> None:
        """Store a child's end and its history."""

    async def child_replaced(self, run: MapRunView, child: ChildExecution) -> None:
        """A redrive runs ``child``'s item again as a new execution: the one that ended
        stays listed, no longer counted."""

    # -- stored children (hosts that set ``remote``; STANDARD children) ----------------
    remote: bool

    async def child_counts(self, run: MapRunView) -> ChildCounts:
        """The stored children by status (kept by the store as they change)."""

    async def start_children(self, run: MapRunView,
                             children: Sequence[ChildExecution]) -> None:
        """Store ``children`` as RUNNING executions any worker may claim, at once."""

    async def unsuccessful_children(self, run: MapRunView) -> list[ChildExecution]:
        """The stored children that ended unsuccessfully before ``run.redrive_date``
        (a redrive runs them again), in index order."""

    async def redrive_children(self, run: MapRunView,
                               children: Sequence[ChildExecution]) -> None:
        """Redrive stored children (as RedriveExecution does), at once."""

    async def wait_for_children(self, run: MapRunView, timeout: float) -> None:
        """Until a child may have ended (at most ``timeout`` seconds)."""

    async def abort_children(self, run: MapRunView) -> None:
        """Abort every stored child still running (the Map Run failed or stopped)."""

    async def read_children(self, run: MapRunView,
                            children: Sequence[ChildExecution]) -> None:
        """Fill in the status, dates, output and error of stored ``children``."""


def child_prefix(map_run_arn: str) -> tuple[str, str]:
    """(the children's execution ARN prefix, their state machine ARN) for a Map Run:
    ``...:mapRun:<machine>/<label>:<id>`` -> ``...:execution:<machine>/<label>:``."""
    base = map_run_arn.rsplit(":", 1)[0]
    return (base.replace(":mapRun:", ":execution:", 1) + ":",
            base.replace(":mapRun:", ":stateMachine:", 1))


def map_run_id(map_run_arn: str) -> str:
    """The Map Run's id: the last part of its ARN (ResultWriter's folder)."""
    return map_run_arn.rsplit(":", 1)[-1]


def child_name(map_run_arn: str, index: int, attempt: str = "") -> str:
    """The name of the child at ``index`` (``attempt``: a redrive's EXPRESS rerun)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{map_run_arn}#{index}{attempt}"))


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
        # STANDARD children of a host that keeps executions are stored, not held here.
        self.stored = bool(host is not None and getattr(host, "remote", False)
                           and view.execution_type == "STANDARD")
        self.children: list[ChildExecution] = []  # in process: every child, in order
        self.count = 0  # children (items, or batches)
        self.total_items = 0
        self.failed_items = 0
        self.running = 0
        self.created = 0  # stored: the children stored so far (indexes 0 .. created-1)
        self._sizes: Sequence[int] = ()
        self._input_of: Callable[[int], Any] | None = None
        self._redrive_items = 0  # stored: failed items a redrive is still to run again
        self._settings_read = 0.0
        prefix, self._machine_arn = child_prefix(view.arn)
        self._prefix = prefix

    # -- counts ---------------------------------------------------------------------------
    def _counted(self, key: str, executions: int, items: int) -> None:
        self.view.execution_counts[key] = self.view.execution_counts.get(key, 0) + executions
        self.view.item_counts[key] = self.view.item_counts.get(key, 0) + items

    def _move(self, child: ChildExecution, status: str) -> None:
        """An in-process child changes status: its counts move with it."""
        self._counted(_STATUS_KEY[child.status], -1, -child.items)
        child.status = status
        self._counted(_STATUS_KEY[status], 1, child.items)
        if status == "RUNNING":
            self.running += 1
        elif status != "PENDING":
            self.running -= 1
            if status in _FAILED_STATUSES:
                self.failed_items += child.items

    def _reset_counts(self, executions: int, items: int) -> None:
        view = self.view
        kept = (view.execution_counts.get("resultsWritten", 0),
                view.item_counts.get("resultsWritten", 0))
        view.execution_counts = dict.fromkeys(_COUNT_KEYS, 0)
        view.item_counts = dict.fromkeys(_COUNT_KEYS, 0)
        view.execution_counts["total"] = view.execution_counts["pending"] = executions
        view.item_counts["total"] = view.item_counts["pending"] = items
        view.execution_counts["resultsWritten"], view.item_counts["resultsWritten"] = kept

    def _take_counts(self, counts: ChildCounts) -> None:
        """A stored run's counts, as the host read them."""
        self._reset_counts(self.count, self.total_items)
        self.running = self.failed_items = 0
        for status, (executions, items) in counts.items():
            key = _STATUS_KEY.get(status)
            if key is None or not executions:
                continue
            self._counted(key, executions, items)
            self._counted("pending", -executions, -items)
            if status == "RUNNING":
                self.running += executions
            elif status in _FAILED_STATUSES:
                self.failed_items += items
        # Failures a redrive is about to run again do not count against it.
        self.failed_items -= self._redrive_items

    def results_written(self, items: int, executions: int) -> None:
        self.view.item_counts["resultsWritten"] = items
        self.view.execution_counts["resultsWritten"] = executions

    # -- thresholds -----------------------------------------------------------------------
    def exceeded(self) -> bool:
        """Whether the failed items are past the tolerated threshold."""
        failed, total = self.failed_items, self.total_items
        if failed <= 0:
            return False
        view = self.view
        if not self.count_given and not self.percentage_given:
            return True
        if self.count_given and failed > (view.tolerated_count or 0):
            return True
        return bool(self.percentage_given and total
                    and failed * 100 / total > (view.tolerated_percentage or 0))

    async def _refresh(self, at_most_every: float = 0.0) -> None:
        """Take UpdateMapRun's changes (concurrency and thresholds) into account."""
        if self.host is None:
            return
        now = time.monotonic()
        if now - self._settings_read < at_most_every:
            return
        self._settings_read = now
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

    def limit(self) -> int:
        """How many children may run at once now."""
        return self.view.max_concurrency or DEFAULT_MAX_CONCURRENCY

    # -- the children ---------------------------------------------------------------------
    def child(self, index: int, attempt: str = "", value: Any = None) -> ChildExecution:
        """The child at ``index``, as it is before it runs (its input serialized;
        ``value``: that input when the caller has it already)."""
        assert self._input_of is not None
        if value is None:
            value = self._input_of(index)
        return self._bare(index, attempt, self.frame.run.serialize(value))

    def _bare(self, index: int, attempt: str = "", input_text: str = "") -> ChildExecution:
        name = child_name(self.view.arn, index, attempt)
        return ChildExecution(index, self._prefix + name, name, self._machine_arn,
                              input_text, items=self._sizes[index])

    async def begin(self) -> None:
        """Record the Map Run as started (before its items are read)."""
        self._reset_counts(0, 0)
        if self.host is not None:
            await self.host.map_run_started(self.view)

    async def run(self, count: int, sizes: Sequence[int], input_of: Callable[[int], Any],
                  run_child: Callable[[ChildExecution, Any], Awaitable[None]]) -> None:
        """Run ``count`` children, child ``i`` on ``input_of(i)`` carrying ``sizes[i]``
        items; raises the threshold error when it is exceeded."""
        self.count, self._sizes, self._input_of = count, sizes, input_of
        self.total_items = sum(sizes)
        self._reset_counts(count, self.total_items)
        if self.host is not None:  # the totals, for DescribeMapRun's pending counts
            await self.host.map_run_started(self.view)
        if self.stored:
            await self._run_stored()
        else:
            await self._run_in_process(run_child)

    # -- stored children ------------------------------------------------------------------
    async def _run_stored(self) -> None:
        host, view = self.host, self.view
        assert host is not None
        counts = await host.child_counts(view)
        self.created = sum(executions for executions, _ in counts.values())
        redrive: deque[ChildExecution] = deque()
        if view.redrive_date is not None:
            again = await host.unsuccessful_children(view)
            if again:  # in index order, as they first ran
                index = {child_name(view.arn, i): i for i in range(self.created)}
                for child in again:
                    child.index = index.get(child.name, self.count)
                redrive.extend(sorted(again, key=lambda c: c.index))
            self._redrive_items = sum(c.items for c in redrive)
        self._take_counts(counts)
        read_at = time.monotonic()
        try:
            while True:
                if self.exceeded():
                    await host.abort_children(view)
                    return self._fail()
                room = self.limit() - self.running
                if room > 0 and (redrive or self.created < self.count):
                    await self._start_some(min(room, START_BATCH), redrive)
                    continue
                if not redrive and self.created >= self.count and self.running <= 0:
                    return
                await host.wait_for_children(view, _COUNTS_POLL_SECONDS)
                if self.limit() > START_BATCH:  # room comes by the hundred: gather ends
                    await asyncio.sleep(max(0.0, read_at + _COALESCE_SECONDS
                                            - time.monotonic()))
                await self._refresh(_SETTINGS_POLL_SECONDS)
                self._take_counts(await host.child_counts(view))
                read_at = time.monotonic()
        except StatesError as err:
            if err.error != EXCEEDED:  # an item's input failed (the ItemSelector)
                await _quietly(host.abort_children(view))
            raise
        except BaseException:  # stopped (or a bug): its children stop with it; a
            await _quietly(host.abort_children(view))  # host shutting down does nothing
            raise

    async def _start_some(self, room: int, redrive: deque[ChildExecution]) -> None:
        """Store up to ``room`` children in one go: those a redrive runs again first,
        then new ones in index order. Counted as running until the counts say more."""
        host = self.host
        assert host is not None
        if redrive:
            batch = [redrive.popleft() for _ in range(min(room, len(redrive)))]
            await host.redrive_children(self.view, batch)
            self._redrive_items -= sum(c.items for c in batch)
        else:
            end = min(self.count, self.created + room)
            batch = [self.child(i) for i in range(self.created, end)]
            await host.start_children(self.view, batch)
            self.created = end
        self._counted("running", len(batch), sum(c.items for c in batch))
        self.running += len(batch)

    # -- children in process --------------------------------------------------------------
    async def _run_in_process(self,
                              run_child: Callable[[ChildExecution, Any], Awaitable[None]]
                              ) -> None:
        host = self.host
        recorded = await host.recorded_children(self.view) if host is not None else {}
        assert self._input_of is not None
        inputs = [self._input_of(index) for index in range(self.count)]
        for index in range(self.count):
            child = self.child(index, value=inputs[index])
            stored = recorded.get(child.arn)
            if stored is not None and stored.status not in ("RUNNING", "PENDING"):
                child = stored  # ended before the parent was resumed: not run again
                child.index, child.items = index, self._sizes[index]
                if self._redrives(child):
                    child = await self._rerun(child, recorded)
            self.children.append(child)
        for child in self.children:
            if child.status != "PENDING":
                self._counted("pending", -1, -child.items)
                self._counted(_STATUS_KEY[child.status], 1, child.items)
                if child.status in _FAILED_STATUSES:
                    self.failed_items += child.items
        if self.exceeded():
            return self._fail()
        waiting = [c for c in self.children if c.status == "PENDING"]
        waiting.reverse()  # pop() takes them in order
        running: dict[asyncio.Task, ChildExecution] = {}
        try:
            while waiting or running:
                limit = self.limit()
                while waiting and len(running) < limit:
                    child = waiting.pop()
                    running[asyncio.ensure_future(run_child(child,
                                                            inputs[child.index]))] = child
                timeout = _SETTINGS_POLL_SECONDS if host is not None else None
                done, _ = await asyncio.wait(running, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    running.pop(task)
                    task.result()  # a child's own failure is in its status, not raised
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

    async def _rerun(self, child: ChildExecution,
                     recorded: dict[str, ChildExecution]) -> ChildExecution:
        """The child that runs ``child``'s item again in process: a new execution, named
        after the attempt (AWS restarts EXPRESS children with StartExecution)."""
        fresh = self._bare(child.index, f"#redrive{self.view.redrive_count}",
                           child.input_text)
        stored = recorded.get(fresh.arn)
        if stored is not None and stored.status not in ("RUNNING", "PENDING"):
            stored.index, stored.items = child.index, child.items
            return stored
        if self.host is not None:
            await self.host.child_replaced(self.view, child)
        return fresh

    # -- the end --------------------------------------------------------------------------
    async def ended_children(self) -> AsyncIterator[list[ChildExecution]]:
        """Every child in index order, as it ended (or PENDING: never started), a chunk
        at a time: a stored run reads them back from the store, chunk by chunk."""
        if not self.stored:
            for start in range(0, len(self.children), RESULTS_CHUNK):
                yield self.children[start:start + RESULTS_CHUNK]
            return
        assert self.host is not None
        for start in range(0, self.count, RESULTS_CHUNK):
            # Those stored get their input from the store; the others never started.
            chunk = [self._bare(i) if i < self.created else self.child(i)
                     for i in range(start, min(self.count, start + RESULTS_CHUNK))]
            stored = [c for c in chunk if c.index < self.created]
            if stored:
                await self.host.read_children(self.view, stored)
            yield chunk

    def _fail(self) -> None:
        raise StatesError(EXCEEDED, EXCEEDED_CAUSE)

    async def finish(self, status: str) -> None:
        """Record the Map Run's end (SUCCEEDED, FAILED or ABORTED)."""
        self.view.status = status
        self.view.stop = self.frame.run.now()
        if self.host is not None:
            await self.host.map_run_ended(self.view)

    # -- an in-process child's life -------------------------------------------------------
    async def child_started(self, child: ChildExecution) -> None:
        child.start = self.frame.run.clock.now()
        self._move(child, "RUNNING")
        if self.host is not None:
            await self.host.child_started(self.view, child)

    async def child_ended(self, child: ChildExecution, status: str,
                          events: list[Event]) -> None:
        child.stop = self.frame.run.clock.now()
        self._move(child, status)
        if self.host is not None:
            await self.host.child_ended(self.view, child, events)


async def _abort(running: dict[asyncio.Task, ChildExecution]) -> None:
    """Stop the children still running (each records itself as ABORTED)."""
    for task in running:
        task.cancel()
    if running:
        await asyncio.gather(*running, return_exceptions=True)
    running.clear()


async def _quietly(step: Awaitable[Any]) -> None:
    """Best effort while unwinding: the error being raised is the one that matters."""
    try:
        await step
    except Exception:  # noqa: BLE001 - e.g. the store away; whoever resumes the parent
        pass  # finds the children running and goes on with them
