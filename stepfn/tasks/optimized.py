"""Optimized integrations: ``arn:aws:states:::sqs:sendMessage``, ``sns:publish``,
``dynamodb:getItem|putItem|updateItem|deleteItem`` and ``events:putEvents``.

They differ from ``aws-sdk`` in what AWS returns and how it names failures. Their
results keep the AWS SDK for Java v1 response shape: the API's members plus
``SdkHttpMetadata`` (the HTTP status and headers) and ``SdkResponseMetadata`` (the request
id), except EventBridge's, which is only ``{Entries, FailedEntryCount}``. JSON values
given for a message body (``MessageBody``, ``Message``, an entry's ``Detail``) are sent as
their JSON text. Errors use the v1 names and causes:
``SQS.AmazonSQSException`` / ``SNS.InvalidParameterException`` with
``<message> (Service: AmazonSQS; Status Code: 400; Error Code: ...; Request ID: ...;
Proxy: null)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import jsonutil
from ..errors import StatesError
from .aws_sdk import (
    AwsClients,
    connection_error,
    error_info,
    is_service_error,
    offers_pattern,
    response_body,
    unknown_resource,
    unsupported_pattern,
    with_exception_suffix,
    without_nulls,
)
from .base import TaskCall


@dataclass(frozen=True)
class V1Service:
    """How the Java SDK v1 names a service in errors."""

    boto_name: str
    error_prefix: str  # "SQS" in "SQS.AmazonSQSException"
    service_name: str  # "AmazonSQS" in "(Service: AmazonSQS; ...)"
    generic_exception: str  # "AmazonSQSException"


SQS = V1Service("sqs", "SQS", "AmazonSQS", "AmazonSQSException")
SNS = V1Service("sns", "SNS", "AmazonSNS", "AmazonSNSException")
DYNAMODB = V1Service("dynamodb", "DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException")
EVENTS = V1Service("events", "EventBridge", "AmazonEventBridge", "AmazonEventBridgeException")
LAMBDA = V1Service("lambda", "Lambda", "AWSLambda", "AWSLambdaException")


def sdk_v1_error(service: V1Service, client: Any, exc: Exception) -> StatesError:
    """An error as an optimized integration reports it (AWS SDK for Java v1 style)."""
    info = error_info(client, exc)
    exception = with_exception_suffix(info.shape) if info.shape else service.generic_exception
    cause = (f"{info.message} (Service: {service.service_name}; Status Code: {info.status}; "
             f"Error Code: {info.code}; Request ID: {info.request_id}; Proxy: null)")
    return StatesError(f"{service.error_prefix}.{exception}", cause)


def sdk_http_metadata(response: dict) -> dict:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` from a boto3 response."""
    meta = response.get("ResponseMetadata", {}) or {}
    raw = meta.get("StepfnRawHeaders")
    pairs = raw if raw is not None else list((meta.get("HTTPHeaders") or {}).items())
    all_headers: dict[str, list[str]] = {}
    headers: dict[str, str] = {}
    for name, value in pairs:
        all_headers.setdefault(name, []).append(value)
        headers[name] = value
    request_id = meta.get("RequestId", "")
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": all_headers,
            "HttpHeaders": headers,
            "HttpStatusCode": meta.get("HTTPStatusCode", 200),
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def _as_text(value: Any) -> Any:
    """A message body given as JSON data is sent as its JSON text."""
    return value if isinstance(value, str) or value is None else jsonutil.dumps(value)


def _sqs_params(params: dict) -> dict:
    if "MessageBody" in params:
        params = {**params, "MessageBody": _as_text(params["MessageBody"])}
    return params


def _sns_params(params: dict) -> dict:
    if "Message" in params:
        params = {**params, "Message": _as_text(params["Message"])}
    return params


def _events_params(params: dict) -> dict:
    entries = params.get("Entries")
    if not isinstance(entries, list):
        return params
    converted = [
        {**entry, "Detail": _as_text(entry["Detail"])}
        if isinstance(entry, dict) and "Detail" in entry else entry
        for entry in entries]
    return {**params, "Entries": converted}


def _same(params: dict) -> dict:
    return params


@dataclass(frozen=True)
class Operation:
    """One supported optimized action."""

    method: str  # the boto3 method
    prepare: Callable[[dict], dict]
    with_http_metadata: bool = True


_OPERATIONS: dict[str, tuple[V1Service, dict[str, Operation]]] = {
    "sqs": (SQS, {"sendMessage": Operation("send_message", _sqs_params)}),
    "sns": (SNS, {"publish": Operation("publish", _sns_params)}),
    "dynamodb": (DYNAMODB, {
        "getItem": Operation("get_item", _same),
        "putItem": Operation("put_item", _same),
        "updateItem": Operation("update_item", _same),
        "deleteItem": Operation("delete_item", _same),
    }),
    "events": (EVENTS, {"putEvents": Operation("put_events", _events_params, False)}),
}

OPTIMIZED_TYPES = tuple(_OPERATIONS)


class OptimizedHandler:
    """Runs the request-response optimized integrations for sqs, sns, dynamodb, events."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    async def invoke(self, call: TaskCall) -> Any:
        ref = call.ref
        entry = _OPERATIONS.get(ref.resource_type)
        operation = entry[1].get(ref.resource) if entry else None
        if entry is None or operation is None:
            raise unknown_resource(ref.arn)
        if ref.pattern and not offers_pattern(ref):
            raise unsupported_pattern(ref.arn, ref.pattern)
        service = entry[0]
        client = await self.clients.client_off_loop(service.boto_name, ref.region)
        params = call.parameters if isinstance(call.parameters, dict) else {}
        try:
            response = await self.clients.call(
                client, operation.method, without_nulls(operation.prepare(params)))
        except Exception as exc:
            if is_service_error(exc):
                raise sdk_v1_error(service, client, exc) from None
            raise connection_error(service.error_prefix, exc) from None
        result = response_body(response)
        if operation.with_http_metadata:
            result.update(sdk_http_metadata(response))
        return result
