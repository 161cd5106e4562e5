"""``arn:aws:states:::http:invoke``: the HTTP Task, as a real HTTP request.

Parameters as AWS documents them: ``ApiEndpoint`` and ``Method`` (required),
``Headers``, ``QueryParameters``, ``RequestBody`` and ``Transform``
(``RequestBodyEncoding: NONE | URL_ENCODED`` with
``RequestEncodingOptions.ArrayFormat: INDICES (default) | BRACKETS | REPEAT | COMMAS``).
``Authentication.ConnectionArn`` is accepted; stepfn does not read EventBridge
connections, so put credentials in ``Headers`` when running locally.

The result is ``{Headers: {name: [values]}, ResponseBody, StatusCode, StatusText}`` with
``StatusCode`` as a string and a JSON response body parsed. A non-2xx answer fails the
task with ``States.Http.StatusCode.<code>`` (the cause is that same response document as
JSON text); a network failure or the 60-second limit with ``States.Http.Socket``.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from .. import jsonutil
from ..errors import StatesError
from .aws_sdk import unknown_resource, unsupported_pattern
from .base import TaskCall

HTTP_TIMEOUT_SECONDS = 60.0
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
ARRAY_FORMATS = frozenset({"INDICES", "BRACKETS", "REPEAT", "COMMAS"})


@dataclass(frozen=True)
class HttpRequest:
    """A prepared request: everything is text or bytes, ready for the wire."""

    url: str
    method: str
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class HttpInvokeHandler:
    """Runs HTTP Tasks with the standard library, off the event loop."""

    def __init__(self, region: str = "us-east-1",
                 timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        self.region = region
        self.timeout = timeout

    async def invoke(self, call: TaskCall) -> Any:
        ref = call.ref
        if ref.resource != "invoke":
            raise unknown_resource(ref.arn)
        if ref.pattern:
            raise unsupported_pattern(ref.arn, ref.pattern)
        request = build_request(call.parameters, ref.region or self.region)
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(None, send, request, self.timeout)
        result = result_document(answer)
        if not 200 <= answer.status < 300:
            raise StatesError(f"States.Http.StatusCode.{answer.status}", jsonutil.dumps(result))
        return result


def _invalid(message: str) -> StatesError:
    return StatesError("States.Runtime", message)


def build_request(params: Any, region: str) -> HttpRequest:
    """Validate the task's parameters and turn them into a request."""
    if not isinstance(params, dict):
        raise _invalid("The HTTP Task requires Parameters with ApiEndpoint and Method")
    endpoint = params.get("ApiEndpoint")
    method = params.get("Method")
    if not isinstance(endpoint, str) or not endpoint:
        raise _invalid("The HTTP Task field 'ApiEndpoint' must be a non-empty string")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise _invalid(f"The HTTP Task field 'Method' must be one of {sorted(METHODS)}")
    headers = {"User-Agent": f"Amazon|StepFunctions|HttpInvoke|{region}"}
    headers.update({str(name): _header_text(value)
                    for name, value in (params.get("Headers") or {}).items()})
    url = _with_query(endpoint, params.get("QueryParameters"))
    body = _encode_body(params, headers)
    return HttpRequest(url, method.upper(), headers, body)


def _header_text(value: Any) -> str:
    return value if isinstance(value, str) else jsonutil.dumps(value)


def _with_query(endpoint: str, query: Any) -> str:
    if not query:
        return endpoint
    if not isinstance(query, dict):
        raise _invalid("The HTTP Task field 'QueryParameters' must be an object")
    pairs = _flatten(query, "REPEAT")
    separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
    return endpoint + separator + urllib.parse.urlencode(pairs)


def _encode_body(params: dict, headers: dict[str, str]) -> bytes | None:
    if "RequestBody" not in params or params["RequestBody"] is None:
        return None
    body = params["RequestBody"]
    transform = params.get("Transform") or {}
    if transform.get("RequestBodyEncoding", "NONE") == "URL_ENCODED":
        if not isinstance(body, dict):
            raise _invalid("A URL_ENCODED RequestBody must be a JSON object")
        array_format = (transform.get("RequestEncodingOptions") or {}).get(
            "ArrayFormat", "INDICES")
        if array_format not in ARRAY_FORMATS:
            raise _invalid(f"Unsupported ArrayFormat: {array_format}")
        _default_header(headers, "Content-Type", "application/x-www-form-urlencoded")
        return urllib.parse.urlencode(_flatten(body, array_format)).encode()
    _default_header(headers, "Content-Type", "application/json")
    return body.encode() if isinstance(body, str) else jsonutil.dumps_bytes(body)


def _default_header(headers: dict[str, str], name: str, value: str) -> None:
    if not any(key.lower() == name.lower() for key in headers):
        headers[name] = value


def _flatten(value: dict, array_format: str, prefix: str = "") -> list[tuple[str, str]]:
    """Form/query pairs for a JSON object, arrays written in the requested format."""
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        pairs.extend(_flatten_item(name, item, array_format))
    return pairs


def _flatten_item(name: str, item: Any, array_format: str) -> list[tuple[str, str]]:
    if isinstance(item, dict):
        return _flatten(item, array_format, name)
    if not isinstance(item, list):
        return [(name, _scalar_text(item))]
    if array_format == "COMMAS":
        return [(name, ",".join(_scalar_text(element) for element in item))]
    pairs: list[tuple[str, str]] = []
    for index, element in enumerate(item):
        element_name = {"INDICES": f"{name}[{index}]", "BRACKETS": f"{name}[]"}.get(
            array_format, name)
        pairs.extend(_flatten_item(element_name, element, array_format))
    return pairs


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return jsonutil.dumps(value)  # true/false/null/numbers as JSON spells them


def send(request: HttpRequest, timeout: float) -> HttpAnswer:
    """Send a request (blocking); non-2xx answers are answers, not exceptions."""
    wire = urllib.request.Request(request.url, data=request.body, headers=request.headers,
                                  method=request.method)
    try:
        with urllib.request.urlopen(wire, timeout=timeout) as response:
            return HttpAnswer(response.status, response.reason or "",
                              list(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, str(error.reason or ""),
                              list(error.headers.items()) if error.headers else [],
                              error.read() or b"")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StatesError("States.Http.Socket",
                          f"Error connecting to {request.url}: {reason}") from None


def result_document(answer: HttpAnswer) -> dict:
    """The task result AWS builds from an HTTP response."""
    headers: dict[str, list[str]] = {}
    content_type = ""
    for name, value in answer.headers:
        headers.setdefault(name, []).append(value)
        if name.lower() == "content-type":
            content_type = value.lower()
    return {
        "Headers": headers,
        "ResponseBody": _response_body(answer.body, content_type),
        "StatusCode": str(answer.status),
        "StatusText": answer.reason,
    }


def _response_body(body: bytes, content_type: str) -> Any:
    text = body.decode("utf-8", "replace")
    if "json" in content_type and text.strip():
        try:
            return jsonutil.loads(body)
        except ValueError:
            return text
    return text
