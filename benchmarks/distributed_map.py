"""Distributed Map through `stepfn serve` (SQLite): wall time of one Map Run whose
children are executions of their own, for a few item counts and MaxConcurrency values.

    python benchmarks/distributed_map.py [--items 20,200] [--concurrency 1,10,0]

Prints one table row per case: items, MaxConcurrency, seconds, children per second.
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
from pathlib import Path

import boto3
from botocore.config import Config

ROLE = "arn:aws:iam::123456789012:role/bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port), "--db", str(db),
         "--log-level", "warning"], stdout=log.open("ab"), stderr=subprocess.STDOUT,
        env=dict(os.environ))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"stepfn serve did not start: {log.read_text()[-2000:]}")


def _run_case(sfn, items: int, concurrency: int) -> float:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": concurrency, "ItemProcessor": processor,
        "End": True}}}
    machine = sfn.create_state_machine(
        name=f"dmap-{items}-{concurrency}", roleArn=ROLE,
        definition=json.dumps(definition))["stateMachineArn"]
    started = time.monotonic()
    arn = sfn.start_execution(stateMachineArn=machine,
                              input=json.dumps(list(range(items))))["executionArn"]
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        time.sleep(0.02)
    if status != "SUCCEEDED":
        raise SystemExit(f"{arn} ended {status}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", default="20,200")
    parser.add_argument("--concurrency", default="1,10,0")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="stepfn-dmap-"))
    proc, endpoint = _serve(folder / "bench.db", folder / "serve.log")
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x",
                           config=Config(retries={"max_attempts": 1}))
        print(f"{'items':>6} {'MaxConcurrency':>15} {'seconds':>8} {'children/s':>11}")
        for items in (int(x) for x in args.items.split(",")):
            for concurrency in (int(x) for x in args.concurrency.split(",")):
                seconds = _run_case(sfn, items, concurrency)
                print(f"{items:>6} {concurrency:>15} {seconds:>8.2f} {items / seconds:>11.1f}")
    finally:
        proc.terminate()
        proc.wait(15)


if __name__ == "__main__":
    main()
