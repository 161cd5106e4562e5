"""Cold start of a SAM application with 10 Python functions (stepfn.templates).

In one run, on the same machine, against the floor of a plain `stepfn serve`:

* ``load``: reading the template, the SAM transform and the resolution
  (``load_application``), in-process, median of ``--rounds``;
* ``serve ready``: from starting `stepfn serve --template` to its first answer
  (ListStateMachines lists the machine), against `stepfn serve` with no template;
* ``first execution``: StartExecution of the machine that calls the 10 functions one
  after another, to its end (each function's process starts: 10 cold starts), then
  the same execution again (all warm).

    .venv/bin/python benchmarks/templates.py [--rounds 20] [--functions 10]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stepfn.templates import load_application  # noqa: E402

HANDLER = ("import os\n\n\ndef lambda_handler(event, context):\n"
           "    return {**event, os.environ['STEP']: True}\n")


def write_app(root: Path, count: int) -> Path:
    """A SAM template: ``count`` functions (functions/fN/app.py, each
    app.lambda_handler with its own STEP variable) and a machine calling them in turn."""
    states = {}
    lines = ["Transform: AWS::Serverless-2016-10-31",
             "Globals:", "  Function:", "    Runtime: python3.12", "    Timeout: 30",
             "Resources:",
             "  Chain:", "    Type: AWS::Serverless::StateMachine", "    Properties:",
             "      Name: chain", "      DefinitionUri: chain.asl.json",
             "      DefinitionSubstitutions:"]
    for i in range(count):
        lines.append(f"        F{i}: !GetAtt Function{i}.Arn")
        states[f"Step{i}"] = {"Type": "Task", "Resource": f"${{F{i}}}",
                              **({"Next": f"Step{i + 1}"} if i + 1 < count else
                                 {"End": True})}
    for i in range(count):
        folder = root / "functions" / f"f{i}"
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(HANDLER)
        lines += [f"  Function{i}:", "    Type: AWS::Serverless::Function", "    Properties:",
                  f"      CodeUri: functions/f{i}/", "      Handler: app.lambda_handler",
                  "      Environment:", "        Variables:", f"          STEP: step{i}"]
    (root / "chain.asl.json").write_text(json.dumps({"StartAt": "Step0", "States": states}))
    template = root / "template.yaml"
    template.write_text("\n".join(lines) + "\n")
    return template


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_ready(root: Path, *args: str) -> tuple[float, subprocess.Popen, int]:
    """Seconds from starting `stepfn serve ARGS` to ListStateMachines answering."""
    import boto3

    port = free_port()
    db = root / f"stepfn-{port}.db"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "stepfn.cli", "serve", "--port",
                                str(port), "--db", str(db), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=root)
    client = boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}",
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    while True:
        try:
            machines = client.list_state_machines()["stateMachines"]
            if machines or not args:
                return time.perf_counter() - started, process, port
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        if process.poll() is not None:
            raise RuntimeError("stepfn serve exited")
        time.sleep(0.01)


def run_execution(port: int) -> float:
    import boto3

    client = boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}",
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:chain"
    started = time.perf_counter()
    execution = client.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    while True:
        described = client.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            if described["status"] != "SUCCEEDED":
                raise RuntimeError(described)
            return time.perf_counter() - started
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--functions", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        template = write_app(root, args.functions)
        loads = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            app = load_application([template])
            loads.append(time.perf_counter() - started)
        assert len(app.functions) == args.functions
        plain, process, _ = serve_ready(root)
        process.terminate()
        process.wait()
        ready, process, port = serve_ready(root, "--template", str(template))
        try:
            cold = run_execution(port)
            warm = [run_execution(port) for _ in range(5)]
        finally:
            process.terminate()
            process.wait()
    ms = 1000
    print(f"| {args.functions} functions, ms | value |")
    print("| --- | ---: |")
    print(f"| load_application (parse, SAM transform, resolve), median of {args.rounds} "
          f"| {statistics.median(loads) * ms:.0f} |")
    print(f"| floor: `stepfn serve` (no template) to its first answer | {plain * ms:.0f} |")
    print(f"| `stepfn serve --template` to its first answer | {ready * ms:.0f} |")
    print(f"| first execution: {args.functions} functions, each a cold start | "
          f"{cold * ms:.0f} |")
    print(f"| the same execution, warm (median of 5) | {statistics.median(warm) * ms:.0f} |")
    print(f"\nmachine load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
