"""Cross-process wake-ups on PostgreSQL: how long an answer, or an activity task, takes
to reach the process waiting for it. Prints a table (nothing here is a test).

    .venv/bin/python benchmarks/wakeups.py [--rounds 20]
        [--pg postgresql://127.0.0.1:5432/test] [--before CHECKOUT]

As in benchmarks/fleet.py, this process plays an API node (an ``ExecutionManager`` with
``worker=False``) and one `stepfn worker` process (node A) runs the executions, both on
a PostgreSQL database of their own (dropped afterwards). Two paths, ``--rounds`` times
each, one execution at a time:

* ``callback``: a ``.waitForTaskToken`` task on the worker; once it waits (its
  TaskSubmitted is in), the API node sends SendTaskSuccess. Measured: from the call
  to the TaskSucceeded event's timestamp (the worker's clock; same host).
* ``activity``: the API node long-polls GetActivityTask; an execution then reaches an
  activity Task on the worker. Measured: from the ActivityScheduled event's timestamp
  to GetActivityTask answering on the API node.

The moment the answer is sent (callback) or the execution started (activity) is drawn
at random within a second, so a poll's phase is as likely as any: a 1 s poll costs
0.5 s on average. ``notify`` is the installed stepfn (Store.on_signal: NOTIFY);
``--before CHECKOUT`` also measures another checkout (one that only polls, e.g.
``git worktree add /tmp/before <commit>``), run in a process of its own with
``PYTHONPATH=CHECKOUT`` (its worker too), as ``poll``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from fleet import Database, Worker, close_service, create_machine, open_service

ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:bench"
CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {"FunctionName": "add_one",
                   "Payload": {"value": 1, "token.$": "$$.Task.Token"}},
    "End": True}}}
WORK = {"StartAt": "Work", "States": {"Work": {
    "Type": "Task", "Resource": ACTIVITY, "End": True}}}
TIMEOUT = 30.0


async def _start(manager: Any, machine: Any) -> str:
    from stepfn.service.contract import StartRequest

    name = str(uuid.uuid4())
    arn = f"arn:aws:states:us-east-1:123456789012:execution:{machine.name}:{name}"
    await manager.start_execution(StartRequest(arn, name, '{"value": 1}', machine,
                                               machine.definition, machine.role_arn,
                                               machine.revision_id))
    return arn


async def _next_of(sub: Any, types: set[str]) -> Any:
    """The next event of one of ``types`` the feed subscription brings."""
    while True:
        item = await asyncio.wait_for(sub.get(), TIMEOUT)
        event = getattr(item, "event", None)
        if event is None:
            raise RuntimeError(f"the feed lost events: {item}")
        if event.type in types:
            return event


async def _callback_round(manager: Any, machine: Any, rng: random.Random) -> float:
    sub = manager.feed.subscribe(None)  # before the start: nothing is missed
    try:
        arn = await _start(manager, machine)
        mine = _Only(sub, arn)
        scheduled = await _next_of(mine, {"TaskScheduled"})
        token = json.loads(scheduled.details["parameters"])["Payload"]["token"]
        await _next_of(mine, {"TaskSubmitted"})  # the worker waits from here
        await asyncio.sleep(rng.uniform(0.05, 1.05))
        sent = time.time()
        await manager.send_task_success(token, '{"answered": true}')
        succeeded = await _next_of(mine, {"TaskSucceeded"})
        await _next_of(mine, {"ExecutionSucceeded"})
        return succeeded.timestamp - sent
    finally:
        sub.close()


async def _activity_round(manager: Any, store: Any, machine: Any,
                          rng: random.Random) -> float:
    activity = await store.get_activity(ACTIVITY)
    sub = manager.feed.subscribe(None)
    try:
        poll = asyncio.ensure_future(manager.get_activity_task(activity, "bench"))
        await asyncio.sleep(rng.uniform(0.05, 1.05))
        arn = await _start(manager, machine)
        mine = _Only(sub, arn)
        grant = await asyncio.wait_for(poll, TIMEOUT)
        answered = time.time()
        if grant is None:
            raise RuntimeError("GetActivityTask found no task")
        scheduled = await _next_of(mine, {"ActivityScheduled"})
        await manager.send_task_success(grant.task_token, '{"done": true}')
        await _next_of(mine, {"ExecutionSucceeded"})
        return answered - scheduled.timestamp
    finally:
        sub.close()


class _Only:
    """One execution's items of a subscription to every execution."""

    def __init__(self, sub: Any, arn: str) -> None:
        self.sub, self.arn = sub, arn

    async def get(self) -> Any:
        while True:
            item = await self.sub.get()
            if getattr(item, "execution_arn", self.arn) == self.arn:
                return item


