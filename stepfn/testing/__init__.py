"""Testing workflows with pytest: an engine on virtual time, mocks, readable assertions.

The ``workflow`` fixture (registered by stepfn's pytest plugin) gives a
``WorkflowTester``::

    def test_order(workflow):
        workflow.mock("Charge", returns={"charged": True})
        run = workflow.run("order.asl.json", {"id": 7})
        assert run.path == ["Validate", "Charge", "Done"]
        assert run.calls("Charge") == [{"id": 7}]
        assert run.output == {"charged": True}

``pytest --stepfn-cov`` reports which states, Choice rules, Retry and Catch clauses and
branches of each definition the tests exercised (see ``stepfn.testing.coverage``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.execution import ExecutionResult
from ..errors import StatesError
from ..runtime import Engine
from ..tasks.base import TaskCall
from ..tasks.mocks import Mock, MockConfig

_UNSET: Any = object()
_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")


@dataclass(frozen=True)
class StateVisit:
    """One time a state was entered: its input and (once it exited) its output."""

    name: str
    input: Any
    output: Any = None
    exited: bool = False


class WorkflowRun:
    """An ended execution, read for assertions."""

    def __init__(self, result: ExecutionResult, machine_name: str) -> None:
        self.result = result
        self.machine_name = machine_name
        self.status = result.status
        self.output = result.output
        self.error = result.error
        self.cause = result.cause
        self.events = result.events

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def path(self) -> list[str]:
        """The names of the states entered, in the order they were entered (states in
        Map iterations and Parallel branches included)."""
        return [e.details["name"] for e in self.events
                if e.type.endswith("StateEntered") and e.details]

    def visits(self, state: str) -> list[StateVisit]:
        """Every visit of ``state``, in order."""
        visits: list[StateVisit] = []
        open_visit: dict[str, int] = {}  # thread -> index into visits
        for event in self.events:
            details = event.details or {}
            if event.type.endswith("StateEntered") and details.get("name") == state:
                open_visit[event.thread] = len(visits)
                visits.append(StateVisit(state, _parse(details.get("input"))))
            elif (event.type.endswith("StateExited") and details.get("name") == state
                  and event.thread in open_visit):
                index = open_visit.pop(event.thread)
                visits[index] = StateVisit(state, visits[index].input,
                                           _parse(details.get("output")), True)
        return visits

    def state(self, name: str, visit: int = 0) -> StateVisit:
        """Visit number ``visit`` (0: the first) of state ``name``."""
        visits = self.visits(name)
        if visit >= len(visits):
            raise AssertionError(f"state {name!r} was entered {len(visits)} time(s); "
                                 f"the path was {self.path}")
        return visits[visit]

    def calls(self, state: str) -> list[Any]:
        """The parameters of every task invocation of ``state`` (retries included)."""
        return [_parse(details.get("parameters", details.get("input")))
                for details in self._scheduled(state)]

    def call_count(self, state: str) -> int:
        """How many times ``state`` invoked its task (retries included)."""
        return sum(1 for _ in self._scheduled(state))

    def _scheduled(self, state: str) -> Iterator[dict]:
        current: dict[str, str] = {}
        for event in self.events:
            if event.type.endswith("StateEntered"):
                current[event.thread] = (event.details or {}).get("name", "")
            elif event.type in _SCHEDULED and current.get(event.thread) == state:
                yield event.details or {}

    def __repr__(self) -> str:
        return (f"WorkflowRun(status={self.status!r}, error={self.error!r}, "
                f"path={self.path!r})")


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class WorkflowTester:
    """Runs workflows for a test: an ``Engine`` on virtual time (Waits and retry
    back-offs take no real time), local functions, and mocks by state or resource."""

    def __init__(self, engine: Engine | None = None,
                 on_run: Callable[[dict, str, WorkflowRun], None] | None = None) -> None:
        self.engine = engine or Engine(time_skipping=True, trace=True)
        self._on_run = on_run
        self._mocks: dict[str, Mock] = {}

    def function(self, name: str | None = None) -> Callable[[Callable], Callable]:
        """Decorator: register a local function as the Lambda function ``name``."""
        return self.engine.function(name)

    def mock(self, state: str, returns: Any = _UNSET, *,
             throws: str | tuple[str, str] | None = None,
             side_effect: Callable[[Any], Any] | None = None) -> None:
        """Mock the task of ``state``: return ``returns``, throw ``throws`` (an error
        name, or ``(error, cause)``), or call ``side_effect(parameters)`` (it may raise
        ``stepfn.StatesError``)."""
        self._mocks[state] = _python_mock(returns, throws, side_effect)

    def mock_resource(self, resource: str, returns: Any = _UNSET, *,
                      throws: str | tuple[str, str] | None = None,
                      side_effect: Callable[[Any], Any] | None = None) -> None:
        """Mock every Task state whose ``Resource`` is ``resource``."""
        self.engine.mocks.by_resource[resource] = _python_mock(returns, throws, side_effect)

    def use_mock_config(self, config: str | Path | MockConfig) -> None:
        """Use a Step Functions Local mock configuration (``run(..., test_case=...)``)."""
        self.engine.mock_config = (config if isinstance(config, MockConfig)
                                   else MockConfig.load(config))

    def run(self, definition: str | Path | dict, input: Any = None, *,
            test_case: str | None = None, machine_name: str | None = None,
            name: str | None = None) -> WorkflowRun:
        """Run ``definition`` (a file path, JSON text or a dict) to its end."""
        source, default_name = _definition_source(definition)
        machine_name = machine_name or default_name
        # the one loader (as `stepfn validate` and the API): DefinitionError when invalid
        machine = self.engine.compile(source)
        result = self.engine.run(machine, input, name=name, machine_name=machine_name,
                                 test_case=test_case, mocks=dict(self._mocks))
        run = WorkflowRun(result, machine_name)
        if self._on_run is not None:
            self._on_run(machine.definition, machine_name, run)
        return run


def _python_mock(returns: Any, throws: str | tuple[str, str] | None,
                 side_effect: Callable[[Any], Any] | None) -> Mock:
    given = sum(x is not None for x in (throws, side_effect)) + (returns is not _UNSET)
    if given != 1:
        raise ValueError("give exactly one of returns, throws or side_effect")

    def answer(call: TaskCall, invocation: int) -> Any:
        if side_effect is not None:
            return side_effect(call.parameters)
        if throws is not None:
            error, cause = (throws, None) if isinstance(throws, str) else throws
            raise StatesError(error, cause)
        return returns
    return answer


def _definition_source(definition: str | Path | dict) -> tuple[str | dict, str]:
    """The definition (its text, or the dict given) and the name it goes by (a file's
    stem)."""
    if isinstance(definition, dict):
        return definition, "stepfn"
    text = str(definition)
    if isinstance(definition, Path) or not text.lstrip().startswith("{"):
        path = Path(text)
        stem = path.name.split(".")[0]
        return path.read_text(), stem
    return text, "stepfn"


__all__ = ["StateVisit", "WorkflowRun", "WorkflowTester"]
