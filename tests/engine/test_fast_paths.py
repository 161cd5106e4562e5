"""The interpreter's fast paths give the same answers and histories as the slow ones.

Pure states run without coroutines and branches of pure states without asyncio Tasks;
other branches get a Task each. These tests pin what each path must keep: result
order, concurrency limits, failure handling, timestamps.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from stepfn.engine.concurrency import run_all, run_all_sync
from stepfn.runtime import Engine, random_uuid

from .conftest import assert_failed, assert_succeeded, first, machine, single, types


def _processor(states: dict) -> dict:
    return {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": next(iter(states)),
            "States": states}


# A processor that fails on item 2 and is pure (Choice, Fail, Pass)...
_PURE_PICKY = _processor({
    "Check": {"Type": "Choice", "Default": "Ok",
              "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}]},
    "Bad": {"Type": "Fail", "Error": "Item.Failed", "Cause": "two"},
    "Ok": {"Type": "Pass", "End": True}})
# ...and one that suspends first (a Wait: the virtual clock still yields to the loop).
_SUSPENDING_ECHO = _processor({"Nap": {"Type": "Wait", "Seconds": 1, "End": True}})


# -- run_all / run_all_sync -----------------------------------------------------------
def test_run_all_keeps_index_order():
    async def branch(i: int) -> int:
        if i % 2:
            await asyncio.sleep(0.001 * (5 - i))  # finishes in reverse order
        return i * 10

    assert asyncio.run(run_all(5, branch)) == [0, 10, 20, 30, 40]


def test_run_all_respects_the_limit():
    running = 0
    peak = 0

    async def branch(i: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        return i

    assert asyncio.run(run_all(7, branch, limit=3)) == list(range(7))
    assert peak == 3


def test_run_all_cancels_running_branches_when_one_fails():
    cancelled: list[int] = []

    async def branch(i: int) -> int:
        try:
            await asyncio.sleep(0 if i == 1 else 10)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise
        if i == 1:
            raise ValueError("boom")
        return i

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(run_all(3, branch))
    assert sorted(cancelled) == [0, 2]


def test_run_all_raises_the_first_failure_of_branches_that_never_suspend():
    started: list[int] = []

    async def branch(i: int) -> int:
        started.append(i)
        if i in (1, 3):
            raise ValueError(f"branch {i}")
        return i

    with pytest.raises(ValueError, match="branch 1"):
        asyncio.run(run_all(5, branch))
    assert started == [0, 1, 2, 3, 4]  # as with a Task per branch: all had started


def test_run_all_sync_runs_all_but_stops_at_once_with_a_limit_of_one():
    def call(i: int) -> int:
        calls.append(i)
        if i == 1:
            raise ValueError("one")
        return i

    calls: list[int] = []
    with pytest.raises(ValueError):
        run_all_sync(3, call)
    assert calls == [0, 1, 2]
    calls = []
    with pytest.raises(ValueError):
        run_all_sync(3, call, limit=1)
    assert calls == [0, 1]


# -- Map and Parallel through the engine ----------------------------------------------
def test_pure_map_failure_runs_every_iteration_and_reports_the_first(engine):
    definition = single({"Type": "Map", "ItemProcessor": _PURE_PICKY})
    result = engine.run(definition, [1, 2, 3, 2])
    assert_failed(result, "Item.Failed", "two")
    assert types(result).count("MapIterationStarted") == 4
    assert types(result).count("MapIterationFailed") == 2
    assert types(result)[-2:] == ["MapStateFailed", "ExecutionFailed"]


def test_pure_map_with_max_concurrency_one_stops_at_the_first_failure(engine):
    definition = single({"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": _PURE_PICKY})
    result = engine.run(definition, [1, 2, 3])
    assert_failed(result, "Item.Failed")
    assert types(result).count("MapIterationStarted") == 2


def test_suspending_map_keeps_order_and_limit(engine):
    definition = single({"Type": "Map", "MaxConcurrency": 2,
                         "ItemProcessor": _SUSPENDING_ECHO})
    result = engine.run(definition, list(range(5)))
    assert_succeeded(result, [0, 1, 2, 3, 4])
    in_flight = peak = 0
    for event_type in types(result):
        if event_type == "MapIterationStarted":
            in_flight += 1
            peak = max(peak, in_flight)
        elif event_type == "MapIterationSucceeded":
            in_flight -= 1
    assert peak == 2


def test_suspending_map_failure_aborts_iterations_in_flight():
    # A real clock: the 30 s Waits are still running when the 0 s one's item fails.
    processor = _processor({
        "Nap": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Check"},
        "Check": {"Type": "Choice", "Default": "Ok",
                  "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Bad"}]},
        "Bad": {"Type": "Fail", "Error": "Item.Failed"},
        "Ok": {"Type": "Pass", "End": True}})
    items = [{"wait": 30, "fail": False}, {"wait": 0, "fail": True},
             {"wait": 30, "fail": False}]
    result = Engine().run(single({"Type": "Map", "ItemProcessor": processor}), items)
    assert_failed(result, "Item.Failed")
    assert types(result).count("MapIterationAborted") == 2
    assert "MapIterationSucceeded" not in types(result)


def test_parallel_mixing_pure_and_suspending_branches(engine):
    definition = single({"Type": "Parallel", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 5, "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": True}}},
    ]})
    result = engine.run(definition, {"x": 1})
    assert_succeeded(result, [{"x": 1}, "b"])


def test_pure_parallel_failure_runs_every_branch(engine):
    fail = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E1"}}}
    ok = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    result = engine.run(single({"Type": "Parallel", "Branches": [fail, ok]}), {})
    assert_failed(result, "E1")
    assert "PassStateExited" in types(result)


# -- per-execution shortcuts ----------------------------------------------------------
def test_entered_time_is_the_entered_events_timestamp():
    result = Engine().run(single({"Type": "Pass", "Parameters": {
        "t.$": "$$.State.EnteredTime", "start.$": "$$.Execution.StartTime"}}), {})
    entered = first(result, "PassStateEntered").timestamp
    dt = datetime.fromtimestamp(entered, UTC)
    assert result.output["t"] == dt.strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{dt.microsecond // 1000:03d}Z"
    assert result.output["start"] <= result.output["t"]


def test_input_text_given_by_the_caller_is_recorded_as_given():
    result = Engine().run(single({"Type": "Pass"}), input_text='{ "a" : 1 }')
    assert first(result, "ExecutionStarted").details["input"] == '{ "a" : 1 }'
    assert first(result, "PassStateEntered").details["input"] == '{"a":1}'


def test_execution_names_are_random_v4_uuids():
    names = {random_uuid() for _ in range(200)}
    assert len(names) == 200
    for name in names:
        parsed = uuid.UUID(name)
        assert str(parsed) == name and parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_pure_machine_with_a_timeout_runs_under_the_timeout(engine):
    definition = machine({"P": {"Type": "Pass", "End": True}}, TimeoutSeconds=1)
    assert_succeeded(engine.run(definition, {"a": 1}), {"a": 1})
