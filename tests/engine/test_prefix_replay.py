"""Property: an execution resumed from any prefix of its history, on a clock that has
moved on, ends as the uninterrupted run ended.

A durable execution resumes by replay (design §3): the recorded events stand in for the
work already done and the rest runs anew, on the clock as it is then. For every prefix
of a recorded history, the resumed run must end with the same status, output, error and
cause, record the same events thread by thread (its own and its Distributed Map
children's), and its new work must keep its own time: a Wait lasts its seconds, a retry
back-off its interval, a task timeout counts from the task's scheduling. The
definitions cover every state type in both query languages, with Distributed Map
children (EXPRESS and STANDARD, run in the parent's process) that wait, retry and time
tasks out; hypothesis draws how far the clock moved and the items.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stepfn import Engine
from stepfn.engine.clock import SkippingClock
from stepfn.engine.execution import ExecutionResult, ExecutionRun
from stepfn.engine.history import Event, History

from .test_properties import PROPERTY_SETTINGS

ARN = "arn:aws:states:us-east-1:123456789012"
WAIT_SECONDS = 10
BACKOFF_SECONDS = 3


def _fn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


async def echo(event: Any) -> Any:
    return event


async def flaky(event: Any) -> Any:
    """Fails on a task's first attempt (the payload carries $$.State.RetryCount)."""
    if event.get("attempt") == 0:
        raise RuntimeError("first attempt")
    return {"done": event.get("value")}


def _child(execution_type: str) -> dict:
    """A Distributed Map child that waits, retries after a back-off and times a task
    (state names are unique in a definition: they carry the execution type)."""
    pause, attempt = f"Pause{execution_type}", f"Try{execution_type}"
    return {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
        "StartAt": pause,
        "States": {
            pause: {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": attempt},
            attempt: {"Type": "Task", "Resource": _fn("flaky"), "TimeoutSeconds": 5,
                    "Parameters": {"attempt.$": "$$.State.RetryCount", "value.$": "$"},
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2,
                               "IntervalSeconds": BACKOFF_SECONDS}],
                    "End": True}}}


def _jsonata_child() -> dict:
    child = _child("EXPRESS")
    attempt = child["States"]["TryEXPRESS"]
    del attempt["Parameters"]
    attempt["Arguments"] = {"attempt": "{% $states.context.State.RetryCount %}",
                            "value": "{% $states.input %}"}
    return child


JSONPATH = {"StartAt": "Start", "States": {
    "Start": {"Type": "Pass", "Result": "p", "ResultPath": "$.pass", "Next": "Call"},
    "Call": {"Type": "Task", "Resource": _fn("echo"), "ResultPath": "$.echo",
             "TimeoutSeconds": 99999999, "Next": "Pick"},  # longer than any shift
    "Pick": {"Type": "Choice", "Choices": [
        {"Variable": "$.go", "BooleanEquals": True, "Next": "Hold"}], "Default": "Bad"},
    "Bad": {"Type": "Fail", "Error": "Wrong", "Cause": "not taken"},
    "Hold": {"Type": "Wait", "SecondsPath": "$.hold", "Next": "Both"},
    "Both": {"Type": "Parallel", "ResultPath": "$.both", "Next": "Each", "Branches": [
        {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 5, "End": True}}},
        {"StartAt": "Oops", "States": {
            "Oops": {"Type": "Fail", "Error": "Caught", "Cause": "c"}}}],
        "Catch": [{"ErrorEquals": ["Caught"], "ResultPath": "$.caught", "Next": "Each"}]},
    "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.inline",
             "Next": "Fan", "ItemProcessor": {
                 "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Inner",
                 "States": {"Inner": {"Type": "Task", "Resource": _fn("flaky"),
                                      "Parameters": {"attempt.$": "$$.State.RetryCount",
                                                     "value.$": "$"},
                                      "Retry": [{"ErrorEquals": ["States.ALL"],
                                                 "IntervalSeconds": BACKOFF_SECONDS}],
                                      "End": True}}}},
    "Fan": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.express",
            "ItemProcessor": _child("EXPRESS"), "Next": "FanStandard"},
    "FanStandard": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.standard",
                    "ItemProcessor": _child("STANDARD"), "Next": "Until"},
    "Until": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "Done"},
    "Done": {"Type": "Succeed"}}}

