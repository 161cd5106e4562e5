"""The export service's scenario, unattended: a good export and one with a corrupt file.

    python examples/export_service/demo.py

Starts the local stack (moto's server, `stepfn serve`, the API), makes a Delta table on
the local S3, exports it to CSV through the API while polling the API as a dashboard
would, then corrupts one data file of a second table and exports that. Prints what
happened; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from local import BUCKET, Stack, make_demo_table  # noqa: E402


def p99(latencies: list[float]) -> float:
    """The 99th percentile in milliseconds."""
    if len(latencies) < 2:
        return round(latencies[0] * 1000, 1) if latencies else 0.0
    return round(statistics.quantiles(latencies, n=100)[98] * 1000, 1)


def main() -> int:
    latencies: list[float] = []
    with Stack() as stack:
        print(f"stack up: API {stack.api_url}, stepfn {stack.stepfn_url}, moto {stack.moto_url}")
        uri, rows_in = make_demo_table(stack, "orders", files=6, rows_per_file=5000)
        print(f"table {uri}: {rows_in} rows in 6 files")

        status, started, took = stack.api("POST", "/exports", {
            "table": uri, "format": "csv", "columns": ["id", "region", "amount"],
            "filter": [["amount", ">", 100.0]]})
        latencies.append(took)
        print(f"POST /exports -> {status} in {took * 1000:.0f} ms: {started['exportId']}")
        good = stack.wait_export(started["exportId"], latencies=latencies, interval=0.05)
        print(f"export {good['status']}: {good.get('rowsOut')} of {good.get('rowsIn')} rows, "
              f"progress {good.get('progress')}, manifest {good.get('manifest')}")

        bad_uri, _ = make_demo_table(stack, "broken", files=3, rows_per_file=1000)
        s3 = stack.client("s3")
        data_files = sorted(o["Key"] for o in s3.list_objects_v2(
            Bucket=BUCKET, Prefix="tables/broken/")["Contents"] if o["Key"].endswith(".parquet"))
        s3.put_object(Bucket=BUCKET, Key=data_files[1], Body=b"not parquet at all")
        print(f"corrupted s3://{BUCKET}/{data_files[1]}")
        status, failed_start, took = stack.api("POST", "/exports",
                                               {"table": bad_uri, "format": "parquet"})
        latencies.append(took)
        failed = stack.wait_export(failed_start["exportId"], latencies=latencies, interval=0.05)
        print(f"export {failed['status']}: {failed.get('error')}")

        queue = stack.drain(stack.queue_url)
        notices = stack.drain(stack.notices_url)
        for message in queue:
            print(f"failed-exports queue: {json.dumps(message)[:300]}")
        for notice in notices:
            print(f"SNS notice: {notice.get('status')} export {notice.get('exportId')}")
    summary = {
        "export_status": good["status"],
        "rows_in": good.get("rowsIn"),
        "rows_out": good.get("rowsOut"),
        "failed_export_status": failed["status"],
        "failing_file": queue[0].get("failingFile") if queue else None,
        "sqs_failed_messages": len(queue),
        "sns_notices": len(notices),
        "api_requests": len(latencies),
        "api_p99_ms": p99(latencies),
    }
    print(json.dumps(summary))
    ok = (good["status"] == "SUCCEEDED" and failed["status"] == "FAILED"
          and len(queue) == 1 and len(notices) == 2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
