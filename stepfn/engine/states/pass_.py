"""Pass: passes its input to its output, optionally injecting Result or Parameters."""

from __future__ import annotations

from typing import Any

from ..frame import Frame
from .base import ResultProcessingState
from .jsonata_io import JsonataStateMixin

_ABSENT = object()


class PassState(ResultProcessingState):
    type_name = "Pass"
    pure = True

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.result = spec.get("Result", _ABSENT)
        self.result_is_output = spec.get("ResultPath", "$") == "$"  # no merge to do

    def execute_sync(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        # The most common state, so the absent steps are skipped inline.
        self.record_entered(frame, raw_input)
        result = self.result
        if result is _ABSENT:
            result = raw_input
            if self.input_path is not None:
                result = self.apply_input_path(frame, result)
            if self.parameters is not None:
                result = self.parameters(result, frame)
        assigned = None if self.assign is None else self.assign(result, frame)
        output = result if self.result_is_output else self.result_path(raw_input, result)
        if self.output_path is not None:
            output = self.apply_output_path(frame, output)
        return self.record_exited(frame, output, assigned), self.next_state


class JsonataPassState(JsonataStateMixin, PassState):
    """Pass in JSONata: Output (default: the input) and Assign; no Result/Parameters."""

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.init_jsonata(spec)

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        output, assigned = self.finish(self.bindings(frame, raw_input), raw_input)
        output = self.record_exited(frame, output, assigned)
        return output, self.transition()


PassState.jsonata_variant = JsonataPassState
