"""Choice: picks the next state from the first rule that matches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ..frame import Frame
from .base import State, Step

if TYPE_CHECKING:
    from ..machine import Compiler


class ChoiceState(State):
    type_name = "Choice"
    never_suspends = True

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        super().__init__(model, compiler)
        self.default: str | None = model.fields.get("Default")
        self.decide = self.io.choice(model, self.no_match)

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        self.record_entered(frame, raw_input)
        output, assigned, next_state, rule = self.decide(frame, raw_input)
        output = self.record_exited(frame, output, assigned)
        traced = frame.history.choice_rules
        if traced is not None and rule is not None:
            traced[frame.prev] = rule
        return output, next_state

    def no_match(self, frame: Frame) -> str:
        """The Default state, or AWS's runtime error when there is none."""
        if self.default is None:
            raise frame.run.runtime_error(
                frame, "No Matches! No choice rule matched and there is no Default state.")
        return self.default
