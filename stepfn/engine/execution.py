"""Running one execution of a compiled state machine.

``ExecutionRun`` is the interpreter's whole world for one execution: the compiled
machine, the history it appends to, the task dispatcher and the clock. It does no I/O
of its own; tasks and time come in through those two interfaces.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from orjson import dumps as _orjson_dumps

from .. import jsonutil
from ..errors import StatesError
from ..tasks.base import TaskDispatcher
from .clock import RealClock
from .frame import Frame, iso_timestamp
from .history import Event, History, ReplayDivergence
from .machine import Branch, StateMachine
from .states.base import PAYLOAD_LIMIT_BYTES

log = logging.getLogger(__name__)

_LOCATED_PREFIX = "An error occurred while executing the state"
# What an unexpected Python exception inside a state becomes: AWS's States.Runtime, with
# its usual sentence locating the state (the exception itself goes to the log only).
INTERNAL_ERROR_DETAIL = "Internal error."
# Errors whose cause AWS prefixes with the state and the event id it was entered at.
_LOCATED_ERRORS = frozenset({"States.Runtime", "States.QueryEvaluationError"})


T = TypeVar("T")


class WaitHooks(Protocol):
    """What a durable run tells the service about its threads and waits (see
    ``stepfn.service.waits``). A thread is the top level, a Parallel branch or a Map
    iteration; keys are (history, thread name)."""

    def thread_started(self, history: History, thread: str) -> None: ...

    def thread_ended(self, history: History, thread: str) -> None: ...

    async def wait(self, history: History, thread: str, kind: str, due: float | None,
                   waiting: Callable[[], Awaitable[T]]) -> T:
        """Record the wait (a timer row when ``due`` is known) with a checkpoint, then
        ``await waiting()``; the service may park the execution meanwhile."""
        ...


@dataclass
class ExecutionResult:
    """How an execution ended."""

    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    # Large fields stay out of repr(): asyncio.run formats its finished task's result.
    output: Any = field(default=None, repr=False)
    output_text: str | None = field(default=None, repr=False)
    error: str | None = None
    cause: str | None = None
    events: list[Event] = field(default_factory=list, repr=False)
    # In-process only: ChoiceStateExited event id -> index of the rule that matched, and
    # the histories of Distributed Map child executions (their own, as in AWS).
    choice_rules: dict[int, int] | None = field(default=None, repr=False)
    children: list[History] = field(default_factory=list, repr=False)
    start_time: float = 0.0
    stop_time: float = 0.0

    def to_json(self, include_events: bool = True) -> dict:
        out: dict[str, Any] = {"status": self.status, "output": self.output,
                               "error": self.error, "cause": self.cause}
        if include_events:
            from .history import event_to_aws

            out["events"] = [
                {**e, "timestamp": e["timestamp"].isoformat()}
                for e in (event_to_aws(ev) for ev in self.events)
            ]
        return out


class ExecutionRun:
    """One execution: runs the machine's states and records the history."""

    def __init__(self, machine: StateMachine, input_value: Any, *, execution_arn: str,
                 name: str, machine_arn: str, machine_name: str, tasks: TaskDispatcher,
                 role_arn: str = "", clock: Any = None, history: History | None = None,
                 input_text: str | None = None, redrive_count: int = 0,
                 start_time: float | None = None, persist: Any = None,
                 redrive_time: float | None = None) -> None:
        self.machine = machine
        self.input = input_value
        # The first state's input is the execution's: prime the serialize() cache with it
        # (only with our own rendering: a caller's text may be laid out differently).
        self._last_value: Any = None
        self._last_text = "null"
        if input_text is None:
            input_text = self._last_text = jsonutil.dumps(input_value)
            self._last_value = input_value
        self.input_text = input_text
        self.execution_arn = execution_arn
        self.name = name
        self.tasks = tasks
        self.clock = clock or RealClock()
        self.history = history if history is not None else History()
        self.history.clock = self.clock.now
        self.start_time = start_time if start_time is not None else self.clock.now()
        self.persist = persist  # async callable that commits the new events
        # True: a machine whose states can neither wait nor act outside the execution
        # (``Branch.effect_free``) is run to its end before its first checkpoint, so
        # that its start and its end are made durable together. The service sets it
        # for a new execution it runs itself.
        self.effect_free_in_one_checkpoint = False
        self.redrive_count = redrive_count
        self.redrive_time = redrive_time  # when it was last redriven (epoch seconds)
        self.machine_arn = machine_arn
        self.machine_name = machine_name
        self.role_arn = role_arn
        self._execution_context: dict | None = None
        self._machine_context: dict | None = None
        self.infrastructure_failure: BaseException | None = None
        # Distributed Map children's histories, in order: kept for traced runs only
        self.child_histories: list[History] = []
        # Where Distributed Map runs are kept (engine.map_run.MapRunHost): set by the
        # service for durable executions; None keeps them in memory.
        self.map_runs: Any = None
        # The service's record of this run's threads and waits (``WaitHooks``): lets a
        # durable execution wait as rows and be parked. None: waits are in memory.
        self.waits: WaitHooks | None = None

    @property
    def execution_context(self) -> dict:
        """``$$.Execution``; built on first use, since most executions never read it."""
        context = self._execution_context
        if context is None:
            context = self._execution_context = {
                "Id": self.execution_arn, "Input": self.input,
                "StartTime": iso_timestamp(self.start_time), "Name": self.name,
                "RoleArn": self.role_arn, "RedriveCount": self.redrive_count,
            }
            if self.redrive_count and self.redrive_time is not None:
                # the context object has RedriveTime once the execution was redriven
                context["RedriveTime"] = iso_timestamp(self.redrive_time)
        return context

    @property
    def machine_context(self) -> dict:
        """``$$.StateMachine``, built on first use as ``execution_context``."""
        context = self._machine_context
        if context is None:
            context = self._machine_context = {"Id": self.machine_arn,
                                               "Name": self.machine_name}
        return context

    # -- services for states ----------------------------------------------------------
    def now(self) -> float:
        """The current time; while replaying, the time the replayed event was recorded."""
        replayed = self.history.replayed
        return replayed.timestamp if replayed is not None else self.clock.now()

    async def checkpoint(self) -> None:
        """Make every event recorded so far durable before a side effect happens
        (design: write before side effects). A no-op without a durable store."""
        if self.persist is not None:
            await self._persist()

    async def _persist(self) -> None:
        """``persist``, remembering its failure: a store that fails is not a failure of
        the workflow, so it must reach the service unchanged."""
        try:
            await self.persist()
        except BaseException as exc:
            self.infrastructure_failure = exc
            raise

    async def sleep(self, frame: Frame, seconds: float) -> None:
        """Wait (a retry back-off) ``seconds`` from the event just recorded (its recorded
        time when replaying: a resumed back-off keeps its deadline); no wait when
        replaying what already followed it."""
        if self.history.peek(frame.thread) is None:
            await self.wait_until(frame, "retry", self.now() + seconds)

    async def sleep_until(self, frame: Frame, deadline: float) -> None:
        """Make the events so far durable, then wait until ``deadline`` (epoch
        seconds), as ``sleep``."""
        if self.history.peek(frame.thread) is None:
            await self.wait_until(frame, "wait", deadline)

    async def wait_until(self, frame: Frame, kind: str, deadline: float) -> None:
        """Wait (``kind``: "wait" or "retry") until ``deadline``: recorded and parkable
        in a durable run, within the execution's timeout; for this run's threads and for
        its in-process Distributed Map children (``frame`` says whose)."""
        def sleeping() -> Awaitable[None]:
            return self._sleep_within_timeout(deadline - self.clock.now())
        if self.waits is None:
            await self.checkpoint()
            await sleeping()
        else:  # recorded as a row with the checkpoint; the execution may be parked
            await self.waits.wait(frame.history, frame.thread, kind, deadline, sleeping)

    async def _sleep_within_timeout(self, seconds: float) -> None:
        """Sleep, but not past the execution's TimeoutSeconds: a wait that would outlast
        it ends the execution when the time is up. Checked on the clock itself, so the
        timeout also holds when a skipping clock lets waits pass instantly."""
        timeout = self.machine.timeout_seconds
        if timeout:
            left = self.start_time + timeout - self.clock.now()
            if seconds >= left:
                await self.clock.sleep(max(left, 0))
                raise TimeoutError()
        await self.clock.sleep(seconds)

    def serialize(self, value: Any) -> str:
        """JSON text of a payload; the last one is remembered, since a state's output
        is usually the next state's input."""
        if value is self._last_value and value is not None:
            return self._last_text
        try:  # jsonutil.dumps, inlined: one call per state
            text = _orjson_dumps(value).decode()
        except TypeError:
            text = jsonutil.dumps(value)
        self._last_value, self._last_text = value, text
        return text

    def runtime_error(self, frame: Frame, detail: str) -> StatesError:
        return StatesError("States.Runtime", self.located(frame, detail))

    def located(self, frame: Frame, detail: str) -> str:
        return (f"{_LOCATED_PREFIX} '{frame.state_name}' (entered at the event id "
                f"#{frame.entered_id}). {detail}")

    def locate(self, err: StatesError, frame: Frame) -> StatesError:
        """Give a runtime error the state-and-event prefix AWS puts on its cause."""
        if err.error in _LOCATED_ERRORS and not (err.cause or "").startswith(_LOCATED_PREFIX):
            return StatesError(err.error, self.located(frame, err.cause or ""))
        return err

    def internal_error(self, frame: Frame, exc: Exception) -> StatesError:
        """``exc``, an unexpected Python exception raised while ``frame`` ran a state, as
        the ``States.Runtime`` failure AWS reports for an error it did not foresee. The
        user sees no Python text; the log keeps the traceback."""
        # At info level: a server's log shows it, while `stepfn run` (no logging set up)
        # does not print a traceback to its user.
        log.info("execution %s: internal error in state %r", self.execution_arn,
                 frame.state_name, exc_info=exc)
        return StatesError("States.Runtime", self.located(frame, INTERNAL_ERROR_DETAIL))

    def passes_through(self, exc: BaseException) -> bool:
        """Whether ``exc`` is not a failure of the workflow but the interpreter's own
        control flow (the execution's timeout, a replay that diverged, the store failing),
        which must reach the caller unchanged."""
        return (isinstance(exc, (asyncio.TimeoutError, ReplayDivergence))
                or exc is self.infrastructure_failure)

    def map_run_arn(self, label: str | None) -> str:
        """An ARN for a Distributed Map run of this execution."""
        prefix = self.machine_arn.replace(":stateMachine:", ":mapRun:")
        return f"{prefix}/{label or uuid.uuid4().hex[:8]}:{uuid.uuid4()}"

    def child_execution_frame(self, parent: Frame,
                              context: tuple[dict, dict] | None = None) -> Frame:
        """A frame whose events go to a history of its own (a Distributed Map child);
        ``context``: the child's ``$$.Execution`` and ``$$.StateMachine``."""
        child_run = _ChildRun(self)
        if context is not None:
            child_run.execution_context, child_run.machine_context = context
        if self.history.choice_rules is not None:  # a traced run
            self.child_histories.append(child_run.history)
        return Frame(child_run, dict(parent.variables), 0)

    # -- running ----------------------------------------------------------------------
    async def run_branch(self, branch: Branch, frame: Frame, value: Any) -> Any:
        """Run states from the branch's start until one ends it; return the output."""
        waits = self.waits
        if waits is None:
            return await self._run_branch(branch, frame, value)
        waits.thread_started(frame.history, frame.thread)
        try:
            return await self._run_branch(branch, frame, value)
        finally:
            waits.thread_ended(frame.history, frame.thread)

    async def _run_branch(self, branch: Branch, frame: Frame, value: Any) -> Any:
        states = branch.states
        state = branch.start
        try:
            while True:
                if state.pure:  # no coroutine for a state that cannot suspend
                    value, next_name = state.execute_sync(frame, value)
                else:
                    value, next_name = await state.execute(frame, value)
                if next_name is None:
                    return value
                state = states[next_name]
        except StatesError as err:
            raise self.locate(err, frame) from None
        except Exception as exc:
            if self.passes_through(exc):
                raise
            raise self.internal_error(frame, exc) from None

    def run_branch_sync(self, branch: Branch, frame: Frame, value: Any) -> Any:
        """``run_branch`` for a branch of pure states only (``branch.pure``)."""
        states = branch.states
        state = branch.start
        try:
            while True:
                value, next_name = state.execute_sync(frame, value)
                if next_name is None:
                    return value
                state = states[next_name]
        except StatesError as err:
            raise self.locate(err, frame) from None
        except Exception as exc:
            if self.passes_through(exc):
                raise
            raise self.internal_error(frame, exc) from None

    async def run(self) -> ExecutionResult:
        """Run the execution to its end and return how it ended."""
        history = self.history
        history.add("ExecutionStarted", {"input": self.input_text, "roleArn": self.role_arn}, 0)
        machine = self.machine
        in_one = (self.effect_free_in_one_checkpoint and machine.effect_free
                  and not machine.timeout_seconds)
        if self.persist is not None and not in_one:
            await self._persist()  # self.checkpoint(), without a coroutine when idle
        frame = Frame(self, {}, 0)
        result = ExecutionResult("RUNNING", start_time=self.start_time)
        try:
            if machine.timeout_seconds:
                # Counted from the execution's start, also when it resumes after a crash.
                remaining = machine.timeout_seconds - (self.clock.now() - self.start_time)
                output = await asyncio.wait_for(self.run_branch(machine, frame, self.input),
                                                max(remaining, 0))
            elif machine.pure:
                output = self.run_branch_sync(machine, frame, self.input)
            else:
                output = await self.run_branch(machine, frame, self.input)
            text = self.serialize(output)
            if len(text) > PAYLOAD_LIMIT_BYTES and len(text.encode()) > PAYLOAD_LIMIT_BYTES:
                raise StatesError("States.DataLimitExceeded",
                                  "The execution output exceeds the maximum number of bytes "
                                  "service limit.")
        except TimeoutError:
            result.status, result.error = "TIMED_OUT", "States.Timeout"
            history.add("ExecutionTimedOut", {"error": "States.Timeout"}, frame.prev, True)
        except Exception as exc:
            if isinstance(exc, StatesError):
                err = exc
            elif self.passes_through(exc):
                raise
            else:  # outside any state (the output's serialization): still AWS's error
                err = self.internal_error(frame, exc)
            result.status, result.error, result.cause = "FAILED", err.error, err.cause
            details = {"error": err.error}
            if err.cause is not None:
                details["cause"] = err.cause
            history.add("ExecutionFailed", details, frame.prev, True)
        else:
            result.status, result.output, result.output_text = "SUCCEEDED", output, text
            history.add("ExecutionSucceeded", {"output": text}, frame.prev, True)
        result.events = history.events
        result.choice_rules = history.choice_rules
        result.children = self.child_histories
        result.stop_time = self.clock.now()
        return result


