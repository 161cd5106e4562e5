"""Workflow Studio (the editor at /editor) in a real Chromium against ``stepfn serve``
(fixtures in conftest.py): build by dragging from the palette, live validation at the
state and field, the code view in sync both ways, undo/redo, import/export, save and
publish read back with boto3, and TestState from the editor."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.ui.conftest import check_accessibility, create_machine, fn_arn, machine_url

PNG = b"\x89PNG\r\n\x1a\n"


def editor_url(arn: str) -> str:
    return "/editor/" + quote(arn, safe="")


def open_editor(page: Any, path: str = "/editor") -> None:
    page.goto(path)
    page.wait_for_selector('[data-editor-ready="true"] [data-graph-ready="true"]')


def settled(page: Any) -> None:
    """Wait until the canvas stops moving (a new layout is fitted to the view a frame
    after it is drawn), so a drop aims where the target now is."""
    page.wait_for_function("""() => new Promise((done) => {
        const at = () => document.querySelector('g.g-view')?.getAttribute('transform');
        const first = at();
        requestAnimationFrame(() => requestAnimationFrame(() => done(first && first === at())));
    })""")


def drag_to_canvas(page: Any, item: str) -> None:
    settled(page)
    page.drag_and_drop(f'[data-palette="{item}"]', ".graph-canvas", target_position={"x": 30, "y": 30})


def drag_to_edge(page: Any, item: str, source: str, target: str) -> None:
    settled(page)
    # An edge is a thin line (its box may have no width); its wide transparent hit path
    # takes the drop, so the drop aims at the edge's middle without the visibility check.
    page.drag_and_drop(f'[data-palette="{item}"]',
                       f'.g-edge[data-from="{source}"][data-to="{target}"] path.g-hit', force=True)


def validation(page: Any, wanted: str) -> None:
    page.wait_for_selector(f'[data-validation="{wanted}"]')


def code_text(page: Any) -> str:
    """The code view's whole text (CodeMirror draws only the lines in sight, so the
    text is read from its EditorView's state, which the page keeps on the code box)."""
    page.wait_for_function("() => document.querySelector('.code-box').editorView")
    return str(page.evaluate(
        "() => document.querySelector('.code-box').editorView.state.doc.toString()"))


def test_build_break_fix_and_save(page: Any, sfn: Any) -> None:
    open_editor(page)
    # Three states, each dragged from the palette: onto the empty canvas, then onto the
    # edge into End (inserting before the end).
    drag_to_canvas(page, "Pass")
    page.wait_for_selector('[data-state="Pass"]')
    drag_to_edge(page, "Wait", "Pass", "__end__")
    page.wait_for_selector('.g-edge[data-from="Wait"][data-to="__end__"]', state='attached')
    drag_to_edge(page, "Succeed", "Wait", "__end__")
    page.wait_for_selector('.g-edge[data-from="Success"][data-to="__end__"]', state='attached')
    assert page.locator('.g-edge[data-from="Pass"][data-to="Wait"]').count() == 1
    assert page.locator('.g-edge[data-from="Wait"][data-to="Success"]').count() == 1
    assert page.get_attribute('[data-state="Success"]', "data-type") == "Succeed"
    validation(page, "ok")
    built = json.loads(code_text(page))
    assert built["StartAt"] == "Pass"
    assert built["States"] == {"Pass": {"Type": "Pass", "Next": "Wait"},
                               "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Success"},
                               "Success": {"Type": "Succeed"}}

    # Break Wait's Next in the code view: the canvas follows, and the validator's
    # diagnostic shows at the state (canvas, list, form field, code).
    line = page.locator('.code-box .cm-line', has_text='"Next": "Success"')
    line.locator("text=Success").dblclick()
    page.keyboard.type("Nowhere")
    page.wait_for_selector('[data-state="Wait"].has-error')
    validation(page, "fail")
    item = page.locator('#diagnostics li[data-location="/States/Wait/Next"]')
    assert "Nowhere" in item.inner_text()
    assert page.locator('.g-edge[data-from="Wait"][data-to="Success"]').count() == 0
    assert page.locator(".code-box .cm-lintRange-error").count() >= 1
    item.click()
    problem = page.locator('[data-form-state="Wait"] [data-field="Next"] .error')
    assert "Nowhere" in problem.inner_text()
    assert page.locator('[data-state="Pass"].has-error').count() == 0

    # Fix it in the form: the code view follows and the diagnostic goes.
    page.select_option('[data-form-state="Wait"] select[name="Next"]', "Success")
    validation(page, "ok")
    page.wait_for_selector('.g-edge[data-from="Wait"][data-to="Success"]', state='attached')
    assert page.locator('[data-state="Wait"].has-error').count() == 0
    assert '"Next": "Success"' in code_text(page)

    # Save as a new machine, then read it back with boto3.
    page.click('[data-action="create"]')
    page.fill('input[name="machineName"]', "built-in-editor")
    assert page.input_value('input[name="roleArn"]').startswith("arn:aws:iam::")
    page.click('[data-action="create-confirm"]')
    page.wait_for_selector("[data-save-note]")
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:built-in-editor"
    assert page.url.endswith(editor_url(arn))
    saved = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    assert saved == json.loads(code_text(page))
    assert saved["States"]["Wait"]["Next"] == "Success"
    assert sfn.describe_state_machine(stateMachineArn=arn)["roleArn"].startswith("arn:aws:iam::")


