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
    CHUNK_EVENTS events or about CHUNK_BYTES of distinct payload text per row (a row
    is closed before an event that brings new text, so a state's input that repeats
    the previous state's output lands in the same row and is stored once)."""
    chunk = _Chunk()
    last = after
    for e in events:
        if e.id <= last:
            raise Conflict(f"event id {e.id} already stored for {execution_arn}")
        last = e.id
        if chunk.rows and (len(chunk.rows) == CHUNK_EVENTS or
                           (chunk.size >= CHUNK_BYTES and chunk.brings_new(e))):
            yield (execution_arn, chunk.rows[-1][0], chunk.rows[0][0], len(chunk.rows),
                   chunk.encode())
            chunk = _Chunk()
        chunk.add(e)
    if chunk.rows:
        yield (execution_arn, last, chunk.rows[0][0], len(chunk.rows), chunk.encode())


# A chunk is stored as FORMAT, the length of its header (4 bytes, big-endian), the
# header (orjson: the event rows and the byte length of each payload) and then the
# payloads themselves as raw UTF-8, each distinct text once. Payloads kept inside the
# JSON array were stored escaped (every quote doubled in size) and once per event that
# carried them; here a state's input that repeats the previous output costs nothing.
# Chunks written by earlier versions are orjson arrays (first byte "[") and still read.
FORMAT = b"\x01"
# Detail strings shorter than this stay inline: a reference would cost as much.
PAYLOAD_MIN = 64


class _Chunk:
    """One chunk being built: its rows, its distinct payloads and their size."""

    __slots__ = ("rows", "texts", "index", "size")

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.texts: list[bytes] = []
        self.index: dict[str, int] = {}
        self.size = 0

    def brings_new(self, e: HistoryEvent) -> bool:
        """Whether ``e`` carries payload text this chunk does not hold yet (its short
        strings, a state's name, do not count)."""
        details = e.details
        if not details:
            return False
        return any(type(v) is str and len(v) >= PAYLOAD_MIN and v not in self.index
                   for v in details.values())

    def add(self, e: HistoryEvent) -> None:
        details = e.details
        refs: list[tuple[str, int]] | None = None
        if details:
            for key, value in details.items():
                if type(value) is not str:
                    continue
                at = self.index.get(value)
                if at is None:
                    self.size += len(value)
                    if len(value) < PAYLOAD_MIN:
                        continue
                    at = self.index[value] = len(self.texts)
                    self.texts.append(value.encode())
                if refs is None:
                    refs = []
                refs.append((key, at))
            if refs:
                # The key stays in place (as null) so that the decoded details keep
                # their member order, and with it the bytes of the history answers.
                details = dict(details)
                for key, _ in refs:
                    details[key] = None
        self.rows.append((e.id, e.previous_event_id, e.timestamp, e.type, details,
                          e.thread, refs))

    def encode(self) -> bytes:
        header = orjson.dumps((self.rows, [len(t) for t in self.texts]))
        return b"".join((FORMAT, len(header).to_bytes(4, "big"), header, *self.texts))


def chunk_events(data: bytes) -> list[HistoryEvent]:
    """The events of one stored chunk, in id order."""
    data = bytes(data)  # PostgreSQL hands bytea over as memoryview
    if data[:1] != FORMAT:
        return [HistoryEvent(*row) for row in orjson.loads(data)]
    end = 5 + int.from_bytes(data[1:5], "big")
    rows, lengths = orjson.loads(data[5:end])
    texts = []
    for length in lengths:
        texts.append(data[end:end + length].decode())
        end += length
    events = []
    for i, prev, ts, kind, details, thread, refs in rows:
        if refs:
            for key, at in refs:
                details[key] = texts[at]
        events.append(HistoryEvent(i, prev, ts, kind, details, thread))
    return events
