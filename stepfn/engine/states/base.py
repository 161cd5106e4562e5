"""What every state shares: identity, transitions and JSONPath input/output processing.

AWS's order for the JSONPath query language:

    raw input --InputPath--> effective input --Parameters--> task/branch input
    result --ResultSelector--> selected result --ResultPath (into raw input)--> merged
    merged --OutputPath--> state output

Each step is compiled once into a getter; an absent field costs nothing at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, ClassVar

from ...asl.jsonpath import compile_jsonpath
from ...asl.paths import Getter, compile_reference, path_and_document
from ...asl.templates import compile_payload
from ...errors import PathNotFound, StatesError
from ...jsonutil import dumps, loads
from ..frame import Frame

if TYPE_CHECKING:
    from ..machine import Compiler

_ABSENT = object()
PAYLOAD_LIMIT_BYTES = 256 * 1024

ResultWriter = Callable[[Any, Any], Any]  # (raw_input, result) -> merged


class State:
    """A compiled state. Subclasses implement ``execute``.

    A state type with a JSONata variant names it in ``jsonata_variant``; the query
    language picks the class once, when the definition is compiled, so neither path
    pays for the other at run time.
    """

    type_name: ClassVar[str] = ""
    jsonata_variant: ClassVar[type[State] | None] = None

    def __new__(cls, name: str, spec: dict, compiler: Compiler) -> State:
        variant = cls.jsonata_variant
        if variant is not None and spec.get("QueryLanguage",
                                            compiler.query_language) == "JSONata":
            cls = variant
        return super().__new__(cls)

    def __init__(self, name: str, spec: dict, compiler: Compiler) -> None:
        self.name = name
        self.spec = spec
        self.next: str | None = spec.get("Next")
        self.end: bool = bool(spec.get("End", False))
        self.next_state = self.transition()  # what transition() says, precomputed
        self.entered_event = self.type_name + "StateEntered"
        self.exited_event = self.type_name + "StateExited"
        self.query_language: str = spec.get("QueryLanguage", compiler.query_language)
        self.input_path = compile_io_path(spec, "InputPath")
        self.output_path = compile_io_path(spec, "OutputPath")
        self.assign = compile_assign(spec.get("Assign"), self.query_language)

    # A pure state never awaits (Pass, Choice, Succeed, Fail): the interpreter calls its
    # ``execute_sync`` directly, without a coroutine per transition.
    pure: ClassVar[bool] = False

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        """Run the state on its raw input; return (output, next state name or None)."""
        return self.execute_sync(frame, raw_input)

    def execute_sync(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        """``execute`` for a pure state, which needs no event loop."""
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

    def evaluate_assign(self, frame: Frame, doc: Any, assign: Any = _ABSENT) -> dict | None:
        """Evaluate an Assign (the state's unless given) against ``doc``, with the
        variables as they were when the state was entered."""
        if assign is _ABSENT:
            assign = self.assign
        if assign is None:
            return None
        return assign(doc, frame)

    # -- processing steps -----------------------------------------------------------
    def apply_input_path(self, frame: Frame, raw_input: Any) -> Any:
        return apply_io_path(self.input_path, frame, raw_input)

    def apply_output_path(self, frame: Frame, value: Any) -> Any:
        return apply_io_path(self.output_path, frame, value)

    def transition(self) -> str | None:
        return None if self.end else self.next


class ResultProcessingState(State):
    """A state that produces a result: Pass, Task, Map, Parallel.

    Adds Parameters (or ItemSelector), ResultSelector and ResultPath.
    """

    parameters_field: ClassVar[str] = "Parameters"

    def __init__(self, name: str, spec: dict, compiler: Compiler) -> None:
        super().__init__(name, spec, compiler)
        params = spec.get(self.parameters_field, _ABSENT)
        self.parameters: Getter | None = (
            None if params is _ABSENT else compile_payload(params, self.parameters_field))
        selector = spec.get("ResultSelector", _ABSENT)
        self.result_selector: Getter | None = (
            None if selector is _ABSENT else compile_payload(selector, "ResultSelector"))
        self.result_path = compile_result_path(spec.get("ResultPath", "$"))

    def apply_parameters(self, frame: Frame, effective_input: Any) -> Any:
        if self.parameters is None:
            return effective_input
        return self.parameters(effective_input, frame)

    def apply_result(self, frame: Frame, raw_input: Any, result: Any) -> tuple[Any, dict | None]:
        """ResultSelector, Assign, ResultPath and OutputPath: (output, assignments)."""
        if self.result_selector is not None:
            result = self.result_selector(result, frame)
        assigned = self.evaluate_assign(frame, result)
        merged = self.result_path(raw_input, result)
        return self.apply_output_path(frame, merged), assigned


def compile_assign(assign: Any, query_language: str, jsonata_field: str = "Assign") -> Any:
    """Assign compiled for the query language, or None when there is nothing to assign.

    JSONPath: a getter ``(doc, env) -> {name: value}``. JSONata: a ``JsonataAssign``,
    ``(bindings) -> {name: value}``, whose causes name ``jsonata_field``
    (``Assign``, ``Choices[0]/Assign``, ``Catch[1]/Assign``).
    """
    if not assign:
        return None
    if query_language == "JSONata":
        from .jsonata_io import compile_jsonata_assign

        return compile_jsonata_assign(assign, jsonata_field)
    return compile_payload(assign, "Assign")


def recorded_output(details: dict) -> tuple[Any, dict | None]:
    """The output and assignments a recorded Exited event holds."""
    output = loads(details["output"])
    assigned = details.get("assignedVariables")
    if assigned:
        assigned = {name: loads(text) for name, text in assigned.items()}
    return output, assigned


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
        path, source = path_and_document(text, value, frame)
        raise frame.run.runtime_error(
            frame, f"Invalid path '{text}' : {describe_missing(path, source)}") from None


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
