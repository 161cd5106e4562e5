"""Execution logging as a machine's ``loggingConfiguration`` asks (both workflow types).

AWS writes an execution's history events to the CloudWatch Logs group of the machine's
(or version's) ``loggingConfiguration`` when its ``level`` is not ``OFF``:

- ``ALL`` logs every event; ``ERROR`` the failure events (an execution failing, timing
  out or aborted, a Fail state entered, a task, Lambda, Map, Parallel or Map Run failing
  or timing out, a state aborted); ``FATAL`` only the execution's own end when it is not
  a success (``ExecutionFailed``, ``ExecutionTimedOut``, ``ExecutionAborted``);
- ``includeExecutionData: false`` leaves the inputs and outputs out of the details;
- each log event's message is one JSON object: ``id``, ``type``, ``details`` (the
  history event's details), ``previous_event_id``, ``event_timestamp`` (epoch
  milliseconds), ``execution_arn`` and ``redrive_count``, numbers as strings, as AWS
  writes them;
- each execution logs to a stream of its own, ``states/<machine>/<date-time>/<id>``.

Where it goes is this server's setting ``STEPFN_EXECUTION_LOGS``: ``cloudwatch`` (the
default: the log group on the endpoint boto3 is configured for, e.g. moto's or
LocalStack's server, or real AWS), ``stdout`` or ``file:PATH`` (one log event message per
line), or ``off``. Writing never slows or fails an execution: events are handed to a
background thread that batches them (CloudWatch's ``PutLogEvents``), creates the
stream when it is missing and reports a failure once in the server's log.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from ..engine.history import render_details

log = logging.getLogger("stepfn.service")

LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
FATAL_EVENTS = frozenset({"ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"})
ERROR_EVENTS = FATAL_EVENTS | frozenset({
    "FailStateEntered",
    "LambdaFunctionFailed", "LambdaFunctionScheduleFailed", "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut",
    "MapStateAborted", "MapStateFailed", "MapIterationAborted", "MapIterationFailed",
    "MapRunAborted", "MapRunFailed",
    "ParallelStateAborted", "ParallelStateFailed",
    "TaskFailed", "TaskStartFailed", "TaskStateAborted", "TaskSubmitFailed",
    "TaskTimedOut", "WaitStateAborted",
    "ActivityFailed", "ActivityScheduleFailed", "ActivityTimedOut",
})
_DATA = ("input", "inputDetails", "output", "outputDetails")
# PutLogEvents: at most 10,000 events and 1,048,576 bytes (each event's UTF-8 message
# plus 26 bytes) a call.
_MAX_BATCH_EVENTS = 10_000
_MAX_BATCH_BYTES = 1_048_576
_EVENT_OVERHEAD = 26
_FLUSH_SECONDS = 0.2



def logs_level_includes(level: str, event_type: str) -> bool:
    """Whether a log ``level`` logs events of ``event_type``."""
    if level == "ALL":
        return True
    if level == "ERROR":
        return event_type in ERROR_EVENTS
    if level == "FATAL":
        return event_type in FATAL_EVENTS
    return False


@dataclass(frozen=True)
class LogDestination:
    """Where one machine's executions log, from its ``loggingConfiguration``."""

    level: str
    include_data: bool
    group_name: str
    region: str

    @classmethod
    def of(cls, configuration: Any) -> LogDestination | None:
        """The destination a ``loggingConfiguration`` names, or None (``OFF``, none)."""
        if not isinstance(configuration, dict):
            return None
        level = configuration.get("level") or "OFF"
        if level not in LEVELS or level == "OFF":
            return None
        for destination in configuration.get("destinations") or ():
            group = (destination or {}).get("cloudWatchLogsLogGroup") or {}
            parsed = _log_group(group.get("logGroupArn"))
            if parsed is not None:
                return cls(level, bool(configuration.get("includeExecutionData")),
                           parsed[1], parsed[0])
        return None


