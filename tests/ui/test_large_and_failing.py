"""The web UI when workflows get big and things go wrong, in a real Chromium against a
real ``stepfn serve`` (fixtures in conftest.py): the issue's 22-state workflow and
generated 100- and 500-state ones drawn readably (label size at fit measured; times go
to benchmarks/ui.py), statuses inside Map and Parallel that agree everywhere, errors a
person can read, live time, Express machines, keyboard navigation, and axe-core on
every page with no serious or critical violation."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from tests.ui.conftest import (
    ORDERS22,
    ROLE,
    check_accessibility,
    create_machine,
    execution_url,
    generated_definition,
    machine_url,
    wait_for_status,
)

# The rendered size (px on screen) of every state name, and the canvas's box.
LABEL_SIZES = """() => {
    const sizes = [...document.querySelectorAll('[data-state] > text.name')].map((t) => {
        const k = t.getScreenCTM().a;
        return parseFloat(getComputedStyle(t).fontSize) * k;
    });
    const canvas = document.querySelector('.graph-canvas').getBoundingClientRect();
    return {min: Math.min(...sizes), count: sizes.length, canvasTop: canvas.top,
            canvasHeight: canvas.height, windowHeight: innerHeight,
            scale: Number(document.querySelector('.graph-canvas').dataset.scale),
            engine: document.querySelector('.graph-canvas').dataset.engine};
}"""
FAILING_ORDER = {"total": 120, "items": [{"name": "vase", "fragile": True},
                                         {"name": "glass", "fragile": True},
                                         {"name": "plate"}]}


def graph_states(page: Any) -> dict[str, str]:
    return dict(page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '[data-state]')].map((n) => [n.dataset.state, n.dataset.status]))"""))


def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    target = os.environ.get("STEPFN_UI_SCREENSHOTS")
    folder = Path(target) if target else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name))


def test_large_graphs_are_readable_at_fit(page: Any, sfn: Any, tmp_path: Path) -> None:
    sizes = {}
    for states, definition in ((22, ORDERS22), (100, generated_definition(100)),
                               (500, generated_definition(500))):
        arn = create_machine(sfn, f"graph-{states}", definition)
        page.goto(machine_url(arn))
        page.wait_for_selector('[data-graph-ready="true"]', timeout=30_000)
        measured = page.evaluate(LABEL_SIZES)
        sizes[states] = measured
        # Fitting never shrinks the labels below a readable size (state names >= 12 px).
        assert measured["min"] >= 12, (states, measured)
        # The canvas takes the window's height below it.
        assert measured["canvasTop"] + measured["canvasHeight"] >= measured["windowHeight"] - 40
        screenshot(page, f"graph-{states}.png", tmp_path)
        if states == 22:
            assert measured["engine"] == "elk" and measured["count"] == 22
            # The state that joins the Parallel is drawn right below it.
            fulfil = page.locator('[data-state="Fulfil"] > rect').bounding_box()
            join = page.locator('[data-state="Join"] > rect').bounding_box()
            assert fulfil["x"] < join["x"] + join["width"] / 2 < fulfil["x"] + fulfil["width"]
            assert 0 < join["y"] - (fulfil["y"] + fulfil["height"]) < 60
            # Every Choice operator's label tells the truth (the full table is in
            # stepfn/ui/web/test/rules.test.mjs).
            labels = page.locator('.g-edge.kind-choice[data-from="Route"] text').all_text_contents()
            assert sorted(labels) == ["$.total <= 0", "$.total >= 100"]
            # A Parallel collapses into one box and expands again.
            page.click('[data-toggle="Fulfil"]')
            page.wait_for_selector('[data-state="Fulfil"][data-collapsed="true"]')
            assert page.locator('[data-state="Kind"]').count() == 0
            assert "10 states" in page.text_content('[data-state="Fulfil"]')
            page.click('[data-toggle="Fulfil"]')
            page.wait_for_selector('[data-state="Kind"]')
        if states == 500:
            # Too large to show whole at a readable size: a minimap, and the search box
            # finds a state far down, selects it and brings it into view.
            assert measured["engine"] == "dagre"
            assert page.locator(".graph-minimap").is_visible()
            page.fill('input[name="find-state"]', "Store040")
            page.click('[data-found="Store040"]')
            node = page.locator('[data-state="Store040"] > rect')
            page.wait_for_function("""() => {
                const r = document.querySelector('[data-state="Store040"] > rect').getBoundingClientRect();
                const c = document.querySelector('.graph-canvas').getBoundingClientRect();
                return r.top >= c.top && r.bottom <= c.bottom && r.left >= c.left && r.right <= c.right;
            }""")
            assert node.bounding_box()["height"] > 30
    print("label sizes at fit:", {n: (round(m["min"], 1), m["scale"], m["engine"])
                                   for n, m in sizes.items()})
    check_accessibility(page, "a machine's page (500 states)")


