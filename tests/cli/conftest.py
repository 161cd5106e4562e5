"""Helpers for driving the ``stepfn`` command line as a user does: a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PASS = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'


def stepfn(*args: str, env: dict | None = None, cwd: Path | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``stepfn ARGS`` in a child process; its exit status and output."""
    return subprocess.run([sys.executable, "-m", "stepfn.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout)


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> str:
    """The run failed with exit 2 and one ``error:`` line holding every fragment."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def definition(tmp_path: Path) -> Path:
    path = tmp_path / "pass.asl.json"
    path.write_text(PASS)
    return path


@contextmanager
def running_server(tmp_path: Path, *args: str) -> Iterator[tuple[int, Path]]:
    """A ``stepfn serve ARGS`` process on a free port; yields the port and its log file."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port),
             "--db", str(tmp_path / "stepfn.db"), *args],
            stdout=sink, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                raise RuntimeError(f"stepfn serve exited: {log.read_text()}")
            time.sleep(0.05)
        else:
            raise RuntimeError(f"stepfn serve did not start: {log.read_text()}")
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A plain ``stepfn serve`` process (see ``running_server``)."""
    with running_server(tmp_path) as found:
        yield found
