"""One process of a function: started, initialised once, then invoked one request at a
time (a warm execution environment), until it is killed or reaped.

Everything here blocks (it runs in the runtime's own threads, not on an event loop), so a
process outlives the event loop that first used it (``stepfn run`` makes one per run).
The invocation protocol runs over two private pipes (``bootstrap.py``); the process's
stdout and stderr are its log, read line by line by a thread of their own and handed to
the runtime's log sink.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .bootstrap import read_frame, write_frame
from .environment import BOOTSTRAP, PreparedFunction, process_environment

# (function name, request id or "" during init, one line of the function's output)
OutputSink = Callable[[str, str, str], None]


class ProcessEnded(Exception):
    """The process exited (or could not start): ``status`` says how, as Lambda's
    ``Runtime exited with error: <status>`` does (``exit status 1``, ``signal: killed``)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class DeadlineExceeded(Exception):
    """The process did not answer in time (it has been killed)."""


@dataclass(frozen=True)
class Answer:
    """What the process answered to an invocation (or to its init)."""

    ok: bool  # False: ``body`` is Lambda's error document
    body: bytes
    content_type: str = "application/json"
    max_memory_mb: int = 0


class FunctionProcess:
    """A started process of ``prepared``'s function (its init is under way)."""

    def __init__(self, prepared: PreparedFunction, sink: OutputSink) -> None:
        self.prepared = prepared
        self.started = time.monotonic()
        self.last_used = self.started
        self.invocations = 0
        self.request_id = ""  # the invocation under way, for the log lines
        self._sink = sink
        request_read, self._requests = os.pipe()
        self._responses, response_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [prepared.python, str(BOOTSTRAP), str(request_read), str(response_write)],
                cwd=prepared.task_root, env=process_environment(prepared),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(request_read, response_write),
                # Ctrl-C at a terminal reaches the server's process group: the server
                # decides when its functions stop, not the signal.
                start_new_session=True)
        except OSError as exc:
            for fd in (self._requests, self._responses):
                os.close(fd)
            raise ProcessEnded(f"could not start {prepared.python}: {exc}") from None
        finally:
            os.close(request_read)
            os.close(response_write)
        self._closed = False
        self._pump = threading.Thread(target=self._pump_output, daemon=True,
                                      name=f"lambda-output-{prepared.name}")
        self._pump.start()
        self._send({"handler": prepared.spec.handler, "task_root": str(prepared.task_root),
                    "layers": [str(layer) for layer in prepared.layers]})
        self.init_ms: float | None = None  # set once ready: the cold start's duration

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, deadline: float) -> Answer | None:
        """None once the function is initialised; its error document (``ok`` False)
        when its init failed (the process has then exited)."""
        header, body = self._receive(deadline)
        if header.get("init_error"):
            self.kill()
            return Answer(False, body)
        self.init_ms = (time.monotonic() - self.started) * 1000
        return None

    def invoke(self, request: dict, payload: bytes, deadline: float) -> Answer:
        """Run one invocation; raises DeadlineExceeded (the process is killed) or
        ProcessEnded."""
        self.request_id = request["request_id"]
        self.invocations += 1
        try:
            self._send(request, payload)
            header, body = self._receive(deadline)
        finally:
            self.last_used = time.monotonic()
        return Answer(bool(header.get("ok")), body,
                      header.get("content_type", "application/json"),
                      int(header.get("max_memory_mb", 0)))

    def terminate(self) -> None:
        """Kill the process from any thread; the thread invoking it sees it end (only
        that thread, or whoever holds an idle process, may ``kill`` it)."""
        if not self._closed and self.process.poll() is None:
            self.process.kill()

    def kill(self) -> None:
        """End the process now (SIGKILL, as Lambda ends a timed-out environment) and
        close its pipes."""
        if self._closed:
            return
        self._closed = True
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for fd in (self._requests, self._responses):
            os.close(fd)

    @property
    def alive(self) -> bool:
        return not self._closed and self.process.poll() is None

    # -- the pipes ----------------------------------------------------------------------
    def _send(self, header: dict, body: bytes = b"") -> None:
        try:
            write_frame(self._requests, header, body)
        except OSError:  # BrokenPipeError: it has exited
            raise ProcessEnded(self._exit_status()) from None

    def _receive(self, deadline: float) -> tuple[dict, bytes]:
        poller = select.poll()
        poller.register(self._responses, select.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise DeadlineExceeded()
            try:
                if poller.poll(remaining * 1000):
                    break
            except InterruptedError:  # pragma: no cover - retried by Python itself
                continue
        frame = read_frame(self._responses)
        if frame is None:
            raise ProcessEnded(self._exit_status())
        return frame

    def _exit_status(self) -> str:
        """How the process ended, in Go's words (Lambda's runtime manager is Go)."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # closed its pipe but lives on: end it
            self.process.kill()
            code = self.process.wait()
        self.kill()
        if code < 0:
            return f"signal: {signal.strsignal(-code) or -code}".lower()
        return f"exit status {code}"

    def _pump_output(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        with stdout:
            for raw in iter(stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self._sink(self.prepared.name, self.request_id, line)
