"""examples/export_service end to end: moto's server as S3/SQS/SNS, a real `stepfn serve`
running the export workflow with the example's handlers, and the export API, all on
loopback, driven over HTTP as a client would."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "export_service"))

from local import BUCKET, Stack  # noqa: E402
from table import make_table  # noqa: E402

from .s3_faults import FaultyS3Proxy  # noqa: E402

COLUMNS = ["id", "region", "amount"]
FILTER = [["region", "in", ["eu", "apac"]], ["amount", ">", 250.0]]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, FaultyS3Proxy]]:
    """The whole service; the handlers reach S3 through a proxy that can throttle."""
    workdir = tmp_path_factory.mktemp("export-service")
    stack = Stack(str(workdir), api_env={"EXPORT_BATCH_BYTES": "100000"})
    faults = FaultyS3Proxy(stack.moto_url).start()
    stack.s3_endpoint = faults.url
    try:
        stack.start()
        yield stack, faults
    finally:
        stack.stop()
        faults.stop()


def table(stack: Stack, name: str, files: int = 6, rows_per_file: int = 2000) -> str:
    uri = f"s3://{BUCKET}/tables/{name}"
    make_table(uri, files, rows_per_file, stack.storage_options())
    return uri


def expected_rows(stack: Stack, uri: str, columns: list[str], row_filter: list) -> pa.Table:
    """The table read by deltalake itself, filtered and projected by pyarrow."""
    from deltalake import DeltaTable

    whole = DeltaTable(uri, storage_options=stack.storage_options()).to_pyarrow_table()
    return whole.filter(pq.filters_to_expression(row_filter)).select(columns).sort_by("id")


def start_export(stack: Stack, body: dict) -> dict:
    status, answer, _ = stack.api("POST", "/exports", body)
    assert status == 202, answer
    assert answer["executionArn"].endswith(":" + answer["exportId"])
    return answer


def exported_rows(stack: Stack, export_id: str, fmt: str) -> pa.Table:
    manifest = stack.manifest(export_id)
    rows = stack.read_parts(manifest["parts"], fmt)
    assert rows is not None and rows.num_rows == manifest["rowsOut"]
    return rows.select(COLUMNS).sort_by("id")


def notices(stack: Stack, export_id: str) -> list[dict]:
    return [n for n in stack.drain(stack.notices_url) if n.get("exportId") == export_id]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_an_export_gives_exactly_the_filtered_projected_rows(stack, fmt) -> None:
    service, _ = stack
    uri = table(service, f"orders_{fmt}")
    started = start_export(service, {"table": uri, "format": fmt, "columns": COLUMNS,
                                     "filter": FILTER})
    answer = service.wait_export(started["exportId"])
    assert answer["status"] == "SUCCEEDED", answer
    expected = expected_rows(service, uri, COLUMNS, FILTER)
    got = exported_rows(service, started["exportId"], fmt)
    assert 0 < got.num_rows < 12000
    assert got.to_pylist() == expected.to_pylist()
    assert answer["rowsIn"] == 12000 and answer["rowsOut"] == expected.num_rows
    # Progress comes from the Map Run: every file done, in several batches.
    assert answer["progress"]["files"] == answer["progress"]["filesDone"] == 6
    assert answer["progress"]["batches"] >= 2
    assert answer["output"].endswith(f"/exports/{started['exportId']}/data")
    suffix = ".csv" if fmt == "csv" else ".parquet"
    assert all(p["uri"].endswith(suffix) for p in service.manifest(started["exportId"])["parts"])
    [notice] = notices(service, started["exportId"])
    assert notice["status"] == "SUCCEEDED" and notice["rowsOut"] == expected.num_rows


def test_a_corrupt_file_is_reported_once_on_the_queue_and_sns(stack) -> None:
    service, _ = stack
    uri = table(service, "corrupt", files=3)
    s3 = service.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(
        Bucket=BUCKET, Prefix="tables/corrupt/")["Contents"] if o["Key"].endswith(".parquet"))
    s3.put_object(Bucket=BUCKET, Key=keys[1], Body=b"this is not a parquet file" * 100)
    service.drain(service.queue_url)
    started = start_export(service, {"table": uri, "format": "parquet"})
    answer = service.wait_export(started["exportId"])
    assert answer["status"] == "FAILED"
    [message] = service.drain(service.queue_url)
    assert message["exportId"] == started["exportId"]
    assert message["executionArn"] == started["executionArn"]
    assert message["failingFile"] == f"s3://{BUCKET}/{keys[1]}"
    assert message["error"] and message["cause"]
    [notice] = notices(service, started["exportId"])
    assert notice["status"] == "FAILED" and notice["failingFile"] == message["failingFile"]
    assert answer["error"]["error"] == message["error"]


def test_a_throttled_read_is_retried_and_the_export_succeeds(stack) -> None:
    service, faults = stack
    uri = table(service, "flaky", files=2)
    s3 = service.client("s3")
    first = sorted(o["Key"] for o in s3.list_objects_v2(
        Bucket=BUCKET, Prefix="tables/flaky/")["Contents"] if o["Key"].endswith(".parquet"))[0]
    # Two answers fail one attempt (pyarrow tries twice); four fail two attempts.
    faults.throttle(first.rsplit("/", 1)[1], times=4)
    started = start_export(service, {"table": uri, "format": "csv", "columns": COLUMNS,
                                     "filter": FILTER})
    answer = service.wait_export(started["exportId"])
    assert answer["status"] == "SUCCEEDED", answer
    assert len(faults.throttled) == 4
    got = exported_rows(service, started["exportId"], "csv")
    assert got.to_pylist() == expected_rows(service, uri, COLUMNS, FILTER).to_pylist()
    sfn = service.client("stepfunctions")
    [run] = sfn.list_map_runs(executionArn=started["executionArn"])["mapRuns"]
    retried = []
    for child in sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]:
        events = sfn.get_execution_history(executionArn=child["executionArn"])["events"]
        retried += [e for e in events if e["type"] == "TaskFailed"
                    and e["taskFailedEventDetails"]["error"] == "S3Transient"]
    assert len(retried) == 2


def test_kill_9_mid_export_and_restart_give_every_row_once(stack) -> None:
    service, _ = stack
    uri = table(service, "durable", files=12)
    output = f"s3://{BUCKET}/exports/durable-output"
    started = start_export(service, {"table": uri, "format": "parquet", "columns": COLUMNS,
                                     "filter": FILTER, "output": output,
                                     "maxConcurrency": 1})
    s3 = service.client("s3")
    deadline = time.monotonic() + 60
    while not s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/durable-output/").get("Contents"):
        assert time.monotonic() < deadline, "no part was written"
        time.sleep(0.05)
    service.kill("stepfn")  # SIGKILL to the process group: the server and its pool
    status, during, _ = service.api("GET", f"/exports/{started['exportId']}")
    assert status == 502 and during["error"] == "WorkflowUnavailable"  # never a 500
    service.start_stepfn()
    answer = service.wait_export(started["exportId"])
    assert answer["status"] == "SUCCEEDED", answer
    got = exported_rows(service, started["exportId"], "parquet")
    expected = expected_rows(service, uri, COLUMNS, FILTER)
    assert got.num_rows == expected.num_rows
    assert len(set(got.column("id").to_pylist())) == got.num_rows  # no row twice
    assert got.to_pylist() == expected.to_pylist()
    listed = {f"s3://{BUCKET}/{o['Key']}" for o in s3.list_objects_v2(
        Bucket=BUCKET, Prefix="exports/durable-output/")["Contents"]}
    assert listed == {p["uri"] for p in service.manifest(started["exportId"])["parts"]}


def test_a_table_with_deletion_vectors_is_refused_and_reported(stack) -> None:
    # The batches read data files directly: rows a deletion vector removes would come back.
    from deltalake import write_deltalake

    service, _ = stack
    uri = f"s3://{BUCKET}/tables/with-dv"
    write_deltalake(uri, pa.table({"id": [1, 2, 3]}),
                    configuration={"delta.enableDeletionVectors": "true"},
                    storage_options={**service.storage_options(),
                                     "AWS_S3_ALLOW_UNSAFE_RENAME": "true"})
    service.drain(service.queue_url)
    started = start_export(service, {"table": uri})
    answer = service.wait_export(started["exportId"])
    assert answer["status"] == "FAILED" and answer["error"]["error"] == "BadRequest"
    [message] = service.drain(service.queue_url)
    assert "deletionVectors" in message["cause"] and message["failingFile"] is None


@pytest.mark.parametrize("body, message", [
    ({"table": "s3://b/t", "format": "xlsx"}, "'format'"),
    ({"table": "not a uri"}, "'table'"),
    ({"table": "s3://b/t", "columns": []}, "'columns'"),
    ({"table": "s3://b/t", "filter": [["a", "~", 1]]}, "'filter'"),
    ({"table": "s3://b/t", "maxConcurrency": 0}, "'maxConcurrency'"),
    ([1, 2], "JSON object"),
])
def test_bad_requests_get_400_and_start_nothing(stack, body, message) -> None:
    service, _ = stack
    status, answer, _ = service.api("POST", "/exports", body)
    assert status == 400 and message in answer["message"]


def test_an_unknown_export_is_404(stack) -> None:
    service, _ = stack
    status, answer, _ = service.api("GET", "/exports/0123456789abcdef")
    assert status == 404 and answer["error"] == "NotFound"
