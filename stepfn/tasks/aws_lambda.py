"""Real AWS Lambda, for functions not registered locally (design.md §6).

Both forms AWS offers:

* ``arn:aws:lambda:<region>:<account>:function:<name>``: the state's effective input is
  the payload; the result is the function's (JSON-parsed) return value.
* ``arn:aws:states:::lambda:invoke``: ``Parameters`` are the Invoke API's members
  (``FunctionName``, ``Payload``, ``Qualifier``, ``InvocationType``, ``LogType``,
  ``ClientContext``); the result is ``{ExecutedVersion, Payload, SdkHttpMetadata,
  SdkResponseMetadata, StatusCode}`` (and ``LogResult`` when asked for).

A function error (the ``X-Amz-Function-Error`` header) fails the task with the error the
function reported (``errorType``) and its JSON error document as the cause; Lambda's own
errors are ``Lambda.<Exception>`` with a Java v1 style cause.
"""

from __future__ import annotations

from typing import Any

from .. import jsonutil
from .aws_sdk import AwsClients, connection_error, is_service_error, without_nulls
from .base import TaskCall
from .functions import function_error
from .optimized import LAMBDA, sdk_http_metadata, sdk_v1_error

_INVOKE_MEMBERS = ("FunctionName", "Qualifier", "InvocationType", "LogType", "ClientContext")


class LambdaUnavailable(LookupError):
    """No AWS credentials are configured: there is no real Lambda to fall back to."""


class RemoteLambda:
    """Invokes functions on AWS Lambda (or whatever endpoint boto3 is pointed at).

    Raises ``LambdaUnavailable`` when boto3 finds no credentials, so the caller can report
    the function as not found instead (remembered: the credential chain is slow to fail).
    """

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self._unavailable = False

    async def invoke(self, call: TaskCall) -> Any:
        if self._unavailable:
            raise LambdaUnavailable(call.ref.arn)
        ref = call.ref
        if ref.kind == "lambda-function":
            response = await self._invoke(ref.region, {"FunctionName": ref.arn},
                                          call.parameters_text.encode())
            return _payload_value(response)
        params = call.parameters if isinstance(call.parameters, dict) else {}
        members = {key: params[key] for key in _INVOKE_MEMBERS if key in params}
        payload = _payload_bytes(params.get("Payload"))
        response = await self._invoke(ref.region, members, payload)
        result: dict[str, Any] = {
            "ExecutedVersion": response.get("ExecutedVersion", "$LATEST"),
            "Payload": _payload_value(response),
        }
        if "LogResult" in response:
            result["LogResult"] = response["LogResult"]
        result.update(sdk_http_metadata(response))
        result["StatusCode"] = response.get("StatusCode", 200)
        return result

    async def _invoke(self, region: str, members: dict, payload: bytes | None) -> dict:
        client = await self.clients.client_off_loop("lambda", region)
        params = without_nulls(members)
        if payload is not None:
            params["Payload"] = payload
        try:
            response = await self.clients.call(client, "invoke", params)
        except Exception as exc:
            if is_service_error(exc):
                raise sdk_v1_error(LAMBDA, client, exc) from None
            if _is_missing_credentials(exc):
                self._unavailable = True
                raise LambdaUnavailable(str(exc)) from None
            raise connection_error(LAMBDA.error_prefix, exc) from None
        if response.get("FunctionError"):
            raise function_error(bytes(response.get("Payload") or b""))
        return response


def _is_missing_credentials(exc: Exception) -> bool:
    from botocore.exceptions import NoCredentialsError

    return isinstance(exc, NoCredentialsError)


def _payload_bytes(payload: Any) -> bytes | None:
    """A string payload is sent as it is (it is already JSON text); other values as JSON."""
    if payload is None:
        return None
    if isinstance(payload, str):
        return payload.encode()
    return jsonutil.dumps_bytes(payload)


def _payload_value(response: dict) -> Any:
    raw = bytes(response.get("Payload") or b"")
    if not raw:
        return None if response.get("StatusCode") == 202 else {}
    try:
        return jsonutil.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
