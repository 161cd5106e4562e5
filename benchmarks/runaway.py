"""API latency of ``stepfn serve`` while a pathological execution runs.

Starts a ``stepfn serve`` subprocess, then measures, for each scenario, the latency of
DescribeStateMachine and ListExecutions calls made by ``--clients`` concurrent
keep-alive connections for ``--seconds``:

* ``idle``: nothing else runs;
* ``regex``: a Standard execution whose InputPath filter regex backtracks
  catastrophically (``(a|a)+$`` on 40 ``a`` and a ``!``) is started again as soon as
  the previous one has failed, so one is always running;
* ``jsonata``: the same with a JSONata Output that loops until its time budget ends
  (``$reduce`` over ``[1..999999]``);
* ``range``: the same with ``$count([1..10000000])`` (refused before it is built).

Each pathological execution is checked to fail with the expected error. The table
gives p50/p99/max latency in ms and how many pathological executions ran. The budget
is the server's ``STEPFN_EXPRESSION_TIMEOUT_MS`` (``--timeout-ms``).

    .venv/bin/python benchmarks/runaway.py [--seconds 5] [--clients 4] [--timeout-ms 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drivers.serve_http import ROLE, ServeProcess  # noqa: E402
from http_load import RawClient  # noqa: E402

RUNAWAY_PATH = "$.items[?(@.name =~ /(a|a)+$/)]"
SCENARIOS: dict[str, tuple[dict, dict, str]] = {
    # name: (definition, input, the error the execution must fail with)
    "regex": ({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": RUNAWAY_PATH,
                                                 "End": True}}},
              {"items": [{"name": "a" * 40 + "!"}]}, "States.Runtime"),
    "jsonata": ({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
        "Type": "Pass", "End": True,
        "Output": "{% $reduce([1..999999], function($a, $b) { $a + $b }) %}"}}},
        {}, "States.QueryEvaluationError"),
    "range": ({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
        "Type": "Pass", "End": True, "Output": "{% $count([1..10000000]) %}"}}},
        {}, "States.QueryEvaluationError"),
}
PROBE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


async def _probe(port: int, machine_arn: str, seconds: float, clients: int) -> list[float]:
    """Latencies (s) of alternating DescribeStateMachine/ListExecutions calls."""
    describe = RawClient.request("DescribeStateMachine",
                                 json.dumps({"stateMachineArn": machine_arn}).encode())
    listing = RawClient.request("ListExecutions", json.dumps(
        {"stateMachineArn": machine_arn, "maxResults": 10}).encode())
    latencies: list[float] = []
    end = time.monotonic() + seconds

    async def loop(client: RawClient) -> None:
        await client.connect()
        turn = 0
        while time.monotonic() < end:
            started = time.perf_counter()
            status, _ = await client.call(describe if turn % 2 == 0 else listing)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"probe call answered {status}")
            turn += 1
            await asyncio.sleep(0.005)  # a steady trickle, not a flood
        await client.close()

    await asyncio.gather(*(loop(RawClient(port)) for _ in range(clients)))
    return latencies


def _pathological(server: ServeProcess, machine_arn: str, document: dict, error: str,
                  stop: float) -> int:
    """Start the pathological execution again and again until ``stop``; check each."""
    sfn = server.client()
    count = 0
    while time.monotonic() < stop:
        arn = sfn.start_execution(stateMachineArn=machine_arn,
                                  input=json.dumps(document))["executionArn"]
        while True:
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.02)
        if described["status"] != "FAILED" or described.get("error") != error:
            raise RuntimeError(f"expected {error}, got {described['status']} "
                               f"{described.get('error')}: {described.get('cause')}")
        count += 1
    return count


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _scenario(server: ServeProcess, probe_arn: str, args: argparse.Namespace,
                    machine: str | None, spec: tuple[dict, dict, str] | None
                    ) -> tuple[list[float], int]:
    if spec is None:
        return await _probe(server.port, probe_arn, args.seconds, args.clients), 0
    definition, document, error = spec
    arn = server.client().create_state_machine(
        name=f"runaway-{machine}", definition=json.dumps(definition),
        roleArn=ROLE)["stateMachineArn"]
    stop = time.monotonic() + args.seconds
    runner = asyncio.get_running_loop().run_in_executor(
        None, _pathological, server, arn, document, error, stop)
    await asyncio.sleep(0.3)  # let the first pathological execution start
    latencies = await _probe(server.port, probe_arn, args.seconds, args.clients)
    return latencies, await runner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--timeout-ms", type=int, default=1000,
                        help="the server's STEPFN_EXPRESSION_TIMEOUT_MS")
    parser.add_argument("--only", default="idle," + ",".join(SCENARIOS))
    args = parser.parse_args(argv)
    os.environ["STEPFN_EXPRESSION_TIMEOUT_MS"] = str(args.timeout_ms)
    rows: list[tuple[str, Any, ...]] = []
    with tempfile.TemporaryDirectory(prefix="stepfn-runaway-") as tmp:
        server = ServeProcess(Path(tmp))
        server.start()
        try:
            probe_arn = server.client().create_state_machine(
                name="probe", definition=json.dumps(PROBE), roleArn=ROLE)["stateMachineArn"]
            for name in args.only.split(","):
                latencies, ran = asyncio.run(
                    _scenario(server, probe_arn, args, name, SCENARIOS.get(name)))
                ms = [v * 1000 for v in latencies]
                rows.append((name, len(ms), statistics.median(ms), _percentile(ms, 0.99),
                             max(ms), ran))
        finally:
            server.stop()
    load = os.getloadavg()[0]  # the figures mean little on a machine busy elsewhere
    print(f"budget {args.timeout_ms} ms, {args.clients} clients, {args.seconds:g} s each, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'scenario':<10}{'calls':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'pathological runs':>19}")
    for name, calls, p50, p99, worst, ran in rows:
        print(f"{name:<10}{calls:>7}{p50:>9.1f}{p99:>9.1f}{worst:>9.1f}{ran:>19}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
