"""Lambda's own errors: the documents its platform writes when a function did not end
by itself (the function's own errors come from ``bootstrap.py``), and the Invoke API's
errors, which are not the function's.

A timed-out or crashed invocation answers like a function error (``X-Amz-Function-Error:
Unhandled``) with a document Lambda's Go runtime manager writes compactly:
``{"errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds",
"errorType":"Sandbox.Timedout"}``; Step Functions names the task's error after its
``errorType``.
"""

from __future__ import annotations

import json

MAX_RESPONSE_BYTES = 6_291_556  # Lambda's synchronous response limit
MAX_REQUEST_BYTES = 6_291_456  # and request limit (6 MB)


def platform_error(error_type: str, request_id: str, message: str) -> bytes:
    """A document of Lambda's platform: ``RequestId: <id> Error: <message>``."""
    return json.dumps({"errorMessage": f"RequestId: {request_id} Error: {message}",
                       "errorType": error_type}, separators=(",", ":")).encode()


def timed_out(request_id: str, timeout_seconds: float) -> bytes:
    return platform_error("Sandbox.Timedout", request_id,
                          f"Task timed out after {timeout_seconds:.2f} seconds")


def exited(request_id: str, status: str) -> bytes:
    return platform_error("Runtime.ExitError", request_id,
                          f"Runtime exited with error: {status}")


def response_too_large() -> bytes:
    return json.dumps({
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
                        f"({MAX_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge"}, separators=(",", ":")).encode()


class LambdaServiceError(Exception):
    """An error of the Invoke API itself (``Lambda.<code>`` in Step Functions)."""

    code = "ServiceException"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FunctionNotFound(LambdaServiceError, LookupError):
    """No such function (or version or alias) here; ``reason`` says why, when the
    function is known but cannot run here (another runtime, no code)."""

    code = "ResourceNotFoundException"
    status = 404

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class TooManyRequests(LambdaServiceError):
    """The function's reserved concurrency is all in use (Lambda throttles)."""

    code = "TooManyRequestsException"
    status = 429


class RequestTooLarge(LambdaServiceError):
    code = "RequestTooLargeException"
    status = 413


class InvalidRequestContent(LambdaServiceError):
    code = "InvalidRequestContentException"
    status = 400