def test_statuses_inside_map_and_parallel_agree_and_errors_read(page: Any, sfn: Any) -> None:
    arn = create_machine(sfn, "orders-22", ORDERS22)
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(FAILING_ORDER))
    wait_for_status(sfn, run["executionArn"], "FAILED")
    history = sfn.get_execution_history(executionArn=run["executionArn"], maxResults=1000)
    types = [e["type"] for e in history["events"]]
    assert "MapStateFailed" in types and "MapIterationAborted" in types
    page.goto(execution_url(run["executionArn"]))
    page.wait_for_selector(f'main[data-events="{len(types)}"]')
    page.wait_for_selector('[data-state="Done"]')
    states = graph_states(page)
    assert (states["Pick"], states["Wrap"], states["Fulfil"], states["Failed"]) == \
        ("failed", "failed", "caught", "failed")
    assert states["Join"] == "not-started"
    # Charge ran beside the Map: stopped (TaskStateAborted) if it had not finished.
    assert states["Charge"] == ("aborted" if "TaskStateAborted" in types else "succeeded")
    # The Map: failed in the inspector too, with the failure inside it named; failed
    # and aborted iterations listed apart.
    page.click('[data-state="Pick"] > text.name')
    panel = page.locator("#state-panel")
    assert panel.get_attribute("data-visit-status") == "failed"
    by_kind: dict[str, list[str]] = {"Failed": [], "Aborted": []}
    for e in history["events"]:
        kind = e["type"][len("MapIteration"):]
        if kind in by_kind:
            by_kind[kind].append(f"#{e[e['type'][0].lower() + e['type'][1:] + 'EventDetails']['index']}")
    assert "#1" in by_kind["Failed"] and "#0" in by_kind["Aborted"]  # vase was still wrapping
    assert page.locator('#iterations [data-list="failed"] button').all_inner_texts() == sorted(by_kind["Failed"])
    assert page.locator('#iterations [data-list="aborted"] button').all_inner_texts() == sorted(by_kind["Aborted"])
    failure = page.locator("#state-panel .failure")
    assert "ValueError" in failure.inner_text() and "in Wrap" in failure.inner_text()
    # No empty error boxes anywhere on the page.
    assert page.evaluate("""() => [...document.querySelectorAll('.error, .error-details')]
        .filter((e) => !e.textContent.trim()).length""") == 0
    # Wrap ran twice (vase: aborted, glass: failed): it opens at the failed visit.
    page.click("#state-panel [data-action=open-failed]")
    page.wait_for_selector('#state-panel[data-selected="Wrap"]')
    assert panel.get_attribute("data-visit-status") == "failed"
    assert "iteration 1" in page.inner_text("#state-panel [data-where]")
    # The error as a person reads it: message, type, stack trace; raw text one click away;
    # the long message folded.
    details = page.locator("#state-panel .failure .error-details")
    assert details.locator('[data-part="message"]').inner_text().startswith(
        "cannot wrap glass: out of bubble wrap")
    assert details.locator('[data-part="type"]').inner_text() == "Type: ValueError"
    details.locator('[data-part="stack"] summary').click()
    trace = details.locator(".stack-text").inner_text()
    assert "ui_functions.py" in trace and "raise ValueError" in trace and "\\n" not in trace
    assert "~~~" not in trace and "^^^" not in trace
    # The 41-line message is folded; "Show all" unfolds it.
    message = details.locator('[data-part="message"]')
    folded = message.bounding_box()["height"]
    assert folded < 300 and message.locator(".fold.folded").count() == 1
    message.locator('[data-action="unfold"]').click()
    assert message.bounding_box()["height"] > folded * 2
    details.locator('[data-action="raw-cause"]').click()
    raw = details.locator(".cause-text")
    assert '"errorMessage"' in raw.inner_text()
    assert details.locator(".fold.folded").count() == 1  # the raw text is long too
    # The table agrees: each visit's status is the one the inspector showed.
    page.click('[data-tab="table"]')
    rows = page.locator("#table-view [data-visit]")
    visits = {(r.get_attribute("data-visit"), r.get_attribute("data-status")) for r in rows.all()}
    assert ("Pick", "failed") in visits and ("Wrap", "failed") in visits
    assert ("Wrap", "aborted") in visits and ("Fulfil", "caught") in visits
    check_accessibility(page, "an execution's table")
    # Keyboard: Tab into the graph, arrows move between states, Enter opens one.
    page.click('[data-tab="graph"]')
    page.wait_for_selector('[data-graph-ready="true"]')
    page.focus('input[name="find-state"]')
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('graph-canvas')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('graph-canvas')")
    page.wait_for_selector('[data-state="Wrap"].focused')  # the keyboard starts at the selection
    page.keyboard.press("ArrowUp")
    page.wait_for_selector('[data-state="Kind"].focused')
    page.keyboard.press("Enter")
    page.wait_for_selector('#state-panel[data-selected="Kind"]')
    page.keyboard.press("ArrowDown")
    page.wait_for_selector('[data-state="Kind"].focused', state="detached")
    assert page.locator(".g-node.focused").count() == 1
    check_accessibility(page, "an execution's graph with a state open")


