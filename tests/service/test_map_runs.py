"""Distributed Map runs through a real `stepfn serve` and boto3: Map Run records with
live counts, child executions, ListExecutions by mapRunArn, UpdateMapRun while running."""

from __future__ import annotations

import json
import time

from .conftest import ROLE, history, wait_for_status


def dmap_machine(sfn, name: str, wait: float, **fields) -> str:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "Hold", "States": {
                     "Hold": {"Type": "Wait", "Seconds": 0, "Next": "Nap"},
                     "Nap": {"Type": "Wait", "SecondsPath": "$.wait", "End": True}}}
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemProcessor": processor, "End": True, **fields}}}
    return sfn.create_state_machine(name=name, roleArn=ROLE,
                                    definition=json.dumps(definition))["stateMachineArn"]


def until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def map_run_of(sfn, execution_arn: str) -> str:
    runs = until(lambda: sfn.list_map_runs(executionArn=execution_arn)["mapRuns"])
    return runs[0]["mapRunArn"]


def test_map_run_children_and_counts(sfn) -> None:
    machine = dmap_machine(sfn, "dmap-counts", 0, Label="Rows", MaxConcurrency=2)
    items = [{"n": i, "wait": 0} for i in range(4)]
    ex = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    assert wait_for_status(sfn, ex)["status"] == "SUCCEEDED"
    run_arn = map_run_of(sfn, ex)
    assert run_arn.startswith("arn:aws:states:us-east-1:123456789012:mapRun:dmap-counts/Rows:")
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["executionArn"], run["maxConcurrency"]) == (
        "SUCCEEDED", ex, 2)
    assert run["itemCounts"]["succeeded"] == run["itemCounts"]["total"] == 4
    assert run["executionCounts"]["succeeded"] == 4
    assert run["itemCounts"]["running"] == run["itemCounts"]["pending"] == 0
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert len(children) == 4
    prefix = "arn:aws:states:us-east-1:123456789012:execution:dmap-counts/Rows:"
    assert all(c["executionArn"].startswith(prefix) for c in children)
    assert {c["stateMachineArn"] for c in children} == {
        "arn:aws:states:us-east-1:123456789012:stateMachine:dmap-counts/Rows"}
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert (child["status"], child["mapRunArn"]) == ("SUCCEEDED", run_arn)
    assert json.loads(child["output"]) in items
    events = [e["type"] for e in history(sfn, child["executionArn"])]
    assert events[0] == "ExecutionStarted" and events[-1] == "ExecutionSucceeded"
    child_machine = sfn.describe_state_machine_for_execution(
        executionArn=child["executionArn"])
    assert (child_machine["mapRunArn"], child_machine["label"]) == (run_arn, "Rows")
    assert json.loads(child_machine["definition"])["StartAt"] == "Hold"
    parent = [e["type"] for e in history(sfn, ex)]
    assert parent[parent.index("MapRunStarted"):] == [
        "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded", "MapStateExited",
        "ExecutionSucceeded"]
    # The parent's machine lists the parent only.
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["executionArn"] for e in listed] == [ex]


def test_update_map_run_raises_concurrency_of_a_running_run(sfn) -> None:
    machine = dmap_machine(sfn, "dmap-update", 0, MaxConcurrency=1)
    items = [{"wait": 3} for _ in range(4)]
    ex = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    run_arn = map_run_of(sfn, ex)
    until(lambda: sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]["running"] == 1)
    described = sfn.describe_map_run(mapRunArn=run_arn)
    assert described["status"] == "RUNNING"
    assert described["itemCounts"]["pending"] == 3
    sfn.update_map_run(mapRunArn=run_arn, maxConcurrency=4, toleratedFailureCount=2)
    # The running run takes it: the other children start before the first one ends.
    counts = until(lambda: (c := sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"])
                   ["running"] >= 2 and c)
    assert counts["succeeded"] == 0
    final = sfn.describe_map_run(mapRunArn=run_arn)
    assert (final["maxConcurrency"], final["toleratedFailureCount"]) == (4, 2)
    assert wait_for_status(sfn, ex)["status"] == "SUCCEEDED"
    done = sfn.describe_map_run(mapRunArn=run_arn)
    assert (done["status"], done["executionCounts"]["succeeded"]) == ("SUCCEEDED", 4)


def test_stopping_the_parent_aborts_the_map_run(sfn) -> None:
    machine = dmap_machine(sfn, "dmap-stop", 0)
    ex = sfn.start_execution(stateMachineArn=machine,
                             input=json.dumps([{"wait": 30}] * 2))["executionArn"]
    run_arn = map_run_of(sfn, ex)
    until(lambda: sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]["running"] == 2)
    sfn.stop_execution(executionArn=ex)
    run = until(lambda: (r := sfn.describe_map_run(mapRunArn=run_arn))["status"] != "RUNNING"
                and r)
    assert (run["status"], run["executionCounts"]["aborted"]) == ("ABORTED", 2)
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert [c["status"] for c in children] == ["ABORTED", "ABORTED"]
    assert [e["type"] for e in history(sfn, ex)][-2:] == ["MapRunAborted", "ExecutionAborted"]


