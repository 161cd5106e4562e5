"""Succeed: ends the execution (or the branch/iteration) successfully."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ..frame import Frame
from .base import State, Step

if TYPE_CHECKING:
    from ..machine import Compiler


class SucceedState(State):
    type_name = "Succeed"
    never_suspends = True

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        super().__init__(model, compiler)
        self.transform = self.io.succeed_transform()  # None: the output is the input

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        self.record_entered(frame, raw_input)
        transform = self.transform
        output = raw_input if transform is None else transform(frame, raw_input)
        return self.record_exited(frame, output), None
