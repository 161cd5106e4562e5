"""Wait: delays for a number of seconds or until a timestamp."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...asl.paths import compile_reference
from ...errors import PathNotFound
from ..frame import Frame
from .base import State

# ISO-8601 extended offset date-time as AWS accepts it (upper-case T, Z or +hh:mm).
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def parse_timestamp(text: Any) -> float | None:
    """Epoch seconds of an AWS-valid timestamp string, or None."""
    if not isinstance(text, str) or not _TIMESTAMP.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class WaitState(State):
    type_name = "Wait"

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.seconds = spec.get("Seconds")
        self.timestamp = parse_timestamp(spec["Timestamp"]) if "Timestamp" in spec else None
        self.seconds_path = _path(spec, "SecondsPath")
        self.timestamp_path = _path(spec, "TimestampPath")

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        effective = self.apply_input_path(frame, raw_input)
        deadline = self.deadline(frame, effective)
        await frame.run.checkpoint()
        await frame.run.sleep_until(deadline)
        assigned = self.evaluate_assign(frame, effective)
        output = self.apply_output_path(frame, effective)
        output = self.record_exited(frame, output, assigned)
        return output, self.transition()

    def deadline(self, frame: Frame, effective: Any) -> float:
        """The epoch time at which the wait ends."""
        if self.seconds is not None:
            return frame.run.now() + self.seconds
        if self.timestamp is not None:
            return self.timestamp
        if self.seconds_path is not None:
            text, getter = self.seconds_path
            value = _read(frame, getter, effective, "SecondsPath", text)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise frame.run.runtime_error(
                    frame, f"The SecondsPath parameter references an invalid value: {text}")
            return frame.run.now() + value
        text, getter = self.timestamp_path
        value = _read(frame, getter, effective, "TimestampPath", text)
        when = parse_timestamp(value)
        if when is None:
            raise frame.run.runtime_error(
                frame, "The TimestampPath parameter does not reference a valid ISO-8601 "
                f"extended offset date-time format string: {text} == {value}")
        return when


def _path(spec: dict, field: str):
    return (spec[field], compile_reference(spec[field])) if field in spec else None


def _read(frame: Frame, getter, effective: Any, field: str, text: str) -> Any:
    try:
        return getter(effective, frame)
    except PathNotFound:
        raise frame.run.runtime_error(
            frame, f"The {field} parameter does not reference an input value: {text}") from None


