"""What a 25,000-event history costs in memory (target: <= 50 MiB).

    python benchmarks/history_memory.py [--events 25000] [--mode sqlite|inprocess|both]

Runs choice_loop_10k's counter loop sized to make exactly ``--events`` history events
(8 + 4 x limit) once, each mode in a fresh process, and reports:

- the peak of Python allocations during the execution (tracemalloc, traced from just
  before the start to the end; the execution's own history included), and
- the growth of the process's peak RSS (VmHWM) over the same run, which also counts
  SQLite's page cache and the allocator's slack.

``sqlite`` is the durable service (drivers/sqlite_store.py: ExecutionManager over a
SqliteStore, synchronous=FULL), ``inprocess`` the bare engine (drivers/inprocess.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKLOADS_DIR, Workload, check_outcome, load_workloads  # noqa: E402


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def sized_loop(events: int) -> Workload:
    base = load_workloads(DEFAULT_WORKLOADS_DIR)["choice_loop_10k"]
    limit = (events - 8) // 4
    return Workload(base.name, base.definition, {"limit": limit},
                    {"i": limit, "limit": limit}, 1 + 2 * limit + 2)


def measure_here(mode: str, events: int) -> dict:
    """Run once in this process and measure (called in a child process)."""
    import importlib

    workload = sized_loop(events)
    driver = importlib.import_module(
        "drivers." + ("sqlite_store" if mode == "sqlite" else "inprocess")).Driver(workload)
    driver.setup()  # no warm-up run: its peak would hide the first run's
    rss_before = peak_rss_kib()
    tracemalloc.start()
    started = time.perf_counter()
    outcome = driver.run(1)[0]
    elapsed = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = peak_rss_kib() - rss_before
    driver.close()
    return {"mode": mode, "events": 8 + 4 * ((events - 8) // 4),
            "wrong": check_outcome(workload, outcome),
            "traced_peak_mib": traced_peak / 2**20, "peak_rss_growth_mib": rss_growth / 1024,
            "seconds_traced": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=25_000)
    parser.add_argument("--mode", choices=("sqlite", "inprocess", "both"), default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_here(args.mode, args.events)))
        return 0
    failed = False
    for mode in (("sqlite", "inprocess") if args.mode == "both" else (args.mode,)):
        # A fresh process per mode: peak RSS only grows.
        proc = subprocess.run([sys.executable, __file__, "--child", "--mode", mode,
                               "--events", str(args.events)],
                              capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        failed |= bool(r["wrong"])
        print(f"{mode:9}: {r['events']} events, Python allocations peak "
              f"{r['traced_peak_mib']:.1f} MiB, peak RSS growth "
              f"{r['peak_rss_growth_mib']:.1f} MiB (target <= 50 MiB)"
              + (f"; WRONG: {r['wrong']}" if r["wrong"] else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