def test_undo_redo_import_and_export(page: Any, tmp_path: Path) -> None:
    open_editor(page)
    # A palette item's click adds it after the selected state.
    page.click('[data-palette="Pass"]')
    page.wait_for_selector('[data-state="Pass"]')
    page.click('[data-palette="Wait"]')
    page.wait_for_selector('.g-edge[data-from="Pass"][data-to="Wait"]', state='attached')
    page.click('[data-action="undo"]')
    page.wait_for_selector('[data-state="Wait"]', state="detached")
    assert json.loads(code_text(page))["States"] == {"Pass": {"Type": "Pass", "End": True}}
    page.click('[data-action="redo"]')
    page.wait_for_selector('.g-edge[data-from="Pass"][data-to="Wait"]', state='attached')
    # A rename in the form renames every transition; Ctrl+Z (outside text fields) undoes it.
    page.click('[data-state="Wait"]')
    page.fill('[data-form-state="Wait"] input[name="StateName"]', "Pause")
    page.press('[data-form-state="Wait"] input[name="StateName"]', "Enter")
    page.wait_for_selector('.g-edge[data-from="Pass"][data-to="Pause"]', state='attached')
    assert json.loads(code_text(page))["States"]["Pass"]["Next"] == "Pause"
    page.click("h1")
    page.keyboard.press("Control+z")
    page.wait_for_selector('.g-edge[data-from="Pass"][data-to="Wait"]', state='attached')
    page.keyboard.press("Control+Shift+z")
    page.wait_for_selector('.g-edge[data-from="Pass"][data-to="Pause"]', state='attached')

    # Export downloads the definition as it stands.
    with page.expect_download() as caught:
        page.click('[data-action="export"]')
    exported = json.loads(Path(caught.value.path()).read_text())
    assert exported == json.loads(code_text(page))
    assert exported["States"]["Pause"] == {"Type": "Wait", "Seconds": 5, "End": True}

    # Import replaces it (one undo step back).
    imported = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.ok", "BooleanEquals": True, "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Succeed"},
        "No": {"Type": "Fail", "Error": "NotOk"}}}
    source = tmp_path / "imported.asl.json"
    source.write_text(json.dumps(imported))
    page.set_input_files('input[name="import"]', str(source))
    page.wait_for_selector('.g-edge.kind-choice[data-from="Check"][data-to="Yes"]', state='attached')
    assert json.loads(code_text(page)) == imported
    validation(page, "ok")
    page.set_input_files('input[name="import"]', str(_write(tmp_path / "bad.json", "{not json")))
    page.wait_for_selector("[data-notice]:has-text('bad.json is not a definition')")
    assert json.loads(code_text(page)) == imported
    page.click('[data-action="undo"]')
    page.wait_for_selector('[data-state="Check"]', state="detached")
    assert json.loads(code_text(page)) == exported


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_edit_a_machine_save_and_publish(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Hold", "States": {
        "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    arn = create_machine(sfn, "editor-existing", definition)
    page.goto(machine_url(arn))
    page.click('a.button[href^="/editor/"]')
    page.wait_for_url("**" + editor_url(arn))
    page.wait_for_selector('[data-editor-ready="true"] [data-state="Hold"]')
    assert json.loads(code_text(page)) == definition
    # Insert a Pass on the Hold -> Done edge and change Hold's seconds in the form.
    drag_to_edge(page, "Pass", "Hold", "Done")
    page.wait_for_selector('.g-edge[data-from="Pass"][data-to="Done"]', state='attached')
    page.click('[data-state="Hold"]')
    page.fill('[data-form-state="Hold"] input[name="Seconds"]', "3")
    page.press('[data-form-state="Hold"] input[name="Seconds"]', "Enter")
    page.wait_for_selector("[data-dirty]")
    page.click('[data-action="save"]')
    page.wait_for_selector("[data-dirty]", state="detached")
    saved = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    assert saved["States"]["Hold"] == {"Type": "Wait", "Seconds": 3, "Next": "Pass"}
    assert saved["States"]["Pass"] == {"Type": "Pass", "Next": "Done"}
    assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == []
    # Publish a version of what is saved.
    page.fill('input[name="versionDescription"]', "three seconds")
    page.click('[data-action="publish"]')
    page.wait_for_selector("[data-save-note]:has-text('published')")
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert len(versions) == 1
    described = sfn.describe_state_machine(stateMachineArn=versions[0]["stateMachineVersionArn"])
    assert json.loads(described["definition"]) == saved
    assert described["description"] == "three seconds"


def test_test_state_with_and_without_a_mock(page: Any) -> None:
    open_editor(page)
    definition = {"StartAt": "Shape", "States": {
        "Shape": {"Type": "Pass", "Parameters": {"total.$": "$.amount"}, "ResultPath": "$.shaped",
                  "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": fn_arn("charge"), "ResultSelector": {"id.$": "$.receipt"},
                   "ResultPath": "$.payment", "End": True}}}
    page.set_input_files('input[name="import"]', files=[{
        "name": "test.json", "mimeType": "application/json",
        "buffer": json.dumps(definition).encode()}])
    page.wait_for_selector('[data-state="Charge"]')
    # A Pass state, run for real on an input: each stage of its data processing shown.
    page.click('[data-state="Shape"]')
    page.click('[data-tab="test"]')
    page.fill('textarea[name="test-input"]', '{"amount": 42}')
    page.click('[data-action="test-state"]')
    page.wait_for_selector('[data-test-status="SUCCEEDED"]')
    assert page.inner_text("[data-next-state]") == "Charge"
    after_parameters = page.inner_text('[data-stage="afterParameters"] pre')
    assert json.loads(after_parameters) == {"total": 42}
    output = json.loads(page.inner_text('[data-stage="output-answer"] pre'))
    assert output == {"amount": 42, "shaped": {"total": 42}}
    # The Task against a mocked result (the function is not called).
    page.click('[data-state="Charge"]')
    page.click('[data-tab="test"]')
    page.fill('textarea[name="test-input"]', '{"amount": 7}')
    page.check('input[name="mock"]')
    page.fill('textarea[name="mock-result"]', '{"receipt": "r-1"}')
    page.click('[data-action="test-state"]')
    page.wait_for_selector('[data-test-status="SUCCEEDED"]')
    assert json.loads(page.inner_text('[data-stage="afterResultSelector"] pre')) == {"id": "r-1"}
    output = json.loads(page.inner_text('[data-stage="output-answer"] pre'))
    assert output == {"amount": 7, "payment": {"id": "r-1"}}
    # A mocked error: the state fails with it.
    page.check('input[name="mock-kind"] >> nth=1')
    page.fill('input[name="mock-error"]', "Card.Declined")
    page.click('[data-action="test-state"]')
    page.wait_for_selector('[data-test-status="FAILED"]')
    assert "Card.Declined" in page.inner_text("[data-test-error]")


def test_code_view_hints_and_state_form_fields(page: Any) -> None:
    open_editor(page)
    page.click('[data-palette="Map"]')
    page.wait_for_selector('[data-state="Process item"]')
    # The Map's processor is a scope: a drop onto it appends there.
    settled(page)
    box = page.locator('[data-state="Map"] > rect').bounding_box()
    page.drag_and_drop('[data-palette="Fail"]', '[data-state="Map"] > rect',
                       target_position={"x": 5, "y": box["height"] - 5})
    page.wait_for_selector('[data-state="Fail"]')
    processor = json.loads(code_text(page))["States"]["Map"]["ItemProcessor"]
    assert processor["States"]["Process item"] == {"Type": "Pass", "Next": "Fail"}
    # Retry and Catch lists in the form (a click on the background clears the selection,
    # so the palette's click adds at the end of the workflow, after the Map).
    page.click(".graph-canvas", position={"x": 5, "y": 5})
    page.click('[data-palette="Lambda"]')
    page.wait_for_selector('[data-state="Lambda Invoke"]')
    page.click('[data-state="Lambda Invoke"]')
    page.click('[data-form-state="Lambda Invoke"] [data-action="add-retrier"]')
    page.fill('input[name="Retry[0].MaxAttempts"]', "5")
    page.press('input[name="Retry[0].MaxAttempts"]', "Enter")
    page.click('[data-form-state="Lambda Invoke"] [data-action="add-catcher"]')
    page.select_option('select[name="Catch[0].Next"]', "Map")
    page.wait_for_selector('.g-edge.kind-catch[data-from="Lambda Invoke"][data-to="Map"]', state='attached')
    task = json.loads(code_text(page))["States"]["Lambda Invoke"]
    assert task["Retry"] == [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1,
                              "MaxAttempts": 5, "BackoffRate": 2}]
    assert task["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "Map"}]
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    # The code view completes the fields of a Wait state from its Type.
    page.click('[data-palette="Wait"]')
    page.wait_for_selector('[data-state="Wait"]')
    line = page.locator('.code-box .cm-line', has_text='"Seconds": 5')
    line.click()
    page.keyboard.press("End")
    page.keyboard.type(',\n"Sec')
    page.keyboard.press("Control+Space")
    options = page.locator(".cm-tooltip-autocomplete li")
    options.first.wait_for()
    labels = options.all_inner_texts()
    assert any("SecondsPath" in label for label in labels), labels
    assert not any("Resource" in label for label in labels), labels


def test_jsonata_templates_branches_and_the_start_edge(page: Any) -> None:
    open_editor(page)
    # The workflow's own form (nothing selected): JSONata for every state.
    page.select_option('[data-form-state=""] select[name="QueryLanguage"]', "JSONata")
    page.click('[data-palette="Parallel"]')
    page.wait_for_selector('[data-state="Branch B"]')
    # Onto the Start edge: the new state becomes StartAt and leads to the old one.
    drag_to_edge(page, "SQS", "__start__", "Parallel")
    page.wait_for_selector('.g-edge[data-from="SQS SendMessage"][data-to="Parallel"]', state="attached")
    # Onto the second branch's box: appended there, after Branch B.
    settled(page)
    box = page.locator('[data-branch="Parallel#1"] > rect').bounding_box()
    page.drag_and_drop('[data-palette="Wait"]', '[data-branch="Parallel#1"] > rect',
                       target_position={"x": 4, "y": box["height"] - 4})
    page.wait_for_selector('.g-edge[data-from="Branch B"][data-to="Wait"]', state="attached")
    definition = json.loads(code_text(page))
    assert definition["QueryLanguage"] == "JSONata"
    assert definition["StartAt"] == "SQS SendMessage"
    sqs = definition["States"]["SQS SendMessage"]
    assert sqs["Resource"] == "arn:aws:states:::sqs:sendMessage"
    assert sqs["Arguments"]["MessageBody"] == "{% $states.input %}" and "Parameters" not in sqs
    assert sqs["Next"] == "Parallel"
    branch = definition["States"]["Parallel"]["Branches"][1]
    assert branch["States"]["Branch B"] == {"Type": "Pass", "Next": "Wait"}
    assert branch["States"]["Wait"] == {"Type": "Wait", "Seconds": 5, "End": True}
    validation(page, "ok")
    # The form of a JSONata state offers Arguments and Output, not Parameters.
    page.click('[data-state="SQS SendMessage"]')
    assert page.locator('[data-form-state="SQS SendMessage"] [data-field="Arguments"]').count() == 1
    assert page.locator('[data-form-state="SQS SendMessage"] [data-field="Parameters"]').count() == 0
    # Delete (outside text fields) removes the selected state and re-links its way in.
    page.click("h1")
    page.keyboard.press("Delete")
    page.wait_for_selector('[data-state="SQS SendMessage"]', state="detached")
    assert json.loads(code_text(page))["StartAt"] == "Parallel"


def test_editor_screenshot(page: Any, sfn: Any, tmp_path: Path) -> None:
    """A screenshot of the editor for the docs (into $STEPFN_UI_SCREENSHOTS when set)."""
    target = os.environ.get("STEPFN_UI_SCREENSHOTS")
    folder = Path(target) if target else tmp_path
    definition = {
        "Comment": "Charges an order, retried, with a refund when the card is declined",
        "StartAt": "Check order",
        "States": {
            "Check order": {"Type": "Choice", "Choices": [
                {"Variable": "$.amount", "NumericGreaterThan": 0, "Next": "Charge card"}],
                "Default": "Rejected"},
            "Charge card": {"Type": "Task", "Resource": fn_arn("charge"), "ResultPath": "$.payment",
                            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
                            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}],
                            "Next": "Notify"},
            "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                       "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:orders",
                                      "Message.$": "$"}, "End": True},
            "Refund": {"Type": "Pass", "Next": "Rejected"},
            "Rejected": {"Type": "Fail", "Error": "OrderRejected"},
        }}
    arn = create_machine(sfn, "editor-screenshot", definition)
    open_editor(page, editor_url(arn))
    page.wait_for_selector('[data-state="Notify"]')
    # An unsaved change with a problem: Notify goes to a state that does not exist.
    definition["States"]["Notify"] = {**definition["States"]["Notify"], "Next": "Archive"}
    del definition["States"]["Notify"]["End"]
    page.set_input_files('input[name="import"]', files=[{
        "name": "orders.asl.json", "mimeType": "application/json",
        "buffer": json.dumps(definition).encode()}])
    page.wait_for_selector('[data-state="Notify"].has-error')
    page.click('[data-state="Charge card"]')
    page.wait_for_selector('[data-form-state="Charge card"]')
    path = folder / "editor.png"
    page.screenshot(path=str(path))
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000


