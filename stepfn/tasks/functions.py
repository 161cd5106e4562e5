"""Local Python functions, addressed as AWS Lambda functions.

A function registered under ``name`` answers both
``arn:aws:lambda:<region>:<account>:function:<name>`` (direct) and
``arn:aws:states:::lambda:invoke`` with ``FunctionName: <name or ARN>``, so definitions
stay portable to AWS. Payloads cross the boundary as JSON, as with Lambda: the function
gets its own copy and must return JSON-serialisable data. An exception becomes an error
named after its class with Lambda's ``{errorMessage, errorType, requestId, stackTrace}``
cause.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import json
import signal
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from .. import jsonutil
from ..errors import StatesError
from .base import TaskCall

PAYLOAD_LIMIT_BYTES = 256 * 1024


@dataclass
class LambdaContext:
    """The subset of Lambda's context object a local function may read."""

    function_name: str
    aws_request_id: str
    invoked_function_arn: str = ""
    memory_limit_in_mb: int = 128

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass
class LocalFunction:
    name: str
    fn: Callable[..., Any]
    is_async: bool
    wants_context: bool
    # Where a plain function runs: "thread" (a thread pool: blocking I/O), "process" (a
    # process pool: CPU-heavy work, e.g. a parquet export) or "inline" (on the event
    # loop: only for quick pure functions).
    runs_in: str = "thread"


class FunctionRegistry:
    """Python callables by Lambda function name."""

    def __init__(self) -> None:
        self._functions: dict[str, LocalFunction] = {}

    def register(self, name: str, fn: Callable[..., Any], *, blocking: bool = True,
                 runs_in: str | None = None) -> None:
        """Register ``fn(event[, context])`` (sync or async) under ``name``.

        ``runs_in``: "thread" (default), "process" for CPU-heavy functions (they must
        be importable module-level functions) or "inline"; ``blocking=False`` is
        shorthand for "inline".
        """
        where = runs_in or ("thread" if blocking else "inline")
        if where not in ("thread", "process", "inline"):
            raise ValueError(f"runs_in must be thread, process or inline, not {where!r}")
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self._functions[name] = LocalFunction(
            name, fn, inspect.iscoroutinefunction(fn), len(params) >= 2, where)

    def get(self, name: str) -> LocalFunction | None:
        return self._functions.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._functions

    def names(self) -> list[str]:
        """The registered function names, sorted."""
        return sorted(self._functions)


def function_identifier(identifier: str) -> tuple[str, str | None]:
    """The function name and qualifier in a ``FunctionName`` as Lambda takes it: a name
    (``my-function``, ``my-function:live``), a partial ARN
    (``123456789012:function:my-function[:live]``) or a full ARN (with or without a
    qualifier)."""
    parts = identifier.split(":")
    if identifier.startswith("arn:"):
        if len(parts) < 7:
            return identifier, None
        return parts[6], parts[7] if len(parts) > 7 else None
    if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:q]
        return parts[2], parts[3] if len(parts) > 3 else None
    return parts[0], parts[1] if len(parts) > 1 else None


def function_name_of(identifier: str) -> str:
    """The function name in a name, a partial ARN or a full ARN (qualifier dropped)."""
    return function_identifier(identifier)[0]


async def call_function(func: LocalFunction, payload_text: str, invoked_arn: str,
                        compact_cause: bool = False) -> Any:
    """Invoke a local function with a JSON payload; return its JSON result.

    Raises StatesError shaped as Lambda reports a function error: the cause is the
    runtime's JSON text as Lambda writes it, or re-serialised compactly as the
    ``lambda:invoke`` integration reports it (``compact_cause``).
    """
    event = jsonutil.loads(payload_text)
    context = LambdaContext(func.name, str(uuid.uuid4()), invoked_arn)
    args = (event, context) if func.wants_context else (event,)
    try:
        if func.is_async:
            result = await func.fn(*args)
        elif func.runs_in == "thread":
            result = await asyncio.get_running_loop().run_in_executor(None, func.fn, *args)
        elif func.runs_in == "process":
            result = await asyncio.get_running_loop().run_in_executor(
                process_pool(), _call_in_process, func.fn, args)
        else:
            result = func.fn(*args)
    except Exception as exc:  # a function error is data for Retry/Catch
        cause = lambda_error_cause(exc, context.aws_request_id, func.fn)
        if compact_cause:
            cause = jsonutil.dumps(json.loads(cause))
        raise StatesError(type(exc).__name__, cause) from None
    return result_payload(result, invoked_arn)


