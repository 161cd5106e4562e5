"""The floor for benchmarks/export.py: the same export by one plain pyarrow process.

    python benchmarks/export_floor.py TABLE_DIR OUT_DIR parquet|csv COLUMNS_JSON FILTER_JSON

Prints {"wall", "rows_out", "peak"} as JSON (peak: this process's VmHWM, its high-water
resident memory, in bytes; ``ru_maxrss`` would include its parent's, kept across exec).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq


def main() -> None:
    os.nice(10)  # as the export service's pool workers run (handlers.yield_cpu)
    table, out, fmt = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    columns, filters = json.loads(sys.argv[4]), json.loads(sys.argv[5])
    expression = pq.filters_to_expression(filters)
    out.mkdir(parents=True, exist_ok=True)
    began, rows = time.perf_counter(), 0
    for i, path in enumerate(sorted(table.rglob("*.parquet"))):
        writer = None
        reader = pq.ParquetFile(path, pre_buffer=False, buffer_size=4 << 20)
        for batch in reader.iter_batches(batch_size=65536, columns=columns):
            part = pa.Table.from_batches([batch]).filter(expression)
            if writer is None:
                target = str(out / f"part-{i:05d}.{fmt}")
                writer = pcsv.CSVWriter(target, part.schema) if fmt == "csv" \
                    else pq.ParquetWriter(target, part.schema, compression="snappy")
            writer.write_table(part)
            rows += part.num_rows
        if writer is not None:
            writer.close()
    print(json.dumps({"wall": time.perf_counter() - began, "rows_out": rows,
                      "peak": high_water()}))


def high_water() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
