"""The in-process Python API: compile definitions, register functions, run executions.

    from stepfn import Engine

    engine = Engine()

    @engine.function("double")
    def double(event):
        return {"value": event["value"] * 2}

    result = engine.run(definition, {"value": 21})
    result.status, result.output  # "SUCCEEDED", {"value": 42}
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import jsonutil
from .engine.clock import RealClock, SkippingClock
from .engine.execution import ExecutionResult, ExecutionRun
from .engine.history import Event, History
from .engine.machine import StateMachine, compile_definition
from .settings import Settings
from .tasks.functions import FunctionRegistry
from .tasks.http import HttpPolicy
from .tasks.mocks import Mock, MockConfig, TaskMocks
from .tasks.registry import default_dispatcher


def random_uuid() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` gives it, in a
    third of the time (no UUID object): AWS names executions this way by default."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return (f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-"
            f"{digits[20:]}")


class Engine:
    """Runs state machines in this process.

    ``time_skipping=True`` makes Wait states and retry back-offs return at once while
    the workflow sees time move on, for fast tests of long-running workflows.
    """

    def __init__(self, *, region: str = "us-east-1", account: str = "123456789012",
                 time_skipping: bool = False, max_history_events: int = 25_000,
                 role_arn: str | None = None, lambda_forward: bool | None = None,
                 http_allow: Sequence[str] | str | None = None,
                 read_connections: bool | None = None,
                 sync_poll_seconds: float | None = None,
                 mock_config: MockConfig | str | Path | None = None,
                 trace: bool = False, lambda_runtime: Any = None) -> None:
        self.region = region
        self.account = account
        self.time_skipping = time_skipping
        self.max_history_events = max_history_events
        # Keep what workflow coverage needs beyond AWS's history (the Choice rule that
        # matched, Distributed Map children's histories); the pytest plugin turns it on.
        self.trace = trace
        self.role_arn = role_arn or f"arn:aws:iam::{account}:role/stepfn"
        self._arn_prefix = f"arn:aws:states:{region}:{account}"
        self._real_clock = RealClock()  # stateless, so shared by every execution
        self.functions = FunctionRegistry()
        # Local functions as Lambda (real Lambda for other names), aws-sdk, the optimized
        # integrations (sqs/sns/dynamodb/events) and http:invoke.
        # ``lambda_forward``: other function names go to real Lambda; otherwise they fail
        # as not found. ``http_allow``: what HTTP Tasks may reach (--http-allow);
        # ``read_connections``: whether they read their EventBridge connection;
        # ``sync_poll_seconds``: how often a .sync integration asks about its job. Left
        # None, each is read from its variable (STEPFN_LAMBDA_FORWARD, STEPFN_HTTP_ALLOW,
        # STEPFN_HTTP_CONNECTIONS, STEPFN_SYNC_POLL_SECONDS: stepfn.settings).
        # ``lambda_runtime`` (a ``stepfn.lambda_runtime.LambdaRuntime``, owned by the
        # caller) runs a template's functions, for names no registered function has.
        self.lambda_runtime = lambda_runtime
        env = Settings.load(only=("lambda_forward", "http_allow", "http_connections",
                                  "sync_poll_seconds"))
        self.tasks, self.aws_clients = default_dispatcher(
            self.functions, region=region, account=account,
            lambda_forward=env.lambda_forward if lambda_forward is None else lambda_forward,
            http_policy=HttpPolicy.parse(env.http_allow if http_allow is None else http_allow),
            read_connections=(env.http_connections == "read" if read_connections is None
                              else read_connections),
            sync_poll_seconds=(env.sync_poll_seconds if sync_poll_seconds is None
                               else sync_poll_seconds),
            lambda_runtime=lambda_runtime)
        # A Step Functions Local mock configuration: ``execute(..., test_case=NAME)``.
        self.mock_config = (MockConfig.load(mock_config)
                            if isinstance(mock_config, (str, Path)) else mock_config)

    @property
    def mocks(self) -> TaskMocks:
        """The mocked task responses of this engine (installed on first use)."""
        if self.tasks.mocks is None:
            self.tasks.mocks = TaskMocks()
        mocks: TaskMocks = self.tasks.mocks
        return mocks

    # -- functions ----------------------------------------------------------------------
    def register_function(self, name: str, fn: Callable[..., Any], *,
                          blocking: bool = True, runs_in: str | None = None) -> None:
        """Register ``fn(event[, context])`` as the Lambda function ``name``.

        Plain functions run in a thread pool; ``runs_in="process"`` runs a CPU-heavy
        one in a process pool, ``runs_in="inline"`` (or ``blocking=False``) on the
        event loop itself.
        """
        self.functions.register(name, fn, blocking=blocking, runs_in=runs_in)

    def function(self, name: str | None = None, *, blocking: bool = True,
                 runs_in: str | None = None):
        """Decorator form of ``register_function`` (the name defaults to the function's)."""
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.register_function(name or fn.__name__, fn, blocking=blocking,
                                   runs_in=runs_in)
            return fn
        return decorate

    # -- running --------------------------------------------------------------------------
    def compile(self, definition: str | dict, machine_type: str = "STANDARD") -> StateMachine:
        """Validate and compile a definition; raises DefinitionError when invalid."""
        return compile_definition(definition, region=self.region, machine_type=machine_type)

    async def execute(self, definition: str | dict | StateMachine, input: Any = None, *,
                      input_text: str | None = None, name: str | None = None,
                      machine_name: str = "stepfn", test_case: str | None = None,
                      mocks: Mapping[str, Mock] | None = None,
                      on_event: Callable[[Event], None] | None = None) -> ExecutionResult:
        """Run one execution to its end (in the running event loop).

        ``test_case`` mocks the states its test case names in the mock configuration
        (under the state machine ``machine_name``); ``mocks`` mocks states by name for
        this execution (a ``MockedResponse`` or a function of the call and its
        invocation number); ``on_event`` is called with each history event as it is
        recorded."""
        machine = definition if isinstance(definition, StateMachine) else self.compile(definition)
        if input_text is not None:
            input = jsonutil.loads(input_text)
        elif input is None:
            input = {}
        name = name or random_uuid()
        prefix = self._arn_prefix
        execution_arn = f"{prefix}:execution:{machine_name}:{name}"
        if test_case is not None:
            if self.mock_config is None:
                raise ValueError("a test case needs a mock configuration (mock_config)")
            mocks = {**self.mock_config.test_case(machine_name, test_case), **(mocks or {})}
        if mocks:
            self.mocks.assign(execution_arn, mocks)
        run = ExecutionRun(
            machine, input,
            execution_arn=execution_arn, name=name,
            machine_arn=f"{prefix}:stateMachine:{machine_name}", machine_name=machine_name,
            tasks=self.tasks, role_arn=self.role_arn,
            clock=SkippingClock() if self.time_skipping else self._real_clock,
            history=History(self.max_history_events, on_append=on_event, trace=self.trace),
            input_text=input_text)
        try:
            return await run.run()
        finally:
            if mocks:
                self.mocks.release(execution_arn)

    def run(self, definition: str | dict | StateMachine, input: Any = None,
            **kwargs: Any) -> ExecutionResult:
        """Synchronous ``execute``: runs its own event loop."""
        return asyncio.run(self.execute(definition, input, **kwargs))
