"""Lambda resources: a registered local function runs locally; with forwarding on, any
other name goes to real Lambda through boto3 (here moto's server), whose answers and
errors keep AWS's shapes; with it off, such a name fails and lists the local functions."""

from __future__ import annotations

import pytest

from stepfn import Engine

from .conftest import ACCOUNT, REGION, assert_succeeded, task_machine, unique


def _function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def test_registered_function_still_runs_locally(engine: Engine) -> None:
    engine.register_function("local_double", lambda event: {"v": event["v"] * 2})
    output = assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::lambda:invoke",
        Parameters={"FunctionName": "local_double", "Payload": {"v": 21}}), {}))
    assert output["Payload"] == {"v": 42}
    assert output["StatusCode"] == 200


@pytest.fixture()
def forwarding(moto_endpoint: str) -> Engine:
    return Engine(region=REGION, account=ACCOUNT, lambda_forward=True)


def test_unregistered_function_goes_to_lambda_service(forwarding: Engine) -> None:
    name = unique("remote")
    result = forwarding.run(task_machine(
        "arn:aws:states:::lambda:invoke",
        Parameters={"FunctionName": name, "Payload": {"v": 1}}), {})
    assert result.status == "FAILED"
    # moto's Lambda answered: the function does not exist there.
    assert result.error == "Lambda.ResourceNotFoundException"
    assert "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException;" \
        in result.cause


def test_unregistered_direct_arn_goes_to_lambda_service(forwarding: Engine) -> None:
    result = forwarding.run(task_machine(_function_arn(unique("remote"))), {})
    assert result.status == "FAILED"
    assert result.error == "Lambda.ResourceNotFoundException"
    failed = [e for e in result.events if e.type == "LambdaFunctionFailed"]
    assert failed and failed[0].details["error"] == "Lambda.ResourceNotFoundException"


def test_without_forwarding_an_unknown_name_lists_the_local_functions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEPFN_LAMBDA_FORWARD", raising=False)
    engine = Engine(region=REGION, account=ACCOUNT)
    engine.register_function("resize", lambda event: event)
    engine.register_function("notify", lambda event: event)
    result = engine.run(task_machine(_function_arn("resise")), {})
    assert result.status == "FAILED"
    assert result.error == "Lambda.ResourceNotFoundException"
    assert result.cause.startswith(f"Function not found: {_function_arn('resise')} "
                                   "(Service: Lambda, Status Code: 404")
    assert "Local functions: notify, resize." in result.cause
    assert "--lambda-forward" in result.cause and "STEPFN_LAMBDA_FORWARD=1" in result.cause


def test_forwarding_setting_is_read_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from stepfn.settings import Settings, SettingsError

    def forward(env: dict[str, str]) -> bool:
        return Settings.load(environ=env, only=("lambda_forward",)).lambda_forward

    assert forward({"STEPFN_LAMBDA_FORWARD": "1"})
    assert forward({"STEPFN_LAMBDA_FORWARD": "true"})
    assert not forward({"STEPFN_LAMBDA_FORWARD": "0"})
    assert not forward({})
    with pytest.raises(SettingsError, match="STEPFN_LAMBDA_FORWARD=maybe: not a boolean"):
        forward({"STEPFN_LAMBDA_FORWARD": "maybe"})
    # The Python API's Engine reads it when not told.
    monkeypatch.setenv("STEPFN_LAMBDA_FORWARD", "1")
    cause = Engine(region=REGION, account=ACCOUNT).run(
        task_machine(_function_arn(unique("remote"))), {}).cause or ""
    assert "To call real AWS Lambda" not in cause


def test_function_error_named_by_error_type_with_document_as_cause() -> None:
    from stepfn.tasks.aws_lambda import function_error

    raw = (b'{"errorMessage":"Some exception was raised.","errorType":"Exception",'
           b'"requestId":"r","stackTrace":[]}')
    error = function_error(raw)
    assert error.error == "Exception"
    assert error.cause == raw.decode()
    assert function_error(b"not json").error == "Lambda.Unknown"


def _worker_signal_handlers() -> tuple:
    import signal

    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


def test_process_pool_workers_do_not_inherit_the_servers_signal_handlers() -> None:
    # A worker forked from `stepfn serve` once kept uvicorn's SIGTERM handler, ignored
    # SIGTERM and outlived the server, holding its port.
    import signal

    from stepfn.tasks.functions import process_pool

    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # as a server installs one
    try:
        term, intr = process_pool().submit(_worker_signal_handlers).result(timeout=60)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert term == signal.SIG_DFL and intr == signal.SIG_IGN
