"""Optimized actions that are more than one API call with PascalCase members.

- ``bedrock:invokeModel`` (connect-bedrock): ``ModelId``, ``Body`` (JSON, sent as its
  text) or ``Input.S3Uri`` (the body read from S3), ``ContentType`` (default
  ``application/json``), ``Accept``, ``Output.S3Uri`` (the answer written there instead
  of returned), ``Trace``, ``GuardrailIdentifier``, ``GuardrailVersion``, through Bedrock
  Runtime's InvokeModel; the result ``{"Body": <the answer, parsed when JSON>,
  "ContentType": ...}``.
- ``apigateway:invoke`` (connect-api-gateway): an HTTP request to
  ``https://<ApiEndpoint>/<Stage>/<Path>`` with ``Method``, ``Headers`` (lists of
  values), ``QueryParameters`` (lists of values), ``RequestBody`` (JSON, only for
  PATCH, POST and PUT); the result ``{"Headers", "ResponseBody" (parsed when JSON),
  "StatusCode", "StatusText"}``, and a status other than 200 fails the task with
  ``ApiGateway.<status>``, the response body as the cause. Headers that API Gateway
  reserves (``Authorization``, ``Host``, ``X-Amz-*``, ...) are refused. An
  ``ApiEndpoint`` written with its ``http://`` or ``https://`` scheme is used as it is
  (a local API, e.g. LocalStack's or a test server). It goes through the HTTP Task's
  destination policy (``STEPFN_HTTP_ALLOW``).
"""

from __future__ import annotations

import asyncio
import http
import urllib.parse
from typing import Any

from ... import jsonutil
from ...errors import StatesError
from ..aws_sdk import AwsClients, connection_error, is_service_error
from ..base import TaskCall
from ..http import HTTP_TIMEOUT_SECONDS, HttpRequest, send
from .spec import ErrorStyle

BEDROCK_ERRORS = ErrorStyle("Bedrock", "AmazonBedrockRuntime")


def _params(call: TaskCall) -> dict:
    return call.parameters if isinstance(call.parameters, dict) else {}


async def invoke_model(handler: Any, call: TaskCall) -> Any:
    """``bedrock:invokeModel``."""
    clients: AwsClients = handler.clients
    from .handler import integration_error

    params = _params(call)
    region = call.ref.region
    if not isinstance(params.get("ModelId"), str):
        raise StatesError("States.Runtime", "The field 'ModelId' is required")
    body = params.get("Body")
    source = (params.get("Input") or {}).get("S3Uri")
    if source:
        body = await _read_s3(clients, region, source)
    elif body is None:
        raise StatesError("States.Runtime", "One of the fields 'Body' or 'Input' is required")
    request: dict[str, Any] = {
        "modelId": params["ModelId"],
        "body": body if isinstance(body, bytes | str) else jsonutil.dumps(body),
        "contentType": params.get("ContentType") or "application/json",
        "accept": params.get("Accept") or "application/json",
    }
    for member, name in (("trace", "Trace"), ("guardrailIdentifier", "GuardrailIdentifier"),
                         ("guardrailVersion", "GuardrailVersion"),
                         ("performanceConfigLatency", "PerformanceConfigLatency")):
        if params.get(name) is not None:
            request[member] = params[name]
    client = await clients.client_off_loop("bedrock-runtime", region)
    try:
        response = await clients.call(client, "invoke_model", request)
    except Exception as exc:
        if is_service_error(exc):
            raise integration_error(BEDROCK_ERRORS, client, exc) from None
        raise connection_error("Bedrock", exc) from None
    content_type = response.get("contentType") or request["accept"]
    answer = bytes(response.get("body") or b"")
    target = (params.get("Output") or {}).get("S3Uri")
    if target:
        await _write_s3(clients, region, target, answer, content_type)
        return {"ContentType": content_type}
    return {"Body": _document(answer, content_type), "ContentType": content_type}


def _document(payload: bytes, content_type: str) -> Any:
    text = payload.decode("utf-8", "replace")
    if "json" in content_type.lower() and text.strip():
        try:
            return jsonutil.loads(text)
        except ValueError:
            pass
    return text


