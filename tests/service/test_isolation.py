"""Executions run off the API's event loop (issue 14): while an execution is stuck in
a filter regex that backtracks catastrophically (up to its time budget), API calls
still answer. Not timed: the proof is the order of events (every call answers while
the execution is still running), latency figures are in benchmarks/runaway.py."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.service.conftest import ROLE, Server, wait_for_status

BUDGET_MS = 6000  # long enough for the calls below on a loaded machine, short for CI
RUNAWAY = {
    "StartAt": "Mark",
    "States": {
        # Once the flag file exists the next thing the execution does is the regex:
        # nothing between (Pass is pure) waits or gives its loop back.
        "Mark": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:"
                 "function:touch_flag", "Next": "Runaway"},
        "Runaway": {"Type": "Pass", "InputPath": "$.items[?(@.name =~ /(a|a)+$/)]",
                    "End": True},
    },
}


@pytest.fixture
def slow_budget_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STEPFN_EXPRESSION_TIMEOUT_MS", str(BUDGET_MS))
    server = Server(tmp_path / "stepfn.db", tmp_path / "serve.log")
    server.start()
    yield server
    server.stop()


def test_api_answers_while_an_execution_is_stuck_in_a_regex(slow_budget_server,
                                                             tmp_path: Path) -> None:
    sfn = slow_budget_server.client()
    machine = sfn.create_state_machine(name="runaway", definition=json.dumps(RUNAWAY),
                                       roleArn=ROLE)["stateMachineArn"]
    flag = tmp_path / "flag"
    document = {"flag": str(flag), "items": [{"name": "a" * 40 + "!"}]}
    arn = sfn.start_execution(stateMachineArn=machine,
                              input=json.dumps(document))["executionArn"]
    while not flag.exists():  # the task ran: the regex starts now
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        time.sleep(0.01)
    time.sleep(0.05)  # the task's answer is back on the executions' loop
    # With the API on the executions' loop, the first of these would wait for the
    # budget to run out, and the others would see the execution FAILED.
    # On a loaded machine the budget may run out during these rounds; what matters is
    # that calls answer before it does: a blocked API answers its first call only once
    # the execution has FAILED, so no round would complete.
    rounds = 0
    for _ in range(5):
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            break
        assert sfn.describe_state_machine(stateMachineArn=machine)["name"] == "runaway"
        listed = sfn.list_executions(stateMachineArn=machine)["executions"]
        if [e["status"] for e in listed] != ["RUNNING"]:
            break
        rounds += 1
    assert rounds >= 1, "no API round answered while the execution was in its regex"
    ended = wait_for_status(sfn, arn, timeout=BUDGET_MS / 1000 + 30)
    assert ended["status"] == "FAILED" and ended["error"] == "States.Runtime"
    assert "exceeded the evaluation time limit" in ended["cause"]
