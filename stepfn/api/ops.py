"""GET routes beside the API (which stays ``POST /``): the live event feed of an
execution as Server-Sent Events, Prometheus metrics and a health check.

- ``GET /feed/executions/<url-encoded execution ARN>``: the history so far, then the
  events as they are committed, one SSE message each (``id:`` the event id, ``data:``
  the event as GetExecutionHistory renders it, plus ``thread``: "" for the top level,
  ``<parent>/<started event id>.<index>`` for a Parallel branch or Map iteration, which
  the UI needs to follow nested states), ending after the execution's terminal event
  (the last one: a redriven execution goes on past its earlier failure). ``?after=N``
  (or a ``Last-Event-ID`` header, as EventSource sends on reconnecting) starts after
  event N. Live events come from the service's feed, which also carries the events other
  processes append (NOTIFY on PostgreSQL, polling on SQLite: service/feed.py); the store
  is read again whenever the feed is silent for a while or the subscriber lost events.
  A recent Express execution this server keeps in memory (service/express.py) streams
  the same way from there.
- ``GET /metrics``: text exposition format 0.0.4.
- ``GET /health``: 200 ``{"status":"ok"}`` when the store answers, else 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson

from stepfn.api import render
from stepfn.service.feed import FeedEvent
from stepfn.store.base import HistoryEvent, Store

log = logging.getLogger("stepfn.api")

FEED_PREFIX = "/feed/executions/"
TERMINAL = frozenset(("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut",
                      "ExecutionAborted"))
POLL_SECONDS = 1.0  # the store is read again after this long without a feed event
EXPRESS_POLL_SECONDS = 0.25  # a kept Express execution's events are read this often
Send = Callable[[dict], Awaitable[None]]
Receive = Callable[[], Awaitable[dict]]


def handles(scope: dict) -> bool:
    """Whether this module answers the request."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path = scope["path"]
    return path in ("/metrics", "/health") or path.startswith(FEED_PREFIX)


async def answer(scope: dict, receive: Receive, send: Send, store: Store,
                 service: Any) -> None:
    """Answer one GET request that ``handles`` accepted."""
    path = scope["path"]
    if path == "/health":
        await _health(send, store)
    elif path == "/metrics":
        await _metrics(send, store, service)
    else:
        await _feed(send, receive, store, service, unquote(path[len(FEED_PREFIX):]),
                    _start_after(scope))


def _start_after(scope: dict) -> int:
    """The id of the last event the client has (``?after=N`` or Last-Event-ID)."""
    after = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("after", [""])[0]
    if not after:
        for key, value in scope.get("headers", ()):
            if key.lower() == b"last-event-id":
                after = value.decode("latin-1")
    return int(after) if after.isdigit() else 0


async def _plain(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _health(send: Send, store: Store) -> None:
    try:
        await asyncio.wait_for(store.get_execution("health-check"), timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure means: not healthy
        log.warning("health check: store unreachable: %s", exc)
        await _plain(send, 503, b'{"status":"unavailable"}', b"application/json")
        return
    await _plain(send, 200, b'{"status":"ok"}', b"application/json")


async def _metrics(send: Send, store: Store, service: Any) -> None:
    metrics = getattr(service, "metrics", None)
    if metrics is None:
        await _plain(send, 404, b"no metrics\n", b"text/plain")
        return
    gauges: list[tuple[str, str, float]] = []
    now = time.time()
    try:
        gauges.append(("stepfn_due_timers",
                       "Timers (waits, back-offs, timeouts) due and not yet acted on.",
                       await store.count_due_timers(now)))
        work = await store.count_work(now)
        gauges.append(("stepfn_queue_depth",
                       "Executions claimable now and not yet claimed by a worker.",
                       work["available"]))
        gauges.append(("stepfn_parked_executions",
                       "Executions parked while they wait (no lease, no memory).",
                       work["waiting"]))
        gauges.append(("stepfn_leased_executions",
                       "Executions held by a live worker lease (all workers).",
                       work["leased"]))
    except Exception as exc:  # noqa: BLE001 - metrics still answer without it
        log.warning("metrics: timers or work queue unreadable: %s", exc)
    running = getattr(service, "running", None)
    if running is not None:
        gauges.append(("stepfn_running_executions",
                       "Executions this process is advancing now (its queue).",
                       len(running)))
    body = metrics.render(gauges).encode()
    await _plain(send, 200, body, b"text/plain; version=0.0.4; charset=utf-8")


def _message(event: HistoryEvent) -> bytes:
    data = render.history_event(event, True)
    data["thread"] = event.thread
    return b"id: %d\nevent: history\ndata: %s\n\n" % (
        event.id, orjson.dumps(data))


async def _feed(send: Send, receive: Receive, store: Store, service: Any,
                arn: str, after: int = 0) -> None:
    kept = getattr(service, "express", None)
    if kept is not None and kept.record(arn) is not None:
        await _express_feed(send, receive, kept, arn, after)
        return
    if await store.get_execution(arn) is None:
        await _plain(send, 404, b'{"message":"Execution Does Not Exist"}',
                     b"application/json")
        return
    feed = getattr(service, "feed", None)
    # Subscribe before reading the history: nothing committed in between is missed.
    sub = feed.subscribe(arn) if feed is not None else None
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream"),
                            (b"cache-control", b"no-cache")]})
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        await _stream(send, store, sub, arn, gone, after)
    finally:
        gone.cancel()
        if sub is not None:
            sub.close()
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _express_feed(send: Send, receive: Receive, kept: Any, arn: str,
                        after: int) -> None:
    """The feed of a kept Express execution (service/express.py): its events are in
    this server's memory, not in the store, so they are read again every
    ``EXPRESS_POLL_SECONDS`` until the execution has ended and all were sent."""
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream"),
                            (b"cache-control", b"no-cache")]})
    gone = asyncio.ensure_future(_disconnected(receive))
    last = after
    try:
        while not gone.done():
            found = kept.get(arn)
            if found is None:  # forgotten meanwhile (more recent ones pushed it out)
                break
            record, events = found
            for event in events[last:]:
                await send({"type": "http.response.body",
                            "body": _message(HistoryEvent(*event)), "more_body": True})
                last = event[0]
            if record.status != "RUNNING" and last >= len(events):
                break
            await asyncio.wait({gone}, timeout=EXPRESS_POLL_SECONDS)
    finally:
        gone.cancel()
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _stream(send: Send, store: Store, sub: Any, arn: str,
                  gone: asyncio.Future, after: int = 0) -> None:
    last = after
    while not gone.done():
        # From the store: everything after the last event sent.
        page = await store.get_history(arn, limit=1000, cursor=str(last) if last else None)
        for event in page.items:
            await send({"type": "http.response.body", "body": _message(event),
                        "more_body": True})
            last = event.id
        if page.next_cursor:
            continue
        if page.items and page.items[-1].type in TERMINAL:
            return  # the last event ends the execution (not an earlier, redriven one)
        # Live: events from the feed until it is silent or lost some.
        while sub is not None and not gone.done():
            try:
                item = await asyncio.wait_for(sub.get(), POLL_SECONDS)
            except TimeoutError:
                break
            if not isinstance(item, FeedEvent):  # a Gap: read them from the store
                break
            event = item.event
            if event.id <= last:
                continue
            if event.id != last + 1:
                break  # out of step: the store has the order
            await send({"type": "http.response.body", "body": _message(event),
                        "more_body": True})
            last = event.id
            if event.type in TERMINAL:
                return
        if sub is None:
            await asyncio.sleep(POLL_SECONDS)
