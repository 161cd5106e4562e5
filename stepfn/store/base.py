"""The persistence contract of stepfn: one ``Store`` interface for everything kept.

Every layer above (API, service, engine, workers) talks to this interface only, so
SQLite (the embedded default) and PostgreSQL (scale-out) are interchangeable.

Shape of the contract
---------------------
* **Plain values in and out.** Records are frozen dataclasses (history events:
  NamedTuples) of ``str``, ``int``, ``float`` (epoch seconds), ``bool``, ``None``,
  and JSON-able ``dict``/``list``.
  JSON documents that AWS carries as text (execution input/output, history event
  data) stay *text*: the store never parses them.
* **Async reads, batched writes.** Reads are ``async`` methods. Writes are recorded on a
  ``Batch`` (a unit of work) and applied in **one transaction** when the batch commits:
  ``async with store.batch() as tx: tx.append_events(...); tx.update_execution(...)``.
  Either every write of a batch is durable when ``__aexit__`` returns, or none is and
  the exception propagates. A batch holds no connection while it is being filled, so
  filling it never blocks the event loop. Batches of one store commit in the order
  their blocks exit: one that exits later never commits before an earlier one (two
  checkpoints of one execution land in order).
* **Conditional writes raise.** ``Conflict`` (a key already exists, or an optimistic
  check failed) and ``NotFound`` (the row a write needs is missing) abort the batch.
* **Opaque cursors.** List methods take ``limit`` and ``cursor`` and return a ``Page``
  whose ``next_cursor`` is an opaque string (``None`` at the end). The API layer wraps
  it into AWS's ``nextToken``.
* **Leases** for the work queue, timers and activity tasks let many workers share one
  PostgreSQL store: an item is claimed for ``lease_seconds`` by ``owner`` and becomes
  claimable again when the lease expires (its worker died).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")

JSON = Any  # a JSON-able value: dict, list, str, int, float, bool or None

# ``available_at`` of a parked execution's work item with nothing to wake it but an
# answer (a callback, an activity, a child execution): later than any real time.
NEVER = 1e15

log = logging.getLogger("stepfn.store")


class StoreError(Exception):
    """Base class of the store's own errors."""


class Conflict(StoreError):
    """A write conflicts with what is stored (duplicate key, stale revision...)."""


