"""What every state shares: identity, transitions, events and its query-language strategy.

A state is one class per state type; its query language is a strategy (``io``, a
``QueryIO`` from ``io.py``) chosen once when the state is compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ...asl.model import StateModel
from ...errors import StatesError
from ...jsonutil import loads
from ..frame import Frame
from .io import QueryIO, make_io

if TYPE_CHECKING:
    from ..machine import Compiler

PAYLOAD_LIMIT_BYTES = 256 * 1024

Step = tuple[Any, "str | None"]  # (output, next state name or None)


class State:
    """A compiled state. Subclasses implement ``execute`` (or, for the pure ones,
    ``execute_sync``)."""

    type_name: ClassVar[str] = ""
    #: The event AWS records when the state fails for good (Map and Parallel have one).
    failed_event: ClassVar[str | None] = None
    #: Whether the state type never awaits (Pass, Choice, Succeed, Fail): then the
    #: interpreter calls ``execute_sync`` directly, without a coroutine per transition,
    #: if its query language allows it too (``QueryIO.pure``).
    never_suspends: ClassVar[bool] = False

    def __init__(self, model: StateModel, compiler: Compiler,
                 parameters_field: str = "Parameters") -> None:
        self.name = model.name
        self.model = model
        self.next: str | None = model.next
        self.end: bool = model.end
        self.next_state = None if self.end else self.next  # where a success goes
        self.entered_event = self.type_name + "StateEntered"
        self.exited_event = self.type_name + "StateExited"
        self.query_language = model.query_language
        self.io: QueryIO = make_io(model, parameters_field)
        self.pure: bool = self.never_suspends and self.io.pure
        #: Whether running the state can neither wait nor act outside the execution
        #: (no Task, Wait, Retry back-off or Distributed Map in it): a machine of such
        #: states is stored in one commit (``ExecutionRun.effect_free_in_one_checkpoint``).
        self.effect_free: bool = self.never_suspends

    async def execute(self, frame: Frame, raw_input: Any) -> Step:
        """Run the state on its raw input; return (output, next state name or None)."""
        try:
            return self.execute_sync(frame, raw_input)
        except StatesError as err:
            raise self.io.escalate(frame, err) from None

    def execute_sync(self, frame: Frame, raw_input: Any) -> Step:
        """``execute`` for a state that never awaits, which needs no event loop."""
        raise NotImplementedError

    # -- events ---------------------------------------------------------------------
    def record_entered(self, frame: Frame, raw_input: Any) -> None:
        frame.enter_state(self.name, self.entered_event, raw_input,
                          frame.run.serialize(raw_input))

    def record_exited(self, frame: Frame, output: Any, assigned: dict | None = None) -> Any:
        """Record the Exited event, apply the state's variable assignments and return the
        output. When replaying, the recorded output and assignments win, so values that
        differ from run to run (UUIDs, random numbers, times) stay as first recorded."""
        text = frame.run.serialize(output)
        if len(text) > PAYLOAD_LIMIT_BYTES and len(text.encode()) > PAYLOAD_LIMIT_BYTES:
            raise StatesError(
                "States.DataLimitExceeded",
                f"The state/task '{self.name}' returned a result with a size exceeding "
                "the maximum number of bytes service limit.",
            )
        details: dict[str, Any] = {"name": self.name, "output": text}
        if assigned:
            serialize = frame.run.serialize
            details["assignedVariables"] = {k: serialize(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
        history = frame.history
        frame.prev = history.add(self.exited_event, details, frame.prev, False, frame.thread)
        recorded = history.replayed
        if recorded is not None and recorded.details is not None:
            output, assigned = recorded_output(recorded.details)
        if assigned:
            frame.variables.update(assigned)
        return output


def recorded_output(details: dict) -> tuple[Any, dict | None]:
    """The output and assignments a recorded Exited event holds."""
    output = loads(details["output"])
    assigned = details.get("assignedVariables")
    if assigned:
        assigned = {name: loads(text) for name, text in assigned.items()}
    return output, assigned
