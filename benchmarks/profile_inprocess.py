"""Where stepfn's in-process engine spends its time, per workload (cProfile).

    python benchmarks/profile_inprocess.py [--only NAME[,NAME]] [--top 12] [--save DIR]

Each workload runs once to warm up, then under cProfile for at least --min-seconds of
wall time (repeating short workloads). Prints the functions with the most self time
(their share of the profiled total) and the stepfn functions with the most cumulative
time. cProfile inflates the cost of many small calls, so read shares, not absolutes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKLOADS_DIR, REPO, check_outcome, load_workloads  # noqa: E402
from drivers.inprocess import Driver  # noqa: E402


def label(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    path = Path(filename)
    try:
        filename = str(path.resolve().relative_to(REPO))
    except ValueError:
        filename = path.name if filename not in ("~",) else ""
    return f"{filename}:{line}({name})" if filename else name


def profile_workload(driver: Driver, min_seconds: float) -> tuple[pstats.Stats, int, float]:
    """Profile repeated runs; returns the stats, the runs profiled and their wall time."""
    profiler = cProfile.Profile()
    runs, started = 0, time.perf_counter()
    while runs == 0 or time.perf_counter() - started < min_seconds:
        profiler.enable()
        outcomes = driver.run(driver.workload.executions)
        profiler.disable()
        runs += 1
        wrong = [w for w in (check_outcome(driver.workload, o) for o in outcomes) if w]
        if wrong:
            raise SystemExit(f"{driver.workload.name}: wrong output: {wrong[0]}")
    return pstats.Stats(profiler, stream=io.StringIO()), runs, time.perf_counter() - started


def report(name: str, stats: pstats.Stats, runs: int, wall: float, top: int) -> str:
    entries = stats.stats  # func -> (primitive calls, calls, tottime, cumtime, callers)
    total = sum(e[2] for e in entries.values()) or 1e-9
    lines = [f"## {name}: {runs} run(s), {wall / runs * 1000:.1f} ms/run under the "
             f"profiler, {total:.3f} s profiled", "",
             "self time (share of total, calls):"]
    by_self = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for func, (_, calls, tottime, _, _) in by_self:
        lines.append(f"  {tottime / total:6.1%}  {calls:>9,}  {label(func)}")
    lines += ["", "cumulative, stepfn functions (share of total):"]
    ours = [(f, e) for f, e in entries.items() if "/stepfn/" in f[0]]
    for func, (_, calls, _, cumtime, _) in sorted(ours, key=lambda kv: kv[1][3],
                                                  reverse=True)[:top]:
        lines.append(f"  {min(cumtime / total, 1):6.1%}  {calls:>9,}  {label(func)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=None)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--workloads", type=Path, default=DEFAULT_WORKLOADS_DIR)
    parser.add_argument("--save", type=Path, default=None,
                        help="write NAME.prof files here (for snakeviz, pstats)")
    args = parser.parse_args(argv)
    workloads = load_workloads(args.workloads)
    names = args.only.split(",") if args.only else list(workloads)
    for name in names:
        driver = Driver(workloads[name])
        driver.setup()
        driver.run(driver.workload.executions)  # warm-up
        stats, runs, wall = profile_workload(driver, args.min_seconds)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            stats.dump_stats(str(args.save / f"{name}.prof"))
        print(report(name, stats, runs, wall, args.top), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
