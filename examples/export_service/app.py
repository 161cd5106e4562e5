"""The export API: hands exports to the workflow and reports on them.

    POST /exports        {"table": "s3://bucket/table", "format": "parquet"|"csv",
                          "columns": [...], "filter": [[col, op, value], ...],
                          "output": "s3://bucket/prefix"}        -> 202 {exportId, executionArn}
    GET  /exports/{id}   -> {status, progress, output, error}
    GET  /health

It answers at once: an export of a big table takes minutes, the API's callers wait at most
seconds. It only starts an execution (StartExecution) and reads its state
(DescribeExecution, DescribeMapRun) through boto3, so pointing it at AWS Step Functions
instead of stepfn is configuration: the endpoint (AWS_ENDPOINT_URL_SFN, unset on AWS) and:

    EXPORT_STATE_MACHINE_ARN  the export workflow
    EXPORT_BUCKET             where plans, results, manifests (and default outputs) go
    EXPORT_FAILED_QUEUE_URL   the failed-exports SQS queue
    EXPORT_TOPIC_ARN          the SNS topic for notices
    EXPORT_MAX_CONCURRENCY    child executions at once (default 4; a request may ask less)
    EXPORT_BATCH_BYTES        data one child execution reads (default 256 MiB)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

import boto3
import pyarrow.parquet as pq
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FORMATS = ("parquet", "csv")
MAX_BODY = 64 * 1024


@lru_cache(maxsize=1)
def sfn() -> Any:
    """The Step Functions client (boto3 clients are thread-safe; one per process)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    # The API answers within seconds or not at all: short timeouts, one quick retry, and
    # a 502 when Step Functions cannot be reached (the caller may ask again).
    settings = Config(connect_timeout=2, read_timeout=5,
                      retries={"mode": "standard", "max_attempts": 2})
    return boto3.client("stepfunctions", region_name=region, config=settings)


