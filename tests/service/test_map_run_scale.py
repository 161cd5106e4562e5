"""Distributed Map at scale: 20,000 children on a fleet (real processes, PostgreSQL), a
Map Run that rides out a store failing under it, and children that wait in the store
rather than in a worker's memory. The figures (children/s, memory at 100,000 items) are
benchmarks/distributed_map.py's."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest

from stepfn.service import scheduler
from stepfn.service.executions import ExecutionManager
from stepfn.store import PostgresStore, SqliteStore

from .conftest import ROLE, Server, history
from .test_leases import Worker
from .test_manager import machine, request

PASS_CHILDREN = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def dmap(processor: dict = PASS_CHILDREN, **fields) -> dict:
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor,
                                             "End": True, **fields}}}


def test_twenty_thousand_children_on_a_fleet(postgres_db: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An API node and two workers run a Map Run of 20,000 Pass children; the worker
    running the parent is killed with -9 a quarter of the way. The other takes the
    parent and the dead one's children over: every child runs to its end once, the
    counts are live while it runs (never more than AWS's default MaxConcurrency of
    10,000 running) and exact at the end, the output in order."""
    import psycopg

    monkeypatch.setenv("STEPFN_LEASE_SECONDS", "2")
    api = Server(postgres_db, tmp_path / "api.log", args=("--no-worker",))
    api.start()
    workers = [Worker(postgres_db, tmp_path / f"w{i}.log", api.endpoint) for i in (1, 2)]
    try:
        for worker in workers:
            worker.start()
        sfn = api.client()
        arn = sfn.create_state_machine(name="dmap-20k", roleArn=ROLE,
                                       definition=json.dumps(dmap()))["stateMachineArn"]
        items = list(range(20_000))
        ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(items))["executionArn"]
        killed = False
        deadline = time.monotonic() + 300
        while (desc := sfn.describe_execution(executionArn=ex))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the Map Run did not end in 300 s"
            runs = sfn.list_map_runs(executionArn=ex)["mapRuns"]
            counts = runs and sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])[
                "executionCounts"]
            if counts and counts["total"] == 20_000:
                assert counts["running"] <= 10_000
                assert counts["pending"] + counts["running"] + counts["succeeded"] == 20_000
                if not killed and counts["succeeded"] >= 5_000:
                    with psycopg.connect(postgres_db) as conn:
                        owner = conn.execute("SELECT lease_owner FROM work WHERE key=%s",
                                             (ex,)).fetchone()[0]
                    holder = next((w for w in workers if owner and w.proc
                                   and f":{w.proc.pid}:" in owner), None)
                    if holder is not None:  # else between two holders: next round
                        holder.kill()
                        killed = True
            time.sleep(0.3)
        assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
        assert killed and json.loads(desc["output"]) == items
        run_arn = sfn.list_map_runs(executionArn=ex)["mapRuns"][0]["mapRunArn"]
        run = sfn.describe_map_run(mapRunArn=run_arn)
        for counts in (run["itemCounts"], run["executionCounts"]):
            assert (counts["succeeded"], counts["total"]) == (20_000, 20_000)
            assert counts["running"] == counts["pending"] == counts["failed"] == 0
        listed = set()
        for page in sfn.get_paginator("list_executions").paginate(
                mapRunArn=run_arn, PaginationConfig={"PageSize": 1000}):
            for child in page["executions"]:
                assert child["status"] == "SUCCEEDED"
                listed.add(child["executionArn"])
        assert len(listed) == 20_000
        events = [e["type"] for e in history(sfn, min(listed))]
        assert events == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                          "ExecutionSucceeded"]
        with psycopg.connect(postgres_db) as conn:  # every child's history: that, once
            lengths = conn.execute(
                "SELECT coalesce(sum(c.count), 0), count(*) FROM executions x "
                "LEFT JOIN event_chunks c ON c.execution_arn = x.arn "
                "WHERE x.map_run_arn = %s GROUP BY x.arn", (run_arn,)).fetchall()
        assert len(lengths) == 20_000 and set(lengths) == {(4, 1)}
    finally:
        for worker in workers:
            worker.stop()
        api.stop()


def test_a_map_run_rides_out_a_pool_timeout(postgres_db: str, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """Every connection of the store's pool is held for longer than its timeout while a
    Map Run goes on: the parent's reads (at least one a second) fail with
    PoolTimeout and are tried again; the Map Run succeeds (it failed with States.Runtime
    before)."""
    async def main() -> None:
        store = PostgresStore(postgres_db, max_size=2, connect_timeout=0.3)
        await store.open()
        manager = ExecutionManager(store, lease_seconds=3)
        await manager.start()
        try:
            napping = {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                           "ExecutionType": "STANDARD"},
                       "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1,
                                                        "End": True}}}
            m = machine("dmap-pool", dmap(napping, MaxConcurrency=20))
            async with store.batch() as tx:
                tx.put_state_machine(m)
            items = list(range(60))  # three rounds of a second: the fault comes within
            record = await manager.start_execution(request(m, "pool", json.dumps(items)))
            while True:  # children run (the worker has what they run: no read to fail)
                runs = (await store.list_map_runs(record.arn, 1)).items
                if runs and (await store.list_executions(
                        map_run_arn=runs[0].arn, status="SUCCEEDED", limit=1)).items:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            async with store._pool.connection(), store._pool.connection():
                await asyncio.sleep(1.5)  # longer than the pool's timeout and the
                # parent's poll: its next read of the counts times out
            ended = await asyncio.wait_for(manager.wait_for_end(record.arn), 120)
            assert ended.status == "SUCCEEDED", (ended.error, ended.cause)
            assert json.loads(ended.output or "null") == items
        finally:
            await manager.stop()
            await store.close()
    with caplog.at_level(logging.WARNING, logger="stepfn.service"):
        asyncio.run(main())
    retried = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert any("PoolTimeout" in message for message in retried), retried


