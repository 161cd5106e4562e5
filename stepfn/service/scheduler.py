"""The scheduler: which executions this process runs, by lease (design.md §4).

A Standard execution is advanced by one process at a time, under a lease: a work item
of kind ``execution`` keyed by its ARN, leased to this process's owner id. The
scheduler claims executions nobody holds (never started here, or whose holder died),
hands them to the runner to resume by replay, renews the leases it holds, drops the
executions whose lease it lost, and on shutdown hands its leases back. It claims no more
while this process runs ``MAX_CLAIMED_RUNNING`` executions: more waits in the store,
for whichever worker has room (the first end here wakes it to claim again).

It looks for claimable work every ``CLAIM_POLL_SECONDS``: the path correctness rests
on. The store's wake-ups (``Store.on_work``: PostgreSQL LISTEN/NOTIFY from any
process, in-process signals on SQLite) only make it sooner: a new execution, a lease
handed back, a parked execution answered is claimed at once, one whose timer is due
at that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable

from ..engine.history import Event
from ..store.base import ExecutionRecord, HistoryEvent, Store, WorkItem
from .runner import EXECUTION, ExecutionRunner, Lease

log = logging.getLogger("stepfn.service")

_RETRY_RESUME_SECONDS = 30.0  # before an execution that failed to resume is offered again
_CLAIM_BATCH = 50
# A worker claims no more while it runs this many executions (those waiting for their
# Map Run's children aside): a deep queue (a Distributed Map's thousands of children)
# waits in the store, shared by every worker, instead of in one worker's memory.
MAX_CLAIMED_RUNNING = 1000
# How often a worker looks for claimable work (new, due, answered, handed back) when no
# wake-up came sooner.
CLAIM_POLL_SECONDS = 0.5
_STALE_RETRY_SECONDS = 0.5  # before an execution whose run here went stale is offered again


def new_owner() -> str:
    """A lease owner id for this process: host, pid (to spot dead holders on this
    host) and a random part (a pid may be reused)."""
    import uuid

    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseScheduler:
    """Claims, renews and releases the leases of the executions ``runner`` runs."""

    def __init__(self, store: Store, runner: ExecutionRunner, lease: Lease) -> None:
        self.store = store
        self.runner = runner
        self.lease = lease
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()  # set by a wake-up: claim now
        self._wake_at: asyncio.TimerHandle | None = None
        self._unlisten: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop it claims on
        self._orphans: set[str] = set()  # leases held with nothing running them, last round
        self._renewed = time.monotonic()  # when the leases were last renewed

    async def start(self) -> None:
        """Take the leases of executions nobody holds (or whose holder died) and resume
        them; then keep claiming and renewing in the background."""
        await self._adopt_unleased()
        await self._release_dead_owners()
        self._loop = asyncio.get_running_loop()
        if self.lease.worker:
            self._unlisten = self.store.on_work(self._work_available)
            await self._claim()
        # An API-only node renews too: a redrive it began runs on here.
        self.runner.wake_scheduler = self._wake.set
        self._task = asyncio.ensure_future(self._schedule())

    async def stop(self) -> None:
        """Stop the executions running here without writing anything, then hand their
        leases back."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._wake_at is not None:
            self._wake_at.cancel()
        await self.runner.drop_all()
        try:
            await self.store.release_leases_of(self.lease.owner)
        except Exception:  # noqa: BLE001 - the leases then lapse on their own
            log.warning("could not hand the leases back; they lapse in %.0f s",
                        self.lease.seconds)

    async def _adopt_unleased(self) -> None:
        """RUNNING Standard executions written before leases existed get a work item."""
        cursor = None
        while True:
            page = await self.store.list_executions(status="RUNNING", limit=500,
                                                    cursor=cursor)
            standard = [r.arn for r in page.items if r.type == "STANDARD"]
            if standard:
                async with self.store.batch() as tx:
                    for arn in standard:
                        tx.ensure_work(EXECUTION, arn)
            cursor = page.next_cursor
            if not cursor:
                return

    async def _release_dead_owners(self) -> None:
        """A holder on this host whose process is gone loses its leases now rather
        than at expiry (a restart after kill -9 resumes at once)."""
        host = socket.gethostname()
        for owner in await self.store.lease_owners():
            holder_host, _, rest = owner.partition(":")
            pid = rest.partition(":")[0]
            if holder_host == host and pid.isdigit() and not _alive(int(pid)):
                await self.store.release_leases_of(owner)

    async def _schedule(self) -> None:
        """Renew the leases held, drop executions whose lease was lost, claim more."""
        tick = min(CLAIM_POLL_SECONDS, self.lease.seconds / 5)
        self._renewed = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), tick)
            self._wake.clear()
            try:
                await self._renew_if_due()
                for park in list(self.runner.parking.values()):
                    await self.runner.write_park(park)
                if self.lease.worker:
                    await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - transient; the next round retries
                log.warning("lease renewal or claim failed, retrying: %s: %s",
                            type(exc).__name__, exc)

    def _work_available(self, at: float) -> None:
        """``store.on_work``: claim now, or when that work becomes due (only the
        earliest such time is kept; later ones are found by polling). Called on the
        loop of whoever committed (the API's, in `stepfn serve`): hops to this one."""
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if self._loop is not None and here is not self._loop:
            with contextlib.suppress(RuntimeError):  # closed: nobody claims any more
                self._loop.call_soon_threadsafe(self._work_available, at)
            return
        delay = at - time.time()
        if delay <= 0.005:
            self._wake.set()
            return
        loop = asyncio.get_running_loop()
        when = loop.time() + delay
        current = self._wake_at
        if current is None or current.when() <= loop.time() or when < current.when():
            if current is not None:
                current.cancel()
            self._wake_at = loop.call_at(when, self._wake.set)

    async def _renew_if_due(self) -> None:
        """Renew every third of the lease: called between claims too, so that a long
        run of claims (a worker starting on a deep queue) never lets the leases of the
        executions it already runs lapse."""
        if time.monotonic() - self._renewed >= self.lease.seconds / 3:
            self._renewed = time.monotonic()
            await self._renew()

    async def _renew(self) -> None:
        leased = self.runner.leased()
        held = set(await self.store.renew_leases_of(self.lease.owner, self.lease.seconds))
        for arn in leased:
            entry = self.runner.running.get(arn)
            if entry is not None and arn not in held:
                log.warning("lost the lease of %s; another process resumes it", arn)
                self.runner.drop(entry)
        await self._release_orphans(held)

    async def _release_orphans(self, held: set[str]) -> None:
        """Hand back leases held here with nothing running them, seen so two rounds in a
        row (not a resume in progress). A run dropped on a Conflict leaves one: e.g. a
        checkpoint of a stale run of the same execution, queued before the lease lapsed
        and committed after this process had leased it again, took the event ids the new
        run then wrote. Renewed as it is, such a lease would keep the execution RUNNING
        for ever; handed back, it is resumed by replay from what is stored."""
        # Execution leases only: other kinds of work items are not the runner's.
        orphans = {k for k in held if ":execution:" in k} - set(self.runner.running)
        stale = orphans & self._orphans
        self._orphans = orphans - stale
        if stale:
            log.warning("handing back %d lease(s) held with nothing running them",
                        len(stale))
            await self.store.release_leases_of(self.lease.owner, sorted(stale))

    async def _claim(self) -> None:
        """Lease executions nobody holds and resume them by replay. The records and
        histories of one claim are read in one round trip, and its executions resumed
        concurrently."""
        while True:
            runner = self.runner
            room = MAX_CLAIMED_RUNNING - (len(runner.running)
                                          - len(runner.waiting_for_children))
            if room <= 0:  # claimed again once one has ended (which wakes this)
                runner.claims_paused = True
                return
            items = await self.store.claim_work(self.lease.owner, self.lease.seconds,
                                                limit=min(_CLAIM_BATCH, room),
                                                kinds=[EXECUTION])
            loaded = await self.store.load_executions([i.key for i in items]) if items \
                else {}
            outcomes = await asyncio.gather(*(self._take(item, loaded.get(item.key))
                                              for item in items), return_exceptions=True)
            for item, outcome in zip(items, outcomes, strict=True):
                if isinstance(outcome, Exception):  # its lease lapses; claimed again
                    log.warning("cannot take %s: %s: %s", item.key,
                                type(outcome).__name__, outcome)
            if len(items) < min(_CLAIM_BATCH, room):
                return
            await self._renew_if_due()

    async def _take(self, item: WorkItem,
                    loaded: tuple[ExecutionRecord, list[HistoryEvent]] | None) -> None:
        """Resume a leased execution from its record and history, read at the claim."""
        arn = item.key
        record = loaded[0] if loaded else None
        if record is None or record.status != "RUNNING" or record.type != "STANDARD":
            async with self.store.batch() as tx:
                tx.finish_work(arn, self.lease.owner)
            return
        stale = self.runner.running.get(arn)
        if stale is not None:
            # Claimable means this process's lease lapsed (a starved loop renewed too
            # late) while it ran it here, and another worker may have advanced it since:
            # that run is stale. Ignoring the claim would hold the lease, renewed, with
            # nothing running it. Drop the run (a checkpoint of it still queued fails
            # the fence once the lease is handed back) and offer the execution again.
            log.warning("lease of %s had lapsed while running here; resuming it afresh",
                        arn)
            self.runner.drop(stale)
            await self.store.release_work(item.id, self.lease.owner,
                                          available_at=time.time() + _STALE_RETRY_SECONDS)
            return
        assert loaded is not None
        recorded = [Event(e.id, e.previous_event_id, e.timestamp, e.type, e.details,
                          e.thread) for e in loaded[1]]
        try:
            await self.runner.resume(record, recorded=recorded)
        except Exception:  # noqa: BLE001 - offered again later, here or elsewhere
            log.exception("cannot resume %s", arn)
            await self.store.release_work(item.id, self.lease.owner,
                                          available_at=time.time() + _RETRY_RESUME_SECONDS)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
