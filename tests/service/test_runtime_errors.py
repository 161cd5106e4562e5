"""Through the execution service (a real SqliteStore, in-process): failures inside an
execution are stored as AWS reports them, and even a crash around the interpreter ends
the execution with ``States.Runtime`` and a closed history, never a stepfn-made cause."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from stepfn.engine.execution import INTERNAL_ERROR_DETAIL, ExecutionRun
from stepfn.service.executions import ExecutionManager
from stepfn.service.test_state import run_test_state
from stepfn.store.sqlite import SqliteStore
from stepfn.tasks.functions import FunctionRegistry
from stepfn.tasks.registry import default_dispatcher

from .test_manager import machine, request, with_manager

CALL = "States.Format('{}', $.nope)"
MISSING = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"v.$": CALL}, "End": True}}}


async def stored_end(store: SqliteStore, manager: ExecutionManager, arn: str) -> tuple:
    ended = await manager.wait_for_end(arn)
    events = (await store.get_history(arn)).items
    return ended, events


def test_an_intrinsic_path_that_matches_nothing_is_stored_as_aws_reports_it(
        tmp_path: Path) -> None:
    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        m = machine("missing", MISSING)
        async with store.batch() as tx:
            tx.put_state_machine(m)
        record = await manager.start_execution(request(m, "one"))
        ended, events = await stored_end(store, manager, record.arn)
        assert ended.status == "FAILED" and ended.error == "States.Runtime"
        assert ended.cause == (
            "An error occurred while executing the state 'A' (entered at the event id #2). "
            f"The function '{CALL}' had the following error: The JsonPath argument for the "
            "field '$.nope' could not be found in the input '{\"x\":1}'")
        assert [e.type for e in events] == ["ExecutionStarted", "PassStateEntered",
                                            "ExecutionFailed"]
        assert events[-1].details == {"error": "States.Runtime", "cause": ended.cause}
    with_manager(tmp_path, body)


def test_a_crash_around_the_interpreter_still_ends_as_states_runtime(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def crashing_run(self: ExecutionRun) -> Any:
        self.history.add("ExecutionStarted", {"input": self.input_text}, 0)
        self.history.add("PassStateEntered", {"name": "A", "input": self.input_text}, 1)
        raise RuntimeError("a bug in stepfn")

    monkeypatch.setattr(ExecutionRun, "run", crashing_run)

    async def body(store: SqliteStore, manager: ExecutionManager) -> None:
        m = machine("crash", MISSING)
        async with store.batch() as tx:
            tx.put_state_machine(m)
        record = await manager.start_execution(request(m, "one"))
        ended, events = await stored_end(store, manager, record.arn)
        assert ended.status == "FAILED" and ended.error == "States.Runtime"
        assert ended.cause == ("An error occurred while executing the state 'A' (entered at "
                               f"the event id #2). {INTERNAL_ERROR_DETAIL}")
        assert [e.type for e in events] == ["ExecutionStarted", "PassStateEntered",
                                            "ExecutionFailed"]
        assert events[-1].previous_event_id == 2
    with_manager(tmp_path, body)



def test_test_state_answers_a_missing_intrinsic_path_as_aws() -> None:
    tasks, _ = default_dispatcher(FunctionRegistry())
    request = {"definition": json.dumps(MISSING["States"]["A"]),
               "input": '{"x":1}'}
    answer = asyncio.run(run_test_state(request, tasks, "us-east-1", "123456789012"))
    assert answer["status"] == "FAILED" and answer["error"] == "States.Runtime"
    assert answer["cause"].endswith(
        f"The function '{CALL}' had the following error: The JsonPath argument for the "
        "field '$.nope' could not be found in the input '{\"x\":1}'")
