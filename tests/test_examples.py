"""The README's demo and the examples run as a new user would run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_demo_workflow_from_the_readme() -> None:
    out = run("-m", "stepfn.cli", "run", "examples/demo/order_workflow.asl.json",
              "--functions", "examples/demo/functions.py",
              "--input", "@examples/demo/input.json", "--history")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["total"] == 140 and result["lines"] == 2 and result["route"] == "manager-approval"
    assert "TaskFailed" in out.stderr  # the first stock check fails and is retried


def test_demo_workflow_prices_orders_of_any_length() -> None:
    # A one-line order once crashed the demo (an intrinsic summing lines [0] and [1]).
    for lines, total in (([{"sku": "pear", "quantity": 1}], 45),
                         ([{"sku": "pear", "quantity": 1}, {"sku": "apple", "quantity": 1},
                           {"sku": "fig", "quantity": 3}], 315)):
        order = json.dumps({"order_id": "X", "lines": lines})
        out = run("-m", "stepfn.cli", "run", "examples/demo/order_workflow.asl.json",
                  "--functions", "examples/demo/functions.py", "--input", order)
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["total"] == total and result["lines"] == len(lines)
        assert "Traceback" not in out.stderr


def test_export_job_reports_the_failed_chunk_to_sqs() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    out = run("examples/export_job/run.py", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert '"failed": 1' in out.stdout
    assert '"chunk":3,"error":"ValueError"' in out.stdout


def test_validate_reports_locations_and_fails() -> None:
    bad = ROOT / "tests" / "bad_definition.json"
    bad.write_text(json.dumps({"StartAt": "Nope", "States": {"A": {"Type": "Pass"}}}))
    try:
        out = run("-m", "stepfn.cli", "validate", str(bad), "--json")
    finally:
        bad.unlink()
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["result"] == "FAIL"
    locations = {d.get("location") for d in report["diagnostics"]}
    assert "/StartAt" in locations
