"""Choice: picks the next state from the first rule that matches."""

from __future__ import annotations

from typing import Any

from ..frame import Frame
from .base import State


class ChoiceState(State):
    type_name = "Choice"

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        from ...asl.choice import compile_choice_rule

        from .base import compile_assign

        self.rules = tuple(
            (compile_choice_rule(rule), rule["Next"],
             compile_assign(rule.get("Assign"), self.query_language))
            for rule in spec.get("Choices", ()))
        self.default: str | None = spec.get("Default")

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        effective = self.apply_input_path(frame, raw_input)
        next_state, assign = self.choose(frame, effective)
        assigned = self.evaluate_assign(frame, effective, assign)
        output = self.apply_output_path(frame, effective)
        output = self.record_exited(frame, output, assigned)
        return output, next_state

    def choose(self, frame: Frame, effective: Any) -> tuple[str, Any]:
        """The next state and the Assign that goes with it (a rule's, or the state's)."""
        for matches, next_state, assign in self.rules:
            if matches(effective, frame):
                return next_state, assign
        if self.default is None:
            raise frame.run.runtime_error(
                frame, "No Matches! No choice rule matched and there is no Default state.")
        return self.default, self.assign