class NotFound(StoreError):
    """A write needs a row that does not exist."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None = None


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class StateMachineRecord:
    """A state machine (its current, mutable revision)."""

    arn: str
    name: str
    definition: str
    role_arn: str
    type: str  # STANDARD | EXPRESS
    creation_date: float
    # None for the first revision, as AWS reports it; a new id on every update.
    revision_id: str | None = None
    update_date: float | None = None
    logging_configuration: JSON = None
    tracing_configuration: JSON = None
    encryption_configuration: JSON = None
    status: str = "ACTIVE"  # ACTIVE | DELETING
    description: str | None = None


@dataclass(frozen=True)
class RevisionRecord:
    """An immutable snapshot of one revision of a machine, kept for the executions
    that ran it (DescribeStateMachineForExecution) and for publishing versions."""

    machine_arn: str
    revision_id: str | None
    definition: str
    role_arn: str
    logging_configuration: JSON = None
    tracing_configuration: JSON = None
    encryption_configuration: JSON = None
    update_date: float | None = None


@dataclass(frozen=True)
class VersionRecord:
    """A published, immutable version ``<machine arn>:<version>``."""

    arn: str
    machine_arn: str
    version: int
    definition: str
    role_arn: str
    type: str
    revision_id: str | None
    creation_date: float
    description: str | None = None
    logging_configuration: JSON = None
    tracing_configuration: JSON = None
    encryption_configuration: JSON = None


@dataclass(frozen=True)
class RoutingEntry:
    """One version an alias routes to, with its share of executions (percent)."""

    version_arn: str
    weight: int


@dataclass(frozen=True)
class AliasRecord:
    """An alias ``<machine arn>:<alias name>`` routing to one or two versions."""

    arn: str
    machine_arn: str
    name: str
    routing: tuple[RoutingEntry, ...]
    creation_date: float
    update_date: float
    description: str | None = None


@dataclass(frozen=True)
class ActivityRecord:
    arn: str
    name: str
    creation_date: float
    encryption_configuration: JSON = None


@dataclass(frozen=True)
class ExecutionRecord:
    """One execution; ``input``/``output`` are JSON text exactly as AWS returns them."""

    arn: str
    machine_arn: str  # the unqualified machine ARN, even when started via version/alias
    name: str
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE
    start_date: float
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop_date: float | None = None
    type: str = "STANDARD"
    revision_id: str | None = None  # the machine revision the execution runs
    version_arn: str | None = None  # set when started through a version or an alias
    alias_arn: str | None = None
    trace_header: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    redrive_status: str | None = None  # REDRIVABLE | NOT_REDRIVABLE | ...
    redrive_status_reason: str | None = None
    parent_arn: str | None = None  # the execution that started this one (nested / map)
    map_run_arn: str | None = None  # the Distributed Map run this child belongs to
    state_machine_label: str | None = None  # e.g. the map's label for child executions
    test_case: str | None = None  # the mock configuration's test case it runs (ARN#Case)
    # A Distributed Map child's items (its batch's size; None: not a child). The store
    # counts a Map Run's children by status from it (see ``count_map_run_children``);
    # 0: listed with the Map Run but not counted (an EXPRESS child a redrive replaced).
    map_items: int | None = None


class HistoryEvent(NamedTuple):
    """One history event in AWS's shape (a NamedTuple rather than a dataclass: an
    execution may hold tens of thousands, and a tuple is cheaper to make and to keep).

    ``details`` is the value of the ``<type>EventDetails`` member as the interpreter
    recorded it (``input``/``output`` as JSON *text*), None for events without details.
    GetExecutionHistory renders it (``engine.history.render_details`` adds the
    ``inputDetails``/``outputDetails`` siblings, on the read side: writing is the hot
    path); histories stored by earlier stepfn builds hold them already, and rendering
    again leaves such details unchanged.
    """

    id: int
    previous_event_id: int
    timestamp: float
    type: str
    details: dict | None = None
    # The thread of the execution that recorded it (the interpreter's Frame.thread);
    # not part of AWS's answer, but needed to resume an execution by replay.
    thread: str = ""


@dataclass(frozen=True)
class Timer:
    """A wake-up due at ``due`` for ``execution_arn``; ``payload`` says what to do."""

    id: str
    execution_arn: str
    due: float
    payload: JSON = None


@dataclass(frozen=True)
class TaskTokenRecord:
    """A callback/activity task token and where its answer resumes the execution."""

    token: str
    execution_arn: str
    resume: JSON  # opaque to the store: e.g. {"state": "...", "thread": "..."}
    created: float
    heartbeat_deadline: float | None = None  # epoch seconds; None: no heartbeat


@dataclass(frozen=True)
class FleetMember:
    """A process of the fleet on this store (stepfn.service.fleet): its lease owner id,
    the execution settings it runs with (JSON text), its role (``api``, ``serve``,
    ``worker``), when it joined, and until when its registration holds unless renewed."""

    owner: str
    settings: str
    role: str
    joined: float
    expires: float


@dataclass(frozen=True)
class ActivityTask:
    """A queued task for an activity worker (GetActivityTask hands it out)."""

    id: str
    activity_arn: str
    task_token: str
    input: str  # JSON text
    created: float


@dataclass(frozen=True)
class WorkItem:
    """A unit of work in the shared queue, e.g. ("resume", execution arn)."""

    id: int
    kind: str
    key: str  # unique among pending items: enqueueing the same key again merges
    payload: JSON
    available_at: float
    attempts: int = 0
    lease_owner: str | None = None
    lease_expires: float | None = None


@dataclass(frozen=True)
class MapRunRecord:
    """A Distributed Map run. ``item_counts``/``execution_counts`` in AWS's shapes.

    As written, the counts carry what only the Map Run knows (``total``,
    ``resultsWritten``); as read (``Store.get_map_run``), the counts of its children by
    status are the store's live ones (``with_child_counts``)."""

    arn: str
    execution_arn: str
    status: str  # RUNNING | SUCCEEDED | FAILED | ABORTED
    start_date: float
    max_concurrency: int = 0
    tolerated_failure_percentage: float = 0.0
    tolerated_failure_count: int = 0
    item_counts: dict = field(default_factory=dict)
    execution_counts: dict = field(default_factory=dict)
    stop_date: float | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    # What its child executions run: the item processor as a definition, and the role
    definition: str | None = None
    role_arn: str | None = None


# A Map Run child's status -> its member in AWS's itemCounts / executionCounts.
MAP_RUN_COUNT_KEYS = {"RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed",
                      "TIMED_OUT": "timedOut", "ABORTED": "aborted"}


