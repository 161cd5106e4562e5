"""Retry and Catch for the states that have them (Task, Map, Parallel), as an object
the state holds: ``Recovery.run`` drives the state's attempts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...errors import StatesError
from ..frame import Frame
from ..recovery import Catcher, Retrier, find_catcher, find_retrier
from .base import Step

if TYPE_CHECKING:
    from .base import State

#: One attempt of the state: ``(frame, raw_input, arguments) -> (output, assigned)``.
Attempt = Callable[[Frame, Any, Any], Awaitable[tuple[Any, "dict | None"]]]


class Recovery:
    """A state's retriers and catchers, around its attempts."""

    __slots__ = ("state", "io", "retriers", "catchers")

    def __init__(self, state: State) -> None:
        spec = state.model.fields
        self.state = state
        self.io = state.io
        self.retriers = tuple(Retrier.from_spec(r) for r in spec.get("Retry", ()))
        self.catchers = tuple(self.io.catcher(c, i) for i, c in enumerate(spec.get("Catch", ())))

    async def run(self, attempt: Attempt, frame: Frame, raw_input: Any,
                  arguments: Any) -> Step:
        """Attempt, retrying as the retriers say; on a final error, catch or raise."""
        retriers = self.retriers
        attempts = [0] * len(retriers)
        retries = 0
        if retriers:
            frame.set_retry_count(0)
        while True:
            try:
                output, assigned = await attempt(frame, raw_input, arguments)
            except StatesError as raised:
                err = self.io.report(frame, raised)
                index = find_retrier(retriers, err.error)
                if index >= 0 and attempts[index] < retriers[index].max_attempts:
                    delay = retriers[index].delay(attempts[index])
                    attempts[index] += 1
                    retries += 1
                    await frame.run.sleep(frame, delay)
                    frame.set_retry_count(retries)
                    continue
                failed_event = self.state.failed_event
                # Runtime errors end the execution at once: no failed event.
                if failed_event and err.error != "States.Runtime":
                    frame.emit(failed_event)
                catcher = find_catcher(self.catchers, err.error)
                if catcher is None:
                    raise err from None
                return self.caught(frame, raw_input, err, catcher)
            return self.state.record_exited(frame, output, assigned), self.state.next_state

    def caught(self, frame: Frame, raw_input: Any, err: StatesError,
               catcher: Catcher) -> tuple[Any, str]:
        output, assigned = catcher.output(frame, raw_input, error_output_of(err))
        return self.state.record_exited(frame, output, assigned), catcher.next


def error_output_of(err: StatesError) -> dict[str, Any]:
    """The error output a catcher receives: ``{"Error", "Cause"}`` (no Cause if none)."""
    error_output: dict[str, Any] = {"Error": err.error}
    if err.cause is not None:
        error_output["Cause"] = err.cause
    return error_output


__all__ = ["Recovery", "error_output_of"]
