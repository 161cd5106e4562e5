"""The local Lambda runtime with real processes: functions in folders of their own (two
of them ``app.lambda_handler``), their environments, layers, hyphenated modules, inline
code, warm modules, concurrency, timeouts and Lambda's error documents."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from stepfn.lambda_runtime import (
    FunctionNotFound,
    FunctionSpec,
    InvokeResult,
    LambdaRuntime,
    TooManyRequests,
)

HERE = Path(__file__).parent
FUNCTIONS = HERE / "functions"
LAYER = HERE / "layers" / "shared"
MISC = FUNCTIONS / "misc"
PYTHON = "python{}.{}".format(*sys.version_info[:2])


def spec(name: str, handler: str, folder: Path | None, **fields: Any) -> FunctionSpec:
    return FunctionSpec(name, handler, folder, runtime=fields.pop("runtime", PYTHON),
                        **fields)


SPECS = [
    spec("OddFunction", "app.lambda_handler", FUNCTIONS / "odd",
         environment={"PARITY": "odd", "AWS_REGION": "eu-west-3"}),
    spec("EvenFunction", "app.lambda_handler", FUNCTIONS / "even",
         environment={"PARITY": "even"}),
    spec("Hyphen", "src/my-mod.handler", FUNCTIONS / "hyphen", layers=(LAYER,)),
    spec("Inline", "index.handler", None,
         inline_code="import os\n\ndef handler(event, context):\n"
                     "    return {'inline': event, 'files': sorted(os.listdir('.'))}\n"),
    spec("Context", "app.context_of", MISC, memory_mb=256, timeout_seconds=5,
         aliases=("live",)),
    spec("Sleepy", "app.sleep", MISC, timeout_seconds=0.5),
    spec("Raises", "app.raises", MISC),
    spec("Unserialisable", "app.unserialisable", MISC),
    spec("Exits", "app.exits", MISC),
    spec("Broken", "app.handler", FUNCTIONS / "broken"),
    spec("Missing", "app.handler", FUNCTIONS / "missing"),
    spec("NoHandler", "app.nothing_here", MISC),
    spec("NoDot", "app", MISC),
    spec("Decimals", "app.decimals", MISC),
    spec("Big", "app.big", MISC),
    spec("Node", "index.handler", MISC, runtime="nodejs20.x"),
    spec("OldPython", "app.raises", MISC, runtime="python3.8"),
]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaRuntime]:
    syntax = tmp_path_factory.mktemp("syntax")  # written here: no linter reads it
    (syntax / "app.py").write_text("def handler(event, context)\n    return {}\n")
    rt = LambdaRuntime([*SPECS, spec("Syntax", "app.handler", syntax)],
                       region="us-east-1", account="123456789012")
    yield rt
    rt.close()


def invoke(rt: LambdaRuntime, name: str, payload: Any = None, **kwargs: Any) -> InvokeResult:
    return asyncio.run(rt.invoke(name, payload, **kwargs))


def document(result: InvokeResult) -> Any:
    return json.loads(result.payload)


def test_same_handler_name_in_two_folders_each_with_its_environment(runtime) -> None:
    odd = invoke(runtime, "OddFunction", {"value": 3})
    even = invoke(runtime, "EvenFunction", {"value": 3})
    assert odd.function_error is None and even.function_error is None
    assert document(odd)["parity"] == "odd" and document(odd)["odd"] is True
    assert document(even)["parity"] == "even" and document(even)["even"] is False
    # Each in processes of its own, its code folder the working directory.
    assert document(odd)["pid"] != document(even)["pid"]
    assert document(odd)["cwd"] == str(FUNCTIONS / "odd")
    assert document(even)["cwd"] == str(FUNCTIONS / "even")


def test_module_is_imported_once_per_process(runtime) -> None:
    first = document(invoke(runtime, "OddFunction", {"value": 1}))
    second = document(invoke(runtime, "OddFunction", {"value": 2}))
    assert second["pid"] == first["pid"]
    assert (first["inits"], second["inits"]) == (1, 1)
    assert second["calls"] == first["calls"] + 1


def test_lambda_environment_and_context(runtime) -> None:
    client = base64.b64encode(json.dumps({"custom": {"tenant": "a"}}).encode()).decode()
    result = invoke(runtime, "Context", {}, qualifier="live", client_context=client)
    out = document(result)
    assert result.executed_version == "1"
    assert out["function_name"] == "Context" and out["version"] == "1"
    assert out["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Context:live"
    assert out["memory"] == "256"  # a string, as Lambda's runtime reads it
    assert out["request_id"] == result.request_id
    assert out["log_group"] == "/aws/lambda/Context"
    assert "/[$LATEST]" in out["log_stream"]
    assert out["identity"] is None and out["client"] == {"tenant": "a"}
    first, later = out["remaining"]
    assert 5000 >= first > later >= first - 5000 and later <= first - 40
    assert out["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": "Context", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{PYTHON}", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/Context", "LAMBDA_TASK_ROOT": str(MISC),
        "_HANDLER": "app.context_of", "TZ": ":UTC", "LANG": os.environ.get("LANG", "en_US.UTF-8"),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}
    assert out["local_time_is_utc"] is True
    assert out["first_path"] == str(MISC)
    # The unqualified ARN when no qualifier is given.
    assert document(invoke(runtime, "Context", {}))["arn"].endswith(":function:Context")


def test_hyphenated_module_in_a_subfolder_with_a_layer(runtime) -> None:
    out = document(invoke(runtime, "Hyphen", {"name": "ada"}))
    assert out == {"greeting": "hello ada",
                   "layer": str(LAYER / "python" / "shared_lib.py")}


def test_inline_code_is_index_py(runtime) -> None:
    out = document(invoke(runtime, "Inline", '{"a": 1}'))
    assert out == {"inline": {"a": 1}, "files": ["index.py"]}


def test_a_handler_that_raises_gives_lambdas_document(runtime) -> None:
    result = invoke(runtime, "Raises", {"value": 7})
    assert result.function_error == "Unhandled"
    assert document(result) == {
        "errorMessage": "cannot handle 7", "errorType": "ValueError",
        "requestId": result.request_id,
        "stackTrace": [f'  File "{MISC / "app.py"}", line 38, in raises\n'
                       "    raise ValueError(f\"cannot handle {event['value']}\")\n"]}
    # json.dumps' spacing, as Lambda's Python runtime writes it.
    assert result.payload.startswith(b'{"errorMessage": "cannot handle 7", ')


@pytest.mark.parametrize("name, error_type, message", [
    ("Missing", "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'nonexistent_package'"),
    ("NoHandler", "Runtime.HandlerNotFound", "Handler 'nothing_here' missing on module 'app'"),
    ("Broken", "RuntimeError", "configuration missing: TABLE"),
    ("NoDot", "Runtime.MalformedHandlerName",
     "Bad handler 'app': not enough values to unpack (expected 2, got 1)"),
    ("Syntax", "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'app': expected ':' (app.py, line 1)"),
])
def test_init_failures(runtime, name: str, error_type: str, message: str) -> None:
    result = invoke(runtime, name, {})
    assert result.function_error == "Unhandled"
    out = document(result)
    assert (out["errorType"], out["errorMessage"], out["requestId"]) == (
        error_type, message, "")
    if name == "Broken":  # the module's own frame is in the stack, the runtime's are not
        assert any(str(FUNCTIONS / "broken" / "app.py") in entry for entry in out["stackTrace"])
        assert not any("bootstrap.py" in entry for entry in out["stackTrace"])
    assert runtime.process_ids(name) == []  # the process ended; the next one retries init


def test_marshal_error_and_a_process_that_dies(runtime) -> None:
    out = document(invoke(runtime, "Unserialisable", {}))
    assert out["errorType"] == "Runtime.MarshalError"
    assert out["errorMessage"] == ("Unable to marshal response: Object of type set is not "
                                   "JSON serializable")
    result = invoke(runtime, "Exits", {})
    assert document(result) == {
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: "
                        "exit status 3", "errorType": "Runtime.ExitError"}


def test_results_as_lambdas_runtime_writes_them(runtime) -> None:
    result = invoke(runtime, "Decimals", {})
    assert document(result) == {"count": 3, "price": 2.5, "raw": "é"}
    too_big = invoke(runtime, "Big", {})
    assert document(too_big) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
                        "(6291556 bytes).", "errorType": "Function.ResponseSizeTooLarge"}


def test_timeout_kills_and_replaces_the_process(runtime) -> None:
    started = time.monotonic()
    result = invoke(runtime, "Sleepy", {"seconds": 5})
    assert time.monotonic() - started < 3
    assert document(result) == {
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 0.50 "
                        "seconds", "errorType": "Sandbox.Timedout"}
    assert runtime.process_ids("Sleepy") == []
    fine = document(invoke(runtime, "Sleepy", {"seconds": 0}))
    assert fine["slept"] == 0 and runtime.process_ids("Sleepy") == [fine["pid"]]


def test_a_process_ends_itself_after_a_deadline_its_parent_missed() -> None:
    """The backstop for a server that died mid-invocation: SIGALRM's default action."""
    from stepfn.lambda_runtime.bootstrap import write_frame
    from stepfn.lambda_runtime.environment import BOOTSTRAP

    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    child = subprocess.Popen([sys.executable, str(BOOTSTRAP), str(request_read),
                              str(response_write)], pass_fds=(request_read, response_write),
                             cwd=MISC, stdout=subprocess.DEVNULL)
    os.close(request_read)
    os.close(response_write)
    try:
        write_frame(request_write, {"handler": "app.sleep", "task_root": str(MISC),
                                    "backstop_seconds": 0.2})
        write_frame(request_write, {"request_id": "r", "invoked_arn": "a",
                                    "deadline_ms": int(time.time() * 1000)}, b'{"seconds": 30}')
        assert child.wait(timeout=10) == -signal.SIGALRM
    finally:
        child.kill()
        os.close(request_write)
        os.close(response_read)


