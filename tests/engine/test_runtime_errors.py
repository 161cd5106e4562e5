"""Failures inside an execution end as AWS ends them: an AWS error name and cause, the
history closed with the right events, never a Python traceback.

AWS's causes: a path argument of an intrinsic function that matches nothing is
``States.Runtime`` with ``The function '<call>' had the following error: The JsonPath
argument for the field '<path>' could not be found in the input '<input>'``; a Fail
state's ErrorPath/CausePath that matches nothing, ``The JSONPath '<path>' specified for
the field 'ErrorPath' could not be found in the input '<input>'`` (both with AWS's
sentence locating the state).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stepfn.engine.execution import INTERNAL_ERROR_DETAIL
from stepfn.engine.states.pass_ import PassState

from .conftest import assert_failed, lambda_task, machine, runtime_cause, single, types

ROOT = Path(__file__).resolve().parents[2]


def intrinsic_cause(call: str, path: str, doc: str) -> str:
    return (f"The function '{call}' had the following error: The JsonPath argument for "
            f"the field '{path}' could not be found in the input '{doc}'")


@pytest.mark.parametrize("call", [
    "States.Format('{}', $.nope)",
    "States.Array($.a, $.nope)",
    "States.StringToJson($.nope)",
    "States.ArrayLength($.nope)",
    "States.ArrayLength(States.Array($.a, $.nope))",
])
def test_intrinsic_path_argument_missing_in_pass_parameters(engine, call):
    result = engine.run(single({"Type": "Pass", "Parameters": {"v.$": call}}), {"a": 1})
    assert_failed(result, "States.Runtime",
                  runtime_cause("S", 2, intrinsic_cause(call, "$.nope", '{"a":1}')))
    assert types(result) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


def test_intrinsic_context_path_argument_quotes_the_context_object(engine):
    call = "States.Format('{}', $$.Map.Item.Value)"
    result = engine.run(single({"Type": "Pass", "Parameters": {"v.$": call}}), {})
    assert result.error == "States.Runtime"
    assert "The JsonPath argument for the field '$$.Map.Item.Value' could not be found in " \
           "the input '{\"Execution\":" in result.cause


@pytest.mark.parametrize("field", ["Parameters", "ResultSelector", "Assign"])
def test_intrinsic_path_argument_missing_in_task_templates(engine, field):
    engine.register_function("echo", lambda event: event)
    call = "States.Format('{}', $.nope)"
    result = engine.run(single(lambda_task("echo", **{field: {"v.$": call}})), {"a": 1})
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert result.cause.startswith(
        "An error occurred while executing the state 'S' (entered at the event id #2). "
        f"The function '{call}' had the following error: The JsonPath argument for the "
        "field '$.nope' could not be found in the input '")
    assert types(result)[-1] == "ExecutionFailed"


def test_intrinsic_path_argument_missing_in_map_item_selector(engine):
    call = "States.Format('{}', $.nope)"
    definition = single({
        "Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": call},
        "ItemProcessor": machine({"P": {"Type": "Pass", "End": True}})})
    result = engine.run(definition, {"items": [1]})
    assert_failed(result, "States.Runtime", runtime_cause(
        "S", 2, intrinsic_cause(call, "$.nope", '{"items":[1]}')))


def test_cli_reports_a_missing_intrinsic_argument_as_aws_does(tmp_path):
    # The README's demo once summed $.priced[0] and $.priced[1]: a one-line order printed
    # a traceback. The same shape now fails as AWS fails it, through `stepfn run`.
    call = "States.MathAdd($.priced[0].amount, $.priced[1].amount)"
    definition = tmp_path / "sum.asl.json"
    definition.write_text(json.dumps({"StartAt": "Summarise", "States": {"Summarise": {
        "Type": "Pass", "Parameters": {"total.$": call}, "End": True}}}))
    proc = subprocess.run(
        [sys.executable, "-m", "stepfn.cli", "run", str(definition),
         "--input", '{"priced":[{"amount":45}]}', "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["status"] == "FAILED" and out["error"] == "States.Runtime"
    assert out["cause"] == (
        "An error occurred while executing the state 'Summarise' (entered at the event id #2)"
        f". The function '{call}' had the following error: The JsonPath argument for the "
        "field '$.priced[1].amount' could not be found in the input "
        '\'{"priced":[{"amount":45}]}\'')
    assert out["events"][-1]["type"] == "ExecutionFailed"


def test_fail_error_path_that_matches_nothing(engine):
    result = engine.run(single({"Type": "Fail", "ErrorPath": "$.ErrorX", "CausePath": "$.c"}),
                        {"c": "x"})
    assert_failed(result, "States.Runtime", runtime_cause(
        "S", 2, "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be "
        "found in the input '{\"c\":\"x\"}'"))


def _raise_in_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every Pass state hit a bug: an unexpected Python exception."""
    def broken(self, frame, raw_input):
        self.record_entered(frame, raw_input)
        raise KeyError("bug")
    monkeypatch.setattr(PassState, "execute_sync", broken)