def fail_unexpectedly(run: ExecutionRun, exc: BaseException) -> ExecutionResult:
    """End ``run`` as FAILED with ``States.Runtime`` after ``exc`` escaped it (a store or
    replay failure around the interpreter): the history is closed with ExecutionFailed,
    and the cause locates the last state entered, as AWS words its runtime errors."""
    log.info("execution %s: internal error", run.execution_arn, exc_info=exc)
    history = run.history
    cause = None
    for event in reversed(history.events):
        if event.type.endswith("StateEntered"):
            name = (event.details or {}).get("name", "")
            cause = (f"{_LOCATED_PREFIX} '{name}' (entered at the event id #{event.id}). "
                     f"{INTERNAL_ERROR_DETAIL}")
            break
    details = {"error": "States.Runtime"}
    if cause is not None:
        details["cause"] = cause
    last = history.events[-1].id if history.events else 0
    history._pending.clear()  # nothing recorded is replayed past this failure
    history.add("ExecutionFailed", details, last, True)
    return ExecutionResult("FAILED", error="States.Runtime", cause=cause,
                           events=history.events, start_time=run.start_time,
                           stop_time=run.clock.now())


class _ChildRun:
    """A Distributed Map child execution run in its parent's process: the parent's
    services (tasks, store, clock, branches) over a history of its own.

    Time is the child's own (``now``, ``sleep``, ``sleep_until`` read the child's
    history, never the parent's): when a resumed parent replays its recorded events,
    its ``now()`` is the time of the event being replayed, while the child, run anew,
    lives on the clock. A child that read its parent's replayed time would skip its
    Waits, end its back-offs early and see its task timeouts already passed.
    """

    def __init__(self, parent: ExecutionRun) -> None:
        self._parent = parent
        self.execution_arn = parent.execution_arn
        self.tasks = parent.tasks
        self.role_arn = parent.role_arn
        self.clock = parent.clock
        self.map_runs = parent.map_runs
        # The child's own context object when given (else the parent's)
        self.execution_context: dict = parent.execution_context
        self.machine_context: dict = parent.machine_context
        self.history = History(parent.history.max_events,
                               trace=parent.history.choice_rules is not None)
        self.history.clock = parent.clock.now

    # -- time: the child's own ----------------------------------------------------------
    def now(self) -> float:
        """The current time; the recorded one while the child's own history replays."""
        replayed = self.history.replayed
        return replayed.timestamp if replayed is not None else self.clock.now()

    async def sleep(self, frame: Frame, seconds: float) -> None:
        """A retry back-off of ``seconds`` from now (the child's time)."""
        if self.history.peek(frame.thread) is None:
            await self._parent.wait_until(frame, "retry", self.now() + seconds)

    async def sleep_until(self, frame: Frame, deadline: float) -> None:
        """Checkpoint, then wait until ``deadline`` (a Wait state)."""
        if self.history.peek(frame.thread) is None:
            await self._parent.wait_until(frame, "wait", deadline)

    # -- the parent's services ------------------------------------------------------------
    async def checkpoint(self) -> None:
        await self._parent.checkpoint()

    def serialize(self, value: Any) -> str:
        return self._parent.serialize(value)

    def runtime_error(self, frame: Frame, detail: str) -> StatesError:
        return self._parent.runtime_error(frame, detail)

    def locate(self, err: StatesError, frame: Frame) -> StatesError:
        return self._parent.locate(err, frame)

    def internal_error(self, frame: Frame, exc: Exception) -> StatesError:
        return self._parent.internal_error(frame, exc)

    def map_run_arn(self, label: str | None) -> str:
        return self._parent.map_run_arn(label)

    def child_execution_frame(self, parent: Frame,
                              context: tuple[dict, dict] | None = None) -> Frame:
        return self._parent.child_execution_frame(parent, context)

    async def run_branch(self, branch: Branch, frame: Frame, value: Any) -> Any:
        return await self._parent.run_branch(branch, frame, value)

    def run_branch_sync(self, branch: Branch, frame: Frame, value: Any) -> Any:
        return self._parent.run_branch_sync(branch, frame, value)
