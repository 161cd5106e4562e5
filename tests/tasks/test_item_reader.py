"""Distributed Map with an ItemReader over S3 (moto's server) and an ItemBatcher."""

from __future__ import annotations

import json
from typing import Any

import pytest

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


# -- JSONata: Arguments, ReaderConfig.MaxItems and the batcher's fields as expressions --
def jsonata(definition: dict) -> dict:
    return {"QueryLanguage": "JSONata", **definition}


def jsonata_reader(input_type: str = "JSON", **config: Any) -> dict:
    return {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": input_type, **config},
            "Arguments": {"Bucket": "{% $states.input.bucket %}",
                          "Key": "{% $states.input.prefix & 'data' %}"}}


def test_jsonata_arguments_reach_s3(engine, aws) -> None:
    bucket, key = put(aws, json.dumps([{"n": 1}, {"n": 2}]))
    result = engine.run(jsonata(map_over(jsonata_reader())),
                        {"bucket": bucket, "prefix": key[:-4]})
    assert assert_succeeded(result) == [{"n": 1}, {"n": 2}]


def test_jsonata_max_items_expression(engine, aws) -> None:
    bucket, key = put(aws, json.dumps(list(range(10))))
    definition = jsonata(map_over(jsonata_reader(MaxItems="{% $states.input.n + 1 %}")))
    result = engine.run(definition, {"bucket": bucket, "prefix": "", "n": 3})
    assert assert_succeeded(result) == [0, 1, 2, 3]


def test_jsonata_max_items_of_the_wrong_type_fails_the_state(engine, aws) -> None:
    bucket, key = put(aws, json.dumps(list(range(3))))
    definition = jsonata(map_over(jsonata_reader(MaxItems="{% $states.input.n %}")))
    result = engine.run(definition, {"bucket": bucket, "prefix": "", "n": "many"})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert "ItemReader/ReaderConfig/MaxItems" in (result.cause or "")
    assert "EvaluationFailed" in [e.type for e in result.events]


def test_jsonata_batcher_fields_are_expressions(engine, aws) -> None:
    bucket, key = put(aws, json.dumps(list(range(5))))
    definition = jsonata(map_over(jsonata_reader(), ItemBatcher={
        "MaxItemsPerBatch": "{% $states.input.size %}",
        "BatchInput": {"job": "{% $states.input.job %}"}}))
    result = engine.run(definition, {"bucket": bucket, "prefix": "", "size": 2, "job": "j1"})
    assert assert_succeeded(result) == [
        {"Items": [0, 1], "BatchInput": {"job": "j1"}},
        {"Items": [2, 3], "BatchInput": {"job": "j1"}},
        {"Items": [4], "BatchInput": {"job": "j1"}}]


# -- ReaderConfig: delimiters, ItemsPointer, PARQUET, MANIFEST ----------------------------
def put_bytes(aws: Any, bucket: str, key: str, body: bytes) -> None:
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


@pytest.mark.parametrize(("name", "char"), [("PIPE", "|"), ("SEMICOLON", ";"),
                                            ("SPACE", " "), ("TAB", "\t"), ("COMMA", ",")])
def test_csv_delimiters(engine, aws, name: str, char: str) -> None:
    bucket, key = put(aws, f"id{char}name\n1{char}apple\n2{char}fig\n")
    result = engine.run(map_over(reader("CSV", CSVDelimiter=name)),
                        {"bucket": bucket, "key": key})
    assert assert_succeeded(result) == [{"id": "1", "name": "apple"},
                                        {"id": "2", "name": "fig"}]


def test_items_pointer_selects_a_nested_array(engine, aws) -> None:
    bucket, key = put(aws, json.dumps({"data": {"rows": [{"n": 1}, {"n": 2}], "x": 1}}))
    result = engine.run(map_over(reader("JSON", ItemsPointer="/data/rows")),
                        {"bucket": bucket, "key": key})
    assert assert_succeeded(result) == [{"n": 1}, {"n": 2}]
    result = engine.run(map_over(reader("JSON", ItemsPointer="/data/x")),
                        {"bucket": bucket, "key": key})
    assert (result.status, result.error) == ("FAILED", "States.ItemReaderFailed")


def test_jsonl_with_max_items_path(engine, aws) -> None:
    bucket, key = put(aws, "\n".join(json.dumps({"n": i}) for i in range(6)) + "\n")
    result = engine.run(map_over(reader("JSONL", MaxItemsPath="$.limit")),
                        {"bucket": bucket, "key": key, "limit": 4})
    assert assert_succeeded(result) == [{"n": i} for i in range(4)]


def parquet_bytes(rows: list[dict]) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def test_parquet_rows_become_items(engine, aws) -> None:
    rows = [{"id": i, "name": f"n{i}", "price": i * 1.5} for i in range(5)]
    bucket, key = put(aws, "")
    put_bytes(aws, bucket, key, parquet_bytes(rows))
    result = engine.run(map_over(reader("PARQUET", MaxItems=3)),
                        {"bucket": bucket, "key": key})
    assert assert_succeeded(result) == rows[:3]
    put_bytes(aws, bucket, key, b"not parquet")
    result = engine.run(map_over(reader("PARQUET")), {"bucket": bucket, "key": key})
    assert (result.status, result.error) == ("FAILED", "States.ItemReaderFailed")


def test_s3_inventory_manifest(engine, aws) -> None:
    import gzip

    bucket, _ = put(aws, "")
    put_bytes(aws, bucket, "inv/data/a.csv.gz",
              gzip.compress(b'"src","k1","10"\n"src","k2","20"\n'))
    put_bytes(aws, bucket, "inv/data/b.csv.gz", gzip.compress(b'"src","k3","30"\n'))
    manifest = {"sourceBucket": "src", "destinationBucket": f"arn:aws:s3:::{bucket}",
                "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size",
                "files": [{"key": "inv/data/a.csv.gz", "size": 1},
                          {"key": "inv/data/b.csv.gz", "size": 1}]}
    put_bytes(aws, bucket, "inv/manifest.json", json.dumps(manifest).encode())
    result = engine.run(map_over(reader("MANIFEST")), {"bucket": bucket,
                                                       "key": "inv/manifest.json"})
    assert assert_succeeded(result) == [{"Bucket": "src", "Key": "k1", "Size": "10"},
                                        {"Bucket": "src", "Key": "k2", "Size": "20"},
                                        {"Bucket": "src", "Key": "k3", "Size": "30"}]


def test_athena_manifest_of_jsonl_files(engine, aws) -> None:
    bucket, _ = put(aws, "")
    put_bytes(aws, bucket, "out/1.jsonl", b'{"n": 1}\n{"n": 2}\n')
    put_bytes(aws, bucket, "out/2.jsonl", b'{"n": 3}\n')
    put_bytes(aws, bucket, "out/manifest.csv",
              f"s3://{bucket}/out/1.jsonl\ns3://{bucket}/out/2.jsonl\n".encode())
    result = engine.run(map_over(reader("JSONL", ManifestType="ATHENA_DATA")),
                        {"bucket": bucket, "key": "out/manifest.csv"})
    assert assert_succeeded(result) == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_batches_by_bytes(engine, aws) -> None:
    bucket, key = put(aws, json.dumps(["a" * 10] * 6))
    definition = map_over(reader("JSON"), ItemBatcher={"MaxInputBytesPerBatch": 40})
    batches = assert_succeeded(engine.run(definition, {"bucket": bucket, "key": key}))
    assert [len(b["Items"]) for b in batches] == [2, 2, 2]
    assert all(len(json.dumps(b, separators=(",", ":"))) <= 40 for b in batches)
