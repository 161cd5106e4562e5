"""``LambdaRuntime``: a template's Python functions, run as Lambda runs them.

Each function has processes of its own (``process.FunctionProcess``): a module imported
once per process and reused by the invocations that follow (warm starts), one
invocation at a time per process, as many processes as its concurrent invocations need,
bounded by its reserved concurrency (beyond it Lambda throttles:
``TooManyRequestsException``) and by the runtime's ``max_processes`` (beyond it an
invocation waits for a process: a local limit, not Lambda's). A process idle for
``idle_seconds`` is reaped. A timed-out invocation kills its process (the next
invocation starts another: a cold start), as Lambda replaces the environment.

The invocations run in the runtime's own threads, so the runtime serves any event loop
(``stepfn serve``'s executions loop, each ``stepfn run``) and outlives them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import errors
from .checks import StartupChecks, unsupported_reason
from .environment import PreparedFunction, inherited_environment, inline_code_folder, prepare
from .errors import FunctionNotFound, LambdaServiceError, TooManyRequests
from .process import Answer, DeadlineExceeded, FunctionProcess, ProcessEnded
from .spec import FunctionSpec

log = logging.getLogger("stepfn.lambda")

INIT_SECONDS = 10.0  # Lambda's limit on a function's init, before its own timeout
DEFAULT_MAX_PROCESSES = 32  # over every function (Lambda's account limit is 1,000)
DEFAULT_IDLE_SECONDS = 600.0
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


@dataclass(frozen=True)
class InvokeResult:
    """What Lambda's Invoke answers: ``function_error`` is ``"Unhandled"`` when the
    function failed (``payload`` is then its error document)."""

    status_code: int  # 200 RequestResponse, 202 Event, 204 DryRun
    payload: bytes
    executed_version: str
    request_id: str
    function_error: str | None = None
    content_type: str = "application/json"


@dataclass
class _Pool:
    """The processes of one function (guarded by the runtime's lock)."""

    spec: FunctionSpec
    prepared: PreparedFunction | None = None
    idle: list[FunctionProcess] = field(default_factory=list)
    busy: set[FunctionProcess] = field(default_factory=set)
    starting: int = 0  # processes being started for it

    @property
    def in_use(self) -> int:
        return len(self.busy) + self.starting


class LambdaRuntime:
    """Runs ``specs`` (``FunctionSpec``) locally, in processes of their own.

    ``python``: the interpreter for functions that name none (``--function-python``;
    default: the server's own). ``environment``: what their processes start from before
    Lambda's variables and their own (default: the server's environment when the runtime
    is built). ``log``: where their output and Lambda's START/END/REPORT lines go.
    """

    def __init__(self, specs: Iterable[FunctionSpec], *, region: str = "us-east-1",
                 account: str = "123456789012", python: str | None = None,
                 max_processes: int = DEFAULT_MAX_PROCESSES,
                 idle_seconds: float = DEFAULT_IDLE_SECONDS,
                 environment: Mapping[str, str] | None = None,
                 log: logging.Logger = log) -> None:
        if max_processes < 1:
            raise ValueError("max_processes must be at least 1")
        self.region = region
        self.account = account
        self.python = python
        self.max_processes = max_processes
        self.idle_seconds = idle_seconds
        self.log = log
        self._base_environment = dict(environment if environment is not None
                                      else inherited_environment())
        self._lock = threading.Condition()
        self._pools: dict[str, _Pool] = {}
        self._unsupported: dict[str, tuple[FunctionSpec, str]] = {}
        self._processes = 0  # started or starting, over every function
        self._closed = False
        self._inline_root: Path | None = None
        self._executor = ThreadPoolExecutor(max_workers=max_processes,
                                            thread_name_prefix="lambda-invoke")
        self._reaper: threading.Thread | None = None
        self._stop_reaper = threading.Event()
        self._checks: StartupChecks | None = None
        self._install(_unique_specs(specs))

    # -- what there is ------------------------------------------------------------------
    def names(self) -> list[str]:
        """The functions this runtime runs, sorted."""
        with self._lock:
            return sorted(self._pools)

    def spec(self, name: str) -> FunctionSpec | None:
        """The spec of function ``name`` (runnable here or not)."""
        with self._lock:
            pool = self._pools.get(name)
            if pool is not None:
                return pool.spec
            entry = self._unsupported.get(name)
            return entry[0] if entry else None

    def unsupported(self) -> list[tuple[FunctionSpec, str]]:
        """The functions this runtime cannot run (another runtime than Python, no code),
        each with the reason, for the CLI's note."""
        with self._lock:
            return [self._unsupported[name] for name in sorted(self._unsupported)]

    def notes(self) -> list[str]:
        """One-line notes on what may not behave as on Lambda: a declared runtime the
        interpreter's version differs from, a ``requirements.txt`` package that is not
        installed, a reserved variable a function tries to set, an interpreter that does
        not start. Checked once (the first call starts each interpreter once)."""
        with self._lock:
            if self._checks is None:
                self._checks = StartupChecks(
                    [pool.spec for pool in self._pools.values()], self.python)
            checks = self._checks
        return checks.notes()

    def function_arn(self, name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def process_ids(self, name: str) -> list[int]:
        """The process ids of function ``name``'s live processes (idle and busy)."""
        with self._lock:
            pool = self._pools.get(name)
            if pool is None:
                return []
            return sorted(p.pid for p in [*pool.idle, *pool.busy] if p.alive)

    # -- invoking -----------------------------------------------------------------------
    async def invoke(self, name: str, payload: Any = None, *, qualifier: str | None = None,
                     invocation_type: str = "RequestResponse",
                     client_context: str | None = None) -> InvokeResult:
        """Invoke function ``name`` as Lambda's Invoke does.

        ``payload``: JSON text (str or bytes) or a JSON value (None: ``{}``).
        ``qualifier``: ``$LATEST``, a version number or one of the spec's aliases.
        ``invocation_type``: ``RequestResponse``, ``Event`` (queued; 202 at once) or
        ``DryRun`` (checks only; 204). ``client_context``: base64 JSON, as Invoke's.
        Raises ``LambdaServiceError`` (``FunctionNotFound``, ``TooManyRequests``...) for
        what Lambda's API itself refuses; a function's failure is a result.
        """
        if self._closed:
            raise LambdaServiceError("The Lambda runtime is closed")
        if invocation_type not in INVOCATION_TYPES:
            raise errors.InvalidRequestContent(
                f"1 validation error detected: Value '{invocation_type}' at "
                "'invocationType' failed to satisfy constraint: Member must satisfy enum "
                f"value set: [{', '.join(INVOCATION_TYPES)}]")
        pool, version = self._resolve(name, qualifier)
        body = _payload_bytes(payload)
        context = _client_context(client_context)
        request_id = str(uuid.uuid4())
        if invocation_type == "DryRun":
            return InvokeResult(204, b"", version, request_id)
        invoked_arn = self.function_arn(name, qualifier)
        if invocation_type == "Event":
            self._executor.submit(self._invoke_queued, pool, request_id, body, version,
                                  invoked_arn, context)
            return InvokeResult(202, b"", version, request_id)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._invoke_in_thread, pool, request_id, body, version,
            invoked_arn, context, False)

    def _resolve(self, name: str, qualifier: str | None) -> tuple[_Pool, str]:
        """The function's pool and the version a qualifier executes."""
        with self._lock:
            pool = self._pools.get(name)
            unsupported = self._unsupported.get(name)
        if pool is None:
            raise FunctionNotFound(
                f"Function not found: {self.function_arn(name, qualifier)}",
                unsupported[1] if unsupported else None)
        if qualifier in (None, "", "$LATEST"):
            return pool, "$LATEST"
        assert qualifier is not None
        if qualifier.isdigit():
            return pool, qualifier
        if qualifier in pool.spec.aliases:
            # A local function has one published version, the code as it is: the one
            # SAM's AutoPublishAlias publishes first.
            return pool, "1"
        raise FunctionNotFound(f"Function not found: {self.function_arn(name, qualifier)}")

    def _invoke_queued(self, pool: _Pool, request_id: str, body: bytes, version: str,
                       invoked_arn: str, client_context: Any) -> None:
        """An ``Event`` invocation: no one waits for it, so its failure is logged."""
        try:
            result = self._invoke_in_thread(pool, request_id, body, version, invoked_arn,
                                            client_context, True)
        except Exception as exc:  # the runtime closed, or the function could not start
            self.log.warning("[%s] %s: the Event invocation was dropped: %s",
                             pool.spec.name, request_id, exc)
            return
        if result.function_error:
            self.log.warning("[%s] %s: the Event invocation failed: %s", pool.spec.name,
                             request_id, result.payload.decode("utf-8", "replace"))

    def _invoke_in_thread(self, pool: _Pool, request_id: str, body: bytes, version: str,
                          invoked_arn: str, client_context: Any,
                          queued: bool) -> InvokeResult:
        spec = pool.spec
        if len(body) > errors.MAX_REQUEST_BYTES:
            raise errors.RequestTooLarge("Request must be smaller than 6291456 bytes for "
                                         "the InvokeFunction operation")
        try:
            process = self._acquire(pool, wait=queued)
        except ProcessEnded as ended:  # its interpreter cannot start
            self._platform_line(spec.name, request_id, f"could not start: {ended.status}")
            return InvokeResult(200, errors.platform_error(
                "Runtime.InvalidEntrypoint", request_id,
                f"Couldn't start the function's interpreter ({ended.status})"),
                version, request_id, "Unhandled")
        started = time.monotonic()
        result: InvokeResult
        cold = process.init_ms is None
        self.log.debug("[%s] START RequestId: %s Version: %s", spec.name, request_id,
                       version)
        try:
            if cold:
                failed = process.wait_ready(started + INIT_SECONDS + spec.timeout_seconds)
                if failed is not None:
                    return InvokeResult(200, failed.body, version, request_id, "Unhandled")
            started = time.monotonic()  # the init is not the invocation's time
            request = {"request_id": request_id, "invoked_arn": invoked_arn,
                       "version": version, "client_context": client_context,
                       "deadline_ms": int((time.time() + spec.timeout_seconds) * 1000),
                       "trace_id": _trace_id()}
            answer = process.invoke(request, body,
                                    time.monotonic() + spec.timeout_seconds)
            result = self._result(answer, version, request_id)
        except DeadlineExceeded:
            self._platform_line(spec.name, request_id,
                                f"Task timed out after {spec.timeout_seconds:.2f} seconds")
            result = InvokeResult(200, errors.timed_out(request_id, spec.timeout_seconds),
                                  version, request_id, "Unhandled")
            answer = Answer(False, b"")
        except ProcessEnded as ended:
            self._platform_line(spec.name, request_id,
                                f"Error: Runtime exited with error: {ended.status}")
            result = InvokeResult(200, errors.exited(request_id, ended.status), version,
                                  request_id, "Unhandled")
            answer = Answer(False, b"")
        finally:
            self._release(pool, process)
        self._report(spec, request_id, started, answer, process.init_ms if cold else None)
        return result

    @staticmethod
    def _result(answer: Answer, version: str, request_id: str) -> InvokeResult:
        if not answer.ok:
            return InvokeResult(200, answer.body, version, request_id, "Unhandled")
        if len(answer.body) > errors.MAX_RESPONSE_BYTES:
            return InvokeResult(200, errors.response_too_large(), version, request_id,
                                "Unhandled")
        return InvokeResult(200, answer.body, version, request_id,
                            content_type=answer.content_type)

    # -- processes ----------------------------------------------------------------------
    def _acquire(self, pool: _Pool, *, wait: bool) -> FunctionProcess:
        """An idle process of ``pool``'s function, else a new one (within its reserved
        concurrency and the global cap: an idle process of another function makes room).
        """
        victim: FunctionProcess | None = None
        with self._lock:
            while True:
                if self._closed:
                    raise errors.LambdaServiceError("The Lambda runtime is closed")
                while pool.idle:
                    process = pool.idle.pop()
                    if process.alive:
                        pool.busy.add(process)
                        return process
                    self._processes -= 1
                    process.kill()
                limit = pool.spec.reserved_concurrency
                if limit is not None and pool.in_use >= limit:
                    if not wait:
                        raise TooManyRequests("Rate Exceeded.")
                    self._lock.wait()
                    continue
                if self._processes < self.max_processes:
                    self._processes += 1
                    break
                victim = self._oldest_idle()
                if victim is not None:
                    break  # its slot becomes this function's
                self._lock.wait()
            pool.starting += 1
            prepared = self._prepared(pool)
        if victim is not None:
            victim.kill()
        try:
            process = FunctionProcess(prepared, self._output)
        except BaseException:
            with self._lock:
                pool.starting -= 1
                self._processes -= 1
                self._lock.notify_all()
            raise
        with self._lock:
            pool.starting -= 1
            pool.busy.add(process)
        self._start_reaper()
        return process

    def _release(self, pool: _Pool, process: FunctionProcess) -> None:
        with self._lock:
            pool.busy.discard(process)
            current = self._pools.get(pool.spec.name) is pool
            keep = process.alive and current and not self._closed
            if keep:
                pool.idle.append(process)
            else:
                self._processes -= 1
            self._lock.notify_all()
        if not keep:
            process.kill()

    def _oldest_idle(self) -> FunctionProcess | None:
        """Take the least recently used idle process of any function (lock held)."""
        candidates = [(p.last_used, name) for name, pool in self._pools.items()
                      for p in pool.idle]
        if not candidates:
            return None
        _, name = min(candidates)
        idle = self._pools[name].idle
        oldest = min(idle, key=lambda p: p.last_used)
        idle.remove(oldest)
        return oldest

    def _prepared(self, pool: _Pool) -> PreparedFunction:
        """``pool``'s function ready to start (lock held; its inline code written once)."""
        if pool.prepared is None:
            spec = pool.spec
            if spec.code_dir is not None:
                task_root = Path(spec.code_dir).resolve()
            else:
                if self._inline_root is None:
                    self._inline_root = Path(tempfile.mkdtemp(prefix="stepfn-lambda-"))
                task_root = inline_code_folder(spec, self._inline_root)
            pool.prepared = prepare(spec, task_root, region=self.region,
                                    base=self._base_environment, python=self.python)
        return pool.prepared

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None or self._closed:
                return
            self._reaper = threading.Thread(target=self._reap, daemon=True,
                                            name="lambda-reaper")
        self._reaper.start()

    def _reap(self) -> None:
        """Kill processes idle for longer than ``idle_seconds``, now and then."""
        interval = min(max(self.idle_seconds / 4, 0.05), 30.0)
        while not self._stop_reaper.wait(interval):
            expired: list[FunctionProcess] = []
            with self._lock:
                cutoff = time.monotonic() - self.idle_seconds
                for pool in self._pools.values():
                    old = [p for p in pool.idle if p.last_used < cutoff]
                    for process in old:
                        pool.idle.remove(process)
                    expired += old
                self._processes -= len(expired)
                if expired:
                    self._lock.notify_all()
            for process in expired:
                process.kill()

    # -- changing and closing -----------------------------------------------------------
    async def reload(self, specs: Iterable[FunctionSpec], *,
                     restart: Iterable[str] = ()) -> list[str]:
        """Take a new set of functions (``--watch``): a function whose spec changed, or
        named in ``restart`` (its code changed on disk), gets new processes (busy ones
        end after their invocation); others keep theirs warm. Returns the names of the
        functions added, changed or removed."""
        return await asyncio.get_running_loop().run_in_executor(
            None, self._reload, _unique_specs(specs), set(restart))

    def _reload(self, specs: dict[str, FunctionSpec], restart: set[str]) -> list[str]:
        with self._lock:
            old = {**{n: p.spec for n, p in self._pools.items()},
                   **{n: s for n, (s, _) in self._unsupported.items()}}
            changed = sorted(name for name in {*old, *specs}
                             if old.get(name) != specs.get(name) or
                             (name in restart and name in specs))
            retired = [self._pools.pop(name) for name in changed if name in self._pools]
            for name in changed:
                self._unsupported.pop(name, None)
            self._install({name: specs[name] for name in changed if name in specs})
            self._checks = None
            stale = [p for pool in retired for p in pool.idle]
            for pool in retired:
                pool.idle.clear()
            self._processes -= len(stale)
            self._lock.notify_all()
        for process in stale:
            process.kill()
        return changed

    def _install(self, specs: Mapping[str, FunctionSpec]) -> None:
        """Add ``specs`` (lock held, or in the constructor)."""
        for name, spec in specs.items():
            reason = unsupported_reason(spec)
            if reason is not None:
                self._unsupported[name] = (spec, reason)
            else:
                self._pools[name] = _Pool(spec)

    def __enter__(self) -> LambdaRuntime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> LambdaRuntime:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop every process (an invocation under way fails with Runtime.ExitError)."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def close(self) -> None:
        """``aclose``, from synchronous code."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            idle = [p for pool in self._pools.values() for p in pool.idle]
            busy = [p for pool in self._pools.values() for p in pool.busy]
            for pool in self._pools.values():
                pool.idle.clear()
            self._processes -= len(idle)
            self._lock.notify_all()
        self._stop_reaper.set()
        for process in idle:
            process.kill()
        for process in busy:
            process.terminate()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._inline_root is not None:
            shutil.rmtree(self._inline_root, ignore_errors=True)

    # -- the log ------------------------------------------------------------------------
    def _output(self, name: str, request_id: str, line: str) -> None:
        """A line the function wrote: to the log, never lost (stderr when the server has
        configured no logging)."""
        text = f"[{name} {request_id}] {line}" if request_id else f"[{name}] {line}"
        if self.log.isEnabledFor(logging.INFO) and self.log.hasHandlers():
            self.log.info("%s", text)
        else:
            sys.stderr.write(text + "\n")

    def _platform_line(self, name: str, request_id: str, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self.log.warning("[%s] %sZ %s %s", name, stamp, request_id, message)

    def _report(self, spec: FunctionSpec, request_id: str, started: float, answer: Answer,
                init_ms: float | None) -> None:
        if not self.log.isEnabledFor(logging.INFO):
            return
        duration = (time.monotonic() - started) * 1000
        line = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
                f"Billed Duration: {int(duration) + 1} ms\tMemory Size: {spec.memory_mb} MB"
                f"\tMax Memory Used: {answer.max_memory_mb} MB")
        if init_ms is not None:
            line += f"\tInit Duration: {init_ms:.2f} ms"
        self.log.debug("[%s] END RequestId: %s", spec.name, request_id)
        self.log.info("[%s] %s", spec.name, line)


def _unique_specs(specs: Iterable[FunctionSpec]) -> dict[str, FunctionSpec]:
    found: dict[str, FunctionSpec] = {}
    for spec in specs:
        if spec.name in found:
            raise ValueError(f"two functions are named {spec.name!r}")
        found[spec.name] = spec
    return found


def _payload_bytes(payload: Any) -> bytes:
    """The request body: JSON text as it is (checked: Lambda refuses other text), or a
    value as JSON."""
    import json

    if payload is None:
        return b"{}"
    if isinstance(payload, (bytes, bytearray)):
        raw = bytes(payload)
    elif isinstance(payload, str):
        raw = payload.encode()
    else:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        json.loads(raw)
    except ValueError:
        raise errors.InvalidRequestContent(
            "Could not parse request body into json: Could not parse payload into "
            "json") from None
    return raw


def _client_context(value: str | None) -> Any:
    """Invoke's ClientContext: base64 of a JSON object (what the handler sees as
    ``context.client_context``)."""
    if not value:
        return None
    import json

    try:
        return json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        raise errors.InvalidRequestContent(
            "Client context must be a valid Base64-encoded JSON object.") from None


def _trace_id() -> str:
    """An X-Ray trace header for ``_X_AMZN_TRACE_ID``, as Lambda sets one per request."""
    return (f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};"
            f"Parent={os.urandom(8).hex()};Sampled=0;Lineage=1:{os.urandom(4).hex()}:0")


__all__ = ["InvokeResult", "LambdaRuntime", "LambdaServiceError"]