def with_child_counts(record: MapRunRecord,
                      counts: dict[str, tuple[int, int]]) -> MapRunRecord:
    """``record`` with its children's live counts (``Store.count_map_run_children``):
    per status, and pending (the total the Map Run recorded, less the children that
    exist). A Map Run with no counted child yet keeps the counts it recorded."""
    if not counts:
        return record
    shaped = []
    for column, recorded in ((0, record.execution_counts), (1, record.item_counts)):
        out = dict(recorded)
        started = 0
        for status, key in MAP_RUN_COUNT_KEYS.items():
            value = counts.get(status, (0, 0))[column]
            out[key] = value
            started += value
        out["total"] = max(int(recorded.get("total", 0)), started)
        out["pending"] = out["total"] - started
        shaped.append(out)
    return replace(record, execution_counts=shaped[0], item_counts=shaped[1])


# --------------------------------------------------------------------------- writes
class Batch(abc.ABC):
    """A unit of work: writes recorded here are committed in one transaction.

    Methods only *record* the write (no I/O); the store applies them in order when the
    batch commits. Each method documents the error the commit raises when it fails.
    """

    # --- state machines, versions, aliases, tags, activities
    @abc.abstractmethod
    def put_state_machine(self, machine: StateMachineRecord) -> None:
        """Insert a machine (Conflict if its ARN exists) and record its revision."""

    @abc.abstractmethod
    def update_state_machine(self, machine: StateMachineRecord) -> None:
        """Replace a machine (NotFound if missing) and record its new revision."""

    @abc.abstractmethod
    def delete_state_machine(self, arn: str) -> None:
        """Delete a machine with its versions, aliases and tags (no-op if missing).
        Executions and their histories are kept."""

    @abc.abstractmethod
    def put_version(self, version: VersionRecord) -> None:
        """Insert a version (Conflict if its ARN exists)."""

    @abc.abstractmethod
    def delete_version(self, arn: str) -> None:
        """Delete a version (no-op if missing)."""

    @abc.abstractmethod
    def put_alias(self, alias: AliasRecord) -> None:
        """Insert or replace an alias."""

    @abc.abstractmethod
    def delete_alias(self, arn: str) -> None:
        """Delete an alias (no-op if missing)."""

    @abc.abstractmethod
    def set_tags(self, resource_arn: str, tags: dict[str, str]) -> None:
        """Add or overwrite tags of a resource."""

    @abc.abstractmethod
    def remove_tags(self, resource_arn: str, keys: Sequence[str]) -> None:
        """Remove tags by key (missing keys are ignored)."""

    @abc.abstractmethod
    def put_activity(self, activity: ActivityRecord) -> None:
        """Insert an activity (Conflict if its ARN exists)."""

    @abc.abstractmethod
    def delete_activity(self, arn: str) -> None:
        """Delete an activity, its tags and its queued tasks (no-op if missing)."""

    # --- executions
    @abc.abstractmethod
    def put_execution(self, execution: ExecutionRecord) -> None:
        """Insert an execution (Conflict if its ARN exists)."""

    @abc.abstractmethod
    def put_executions(self, executions: Sequence[ExecutionRecord],
                       work_kind: str | None = None) -> None:
        """Insert many executions at once (a Map Run's children), leaving those whose
        ARN exists as they are; with ``work_kind``, each also gets a work item of that
        kind keyed by its ARN, claimable now (as ``ensure_work``)."""

    @abc.abstractmethod
    def update_execution(self, execution: ExecutionRecord) -> None:
        """Replace an execution's record (NotFound if missing)."""

    @abc.abstractmethod
    def append_events(self, execution_arn: str, events: Sequence[HistoryEvent]) -> None:
        """Append history events, in increasing id order (Conflict if an event id is
        already stored). ``events`` is read when the batch commits, not before: it may
        be a lazy sequence."""

    @abc.abstractmethod
    def put_map_run(self, map_run: MapRunRecord) -> None:
        """Insert or replace a map run."""

    # --- timers, tokens, activity tasks, work
    @abc.abstractmethod
    def add_timer(self, timer: Timer) -> None:
        """Insert or replace a timer (by id)."""

    @abc.abstractmethod
    def delete_timer(self, timer_id: str) -> None:
        """Delete a timer (no-op if missing)."""

    @abc.abstractmethod
    def put_task_token(self, token: TaskTokenRecord) -> None:
        """Insert or replace a task token."""

    @abc.abstractmethod
    def enqueue_activity_task(self, task: ActivityTask) -> None:
        """Queue a task for an activity's workers."""

    @abc.abstractmethod
    def enqueue_work(self, kind: str, key: str, payload: JSON = None,
                     available_at: float = 0.0) -> None:
        """Queue work; an unleased item with the same key is merged (its payload
        replaced, the earlier of the two ``available_at`` kept)."""

    @abc.abstractmethod
    def complete_work(self, item_id: int, owner: str) -> None:
        """Remove a finished item (Conflict if ``owner`` no longer holds its lease)."""

    # --- execution leases (work items of kind "execution", keyed by execution ARN)
    @abc.abstractmethod
    def lease_work(self, kind: str, key: str, owner: str, expires: float) -> None:
        """Create item ``key`` already leased to ``owner`` until ``expires`` (epoch
        seconds), or take over an existing one that is unleased, expired or ``owner``'s
        own. Conflict when another owner holds a live lease on it."""

    @abc.abstractmethod
    def check_lease(self, key: str, owner: str) -> None:
        """Fencing: Conflict unless item ``key`` is leased to ``owner``. PostgreSQL
        also locks the row, so no claimer takes it before this batch commits."""

    @abc.abstractmethod
    def finish_work(self, key: str, owner: str | None) -> None:
        """Remove item ``key``: Conflict unless ``owner`` holds it (``None``: remove
        it whoever holds it, which also fences that holder out)."""

    @abc.abstractmethod
    def ensure_work(self, kind: str, key: str, available_at: float = 0.0) -> None:
        """Create item ``key`` unless it exists (left as it is when it does)."""

    # --- parked executions (durable waits)
    @abc.abstractmethod
    def park_work(self, key: str, owner: str) -> None:
        """Hand item ``key`` back while its execution waits (Conflict unless ``owner``
        holds it). It becomes claimable again: at once if ``wake_work`` reached it
        while it was held; else when the earliest timer of execution ``key`` is due;
        with no timer, only when ``wake_work`` reaches it (``available_at`` NEVER)."""

    @abc.abstractmethod
    def wake_work(self, key: str) -> None:
        """Make item ``key`` claimable now (an answer its execution waits for arrived).
        When it is leased, it is marked so that ``park_work`` hands it back claimable
        at once (no answer is missed). No-op when there is no such item."""

    @abc.abstractmethod
    def delete_timers_of(self, execution_arn: str) -> None:
        """Delete every timer of an execution (no-op if none)."""

    # --- wake-ups
    @abc.abstractmethod
    def signal(self, topic: str) -> None:
        """Tell the ``Store.on_signal`` listeners ``topic`` once this batch has
        committed (never when it fails): "something about ``topic`` is in the store
        now, read it". Topics are short strings chosen by the caller (at most a few
        hundred characters: PostgreSQL carries them in a NOTIFY payload)."""


