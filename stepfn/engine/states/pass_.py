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
        self.transform = self.io.pass_transform(model.fields.get("Result", ABSENT))

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        self.record_entered(frame, raw_input)
        output, assigned = self.transform(frame, raw_input)
        return self.record_exited(frame, output, assigned), self.next_state
