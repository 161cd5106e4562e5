"""Distributed Map ResultWriter to S3 (moto's server): AWS's layout and contents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import assert_succeeded, unique

FAIL_ODD = {"StartAt": "Odd?", "States": {
    "Odd?": {"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericEquals": 1, "Next": "Boom"},
        {"Variable": "$.n", "NumericEquals": 3, "Next": "Boom"}], "Default": "Done"},
    "Boom": {"Type": "Fail", "Error": "Odd", "Cause": "odd item"},
    "Done": {"Type": "Pass", "End": True}}}


def dmap(processor: dict | None = None, **fields: Any) -> dict:
    body = processor or {"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}}
    return {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", **fields,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                              "ExecutionType": "STANDARD"}, **body},
        "End": True}}}


def bucket_of(aws: Any) -> str:
    name = unique("results")
    aws.client("s3").create_bucket(Bucket=name)
    return name


def read(aws: Any, bucket: str, key: str) -> bytes:
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def writer(bucket: str, **config: Any) -> dict:
    out: dict = {"Resource": "arn:aws:states:::s3:putObject",
                 "Parameters": {"Bucket": bucket, "Prefix": "jobs"}}
    if config:
        out["WriterConfig"] = config
    return out


def test_results_manifest_and_output_as_aws_lays_them_out(engine, aws) -> None:
    bucket = bucket_of(aws)
    definition = dmap(ResultWriter=writer(bucket), Label="Export")
    result = engine.run(definition, [{"n": 0}, {"n": 2}])
    output = assert_succeeded(result)
    run_arn = output["MapRunArn"]
    assert ":mapRun:" in run_arn and "/Export:" in run_arn
    run_id = run_arn.rsplit(":", 1)[1]
    assert output["ResultWriterDetails"] == {"Bucket": bucket,
                                             "Key": f"jobs/{run_id}/manifest.json"}
    manifest = json.loads(read(aws, bucket, f"jobs/{run_id}/manifest.json"))
    succeeded_key = f"jobs/{run_id}/SUCCEEDED_0.json"
    body = read(aws, bucket, succeeded_key)
    assert manifest == {"DestinationBucket": bucket, "MapRunArn": run_arn,
                        "ResultFiles": {"FAILED": [], "PENDING": [],
                                        "SUCCEEDED": [{"Key": succeeded_key,
                                                       "Size": len(body)}]}}
    entries = json.loads(body)
    assert [json.loads(e["Output"]) for e in entries] == [{"n": 0}, {"n": 2}]
    first = entries[0]
    prefix = run_arn.rsplit(":", 1)[0].replace(":mapRun:", ":execution:")
    assert first["ExecutionArn"] == f"{prefix}:{first['Name']}"
    assert first["StateMachineArn"] == run_arn.rsplit(":", 1)[0].replace(":mapRun:",
                                                                         ":stateMachine:")
    assert (first["Status"], first["Input"], first["InputDetails"]) == (
        "SUCCEEDED", '{"n":0}', {"Included": True})
    assert {"StartDate", "StopDate", "RedriveCount", "RedriveStatus"} <= first.keys()
    types = [e.type for e in result.events]
    assert types[types.index("MapStateStarted"):] == [
        "MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded",
        "MapStateExited", "ExecutionSucceeded"]


def test_tolerated_failures_go_to_the_failed_file(engine, aws) -> None:
    bucket = bucket_of(aws)
    definition = dmap(FAIL_ODD, ResultWriter=writer(bucket, OutputType="JSONL",
                                                    Transformation="COMPACT"),
                      ToleratedFailurePercentage=50)
    output = assert_succeeded(engine.run(definition, [{"n": i} for i in range(4)]))
    folder = output["ResultWriterDetails"]["Key"].rsplit("/", 1)[0]
    manifest = json.loads(read(aws, bucket, output["ResultWriterDetails"]["Key"]))
    assert [f["Key"] for f in manifest["ResultFiles"]["FAILED"]] == [f"{folder}/FAILED_0.json"]
    lines = read(aws, bucket, f"{folder}/SUCCEEDED_0.json").decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"n": 0}, {"n": 2}]
    failed = [json.loads(x) for x in
              read(aws, bucket, f"{folder}/FAILED_0.json").decode().splitlines()]
    assert [(f["Status"], f["Error"], f["Cause"]) for f in failed] == [
        ("FAILED", "Odd", "odd item")] * 2


def test_threshold_exceeded_still_writes_the_results(engine, aws) -> None:
    bucket = bucket_of(aws)
    definition = dmap(FAIL_ODD, ResultWriter=writer(bucket), ToleratedFailureCount=0,
                      MaxConcurrency=1)
    result = engine.run(definition, [{"n": i} for i in range(6)])
    assert (result.status, result.error, result.cause) == (
        "FAILED", "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded")
    listed = aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    names = sorted(o["Key"].rsplit("/", 1)[1] for o in listed)
    assert names == ["FAILED_0.json", "PENDING_0.json", "SUCCEEDED_0.json", "manifest.json"]
    pending_key = next(o["Key"] for o in listed if o["Key"].endswith("PENDING_0.json"))
    pending = json.loads(read(aws, bucket, pending_key))
    assert [json.loads(p["Input"])["n"] for p in pending] == [2, 3, 4, 5]


@pytest.mark.parametrize(("transformation", "expected"), [
    ("COMPACT", [[1, 2], [3]]), ("FLATTEN", [1, 2, 3])])
def test_writer_config_alone_shapes_the_output(engine, transformation: str,
                                               expected: list) -> None:
    definition = dmap(ResultWriter={"WriterConfig": {"Transformation": transformation,
                                                     "OutputType": "JSON"}})
    assert assert_succeeded(engine.run(definition, [[1, 2], [3]])) == expected


def test_jsonata_arguments_name_the_bucket(engine, aws) -> None:
    bucket = bucket_of(aws)
    definition = {"QueryLanguage": "JSONata", **dmap(ResultWriter={
        "Resource": "arn:aws:states:::s3:putObject",
        "Arguments": {"Bucket": "{% $states.input.bucket %}", "Prefix": "p"}},
        Items="{% $states.input.items %}")}
    output = assert_succeeded(engine.run(definition, {"bucket": bucket, "items": [1]}))
    assert output["ResultWriterDetails"]["Bucket"] == bucket
    assert read(aws, bucket, output["ResultWriterDetails"]["Key"])


def test_a_missing_bucket_fails_with_result_writer_failed(engine) -> None:
    definition = dmap(ResultWriter=writer(unique("absent")))
    result = engine.run(definition, [1])
    assert (result.status, result.error) == ("FAILED", "States.ResultWriterFailed")


def stored_run(tmp_path, definition: dict, items: list) -> Any:
    """``definition`` run on ``items`` by an execution service over SQLite: its STANDARD
    children stored (and their results read back from the store at the end)."""
    import asyncio
    import time

    from stepfn.service.contract import StartRequest
    from stepfn.service.executions import ExecutionManager
    from stepfn.store import SqliteStore
    from stepfn.store.base import StateMachineRecord

    async def main() -> Any:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        manager = ExecutionManager(store)
        await manager.start()
        try:
            arn = "arn:aws:states:us-east-1:123456789012:stateMachine:export"
            machine = StateMachineRecord(arn=arn, name="export",
                                         definition=json.dumps(definition),
                                         role_arn="arn:aws:iam::1:role/r", type="STANDARD",
                                         creation_date=time.time())
            async with store.batch() as tx:
                tx.put_state_machine(machine)
            record = await manager.start_execution(StartRequest(
                execution_arn=arn.replace(":stateMachine:", ":execution:") + ":one",
                name="one", input=json.dumps(items), machine=machine,
                definition=machine.definition, role_arn=machine.role_arn,
                revision_id=None))
            return await asyncio.wait_for(manager.wait_for_end(record.arn), 60)
        finally:
            await manager.stop()
            await store.close()
    return asyncio.run(main())


def test_stored_children_write_the_same_files(aws, tmp_path) -> None:
    """Children stored as executions of their own (a service) are read back from the
    store for the files: the same layout, in index order, the ones never started in
    PENDING with their inputs."""
    bucket = bucket_of(aws)
    definition = dmap(FAIL_ODD, ResultWriter=writer(bucket), ToleratedFailureCount=0,
                      MaxConcurrency=1)
    ended = stored_run(tmp_path, definition, [{"n": i} for i in range(6)])
    assert (ended.status, ended.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    listed = aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    files = {o["Key"].rsplit("/", 1)[1]: o["Key"] for o in listed}
    assert sorted(files) == ["FAILED_0.json", "PENDING_0.json", "SUCCEEDED_0.json",
                             "manifest.json"]
    succeeded = json.loads(read(aws, bucket, files["SUCCEEDED_0.json"]))
    assert [json.loads(s["Output"]) for s in succeeded] == [{"n": 0}]
    failed = json.loads(read(aws, bucket, files["FAILED_0.json"]))
    assert [(json.loads(f["Input"]), f["Error"]) for f in failed] == [({"n": 1}, "Odd")]
    pending = json.loads(read(aws, bucket, files["PENDING_0.json"]))
    assert [json.loads(p["Input"])["n"] for p in pending] == [2, 3, 4, 5]
    assert {p["Status"] for p in pending} == {"PENDING"}
