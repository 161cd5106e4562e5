"""A Distributed Map's ResultWriter: the children's results, transformed and exported.

``WriterConfig.Transformation`` shapes each child's result: NONE keeps the child's
execution metadata with its output (the default when exporting to S3), COMPACT keeps the
outputs only (the default otherwise), FLATTEN keeps the outputs with array outputs
flattened into the list; a failed child's result stays as NONE gives it.
``OutputType`` JSON writes an array, JSONL one result per line.

With ``Resource: arn:aws:states:::s3:putObject`` and Bucket/Prefix (Parameters in
JSONPath, Arguments in JSONata) the results go to S3, as AWS lays them out:
``<Prefix>/<mapRunId>/SUCCEEDED_0.json``, ``FAILED_0.json``, ``PENDING_0.json`` (one
file per status that has results) and ``manifest.json`` listing them; the state's result
is then ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``. With only a
WriterConfig the transformed results are the state's result. Writes go through the task
layer (``aws-sdk:s3:putObject``); a failure is ``States.ResultWriterFailed``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ... import jsonutil
from ...asl.resources import RESULT_WRITER_ACTIONS, parse_s3_resource
from ...errors import StatesError
from ...tasks.base import TaskCall, parse_resource
from ..frame import Frame, iso_timestamp
from ..map_run import ChildExecution, map_run_id

if TYPE_CHECKING:
    from .io import QueryIO

WRITER_FAILED = "States.ResultWriterFailed"
PUT_OBJECT = "arn:aws:states:::s3:putObject"
_FILE_STATUSES = (("SUCCEEDED", ("SUCCEEDED",)),
                  ("FAILED", ("FAILED", "TIMED_OUT", "ABORTED")),
                  ("PENDING", ("PENDING", "RUNNING")))
_FILE_OF = {status: name for name, statuses in _FILE_STATUSES for status in statuses}


class ResultWriter:
    """``ResultWriter`` (see the module docstring)."""

    def __init__(self, spec: dict, region: str, query: QueryIO) -> None:
        config = spec.get("WriterConfig") or {}
        self.exports = "Resource" in spec
        if self.exports:
            parse_s3_resource(spec["Resource"], RESULT_WRITER_ACTIONS, region)
            self.sdk_ref = parse_resource("arn:aws:states:::aws-sdk:s3:putObject", region)
        self.arguments = query.reader_arguments(spec)
        self.transformation = config.get("Transformation",
                                         "NONE" if self.exports else "COMPACT")
        self.output_type = config.get("OutputType", "JSON")

    # -- shaping ------------------------------------------------------------------------
    def shaped(self, children: list[ChildExecution]) -> list:
        """The children's results as Transformation makes them (ended children only)."""
        out: list = []
        for child in children:
            if child.status not in ("PENDING", "RUNNING"):
                self._shape(child, out)
        return out

    def _shape(self, child: ChildExecution, out: list) -> None:
        if self.transformation == "NONE" or child.status != "SUCCEEDED":
            out.append(describe_child(child))
        elif self.transformation == "FLATTEN" and isinstance(child.output, list):
            out.extend(child.output)
        else:
            out.append(child.output)

    # -- exporting ----------------------------------------------------------------------
    async def export(self, frame: Frame, effective: Any, map_run_arn: str,
                     children: AsyncIterator[list[ChildExecution]]) -> tuple[dict, int, int]:
        """Write the result files and the manifest; (the state's result, items
        written, executions written). ``children``: every child in index order, a chunk
        at a time; each result is rendered as it comes (only the files' bytes are held)."""
        params = self.arguments(frame, effective)
        if not isinstance(params, dict) or not isinstance(params.get("Bucket"), str):
            raise StatesError(WRITER_FAILED, "The ResultWriter needs a Bucket.")
        bucket = params["Bucket"]
        prefix = str(params.get("Prefix") or "").strip("/")
        folder = "/".join(p for p in (prefix, map_run_id(map_run_arn)) if p)
        bodies = {name: _Body(self.output_type) for name, _ in _FILE_STATUSES}
        items = executions = 0
        async for chunk in children:
            for child in chunk:
                body = bodies[_FILE_OF[child.status]]
                body.children += 1
                results: list = []
                if child.status in ("PENDING", "RUNNING"):
                    results.append(describe_child(child))
                else:
                    self._shape(child, results)
                    items += child.items
                    executions += 1
                for result in results:
                    body.add(jsonutil.dumps_bytes(result))
        files: dict[str, list] = {}
        for name, _ in _FILE_STATUSES:
            entries = []
            if bodies[name].children:
                data = bodies.pop(name).bytes()
                key = f"{folder}/{name}_0.json"
                await self._put(frame, bucket, key, data)
                entries.append({"Key": key, "Size": len(data)})
            files[name] = entries
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn,
                    "ResultFiles": {"FAILED": files["FAILED"], "PENDING": files["PENDING"],
                                    "SUCCEEDED": files["SUCCEEDED"]}}
        key = f"{folder}/manifest.json"
        await self._put(frame, bucket, key, jsonutil.dumps_bytes(manifest))
        return ({"MapRunArn": map_run_arn,
                 "ResultWriterDetails": {"Bucket": bucket, "Key": key}}, items, executions)

    async def _put(self, frame: Frame, bucket: str, key: str, body: bytes) -> None:
        params = {"Bucket": bucket, "Key": key, "Body": body.decode()}
        call = TaskCall(self.sdk_ref, params, jsonutil.dumps(params), frame.state_name,
                        frame.run.execution_arn)
        handler = frame.run.tasks.handler_for(self.sdk_ref)
        try:
            await handler.invoke(call)
        except StatesError as err:
            raise StatesError(WRITER_FAILED, f"{err.error}: {err.cause}") from None


class _Body:
    """One result file being written (JSON: an array; JSONL: a result a line), its
    results appended as they are rendered: a bytes object per result would be held at
    orjson's buffer size (kilobytes), however short the result."""

    def __init__(self, output_type: str) -> None:
        self.lines = output_type == "JSONL"
        self.buffer = bytearray() if self.lines else bytearray(b"[")
        self.children = 0  # the children whose results are in this file
        self._first = True

    def add(self, rendered: bytes) -> None:
        if self.lines:
            self.buffer += rendered
            self.buffer += b"\n"
            return
        if not self._first:
            self.buffer += b","
        self._first = False
        self.buffer += rendered

    def bytes(self) -> bytes:
        return bytes(self.buffer) if self.lines else bytes(self.buffer + b"]")


def describe_child(child: ChildExecution) -> dict:
    """A child execution as the NONE transformation gives it (DescribeExecution's
    fields, as AWS writes them in result files)."""
    out: dict[str, Any] = {
        "ExecutionArn": child.arn, "Input": child.input_text,
        "InputDetails": {"Included": True}, "Name": child.name,
        "RedriveCount": 0, "StateMachineArn": child.machine_arn, "Status": child.status,
    }
    if child.start is not None:
        out["StartDate"] = iso_timestamp(child.start)
    if child.stop is not None:
        out["StopDate"] = iso_timestamp(child.stop)
    if child.status == "SUCCEEDED":
        out["Output"] = child.output_text
        out["OutputDetails"] = {"Included": True}
        out["RedriveStatus"] = "NOT_REDRIVABLE"
        out["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    elif child.status in ("FAILED", "TIMED_OUT", "ABORTED"):
        if child.error is not None:
            out["Error"] = child.error
        if child.cause is not None:
            out["Cause"] = child.cause
        out["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
    return out
