"""Succeed: ends the execution (or the branch/iteration) successfully."""

from __future__ import annotations

from typing import Any

from ..frame import Frame
from .base import State, Step


class SucceedState(State):
    type_name = "Succeed"
    never_suspends = True

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        self.record_entered(frame, raw_input)
        io = self.io
        output, _ = io.plain_output(frame, raw_input, io.effective_input(frame, raw_input))
        return self.record_exited(frame, output), None
