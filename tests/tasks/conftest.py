"""Fixtures for the AWS integration tests: a moto server on a free local port that
boto3 finds through AWS_ENDPOINT_URL (its own configuration chain, as in production),
dummy credentials, and an Engine to run workflows with."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from stepfn import Engine

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account

_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server for the whole session; AWS_* variables point boto3 at it."""
    server_module = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {name: os.environ.get(name) for name in [*_AWS_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(_AWS_ENV, AWS_ENDPOINT_URL=endpoint)
    try:
        yield endpoint
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture(scope="session")
def aws(moto_endpoint: str) -> Any:
    """A boto3 session against the moto server, to arrange and inspect resources."""
    import boto3

    return boto3.session.Session(region_name=REGION)


@pytest.fixture()
def engine(moto_endpoint: str) -> Engine:
    return Engine(region=REGION, account=ACCOUNT)


def unique(prefix: str) -> str:
    """A resource name no other test uses (the moto server lives for the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def task_machine(resource: str, *, query_language: str | None = None,
                 **fields: Any) -> dict:
    """A one-state machine around a Task calling ``resource``."""
    state = {"Type": "Task", "Resource": resource, "End": True, **fields}
    definition: dict[str, Any] = {"StartAt": "Call", "States": {"Call": state}}
    if query_language:
        definition["QueryLanguage"] = query_language
    return definition


def assert_succeeded(result: Any) -> Any:
    assert result.status == "SUCCEEDED", f"{result.status}: {result.error}: {result.cause}"
    return result.output
