"""Distributed Map at scale: one Map Run of N Pass children, each an execution of its own
(record, work item, lease, history), on a fleet and in one process.

    python benchmarks/distributed_map.py [--items 1000,10000,100000]
        [--configs fleet,sqlite] [--workers 2] [--concurrency 0]
        [--pg postgresql://127.0.0.1:5432/test] [--timeout 900]

Configurations:

* ``fleet``: PostgreSQL, an API node (``stepfn serve --no-worker``) and ``--workers``
  ``stepfn worker`` processes, each a process of its own; whichever worker claims the
  parent runs the Map Run, and every worker claims children.
* ``sqlite``: one ``stepfn serve`` process on a SQLite file (its own worker).

The machine reads its items from S3 (``ItemReader``, a JSON array of N numbers) and
writes its results there (``ResultWriter``, COMPACT, as JSON Lines): without a
ResultWriter, the results of a large Map Run are more than the 256 KiB a state's output
may hold and the state fails with States.DataLimitExceeded, on AWS as here. S3 is moto's
server, started by this script on loopback (``AWS_ENDPOINT_URL`` for the stepfn
processes). The clock runs from StartExecution until DescribeExecution says SUCCEEDED;
then every child is checked (ListExecutions by mapRunArn: N children, all SUCCEEDED),
DescribeMapRun's counts and the result file (every item once).

Per row: seconds, children/s, the peak RSS (VmHWM) of each stepfn process in MiB, with
the RSS each had before the run started (``before->peak``: flat memory means the peak
does not grow with N), and the CPU (user + system) spent per child by the stepfn
processes and the database's backends, with each one's CPU seconds: on a machine
shared with other work the clock stretches but this does not. A case that has not
ended after ``--timeout`` seconds, or that fails, is printed as such (how far it got),
and the next case runs on a fresh fleet.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROLE = "arn:aws:iam::123456789012:role/bench"
REGION = "us-east-1"
BUCKET = "stepfn-dmap-bench"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"stepfn exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"stepfn serve did not start: {log.read_text()[-2000:]}")


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def postgres_backends(url: str | None) -> list[int]:
    """The server processes serving the database at ``url`` (none for SQLite)."""
    if url is None:
        return []
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid()").fetchall()
    return [r[0] for r in rows]


def rss_mib(pid: int, field_name: str = "VmRSS") -> float:
    """A process's resident memory (VmRSS) or its peak (VmHWM), MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Fleet:
    """The stepfn processes of one configuration, and the endpoint of its API."""

    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    endpoint: str = ""
    db_url: str | None = None  # PostgreSQL: its backends' CPU is counted too

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each stepfn process, and of the database's backends."""
        out = {name: cpu_seconds(proc.pid) for name, proc in self.procs.items()}
        out["postgres"] = sum(cpu_seconds(pid) for pid in postgres_backends(self.db_url))
        return out

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def start_fleet(db: str, workers: int, folder: Path, env: dict[str, str]) -> Fleet:
    """``stepfn serve`` on ``db`` (``--no-worker`` when ``workers`` > 0) and the workers."""
    fleet = Fleet(db_url=db if workers else None)
    port = _free_port()
    log = folder / "api.log"
    serve = [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port), "--db", db,
             "--log-level", "warning"]
    if workers:
        serve.append("--no-worker")
    fleet.procs["api" if workers else "serve"] = subprocess.Popen(
        serve, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)
    _wait_port(port, fleet.procs["api" if workers else "serve"], log)
    for index in range(workers):
        wlog = folder / f"worker{index + 1}.log"
        fleet.procs[f"w{index + 1}"] = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "worker", "--db", db, "--log-level",
             "warning"], stdout=wlog.open("ab"), stderr=subprocess.STDOUT, env=env)
    fleet.endpoint = f"http://127.0.0.1:{port}"
    time.sleep(1.0 if workers else 0.2)  # the workers connected and claiming
    return fleet


def machine_definition(concurrency: int) -> dict:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": concurrency, "ItemProcessor": processor,
        "Label": "Bench",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "JSON"},
                       "Parameters": {"Bucket": BUCKET, "Key.$": "$.key"}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": BUCKET, "Prefix": "results"},
                         "WriterConfig": {"Transformation": "COMPACT",
                                          "OutputType": "JSONL"}},
        "End": True}}}


@dataclass
class Outcome:
    config: str
    items: int
    concurrency: int
    seconds: float
    status: str  # SUCCEEDED, or how it failed / how far it got
    rss: dict[str, tuple[float, float]]  # process -> (before, peak) MiB
    cpu: dict[str, float]  # process (and "postgres": its backends) -> CPU seconds

    def row(self) -> str:
        rate = f"{self.items / self.seconds:,.0f}" if self.status == "SUCCEEDED" else "-"
        memory = ", ".join(f"{name} {before:.0f}->{peak:.0f}"
                           for name, (before, peak) in self.rss.items())
        per_child = sum(self.cpu.values()) * 1000 / self.items
        cpu = ", ".join(f"{name} {seconds:.0f}" for name, seconds in self.cpu.items()
                        if seconds >= 0.5)
        return (f"| {self.config} | {self.items:,} | {self.concurrency} | "
                f"{self.seconds:.1f} | {rate} | {self.status} | {memory} | "
                f"{per_child:.2f} ({cpu}) |")


