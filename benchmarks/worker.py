"""Runs one workload on one engine in a process of its own, so the peak RSS belongs
to that pair alone. Started by run.py with the interpreter of the engine's mode;
writes its findings as JSON to --out.

    python benchmarks/worker.py --driver inprocess --workload W.json --runs 5 --out R.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Workload, check_outcome  # noqa: E402


def current_rss_kib() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def measure(driver, workload: Workload, runs: int, budget: float | None) -> dict:
    """Time up to ``runs`` runs; stop early when the budget would be passed (at least
    one run). A wrong output stops the measurement and is never timed."""
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(runs):
        t0 = time.perf_counter()
        outcomes = driver.run(workload.executions)
        elapsed = time.perf_counter() - t0
        for index, outcome in enumerate(outcomes):
            wrong = check_outcome(workload, outcome)
            if wrong:
                where = f"execution {index + 1}: " if workload.executions > 1 else ""
                return {"times": [], "wrong": where + wrong}
        if workload.min_expected_seconds and elapsed < workload.min_expected_seconds:
            return {"times": [], "wrong": (f"finished in {elapsed:.3f} s, below "
                                           f"{workload.min_expected_seconds} s: back-off skipped")}
        times.append(elapsed)
        spent = time.perf_counter() - started
        if budget is not None and spent + elapsed > budget:
            break
    return {"times": times, "wrong": None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--driver", required=True, help="module name under drivers/")
    parser.add_argument("--workload", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=None, help="seconds")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)

    workload = Workload.from_json(json.loads(args.workload.read_text()))
    report: dict = {"runs_requested": args.runs, "budget": args.budget, "notes": []}
    try:
        driver = importlib.import_module(f"drivers.{args.driver}").Driver(workload)
        driver.setup()
        report["rss_after_setup_kib"] = current_rss_kib()
        try:
            report.update(measure(driver, workload, args.runs, args.budget))
        finally:
            report["notes"] = driver.notes
            driver.close()
        report["error"] = None
    except Exception as exc:  # the table reports it; the traceback goes to stderr
        traceback.print_exc()
        report.update(times=[], wrong=None, error=f"{type(exc).__name__}: {exc}")
    report["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    args.out.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
