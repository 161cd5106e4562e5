"""Task tokens: activities and the ``.waitForTaskToken`` pattern.

A Task that waits for a token (an activity, or a service integration called with
``.waitForTaskToken``) registers the token in the store and waits. The answer
(SendTaskSuccess / SendTaskFailure) is written to the token's record *before* any
waiter is woken, so it survives a crash: the execution, resumed by replay, asks for the
same token again (tokens are derived from where the task stands in the execution) and
finds the answer waiting. Heartbeats push the token's deadline forward; a missed one
fails the task with ``States.HeartbeatTimeout``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from ..errors import StatesError
from ..jsonutil import loads
from ..store.base import ActivityRecord, ActivityTask, Store, TaskTokenRecord
from ..tasks.base import TaskCall, TaskDispatcher
from ..tasks.tokens import execution_of_token
from .contract import ActivityTaskGrant
from .errors import InvalidToken, TaskDoesNotExist, TaskTimedOut

ACTIVITY_POLL_SECONDS = 60.0  # GetActivityTask's long poll, as AWS
# How often a waiting task looks in the store for an answer or a heartbeat given to
# another process (the in-process path wakes it at once).
ANSWER_POLL_SECONDS = 1.0


class CallbackHub:
    """Where token-waiting tasks wait and where their answers arrive."""

    def __init__(self, store: Store, clock: Any) -> None:
        self.store = store
        self.clock = clock
        self._waiters: dict[str, asyncio.Future] = {}
        self._heartbeats: dict[str, asyncio.Event] = {}
        self._activity_signal: dict[str, asyncio.Event] = {}
        self._started: dict[str, Any] = {}
        # Tokens being answered right now: a second answer racing the first must see
        # the token closed, as AWS answers it, not both succeed.
        self._answering: set[str] = set()

    def install(self, dispatcher: TaskDispatcher) -> None:
        dispatcher.register_kind("activity", _ActivityHandler(self))
        dispatcher.token_waiter = self

    # -- the waiting side -------------------------------------------------------------------
    async def register(self, call: TaskCall) -> TaskTokenRecord:
        """Make ``call.task_token`` known (durably) so an answer to it is accepted; done
        before anything can hand the token out."""
        token = call.task_token
        assert token is not None
        record = await self.store.get_task_token(token)
        if record is None:
            record = TaskTokenRecord(token, call.execution_arn, {"state": call.state_name},
                                     self.clock.now(), self._deadline(call))
            async with self.store.batch() as tx:
                tx.put_task_token(record)
        return record

    async def wait(self, call: TaskCall) -> Any:
        """Wait for the answer to ``call.task_token`` (registering the token if needed)."""
        token = call.task_token
        assert token is not None
        record = await self.register(call)
        answered = _answer_of(record)
        if answered is not None:
            return _settle(answered)
        future = asyncio.get_running_loop().create_future()
        self._waiters[token] = future
        beat = self._heartbeats[token] = asyncio.Event()
        try:
            return _settle(await self._await_answer(token, future, beat, call))
        finally:
            self._waiters.pop(token, None)
            self._heartbeats.pop(token, None)

    async def _await_answer(self, token: str, future: asyncio.Future, beat: asyncio.Event,
                            call: TaskCall) -> dict:
        """The answer, from this process or (polled from the store) any other API
        node; heartbeats likewise arrive here or through the token's record."""
        heartbeat = call.heartbeat_seconds
        last_beat = time.monotonic()
        record = await self.store.get_task_token(token)
        seen = record.heartbeat_deadline if record is not None else None
        while True:
            beat.clear()
            waiter = asyncio.ensure_future(beat.wait())
            timeout = ANSWER_POLL_SECONDS
            if heartbeat is not None:
                timeout = min(timeout, max(0.0, last_beat + heartbeat - time.monotonic()))
            done, _ = await asyncio.wait({future, waiter}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if future in done:
                return future.result()
            if waiter in done:
                last_beat = time.monotonic()
                continue
            record = await self.store.get_task_token(token)
            answered = _answer_of(record) if record is not None else None
            if answered is not None:
                return answered
            if record is not None and record.heartbeat_deadline != seen:
                seen = record.heartbeat_deadline  # a heartbeat through another node
                last_beat = time.monotonic()
            if heartbeat is not None and time.monotonic() - last_beat >= heartbeat:
                raise StatesError("States.HeartbeatTimeout", None)

    def _deadline(self, call: TaskCall) -> float | None:
        if call.heartbeat_seconds is None:
            return None
        return self.clock.now() + call.heartbeat_seconds

    # -- the answering side (the API) -----------------------------------------------------
    async def complete(self, token: str, output: str | None = None, error: str = "",
                       cause: str = "", failed: bool = False) -> None:
        if token in self._answering:
            raise _closed()
        self._answering.add(token)
        try:
            record = await self._open_token(token)
            answer = ({"error": error, "cause": cause} if failed else {"output": output})
            resume = dict(record.resume or {})
            resume["answer"] = answer
            async with self.store.batch() as tx:
                tx.put_task_token(TaskTokenRecord(record.token, record.execution_arn,
                                                  resume, record.created,
                                                  record.heartbeat_deadline))
        finally:
            self._answering.discard(token)
        future = self._waiters.get(token)
        if future is not None and not future.done():
            future.set_result(answer)

    async def heartbeat(self, token: str) -> None:
        record = await self._open_token(token)
        beat = self._heartbeats.get(token)
        if record.heartbeat_deadline is not None:
            await self.store.heartbeat_task_token(token, self.clock.now())
        if beat is not None:
            beat.set()

    async def _open_token(self, token: str) -> TaskTokenRecord:
        # A token this server did not sign (made up, altered, another server's) is
        # InvalidToken before the store is even asked.
        if execution_of_token(token) is None:
            raise InvalidToken("Invalid token")
        record = await self.store.get_task_token(token)
        if record is None:
            raise TaskDoesNotExist("Task does not exist")
        if _answer_of(record) is not None:  # already answered: AWS says TaskTimedOut
            raise _closed()
        execution = await self.store.get_execution(record.execution_arn)
        if execution is None or execution.status != "RUNNING":
            raise TaskTimedOut("Task Timed Out: the execution is no longer running")
        return record

    async def forget_execution(self, execution_arn: str) -> None:
        for token, future in list(self._waiters.items()):
            if execution_of_token(token) == execution_arn and not future.done():
                future.cancel()

    # -- activities -----------------------------------------------------------------------
    async def schedule_activity(self, call: TaskCall, started: Any) -> Any:
        """Queue an activity task for a worker, then wait for its answer."""
        token = call.task_token
        assert token is not None
        if await self.store.get_task_token(token) is None:
            await self.register(call)
            task = ActivityTask(str(uuid.uuid4()), call.ref.arn, token, call.parameters_text,
                                self.clock.now())
            async with self.store.batch() as tx:
                tx.enqueue_activity_task(task)
        self._started[token] = started
        self._signal(call.ref.arn).set()
        try:
            return await self.wait(call)
        finally:
            self._started.pop(token, None)

    async def get_activity_task(self, activity: ActivityRecord,
                                worker_name: str | None) -> ActivityTaskGrant | None:
        """Long-poll for a task of ``activity`` (AWS: up to 60 seconds)."""
        deadline = time.monotonic() + ACTIVITY_POLL_SECONDS
        signal = self._signal(activity.arn)
        while True:
            signal.clear()
            task = await self.store.claim_activity_task(activity.arn)
            if task is not None:
                started = self._started.get(task.task_token)
                if started is not None:
                    started(worker_name)
                return ActivityTaskGrant(task.task_token, task.input)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(signal.wait(), min(remaining, 1.0))
            except TimeoutError:
                pass

    def _signal(self, activity_arn: str) -> asyncio.Event:
        signal = self._activity_signal.get(activity_arn)
        if signal is None:
            signal = self._activity_signal[activity_arn] = asyncio.Event()
        return signal


class _ActivityHandler:
    """The Task handler for ``arn:aws:states:<region>:<account>:activity:<name>``."""

    def __init__(self, hub: CallbackHub) -> None:
        self.hub = hub

    async def invoke(self, call: TaskCall) -> Any:
        return await self.hub.schedule_activity(call, call.extra.get("started"))


def _closed() -> TaskTimedOut:
    return TaskTimedOut("Task Timed Out: the task has already been closed")


def _answer_of(record: TaskTokenRecord) -> dict | None:
    resume = record.resume if isinstance(record.resume, dict) else {}
    return resume.get("answer")


def _settle(answer: dict) -> Any:
    if "output" in answer:
        return loads(answer["output"])
    raise StatesError(answer.get("error") or "", answer.get("cause") or "")