def test_output_goes_to_the_log_prefixed_never_to_stdout(runtime, caplog, capfd) -> None:
    with caplog.at_level(logging.INFO, logger="stepfn.lambda"):
        result = invoke(runtime, "OddFunction", {"value": 5})
        invoke(runtime, "Context", {})
        deadline = time.monotonic() + 5
        while "looked at the context" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
    assert f"[OddFunction {result.request_id}] checking 5" in caplog.text
    assert f"[OddFunction] REPORT RequestId: {result.request_id}\tDuration: " in caplog.text
    # Python's logging in a function writes Lambda's log lines.
    assert "[INFO]\t" in caplog.text and "looked at the context" in caplog.text
    assert "checking 5" not in capfd.readouterr().out


def test_what_cannot_run_is_listed_and_not_found(runtime) -> None:
    unsupported = {spec.name: reason for spec, reason in runtime.unsupported()}
    assert set(unsupported) == {"Node"}
    assert "nodejs20.x" in unsupported["Node"]
    assert "Node" not in runtime.names() and "OddFunction" in runtime.names()
    with pytest.raises(FunctionNotFound) as raised:
        invoke(runtime, "Node", {})
    assert "stepfn runs Python 3 functions only" in (raised.value.reason or "")
    with pytest.raises(FunctionNotFound):
        invoke(runtime, "Context", {}, qualifier="no-such-alias")


