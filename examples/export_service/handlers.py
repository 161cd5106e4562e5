"""The export workflow's task handlers: plain Python, run as Lambda functions.

Locally, ``stepfn serve --functions examples/export_service/handlers.py`` registers each
under the name the workflow calls (``export-plan``, ``export-batch``, ...); the CPU-heavy
batch export runs in stepfn's process pool. On AWS the same module is the code of the
Lambda functions in ``template.yaml`` (``handlers.plan_export`` etc.).

Data files are read and written through ``pyarrow.fs``, so a table or an output may be on
S3 (``s3://bucket/prefix``) or on a local disk (``file:///path``, used by the benchmark);
the small JSON documents (the plan, the manifest) always go to S3, where Step Functions
reads the plan (ItemReader) and writes the batches' results (ResultWriter).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlparse

try:  # stepfn's marker: where a function runs locally (it is absent on AWS Lambda)
    from stepfn import task_function
except ImportError:  # pragma: no cover - on Lambda
    def task_function(name: str | None = None, *, runs_in: str | None = None) -> Callable:
        return lambda fn: fn

# Rows per record batch read from a parquet file: bounds the memory a batch needs,
# whatever the size of the file (one row group at most is buffered besides).
READ_BATCH_ROWS = 64 * 1024
READ_BUFFER_BYTES = 4 * 1024 * 1024
# A part is closed after this many rows, so part sizes stay reasonable on big files.
ROWS_PER_PART = 2_000_000
# What one child execution of the Distributed Map should read (ItemBatcher groups small
# files up to about this much; a big file gets a batch of its own).
TARGET_BATCH_BYTES = 256 * 1024 * 1024
MAX_ITEMS_PER_BATCH = 100

# Delta primitive type names -> pyarrow type factories, for partition values (the Delta
# log keeps them as strings; the parquet files do not contain them).
_DELTA_TYPES = {
    "string": "string", "long": "int64", "integer": "int32", "short": "int16",
    "byte": "int8", "double": "float64", "float": "float32", "boolean": "bool_",
    "date": "date32", "binary": "binary",
}


class CorruptFile(Exception):
    """A data file of the table cannot be read as parquet. Not retried."""


class S3Transient(Exception):
    """Throttling or a transient S3/network error: the workflow retries with back-off."""


class BadRequest(Exception):
    """The export's options do not fit the table (unknown column, bad filter)."""


class WriteFailed(Exception):
    """An output part could not be written (the message starts with its URI)."""


# --------------------------------------------------------------------------- helpers

def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def s3_client() -> Any:
    """boto3's S3 client (endpoint and credentials from boto3's own configuration)."""
    import boto3

    return boto3.client("s3", region_name=_region())


def filesystem(uri: str) -> tuple[Any, str]:
    """A pyarrow filesystem and the path in it for ``s3://...``, ``file://...`` or a path."""
    from pyarrow import fs

    parsed = urlparse(uri)
    if parsed.scheme in ("s3", "s3a"):
        endpoint = _endpoint()
        s3 = fs.S3FileSystem(
            region=_region(), endpoint_override=endpoint,
            scheme=urlparse(endpoint).scheme if endpoint else "https",
            # Few SDK-level retries: the workflow's Retry (with back-off) owns retrying.
            retry_strategy=fs.AwsStandardS3RetryStrategy(max_attempts=2))
        return s3, parsed.netloc + parsed.path
    if parsed.scheme == "file":
        return fs.LocalFileSystem(), parsed.path
    return fs.LocalFileSystem(), uri


def storage_options() -> dict[str, str]:
    """deltalake's options for reading a table on S3 (endpoint from the environment)."""
    options = {"AWS_REGION": _region()}
    endpoint = _endpoint()
    if endpoint:
        options["AWS_ENDPOINT_URL"] = endpoint
        options["AWS_ALLOW_HTTP"] = "true"
    return options


_TRANSIENT = re.compile(
    r"SLOW_DOWN|SlowDown|THROTTL|Throttl|SERVICE_UNAVAILABLE|ServiceUnavailable|"
    r"INTERNAL_FAILURE|InternalError|NETWORK_CONNECTION|REQUEST_TIMEOUT|RequestTimeout|"
    r"Connection refused|Connection reset|timed out|HTTP status 5\d\d|HTTP response code: 5\d\d|"
    r"response code 5\d\d|Status Code: 5\d\d", re.IGNORECASE)


