"""Standard executions on PostgreSQL with 1, 2 and 4 `stepfn worker` processes, beside
SQLite single-process, in one run; then the time a dead worker's executions take to be
taken over. Prints a table (nothing here is a test).

    .venv/bin/python benchmarks/fleet.py [--executions 2000] [--workers 1,2,4]
        [--pg postgresql://127.0.0.1:5432/test] [--lease 3] [--takeover 200] [--runs 1]

Throughput. The benchmark process plays the API node: an ``ExecutionManager`` with
``worker=False`` (what ``stepfn serve --no-worker`` runs behind its HTTP handlers)
starts the executions, at most ``--in-flight`` StartExecution calls at once, each
returning once its record and ExecutionStarted are committed. ``N`` separate ``stepfn
worker`` processes claim and run them. The clock runs from the first start until the
database says every execution has ended; each one's status and output are checked
afterwards (a wrong one fails the run). Two machines:

* ``small``: many_small_executions' 3-state machine (Pass, Pass with States.MathAdd,
  Succeed): executions/s, the per-execution cost.
* ``steps``: 10 states, two of them local-function Tasks (each a checkpoint, written
  before the task runs): state transitions/s.

Rows: PostgreSQL with 1, 2 and 4 workers; PostgreSQL with one process that starts and
runs (``stepfn serve`` with its worker); SQLite with one process (``stepfn serve``'s
default), the executions run where they are started.

Takeover. A worker holding ``--takeover`` executions, each in a Wait (committed) that
ends 1 s after the kill, is killed with -9 while a second worker runs (both with
STEPFN_PARK_SECONDS=60, so that the executions stay leased through their 8 s Waits
rather than parked: a parked execution has no lease to take over); the clock runs from
the kill until every one of them has ended (the second worker must first see the lease
expire, claim, and replay them; their Waits are over by then), and until every lease
is the second worker's. Target: within the lease
(``--takeover-lease`` seconds, 3 by default; STEPFN_LEASE_SECONDS) + 1 s. The
throughput rows run with ``--lease`` (15 s, the default of stepfn).

CPU. Beside the clock, every row gives the CPU time (user + system) spent per execution
by this process, the worker processes and the PostgreSQL backends serving the
database (not the server's background writers): on a machine shared with other work
the clock slows down but this does not, so it is what to compare between builds.

Every PostgreSQL configuration gets a database of its own, dropped afterwards. stepfn is
imported as installed (``PYTHONPATH=<another checkout>`` measures that one instead, in
this process and in the workers).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FUNCTIONS = Path(__file__).with_name("fleet_functions.py")
REGION, ACCOUNT = "us-east-1", "123456789012"
ROLE = "arn:aws:iam::123456789012:role/stepfn-bench"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:add_one"

SMALL = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"x.$": "$.x", "y": 2}, "Next": "Add"},
        "Add": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.x, $.y)"},
                "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
STEPS = {
    "StartAt": "P1",
    "States": {
        "P1": {"Type": "Pass", "Parameters": {"value.$": "$.x"}, "Next": "T1"},
        "T1": {"Type": "Task", "Resource": FN, "Next": "C1"},
        "C1": {"Type": "Choice", "Default": "P2",
               "Choices": [{"Variable": "$.value", "NumericLessThan": 0, "Next": "Bad"}]},
        "Bad": {"Type": "Fail", "Error": "Negative"},
        "P2": {"Type": "Pass", "Next": "P3"},
        "P3": {"Type": "Pass", "Next": "T2"},
        "T2": {"Type": "Task", "Resource": FN, "Next": "P4"},
        "P4": {"Type": "Pass", "Next": "P5"},
        "P5": {"Type": "Pass", "Next": "P6"},
        "P6": {"Type": "Pass", "Parameters": {"sum.$": "$.value"}, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
STUCK_SECONDS = 300.0  # a row whose executions have not all ended by then fails
# name -> (definition, input, expected output, state transitions per execution)
MACHINES: dict[str, tuple[dict, dict, dict, int]] = {
    "small": (SMALL, {"x": 1}, {"sum": 3}, 3),
    "steps": (STEPS, {"x": 1}, {"sum": 3}, 10),
}
# Waits until the input's deadline: set after the kill, before the lease expires.
WAIT_UNTIL = {"StartAt": "Nap", "States": {
    "Nap": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Done"},
    "Done": {"Type": "Pass", "Result": {"done": True}, "End": True}}}


@dataclass
class Row:
    config: str
    machine: str
    executions: int
    start_s: float  # first start to last start answered
    total_s: float  # first start to last end
    transitions: int
    cpu_s: float = 0.0  # CPU of every process involved (this one, workers, PostgreSQL)

    @property
    def cpu_ms_per_execution(self) -> float:
        return self.cpu_s * 1000 / self.executions

    @property
    def started_per_s(self) -> float:
        return self.executions / self.start_s

    @property
    def completed_per_s(self) -> float:
        return self.executions / self.total_s

    @property
    def transitions_per_s(self) -> float:
        return self.executions * self.transitions / self.total_s


# ----------------------------------------------------------------- CPU accounting
_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


class CpuMeter:
    """CPU spent by this process, the given worker processes and the database's server
    backends between ``start`` and ``stop``: a machine shared with other work slows the
    clock, not this count, so it says what one execution costs wherever it runs."""

    def __init__(self, worker_pids: list[int], backend_pids: Any) -> None:
        self.worker_pids = worker_pids
        self.backend_pids = backend_pids  # () -> the server's backends for the database
        self.before: dict[int, float] = {}

    def _now(self) -> dict[int, float]:
        pids = [os.getpid(), *self.worker_pids, *self.backend_pids()]
        return {pid: process_cpu(pid) for pid in pids}

    def start(self) -> None:
        self.before = self._now()

    def stop(self) -> float:
        after = self._now()
        return sum(max(0.0, cpu - self.before.get(pid, 0.0)) for pid, cpu in after.items())


def backends_of(url: str | None) -> Any:
    """A function listing the server pids serving the database at ``url``."""
    def pids() -> list[int]:
        if url is None:
            return []
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = "
                                "current_database() AND pid <> pg_backend_pid()").fetchall()
        return [r[0] for r in rows]
    return pids


# ----------------------------------------------------------------- PostgreSQL plumbing
class Database:
    """A database of its own on the server at ``base`` (dropped by ``drop``)."""

    def __init__(self, base: str) -> None:
        import psycopg

        self.base = base
        self.name = "stepfn_bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.name}")
        self.url = base.rsplit("/", 1)[0] + "/" + self.name

    def query(self, statement: str, params: Any = None) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Worker:
    """One `stepfn worker` subprocess."""

    def __init__(self, url: str, log: Path, lease: float,
                 park_seconds: float | None = None) -> None:
        env = dict(os.environ, STEPFN_LEASE_SECONDS=str(lease))
        if park_seconds is not None:
            env["STEPFN_PARK_SECONDS"] = str(park_seconds)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "worker", "--db", url,
             "--functions", str(FUNCTIONS), "--log-level", "warning"],
            stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env, cwd=log.parent)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_for_connections(db: Database, count: int, timeout: float = 30.0) -> None:
    """Until ``count`` stepfn connections are open on the database (workers started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = db.query("SELECT count(DISTINCT pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND application_name='stepfn'")
        if rows[0][0] >= count:
            return
        time.sleep(0.05)
    raise RuntimeError(f"fewer than {count} stepfn connections after {timeout} s")


# ----------------------------------------------------------------- the service side
async def open_service(db: str, worker: bool, lease: float) -> tuple[Any, Any]:
    from stepfn.service.executions import ExecutionManager
    from stepfn.store import store_for
    from stepfn.tasks import tokens

    store = store_for(db)
    await store.open()
    tokens.use_secret(await store.get_or_create_secret(tokens.SECRET_NAME,
                                                       tokens.new_secret()))
    manager = ExecutionManager(store, region=REGION, account=ACCOUNT, worker=worker,
                               lease_seconds=lease)
    manager.functions.register("add_one", _add_one)
    await manager.start()
    return store, manager


def _add_one(event: dict) -> dict:
    return {"value": event["value"] + 1}


async def close_service(store: Any, manager: Any) -> None:
    await manager.stop()
    await store.close()


async def create_machine(store: Any, name: str, definition: dict) -> Any:
    import orjson

    from stepfn.store.base import StateMachineRecord

    machine = StateMachineRecord(
        arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}", name=name,
        definition=orjson.dumps(definition).decode(), role_arn=ROLE, type="STANDARD",
        creation_date=time.time())
    async with store.batch() as tx:  # as CreateStateMachine does
        tx.put_state_machine(machine)
    return machine


