"""A slice of the service tests against `stepfn serve --db postgresql://...`: the same
test functions, with the ``server`` fixture below (a database of its own per test).

The whole service suite runs on PostgreSQL with STEPFN_TEST_STORE=postgres.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Server
from .test_durability import (  # noqa: F401 - collected here, on PostgreSQL
    test_activity_token_answered_after_a_restart,
    test_executions_resume_after_kill_9,
)
from .test_executions import (  # noqa: F401
    test_activity_failure_and_heartbeat_timeout,
    test_activity_worker_completes_a_task,
    test_list_executions_newest_first_with_status_filter,
    test_many_concurrent_executions,
    test_redrive_reruns_the_failed_state,
    test_standard_execution_runs_and_reports_like_aws,
    test_start_by_version_and_alias_runs_that_version,
    test_stop_execution_aborts_with_error_and_cause,
    test_wait_for_task_token_callback,
)
from .test_nested import test_sync_waits_for_the_child_and_returns_its_output  # noqa: F401


@pytest.fixture
def server(postgres_db: str, tmp_path: Path) -> Iterator[Server]:
    srv = Server(postgres_db, tmp_path / "serve.log")
    srv.start()
    yield srv
    srv.stop()
