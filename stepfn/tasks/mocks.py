"""Mocked task responses: AWS's Step Functions Local mock configuration, and more.

A mock configuration file (``MockConfigFile.json``) names, per state machine, test cases
that map Task state names to mocked responses; a mocked response gives, per invocation
of the state (``"0"``, ``"1-2"``...), a ``Return`` (the task's result) or a ``Throw``
(``Error`` and ``Cause``). A ``TaskMocks`` resolver sits in front of the real
integrations of a ``TaskDispatcher``: a Task state whose execution has a test case that
mocks it gets the mocked outcome and never reaches the real resource; every other state
runs for real. Unlike Step Functions Local, activities, ``.waitForTaskToken`` (answered
by the mock), ``.sync`` and HTTP tasks are mocked the same way.

The invocation number of a call is derived from the execution's history (how many times
the state's task was scheduled before), so a replayed execution sees the same numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StatesError
from .base import TaskCall, TaskHandler

_RANGE = re.compile(r"^(0|[1-9][0-9]*)(?:-(0|[1-9][0-9]*))?$")
_SCHEDULED = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})


class MockConfigError(ValueError):
    """A mock configuration that is not well formed; the message is one line."""

    def __init__(self, source: str, location: str, problem: str) -> None:
        super().__init__(f"{source}: {location or '/'}: {problem}")
        self.source = source
        self.location = location
        self.problem = problem


@dataclass(frozen=True)
class MockOutcome:
    """What one mocked invocation does: return ``result`` or throw ``error``/``cause``."""

    result: Any = None
    error: str | None = None
    cause: str | None = None

    def apply(self) -> Any:
        """The result, or raise the mocked error as the task's failure."""
        if self.error is not None:
            raise StatesError(self.error, self.cause)
        return self.result


class MockedResponse:
    """A named mocked response: outcomes by invocation number (0-based)."""

    def __init__(self, name: str, ranges: list[tuple[int, int, MockOutcome]]) -> None:
        self.name = name
        self.ranges = sorted(ranges, key=lambda r: r[0])

    def outcome(self, invocation: int) -> MockOutcome | None:
        """The outcome of invocation ``invocation``, or None when none is defined."""
        for low, high, outcome in self.ranges:
            if low <= invocation <= high:
                return outcome
        return None


# A Python-side mock: called with the task call and its invocation number; returns the
# result (or raises StatesError). Used by the pytest plugin.
MockFunction = Callable[[TaskCall, int], Any]
Mock = MockedResponse | MockFunction


class MockConfig:
    """A parsed, validated mock configuration (``MockConfigFile.json``)."""

    def __init__(self, machines: dict[str, dict[str, dict[str, str]]],
                 responses: dict[str, MockedResponse], source: str = "<mock config>",
                 document: Any = None) -> None:
        self.machines = machines
        self.responses = responses
        self.source = source
        # The JSON it was read from (what the processes of a fleet compare and share).
        self.document = document

    @classmethod
    def load(cls, path: str | Path) -> MockConfig:
        """Read and validate a file; raises MockConfigError with a one-line message."""
        source = str(path)
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise MockConfigError(source, "", f"cannot read the file ({exc.strerror})") \
                from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise MockConfigError(source, "", f"not valid JSON ({exc})") from None
        return cls.from_json(data, source)

    @classmethod
    def from_json(cls, data: Any, source: str = "<mock config>") -> MockConfig:
        """Validate parsed JSON; raises MockConfigError naming the JSON location."""
        def fail(location: str, problem: str) -> MockConfigError:
            return MockConfigError(source, location, problem)

        if not isinstance(data, dict):
            raise fail("", "the mock configuration must be a JSON object")
        unknown = set(data) - {"StateMachines", "MockedResponses"}
        if unknown:
            raise fail(f"/{sorted(unknown)[0]}", "unknown field (expected StateMachines "
                       "and MockedResponses)")
        responses = {name: _parse_response(name, value, fail)
                     for name, value in _object(data.get("MockedResponses", {}),
                                                "/MockedResponses", fail).items()}
        machines: dict[str, dict[str, dict[str, str]]] = {}
        for machine, spec in _object(data.get("StateMachines", {}), "/StateMachines",
                                     fail).items():
            where = f"/StateMachines/{machine}"
            spec = _object(spec, where, fail)
            if set(spec) - {"TestCases"}:
                raise fail(f"{where}/{sorted(set(spec) - {'TestCases'})[0]}",
                           "unknown field (expected TestCases)")
            cases = _object(spec.get("TestCases", {}), f"{where}/TestCases", fail)
            machines[machine] = {}
            for case, states in cases.items():
                case_where = f"{where}/TestCases/{case}"
                mapping: dict[str, str] = {}
                for state, response in _object(states, case_where, fail).items():
                    if not isinstance(response, str):
                        raise fail(f"{case_where}/{state}",
                                   "must be the name of a mocked response (a string)")
                    if response not in responses:
                        raise fail(f"{case_where}/{state}", f"no mocked response named "
                                   f"'{response}' in MockedResponses")
                    mapping[state] = response
                machines[machine][case] = mapping
        return cls(machines, responses, source, document=data)

    def test_case(self, machine: str, case: str) -> dict[str, MockedResponse]:
        """The mocks of test case ``case`` of state machine ``machine``, by state name."""
        cases = self.machines.get(machine)
        if cases is None:
            known = ", ".join(sorted(self.machines)) or "none"
            raise MockConfigError(self.source, "/StateMachines",
                                  f"no state machine named '{machine}' (it has: {known})")
        states = cases.get(case)
        if states is None:
            known = ", ".join(sorted(cases)) or "none"
            raise MockConfigError(self.source, f"/StateMachines/{machine}/TestCases",
                                  f"no test case named '{case}' (it has: {known})")
        return {state: self.responses[name] for state, name in states.items()}


