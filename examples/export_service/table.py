"""Generated Delta tables for the demo, the tests and the benchmark."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

REGIONS = ("eu", "us", "apac")


def rows(start: int, count: int, region: str | None = None) -> pa.Table:
    """``count`` rows with ids from ``start``: id, region, customer, amount, quantity.

    Amounts and customers are random (so parquet cannot compress them away, as with real
    data); ids are unique and increasing, so an export can be checked row for row.
    """
    ids = pa.array(range(start, start + count), pa.int64())
    noise = pc.random(count)
    customer = pc.binary_join_element_wise(
        "customer-", pc.cast(pc.floor(pc.multiply(noise, 1e9)), pa.int64()).cast(pa.string()),
        "")
    if region is None:
        regions = pa.array([REGIONS[i % len(REGIONS)] for i in range(start, start + count)])
    else:
        regions = pa.array([region] * count)
    amount = pc.round(pc.multiply(pc.random(count), 1000.0), 2)
    quantity = pc.cast(pc.floor(pc.multiply(pc.random(count), 50.0)), pa.int32())
    return pa.table({"id": ids, "region": regions, "customer": customer,
                     "amount": amount, "quantity": quantity})


def make_table(uri: str, files: int = 6, rows_per_file: int = 2000,
               storage_options: dict[str, str] | None = None,
               partitioned: bool = True) -> int:
    """Write a Delta table of ``files`` data files (one commit each, partitioned by
    region when ``partitioned``); returns the number of rows written."""
    from deltalake import write_deltalake

    options: dict[str, Any] | None = None
    if storage_options:  # moto's S3 has no conditional puts: the single writer is safe
        options = {**storage_options, "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    total = 0
    for i in range(files):
        region = REGIONS[i % len(REGIONS)] if partitioned else None
        data = rows(i * rows_per_file, rows_per_file, region)
        write_deltalake(uri, data, mode="append", storage_options=options,
                        partition_by=["region"] if partitioned else None)
        total += data.num_rows
    return total
