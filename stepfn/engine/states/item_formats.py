"""Decoding an ItemReader's objects into items, by ``ReaderConfig.InputType``.

Pure functions over bytes already fetched (the interpreter does no I/O of its own):
JSON (optionally at an ``ItemsPointer``), JSON Lines, CSV (header row or given headers,
five delimiters), Parquet (through pyarrow, an optional dependency) and the S3 Inventory
manifest. Anything that is not items of that type fails the map run with
``States.ItemReaderFailed``, as AWS reports it.
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import gzip
import io
from typing import Any

from ... import jsonutil
from ...errors import StatesError

NOT_ITERABLE = "Attempting to map over non-iterable node."
READER_FAILED = "States.ItemReaderFailed"
INPUT_TYPES = ("JSON", "JSONL", "CSV", "PARQUET", "MANIFEST")
DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
PARQUET_MISSING = ("Reading PARQUET items needs the pyarrow package: "
                   "pip install 'stepfn[parquet]'")


def reader_failed(cause: str) -> StatesError:
    return StatesError(READER_FAILED, cause)


def text_of(body: Any) -> str:
    """An object's body as text (bodies arrive as bytes from the S3 task)."""
    if isinstance(body, (bytes, bytearray)):
        try:
            return bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise reader_failed("The object is not UTF-8 text.") from None
    return body if isinstance(body, str) else ""


def bytes_of(body: Any) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return str(body or "").encode()


def json_items(body: Any, pointer: str | None = None) -> list:
    """A JSON document's array (at ``pointer``, a JSON Pointer, when given)."""
    try:
        document = jsonutil.loads(text_of(body))
    except ValueError:
        raise reader_failed(NOT_ITERABLE) from None
    if pointer:
        document = resolve_pointer(document, pointer)
    if not isinstance(document, list):
        raise reader_failed(NOT_ITERABLE)
    return document


def resolve_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901: ``/a/0/b`` (``~1`` is ``/``, ``~0`` is ``~``)."""
    if pointer in ("", "/"):
        return document
    if not pointer.startswith("/"):
        raise reader_failed(f"Invalid ItemsPointer '{pointer}': it must start with '/'.")
    value = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise reader_failed(f"The ItemsPointer '{pointer}' does not select a value.")
    return value


def jsonl_items(body: Any) -> list:
    try:
        return [jsonutil.loads(line) for line in text_of(body).splitlines() if line.strip()]
    except ValueError:
        raise reader_failed(NOT_ITERABLE) from None


def csv_items(body: Any, *, delimiter: str = ",", headers: list[str] | None = None) -> list:
    """Rows as objects of strings. ``headers`` None: the first row holds them."""
    rows = list(csv.reader(io.StringIO(text_of(body)), delimiter=delimiter))
    if headers is None:
        if not rows:
            return []
        headers, rows = rows[0], rows[1:]
    # AWS keeps every value a string and names a column without header by position.
    return [{(headers[i] if i < len(headers) else f"{i}"): value
             for i, value in enumerate(row)} for row in rows if row]


def parquet_items(body: Any) -> list:
    """Each row of a Parquet file as an object (one item per row)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise reader_failed(PARQUET_MISSING) from None
    try:
        table = pq.read_table(io.BytesIO(bytes_of(body)))
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the reader's
        raise reader_failed(f"The object is not a valid Parquet file: {exc}") from None
    return [_jsonable(row) for row in table.to_pylist()]


def _jsonable(value: Any) -> Any:
    """A Parquet value as JSON can carry it (dates as ISO text, decimals as numbers)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return value


class InventoryManifest:
    """An S3 Inventory ``manifest.json``: where its data files are and their columns."""

    def __init__(self, body: Any) -> None:
        try:
            manifest = jsonutil.loads(text_of(body))
            files = manifest["files"]
            self.keys = [entry["key"] for entry in files]
        except (ValueError, KeyError, TypeError):
            raise reader_failed("The object is not an S3 Inventory manifest.") from None
        bucket = str(manifest.get("destinationBucket") or "")
        self.bucket = bucket.rsplit(":", 1)[-1]  # arn:aws:s3:::name -> name
        self.format = str(manifest.get("fileFormat") or "CSV").upper()
        self.columns = [c.strip() for c in str(manifest.get("fileSchema") or "").split(",")
                        if c.strip()]
        if self.format not in ("CSV", "PARQUET"):
            raise reader_failed(f"S3 Inventory files in {self.format} format are not "
                                "supported (CSV and Parquet are).")

    def items(self, key: str, body: Any) -> list:
        """The rows of one inventory data file, as objects named by ``fileSchema``."""
        if self.format == "PARQUET":
            return parquet_items(body)
        data = bytes_of(body)
        if key.endswith(".gz") or data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except OSError:
                raise reader_failed(f"The inventory file {key} is not valid gzip.") from None
        return csv_items(data, headers=self.columns)


def athena_manifest_keys(body: Any) -> list[tuple[str, str]]:
    """An Athena UNLOAD manifest: one ``s3://bucket/key`` per line -> (bucket, key)."""
    out = []
    for line in text_of(body).splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("s3://") or "/" not in line[5:]:
            raise reader_failed(f"The manifest line '{line}' is not an s3:// URI.")
        bucket, _, key = line[5:].partition("/")
        out.append((bucket, key))
    return out
