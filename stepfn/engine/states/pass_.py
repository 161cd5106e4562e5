"""Pass: passes its input to its output, optionally injecting Result or Parameters."""

from __future__ import annotations

from typing import Any

from ..frame import Frame
from .base import ResultProcessingState
from .jsonata_io import JsonataStateMixin

_ABSENT = object()


class PassState(ResultProcessingState):
    type_name = "Pass"

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.result = spec.get("Result", _ABSENT)

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        if self.result is not _ABSENT:
            result = self.result
        else:
            result = self.apply_parameters(frame, self.apply_input_path(frame, raw_input))
        assigned = self.evaluate_assign(frame, result)
        output = self.apply_output_path(frame, self.result_path(raw_input, result))
        output = self.record_exited(frame, output, assigned)
        return output, self.transition()


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
