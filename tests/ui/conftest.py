"""Browser tests of the web UI: a real ``stepfn serve`` process and a real headless
Chromium (Debian's ``chromium``, driven by Playwright for Python through
``executable_path``; ``playwright install`` is never needed).

One browser for the whole session; each test gets its own browser context (a fresh
profile: no shared session storage). Under CI (``CI=true``) a missing Chromium fails
the tests; elsewhere they are skipped with the reason.

The session's set-up also takes screenshots of the main pages (see ``screenshots``):
into ``$STEPFN_UI_SCREENSHOTS`` when set (``docs/ui`` holds the committed ones), else
into a temporary folder, so the code that makes them runs on every test run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.config import Config

CHROMIUM = os.environ.get("STEPFN_CHROMIUM", "/usr/bin/chromium")
HERE = Path(__file__).parent
ROLE = "arn:aws:iam::123456789012:role/stepfn-ui-tests"
# axe-core, from the UI's locked packages (a devDependency: `npm ci` in stepfn/ui/web).
AXE = HERE.parents[1] / "stepfn" / "ui" / "web" / "node_modules" / "axe-core" / "axe.min.js"
# The workflow: a Choice, a Parallel of three branches holding an inline Map with
# a nested Choice, a Wait, Tasks with a timeout, a Catch (22 states).
ORDERS22 = json.loads((HERE / "workflows" / "orders22.json").read_text())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _require(ok: bool, message: str) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def generated_definition(states: int) -> dict:
    """A definition of exactly ``states`` states, from benchmarks/ui.py (its one home)."""
    spec = importlib.util.spec_from_file_location(
        "_bench_ui", HERE.parents[1] / "benchmarks" / "ui.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.big_definition(states))


def check_accessibility(page: Any, where: str) -> list[str]:
    """Run axe-core on the page as it is; fail on any serious or critical violation.
    Returns the ids of the rules that passed or were minor (for the test's record)."""
    _require(AXE.exists(), "axe-core is not installed: run 'npm ci' in stepfn/ui/web")
    if not page.evaluate("() => !!window.axe"):
        # evaluate() goes through the DevTools protocol: the page's CSP does not block it.
        page.evaluate(AXE.read_text())
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}));
    }""")
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not bad, f"{where}: {json.dumps(bad, indent=1)}"
    return [v["id"] for v in found]


def _require_chromium() -> None:
    _require(Path(CHROMIUM).exists(),
             f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)")


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``stepfn serve`` process (SQLite, the tests' functions); yields its URL."""
    folder = tmp_path_factory.mktemp("ui-server")
    port = _free_port()
    log = folder / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port),
             "--db", str(folder / "ui.db"), "--functions", str(HERE / "ui_functions.py"),
             "--log-level", "warning"],
            stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"stepfn serve did not start: {log.read_text()}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def sfn(ui_server: str) -> Any:
    """A boto3 Step Functions client for the server."""
    return boto3.client("stepfunctions", endpoint_url=ui_server, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 0}))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module. Not per session: while Playwright's sync
    API runs, its event loop counts as running in this thread, so a test that an
    xdist worker runs after the UI tests (asyncio.run) would fail; it stops with the
    module."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any, ui_server: str) -> Iterator[Any]:
    """A page in a fresh browser context; fails the test on any uncaught page error."""
    context = browser.new_context(base_url=ui_server, viewport={"width": 1400, "height": 950})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def machine_url(arn: str) -> str:
    return "/machines/" + quote(arn, safe="")


def execution_url(arn: str) -> str:
    return "/executions/" + quote(arn, safe="")


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


def create_machine(sfn: Any, name: str, definition: dict) -> str:
    """Create (or find) the machine ``name``; its ARN."""
    try:
        return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                        roleArn=ROLE)["stateMachineArn"]
    except sfn.exceptions.StateMachineAlreadyExists:
        return f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"


def wait_for_status(sfn: Any, arn: str, wanted: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] == wanted:
            return described
        assert time.monotonic() < deadline, (described["status"], wanted)
        time.sleep(0.1)


