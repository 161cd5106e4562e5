"""Map (inline and distributed): items, item selection, concurrency, failures."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import (
    assert_failed,
    assert_succeeded,
    first,
    lambda_task,
    machine,
    runtime_cause,
    single,
    types,
)


def _processor(states: dict, start: str | None = None, mode: str = "INLINE") -> dict:
    return {"ProcessorConfig": {"Mode": mode}, "StartAt": start or next(iter(states)),
            "States": states}


_ECHO = _processor({"Echo": {"Type": "Pass", "End": True}})


def test_items_path_selects_the_array(engine):
    definition = single({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": _ECHO})
    assert_succeeded(engine.run(definition, {"items": [1, "two", {"3": 3}], "other": 0}),
                     [1, "two", {"3": 3}])


def test_empty_array_gives_empty_result(engine):
    definition = single({"Type": "Map", "ItemProcessor": _ECHO})
    result = engine.run(definition, [])
    assert_succeeded(result, [])
    assert first(result, "MapStateStarted").details == {"length": 0}


def test_item_selector_with_index_value_and_input(engine):
    definition = single({
        "Type": "Map", "ItemsPath": "$.items",
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value",
                         "label.$": "$.label", "constant": "c"},
        "ItemProcessor": _ECHO})
    result = engine.run(definition, {"items": ["a", "b"], "label": "L"})
    assert_succeeded(result, [
        {"index": 0, "value": "a", "label": "L", "constant": "c"},
        {"index": 1, "value": "b", "label": "L", "constant": "c"}])


def test_legacy_parameters_and_iterator(engine):
    definition = single({
        "Type": "Map", "MaxConcurrency": 1,
        "Parameters": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
        "Iterator": {"StartAt": "Inner", "States": {
            "Inner": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.v, $.v)",
                                                     "i.$": "$.i"}, "End": True}}}})
    assert_succeeded(engine.run(definition, [5, 7]), [{"doubled": 10, "i": 0},
                                                      {"doubled": 14, "i": 1}])


def test_map_state_from_aws_legacy_inline_recording(engine):
    # AWS recording scenarios_map/test_map_state_legacy_config_inline.
    definition = machine({
        "MapState": {"Type": "Map", "MaxConcurrency": 1, "Iterator": {
            "StartAt": "IteratorInner",
            "States": {"IteratorInner": {"Type": "Pass", "End": True}},
            "ProcessorConfig": {"Mode": "INLINE"}}, "Next": "Finish"},
        "Finish": {"Type": "Succeed"},
    })
    result = engine.run(definition, ["Hello", "World"])
    assert_succeeded(result, ["Hello", "World"])
    assert [(e.id, e.previous_event_id, e.type) for e in result.events] == [
        (1, 0, "ExecutionStarted"), (2, 0, "MapStateEntered"), (3, 2, "MapStateStarted"),
        (4, 3, "MapIterationStarted"), (5, 4, "PassStateEntered"), (6, 5, "PassStateExited"),
        (7, 6, "MapIterationSucceeded"), (8, 6, "MapIterationStarted"),
        (9, 8, "PassStateEntered"), (10, 9, "PassStateExited"),
        (11, 10, "MapIterationSucceeded"), (12, 11, "MapStateSucceeded"),
        (13, 11, "MapStateExited"), (14, 13, "SucceedStateEntered"),
        (15, 14, "SucceedStateExited"), (16, 15, "ExecutionSucceeded")]
    assert first(result, "MapIterationStarted").details == {"index": 0, "name": "MapState"}


def _register_jittery(engine, log: list[int]):
    """A function whose later items finish first; logs how many run at once."""
    running = [0]

    async def jittery(event):
        running[0] += 1
        log.append(running[0])
        await asyncio.sleep(0.002 * (6 - event))
        running[0] -= 1
        return event * 10

    engine.register_function("jittery", jittery)


def test_max_concurrency_one_and_unbounded_give_same_ordered_results(engine):
    log: list[int] = []
    _register_jittery(engine, log)
    outputs = []
    for limit in (1, 0):
        definition = single({"Type": "Map", "MaxConcurrency": limit, "ItemProcessor":
                             _processor({"Call": lambda_task("jittery", End=True)})})
        result = engine.run(definition, [1, 2, 3, 4, 5])
        outputs.append(result.output)
        assert_succeeded(result, [10, 20, 30, 40, 50])
        if limit == 1:
            assert max(log) == 1
            log.clear()
    assert outputs[0] == outputs[1]
    assert max(log) > 1  # unbounded: iterations overlapped


def test_max_concurrency_path_limits_iterations_in_flight(engine):
    log: list[int] = []
    _register_jittery(engine, log)
    definition = single({"Type": "Map", "ItemsPath": "$.items", "MaxConcurrencyPath": "$.limit",
                         "ItemProcessor": _processor({"Call": lambda_task("jittery", End=True)})})
    result = engine.run(definition, {"items": [1, 2, 3, 4, 5], "limit": 2})
    assert_succeeded(result, [10, 20, 30, 40, 50])
    assert max(log) == 2


def test_items_path_to_neither_array_nor_object_is_runtime_error(engine):
    definition = single({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": _ECHO},
                        name="MapState")
    result = engine.run(definition, {"items": "not an array"})
    assert_failed(result, "States.Runtime")
    assert result.cause.startswith(runtime_cause("MapState", 2, ""))


# input-output-itemspath: "If the input to the Map state is a JSON object, it runs an
# iteration for each key-value pair in the object, passing the pair to the iteration as
# input".
@pytest.mark.parametrize("mode", ["INLINE", "DISTRIBUTED"])
def test_items_path_to_an_object_iterates_over_its_pairs(engine, mode):
    processor = {**_ECHO, "ProcessorConfig": {"Mode": mode, "ExecutionType": "STANDARD"}}
    definition = single({"Type": "Map", "ItemsPath": "$.servers.web",
                         "ItemProcessor": processor}, name="MapState")
    servers = {"servers": {"web": {"server1": {"port": 80}, "server2": {"port": 8080}}}}
    result = engine.run(definition, servers)
    assert_succeeded(result, [{"Key": "server1", "Value": {"port": 80}},
                              {"Key": "server2", "Value": {"port": 8080}}])
    if mode == "INLINE":
        assert first(result, "MapStateStarted").details == {"length": 2}
    definition["States"]["MapState"]["ItemSelector"] = {
        "name.$": "$$.Map.Item.Key", "port.$": "$$.Map.Item.Value.port",
        "at.$": "$$.Map.Item.Index"}
    result = engine.run(definition, servers)
    assert_succeeded(result, [{"name": "server1", "port": 80, "at": 0},
                              {"name": "server2", "port": 8080, "at": 1}])


def test_an_empty_object_runs_no_iteration(engine):
    definition = single({"Type": "Map", "ItemProcessor": _ECHO}, name="MapState")
    assert_succeeded(engine.run(definition, {}), [])


def test_items_path_missing_is_runtime_error(engine):
    definition = single({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": _ECHO},
                        name="MapState")
    result = engine.run(definition, {"other": []})
    assert_failed(result, "States.Runtime")
    assert result.cause.startswith(runtime_cause("MapState", 2, ""))


def test_iteration_failure_fails_the_map(engine):
    def picky(event):
        if event == 3:
            raise ValueError("three")
        return event

    engine.register_function("picky", picky)
    definition = single({"Type": "Map", "MaxConcurrency": 1, "ItemProcessor":
                         _processor({"Call": lambda_task("picky", End=True)})})
    result = engine.run(definition, [1, 2, 3, 4])
    assert_failed(result, "ValueError")
    assert types(result).count("MapIterationSucceeded") == 2
    assert types(result)[-3:] == ["MapIterationFailed", "MapStateFailed", "ExecutionFailed"]


def test_iteration_failure_caught_matches_aws_recording(engine):
    # AWS recording scenarios_map/test_map_state_catch.
    definition = machine({
        "StartState": {"Type": "Pass", "Result": [1], "ResultPath": "$.arr",
                       "Next": "MapState"},
        "MapState": {"Type": "Map", "ResultPath": None, "InputPath": "$.arr",
                     "MaxConcurrency": 1, "ItemProcessor": _processor({
                         "HandleItemFail": {"Type": "Fail", "Error": "HandleItemFailError",
                                            "Cause": "HandleItemFailCause"}}),
                     "Catch": [{"ErrorEquals": ["HandleItemFailError"],
                                "Next": "FinalCaught"}],
                     "Next": "Final"},
        "FinalCaught": {"Type": "Pass", "End": True},
        "Final": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {})
    assert_succeeded(result, {"Error": "HandleItemFailError", "Cause": "HandleItemFailCause"})
    assert [(e.id, e.previous_event_id, e.type) for e in result.events] == [
        (1, 0, "ExecutionStarted"), (2, 0, "PassStateEntered"), (3, 2, "PassStateExited"),
        (4, 3, "MapStateEntered"), (5, 4, "MapStateStarted"), (6, 5, "MapIterationStarted"),
        (7, 6, "FailStateEntered"), (8, 7, "MapIterationFailed"), (9, 7, "MapStateFailed"),
        (10, 9, "MapStateExited"), (11, 10, "PassStateEntered"), (12, 11, "PassStateExited"),
        (13, 12, "ExecutionSucceeded")]


def test_result_selector_and_result_path_on_map(engine):
    definition = single({"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": _ECHO,
                         "ResultSelector": {"count.$": "States.ArrayLength($)"},
                         "ResultPath": "$.summary"})
    assert_succeeded(engine.run(definition, {"xs": [1, 2, 3]}),
                     {"xs": [1, 2, 3], "summary": {"count": 3}})


def test_distributed_mode_records_a_map_run(engine):
    # AWS recording scenarios_map/test_map_state_config_distributed_item_selector.
    definition = machine({
        "MapState": {"Type": "Map", "MaxConcurrency": 1,
                     "ItemSelector": {"constantValue": "constant",
                                      "mapValue.$": "$$.Map.Item.Value", "fromInput.$": "$"},
                     "ItemProcessor": {
                         "StartAt": "IteratorInner",
                         "States": {"IteratorInner": {"Type": "Pass", "End": True}},
                         "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}},
                     "Next": "Finish"},
        "Finish": {"Type": "Succeed"},
    })
    result = engine.run(definition, ["Hello", "World"])
    assert_succeeded(result, [
        {"constantValue": "constant", "mapValue": "Hello", "fromInput": ["Hello", "World"]},
        {"constantValue": "constant", "mapValue": "World", "fromInput": ["Hello", "World"]}])
    assert [(e.id, e.previous_event_id, e.type) for e in result.events] == [
        (1, 0, "ExecutionStarted"), (2, 0, "MapStateEntered"), (3, 2, "MapStateStarted"),
        (4, 3, "MapRunStarted"), (5, 4, "MapRunSucceeded"), (6, 5, "MapStateSucceeded"),
        (7, 5, "MapStateExited"), (8, 7, "SucceedStateEntered"), (9, 8, "SucceedStateExited"),
        (10, 9, "ExecutionSucceeded")]
    arn = first(result, "MapRunStarted").details["mapRunArn"]
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:mapRun:stepfn/")


# -- Distributed Map: child executions, thresholds --------------------------------------
_FAIL_ODD = {"Odd?": {"Type": "Choice", "Choices": [
    {"Variable": "$", "NumericEquals": 1, "Next": "Boom"},
    {"Variable": "$", "NumericEquals": 3, "Next": "Boom"}], "Default": "Done"},
    "Boom": {"Type": "Fail", "Error": "Odd", "Cause": "odd item"},
    "Done": {"Type": "Pass", "End": True}}


def _distributed(states: dict, **fields) -> dict:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": next(iter(states)), "States": states}
    return single({"Type": "Map", "ItemProcessor": processor, **fields})


def test_distributed_children_have_histories_of_their_own():
    from stepfn import Engine

    engine = Engine(trace=True)  # keeps the children's histories in the result
    result = engine.run(_distributed({"Echo": {"Type": "Pass", "End": True}}, Label="L"),
                        [1, 2])
    assert_succeeded(result, [1, 2])
    assert "/L:" in first(result, "MapRunStarted").details["mapRunArn"]
    histories = [[e.type for e in child.events] for child in result.children]
    assert histories == [["ExecutionStarted", "PassStateEntered", "PassStateExited",
                          "ExecutionSucceeded"]] * 2


def test_without_thresholds_one_failed_child_fails_the_map_run(engine):
    result = engine.run(_distributed(_FAIL_ODD), [0, 1, 2])
    assert_failed(result, "States.ExceedToleratedFailureThreshold")
    assert result.cause == "The specified tolerated failure threshold was exceeded"
    assert first(result, "MapRunFailed").details == {
        "error": "States.ExceedToleratedFailureThreshold",
        "cause": "The specified tolerated failure threshold was exceeded"}
    assert types(result)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_failures_within_the_thresholds_are_tolerated(engine):
    items = [0, 1, 2, 3]  # two of four fail: 50 %
    expected = [0, {"Error": "Odd", "Cause": "odd item"}, 2,
                {"Error": "Odd", "Cause": "odd item"}]
    ok = engine.run(_distributed(_FAIL_ODD, ToleratedFailurePercentage=50), items)
    assert_succeeded(ok, expected)
    assert_succeeded(engine.run(_distributed(_FAIL_ODD, ToleratedFailureCount=2), items),
                     expected)
    for fields in ({"ToleratedFailureCount": 1}, {"ToleratedFailurePercentage": 49.9},
                   {"ToleratedFailureCount": 5, "ToleratedFailurePercentage": 25}):
        failed = engine.run(_distributed(_FAIL_ODD, **fields), items)
        assert_failed(failed, "States.ExceedToleratedFailureThreshold")


def test_a_failed_map_run_aborts_its_running_children(engine):
    states = {"Odd?": {**_FAIL_ODD["Odd?"], "Default": "Slow"},
              "Slow": {"Type": "Wait", "Seconds": 30, "End": True},
              "Boom": _FAIL_ODD["Boom"]}
    from stepfn import Engine

    result = Engine(trace=True).run(_distributed(states), [0, 1])
    assert_failed(result, "States.ExceedToleratedFailureThreshold")
    ends = sorted(child.events[-1].type for child in result.children)
    assert ends == ["ExecutionAborted", "ExecutionFailed"]


def test_a_distributed_child_sees_its_own_execution_in_the_context_object(engine):
    result = engine.run(_distributed({"Ctx": {"Type": "Pass", "End": True, "Parameters": {
        "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input",
        "machine.$": "$$.StateMachine.Id"}}}, Label="Ctx"), ["a"])
    assert result.status == "SUCCEEDED", result.cause
    (out,) = result.output
    run_arn = first(result, "MapRunStarted").details["mapRunArn"]
    base = run_arn.rsplit(":", 1)[0]
    assert out["id"] == base.replace(":mapRun:", ":execution:") + ":" + out["name"]
    assert out["machine"] == base.replace(":mapRun:", ":stateMachine:")
    assert out["input"] == "a"
