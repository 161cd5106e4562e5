"""Retry and Catch for the states that have them: Task, Map and Parallel."""

from __future__ import annotations

from typing import Any

from ...errors import StatesError
from ..frame import Frame
from ..recovery import Catcher, Retrier, find_catcher, find_retrier
from .base import compile_assign, compile_result_path
from .jsonata_io import JsonataStateMixin, compile_field


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
                    compile_assign(c.get("Assign"), language, f"Catch[{i}]/Assign"))
            for i, c in enumerate(spec.get("Catch", ())))

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
                err = self.report_error(frame, raised)
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

    def report_error(self, frame: Frame, err: StatesError) -> StatesError:
        """The error as the state reports it (with AWS's sentence locating it)."""
        return frame.run.locate(err, frame)

    def record_failed(self, frame: Frame) -> None:
        """Record that the state failed for good (no retry follows); Map and Parallel
        have an event for it."""
        failed_event = getattr(self, "failed_event", None)
        if failed_event:
            frame.emit(failed_event)

    def caught(self, frame: Frame, raw_input: Any, err: StatesError,
               catcher: Catcher) -> tuple[Any, str]:
        error_output = error_output_of(err)
        assigned = self.evaluate_assign(frame, error_output, catcher.assign)  # type: ignore
        output = catcher.result_path(raw_input, error_output)
        output = self.record_exited(frame, output, assigned)  # type: ignore[attr-defined]
        return output, catcher.next


def error_output_of(err: StatesError) -> dict[str, Any]:
    """The error output a catcher receives: ``{"Error", "Cause"}`` (no Cause if none)."""
    error_output: dict[str, Any] = {"Error": err.error}
    if err.cause is not None:
        error_output["Cause"] = err.cause
    return error_output


class JsonataRecoverableMixin(JsonataStateMixin):
    """Task, Map and Parallel in JSONata: Output and Assign see ``$states.result``
    (the output defaults to it); a catcher's Output and Assign see
    ``$states.errorOutput`` (its output defaults to it)."""

    catchers: tuple[Catcher, ...]

    def init_jsonata_recovery(self, spec: dict, *others: Any) -> None:
        """Compile Output and the catchers' Outputs (call after ``init_recovery``)."""
        self.catch_outputs: dict[int, Any] = {}
        for index, (catcher, raw) in enumerate(zip(self.catchers, spec.get("Catch", ()))):
            if "Output" in raw:
                self.catch_outputs[id(catcher)] = compile_field(
                    raw, "Output", f"Catch[{index}]/Output")
        parts = [*others, *self.catch_outputs.values(), *(c.assign for c in self.catchers)]
        self.init_jsonata(spec, *parts)

    def apply_result(self, frame: Frame, raw_input: Any, result: Any) -> tuple[Any, dict | None]:
        """Assign and Output with ``$states.result``: (output, assignments)."""
        return self.finish(self.bindings(frame, raw_input, "result", result), result)

    def caught(self, frame: Frame, raw_input: Any, err: StatesError,
               catcher: Catcher) -> tuple[Any, str]:
        error_output = error_output_of(err)
        bindings = self.bindings(frame, raw_input, "errorOutput", error_output)
        assigned = catcher.assign(bindings) if catcher.assign is not None else None
        template = self.catch_outputs.get(id(catcher))
        output = error_output if template is None else template.evaluate(
            bindings, inputs_ready=True)
        output = self.record_exited(frame, output, assigned)  # type: ignore[attr-defined]
        return output, catcher.next


__all__ = ["JsonataRecoverableMixin", "RecoverableMixin", "error_output_of"]