def test_notes_on_runtime_versions_requirements_and_reserved_variables(runtime) -> None:
    notes = runtime.notes()
    assert any(note.startswith("function OldPython: declared runtime python3.8, run by "
                               f"{PYTHON}") for note in notes), notes
    [missing] = [note for note in notes if note.startswith("function Missing:")]
    assert "requirements.txt lists nonexistent-package, not installed" in missing
    assert "boto3" not in missing
    assert any("function OddFunction: its Environment sets AWS_REGION" in note
               for note in notes)
    assert not any(note.startswith("function EvenFunction") for note in notes)


def test_event_and_dry_run_invocations(runtime, tmp_path: Path) -> None:
    dry = invoke(runtime, "OddFunction", {"value": 1}, invocation_type="DryRun")
    assert (dry.status_code, dry.payload) == (204, b"")
    marker = tmp_path / "touched"
    with LambdaRuntime([spec("Touch", "app.touch", MISC)]) as rt:
        event = invoke(rt, "Touch", {"path": str(marker)}, invocation_type="Event")
        assert (event.status_code, event.payload) == (202, b"")
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert marker.read_text() == "touched"


def test_concurrent_invocations_get_processes_of_their_own() -> None:
    sleepy = spec("Parallel", "app.sleep", MISC, timeout_seconds=5)
    limited = spec("Limited", "app.sleep", MISC, timeout_seconds=5, reserved_concurrency=1)
    with LambdaRuntime([sleepy, limited], max_processes=4) as rt:
        async def three(name: str) -> list[Any]:
            return await asyncio.gather(
                *(rt.invoke(name, {"seconds": 0.3}) for _ in range(3)),
                return_exceptions=True)

        pids = {document(result)["pid"] for result in asyncio.run(three("Parallel"))}
        assert len(pids) == 3 and set(rt.process_ids("Parallel")) == pids
        # Beyond its reserved concurrency, Lambda throttles.
        outcomes = asyncio.run(three("Limited"))
        throttled = [o for o in outcomes if isinstance(o, TooManyRequests)]
        assert len(throttled) == 2 and len(rt.process_ids("Limited")) == 1


