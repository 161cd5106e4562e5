"""Task: calls a resource (a function, a service, an activity) with retries and catches."""

from __future__ import annotations

import asyncio
from typing import Any

from ...asl.paths import compile_reference
from ...errors import PathNotFound, StatesError
from ...jsonutil import loads
from ...tasks.base import ResourceRef, TaskCall, parse_resource
from ..frame import Frame
from .base import ResultProcessingState
from .recoverable import RecoverableMixin


class TaskState(RecoverableMixin, ResultProcessingState):
    type_name = "Task"

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.ref: ResourceRef = parse_resource(spec["Resource"], compiler.region)
        self.timeout = _compile_seconds(spec, "TimeoutSeconds")
        self.heartbeat = _compile_seconds(spec, "HeartbeatSeconds")
        self.init_recovery(spec, compiler)

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        effective = self.apply_input_path(frame, raw_input)
        arguments = self.apply_parameters(frame, effective)
        return await self.run_with_recovery(frame, raw_input, arguments)

    async def attempt(self, frame: Frame, raw_input: Any, arguments: Any) -> Any:
        """One try: invoke the resource and process its result into the state output."""
        result = await self.invoke(frame, arguments)
        return self.apply_result(frame, raw_input, result)

    async def invoke(self, frame: Frame, arguments: Any) -> Any:
        run = frame.run
        ref = self.ref
        timeout = self.timeout(frame) if self.timeout else None
        heartbeat = self.heartbeat(frame) if self.heartbeat else None
        text = run.serialize(arguments)
        lambda_events = ref.kind == "lambda-function"
        if lambda_events:
            details: dict[str, Any] = {"resource": ref.arn, "input": text}
            if timeout is not None:
                details["timeoutInSeconds"] = int(timeout)
            frame.emit("LambdaFunctionScheduled", details)
            frame.emit("LambdaFunctionStarted")
        else:
            details = {"resourceType": ref.resource_type, "resource": ref.resource,
                       "region": ref.region, "parameters": text}
            if timeout is not None:
                details["timeoutInSeconds"] = int(timeout)
            if heartbeat is not None:
                details["heartbeatInSeconds"] = int(heartbeat)
            frame.emit("TaskScheduled", details)
            frame.emit("TaskStarted", {"resourceType": ref.resource_type,
                                       "resource": ref.resource})
        scheduled = run.history.replayed
        if scheduled is not None:  # replaying: the recorded parameters are the truth
            text = scheduled.details.get("parameters") or scheduled.details.get("input") or text
            arguments = loads(text)
        call = TaskCall(ref, arguments, text, self.name, run.execution_arn,
                        timeout, heartbeat, frame.task_token)
        try:
            recorded = run.history.peek(frame.thread)
            if recorded is not None and recorded.type in _OUTCOMES:
                result = _recorded_outcome(recorded)
            else:
                await run.checkpoint()
                coro = run.tasks.handler_for(ref).invoke(call)
                if timeout is not None:
                    result = await asyncio.wait_for(coro, timeout)
                else:
                    result = await coro
        except asyncio.TimeoutError:
            self._record_failure(frame, "States.Timeout", None, timed_out=True)
            raise StatesError("States.Timeout", None) from None
        except StatesError as err:
            self._record_failure(frame, err.error, err.cause)
            raise
        output = run.serialize(result)
        if lambda_events:
            frame.emit("LambdaFunctionSucceeded", {"output": output})
        else:
            frame.emit("TaskSucceeded", {"resourceType": ref.resource_type,
                                         "resource": ref.resource, "output": output})
        return result

    def _record_failure(self, frame: Frame, error: str, cause: str | None,
                        timed_out: bool = False) -> None:
        ref = self.ref
        details: dict[str, Any] = {"error": error}
        if cause is not None:
            details["cause"] = cause
        if ref.kind == "lambda-function":
            frame.emit("LambdaFunctionTimedOut" if timed_out else "LambdaFunctionFailed",
                       details)
        else:
            details.update(resourceType=ref.resource_type, resource=ref.resource)
            frame.emit("TaskTimedOut" if timed_out else "TaskFailed", details)


_OUTCOMES = frozenset({"TaskSucceeded", "TaskFailed", "TaskTimedOut", "LambdaFunctionSucceeded",
                       "LambdaFunctionFailed", "LambdaFunctionTimedOut"})


def _recorded_outcome(event: Any) -> Any:
    """The result (or error) a replayed task outcome event recorded."""
    details = event.details or {}
    if event.type.endswith("Succeeded"):
        return loads(details["output"])
    if event.type.endswith("TimedOut"):
        raise asyncio.TimeoutError()
    raise StatesError(details.get("error", "States.TaskFailed"), details.get("cause"))


def _compile_seconds(spec: dict, field: str):
    """TimeoutSeconds/HeartbeatSeconds or their *Path form, as ``f(frame) -> seconds``."""
    if field in spec:
        value = spec[field]
        return lambda frame: value
    path_field = field + "Path"
    if path_field not in spec:
        return None
    text = spec[path_field]
    getter = compile_reference(text)

    def read(frame: Frame) -> Any:
        try:
            value = getter(frame.current_input, frame)
        except PathNotFound:
            raise frame.run.runtime_error(
                frame, f"The {path_field} parameter does not reference an input value: {text}"
            ) from None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise frame.run.runtime_error(
                frame, f"The {path_field} parameter references an invalid value: {text}")
        return value

    return read
