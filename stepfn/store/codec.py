"""How records and history are encoded in the database, shared by every store.

Both stores keep a record as one orjson blob (plus the columns their queries filter
on) and a history as chunks of consecutive events, each chunk one orjson array of
event rows. Sharing the encoding keeps GetExecutionHistory's answers byte-identical
whichever store holds them, and lets a database be copied from one to the other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from stepfn.store.base import AliasRecord, Conflict, HistoryEvent, RoutingEntry

# History events are stored in chunks of consecutive events, one row (a JSON array of
# event rows) per chunk: a row costs ~7 us to insert whatever its size, so one row per
# event made storing a history cost 3x more than recording it. 128 events keep a page
# of GetExecutionHistory (100 by default) within two rows.
CHUNK_EVENTS = 128
CHUNK_BYTES = 64 * 1024  # big payloads: fewer events per row, no 25 MiB rows


def pack(record: Any) -> bytes:
    """A record (dataclass) or JSON value as an orjson blob."""
    # orjson serialises dataclasses natively (as asdict would, ~50x faster).
    return orjson.dumps(record)


def unpack(cls: type, blob: bytes) -> Any:
    """The record of class ``cls`` stored as ``blob``."""
    return cls(**orjson.loads(blob))


def unpack_alias(blob: bytes) -> AliasRecord:
    """An alias, whose routing entries are records of their own."""
    data = orjson.loads(blob)
    data["routing"] = tuple(RoutingEntry(**r) for r in data["routing"])
    return AliasRecord(**data)


def rev_key(revision_id: str | None) -> str:
    """The key of a revision: the first revision of a machine has no id."""
    return revision_id or ""


def exec_cursor(start_date: float, arn: str) -> str:
    """The opaque cursor after an execution (or map run) in newest-first order."""
    return f"{start_date!r}|{arn}"


def parse_exec_cursor(cursor: str) -> tuple[float, str]:
    """The (start date, arn) an ``exec_cursor`` points after."""
    date, _, arn = cursor.partition("|")
    return float(date), arn


def chunk_rows(execution_arn: str, events: Sequence[HistoryEvent],
               after: int) -> Iterator[tuple[str, int, int, int, bytes]]:
    """The event chunk rows (execution_arn, last_id, first_id, count, data) of
    ``events``, whose ids must increase past ``after`` (Conflict otherwise): at most
    CHUNK_EVENTS events or about CHUNK_BYTES of payload text per row."""
    chunk: list[tuple] = []
    size = 0
    last = after
    for e in events:
        if e.id <= last:
            raise Conflict(f"event id {e.id} already stored for {execution_arn}")
        last = e.id
        details = e.details
        chunk.append((last, e.previous_event_id, e.timestamp, e.type, details, e.thread))
        if details:  # the payloads (input, output, cause...) are its string members
            size += sum(len(v) for v in details.values() if type(v) is str)
        if len(chunk) == CHUNK_EVENTS or size >= CHUNK_BYTES:
            yield (execution_arn, last, chunk[0][0], len(chunk), orjson.dumps(chunk))
            chunk, size = [], 0
    if chunk:
        yield (execution_arn, last, chunk[0][0], len(chunk), orjson.dumps(chunk))


def chunk_events(data: bytes) -> list[HistoryEvent]:
    """The events of one stored chunk, in id order."""
    return [HistoryEvent(*row) for row in orjson.loads(data)]