_PROCESS_POOL: ProcessPoolExecutor | None = None


def process_pool() -> ProcessPoolExecutor:
    """The process pool CPU-heavy functions share (created on first use)."""
    global _PROCESS_POOL
    if _PROCESS_POOL is None:
        _PROCESS_POOL = ProcessPoolExecutor(initializer=_default_signals)
    return _PROCESS_POOL


def _default_signals() -> None:
    """Runs first in each pool worker. A worker forked from `stepfn serve` inherits the
    server's SIGTERM/SIGINT handlers, which only flag the (parent's) server to stop: the
    worker would ignore SIGTERM and outlive the server, holding its listening socket.
    SIGTERM gets its default action back; SIGINT (Ctrl-C reaches the whole process group)
    is left to the server, which stops the pool as it exits."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _call_in_process(fn: Callable[..., Any], args: tuple) -> Any:
    """Runs in a worker process; the traceback cannot cross back, so an exception is
    re-raised there with its formatted stack attached."""
    try:
        return fn(*args)
    except Exception as exc:
        exc.__stepfn_stack__ = traceback.format_exc()  # type: ignore[attr-defined]
        raise


def result_payload(result: Any, invoked_arn: str) -> Any:
    """The function's return value as Lambda would deliver it: JSON, size-checked."""
    if isinstance(result, (bytes, bytearray)):
        raw = bytes(result)
    else:
        try:
            raw = jsonutil.dumps_bytes(result)
        except (TypeError, ValueError, RecursionError) as exc:  # as Lambda: any failure
            raise StatesError("Runtime.MarshalError", jsonutil.dumps({
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError", "requestId": str(uuid.uuid4()),
                "stackTrace": []})) from None
    if len(raw) > PAYLOAD_LIMIT_BYTES:
        raise StatesError(
            "States.DataLimitExceeded",
            f"The state/task '{invoked_arn}' returned a result with a size exceeding the "
            "maximum number of bytes service limit.")
    try:
        return jsonutil.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def lambda_error_cause(exc: BaseException, request_id: str,
                       fn: Callable[..., Any] | None = None) -> str:
    """Lambda's Python runtime error document (json.dumps spacing, as it prints it; the
    one document ``stepfn.lambda_runtime`` writes for template functions too).

    The stack trace starts at the function itself, as Lambda's does: the frames of
    stepfn and of the thread pool that called it are left out.
    """
    from ..lambda_runtime.bootstrap import error_document  # only once something failed

    remote = getattr(exc, "__stepfn_stack__", None)
    if remote is not None:  # raised in a worker process: its formatted stack came along
        entries = ["  File " + part for part in remote.split("\n  File ")[1:]]
        stack = entries[1:]  # drop _call_in_process itself
        if stack:  # the last entry carries the exception line(s) after the code line
            stack[-1] = "\n".join(stack[-1].split("\n")[:2]) + "\n"
        return error_document(str(exc), type(exc).__name__, stack, request_id).decode()
    frames: list[traceback.FrameSummary] = traceback.extract_tb(exc.__traceback__)
    code = getattr(fn, "__code__", None)
    for i, frame in enumerate(frames):
        if code is not None and frame.filename == code.co_filename \
                and frame.name == code.co_name:
            frames = frames[i:]
            break
    return error_document(str(exc), type(exc).__name__, traceback.format_list(frames),
                          request_id).decode()


def invoke_payload_text(payload: Any) -> str:
    """The bytes ``lambda:invoke`` sends: a string Payload is already JSON text (as with
    Lambda's own Invoke), no Payload an empty event."""
    if payload is None:
        return "{}"
    if isinstance(payload, str):
        try:
            jsonutil.loads(payload)
        except ValueError:
            raise StatesError(
                "Lambda.InvalidRequestContentException",
                "Could not parse request body into json: Unrecognized token "
                f"'{payload[:40]}' (Service: Lambda, Status Code: 400)") from None
        return payload
    return jsonutil.dumps(payload)


