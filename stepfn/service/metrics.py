"""Counters of what the service did, in Prometheus' text exposition format (0.0.4).

The counts come from the history events the service commits (a listener on the event
feed), so they count exactly what the histories say, on any worker. A small writer
rather than prometheus_client: the format is a few lines of text, and the service's
hot path only bumps integers in dicts.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

# Upper bounds (seconds) of the task duration histogram's buckets.
TASK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                60.0, 300.0, math.inf)
_ENDS = {"ExecutionSucceeded": "succeeded", "ExecutionFailed": "failed",
         "ExecutionTimedOut": "timed_out", "ExecutionAborted": "aborted"}
_TASK_ENDS = ("Succeeded", "Failed", "TimedOut")


# What an event type counts as, worked out once per type: observing runs for every
# committed event, and a dict lookup costs less than the string tests.
_OTHER, _TRANSITION, _SCHEDULED, _TASK_END, _STARTED, _ENDED = range(6)
_ROLES: dict[str, int] = {}


def _role_of(kind: str) -> int:
    if kind.endswith("StateEntered"):
        return _TRANSITION
    if kind.endswith("Scheduled"):
        return _SCHEDULED
    if kind.endswith(_TASK_ENDS) and not kind.startswith(("Execution", "Map")):
        return _TASK_END
    if kind == "ExecutionStarted":
        return _STARTED
    return _ENDED if kind in _ENDS else _OTHER


class _Event(Protocol):
    type: str
    timestamp: float
    thread: str


class Metrics:
    """The service's counters; ``observe`` is the feed listener, ``render`` the text."""

    def __init__(self) -> None:
        self.started: dict[str, int] = {}
        self.ended: dict[tuple[str, str], int] = {}  # (machine, status) -> count
        self.transitions = 0
        # Lease takeovers: incremented by the worker that takes over an execution.
        self.lease_takeovers = 0
        self.task_buckets = [0] * len(TASK_BUCKETS)
        self.task_count = 0
        self.task_sum = 0.0
        self._scheduled: dict[tuple[str, str], float] = {}  # (arn, thread) -> when
        # Executions count on their own event loop's thread, /metrics reads on the API's.
        self._lock = threading.Lock()

    def observe(self, execution_arn: str, events: Sequence[_Event]) -> None:
        """Count committed history events of one execution."""
        with self._lock:
            self._observe(execution_arn, events)

    def _observe(self, execution_arn: str, events: Sequence[_Event]) -> None:
        roles = _ROLES
        for event in events:
            kind = event.type
            role = roles.get(kind)
            if role is None:
                role = roles[kind] = _role_of(kind)
            if role == _TRANSITION:
                self.transitions += 1
            elif role == _OTHER:
                continue
            elif role == _SCHEDULED:
                self._scheduled[execution_arn, event.thread] = event.timestamp
            elif role == _TASK_END:
                began = self._scheduled.pop((execution_arn, event.thread), None)
                if began is not None:
                    self._task_done(event.timestamp - began)
            elif role == _STARTED:
                machine = machine_of(execution_arn)
                self.started[machine] = self.started.get(machine, 0) + 1
            else:
                key = (machine_of(execution_arn), _ENDS[kind])
                self.ended[key] = self.ended.get(key, 0) + 1

    def _task_done(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        self.task_count += 1
        self.task_sum += seconds
        for i, bound in enumerate(TASK_BUCKETS):
            if seconds <= bound:
                self.task_buckets[i] += 1
                break

    def render(self, gauges: Iterable[tuple[str, str, float]] = ()) -> str:
        """The exposition text, with ``gauges`` (name, help, value) read at scrape."""
        with self._lock:
            return self._render(gauges)

    def _render(self, gauges: Iterable[tuple[str, str, float]]) -> str:
        out: list[str] = []
        family(out, "stepfn_executions_started_total", "counter",
               "Executions started, per state machine.",
               ((({"state_machine": m}), n) for m, n in sorted(self.started.items())))
        family(out, "stepfn_executions_ended_total", "counter",
               "Executions ended, per state machine and status "
               "(succeeded, failed, timed_out, aborted).",
               (({"state_machine": m, "status": s}, n)
                for (m, s), n in sorted(self.ended.items())))
        family(out, "stepfn_state_transitions_total", "counter",
               "States entered.", [({}, self.transitions)])
        family(out, "stepfn_lease_takeovers_total", "counter",
               "Executions taken over from a worker whose lease expired.",
               [({}, self.lease_takeovers)])
        self._render_histogram(out)
        for name, text, value in gauges:
            family(out, name, "gauge", text, [({}, value)])
        return "\n".join(out) + "\n"

    def _render_histogram(self, out: list[str]) -> None:
        name = "stepfn_task_duration_seconds"
        out.append(f"# HELP {name} Time from a task's scheduling to its result.")
        out.append(f"# TYPE {name} histogram")
        running = 0
        for bound, count in zip(TASK_BUCKETS, self.task_buckets, strict=True):
            running += count
            le = "+Inf" if bound == math.inf else repr(bound)
            out.append(f'{name}_bucket{{le="{le}"}} {running}')
        out.append(f"{name}_sum {self.task_sum!r}")
        out.append(f"{name}_count {self.task_count}")


def family(out: list[str], name: str, kind: str, text: str,
           samples: Iterable[tuple[dict[str, str], Any]]) -> None:
    """Append one metric family (HELP, TYPE and its samples) to ``out``."""
    out.append(f"# HELP {name} {text}")
    out.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        if labels:
            inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            out.append(f"{name}{{{inner}}} {value}")
        else:
            out.append(f"{name} {value}")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def machine_of(execution_arn: str) -> str:
    """The state machine ARN an execution ARN belongs to."""
    head, kind, rest = execution_arn.partition(":execution:")
    if not kind:
        head, kind, rest = execution_arn.partition(":express:")
    return f"{head}:stateMachine:{rest.split(':', 1)[0]}" if kind else execution_arn
