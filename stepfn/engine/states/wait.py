"""Wait: delays for a number of seconds or until a timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ...errors import StatesError
from ..frame import Frame
from .base import State, Step

if TYPE_CHECKING:
    from ..machine import Compiler



class WaitState(State):
    type_name = "Wait"

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        super().__init__(model, compiler)
        self.deadline = self.io.wait_deadline()  # (frame, effective) -> epoch seconds

    async def execute(self, frame: Frame, raw_input: Any) -> Step:
        io = self.io
        try:
            self.record_entered(frame, raw_input)
            effective = io.effective_input(frame, raw_input)
            deadline = self.deadline(frame, effective)
            await frame.run.sleep_until(frame, deadline)  # checkpoints first
            output, assigned = io.plain_output(frame, raw_input, effective)
            return self.record_exited(frame, output, assigned), self.next_state
        except StatesError as err:
            raise io.escalate(frame, err) from None
