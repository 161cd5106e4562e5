"""Service limits: 256 KiB payloads and the history size limit."""

from __future__ import annotations

from stepfn import Engine

from .conftest import assert_failed, assert_succeeded, lambda_task, machine, single, types

KIB = 1024


def test_state_output_over_256_kib_fails_with_data_limit_exceeded(engine):
    # Each half is under the limit; the Pass state's output (both halves) is over it.
    half = "x" * (150 * KIB)
    definition = single({"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}},
                        name="Double")
    result = engine.run(definition, {"s": half})
    assert_failed(result, "States.DataLimitExceeded")
    assert types(result)[-1] == "ExecutionFailed"
    assert "PassStateExited" not in types(result)


def test_output_just_under_the_limit_is_fine(engine):
    definition = single({"Type": "Pass", "Parameters": {"a.$": "$.s"}})
    text = "x" * (256 * KIB - 100)
    result = engine.run(definition, {"s": text})
    assert_succeeded(result, {"a": text})


def test_function_result_over_256_kib(engine):
    engine.register_function("huge", lambda event: "y" * (300 * KIB))
    result = engine.run(single(lambda_task("huge")), {})
    assert_failed(result, "States.DataLimitExceeded",
                  "The state/task 'arn:aws:lambda:us-east-1:123456789012:function:huge' "
                  "returned a result with a size exceeding the maximum number of bytes "
                  "service limit.")
    assert types(result)[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]


def test_size_counts_utf8_bytes_not_characters(engine):
    # 100,000 four-byte characters: 400,000 bytes, though only 100,000 characters.
    engine.register_function("emoji", lambda event: "\U0001F600" * 100_000)
    result = engine.run(single(lambda_task("emoji")), {})
    assert_failed(result, "States.DataLimitExceeded")


def _loop() -> dict:
    """A machine that counts $.n up to $.stop with a Choice loop (3 events a round)."""
    return machine({
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)",
                                               "stop.$": "$.stop"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericLessThanPath": "$.stop", "Next": "Inc"}],
            "Default": "Done"},
        "Done": {"Type": "Succeed"},
    })


def test_history_limit_fails_the_execution():
    engine = Engine(time_skipping=True, max_history_events=50)
    result = engine.run(_loop(), {"n": 0, "stop": 1000})
    assert result.status == "FAILED"
    assert result.error is not None
    assert len(result.events) <= 51  # the closing ExecutionFailed may pass the limit
    assert result.events[-1].type == "ExecutionFailed"


def test_history_under_the_limit_succeeds():
    engine = Engine(time_skipping=True, max_history_events=50)
    result = engine.run(_loop(), {"n": 0, "stop": 5})
    assert_succeeded(result, {"n": 5, "stop": 5})
    assert len(result.events) < 50


def test_history_limit_reached_inside_map_iterations():
    engine = Engine(time_skipping=True, max_history_events=40)
    definition = single({"Type": "Map", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}}})
    result = engine.run(definition, list(range(100)))
    assert result.status == "FAILED"
    assert len(result.events) <= 41
    assert result.events[-1].type == "ExecutionFailed"