async def start_many(manager: Any, machine: Any, inputs: list[str],
                     in_flight: int) -> list[str]:
    """StartExecution for every input, ``in_flight`` at a time; the ARNs."""
    try:
        from stepfn.service.contract import StartRequest
    except ImportError:  # a checkout from before the service/API split
        from stepfn.api.service import StartRequest  # type: ignore[no-redef]

    arns: list[str] = []
    gate = asyncio.Semaphore(in_flight)

    async def start(text: str) -> None:
        name = str(uuid.uuid4())
        request = StartRequest(
            execution_arn=(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:"
                           f"{machine.name}:{name}"),
            name=name, input=text, machine=machine, definition=machine.definition,
            role_arn=machine.role_arn, revision_id=machine.revision_id)
        async with gate:
            record = await manager.start_execution(request)
        arns.append(record.arn)

    await asyncio.gather(*(start(text) for text in inputs))
    return arns


async def check_outputs(store: Any, machine_arn: str, expected: Any, count: int) -> None:
    """Every execution of the machine SUCCEEDED with ``expected``; raises otherwise."""
    import orjson

    seen, cursor = 0, None
    while True:
        page = await store.list_executions(machine_arn=machine_arn, limit=1000,
                                           cursor=cursor)
        for record in page.items:
            seen += 1
            if record.status != "SUCCEEDED" or orjson.loads(record.output) != expected:
                raise RuntimeError(f"{record.arn}: {record.status} {record.output} "
                                   f"{record.error} {record.cause}")
        cursor = page.next_cursor
        if not cursor:
            break
    if seen != count:
        raise RuntimeError(f"{seen} executions stored, {count} started")


