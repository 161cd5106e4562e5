"""A Distributed Map's ItemReader and ItemBatcher.

The reader fetches the items through the task layer (the interpreter does no I/O of its
own): ``arn:aws:states:::s3:getObject`` reads one object as JSON, JSON Lines or CSV,
``arn:aws:states:::s3:listObjectsV2`` lists a bucket's objects. The batcher groups items
into ``{"Items": [...], "BatchInput": ...}`` inputs for the child executions.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ... import jsonutil
from ...asl.paths import compile_reference
from ...asl.templates import compile_payload
from ...errors import PathNotFound, StatesError
from ...tasks.base import TaskCall, parse_resource
from ..frame import Frame

NOT_ITERABLE = "Attempting to map over non-iterable node."


class ItemReader:
    """``ItemReader``: where a Distributed Map's items come from."""

    def __init__(self, spec: dict, region: str) -> None:
        resource = parse_resource(spec["Resource"], region)
        if resource.resource_type != "s3" or resource.resource not in ("getObject",
                                                                       "listObjectsV2"):
            raise ValueError(f"Unsupported ItemReader resource: {spec['Resource']}")
        self.action = resource.resource
        self.sdk_ref = parse_resource(f"arn:aws:states:::aws-sdk:s3:{self.action}", region)
        self.parameters = compile_payload(spec.get("Parameters", {}), "ItemReader/Parameters")
        config = spec.get("ReaderConfig") or {}
        self.input_type = config.get("InputType", "JSON")
        self.header_location = config.get("CSVHeaderLocation", "FIRST_ROW")
        self.headers = config.get("CSVHeaders")
        self.max_items = _count_field(config, "MaxItems")

    async def read(self, frame: Frame, effective: Any) -> list:
        """The items, as the reader's resource yields them (at most MaxItems)."""
        run = frame.run
        params = self.parameters(effective, frame)
        await run.checkpoint()
        handler = run.tasks.handler_for(self.sdk_ref)
        if self.action == "listObjectsV2":
            items = await self._list(handler, frame, params)
        else:
            result = await handler.invoke(self._call(frame, params))
            items = self.parse(result.get("Body") or "")
        limit = self.max_items(frame, effective)
        return items[:limit] if limit else items

    async def _list(self, handler: Any, frame: Frame, params: dict) -> list:
        items: list = []
        while True:
            page = await handler.invoke(self._call(frame, params))
            items.extend(page.get("Contents") or [])
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return items
            params = {**params, "ContinuationToken": token}

    def _call(self, frame: Frame, params: dict) -> TaskCall:
        text = jsonutil.dumps(params)
        return TaskCall(self.sdk_ref, params, text, frame.state_name, frame.run.execution_arn)

    def parse(self, body: str) -> list:
        """The items of an object's text, by ReaderConfig.InputType."""
        if self.input_type == "CSV":
            return self._csv(body)
        if self.input_type == "JSONL":
            try:
                return [jsonutil.loads(line) for line in body.splitlines() if line.strip()]
            except ValueError:
                raise StatesError("States.ItemReaderFailed", NOT_ITERABLE) from None
        try:
            items = jsonutil.loads(body)
        except ValueError:
            raise StatesError("States.ItemReaderFailed", NOT_ITERABLE) from None
        if not isinstance(items, list):
            raise StatesError("States.ItemReaderFailed", NOT_ITERABLE)
        return items

    def _csv(self, body: str) -> list:
        rows = list(csv.reader(io.StringIO(body)))
        if self.header_location == "GIVEN":
            headers = self.headers or []
        else:
            if not rows:
                return []
            headers, rows = rows[0], rows[1:]
        # AWS keeps every value a string and names a column without header by position.
        return [{(headers[i] if i < len(headers) else f"{i}"): value
                 for i, value in enumerate(row)} for row in rows if row]


class ItemBatcher:
    """``ItemBatcher``: groups items into batches, one child execution each."""

    def __init__(self, spec: dict) -> None:
        self.max_items = _count_field(spec, "MaxItemsPerBatch")
        self.max_bytes = _count_field(spec, "MaxInputBytesPerBatch")
        batch_input = spec.get("BatchInput")
        self.batch_input = None if batch_input is None else compile_payload(batch_input,
                                                                            "BatchInput")

    def batches(self, frame: Frame, effective: Any, items: list) -> list:
        max_items = self.max_items(frame, effective) or len(items) or 1
        max_bytes = self.max_bytes(frame, effective)
        extra = None if self.batch_input is None else self.batch_input(effective, frame)
        batches: list[list] = []
        current: list = []
        size = 0
        for item in items:
            item_size = len(jsonutil.dumps_bytes(item))
            if current and (len(current) >= max_items
                            or (max_bytes and size + item_size > max_bytes)):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += item_size
        if current:
            batches.append(current)
        return [{"Items": batch} if extra is None else {"Items": batch, "BatchInput": extra}
                for batch in batches]


def _count_field(spec: dict, field: str):
    """A count field or its *Path form as ``f(frame, effective) -> int | None``."""
    if field in spec:
        value = spec[field]
        return lambda frame, effective: value
    path_field = field + "Path"
    if path_field not in spec:
        return lambda frame, effective: None
    text = spec[path_field]
    getter = compile_reference(text)

    def read(frame: Frame, effective: Any) -> int:
        try:
            value = getter(effective, frame)
        except PathNotFound:
            raise frame.run.runtime_error(
                frame, f"The {path_field} field does not reference an input value: {text}"
            ) from None
        if isinstance(value, str) and value.isdigit():  # AWS accepts numeric strings
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise frame.run.runtime_error(
                frame, f"The {path_field} field refers to value \"{value}\" which is not a "
                f"valid integer: {text}")
        return value

    return read
