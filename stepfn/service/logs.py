"""What ``stepfn serve`` logs: one line per execution start and end and per failed task.

Records go to the ``stepfn.executions`` logger with their fields as ``extra`` (``event``,
``machine``, ``execution``, ``status``, ``duration_ms``, ``state``, ``error``), so the
text format reads well and ``--log-format json`` gives one JSON object per line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

log = logging.getLogger("stepfn.executions")

#: The ``extra`` fields a record may carry, in the order the JSON object shows them.
FIELDS = ("event", "machine", "execution", "status", "duration_ms", "state", "error",
          "cause", "operation")

#: History events that say a task failed (the state and the error are in the run).
_STATE_ENTERED = frozenset(kind + "StateEntered" for kind in (
    "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"))
TASK_FAILURES = frozenset({"TaskFailed", "TaskTimedOut", "LambdaFunctionFailed",
                           "LambdaFunctionTimedOut", "ActivityFailed", "ActivityTimedOut"})


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the known fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out).decode()


def configure_logging(level: str, fmt: str = "text") -> None:
    """Route every logger (uvicorn's included) to stderr in ``fmt`` ("text" or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def execution_started(machine: str, execution: str) -> None:
    log.info("execution started: %s %s", machine, execution,
             extra={"event": "ExecutionStarted", "machine": machine, "execution": execution})


def execution_ended(machine: str, execution: str, status: str, duration_ms: int,
                    error: str | None = None) -> None:
    suffix = f" ({error})" if error else ""
    log.log(logging.INFO if status == "SUCCEEDED" else logging.WARNING,
            "execution %s: %s %s in %d ms%s", status.lower(), machine, execution,
            duration_ms, suffix,
            extra={"event": "ExecutionEnded", "machine": machine, "execution": execution,
                   "status": status, "duration_ms": duration_ms, "error": error})


def task_failed(machine: str, execution: str, state: str, error: str | None,
                cause: str | None) -> None:
    log.warning("task failed: %s %s state %r: %s", machine, execution, state, error,
                extra={"event": "TaskFailed", "machine": machine, "execution": execution,
                       "state": state, "error": error,
                       "cause": cause[:500] if isinstance(cause, str) else None})


def log_task_failures(machine: str, execution: str, events: Iterable[Any],
                      history: Sequence[Any]) -> None:
    """A line per failed task among ``events`` (some of ``history``'s, where the event
    with id N is at index N - 1), naming the state the task ran in. Called with the
    events a checkpoint committed rather than as a hook on every event: one set lookup
    per event, and the state's name is only looked up for a failure."""
    for event in events:
        if event.type in TASK_FAILURES:
            details = event.details or {}
            task_failed(machine, execution, _state_of(history, event),
                        details.get("error"), details.get("cause"))


def _state_of(history: Sequence[Any], event: Any) -> str:
    """The state ``event``'s thread entered last before it."""
    for index in range(min(event.id - 2, len(history) - 1), -1, -1):
        earlier = history[index]
        if earlier.thread == event.thread and earlier.type in _STATE_ENTERED:
            return str((earlier.details or {}).get("name", ""))
    return ""