def is_transient(exc: BaseException) -> bool:
    """Whether an I/O error is throttling or a passing S3/network fault (pyarrow and
    delta-rs report these only as text; botocore as an error code)."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") \
        if hasattr(exc, "response") else ""
    if code in ("SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
                "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500"):
        return True
    return bool(_TRANSIENT.search(str(exc)))


def _s3_location(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def put_json(bucket: str, key: str, document: Any) -> None:
    try:
        s3_client().put_object(Bucket=bucket, Key=key, ContentType="application/json",
                               Body=json.dumps(document, separators=(",", ":")).encode())
    except Exception as exc:
        if is_transient(exc):
            raise S3Transient(f"s3://{bucket}/{key}: {exc}") from None
        raise


def get_json(bucket: str, key: str) -> Any:
    try:
        body = s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        if is_transient(exc):
            raise S3Transient(f"s3://{bucket}/{key}: {exc}") from None
        raise
    return json.loads(body)


# ------------------------------------------------------------------------------ plan

@task_function(name="export-plan", runs_in="process")  # heavy imports, off the server
def plan_export(event: dict, context: Any = None) -> dict:
    """Read the Delta log, write the active files (with sizes) to S3 as the Map's items.

    Input: ``{exportId, table, bucket, targetBatchBytes}``. Output: where the plan is,
    how many files and bytes, the table version, the partition columns' types and the
    batch size that makes the ItemBatcher group small files into batches of about
    ``targetBatchBytes``.
    """
    import pyarrow as pa
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    table = event["table"]
    options = storage_options() if urlparse(table).scheme in ("s3", "s3a") else None
    try:
        dt = DeltaTable(table, storage_options=options)
        actions = pa.table(dt.get_add_actions(flatten=True)).to_pylist()
    except TableNotFoundError as exc:
        raise BadRequest(f"{table} is not a Delta table: {exc}") from None
    except Exception as exc:
        if is_transient(exc):
            raise S3Transient(f"{table}: {exc}") from None
        raise
    refuse_unsupported(dt, table)
    partition_columns = list(dt.metadata().partition_columns)
    items = []
    for index, action in enumerate(sorted(actions, key=lambda a: a["path"])):
        path = unquote(action["path"])  # the log keeps paths URL-encoded
        uri = path if "://" in path else table.rstrip("/") + "/" + path
        partition = {c: action.get(f"partition.{c}") for c in partition_columns}
        items.append({"index": index, "path": uri, "size": int(action["size_bytes"]),
                      "partition": partition})
    types = _partition_types(dt, partition_columns)
    key = f"exports/{event['exportId']}/plan.json"
    put_json(event["bucket"], key, items)
    total = sum(item["size"] for item in items)
    average = total // len(items) if items else 0
    target = int(event.get("targetBatchBytes") or TARGET_BATCH_BYTES)
    per_batch = max(1, min(MAX_ITEMS_PER_BATCH, target // max(average, 1)))
    return {"bucket": event["bucket"], "key": key, "files": len(items), "bytes": total,
            "version": dt.version(), "partitionTypes": types, "itemsPerBatch": per_batch}


# Reader features that change what a data file's rows mean: the batches read the parquet
# files directly, so a table using them is refused rather than exported wrongly.
UNSUPPORTED_FEATURES = {"deletionVectors", "columnMapping"}


def refuse_unsupported(dt: Any, table: str) -> None:
    features = set(dt.protocol().reader_features or []) & UNSUPPORTED_FEATURES
    if features:
        raise BadRequest(f"{table} uses Delta reader features this export does not apply: "
                         f"{', '.join(sorted(features))}")


def _partition_types(dt: Any, columns: list[str]) -> dict[str, str]:
    """The Delta type name of each partition column ("string" for anything unusual)."""
    types = {}
    for field in dt.schema().fields:
        if field.name in columns:
            name = getattr(field.type, "type", "string")
            types[field.name] = name if name in _DELTA_TYPES else "string"
    return types


# ----------------------------------------------------------------------------- batch

@task_function(name="export-batch", runs_in="process")
def export_batch(event: dict, context: Any = None) -> dict:
    """Export one batch of files: stream each file's record batches, add the partition
    columns, apply the filter and the columns, write parts with deterministic names.

    Input: the ItemBatcher's ``{Items: [plan items], BatchInput: {format, columns, filter,
    output, partitionTypes}}``. Output: the rows read and written and the parts.
    """
    yield_cpu()
    options = event["BatchInput"]
    parts: list[dict] = []
    rows_in = rows_out = 0
    for item in event["Items"]:
        read, written, file_parts = export_file(item, options)
        rows_in += read
        rows_out += written
        parts.extend(file_parts)
    return {"files": [item["index"] for item in event["Items"]], "rowsIn": rows_in,
            "rowsOut": rows_out, "parts": parts}


_NICENESS = 10


def yield_cpu() -> None:
    """Lower this process's CPU priority once: locally the batches run in stepfn's process
    pool beside the server and the API, which must keep answering in milliseconds while
    the workers are busy (on Lambda each function has its own CPU; it changes nothing)."""
    if hasattr(os, "nice") and os.nice(0) < _NICENESS:
        os.nice(_NICENESS - os.nice(0))


def export_file(item: dict, options: dict) -> tuple[int, int, list[dict]]:
    """Export one data file; returns (rows read, rows written, parts written)."""
    import pyarrow.parquet as pq

    source_fs, source_path = filesystem(item["path"])
    try:
        with source_fs.open_input_file(source_path) as handle:
            # Column chunks are streamed in 4 MiB reads, not loaded a row group at a time.
            reader = pq.ParquetFile(handle, pre_buffer=False, buffer_size=READ_BUFFER_BYTES)
            return _write_parts(item, options, _batches(reader, item, options))
    except (CorruptFile, S3Transient, BadRequest, WriteFailed):
        raise
    except Exception as exc:
        if is_transient(exc):
            raise S3Transient(f"{item['path']}: {exc}") from None
        if isinstance(exc, OSError) and "not found" in str(exc).lower():
            raise CorruptFile(f"{item['path']}: the file is missing ({exc})") from None
        raise CorruptFile(f"{item['path']}: {exc}") from None


def _batches(reader: Any, item: dict, options: dict) -> Iterator[tuple[int, Any]]:
    """(rows read, filtered and projected record batch) for each record batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    partition = item.get("partition") or {}
    types = options.get("partitionTypes") or {}
    columns = options.get("columns")
    data_columns = None
    if columns:
        unknown = [c for c in columns if c not in reader.schema_arrow.names
                   and c not in partition]
        if unknown:
            raise BadRequest(f"unknown columns: {', '.join(unknown)}")
        filter_columns = _filter_columns(options.get("filter"))
        data_columns = [c for c in reader.schema_arrow.names
                        if c in columns or c in filter_columns]
    expression = pq.filters_to_expression(options["filter"]) if options.get("filter") \
        else None
    if expression is not None:  # a filter that cannot apply to this schema is the request's
        _check_filter(expression, reader.schema_arrow, partition, types)
    for batch in reader.iter_batches(batch_size=READ_BATCH_ROWS, columns=data_columns):
        table = pa.Table.from_batches([batch])
        for name, value in partition.items():
            kind = getattr(pa, _DELTA_TYPES.get(types.get(name, "string"), "string"))()
            column = pa.array([value] * table.num_rows, pa.string()).cast(kind)
            table = table.append_column(name, column)
        read = table.num_rows
        if expression is not None:
            table = table.filter(expression)
        if columns:
            table = table.select(columns)
        yield read, table


