"""A Distributed Map's ItemReader and ItemBatcher.

The reader fetches the items through the task layer (the interpreter does no I/O of its
own): ``arn:aws:states:::s3:getObject`` reads one object and decodes it by
``ReaderConfig.InputType`` (see ``item_formats``; a MANIFEST, or an Athena manifest with
``ManifestType: ATHENA_DATA``, names further objects, read the same way),
``arn:aws:states:::s3:listObjectsV2`` lists a bucket's objects. The batcher groups items
into ``{"Items": [...], "BatchInput": ...}`` inputs for the child executions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import jsonutil
from ...asl.resources import ITEM_READER_ACTIONS, parse_s3_resource
from ...tasks.base import TaskCall, parse_resource
from ..frame import Frame
from . import item_formats as fmt

if TYPE_CHECKING:
    from .io import QueryIO

NOT_ITERABLE = fmt.NOT_ITERABLE


class ItemReader:
    """``ItemReader``: where a Distributed Map's items come from."""

    def __init__(self, spec: dict, region: str, query: QueryIO) -> None:
        resource = parse_s3_resource(spec["Resource"], ITEM_READER_ACTIONS, region)
        self.action = resource.resource
        self.sdk_ref = parse_resource(f"arn:aws:states:::aws-sdk:s3:{self.action}", region)
        # JSONPath: Parameters on the effective input; JSONata: Arguments with $states.
        self.arguments = query.reader_arguments(spec)
        config = spec.get("ReaderConfig") or {}
        self.input_type = config.get("InputType", "JSON")
        self.manifest_type = config.get("ManifestType", "S3_INVENTORY")
        self.header_location = config.get("CSVHeaderLocation", "FIRST_ROW")
        self.headers = config.get("CSVHeaders")
        self.delimiter = fmt.DELIMITERS.get(config.get("CSVDelimiter", "COMMA"), ",")
        self.items_pointer = config.get("ItemsPointer")
        self.max_items = query.config_number(config, "MaxItems", "ItemReader/ReaderConfig")

    async def read(self, frame: Frame, effective: Any) -> list:
        """The items, as the reader's resource yields them (at most MaxItems)."""
        run = frame.run
        params = self.arguments(frame, effective)
        limit = self.max_items(frame, effective)
        await run.checkpoint()
        handler = run.tasks.handler_for(self.sdk_ref)
        if self.action == "listObjectsV2":
            items = await self._list(handler, frame, params)
        else:
            body = await self._get(handler, frame, params)
            items = await self._decode(handler, frame, params, body, limit)
        return items[:limit] if limit else items

    async def _get(self, handler: Any, frame: Frame, params: dict) -> Any:
        # The object's bytes when the handler offers them (binary formats need them).
        invoke = getattr(handler, "invoke_raw", None) or handler.invoke
        result = await invoke(self._call(frame, params))
        return result.get("Body") or b""

    async def _decode(self, handler: Any, frame: Frame, params: dict, body: Any,
                      limit: int | None) -> list:
        if self.manifest_type == "ATHENA_DATA":
            items: list = []
            for bucket, key in fmt.athena_manifest_keys(body):
                data = await self._get(handler, frame, {"Bucket": bucket, "Key": key})
                items.extend(self.parse(data))
                if limit and len(items) >= limit:
                    break
            return items
        if self.input_type == "MANIFEST":
            manifest = fmt.InventoryManifest(body)
            bucket = str(manifest.bucket or params.get("Bucket") or "")
            items = []
            for key in manifest.keys:
                data = await self._get(handler, frame, {"Bucket": bucket, "Key": key})
                items.extend(manifest.items(key, data))
                if limit and len(items) >= limit:
                    break
            return items
        return self.parse(body)

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

    def parse(self, body: Any) -> list:
        """The items of one object's content, by ReaderConfig.InputType."""
        kind = self.input_type
        if kind == "CSV":
            headers = self.headers or [] if self.header_location == "GIVEN" else None
            return fmt.csv_items(body, delimiter=self.delimiter, headers=headers)
        if kind == "JSONL":
            return fmt.jsonl_items(body)
        if kind == "PARQUET":
            return fmt.parquet_items(body)
        if kind != "JSON":
            raise fmt.reader_failed(f"Unsupported InputType '{kind}' "
                                    f"(supported: {', '.join(fmt.INPUT_TYPES)}).")
        return fmt.json_items(body, self.items_pointer)


class ItemBatcher:
    """``ItemBatcher``: groups items into batches, one child execution each."""

    def __init__(self, spec: dict, query: QueryIO) -> None:
        self.max_items = query.config_number(spec, "MaxItemsPerBatch", "ItemBatcher")
        self.max_bytes = query.config_number(spec, "MaxInputBytesPerBatch", "ItemBatcher")
        self.batch_input = query.batch_input(spec)

    def batches(self, frame: Frame, effective: Any, items: list) -> list:
        """The items grouped into batch inputs: at most MaxItemsPerBatch items each, and
        at most MaxInputBytesPerBatch bytes of batch input (its JSON text, BatchInput
        included). An item larger than that alone still makes a batch of its own."""
        max_items = self.max_items(frame, effective) or len(items) or 1
        max_bytes = self.max_bytes(frame, effective)
        extra = None if self.batch_input is None else self.batch_input(frame, effective)
        shell = {"Items": []} if extra is None else {"Items": [], "BatchInput": extra}
        overhead = len(jsonutil.dumps_bytes(shell))
        batches: list[list] = []
        current: list = []
        size = overhead
        for item in items:
            item_size = len(jsonutil.dumps_bytes(item)) + (1 if current else 0)
            if current and (len(current) >= max_items
                            or (max_bytes and size + item_size > max_bytes)):
                batches.append(current)
                current, size = [], overhead
                item_size -= 1
            current.append(item)
            size += item_size
        if current:
            batches.append(current)
        return [{"Items": batch} if extra is None else {"Items": batch, "BatchInput": extra}
                for batch in batches]
