"""The task handler of the optimized integrations described in ``services.py``.

Parameters become the operation's members through botocore's input shape (PascalCase,
as the AWS SDK integrations take them), the call runs through boto3 with the configured
endpoint (``AWS_ENDPOINT_URL[_<SERVICE>]``: moto's server in tests), and the output comes
back in PascalCase. For ``.sync`` the handler is a ``JobHandler``: the Task state calls
``submit`` and records ``TaskSubmitted`` with its output (so a resumed execution never
submits twice), then ``complete`` polls the describe operation every
``STEPFN_SYNC_POLL_SECONDS`` (default 1 s) through the run's own wait (``call.sleep``: a
durable wait under ``stepfn serve``, parked like any other when long) until the job
ends.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ... import jsonutil
from ...asl.resources import OPTIMIZED
from ...errors import StatesError
from ..aws_sdk import (
    AwsClients,
    connection_error,
    error_info,
    is_service_error,
    to_api_members,
    to_aws_output,
    unknown_resource,
    with_exception_suffix,
)
from ..base import TaskCall
from ..http import HttpPolicy
from .spec import CALLBACK, REQUEST_RESPONSE, SYNC, Action, ErrorStyle, Json, Service

DEFAULT_POLL_SECONDS = 1.0



def integration_error(style: ErrorStyle, client: Any, exc: Exception) -> StatesError:
    """A failed call named and described as the integration reports it."""
    info = error_info(client, exc)
    if style.by_code:
        name = info.code
    else:
        name = with_exception_suffix(info.shape) if info.shape else \
            f"{style.service}Exception"
    trailer = (f"(Service: {style.service}; Status Code: {info.status}; Error Code: "
               f"{info.code}; Request ID: {info.request_id}; Proxy: null)")
    if style.cause == "message":
        cause = info.message
    elif style.cause == "batch":
        cause = (f"Error executing request, Exception : {info.message}, RequestId: "
                 f"{info.request_id} {trailer}")
    else:
        cause = f"{info.message} {trailer}"
    return StatesError(f"{style.prefix}.{name}", cause)


class IntegrationHandler:
    """Runs the actions of the optimized services it is given (by ARN service name)."""

    def __init__(self, clients: AwsClients, services: dict[str, Service],
                 poll_seconds: float | None = None,
                 http_policy: HttpPolicy | None = None) -> None:
        self.clients = clients
        self.services = services
        # What apigateway:invoke may reach: the HTTP Tasks' policy (--http-allow).
        self.http_policy = http_policy or HttpPolicy()
        # How often ``.sync`` asks whether a job ended (STEPFN_SYNC_POLL_SECONDS).
        self.poll_seconds = DEFAULT_POLL_SECONDS if poll_seconds is None else poll_seconds

    # -- the TaskHandler interface --------------------------------------------------------
    async def invoke(self, call: TaskCall) -> Any:
        """Request-response and .waitForTaskToken: the call's output; ``.sync``
        (without the Task state's two steps, e.g. TestState): submit, then poll."""
        service, action = self._action(call)
        if action.custom is not None:
            return await action.custom(self, call)
        if call.ref.pattern == SYNC:
            return await self.complete(call, await self.submit(call))
        output = await self._call(service, action, action.operation,
                                  self._parameters(action, call), call.ref.region)
        return action.result(output, _params(call)) if action.result else output

    # -- the JobHandler interface (.sync) -------------------------------------------------
    def runs_jobs(self, call: TaskCall) -> bool:
        """Whether ``call`` is a job to submit and follow (``.sync``)."""
        if call.ref.pattern != SYNC:
            return False
        service = self.services.get(call.ref.resource_type)
        action = service.actions.get(call.ref.resource) if service is not None else None
        return action is not None and action.job is not None

    async def submit(self, call: TaskCall) -> Json:
        """Start the job; the output recorded as TaskSubmitted."""
        service, action = self._action(call)
        output = await self._call(service, action, action.operation,
                                  self._parameters(action, call), call.ref.region)
        return action.result(output, _params(call)) if action.result else output

    async def complete(self, call: TaskCall, submitted: Json) -> Json:
        """Poll the submitted job until it ends: its result, or States.TaskFailed."""
        service, action = self._action(call)
        job = action.job
        assert job is not None  # every action that allows SYNC has one
        params = _params(call)
        request = job.request(submitted, params)
        while True:
            try:
                described = await self._call(service, action, job.describe, request,
                                             call.ref.region)
            except StatesError as err:
                if job.gone_is_done and err.error.endswith(".ResourceNotFoundException"):
                    return submitted  # deleted: nothing left to describe
                raise
            status = job.status(described)
            if status in job.succeeded or status in job.failed:
                result = job.result(described, submitted, params)
                if status in job.failed:
                    raise StatesError("States.TaskFailed", jsonutil.dumps(result))
                return result
            if call.sleep is not None:
                await call.sleep(self.poll_seconds)
            else:
                await asyncio.sleep(self.poll_seconds)

    # -- helpers ------------------------------------------------------------------------------
    def _action(self, call: TaskCall) -> tuple[Service, Action]:
        ref = call.ref
        service = self.services.get(ref.resource_type)
        action = service.actions.get(ref.resource) if service is not None else None
        if service is None or action is None:
            known = OPTIMIZED.get(ref.resource_type)
            if known is not None and known.patterns(ref.resource) is not None:
                raise StatesError("States.Runtime", f"The optimized integration "
                                  f"{ref.resource_type}:{ref.resource} is not supported by "
                                  "stepfn yet")
            raise unknown_resource(ref.arn)
        if ref.pattern not in action.patterns:
            raise StatesError(
                "States.Runtime",
                f"The resource provided {ref.arn} is not recognized. The value is not a "
                "valid resource ARN, or the resource is not available in this region.")
        return service, action

    def _parameters(self, action: Action, call: TaskCall) -> Json:
        params = _params(call)
        if action.parameters is not None:
            unknown = sorted(set(params) - action.parameters)
            if unknown:
                raise StatesError(
                    "States.Runtime",
                    f"The field '{unknown[0]}' is not supported by Step Functions for "
                    f"{call.ref.resource_type}:{call.ref.resource}")
        if action.prepare is not None:
            params = action.prepare(params, call.ref.pattern)
        return params

    async def _call(self, service: Service, action: Action, operation: str,
                    params: Json, region: str) -> Json:
        """Call ``operation`` with PascalCase ``params``; its output in PascalCase."""
        from botocore import xform_name
        from botocore.model import OperationNotFoundError

        client = await self.clients.client_off_loop(service.boto, region)
        try:
            model = client.meta.service_model.operation_model(operation)
        except OperationNotFoundError:  # botocore's model no longer has it
            raise StatesError("States.Runtime", f"The operation {operation} of "
                              f"{service.boto} is unknown to botocore") from None
        try:
            response = await self.clients.call(
                client, xform_name(operation), to_api_members(model.input_shape, params))
        except Exception as exc:
            if is_service_error(exc):
                raise integration_error(service.errors, client, exc) from None
            raise connection_error(service.errors.prefix, exc) from None
        return to_aws_output(model.output_shape, response)


def _params(call: TaskCall) -> Json:
    return call.parameters if isinstance(call.parameters, dict) else {}


__all__ = ["CALLBACK", "REQUEST_RESPONSE", "SYNC", "IntegrationHandler",
           "integration_error"]
