"""Retry and Catch: attempt counts, back-off timing on the virtual clock, jitter, error
matching (States.ALL, States.TaskFailed, States.Runtime), catcher ResultPath, retrier
order and $$.State.RetryCount."""

from __future__ import annotations

import json

import pytest

from .conftest import (
    assert_failed,
    assert_succeeded,
    events_of,
    lambda_task,
    machine,
    runtime_cause,
    single,
    types,
)


class Flaky(Exception):
    pass


class Other(Exception):
    pass


@pytest.fixture
def failing(engine, calls):
    """Registers "failing": raises Flaky on its first ``fail_times`` calls (default: always)."""
    state = {"fail_times": 10**9}

    def fn(event):
        calls.events.append(event)
        if len(calls) <= state["fail_times"]:
            raise Flaky(f"call {len(calls)}")
        return {"calls": len(calls)}

    engine.register_function("failing", fn)
    return state


def _retry_gaps(result) -> list[float]:
    """Seconds between each failure and the next attempt's scheduling."""
    failed = events_of(result, "LambdaFunctionFailed")
    scheduled = events_of(result, "LambdaFunctionScheduled")[1:]
    return [s.timestamp - f.timestamp for f, s in zip(failed, scheduled, strict=False)]


def test_max_attempts_zero_never_retries(engine, calls, failing):
    spec = lambda_task("failing", Retry=[{"ErrorEquals": ["Flaky"], "MaxAttempts": 0}])
    result = engine.run(single(spec), {})
    assert_failed(result, "Flaky")
    assert len(calls) == 1


@pytest.mark.parametrize("max_attempts", [1, 3])
def test_max_attempts_counts_retries_after_the_first_try(engine, calls, failing, max_attempts):
    spec = lambda_task("failing", Retry=[{"ErrorEquals": ["Flaky"], "MaxAttempts": max_attempts,
                                          "IntervalSeconds": 1}])
    result = engine.run(single(spec), {})
    assert_failed(result, "Flaky")
    assert len(calls) == max_attempts + 1
    assert len(events_of(result, "LambdaFunctionScheduled")) == max_attempts + 1


def test_retry_succeeds_after_transient_failures(engine, calls, failing):
    failing["fail_times"] = 2
    spec = lambda_task("failing", Retry=[{"ErrorEquals": ["Flaky"], "MaxAttempts": 5}])
    result = engine.run(single(spec), {"in": 1})
    assert_succeeded(result, {"calls": 3})
    assert calls.events == [{"in": 1}] * 3


def test_default_retrier_is_one_second_doubling_three_attempts(engine, calls, failing):
    spec = lambda_task("failing", Retry=[{"ErrorEquals": ["States.ALL"]}])
    result = engine.run(single(spec), {})
    assert_failed(result, "Flaky")
    assert len(calls) == 4
    assert _retry_gaps(result) == pytest.approx([1, 2, 4], abs=0.2)


def test_backoff_rate_and_max_delay_on_the_virtual_clock(engine, calls, failing):
    spec = lambda_task("failing", Retry=[{
        "ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3,
        "MaxAttempts": 4, "MaxDelaySeconds": 10}])
    result = engine.run(single(spec), {})
    assert_failed(result, "Flaky")
    # 2, 6, 18 -> 10, 54 -> 10
    assert _retry_gaps(result) == pytest.approx([2, 6, 10, 10], abs=0.2)


def test_full_jitter_never_exceeds_the_computed_delay(engine, calls, failing):
    spec = lambda_task("failing", Retry=[{
        "ErrorEquals": ["Flaky"], "IntervalSeconds": 10, "BackoffRate": 2,
        "MaxAttempts": 5, "JitterStrategy": "FULL"}])
    result = engine.run(single(spec), {})
    assert_failed(result, "Flaky")
    gaps = _retry_gaps(result)
    computed = [10, 20, 40, 80, 160]
    assert len(gaps) == 5
    assert all(0 <= gap <= limit + 0.2 for gap, limit in zip(gaps, computed, strict=True))
    # Jitter does pick shorter delays (the odds of all five landing in the top 0.2 s
    # of their ranges are negligible).
    assert any(gap < limit - 0.2 for gap, limit in zip(gaps, computed, strict=True))


def test_first_matching_retrier_wins_even_when_exhausted(engine, calls, failing):
    spec = lambda_task("failing", Retry=[
        {"ErrorEquals": ["Flaky"], "MaxAttempts": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}])
    result = engine.run(single(spec), {})
    assert_failed(result, "Flaky")
    assert len(calls) == 2


def test_each_retrier_counts_its_own_attempts(engine, calls):
    def alternating(event):
        calls.events.append(event)
        raise (Flaky if len(calls) % 2 else Other)("x")

    engine.register_function("alternating", alternating)
    spec = lambda_task("alternating", Retry=[
        {"ErrorEquals": ["Flaky"], "MaxAttempts": 1},
        {"ErrorEquals": ["Other"], "MaxAttempts": 1}])
    result = engine.run(single(spec), {})
    # Flaky (retry 1 of Flaky's), Other (retry 1 of Other's), Flaky again: exhausted.
    assert_failed(result, "Flaky")
    assert len(calls) == 3


def test_retry_count_in_context_object(engine, calls):
    def until_third(event):
        calls.events.append(event["n"])
        if event["n"] < 2:
            raise Flaky("not yet")
        return event

    engine.register_function("until_third", until_third)
    spec = lambda_task("until_third", Parameters={"n.$": "$$.State.RetryCount"},
                       Retry=[{"ErrorEquals": ["Flaky"], "MaxAttempts": 3}])
    result = engine.run(single(spec), {})
    assert_succeeded(result, {"n": 2})
    assert calls.events == [0, 1, 2]