def test_the_global_cap_makes_room_from_idle_processes() -> None:
    specs = [spec(f"F{i}", "app.sleep", MISC) for i in range(3)]
    with LambdaRuntime(specs, max_processes=2) as rt:
        for name in ("F0", "F1", "F2"):
            assert invoke(rt, name, {"seconds": 0}).function_error is None
        alive = [name for name in ("F0", "F1", "F2") if rt.process_ids(name)]
        assert alive == ["F1", "F2"]  # the least recently used one made room


def test_idle_processes_are_reaped() -> None:
    with LambdaRuntime([spec("Idle", "app.sleep", MISC)], idle_seconds=0.2) as rt:
        invoke(rt, "Idle", {"seconds": 0})
        assert len(rt.process_ids("Idle")) == 1
        deadline = time.monotonic() + 5
        while rt.process_ids("Idle") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert rt.process_ids("Idle") == []
        assert invoke(rt, "Idle", {"seconds": 0}).function_error is None  # a cold start


def test_reload_restarts_only_what_changed() -> None:
    odd, even = SPECS[0], SPECS[1]
    with LambdaRuntime([odd, even]) as rt:
        before = {n: document(invoke(rt, n, {"value": 1}))["pid"] for n in rt.names()}
        changed = asyncio.run(rt.reload([odd, replace(even, environment={"PARITY": "EVEN"})]))
        assert changed == ["EvenFunction"]
        after = {n: document(invoke(rt, n, {"value": 1})) for n in rt.names()}
        assert after["OddFunction"]["pid"] == before["OddFunction"]
        assert after["EvenFunction"]["pid"] != before["EvenFunction"]
        assert after["EvenFunction"]["parity"] == "EVEN"
        assert asyncio.run(rt.reload([odd], restart=["OddFunction"])) == [
            "EvenFunction", "OddFunction"]
        assert rt.names() == ["OddFunction"]
        assert document(invoke(rt, "OddFunction", {"value": 1}))["pid"] != before["OddFunction"]


def test_one_runtime_serves_several_event_loops_at_once() -> None:
    with LambdaRuntime([spec("Shared", "app.sleep", MISC, timeout_seconds=5)]) as rt:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: invoke(rt, "Shared", {"seconds": 0.1}), range(2)))
    assert all(r.function_error is None for r in results)


SYSTEM_PYTHON = "/usr/bin/python3.11"


@pytest.mark.skipif(not Path(SYSTEM_PYTHON).exists(), reason="no system Python 3.11 here")
def test_another_interpreter_without_stepfn_runs_the_function() -> None:
    """The bootstrap needs the standard library only: a Python with no stepfn (nor
    boto3) installed runs the function, and the notes say what it lacks."""
    specs = [spec("Elsewhere", "app.interpreter", MISC, python=SYSTEM_PYTHON),
             spec("Needs", "app.handler", FUNCTIONS / "missing")]
    with LambdaRuntime(specs, python=SYSTEM_PYTHON) as rt:
        out = document(invoke(rt, "Elsewhere", {}))
        assert out == {"executable": SYSTEM_PYTHON, "stepfn_importable": False}
        [note] = [n for n in rt.notes() if n.startswith("function Needs:")]
        assert "lists boto3, nonexistent-package, not installed for /usr/bin/python3.11" in note