def test_an_unexpected_exception_ends_the_execution_as_states_runtime(engine, monkeypatch):
    _raise_in_pass(monkeypatch)
    result = engine.run(single({"Type": "Pass"}), {})
    assert_failed(result, "States.Runtime", runtime_cause("S", 2, INTERNAL_ERROR_DETAIL))
    assert types(result) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]
    assert result.events[-1].details == {"error": "States.Runtime", "cause": result.cause}


def test_an_unexpected_exception_in_a_map_iteration_closes_the_map(engine, monkeypatch):
    _raise_in_pass(monkeypatch)
    definition = single({"Type": "Map", "ItemsPath": "$.items",
                         "ItemProcessor": machine({"P": {"Type": "Pass", "End": True}})})
    result = engine.run(definition, {"items": [1]})
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert result.cause == runtime_cause("P", 5, INTERNAL_ERROR_DETAIL)
    # The iteration is closed; a States.Runtime error then ends the execution at once,
    # as for any runtime error raised in an iteration.
    assert types(result) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted",
                             "MapIterationStarted", "PassStateEntered", "MapIterationFailed",
                             "ExecutionFailed"]


def test_cli_prints_no_traceback_for_a_failed_execution(tmp_path):
    definition = tmp_path / "m.json"
    definition.write_text(json.dumps(single({"Type": "Pass", "Parameters": {
        "v.$": "States.ArrayLength($.nope)"}})))
    proc = subprocess.run([sys.executable, "-m", "stepfn.cli", "run", str(definition)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0] == "FAILED: States.Runtime"


def test_cli_reports_a_missing_definition_file_without_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "stepfn.cli", "run",
                           str(tmp_path / "absent.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "absent.json" in proc.stderr


# -- found by the property tests -------------------------------------------------------
def test_output_path_into_a_variable_that_lacks_it(engine):
    definition = machine({
        "A": {"Type": "Pass", "Assign": {"v": None}, "Next": "B"},
        "B": {"Type": "Pass", "OutputPath": "$v.a", "End": True}})
    result = engine.run(definition, {})
    assert_failed(result, "States.Runtime", runtime_cause(
        "B", 4, "Invalid path '$v.a' : Missing property in path $['a']"))


def test_a_map_aborted_by_a_failing_sibling_branch_aborts_its_iterations(engine):
    # Branch 0 fails at once; branch 1's Map has an iteration waiting when it is aborted.
    definition = single({"Type": "Parallel", "Branches": [
        machine({"Boom": {"Type": "Fail", "Error": "E"}}),
        machine({"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                       "ItemProcessor": machine({"W": {"Type": "Wait", "Seconds": 5,
                                                       "End": True}})}})]})
    result = engine.run(definition, {"items": [1]})
    assert_failed(result, "E")
    aborted = [e.type for e in result.events if e.thread.startswith("/3.1")]
    assert aborted[-2:] == ["MapIterationAborted", "MapStateAborted"]
