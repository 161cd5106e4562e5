"""Executions owned by lease: several servers on one store never run an execution twice,
a dead server's executions are taken over, SIGTERM writes nothing replay cannot match."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from .conftest import FUNCTIONS, ROLE, Server, history, wait_for_status

FN = "arn:aws:lambda:us-east-1:123456789012:function:"

WAIT_THEN_TASK = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 2, "Next": "Add"},
        "Add": {"Type": "Task", "Resource": FN + "add_one", "End": True},
    },
}
NESTED = {
    "StartAt": "Both",
    "States": {"Both": {
        "Type": "Parallel", "End": True,
        "Branches": [
            {"StartAt": "Nap", "States": {
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Add"},
                "Add": {"Type": "Task", "Resource": FN + "add_one", "End": True}}},
            {"StartAt": "Each", "States": {"Each": {
                "Type": "Map", "ItemsPath": "$.items", "End": True,
                "ItemProcessor": {"StartAt": "Slow", "States": {"Slow": {
                    "Type": "Task", "Resource": FN + "slow_add_one", "End": True}}}}}}]}},
}


def check_history(events: list[dict], entered_once: dict[str, int]) -> None:
    """Consecutive ids, one start and one success, no state entered or exited twice."""
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    types = [e["type"] for e in events]
    assert types.count("ExecutionStarted") == 1
    assert types.count("ExecutionSucceeded") == 1 and types[-1] == "ExecutionSucceeded"
    assert not any(t in types for t in ("ExecutionFailed", "ExecutionAborted"))
    entered = Counter(e["stateEnteredEventDetails"]["name"] for e in events
                      if "stateEnteredEventDetails" in e)
    exited = Counter(e["stateExitedEventDetails"]["name"] for e in events
                     if "stateExitedEventDetails" in e)
    assert entered == exited == Counter(entered_once)
    assert types.count("TaskSucceeded") == types.count("TaskScheduled")


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_db")
    return str(tmp_path / "shared.db")


@pytest.fixture
def short_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPFN_LEASE_SECONDS", "2")


def _machine(sfn, name: str, definition: dict) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE)["stateMachineArn"]


def test_two_servers_one_store_run_each_execution_once(store_url: str, tmp_path: Path,
                                                       short_leases: None) -> None:
    first, second = (Server(store_url, tmp_path / f"serve{i}.log") for i in (1, 2))
    first.start()
    second.start()
    try:
        sfn1, sfn2 = first.client(), second.client()
        machine = _machine(sfn1, "nap", WAIT_THEN_TASK)
        arns = [(sfn1 if i % 2 else sfn2).start_execution(
            stateMachineArn=machine, input=json.dumps({"value": i}))["executionArn"]
            for i in range(100)]
        # One server dies while half of them wait: the other takes them over.
        first.kill()
        outputs = {}
        for arn in arns:
            desc = wait_for_status(sfn2, arn, timeout=30)
            assert desc["status"] == "SUCCEEDED", (arn, desc)
            outputs[arn] = json.loads(desc["output"])["value"]
            check_history(history(sfn2, arn), {"Nap": 1, "Add": 1})
        assert sorted(outputs.values()) == list(range(1, 101))
        # The first comes back: it finds nothing left to run.
        first.start()
        assert all(e["status"] == "SUCCEEDED" for e in first.client().list_executions(
            stateMachineArn=machine, maxResults=1000)["executions"])
    finally:
        first.stop()
        second.stop()


def test_sigterm_cycles_inside_parallel_map_wait_task(store_url: str, tmp_path: Path,
                                                      short_leases: None) -> None:
    server = Server(store_url, tmp_path / "serve.log")
    server.start()
    try:
        sfn = server.client()
        machine = _machine(sfn, "nested", NESTED)
        # The 180 Map items run on the server's default thread pool (asyncio's:
        # min(32, cpus + 4) threads), 7.5 s of work in all whatever the machine, so
        # that each SIGTERM below finds tasks in flight (the three cycles take about
        # 3 s; the check after them holds the test to that).
        nap = 7.5 * min(32, (os.cpu_count() or 1) + 4) / 180
        arns = [sfn.start_execution(stateMachineArn=machine, input=json.dumps(
            {"value": i, "items": [{"value": i, "sleep": nap} for _ in range(3)]}))[
            "executionArn"] for i in range(60)]
        for _ in range(3):
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(20)
            server.start()
        sfn = server.client()
        assert sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING",
                                   maxResults=1)["executions"], \
            "every execution ended before the last SIGTERM: the cycles tested nothing"
        for arn in arns:
            desc = wait_for_status(sfn, arn, timeout=60)
            assert desc["status"] == "SUCCEEDED", (arn, desc)
            check_history(history(sfn, arn),
                          {"Both": 1, "Nap": 1, "Add": 1, "Each": 1, "Slow": 3})
    finally:
        server.stop()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


class Worker:
    """One `stepfn worker` process (no API)."""

    def __init__(self, db: str, log: Path, endpoint: str) -> None:
        self.db, self.log, self.endpoint = db, log, endpoint
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, STEPFN_TEST_ENDPOINT=self.endpoint,
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION="us-east-1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "worker", "--db", self.db,
             "--functions", str(FUNCTIONS), "--log-level", "warning"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=env)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return None


CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {"FunctionName": "answer_token",
                   "Payload": {"token.$": "$$.Task.Token", "value.$": "$.value"}},
    "End": True}}}


def test_api_node_and_workers_with_a_kill(store_url: str, tmp_path: Path,
                                          short_leases: None) -> None:
    """`serve --no-worker` runs nothing itself; two `stepfn worker`s share the work, one
    is killed with -9 and the other takes its executions over; callbacks answered
    through the API node reach whichever worker waits."""
    api = Server(store_url, tmp_path / "api.log", args=("--no-worker",))
    api.start()
    workers = [Worker(store_url, tmp_path / f"worker{i}.log", api.endpoint) for i in (1, 2)]
    try:
        sfn = api.client()
        naps = _machine(sfn, "nap", WAIT_THEN_TASK)
        asks = _machine(sfn, "ask", CALLBACK)
        nap_arns = [sfn.start_execution(stateMachineArn=naps, input=json.dumps(
            {"value": i}))["executionArn"] for i in range(40)]
        time.sleep(1.0)  # an API-only node starts them but does not run them
        assert all(not any(e["type"] == "WaitStateEntered" for e in history(sfn, a))
                   for a in nap_arns)
        long_nap = _machine(sfn, "long", {"StartAt": "Nap", "States": {"Nap": {
            "Type": "Wait", "Seconds": 60, "End": True}}})
        stopped = sfn.start_execution(stateMachineArn=long_nap)["executionArn"]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        # Stopped through the API node while a worker holds it: the worker writes no more.
        sfn.stop_execution(executionArn=stopped, error="Stop.Test")
        workers[0].kill()
        # After the kill: a callback task taken over would invoke answer_token again
        # (at least once, as AWS), and a second answer to one token is TaskTimedOut.
        ask_arns = [sfn.start_execution(stateMachineArn=asks, input=json.dumps(
            {"value": i}))["executionArn"] for i in range(10)]
        for arn in nap_arns:
            desc = wait_for_status(sfn, arn, timeout=30)
            assert desc["status"] == "SUCCEEDED", (arn, desc)
            check_history(history(sfn, arn), {"Nap": 1, "Add": 1})
        for i, arn in enumerate(ask_arns):
            desc = wait_for_status(sfn, arn, timeout=30)
            assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
            assert json.loads(desc["output"]) == {"answered": i}
        events = history(sfn, stopped)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert events[-1]["type"] == "ExecutionAborted"
        assert sfn.describe_execution(executionArn=stopped)["status"] == "ABORTED"
        assert workers[1].stop() == 0
    finally:
        for worker in workers:
            worker.stop()
        api.stop()
