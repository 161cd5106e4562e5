"""``arn:aws:states:::aws-sdk:<service>:<action>``: any AWS API, generically, over boto3.

Step Functions names services and errors after the AWS SDK for Java v2: the resource
names the service in lower case (``sfn``, ``dynamodb``, ``cloudwatchlogs``), the action
in camelCase (``getObject``), parameters are the API's own PascalCase member names, and
errors come back as ``<Service>.<Exception>`` in PascalCase (``S3.NoSuchKeyException``,
``DynamoDb.ResourceNotFoundException``, ``Sfn.InvalidTokenException``) with causes like
``<message> (Service: S3, Status Code: 404, Request ID: ...)``. This module maps all of
that onto boto3/botocore, whose service models know every service, operation, member and
modelled exception.

Configuration is boto3's own: endpoints (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_<SERVICE>``, the config file), credentials (the usual chain) and
retries. Clients are created once per (service, region) and shared between threads;
calls are blocking, so they run in the event loop's default executor.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import StatesError
from .base import ResourceRef, TaskCall

# The ARN names AWS uses (lower-cased Java SDK v2 client names) where they are not
# simply boto3's name without hyphens ("acmpca" is "acm-pca"; those need no entry).
_KNOWN_RENAMES = {
    "applicationdiscoveryservice": "discovery",
    "cloudwatchlogs": "logs",
    "cognitoidentityprovider": "cognito-idp",
    "configservice": "config",
    "costandusagereportservice": "cur",
    "costexplorer": "ce",
    "databasemigrationservice": "dms",
    "directoryservice": "ds",
    "directoryservicedata": "ds-data",
    "elasticloadbalancing": "elb",
    "elasticloadbalancingv2": "elbv2",
    "elasticsearchservice": "es",
    "eventbridge": "events",
    "iotdataplane": "iot-data",
    "iotjobsdataplane": "iot-jobs-data",
    "lexmodelbuildingservice": "lex-models",
    "lexmodelsv2": "lexv2-models",
    "lexruntimeservice": "lex-runtime",
    "lexruntimev2": "lexv2-runtime",
    "marketplaceentitlementservice": "marketplace-entitlement",
    "marketplacemetering": "meteringmarketplace",
    "migrationhub": "mgh",
    "serverlessapplicationrepository": "serverlessrepo",
    "sfn": "stepfunctions",
    "simpledb": "sdb",
}


class AwsClients:
    """boto3 clients, created once per (service, region) and shared (they are thread-safe).

    boto3 *sessions* are not thread-safe, so client creation is serialised behind a lock.
    """

    def __init__(self, session: Any = None) -> None:
        self._session = session
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._service_index: dict[str, str] | None = None

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3  # imported lazily: only workflows that call AWS need it

            self._session = boto3.session.Session()
        return self._session

    def client(self, service: str, region: str) -> Any:
        """The shared client for a boto3 service name in a region."""
        key = (service, region)
        found = self._clients.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self._boto_session().client(service, region_name=region or None)
                found.meta.events.register("after-call", _keep_raw_headers)
                self._clients[key] = found
        return found

    async def client_off_loop(self, service: str, region: str) -> Any:
        """``client`` for callers on the event loop: creating a client loads its service
        model (0.2-0.7 s for S3), which would stall every execution and API call on the
        loop, so a client not made yet is made in the default executor."""
        found = self._clients.get((service, region))
        if found is not None:
            return found
        return await asyncio.get_running_loop().run_in_executor(
            None, self.client, service, region)

    async def resolve_service_off_loop(self, arn_name: str) -> str | None:
        """``resolve_service`` for callers on the event loop (the first call lists every
        botocore service model)."""
        if self._service_index is not None:
            return self._service_index.get(arn_name)
        return await asyncio.get_running_loop().run_in_executor(
            None, self.resolve_service, arn_name)

    def resolve_service(self, arn_name: str) -> str | None:
        """The boto3 service name for the name an ``aws-sdk`` ARN uses, or None."""
        with self._lock:
            if self._service_index is None:
                available = self._boto_session().get_available_services()
                index = {name.replace("-", ""): name for name in available}
                index.update({name: name for name in available})
                index.update({alias: name for alias, name in _KNOWN_RENAMES.items()
                              if name in index})
                self._service_index = index
        return self._service_index.get(arn_name)

    async def call(self, client: Any, operation: str, params: dict) -> dict:
        """Run one API call (by its Python method name) in the default executor."""
        method = getattr(client, operation)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: _call_and_read(method, params))


def _call_and_read(method: Callable[..., dict], params: dict) -> dict:
    """Call, and read streaming bodies while still in the worker thread."""
    response = method(**params)
    for key, value in response.items():
        if hasattr(value, "read") and callable(value.read):
            response[key] = _StreamContent(value.read())
    return response


class _StreamContent(bytes):
    """A streaming payload already read: AWS returns these as text, not base64."""


def _keep_raw_headers(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
    """botocore lower-cases header names; AWS's SdkHttpMetadata shows them as sent."""
    if http_response is None or not isinstance(parsed, dict):
        return
    metadata = parsed.get("ResponseMetadata")
    if isinstance(metadata, dict):
        metadata["StepfnRawHeaders"] = list(http_response.headers.items())


