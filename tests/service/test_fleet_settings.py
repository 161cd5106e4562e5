"""A fleet shares its execution settings (stepfn.service.fleet): a plain worker takes
the API node's HTTP allow-list and mock configuration, and a worker given a different
allow-list refuses to start, with one ``error:`` line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stepfn.service.fleet import FleetConflict, FleetMembership, FleetSettings, agree
from stepfn.store import FleetMember, SqliteStore

from .conftest import FUNCTIONS, Server
from .test_leases import Worker

ROLE = "arn:aws:iam::123456789012:role/r"
MOCKS = Path(__file__).parent.parent / "tasks" / "mockdata"
HTTP_TO_LOOPBACK = {"StartAt": "Call", "States": {"Call": {
    "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
    "Parameters": {"ApiEndpoint.$": "$.url", "Method": "GET",
                   "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:"
                                      "123456789012:connection/c/1"}},
    "End": True}}}


def _finish(sfn, arn: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.1)


def _worker(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stepfn.cli", "worker", "--db", str(db), "--functions",
         str(FUNCTIONS), *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, "STEPFN_HTTP_ALLOW": "", "STEPFN_HTTP_CONNECTIONS": "ignore"})


def test_a_plain_worker_runs_with_the_api_nodes_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The task names a connection no EventBridge holds: sent as the task wrote it.
    monkeypatch.setenv("STEPFN_HTTP_CONNECTIONS", "ignore")
    db = tmp_path / "fleet.db"
    api = Server(db, tmp_path / "api.log", args=(
        "--no-worker", "--http-allow", "api.example.com",
        "--mock-config", str(MOCKS / "MockConfigFile.json")))
    api.start()
    worker = Worker(str(db), tmp_path / "worker.log", api.endpoint)
    try:
        # A worker told another allow-list refuses to start: one line, exit 2.
        refused = _worker(db, "--http-allow", "10.0.0.0/8")
        assert refused.returncode == 2, refused.stderr
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: --http-allow (10.0.0.0/8)")
        assert "api.example.com" in lines[0] and "Traceback" not in refused.stderr
        worker.start()
        sfn = api.client()
        # The HTTP Task to 127.0.0.1 runs on the plain worker, under the API node's list.
        http = sfn.create_state_machine(name="to-loopback", roleArn=ROLE,
                                        definition=json.dumps(HTTP_TO_LOOPBACK))
        run = sfn.start_execution(stateMachineArn=http["stateMachineArn"],
                                  input=json.dumps({"url": api.endpoint + "/health"}))
        ended = _finish(sfn, run["executionArn"])
        assert (ended["status"], ended["error"]) == ("FAILED", "States.Http.Socket")
        assert "not an allowed destination" in ended["cause"]
        # A #TestCase execution runs mocked on the worker, as the API node's file says.
        definition = json.loads((MOCKS / "LambdaSQSIntegration.json").read_text())
        machine = sfn.create_state_machine(name="LambdaSQSIntegration", roleArn=ROLE,
                                           definition=json.dumps(definition))
        run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"] + "#HappyPath")
        ended = _finish(sfn, run["executionArn"])
        assert ended["status"] == "SUCCEEDED", ended
        assert json.loads(ended["output"])["MessageId"].startswith("3bcb6e8e-8b51")
    finally:
        worker.stop()
        api.stop()


def test_agreeing_takes_what_was_not_given() -> None:
    theirs = FleetSettings({"region": "eu-west-1", "http_allow": ["a.example"],
                            "lambda_forward": True})
    member = FleetMember("host:1:ab", theirs.text(), "api", 1.0, 99.0)
    mine = FleetSettings({"region": "eu-west-1", "http_allow": None,
                          "lambda_forward": False})
    assert agree(mine, {}, [member]).values == theirs.values
    assert agree(mine, {}, []) == mine
    assert agree(mine, {"region": "--region"}, [member]).values == theirs.values
    with pytest.raises(FleetConflict) as info:
        agree(mine, {"http_allow": "STEPFN_HTTP_ALLOW", "lambda_forward": "--lambda-forward"},
              [member])
    message = str(info.value)
    assert message.startswith("STEPFN_HTTP_ALLOW (any host) and --lambda-forward (off) "
                              "differ from the settings of the fleet")
    assert "http allow a.example" in message and "api host:1:ab" in message


def test_joining_is_checked_in_the_store(tmp_path: Path) -> None:
    """Of processes joining with other settings, only those agreeing with the live
    members get in; a stopped member's registration is gone, a dead one's lapses."""
    async def main() -> None:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        try:
            one = FleetSettings({"region": "us-east-1", "max_history_events": 10})
            two = FleetSettings({"region": "us-east-1", "max_history_events": 20})
            first = FleetMembership(store, one, "worker", lease_seconds=30)
            await first.join("w1")
            await FleetMembership(store, one, "worker", 30).join("w2")
            with pytest.raises(FleetConflict, match="max history events 10"):
                await FleetMembership(store, two, "api", 30).join("a1")
            assert [m.owner for m in await store.fleet_members(time.time())] == ["w1", "w2"]
            await first.leave()
            assert [m.owner for m in await store.fleet_members(time.time())] == ["w2"]
            # w2 dies: its registration lapses, and other settings may join after it.
            later = time.time() + 31
            assert await store.join_fleet(FleetMember("a1", two.text(), "api", later,
                                                      later + 30), later) == []
            assert [m.owner for m in await store.fleet_members(later)] == ["a1"]
        finally:
            await store.close()
    asyncio.run(main())
