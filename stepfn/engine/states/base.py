"""What every state shares: identity, transitions, events, and the JSONPath paths.

A state is one class per state type; its query language is a strategy (``io``, a
``QueryIO`` from ``io.py``) chosen once when the state is compiled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ...asl.jsonpath import compile_jsonpath
from ...asl.model import StateModel
from ...asl.paths import compile_reference
from ...errors import PathNotFound, StatesError
from ...jsonutil import dumps, loads
from ..frame import Frame

if TYPE_CHECKING:
    from ..machine import Compiler
    from .io import QueryIO

PAYLOAD_LIMIT_BYTES = 256 * 1024

ResultWriter = Callable[[Any, Any], Any]  # (raw_input, result) -> merged
Step = tuple[Any, "str | None"]  # (output, next state name or None)


class State:
    """A compiled state. Subclasses implement ``execute`` (or, for the pure ones,
    ``execute_sync``)."""

    type_name: ClassVar[str] = ""
    #: The event AWS records when the state fails for good (Map and Parallel have one).
    failed_event: ClassVar[str | None] = None
    #: Whether the state type never awaits (Pass, Choice, Succeed, Fail): then the
    #: interpreter calls ``execute_sync`` directly, without a coroutine per transition,
    #: if its query language allows it too (``QueryIO.pure``).
    never_suspends: ClassVar[bool] = False

    def __init__(self, model: StateModel, compiler: Compiler,
                 parameters_field: str = "Parameters") -> None:
        from .io import make_io

        self.name = model.name
        self.model = model
        self.next: str | None = model.next
        self.end: bool = model.end
        self.next_state = None if self.end else self.next  # where a success goes
        self.entered_event = self.type_name + "StateEntered"
        self.exited_event = self.type_name + "StateExited"
        self.query_language = model.query_language
        self.io: QueryIO = make_io(model, parameters_field)
        self.pure: bool = self.never_suspends and self.io.pure

    async def execute(self, frame: Frame, raw_input: Any) -> Step:
        """Run the state on its raw input; return (output, next state name or None)."""
        try:
            return self.execute_sync(frame, raw_input)
        except StatesError as err:
            raise self.io.escalate(frame, err) from None

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        """``execute`` for a state that never awaits, which needs no event loop."""
        raise NotImplementedError

    # -- events ---------------------------------------------------------------------
    def record_entered(self, frame: Frame, raw_input: Any) -> None:
        frame.enter_state(self.name, self.entered_event, raw_input,
                          frame.run.serialize(raw_input))

    def record_exited(self, frame: Frame, output: Any, assigned: dict | None = None) -> Any:
        """Record the Exited event, apply the state's variable assignments and return the
        output. When replaying, the recorded output and assignments win, so values that
        differ from run to run (UUIDs, random numbers, times) stay as first recorded."""
        text = frame.run.serialize(output)
        if len(text) > PAYLOAD_LIMIT_BYTES and len(text.encode()) > PAYLOAD_LIMIT_BYTES:
            raise StatesError(
                "States.DataLimitExceeded",
                f"The state/task '{self.name}' returned a result with a size exceeding "
                "the maximum number of bytes service limit.",
            )
        details: dict[str, Any] = {"name": self.name, "output": text}
        if assigned:
            serialize = frame.run.serialize
            details["assignedVariables"] = {k: serialize(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
        history = frame.history
        frame.prev = history.add(self.exited_event, details, frame.prev, False, frame.thread)
        recorded = history.replayed
        if recorded is not None and recorded.details is not None:
            output, assigned = recorded_output(recorded.details)
        if assigned:
            frame.variables.update(assigned)
        return output


def recorded_output(details: dict) -> tuple[Any, dict | None]:
    """The output and assignments a recorded Exited event holds."""
    output = loads(details["output"])
    assigned = details.get("assignedVariables")
    if assigned:
        assigned = {name: loads(text) for name, text in assigned.items()}
    return output, assigned


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


# -- compiled paths -------------------------------------------------------------------
class _NullPath:
    """InputPath/OutputPath: null, which yields an empty object."""


NULL_PATH = _NullPath()


def compile_io_path(spec: dict, field: str) -> Any:
    """None when the field is absent or ``$``; NULL_PATH for null; else (text, getter)."""
    text = spec.get(field, "$")
    if text is None:
        return NULL_PATH
    if text == "$":
        return None
    return (text, compile_reference(text))


def apply_io_path(path: Any, frame: Frame, value: Any) -> Any:
    if path is None:
        return value
    if path is NULL_PATH:
        return {}
    text, getter = path
    try:
        return getter(value, frame)
    except PathNotFound:
        source = frame.context if text.startswith("$$") else value
        raise frame.run.runtime_error(
            frame, f"Invalid path '{text}' : {describe_missing(text, source)}") from None


def describe_missing(text: str, doc: Any) -> str:
    """Jayway's explanation of where a definite path stopped matching."""
    jp = compile_jsonpath(text[1:] if text.startswith("$$") else text)
    if jp.segments is None:
        return "No results for path: " + text
    walked = "$"
    for seg in jp.segments:
        if isinstance(seg, int):
            walked += f"[{seg}]"
            if not isinstance(doc, list) or not -len(doc) <= seg < len(doc):
                return f"Missing property in path {walked}"
        else:
            walked += f"['{seg}']"
            if not isinstance(doc, dict) or seg not in doc:
                return f"Missing property in path {walked}"
        doc = doc[seg]
    return "No results for path: " + text


def compile_result_path(text: str | None) -> ResultWriter:
    """ResultPath: where the result goes in the raw input (copy-on-write)."""
    if text is None:
        return lambda raw, result: raw
    if text == "$":
        return lambda raw, result: result
    if not text.startswith("$") or text.startswith("$$"):
        raise ValueError(f"ResultPath must be a reference path: {text}")
    segments = compile_jsonpath(text).segments
    if not segments:
        raise ValueError(f"ResultPath must be a reference path: {text}")

    def write(raw: Any, result: Any) -> Any:
        try:
            return set_at(raw, segments, result)
        except _CannotSet:
            raise StatesError(
                "States.ResultPathMatchFailure",
                f"Unable to apply step \"{text}\" to input {dumps(raw)}",
            ) from None

    return write


class _CannotSet(Exception):
    pass


def set_at(doc: Any, segments: tuple, value: Any) -> Any:
    """A copy of ``doc`` with ``value`` at ``segments``; intermediate objects created."""
    key = segments[0]
    rest = segments[1:]
    if isinstance(key, int):
        if not isinstance(doc, list) or not -len(doc) <= key < len(doc):
            raise _CannotSet()
        new_list = list(doc)
        new_list[key] = set_at(doc[key], rest, value) if rest else value
        return new_list
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise _CannotSet()
    new_obj = dict(doc)
    new_obj[key] = set_at(doc.get(key), rest, value) if rest else value
    return new_obj