# -- names ----------------------------------------------------------------------------------

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def java_service_name(service_id: str) -> str:
    """The Java SDK v2 client prefix for a botocore serviceId: ``DynamoDB`` -> ``DynamoDb``,
    ``SFN`` -> ``Sfn``, ``Secrets Manager`` -> ``SecretsManager``, ``ACM PCA`` -> ``AcmPca``."""
    return "".join(word[0].upper() + word[1:].lower() for word in _WORDS.findall(service_id))


def action_to_operation(client: Any, action: str) -> tuple[str, str] | None:
    """(API operation name, boto3 method name) for a camelCase action, or None."""
    from botocore import xform_name

    model = client.meta.service_model
    wanted = action[:1].upper() + action[1:]
    names = model.operation_names
    if wanted not in names:
        lowered = {name.lower(): name for name in names}
        wanted = lowered.get(action.lower(), "")
        if not wanted:
            return None
    return wanted, xform_name(wanted)


def exception_shape_name(client: Any, error: dict) -> str | None:
    """The modelled exception shape an error code stands for, or None if unmodelled."""
    codes = [error.get("QueryErrorCode"), error.get("Code")]
    by_code = _error_codes(client)
    for code in codes:
        if code and code in by_code:
            return by_code[code]
    return None


_ERROR_CODE_CACHE: dict[str, dict[str, str]] = {}


def _error_codes(client: Any) -> dict[str, str]:
    model = client.meta.service_model
    key = f"{model.service_name}/{model.api_version}"
    found = _ERROR_CODE_CACHE.get(key)
    if found is None:
        found = {}
        for shape in model.error_shapes:
            found[shape.name] = shape.name
            found[str(shape.error_code)] = shape.name
        _ERROR_CODE_CACHE[key] = found
    return found


def with_exception_suffix(name: str) -> str:
    return name if name.endswith("Exception") else name + "Exception"


# -- values ---------------------------------------------------------------------------------

def iso_instant(value: _dt.datetime) -> str:
    """A timestamp as AWS's Java SDK prints it (``Instant.toString``): UTC, ``Z``,
    fractional seconds only when present, in groups of three digits."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def to_json_value(value: Any) -> Any:
    """A botocore response value as AWS returns it in JSON: timestamps as ISO-8601,
    streamed payloads as text, other blobs as text when UTF-8 else base64."""
    if isinstance(value, dict):
        return {key: to_json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json_value(item) for item in value]
    if isinstance(value, _dt.datetime):
        return iso_instant(value)
    if isinstance(value, _StreamContent):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode("ascii")
    return value


def to_api_members(shape: Any, value: Any) -> Any:
    """Step Functions' PascalCase parameters as the API model's member names.

    AWS writes every member in PascalCase (``StateMachineArn`` for Step Functions'
    ``stateMachineArn``) and ``EqualsValue`` for a member named ``Equals``. Map keys are
    data (DynamoDB attribute names, tags) and are left alone; null members are dropped,
    as the Java SDK treats them as not given.
    """
    if shape is None:
        return without_nulls(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        names = _member_names(shape)
        members = shape.members
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            name = names.get(key) or names.get(key.lower(), key)
            out[name] = to_api_members(members.get(name), item)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [to_api_members(shape.member, item) for item in value if item is not None]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: to_api_members(shape.value, item) for key, item in value.items()
                if item is not None}
    return value


def _member_names(shape: Any) -> dict[str, str]:
    """How a structure's members may be written: exactly, in any case, EqualsValue.

    Kept on the (long-lived, per-client) botocore shape itself, so it is built once.
    """
    found = getattr(shape, "_stepfn_member_names", None)
    if found is None:
        found = {}
        for name in shape.members:
            found[name] = name
            found.setdefault(name.lower(), name)
            if name.lower() == "equals":
                found["EqualsValue"] = name
        shape._stepfn_member_names = found
    return found


def to_aws_output(shape: Any, value: Any) -> Any:
    """A botocore result as AWS returns it: members in PascalCase, JSON values."""
    if shape is None:
        return to_json_value(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {key[:1].upper() + key[1:]: to_aws_output(members.get(key), item)
                for key, item in value.items() if key != "ResponseMetadata"}
    if shape.type_name == "list" and isinstance(value, list):
        return [to_aws_output(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: to_aws_output(shape.value, item) for key, item in value.items()}
    return to_json_value(value)


def without_nulls(value: Any) -> Any:
    """Drop null members: the Java SDK treats a JSON null member as not given."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value if item is not None]
    return value


def response_body(response: dict) -> dict:
    """The response without boto3's ResponseMetadata, converted to JSON values."""
    return {key: to_json_value(item) for key, item in response.items()
            if key != "ResponseMetadata"}


# -- errors ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ErrorInfo:
    """What a failed call told us, independent of how it is reported."""

    code: str
    message: str
    status: int
    request_id: str
    extended_request_id: str | None
    shape: str | None  # the modelled exception it maps to
    attempts: int