def _check_filter(expression: Any, schema: Any, partition: dict, types: dict) -> None:
    import pyarrow as pa

    fields = list(schema) + [
        pa.field(name, getattr(pa, _DELTA_TYPES.get(types.get(name, "string"), "string"))())
        for name in partition]
    try:
        pa.Table.from_pylist([], schema=pa.schema(fields)).filter(expression)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise BadRequest(f"the filter does not apply to the table: {exc}") from None


def _filter_columns(filters: Any) -> set[str]:
    """The column names a DNF filter (``[[col, op, value], ...]``) mentions."""
    names: set[str] = set()
    for term in filters or []:
        if term and isinstance(term[0], (list, tuple)):
            names |= _filter_columns(term)
        elif term:
            names.add(term[0])
    return names


def _write_parts(item: dict, options: dict,
                 batches: Iterator[tuple[int, Any]]) -> tuple[int, int, list[dict]]:
    """Write the batches as parts ``part-<file index>-<n>.<ext>``: the same input always
    gives the same names, so a retried or re-run batch overwrites its own parts."""
    rows_in = rows_out = 0
    parts: list[dict] = []
    writer: _PartWriter | None = None
    for read, table in batches:
        rows_in += read
        if table.num_rows == 0:
            continue
        if writer is None or writer.rows >= ROWS_PER_PART:
            if writer is not None:
                parts.append(writer.close())
            writer = _PartWriter(options, item["index"], len(parts), table.schema)
        writer.write(table)
        rows_out += table.num_rows
    if writer is not None:
        parts.append(writer.close())
    return rows_in, rows_out, parts


class _PartWriter:
    """One output part being written (parquet or CSV), streamed to its destination."""

    def __init__(self, options: dict, file_index: int, number: int, schema: Any) -> None:
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        ext = "csv" if options["format"] == "csv" else "parquet"
        self.uri = f"{options['output'].rstrip('/')}/part-{file_index:05d}-{number:04d}.{ext}"
        from pyarrow import fs

        out_fs, path = filesystem(self.uri)
        with self._failures():
            if isinstance(out_fs, fs.LocalFileSystem):
                out_fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
            self.stream = out_fs.open_output_stream(path)
        self.writer: Any = pcsv.CSVWriter(self.stream, schema) if ext == "csv" \
            else pq.ParquetWriter(self.stream, schema, compression="snappy")
        self.rows = 0

    def write(self, table: Any) -> None:
        with self._failures():
            self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> dict:
        with self._failures():
            self.writer.close()
            self.stream.close()
        return {"uri": self.uri, "rows": self.rows}

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        """Output errors name the part (a transient one is retried)."""
        try:
            yield
        except Exception as exc:
            kind = S3Transient if is_transient(exc) else WriteFailed
            raise kind(f"{self.uri}: {exc}") from None


