"""A ``.sync`` job on a real `stepfn serve` (SQLite) with moto's server as the AWS: the
submission is committed as TaskSubmitted before the job is followed, so a server killed
while it polls resumes following the same job (never submitting another) and the
execution ends with the job's description, recorded as AWS records it."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from tests.service.conftest import ROLE, Server, history, wait_for_status

from .conftest import unique

GLUE_RUN = "glue::job_run"


def _transition(endpoint: str, action: str, body: dict) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/state-manager/{action}",
                                     data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture()
def slow_glue_runs(moto_endpoint: str):
    """Glue job runs that take several GetJobRun calls to end (moto's state manager)."""
    _transition(moto_endpoint, "set-transition", {
        "model_name": GLUE_RUN, "transition": {"progression": "manual", "times": 4}})
    yield
    _transition(moto_endpoint, "unset-transition", {"model_name": GLUE_RUN})


def test_a_sync_job_survives_kill_9_without_a_second_submission(
        tmp_path: Path, aws, slow_glue_runs: None, monkeypatch: pytest.MonkeyPatch) -> None:
    glue = aws.client("glue")
    job = unique("etl")
    glue.create_job(Name=job, Role=ROLE, Command={"Name": "glueetl",
                                                  "ScriptLocation": "s3://bucket/job.py"})
    monkeypatch.setenv("STEPFN_SYNC_POLL_SECONDS", "0.3")
    server = Server(tmp_path / "stepfn.db", tmp_path / "serve.log")
    server.start()
    try:
        sfn = server.client()
        machine = sfn.create_state_machine(name="etl", roleArn=ROLE, definition=json.dumps({
            "StartAt": "Run", "States": {"Run": {
                "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {"JobName": job}, "End": True}}}))["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        deadline = time.monotonic() + 20
        while "TaskSubmitted" not in [e["type"] for e in history(sfn, arn)]:
            assert time.monotonic() < deadline, "the job was never submitted"
            time.sleep(0.05)
        server.kill()  # while it polls the job
        server.start()
        described = wait_for_status(server.client(), arn, timeout=30)
        events = history(server.client(), arn)
    finally:
        server.stop()
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert (output["JobName"], output["JobRunState"]) == (job, "SUCCEEDED")
    runs = glue.get_job_runs(JobName=job)["JobRuns"]
    assert [r["Id"] for r in runs] == [output["Id"]]  # one submission, despite the kill
    task_events = [e for e in events if e["type"].startswith("Task") and
                   "StateE" not in e["type"]]
    assert [e["type"] for e in task_events] == [
        "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = task_events[2]["taskSubmittedEventDetails"]
    assert (submitted["resource"], submitted["resourceType"]) == ("startJobRun.sync", "glue")
    assert json.loads(submitted["output"]) == {"JobRunId": output["Id"], "JobName": job}
    assert os.environ.get("AWS_ENDPOINT_URL")  # the server reached moto through it