def error_info(client: Any, exc: Exception) -> ErrorInfo:
    """Facts about a botocore ClientError or ParamValidationError."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {}) or {}
        meta = response.get("ResponseMetadata", {}) or {}
        headers = meta.get("HTTPHeaders", {}) or {}
        return ErrorInfo(
            code=str(error.get("QueryErrorCode") or error.get("Code") or "Unknown"),
            message=str(error.get("Message") or error.get("message") or ""),
            status=int(meta.get("HTTPStatusCode") or 400),
            request_id=str(meta.get("RequestId") or headers.get("x-amzn-requestid") or ""),
            extended_request_id=meta.get("HostId") or headers.get("x-amz-id-2"),
            shape=exception_shape_name(client, error),
            attempts=int(meta.get("RetryAttempts") or 0) + 1,
        )
    # Client-side validation (a missing required member, a wrong type): AWS would have
    # sent the request and the service would have refused it as a validation error.
    message = str(getattr(exc, "kwargs", {}).get("report") or exc).strip()
    return ErrorInfo("ValidationException", message.replace("\n", " "), 400, "null",
                     None, None, 1)


def sdk_v2_error(client: Any, exc: Exception) -> StatesError:
    """An error as the aws-sdk integration reports it (AWS SDK for Java v2 style)."""
    info = error_info(client, exc)
    service = java_service_name(client.meta.service_model.service_id)
    exception = with_exception_suffix(info.shape) if info.shape else f"{service}Exception"
    details = f"Service: {service}, Status Code: {info.status}, Request ID: {info.request_id}"
    if info.extended_request_id:
        details += f", Extended Request ID: {info.extended_request_id}"
    cause = f"{info.message} ({details}) (SDK Attempt Count: {info.attempts})"
    return StatesError(f"{service}.{exception}", cause)


def is_service_error(exc: Exception) -> bool:
    """True for errors the service (or botocore's request validation) reported."""
    from botocore.exceptions import ClientError, ParamValidationError

    return isinstance(exc, (ClientError, ParamValidationError))


def connection_error(service: str, exc: Exception) -> StatesError:
    """A transport failure (endpoint unreachable, credentials missing...)."""
    return StatesError(f"{service}.SdkClientException",
                       f"Unable to execute HTTP request: {exc}")


# -- the handler ----------------------------------------------------------------------------

class AwsSdkHandler:
    """Runs ``aws-sdk:<service>:<action>`` resources through boto3."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    async def invoke(self, call: TaskCall) -> Any:
        output_shape, response = await self._call(call)
        return to_aws_output(output_shape, response)

    async def invoke_raw(self, call: TaskCall) -> dict:
        """The call's botocore response as is (streamed bodies as bytes): for readers
        of binary objects, such as a Distributed Map's PARQUET ItemReader."""
        return (await self._call(call))[1]

    async def _call(self, call: TaskCall) -> tuple[Any, dict]:
        ref = call.ref
        if ref.pattern and not offers_pattern(ref):
            raise unsupported_pattern(ref.arn, ref.pattern)
        arn_service = ref.resource_type.split(":", 1)[1]
        service = await self.clients.resolve_service_off_loop(arn_service)
        if service is None:
            raise unknown_resource(ref.arn)
        client = await self.clients.client_off_loop(service, ref.region)
        operation = action_to_operation(client, ref.resource)
        if operation is None:
            raise unknown_resource(ref.arn)
        model = client.meta.service_model.operation_model(operation[0])
        params = call.parameters if isinstance(call.parameters, dict) else {}
        try:
            response = await self.clients.call(
                client, operation[1], to_api_members(model.input_shape, params))
        except Exception as exc:
            if is_service_error(exc):
                raise sdk_v2_error(client, exc) from None
            raise connection_error(java_service_name(client.meta.service_model.service_id),
                                   exc) from None
        return model.output_shape, response


def unknown_resource(arn: str) -> StatesError:
    """What AWS says about a resource ARN it does not recognise."""
    return StatesError(
        "States.Runtime",
        f"The resource provided {arn} not recognized. The value is not a valid resource "
        "ARN, or the resource is not available in this region.")


def offers_pattern(ref: ResourceRef) -> bool:
    """Whether ``ref``'s integration offers its pattern (``sync``, ``sync:2``,
    ``waitForTaskToken``), by the one table of integrations (asl/resources.py): SDK
    integrations offer ``.waitForTaskToken``, an optimized action what its service's
    page says. For ``.waitForTaskToken`` the call itself is request-response: the engine
    then waits for the token's answer."""
    from ..asl.resources import CALLBACK, OPTIMIZED

    if ref.resource_type.startswith("aws-sdk:"):
        return ref.pattern == CALLBACK
    integration = OPTIMIZED.get(ref.resource_type)
    offered = integration.patterns(ref.resource) if integration is not None else None
    return offered is not None and ref.pattern in offered


def unsupported_pattern(arn: str, pattern: str) -> StatesError:
    """``.sync`` and ``.waitForTaskToken`` need the service layer; say so plainly."""
    return StatesError(
        "States.Runtime",
        f"The integration pattern '.{pattern}' of resource '{arn}' is not supported by "
        "stepfn's request-response integrations.")
