"""What waiting costs: N executions waiting for a callback (an activity), parked.

Starts N Standard executions of a machine whose one Task is an activity, in one
process (an ExecutionManager on SQLite or PostgreSQL), and prints a table: the time to
start them, the time until all are parked (no lease, no coroutine), this process's
RSS and the leases held before and after parking, then the time to answer every
token (through the same manager, as SendTaskSuccess) and for all to succeed, resumed
by replay.

    .venv/bin/python benchmarks/parking.py [--executions 2000] [--db postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stepfn.service.contract import StartRequest  # noqa: E402
from stepfn.service.executions import ExecutionManager  # noqa: E402
from stepfn.store import PostgresStore, SqliteStore, Store  # noqa: E402
from stepfn.store.base import ActivityRecord, StateMachineRecord  # noqa: E402

PREFIX = "arn:aws:states:us-east-1:123456789012:"
ACTIVITY = f"{PREFIX}activity:approve"
ROLE = "arn:aws:iam::123456789012:role/r"
MACHINE = {"StartAt": "Approve", "States": {"Approve": {
    "Type": "Task", "Resource": ACTIVITY, "End": True}}}


def _rss_mib() -> float:
    """The current resident set (not the peak), from /proc."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


async def _until(check, timeout: float = 600.0) -> float:
    started = time.perf_counter()
    while not await check():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("gave up")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def run(store: Store, count: int, park_after: float) -> dict[str, float]:
    await store.open()
    manager = ExecutionManager(store, park_after=park_after)
    await manager.start()
    try:
        m = StateMachineRecord(arn=f"{PREFIX}stateMachine:park", name="park",
                               definition=json.dumps(MACHINE), role_arn=ROLE,
                               type="STANDARD", creation_date=time.time())
        async with store.batch() as tx:
            tx.put_state_machine(m)
            tx.put_activity(ActivityRecord(ACTIVITY, "approve", time.time()))
        rss_before = _rss_mib()
        started = time.perf_counter()
        arns = []
        for i in range(count):
            request = StartRequest(f"{PREFIX}execution:park:e{i}", f"e{i}", json.dumps(
                {"i": i}), m, m.definition, ROLE, None)
            arns.append((await manager.start_execution(request)).arn)
        start_s = time.perf_counter() - started
        rss_waiting = _rss_mib()
        leases_waiting = len(manager.running)

        async def parked() -> bool:
            return not manager.running and (await store.count_work(time.time()))[
                "waiting"] == count
        park_s = await _until(parked)
        rss_parked = _rss_mib()
        activity = ActivityRecord(ACTIVITY, "approve", 0.0)
        started = time.perf_counter()
        answered = 0
        while answered < count:
            grant = await manager.get_activity_task(activity, "bench")
            if grant is None:
                continue
            await manager.send_task_success(grant.task_token, '{"ok": true}')
            answered += 1

        async def done() -> bool:
            page = await store.list_executions(status="SUCCEEDED", limit=count + 1)
            return len(page.items) == count
        await _until(done)
        answer_s = time.perf_counter() - started
        return {"start_s": start_s, "park_s": park_s, "answer_s": answer_s,
                "rss_before": rss_before, "rss_waiting": rss_waiting,
                "rss_parked": rss_parked, "leases_waiting": leases_waiting}
    finally:
        await manager.stop()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--db", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--park-after", type=float, default=1.0)
    args = parser.parse_args()
    if args.db:
        schema = f"stepfn_bench_{os.getpid()}"
        store: Store = PostgresStore(args.db, schema=schema)
        name = "postgres"
    else:
        store = SqliteStore(os.path.join(tempfile.mkdtemp(), "park.db"))
        name = "sqlite"
    result = asyncio.run(run(store, args.executions, args.park_after))
    if args.db:
        import psycopg

        with psycopg.connect(args.db, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    n = args.executions
    print("| store | executions | start (s) | all parked after (s) | answer all and "
          "finish (s) | RSS MiB: before / waiting in memory / parked | in memory while "
          "waiting -> parked |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(f"| {name} | {n} | {result['start_s']:.2f} | {result['park_s']:.2f} | "
          f"{result['answer_s']:.2f} | {result['rss_before']:.0f} / "
          f"{result['rss_waiting']:.0f} / {result['rss_parked']:.0f} | "
          f"{result['leases_waiting']:.0f} -> 0 |")


if __name__ == "__main__":
    main()
