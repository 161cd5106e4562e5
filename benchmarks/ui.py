"""The web UI's speed, measured in a real headless Chromium (Performance API).

    python benchmarks/ui.py [--states 100,500] [--engines elk,dagre] [--events 10000]
                            [--runs 3] [--json FILE]

Starts ``stepfn serve`` (SQLite in a temporary folder), then:

- **graph**: for each size in ``--states``, a machine of that many states (Pass, Task
  with Retry/Catch, Choice, Wait, Parallel branches and Map processors nested in them)
  opened on its page with each layout engine of ``--engines`` (the page's
  ``stepfn.layoutEngine`` setting; the UI itself picks ELK up to 300 states, dagre
  above): the time the engine takes to lay it out in the layout worker, the time until
  the drawn SVG is in the page (from the definition in hand, the worker's start
  included, to the frame after the DOM holds every node), the time from navigation to
  that frame, and the smallest state-name size on screen at fit.
- **execution**: an execution of about ``--events`` history events (an inline Map)
  opened on its page: the time from navigation until every event has arrived through
  the live feed and is on the page, then how long switching to the event view, jumping
  to its end and filtering it take (each until the next frame).

Prints a table; --json also writes the figures. Needs /usr/bin/chromium (Debian's
``chromium``) and the ``playwright`` package (``pip install -e '.[test]'``).
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
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config

CHROMIUM = os.environ.get("STEPFN_CHROMIUM", "/usr/bin/chromium")
ROLE = "arn:aws:iam::123456789012:role/bench"
FUNCTIONS = '''
def work(event):
    return event
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def big_definition(states: int) -> dict:
    """A definition of exactly ``states`` states: blocks of ten (a Choice, a Pass, a
    Task with Retry and Catch, a Wait, a Parallel of two branches, a Map whose processor
    has two states, a Fail), chained, then Pass states up to the count, then Succeed."""
    top: dict[str, Any] = {}
    count = 0
    block = 0
    fn = "arn:aws:lambda:us-east-1:123456789012:function:work"
    while states - count >= 12:
        b = f"{block:03d}"
        nxt = f"Check{block + 1:03d}"
        top[f"Check{b}"] = {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": block, "Next": f"Prepare{b}"},
            {"Variable": "$.mode", "StringEquals": "fast", "Next": f"Fan{b}"}],
            "Default": f"Call{b}"}
        top[f"Prepare{b}"] = {"Type": "Pass", "Next": f"Call{b}"}
        top[f"Call{b}"] = {"Type": "Task", "Resource": fn,
                           "Retry": [{"ErrorEquals": ["States.ALL"]}],
                           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": f"Broken{b}"}],
                           "Next": f"Pause{b}"}
        top[f"Pause{b}"] = {"Type": "Wait", "Seconds": 1, "Next": f"Fan{b}"}
        top[f"Fan{b}"] = {"Type": "Parallel", "Next": f"Each{b}", "Branches": [
            {"StartAt": f"Left{b}", "States": {f"Left{b}": {"Type": "Pass", "End": True}}},
            {"StartAt": f"Right{b}", "States": {f"Right{b}": {"Type": "Pass", "End": True}}}]}
        top[f"Each{b}"] = {"Type": "Map", "Next": nxt, "ItemProcessor": {
            "StartAt": f"Item{b}", "States": {
                f"Item{b}": {"Type": "Pass", "Next": f"Store{b}"},
                f"Store{b}": {"Type": "Task", "Resource": fn, "End": True}}}}
        top[f"Broken{b}"] = {"Type": "Fail", "Error": "Broken"}
        count += 11  # Parallel + 2 branch states, Map + 2 processor states
        block += 1
    last = f"Check{block:03d}"
    rest = states - count  # 1 to 11: the last block's Check, Pass states, Succeed
    names = [last] + [f"Step{i:03d}" for i in range(1, rest - 1)] + ["Finish"][:rest - 1]
    for i, name in enumerate(names[:-1]):
        top[name] = {"Type": "Pass", "Next": names[i + 1]}
    top[names[-1]] = {"Type": "Succeed"}
    definition = {"StartAt": "Check000" if block else last, "States": top}
    assert count_states(definition) == states, count_states(definition)
    return definition


def count_states(scope: dict) -> int:
    total = 0
    for state in scope["States"].values():
        total += 1
        for branch in state.get("Branches", []):
            total += count_states(branch)
        if "ItemProcessor" in state:
            total += count_states(state["ItemProcessor"])
    return total


def many_events_definition() -> dict:
    return {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 50, "ItemProcessor": {
            "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
        "ResultSelector": {"done": True}, "End": True}}}


GRAPH_READY = ("() => window.__stepfnGraphTiming && "
               "document.querySelector('[data-graph-ready=\"true\"]')")


def measure_graph(page: Any, url: str, engine: str) -> dict:
    page.goto(url.split("/machines/")[0] + "/settings")
    page.evaluate("(e) => localStorage.setItem('stepfn.layoutEngine', e)", engine)
    page.goto(url)
    page.wait_for_function(GRAPH_READY, timeout=120_000)
    # The frame after the DOM holds the drawing: when the browser has painted it.
    return dict(page.evaluate("""() => new Promise((done) => requestAnimationFrame(() => {
        const t = window.__stepfnGraphTiming;
        const sizes = [...document.querySelectorAll('[data-state] > text.name')].map((x) =>
            parseFloat(getComputedStyle(x).fontSize) * x.getScreenCTM().a);
        done({layout: t.layoutMs, drawn: performance.now() - (t.at - t.totalMs),
              fromNavigation: performance.now(), states: t.states, engine: t.engine,
              label: Math.min(...sizes),
              nodes: document.querySelectorAll('[data-state]').length});
    }))"""))


def measure_execution(page: Any, url: str, events: int) -> dict:
    page.goto(url)
    page.wait_for_function("() => window.__stepfnExecutionTiming", timeout=120_000)
    loaded = page.evaluate("""() => new Promise((done) => requestAnimationFrame(() =>
        done({loaded: performance.now(), events: window.__stepfnExecutionTiming.events})))""")
    assert loaded["events"] >= events * 0.9, loaded
    timings = page.evaluate("""async () => {
        const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
        const out = {};
        let t = performance.now();
        document.querySelector('[data-tab="events"]').click();
        await frame();
        out.eventsTab = performance.now() - t;
        const body = document.querySelector('#events .vbody');
        t = performance.now();
        body.scrollTop = body.scrollHeight;
        body.dispatchEvent(new Event('scroll'));
        await frame();
        out.scrollToEnd = performance.now() - t;
        out.rowsInDom = document.querySelectorAll('#events [data-event-id]').length;
        const input = document.querySelector('#events input[name="filter"]');
        t = performance.now();
        input.value = 'MapIterationSucceeded';
        input.dispatchEvent(new Event('input', {bubbles: true}));
        await frame();
        out.filter = performance.now() - t;
        out.shown = document.querySelector('#events [data-count="shown"]').textContent;
        return out;
    }""")
    return {**loaded, **timings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--states", default="100,500",
                        help="graph sizes, comma separated (default 100,500)")
    parser.add_argument("--engines", default="elk,dagre",
                        help="layout engines to compare: elk, dagre, auto (default elk,dagre)")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        functions = Path(folder, "bench_functions.py")
        functions.write_text(FUNCTIONS)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port), "--db",
             str(Path(folder, "bench.db")), "--functions", str(functions),
             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, server)
            sfn = boto3.client("stepfunctions", endpoint_url=base, region_name="us-east-1",
                               aws_access_key_id="bench", aws_secret_access_key="bench",
                               config=Config(retries={"max_attempts": 0}))
            sizes = [int(n) for n in args.states.split(",")]
            engines = args.engines.split(",")
            graph_arns = {n: sfn.create_state_machine(
                name=f"big-{n}", definition=json.dumps(big_definition(n)),
                roleArn=ROLE)["stateMachineArn"] for n in sizes}
            items = max(1, (args.events - 6) // 4)  # 4 events per inline iteration
            events_arn = sfn.create_state_machine(
                name="many-events", definition=json.dumps(many_events_definition()),
                roleArn=ROLE)["stateMachineArn"]
            run = sfn.start_execution(stateMachineArn=events_arn,
                                      input=json.dumps(list(range(items))))["executionArn"]
            wait_done(sfn, run)
            total_events = count_events(sfn, run)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM,
                                            args=["--no-sandbox", "--disable-dev-shm-usage"])
                graph_runs: dict[tuple[int, str], list[dict]] = {}
                exec_runs = []
                for _ in range(args.runs):
                    for n in sizes:
                        for engine in engines:
                            # A fresh context: a cold layout worker, as a new page has.
                            context = browser.new_context(viewport={"width": 1400, "height": 900})
                            page = context.new_page()
                            graph_runs.setdefault((n, engine), []).append(measure_graph(
                                page, base + "/machines/" + quote(graph_arns[n], safe=""),
                                engine))
                            context.close()
                    context = browser.new_context(viewport={"width": 1400, "height": 900})
                    page = context.new_page()
                    exec_runs.append(measure_execution(
                        page, base + "/executions/" + quote(run, safe=""), total_events))
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    report(args, graph_runs, exec_runs, total_events)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "graph": {f"{n}/{e}": runs for (n, e), runs in graph_runs.items()},
            "execution": exec_runs, "events": total_events}, indent=2))
    return 0


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("stepfn serve did not start") from None
            time.sleep(0.1)


def wait_done(sfn: Any, arn: str) -> None:
    deadline = time.monotonic() + 600
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise RuntimeError("the execution did not finish")
        time.sleep(0.2)


def count_events(sfn: Any, arn: str) -> int:
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=arn, PaginationConfig={"PageSize": 1000})
    return sum(len(page["events"]) for page in pages)


def load_average() -> str:
    """The 1-minute load average (other work on the machine slows every figure)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def report(args: argparse.Namespace, graph: dict[tuple[int, str], list[dict]],
           execution: list[dict], events: int) -> None:
    def row(label: str, values: list[float]) -> None:
        print(f"| {label:<58} | {statistics.median(values):>8.0f} | "
              f"{min(values):>6.0f} | {max(values):>6.0f} |")

    print(f"\nWeb UI in Chromium ({args.runs} runs; milliseconds: median, min, max; "
          f"{os.cpu_count()} cores, load average {load_average()})\n")
    print(f"| {'measure':<58} | {'median':>8} | {'min':>6} | {'max':>6} |")
    print(f"|{'-' * 60}|{'-' * 10}|{'-' * 8}|{'-' * 8}|")
    for (n, engine), runs in graph.items():
        row(f"graph of {n} states, {engine}: layout (in the worker)", [g["layout"] for g in runs])
        row(f"graph of {n} states, {engine}: worker, layout, drawing, next frame",
            [g["drawn"] for g in runs])
        row(f"graph of {n} states, {engine}: navigation to drawn graph",
            [g["fromNavigation"] for g in runs])
    row(f"execution of {events} events: navigation to every event on the page",
        [e["loaded"] for e in execution])
    row("  then open the event view (virtualised)", [e["eventsTab"] for e in execution])
    row("  then jump to the last event", [e["scrollToEnd"] for e in execution])
    row("  then filter the events (type a word)", [e["filter"] for e in execution])
    labels = {f"{n}/{e}": round(min(g["label"] for g in runs), 1) for (n, e), runs in graph.items()}
    print(f"\nsmallest state name on screen at fit (px): {labels}; event rows in the DOM "
          f"after the jump: {execution[0]['rowsInDom']}; filter kept {execution[0]['shown']}")


if __name__ == "__main__":
    sys.exit(main())
