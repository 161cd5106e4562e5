"""Seeing what happens: execution and task-failure log lines from ``stepfn serve`` (text
and JSON), and ``stepfn run --history`` printing events as they are recorded."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from stepfn.service import logs

from .conftest import running_server, stepfn


def test_execution_and_task_failure_lines_as_json(capsys: pytest.CaptureFixture) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure_logging("info", "json")
        logs.execution_started("orders", "arn:x")
        history = [_event(1, "TaskStateEntered", {"name": "Charge"}),
                   _event(2, "TaskScheduled", {"resource": "x"}),
                   _event(3, "TaskFailed", {"error": "Card.Declined", "cause": "no funds"}),
                   _event(4, "PassStateEntered", {"name": "After"}, thread="b")]
        logs.log_task_failures("orders", "arn:x", history[1:], history)
        logs.execution_ended("orders", "arn:x", "FAILED", 1234, "Card.Declined")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [r["event"] for r in records] == ["ExecutionStarted", "TaskFailed",
                                             "ExecutionEnded"]
    assert records[1]["state"] == "Charge" and records[1]["error"] == "Card.Declined"
    assert records[2]["status"] == "FAILED" and records[2]["duration_ms"] == 1234
    assert all(r["machine"] == "orders" and r["execution"] == "arn:x" for r in records)


def _event(event_id: int, kind: str, details: dict, thread: str = "") -> object:
    from stepfn.engine.history import Event

    return Event(event_id, event_id - 1, 0.0, kind, details, thread)


def test_serve_logs_execution_start_and_end(server: tuple[int, Path]) -> None:
    import boto3

    port, log = server
    client = boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}",
                          region_name="us-east-1", aws_access_key_id="k",
                          aws_secret_access_key="s")
    arn = client.create_state_machine(
        name="logged", roleArn="arn:aws:iam::123456789012:role/r",
        definition='{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}'
    )["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=arn, name="one")["executionArn"]
    waiter_calls = 0
    while client.describe_execution(executionArn=execution)["status"] == "RUNNING":
        waiter_calls += 1
        assert waiter_calls < 200
    text = log.read_text()
    assert f"execution started: logged {execution}" in text
    assert f"execution failed: logged {execution}" in text and "(Boom)" in text
    assert '"POST / HTTP/1.1"' not in text


def test_run_history_streams_events_in_order(definition: Path, tmp_path: Path) -> None:
    done = stepfn("run", str(definition), "--history", "--input", '{"k": 1}')
    assert done.returncode == 0
    lines = done.stderr.splitlines()
    assert [line.split()[2] for line in lines] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert json.loads(done.stdout) == {"k": 1}
    assert "states done" not in done.stderr  # no progress line when not a terminal


def test_progress_line_counts_states(capsys: pytest.CaptureFixture) -> None:
    from stepfn.cli import RunWatcher

    watcher = RunWatcher(history=False, progress=False)
    watcher.on_event(_event(1, "PassStateEntered", {"name": "A"}))
    watcher.on_event(_event(2, "PassStateExited", {"name": "A"}))
    watcher.on_event(_event(3, "WaitStateEntered", {"name": "Sleep"}))
    watcher._show()
    watcher.close()
    err = capsys.readouterr().err
    assert "stepfn: 1 states done, in Sleep" in err
    assert err.endswith("\r")  # erased at the end


def test_run_history_prints_events_before_the_run_ends(tmp_path: Path) -> None:
    functions = tmp_path / "fns.py"
    functions.write_text("import sys\n\ndef work(event):\n"
                         "    print('MARK', file=sys.stderr, flush=True)\n    return event\n")
    machine = tmp_path / "m.asl.json"
    machine.write_text('{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": '
                       '"arn:aws:lambda:us-east-1:123456789012:function:work", '
                       '"End": true}}}')
    done = stepfn("run", str(machine), "--history", "--functions", str(functions))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    mark = lines.index("MARK")
    kinds = [line.split()[2] if line != "MARK" else line for line in lines]
    assert kinds.index("LambdaFunctionScheduled") < mark  # printed while the task ran
    assert kinds.index("ExecutionSucceeded") > mark


def test_serve_json_logs_a_failed_task_with_its_state(tmp_path: Path) -> None:
    import boto3

    functions = tmp_path / "fns.py"
    functions.write_text("def charge(event):\n    raise ValueError('card declined')\n")
    definition = json.dumps({"StartAt": "Charge", "States": {"Charge": {
        "Type": "Task", "End": True,
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge"}}})
    with running_server(tmp_path, "--log-format", "json", "--functions",
                        str(functions)) as (port, log):
        client = boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}",
                              region_name="us-east-1", aws_access_key_id="k",
                              aws_secret_access_key="s")
        arn = client.create_state_machine(name="pay", definition=definition,
                                          roleArn="arn:aws:iam::123456789012:role/r")[
            "stateMachineArn"]
        execution = client.start_execution(stateMachineArn=arn)["executionArn"]
        polls = 0
        while client.describe_execution(executionArn=execution)["status"] == "RUNNING":
            polls += 1
            assert polls < 500
    records = [json.loads(line) for line in log.read_text().splitlines()]
    mine = [r for r in records if r.get("execution") == execution]
    assert [r["event"] for r in mine] == ["ExecutionStarted", "TaskFailed", "ExecutionEnded"]
    assert mine[1]["state"] == "Charge" and mine[1]["error"] == "ValueError"
    assert mine[2]["status"] == "FAILED" and mine[2]["machine"] == "pay"
    assert isinstance(mine[2]["duration_ms"], int)


def test_progress_line_on_a_terminal_only(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    machine = tmp_path / "slow.asl.json"
    machine.write_text('{"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", '
                       '"Seconds": 2, "End": true}}}')
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "stepfn.cli", "run", str(machine)],
                              stdout=subprocess.PIPE, stderr=follower, timeout=60)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    assert done.stdout.strip() == b"{}"
    assert b"states done, in Nap" in seen
