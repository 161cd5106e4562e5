"""A Distributed Map's ItemReader and ItemBatcher.

The reader fetches the items through the task layer (the interpreter does no I/O of its
own): ``arn:aws:states:::s3:getObject`` reads one object as JSON, JSON Lines or CSV,
``arn:aws:states:::s3:listObjectsV2`` lists a bucket's objects. The batcher groups items
into ``{"Items": [...], "BatchInput": ...}`` inputs for the child executions.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from ... import jsonutil
from ...errors import StatesError
from ...tasks.base import TaskCall, parse_resource
from ..frame import Frame

if TYPE_CHECKING:
    from .io import QueryIO

NOT_ITERABLE = "Attempting to map over non-iterable node."


class ItemReader:
    """``ItemReader``: where a Distributed Map's items come from."""

    def __init__(self, spec: dict, region: str, query: QueryIO) -> None:
        resource = parse_resource(spec["Resource"], region)
        if resource.resource_type != "s3" or resource.resource not in ("getObject",
                                                                       "listObjectsV2"):
            raise ValueError(f"Unsupported ItemReader resource: {spec['Resource']}")
        self.action = resource.resource
        self.sdk_ref = parse_resource(f"arn:aws:states:::aws-sdk:s3:{self.action}", region)
        # JSONPath: Parameters on the effective input; JSONata: Arguments with $states.
        self.arguments = query.reader_arguments(spec)
        config = spec.get("ReaderConfig") or {}
        self.input_type = config.get("InputType", "JSON")
        self.header_location = config.get("CSVHeaderLocation", "FIRST_ROW")
        self.headers = config.get("CSVHeaders")
        self.max_items = query.config_number(config, "MaxItems", "ItemReader/ReaderConfig")

    async def read(self, frame: Frame, effective: Any) -> list:
        """The items, as the reader's resource yields them (at most MaxItems)."""
        run = frame.run
        params = self.arguments(frame, effective)
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

    def __init__(self, spec: dict, query: QueryIO) -> None:
        self.max_items = query.config_number(spec, "MaxItemsPerBatch", "ItemBatcher")
        self.max_bytes = query.config_number(spec, "MaxInputBytesPerBatch", "ItemBatcher")
        self.batch_input = query.batch_input(spec)

    def batches(self, frame: Frame, effective: Any, items: list) -> list:
        max_items = self.max_items(frame, effective) or len(items) or 1
        max_bytes = self.max_bytes(frame, effective)
        extra = None if self.batch_input is None else self.batch_input(frame, effective)
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