async def ended_count(store: Any, machine_arn: str) -> int:
    """How many executions of the machine are no longer RUNNING (PostgreSQL)."""
    async with store._conn() as conn:  # a benchmark may read the table directly
        cur = await conn.execute(
            "SELECT count(*) FROM executions WHERE machine_arn=%s AND status <> 'RUNNING'",
            (machine_arn,))
        row = await cur.fetchone()
        return int(row[0])


# ----------------------------------------------------------------- throughput runs
async def measure(config: str, db_url: str, *, in_process_worker: bool, postgres: bool,
                  executions: int, in_flight: int, lease: float,
                  machines: list[str], worker_pids: Sequence[int] = ()) -> list[Row]:
    """Both machines on one configuration whose workers (if any) already run."""
    import orjson

    store, manager = await open_service(db_url, worker=in_process_worker, lease=lease)
    rows = []
    try:
        for name in machines:
            definition, input_doc, expected, transitions = MACHINES[name]
            machine = await create_machine(store, f"{name}-{uuid.uuid4().hex[:6]}",
                                           definition)
            manager.compile(machine.definition, "STANDARD")
            inputs = [orjson.dumps(input_doc).decode()] * executions
            meter = CpuMeter(list(worker_pids), backends_of(db_url if postgres else None))
            await asyncio.to_thread(meter.start)
            t0 = time.perf_counter()
            arns = await start_many(manager, machine, inputs, in_flight)
            started = time.perf_counter()
            if postgres:
                give_up = time.perf_counter() + STUCK_SECONDS
                while (done := await ended_count(store, machine.arn)) < executions:
                    if time.perf_counter() > give_up:
                        raise RuntimeError(f"{config}, {name}: {executions - done} "
                                           f"executions still RUNNING after "
                                           f"{STUCK_SECONDS:.0f} s")
                    await asyncio.sleep(0.01)
            else:
                await asyncio.gather(*(manager.wait_for_end(arn) for arn in arns))
            ended = time.perf_counter()
            cpu = await asyncio.to_thread(meter.stop)
            await check_outputs(store, machine.arn, expected, executions)
            rows.append(Row(config, name, executions, started - t0, ended - t0,
                            transitions, cpu))
    finally:
        await close_service(store, manager)
    return rows