def test_kill_9_mid_run_resumes_without_rerunning_ended_children(server, sfn) -> None:
    machine = dmap_machine(sfn, "dmap-crash", 0, MaxConcurrency=1)
    items = [{"n": i, "wait": 1} for i in range(4)]
    ex = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    run_arn = map_run_of(sfn, ex)
    until(lambda: sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]["succeeded"]
          >= 2)
    before = {c["executionArn"]: c for c in sfn.list_executions(mapRunArn=run_arn)["executions"]
              if c["status"] == "SUCCEEDED"}
    server.kill()
    server.start()
    sfn = server.client()
    assert wait_for_status(sfn, ex, timeout=30)["status"] == "SUCCEEDED"
    output = json.loads(sfn.describe_execution(executionArn=ex)["output"])
    assert output == items
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert len(children) == 4 and {c["status"] for c in children} == {"SUCCEEDED"}
    after = {c["executionArn"]: c for c in children}
    for arn, child in before.items():  # ended before the kill: not run again
        assert after[arn]["stopDate"] == child["stopDate"]
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["itemCounts"]["succeeded"], run["itemCounts"]["total"]) == (
        "SUCCEEDED", 4, 4)
    parent = [e["type"] for e in history(sfn, ex)]
    assert parent.count("MapRunStarted") == 1 and parent.count("MapRunSucceeded") == 1


FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_children_across_workers_with_a_kill(postgres_db: str, tmp_path,
                                             monkeypatch) -> None:
    """An API node and two workers on PostgreSQL: the children are executions any worker
    claims; MaxConcurrency holds across the fleet; one worker killed with -9 mid-run, the
    other takes over its executions (the parent or children) and the run completes."""
    from .conftest import Server
    from .test_leases import Worker, check_history

    monkeypatch.setenv("STEPFN_LEASE_SECONDS", "2")
    api = Server(postgres_db, tmp_path / "api.log", args=("--no-worker",))
    api.start()
    workers = [Worker(postgres_db, tmp_path / f"w{i}.log", api.endpoint) for i in (1, 2)]
    try:
        for worker in workers:
            worker.start()
        sfn = api.client()
        processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                     "StartAt": "Slow", "States": {"Slow": {
                         "Type": "Task", "Resource": FN + "slow_add_one", "End": True}}}
        machine = sfn.create_state_machine(name="dmap-fleet", roleArn=ROLE, definition=json.dumps(
            {"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 3,
                                                    "ItemProcessor": processor,
                                                    "End": True}}}))["stateMachineArn"]
        items = [{"value": i, "sleep": 1} for i in range(8)]
        ex = sfn.start_execution(stateMachineArn=machine,
                                 input=json.dumps(items))["executionArn"]
        run_arn = map_run_of(sfn, ex)
        until(lambda: sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]["running"])
        workers[0].kill()
        peak = 0
        while sfn.describe_execution(executionArn=ex)["status"] == "RUNNING":
            peak = max(peak, sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]
                       ["running"])
            time.sleep(0.1)
        desc = sfn.describe_execution(executionArn=ex)
        assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
        assert json.loads(desc["output"]) == [{"value": i + 1} for i in range(8)]
        assert 1 <= peak <= 3
        children = sfn.list_executions(mapRunArn=run_arn)["executions"]
        assert len(children) == 8 and {c["status"] for c in children} == {"SUCCEEDED"}
        for child in children:
            check_history(history(sfn, child["executionArn"]), {"Slow": 1})
        run = sfn.describe_map_run(mapRunArn=run_arn)
        assert (run["status"], run["itemCounts"]["succeeded"]) == ("SUCCEEDED", 8)
    finally:
        for worker in workers:
            worker.stop()
        api.stop()


