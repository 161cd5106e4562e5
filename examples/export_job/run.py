"""Run the export job end to end, with failures reported to an SQS queue.

    python examples/export_job/run.py

Uses the AWS endpoint boto3 is configured for (AWS_ENDPOINT_URL, ...). When none is
set, starts moto's server on loopback as a stand-in for AWS (needs `moto[server]`,
installed by `pip install -e '.[test]'`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def local_aws() -> object | None:
    if os.environ.get("AWS_ENDPOINT_URL"):
        return None
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    print(f"(no AWS endpoint configured: using moto's server at {os.environ['AWS_ENDPOINT_URL']})")
    return server


def main() -> int:
    server = local_aws()
    from functions import export_chunk  # noqa: E402 (after sys.path is set)

    from stepfn import Engine

    sqs = boto3.client("sqs", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    queue_url = sqs.create_queue(QueueName="export-failures")["QueueUrl"]
    engine = Engine()
    engine.register_function("export_chunk", export_chunk, runs_in="process")
    job = {
        "table": "orders",
        "failureQueueUrl": queue_url,
        "chunks": [{"id": i, "rows": 5000, "corrupt": i == 3} for i in range(6)],
    }
    result = engine.run((HERE / "workflow.asl.json").read_text(), job)
    print(f"status: {result.status}")
    print("output:", json.dumps(result.output, indent=2))
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    print(f"failure reports in {queue_url}:")
    for message in messages:
        print("  ", message["Body"])
    if server is not None:
        server.stop()
    ok = result.status == "SUCCEEDED" and len(messages) == 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
