"""The web UI in a real Chromium against a real ``stepfn serve`` (see conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.ui.conftest import (
    LIVE,
    ORDER,
    create_machine,
    execution_url,
    fn_arn,
    machine_url,
    order_input,
    wait_for_status,
)

PNG = b"\x89PNG\r\n\x1a\n"


def all_state_names(definition: dict) -> list[str]:
    names = []
    for name, state in definition["States"].items():
        names.append(name)
        for branch in state.get("Branches", []):
            names.extend(all_state_names(branch))
        if "ItemProcessor" in state:
            names.extend(all_state_names(state["ItemProcessor"]))
    return names


def test_screenshots_of_the_main_pages(screenshots: Path) -> None:
    for name in ("machines", "machine", "execution", "execution-table", "execution-events"):
        data = (screenshots / f"{name}.png").read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, name


def test_machine_page_draws_every_state_and_edge(page: Any, sfn: Any) -> None:
    arn = create_machine(sfn, "order-pipeline", ORDER)
    page.goto("/")
    page.click('tr[data-machine="order-pipeline"] a')
    page.wait_for_url("**" + machine_url(arn))
    page.wait_for_selector('[data-graph-ready="true"]')
    names = all_state_names(ORDER)
    assert len(names) == 10
    for name in names:
        node = page.locator(f'[data-state="{name}"]')
        assert node.count() == 1, name
        assert node.get_attribute("data-status") is None  # no execution on this page
    types = {n: page.get_attribute(f'[data-state="{n}"]', "data-type") for n in names}
    assert types["Route"] == "Choice" and types["Fulfil"] == "Parallel"
    assert types["Pack"] == "Map" and types["Declined"] == "Fail"
    # Parallel branches and the Map's processor are drawn inside their state's box.
    outer = page.locator('[data-state="Fulfil"] > rect').bounding_box()
    inner = page.locator('[data-state="PackItem"] > rect').bounding_box()
    assert outer["x"] < inner["x"] and inner["x"] + inner["width"] < outer["x"] + outer["width"]
    assert outer["y"] < inner["y"] and inner["y"] + inner["height"] < outer["y"] + outer["height"]
    # Choice edges carry their rule; Default and Catch edges are told apart from Next.
    labels = page.locator('.g-edge.kind-choice[data-from="Route"] text').all_text_contents()
    assert "$.amount > 1000" in labels
    assert any("$.order.express is present" in label for label in labels)
    assert page.locator('.g-edge.kind-default[data-from="Route"][data-to="Charge"]').count() == 1
    assert page.locator('.g-edge.kind-catch[data-from="Charge"][data-to="Declined"]').count() == 1
    assert page.locator('.g-edge.kind-next[data-from="Charge"][data-to="Fulfil"]').count() == 1
    # The definition tab shows the definition in the code view.
    page.click('[data-tab="definition"]')
    text = page.locator(".code-view .cm-content").inner_text()
    assert '"StartAt": "Validate"' in text
    # Zoom changes the view; fit brings it back.
    page.click('[data-tab="graph"]')
    page.wait_for_selector('[data-graph-ready="true"] [data-state="Done"]')
    fitted = page.get_attribute("g.g-view", "transform")
    page.click('.graph-tools button[title="Zoom in"]')
    assert page.get_attribute("g.g-view", "transform") != fitted
    page.click('[data-action="fit"]')
    assert page.get_attribute("g.g-view", "transform") == fitted


def test_export_svg_is_a_standalone_drawing(page: Any, sfn: Any) -> None:
    arn = create_machine(sfn, "order-pipeline", ORDER)
    page.goto(machine_url(arn))
    page.wait_for_selector('[data-graph-ready="true"]')
    with page.expect_download() as info:
        page.click('[data-action="export-svg"]')
    svg = Path(info.value.path()).read_text()
    assert svg.startswith("<svg") and 'data-state="PackItem"' in svg and "<style>" in svg
    with page.expect_download() as info:
        page.click('[data-action="export-png"]')
    assert Path(info.value.path()).read_bytes().startswith(PNG)


def test_start_form_checks_the_json_before_sending(page: Any, sfn: Any) -> None:
    arn = create_machine(sfn, "order-pipeline", ORDER)
    page.goto(machine_url(arn))
    page.click('[data-action="start"]')
    editor = page.locator('#start-form .cm-content')
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text('{"order": ')
    assert page.locator('#start-form [data-problem="input"]').is_visible()
    assert page.locator('#start-form button[type="submit"]').is_disabled()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(order_input(1))
    page.fill('#start-form input[name="name"]', "from-the-form")
    page.click('#start-form button[type="submit"]')
    page.wait_for_url("**/executions/**")
    page.wait_for_selector('main[data-execution-status="SUCCEEDED"]')
    described = sfn.describe_execution(executionArn=arn.replace(
        ":stateMachine:", ":execution:") + ":from-the-form")
    assert json.loads(described["input"])["order"]["items"] == ["item-0"]


def test_execution_statuses_change_live_then_a_state_is_inspected(page: Any, sfn: Any) -> None:
    arn = create_machine(sfn, "live-demo", LIVE)
    started = sfn.start_execution(stateMachineArn=arn, input='{"customer": "c-7"}')
    page.goto(execution_url(started["executionArn"]))
    # Record every status each node goes through, and prove the page is never reloaded.
    page.wait_for_selector('[data-graph-ready="true"]')
    page.evaluate("""() => {
        window.__seen = [];
        window.__sameDocument = true;
        new MutationObserver((changes) => {
            for (const c of changes) {
                const name = c.target.getAttribute('data-state');
                if (name) window.__seen.push([name, c.target.getAttribute('data-status')]);
            }
        }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-status']});
    }""")
    # Both statuses read in one evaluation: read one call apart, Hold (a 3 s Wait) may
    # end in between on a loaded machine and Charge start.
    charge_while_holding = page.wait_for_function("""() => {
        const status = (name) => document.querySelector(`[data-state="${name}"]`)
            ?.getAttribute('data-status');
        return status('Hold') === 'running' ? status('Charge') : null;
    }""").json_value()
    assert charge_while_holding == "not-started"
    page.wait_for_selector('[data-state="Done"][data-status="succeeded"]', timeout=20_000)
    page.wait_for_selector('main[data-execution-status="SUCCEEDED"]')
    final = {n: page.get_attribute(f'[data-state="{n}"]', "data-status") for n in LIVE["States"]}
    assert final == {"Prepare": "succeeded", "Hold": "succeeded", "Charge": "caught",
                     "Refund": "succeeded", "Done": "succeeded"}
    seen = page.evaluate("window.__seen")
    assert page.evaluate("window.__sameDocument") is True
    charge = [status for name, status in seen if name == "Charge"]
    # Live: the failed first attempt is committed before its 1 s back-off and its
    # retrier takes it, so the page shows the state retrying for that second before it
    # ends caught. (Entering the state and the failure can land in one frame, as can
    # the second failure and the catch.)
    assert charge[0] in ("running", "retrying") and charge[-1] == "caught"
    assert "retrying" in charge[:-1]
    hold = [status for name, status in seen if name == "Hold"]
    assert hold == ["succeeded"]  # it was already running when the observer started
    # Hold ended before Charge showed anything (its first status may already be
    # "retrying", see above: not every run shows it running).
    first_charge = next(i for i, (name, _) in enumerate(seen) if name == "Charge")
    assert seen.index(["Hold", "succeeded"]) < first_charge
    # Open a state: its input and output.
    page.click('[data-state="Charge"]')
    page.wait_for_selector('#state-panel[data-selected="Charge"]')
    state_input = json.loads(page.inner_text('#state-io [data-stage="input"] pre'))
    state_output = json.loads(page.inner_text('#state-io [data-stage="output"] pre'))
    assert state_input == {"amount": 42}
    assert state_output["amount"] == 42
    assert state_output["error"]["Error"] == "RuntimeError"
    # Details: the retry with its error.
    page.click('#state-panel [data-tab="details"]')
    assert page.locator("#retries li").count() == 1
    assert "RuntimeError" in page.inner_text("#retries")
    # The advanced view shows each processing stage (computed by TestState).
    page.click('#state-panel [data-tab="io"]')
    page.check('input[name="advanced"]')
    page.wait_for_selector('#stages [data-stage="output"]')
    assert json.loads(page.inner_text('#stages [data-stage="input"] pre')) == {"amount": 42}


def test_the_advanced_view_shows_every_processing_stage(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Charge", "States": {"Charge": {
        "Type": "Task", "Resource": fn_arn("charge"), "InputPath": "$.payment",
        "Parameters": {"amount.$": "$.total"}, "ResultSelector": {"id.$": "$.receipt"},
        "ResultPath": "$.receipt", "OutputPath": "$.receipt", "End": True}}}
    arn = create_machine(sfn, "stages", definition)
    done = sfn.start_execution(stateMachineArn=arn, input='{"payment": {"total": 7}}')
    wait_for_status(sfn, done["executionArn"], "SUCCEEDED")
    page.goto(execution_url(done["executionArn"]))
    page.click('[data-state="Charge"]')
    page.check('input[name="advanced"]')
    page.wait_for_selector('#stages [data-stage="resultPath"]')

    def stage(name: str) -> Any:
        return json.loads(page.inner_text(f'#stages [data-stage="{name}"] pre'))
    assert stage("input") == {"payment": {"total": 7}}
    assert stage("inputPath") == {"total": 7}
    assert stage("parameters") == {"amount": 7}
    assert stage("result") == {"receipt": "r-7", "amount": 7}
    assert stage("resultSelector") == {"id": "r-7"}
    # ResultPath puts the result into the state's input (not InputPath's selection).
    assert stage("resultPath") == {"payment": {"total": 7}, "receipt": {"id": "r-7"}}
    assert stage("output") == {"id": "r-7"}


def test_map_iterations_table_and_events(page: Any, sfn: Any) -> None:
    arn = create_machine(sfn, "order-pipeline", ORDER)
    done = sfn.start_execution(stateMachineArn=arn, input=order_input(5))
    wait_for_status(sfn, done["executionArn"], "SUCCEEDED")
    history = sfn.get_execution_history(executionArn=done["executionArn"], maxResults=1000)
    page.goto(execution_url(done["executionArn"]))
    page.wait_for_selector(f'main[data-events="{len(history["events"])}"]')
    page.click('[data-state="Pack"] > text >> nth=0')
    assert "Iterations: 5 (5 succeeded)" in page.inner_text("#iterations")
    page.fill('#iterations input[name="iteration"]', "3")
    page.click('#iterations button[type="submit"]')
    page.wait_for_selector('[data-iteration="3"]')
    page.click('[data-state="PackItem"]')
    assert json.loads(page.inner_text('#state-io [data-stage="input"] pre')) == "item-3"
    # The table lists every visit, with where it ran.
    page.click('[data-tab="table"]')
    rows = page.locator('#table-view [data-visit="PackItem"]')
    assert rows.count() == 5
    assert "iteration 4" in page.inner_text("#table-view")
    # The events view lists the history and filters it.
    page.click('[data-tab="events"]')
    shown = page.locator("#events [data-count=shown]")
    assert shown.inner_text() == f'{len(history["events"])} of {len(history["events"])}'
    page.select_option('#events select[name="kind"]', "map")
    count = sum(1 for e in history["events"] if e["type"].startswith("Map"))
    assert shown.inner_text() == f"{count} of {len(history['events'])}"
    page.fill('#events input[name="filter"]', "MapIterationSucceeded")
    assert shown.inner_text() == f"5 of {len(history['events'])}"


def test_failed_map_iterations_are_listed(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {
            "StartAt": "Check", "States": {
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$", "NumericGreaterThan": 2, "Next": "TooBig"}],
                    "Default": "Fine"},
                "TooBig": {"Type": "Fail", "Error": "TooBig"},
                "Fine": {"Type": "Succeed"}}},
        "End": True}}}
    arn = create_machine(sfn, "iterations", definition)
    done = sfn.start_execution(stateMachineArn=arn, input="[1, 2, 3, 4]")
    wait_for_status(sfn, done["executionArn"], "FAILED")
    page.goto(execution_url(done["executionArn"]))
    page.wait_for_selector('main[data-execution-status="FAILED"]')
    page.click('[data-state="Each"] > text >> nth=0')
    # One at a time: the third item fails the Map, so the fourth never runs.
    assert "Iterations: 3 (2 succeeded, 1 failed)" in page.inner_text("#iterations")
    failed = page.locator('#iterations [data-list="failed"] button')
    assert failed.all_inner_texts() == ["#2"]
    failed.first.click()
    page.wait_for_selector('[data-iteration="2"]')
    assert page.get_attribute('[data-state="TooBig"]', "data-status") == "failed"
    assert page.get_attribute('[data-state="Fine"]', "data-status") == "not-started"


def test_stop_from_the_page(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": 600, "End": True}}}
    arn = create_machine(sfn, "sleeper", definition)
    started = sfn.start_execution(stateMachineArn=arn)
    page.goto(execution_url(started["executionArn"]))
    page.wait_for_selector('[data-state="Sleep"][data-status="running"]')
    page.click('[data-action="stop"]')
    page.click('[data-action="confirm-stop"]')
    page.wait_for_selector('main[data-execution-status="ABORTED"]')
    page.wait_for_selector('[data-state="Sleep"][data-status="aborted"]')
    assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "ABORTED"


def test_redrive_from_the_page(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Ship"},
        "Ship": {"Type": "Task", "Resource": fn_arn("fails_once"), "End": True}}}
    arn = create_machine(sfn, "ship-once", definition)
    started = sfn.start_execution(stateMachineArn=arn, input='{"key": "redrive-test"}')
    page.goto(execution_url(started["executionArn"]))
    page.wait_for_selector('main[data-execution-status="FAILED"]', timeout=20_000)
    page.wait_for_selector('[data-state="Ship"][data-status="failed"]')
    # Redrive asks first.
    page.click('[data-action="redrive"]')
    assert sfn.describe_execution(executionArn=started["executionArn"])["redriveCount"] == 0
    page.click('[data-action="confirm-redrive"]')
    # The page follows the redriven execution live, past its earlier failure.
    page.wait_for_selector('main[data-execution-status="SUCCEEDED"]', timeout=20_000)
    page.wait_for_selector('[data-state="Ship"][data-status="succeeded"]')
    described = sfn.describe_execution(executionArn=started["executionArn"])
    assert described["status"] == "SUCCEEDED" and described["redriveCount"] == 1
    assert json.loads(described["output"]) == {"shipped": True, "attempt": 2}
