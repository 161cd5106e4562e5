"""(d) moto's Step Functions engine in-process, through boto3 under ``mock_aws``.

Runs under benchmarks/.venv-moto (moto after 5.2.1, whose StartExecution fails after
the first one per region; jsonpath-ng >= 1.16, since older ones are many times slower).
Executions run in moto's own thread; we poll DescribeExecution with a short back-off.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid

from common import Outcome, Workload

ROLE = "arn:aws:iam::123456789012:role/stepfn-bench"
_POLL_START, _POLL_MAX = 0.0005, 0.02  # seconds between DescribeExecution calls
_NULL_OUTPUT_GRACE = 2.0  # moto sets SUCCEEDED a moment before the output


class Driver:
    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.notes: list[str] = []

    def setup(self) -> None:
        # moto logs every caught failure with a full parse tree; the table is the report.
        logging.disable(logging.CRITICAL)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "testing")
        import boto3
        import moto
        from moto import mock_aws

        self.notes.append(f"moto {moto.__version__}")
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self.client = boto3.client("stepfunctions", region_name="us-east-1")
        self.machine_arn = self.client.create_state_machine(
            name="bench", definition=json.dumps(self.workload.definition),
            roleArn=ROLE)["stateMachineArn"]
        self.input_text = json.dumps(self.workload.input)

    def run(self, executions: int) -> list[Outcome]:
        return [self._execute() for _ in range(executions)]

    def _execute(self) -> Outcome:
        arn = self.client.start_execution(stateMachineArn=self.machine_arn,
                                          name=str(uuid.uuid4()),
                                          input=self.input_text)["executionArn"]
        desc = self._wait(arn)
        output = desc.get("output")
        return Outcome(desc["status"], None if output is None else json.loads(output),
                       desc.get("error"), desc.get("cause"))

    def _wait(self, arn: str) -> dict:
        delay = _POLL_START
        null_since = None
        while True:
            desc = self.client.describe_execution(executionArn=arn)
            status = desc["status"]
            if status == "SUCCEEDED" and desc.get("output") is None:
                null_since = null_since or time.perf_counter()
                if time.perf_counter() - null_since > _NULL_OUTPUT_GRACE:
                    return desc
            elif status != "RUNNING":
                return desc
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    def close(self) -> None:
        self._mock.stop()
