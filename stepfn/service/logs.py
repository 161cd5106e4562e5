"""What ``stepfn serve`` logs: one line per execution start and end and per failed task.

Records go to the ``stepfn.executions`` logger with their fields as ``extra`` (``event``,
``machine``, ``execution``, ``status``, ``duration_ms``, ``state``, ``error``), so the
text format reads well and ``--log-format json`` gives one JSON object per line.
"""

from __future__ import annotations

import logging
import sys
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


class TaskFailureWatcher:
    """A history hook that logs each failed task with the state it ran in."""

    def __init__(self, machine: str, execution: str, then: Any = None) -> None:
        self.machine = machine
        self.execution = execution
        self.then = then  # the hook already installed (the store's checkpointing)
        self._state: dict[str, str] = {}  # thread -> state entered last

    def __call__(self, event: Any) -> None:
        kind = event.type
        if kind in _STATE_ENTERED:  # a set, not endswith: this runs for every event
            if event.details:
                self._state[event.thread] = str(event.details.get("name", ""))
        elif kind in TASK_FAILURES:
            details = event.details or {}
            task_failed(self.machine, self.execution, self._state.get(event.thread, ""),
                        details.get("error"), details.get("cause"))
        if self.then is not None:
            self.then(event)
