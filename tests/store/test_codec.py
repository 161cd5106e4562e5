"""The history encoding shared by the stores (stepfn.store.codec): payload texts kept
once, as deltas of the previous one where they share most of it, read back exactly."""

from __future__ import annotations

import json
import os
import random

from stepfn.store.base import HistoryEvent
from stepfn.store.codec import chunk_events, chunk_rows, common_prefix, common_suffix


def _suffix(a: str, b: str, limit: int) -> int:
    n = 0
    while n < limit and a[len(a) - n - 1] == b[len(b) - n - 1]:
        n += 1
    return n


def test_common_prefix_and_suffix_match_a_plain_scan() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        a = "".join(rng.choice("ab") for _ in range(rng.randint(0, 14)))
        b = "".join(rng.choice("ab") for _ in range(rng.randint(0, 14)))
        head = common_prefix(a, b)
        assert head == len(os.path.commonprefix([a, b]))
        limit = min(len(a), len(b)) - head
        assert common_suffix(a, b, limit) == _suffix(a, b, limit)


# Each byte value to one of a, b, " and a stand-in for é (64 values each: uniform).
_ALPHABET = bytes.maketrans(bytes(range(256)), b'ab"\x00' * 64)


def _random_text(rng: random.Random, length: int) -> str:
    """``length`` characters drawn uniformly from a, b, " and é (a byte each drawn at
    once: a choice per character was most of the time of the test below)."""
    return rng.randbytes(length).translate(_ALPHABET).decode().replace("\x00", "é")


def test_random_histories_read_back_exactly() -> None:
    """Texts edited in the middle, replaced, repeated, with quotes, backslashes and
    non-ASCII; events with and without details; chunk boundaries anywhere."""
    rng = random.Random(11)
    for _ in range(200):
        events, text = [], "x" * rng.randint(60, 3000)
        for i in range(1, rng.randint(2, 300)):
            roll = rng.random()
            if roll < 0.3:
                at, to = sorted((rng.randint(0, len(text)), rng.randint(0, len(text))))
                text = text[:at] + 'é"\\' * rng.randint(0, 40) + text[to:]
            elif roll < 0.4:
                text = _random_text(rng, rng.randint(60, 30_000))
            details = {"name": "n", "input": text, "inputDetails": {"truncated": False}}
            events.append(HistoryEvent(i, i - 1, float(i), "PassStateEntered",
                                       details if roll < 0.9 else None, ""))
        rows = list(chunk_rows("arn", events, 0))
        assert [e for row in rows for e in chunk_events(row[4])] == events
        assert all(row[2] <= row[1] for row in rows)


def test_a_short_text_repeated_by_the_next_event_is_stored_once() -> None:
    """A state's input repeats the previous state's output: small payloads (a few
    hundred bytes, most states') are kept once per chunk, not once per event."""
    events, texts = [], []
    for i in range(1, 101):
        text = json.dumps({"step": i, "data": "x" * 200})
        texts.append(text)
        events.append(HistoryEvent(2 * i - 1, 2 * i - 2, float(i), "PassStateEntered",
                                   {"name": "S", "input": texts[i - 2] if i > 1 else text}))
        events.append(HistoryEvent(2 * i, 2 * i - 1, float(i), "PassStateExited",
                                   {"name": "S", "output": text}))
    rows = list(chunk_rows("arn", events, 0))
    assert [e for row in rows for e in chunk_events(row[4])] == events
    stored = sum(len(row[4]) for row in rows)
    distinct = sum(len(t) for t in set(texts))
    # each text once, plus each event's own row (ids, type, name: under 100 bytes)
    assert stored < distinct + 100 * len(events), (stored, distinct)
