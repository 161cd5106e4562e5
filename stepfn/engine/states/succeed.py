"""Succeed: ends the execution (or the branch/iteration) successfully."""

from __future__ import annotations

from typing import Any

from ..frame import Frame
from .base import State


class SucceedState(State):
    type_name = "Succeed"

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        output = self.apply_output_path(frame, self.apply_input_path(frame, raw_input))
        output = self.record_exited(frame, output)
        return output, None