JSONATA = {"QueryLanguage": "JSONata", "StartAt": "Start", "States": {
    "Start": {"Type": "Pass", "Assign": {"n": "{% $count($states.input.items) %}"},
              "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": "{% $states.input.hold %}", "Next": "Fan"},
    "Fan": {"Type": "Map", "Items": "{% $states.input.items %}",
            "ItemProcessor": _jsonata_child(),
            "Output": "{% {'n': $n, 'out': $states.result} %}", "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n = $count($states.input.out) %}",
         "Next": "Done"}], "Default": "Bad"},
    "Bad": {"Type": "Fail", "Error": "Wrong"},
    "Done": {"Type": "Succeed"}}}


def _engine() -> Engine:
    engine = Engine(time_skipping=True)
    engine.register_function("echo", echo)
    engine.register_function("flaky", flaky)
    return engine


ENGINE = _engine()
MACHINES = {"jsonpath": ENGINE.compile(JSONPATH), "jsonata": ENGINE.compile(JSONATA)}


class _ClockAt(SkippingClock):
    """Virtual time starting at ``at`` (epoch seconds)."""

    def __init__(self, at: float) -> None:
        super().__init__()
        self._offset = at - time.time()


def _run(name: str, value: Any, history: History, clock: Any) -> ExecutionResult:
    start = history.events[0].timestamp if history.events else None
    run = ExecutionRun(MACHINES[name], value, execution_arn=f"{ARN}:execution:m:e",
                       name="e", machine_arn=f"{ARN}:stateMachine:m", machine_name="m",
                       tasks=ENGINE.tasks, clock=clock, history=history, start_time=start)
    return asyncio.run(run.run())


def _threads(events: list[Event]) -> dict[str, list[tuple[str, Any]]]:
    """Each thread's (type, state name) sequence: threads run concurrently, so only
    the order within one is fixed."""
    found: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for event in events:
        found[event.thread].append((event.type, (event.details or {}).get("name")))
    return dict(found)


def _children(result: ExecutionResult) -> list[dict[str, list[tuple[str, Any]]]]:
    return sorted((_threads(child.events) for child in result.children), key=repr)


def _check_own_time(history: list[Event]) -> None:
    """In one child execution (run anew on a resume): the Wait lasted its seconds, each
    retry came after its back-off, and the timed task did not time out."""
    times = {}
    for event in history:
        times.setdefault(event.type, []).append(event.timestamp)
    entered, exited = times["WaitStateEntered"][0], times["WaitStateExited"][0]
    assert exited - entered >= WAIT_SECONDS - 0.01, (entered, exited)
    failed, scheduled = times.get("LambdaFunctionFailed", []), times["LambdaFunctionScheduled"]
    for fail, retry in zip(failed, scheduled[1:], strict=False):
        assert retry - fail >= BACKOFF_SECONDS - 0.01, (fail, retry)
    assert "LambdaFunctionTimedOut" not in times


def _check_resumed(name: str, value: Any, full: ExecutionResult, cut: int,
                   shift: float) -> None:
    prefix = full.events[:cut]
    history = History(recorded=prefix, trace=True)
    resumed = _run(name, value, history, _ClockAt(prefix[-1].timestamp + shift))
    where = f"{name}: resumed after event {cut} ({prefix[-1].type})"
    assert (resumed.status, resumed.output, resumed.error, resumed.cause) == (
        full.status, full.output, full.error, full.cause), where
    assert _threads(resumed.events) == _threads(full.events), where
    assert resumed.events[:cut] == prefix, where  # the recorded events stand as they were
    assert _children(resumed) == _children(full), where
    for child in resumed.children:
        _check_own_time(child.events)
    # new top-level events live on the moved clock: none before the last recorded one
    assert all(e.timestamp >= prefix[-1].timestamp for e in resumed.events[cut:]), where


@settings(PROPERTY_SETTINGS, max_examples=min(PROPERTY_SETTINGS.max_examples, 6))
@given(name=st.sampled_from(sorted(MACHINES)),
       shift=st.sampled_from([4000.0, 90.0, 86400.0 * 30]),
       items=st.lists(st.integers(0, 9), min_size=1, max_size=2))
def test_every_prefix_resumes_to_the_same_end(name: str, shift: float,
                                              items: list[int]) -> None:
    value = {"go": True, "hold": 2, "items": items}
    full = _run(name, value, History(trace=True), SkippingClock())
    assert full.status == "SUCCEEDED", (full.error, full.cause)
    for child in full.children:
        _check_own_time(child.events)
    for cut in range(1, len(full.events)):
        _check_resumed(name, value, full, cut, shift)
