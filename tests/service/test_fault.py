"""Faults on a fleet (issue 10): one API node (`stepfn serve --no-worker`) and three
`stepfn worker`s on PostgreSQL run a few hundred Standard executions mixing Task,
Wait, inline Map, Parallel, a callback answered through the API and a Distributed Map,
while workers are killed with -9 at random moments and restarted, and one is stopped
with SIGTERM. Every execution must end SUCCEEDED with the right output, with a history
whose ids are consecutive and where no state is entered or exited twice; nothing may
stay RUNNING. Task invocations are at least once: the duplicates are counted and
printed, not asserted away.

Two `stepfn serve` on one SQLite file share its executions under leases: without a
fault, nothing runs twice (every task invoked exactly once).

The kills follow a seeded random schedule: STEPFN_FAULT_SEED=<n> replays one.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE, Server, history
from .test_leases import Worker, check_history

SEED = int(os.environ.get("STEPFN_FAULT_SEED", "1010"))
FN = "arn:aws:lambda:us-east-1:123456789012:function:"
LEASE_SECONDS = "2"
CHAOS_SECONDS = 24.0
DRAIN_SECONDS = 90.0


def _record(key: str, value: str = "$.value", **more: object) -> dict:
    """A Task state calling record_call with ``key`` (an intrinsic) and ``value``."""
    return {"Type": "Task", "Resource": FN + "record_call",
            "Parameters": {"key.$": key, "value.$": value}, **more}


MIXED = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Next": "Both", "Parameters": {
            "value.$": "$.value", "key.$": "$$.Execution.Name", "items": [1, 2, 3]}},
        "Both": {"Type": "Parallel", "Next": "Shape", "Branches": [
            {"StartAt": "First", "States": {
                "First": _record("States.Format('{}/first', $.key)", Next="Nap"),
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Second"},
                "Second": _record("States.Format('{}/second', $$.Execution.Name)",
                                  End=True)}},
            {"StartAt": "Each", "States": {"Each": {
                "Type": "Map", "ItemsPath": "$.items", "End": True,
                "ItemSelector": {
                    "key.$": "States.Format('{}/item{}', $.key, $$.Map.Item.Value)",
                    "value.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "Item", "States": {
                    "Item": _record("$.key", End=True)}}}}}]},
        "Shape": {"Type": "Pass", "End": True,
                  "Parameters": {"chain.$": "$[0].value", "items.$": "$[1][*].value"}},
    },
}
CALLBACK = {
    "StartAt": "Ask",
    "States": {
        "Ask": {"Type": "Task", "Next": "After",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "hand_token", "Payload": {
                    "token.$": "$$.Task.Token", "value.$": "$.value"}}},
        "After": _record("States.Format('{}/after', $$.Execution.Name)", "$.answered",
                         End=True),
    },
}
DMAP = {
    "StartAt": "Fan",
    "States": {"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemSelector": {
            "key.$": "States.Format('{}/d{}', $$.Execution.Name, $$.Map.Item.Value)",
            "value.$": "$$.Map.Item.Value"},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Item", "States": {"Item": _record("$.key", End=True)}}}},
}
# name -> (definition, executions, keys recorded per execution, states entered once)
MACHINES = {
    "mixed": (MIXED, 180, ("first", "second", "item1", "item2", "item3"),
              {"Prepare": 1, "Both": 1, "First": 1, "Nap": 1, "Second": 1, "Each": 1,
               "Item": 3, "Shape": 1}),
    "callback": (CALLBACK, 30, ("after",), {"Ask": 1, "After": 1}),
    "dmap": (DMAP, 30, ("d1", "d2", "d3"), {"Fan": 1}),
}


def expected_output(machine: str, value: int) -> object:
    if machine == "mixed":
        return {"chain": value + 2, "items": [2, 3, 4]}
    if machine == "callback":
        return {"value": value + 1}
    return [{"value": 2}, {"value": 3}, {"value": 4}]


class TokenAnswerer(threading.Thread):
    """Answers every token hand_token writes, through the API node, as a client would;
    a token handed out twice (its task ran again after a takeover) is answered twice and
    the second answer refused."""

    def __init__(self, path: Path, server: Server) -> None:
        super().__init__(daemon=True)
        self.path, self.server = path, server
        self.stop = threading.Event()
        self.answered = self.refused = 0

    def run(self) -> None:
        client = self.server.client()
        offset = 0
        while not self.stop.is_set():
            text = self.path.read_text() if self.path.exists() else ""
            complete = text[offset:].rpartition("\n")[0]
            if complete:
                offset += len(complete) + 1
                for line in complete.split("\n"):
                    value, token = line.split(" ", 1)
                    try:
                        client.send_task_success(taskToken=token,
                                                 output=json.dumps({"answered": int(value)}))
                        self.answered += 1
                    except ClientError:
                        self.refused += 1
            self.stop.wait(0.05)


def _start_waves(sfn, machines: dict[str, str], stop_at: float) -> list[tuple[str, str, int]]:
    """Start every execution in four waves spread over the chaos (machine, ARN, value)."""
    order = [name for name, (_, count, _, _) in MACHINES.items() for _ in range(count)]
    random.Random(SEED).shuffle(order)
    started: list[tuple[str, str, int]] = []
    waves = 4
    for wave in range(waves):
        for index in range(wave, len(order), waves):
            name = order[index]
            doc = {"value": index, "items": [1, 2, 3]}
            arn = sfn.start_execution(stateMachineArn=machines[name], name=f"{name}-{index}",
                                      input=json.dumps(doc))["executionArn"]
            started.append((name, arn, index))
        pause = (stop_at - time.monotonic()) / (waves - wave) * 0.6
        time.sleep(max(0.0, pause))
    return started


def _leases_held(db: str, worker: Worker) -> int:
    """How many executions ``worker`` holds (its owner id carries its pid)."""
    import psycopg

    assert worker.proc is not None
    with psycopg.connect(db, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM work WHERE kind='execution' "
                           "AND lease_owner LIKE %s", (f"%:{worker.proc.pid}:%",)).fetchone()
    return int(row[0]) if row else 0


def _chaos(db: str, workers: list[Worker], rng: random.Random,
           until: float) -> dict[str, int]:
    """Kill -9 a random worker at random moments (restarted after a random pause, maybe
    past its lease, so that others take over), and one SIGTERM cycle, sent to a worker
    busy running executions (one still starting up would die of the signal unhandled)."""
    done = {"kill -9": 0, "SIGTERM": 0}
    sigterm_round = rng.randrange(2, 5)
    round_ = 0
    while time.monotonic() < until:
        time.sleep(rng.uniform(0.8, 2.5))
        victim = workers[rng.randrange(len(workers))]
        round_ += 1
        if round_ >= sigterm_round and not done["SIGTERM"]:
            busy = [w for w in workers if _leases_held(db, w)]
            if not busy:
                continue
            victim = busy[rng.randrange(len(busy))]
            assert victim.stop() == 0, "a worker stopped by SIGTERM must exit cleanly"
            done["SIGTERM"] += 1
        else:
            victim.kill()
            done["kill -9"] += 1
        time.sleep(rng.uniform(0.0, 3.0))
        victim.start()
    return done


@pytest.fixture
def fault_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    calls, tokens = tmp_path / "calls.log", tmp_path / "tokens.log"
    monkeypatch.setenv("STEPFN_FAULT_LOG", str(calls))
    monkeypatch.setenv("STEPFN_FAULT_TOKENS", str(tokens))
    monkeypatch.setenv("STEPFN_LEASE_SECONDS", LEASE_SECONDS)
    return calls, tokens


def test_fleet_survives_kill_9_and_sigterm(postgres_db: str, tmp_path: Path,
                                           fault_files: tuple[Path, Path],
                                           record_property: Any) -> None:
    calls, tokens = fault_files
    rng = random.Random(SEED)
    api = Server(postgres_db, tmp_path / "api.log", args=("--no-worker",))
    api.start()
    workers = [Worker(postgres_db, tmp_path / f"worker{i}.log", api.endpoint)
               for i in range(3)]
    answerer = TokenAnswerer(tokens, api)
    try:
        sfn = api.client()
        machines = {name: sfn.create_state_machine(
            name=f"fault-{name}", definition=json.dumps(definition),
            roleArn=ROLE)["stateMachineArn"]
            for name, (definition, _, _, _) in MACHINES.items()}
        for worker in workers:
            worker.start()
        answerer.start()
        began = time.monotonic()
        until = began + CHAOS_SECONDS
        started: list[tuple[str, str, int]] = []
        starter = threading.Thread(target=lambda: started.extend(
            _start_waves(api.client(), machines, until)), daemon=True)
        starter.start()
        faults = _chaos(postgres_db, workers, rng, until)
        starter.join(60)
        assert len(started) == sum(count for _, count, _, _ in MACHINES.values())

        deadline = time.monotonic() + DRAIN_SECONDS
        running = started
        while running and time.monotonic() < deadline:
            time.sleep(0.5)
            running = [s for s in running if sfn.describe_execution(
                executionArn=s[1])["status"] == "RUNNING"]
        assert not running, f"still RUNNING after {DRAIN_SECONDS:.0f} s: {running[:5]}"
        for arn in machines.values():
            assert not sfn.list_executions(stateMachineArn=arn,
                                           statusFilter="RUNNING")["executions"]

        for name, arn, value in started:
            desc = sfn.describe_execution(executionArn=arn)
            assert desc["status"] == "SUCCEEDED", (arn, desc.get("error"), desc.get("cause"))
            assert json.loads(desc["output"]) == expected_output(name, value), arn
            check_history(history(sfn, arn), MACHINES[name][3])

        invoked = Counter(calls.read_text().split())
        expected = {f"{name}-{value}/{key}" for name, _, value in started
                    for key in MACHINES[name][2]}
        assert set(invoked) == expected
        duplicates = sum(n - 1 for n in invoked.values())
        # Printed after the run by tests/conftest.py (also from an xdist worker).
        record_property("summary", (
            f"fault test (seed {SEED}): {len(started)} executions, "
            f"{faults['kill -9']} kill -9, {faults['SIGTERM']} SIGTERM, "
            f"{sum(invoked.values())} task invocations for {len(expected)} tasks: "
            f"{duplicates} duplicates (at least once); tokens answered "
            f"{answerer.answered}, refused {answerer.refused}; "
            f"{time.monotonic() - began:.0f} s"))
        assert faults["kill -9"] >= 3 and faults["SIGTERM"] == 1
    finally:
        answerer.stop.set()
        for worker in workers:
            worker.stop()
        api.stop()
    for log in tmp_path.glob("*.log"):
        if log.name.startswith(("worker", "api")):
            assert "Traceback" not in log.read_text(), log.name


NAP_BETWEEN_TASKS = {
    "StartAt": "First",
    "States": {
        "First": _record("States.Format('{}/first', $$.Execution.Name)", Next="Nap"),
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Second"},
        "Second": _record("States.Format('{}/second', $$.Execution.Name)", End=True),
    },
}


def test_two_servers_on_one_sqlite_file_run_nothing_twice(
        tmp_path: Path, fault_files: tuple[Path, Path]) -> None:
    calls, _ = fault_files
    db = tmp_path / "shared.db"
    servers = [Server(db, tmp_path / f"serve{i}.log") for i in (1, 2)]
    for server in servers:
        server.start()
    try:
        clients = [server.client() for server in servers]
        machine = clients[0].create_state_machine(
            name="twice", definition=json.dumps(NAP_BETWEEN_TASKS),
            roleArn=ROLE)["stateMachineArn"]
        arns = [clients[i % 2].start_execution(
            stateMachineArn=machine, name=f"run-{i}",
            input=json.dumps({"value": i}))["executionArn"] for i in range(80)]
        for i, arn in enumerate(arns):
            deadline = time.monotonic() + 30
            while (desc := clients[i % 2].describe_execution(executionArn=arn))[
                    "status"] == "RUNNING" and time.monotonic() < deadline:
                time.sleep(0.1)
            assert desc["status"] == "SUCCEEDED", desc
            assert json.loads(desc["output"]) == {"value": i + 2}
            check_history(history(clients[(i + 1) % 2], arn),
                          {"First": 1, "Nap": 1, "Second": 1})
        invoked = Counter(calls.read_text().split())
        assert invoked == Counter({f"run-{i}/{step}": 1 for i in range(80)
                                   for step in ("first", "second")})
    finally:
        for server in servers:
            server.stop()
