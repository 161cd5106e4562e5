"""Recent Express executions, kept in memory with their events so they can be seen.

AWS keeps no history for an Express execution (ListExecutions, GetExecutionHistory and
DescribeExecution do not serve them; CloudWatch Logs does), and neither does stepfn's
store: an Express execution runs in memory. To let ``stepfn serve`` and its web UI show
them, each server keeps its most recent Express executions (asynchronous and
StartSyncExecution alike), with their events, in a bounded table: the oldest are
forgotten when there are more than ``STEPFN_EXPRESS_KEEP`` (default 500; 0 keeps none)
or when the inputs and outputs their events hold exceed ``STEPFN_EXPRESS_KEEP_MB``
(default 64 MiB; an execution larger than that alone keeps its record, not its events).
The stepfn API serves them (``GET /stepfn/v1/express-executions...``,
``api/stepfn_api.py``).

In memory rather than in the store: an Express execution is as fast as it is because it
writes nothing per event, and what is kept here is a convenience (a restart forgets it,
as AWS forgets an Express execution that logged nothing). The table is read by the
API's thread while the executions' thread writes it, so every access holds a lock; the
events list is the run's own (appended by one thread, copied when read).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..store.base import ExecutionRecord

#: How many Express executions a server keeps by default, and how much of their data.
DEFAULT_KEEP = 500
DEFAULT_KEEP_MB = 64
_EVENT_OVERHEAD = 200  # bytes an event costs beyond its input/output texts, roughly


@dataclass
class KeptExecution:
    """One Express execution: its record (updated when it ends) and its events."""

    record: ExecutionRecord
    events: Sequence[Any]  # the run's history events (engine.history.Event tuples)
    size: int = 0  # the bytes its events hold (known once it has ended)
    events_dropped: bool = False  # larger than the whole budget: only the record kept


def events_size(events: Sequence[Any]) -> int:
    """Roughly the bytes a history holds: its input and output texts, and a little
    per event."""
    total = 0
    for event in events:
        details = event[4]
        total += _EVENT_OVERHEAD
        if details:
            for key in ("input", "output"):
                value = details.get(key)
                if isinstance(value, str):
                    total += len(value)
    return total


class RecentExpressExecutions:
    """The newest ``limit`` Express executions of this server, by ARN (thread-safe)."""

    def __init__(self, limit: int = DEFAULT_KEEP,
                 max_bytes: int = DEFAULT_KEEP_MB * 1024 * 1024) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._kept: OrderedDict[str, KeptExecution] = OrderedDict()
        self._bytes = 0  # the sizes of the ended executions kept
        self._lock = threading.Lock()

    def started(self, record: ExecutionRecord, events: Sequence[Any]) -> None:
        """An Express execution began; ``events`` is the list its history appends to."""
        if self.limit <= 0:
            return
        with self._lock:
            self._kept[record.arn] = KeptExecution(record, events)
            self._shrink()

    def ended(self, record: ExecutionRecord) -> None:
        """It ended: keep its final record (status, output, error, stop date)."""
        with self._lock:
            kept = self._kept.get(record.arn)
            if kept is None:
                return
            kept.record = record
            if kept.size or kept.events_dropped:
                return  # ended before (a stop racing the end)
            size = events_size(kept.events)
            if size > self.max_bytes:  # more than the whole budget: keep the record
                kept.events, kept.events_dropped = (), True
                return
            kept.size = size
            self._bytes += size
            self._shrink()

    def _shrink(self) -> None:
        """Forget the oldest until the count and the bytes are within bounds."""
        kept = self._kept
        while kept and (len(kept) > self.limit or self._bytes > self.max_bytes):
            _, oldest = kept.popitem(last=False)
            self._bytes -= oldest.size

    def get(self, arn: str) -> tuple[ExecutionRecord, list[Any]] | None:
        """The record and a copy of the events of a kept execution, or None (also
        when its events were too large to keep)."""
        with self._lock:
            kept = self._kept.get(arn)
            if kept is None or kept.events_dropped:
                return None
            return kept.record, list(kept.events)

    def record(self, arn: str) -> ExecutionRecord | None:
        """The record of a kept execution, or None."""
        with self._lock:
            kept = self._kept.get(arn)
            return kept.record if kept is not None else None

    def of_machine(self, machine_arn: str, limit: int) -> list[ExecutionRecord]:
        """The kept executions started through ``machine_arn`` (the machine, one of its
        versions or aliases), newest first, at most ``limit``."""
        found: list[ExecutionRecord] = []
        with self._lock:
            for kept in reversed(self._kept.values()):
                record = kept.record
                if machine_arn in (record.machine_arn, record.version_arn,
                                   record.alias_arn):
                    found.append(record)
                    if len(found) >= limit:
                        break
        return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)
