"""Task tokens: activities and the ``.waitForTaskToken`` pattern.

A Task that waits for a token (an activity, or a service integration called with
``.waitForTaskToken``) registers the token in the store and waits. The answer
(SendTaskSuccess / SendTaskFailure) is written to the token's record *before* any
waiter is woken, so it survives a crash: the execution, resumed by replay, asks for the
same token again (tokens are derived from where the task stands in the execution) and
finds the answer waiting. Heartbeats push the token's deadline forward; a missed one
fails the task with ``States.HeartbeatTimeout``.

The token's record is the durable side of the wait (service/waits.py): its heartbeat
deadline is stored (epoch seconds, moved by each heartbeat), so it holds across a
restart or a parked execution; answering a token, or an activity worker taking the
task, also wakes the waiting execution's work item (``wake_work``), so a parked
execution is claimed and resumed by whichever worker comes first.

Across processes (an answer given to another API node than the worker the task waits
on; an activity task queued by a worker while an API node long-polls GetActivityTask),
the answering side also ``Batch.signal``s a topic in the same transaction: on
PostgreSQL a NOTIFY, so the waiter, LISTENing through ``Store.on_signal``, reads the
store at once. Reading the store every ``POLL_SECONDS`` stays what correctness rests
on: a lost notification costs latency, never an answer. SQLite tells only its own
process (two processes on one file wait for the poll); within one process the hub
also hands answers over directly (no store read). Heartbeats given elsewhere signal
nothing: they only move the token's stored deadline, which the waiter reads again
anyway when the deadline it knows passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import StatesError
from ..jsonutil import loads
from ..store.base import ActivityRecord, ActivityTask, Store, TaskTokenRecord
from ..tasks.base import SubmitFailed, TaskCall, TaskDispatcher
from ..tasks.tokens import execution_of_token
from .contract import ActivityTaskGrant
from .errors import InvalidToken, TaskDoesNotExist, TaskTimedOut

if TYPE_CHECKING:
    from .waits import WaitBook

ACTIVITY_POLL_SECONDS = 60.0  # GetActivityTask's long poll, as AWS
#: How often a waiting task looks in the store for an answer or a heartbeat given to
#: another process, and GetActivityTask for a task queued by another process, when no
#: signal woke it first (the default of ``CallbackHub``'s ``poll_seconds``,
#: ``STEPFN_TOKEN_POLL_SECONDS``). Only the fallback on PostgreSQL (NOTIFY wakes them
#: at once); the path between two processes on SQLite.
POLL_SECONDS = 1.0


def token_topic(token: str) -> str:
    """The ``Batch.signal`` topic of a token's answer (or its task taken by a worker):
    a digest, as tokens are long and are not to be broadcast to every listener."""
    return "token " + hashlib.sha256(token.encode()).hexdigest()[:32]


def activity_topic(activity_arn: str) -> str:
    """The ``Batch.signal`` topic of a task queued for an activity."""
    return "activity " + activity_arn


class CallbackHub:
    """Where token-waiting tasks wait and where their answers arrive."""

    def __init__(self, store: Store, clock: Any, poll_seconds: float | None = None) -> None:
        self.store = store
        self.clock = clock
        self.poll_seconds = POLL_SECONDS if poll_seconds is None else poll_seconds
        self._waiters: dict[str, asyncio.Future] = {}
        self._heartbeats: dict[str, asyncio.Event] = {}
        # The same events by token_topic: what a signal from the store wakes.
        self._watched: dict[str, asyncio.Event] = {}
        self._activity_signal: dict[str, asyncio.Event] = {}
        self._started: dict[str, Any] = {}
        # Tokens being answered right now: a second answer racing the first must see
        # the token closed, as AWS answers it, not both succeed.
        self._answering: set[str] = set()
        # The WaitBook of an execution this process runs (None: not running here).
        self.books: Callable[[str], WaitBook | None] = lambda arn: None
        self._unlisten: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, dispatcher: TaskDispatcher) -> None:
        dispatcher.register_kind("activity", _ActivityHandler(self))
        dispatcher.token_waiter = self

    def start(self) -> None:
        """Listen to the store's signals (answers and activity tasks from other
        processes); without it, waits find those by polling only."""
        self._loop = asyncio.get_running_loop()
        if self._unlisten is None:
            self._unlisten = self.store.on_signal(self._signalled)

    def stop(self) -> None:
        """Stop listening."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None

    def _signalled(self, topic: str | None) -> None:
        """``store.on_signal``: wake the wait the topic is about (every wait for None).
        Called on the loop of whoever committed (in `stepfn serve` on SQLite, maybe
        the API's): hops to this hub's loop."""
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if self._loop is not None and here is not self._loop:
            with contextlib.suppress(RuntimeError):  # closed: nobody waits any more
                self._loop.call_soon_threadsafe(self._signalled, topic)
            return
        if topic is None:
            for each in (*self._watched.values(), *self._activity_signal.values()):
                each.set()
            return
        kind, _, key = topic.partition(" ")
        event: asyncio.Event | None = None
        if kind == "token":
            event = self._watched.get(topic)
        elif kind == "activity":
            event = self._activity_signal.get(key)
        if event is not None:
            event.set()

    # -- the waiting side -------------------------------------------------------------------
    async def register(self, call: TaskCall) -> TaskTokenRecord:
        """Make ``call.task_token`` known (durably) so an answer to it is accepted; done
        before anything can hand the token out."""
        token = call.task_token
        assert token is not None
        record = await self.store.get_task_token(token)
        if record is None:
            resume: dict[str, Any] = {"state": call.state_name}
            if call.heartbeat_seconds is not None:
                resume["heartbeat"] = call.heartbeat_seconds
            record = TaskTokenRecord(token, call.execution_arn, resume,
                                     self.clock.now(), self._deadline(call))
            async with self.store.batch() as tx:
                tx.put_task_token(record)
        return record

    async def wait(self, call: TaskCall) -> Any:
        """Wait for the answer to ``call.task_token`` (registering the token if needed)."""
        token = call.task_token
        assert token is not None
        # Watched before the store is first read: a signal for an answer written after
        # that read (while the wait is checkpointed, say) is then not missed.
        topic = token_topic(token)
        beat = self._watched[topic] = asyncio.Event()
        try:
            record = await self.register(call)
            _note_started(call, record)
            answered = _answer_of(record)
            if answered is not None:
                return _settle(answered)
            _check_heartbeat(call, record, self.clock.now())
            book = self.books(call.execution_arn)
            if book is None:
                return _settle(await self._wait_here(call, record, beat))
            due = _earliest(call.deadline, record.heartbeat_deadline
                            if call.heartbeat_seconds else None)
            answer = await book.wait(call.history, call.thread, "token", due,
                                     lambda: self._wait_here(call, record, beat))
            return _settle(answer)
        finally:
            if self._watched.get(topic) is beat:
                del self._watched[topic]

    async def _wait_here(self, call: TaskCall, record: TaskTokenRecord,
                         beat: asyncio.Event) -> dict:
        token = record.token
        future = asyncio.get_running_loop().create_future()
        self._waiters[token] = future
        self._heartbeats[token] = beat
        try:
            return await self._await_answer(token, future, beat, call, record)
        finally:
            self._waiters.pop(token, None)
            self._heartbeats.pop(token, None)

    async def _await_answer(self, token: str, future: asyncio.Future, beat: asyncio.Event,
                            call: TaskCall, record: TaskTokenRecord) -> dict:
        """The answer, from this process or (read from the store: when signalled, or
        every POLL_SECONDS) any other API node; heartbeats move the token's stored
        deadline, here or on another node. ``beat`` may be set already (a signal came
        while the wait began): the store is then read at once."""
        while True:
            waiter = asyncio.ensure_future(beat.wait())
            timeout = self.poll_seconds
            if call.heartbeat_seconds is not None and record.heartbeat_deadline is not None:
                timeout = min(timeout, max(0.0, record.heartbeat_deadline
                                           - self.clock.now()))
            try:
                done, _ = await asyncio.wait({future, waiter}, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:  # also when cancelled (the execution parked or stopped)
                waiter.cancel()
            if future in done:
                return future.result()
            beat.clear()  # before the read: a signal during it makes one more
            record = await self.store.get_task_token(token) or record
            _note_started(call, record)
            answered = _answer_of(record)
            if answered is not None:
                return answered
            _check_heartbeat(call, record, self.clock.now())

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
                tx.wake_work(record.execution_arn)  # parked: resumed by any worker
                tx.signal(token_topic(token))  # waiting in another process: at once
        finally:
            self._answering.discard(token)
        future = self._waiters.get(token)
        if future is not None and not future.done():
            future.set_result(answer)

    async def heartbeat(self, token: str) -> None:
        record = await self._open_token(token)
        beat = self._heartbeats.get(token)
        seconds = (record.resume or {}).get("heartbeat") \
            if isinstance(record.resume, dict) else None
        if record.heartbeat_deadline is not None and seconds:
            await self.store.heartbeat_task_token(token, self.clock.now() + seconds)
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
                # GetActivityTask long-polling on another node: it claims at once.
                tx.signal(activity_topic(call.ref.arn))
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
                await self._record_started(task.task_token, worker_name, started is None)
                return ActivityTaskGrant(task.task_token, task.input)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(signal.wait(), min(remaining, self.poll_seconds))
            except TimeoutError:
                pass

    async def _record_started(self, token: str, worker_name: str | None,
                              elsewhere: bool) -> None:
        """Keep in the token that a worker took the task, so an execution waiting on
        another worker, or parked, records ActivityStarted; wake it if so."""
        record = await self.store.get_task_token(token)
        if record is None or not isinstance(record.resume, dict):
            return
        resume = {**record.resume, "started": {"worker": worker_name}}
        async with self.store.batch() as tx:
            tx.put_task_token(TaskTokenRecord(record.token, record.execution_arn, resume,
                                              record.created, record.heartbeat_deadline))
            if elsewhere:
                tx.wake_work(record.execution_arn)
                # Its execution waits in another process: records ActivityStarted now.
                tx.signal(token_topic(token))

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
        if await self.hub.store.get_activity(call.ref.arn) is None:
            # no worker could ever take it: ActivityScheduleFailed, not a wait for ever
            raise SubmitFailed("States.Runtime",
                               f"The activity {call.ref.arn} does not exist.")
        return await self.hub.schedule_activity(call, call.extra.get("started"))


def _closed() -> TaskTimedOut:
    return TaskTimedOut("Task Timed Out: the task has already been closed")


def _note_started(call: TaskCall, record: TaskTokenRecord) -> None:
    """ActivityStarted, once, for an activity a worker took elsewhere (its token
    says so): recorded by the execution waiting for it, wherever that runs."""
    resume = record.resume if isinstance(record.resume, dict) else {}
    started = call.extra.get("started")
    taken = resume.get("started")
    if started is not None and isinstance(taken, dict):
        started(taken.get("worker"))


def _check_heartbeat(call: TaskCall, record: TaskTokenRecord, now: float) -> None:
    """States.HeartbeatTimeout once the token's stored heartbeat deadline passed."""
    if call.heartbeat_seconds is not None and record.heartbeat_deadline is not None \
            and now >= record.heartbeat_deadline:
        raise StatesError("States.HeartbeatTimeout", None)


def _earliest(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _answer_of(record: TaskTokenRecord) -> dict | None:
    resume = record.resume if isinstance(record.resume, dict) else {}
    return resume.get("answer")


def _settle(answer: dict) -> Any:
    if "output" in answer:
        return loads(answer["output"])
    raise StatesError(answer.get("error") or "", answer.get("cause") or "")
