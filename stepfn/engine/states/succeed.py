"""Succeed: ends the execution (or the branch/iteration) successfully."""

from __future__ import annotations

from typing import Any

from ..frame import Frame
from .base import State
from .jsonata_io import JsonataStateMixin


class SucceedState(State):
    type_name = "Succeed"
    pure = True

    def execute_sync(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        output = raw_input
        if self.input_path is not None:
            output = self.apply_input_path(frame, output)
        if self.output_path is not None:
            output = self.apply_output_path(frame, output)
        return self.record_exited(frame, output), None


class JsonataSucceedState(JsonataStateMixin, SucceedState):
    """Succeed in JSONata: Output (default: the input)."""

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.init_jsonata(spec)

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        output, _ = self.finish(self.bindings(frame, raw_input), raw_input)
        output = self.record_exited(frame, output)
        return output, None


SucceedState.jsonata_variant = JsonataSucceedState
