"""Timestamps as AWS reads them: RFC 3339 with an uppercase ``T`` and an uppercase ``Z``
or a numeric offset (state-wait: "Timestamps must conform to the RFC3339 profile of ISO
8601, with the further restrictions that an uppercase T must separate the date and time
portions, and an uppercase Z must denote that a numeric time zone offset is not
present"), fractions up to nanoseconds. One parser for the validator (a Wait's
Timestamp, a Choice rule's Timestamp* operand), Choice rules and Wait states at run
time: a date that does not exist (month 13, 25 o'clock, February 30, year 0) is no
timestamp anywhere.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


# The longest timestamp: 2016-08-18T17:33:00.123456789+01:00
_TIMESTAMP_MAX_LENGTH = 35


def parse_timestamp(text: str) -> tuple[int, int] | None:
    """``(seconds since the epoch, nanoseconds)`` for an AWS timestamp, else None.

    The format is RFC 3339 with an uppercase ``T`` and an uppercase ``Z`` or a
    ``+hh:mm``/``-hh:mm`` offset; fractions carry up to nanoseconds.
    """
    if len(text) > _TIMESTAMP_MAX_LENGTH:
        return None
    return _parse_short_timestamp(text)


@functools.lru_cache(maxsize=4096)
def _parse_short_timestamp(text: str) -> tuple[int, int] | None:
    # Cached: workflows compare the same few timestamps again and again, and the
    # length check above keeps big strings out of the cache.
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = m.groups()
    hour, minute, second = int(hour), int(minute), int(second)
    if hour > 23 or minute > 59 or second > 59:
        return None
    try:
        days = _dt.date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    seconds = days * 86400 + hour * 3600 + minute * 60 + second
    if sign:
        off_hours, off_minutes = int(off_h), int(off_m)
        if off_hours > 23 or off_minutes > 59:
            return None
        offset = off_hours * 3600 + off_minutes * 60
        seconds = seconds - offset if sign == "+" else seconds + offset
    nanos = int(fraction) * _NANO_SCALE[len(fraction)] if fraction else 0
    return seconds, nanos


_NANO_SCALE = tuple(10 ** (9 - digits) for digits in range(10))
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


def is_timestamp(value: object) -> bool:
    """Whether ``value`` is a timestamp string AWS accepts."""
    return isinstance(value, str) and parse_timestamp(value) is not None


__all__ = ["is_timestamp", "parse_timestamp"]