def config(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set")
    return value


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def unavailable(exc: Exception) -> JSONResponse:
    """Step Functions refused or could not be reached: 502, the caller may try again."""
    message = exc.response["Error"].get("Message", str(exc)) if isinstance(exc, ClientError) \
        else str(exc)
    return error(502, "WorkflowUnavailable", message)


class Invalid(ValueError):
    """A request the API refuses (400)."""


def parse_request(body: Any) -> dict:
    """The workflow input for a POST /exports body (Invalid when it is not acceptable)."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    table = body.get("table")
    if not isinstance(table, str) or not table.startswith(("s3://", "file://")):
        raise Invalid("'table' must be the table's URI (s3://bucket/path)")
    fmt = body.get("format", "parquet")
    if fmt not in FORMATS:
        raise Invalid(f"'format' must be one of {', '.join(FORMATS)}")
    columns = body.get("columns")
    if columns is not None and (not isinstance(columns, list) or not columns
                                or not all(isinstance(c, str) and c for c in columns)):
        raise Invalid("'columns' must be a non-empty list of column names")
    row_filter = body.get("filter")
    if row_filter is not None:
        check_filter(row_filter)
    limit = int(os.environ.get("EXPORT_MAX_CONCURRENCY", "4"))
    concurrency = body.get("maxConcurrency", limit)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) \
            or not 1 <= concurrency <= limit:
        raise Invalid(f"'maxConcurrency' must be an integer from 1 to {limit}")
    export_id = uuid.uuid4().hex
    bucket = config("EXPORT_BUCKET")
    output = body.get("output") or f"s3://{bucket}/exports/{export_id}/data"
    if not isinstance(output, str) or not output.startswith(("s3://", "file://")):
        raise Invalid("'output' must be an s3:// (or file://) URI")
    return {"exportId": export_id, "table": table, "format": fmt, "columns": columns,
            "filter": row_filter, "output": output.rstrip("/"), "bucket": bucket,
            "failedQueueUrl": config("EXPORT_FAILED_QUEUE_URL"),
            "topicArn": config("EXPORT_TOPIC_ARN"),
            "maxConcurrency": concurrency,
            "targetBatchBytes": int(os.environ.get("EXPORT_BATCH_BYTES", str(256 << 20)))}


def check_filter(row_filter: Any) -> None:
    """A filter is pyarrow's DNF: [[col, op, value], ...] (AND) or a list of those (OR)."""
    if not isinstance(row_filter, list) or not row_filter:
        raise Invalid("'filter' must be a non-empty list of [column, op, value] terms")
    try:
        pq.filters_to_expression(row_filter)
    except (TypeError, ValueError, IndexError) as exc:
        raise Invalid(f"'filter' is not a valid filter: {exc}") from None


async def create_export(request: Request) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return error(413, "TooLarge", f"the body is over {MAX_BODY} bytes")
    try:
        workflow_input = parse_request(json.loads(raw or b"null"))
    except json.JSONDecodeError:
        return error(400, "InvalidRequest", "the body is not JSON")
    except Invalid as exc:
        return error(400, "InvalidRequest", str(exc))
    try:
        started = await run_in_threadpool(
            sfn().start_execution, stateMachineArn=config("EXPORT_STATE_MACHINE_ARN"),
            name=workflow_input["exportId"], input=json.dumps(workflow_input))
    except (ClientError, BotoCoreError) as exc:
        return unavailable(exc)
    export_id = workflow_input["exportId"]
    return JSONResponse({"exportId": export_id, "executionArn": started["executionArn"],
                         "status": "RUNNING", "location": f"/exports/{export_id}"},
                        status_code=202, headers={"Location": f"/exports/{export_id}"})


def execution_arn(export_id: str) -> str:
    """The export's execution: named after the export id in the export state machine."""
    machine = config("EXPORT_STATE_MACHINE_ARN")
    return machine.replace(":stateMachine:", ":execution:", 1) + ":" + export_id


# Export id -> its Map Run's ARN: fixed once the Map Run has started, so GET /exports/{id}
# looks it up once and then needs one DescribeMapRun beside DescribeExecution.
_MAP_RUNS: OrderedDict[str, str] = OrderedDict()
_MAP_RUNS_KEPT = 10_000


def describe_execution(export_id: str) -> dict | None:
    client = sfn()
    try:
        return dict(client.describe_execution(executionArn=execution_arn(export_id)))
    except client.exceptions.ExecutionDoesNotExist:
        return None


def progress(export_id: str) -> dict | None:
    """Files and batches done out of the total, from the Map Run's counts."""
    client = sfn()
    map_run = _MAP_RUNS.get(export_id)
    if map_run is None:
        try:
            runs = client.list_map_runs(executionArn=execution_arn(export_id))["mapRuns"]
        except client.exceptions.ExecutionDoesNotExist:
            return None
        if not runs:
            return None  # still planning (or failed before the Map Run)
        map_run = _MAP_RUNS[export_id] = runs[0]["mapRunArn"]
        while len(_MAP_RUNS) > _MAP_RUNS_KEPT:
            _MAP_RUNS.popitem(last=False)
    run = client.describe_map_run(mapRunArn=map_run)
    items, children = run["itemCounts"], run["executionCounts"]
    return {"files": items["total"], "filesDone": items["succeeded"],
            "filesFailed": items["failed"], "batches": children["total"],
            "batchesDone": children["succeeded"], "batchesFailed": children["failed"]}


async def describe(export_id: str) -> dict | None:
    """The export's status as GET /exports/{id} answers it (None: no such export).

    The execution and the Map Run are read at the same time (two threads)."""
    execution, counts = await asyncio.gather(run_in_threadpool(describe_execution, export_id),
                                             run_in_threadpool(progress, export_id))
    if execution is None:
        return None
    answer: dict[str, Any] = {"exportId": export_id, "status": execution["status"],
                              "executionArn": execution["executionArn"],
                              "startedAt": execution["startDate"].isoformat(),
                              "progress": counts}
    if execution.get("stopDate"):
        answer["stoppedAt"] = execution["stopDate"].isoformat()
    if execution["status"] == "SUCCEEDED":
        output = json.loads(execution.get("output") or "{}")
        answer.update(output=output.get("output"), manifest=output.get("manifest"),
                      rowsIn=output.get("rowsIn"), rowsOut=output.get("rowsOut"))
    elif execution["status"] in ("FAILED", "TIMED_OUT", "ABORTED"):
        answer["error"] = {"error": execution.get("error"), "cause": execution.get("cause")}
    return answer


async def get_export(request: Request) -> JSONResponse:
    export_id = request.path_params["export_id"]
    if not export_id.isalnum() or len(export_id) > 80:
        return error(404, "NotFound", "no such export")
    try:
        answer = await describe(export_id)
    except (ClientError, BotoCoreError) as exc:
        return unavailable(exc)
    if answer is None:
        return error(404, "NotFound", f"no export {export_id}")
    return JSONResponse(answer)


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # Build the client and parse the operations' models before the first request (both
    # are lazy in botocore and cost tens of milliseconds each).
    model = sfn().meta.service_model
    for operation in ("StartExecution", "DescribeExecution", "ListMapRuns", "DescribeMapRun"):
        model.operation_model(operation).output_shape  # noqa: B018 (parsed on access)
    yield


app = Starlette(lifespan=lifespan, routes=[
    Route("/exports", create_export, methods=["POST"]),
    Route("/exports/{export_id}", get_export, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
])
