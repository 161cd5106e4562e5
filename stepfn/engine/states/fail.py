"""Fail: stops the execution (or fails the branch/iteration) with an error and cause."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ...errors import StatesError
from ..frame import Frame
from .base import State, Step

if TYPE_CHECKING:
    from ..machine import Compiler


class FailState(State):
    type_name = "Fail"
    never_suspends = True

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        super().__init__(model, compiler)
        self.error = self.io.fail_field("Error")
        self.cause = self.io.fail_field("Cause")

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        # Fail has no InputPath: Error/Cause (and their paths) read the raw input.
        self.record_entered(frame, raw_input)
        raise StatesError(self.error(frame, raw_input), self.cause(frame, raw_input))