def test_children_wait_in_the_store_past_a_workers_cap(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """A worker claims no more than its cap of running executions: the rest of a Map
    Run's children wait in the store, and every one runs."""
    monkeypatch.setattr(scheduler, "MAX_CLAIMED_RUNNING", 8)
    waiting = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
               "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1,
                                                "End": True}}}

    async def main() -> None:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        manager = ExecutionManager(store)
        await manager.start()
        try:
            m = machine("dmap-cap", dmap(waiting))
            async with store.batch() as tx:
                tx.put_state_machine(m)
            record = await manager.start_execution(request(m, "cap", json.dumps(
                list(range(20)))))
            end = asyncio.ensure_future(manager.wait_for_end(record.arn))
            most = 0
            while not end.done():
                most = max(most, len(manager.running))
                await asyncio.sleep(0.01)
            assert end.result().status == "SUCCEEDED"
            assert most == 9  # the parent, waiting for its children, and 8 of them
        finally:
            await manager.stop()
            await store.close()
    asyncio.run(main())


def run_in_process(tmp_path: Path, definition: dict, items: list) -> tuple[object, list]:
    """One execution of ``definition`` on ``items`` through an in-process manager over
    SQLite; its record and its Map Run's children's records."""
    async def main() -> tuple[object, list]:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        manager = ExecutionManager(store)
        await manager.start()
        try:
            m = machine("dmap", definition)
            async with store.batch() as tx:
                tx.put_state_machine(m)
            record = await manager.start_execution(request(m, "run", json.dumps(items)))
            ended = await asyncio.wait_for(manager.wait_for_end(record.arn), 60)
            runs = await store.list_map_runs(record.arn, 10)
            run = await store.get_map_run(runs.items[0].arn)
            children = (await store.list_executions(map_run_arn=run.arn, limit=1000)).items
            return ended, [run, children]
        finally:
            await manager.stop()
            await store.close()
    return asyncio.run(main())


def test_past_the_threshold_the_running_children_stop_and_the_rest_stay_pending(
        tmp_path: Path) -> None:
    failing = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
               "StartAt": "C", "States": {
                   "C": {"Type": "Choice", "Default": "Nap",
                         "Choices": [{"Variable": "$.fail", "BooleanEquals": True,
                                      "Next": "Bad"}]},
                   "Nap": {"Type": "Wait", "Seconds": 1, "End": True},
                   "Bad": {"Type": "Fail", "Error": "Bad"}}}
    items = [{"fail": i in (3, 7, 9)} for i in range(60)]
    ended, (run, children) = run_in_process(
        tmp_path, dmap(failing, MaxConcurrency=10, ToleratedFailureCount=2), items)
    assert (ended.status, ended.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    counts = run.execution_counts
    assert (run.status, counts["failed"], counts["running"]) == ("FAILED", 3, 0)
    # Those still running (napping a second) aborted, the rest never started.
    assert counts["succeeded"] == 0 and counts["aborted"] >= 7
    assert counts["pending"] >= 40
    assert counts["succeeded"] + counts["failed"] + counts["aborted"] == len(children)
    assert counts["pending"] + len(children) == counts["total"] == 60
    assert {c.status for c in children} <= {"SUCCEEDED", "FAILED", "ABORTED"}


def test_results_past_256_kib_fail_the_map_without_a_result_writer(tmp_path: Path) -> None:
    """As on AWS: the children's outputs are the Map's result, which a state's 256 KiB
    limit bounds (a ResultWriter to S3 is the way past it)."""
    big = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
           "StartAt": "P", "States": {"P": {
               "Type": "Pass", "Parameters": {"r.$": "States.ArrayRange(1, 1000, 1)"},
               "End": True}}}
    ended, (run, children) = run_in_process(tmp_path, dmap(big), list(range(80)))
    assert (ended.status, ended.error) == ("FAILED", "States.DataLimitExceeded")
    assert run.execution_counts["succeeded"] == len(children) == 80


def test_an_item_whose_input_fails_stops_the_children_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Children are stored a batch at a time, each one's input made (ItemSelector) as it
    is stored: an item whose input fails after some children started fails the Map Run
    with States.Runtime and aborts them, as if it had failed first."""
    from stepfn.engine import map_run

    monkeypatch.setattr(map_run, "START_BATCH", 10)
    napping = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
               "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5,
                                                "End": True}}}
    items = [{"x": i} for i in range(30)]
    del items[15]["x"]
    ended, (run, children) = run_in_process(
        tmp_path, dmap(napping, ItemSelector={"x.$": "$$.Map.Item.Value.x"}), items)
    assert (ended.status, ended.error) == ("FAILED", "States.Runtime")
    assert run.status == "FAILED"
    assert len(children) == 10 and {c.status for c in children} == {"ABORTED"}
    assert run.execution_counts["aborted"] == 10 and run.execution_counts["running"] == 0


def test_batches_count_their_items(tmp_path: Path) -> None:
    """With an ItemBatcher each child carries a batch: the Map Run counts executions and
    items apart, as AWS does."""
    ended, (run, children) = run_in_process(
        tmp_path, dmap(ItemBatcher={"MaxItemsPerBatch": 3}), list(range(10)))
    assert ended.status == "SUCCEEDED"
    assert [len(batch["Items"]) for batch in json.loads(ended.output)] == [3, 3, 3, 1]
    assert (run.execution_counts["succeeded"], run.execution_counts["total"]) == (4, 4)
    assert (run.item_counts["succeeded"], run.item_counts["total"]) == (10, 10)
    assert sorted(c.map_items for c in children) == [1, 3, 3, 3]