def run_postgres(base: str, workers: int, args: argparse.Namespace, logs: Path) -> list[Row]:
    db = Database(base)
    fleet: list[Worker] = []
    try:
        fleet = [Worker(db.url, logs / f"w{workers}-{i}.log", args.lease)
                 for i in range(workers)]
        wait_for_connections(db, workers)
        time.sleep(0.5)  # past their start-up claims
        label = f"PostgreSQL, {workers} worker{'s' if workers > 1 else ''}"
        return asyncio.run(measure(label, db.url, in_process_worker=workers == 0,
                                   postgres=True, executions=args.executions,
                                   in_flight=args.in_flight, lease=args.lease,
                                   machines=args.machines,
                                   worker_pids=[w.proc.pid for w in fleet]))
    finally:
        for worker in fleet:
            worker.stop()
        db.drop()


def run_postgres_single(base: str, args: argparse.Namespace) -> list[Row]:
    db = Database(base)
    try:
        return asyncio.run(measure("PostgreSQL, 1 process", db.url, in_process_worker=True,
                                   postgres=True, executions=args.executions,
                                   in_flight=args.in_flight, lease=args.lease,
                                   machines=args.machines))
    finally:
        db.drop()


def run_sqlite(args: argparse.Namespace) -> list[Row]:
    tmp = Path(tempfile.mkdtemp(prefix="stepfn-fleet-"))
    try:
        return asyncio.run(measure("SQLite, 1 process", str(tmp / "stepfn.db"),
                                   in_process_worker=True, postgres=False,
                                   executions=args.executions, in_flight=args.in_flight,
                                   lease=args.lease, machines=args.machines))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------- takeover
async def _start_naps(db_url: str, count: int, lease: float, until: float) -> str:
    import orjson

    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(until)) + \
        f".{int(until % 1 * 1000):03d}Z"
    store, manager = await open_service(db_url, worker=False, lease=lease)
    try:
        machine = await create_machine(store, "nap", WAIT_UNTIL)
        await start_many(manager, machine, [orjson.dumps({"until": stamp}).decode()] * count,
                         64)
        return machine.arn
    finally:
        await close_service(store, manager)


def run_takeover(base: str, args: argparse.Namespace, logs: Path) -> dict[str, float]:
    """Kill -9 a worker holding ``args.takeover`` executions in a Wait; seconds until
    the survivor holds all their leases and until all have ended."""
    db = Database(base)
    first = second = None
    count = args.takeover
    try:
        # The executions must stay held (not parked) through their 8 s Waits: what is
        # measured is the takeover of live leases (a parked execution has none).
        first = Worker(db.url, logs / "takeover-a.log", args.takeover_lease, park_seconds=60)
        wait_for_connections(db, 1)
        time.sleep(0.5)
        # The Waits end 1 s after the kill below, before the lease lapses, so the
        # executions end as soon as the survivor has replayed them.
        until = time.time() + 8.0
        asyncio.run(_start_naps(db.url, count, args.takeover_lease, until))
        # Until the first worker holds them all and each has its Wait committed.
        pid = first.proc.pid
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            held = db.query("SELECT count(*) FROM work WHERE kind='execution' "
                            "AND lease_owner LIKE %s", (f"%:{pid}:%",))[0][0]
            waiting = db.query("SELECT count(*) FROM (SELECT execution_arn FROM event_chunks "
                               "GROUP BY 1 HAVING sum(count) >= 2) AS waiting")[0][0]
            if held == count and waiting == count:
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("the first worker did not take every execution")
        second = Worker(db.url, logs / "takeover-b.log", args.takeover_lease, park_seconds=60)
        wait_for_connections(db, 2)
        time.sleep(0.5)
        if time.time() >= until - 1.0:
            raise RuntimeError("too slow to start: the Waits would end before the kill")
        time.sleep(until - 1.0 - time.time())
        killed = time.perf_counter()
        first.kill()
        leases_taken = ended = None
        second_pid = second.proc.pid
        while time.perf_counter() - killed < args.takeover_lease * 4 + 30:
            now = time.perf_counter() - killed
            if leases_taken is None:
                taken = db.query("SELECT count(*) FROM work WHERE kind='execution' "
                                 "AND lease_owner LIKE %s", (f"%:{second_pid}:%",))[0][0]
                done = db.query("SELECT count(*) FROM executions "
                                "WHERE status <> 'RUNNING'")[0][0]
                if taken + done >= count:
                    leases_taken = now
            done = db.query("SELECT count(*) FROM executions WHERE status='SUCCEEDED'")[0][0]
            if done == count:
                ended = now
                break
            time.sleep(0.02)
        if ended is None:
            raise RuntimeError("the dead worker's executions were not all taken over")
        return {"executions": count, "lease": args.takeover_lease, "leases": leases_taken or ended,
                "ended": ended}
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        db.drop()


