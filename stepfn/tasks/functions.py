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
from typing import Any

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


def function_name_of(identifier: str) -> str:
    """The function name in a name, a partial ARN or a full ARN (qualifier dropped)."""
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        return parts[6] if len(parts) > 6 else identifier
    parts = identifier.split(":")
    if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name
        return parts[2]
    return parts[0]


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
    """Lambda's Python runtime error document (json.dumps spacing, as it prints it).

    The stack trace starts at the function itself, as Lambda's does: the frames of
    stepfn and of the thread pool that called it are left out.
    """
    remote = getattr(exc, "__stepfn_stack__", None)
    if remote is not None:  # raised in a worker process: its formatted stack came along
        entries = ["  File " + part for part in remote.split("\n  File ")[1:]]
        stack = entries[1:]  # drop _call_in_process itself
        if stack:  # the last entry carries the exception line(s) after the code line
            stack[-1] = "\n".join(stack[-1].split("\n")[:2]) + "\n"
        return json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                           "requestId": request_id, "stackTrace": stack})
    frames: list[traceback.FrameSummary] = traceback.extract_tb(exc.__traceback__)
    code = getattr(fn, "__code__", None)
    for i, frame in enumerate(frames):
        if code is not None and frame.filename == code.co_filename \
                and frame.name == code.co_name:
            frames = frames[i:]
            break
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    })


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


def lambda_invoke_result(payload: Any, content_length: int) -> dict:
    """The ``lambda:invoke`` integration's result around a function's payload."""
    request_id = str(uuid.uuid4())
    date = email.utils.formatdate(usegmt=True)
    headers = {
        "Connection": "keep-alive", "Content-Length": str(content_length),
        "Content-Type": "application/json", "Date": date,
        "X-Amz-Executed-Version": "$LATEST", "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": request_id, "X-Amzn-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}",
    }
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {k: [v] for k, v in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }


class LambdaHandler:
    """Runs Lambda resources on registered local functions.

    A name with no local function goes to ``remote`` (real Lambda through boto3) only
    when one is given, i.e. when the user turned forwarding on (``--lambda-forward``,
    ``STEPFN_LAMBDA_FORWARD=1``); otherwise it fails as Lambda does for a missing
    function, with the local functions listed in the cause.
    """

    def __init__(self, registry: FunctionRegistry, remote: Any = None,
                 region: str = "us-east-1", account: str = "123456789012") -> None:
        self.registry = registry
        # Invoked for names not registered here (real Lambda through boto3), when set.
        self.remote = remote
        self.region = region
        self.account = account

    async def invoke(self, call: TaskCall) -> Any:
        ref = call.ref
        if self.remote is not None:
            name = self._lookup_name(call)
            if name is not None and name not in self.registry:
                try:
                    return await self.remote.invoke(call)
                except LookupError:
                    pass  # no AWS configured: report the function as not found, below
        if ref.kind == "lambda-function":
            func = self._lookup(ref.function_name, ref.arn)
            return await call_function(func, call.parameters_text, ref.arn)
        # arn:aws:states:::lambda:invoke -- Parameters carry FunctionName and Payload.
        params = call.parameters if isinstance(call.parameters, dict) else {}
        identifier = params.get("FunctionName")
        if not isinstance(identifier, str):
            raise StatesError("States.Runtime", "The field 'FunctionName' is required")
        func = self._lookup(function_name_of(identifier), identifier)
        payload_text = invoke_payload_text(params.get("Payload"))
        result = await call_function(func, payload_text, identifier, compact_cause=True)
        # Lambda's Python runtime writes the response with json.dumps' default spacing.
        return lambda_invoke_result(result, len(json.dumps(result, ensure_ascii=False).encode()))

    @staticmethod
    def _lookup_name(call: TaskCall) -> str | None:
        """The function name a call addresses (None when it names none)."""
        if call.ref.kind == "lambda-function":
            return call.ref.function_name
        params = call.parameters if isinstance(call.parameters, dict) else {}
        identifier = params.get("FunctionName")
        return function_name_of(identifier) if isinstance(identifier, str) else None

    def _lookup(self, name: str, identifier: str) -> LocalFunction:
        func = self.registry.get(name)
        if func is None:
            # Lambda names the function by its full ARN, whatever form the caller used.
            arn = identifier if identifier.startswith("arn:") else (
                f"arn:aws:lambda:{self.region}:{self.account}:function:{name}")
            raise StatesError("Lambda.ResourceNotFoundException",
                              not_found_cause(arn, self.registry.names(),
                                              forwarding=self.remote is not None))
        return func


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