def _s3_location(uri: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise StatesError("States.Runtime", f"Not an S3 URI: {uri}")
    return parts.netloc, parts.path.lstrip("/")


async def _read_s3(clients: AwsClients, region: str, uri: str) -> bytes:
    bucket, key = _s3_location(uri)
    client = await clients.client_off_loop("s3", region)
    response = await clients.call(client, "get_object", {"Bucket": bucket, "Key": key})
    return bytes(response["Body"])


async def _write_s3(clients: AwsClients, region: str, uri: str, body: bytes,
                    content_type: str) -> None:
    bucket, key = _s3_location(uri)
    client = await clients.client_off_loop("s3", region)
    await clients.call(client, "put_object", {"Bucket": bucket, "Key": key, "Body": body,
                                             "ContentType": content_type})


# -- API Gateway ------------------------------------------------------------------------
_RESERVED_HEADERS = frozenset(name.lower() for name in (
    "Authorization", "Connection", "Content-md5", "Expect", "Host", "Max-Forwards",
    "Proxy-Authenticate", "Server", "TE", "Transfer-Encoding", "Trailer", "Upgrade",
    "Via", "Www-Authenticate"))
_RESERVED_PREFIXES = ("x-forwarded", "x-amz", "x-amzn")
_BODY_METHODS = frozenset({"PATCH", "POST", "PUT"})


def api_gateway_request(params: dict) -> HttpRequest:
    """The HTTP request an ``apigateway:invoke`` task's parameters describe."""
    endpoint = params.get("ApiEndpoint")
    method = str(params.get("Method") or "").upper()
    if not isinstance(endpoint, str) or not endpoint:
        raise StatesError("States.Runtime", "The field 'ApiEndpoint' is required")
    if method not in {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}:
        raise StatesError("States.Runtime", f"The value of the field 'Method' is not "
                                            f"supported: {params.get('Method')}")
    base = endpoint if "://" in endpoint else f"https://{endpoint}"
    path = "/".join(part.strip("/") for part in (params.get("Stage") or "",
                                                  params.get("Path") or "") if part)
    url = base.rstrip("/") + ("/" + path if path else "")
    query = params.get("QueryParameters") or {}
    if query:
        pairs = [(str(k), str(v)) for k, values in query.items()
                 for v in (values if isinstance(values, list) else [values])]
        url += "?" + urllib.parse.urlencode(pairs)
    headers = {"Accept": "application/json"}
    for name, values in (params.get("Headers") or {}).items():
        lowered = str(name).lower()
        if lowered in _RESERVED_HEADERS or lowered.startswith(_RESERVED_PREFIXES):
            raise StatesError("States.Runtime",
                              f"The 'Headers' field contains unsupported values: {name}")
        items = values if isinstance(values, list) else [values]
        headers[str(name)] = ",".join(str(v) for v in items)
    body = None
    if params.get("RequestBody") is not None:
        if method not in _BODY_METHODS:
            raise StatesError("States.Runtime", "A RequestBody is supported only for "
                                                "PATCH, POST and PUT requests")
        headers["Content-Type"] = "application/json"
        request_body = params["RequestBody"]
        body = (request_body.encode() if isinstance(request_body, str)
                else jsonutil.dumps_bytes(request_body))
    return HttpRequest(url, method, headers, body)


async def invoke_api(handler: Any, call: TaskCall) -> Any:
    """``apigateway:invoke``, under the HTTP Tasks' destination policy."""
    request = api_gateway_request(_params(call))
    loop = asyncio.get_running_loop()
    try:
        answer = await loop.run_in_executor(None, send, request, HTTP_TIMEOUT_SECONDS,
                                            handler.http_policy)
    except StatesError as err:  # the network failed
        raise StatesError("ApiGateway.SdkClientException", err.cause) from None
    text = answer.body.decode("utf-8", "replace")
    if answer.status != 200:
        raise StatesError(f"ApiGateway.{answer.status}", text)
    headers: dict[str, list[str]] = {}
    content_type = ""
    for name, value in answer.headers:
        headers.setdefault(name, []).append(value)
        if name.lower() == "content-type":
            content_type = value
    try:
        reason = http.HTTPStatus(answer.status).phrase
    except ValueError:
        reason = answer.reason
    return {"Headers": headers, "ResponseBody": _document(answer.body, content_type),
            "StatusCode": answer.status, "StatusText": reason}
