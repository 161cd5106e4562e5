"""Nested executions: ``arn:aws:states:::states:startExecution`` and its patterns.

The child runs on this stepfn (it is an ordinary execution of a stored state machine):
request-response answers once it has started; ``.sync`` and ``.sync:2`` (recorded as
TaskSubmitted with the child's ARN once it has started) wait for it to end and answer
with its description (``.sync`` gives Input/Output as JSON text,
``.sync:2`` as JSON). A child that does not succeed fails the Task with
``States.TaskFailed`` and the child's description as the cause, as on AWS.

The child's default name is derived from the parent's invocation, so a parent resumed
after a crash finds the child it already started instead of starting another.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .. import jsonutil
from ..errors import StatesError
from ..store.base import ExecutionRecord
from ..tasks.base import TaskCall
from .contract import StartRequest
from .errors import ServiceError

if TYPE_CHECKING:
    from .executions import ExecutionManager

PARENT_KEY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"


class NestedExecutions:
    """The Task handler for the ``states`` optimized integration."""

    def __init__(self, manager: ExecutionManager) -> None:
        self.manager = manager

    async def invoke(self, call: TaskCall) -> Any:
        """Request-response (and .waitForTaskToken's call): start the child; its ARN.
        ``.sync`` called in one step (the Task state uses submit and complete): the
        child's description once it has ended."""
        submitted = await self.submit(call)
        if self.runs_jobs(call):
            return await self.complete(call, submitted)
        return submitted

    async def submit(self, call: TaskCall) -> dict:
        """Start the child execution: ``{ExecutionArn, StartDate}`` (the .sync
        patterns' TaskSubmitted output)."""
        if call.ref.resource != "startExecution":
            raise StatesError("States.Runtime",
                              f"stepfn does not support states:{call.ref.resource}")
        params = call.parameters if isinstance(call.parameters, dict) else {}
        child = await self._start(call, params)
        return {"ExecutionArn": child.arn, "StartDate": _millis(child.start_date)}

    def runs_jobs(self, call: TaskCall) -> bool:
        """``.sync``/``.sync:2``: submitted (the child started), then awaited."""
        return call.ref.runs_a_job

    async def complete(self, call: TaskCall, submitted: Any) -> Any:
        """``.sync``/``.sync:2``: the started child's description once it has ended."""
        child_arn = submitted.get("ExecutionArn") if isinstance(submitted, dict) else None
        if not isinstance(child_arn, str):
            raise StatesError("States.Runtime", "The submitted execution has no ARN")
        finished = await self._wait_for(call, child_arn)
        return _describe(finished, as_json=call.ref.pattern == "sync:2")

    async def _wait_for(self, call: TaskCall, child_arn: str) -> ExecutionRecord:
        """The child's record once it has ended. A durable wait: the child's end wakes
        this execution's work item, so a parked parent is resumed by any worker."""
        book = self.manager.runner.book_of(call.execution_arn)
        if book is None:
            return await self.manager.wait_for_end(child_arn)
        return await book.wait(call.history, call.thread, "child", call.deadline,
                               lambda: self.manager.wait_for_end(child_arn))

    async def _start(self, call: TaskCall, params: dict) -> ExecutionRecord:
        store = self.manager.store
        machine_arn = params.get("StateMachineArn")
        if not isinstance(machine_arn, str):
            raise StatesError("States.Runtime", "The field 'StateMachineArn' is required")
        machine = await store.get_state_machine(machine_arn)
        if machine is None:
            raise StatesError("StepFunctions.StateMachineDoesNotExistException",
                              f"State Machine Does Not Exist: '{machine_arn}' "
                              "(Service: AWSStepFunctions; Status Code: 400; "
                              "Error Code: StateMachineDoesNotExist)")
        child_input = params.get("Input", {})
        input_text = child_input if isinstance(child_input, str) else jsonutil.dumps(child_input)
        name = params.get("Name") or str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                    f"{call.execution_arn}#{call.invocation_id}"))
        if machine.type == "EXPRESS":  # named as StartExecution names an Express one:
            # <name>:<id>, the id derived too (a resumed parent finds its child)
            suffix = uuid.uuid5(uuid.NAMESPACE_URL, f"{call.execution_arn}#{name}")
            arn = f"{machine.arn.replace(':stateMachine:', ':express:')}:{name}:{suffix}"
        else:
            arn = f"{machine.arn.replace(':stateMachine:', ':execution:')}:{name}"
        existing = await store.get_execution(arn)
        if existing is not None:  # started before a crash of the parent
            return existing
        request = StartRequest(arn, name, input_text, machine, machine.definition,
                               machine.role_arn, machine.revision_id)
        try:
            return await self.manager.start_execution(request, parent_arn=call.execution_arn)
        except ServiceError as err:  # named as the Step Functions API names it
            name = type(err).__name__
            raise StatesError(f"StepFunctions.{name}Exception",
                              f"{name}: {err.message}") from None


def _describe(record: ExecutionRecord, as_json: bool) -> dict:
    """The child's DescribeExecution, as the .sync patterns return it."""
    def document(text: str | None) -> Any:
        return jsonutil.loads(text) if as_json and text is not None else text

    out: dict[str, Any] = {
        "ExecutionArn": record.arn, "Input": document(record.input),
        "InputDetails": {"Included": True}, "Name": record.name,
        "StartDate": _millis(record.start_date), "StateMachineArn": record.machine_arn,
        "Status": record.status, "StopDate": _millis(record.stop_date or record.start_date),
    }
    if record.status == "SUCCEEDED":
        out["Output"] = document(record.output)
        out["OutputDetails"] = {"Included": True}
        return out
    if record.error is not None:
        out["Error"] = record.error
    if record.cause is not None:
        out["Cause"] = record.cause
    raise StatesError("States.TaskFailed", jsonutil.dumps(out))


def _millis(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1000)


