"""The stepfn API: JSON over HTTP under ``/stepfn/v1/``, beside the AWS API.

It serves what AWS's API does not (and never changes an AWS operation): routes are
``(method, path)`` pairs answered by a coroutine, authenticated like the AWS API when
the server checks signatures (api/server.py), errors in AWS's awsJson shape
(``{"__type": "<Code>", "message": "..."}``, status 400 or 404, never a 5xx for bad
input), dates as epoch seconds as the awsJson protocol renders them.

Routes:

- ``GET /stepfn/v1/express-executions?stateMachineArn=ARN[&maxResults=N]``: the recent
  Express executions this server keeps (service/express.py), newest first, in
  ListExecutions' item shape: ``{"executions": [...]}``;
- ``GET /stepfn/v1/express-executions/describe?executionArn=ARN``: DescribeExecution's
  shape;
- ``GET /stepfn/v1/express-executions/history?executionArn=ARN[&reverseOrder=true]
  [&includeExecutionData=false]``: GetExecutionHistory's shape, ``{"events": [...]}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson

from stepfn.api import render
from stepfn.api.errors import ApiError
from stepfn.service.arns import Arns, parse_machine_arn
from stepfn.store.base import HistoryEvent, Store

PREFIX = "/stepfn/v1/"
MAX_RESULTS = 1000
Query = dict[str, str]
Route = Callable[["StepfnApi", Query], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def handles(scope: dict) -> bool:
    """Whether the request is for the stepfn API."""
    return scope["type"] == "http" and scope["path"].startswith(PREFIX)


class StepfnApi:
    """The stepfn API's routes over the store and the execution service."""

    def __init__(self, store: Store, service: Any, arns: Arns) -> None:
        self.store = store
        self.service = service
        self.arns = arns

    async def answer(self, scope: dict, send: Send) -> None:
        """Answer one request under ``PREFIX``."""
        try:
            route = _ROUTES.get(scope["path"][len(PREFIX):].rstrip("/"))
            if route is None:
                raise ApiError("UnknownOperationException",
                               f"No stepfn API route {scope['path']}", 404)
            methods, handler = route
            if scope["method"] not in methods:
                raise ApiError("UnknownOperationException",
                               f"{scope['path']} does not answer {scope['method']}", 405)
            status, payload = 200, await handler(self, _query(scope))
        except ApiError as exc:
            status, payload = exc.status, exc.to_json()
        body = orjson.dumps(payload)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    # -- Express executions ---------------------------------------------------------------
    def _kept(self) -> Any:
        kept = getattr(self.service, "express", None)
        if kept is None:
            raise ApiError("UnknownOperationException",
                           "This server keeps no Express executions", 404)
        return kept

    async def list_express(self, query: Query) -> dict:
        arn = _required(query, "stateMachineArn")
        ref = parse_machine_arn(self.arns, arn)
        if ref is None:
            raise ApiError("InvalidArn", f"Invalid Arn: '{arn}'")
        limit = _max_results(query.get("maxResults"))
        machine = await self.store.get_state_machine(ref.machine_arn)
        if machine is None:
            raise ApiError("StateMachineDoesNotExist",
                           f"State Machine Does Not Exist: '{arn}'")
        if machine.type != "EXPRESS":
            raise ApiError("StateMachineTypeNotSupported",
                           "Only EXPRESS state machines have kept Express executions")
        records = self._kept().of_machine(arn, limit)
        return {"executions": [_list_item(r) for r in records]}

    async def describe_express(self, query: Query) -> dict:
        record = self._record(_required(query, "executionArn"))
        return render.execution_description(record)

    async def express_history(self, query: Query) -> dict:
        arn = _required(query, "executionArn")
        self._check_express_arn(arn)
        found = self._kept().get(arn)
        if found is None:
            raise _not_kept(arn)
        include = _boolean(query, "includeExecutionData", True)
        events = [render.history_event(HistoryEvent(*event), include)
                  for event in found[1]]
        if _boolean(query, "reverseOrder", False):
            events.reverse()
        return {"events": events}

    def _record(self, arn: str) -> Any:
        self._check_express_arn(arn)
        record = self._kept().record(arn)
        if record is None:
            raise _not_kept(arn)
        return record

    def _check_express_arn(self, arn: str) -> None:
        parsed = self.arns.parts(arn)
        if parsed is None or parsed[0] != "express":
            raise ApiError("InvalidArn", f"Invalid Arn: '{arn}'")


_ROUTES: dict[str, tuple[frozenset[str], Route]] = {
    "express-executions": (frozenset({"GET", "HEAD"}), StepfnApi.list_express),
    "express-executions/describe": (frozenset({"GET", "HEAD"}),
                                    StepfnApi.describe_express),
    "express-executions/history": (frozenset({"GET", "HEAD"}), StepfnApi.express_history),
}


def _query(scope: dict) -> Query:
    raw = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return {key: values[-1] for key, values in raw.items()}


def _required(query: Query, name: str) -> str:
    value = query.get(name, "")
    if not value:
        raise ApiError("ValidationException", f"The parameter '{name}' is required")
    return value


def _max_results(text: str | None) -> int:
    if text is None or text == "" or text == "0":
        return MAX_RESULTS
    if not text.isdigit() or int(text) > MAX_RESULTS:
        raise ApiError("ValidationException",
                       f"maxResults must be an integer from 0 to {MAX_RESULTS}")
    return int(text)


def _boolean(query: Query, name: str, default: bool) -> bool:
    text = query.get(name)
    if text is None:
        return default
    if text.lower() not in ("true", "false"):
        raise ApiError("ValidationException", f"{name} must be true or false")
    return text.lower() == "true"


def _not_kept(arn: str) -> ApiError:
    return ApiError("ExecutionDoesNotExist",
                    f"Execution Does Not Exist: '{arn}' (this server keeps only its "
                    "recent Express executions, and the events of none larger than "
                    "STEPFN_EXPRESS_KEEP_MB)", 404)


def _list_item(record: Any) -> dict:
    """ListExecutions' item shape (the members the brief fixes, then AWS's others)."""
    return render.drop_none({
        "executionArn": record.arn,
        "stateMachineArn": record.machine_arn,
        "name": record.name,
        "status": record.status,
        "startDate": record.start_date,
        "stopDate": record.stop_date,
        "stateMachineVersionArn": record.version_arn,
        "stateMachineAliasArn": record.alias_arn,
    })