def _object(value: Any, where: str, fail: Callable[[str, str], MockConfigError]) -> dict:
    if not isinstance(value, dict):
        raise fail(where, "must be a JSON object")
    return value


def _parse_response(name: str, value: Any,
                    fail: Callable[[str, str], MockConfigError]) -> MockedResponse:
    where = f"/MockedResponses/{name}"
    ranges: list[tuple[int, int, MockOutcome]] = []
    for key, spec in _object(value, where, fail).items():
        m = _RANGE.match(key)
        if not m:
            raise fail(f"{where}/{key}", "invocation keys are a number (\"0\") or a range "
                       "(\"1-2\")")
        low = int(m[1])
        high = int(m[2]) if m[2] is not None else low
        if high < low:
            raise fail(f"{where}/{key}", "the range ends before it starts")
        for other_low, other_high, _ in ranges:
            if low <= other_high and other_low <= high:
                raise fail(f"{where}/{key}", "overlaps another invocation range")
        ranges.append((low, high, _parse_outcome(spec, f"{where}/{key}", fail)))
    if not ranges:
        raise fail(where, "defines no invocation (expected keys like \"0\" or \"1-2\")")
    return MockedResponse(name, ranges)


def _parse_outcome(spec: Any, where: str,
                   fail: Callable[[str, str], MockConfigError]) -> MockOutcome:
    spec = _object(spec, where, fail)
    if len(spec) != 1 or next(iter(spec)) not in ("Return", "Throw"):
        raise fail(where, "must have exactly one of Return or Throw")
    if "Return" in spec:
        return MockOutcome(result=spec["Return"])
    throw = _object(spec["Throw"], f"{where}/Throw", fail)
    extra = set(throw) - {"Error", "Cause"}
    if extra:
        raise fail(f"{where}/Throw/{sorted(extra)[0]}", "unknown field (expected Error "
                   "and Cause)")
    error, cause = throw.get("Error"), throw.get("Cause")
    if not isinstance(error, str) or not error:
        raise fail(f"{where}/Throw", "Error must be a non-empty string")
    if cause is not None and not isinstance(cause, str):
        raise fail(f"{where}/Throw/Cause", "Cause must be a string")
    return MockOutcome(error=error, cause=cause)


class TaskMocks:
    """Decides, per task call, whether a mock answers it, and with what.

    Mocks are keyed by execution ARN (a test case applies to one execution), then by
    state name; ``by_resource`` mocks apply to every execution by resource ARN.
    """

    def __init__(self) -> None:
        self._executions: dict[str, Mapping[str, Mock]] = {}
        self.by_state: dict[str, Mock] = {}  # every execution
        self.by_resource: dict[str, Mock] = {}  # every execution
        # Every mocked call, in order: (call, invocation number); for assertions.
        self.calls: list[tuple[TaskCall, int]] = []

    def assign(self, execution_arn: str, mocks: Mapping[str, Mock]) -> None:
        """Mock the states of one execution (a test case)."""
        self._executions[execution_arn] = mocks

    def release(self, execution_arn: str) -> None:
        self._executions.pop(execution_arn, None)

    def find(self, call: TaskCall) -> Mock | None:
        """The mock that answers ``call``, if any."""
        mocks = self._executions.get(call.execution_arn)
        if mocks is not None and call.state_name in mocks:
            return mocks[call.state_name]
        mock = self.by_state.get(call.state_name)
        if mock is None:
            mock = self.by_resource.get(call.ref.arn)
        return mock

    def mocks(self, call: TaskCall) -> bool:
        return self.find(call) is not None

    def answer(self, call: TaskCall) -> Any:
        """Run the mock for ``call``: its result, or raise its StatesError."""
        mock = self.find(call)
        assert mock is not None
        invocation = invocation_number(call)
        self.calls.append((call, invocation))
        if isinstance(mock, MockedResponse):
            outcome = mock.outcome(invocation)
            if outcome is None:
                raise StatesError("States.Runtime", f"The mocked response '{mock.name}' "
                                  f"of state '{call.state_name}' defines no invocation "
                                  f"{invocation}")
            return outcome.apply()
        return mock(call, invocation)


def invocation_number(call: TaskCall) -> int:
    """How many times ``call``'s state scheduled a task before this call, in its
    execution: read from the history, so the same number comes back on replay."""
    history = call.history
    if history is None:
        return 0
    current: dict[str, str] = {}
    count = 0
    for event in history.events:
        if event.id >= call.scheduled_event_id:
            break
        if event.type.endswith("StateEntered"):
            current[event.thread] = (event.details or {}).get("name", "")
        elif event.type in _SCHEDULED and current.get(event.thread) == call.state_name:
            count += 1
    return count


class MockedHandler:
    """Answers a call from its mock when there is one, else passes it to ``real``."""

    def __init__(self, mocks: TaskMocks, real: TaskHandler | None, missing: str) -> None:
        self.mocks = mocks
        self.real = real
        self.missing = missing

    async def invoke(self, call: TaskCall) -> Any:
        if self.mocks.mocks(call):
            if call.ref.pattern == "waitForTaskToken":
                return {}  # submitted; the mock's answer comes as the token's answer
            started = call.extra.get("started")
            if started is not None:  # an activity: a worker "polls" at once
                started(None)
            return self.mocks.answer(call)
        if self.real is None:
            raise StatesError("States.Runtime", self.missing)
        return await self.real.invoke(call)