async def _measure(url: str, rounds: int, logs: Path) -> dict[str, Any]:
    import stepfn
    from stepfn.store.base import ActivityRecord

    worker = Worker(url, logs / f"worker-{uuid.uuid4().hex[:6]}.log", 15.0)
    store, manager = await open_service(url, worker=False, lease=15.0)
    rng = random.Random(7)
    try:
        async with store.batch() as tx:
            tx.put_activity(ActivityRecord(ACTIVITY, "bench", time.time()))
        ask = await create_machine(store, "ask", CALLBACK)
        work = await create_machine(store, "work", WORK)
        await _callback_round(manager, ask, rng)  # warm-up: the worker starts
        await _activity_round(manager, store, work, rng)
        callback = [await _callback_round(manager, ask, rng) for _ in range(rounds)]
        activity = [await _activity_round(manager, store, work, rng)
                    for _ in range(rounds)]
    finally:
        await close_service(store, manager)
        worker.stop()
    return {"stepfn": str(Path(stepfn.__file__).parent), "callback": callback,
            "activity": activity}


def measure(base: str, rounds: int, logs: Path) -> dict[str, Any]:
    """Both paths with the installed stepfn, on a database of their own."""
    db = Database(base)
    try:
        return asyncio.run(_measure(db.url, rounds, logs))
    finally:
        db.drop()


def measure_checkout(checkout: str, args: argparse.Namespace, logs: Path) -> dict:
    """The same, with another checkout's stepfn (in a process of its own)."""
    env = dict(os.environ, PYTHONPATH=checkout)
    out = subprocess.run([sys.executable, __file__, "--pg", args.pg, "--rounds",
                          str(args.rounds), "--json", "--logs", str(logs)],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:7.1f}"


def print_table(results: list[tuple[str, dict[str, Any]]]) -> None:
    paths = {"callback": "SendTaskSuccess on API node -> TaskSucceeded on worker",
             "activity": "ActivityScheduled on worker -> GetActivityTask on API node"}
    print(f"{'path':<60} {'build':<7} {'n':>3} {'median':>7} {'p90':>7} {'max':>7}  (ms)")
    for key, title in paths.items():
        for label, result in results:
            values = result[key]
            print(f"{title:<60} {label:<7} {len(values):>3} "
                  f"{statistics.median(values) * 1000:7.1f} {_ms(values, 0.9)} "
                  f"{max(values) * 1000:7.1f}")
            title = ""
    for label, result in results:
        print(f"{label}: stepfn from {result['stepfn']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get(
        "STEPFN_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--before", help="another checkout to measure as 'poll'")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--logs", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logs = Path(args.logs or tempfile.mkdtemp(prefix="stepfn-wakeups-logs-"))
    if args.json:  # the --before child: figures for the parent
        print(json.dumps(measure(args.pg, args.rounds, logs)))
        return 0
    results = []
    if args.before:
        results.append(("poll", measure_checkout(args.before, args, logs)))
    results.append(("notify", measure(args.pg, args.rounds, logs)))
    print(f"{args.rounds} rounds per row, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    print_table(results)
    print(f"worker logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