# --------------------------------------------------------------------------- store
class Store(abc.ABC):
    """Everything stepfn persists. See the module docstring for the contract."""

    # --- lifecycle and units of work
    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create the schema if needed. Idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Flush pending batches and release connections."""

    def for_another_loop(self) -> Store:
        """The store to use from another event loop of this process (``stepfn serve``
        runs executions on a loop of their own): this one when it is tied to no loop,
        else a new, unopened one on the same database, to open and close there."""
        return self

    @abc.abstractmethod
    def batch(self) -> AbstractAsyncContextManager[Batch]:
        """A unit of work committed in one transaction when the block exits cleanly
        (discarded if the block raises)."""

    # --- state machines, revisions, versions, aliases
    @abc.abstractmethod
    async def get_state_machine(self, arn: str) -> StateMachineRecord | None: ...

    @abc.abstractmethod
    async def list_state_machines(self, limit: int,
                                  cursor: str | None = None) -> Page[StateMachineRecord]:
        """Machines by name."""

    @abc.abstractmethod
    async def get_revision(self, machine_arn: str,
                           revision_id: str | None) -> RevisionRecord | None: ...

    @abc.abstractmethod
    async def get_version(self, arn: str) -> VersionRecord | None: ...

    @abc.abstractmethod
    async def list_versions(self, machine_arn: str, limit: int,
                            cursor: str | None = None) -> Page[VersionRecord]:
        """Versions of a machine, newest (highest number) first."""

    @abc.abstractmethod
    async def next_version_number(self, machine_arn: str) -> int:
        """The number the next published version takes: never reused, even after the
        highest version was deleted."""

    @abc.abstractmethod
    async def get_alias(self, arn: str) -> AliasRecord | None: ...

    @abc.abstractmethod
    async def list_aliases(self, machine_arn: str, limit: int,
                           cursor: str | None = None) -> Page[AliasRecord]:
        """Aliases of a machine, by name."""

    # --- tags and activities
    @abc.abstractmethod
    async def get_tags(self, resource_arn: str) -> dict[str, str]: ...

    @abc.abstractmethod
    async def get_activity(self, arn: str) -> ActivityRecord | None: ...

    @abc.abstractmethod
    async def list_activities(self, limit: int,
                              cursor: str | None = None) -> Page[ActivityRecord]:
        """Activities by name."""

    @abc.abstractmethod
    async def claim_activity_task(self, activity_arn: str) -> ActivityTask | None:
        """Atomically take the oldest queued task of an activity (None: none queued)."""

    # --- executions and history
    @abc.abstractmethod
    async def get_execution(self, arn: str) -> ExecutionRecord | None: ...

    @abc.abstractmethod
    async def list_executions(self, *, machine_arn: str | None = None,
                              version_arn: str | None = None,
                              alias_arn: str | None = None,
                              map_run_arn: str | None = None,
                              status: str | None = None,
                              redriven: bool | None = None,
                              limit: int = 100,
                              cursor: str | None = None) -> Page[ExecutionRecord]:
        """Executions newest first, filtered by every argument given."""

    @abc.abstractmethod
    async def get_history(self, execution_arn: str, *, limit: int = 1000,
                          cursor: str | None = None,
                          reverse: bool = False) -> Page[HistoryEvent]:
        """Events by id (descending with ``reverse``)."""

    @abc.abstractmethod
    async def count_events(self, execution_arn: str) -> int: ...

    @abc.abstractmethod
    async def load_executions(
            self, arns: Sequence[str]) -> dict[str, tuple[ExecutionRecord, list[HistoryEvent]]]:
        """The records and whole histories of the executions of ``arns`` that exist, read
        together (what a worker needs to resume the executions it just leased)."""

    @abc.abstractmethod
    async def get_executions(self, arns: Sequence[str]) -> dict[str, ExecutionRecord]:
        """The records of the executions of ``arns`` that exist, by ARN."""

    @abc.abstractmethod
    async def get_map_run(self, arn: str) -> MapRunRecord | None:
        """A Map Run, its counts live (``with_child_counts``)."""

    @abc.abstractmethod
    async def count_map_run_children(self, map_run_arn: str) -> dict[str, tuple[int, int]]:
        """{status: (executions, items)} of a Map Run's counted children
        (``ExecutionRecord.map_items`` > 0). The store keeps these counts itself, in
        the transaction that inserts a child or changes its status, so reading them
        costs a few rows however many children there are."""

    @abc.abstractmethod
    async def list_map_runs(self, execution_arn: str, limit: int,
                            cursor: str | None = None) -> Page[MapRunRecord]:
        """Map runs of an execution, newest first."""

    # --- timers and task tokens
    @abc.abstractmethod
    async def count_due_timers(self, now: float) -> int:
        """How many timers are due at or before ``now``."""

    @abc.abstractmethod
    async def get_task_token(self, token: str) -> TaskTokenRecord | None: ...

    @abc.abstractmethod
    async def heartbeat_task_token(self, token: str, deadline: float | None) -> bool:
        """Move a token's heartbeat deadline; False when the token does not exist."""

    # --- secrets
    @abc.abstractmethod
    async def get_or_create_secret(self, name: str, candidate: bytes) -> bytes:
        """The secret stored under ``name``; when there is none yet, store ``candidate``
        and return it. Atomic: servers racing on a new store all get the same secret
        (task tokens are signed with one, so they must outlive a restart)."""

    # --- the fleet's members
    @abc.abstractmethod
    async def fleet_members(self, now: float) -> list[FleetMember]:
        """The members whose registration holds at ``now``, oldest first."""

    @abc.abstractmethod
    async def join_fleet(self, member: FleetMember, now: float) -> list[FleetMember]:
        """Register ``member`` unless a live member (another owner, registered beyond
        ``now``) runs with other settings; then answer those members, registering
        nothing. [] when registered. Atomic: of processes racing to join with
        different settings, only those agreeing with the first get in. Registrations
        that lapsed before ``now`` are removed."""

    @abc.abstractmethod
    async def renew_fleet_member(self, member: FleetMember) -> None:
        """Extend ``member``'s registration to ``member.expires`` (registering it again
        if it lapsed and was removed meanwhile)."""

    @abc.abstractmethod
    async def leave_fleet(self, owner: str) -> None:
        """Remove ``owner``'s registration (a process stopping)."""

    # --- work queue
    @abc.abstractmethod
    async def claim_work(self, owner: str, lease_seconds: float, *, limit: int = 10,
                         kinds: Sequence[str] | None = None,
                         now: float | None = None) -> list[WorkItem]:
        """Lease up to ``limit`` available items (not leased, or lease expired) to
        ``owner``, earliest ``available_at`` first. PostgreSQL: SKIP LOCKED."""

    @abc.abstractmethod
    async def release_work(self, item_id: int, owner: str,
                           available_at: float | None = None) -> bool:
        """Give an item back (to retry at ``available_at``; now if None) without
        completing it. False when ``owner`` no longer held its lease."""

    @abc.abstractmethod
    async def renew_leases_of(self, owner: str, lease_seconds: float) -> list[str]:
        """Extend every lease ``owner`` holds; returns the keys of those items."""

    @abc.abstractmethod
    async def release_leases_of(self, owner: str, keys: Sequence[str] | None = None) -> int:
        """Give back every item ``owner`` holds (only those of ``keys``, when given),
        available now; returns how many."""

    async def queue_depth(self, now: float) -> int:
        """How many work items are ready to be claimed and held by nobody (never leased,
        or their lease expired) at ``now``: work waiting for a worker."""
        return (await self.count_work(now))["available"]

    @abc.abstractmethod
    async def lease_owners(self) -> list[str]:
        """The distinct owners holding leases (expired or not)."""

    @abc.abstractmethod
    async def count_work(self, now: float) -> dict[str, int]:
        """The work queue at ``now``: ``available`` (claimable: unleased or lease
        expired, and due), ``leased`` (held by a live lease) and ``waiting`` (unleased,
        not yet due: parked executions)."""

    def _listening_changed(self) -> None:
        """A listener was added (PostgreSQL starts its LISTEN connection here)."""
        return None

    # --- wake-ups (not abstract: every store has them, the transport differs)
    #: True when ``on_events`` hears of events appended by *other* processes too
    #: (PostgreSQL's NOTIFY); otherwise a follower of another process's execution
    #: must poll the store.
    events_across_processes = False

    def on_work(self, fn: Callable[[float], None]) -> Callable[[], None]:
        """Call ``fn(available_at)`` when work becomes claimable (now, or at that
        epoch time): a new execution, a parked one due or answered, a lease handed
        back. PostgreSQL: from any process (LISTEN); SQLite: from this process's
        writes. A hint only: claiming by polling stays what correctness rests on.
        Returns a function that removes ``fn``."""
        return _listen(self, "work", fn)

    def on_events(self, fn: Callable[[str, int, int], None]) -> Callable[[], None]:
        """Call ``fn(execution_arn, first_id, last_id)`` when events are appended by
        another process (only where ``events_across_processes``). Returns a function
        that removes ``fn``."""
        return _listen(self, "events", fn)

    def on_signal(self, fn: Callable[[str | None], None]) -> Callable[[], None]:
        """Call ``fn(topic)`` for each ``Batch.signal(topic)`` committed: PostgreSQL,
        by any process (LISTEN/NOTIFY); SQLite, by this process only (two processes
        on one file poll the store). ``fn(None)`` means signals may have been missed
        (PostgreSQL's LISTEN connection was (re)established): look at everything.
        A hint only, as ``on_work``: whoever waits must still read the store now and
        then. Returns a function that removes ``fn``."""
        return _listen(self, "signal", fn)

    def _signal(self, channel: str, *args: Any) -> None:
        """Hand a wake-up to the listeners of ``channel`` (never raises)."""
        for fn in list(_listeners(self, channel)):
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - a listener's bug must not fail a write
                log.exception("a %s listener failed", channel)

    def _has_listeners(self) -> bool:
        return any(_listeners(self, c) for c in ("work", "events", "signal"))


def _listeners(store: Store, channel: str) -> list[Callable[..., None]]:
    registry = store.__dict__.setdefault("_wakeup_listeners", {})
    return registry.setdefault(channel, [])


def _listen(store: Store, channel: str, fn: Callable[..., None]) -> Callable[[], None]:
    listeners = _listeners(store, channel)
    listeners.append(fn)
    store._listening_changed()

    def remove() -> None:
        if fn in listeners:
            listeners.remove(fn)
    return remove
