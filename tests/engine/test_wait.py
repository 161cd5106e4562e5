"""Wait: Seconds, SecondsPath, Timestamp, TimestampPath (virtual clock), one real wait,
and the runtime errors of bad paths."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from stepfn import DefinitionError, Engine

from .conftest import assert_failed, assert_succeeded, first, runtime_cause, single


def _waited(result) -> float:
    """Seconds between the Wait state's Entered and Exited events."""
    return first(result, "WaitStateExited").timestamp - first(result, "WaitStateEntered").timestamp


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_seconds_moves_virtual_clock(engine):
    started = time.monotonic()
    result = engine.run(single({"Type": "Wait", "Seconds": 3600}), {"a": 1})
    assert_succeeded(result, {"a": 1})
    assert 3600 <= _waited(result) < 3601
    assert time.monotonic() - started < 1


def test_seconds_path(engine):
    result = engine.run(single({"Type": "Wait", "SecondsPath": "$.delay"}), {"delay": 90})
    assert_succeeded(result, {"delay": 90})
    assert 90 <= _waited(result) < 91


def test_seconds_zero_does_not_wait(engine):
    result = engine.run(single({"Type": "Wait", "Seconds": 0}), {})
    assert_succeeded(result, {})
    assert _waited(result) < 1


def test_timestamp_in_future_waits_until_then(engine):
    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    result = engine.run(single({"Type": "Wait", "Timestamp": _iso(target)}), {"k": "v"})
    assert_succeeded(result, {"k": "v"})
    exited = first(result, "WaitStateExited").timestamp
    assert target.timestamp() <= exited < target.timestamp() + 1


def test_timestamp_in_past_does_not_wait(engine):
    result = engine.run(single({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z"}), {})
    assert_succeeded(result, {})
    assert _waited(result) < 1


def test_timestamp_path_with_offset_and_fraction(engine):
    target = datetime.now(UTC) + timedelta(hours=5)
    text = target.astimezone(timezone(timedelta(hours=2))).strftime(
        "%Y-%m-%dT%H:%M:%S.%f+02:00")
    result = engine.run(single({"Type": "Wait", "TimestampPath": "$.when"}), {"when": text})
    assert_succeeded(result, {"when": text})
    exited = first(result, "WaitStateExited").timestamp
    # state-wait: "Step Functions considers the time value up to seconds and truncates
    # milliseconds"
    assert int(target.timestamp()) <= exited < int(target.timestamp()) + 0.1


def test_wait_applies_input_and_output_path(engine):
    spec = {"Type": "Wait", "Seconds": 1, "InputPath": "$.in", "OutputPath": "$.out"}
    assert_succeeded(engine.run(single(spec), {"in": {"out": 3}}), 3)


def test_real_one_second_wait():
    engine = Engine()  # real clock
    started = time.monotonic()
    result = engine.run(single({"Type": "Wait", "Seconds": 1}), {"x": 1})
    elapsed = time.monotonic() - started
    assert_succeeded(result, {"x": 1})
    assert elapsed >= 1.0
    assert _waited(result) >= 0.99


def test_missing_seconds_path_is_runtime_error(engine):
    spec = {"Type": "Wait", "SecondsPath": "$.input.waitSeconds"}
    result = engine.run(single(spec, name="WaitState"), {"input": {}})
    assert_failed(result, "States.Runtime", runtime_cause(
        "WaitState", 2,
        "The SecondsPath parameter does not reference an input value: $.input.waitSeconds"))


@pytest.mark.parametrize(("value", "shown"), [("ten", "ten"), (1.5, "1.5"), (True, "true"),
                                              (None, "null"), ([1], "[1]")])
def test_seconds_path_to_no_whole_number_is_runtime_error(engine, value, shown):
    spec = {"Type": "Wait", "SecondsPath": "$.s"}
    result = engine.run(single(spec, name="W"), {"s": value})
    assert_failed(result, "States.Runtime", runtime_cause(
        "W", 2, f"The SecondsPath parameter cannot be parsed as a long value: $.s == {shown}"))


def test_negative_seconds_path_is_runtime_error(engine):
    spec = {"Type": "Wait", "SecondsPath": "$.s"}
    result = engine.run(single(spec, name="W"), {"s": -5})
    assert_failed(result, "States.Runtime", runtime_cause(
        "W", 2, "The SecondsPath parameter references a negative value: $.s == -5"))


@pytest.mark.parametrize("text", ["2016-13-05T21:29:29Z", "2016-02-30T00:00:00Z",
                                  "0000-01-01T00:00:00Z", "2016-03-14t01:59:00z"])
def test_dates_that_do_not_exist_are_no_timestamps(engine, text):
    spec = {"Type": "Wait", "TimestampPath": "$.t"}
    result = engine.run(single(spec, name="W"), {"t": text})
    assert_failed(result, "States.Runtime", runtime_cause(
        "W", 2, "The TimestampPath parameter does not reference a valid ISO-8601 extended "
        f"offset date-time format string: $.t == {text}"))
    with pytest.raises(DefinitionError, match="Timestamp"):
        engine.compile(single({"Type": "Wait", "Timestamp": text}))


def test_invalid_timestamp_path_is_runtime_error(engine):
    spec = {"Type": "Wait", "TimestampPath": "$.TimestampValue"}
    result = engine.run(single(spec, name="WaitUntil"),
                        {"TimestampValue": "2016-12-05T21:29:29"})
    assert_failed(result, "States.Runtime", runtime_cause(
        "WaitUntil", 2,
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
        "date-time format string: $.TimestampValue == 2016-12-05T21:29:29"))


def test_execution_timeout_holds_with_time_skipping():
    """TimeoutSeconds counts the (virtual) time a Wait takes, not just wall time."""
    from stepfn import Engine

    definition = {"TimeoutSeconds": 30, "StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    result = Engine(time_skipping=True).run(definition, {})
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert [e.type for e in result.events][-1] == "ExecutionTimedOut"
    started, ended = result.events[0].timestamp, result.events[-1].timestamp
    assert 29.9 <= ended - started <= 31  # timed out at its deadline, in virtual time

    quick = dict(definition, States={**definition["States"],
                                     "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Done"}})
    assert Engine(time_skipping=True).run(quick, {}).status == "SUCCEEDED"
