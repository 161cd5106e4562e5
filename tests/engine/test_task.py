"""Task: local functions through the direct Lambda ARN and lambda:invoke, sync and async,
function errors, TimeoutSeconds(Path) and unknown functions."""

from __future__ import annotations

import asyncio
import json

import pytest

from stepfn import Engine

from .conftest import (
    assert_failed,
    assert_succeeded,
    first,
    invoke_task,
    lambda_arn,
    lambda_task,
    machine,
    runtime_cause,
    single,
    types,
)


class CustomError(Exception):
    pass


def _double(event):
    return {"v": event["v"] * 2}


# -- direct Lambda ARN ------------------------------------------------------------------
def test_direct_function_result_is_state_output(engine):
    engine.register_function("double", _double)
    result = engine.run(single(lambda_task("double")), {"v": 21})
    assert_succeeded(result, {"v": 42})
    assert types(result) == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
        "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
        "ExecutionSucceeded"]


def test_direct_function_scheduled_event_details(engine):
    engine.register_function("double", _double)
    result = engine.run(single(lambda_task("double", Parameters={"v.$": "$.n"})), {"n": 2})
    assert_succeeded(result, {"v": 4})
    scheduled = first(result, "LambdaFunctionScheduled")
    assert scheduled.details["resource"] == lambda_arn("double")
    assert json.loads(scheduled.details["input"]) == {"v": 2}
    succeeded = first(result, "LambdaFunctionSucceeded")
    assert json.loads(succeeded.details["output"]) == {"v": 4}


def test_decorator_registration_and_non_object_results(engine):
    @engine.function("listify")
    def listify(event):
        return [event, event]

    @engine.function()
    def scalar(event):
        return "text"

    definition = machine({
        "A": lambda_task("listify", ResultPath="$.list", Next="B"),
        "B": lambda_task("scalar", ResultPath="$.s", End=True),
    })
    assert_succeeded(engine.run(definition, {"k": 1}),
                     {"k": 1, "list": [{"k": 1}, {"k": 1}], "s": "text"})


def test_async_function(engine):
    async def slow_double(event):
        await asyncio.sleep(0)
        return {"v": event["v"] * 2}

    engine.register_function("adouble", slow_double)
    assert_succeeded(engine.run(single(lambda_task("adouble")), {"v": 5}), {"v": 10})


def test_function_receives_lambda_style_context(engine):
    seen = {}

    def handler(event, context):
        seen["name"] = context.function_name
        seen["request_id"] = context.aws_request_id
        return {"ok": True}

    engine.register_function("withctx", handler)
    assert_succeeded(engine.run(single(lambda_task("withctx")), {}), {"ok": True})
    assert seen["name"] == "withctx"
    assert seen["request_id"]


def test_function_gets_its_own_copy_of_the_input(engine):
    def mutate(event):
        event["added"] = True
        return event

    engine.register_function("mutate", mutate)
    definition = machine({"T": lambda_task("mutate", ResultPath="$.r", End=True)})
    result = engine.run(definition, {"a": 1})
    # The raw input ResultPath writes into is untouched by the function's mutation.
    assert_succeeded(result, {"a": 1, "r": {"a": 1, "added": True}})


def test_direct_function_exception_is_lambda_shaped_error(engine):
    def boom(event):
        raise ValueError("bad value")

    engine.register_function("boom", boom)
    result = engine.run(single(lambda_task("boom")), {})
    assert_failed(result, "ValueError")
    cause = json.loads(result.cause)
    assert set(cause) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert cause["errorMessage"] == "bad value"
    assert cause["errorType"] == "ValueError"
    assert isinstance(cause["stackTrace"], list) and cause["stackTrace"]
    assert 'raise ValueError("bad value")' in cause["stackTrace"][-1]
    # Only the function's own frames, as Lambda shows them: none of the engine's or the
    # thread pool's.
    assert all(frame.startswith(f'  File "{__file__}"') for frame in cause["stackTrace"])
    # The direct-ARN integration hands on the runtime's own JSON text, which Python's
    # Lambda runtime writes with ", " and ": " separators (AWS recording
    # error_handling/test_raise_exception_catch).
    assert result.cause == json.dumps(cause)
    failed = first(result, "LambdaFunctionFailed")
    assert failed.details == {"error": "ValueError", "cause": result.cause}