def test_live_time_ticks(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}
    arn = create_machine(sfn, "long-wait", definition)
    started = sfn.start_execution(stateMachineArn=arn)
    try:
        page.goto(execution_url(started["executionArn"]))
        page.wait_for_selector('[data-state="Hold"][data-status="running"]')
        events = page.get_attribute("main", "data-events")
        duration = page.locator('[data-duration="execution"]')
        assert duration.get_attribute("data-live") == "true"
        page.click('[data-state="Hold"]')
        page.click('#state-panel [data-tab="details"]')
        state = page.locator('[data-duration="state"]')
        first, before = duration.inner_text(), state.inner_text()
        time.sleep(1.2)
        # No event arrived meanwhile: the clock alone moved both.
        assert page.get_attribute("main", "data-events") == events
        assert duration.inner_text() != first and state.inner_text() != before
    finally:
        sfn.stop_execution(executionArn=started["executionArn"])
    page.wait_for_selector('main[data-execution-status="ABORTED"]')
    page.wait_for_selector('[data-duration="execution"]:not([data-live])')
    stopped = page.inner_text('[data-duration="execution"]')
    time.sleep(0.7)
    assert page.inner_text('[data-duration="execution"]') == stopped


def test_express_machines_work(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Shape", "States": {
        "Shape": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
                  "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.doubled", "NumericGreaterThanEquals": 10, "Next": "Big"}],
            "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}}
    try:
        arn = sfn.create_state_machine(name="express-demo", definition=json.dumps(definition),
                                       roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
    except sfn.exceptions.StateMachineAlreadyExists:
        arn = "arn:aws:states:us-east-1:123456789012:stateMachine:express-demo"
    page.goto("/")
    row = page.locator('tr[data-machine="express-demo"]')
    row.wait_for()
    page.wait_for_function("""() => !document.querySelector('tr[data-machine="express-demo"]')
        .textContent.includes('…')""")
    assert "?" not in row.inner_text() and "Express" in row.inner_text()
    check_accessibility(page, "the machine list")
    page.goto(machine_url(arn))
    page.wait_for_selector('[data-graph-ready="true"]')
    page.wait_for_selector("#executions table")
    text = page.inner_text("main")
    assert "StateMachineTypeNotSupported" not in text and "Exception" not in text
    # A synchronous start shows the result at once.
    page.click('[data-action="start"]')
    page.locator("#start-form .cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text('{"n": 7}')
    assert page.is_checked('#start-form input[name="sync"]')
    page.click('#start-form button[type="submit"]')
    page.wait_for_selector('#sync-result[data-sync-status="SUCCEEDED"]')
    assert json.loads(page.inner_text("#sync-output")) == {"doubled": 14}
    check_accessibility(page, "an Express machine with a result")
    # An asynchronous one opens its page, which follows it to its end.
    page.uncheck('#start-form input[name="sync"]')
    page.click('#start-form button[type="submit"]')
    page.wait_for_url("**/executions/**")
    page.wait_for_selector('main[data-execution-status="SUCCEEDED"]')
    page.wait_for_selector('[data-state="Big"][data-status="succeeded"]')
    assert graph_states(page)["Small"] == "not-started"
    assert "Express" in page.inner_text(".facts")
    # Both are in the machine's recent executions, and open from there.
    page.goto(machine_url(arn))
    page.wait_for_selector("#executions tbody tr[data-execution]")
    listed = page.locator("#executions tbody tr[data-execution]")
    assert listed.count() >= 2
    listed.first.locator("a").click()
    page.wait_for_selector('main[data-execution-status="SUCCEEDED"]')


def test_a_bad_arn_reads_as_a_sentence(page: Any) -> None:
    page.goto(execution_url("arn:aws:states:us-east-1:123456789012:execution:nothing:here"))
    alert = page.locator('[role="alert"]')
    alert.wait_for()
    assert alert.get_attribute("data-code") == "ExecutionDoesNotExist"
    assert "There is no execution with this ARN" in alert.inner_text()
    assert "ExecutionDoesNotExist" not in page.inner_text("main")
    page.goto("/settings")
    page.wait_for_selector('input[name="accessKeyId"]')
    check_accessibility(page, "the settings page")
