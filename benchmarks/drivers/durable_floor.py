"""The durable floor: the least a durable engine could cost on this machine.

Each execution runs in the in-process ``Engine`` (as drivers/inprocess.py), then a
row with its status and output is inserted and committed on a SQLite file with the
store's settings (WAL, ``synchronous=FULL``: the commit is fsynced). One commit per
execution is the least any engine must pay to answer a Standard StartExecution
durably; the history is not even written (how to store it is each engine's own cost),
so this row is a lower bound for stepfn's SQLite row, which ``run.py`` compares with
it. ``STEPFN_BENCH_SQLITE_SYNC`` applies as for the sqlite driver.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path

from common import Outcome, Workload

from drivers.inprocess import HISTORY_LIMIT


class Driver:
    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.notes: list[str] = []
        self.synchronous = os.environ.get("STEPFN_BENCH_SQLITE_SYNC", "FULL").upper()

    def setup(self) -> None:
        from stepfn.runtime import Engine

        self.engine = Engine(time_skipping=False, max_history_events=HISTORY_LIMIT)
        self.machine = self.engine.compile(self.workload.definition)
        self.tmp = Path(tempfile.mkdtemp(prefix="stepfn-bench-floor-"))
        self.db = sqlite3.connect(self.tmp / "floor.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={self.synchronous}")
        self.db.execute("CREATE TABLE executions (arn TEXT PRIMARY KEY, status TEXT, "
                        "output TEXT)")

    def run(self, executions: int) -> list[Outcome]:
        results: list = []
        asyncio.run(self._run(executions, results))  # returns None: see inprocess.py
        return [Outcome(r.status, r.output, r.error, r.cause) for r in results]

    async def _run(self, executions: int, results: list) -> None:
        engine, machine, value, db = self.engine, self.machine, self.workload.input, self.db
        for _ in range(executions):
            result = await engine.execute(machine, value)
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO executions VALUES (?,?,?)",
                       (str(uuid.uuid4()), result.status, result.output_text))
            db.execute("COMMIT")
            results.append(result)

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
