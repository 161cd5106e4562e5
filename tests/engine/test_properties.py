"""Property: whatever the definition and its input, an execution ends as AWS ends one.

Hypothesis draws valid definitions across every state type and both query languages
(see ``strategies.py``) with inputs that do and do not fit them, and runs them in-process.
Every execution must end with an AWS status; a failed one with an AWS error name and a
cause free of Python text (no traceback, no exception repr, never the interpreter's
"internal error", which means an unexpected Python exception was caught); and the
history must be closed the way AWS closes it.

The suite runs a bounded, derandomized sample. A long, randomized run:

    STEPFN_HYPOTHESIS_EXAMPLES=20000 .venv/bin/python -m pytest -q -p no:cacheprovider \\
        tests/engine/test_properties.py
"""

from __future__ import annotations

import os
import re
from typing import Any

from hypothesis import HealthCheck, assume, given, settings

from stepfn import Engine
from stepfn.asl.validate import validate_definition
from stepfn.engine.execution import INTERNAL_ERROR_DETAIL, ExecutionResult

from .strategies import FUNCTIONS, documents, machines

_LONG_RUN = os.environ.get("STEPFN_HYPOTHESIS_EXAMPLES")
EXAMPLES = int(_LONG_RUN or "120")
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=_LONG_RUN is None,  # the suite's sample is the same on every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)

# The error names AWS gives the failures it raises itself (user-defined names, from Fail
# states and functions, do not start with "States.").
AWS_ERRORS = frozenset({
    "States.Runtime", "States.IntrinsicFailure", "States.QueryEvaluationError",
    "States.ResultPathMatchFailure", "States.ParameterPathFailure",
    "States.DataLimitExceeded", "States.NoChoiceMatched", "States.TaskFailed",
    "States.Timeout", "States.HeartbeatTimeout", "States.BranchFailed",
    "States.ExceedToleratedFailureThreshold", "States.ItemReaderFailed",
    "States.ResultWriterFailed", "States.Permissions",
})
# Python leaking into a cause: a traceback, an exception's repr or name, an object repr.
_PYTHON_TEXT = re.compile(
    r"Traceback \(most recent call last\)|\bobject at 0x[0-9a-f]+|"
    r"\b(?:Key|Type|Attribute|Index|Value|Recursion|ZeroDivision|Overflow|Name|Assertion|"
    r"Lookup|Unicode(?:Decode|Encode)?|Runtime|NotImplemented)Error\b|\bNoneType\b|"
    r"\bstepfn\.")
_TERMINAL = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed",
             "TIMED_OUT": "ExecutionTimedOut", "ABORTED": "ExecutionAborted"}
# Events that open something the history must close, and the events that close it.
_CLOSERS = {
    "MapIterationStarted": (("MapIterationSucceeded", "MapIterationFailed",
                             "MapIterationAborted"), "MapStateAborted"),
    "LambdaFunctionScheduled": (("LambdaFunctionSucceeded", "LambdaFunctionFailed",
                                 "LambdaFunctionTimedOut", "LambdaFunctionScheduleFailed",
                                 "LambdaFunctionStartFailed"), "TaskStateAborted"),
    "TaskScheduled": (("TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskStartFailed",
                       "TaskSubmitFailed"), "TaskStateAborted"),
}


def _engine() -> Engine:
    engine = Engine(time_skipping=True)
    for name, fn in FUNCTIONS.items():
        engine.register_function(name, fn, runs_in="inline")
    return engine


ENGINE = _engine()


def check_ended_as_aws(result: ExecutionResult) -> None:
    """The assertions of the property, on one finished execution."""
    assert result.status in _TERMINAL, result.status
    if result.status == "FAILED":
        assert result.error is None or isinstance(result.error, str)
        if result.error is not None and result.error.startswith("States."):
            assert result.error in AWS_ERRORS, result.error
            cause = result.cause or ""
            assert INTERNAL_ERROR_DETAIL not in cause, cause
            assert not _PYTHON_TEXT.search(cause), cause
    check_history(result)


def check_history(result: ExecutionResult) -> None:
    events = result.events
    assert events and events[0].type == "ExecutionStarted"
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert all(0 <= e.previous_event_id < e.id for e in events)
    terminal = [e for e in events if e.type in _TERMINAL.values()]
    assert terminal == [events[-1]], [e.type for e in terminal]
    assert events[-1].type == _TERMINAL[result.status]
    if result.status == "FAILED":
        details = events[-1].details or {}
        assert details.get("error") == result.error
        assert details.get("cause") == result.cause
    if result.status in ("TIMED_OUT", "ABORTED"):
        return  # the execution ends there, with whatever was running left open
    for opener, (closers, aborted) in _CLOSERS.items():
        for thread in {e.thread for e in events}:
            mine = [e.type for e in events if e.thread == thread]
            opened, closed = mine.count(opener), sum(t in closers for t in mine)
            # A task still running when its branch is aborted ends with the state's
            # Aborted event alone, as on AWS.
            assert closed <= opened <= closed + mine.count(aborted), (opener, thread, mine)


def run_checked(definition: dict, value: Any) -> ExecutionResult:
    diagnostics = validate_definition(definition)
    assume(not any(d.severity == "ERROR" for d in diagnostics))
    machine = ENGINE.compile(definition)  # valid, so it must compile
    result = ENGINE.run(machine, value)
    check_ended_as_aws(result)
    return result


@PROPERTY_SETTINGS
@given(definition=machines(), value=documents)
def test_every_execution_ends_as_aws_ends_it(definition: dict, value: Any) -> None:
    run_checked(definition, value)


@PROPERTY_SETTINGS
@given(definition=machines(language="JSONPath"), value=documents)
def test_jsonpath_executions_end_as_aws_ends_them(definition: dict, value: Any) -> None:
    run_checked(definition, value)


def test_the_generator_mostly_yields_valid_definitions() -> None:
    # Guards the properties' reach: invalid definitions are skipped, so if most drawn
    # definitions failed validation the properties above would test almost nothing.
    verdicts: list[bool] = []

    @settings(PROPERTY_SETTINGS, max_examples=60)
    @given(definition=machines())
    def draw(definition: dict) -> None:
        verdicts.append(not any(d.severity == "ERROR"
                                for d in validate_definition(definition)))

    draw()
    assert sum(verdicts) >= len(verdicts) // 2, (sum(verdicts), len(verdicts))
