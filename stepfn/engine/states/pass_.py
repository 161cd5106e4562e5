"""Pass: passes its input to its output, optionally injecting Result or Parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ..frame import Frame
from .base import State, Step
from .io import ABSENT

if TYPE_CHECKING:
    from ..machine import Compiler


class PassState(State):
    type_name = "Pass"
    never_suspends = True

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        super().__init__(model, compiler)
        result = model.fields.get("Result", ABSENT)
        self.output_of = self.io.pass_output(result)  # the fast form, when there is one
        self.transform = self.io.pass_transform(result)

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        self.record_entered(frame, raw_input)
        output_of = self.output_of
        if output_of is not None:
            return self.record_exited(frame, output_of(frame, raw_input)), self.next_state
        output, assigned = self.transform(frame, raw_input)
        return self.record_exited(frame, output, assigned), self.next_state