def test_unsaved_work_is_kept_and_leaving_asks(page: Any, sfn: Any) -> None:
    definition = {"StartAt": "Hold", "States": {
        "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    arn = create_machine(sfn, "editor-draft", definition)
    open_editor(page, editor_url(arn))
    page.wait_for_selector('[data-state="Hold"]')
    page.click('[data-state="Hold"]')
    page.click('[data-palette="Pass"]')  # after Hold
    page.wait_for_selector('.g-edge[data-from="Hold"][data-to="Pass"]', state="attached")
    page.wait_for_selector("[data-dirty]")
    # An in-app link asks first; "stay" keeps the page and the work.
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click('.topbar a[href="/"]')
    assert asked and "unsaved changes" in asked[0]
    assert page.url.endswith(editor_url(arn)) and page.locator('[data-state="Pass"]').count() == 1
    # The browser asks too (reload, close, another site).
    assert page.evaluate("""() => { const e = new Event('beforeunload', {cancelable: true});
        window.dispatchEvent(e); return e.defaultPrevented; }""") is True
    # The work survives a reload: the draft comes back, one undo away from what is saved.
    page.on("dialog", lambda d: d.accept())
    page.reload()
    page.wait_for_selector("[data-restored]")
    page.wait_for_selector('.g-edge[data-from="Pass"][data-to="Done"]', state="attached")
    assert json.loads(code_text(page))["States"]["Hold"]["Next"] == "Pass"
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == definition
    page.click('[data-action="discard-draft"]')
    page.wait_for_selector('[data-state="Pass"]', state="detached")
    page.wait_for_selector("[data-dirty]", state="detached")
    assert page.evaluate("(key) => localStorage.getItem(key)", "stepfn.draft." + arn) is None
    page.reload()
    page.wait_for_selector('[data-editor-ready="true"] [data-state="Hold"]')
    assert page.locator("[data-restored]").count() == 0


def test_catcher_rules_payloads_and_confirmations(page: Any) -> None:
    open_editor(page)
    page.click('[data-palette="Lambda"]')
    page.wait_for_selector('[data-state="Lambda Invoke"]')
    page.click('[data-state="Lambda Invoke"]')
    form = page.locator('[data-form-state="Lambda Invoke"]')
    # Add catcher: no Next by default (the first state would loop): it asks.
    form.locator('[data-action="add-catcher"]').click()
    assert json.loads(code_text(page))["States"]["Lambda Invoke"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"]}]
    assert form.locator('[data-catcher-next="missing"]').is_visible()
    # Or it adds a new Fail state and goes there.
    form.locator('select[name="Catch[0].Next"]').select_option(label="A new Fail state")
    page.wait_for_selector('.g-edge.kind-catch[data-from="Lambda Invoke"][data-to="Lambda Invoke failed"]',
                           state="attached")
    states = json.loads(code_text(page))["States"]
    assert states["Lambda Invoke failed"]["Type"] == "Fail"
    assert states["Lambda Invoke"]["Catch"][0]["Next"] == "Lambda Invoke failed"
    # The payload as a form: each member with its kind, checked as it is typed.
    page.click('[data-state="Lambda Invoke"]')
    payload = page.locator('[data-payload="Parameters"]')
    assert payload.locator('input[name="Parameters[1].key"]').input_value() == "Payload"
    assert payload.locator('select[name="Parameters[1].kind"]').input_value() == "path"
    payload.locator('[data-action="add-member-Parameters"]').click()
    payload.locator('input[name="Parameters[2].key"]').fill("count")
    payload.locator('select[name="Parameters[2].kind"]').select_option("number")
    payload.locator('input[name="Parameters[2].value"]').fill("three")
    payload.locator('input[name="Parameters[2].value"]').press("Tab")
    assert "Not a number" in payload.inner_text()
    assert "count" not in json.loads(code_text(page))["States"]["Lambda Invoke"]["Parameters"]
    payload.locator('input[name="Parameters[2].value"]').fill("3")
    payload.locator('input[name="Parameters[2].value"]').press("Tab")
    page.wait_for_function("() => document.querySelector('.code-box').editorView.state.doc.toString().includes('\"count\": 3')")
    # A Choice rule built in the form: an operator, a value, then And nesting.
    page.click(".graph-canvas", position={"x": 5, "y": 5})
    page.click('[data-palette="Choice"]')
    page.wait_for_selector('[data-state="Choice"]')
    page.click('[data-state="Choice"]')
    rules = page.locator('[data-form-state="Choice"] .choice-rules')
    rules.locator('select[name="Choices[0].operator"]').select_option("NumericGreaterThanEquals")
    rules.locator('input[name="Choices[0].value"]').fill("100")
    rules.locator('input[name="Choices[0].value"]').press("Tab")
    page.wait_for_function("() => document.querySelector('.code-box').editorView.state.doc.toString()"
                           ".includes('\"NumericGreaterThanEquals\": 100')")
    rules.locator('select[name="Choices[0].kind"]').select_option("And")
    rules.locator('[data-action="add-condition"]').click()
    rules.locator('input[name="Choices[0].And[1].Variable"]').fill("$.ok")
    rules.locator('input[name="Choices[0].And[1].Variable"]').press("Tab")
    rules.locator('select[name="Choices[0].And[1].operator"]').select_option("BooleanEquals")
    rules.locator('select[name="Choices[0].Next"]').select_option("Lambda Invoke failed")
    page.wait_for_selector('.g-edge.kind-choice[data-from="Choice"]', state="attached")
    rule = json.loads(code_text(page))["States"]["Choice"]["Choices"][0]
    assert rule == {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 100},
                            {"Variable": "$.ok", "BooleanEquals": True}],
                    "Next": "Lambda Invoke failed"}
    label = page.locator('.g-edge.kind-choice[data-from="Choice"] text').text_content()
    assert label == "$.value >= 100 and $.ok == true"
    check_accessibility(page, "Workflow Studio with a Choice state's form")
    # The canvas is readable and its drop targets easy to hit: state names >= 12 px,
    # each edge's hit line >= 12 px wide on screen.
    sizes = page.evaluate("""() => ({
        label: Math.min(...[...document.querySelectorAll('[data-state] > text.name')].map((t) =>
            parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)),
        hit: Math.min(...[...document.querySelectorAll('.g-edge path.g-hit')].map((p) =>
            parseFloat(getComputedStyle(p).strokeWidth) * p.getScreenCTM().a))})""")
    assert sizes["label"] >= 12 and sizes["hit"] >= 12, sizes
    # Delete asks first.
    page.click('[data-form-state="Choice"] [data-action="delete-state"]')
    assert page.locator('[data-state="Choice"]').count() == 1
    page.click('[data-form-state="Choice"] [data-action="confirm-delete-state"]')
    page.wait_for_selector('[data-state="Choice"]', state="detached")


def test_create_and_publish_controls_lay_out(browser: Any, ui_server: str, sfn: Any) -> None:
    arn = create_machine(sfn, "editor-layout", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    for width in (1280, 1920):
        context = browser.new_context(base_url=ui_server, viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            open_editor(page)
            layout = page.locator(".editor-layout").bounding_box()
            page.click('[data-action="create"]')
            form = page.locator(".save-form")
            form.wait_for()
            # The form opens over the page: nothing below it moves.
            assert page.locator(".editor-layout").bounding_box()["y"] == layout["y"]
            box = form.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            publish = form.locator("label.check").bounding_box()
            assert publish["height"] < 30, publish  # "Publish version 1" on one line
            check_accessibility(page, f"the create form at {width} px")
            open_editor(page, editor_url(arn))
            boxes = [page.locator(sel).bounding_box() for sel in (
                '[data-action="save"]', 'input[name="versionDescription"]', '[data-action="publish"]')]
            middles = [b["y"] + b["height"] / 2 for b in boxes]
            assert max(middles) - min(middles) < 4, (width, boxes)  # one row
            assert all(b["height"] < 40 for b in boxes), boxes  # no label wraps
            assert boxes[2]["x"] + boxes[2]["width"] <= width
        finally:
            context.close()
