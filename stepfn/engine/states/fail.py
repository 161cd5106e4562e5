"""Fail: stops the execution (or fails the branch/iteration) with an error and cause."""

from __future__ import annotations

from typing import Any

from ...asl.paths import compile_reference
from ...errors import PathNotFound, StatesError
from ...jsonutil import dumps
from ..frame import Frame
from .base import State
from .jsonata_io import JsonataStateMixin, is_string, scalar_field


class FailState(State):
    type_name = "Fail"
    pure = True

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.error = _compile_field(spec, "Error")
        self.cause = _compile_field(spec, "Cause")

    def execute_sync(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        error = self.error(raw_input, frame)
        cause = self.cause(raw_input, frame)
        raise StatesError(error, cause)


def _compile_field(spec: dict, field: str):
    """Error/Cause as a constant, or ErrorPath/CausePath (a path or an intrinsic)."""
    if field + "Path" not in spec:
        value = spec.get(field)
        return lambda doc, env: value
    text = spec[field + "Path"]
    if text.startswith("States."):
        from ...asl.intrinsics import compile_intrinsic

        getter = compile_intrinsic(text)
    else:
        getter = compile_reference(text)

    def read(doc: Any, env: Any) -> Any:
        try:
            value = getter(doc, env)
        except PathNotFound:  # AWS's wording, as for a payload template's path
            source = env.context if text.startswith("$$") else doc
            raise env.run.runtime_error(
                env, f"The JSONPath '{text}' specified for the field '{field}Path' could "
                f"not be found in the input '{dumps(source)}'") from None
        if not isinstance(value, str):
            raise env.run.runtime_error(
                env, f"The {field}Path field must reference a string value: {text}")
        return value

    return read


class JsonataFailState(JsonataStateMixin, FailState):
    """Fail in JSONata: Error and Cause are strings or expressions yielding strings."""

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.error_field = scalar_field(spec, "Error", "string", is_string)
        self.cause_field = scalar_field(spec, "Cause", "string", is_string)
        self.init_jsonata({}, self.error_field, self.cause_field)

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        bindings = self.bindings(frame, raw_input)
        error = self.error_field.evaluate(bindings) if self.error_field else None
        cause = self.cause_field.evaluate(bindings) if self.cause_field else None
        raise StatesError(error, cause)


FailState.jsonata_variant = JsonataFailState
