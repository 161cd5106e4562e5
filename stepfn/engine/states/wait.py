"""Wait: delays for a number of seconds or until a timestamp."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...asl.paths import compile_reference
from ...errors import PathNotFound
from ..frame import Frame
from .base import State
from .jsonata_io import JsonataStateMixin, is_integer, is_string, scalar_field

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
        timestamp = spec.get("Timestamp")
        self.timestamp = parse_timestamp(timestamp) if timestamp is not None else None
        self.seconds_path = _path(spec, "SecondsPath")
        self.timestamp_path = _path(spec, "TimestampPath")

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        effective = self.apply_input_path(frame, raw_input)
        deadline = self.deadline(frame, effective)
        await frame.run.checkpoint()
        await frame.run.sleep_until(frame, deadline)
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




class JsonataWaitState(JsonataStateMixin, WaitState):
    """Wait in JSONata: Seconds or Timestamp (each a value or an expression), Output
    (default: the input) and Assign."""

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.seconds_field = scalar_field(spec, "Seconds", "integer", is_integer)
        self.timestamp_field = scalar_field(spec, "Timestamp", "string", is_string)
        self.init_jsonata(spec, self.seconds_field, self.timestamp_field)

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        bindings = self.bindings(frame, raw_input)
        deadline = self.jsonata_deadline(frame, bindings)
        await frame.run.checkpoint()
        await frame.run.sleep_until(frame, deadline)
        output, assigned = self.finish(bindings, raw_input)
        output = self.record_exited(frame, output, assigned)
        return output, self.transition()

    def jsonata_deadline(self, frame: Frame, bindings: dict) -> float:
        if self.seconds_field is not None:
            seconds = self.seconds_field.evaluate(bindings)
            if not is_integer(seconds) or seconds < 0:
                raise self.seconds_field.invalid("a non-negative integer", seconds)
            return frame.run.now() + seconds
        field = self.timestamp_field
        text = field.evaluate(bindings)  # type: ignore[union-attr]
        when = parse_timestamp(text)
        if when is None:
            raise field.invalid(  # type: ignore[union-attr]
                "a valid ISO-8601 extended offset date-time format string", text)
        return when


WaitState.jsonata_variant = JsonataWaitState
