"""Distributed Map with an ItemReader over S3 (moto's server) and an ItemBatcher."""

from __future__ import annotations

import json
from typing import Any

from .conftest import assert_succeeded, unique


def map_over(reader: dict, **extra: Any) -> dict:
    return {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemReader": reader, **extra,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}},
        "End": True}}}


def put(aws: Any, body: str) -> tuple[str, str]:
    s3 = aws.client("s3")
    bucket = unique("items")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data", Body=body.encode())
    return bucket, "data"


def reader(input_type: str, **config: Any) -> dict:
    return {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": input_type, **config},
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}}


def test_json_array_items_with_max_items(engine, aws) -> None:
    bucket, key = put(aws, json.dumps([{"n": i} for i in range(5)]))
    result = engine.run(map_over(reader("JSON", MaxItems=3)), {"bucket": bucket, "key": key})
    assert assert_succeeded(result) == [{"n": 0}, {"n": 1}, {"n": 2}]
    types = [e.type for e in result.events]
    assert types[types.index("MapStateStarted"):] == [
        "MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded",
        "MapStateExited", "ExecutionSucceeded"]


def test_csv_rows_become_objects_of_strings(engine, aws) -> None:
    bucket, key = put(aws, "id,name\n1,apple\n2,fig\n")
    result = engine.run(map_over(reader("CSV", CSVHeaderLocation="FIRST_ROW")),
                        {"bucket": bucket, "key": key})
    assert assert_succeeded(result) == [{"id": "1", "name": "apple"}, {"id": "2", "name": "fig"}]
    given = reader("CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["a", "b"])
    result = engine.run(map_over(given), {"bucket": bucket, "key": key})
    assert assert_succeeded(result)[0] == {"a": "id", "b": "name"}


def test_batches_and_listing(engine, aws) -> None:
    bucket, key = put(aws, json.dumps(list(range(5))))
    batched = map_over(reader("JSON"), ItemBatcher={"MaxItemsPerBatch": 2,
                                                    "BatchInput": {"job": "x"}})
    result = engine.run(batched, {"bucket": bucket, "key": key})
    assert assert_succeeded(result) == [
        {"Items": [0, 1], "BatchInput": {"job": "x"}}, {"Items": [2, 3], "BatchInput": {"job": "x"}},
        {"Items": [4], "BatchInput": {"job": "x"}}]
    listing = {"Resource": "arn:aws:states:::s3:listObjectsV2",
               "Parameters": {"Bucket.$": "$.bucket"}}
    result = engine.run(map_over(listing), {"bucket": bucket})
    assert [o["Key"] for o in assert_succeeded(result)] == ["data"]


def test_a_non_array_object_fails_the_map_run_as_aws(engine, aws) -> None:
    bucket, key = put(aws, json.dumps({"not": "a list"}))
    result = engine.run(map_over(reader("JSON")), {"bucket": bucket, "key": key})
    assert (result.status, result.error, result.cause) == (
        "FAILED", "States.ItemReaderFailed", "Attempting to map over non-iterable node.")
    types = [e.type for e in result.events]
    assert types[types.index("MapStateStarted"):] == [
        "MapStateStarted", "MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
