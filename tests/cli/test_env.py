"""``stepfn env``: after ``eval "$(stepfn env)"`` the AWS CLI and boto3, with default
settings, reach stepfn, StartSyncExecution and TestState (host prefix ``sync-``)
included."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PASS, stepfn

AWS_CLI = shutil.which("aws") or str(Path(sys.executable).parent / "aws")


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without any AWS setting (and an empty home)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def exports(text: str) -> dict[str, str]:
    """The variables ``export A=1 B=2`` lines set."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line)
        assert words[0] == "export", line
        for word in words[1:]:
            name, _, value = word.partition("=")
            values[name] = value
    return values


def test_env_prints_endpoint_prefix_setting_region_and_dummy_credentials(
        tmp_path: Path) -> None:
    done = stepfn("env", "--port", "9999", "--host", "localhost", env=clean_env(tmp_path))
    assert done.returncode == 0
    values = exports(done.stdout)
    assert values["AWS_ENDPOINT_URL_SFN"] == "http://localhost:9999"
    assert values["AWS_DISABLE_HOST_PREFIX_INJECTION"] == "true"
    assert values["AWS_REGION"] == "us-east-1"
    assert values["AWS_ACCESS_KEY_ID"] and values["AWS_SECRET_ACCESS_KEY"]


def test_env_keeps_the_users_own_region_and_credentials(tmp_path: Path) -> None:
    env = {**clean_env(tmp_path), "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "mine",
           "AWS_SECRET_ACCESS_KEY": "secret"}
    values = exports(stepfn("env", env=env).stdout)
    assert values["AWS_ENDPOINT_URL_SFN"] == "http://127.0.0.1:8083"
    assert not {"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(values)


@pytest.mark.skipif(not Path(AWS_CLI).exists(), reason="the AWS CLI is a test dependency")
def test_aws_cli_start_sync_execution_and_test_state_after_env(
        server: tuple[int, Path], tmp_path: Path) -> None:
    port, _ = server
    script = f"""
set -e
eval "$({shlex.quote(sys.executable)} -m stepfn.cli env --port {port})"
aws stepfunctions create-state-machine --name quick --type EXPRESS \\
    --role-arn arn:aws:iam::123456789012:role/r --definition '{PASS}' > /dev/null
aws stepfunctions start-sync-execution --input '{{"n": 1}}' \\
    --state-machine-arn arn:aws:states:us-east-1:123456789012:stateMachine:quick
aws stepfunctions test-state --definition '{{"Type": "Pass", "Result": 7, "End": true}}' \\
    --role-arn arn:aws:iam::123456789012:role/r
"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          env=clean_env(tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    decoder = json.JSONDecoder()
    sync, end = decoder.raw_decode(done.stdout.strip())
    test_state, _ = decoder.raw_decode(done.stdout[end:].strip())
    assert sync["status"] == "SUCCEEDED" and json.loads(sync["output"]) == {"n": 1}
    assert test_state["status"] == "SUCCEEDED" and test_state["output"] == "7"


def test_boto3_with_default_settings_after_env(server: tuple[int, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    port, _ = server
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in exports(stepfn("env", "--port", str(port)).stdout).items():
        monkeypatch.setenv(name, value)
    client = boto3.client("stepfunctions")
    arn = client.create_state_machine(name="quick", definition=PASS, type="EXPRESS",
                                      roleArn="arn:aws:iam::123456789012:role/r")[
        "stateMachineArn"]
    sync = client.start_sync_execution(stateMachineArn=arn, input='{"n": 2}')
    assert sync["status"] == "SUCCEEDED" and json.loads(sync["output"]) == {"n": 2}
    answer = client.test_state(definition='{"Type": "Pass", "End": true}', input='{"a": 1}')
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == {"a": 1}
