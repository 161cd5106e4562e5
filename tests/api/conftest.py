"""A real uvicorn server on 127.0.0.1 (free port) driven by a real boto3 client.

``FakeExecutionService`` is a TEST DOUBLE of the execution layer (the real one runs
the engine): it records executions and a two-event history in the store so the API's
read operations have something real to read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from stepfn.api import ActivityTaskGrant, ApiConfig, StartRequest, SyncResult, create_app
from stepfn.service.errors import ExecutionNotRedrivable, TaskDoesNotExist, TaskTimedOut
from stepfn.store import ExecutionRecord, HistoryEvent, SqliteStore, Store
from stepfn.store.base import ActivityRecord


class FakeExecutionService:
    """Test double: 'runs' an execution by echoing its input, unless the input holds
    ``"hold": true`` (then it stays RUNNING until stopped)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.tokens: dict[str, str] = {}  # token -> outcome ("" while open)
        self.activity_tasks: dict[str, list[ActivityTaskGrant]] = {}

    async def start_execution(self, request: StartRequest) -> ExecutionRecord:
        now = time.time()
        hold = '"hold":true' in request.input.replace(" ", "")
        record = ExecutionRecord(
            arn=request.execution_arn, machine_arn=request.machine.arn,
            name=request.name, status="RUNNING" if hold else "SUCCEEDED",
            start_date=now, input=request.input,
            output=None if hold else request.input, stop_date=None if hold else now,
            revision_id=request.revision_id,
            version_arn=request.version.arn if request.version else None,
            alias_arn=request.alias.arn if request.alias else None,
            trace_header=request.trace_header)
        events = [HistoryEvent(1, 0, now, "ExecutionStarted",
                               {"input": request.input, "inputDetails": {"truncated": False},
                                "roleArn": request.role_arn})]
        if not hold:
            events.append(HistoryEvent(2, 1, now, "ExecutionSucceeded",
                                       {"output": request.input,
                                        "outputDetails": {"truncated": False}}))
        async with self.store.batch() as tx:
            tx.put_execution(record)
            tx.append_events(record.arn, events)
        return record

    async def start_sync_execution(self, request: StartRequest) -> SyncResult:
        now = time.time()
        record = ExecutionRecord(arn=request.execution_arn, machine_arn=request.machine.arn,
                                 name=request.name, status="SUCCEEDED", start_date=now,
                                 input=request.input, output=request.input, stop_date=now,
                                 type="EXPRESS")
        return SyncResult(record, billed_duration_ms=100)

    async def stop_execution(self, execution: ExecutionRecord, error: str | None,
                             cause: str | None) -> float:
        now = time.time()
        count = await self.store.count_events(execution.arn)
        async with self.store.batch() as tx:
            tx.update_execution(replace(execution, status="ABORTED", stop_date=now,
                                        error=error, cause=cause))
            tx.append_events(execution.arn, [HistoryEvent(
                count + 1, count, now, "ExecutionAborted",
                {k: v for k, v in (("error", error), ("cause", cause)) if v is not None})])
        return now

    async def redrive_execution(self, execution: ExecutionRecord,
                                client_token: str | None) -> float:
        if execution.status not in ("FAILED", "ABORTED", "TIMED_OUT"):
            raise ExecutionNotRedrivable(
                f"Execution with ARN {execution.arn} cannot be redriven")
        return time.time()

    async def redrive_status_reason(self, execution: ExecutionRecord) -> str | None:
        return None

    async def test_state(self, request: dict) -> dict:
        return {"output": request.get("input") or "{}", "status": "SUCCEEDED"}

    async def get_activity_task(self, activity: ActivityRecord,
                                worker_name: str | None) -> ActivityTaskGrant | None:
        queue = self.activity_tasks.get(activity.arn)
        return queue.pop(0) if queue else None

    def _open(self, token: str) -> None:
        if token not in self.tokens:
            raise TaskDoesNotExist("Task Does Not Exist")
        if self.tokens[token]:
            raise TaskTimedOut("Task Timed Out")

    async def send_task_success(self, task_token: str, output: str) -> None:
        self._open(task_token)
        self.tokens[task_token] = "success:" + output

    async def send_task_failure(self, task_token: str, error: str | None,
                                cause: str | None) -> None:
        self._open(task_token)
        self.tokens[task_token] = f"failure:{error}"

    async def send_task_heartbeat(self, task_token: str) -> None:
        self._open(task_token)


@contextlib.contextmanager
def serve_in_thread(app: Any, log_level: str = "warning") -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its URL."""
    # The socket is bound here and handed to uvicorn: no other process (tests run in
    # parallel on this machine) can take the port between choosing and binding it.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                       log_level=log_level, http="httptools"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # start-up opens the store: slow on a busy machine
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(10)


class RunningServer:
    def __init__(self, url: str, service: FakeExecutionService) -> None:
        self.url = url
        self.service = service


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    db = tmp_path_factory.mktemp("api") / "stepfn.db"
    store = SqliteStore(str(db), synchronous="NORMAL")
    service = FakeExecutionService(store)
    # strict_errors: an error the model does not declare for its operation is a 500.
    app = create_app(store, service, ApiConfig(region="us-east-1", account="123456789012",
                                               strict_errors=True))
    with serve_in_thread(app) as url:
        yield RunningServer(url, service)


def make_client(url: str, validate: bool = True):
    return boto3.client(
        "stepfunctions", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(parameter_validation=validate, retries={"max_attempts": 1},
                      inject_host_prefix=False))


@pytest.fixture(scope="session")
def sfn(server: RunningServer):
    return make_client(server.url)


@pytest.fixture(scope="session")
def raw_sfn(server: RunningServer):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return make_client(server.url, validate=False)

