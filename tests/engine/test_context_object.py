"""The context object ($$): Execution, State, StateMachine and Map nodes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from stepfn import Engine

from .conftest import ACCOUNT, REGION, assert_succeeded, first, machine, single

_ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _iso_millis(epoch: float) -> str:
    dt = datetime.fromtimestamp(epoch, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _close(text: str, epoch: float, tolerance: float = 0.01) -> bool:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    return abs(parsed - epoch) <= tolerance


def test_whole_context_object_shape_in_a_pass_state(engine):
    # AWS recording context_object/test_input_path ("InputPath": "$$").
    definition = single({"Type": "Pass", "InputPath": "$$"}, name="TestState")
    result = engine.run(definition, {"input-value": 0}, name="exec-1", machine_name="MyMachine")
    assert result.status == "SUCCEEDED"
    ctx = result.output
    assert set(ctx) == {"Execution", "StateMachine", "State"}
    execution = ctx["Execution"]
    assert execution == {
        "Id": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:MyMachine:exec-1",
        "Input": {"input-value": 0},
        "StartTime": execution["StartTime"],
        "Name": "exec-1",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/stepfn",
        "RedriveCount": 0,
    }
    assert ctx["StateMachine"] == {
        "Id": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:MyMachine", "Name": "MyMachine"}
    assert ctx["State"]["Name"] == "TestState"
    assert set(ctx["State"]) == {"Name", "EnteredTime"}
    assert _ISO_MILLIS.match(execution["StartTime"])
    assert _ISO_MILLIS.match(ctx["State"]["EnteredTime"])


def test_execution_start_time_is_the_execution_started_event_time(engine):
    result = engine.run(single({"Type": "Pass", "Parameters": {"t.$": "$$.Execution.StartTime"}}),
                        {})
    started = first(result, "ExecutionStarted").timestamp
    assert _close(result.output["t"], started)


def test_execution_input_is_the_original_input_later_on(engine):
    definition = machine({
        "Replace": {"Type": "Pass", "Result": {"replaced": True}, "Next": "Read"},
        "Read": {"Type": "Pass", "Parameters": {"current.$": "$", "original.$":
                                                "$$.Execution.Input"}, "End": True},
    })
    assert_succeeded(engine.run(definition, {"v": 1}),
                     {"current": {"replaced": True}, "original": {"v": 1}})


def test_output_path_from_context(engine):
    # AWS recording context_object/test_output_path.
    definition = single({"Type": "Pass", "OutputPath": "$$.Execution.Input"})
    assert_succeeded(engine.run(definition, {"input-value": 0}), {"input-value": 0})


def test_role_arn_comes_from_the_engine():
    engine = Engine(time_skipping=True, role_arn="arn:aws:iam::123456789012:role/custom")
    definition = single({"Type": "Pass", "Parameters": {"role.$": "$$.Execution.RoleArn"}})
    assert_succeeded(engine.run(definition, {}), {"role": "arn:aws:iam::123456789012:role/custom"})


def test_state_name_and_entered_time_follow_each_state(engine):
    definition = machine({
        "First": {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name",
                                                 "at.$": "$$.State.EnteredTime"},
                  "ResultPath": "$.first", "Next": "Later"},
        "Later": {"Type": "Wait", "Seconds": 7200, "Next": "Second"},
        "Second": {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name",
                                                  "at.$": "$$.State.EnteredTime"},
                   "ResultPath": "$.second", "End": True},
    })
    result = engine.run(definition, {})
    assert result.status == "SUCCEEDED"
    out = result.output
    assert out["first"]["name"] == "First" and out["second"]["name"] == "Second"
    entered = {e.details["name"]: e.timestamp for e in result.events
               if e.type == "PassStateEntered"}
    # EnteredTime is the time of the state's Entered event, on the execution's clock
    # (two virtual hours after the first state here).
    assert _close(out["first"]["at"], entered["First"])
    assert _close(out["second"]["at"], entered["Second"])


def test_context_inside_map_iterations(engine):
    definition = single({
        "Type": "Map", "MaxConcurrency": 1,
        "ItemSelector": {"i.$": "$$.Map.Item.Index"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Inner", "States": {
            "Inner": {"Type": "Pass", "Parameters": {
                "i.$": "$.i", "state.$": "$$.State.Name", "exec.$": "$$.Execution.Name",
                "machine.$": "$$.StateMachine.Name"}, "End": True}}}})
    result = engine.run(definition, ["a", "b"], name="run-9")
    assert_succeeded(result, [
        {"i": 0, "state": "Inner", "exec": "run-9", "machine": "stepfn"},
        {"i": 1, "state": "Inner", "exec": "run-9", "machine": "stepfn"}])


def test_context_inside_parallel_branches(engine):
    definition = single({"Type": "Parallel", "Branches": [
        {"StartAt": f"B{i}", "States": {f"B{i}": {
            "Type": "Pass", "Parameters": {"state.$": "$$.State.Name",
                                           "input.$": "$$.Execution.Input"}, "End": True}}}
        for i in range(2)]})
    assert_succeeded(engine.run(definition, {"k": 1}), [
        {"state": "B0", "input": {"k": 1}}, {"state": "B1", "input": {"k": 1}}])


def test_choice_variable_reads_context(engine):
    definition = machine({
        "Pick": {"Type": "Choice", "Choices": [
            {"Variable": "$$.Execution.Name", "StringEquals": "special", "Next": "Special"}],
            "Default": "Plain"},
        "Special": {"Type": "Pass", "Result": "special", "End": True},
        "Plain": {"Type": "Pass", "Result": "plain", "End": True},
    })
    assert_succeeded(engine.run(definition, {}, name="special"), "special")
    assert_succeeded(engine.run(definition, {}, name="other"), "plain")
