"""What a Lambda task costs on the local Lambda runtime (stepfn.lambda_runtime).

In one run, on the same machine:

* ``floor``: a bare pipe round trip to a warm child process (length-prefixed JSON
  written to its stdin, echoed on its stdout): what any process boundary costs;
* ``runtime.invoke``: ``LambdaRuntime.invoke`` of a warm function (two pipes, a thread
  hand-off, the context object, JSON both ways);
* per Lambda task inside an execution (an in-memory Engine running a chain of Task
  states): a local function registered in-process (``--functions``, run in the thread
  pool), the same handler as a runtime function (a process of its own), minus a chain of
  Pass states (what the engine itself costs per state);
* cold start: the first invocation of 10 functions, started together and one after
  another, for a handler that imports nothing and one that imports boto3 (as most do).

    .venv/bin/python benchmarks/lambda_runtime.py [--rounds 2000] [--chain 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stepfn import Engine  # noqa: E402
from stepfn.lambda_runtime import FunctionSpec, LambdaRuntime  # noqa: E402

PAYLOAD = {"order": 42, "items": ["a", "b", "c"], "note": "x" * 200}
ECHO_CHILD = textwrap.dedent("""
    import json, struct, sys
    read, write = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = read.read(4)
        if not head:
            break
        body = read.read(struct.unpack(">I", head)[0])
        out = json.dumps(json.loads(body)).encode()
        write.write(struct.pack(">I", len(out)) + out)
        write.flush()
""")
HANDLER = "def handler(event, context):\n    return event\n"
BOTO3_HANDLER = "import boto3\n\ndef handler(event, context):\n    return event\n"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def floor_round_trips(rounds: int) -> list[float]:
    """Seconds per round trip to a warm child over a pipe pair."""
    child = subprocess.Popen([sys.executable, "-c", ECHO_CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    body = json.dumps(PAYLOAD).encode()
    frame = struct.pack(">I", len(body)) + body
    times = []
    try:
        for _ in range(rounds + 50):
            started = time.perf_counter()
            child.stdin.write(frame)
            child.stdin.flush()
            size = struct.unpack(">I", child.stdout.read(4))[0]
            json.loads(child.stdout.read(size))
            times.append(time.perf_counter() - started)
    finally:
        child.stdin.close()
        child.wait()
    return times[50:]


def runtime_round_trips(runtime: LambdaRuntime, rounds: int) -> list[float]:
    async def run() -> list[float]:
        times = []
        for _ in range(rounds + 50):
            started = time.perf_counter()
            result = await runtime.invoke("Echo", PAYLOAD)
            json.loads(result.payload)
            times.append(time.perf_counter() - started)
        return times[50:]

    return asyncio.run(run())


def chain(length: int, resource: str | None) -> dict:
    states = {}
    for i in range(length):
        state = {"Type": "Task", "Resource": resource} if resource else {"Type": "Pass"}
        state.update({"Next": f"S{i + 1}"} if i + 1 < length else {"End": True})
        states[f"S{i}"] = state
    return {"StartAt": "S0", "States": states}


def per_execution(engine: Engine, definition: dict, repeats: int) -> list[float]:
    machine = engine.compile(definition)

    async def run() -> list[float]:
        times = []
        for _ in range(repeats + 3):
            started = time.perf_counter()
            result = await engine.execute(machine, PAYLOAD)
            assert result.status == "SUCCEEDED", result.cause
            times.append(time.perf_counter() - started)
        return times[3:]

    return asyncio.run(run())


def cold_starts(folder: Path, code: str, count: int) -> tuple[float, list[float]]:
    """(seconds until all ``count`` functions answered, started together; seconds of
    each first invocation, one after another)."""
    folder.mkdir()
    (folder / "app.py").write_text(code)
    specs = [FunctionSpec(f"F{i}", "app.handler", folder) for i in range(count)]

    async def together(runtime: LambdaRuntime) -> float:
        started = time.perf_counter()
        results = await asyncio.gather(*(runtime.invoke(s.name, PAYLOAD) for s in specs))
        assert all(r.function_error is None for r in results)
        return time.perf_counter() - started

    async def one_by_one(runtime: LambdaRuntime) -> list[float]:
        times = []
        for s in specs:
            started = time.perf_counter()
            assert (await runtime.invoke(s.name, PAYLOAD)).function_error is None
            times.append(time.perf_counter() - started)
        return times

    with LambdaRuntime(specs, max_processes=count) as runtime:
        parallel = asyncio.run(together(runtime))
    with LambdaRuntime(specs, max_processes=count) as runtime:
        serial = asyncio.run(one_by_one(runtime))
    return parallel, serial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--chain", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="stepfn-bench-lambda-"))
    code = workdir / "echo"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    namespace: dict = {}
    exec(HANDLER, namespace)  # the same handler, in-process

    rows: list[tuple[str, str, str]] = []
    floor = floor_round_trips(args.rounds)
    rows.append(("floor: pipe round trip to a warm child",
                 f"{statistics.median(floor) * 1e6:.0f}", f"{percentile(floor, .99) * 1e6:.0f}"))
    with LambdaRuntime([FunctionSpec("Echo", "app.handler", code)]) as runtime:
        invoke = runtime_round_trips(runtime, args.rounds)
        rows.append(("LambdaRuntime.invoke, warm",
                     f"{statistics.median(invoke) * 1e6:.0f}",
                     f"{percentile(invoke, .99) * 1e6:.0f}"))
        engine = Engine(lambda_runtime=runtime)
        engine.register_function("Local", namespace["handler"])
        n = args.chain
        base = per_execution(engine, chain(n, None), args.repeats)
        local = per_execution(engine, chain(
            n, "arn:aws:lambda:us-east-1:123456789012:function:Local"), args.repeats)
        remote = per_execution(engine, chain(
            n, "arn:aws:lambda:us-east-1:123456789012:function:Echo"), args.repeats)
    pass_state = statistics.median(base) / n
    for label, times in (("Lambda task: local function, in-process (thread pool)", local),
                         ("Lambda task: runtime function (process of its own)", remote)):
        per_task = statistics.median(times) / n - pass_state
        rows.append((label, f"{per_task * 1e6:.0f}",
                     f"{(percentile(times, .99) / n - pass_state) * 1e6:.0f}"))
    rows.append(("(a Pass state, subtracted above)", f"{pass_state * 1e6:.0f}", ""))

    print(f"\nInvocation overhead ({args.rounds} round trips; tasks: {args.repeats} "
          f"executions of {n} Task states), microseconds")
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'median':>8}  {'p99':>8}")
    for label, median, p99 in rows:
        print(f"{label:{width}}  {median:>8}  {p99:>8}")

    print("\nCold start of 10 functions, ms")
    print(f"{'handler':{width}}  {'together':>8}  {'each, median':>12}  {'max':>6}")
    for label, handler, folder in (("returns its event", HANDLER, "cold"),
                                   ("imports boto3", BOTO3_HANDLER, "cold_boto3")):
        together, each = cold_starts(workdir / folder, handler, 10)
        print(f"{label:{width}}  {together * 1e3:>8.0f}  {statistics.median(each) * 1e3:>12.0f}"
              f"  {max(each) * 1e3:>6.0f}")
    print(f"\n(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