# ----------------------------------------------------------------- table
def print_rows(rows: list[Row]) -> None:
    header = ("configuration", "machine", "executions", "started/s", "completed/s",
              "transitions/s", "total s", "CPU ms/execution")
    lines = [header] + [
        (r.config, r.machine, str(r.executions), f"{r.started_per_s:,.0f}",
         f"{r.completed_per_s:,.0f}", f"{r.transitions_per_s:,.0f}", f"{r.total_s:.2f}",
         f"{r.cpu_ms_per_execution:.2f}")
        for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths,
                                                                  strict=True)) + " |")
        if index == 0:
            print("| " + " | ".join("-" * w for w in widths) + " |")


def median_rows(runs: list[list[Row]]) -> list[Row]:
    """Per (config, machine), the run with the median total time."""
    by_key: dict[tuple[str, str], list[Row]] = {}
    for rows in runs:
        for row in rows:
            by_key.setdefault((row.config, row.machine), []).append(row)
    out = []
    for rows in by_key.values():
        rows.sort(key=lambda r: r.total_s)
        out.append(rows[len(rows) // 2])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get(
        "STEPFN_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--lease", type=float, default=15.0,
                        help="seconds, for the throughput rows (stepfn's default)")
    parser.add_argument("--takeover-lease", type=float, default=3.0,
                        help="seconds, for the takeover measurement")
    parser.add_argument("--takeover", type=int, default=200,
                        help="executions held by the killed worker (0: skip)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--machines", default="small,steps",
                        type=lambda text: [m for m in text.split(",") if m],
                        help=f"of {', '.join(MACHINES)}")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-single", action="store_true",
                        help="skip PostgreSQL with one process")
    args = parser.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="stepfn-fleet-logs-"))
    runs: list[list[Row]] = []
    for _ in range(args.runs):
        rows: list[Row] = []
        for count in (int(w) for w in args.workers.split(",") if w):
            rows += run_postgres(args.pg, count, args, logs)
        if not args.no_single:
            rows += run_postgres_single(args.pg, args)
        if not args.no_sqlite:
            rows += run_sqlite(args)
        runs.append(rows)
    print(f"{args.executions} executions per row, {args.in_flight} starts in flight, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"median of {args.runs} run(s)")
    print_rows(median_rows(runs))
    if args.takeover:
        takeovers = [run_takeover(args.pg, args, logs) for _ in range(args.runs)]
        ends = [t["ended"] for t in takeovers]
        print(f"\ntakeover: {args.takeover} executions held by a worker killed with -9, "
              f"lease {args.takeover_lease:g} s (target <= {args.takeover_lease + 1:g} s)")
        for t in takeovers:
            print(f"  all leases the survivor's after {t['leases']:.2f} s; "
                  f"all ended after {t['ended']:.2f} s")
        print(f"  median end: {statistics.median(ends):.2f} s")
    print(f"\nworker logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
