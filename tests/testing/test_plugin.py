"""stepfn's pytest plugin, run through pytest's own ``pytester``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"
MOCKDATA = Path(__file__).parents[1] / "tasks" / "mockdata"


def readme_snippet() -> str:
    """The README's test module (the code block after the readme-test marker)."""
    text = README.read_text()
    match = re.search(r"<!-- readme-test: test_order.py -->\n```python\n(.*?)```", text,
                      re.S)
    assert match, "the README lost its testing example"
    return match.group(1)


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_order=readme_snippet())
    result = pytester.runpytest("-p", "no:cacheprovider", "--stepfn-cov")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*stepfn workflow coverage*",
                                 "order: 6/6 items covered (100%) by 2 execution(s)"])


def test_an_untested_choice_rule_is_reported(pytester: pytest.Pytester,
                                             tmp_path: Path) -> None:
    # Only the declined-card test: the Choice rule to Review is never taken.
    snippet = readme_snippet()
    snippet = snippet[:snippet.index("def test_big_orders")] + snippet[
        snippet.index("def test_a_declined"):]
    pytester.makepyfile(test_order=snippet)
    out = tmp_path / "cov.json"
    html_dir = tmp_path / "html"
    result = pytester.runpytest("-p", "no:cacheprovider", "--stepfn-cov",
                                f"--stepfn-cov-json={out}", f"--stepfn-cov-html={html_dir}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "order: 4/6 items covered (67%) by 1 execution(s)",
        "    not covered: Choice /States/Check/Choices[0] -> Review",
        "    not covered: State /States/Review"])
    report = json.loads(out.read_text())["definitions"][0]
    uncovered = {(i["kind"], i["location"]) for i in report["items"] if not i["covered"]}
    assert uncovered == {("State", "/States/Review"),
                         ("Choice", "/States/Check/Choices[0]")}
    assert "/States/Check/Choices[0]" in (html_dir / "index.html").read_text()


def test_catch_retry_parallel_and_map_coverage(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_flow='''
        FLOW = {"StartAt": "Fan", "States": {
            "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]},
            "Each": {"Type": "Map", "ItemsPath": "$[0].items", "Next": "Call",
                     "ItemProcessor": {"StartAt": "Item", "States": {
                         "Item": {"Type": "Pass", "End": True}}}},
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Retry": [{"ErrorEquals": ["Nope"], "MaxAttempts": 1},
                               {"ErrorEquals": ["Busy"], "MaxAttempts": 1}],
                     "Catch": [{"ErrorEquals": ["Other"], "Next": "Done"},
                               {"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                     "End": True},
            "Done": {"Type": "Pass", "End": True}}}

        def test_flow(workflow):
            workflow.mock("Call", throws="Busy")
            run = workflow.run(FLOW, {"items": [1, 2]}, machine_name="flow")
            assert run.succeeded
            assert run.path.count("Item") == 2
            assert run.call_count("Call") == 2
    ''')
    out = pytester.path / "cov.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--stepfn-cov-json={out}")
    result.assert_outcomes(passed=1)
    items = json.loads(out.read_text())["definitions"][0]["items"]
    covered = {(i["kind"], i["location"]): i["covered"] for i in items}
    assert covered[("Branch", "/States/Fan/Branches[0]")]
    assert covered[("Branch", "/States/Fan/Branches[1]")]
    assert covered[("ItemProcessor", "/States/Each/ItemProcessor")]
    assert covered[("Retry", "/States/Call/Retry[1]")]
    assert not covered[("Retry", "/States/Call/Retry[0]")]
    assert covered[("Catch", "/States/Call/Catch[1]")]
    assert not covered[("Catch", "/States/Call/Catch[0]")]


