"""(c) stepfn Express through a real ``stepfn serve`` subprocess, over HTTP.

``setup()`` starts ``python -m stepfn.cli serve`` on a free loopback port with a
database in a temporary directory and creates the workload's machine as EXPRESS through
boto3; ``run(n)`` makes n ``StartSyncExecution`` calls one after another with boto3 and
checks each answer's output; ``close()`` stops the server (SIGTERM, then SIGKILL).

The timings therefore include boto3's own cost per call (~1 ms of request signing and
parsing), which dominates the small workloads: this mode checks correctness over the
wire. Throughput with a lighter client is measured by ``benchmarks/http_load.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, Outcome, Workload

HISTORY_LIMIT = 10_000_000
ROLE = "arn:aws:iam::123456789012:role/stepfn-bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """One ``stepfn serve`` subprocess on 127.0.0.1 with its own database."""

    def __init__(self, directory: Path, *, log_level: str = "warning",
                 python: str = sys.executable) -> None:
        self.directory = directory
        self.db = directory / "stepfn.db"
        self.log = directory / "serve.log"
        self.port = free_port()
        self.python = python
        self.log_level = log_level
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [self.python, "-m", "stepfn.cli", "serve", "--port", str(self.port),
             "--db", str(self.db), "--log-level", self.log_level,
             "--max-history-events", str(HISTORY_LIMIT)],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=env, cwd=REPO)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("stepfn serve exited: "
                                       + self.log.read_text()[-2000:]) from None
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("stepfn serve did not start")

    def peak_rss_mib(self) -> float | None:
        """The server's peak resident memory so far (VmHWM), None when unknown."""
        if self.proc is None:
            return None
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        match = next((line for line in status.splitlines() if line.startswith("VmHWM:")),
                     None)
        return int(match.split()[1]) / 1024 if match else None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def client(self):
        """A boto3 Step Functions client for this server (no retries)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "stepfunctions", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, read_timeout=300,
                          inject_host_prefix=False))


class Driver:
    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.notes: list[str] = ["timings include boto3's per-call cost; see "
                                 "benchmarks/http_load.py for throughput"]

    def setup(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="stepfn-bench-serve-"))
        self.server = ServeProcess(self.tmp)
        self.server.start()
        self.sfn = self.server.client()
        name = "bench-" + self.workload.name.replace("_", "-")
        self.machine_arn = self.sfn.create_state_machine(
            name=name, definition=json.dumps(self.workload.definition), roleArn=ROLE,
            type="EXPRESS")["stateMachineArn"]
        self.input_text = json.dumps(self.workload.input)
        self._start()  # warm up: connection, first compile of the definition

    def _start(self) -> dict:
        return self.sfn.start_sync_execution(stateMachineArn=self.machine_arn,
                                             input=self.input_text)

    def run(self, executions: int) -> list[Outcome]:
        outcomes = []
        for _ in range(executions):
            answer = self._start()
            output = answer.get("output")
            outcomes.append(Outcome(answer["status"],
                                    json.loads(output) if output is not None else None,
                                    answer.get("error"), answer.get("cause")))
        return outcomes

    def close(self) -> None:
        try:
            self.server.stop()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
