"""(b) stepfn Standard, durable on the SQLite store, in-process.

An ``ExecutionManager`` (the service behind ``stepfn serve``) over a ``SqliteStore`` on
a temporary file with the store's defaults (WAL, ``synchronous=FULL``: every commit is
fsynced). Each execution is started with ``manager.start_execution`` (committed before
it runs), awaited with ``manager.wait_for_end`` and its output read back from the store
(``get_execution``), so what is checked is what was made durable. The service commits
the buffered events at every checkpoint (before side effects) and at the end, as the
design requires. Executions run one after another, as for every driver.

Set ``STEPFN_BENCH_SQLITE_SYNC=NORMAL`` to measure without the per-commit fsync.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from common import Outcome, Workload

# Several workloads make 40,000-60,000 history events, past AWS's default 25,000.
HISTORY_LIMIT = 10_000_000
ROLE = "arn:aws:iam::123456789012:role/stepfn-bench"
REGION, ACCOUNT = "us-east-1", "123456789012"


class Driver:
    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.notes: list[str] = []
        self.synchronous = os.environ.get("STEPFN_BENCH_SQLITE_SYNC", "FULL").upper()
        if self.synchronous != "FULL":
            self.notes.append(f"synchronous={self.synchronous} (not the durable default)")

    def setup(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="stepfn-bench-sqlite-"))
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._setup())

    async def _setup(self) -> None:
        import orjson

        from stepfn.service.contract import StartRequest  # noqa: F401 - fail early if missing
        from stepfn.service.executions import ExecutionManager
        from stepfn.store.base import StateMachineRecord
        from stepfn.store.sqlite import SqliteStore

        self.store = SqliteStore(str(self.tmp / "stepfn.db"), synchronous=self.synchronous)
        await self.store.open()
        self.manager = ExecutionManager(self.store, region=REGION, account=ACCOUNT,
                                        max_history_events=HISTORY_LIMIT)
        await self.manager.start()
        name = "bench-" + self.workload.name.replace("_", "-")
        self.machine = StateMachineRecord(
            arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}", name=name,
            definition=orjson.dumps(self.workload.definition).decode(), role_arn=ROLE,
            type="STANDARD", creation_date=time.time())
        # As CreateStateMachine does (handlers.create_state_machine): the machine and its
        # first revision, which a resumed execution reads its definition from.
        async with self.store.batch() as tx:
            tx.put_state_machine(self.machine)
        self.input_text = orjson.dumps(self.workload.input).decode()
        self.manager.compile(self.machine.definition, "STANDARD")  # untimed, as elsewhere

    def run(self, executions: int) -> list[Outcome]:
        return self.loop.run_until_complete(self._run(executions))

    async def _run(self, executions: int) -> list[Outcome]:
        outcomes = []
        for _ in range(executions):
            outcomes.append(await self.run_one())
        return outcomes

    async def run_one(self) -> Outcome:
        """Start one execution, wait for its end, and read it back from the store."""
        import orjson

        from stepfn.service.contract import StartRequest

        name = str(uuid.uuid4())
        machine = self.machine
        request = StartRequest(
            execution_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine.name}:{name}",
            name=name, input=self.input_text, machine=machine,
            definition=machine.definition, role_arn=machine.role_arn,
            revision_id=machine.revision_id)
        record = await self.manager.start_execution(request)
        await self.manager.wait_for_end(record.arn)
        stored = await self.store.get_execution(record.arn)
        if stored is None:
            return Outcome("MISSING", cause=f"{record.arn} not in the store")
        output = orjson.loads(stored.output) if stored.output is not None else None
        return Outcome(stored.status, output, stored.error, stored.cause)

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self._close())
        finally:
            self.loop.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    async def _close(self) -> None:
        await self.manager.stop()
        await self.store.close()