def run_case(config: str, fleet: Fleet, s3: Any, items: int, concurrency: int,
             timeout: float) -> Outcome:
    sfn = boto3.client("stepfunctions", endpoint_url=fleet.endpoint, region_name=REGION,
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"max_attempts": 5}, read_timeout=120))
    key = f"items-{items}-{uuid.uuid4().hex[:6]}.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(list(range(items))).encode())
    machine = sfn.create_state_machine(
        name=f"dmap-{items}-{uuid.uuid4().hex[:6]}", roleArn=ROLE,
        definition=json.dumps(machine_definition(concurrency)))["stateMachineArn"]
    before = {name: rss_mib(proc.pid) for name, proc in fleet.procs.items()}
    cpu_before = fleet.cpu()
    started = time.monotonic()
    arn = sfn.start_execution(stateMachineArn=machine,
                              input=json.dumps({"key": key}))["executionArn"]
    status = "RUNNING"
    desc: dict = {}
    while time.monotonic() - started < timeout:
        desc = sfn.describe_execution(executionArn=arn)
        status = desc["status"]
        if status != "RUNNING":
            break
        time.sleep(0.2)
    seconds = time.monotonic() - started
    rss = {name: (before[name], rss_mib(proc.pid, "VmHWM"))
           for name, proc in fleet.procs.items()}
    cpu = {name: max(0.0, spent - cpu_before.get(name, 0.0))
           for name, spent in fleet.cpu().items()}
    if status == "SUCCEEDED":
        status = check(sfn, s3, arn, desc, items)
    else:
        status = describe_failure(sfn, arn, desc, status)
    return Outcome(config, items, concurrency, seconds, status, rss, cpu)


def check(sfn: Any, s3: Any, arn: str, desc: dict, items: int) -> str:
    """SUCCEEDED when every child, the counts and the result file are right."""
    run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    run = sfn.describe_map_run(mapRunArn=run_arn)
    counts = run["executionCounts"]
    if (counts["succeeded"], counts["total"], run["status"]) != (items, items, "SUCCEEDED"):
        return f"WRONG COUNTS {counts}"
    listed = 0
    for page in sfn.get_paginator("list_executions").paginate(mapRunArn=run_arn,
                                                              PaginationConfig={
                                                                  "PageSize": 1000}):
        for child in page["executions"]:
            if child["status"] != "SUCCEEDED":
                return f"CHILD {child['executionArn']} {child['status']}"
            listed += 1
    if listed != items:
        return f"{listed} CHILDREN LISTED"
    output = json.loads(desc["output"])
    manifest = json.loads(s3.get_object(Bucket=BUCKET,
                                        Key=output["ResultWriterDetails"]["Key"])["Body"]
                          .read())
    results: list = []
    for entry in manifest["ResultFiles"]["SUCCEEDED"]:
        body = s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read()
        results.extend(json.loads(line) for line in body.splitlines() if line)
    if sorted(results) != list(range(items)):
        return f"WRONG RESULTS ({len(results)} results)"
    return "SUCCEEDED"


def describe_failure(sfn: Any, arn: str, desc: dict, status: str) -> str:
    runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    progress = ""
    if runs:
        counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["executionCounts"]
        progress = f", {counts['succeeded']:,} of {counts['total']:,} children succeeded"
    if status == "RUNNING":
        return f"NOT DONE{progress}"
    reason = f" {desc.get('error', '')}: {str(desc.get('cause', ''))[:120]}"
    return f"{status}{reason}{progress}"


def postgres_database(base: str) -> tuple[str, Any]:
    """A database of its own and a function dropping it."""
    import psycopg

    name = "stepfn_dmap_" + uuid.uuid4().hex[:10]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return base.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", default="1000,10000,100000")
    parser.add_argument("--configs", default="fleet,sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=0,
                        help="the Map's MaxConcurrency (0: AWS's default, 10,000)")
    parser.add_argument("--pg", default=os.environ.get(
        "STEPFN_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds before a case counts as not done")
    args = parser.parse_args()
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request lines
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    env = dict(os.environ, **AWS_ENV, AWS_ENDPOINT_URL=f"http://{host}:{port}")
    s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=BUCKET)
    folder = Path(tempfile.mkdtemp(prefix="stepfn-dmap-"))
    sizes = [int(x) for x in args.items.split(",") if x]
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start; "
          f"logs in {folder}")
    print("| configuration | items | MaxConcurrency | seconds | children/s | status | "
          "RSS MiB before->peak | CPU ms/child (CPU s by process) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    try:
        for config in (c for c in args.configs.split(",") if c):
            for items in sizes:
                drop = None
                if config == "fleet":
                    db, drop = postgres_database(args.pg)
                    label = f"PostgreSQL, API + {args.workers} workers"
                    workers = args.workers
                else:
                    db = str(folder / f"bench-{items}.db")
                    label, workers = "SQLite, 1 process", 0
                case_folder = folder / f"{config}-{items}"
                case_folder.mkdir()
                fleet = start_fleet(db, workers, case_folder, env)
                try:
                    outcome = run_case(label, fleet, s3, items, args.concurrency,
                                       args.timeout)
                finally:
                    fleet.stop()
                    if drop is not None:
                        drop()
                print(outcome.row(), flush=True)
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