def test_express_children_run_in_the_parent_and_are_listed(sfn) -> None:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="dmap-express", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor,
                                          "End": True}}}))["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3]")["executionArn"]
    desc = wait_for_status(sfn, ex)
    assert (desc["status"], json.loads(desc["output"])) == ("SUCCEEDED", [1, 2, 3])
    run_arn = map_run_of(sfn, ex)
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert sorted(c["status"] for c in children) == ["SUCCEEDED"] * 3
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert child["mapRunArn"] == run_arn and json.loads(child["output"]) in (1, 2, 3)


def redrive_machine(sfn, name: str, execution_type: str) -> str:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                 "StartAt": "Work", "States": {"Work": {
                     "Type": "Task", "End": True,
                     "Resource": "arn:aws:lambda:us-east-1:123456789012:function:counted_gate"}}}
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemProcessor": processor, "Label": "Rows", "MaxConcurrency": 1,
        "ToleratedFailureCount": 1, "End": True}}}
    return sfn.create_state_machine(name=name, roleArn=ROLE,
                                    definition=json.dumps(definition))["stateMachineArn"]


def run_and_redrive(sfn, tmp_path, name: str, execution_type: str):
    """A Map Run over six items, one at a time, one failure tolerated; items 1 and 4 fail
    until a flag file exists, so the run fails at item 4 with item 5 not started. The
    flag is made and the parent redriven. Returns (parent, Map Run ARN, the items invoked
    before the redrive, all invocations, the run described before the redrive)."""
    log, flag = tmp_path / f"{name}.log", tmp_path / f"{name}.flag"
    items = [{"key": str(i), "gate": i in (1, 4), "log": str(log), "flag": str(flag)}
             for i in range(6)]
    machine = redrive_machine(sfn, name, execution_type)
    ex = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    assert wait_for_status(sfn, ex)["status"] == "FAILED"
    run_arn = map_run_of(sfn, ex)
    before = sfn.describe_map_run(mapRunArn=run_arn)
    first = log.read_text().split()
    flag.write_text("go")
    sfn.redrive_execution(executionArn=ex)
    assert wait_for_status(sfn, ex)["status"] == "SUCCEEDED"
    calls = log.read_text().split()
    return ex, run_arn, first, calls, before


def test_redriving_the_parent_redrives_its_map_run(sfn, tmp_path) -> None:
    ex, run_arn, first, calls, before = run_and_redrive(sfn, tmp_path, "dmap-redrive",
                                                        "STANDARD")
    assert before["status"] == "FAILED" and before["redriveCount"] == 0
    assert (before["executionCounts"]["failed"], before["executionCounts"]["pending"]) == (2, 1)
    assert first == ["0", "1", "2", "3", "4"]
    # Only the failed and the not started items ran again.
    assert calls[len(first):] == ["1", "4", "5"]
    # The same Map Run, redriven once, with every item succeeded.
    assert sfn.list_map_runs(executionArn=ex)["mapRuns"][0]["mapRunArn"] == run_arn
    assert len(sfn.list_map_runs(executionArn=ex)["mapRuns"]) == 1
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["redriveCount"]) == ("SUCCEEDED", 1)
    assert run["redriveDate"] >= before["stopDate"]
    assert run["itemCounts"]["succeeded"] == run["itemCounts"]["total"] == 6
    assert run["executionCounts"]["succeeded"] == 6
    assert run["itemCounts"]["failed"] == run["itemCounts"]["aborted"] == 0
    # The redriven children are the same executions, their redriveCount raised.
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert len(children) == 6 and {c["status"] for c in children} == {"SUCCEEDED"}
    redriven = [c for c in children if c.get("redriveCount", 0) == 1]
    assert len(redriven) == 2  # items 1 and 4; item 5 started for the first time
    listed = sfn.list_executions(mapRunArn=run_arn, redriveFilter="REDRIVEN")["executions"]
    assert sorted(c["executionArn"] for c in listed) == sorted(
        c["executionArn"] for c in redriven)
    child = sfn.describe_execution(executionArn=redriven[0]["executionArn"])
    assert child["redriveCount"] == 1 and "redriveDate" in child
    child_events = [e["type"] for e in history(sfn, child["executionArn"])]
    assert "ExecutionRedriven" in child_events and child_events[-1] == "ExecutionSucceeded"
    # The parent's history: the Map Run redriven, not a new one started.
    events = history(sfn, ex)
    types = [e["type"] for e in events]
    assert types.count("MapRunStarted") == 1 and types.count("MapRunRedriven") == 1
    redrive_event = next(e for e in events if e["type"] == "MapRunRedriven")
    assert redrive_event["mapRunRedrivenEventDetails"] == {"mapRunArn": run_arn,
                                                           "redriveCount": 1}
    assert types[types.index("MapRunRedriven"):] == [
        "MapRunRedriven", "MapRunSucceeded", "MapStateSucceeded", "MapStateExited",
        "ExecutionSucceeded"]
    output = json.loads(sfn.describe_execution(executionArn=ex)["output"])
    assert output == [{"done": str(i)} for i in range(6)]


