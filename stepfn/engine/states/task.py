"""Task: calls a resource (a function, a service, an activity) with retries and catches."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ...errors import StatesError
from ...jsonutil import loads
from ...tasks.base import JobHandler, ResourceRef, SubmitFailed, TaskCall, parse_resource
from ...tasks.tokens import task_token_for
from ..frame import Frame
from .base import State, Step
from .io import Outcome
from .recoverable import Recovery

if TYPE_CHECKING:
    from ..machine import Compiler


class TaskState(State):
    type_name = "Task"

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        super().__init__(model, compiler)
        self.ref: ResourceRef = parse_resource(model.fields["Resource"], compiler.region)
        self.timeout = self.io.task_seconds("TimeoutSeconds")
        self.heartbeat = self.io.task_seconds("HeartbeatSeconds")
        self.credentials = self.io.task_credentials()
        self.recovery = Recovery(self)
        self.events = EVENTS[self.ref.kind]
        self.waits_for_token = (self.ref.kind == "activity"
                                or self.ref.pattern == "waitForTaskToken")

    async def execute(self, frame: Frame, raw_input: Any) -> Step:
        io = self.io
        try:
            self.record_entered(frame, raw_input)
            if self.waits_for_token:
                frame.set_task_token(task_token_for(frame.run.execution_arn, frame.thread,
                                                    frame.entered_id))
            effective = io.effective_input(frame, raw_input)
            return await self.recovery.run(self.attempt, frame, raw_input, effective)
        except StatesError as err:
            raise io.escalate(frame, err) from None

    async def attempt(self, frame: Frame, raw_input: Any, effective: Any) -> Outcome:
        """One try: the arguments (evaluated again on each retry, so they can read
        ``$$.State.RetryCount``, and inside the try, so their errors can be caught),
        the call, then the result into the state output."""
        io = self.io
        arguments = io.arguments(frame, raw_input, effective)
        role = (self.credentials(frame, raw_input) if self.credentials is not None
                else None)
        result = await self.invoke(frame, arguments, role)
        return io.result_output(frame, raw_input, result)

    async def invoke(self, frame: Frame, arguments: Any, credentials: Any = None) -> Any:
        """Record the scheduling, run the resource (or reuse the outcome a replayed
        history recorded) and record how it ended."""
        run = frame.run
        timeout = self.timeout(frame) if self.timeout else None
        heartbeat = self.heartbeat(frame) if self.heartbeat else None
        text = run.serialize(arguments)
        events = self.events
        scheduled_id = frame.emit(events.scheduled, events.scheduled_details(
            self.ref, text, timeout, heartbeat, credentials))
        scheduled = frame.history.replayed
        # From the (recorded) scheduling: a resumed task keeps its timeout's deadline.
        deadline = run.now() + timeout if timeout else None
        if scheduled is not None and scheduled.details is not None:
            # replaying: the recorded parameters are the truth
            details = scheduled.details
            text = details.get("parameters") or details.get("input") or text
            arguments = loads(text)
        if events.started_at_once:
            frame.emit(events.started, events.resource_details(self.ref))
        call = TaskCall(self.ref, arguments, text, self.name, run.execution_arn,
                        timeout, heartbeat, frame.task_token,
                        invocation_id=f"{frame.thread}#{len(frame.history)}",
                        history=frame.history, scheduled_event_id=scheduled_id,
                        thread=frame.thread, deadline=deadline)
        try:
            recorded = self._replayed_progress(frame, call)
            if recorded is not None:
                result = _recorded_outcome(recorded)
            else:
                await run.checkpoint()
                coro = self._call(frame, call)
                if deadline is not None:
                    coro = asyncio.wait_for(coro, max(0.0, deadline - run.clock.now()))
                result = await coro
        except TimeoutError:
            self._record_failure(frame, "States.Timeout", None, timed_out=True)
            raise StatesError("States.Timeout", None) from None
        except SubmitFailed as err:
            self._record_failure(frame, err.error, err.cause, submit=True)
            raise StatesError(err.error, err.cause) from None
        except StatesError as err:
            self._record_failure(frame, err.error, err.cause,
                                 timed_out=err.error == "States.HeartbeatTimeout")
            raise
        details = events.resource_details(self.ref)
        details["output"] = run.serialize(result)
        frame.emit(events.succeeded, details)
        return result

    def _replayed_progress(self, frame: Frame, call: TaskCall) -> Any:
        """Replay the events recorded between scheduling and the outcome; return the
        recorded outcome event, or None when the task must (still) run."""
        history = frame.run.history
        recorded = history.peek(frame.thread)
        while recorded is not None and recorded.type in _PROGRESS:
            frame.emit(recorded.type, recorded.details)
            if recorded.type == "ActivityStarted":
                call.extra["started_recorded"] = True  # not to be recorded twice
            recorded = history.peek(frame.thread)
        return recorded if recorded is not None and recorded.type in _OUTCOMES else None

    async def _call(self, frame: Frame, call: TaskCall) -> Any:
        run = frame.run
        if self.ref.kind == "activity":
            started = _once(lambda worker: frame.emit(
                "ActivityStarted", {"workerName": worker} if worker else None))
            if call.extra.get("started_recorded"):  # the replayed history has it
                started = _once(lambda worker: None)
            call.extra["started"] = started
            return await run.tasks.handler_for(self.ref).invoke(call)
        handler = run.tasks.handler_for(self.ref)
        if self.ref.pattern == "waitForTaskToken":
            # call the integration (handing out the token), then wait for the answer
            if self._submission(frame) is None:  # a replayed TaskSubmitted: called
                await run.tasks.register_token(call)
                await self._submit(frame, handler.invoke, call)
            return await run.tasks.wait_for_token(call)
        if (self.ref.runs_a_job and isinstance(handler, JobHandler)
                and handler.runs_jobs(call)):
            # .sync: submit the job (TaskSubmitted, committed before it is followed, so
            # a resumed execution follows the job it submitted instead of submitting
            # another), then wait for its end, polling on the run's own waits
            call.sleep = lambda seconds: run.sleep(frame, seconds)
            submitted = self._submission(frame)
            if submitted is None:
                submitted = await self._submit(frame, handler.submit, call)
            return await handler.complete(call, submitted)
        return await handler.invoke(call)

    async def _submit(self, frame: Frame, submit: Any, call: TaskCall) -> Any:
        """Start the job (or hand out the token): record TaskSubmitted with the answer,
        and make it durable; a failure of the starting call is a submit failure."""
        run = frame.run
        try:
            submitted = await submit(call)
        except SubmitFailed:
            raise
        except StatesError as err:
            raise SubmitFailed(err.error, err.cause) from None
        details = self.events.resource_details(self.ref)
        details["output"] = run.serialize(submitted)
        frame.emit("TaskSubmitted", details)
        await run.checkpoint()
        return submitted

    def _submission(self, frame: Frame) -> Any:
        """What the replayed TaskSubmitted recorded (the job it started); None when the
        task has not been submitted yet."""
        replayed = frame.run.history.replayed
        if replayed is None or replayed.type != "TaskSubmitted":
            return None
        output = (replayed.details or {}).get("output")
        return loads(output) if isinstance(output, str) else {}

    def _record_failure(self, frame: Frame, error: str, cause: str | None,
                        timed_out: bool = False, submit: bool = False) -> None:
        details = self.events.resource_details(self.ref)
        details["error"] = error
        if cause is not None:
            details["cause"] = cause
        events = self.events
        kind = events.timed_out if timed_out else (
            events.submit_failed if submit else events.failed)
        frame.emit(kind, details)


class TaskEvents:
    """The history events of one kind of task resource, with AWS's detail shapes."""

    def __init__(self, prefix: str, with_resource: bool, started_at_once: bool) -> None:
        self.scheduled = prefix + "Scheduled"
        self.started = prefix + "Started"
        self.succeeded = prefix + "Succeeded"
        self.failed = prefix + "Failed"
        self.timed_out = prefix + "TimedOut"
        # the call that starts a .sync or .waitForTaskToken task failed; an activity
        # that could not be scheduled (it does not exist)
        self.submit_failed = {"Task": "TaskSubmitFailed",
                              "Activity": "ActivityScheduleFailed"}.get(prefix, self.failed)
        self.with_resource = with_resource  # resourceType/resource on every event
        self.started_at_once = started_at_once  # an activity starts when a worker polls

    def resource_details(self, ref: ResourceRef) -> dict[str, Any]:
        if not self.with_resource:
            return {}
        return {"resourceType": ref.resource_type, "resource": ref.event_resource}

    def scheduled_details(self, ref: ResourceRef, text: str, timeout: Any,
                          heartbeat: Any, credentials: Any = None) -> dict[str, Any]:
        details: dict[str, Any]
        if self.with_resource:
            details = {"resourceType": ref.resource_type, "resource": ref.event_resource,
                       "region": ref.region, "parameters": text}
        else:
            details = {"resource": ref.arn, "input": text}
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat is not None and self.scheduled != "LambdaFunctionScheduled":
            details["heartbeatInSeconds"] = int(heartbeat)
        # The role the task runs as (state-task "Credentials"); activities take none.
        if isinstance(credentials, dict) and self.scheduled != "ActivityScheduled":
            details["taskCredentials"] = {"roleArn": credentials.get("RoleArn")}
        return details


EVENTS = {
    "lambda-function": TaskEvents("LambdaFunction", False, True),
    "service": TaskEvents("Task", True, True),
    "activity": TaskEvents("Activity", False, False),
}
_OUTCOMES = frozenset(e for k in EVENTS.values()
                      for e in (k.succeeded, k.failed, k.timed_out, k.submit_failed))
_PROGRESS = frozenset({"ActivityStarted", "TaskSubmitted"})


def _once(fn: Any) -> Any:
    """``fn`` callable once; later calls do nothing."""
    done = False

    def call(*args: Any) -> None:
        nonlocal done
        if not done:
            done = True
            fn(*args)
    return call


def _recorded_outcome(event: Any) -> Any:
    """The result (or error) a replayed task outcome event recorded."""
    details = event.details or {}
    if event.type.endswith("Succeeded"):
        return loads(details["output"])
    if event.type.endswith("TimedOut"):
        raise TimeoutError()
    failure = (SubmitFailed if event.type in ("TaskSubmitFailed", "ActivityScheduleFailed")
               else StatesError)
    raise failure(details.get("error", "States.TaskFailed"), details.get("cause"))


