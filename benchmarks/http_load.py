"""Throughput of ``stepfn serve`` over HTTP with a client lighter than boto3.

    python benchmarks/http_load.py [--seconds 10] [--connections 4] [--client auto|wrk|python]
                                   [--standard 2000] [--runs 3] [--json FILE]

Starts a ``stepfn serve`` subprocess (database in a temporary directory, the durable
defaults: WAL, synchronous=FULL), creates many_small_executions' 3-state machine twice,
as EXPRESS and as STANDARD, then measures:

1. Express: ``StartSyncExecution`` requests per second for ``--seconds``, from ``wrk``
   with a Lua script (when installed: ``apt-get install wrk``) or from this script's
   asyncio raw-HTTP client (keep-alive, one coroutine per connection). Every answer is
   checked: HTTP 200 with ``"status":"SUCCEEDED"`` and the expected output.
2. Standard: the time for ``--standard`` executions to be started (``StartExecution``
   over ``--connections`` keep-alive connections) and completed, completion read by
   polling the database file (a read-only connection; WAL lets it read beside the
   server). Every execution's stored status and output are checked at the end.

The load generator shares the machine with the server (2 cores here): wrk needs a few
percent of a core, the Python client most of one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKLOADS_DIR, load_workloads  # noqa: E402
from drivers.serve_http import ROLE, ServeProcess  # noqa: E402

TARGET_PREFIX = "AWSStepFunctions."


# -- a minimal keep-alive HTTP/1.1 client for awsJson1_0 ------------------------------------
class RawClient:
    """One keep-alive connection that POSTs awsJson1_0 requests and reads the answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    @staticmethod
    def request(operation: str, body: bytes) -> bytes:
        """The bytes of one request (built once and reused for identical requests)."""
        return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\n"
                f"X-Amz-Target: {TARGET_PREFIX}{operation}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def call(self, raw_request: bytes) -> tuple[int, bytes]:
        """Send one request; return the status code and the body."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw_request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)content-length:\s*(\d+)", head)
        body = await self.reader.readexactly(int(match.group(1))) if match else b""
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


def check_sync_answer(status: int, body: bytes, expected: object) -> str | None:
    """Why a StartSyncExecution answer is wrong (None when right)."""
    if status != 200:
        return f"HTTP {status}: {body[:300]!r}"
    answer = json.loads(body)
    if answer.get("status") != "SUCCEEDED":
        return f"status {answer.get('status')}: {answer.get('error')} {answer.get('cause')}"
    output = json.loads(answer["output"])
    return None if output == expected else f"output {output!r}, expected {expected!r}"


# -- Express: StartSyncExecution/s ----------------------------------------------------------
async def express_python(port: int, body: bytes, expected: object, seconds: float,
                         connections: int) -> dict:
    """Closed-loop load from ``connections`` keep-alive connections for ``seconds``."""
    raw = RawClient.request("StartSyncExecution", body)
    clients = [RawClient(port) for _ in range(connections)]
    await asyncio.gather(*(c.connect() for c in clients))
    counts = {"ok": 0, "wrong": 0}
    latencies: list[float] = []
    first_wrong: list[str] = []
    deadline = time.perf_counter() + seconds

    async def loop(client: RawClient) -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status, answer = await client.call(raw)
            latencies.append(time.perf_counter() - t0)
            wrong = check_sync_answer(status, answer, expected)
            if wrong:
                counts["wrong"] += 1
                first_wrong[:] = first_wrong or [wrong]
            else:
                counts["ok"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in clients))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in clients))
    latencies.sort()
    return {"client": f"python asyncio, {connections} connections", "seconds": elapsed,
            "requests": counts["ok"] + counts["wrong"], "wrong": counts["wrong"],
            "first_wrong": first_wrong[0] if first_wrong else None,
            "per_second": (counts["ok"] + counts["wrong"]) / elapsed,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000}


# Each wrk thread runs its own Lua state: the counters are globals of the thread states,
# summed in done() through the thread objects setup() kept.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartSyncExecution"
wrk.body = %(body)s
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  wrong = 0
  checked = 0
  first = ""
end
function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 or not string.find(body, %(needle)s, 1, true) then
    wrong = wrong + 1
    if first == "" then first = tostring(status) .. " " .. body end
  end
end
function done(summary, latency, requests)
  local total, seen, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("wrong")
    seen = seen + thread:get("checked")
    if sample == "" then sample = thread:get("first") end
  end
  io.write(string.format("STEPFN wrong=%%d checked=%%d\\n", total, seen))
  if sample ~= "" then io.write("STEPFN first=" .. sample .. "\\n") end
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def express_wrk(port: int, body: bytes, expected: object, seconds: float,
                connections: int, directory: Path) -> dict:
    """Load from wrk (2 threads); wrk's Lua counts answers without the expected output."""
    # The output is JSON text inside the JSON answer, hence escaped once more.
    needle = '"output":' + json.dumps(json.dumps(expected, separators=(",", ":")))
    script = directory / "start_sync.lua"
    script.write_text(WRK_SCRIPT % {"body": _lua_string(body.decode()),
                                    "needle": _lua_string(needle)})
    threads = min(2, connections)
    proc = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
         "--latency", "-s", str(script), f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, timeout=seconds + 60)
    out = proc.stdout
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {proc.stderr or out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    counted = re.search(r"STEPFN wrong=(\d+) checked=(\d+)", out)
    wrong, checked = int(counted.group(1)), int(counted.group(2))
    if checked < requests:  # every answer wrk completed must have been checked
        raise RuntimeError(f"wrk checked {checked} of {requests} answers")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    first = re.search(r"STEPFN first=(.*)", out)

    def latency(pct: str) -> float | None:
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return {"client": f"wrk, {threads} threads, {connections} connections",
            "seconds": seconds, "requests": requests,
            "wrong": wrong + (int(errors.group(1)) if errors else 0),
            "first_wrong": (first.group(1)[:300] if first else
                            (socket_errors.group(1) if socket_errors else None)),
            "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": latency("50"), "p99_ms": latency("99")}


# -- Standard: N executions started and completed -------------------------------------------
def count_ended(db: Path, machine_arn: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
        return con.execute("SELECT count(*) FROM executions WHERE machine_arn=? AND "
                           "status != 'RUNNING'", (machine_arn,)).fetchone()[0]


def check_standard(db: Path, machine_arn: str, expected: object, count: int) -> str | None:
    """Why the stored executions are wrong (None when all ``count`` succeeded rightly)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
        rows = con.execute("SELECT data FROM executions WHERE machine_arn=?",
                           (machine_arn,)).fetchall()
    if len(rows) != count:
        return f"{len(rows)} executions stored, expected {count}"
    for (data,) in rows:
        record = json.loads(data)
        if record["status"] != "SUCCEEDED":
            return f"{record['arn']}: {record['status']} {record['error']} {record['cause']}"
        if json.loads(record["output"]) != expected:
            return f"{record['arn']}: output {record['output']}"
    return None


async def standard_run(server: ServeProcess, machine_arn: str, input_text: str,
                       expected: object, count: int, connections: int,
                       timeout: float = 120.0) -> dict:
    """Start ``count`` executions over ``connections`` connections; wait for their end."""
    clients = [RawClient(server.port) for _ in range(connections)]
    await asyncio.gather(*(c.connect() for c in clients))
    requests = [RawClient.request("StartExecution", json.dumps(
        {"stateMachineArn": machine_arn, "name": str(uuid.uuid4()),
         "input": input_text}).encode()) for _ in range(count)]
    queue = list(reversed(requests))
    failures: list[str] = []

    async def loop(client: RawClient) -> None:
        while queue:
            status, answer = await client.call(queue.pop())
            if status != 200:
                failures.append(f"HTTP {status}: {answer[:300]!r}")

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in clients))
    started = time.perf_counter() - t0
    await asyncio.gather(*(c.close() for c in clients))
    ended = 0
    while ended < count and time.perf_counter() - t0 < timeout:
        ended = count_ended(server.db, machine_arn)
        if ended < count:
            await asyncio.sleep(0.005)
    completed = time.perf_counter() - t0
    wrong = failures[0] if failures else (
        f"only {ended} of {count} ended within {timeout} s" if ended < count else
        check_standard(server.db, machine_arn, expected, count))
    return {"executions": count, "connections": connections, "start_seconds": started,
            "complete_seconds": completed, "per_second": count / completed, "wrong": wrong}


# -- command line ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="length of each Express run (default 10)")
    parser.add_argument("--connections", type=int, default=4,
                        help="keep-alive connections (default 4: 2 per core)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="Express load generator (auto: wrk when installed)")
    parser.add_argument("--standard", type=int, default=2000,
                        help="Standard executions per run (0: skip)")
    parser.add_argument("--standard-connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--workloads", type=Path, default=DEFAULT_WORKLOADS_DIR)
    parser.add_argument("--json", type=Path, default=None, help="also save results here")
    args = parser.parse_args(argv)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"

    workload = load_workloads(args.workloads)["many_small_executions"]
    definition = json.dumps(workload.definition)
    input_text = json.dumps(workload.input)
    results: dict = {"express": [], "standard": []}
    with tempfile.TemporaryDirectory(prefix="stepfn-http-load-") as tmp:
        server = ServeProcess(Path(tmp))
        server.start()
        try:
            sfn = server.client()
            express_arn = sfn.create_state_machine(
                name="load-express", definition=definition, roleArn=ROLE,
                type="EXPRESS")["stateMachineArn"]
            standard_arn = sfn.create_state_machine(
                name="load-standard", definition=definition, roleArn=ROLE,
                type="STANDARD")["stateMachineArn"]
            body = json.dumps({"stateMachineArn": express_arn, "input": input_text}).encode()
            for run in range(args.runs):
                if client == "wrk":
                    r = express_wrk(server.port, body, workload.expected_output,
                                    args.seconds, args.connections, Path(tmp))
                else:
                    r = asyncio.run(express_python(server.port, body,
                                                   workload.expected_output,
                                                   args.seconds, args.connections))
                results["express"].append(r)
                print(f"express run {run + 1}: {r['per_second']:,.0f} StartSyncExecution/s "
                      f"({r['requests']} requests, {r['wrong']} wrong, p50 {r['p50_ms']} ms, "
                      f"p99 {r['p99_ms']} ms; {r['client']})", flush=True)
                if r["wrong"]:
                    print(f"  first wrong answer: {r['first_wrong']}", flush=True)
            for run in range(args.runs if args.standard else 0):
                # A machine per run, so each run counts only its own executions.
                arn = standard_arn if run == 0 else sfn.create_state_machine(
                    name=f"load-standard-{run}", definition=definition, roleArn=ROLE,
                    type="STANDARD")["stateMachineArn"]
                r = asyncio.run(standard_run(server, arn, input_text,
                                             workload.expected_output, args.standard,
                                             args.standard_connections))
                results["standard"].append(r)
                print(f"standard run {run + 1}: {r['executions']} started in "
                      f"{r['start_seconds']:.2f} s, all completed in "
                      f"{r['complete_seconds']:.2f} s ({r['per_second']:,.0f}/s)"
                      + (f"; WRONG: {r['wrong']}" if r["wrong"] else ""), flush=True)
            results["server_peak_rss_mib"] = server.peak_rss_mib()
        finally:
            server.stop()
    summarize(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    bad = [r for r in results["express"] if r["wrong"]] + \
          [r for r in results["standard"] if r["wrong"]]
    return 1 if bad else 0


def summarize(results: dict) -> None:
    rates = [r["per_second"] for r in results["express"]]
    if rates:
        print(f"Express StartSyncExecution/s: median {statistics.median(rates):,.0f}, "
              f"min {min(rates):,.0f}, max {max(rates):,.0f} (target >= 2,000)")
    times = [r["complete_seconds"] for r in results["standard"]]
    if times:
        count = results["standard"][0]["executions"]
        print(f"Standard, {count} started and completed: median "
              f"{statistics.median(times):.2f} s, min {min(times):.2f} s, "
              f"max {max(times):.2f} s (target < 5 s)")
    if results.get("server_peak_rss_mib"):
        print(f"server peak RSS: {results['server_peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
