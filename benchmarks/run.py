"""Measure stepfn against moto's Step Functions engine on the shared workloads.

    python benchmarks/run.py [--quick] [--runs N] [--only NAME[,NAME]]
                             [--engines inprocess,moto,...] [--moto-budget S] [--json FILE]

Each (workload, engine) pair runs in a worker process of its own (so its peak RSS is
its own), under the interpreter of its engine mode (see engines.py). Every execution's
output is checked against the workload's expected_output; a wrong output is reported as
a failure, never timed, and makes the exit status non-zero.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_WORKLOADS_DIR, Workload, load_workloads, shrink  # noqa: E402
from engines import BENCH_DIR, ENGINE_MODES, REFERENCE_MODE, EngineMode  # noqa: E402

QUICK_ENGINES = "inprocess,sqlite,floor"
DEFAULT_ENGINES = "inprocess,sqlite,floor,serve,moto"


@dataclass
class Measurement:
    """One table row: a workload on an engine."""

    workload: Workload
    mode: EngineMode
    times: list[float] = field(default_factory=list)
    runs_requested: int = 0
    peak_rss_kib: int | None = None
    wrong: str | None = None  # wrong output: a failure
    error: str | None = None  # the engine or its worker broke: a failure
    skipped: str | None = None  # the engine is not available here: not a failure
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.times) and not (self.wrong or self.error)

    @property
    def failed(self) -> bool:
        return bool(self.wrong or self.error)

    @classmethod
    def from_json(cls, doc: dict, workload: Workload, mode: EngineMode) -> Measurement:
        return cls(workload, mode, doc["times"], doc["runs_requested"], doc["peak_rss_kib"],
                   doc["wrong"], doc["error"], doc["skipped"],
                   doc["notes"] + ["measured earlier (--saved)"])

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def to_json(self) -> dict:
        return {"workload": self.workload.name, "engine": self.mode.name,
                "times": self.times, "median": self.median if self.ok else None,
                "runs_requested": self.runs_requested, "peak_rss_kib": self.peak_rss_kib,
                "transitions_per_run": self.workload.transitions_per_run,
                "executions_per_run": self.workload.executions,
                "wrong": self.wrong, "error": self.error, "skipped": self.skipped,
                "notes": self.notes}


def measure(workload: Workload, mode: EngineMode, runs: int, budget: float | None,
            timeout: float) -> Measurement:
    """Run one workload on one engine in a fresh worker process."""
    result = Measurement(workload, mode, runs_requested=runs)
    reason = mode.unavailable_reason()
    if reason:
        result.skipped = reason
        return result
    with tempfile.TemporaryDirectory(prefix="stepfn-bench-") as tmp:
        workload_file, out_file = Path(tmp) / "workload.json", Path(tmp) / "result.json"
        workload_file.write_text(json.dumps(workload.to_json()))
        command = [str(mode.python()), str(BENCH_DIR / "worker.py"), "--driver", mode.driver,
                   "--workload", str(workload_file), "--runs", str(runs),
                   "--out", str(out_file)]
        if budget is not None:
            command += ["--budget", str(budget)]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  cwd=BENCH_DIR.parent)
        except subprocess.TimeoutExpired:
            result.error = f"worker timed out after {timeout:.0f} s"
            return result
        if not out_file.exists():
            result.error = f"worker exited {proc.returncode}: {proc.stderr.strip()[-600:]}"
            return result
        report = json.loads(out_file.read_text())
    if report["error"]:
        result.error = report["error"]
    result.times = report["times"]
    result.wrong = report["wrong"]
    result.peak_rss_kib = report["peak_rss_kib"]
    result.notes = report["notes"]
    return result


# -- the table ------------------------------------------------------------------------------
COLUMNS = ("workload", "engine", "runs", "median s", "min s", "max s", "transitions/s",
           "executions/s", "peak RSS MiB", "stepfn/moto")


def table_rows(measurements: list[Measurement]) -> list[tuple[str, ...]]:
    reference = {m.workload.name: m for m in measurements
                 if m.mode.name == REFERENCE_MODE and m.ok}
    rows = []
    for m in measurements:
        rss = f"{m.peak_rss_kib / 1024:.0f}" if m.peak_rss_kib else "-"
        head = (m.workload.name, m.mode.label)
        if m.skipped:
            rows.append(head + ("skipped",) + ("-",) * 7)
            continue
        if not m.ok:
            status = "WRONG OUTPUT" if m.wrong else "ERROR"
            rows.append(head + (status,) + ("-",) * 5 + (rss, "-"))
            continue
        median = m.median
        runs = f"{len(m.times)}/{m.runs_requested}" if len(m.times) < m.runs_requested \
            else str(len(m.times))
        per_s = m.workload.executions / median if m.workload.executions > 1 else None
        ref = reference.get(m.workload.name)
        ratio = "-"
        if ref is not None and m.mode.is_stepfn:
            speedup = ref.median / median
            shown = f"{speedup:,.0f}" if speedup >= 10 else f"{speedup:.2f}"
            ratio = f"{median / ref.median:.4f} ({shown}x faster)"
        rows.append(head + (runs, _seconds(median), _seconds(min(m.times)),
                            _seconds(max(m.times)),
                            f"{m.workload.transitions_per_run / median:,.0f}",
                            f"{per_s:,.0f}" if per_s else "-", rss, ratio))
    return rows


def _seconds(value: float) -> str:
    return f"{value:.4f}" if value < 10 else f"{value:.2f}"


def render_table(measurements: list[Measurement]) -> str:
    rows = [COLUMNS] + table_rows(measurements)
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(rows[0]), rule] + [line(r) for r in rows[1:]])


def render_durability(measurements: list[Measurement]) -> str:
    """What durability costs, per workload: the SQLite row against the in-process row
    and against the durable floor (in-process + one fsynced commit per execution),
    when those ran; empty otherwise."""
    medians: dict[tuple[str, str], float] = {
        (m.workload.name, m.mode.name): m.median for m in measurements if m.ok}
    rows = [("workload", "in-process s", "SQLite s", "SQLite / in-process", "floor s",
             "SQLite / floor")]
    for name in dict.fromkeys(m.workload.name for m in measurements):
        inproc, durable = medians.get((name, "inprocess")), medians.get((name, "sqlite"))
        if inproc is None or durable is None:
            continue
        floor = medians.get((name, "floor"))
        rows.append((name, _seconds(inproc), _seconds(durable), f"{durable / inproc:.1f}x",
                     _seconds(floor) if floor else "-",
                     f"{durable / floor:.1f}x" if floor else "-"))
    if len(rows) == 1:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "What durability costs (medians):\n" + "\n".join(lines)


def render_problems(measurements: list[Measurement]) -> str:
    lines: list[str] = []
    notes: list[str] = []
    for m in measurements:
        where = f"{m.workload.name} on {m.mode.label}"
        if m.wrong:
            lines.append(f"WRONG OUTPUT  {where}: {m.wrong}")
        if m.error:
            lines.append(f"ERROR         {where}: {m.error}")
        if m.skipped:
            lines.append(f"skipped       {where}: {m.skipped}")
        for note in m.notes:  # notes are per engine: the same for every workload
            notes.append(f"note          {m.mode.label}: {note}")
    return "\n".join(dict.fromkeys(lines + notes))


def merge_saved(measured: list[Measurement], workloads: list[Workload],
                modes: list[EngineMode], saved_files: list[Path]) -> list[Measurement]:
    """Add saved rows for the chosen workloads on engines not measured in this run,
    each after the rows of its workload."""
    run_now = {mode.name for mode in modes}
    saved: dict[str, list[Measurement]] = {}
    for path in saved_files:
        for doc in json.loads(path.read_text()):
            mode = ENGINE_MODES.get(doc["engine"])
            workload = next((w for w in workloads if w.name == doc["workload"]), None)
            if mode is None or workload is None or mode.name in run_now:
                continue
            if doc.get("transitions_per_run") not in (None, workload.transitions_per_run):
                continue  # saved at another size (--quick)
            saved.setdefault(workload.name, []).append(
                Measurement.from_json(doc, workload, mode))
    merged = []
    for workload in workloads:
        merged += [m for m in measured if m.workload.name == workload.name]
        merged += saved.get(workload.name, [])
    return merged


# -- command line ---------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="one run of each workload at small sizes (CI smoke test); "
                             f"engines default to {QUICK_ENGINES}")
    parser.add_argument("--runs", type=int, default=None,
                        help="timed runs per workload (default 5; 1 with --quick)")
    parser.add_argument("--only", default=None, help="workload names, comma-separated")
    parser.add_argument("--engines", default=None,
                        help=f"engine modes, comma-separated, from {', '.join(ENGINE_MODES)} "
                             f"(default {DEFAULT_ENGINES})")
    parser.add_argument("--moto-budget", type=float, default=None,
                        help="seconds of timed runs per workload for moto (default 60): it "
                             "stops before a run that would pass the budget, after >= 1 run")
    parser.add_argument("--workloads", type=Path, default=DEFAULT_WORKLOADS_DIR,
                        help=f"workload directory (default {DEFAULT_WORKLOADS_DIR})")
    parser.add_argument("--json", type=Path, default=None, help="also save results here")
    parser.add_argument("--saved", type=Path, action="append", default=[],
                        help="add the rows of a run saved with --json for engines not run "
                             "now (e.g. moto's, which take ~15 minutes); repeatable")
    return parser.parse_args(argv)


def selected_modes(args: argparse.Namespace) -> list[EngineMode]:
    names = args.engines or (QUICK_ENGINES if args.quick else DEFAULT_ENGINES)
    modes = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in ENGINE_MODES:
            raise SystemExit(f"unknown engine mode {name!r}; known: {', '.join(ENGINE_MODES)}")
        modes.append(ENGINE_MODES[name])
    return modes


def selected_workloads(args: argparse.Namespace) -> list[Workload]:
    workloads = load_workloads(args.workloads)
    if not workloads:
        raise SystemExit(f"no workloads found in {args.workloads}")
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in workloads]
        if unknown:
            raise SystemExit(f"unknown workload(s) {unknown}; known: {', '.join(workloads)}")
        workloads = {n: workloads[n] for n in names}
    chosen = list(workloads.values())
    return [shrink(w) for w in chosen] if args.quick else chosen


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modes = selected_modes(args)
    workloads = selected_workloads(args)
    runs = args.runs or (1 if args.quick else 5)
    measurements = []
    started = time.perf_counter()
    for workload in workloads:
        for mode in modes:
            budget = mode.budget_seconds
            if mode.name == "moto" and args.moto_budget is not None:
                budget = args.moto_budget
            # A worker may overrun its budget by one run; moto's slowest runs take ~2 min.
            timeout = 600 + 3 * (budget or 0)
            print(f"[{time.perf_counter() - started:7.1f} s] {workload.name} on {mode.label} ...",
                  file=sys.stderr, flush=True)
            m = measure(workload, mode, runs, budget, timeout)
            measurements.append(m)
            if m.ok:
                print(f"    median {m.median:.4f} s over {len(m.times)} run(s)",
                      file=sys.stderr, flush=True)
    measurements = merge_saved(measurements, workloads, modes, args.saved)
    print(render_table(measurements))
    durability = render_durability(measurements)
    if durability:
        print("\n" + durability)
    problems = render_problems(measurements)
    if problems:
        print("\n" + problems)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([m.to_json() for m in measurements], indent=1))
    # A peer's wrong output (moto's payload_large) is its bug, not ours: report it only.
    return 1 if any(m.failed and m.mode.is_stepfn for m in measurements) else 0


if __name__ == "__main__":
    sys.exit(main())