def test_redriving_express_children_reruns_their_failed_items(sfn, tmp_path) -> None:
    ex, run_arn, first, calls, _ = run_and_redrive(sfn, tmp_path, "dmap-redrive-x",
                                                   "EXPRESS")
    assert first == ["0", "1", "2", "3", "4"]
    assert calls[len(first):] == ["1", "4", "5"]
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["redriveCount"]) == ("SUCCEEDED", 1)
    assert run["itemCounts"]["succeeded"] == 6
    output = json.loads(sfn.describe_execution(executionArn=ex)["output"])
    assert output == [{"done": str(i)} for i in range(6)]


def test_a_map_run_redriven_twice(sfn, tmp_path) -> None:
    log, flag = tmp_path / "twice.log", tmp_path / "twice.flag"
    items = [{"key": str(i), "gate": i == 1, "log": str(log), "flag": str(flag)}
             for i in range(3)]
    machine = redrive_machine(sfn, "dmap-redrive-twice", "STANDARD")
    ex = sfn.start_execution(stateMachineArn=machine, input=json.dumps(
        items + [{**items[1], "key": "1b"}]))["executionArn"]
    assert wait_for_status(sfn, ex)["status"] == "FAILED"
    run_arn = map_run_of(sfn, ex)
    sfn.redrive_execution(executionArn=ex)  # the flag is still missing: fails again
    assert wait_for_status(sfn, ex)["status"] == "FAILED"
    again = sfn.describe_map_run(mapRunArn=run_arn)
    assert (again["status"], again["redriveCount"]) == ("FAILED", 1)
    flag.write_text("go")
    sfn.redrive_execution(executionArn=ex)
    assert wait_for_status(sfn, ex)["status"] == "SUCCEEDED"
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["redriveCount"], run["executionCounts"]["succeeded"]) == (
        "SUCCEEDED", 2, 4)
    assert log.read_text().split() == ["0", "1", "2", "1b", "1", "1b", "1", "1b"]
    redriven = [e for e in history(sfn, ex) if e["type"] == "MapRunRedriven"]
    assert [e["mapRunRedrivenEventDetails"]["redriveCount"] for e in redriven] == [1, 2]
    counts = sorted(c.get("redriveCount", 0)
                    for c in sfn.list_executions(mapRunArn=run_arn)["executions"])
    assert counts == [0, 0, 2, 2]


def test_kill_9_during_a_redriven_map_run(server, sfn, tmp_path) -> None:
    """The parent's redrive is cut short by kill -9: the restarted server resumes the
    redriven run (not the first attempt) and the children that succeeded stay run once."""
    log, flag = tmp_path / "kill.log", tmp_path / "kill.flag"
    items = [{"key": str(i), "gate": i in (1, 2), "log": str(log), "flag": str(flag),
              "nap": 3 if i == 1 else 0} for i in range(4)]
    machine = redrive_machine(sfn, "dmap-redrive-kill", "STANDARD")
    ex = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    assert wait_for_status(sfn, ex, timeout=30)["status"] == "FAILED"
    run_arn = map_run_of(sfn, ex)
    first = log.read_text().split()
    assert first == ["0", "1", "2"]
    flag.write_text("go")
    sfn.redrive_execution(executionArn=ex)
    until(lambda: log.read_text().split()[len(first):] == ["1"])  # item 1 naps
    server.kill()
    server.start()
    sfn = server.client()
    assert wait_for_status(sfn, ex, timeout=40)["status"] == "SUCCEEDED"
    run = sfn.describe_map_run(mapRunArn=run_arn)
    assert (run["status"], run["redriveCount"], run["itemCounts"]["succeeded"]) == (
        "SUCCEEDED", 1, 4)
    calls = log.read_text().split()
    assert calls.count("0") == 1 and "3" in calls
    types = [e["type"] for e in history(sfn, ex)]
    assert types.count("MapRunRedriven") == 1 and types[-1] == "ExecutionSucceeded"
