"""Bounds on the HTTP connections ``stepfn serve`` holds, so slow or idle clients
cannot take the API down.

uvicorn bounds idle keep-alive time (``timeout_keep_alive``) but nothing else: a client
that opens a connection and never finishes its headers, or its body, holds the
connection (and a file descriptor) for ever, and about a thousand of them exhaust a
default open-file limit, after which no client is answered. ``bounded_protocol`` gives
uvicorn's httptools protocol what it lacks, per connection and for the server:

- a **header deadline**: the request line and headers must be in within
  ``header_timeout`` seconds of the connection opening (or of the request's first byte,
  on a kept-alive connection), and take at most ``max_header_bytes``;
- a **body deadline**: the body must be in within ``body_timeout`` seconds of the
  headers (not counted while the server itself has stopped reading: flow control);
- a **cap on open connections**: when a new connection would pass
  ``max_connections``, the oldest connection that is still sending its headers is
  closed first, then the oldest still sending a body, then the oldest idle one; a
  connection whose request is being answered is never closed. Only when every
  connection is being answered is the new one turned away (503).

So a flood of half-sent requests costs the flood its own connections, while a client
that sends whole requests (every SDK) gets its answer. What is shed is logged, at most
one line every ``LOG_EVERY_SECONDS`` (the first at once, then the counts since).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("stepfn.api.connections")

LOG_EVERY_SECONDS = 10.0
MAX_HEADER_BYTES = 64 * 1024  # request line and headers; a presigned URL fits easily
FD_RESERVE_SHARE = 4  # a quarter of the open-file limit stays for everything else
MAX_DEFAULT_CONNECTIONS = 4096

# Where a connection is in its current request (ordered by how readily it is shed).
HEADERS, BODY, IDLE, ANSWERING = "headers", "body", "idle", "answering"
_SHED_ORDER = (HEADERS, BODY, IDLE)


def default_max_connections() -> int:
    """Three quarters of the soft open-file limit (the rest for the database, log and
    outgoing connections), at most ``MAX_DEFAULT_CONNECTIONS``."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_DEFAULT_CONNECTIONS
    return max(8, min(MAX_DEFAULT_CONNECTIONS, soft - soft // FD_RESERVE_SHARE))


@dataclass(frozen=True)
class ConnectionLimits:
    """The bounds one server applies (see the module's docstring)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = MAX_DEFAULT_CONNECTIONS
    max_header_bytes: int = MAX_HEADER_BYTES


class ShedLog:
    """Counts what was shed (or refused: ``what``) and logs it at most once every
    ``every`` seconds: the first event at once, then one line with the counts of what
    followed."""

    def __init__(self, logger: logging.Logger = log, every: float = LOG_EVERY_SECONDS,
                 clock: Any = time.monotonic,
                 what: tuple[str, str] = ("HTTP connection shed", "HTTP connections shed"),
                 ) -> None:
        self.logger = logger
        self.every = every
        self.clock = clock
        self.what = what
        self._counts: Counter[str] = Counter()
        self._last = -float("inf")
        self._flush: asyncio.TimerHandle | None = None

    def note(self, reason: str) -> None:
        now = self.clock()
        if now - self._last >= self.every and self._flush is None:
            self._last = now
            self.logger.warning("%s: %s", self.what[0], reason)
            return
        self._counts[reason] += 1
        if self._flush is None:
            delay = max(0.0, self._last + self.every - now)
            self._flush = asyncio.get_running_loop().call_later(delay, self._report)

    def _report(self) -> None:
        self._flush = None
        if not self._counts:
            return
        self._last = self.clock()
        total = sum(self._counts.values())
        parts = ", ".join(f"{count} {reason}" for reason, count in self._counts.most_common())
        self._counts.clear()
        self.logger.warning("%s in the last %.0f s: %d (%s)", self.what[1], self.every,
                            total, parts)


class ConnectionGuard:
    """What every connection of one server shares: the open ones in the order they
    opened, the limits, the log."""

    def __init__(self, limits: ConnectionLimits, shed_log: ShedLog | None = None) -> None:
        self.limits = limits
        self.log = shed_log or ShedLog()
        self.open: dict[Any, None] = {}  # insertion order: oldest first

    def admit(self, connection: Any) -> bool:
        """Register ``connection``, first closing the most expendable one if the cap is
        reached; False (not registered) when none may be closed."""
        if len(self.open) >= self.limits.max_connections:
            victim = self._most_expendable()
            if victim is None:
                self.log.note(f"new connection refused: all {len(self.open)} are "
                              "being answered")
                return False
            what = ("an idle connection" if victim.phase == IDLE else
                    f"a connection still sending its {victim.phase}")
            victim.shed(f"{what} closed to make room ({self.limits.max_connections} "
                        "open, the limit)")
        self.open[connection] = None
        return True

    def _most_expendable(self) -> Any:
        by_phase: dict[str, Any] = {}
        for connection in self.open:  # oldest first
            phase = connection.phase
            if phase in _SHED_ORDER and phase not in by_phase:
                by_phase[phase] = connection
                if phase == HEADERS:
                    break
        return next((by_phase[p] for p in _SHED_ORDER if p in by_phase), None)

    def forget(self, connection: Any) -> None:
        self.open.pop(connection, None)


def bounded_protocol(guard: ConnectionGuard) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``guard``'s bounds (pass as ``http=``)."""

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """One connection, its deadlines and its phase (HEADERS, BODY, ANSWERING,
        IDLE). The hooks call uvicorn's own first, then keep the bounds."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.guard = guard
            self.parsing = HEADERS  # the parser's place in the current request
            self.header_bytes = 0
            self._deadline: asyncio.TimerHandle | None = None
            self._shed = False

        @property
        def phase(self) -> str:
            if self.parsing in (HEADERS, BODY):
                return self.parsing
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                return ANSWERING
            return IDLE

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if not self.guard.admit(self):
                self._refuse(b"503 Service Unavailable")
                return
            self._arm(self.guard.limits.header_timeout, HEADERS)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            self.guard.forget(self)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.parsing == HEADERS:
                # Bytes of earlier reads that did not complete the headers: a header
                # sent without end would otherwise grow in the parser's buffer.
                if self.header_bytes > self.guard.limits.max_header_bytes:
                    self.guard.log.note("request headers over "
                                        f"{self.guard.limits.max_header_bytes} bytes")
                    self._refuse(b"431 Request Header Fields Too Large")
                    return
            super().data_received(data)
            if self.parsing == HEADERS and not self._shed:
                self.header_bytes += len(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.parsing = HEADERS
            self.header_bytes = 0
            if self._deadline is None:  # a kept-alive connection's next request
                self._arm(self.guard.limits.header_timeout, HEADERS)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self.parsing = BODY
            self._arm(self.guard.limits.body_timeout, BODY)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self.parsing = ANSWERING
            self._disarm()

        def _arm(self, seconds: float, phase: str) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._deadline_passed, phase,
                                                  seconds)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _deadline_passed(self, phase: str, seconds: float) -> None:
            self._deadline = None
            if self.parsing != phase or self.transport.is_closing():
                return
            if self.flow is not None and self.flow.read_paused:
                # The server stopped reading (the application has not taken the body
                # so far): the client is not the slow one.
                self._arm(seconds, phase)
                return
            self.shed(f"{phase} not complete within {seconds:g} s")

        def shed(self, reason: str) -> None:
            """Close this connection, logging why (rate-limited)."""
            self.guard.log.note(reason)
            if self.parsing == HEADERS:
                self._refuse(b"408 Request Timeout")
            else:  # the application may be waiting for the body: it sees a disconnect
                self._close()

        def _refuse(self, status: bytes) -> None:
            if not self.transport.is_closing():
                self.transport.write(b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\n"
                                     b"connection: close\r\n\r\n")
            self._close()

        def _close(self) -> None:
            self._shed = True
            self._disarm()
            self.guard.forget(self)
            if not self.transport.is_closing():
                self.transport.close()

    return BoundedHttpToolsProtocol
