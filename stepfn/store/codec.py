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
    CHUNK_EVENTS events or about CHUNK_BYTES of stored payload bytes per row. A full
    row is closed only before an event that brings text it cannot store as a small
    delta, so a state's input that repeats the previous state's output, or an output
    that changes one member of it, lands in the same row and costs (almost) nothing."""
    chunk = _Chunk()
    last = after
    for e in events:
        if e.id <= last:
            raise Conflict(f"event id {e.id} already stored for {execution_arn}")
        last = e.id
        if chunk.rows and (len(chunk.rows) == CHUNK_EVENTS or
                           (chunk.size >= CHUNK_BYTES and chunk.new_bytes(e) > DELTA_MAX)):
            yield (execution_arn, chunk.rows[-1][0], chunk.rows[0][0], len(chunk.rows),
                   chunk.encode())
            chunk = _Chunk()
        chunk.add(e)
    if chunk.rows:
        yield (execution_arn, last, chunk.rows[0][0], len(chunk.rows), chunk.encode())


# A chunk is stored as FORMAT, the length of its header (4 bytes, big-endian), the
# header (orjson: the event rows and how to rebuild each payload) and then the payload
# bytes, raw UTF-8. Payloads kept inside the JSON array were stored escaped (every quote
# doubled in size) and once per event that carried them. Here each distinct text is
# kept once, and a text that shares most of itself with the chunk's previous one (a
# Pass or Task with a ResultPath changes one member of a large document) is kept as
# the difference: the length of the common prefix and suffix, and the middle.
# Chunks written by earlier versions are orjson arrays (first byte "[") and still read.
FORMAT = b"\x01"
# Detail strings shorter than this stay inline: a reference would cost as much.
PAYLOAD_MIN = 64
# A full chunk still takes an event whose new text costs at most this much (a delta).
DELTA_MAX = 4096
# Shorter texts are kept whole: finding a delta costs ~3 us whatever the length, more
# than a short text's copy saves (most states' payloads are this small).
DELTA_MIN = 1024


class _Chunk:
    """One chunk being built: its rows, its distinct payloads and the bytes stored."""

    __slots__ = ("rows", "texts", "index", "parts", "blobs", "size", "planned")

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.texts: list[str] = []
        self.index: dict[str, int] = {}
        self.parts: list[tuple[int, ...]] = []  # per payload: (bytes,) or a delta
        self.blobs: list[bytes] = []
        self.size = 0
        self.planned: tuple[str, tuple[bytes, tuple[int, ...]]] | None = None

    def new_bytes(self, e: HistoryEvent) -> int:
        """The bytes ``e``'s payload texts would add to this chunk (short strings, a
        state's name, do not count)."""
        details = e.details
        if not details:
            return 0
        cost = 0
        for value in details.values():
            if type(value) is str and len(value) >= PAYLOAD_MIN and \
                    value not in self.index:
                cost += len(self._plan(value)[0])
        return cost

    def _plan(self, text: str) -> tuple[bytes, tuple[int, ...]]:
        """How ``text`` would be stored: whole, or as a delta of the previous text."""
        planned = self.planned
        if planned is not None and planned[0] is text:
            return planned[1]
        plan: tuple[bytes, tuple[int, ...]]
        if self.texts and len(text) >= DELTA_MIN:
            base = self.texts[-1]
            head = common_prefix(base, text)
            tail = common_suffix(base, text, min(len(base), len(text)) - head)
            if head + tail >= len(text) // 2:
                blob = text[head:len(text) - tail].encode()
                plan = (blob, (len(blob), len(self.texts) - 1, head, tail))
            else:
                blob = text.encode()
                plan = (blob, (len(blob),))
        else:
            blob = text.encode()
            plan = (blob, (len(blob),))
        self.planned = (text, plan)
        return plan

    def add(self, e: HistoryEvent) -> None:
        details = e.details
        refs: list[tuple[str, int]] | None = None
        if details:
            for key, value in details.items():
                if type(value) is not str:
                    continue
                if len(value) < PAYLOAD_MIN:
                    self.size += len(value)
                    continue
                at = self.index.get(value)
                if at is None:
                    at = self._keep(value)
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

    def _keep(self, text: str) -> int:
        """Store a new payload text (whole, or as a delta of the previous one)."""
        at = len(self.texts)
        blob, part = self._plan(text)
        self.planned = None
        self.texts.append(text)
        self.index[text] = at
        self.parts.append(part)
        self.blobs.append(blob)
        self.size += len(blob)
        return at

    def encode(self) -> bytes:
        header = orjson.dumps((self.rows, self.parts))
        return b"".join((FORMAT, len(header).to_bytes(4, "big"), header, *self.blobs))


def common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of ``a`` and ``b``: a binary search whose
    comparisons (startswith, memcmp-fast) cover each character about twice."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a.startswith(b[lo:mid], lo):
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, limit: int) -> int:
    """The length (at most ``limit``) of the longest common suffix of ``a`` and ``b``."""
    la, lb = len(a), len(b)
    lo, hi = 0, max(limit, 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a.endswith(b[lb - mid:lb - lo], 0, la - lo):
            lo = mid
        else:
            hi = mid - 1
    return lo


def chunk_events(data: bytes) -> list[HistoryEvent]:
    """The events of one stored chunk, in id order."""
    data = bytes(data)  # PostgreSQL hands bytea over as memoryview
    if data[:1] != FORMAT:
        return [HistoryEvent(*row) for row in orjson.loads(data)]
    end = 5 + int.from_bytes(data[1:5], "big")
    rows, parts = orjson.loads(data[5:end])
    texts: list[str] = []
    for part in parts:
        text = data[end:end + part[0]].decode()
        end += part[0]
        if len(part) > 1:
            _, base_at, head, tail = part
            base = texts[base_at]
            text = base[:head] + text + base[len(base) - tail:]
        texts.append(text)
    events = []
    for i, prev, ts, kind, details, thread, refs in rows:
        if refs:
            for key, at in refs:
                details[key] = texts[at]
        events.append(HistoryEvent(i, prev, ts, kind, details, thread))
    return events
