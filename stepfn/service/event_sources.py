"""SQS event sources: a queue polled on the local AWS, each batch handed to a function
with Lambda's SQS event, as Lambda's event source mapping does.

The queue is read through boto3 (its configured endpoint: moto's server, LocalStack or
real SQS). A batch holds up to ``batch_size`` messages (gathered for at most
``batching_window_seconds``); when the function succeeds the batch is deleted, except,
with ``ReportBatchItemFailures``, the messages its answer lists in
``batchItemFailures``; when it fails nothing is deleted and the messages come back
after the queue's visibility timeout. Several processes may poll one queue: SQS hands
each message to one of them at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("stepfn.service")

_WAIT_SECONDS = 1  # long-poll wait of one ReceiveMessage
_ERROR_PAUSE_SECONDS = 2.0  # after a failed receive (the queue may not exist yet)...
_MAX_PAUSE_SECONDS = 30.0  # ... growing with each failure in a row, up to this


@dataclass(frozen=True)
class SqsEventSource:
    """An SQS queue a function is invoked from."""

    id: str  # the mapping's logical id
    function: str  # the function's name
    queue_arn: str
    qualifier: str | None = None
    batch_size: int = 10
    batching_window_seconds: float = 0.0
    enabled: bool = True
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None


class FunctionFailed(Exception):
    """The function raised (or timed out): the batch is not deleted."""


# (function name, event, qualifier) -> the function's answer; raises FunctionFailed
Invoke = Callable[[str, Any, str | None], Awaitable[Any]]


def queue_name(arn: str) -> str:
    return arn.split(":")[5]


def sqs_event(messages: Sequence[dict], queue_arn: str, region: str) -> dict:
    """Lambda's SQS event for received messages (ReceiveMessage's shape)."""
    records = []
    for message in messages:
        attributes = dict(message.get("Attributes") or {})
        records.append({
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": attributes,
            "messageAttributes": {
                name: {"stringValue": value.get("StringValue"),
                       "binaryValue": value.get("BinaryValue"),
                       "stringListValues": value.get("StringListValues", []),
                       "binaryListValues": value.get("BinaryListValues", []),
                       "dataType": value.get("DataType")}
                for name, value in (message.get("MessageAttributes") or {}).items()},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        })
    return {"Records": records}


class SqsPoller:
    """Polls the queues of ``sources`` and invokes their functions."""

    def __init__(self, sources: Sequence[SqsEventSource], invoke: Invoke, *, region: str,
                 client_factory: Callable[[], Any] | None = None) -> None:
        self.sources = [s for s in sources if s.enabled]
        self.invoke = invoke
        self.region = region
        self._client_factory = client_factory or self._default_client
        self._tasks: list[asyncio.Task] = []
        self.delivered = 0  # messages deleted after their function succeeded

    def _default_client(self) -> Any:
        import boto3

        return boto3.client("sqs", region_name=self.region)

    async def start(self) -> None:
        for source in self.sources:
            self._tasks.append(asyncio.ensure_future(self._poll(source)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _poll(self, source: SqsEventSource) -> None:
        client = await asyncio.to_thread(self._client_factory)
        url: str | None = None
        failures = 0
        last_error = ""
        while True:
            try:
                if url is None:
                    url = await asyncio.to_thread(self._queue_url, client, source.queue_arn)
                batch = await self._receive(client, url, source)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - logged once; polled again later
                failures += 1
                if str(exc) != last_error:  # the same failure again is not news
                    log.warning("event source %s: cannot read queue %s: %s", source.id,
                                queue_name(source.queue_arn), exc)
                    last_error = str(exc)
                url = None
                await asyncio.sleep(min(_ERROR_PAUSE_SECONDS * failures, _MAX_PAUSE_SECONDS))
                continue
            if failures:
                log.info("event source %s: reading queue %s again", source.id,
                         queue_name(source.queue_arn))
                failures, last_error = 0, ""
            if batch:
                await self._deliver(client, url, source, batch)

    @staticmethod
    def _queue_url(client: Any, arn: str) -> str:
        parts = arn.split(":")
        return str(client.get_queue_url(QueueName=parts[5],
                                        QueueOwnerAWSAccountId=parts[4])["QueueUrl"])

    async def _receive(self, client: Any, url: str, source: SqsEventSource) -> list[dict]:
        batch: list[dict] = []
        deadline = time.monotonic() + source.batching_window_seconds
        while len(batch) < source.batch_size:
            wanted = min(10, source.batch_size - len(batch))
            answer = await asyncio.to_thread(
                client.receive_message, QueueUrl=url, MaxNumberOfMessages=wanted,
                WaitTimeSeconds=_WAIT_SECONDS, AttributeNames=["All"],
                MessageAttributeNames=["All"])
            messages = answer.get("Messages") or []
            batch.extend(messages)
            if not messages or time.monotonic() >= deadline:
                break
        return batch

    async def _deliver(self, client: Any, url: str, source: SqsEventSource,
                       batch: list[dict]) -> None:
        event = sqs_event(batch, source.queue_arn, self.region)
        try:
            answer = await self.invoke(source.function, event, source.qualifier)
        except FunctionFailed as exc:
            log.warning("event source %s: %s failed on %d message(s), which return to the "
                        "queue: %s", source.id, source.function, len(batch), exc)
            return
        keep: set[str] = set()
        if source.report_batch_item_failures and isinstance(answer, dict):
            for failure in answer.get("batchItemFailures") or []:
                if isinstance(failure, dict) and failure.get("itemIdentifier"):
                    keep.add(str(failure["itemIdentifier"]))
        done = [m for m in batch if m["MessageId"] not in keep]
        for start in range(0, len(done), 10):
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                       for i, m in enumerate(done[start:start + 10])]
            with contextlib.suppress(Exception):  # not deleted: delivered once more
                await asyncio.to_thread(client.delete_message_batch, QueueUrl=url,
                                        Entries=entries)
                self.delivered += len(entries)