# The definitions the tests and the screenshots use.
ORDER = {
    "Comment": "Takes an order: checks it, charges the card and ships the items",
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Pass", "Parameters": {"order.$": "$.order", "amount.$": "$.amount"},
                     "Next": "Route"},
        "Route": {"Type": "Choice", "Choices": [
            {"Variable": "$.amount", "NumericGreaterThan": 1000, "Next": "Review"},
            {"And": [{"Variable": "$.order.express", "IsPresent": True},
                     {"Variable": "$.order.express", "BooleanEquals": True}],
             "Next": "Fulfil"}],
            "Default": "Charge"},
        "Review": {"Type": "Wait", "Seconds": 1, "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": fn_arn("charge"), "ResultPath": "$.payment",
                   "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
                   "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                              "Next": "Declined"}],
                   "Next": "Fulfil"},
        "Fulfil": {"Type": "Parallel", "ResultPath": "$.fulfilment", "Branches": [
            {"StartAt": "Pack", "States": {"Pack": {
                "Type": "Map", "ItemsPath": "$.order.items", "ItemProcessor": {
                    "StartAt": "PackItem", "States": {
                        "PackItem": {"Type": "Pass", "Result": "packed", "End": True}}},
                "End": True}}},
            {"StartAt": "Notify", "States": {"Notify": {"Type": "Pass", "End": True}}}],
            "Next": "Done"},
        "Declined": {"Type": "Fail", "Error": "PaymentDeclined", "Cause": "The card was declined"},
        "Done": {"Type": "Succeed"},
    },
}

LIVE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"amount": 42}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 3, "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": fn_arn("card_declined"),
                   "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1,
                              "MaxAttempts": 1}],
                   "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                              "Next": "Refund"}],
                   "Next": "Done"},
        "Refund": {"Type": "Pass", "Result": "refunded", "ResultPath": "$.refund",
                   "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def order_input(n_items: int = 3, amount: int = 120) -> str:
    return json.dumps({"order": {"id": "o-1842", "items": [f"item-{i}" for i in range(n_items)]},
                       "amount": amount})


@pytest.fixture()
def screenshots(browser: Any, ui_server: str, sfn: Any,
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots of the main pages: the machine list, a machine, an execution with a
    state open (its advanced view), its table view and its events."""
    target = os.environ.get("STEPFN_UI_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    arn = create_machine(sfn, "order-pipeline", ORDER)
    create_machine(sfn, "live-demo", LIVE)
    ok = sfn.start_execution(stateMachineArn=arn, name="order-1842", input=order_input())
    sfn.start_execution(stateMachineArn=arn, name="order-1843",
                        input=order_input(2, 1500))
    wait_for_status(sfn, ok["executionArn"], "SUCCEEDED")
    context = browser.new_context(base_url=ui_server, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto("/")
        page.wait_for_selector('tr[data-machine="order-pipeline"] [data-count="SUCCEEDED"]')
        page.screenshot(path=str(folder / "machines.png"))
        page.goto(machine_url(arn))
        page.wait_for_selector('[data-graph-ready="true"] [data-state="Done"]')
        page.wait_for_selector('tr[data-execution="order-1842"]')
        page.screenshot(path=str(folder / "machine.png"), full_page=True)
        page.goto(execution_url(ok["executionArn"]))
        page.wait_for_selector('main[data-execution-status="SUCCEEDED"]')
        page.wait_for_selector('[data-state="Done"][data-status="succeeded"]')
        page.click('[data-state="Charge"]')
        page.check('input[name="advanced"]')
        page.wait_for_selector('#stages [data-stage="resultPath"]')
        page.screenshot(path=str(folder / "execution.png"), full_page=True)
        page.click('[data-tab="table"]')
        page.wait_for_selector('#table-view [data-visit="PackItem"]')
        page.screenshot(path=str(folder / "execution-table.png"))
        page.click('[data-tab="events"]')
        page.wait_for_selector('#events [data-event-id="1"]')
        page.screenshot(path=str(folder / "execution-events.png"))
    finally:
        context.close()
    return folder