def test_mock_config_and_local_functions_through_the_fixture(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_cfg=f'''
        DEFINITION = {str(MOCKDATA / "LambdaSQSIntegration.json")!r}
        CONFIG = {str(MOCKDATA / "MockConfigFile.json")!r}

        def test_retry_path(workflow):
            workflow.use_mock_config(CONFIG)
            run = workflow.run(DEFINITION, {{}}, test_case="RetryPath")
            assert run.succeeded
            assert run.call_count("LambdaState") == 4

        def test_hybrid_path_calls_the_function(workflow):
            calls = []

            @workflow.function("HelloWorldFunction")
            def hello(event):
                calls.append(event)
                return {{"body": "local"}}

            workflow.use_mock_config(CONFIG)
            run = workflow.run(DEFINITION, {{"who": "me"}}, test_case="HybridPath")
            assert calls == [{{"who": "me"}}]
            assert run.state("LambdaState").output["Payload"] == {{"body": "local"}}
            assert run.output["MessageId"].startswith("3bcb6e8e")

        def test_mock_by_resource(workflow):
            workflow.mock_resource("arn:aws:states:::lambda:invoke",
                                   side_effect=lambda params: {{"Payload": {{"body": "x"}}}})
            workflow.mock("SQSState", returns={{"MessageId": "m"}})
            run = workflow.run(DEFINITION, {{}})
            assert run.output == {{"MessageId": "m"}}
            assert run.calls("SQSState")[0]["MessageBody"] == "x"
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def _coverage_of(pytester: pytest.Pytester, module: str,
                 name: str = "flow") -> dict[tuple[str, str], int]:
    """Run ``module`` with ``--stepfn-cov-json``; the hits of every item of definition
    ``name`` by (kind, location)."""
    pytester.makepyfile(test_flow=module)
    out = pytester.path / "cov.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--stepfn-cov-json={out}")
    result.assert_outcomes(passed=1)
    report, = [d for d in json.loads(out.read_text())["definitions"] if d["name"] == name]
    return {(i["kind"], i["location"]): i["hits"] for i in report["items"]}


def test_map_and_parallel_retries_and_catches_are_credited(
        pytester: pytest.Pytester) -> None:
    hits = _coverage_of(pytester, '''
        def task(name, **more):
            return {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", **more}

        FLOW = {"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "ItemsPath": "$.items", "Next": "Fan",
                     "Retry": [{"ErrorEquals": ["Other"]},
                               {"ErrorEquals": ["Boom"], "MaxAttempts": 2}],
                     "Catch": [{"ErrorEquals": ["Other"], "Next": "Fan"},
                               {"ErrorEquals": ["Boom"], "Next": "Fan"}],
                     "ItemProcessor": {"StartAt": "T", "States": {
                         "T": task("T", End=True)}}},
            "Fan": {"Type": "Parallel", "End": True,
                    "Retry": [{"ErrorEquals": ["Broke"], "MaxAttempts": 1},
                              {"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                    "Catch": [{"ErrorEquals": ["Broke"], "Next": "Done"}],
                    "Branches": [{"StartAt": "F", "States": {
                        "F": {"Type": "Fail", "Error": "Broke"}}}]},
            "Done": {"Type": "Pass", "End": True}}}

        def test_flow(workflow):
            workflow.mock("T", throws="Boom")
            run = workflow.run(FLOW, {"items": [1]}, machine_name="flow")
            assert run.succeeded
            assert run.path.count("T") == 3 and run.path.count("F") == 2
    ''')
    assert hits[("Retry", "/States/Each/Retry[0]")] == 0
    assert hits[("Retry", "/States/Each/Retry[1]")] == 2
    assert hits[("Catch", "/States/Each/Catch[0]")] == 0
    assert hits[("Catch", "/States/Each/Catch[1]")] == 1
    assert hits[("Retry", "/States/Fan/Retry[0]")] == 1
    assert hits[("Retry", "/States/Fan/Retry[1]")] == 0
    assert hits[("Catch", "/States/Fan/Catch[0]")] == 1


def test_distributed_map_children_are_counted(pytester: pytest.Pytester) -> None:
    hits = _coverage_of(pytester, '''
        FLOW = {"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                     "ItemProcessor": {
                         "ProcessorConfig": {"Mode": "DISTRIBUTED",
                                             "ExecutionType": "STANDARD"},
                         "StartAt": "Big", "States": {
                             "Big": {"Type": "Choice", "Default": "Small",
                                     "Choices": [{"Variable": "$", "NumericGreaterThan": 5,
                                                  "Next": "Large"}]},
                             "Large": {"Type": "Pass", "End": True},
                             "Small": {"Type": "Pass", "End": True}}}}}}

        def test_flow(workflow):
            run = workflow.run(FLOW, {"items": [1, 2, 9]}, machine_name="flow")
            assert run.succeeded and run.output == [1, 2, 9]
    ''')
    assert hits[("State", "/States/Each/ItemProcessor/States/Big")] == 3
    assert hits[("Choice", "/States/Each/ItemProcessor/States/Big/Choices[0]")] == 1
    assert hits[("Default", "/States/Each/ItemProcessor/States/Big/Default")] == 2
    assert hits[("State", "/States/Each/ItemProcessor/States/Small")] == 2


def test_the_choice_rule_that_matched_is_credited(pytester: pytest.Pytester) -> None:
    # Both rules and the Default lead to Ship; only the second rule matches.
    hits = _coverage_of(pytester, '''
        FLOW = {"StartAt": "Route", "States": {
            "Route": {"Type": "Choice", "Default": "Ship", "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 100, "Next": "Ship"},
                {"Variable": "$.n", "NumericLessThan": 0, "Next": "Ship"}]},
            "Ship": {"Type": "Pass", "End": True}}}
        JSONATA = {"QueryLanguage": "JSONata", "StartAt": "Route", "States": {
            "Route": {"Type": "Choice", "Default": "Ship", "Choices": [
                {"Condition": "{% $states.input.n > 100 %}", "Next": "Ship"},
                {"Condition": "{% $states.input.n < 0 %}", "Next": "Ship"}]},
            "Ship": {"Type": "Pass", "End": True}}}

        def test_flow(workflow):
            assert workflow.run(FLOW, {"n": -1}, machine_name="flow").succeeded
            assert workflow.run(JSONATA, {"n": 3}, machine_name="jsonata").succeeded
    ''')
    assert hits[("Choice", "/States/Route/Choices[0]")] == 0
    assert hits[("Choice", "/States/Route/Choices[1]")] == 1
    assert hits[("Default", "/States/Route/Default")] == 0
    jsonata = json.loads((pytester.path / "cov.json").read_text())["definitions"][1]
    assert jsonata["name"] == "jsonata"
    assert {(i["kind"], i["hits"]) for i in jsonata["items"] if i["kind"] != "State"} == {
        ("Choice", 0), ("Default", 1)}
