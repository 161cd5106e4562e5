"""``stepfn serve`` under a flood of half-sent requests, at a low open-file limit: the
slow connections are closed within their bounds, a log line says so, and a signed
boto3 client keeps getting its answers throughout."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

KEY, SECRET = "AKIDFLOOD", "flood-secret"
OPEN_FILES = 256
HEADER_SECONDS = BODY_SECONDS = 2.0
KEEP_ALIVE_SECONDS = 1.0
FLOOD = 600  # more than the server has file descriptors


def _low_open_file_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, hard))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("flood")
    keys = folder / "keys"
    keys.write_text(f"{KEY} {SECRET}\n")
    port = _free_port()
    log = folder / "serve.log"
    env = {**os.environ, "STEPFN_HEADER_TIMEOUT_SECONDS": str(HEADER_SECONDS),
           "STEPFN_BODY_TIMEOUT_SECONDS": str(BODY_SECONDS),
           "STEPFN_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE_SECONDS)}
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "stepfn.cli", "serve", "--port", str(port), "--db",
             str(folder / "stepfn.db"), "--auth", "sigv4", "--access-keys", str(keys),
             "--no-worker"], stdout=sink, stderr=subprocess.STDOUT, env=env,
            preexec_fn=_low_open_file_limit)
    try:
        deadline = time.monotonic() + 60
        while _answer(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") is None:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answer(port: int, request: bytes) -> bytes | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request)
            return sock.recv(4096)
    except OSError:
        return None


def _client(port: int):
    """A signed client on a connection of its own (as each CLI run or new process is):
    a kept-alive connection opened before the flood would hide the problem."""
    return SESSION.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}",
                          region_name="us-east-1", aws_access_key_id=KEY,
                          aws_secret_access_key=SECRET,
                          config=Config(retries={"max_attempts": 1}, connect_timeout=10,
                                        read_timeout=10))


SESSION = boto3.session.Session()


HALF_HEADERS = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n")
HALF_BODY = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
             b"Content-Type: application/x-amz-json-1.0\r\n"
             b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n\r\n{\"x\": ")


def _half_open(port: int, shape: int) -> socket.socket | None:
    """A connection sending nothing, half its headers or half its body, then nothing."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    try:
        if shape:
            sock.sendall(HALF_HEADERS if shape == 1 else HALF_BODY)
    except OSError:
        sock.close()
        return None
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (it may first have sent a 408)."""
    sock.settimeout(0.2)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


def test_a_half_sent_flood_is_shed_and_signed_clients_are_answered(
        server: tuple[int, Path]) -> None:
    port, log = server
    held: list[socket.socket] = []
    stop = threading.Event()

    def flood() -> None:
        shape = 0
        while not stop.is_set():
            held[:] = [s for s in held if s.fileno() >= 0]
            if len(held) >= FLOOD:
                time.sleep(0.01)
                continue
            sock = _half_open(port, shape % 3)
            shape += 1
            if sock is not None:
                held.append(sock)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    try:
        answered = 0
        started = time.monotonic()
        while time.monotonic() - started < HEADER_SECONDS + 2:  # past a deadline
            assert "stateMachines" in _client(port).list_state_machines()  # answered
            answered += 1
            time.sleep(0.05)
        assert len(held) > OPEN_FILES  # the flood holds more than the server could
    finally:
        stop.set()
        flooder.join(10)
    # Every half-sent connection still open is closed within its bound (plus slack
    # for a loaded machine); none survives.
    time.sleep(max(HEADER_SECONDS, BODY_SECONDS) + 2)
    still_open = [s for s in held if not _closed_by_server(s)]
    for sock in held:
        sock.close()
    assert still_open == []
    assert answered >= 10
    assert "stateMachines" in _client(port).list_state_machines()
    text = log.read_text()
    assert "HTTP connection shed:" in text
    assert "not complete within 2 s" in text or "closed to make room" in text


def test_an_idle_kept_alive_connection_is_closed(server: tuple[int, Path]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(KEEP_ALIVE_SECONDS + 2)
        assert _closed_by_server(sock)


def test_headers_without_end_are_bounded_in_size(server: tuple[int, Path]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ")
        answer = b""
        try:
            for _ in range(200):  # 200 x 1 KiB: more than the 64 KiB allowed
                sock.sendall(b"a" * 1024)
                time.sleep(0.001)
        except OSError:
            pass  # closed by the server while sending
        try:
            answer = sock.recv(4096)
        except OSError:
            pass
        assert answer.startswith(b"HTTP/1.1 431") or answer == b""
        assert _closed_by_server(sock)


def test_what_is_shed_is_logged_at_most_once_per_interval(caplog) -> None:
    import asyncio
    import logging

    from stepfn.api.connections import ShedLog

    async def main() -> None:
        shed = ShedLog(logging.getLogger("test.shed"), every=0.2)
        for reason in ("a", "b", "b", "c"):
            shed.note(reason)
        await asyncio.sleep(0.3)
        shed.note("d")  # a new interval began with the summary: counted, not yet logged
        await asyncio.sleep(0.3)

    with caplog.at_level(logging.WARNING, logger="test.shed"):
        asyncio.run(main())
    assert [r.getMessage() for r in caplog.records] == [
        "HTTP connection shed: a",
        "HTTP connections shed in the last 0 s: 3 (2 b, 1 c)",
        "HTTP connections shed in the last 0 s: 1 (1 d)"]
