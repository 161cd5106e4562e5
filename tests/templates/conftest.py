"""Fixtures for the template tests: the project's own applications (copied, so that
a test may edit them), the moto server as the local AWS, a boto3 client for stepfn."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.tasks.conftest import aws, moto_endpoint  # noqa: F401 - shared fixtures

APPS = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture()
def orders_app(tmp_path: Path) -> Path:
    """A copy of the orders SAM application; its template's path."""
    target = tmp_path / "orders"
    shutil.copytree(APPS / "sam_orders", target)
    return target / "template.yaml"


def sfn_client(port: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}",
                        region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 2}))


def wait_until(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    """``check()``'s first truthy answer, polling; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s")
        time.sleep(every)


def finished(client: Any, execution_arn: str, timeout: float = 30.0) -> dict:
    """DescribeExecution once the execution has ended."""
    def done() -> dict | None:
        described = client.describe_execution(executionArn=execution_arn)
        return described if described["status"] != "RUNNING" else None
    return wait_until(done, timeout)
