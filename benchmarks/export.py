"""The export service under load: a generated Delta table of >= 1 GiB exported through the
API, the workflow and stepfn's process pool, to parquet and to CSV, beside the same export
done by one plain pyarrow process (the floor).

    .venv/bin/python benchmarks/export.py            # 16 files of 64 MiB (1 GiB)
    .venv/bin/python benchmarks/export.py --quick    # 4 files of 8 MiB: a smoke run

Prints a table: wall time, MB/s (table bytes / wall time), peak memory (RSS) of stepfn
serve and of its pool workers together, and the API's p99 latency while the export runs
(GET /exports/{id} polled at about 20 requests/s, a dashboard's load). The table and the
outputs are on the local disk (file://), so the figures are stepfn's and pyarrow's, not
moto's; the plan, the Map Run's results and the manifest go through moto's S3.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "export_service"
sys.path.insert(0, str(EXAMPLE))

COLUMNS = ["id", "customer", "amount"]
FILTER = [["amount", ">", 100.0]]


def make_bench_table(path: Path, files: int, file_mib: int) -> tuple[int, int]:
    """``files`` data files of about ``file_mib`` MiB; returns (bytes, rows)."""
    import pyarrow.parquet as pq
    from table import make_table

    probe = path.parent / "probe"
    make_table(str(probe), 1, 1_000_000, partitioned=False)
    size = sum(f.stat().st_size for f in probe.rglob("*.parquet"))
    shutil.rmtree(probe)
    rows_per_file = int(file_mib * 1024 * 1024 / (size / 1_000_000))
    rows = make_table(str(path), files, rows_per_file, partitioned=False)
    data = list(path.rglob("*.parquet"))
    assert all(pq.ParquetFile(f).metadata.num_rows == rows_per_file for f in data)
    return sum(f.stat().st_size for f in data), rows


def tree_rss(pid: int, field: str = "VmRSS:") -> int:
    """Resident memory of a process and all its descendants, in bytes (``VmHWM:``: the
    sum of their high-water marks, an upper bound of the peak)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def export_through_stepfn(stack, table_uri: str, out: Path, fmt: str) -> dict:
    """One export through the API; wall time, peak memory and the API's latencies."""
    latencies: list[float] = []
    peak = [0]
    done = threading.Event()
    pid = stack.processes["stepfn"].pid

    def sample_memory() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    began = time.perf_counter()
    status, started, took = stack.api("POST", "/exports", {
        "table": table_uri, "format": fmt, "columns": COLUMNS, "filter": FILTER,
        "output": f"file://{out}"})
    assert status == 202, started
    latencies.append(took)
    answer = stack.wait_export(started["exportId"], timeout=3600, latencies=latencies,
                               interval=0.05)
    wall = time.perf_counter() - began
    done.set()
    sampler.join()
    high_water = tree_rss(pid, "VmHWM:")
    assert answer["status"] == "SUCCEEDED", answer
    return {"wall": wall, "peak": peak[0], "high_water": high_water,
            "rows_out": answer["rowsOut"],
            "p99_ms": statistics.quantiles(latencies, n=100)[98] * 1000,
            "requests": len(latencies)}


def export_floor(table: Path, out: Path, fmt: str) -> dict:
    """The same export by one plain pyarrow process, in a process of its own."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "export_floor.py"),
                           str(table), str(out), fmt,
                           json.dumps(COLUMNS), json.dumps(FILTER)],
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 files of 8 MiB")
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--file-mib", type=int, default=64)
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.files, args.file_mib = 4, 8
    from local import Stack

    work = Path(tempfile.mkdtemp(prefix="export-bench-"))
    try:
        print(f"generating {args.files} files of {args.file_mib} MiB in {work} ...",
              flush=True)
        table_bytes, rows = make_bench_table(work / "table", args.files, args.file_mib)
        print(f"table: {table_bytes / 2**20:.0f} MiB, {rows:,} rows", flush=True)
        results = []
        with Stack(str(work)) as stack:
            for fmt in args.formats.split(","):
                run = export_through_stepfn(stack, f"file://{work / 'table'}",
                                            work / f"out-{fmt}", fmt)
                floor = export_floor(work / "table", work / f"floor-{fmt}", fmt)
                assert floor["rows_out"] == run["rows_out"], (floor, run)
                results.append((fmt, run, floor))
                stack.kill("stepfn", signal.SIGTERM)  # fresh processes: per-format peaks
                stack.start_stepfn()
                shutil.rmtree(work / f"out-{fmt}", ignore_errors=True)
                shutil.rmtree(work / f"floor-{fmt}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mb = table_bytes / 1e6
    print(f"\nexport of {mb:,.0f} MB ({rows:,} rows, {args.files} files), columns {COLUMNS}, "
          f"filter {FILTER}; {os.cpu_count()} cores, load average at the end "
          f"{os.getloadavg()[0]:.1f} (other processes on the machine count)")
    print(f"{'format':8} {'engine':22} {'wall s':>7} {'MB/s':>7} {'peak MiB':>9} "
          f"{'HWM MiB':>8} {'API p99 ms':>11} {'rows out':>12}")
    figures = []
    for fmt, run, floor in results:
        print(f"{fmt:8} {'stepfn (API+workflow)':22} {run['wall']:7.1f} {mb / run['wall']:7.1f} "
              f"{run['peak'] / 2**20:9.0f} {run['high_water'] / 2**20:8.0f} "
              f"{run['p99_ms']:11.1f} {run['rows_out']:12,}")
        print(f"{fmt:8} {'pyarrow, 1 process':22} {floor['wall']:7.1f} "
              f"{mb / floor['wall']:7.1f} {floor['peak'] / 2**20:9.0f} {'-':>8} {'-':>11} "
              f"{floor['rows_out']:12,}")
        figures.append({"format": fmt, "table_mb": mb, "stepfn": run, "floor": floor})
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