def check_logging(configuration: Any) -> None:
    """A loggingConfiguration as Step Functions takes it (the API's model has checked
    the members' types and the level's values): a level other than ``OFF`` logs to
    exactly one destination (API_LoggingConfiguration: "Limited to size 1. Required, if
    your log level is not set to OFF"), a CloudWatch Logs log group ARN ending with
    ``:*`` (API_CloudWatchLogsLogGroup)."""
    from .errors import InvalidLoggingConfiguration

    if not isinstance(configuration, dict):
        return
    destinations = configuration.get("destinations") or []
    if (configuration.get("level") or "OFF") != "OFF" and len(destinations) != 1:
        raise InvalidLoggingConfiguration(
            "Invalid Logging Configuration: Must specify exactly one Log Destination.")
    for destination in destinations:
        arn = ((destination or {}).get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")
        if not isinstance(arn, str) or _log_group(arn) is None or not arn.endswith(":*"):
            raise InvalidLoggingConfiguration(
                f"Invalid Logging Configuration: The log group ARN '{arn}' is not a "
                "CloudWatch Logs log group ARN ending with ':*'")


def _log_group(arn: Any) -> tuple[str, str] | None:
    """(region, log group name) of ``arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]``."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group" or not parts[6]:
        return None
    return parts[3], parts[6]


def log_stream_name(machine_name: str, execution_arn: str, started: float) -> str:
    """``states/<machine>/<yyyy-mm-dd-hh-mm>/<id>``: one stream per execution."""
    stamp = datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d-%H-%M")
    digest = hashlib.sha1(execution_arn.encode()).hexdigest()[:8]
    return f"states/{machine_name}/{stamp}/{digest}"


def log_message(event: Any, execution_arn: str, redrive_count: int,
                include_data: bool) -> dict:
    """One history event as AWS writes it to CloudWatch Logs."""
    message: dict[str, Any] = {"id": str(event.id), "type": event.type}
    if event.details:
        details = render_details(event.details, True)
        if not include_data:
            details = {k: v for k, v in details.items() if k not in _DATA}
        message["details"] = details
    message["previous_event_id"] = str(event.previous_event_id)
    message["event_timestamp"] = str(int(event.timestamp * 1000))
    message["execution_arn"] = execution_arn
    message["redrive_count"] = str(redrive_count)
    return message


class ExecutionLog:
    """One execution's logging: filters and renders its events for the writer."""

    __slots__ = ("writer", "destination", "stream", "execution_arn", "redrive_count")

    def __init__(self, writer: LogWriter, destination: LogDestination, stream: str,
                 execution_arn: str, redrive_count: int) -> None:
        self.writer = writer
        self.destination = destination
        self.stream = stream
        self.execution_arn = execution_arn
        self.redrive_count = redrive_count

    def write(self, events: Iterable[Any]) -> None:
        """Log the events its level takes (recorded or committed, in order)."""
        destination = self.destination
        batch = [(int(e.timestamp * 1000),
                  orjson.dumps(log_message(e, self.execution_arn, self.redrive_count,
                                           destination.include_data)).decode())
                 for e in events if logs_level_includes(destination.level, e.type)]
        if batch:
            self.writer.put(destination, self.stream, batch)

    def append(self, event: Any) -> None:
        """``History.on_append`` for runs whose events are not committed (Express)."""
        if logs_level_includes(self.destination.level, event.type):
            self.write((event,))


class LogWriter:
    """Hands log events to a background thread that writes them to the sink."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._queue: queue.Queue[tuple[LogDestination, str, list] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._out: TextIO | None = None
        self._clients: dict[str, Any] = {}
        self._warned: set[str] = set()

    def session(self, configuration: Any, machine_name: str, execution_arn: str,
                started: float, redrive_count: int = 0) -> ExecutionLog | None:
        """The logging of one execution, or None when its configuration logs nothing."""
        if self.mode == "off":
            return None
        destination = LogDestination.of(configuration)
        if destination is None:
            return None
        return ExecutionLog(self, destination,
                            log_stream_name(machine_name, execution_arn, started),
                            execution_arn, redrive_count)

    def put(self, destination: LogDestination, stream: str, batch: list) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, daemon=True,
                                                    name="stepfn-execution-logs")
                    self._thread.start()
        self._queue.put((destination, stream, batch))

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        if self._out is not None and self._out is not sys.stdout:
            self._out.close()
        self._out = None

    # -- the writer thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            pending: dict[tuple[LogDestination, str], list] = {}
            taken = 1
            # Take whatever else arrives within a short while, to write in batches.
            deadline = time.monotonic() + _FLUSH_SECONDS
            stop = False
            while item is not None:
                destination, stream, batch = item
                pending.setdefault((destination, stream), []).extend(batch)
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                taken += 1
                if item is None:
                    stop = True
                    break
            for (destination, stream), events in pending.items():
                try:
                    self._write(destination, stream, events)
                except Exception as exc:  # noqa: BLE001 - logging must not stop
                    self._warn(destination.group_name, exc)
            for _ in range(taken):
                self._queue.task_done()
            if stop:
                return

    def _write(self, destination: LogDestination, stream: str, events: list) -> None:
        if self.mode == "cloudwatch":
            self._put_log_events(destination, stream, events)
            return
        if self._out is None:
            self._out = (sys.stdout if self.mode == "stdout"
                         else open(self.mode[5:], "a", encoding="utf-8"))  # noqa: SIM115
        self._out.write("".join(message + "\n" for _, message in events))
        self._out.flush()

    def _put_log_events(self, destination: LogDestination, stream: str,
                        events: list) -> None:
        client = self._client(destination.region)
        for batch in _batches(events):
            logs_events = [{"timestamp": ts, "message": message} for ts, message in batch]
            try:
                client.put_log_events(logGroupName=destination.group_name,
                                      logStreamName=stream, logEvents=logs_events)
            except client.exceptions.ResourceNotFoundException:
                # The stream is made on its first use (the group must exist, as on AWS).
                try:
                    client.create_log_stream(logGroupName=destination.group_name,
                                             logStreamName=stream)
                except client.exceptions.ResourceAlreadyExistsException:
                    pass
                client.put_log_events(logGroupName=destination.group_name,
                                      logStreamName=stream, logEvents=logs_events)

    def _client(self, region: str) -> Any:
        found = self._clients.get(region)
        if found is None:
            import boto3

            found = boto3.session.Session().client("logs", region_name=region or None)
            self._clients[region] = found
        return found

    def _warn(self, group: str, exc: Exception) -> None:
        if group not in self._warned:
            self._warned.add(group)
            log.warning("cannot write execution logs to %s: %s", group, exc)


def _batches(events: list) -> Iterable[list]:
    """``events`` (in order) cut into PutLogEvents-sized batches."""
    batch: list = []
    size = 0
    for event in events:
        length = len(event[1].encode()) + _EVENT_OVERHEAD
        if batch and (len(batch) >= _MAX_BATCH_EVENTS or size + length > _MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += length
    if batch:
        yield batch