# ---------------------------------------------------------------------------- finish

@task_function(name="export-finish")
def finish_export(event: dict, context: Any = None) -> dict:
    """Write the export's manifest from the Map Run's results (ResultWriter's files).

    Input: ``{exportId, bucket, plan, request, results: {Bucket, Key}}`` where results is
    the Map's ``ResultWriterDetails`` (the Map Run's manifest.json).
    """
    outputs = list(result_outputs(event["results"]["Bucket"], event["results"]["Key"]))
    parts = sorted((part for out in outputs for part in out["parts"]),
                   key=lambda part: part["uri"])
    manifest = {
        "exportId": event["exportId"],
        "table": event["request"]["table"],
        "tableVersion": event["plan"]["version"],
        "format": event["request"]["format"],
        "columns": event["request"].get("columns"),
        "filter": event["request"].get("filter"),
        "files": event["plan"]["files"],
        "rowsIn": sum(out["rowsIn"] for out in outputs),
        "rowsOut": sum(out["rowsOut"] for out in outputs),
        "parts": parts,
        "finishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    key = f"exports/{event['exportId']}/manifest.json"
    put_json(event["bucket"], key, manifest)
    return {"manifest": f"s3://{event['bucket']}/{key}", "output": event["request"]["output"],
            "rowsIn": manifest["rowsIn"], "rowsOut": manifest["rowsOut"],
            "parts": len(parts)}


def result_outputs(bucket: str, manifest_key: str) -> Iterator[dict]:
    """The child executions' outputs listed in a ResultWriter manifest (SUCCEEDED files).

    With ``Transformation: NONE`` an entry is the execution's record with its output as
    JSON text; with COMPACT it is the output itself.
    """
    manifest = get_json(bucket, manifest_key)
    for result_file in manifest.get("ResultFiles", {}).get("SUCCEEDED", []):
        for entry in get_json(manifest.get("DestinationBucket", bucket), result_file["Key"]):
            if isinstance(entry, dict) and "ExecutionArn" in entry and "Output" in entry:
                yield json.loads(entry["Output"])
            else:
                yield entry


# --------------------------------------------------------------------------- failure

_FILE_IN_MESSAGE = re.compile(r"^((?:s3a?|file)://\S+?|/\S+?): ")


@task_function(name="export-describe-failure")
def describe_failure(event: dict, context: Any = None) -> dict:
    """What failed, for the failed-exports queue: the error, its cause and the data file
    that failed when there is one. Never raises: reporting must not fail.

    A Distributed Map reports a failed child execution by the Map Run's own error; the
    failing file is then found in the Map Run's failed child executions (Step Functions
    API: ListMapRuns, ListExecutions, DescribeExecution).
    """
    error, cause = event.get("error") or "Unknown", event.get("cause") or ""
    failing_file = file_in_cause(cause)
    if failing_file is None and event.get("executionArn"):
        try:
            child_error, child_cause = _failed_child(event["executionArn"])
        except Exception:  # reporting goes on without the file
            child_error = child_cause = None
        if child_cause:
            failing_file = file_in_cause(child_cause)
            if error.startswith("States.") and child_error:
                cause = f"{cause} (child execution: {child_error}: {child_cause})".strip()
    return {"exportId": event.get("exportId"), "executionArn": event.get("executionArn"),
            "error": error, "cause": cause, "failingFile": failing_file}


def file_in_cause(cause: str) -> str | None:
    """The data file a handler's error names (its Lambda error document's message)."""
    message = cause
    try:
        document = json.loads(cause)
        if isinstance(document, dict):
            message = str(document.get("errorMessage", ""))
    except ValueError:
        pass
    match = _FILE_IN_MESSAGE.match(message)
    return match.group(1) if match else None


def _failed_child(execution_arn: str) -> tuple[str | None, str | None]:
    import boto3

    sfn = boto3.client("stepfunctions", region_name=_region())
    for run in sfn.list_map_runs(executionArn=execution_arn).get("mapRuns", []):
        failed = sfn.list_executions(mapRunArn=run["mapRunArn"], statusFilter="FAILED")
        for child in failed.get("executions", []):
            described = sfn.describe_execution(executionArn=child["executionArn"])
            return described.get("error"), described.get("cause")
    return None, None
