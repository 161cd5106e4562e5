"""The program a local Lambda function runs in: one per process, as Lambda's runtime.

Started by ``stepfn.lambda_runtime`` as a script (``python bootstrap.py REQUEST_FD
RESPONSE_FD``) under the function's own interpreter, which may be another Python than
stepfn's: it uses the standard library only, and syntax Python 3.8 reads. It imports the
handler once (the function's init, a cold start), then answers invocations one at a
time for as long as the process lives (warm starts), as Lambda's Python runtime does:
the same handler resolution (``src/my-mod.handler`` is module ``src.my-mod``), the same
context object, the same error documents and names (``Runtime.ImportModuleError``,
``Runtime.HandlerNotFound``, ``Runtime.MarshalError``, ...).

Invocations cross two private pipes, never stdout: the function's own output (print,
logging) goes to stdout, which the parent reads as the function's log. A frame is two
big-endian 32-bit lengths, a JSON header and a body (the event, the result or the error
document as JSON text).

``python bootstrap.py --probe`` instead reads a JSON request on stdin and answers on
stdout which Python this is and which listed distributions it cannot find (the checks
stepfn makes once when it starts a function's interpreter).
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import os
import resource
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

FRAME_PREFIX = struct.Struct(">II")
# Frames of this file are left out of a function's stack trace, as Lambda's runtime
# leaves out its own (it matches "/bootstrap.py" too).
_OWN_FRAMES = "/bootstrap.py"
BACKSTOP_SECONDS = 5.0  # how long after a deadline a process ends itself (see _arm_backstop)


# -- framing (also used by the parent process) ---------------------------------------------
def write_frame(fd: int, header: dict[str, Any], body: bytes = b"") -> None:
    """Write one frame to ``fd`` (blocking until it is all written)."""
    head = json.dumps(header).encode()
    view = memoryview(FRAME_PREFIX.pack(len(head), len(body)) + head + body)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(fd: int) -> tuple[dict[str, Any], bytes] | None:
    """The next frame on ``fd``; None at end of file (the other side is gone)."""
    prefix = _read_exact(fd, FRAME_PREFIX.size)
    if prefix is None:
        return None
    head_size, body_size = FRAME_PREFIX.unpack(prefix)
    head = _read_exact(fd, head_size)
    body = _read_exact(fd, body_size) if body_size else b""
    if head is None or body is None:
        return None
    return json.loads(head), body


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# -- Lambda's error documents ---------------------------------------------------------------
class Fault(Exception):
    """An error the runtime itself reports (its name is Lambda's, e.g. Runtime.*)."""

    def __init__(self, error_type: str, message: str,
                 trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def error_document(message: str, error_type: str, stack_trace: list[str],
                   request_id: str = "") -> bytes:
    """Lambda's Python error document, with json.dumps' spacing as the runtime writes it."""
    return json.dumps({"errorMessage": message, "errorType": error_type,
                       "requestId": request_id, "stackTrace": stack_trace}).encode()


def user_stack(tb: Any) -> list[str]:
    """The formatted stack from the first frame that is not this runtime's."""
    frames = traceback.extract_tb(tb)
    for index, frame in enumerate(frames):
        if _OWN_FRAMES not in frame.filename:
            return traceback.format_list(frames[index:])
    return []


def _log_error(error_type: str, message: str, stack: list[str]) -> None:
    """The [ERROR] lines Lambda's runtime writes to the function's log."""
    lines = ["[ERROR] " + (error_type + ": " if error_type else "") + message]
    if stack:
        lines.append("Traceback (most recent call last):")
        lines += [line for entry in stack for line in entry.splitlines()]
    sys.stdout.write("\n".join(lines) + "\n")


# -- the handler ----------------------------------------------------------------------------
def load_handler(handler: str) -> Callable[..., Any]:
    """Import the handler's module and find the function, as Lambda's runtime does."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault("Runtime.MalformedHandlerName",
                    f"Bad handler '{handler}': {exc}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault("Runtime.BuiltInModuleConflict",
                    f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault("Runtime.ImportModuleError",
                    f"Unable to import module '{module_name}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault("Runtime.UserCodeSyntaxError",
                    f"Syntax error in module '{module_name}': {exc}", trace) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound",
                    f"Handler '{function_name}' missing on module '{module_name}'") from None


class _Object:
    """An attribute bag (the context's identity and client context)."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__})"


class CognitoIdentity(_Object):
    pass


class ClientContext(_Object):
    pass


class Client(_Object):
    pass


class LambdaContext:
    """The context object a handler gets, with the attributes of Lambda's."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.aws_request_id = request["request_id"]
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = request.get("version", "$LATEST")
        self.invoked_function_arn = request["invoked_arn"]
        # A string, as Lambda's runtime reads it from the environment.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.tenant_id = None
        self._deadline_ms = request["deadline_ms"]
        self.identity = CognitoIdentity(cognito_identity_id=None,
                                        cognito_identity_pool_id=None)
        self.client_context = _client_context(request.get("client_context"))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: Any) -> None:
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},"
                f"function_name={self.function_name},"
                f"function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn}])")


def _client_context(value: Any) -> ClientContext | None:
    if not isinstance(value, dict):
        return None
    client = value.get("client")
    fields = ("installation_id", "app_title", "app_version_name", "app_version_code",
              "app_package_name")
    return ClientContext(
        custom=value.get("custom"), env=value.get("env"),
        client=Client(**{name: client.get(name) for name in fields})
        if isinstance(client, dict) else None)


def _json_default(value: Any) -> Any:
    """Decimals (as boto3's DynamoDB items hold numbers) are JSON numbers, as Lambda's
    runtime writes them."""
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return float("nan")
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(result: Any) -> tuple[bytes, str]:
    """The response body and its content type; a value JSON cannot hold is Lambda's
    Runtime.MarshalError."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    ascii_only = os.environ.get("AWS_EXECUTION_ENV") != "AWS_Lambda_python3.12"
    try:
        text = json.dumps(result, default=_json_default, ensure_ascii=ascii_only)
    except Exception as exc:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None
    return text.encode(), "application/json"


# -- the process ----------------------------------------------------------------------------
_REQUEST_ID = ""
_BACKSTOP = [BACKSTOP_SECONDS]


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _REQUEST_ID
        return True


def _setup_output() -> None:
    """Output reaches the log line by line (Lambda's runtime writes unbuffered), and the
    root logger writes Lambda's log lines to it, so ``logger.info`` is seen as there."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL"):
        logging.getLogger().setLevel("WARNING" if level == "WARN" else
                                     "CRITICAL" if level == "FATAL" else level)


def search_path(task_root: str, layers: list[str]) -> list[str]:
    """The folders a function imports from before the interpreter's own: the code
    folder, then each layer's ``python/lib/pythonX.Y/site-packages`` and ``python/``
    (a later layer first, as a later layer's files win in /opt)."""
    version = "python{}.{}".format(*sys.version_info[:2])
    path = [task_root]
    for layer in reversed(layers):
        path += [os.path.join(layer, "python", "lib", version, "site-packages"),
                 os.path.join(layer, "python")]
    return path


def _set_path(task_root: str, layers: list[str]) -> None:
    """``search_path`` first, never this file's folder."""
    own = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != own]
    sys.path[:0] = search_path(task_root, layers)


def _arm_backstop(seconds: float) -> bool:
    """End this process (SIGALRM's default action, which no busy C call delays) a little
    after the invocation's deadline, in case the parent that enforces it is gone; not
    when the function handles SIGALRM itself."""
    if signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL:
        return False
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0) + _BACKSTOP[0])
    return True


def _invoke(handler: Callable[..., Any], request: dict[str, Any],
            body: bytes) -> tuple[dict[str, Any], bytes]:
    global _REQUEST_ID
    request_id = request["request_id"]
    _REQUEST_ID = request_id
    os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id", "")
    backstop = _arm_backstop(request["deadline_ms"] / 1000 - time.time())
    try:
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise Fault("Runtime.UnmarshalError",
                        f"Unable to unmarshal input: {exc}") from None
        result = handler(event, LambdaContext(request))
        payload, content_type = marshal(result)
        header: dict[str, Any] = {"ok": True, "content_type": content_type}
    except Fault as fault:
        _log_error(fault.error_type, fault.message, fault.trace)
        payload = error_document(fault.message, fault.error_type, fault.trace, request_id)
        header = {"ok": False}
    except Exception as exc:
        stack = user_stack(exc.__traceback__)
        _log_error(type(exc).__name__, str(exc), stack)
        payload = error_document(str(exc), type(exc).__name__, stack, request_id)
        header = {"ok": False}
    if backstop:
        signal.setitimer(signal.ITIMER_REAL, 0)
    sys.stdout.flush()
    sys.stderr.flush()
    header["max_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return header, payload


def serve(request_fd: int, response_fd: int) -> int:
    """Init, then answer invocations until the parent closes the pipe; the exit status."""
    started = time.perf_counter()
    frame = read_frame(request_fd)
    if frame is None:
        return 0
    init = frame[0]
    _BACKSTOP[0] = float(init.get("backstop_seconds", BACKSTOP_SECONDS))
    _set_path(init["task_root"], init.get("layers", []))
    _setup_output()
    try:
        handler = load_handler(init["handler"])
    except Fault as fault:
        _log_error(fault.error_type, fault.message, fault.trace)
        write_frame(response_fd, {"init_error": True},
                    error_document(fault.message, fault.error_type, fault.trace))
        return 1
    except Exception as exc:  # the module raised while it was imported
        stack = user_stack(exc.__traceback__)
        _log_error(type(exc).__name__, str(exc), stack)
        write_frame(response_fd, {"init_error": True},
                    error_document(str(exc), type(exc).__name__, stack))
        return 1
    sys.stdout.flush()
    write_frame(response_fd, {"ready": True,
                              "init_ms": (time.perf_counter() - started) * 1000})
    while True:
        frame = read_frame(request_fd)
        if frame is None:
            return 0
        header, payload = _invoke(handler, frame[0], frame[1])
        write_frame(response_fd, header, payload)


def probe(request: dict[str, Any]) -> dict[str, Any]:
    """This interpreter's version, and for each check (a function's code folder, layers
    and requirement names, normalised) the names no distribution on its path provides."""
    import importlib.metadata
    import re

    missing: dict[str, list[str]] = {}
    for key, check in request.get("checks", {}).items():
        paths = search_path(check["task_root"], check["layers"]) + sys.path
        found = set()
        for dist in importlib.metadata.distributions(path=paths):
            found.add(re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower())
        missing[key] = [name for name in check["requirements"] if name not in found]
    return {"version": list(sys.version_info[:2]), "missing": missing}


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--probe"]:
        sys.stdout.write(json.dumps(probe(json.load(sys.stdin))))
        return 0
    request_fd, response_fd = int(argv[1]), int(argv[2])
    for fd in (request_fd, response_fd):
        os.set_inheritable(fd, False)  # the function's own subprocesses do not get them
    sys.argv = argv[:1]
    return serve(request_fd, response_fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
