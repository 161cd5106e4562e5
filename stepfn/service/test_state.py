"""TestState: run one state on a given input, without creating a state machine.

The state runs through the same interpreter as any execution, on a throwaway history;
``inspectionLevel`` DEBUG/TRACE adds the intermediate data AWS shows (input after
InputPath and after Parameters, the variables).
"""

from __future__ import annotations

from typing import Any

from .. import jsonutil
from ..api.errors import ApiError
from ..asl.model import JSONPATH, StateModel, load_model, load_state
from ..engine.execution import ExecutionRun
from ..engine.frame import Frame
from ..engine.history import History
from ..engine.machine import Compiler, StateMachine
from ..engine.states.base import State
from ..errors import StatesError
from ..tasks.base import TaskDispatcher


async def run_test_state(request: dict, tasks: TaskDispatcher, region: str,
                         account: str) -> dict:
    """The TestState answer for ``request`` (the API has checked its members)."""
    model = _state_of(request)
    try:
        state = Compiler(region).compile_state(model)
    except (KeyError, ValueError, TypeError) as exc:
        raise ApiError("InvalidDefinition", f"Invalid State Definition: {exc}") from None
    input_text = request.get("input") or "{}"
    run = ExecutionRun(
        StateMachine(model.name, {model.name: state}), jsonutil.loads(input_text),
        input_text=input_text,
        execution_arn=f"arn:aws:states:{region}:{account}:execution:TestState:test",
        name="test", machine_arn=f"arn:aws:states:{region}:{account}:stateMachine:TestState",
        machine_name="TestState", tasks=tasks, role_arn=request.get("roleArn", ""),
        history=History())
    variables = jsonutil.loads(request["variables"]) if request.get("variables") else {}
    frame = Frame(run, dict(variables), 0)
    answer: dict[str, Any] = {}
    inspection: dict[str, Any] = {"input": input_text}
    try:
        output, next_state = await state.execute(frame, run.input)
    except Exception as exc:  # a bug too answers as AWS would: States.Runtime
        err = (run.locate(exc, frame) if isinstance(exc, StatesError)
               else run.internal_error(frame, exc))
        answer.update(status="FAILED", error=err.error)
        if err.cause is not None:
            answer["cause"] = err.cause
    else:
        answer.update(status="SUCCEEDED", output=jsonutil.dumps(output))
        if next_state is not None:
            answer["nextState"] = next_state
    if request.get("inspectionLevel") in ("DEBUG", "TRACE"):
        _inspect(state, frame, run.input, inspection)
        inspection["variables"] = jsonutil.dumps(frame.variables)
        answer["inspectionData"] = inspection
    return answer


def _state_of(request: dict) -> StateModel:
    try:
        document = jsonutil.loads(request["definition"])
    except ValueError as exc:
        raise ApiError("InvalidDefinition", f"Invalid State Definition: {exc}") from None
    if not isinstance(document, dict):
        raise ApiError("InvalidDefinition", "Invalid State Definition: not a JSON object")
    if "States" in document:  # a whole machine and the name of the state to test
        machine = load_model(document)
        name = request.get("stateName") or machine.start_at
        state = machine.states.get(name) if isinstance(name, str) else None
        if state is None:
            raise ApiError("InvalidDefinition", f"State '{name}' not found in the definition")
        return state
    return load_state(request.get("stateName") or "TestState", document, JSONPATH)


def _inspect(state: State, frame: Frame, raw_input: Any, inspection: dict) -> None:
    """The state's input after InputPath and Parameters, recomputed side-effect free."""
    try:
        documents = state.io.inspect(frame, raw_input)
    except StatesError:
        return
    for key, value in documents.items():
        inspection[key] = jsonutil.dumps(value)
