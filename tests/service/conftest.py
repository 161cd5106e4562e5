"""A real `stepfn serve` subprocess on loopback, driven through boto3."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

FUNCTIONS = Path(__file__).with_name("service_functions.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One `stepfn serve` process; ``restart`` keeps the database."""

    def __init__(self, db: Path | str, log: Path, args: tuple[str, ...] = ()) -> None:
        self.db = db
        self.args = args
        self.log = log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ, STEPFN_TEST_ENDPOINT=self.endpoint,
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION="us-east-1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(self.port),
             "--db", str(self.db), "--functions", str(FUNCTIONS), "--log-level", "warning",
             *self.args],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"stepfn serve exited: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.05)
        raise RuntimeError("stepfn serve did not start")

    def kill(self) -> None:
        """kill -9: no chance to flush or clean up."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def client(self, service: str = "stepfunctions"):
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, read_timeout=70,
                          inject_host_prefix=False))


@pytest.fixture
def postgres_db() -> Iterator[str]:
    """The URL of a PostgreSQL database of its own (dropped afterwards) on the test
    server; skips when none answers (fails under CI, see tests/store/conftest.py)."""
    from tests.store.conftest import PG_URL, pg_execute, postgres_or_skip

    postgres_or_skip()
    name = "stepfn_s_" + uuid.uuid4().hex[:12]
    pg_execute(f"CREATE DATABASE {name}")
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    pg_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path):
    """`stepfn serve` on a SQLite file, or on PostgreSQL with STEPFN_TEST_STORE=postgres
    (the whole service suite then runs on PostgreSQL; test_postgres_service.py runs a
    slice of it there always)."""
    db: Path | str = tmp_path / "stepfn.db"
    if os.environ.get("STEPFN_TEST_STORE") == "postgres":
        db = request.getfixturevalue("postgres_db")
    srv = Server(db, tmp_path / "serve.log")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def sfn(server: Server):
    return server.client()


ROLE = "arn:aws:iam::123456789012:role/stepfn-test"


def wait_for_status(sfn, arn: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        desc = sfn.describe_execution(executionArn=arn)
        if desc["status"] != "RUNNING" or time.monotonic() > deadline:
            return desc
        time.sleep(0.05)


def history(sfn, arn: str) -> list[dict]:
    events, token = [], None
    while True:
        kw = {"executionArn": arn, "maxResults": 1000}
        if token:
            kw["nextToken"] = token
        page = sfn.get_execution_history(**kw)
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events
