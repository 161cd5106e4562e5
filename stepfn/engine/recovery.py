"""Retry and Catch: matching error names and computing back-off delays."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Errors no retrier or catcher can handle (AWS: "Runtime errors aren't retriable").
UNHANDLEABLE = frozenset({"States.Runtime"})
# Errors that States.ALL does not match, though they may be named explicitly.
NOT_MATCHED_BY_ALL = frozenset({"States.Runtime", "States.DataLimitExceeded"})


def error_matches(error_equals: tuple[str, ...], error: str) -> bool:
    """Whether an ``ErrorEquals`` list matches the error name, as AWS matches it."""
    if error in UNHANDLEABLE:
        return False
    for name in error_equals:
        if name == error:
            return True
        if name == "States.ALL" and error not in NOT_MATCHED_BY_ALL:
            return True
        if name == "States.TaskFailed" and error not in NOT_MATCHED_BY_ALL \
                and error != "States.Timeout":
            return True
    return False


@dataclass(frozen=True, slots=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter: str = "NONE"  # or "FULL"

    @classmethod
    def from_spec(cls, spec: dict) -> Retrier:
        return cls(
            error_equals=tuple(spec["ErrorEquals"]),
            interval_seconds=spec.get("IntervalSeconds", 1),
            max_attempts=spec.get("MaxAttempts", 3),
            backoff_rate=spec.get("BackoffRate", 2.0),
            max_delay_seconds=spec.get("MaxDelaySeconds"),
            jitter=spec.get("JitterStrategy", "NONE"),
        )

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based) of this retrier."""
        delay = self.interval_seconds * (self.backoff_rate ** attempt)
        if self.max_delay_seconds is not None:
            delay = min(delay, self.max_delay_seconds)
        if self.jitter == "FULL":
            delay = random.uniform(0, delay)
        return delay


@dataclass(frozen=True, slots=True)
class Catcher:
    """One ``Catch`` entry; ``output(frame, raw_input, error_output)`` makes the state's
    output and assignments from the error, as the state's query language says."""

    error_equals: tuple[str, ...]
    next: str
    output: Callable[[Any, Any, dict], tuple[Any, dict | None]]


def find_retrier(retriers: tuple[Retrier, ...], error: str) -> int:
    """Index of the first retrier matching ``error``, or -1."""
    for i, retrier in enumerate(retriers):
        if error_matches(retrier.error_equals, error):
            return i
    return -1


def find_catcher(catchers: tuple[Catcher, ...], error: str) -> Catcher | None:
    for catcher in catchers:
        if error_matches(catcher.error_equals, error):
            return catcher
    return None