def test_custom_exception_class_names_the_error(engine):
    def raise_custom(event):
        raise CustomError()

    engine.register_function("custom", raise_custom)
    definition = machine({
        "T": lambda_task("custom", Catch=[{"ErrorEquals": ["CustomError"], "Next": "Caught"}],
                         End=True),
        "Caught": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {})
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "CustomError"
    cause = json.loads(result.output["Cause"])
    assert cause["errorMessage"] == "" and cause["errorType"] == "CustomError"


# -- lambda:invoke ----------------------------------------------------------------------
def test_invoke_integration_result_shape(engine):
    engine.register_function("double", _double)
    result = engine.run(single(invoke_task("double")), {"v": 21})
    assert result.status == "SUCCEEDED"
    out = result.output
    assert out["Payload"] == {"v": 42}
    assert out["ExecutedVersion"] == "$LATEST"
    assert out["StatusCode"] == 200
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    request_id = out["SdkResponseMetadata"]["RequestId"]
    assert out["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert types(result) == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
        "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    scheduled = first(result, "TaskScheduled")
    assert {k: v for k, v in scheduled.details.items() if k != "parameters"} == {
        "resourceType": "lambda", "resource": "invoke", "region": "us-east-1"}
    assert json.loads(scheduled.details["parameters"]) == {
        "FunctionName": "double", "Payload": {"v": 21}}
    assert first(result, "TaskStarted").details == {"resourceType": "lambda",
                                                   "resource": "invoke"}


def test_invoke_integration_output_path_payload(engine):
    engine.register_function("double", _double)
    spec = invoke_task("double", OutputPath="$.Payload")
    assert_succeeded(engine.run(single(spec), {"v": 4}), {"v": 8})


def test_invoke_integration_accepts_function_arn(engine):
    engine.register_function("double", _double)
    spec = invoke_task("double", Parameters={"FunctionName": lambda_arn("double"),
                                             "Payload": {"v": 1}},
                       OutputPath="$.Payload")
    assert_succeeded(engine.run(single(spec), {}), {"v": 2})


def test_invoke_integration_exception(engine):
    def boom(event):
        raise RuntimeError("Some exception was raised.")

    engine.register_function("boom", boom)
    result = engine.run(single(invoke_task("boom")), {})
    assert_failed(result, "RuntimeError")
    cause = json.loads(result.cause)
    assert cause["errorType"] == "RuntimeError"
    assert cause["errorMessage"] == "Some exception was raised."
    # lambda:invoke re-serialises the function error compactly (AWS recording
    # test_task_service_lambda test_raise_exception_catch_output_path).
    assert result.cause == json.dumps(cause, separators=(",", ":"))
    failed = first(result, "TaskFailed")
    assert failed.details == {"error": "RuntimeError", "cause": result.cause,
                              "resourceType": "lambda", "resource": "invoke"}


# -- unknown functions -------------------------------------------------------------------
def test_unregistered_function_direct_arn(engine):
    result = engine.run(single(lambda_task("nope")), {})
    assert_failed(result, "Lambda.ResourceNotFoundException")
    assert result.cause.startswith(f"Function not found: {lambda_arn('nope')}")


def test_unregistered_function_invoke_by_name(engine):
    # Lambda names the function by its full ARN in the error, whatever the caller gave.
    result = engine.run(single(invoke_task("nope")), {})
    assert_failed(result, "Lambda.ResourceNotFoundException")
    assert result.cause.startswith(f"Function not found: {lambda_arn('nope')}")
    assert "(Service: Lambda, Status Code: 404" in result.cause


# -- timeouts -----------------------------------------------------------------------------
async def _sleepy(event):
    await asyncio.sleep(30)
    return {"never": True}


@pytest.fixture(scope="module")
def timed_out_runs():
    """Two executions that hit a real 1 s TimeoutSeconds, run side by side so the
    module pays the second once."""
    engine = Engine(time_skipping=True)
    engine.register_function("sleepy", _sleepy)
    uncaught = single(lambda_task("sleepy", TimeoutSeconds=1), name="Slow")
    caught = machine({
        "Slow": invoke_task("sleepy", TimeoutSeconds=1, Catch=[
            {"ErrorEquals": ["States.TaskFailed"], "Next": "TaskFailedHandler"},
            {"ErrorEquals": ["States.Timeout"], "Next": "TimeoutHandler",
             "ResultPath": "$.timeout"}], End=True),
        "TaskFailedHandler": {"Type": "Pass", "Result": "task-failed", "End": True},
        "TimeoutHandler": {"Type": "Pass", "End": True},
    })

    async def both():
        return await asyncio.gather(engine.execute(uncaught, {"x": 1}),
                                    engine.execute(caught, {"x": 1}))

    return asyncio.run(both())


def test_timeout_seconds_fails_with_states_timeout(timed_out_runs):
    result = timed_out_runs[0]
    assert_failed(result, "States.Timeout")
    assert result.cause is None
    assert first(result, "LambdaFunctionScheduled").details["timeoutInSeconds"] == 1
    assert types(result)[-2:] == ["LambdaFunctionTimedOut", "ExecutionFailed"]
    assert first(result, "LambdaFunctionTimedOut").details == {"error": "States.Timeout"}


def test_timeout_is_caught_by_name_not_by_task_failed(timed_out_runs):
    result = timed_out_runs[1]
    assert_succeeded(result, {"x": 1, "timeout": {"Error": "States.Timeout"}})
    assert first(result, "TaskTimedOut").details == {
        "error": "States.Timeout", "resourceType": "lambda", "resource": "invoke"}


def test_timeout_seconds_path_is_read_from_input(engine):
    engine.register_function("double", _double)
    spec = invoke_task("double", TimeoutSecondsPath="$.timeout", OutputPath="$.Payload")
    result = engine.run(single(spec), {"v": 1, "timeout": 7})
    assert_succeeded(result, {"v": 2})
    assert first(result, "TaskScheduled").details["timeoutInSeconds"] == 7


def test_timeout_seconds_path_missing_is_runtime_error(engine):
    engine.register_function("double", _double)
    spec = invoke_task("double", TimeoutSecondsPath="$.timeout")
    result = engine.run(single(spec, name="T"), {"v": 1})
    assert_failed(result, "States.Runtime")
    assert result.cause.startswith(runtime_cause("T", 2, ""))


def _cpu_heavy(event):
    # Runs in a worker process: its pid differs from the test's.
    import os
    return {"pid": os.getpid(), "sum": sum(range(event["n"]))}


def _cpu_heavy_fails(event):
    raise ZeroDivisionError("bad chunk")


def test_process_pool_functions_run_out_of_process():
    import os

    from stepfn import Engine

    engine = Engine()
    engine.register_function("heavy", _cpu_heavy, runs_in="process")
    engine.register_function("heavy_fails", _cpu_heavy_fails, runs_in="process")
    definition = {"StartAt": "H", "States": {"H": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:heavy",
        "End": True}}}
    result = engine.run(definition, {"n": 1000})
    assert result.status == "SUCCEEDED"
    assert result.output["sum"] == sum(range(1000)) and result.output["pid"] != os.getpid()
    definition["States"]["H"]["Resource"] += "_fails"
    result = engine.run(definition, {})
    assert (result.status, result.error) == ("FAILED", "ZeroDivisionError")
    cause = __import__("json").loads(result.cause)
    assert cause["errorMessage"] == "bad chunk"
    assert any("_cpu_heavy_fails" in line for line in cause["stackTrace"])
