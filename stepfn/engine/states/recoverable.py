"""Retry and Catch for the states that have them: Task, Map and Parallel."""

from __future__ import annotations

from typing import Any

from ...errors import StatesError
from ..frame import Frame
from ..recovery import Catcher, Retrier, find_catcher, find_retrier
from .base import compile_assign, compile_result_path


class RecoverableMixin:
    """Adds ``run_with_recovery`` around a state's ``attempt``."""

    retriers: tuple[Retrier, ...]
    catchers: tuple[Catcher, ...]

    def init_recovery(self, spec: dict, compiler: Any) -> None:
        self.retriers = tuple(Retrier.from_spec(r) for r in spec.get("Retry", ()))
        language = self.query_language  # type: ignore[attr-defined]
        self.catchers = tuple(
            Catcher(tuple(c["ErrorEquals"]), c["Next"],
                    compile_result_path(c.get("ResultPath", "$")), c,
                    compile_assign(c.get("Assign"), language))
            for c in spec.get("Catch", ()))

    async def attempt(self, frame: Frame, raw_input: Any, arguments: Any) -> Any:
        raise NotImplementedError

    async def run_with_recovery(self, frame: Frame, raw_input: Any,
                                arguments: Any) -> tuple[Any, str | None]:
        """Attempt, retrying as the retriers say; on a final error, catch or raise."""
        attempts = [0] * len(self.retriers)
        retries = 0
        if self.retriers:
            frame.set_retry_count(0)
        while True:
            try:
                output, assigned = await self.attempt(frame, raw_input, arguments)
            except StatesError as raised:
                err = frame.run.locate(raised, frame)
                index = find_retrier(self.retriers, err.error)
                if index >= 0 and attempts[index] < self.retriers[index].max_attempts:
                    delay = self.retriers[index].delay(attempts[index])
                    attempts[index] += 1
                    retries += 1
                    await frame.run.sleep(frame, delay)
                    frame.set_retry_count(retries)
                    continue
                if err.error != "States.Runtime":  # runtime errors end the execution at once
                    self.record_failed(frame)
                catcher = find_catcher(self.catchers, err.error)
                if catcher is None:
                    raise err
                return self.caught(frame, raw_input, err, catcher)
            output = self.record_exited(frame, output, assigned)  # type: ignore[attr-defined]
            return output, self.transition()  # type: ignore[attr-defined]

    def record_failed(self, frame: Frame) -> None:
        """Record that the state failed for good (no retry follows); Map and Parallel
        have an event for it."""
        failed_event = getattr(self, "failed_event", None)
        if failed_event:
            frame.emit(failed_event)

    def caught(self, frame: Frame, raw_input: Any, err: StatesError,
               catcher: Catcher) -> tuple[Any, str]:
        error_output: dict[str, Any] = {"Error": err.error}
        if err.cause is not None:
            error_output["Cause"] = err.cause
        assigned = self.evaluate_assign(frame, error_output, catcher.assign)  # type: ignore
        output = catcher.result_path(raw_input, error_output)
        output = self.record_exited(frame, output, assigned)  # type: ignore[attr-defined]
        return output, catcher.next