def lambda_invoke_result(payload: Any, content_length: int, *,
                         executed_version: str | None = "$LATEST",
                         status_code: int = 200) -> dict:
    """The ``lambda:invoke`` integration's result around a function's payload (an
    ``Event`` invocation answers 202 and a ``DryRun`` 204, with an empty payload and no
    executed version)."""
    request_id = str(uuid.uuid4())
    date = email.utils.formatdate(usegmt=True)
    headers = {
        "Connection": "keep-alive", "Content-Length": str(content_length),
        "Content-Type": "application/json", "Date": date,
        "X-Amz-Executed-Version": executed_version or "", "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": request_id, "X-Amzn-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}",
    }
    if executed_version is None:
        del headers["X-Amz-Executed-Version"]
    result: dict[str, Any] = {} if executed_version is None else {
        "ExecutedVersion": executed_version}
    result.update({
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {k: [v] for k, v in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": status_code,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": status_code,
    })
    return result


def function_error(raw: bytes) -> StatesError:
    """A function's own error (Lambda's ``X-Amz-Function-Error``): named by its
    errorType, its error document the cause; ``Lambda.Unknown`` when it names none."""
    text = raw.decode("utf-8", "replace")
    try:
        document = jsonutil.loads(raw)
    except ValueError:
        document = None
    error = document.get("errorType") if isinstance(document, dict) else None
    return StatesError(error if isinstance(error, str) and error else "Lambda.Unknown", text)


def lambda_service_error(code: str, status: int, message: str) -> StatesError:
    """An error of Lambda's Invoke API itself, as the optimized integration names it."""
    return StatesError(f"Lambda.{code}", (
        f"{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; "
        f"Request ID: {uuid.uuid4()}; Proxy: null)"))


class FunctionRuntime(Protocol):
    """What the task layer needs of ``stepfn.lambda_runtime.LambdaRuntime``."""

    def names(self) -> list[str]: ...

    def unsupported(self) -> list[tuple[Any, str]]: ...

    async def invoke(self, name: str, payload: Any = None, *, qualifier: str | None = None,
                     invocation_type: str = "RequestResponse",
                     client_context: str | None = None) -> Any: ...


@dataclass(frozen=True)
class _Target:
    """What a Lambda task addresses, from its resource or its ``lambda:invoke``
    parameters."""

    name: str
    qualifier: str | None
    identifier: str  # as written: what a cause names
    payload_text: str
    direct: bool  # arn:aws:lambda:...:function:NAME (not lambda:invoke)
    invocation_type: str = "RequestResponse"
    client_context: str | None = None


class LambdaHandler:
    """Runs Lambda resources, resolving each function name in one order: a registered
    local function (``--functions``), else a function of the Lambda runtime (a template's,
    run in processes of its own), else real Lambda (``remote``, only when forwarding is
    on: ``--lambda-forward``, ``STEPFN_LAMBDA_FORWARD=1``), else Lambda's
    ``ResourceNotFoundException`` with what stepfn knows listed in the cause.
    """

    def __init__(self, registry: FunctionRegistry, remote: Any = None,
                 region: str = "us-east-1", account: str = "123456789012",
                 runtime: FunctionRuntime | None = None) -> None:
        self.registry = registry
        # Invoked for names not registered here (real Lambda through boto3), when set.
        self.remote = remote
        self.runtime = runtime
        self.region = region
        self.account = account
        self._background: set[asyncio.Task] = set()

    async def invoke(self, call: TaskCall) -> Any:
        target = self._target(call)
        local = self.registry.get(target.name)
        if local is not None:
            return await self._invoke_local(local, target)
        if self.runtime is not None and target.name in self.runtime.names():
            return await self._invoke_runtime(target)
        if self.remote is not None:
            try:
                return await self.remote.invoke(call)
            except LookupError:
                pass  # no AWS configured: report the function as not found, below
        raise self._not_found(target.name, target.identifier)

    def _target(self, call: TaskCall) -> _Target:
        ref = call.ref
        if ref.kind == "lambda-function":
            name, qualifier = function_identifier(ref.arn)
            return _Target(name, qualifier, ref.arn, call.parameters_text, direct=True)
        # arn:aws:states:::lambda:invoke -- Parameters carry FunctionName and Payload.
        params = call.parameters if isinstance(call.parameters, dict) else {}
        identifier = params.get("FunctionName")
        if not isinstance(identifier, str):
            raise StatesError("States.Runtime", "The field 'FunctionName' is required")
        name, qualifier = function_identifier(identifier)
        given = params.get("Qualifier")
        if given is not None:
            if qualifier is not None and str(given) != qualifier:
                raise lambda_service_error(
                    "InvalidParameterValueException", 400,
                    "The derived qualifier from the function name does not match the "
                    "specified qualifier.")
            qualifier = str(given)
        invocation_type = params.get("InvocationType") or "RequestResponse"
        client_context = params.get("ClientContext")
        return _Target(name, qualifier, identifier,
                       invoke_payload_text(params.get("Payload")), direct=False,
                       invocation_type=str(invocation_type),
                       client_context=client_context if isinstance(client_context, str)
                       else None)

    async def _invoke_local(self, func: LocalFunction, target: _Target) -> Any:
        if target.direct:
            return await call_function(func, target.payload_text, target.identifier)
        if target.invocation_type == "DryRun":
            return lambda_invoke_result("", 0, executed_version=None, status_code=204)
        if target.invocation_type == "Event":
            task = asyncio.ensure_future(self._call_in_background(func, target))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return lambda_invoke_result("", 0, executed_version=None, status_code=202)
        result = await call_function(func, target.payload_text, target.identifier,
                                     compact_cause=True)
        # Lambda's Python runtime writes the response with json.dumps' default spacing.
        return lambda_invoke_result(result, len(json.dumps(result, ensure_ascii=False).encode()))

    @staticmethod
    async def _call_in_background(func: LocalFunction, target: _Target) -> None:
        try:
            await call_function(func, target.payload_text, target.identifier)
        except StatesError:
            pass  # as with Lambda's Event invocations, no one is told

    async def _invoke_runtime(self, target: _Target) -> Any:
        assert self.runtime is not None
        try:
            answer = await self.runtime.invoke(
                target.name, target.payload_text, qualifier=target.qualifier,
                invocation_type=target.invocation_type, client_context=target.client_context)
        except LookupError:  # FunctionNotFound: an alias or version it does not have
            raise self._not_found(target.name, target.identifier,
                                  target.qualifier) from None
        except Exception as exc:
            code = getattr(exc, "code", None)
            if not isinstance(code, str):
                raise
            raise lambda_service_error(code, int(getattr(exc, "status", 500)),
                                       str(getattr(exc, "message", exc))) from None
        if answer.function_error:
            error = function_error(answer.payload)
            if not target.direct and error.cause is not None:
                try:
                    error.cause = jsonutil.dumps(jsonutil.loads(error.cause))
                except ValueError:
                    pass
            raise error
        if target.direct:
            return result_payload(answer.payload, target.identifier)
        if answer.status_code != 200:  # Event (202) or DryRun (204): no payload
            return lambda_invoke_result("", 0, executed_version=None,
                                        status_code=answer.status_code)
        return lambda_invoke_result(result_payload(answer.payload, target.identifier),
                                    len(answer.payload),
                                    executed_version=answer.executed_version)

    def _not_found(self, name: str, identifier: str,
                   qualifier: str | None = None) -> StatesError:
        # Lambda names the function by its full ARN, whatever form the caller used.
        arn = identifier if identifier.startswith("arn:") else (
            f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
            + (f":{qualifier}" if qualifier else ""))
        known = self.registry.names()
        reason = None
        if self.runtime is not None:
            known = sorted({*known, *self.runtime.names()})
            reason = next((why for spec, why in self.runtime.unsupported()
                           if getattr(spec, "name", None) == name), None)
        cause = not_found_cause(arn, known, forwarding=self.remote is not None)
        if reason is not None:
            cause += f" [stepfn] {name} cannot run here: {reason}."
        return StatesError("Lambda.ResourceNotFoundException", cause)


def not_found_cause(arn: str, local: list[str], forwarding: bool) -> str:
    """Lambda's cause for a missing function, followed by what stepfn knows: the local
    functions and how to forward other names to AWS."""
    cause = (f"Function not found: {arn} (Service: Lambda, Status Code: 404, "
             f"Request ID: {uuid.uuid4()})")
    listed = ", ".join(local) if local else "none (load some with --functions)"
    cause += f" [stepfn] Local functions: {listed}."
    if not forwarding:
        cause += (" To call real AWS Lambda for other names, pass --lambda-forward or set "
                  "STEPFN_LAMBDA_FORWARD=1.")
    return cause
