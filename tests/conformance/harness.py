"""Run the AWS-recorded conformance cases (../shared/conformance) in-process.

The comparison rules are the shared runner's own (run.py's normalise, json_equal,
cause_equal, history_equal), imported from the shared folder, so an in-process verdict
means the same as a verdict through the HTTP API.

    python -m tests.conformance.harness [--tier 2] [--filter REGEX] [-v]
    python -m tests.conformance.harness --serve            # through `stepfn serve`
    python -m tests.conformance.harness --write-known-failures

It exits 1 when the run does not match known_failures.txt exactly: a mismatch that is
not listed, or a listed case that now matches (see known_failures.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from stepfn import DefinitionError, Engine
from stepfn.engine.history import event_to_aws
from stepfn.tasks.functions import function_name_of

from . import known_failures
from .known_failures import Verdict

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "conformance"
ACCOUNT = "111111111111"
REGION = "us-east-1"
# Areas that belong to the JSONata/variables issue, not the JSONPath interpreter.
JSONATA_AREAS = {"assign", "evaluate_jsonata", "query_language", "outputdecl", "arguments",
                 "states_variables"}


def available() -> bool:
    return (SHARED / "run.py").exists()


def load_runner():
    spec = importlib.util.spec_from_file_location("conformance_run", SHARED / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_functions():
    spec = importlib.util.spec_from_file_location("conformance_functions",
                                                  SHARED / "functions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def infer_behaviour(case: dict) -> str:
    """The functions.py behaviour a tier-2 case's Lambda must have had.

    The corpus records most behaviours as "unknown"; what AWS answered tells which of
    the handlers in functions.py the recording used.
    """
    expected = json.dumps(case.get("expected", {}))
    if "States.Timeout" in expected:
        return "sleep_60_then_identity"
    if "CustomException" in expected:
        return "raise_custom_exception"
    if "Some exception was raised" in expected:
        return "raise_exception"
    if "DataLimitExceeded" in expected:
        return "large_output_string"
    if "HelloWorld!" in expected:
        return "return_bytes_str"
    if "HelloWorld" in expected and '"Return"' in expected:
        return "return_hello_world"
    return "identity"


def lambda_functions_of(case: dict) -> dict[str, str]:
    """{function name: behaviour} for every Lambda the case calls."""
    functions = load_functions()
    names = {n.split(":", 1)[1] for n in case.get("needs", [])
             if n.startswith("lambda:") and n != "lambda:invoke"}
    names |= {function_name_of(n) for n in re.findall(
        r'"[Ff]unction[Nn]ame"\s*:\s*"([^"]+)"', case.get("input") or "")}
    names |= set(re.findall(r"function:([A-Za-z0-9_-]+)", case["definition"]))
    declared = case.get("lambda_functions") or {}
    out = {}
    for name in names:
        behaviour = (declared.get(name) or {}).get("behaviour", "unknown")
        if not hasattr(functions, behaviour):
            behaviour = infer_behaviour(case)
        out[name] = behaviour
    return out


# Per-call header values the recorder replaced by fixed words without listing the
# replacement among the case's normalizers.
_VOLATILE_HEADERS = {"Date": "date", "x-amzn-RequestId": "x-amzn-RequestId",
                     "X-Amzn-Trace-Id": "X-Amzn-Trace-Id", "RequestId": "RequestId"}


def mask_stack_traces(value: Any) -> Any:
    """Empty every Lambda ``stackTrace`` (also inside JSON text such as a Cause) and
    replace per-call HTTP header values as the recorder did.

    A local function's stack trace names its own file and lines; AWS's names the
    Lambda runtime's handler file. Neither is wrong, so tier-2 comparisons ignore it.
    """
    if isinstance(value, dict):
        return {k: ([] if k == "stackTrace" else _VOLATILE_HEADERS[k]
                    if k in _VOLATILE_HEADERS else mask_stack_traces(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_stack_traces(v) for v in value]
    if isinstance(value, str) and "stackTrace" in value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(mask_stack_traces(parsed), separators=(",", ":"))
    return value


def runnable(case: dict) -> bool:
    """Whether the case needs nothing but Lambda functions (which run locally)."""
    return all(n.startswith("lambda") for n in case.get("needs", []))


# The recorder replaced activity ARNs by the name of the fixture that made them.
_ACTIVITY_PLACEHOLDER = re.compile(r"create_activity_[0-9a-f]+\.activityArn")


def definition_of(case: dict) -> str:
    return _ACTIVITY_PLACEHOLDER.sub(
        f"arn:aws:states:{REGION}:{ACCOUNT}:activity:conformance", case["definition"])


def load_cases(tier: int = 1, kinds: tuple[str, ...] = ("execution", "create_error", "validate"),
               include_unreliable: bool = False) -> list[dict]:
    runner = load_runner()
    cases = []
    for case in runner.load_cases(SHARED / "cases"):
        if case.get("kind", "execution") not in kinds or case.get("tier", 1) > tier:
            continue
        if case.get("unreliable") and not include_unreliable:
            continue
        cases.append(case)
    return cases


async def _sleep_60_then_identity(event: Any) -> Any:
    await asyncio.sleep(60)
    return event


class InProcessHarness:
    """Runs one case at a time on a fresh in-process Engine."""

    def __init__(self) -> None:
        self.runner = load_runner()
        self.functions = load_functions()
        self.role_arn = f"arn:aws:iam::{ACCOUNT}:role/sfn_role_conformance"

    def engine_for(self, case: dict) -> Engine:
        engine = Engine(region=REGION, account=ACCOUNT, time_skipping=True,
                        role_arn=self.role_arn)
        for name, behaviour in lambda_functions_of(case).items():
            if behaviour == "sleep_60_then_identity":
                # The same behaviour, but asynchronous: a timed-out task is cancelled
                # at once instead of leaving a thread asleep for a minute.
                engine.register_function(name, _sleep_60_then_identity)
                continue
            engine.register_function(name, getattr(self.functions, behaviour), blocking=False)
        return engine

    def run(self, case: dict) -> dict:
        kind = case.get("kind", "execution")
        try:
            if kind == "execution":
                return asyncio.run(self.run_execution(case))
            if kind == "create_error":
                return self.run_create_error(case)
            return self.run_validate(case)
        except Exception as exc:  # one broken case must not stop the run
            return {"outcome": False, "history": False,
                    "error": f"crash: {type(exc).__name__}: {exc}"}

    def run_create_error(self, case: dict) -> dict:
        exp = case["expected"]
        try:
            self.engine_for(case).compile(definition_of(case), case.get("type", "STANDARD"))
        except DefinitionError as err:
            msg = err.aws_message()
            ok = exp.get("message") is None or self.runner.string_matches(exp["message"], msg)
            return {"outcome": exp.get("error_code") == "InvalidDefinition" and ok,
                    "actual": {"message": msg}}
        return {"outcome": False, "actual": {"created": True}}

    def run_validate(self, case: dict) -> dict:
        from stepfn.asl.validate import parse_definition, validate_definition

        try:
            diags = validate_definition(parse_definition(definition_of(case)),
                                        case.get("type", "STANDARD"))
        except DefinitionError as err:
            diags = err.diagnostics
        actual = {"result": "FAIL" if any(d.severity == "ERROR" for d in diags) else "OK",
                  "diagnostics": [d.to_json() for d in diags]}
        exp = case["expected"]
        ok = actual["result"] == exp.get("result") and self.runner.json_equal(
            exp.get("diagnostics", []), actual["diagnostics"])
        return {"outcome": ok, "actual": actual}

    async def run_execution(self, case: dict) -> dict:
        runner = self.runner
        engine = self.engine_for(case)
        sm_name = f"conf-{uuid.uuid4().hex[:16]}"
        exec_name = case.get("execution_name") or f"exec-{uuid.uuid4().hex[:16]}"
        try:
            machine = engine.compile(definition_of(case), case.get("type", "STANDARD"))
        except DefinitionError as err:
            return {"outcome": False, "history": False, "error": f"create: {err.aws_message()}"}
        input_text = case.get("input") if case.get("input") is not None else "{}"
        result = await engine.execute(machine, input_text=input_text, name=exec_name,
                                      machine_name=sm_name)
        ctx = {"sm_name": sm_name, "exec_name": exec_name, "account": ACCOUNT,
               "role_arn": self.role_arn}
        events = [event_to_aws(e) for e in result.events]
        hist = runner.normalise({"events": events}, ctx, case)["events"]
        last = hist[-1]
        details = next((v for k, v in last.items() if k.endswith("EventDetails")), {})
        actual: dict[str, Any] = {"status": runner.TERMINAL.get(last["type"], "RUNNING")}
        for key in ("output", "error", "cause"):
            if key in details:
                actual[key] = details[key]
        if isinstance(actual.get("output"), str):
            parsed = runner.maybe_json(actual["output"])
            if parsed is not runner._MISSING:
                actual["output"] = parsed
        exp = case["expected"]
        if case.get("tier") == 2:
            exp, actual = mask_stack_traces(exp), mask_stack_traces(actual)
        diffs = []
        if actual.get("status") != exp.get("status"):
            diffs.append("status")
        if exp.get("status") == "SUCCEEDED" and "output" in exp and not runner.json_equal(
                exp["output"], actual.get("output", runner._MISSING)):
            diffs.append("output")
        if "error" in exp and not (isinstance(actual.get("error"), str)
                                   and runner.string_matches(exp["error"], actual["error"])):
            diffs.append("error")
        if "cause" in exp and not runner.cause_equal(exp["cause"], actual.get("cause")):
            diffs.append("cause")
        history_ok = None
        if exp.get("events"):
            history_ok = runner.history_equal(exp["events"], hist, case["definition"])
        return {"outcome": not diffs, "diffs": diffs, "actual": actual, "history": history_ok,
                "actual_events": None if history_ok is not False else
                [[t, n] for t, n in runner.summarize(hist)]}


def run_cases(cases: list[dict]) -> dict[str, dict]:
    harness = InProcessHarness()
    # A case whose Lambda sleeps a minute waits out its Task's TimeoutSeconds in real
    # time (the skipping clock skips Waits and back-offs, not task timeouts): such cases
    # run in threads of their own, each with its own engine and event loop, while the
    # others run here one after another. Their functions keep no state between calls.
    waiting = [case for case in cases
               if "sleep_60_then_identity" in lambda_functions_of(case).values()]
    with ThreadPoolExecutor(max(1, len(waiting))) as pool:
        later = {case["_file"]: pool.submit(harness.run, case) for case in waiting}
        results = {case["_file"]: harness.run(case) for case in cases
                   if case["_file"] not in later}
        results.update((name, future.result()) for name, future in later.items())
    return {case["_file"]: results[case["_file"]] for case in cases}


def summary_table(cases: list[dict], results: dict[str, dict]) -> str:
    per_area: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        res = results[case["_file"]]
        area = per_area[case.get("area", "?")]
        area["cases"] += 1
        area["outcome"] += bool(res.get("outcome"))
        if res.get("history") is not None:
            area["hist_cases"] += 1
            area["history"] += bool(res["history"])
    lines = [f"{'area':<22}{'cases':>7}{'outcome':>9}{'history':>10}"]
    total: Counter = Counter()
    for name in sorted(per_area):
        a = per_area[name]
        total.update(a)
        lines.append(f"{name:<22}{a['cases']:>7}{a['outcome']:>9}"
                     f"{str(a['history']) + '/' + str(a['hist_cases']):>10}")
    lines.append(f"{'TOTAL':<22}{total['cases']:>7}{total['outcome']:>9}"
                 f"{str(total['history']) + '/' + str(total['hist_cases']):>10}")
    return "\n".join(lines)


def verdicts_of(cases: list[dict], results: dict[str, dict]) -> dict[str, Verdict]:
    """{case id: outcome and history verdicts} of an in-process run."""
    return {case["id"]: Verdict(bool(results[case["_file"]].get("outcome")),
                                results[case["_file"]].get("history"))
            for case in cases}


def reason_for(result: dict) -> str:
    """A first reason for a new entry, from what the run saw (to be reworded)."""
    if result.get("error"):
        return f"new failure ({str(result['error'])[:80]})"
    if result.get("diffs"):
        return f"new failure: {', '.join(result['diffs'])} differ"
    if result.get("outcome") and result.get("history") is False:
        return "new failure: event sequence differs"
    return "new failure: outcome differs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def stepfn_server(workdir: Path) -> Iterator[str]:
    """A ``stepfn serve`` subprocess on loopback with its own database (strict about
    undeclared API errors); yields its URL."""
    port = _free_port()
    log = (workdir / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port),
         "--db", str(workdir / "stepfn.db"), "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
        # An error an operation's model does not declare becomes InternalFailure, so a
        # case reaching such a path shows up as a mismatch.
        env=dict(os.environ, STEPFN_STRICT_ERRORS="1"))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("stepfn serve did not start: "
                                       + (workdir / "serve.log").read_text()[-2000:]) from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_through_server(endpoint: str | None = None, tier: int = 1,
                       filter_regex: str | None = None) -> dict[str, Verdict]:
    """Run the shared runner against ``endpoint`` (default: a fresh ``stepfn serve``)
    and return its verdicts by case id."""
    with tempfile.TemporaryDirectory(prefix="stepfn-conformance-") as tmp:
        workdir = Path(tmp)
        with contextlib.ExitStack() as stack:
            url = endpoint or stack.enter_context(stepfn_server(workdir))
            report = workdir / "report.json"
            command = [sys.executable, str(SHARED / "run.py"), "--endpoint", url,
                       "--tier", str(tier), "--workers", "8", "--json", str(report)]
            if filter_regex:
                command += ["--filter", filter_regex]
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            if not report.exists():
                raise RuntimeError(f"the shared runner wrote no report:\n{done.stdout[-2000:]}"
                                   f"\n{done.stderr[-2000:]}")
            cases = json.loads(report.read_text())["cases"]
    return {c["id"]: Verdict(bool(c.get("outcome")), c.get("history")) for c in cases}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tier", type=int, default=2)
    ap.add_argument("--filter")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--known-failures", type=Path, default=known_failures.FILE,
                    help="the list of cases known not to match (default: %(default)s)")
    ap.add_argument("--endpoint", help="judge through this server with the shared runner "
                    "(tier 1) instead of in-process")
    ap.add_argument("--serve", action="store_true",
                    help="judge through a fresh `stepfn serve` with the shared runner")
    ap.add_argument("--write-known-failures", action="store_true",
                    help="rewrite the list from an in-process run and a run through a "
                    "fresh `stepfn serve`, keeping the reasons of ids still failing")
    ap.add_argument("--no-server", action="store_true",
                    help="with --write-known-failures: keep the server: entries as they are")
    args = ap.parse_args()
    if not available():
        print("../shared/conformance not found", file=sys.stderr)
        return 2
    known = known_failures.load(args.known_failures)
    if args.endpoint or args.serve:
        verdicts = run_through_server(args.endpoint, 1, args.filter)
        passed = sum(bool(v.outcome) for v in verdicts.values())
        print(f"through the server: {passed} passed, {len(verdicts) - passed} failed")
        report = known_failures.gate(known, verdicts, through_server=True)
        print(report.describe(args.known_failures) or "matches the known-failures list")
        return 0 if report.ok else 1
    cases = load_cases(args.tier)
    if args.filter:
        rx = re.compile(args.filter)
        cases = [c for c in cases if rx.search(c["id"]) or rx.search(c["_file"])]
    results = run_cases(cases)
    if args.verbose:
        print_failures(cases, results)
    print(summary_table(cases, results))
    passed = sum(bool(r.get("outcome")) for r in results.values())
    print(f"{passed} passed, {len(results) - passed} failed")
    verdicts = verdicts_of(cases, results)
    if args.write_known_failures:
        server = None if args.no_server else run_through_server(None, 1, args.filter)
        reasons = {c["id"]: reason_for(results[c["_file"]]) for c in cases}
        fresh = known_failures.rewrite(known, verdicts, server, reasons)
        args.known_failures.write_text(known_failures.render(fresh))
        counts = ", ".join(f"{len(fresh.entries[k])} {k}" for k in known_failures.KINDS)
        print(f"wrote {args.known_failures} ({counts})")
        return 0
    report = known_failures.gate(known, verdicts)
    print(report.describe(args.known_failures) or "matches the known-failures list")
    return 0 if report.ok else 1


def print_failures(cases: list[dict], results: dict[str, dict]) -> None:
    for case in cases:
        res = results[case["_file"]]
        if not res.get("outcome") or res.get("history") is False:
            print(f"FAIL {case['id']} ({case['_file']}): {res.get('error') or res.get('diffs')} "
                  f"history={res.get('history')}")
            if res.get("actual"):
                print("   actual:", json.dumps(res["actual"], default=str)[:400])
                print("   expect:", json.dumps({k: v for k, v in case["expected"].items()
                                                if k != "events"}, default=str)[:400])


if __name__ == "__main__":
    sys.exit(main())