def test_catch_error_output_and_catcher_result_path(engine, calls, failing):
    definition = machine({
        "T": lambda_task("failing", Catch=[{"ErrorEquals": ["Flaky"], "ResultPath": "$.err",
                                            "Next": "Handler"}], End=True),
        "Handler": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {"keep": "me"})
    assert result.status == "SUCCEEDED"
    assert result.output["keep"] == "me"
    err = result.output["err"]
    assert set(err) == {"Error", "Cause"}
    assert err["Error"] == "Flaky"
    assert json.loads(err["Cause"])["errorMessage"] == "call 1"
    assert types(result) == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
        "LambdaFunctionStarted", "LambdaFunctionFailed", "TaskStateExited",
        "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_first_matching_catcher_wins(engine, calls, failing):
    definition = machine({
        "T": lambda_task("failing", Catch=[
            {"ErrorEquals": ["Other"], "Next": "OtherHandler"},
            {"ErrorEquals": ["States.TaskFailed"], "Next": "TaskFailedHandler"},
            {"ErrorEquals": ["States.ALL"], "Next": "AllHandler"}], End=True),
        "OtherHandler": {"Type": "Pass", "Result": "other", "End": True},
        "TaskFailedHandler": {"Type": "Pass", "Result": "task-failed", "End": True},
        "AllHandler": {"Type": "Pass", "Result": "all", "End": True},
    })
    assert_succeeded(engine.run(definition, {}), "task-failed")


def test_retry_then_catch(engine, calls, failing):
    definition = machine({
        "T": lambda_task("failing", Retry=[{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}],
                         Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None,
                                 "Next": "Handler"}], End=True),
        "Handler": {"Type": "Pass", "Result": "handled", "ResultPath": "$.h", "End": True},
    })
    result = engine.run(definition, {"x": 1})
    assert_succeeded(result, {"x": 1, "h": "handled"})
    assert len(calls) == 3


def test_fail_state_error_is_caught_by_states_all_on_parallel(engine):
    definition = machine({
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {
            "F": {"Type": "Fail", "Error": "Custom"}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}], "End": True},
        "H": {"Type": "Pass", "End": True},
    })
    assert_succeeded(engine.run(definition, {}), {"Error": "Custom"})


def test_states_all_does_not_catch_or_retry_runtime_errors(engine, calls):
    # AWS recording scenarios_other/test_catch_states_runtime: not even an explicit
    # "States.Runtime" catcher handles it.
    def ident(event):
        calls.events.append(event)
        return {}

    engine.register_function("ident", ident)
    definition = machine({
        "RaiseRuntime": lambda_task(
            "ident", OutputPath="$.no.such.result.path",
            Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
            Catch=[{"ErrorEquals": ["States.Runtime"], "Next": "CaughtRuntime"},
                   {"ErrorEquals": ["States.ALL"], "Next": "CaughtRuntime"}],
            Next="Final"),
        "CaughtRuntime": {"Type": "Pass", "End": True},
        "Final": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {})
    assert_failed(result, "States.Runtime", runtime_cause(
        "RaiseRuntime", 2,
        "Invalid path '$.no.such.result.path' : Missing property in path $['no']"))
    assert len(calls) == 1
    assert types(result) == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
        "LambdaFunctionStarted", "LambdaFunctionSucceeded", "ExecutionFailed"]
    assert result.events[-1].previous_event_id == 5


def test_task_failed_does_not_match_runtime_errors(engine):
    engine.register_function("ident", lambda event: event)
    definition = machine({
        "T": lambda_task("ident", ResultSelector={"x.$": "$.missing"},
                         Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}],
                         End=True),
        "H": {"Type": "Pass", "End": True},
    })
    assert_failed(engine.run(definition, {}), "States.Runtime")


def _huge_result_machine(catchers: list[dict]) -> dict:
    states = {"InvokeLambda": lambda_task("huge", Catch=catchers, Next="ProcessResult"),
              "ProcessResult": {"Type": "Pass", "End": True}}
    for catcher in catchers:
        states[catcher["Next"]] = {"Type": "Pass", "End": True}
    return machine(states)


_HUGE_CAUSE = ("The state/task 'arn:aws:lambda:us-east-1:123456789012:function:huge' returned "
               "a result with a size exceeding the maximum number of bytes service limit.")


def test_data_limit_exceeded_is_caught_by_name(engine):
    # AWS recording error_handling/test_task_lambda_data_limit_exceeded_on_large_utf8.
    engine.register_function("huge", lambda event: "\u00e9" * 140_000)  # 280,000 bytes
    result = engine.run(_huge_result_machine([
        {"ErrorEquals": ["States.DataLimitExceeded"], "Next": "HandleDataLimitExceeded"},
        {"ErrorEquals": ["States.ALL"], "Next": "HandleGeneralError"}]), {})
    assert_succeeded(result, {"Error": "States.DataLimitExceeded", "Cause": _HUGE_CAUSE})
    assert [e.details["name"] for e in result.events if e.type == "PassStateEntered"] == [
        "HandleDataLimitExceeded"]


def test_data_limit_exceeded_is_not_caught_by_states_all(engine):
    engine.register_function("huge", lambda event: "\u00e9" * 140_000)
    result = engine.run(_huge_result_machine([
        {"ErrorEquals": ["States.ALL"], "Next": "HandleGeneralError"}]), {})
    assert_failed(result, "States.DataLimitExceeded", _HUGE_CAUSE)
