"""TestState: run one state on a given input, without creating a state machine.

The state runs through the same interpreter as any execution, on a throwaway history,
with what the API lets a caller set around it: ``stateName`` (one state of a whole
definition), ``variables``, ``context`` (merged into the context object ``$$``), a
``mock`` standing in for the Task's, Map's or Parallel's invocation (its ``result`` or
``errorOutput``), and ``stateConfiguration`` (how many retries already happened, which
inner state a mocked Map/Parallel error came from, how many Map iterations failed).

As on AWS, a state with Retry and Catch runs *one* attempt: an error a retrier still
accepts answers ``RETRIABLE`` (with the retrier's index and back-off), one a catcher
takes answers ``CAUGHT_ERROR`` (with the catcher's output and its ``Next``), any other
``FAILED``. ``inspectionLevel`` DEBUG/TRACE adds the data at each processing stage (for a
Map: afterItemsPath, afterItemBatcher, afterItemSelector, its limits).

AWS tests a Map or Parallel state only against a ``mock``, and so does stepfn.
``revealSecrets``: AWS hides only what an EventBridge connection adds to an HTTP Task's
request (its authorization and parameters); the TRACE request shows them only with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import jsonutil
from ..asl.loader import load, load_test_state
from ..asl.model import StateModel
from ..engine.execution import ExecutionRun
from ..engine.frame import Frame
from ..engine.history import History
from ..engine.machine import Compiler, StateMachine
from ..engine.recovery import find_retrier
from ..engine.states.base import State, Step
from ..engine.states.item_formats import resolve_pointer
from ..engine.states.map_ import MapItems
from ..engine.states.recoverable import error_output_of
from ..errors import DefinitionError, StatesError
from ..tasks.base import TaskDispatcher
from ..tasks.http import HTTP_TRACE, HttpAnswer, HttpRequest
from .errors import InvalidDefinition, InvalidRequest
from .mock_validation import check_mock_result

#: The state types a mock may stand in for (the API: "Task, Map, or Parallel states").
MOCKABLE = frozenset({"Task", "Map", "Parallel"})


@dataclass
class _Handled:
    """How the one attempt's error was handled: by retrier or catcher ``index``."""

    error: StatesError
    retry_index: int | None = None
    backoff: int | None = None
    catch_index: int | None = None


class _TestFrame(Frame):
    """A frame whose context object has the request's ``context`` merged in."""

    __slots__ = ("context_override",)

    def __init__(self, run: ExecutionRun, variables: dict, override: dict | None) -> None:
        super().__init__(run, variables, 0)
        self.context_override = override

    def _build_context(self) -> dict:
        built = super()._build_context()
        return _merge(built, self.context_override) if self.context_override else built


def _merge(base: dict, override: dict) -> dict:
    """``override`` laid over ``base``, objects merged member by member."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


async def run_test_state(request: dict, tasks: TaskDispatcher, region: str,
                         account: str) -> dict:
    """The TestState answer for ``request`` (the API has checked its members)."""
    model, machine = _state_of(request)
    mock = request.get("mock")
    _check_request(request, model, machine)
    try:
        state = Compiler(region).compile_state(model)
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidDefinition(f"Invalid State Definition: {exc}") from None
    _use_reader_data(state, request.get("stateConfiguration") or {})
    input_text = request.get("input") or "{}"
    run = ExecutionRun(
        StateMachine(model.name, {model.name: state}), jsonutil.loads(input_text),
        input_text=input_text,
        execution_arn=f"arn:aws:states:{region}:{account}:execution:TestState:test",
        name="test", machine_arn=f"arn:aws:states:{region}:{account}:stateMachine:TestState",
        machine_name="TestState", tasks=tasks, role_arn=request.get("roleArn", ""),
        history=History())
    variables = jsonutil.loads(request["variables"]) if request.get("variables") else {}
    context = jsonutil.loads(request["context"]) if request.get("context") else None
    frame = _TestFrame(run, dict(variables), context if isinstance(context, dict) else None)
    stages: dict[str, Any] = {}
    one = _OneAttempt(state, request.get("stateConfiguration") or {}, mock, stages)
    answer: dict[str, Any] = {}
    http_seen: dict[str, dict] = {}
    token = HTTP_TRACE.set(_http_recorder(http_seen, bool(request.get("revealSecrets")))
                           if request.get("inspectionLevel") == "TRACE" else None)
    try:
        output, next_state = await one.execute(frame, run.input)
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
    finally:
        HTTP_TRACE.reset(token)
    if one.handled is not None:
        _report_handled(one.handled, answer)
    if request.get("inspectionLevel") in ("DEBUG", "TRACE"):
        answer["inspectionData"] = _inspection(state, frame, run.input, input_text, stages,
                                               one.handled)
        answer["inspectionData"].update(http_seen)
    return answer


def _http_recorder(seen: dict[str, dict], reveal: bool = False) -> Any:
    """A ``HTTP_TRACE`` hook keeping the HTTP Task's request and response as
    ``inspectionData`` shows them (headers as ``Name: value`` lines); what an
    EventBridge connection added to the request is shown only with ``revealSecrets``."""

    def record(request: HttpRequest, answer: HttpAnswer) -> None:
        if not reveal and request.without_connection is not None:
            request = request.without_connection
        protocol = urlsplit(request.url).scheme.upper()
        seen["request"] = {
            "protocol": protocol, "method": request.method, "url": request.url,
            "headers": _header_text(request.headers.items()),
            "body": (request.body or b"").decode("utf-8", "replace")}
        seen["response"] = {
            "protocol": protocol, "statusCode": str(answer.status),
            "statusMessage": answer.reason, "headers": _header_text(answer.headers),
            "body": answer.body.decode("utf-8", "replace")}

    return record


def _header_text(headers: Any) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


class _GivenItems:
    """An ItemReader that reads ``mapItemReaderData`` instead of its S3 source: an
    object's text for ``getObject`` (parsed by ReaderConfig), a JSON array of listed
    objects for ``listObjectsV2``."""

    def __init__(self, reader: Any, data: str) -> None:
        self.reader = reader
        self.data = data

    async def read(self, frame: Frame, effective: Any) -> list:
        return self.read_now(frame, effective)

    def after_items_pointer(self) -> str | None:
        """``afterItemsPointer``: what the ReaderConfig's ItemsPointer selects in the
        JSON data (None without one, or for other input types)."""
        reader = self.reader
        if not reader.items_pointer or reader.input_type != "JSON":
            return None
        try:
            document = jsonutil.loads(self.data)
        except ValueError:
            return None
        return jsonutil.dumps(resolve_pointer(document, reader.items_pointer))

    def read_now(self, frame: Frame, effective: Any) -> list:
        """The items, read without waiting (the data is in the request)."""
        if self.reader.action == "listObjectsV2":
            items = jsonutil.loads(self.data)
            if not isinstance(items, list):
                raise StatesError("States.ItemReaderFailed",
                                  "mapItemReaderData for listObjectsV2 must be a JSON array")
        else:
            items = self.reader.parse(self.data)
        limit = self.reader.max_items(frame, effective)
        return items[:limit] if limit else items


def _use_reader_data(state: State, config: dict) -> None:
    data = config.get("mapItemReaderData")
    if data is None:
        return
    reader = getattr(state, "item_reader", None)
    if reader is None:
        raise InvalidRequest("mapItemReaderData applies to a Map state with an ItemReader")
    state.item_reader = _GivenItems(reader, data)  # type: ignore[attr-defined]


def _report_handled(handled: _Handled, answer: dict) -> None:
    """RETRIABLE or CAUGHT_ERROR, with the error that led there."""
    err = handled.error
    answer["status"] = "RETRIABLE" if handled.retry_index is not None else "CAUGHT_ERROR"
    answer["error"] = err.error
    if err.cause is not None:
        answer["cause"] = err.cause
    if handled.retry_index is not None:
        answer.pop("output", None)
        answer.pop("nextState", None)


def _inspection(state: State, frame: Frame, raw_input: Any, input_text: str,
                stages: dict[str, Any], handled: _Handled | None) -> dict[str, Any]:
    inspection: dict[str, Any] = {"input": input_text}
    try:
        documents = state.io.inspect(frame, raw_input)
    except StatesError:
        documents = {}
    if "Arguments" in state.model.fields and not stages:
        documents.update(_arguments_stage(state.io, frame, raw_input, raw_input))
    documents.update(stages)
    for key, value in documents.items():
        inspection[key] = jsonutil.dumps(value)
    inspection["variables"] = jsonutil.dumps(frame.variables)
    if state.model.type == "Map":
        inspection.update(_map_stages(state, frame, raw_input))
    if handled is not None:
        details: dict[str, int] = {}
        if handled.retry_index is not None:
            details["retryIndex"] = handled.retry_index
            details["retryBackoffIntervalSeconds"] = handled.backoff or 0
        if handled.catch_index is not None:
            details["catchIndex"] = handled.catch_index
        inspection["errorDetails"] = details
    return inspection


def _map_stages(state: Any, frame: Frame, raw_input: Any) -> dict[str, Any]:
    """A Map's items after ItemsPath and its MaxConcurrency and tolerated failures, as
    the state reads them from its input."""
    fields = state.model.fields
    found: dict[str, Any] = {}
    try:
        effective = state.io.effective_input(frame, raw_input)
        items: list | None = None
        if state.item_reader is None:
            selected = state.items(frame, effective)
            found["afterItemsPath"] = jsonutil.dumps(selected)
            items = MapItems(selected)
        elif isinstance(state.item_reader, _GivenItems):
            pointed = state.item_reader.after_items_pointer()
            if pointed is not None:
                found["afterItemsPointer"] = pointed
            items = state.item_reader.read_now(frame, effective)
        if items is not None:
            found.update(_iteration_inputs(state, frame, effective, items))
        if "MaxConcurrency" in fields or "MaxConcurrencyPath" in fields:
            found["maxConcurrency"] = int(state.max_concurrency(frame, effective))
        if "ToleratedFailureCount" in fields or "ToleratedFailureCountPath" in fields:
            found["toleratedFailureCount"] = int(state.tolerated_count(frame, effective))
        if ("ToleratedFailurePercentage" in fields
                or "ToleratedFailurePercentagePath" in fields):
            found["toleratedFailurePercentage"] = float(
                state.tolerated_percentage(frame, effective))
    except (StatesError, TypeError, ValueError):
        pass  # the run itself reports the error
    return found


def _iteration_inputs(state: Any, frame: Frame, effective: Any, items: list
                      ) -> dict[str, str]:
    """``afterItemBatcher`` (the batches) and ``afterItemSelector`` (each iteration's
    input), for a Map that has those fields, computed as the Map computes them."""
    found: dict[str, str] = {}
    if state.item_batcher is not None:
        items = state.item_batcher.batches(frame, effective, items)
        found["afterItemBatcher"] = jsonutil.dumps(items)
    if state.select_item is not None:
        found["afterItemSelector"] = jsonutil.dumps(
            [state.item_input(frame, effective, items, i) for i in range(len(items))])
    return found


class _OneAttempt:
    """Stands in for a state's ``recovery`` (and, with a mock, for its invocation) so
    the state runs one attempt and reports how its Retry/Catch would handle an error."""

    def __init__(self, state: State, config: dict, mock: dict | None,
                 stages: dict[str, Any]) -> None:
        self.state = state
        self.config = config
        self.mock = mock
        self.stages = stages
        self.handled: _Handled | None = None
        recovery = getattr(state, "recovery", None)
        self.retriers = recovery.retriers if recovery is not None else ()
        self.catchers = recovery.catchers if recovery is not None else ()
        if recovery is not None:
            state.recovery = self  # type: ignore[attr-defined]
            self._record_result_stages()

    async def execute(self, frame: Frame, raw_input: Any) -> Step:
        return await self.state.execute(frame, raw_input)

    async def run(self, attempt: Any, frame: Frame, raw_input: Any, arguments: Any) -> Step:
        """``Recovery.run`` for one attempt: TestState's answer to an error."""
        state = self.state
        try:
            if self.mock is not None:
                output, assigned = self._mocked(frame, raw_input, arguments)
            else:
                output, assigned = await attempt(frame, raw_input, arguments)
        except StatesError as raised:
            err = state.io.report(frame, raised)
            return self._handle(frame, raw_input, err)
        return state.record_exited(frame, output, assigned), state.next_state

    def _mocked(self, frame: Frame, raw_input: Any, effective: Any) -> tuple[Any, Any]:
        """The mock's result through the state's result processing, or its error."""
        io = self.state.io
        if self.state.model.type == "Task":  # Parameters/Arguments are still evaluated
            self.stages.update(_arguments_stage(io, frame, raw_input, effective))
        mock = self.mock or {}
        if "errorOutput" in mock:
            error_output = mock["errorOutput"] or {}
            raise StatesError(error_output.get("error") or "States.TaskFailed",
                              error_output.get("cause"))
        result = jsonutil.loads(mock["result"])
        self._check_tolerated_failures(frame, raw_input, result)
        return io.result_output(frame, raw_input, result)

    def _check_tolerated_failures(self, frame: Frame, raw_input: Any, result: Any) -> None:
        """A Map whose ``mapIterationFailureCount`` passes its tolerance fails as AWS's
        Map does (States.ExceedToleratedFailureThreshold)."""
        failures = self.config.get("mapIterationFailureCount")
        if failures is None or self.state.model.type != "Map":
            return
        fields = self.state.model.fields
        count = fields.get("ToleratedFailureCount", 0)
        percentage = fields.get("ToleratedFailurePercentage", 0)
        total = len(result) if isinstance(result, list) else failures
        allowed = count if isinstance(count, int) else 0
        if isinstance(percentage, (int, float)) and percentage and total:
            allowed = max(allowed, math.floor(total * percentage / 100))
        if failures > allowed:
            raise StatesError("States.ExceedToleratedFailureThreshold",
                              "The specified tolerated failure threshold was exceeded")

    def _handle(self, frame: Frame, raw_input: Any, err: StatesError) -> Step:
        index = find_retrier(self.retriers, err.error)
        done = int(self.config.get("retrierRetryCount") or 0)
        if index >= 0 and done < self.retriers[index].max_attempts:
            retrier = self.retriers[index]
            self.handled = _Handled(err, retry_index=index,
                                    backoff=int(retrier.delay(done)))
            return None, None
        for position, catcher in enumerate(self.catchers):
            if catcher_matches(catcher, err.error):
                output, assigned = catcher.output(frame, raw_input, error_output_of(err))
                self.handled = _Handled(err, catch_index=position)
                return self.state.record_exited(frame, output, assigned), catcher.next
        raise err

    def _record_result_stages(self) -> None:
        """Wrap the state's result processing so the stages are kept for inspection."""
        io = self.state.io
        process = io.result_output
        stages = self.stages

        def result_output(frame: Frame, raw: Any, result: Any) -> Any:
            stages["result"] = result
            stages.update(result_stages(io, frame, raw, result))
            return process(frame, raw, result)

        io.result_output = result_output  # type: ignore[method-assign]


def _arguments_stage(io: Any, frame: Frame, raw: Any, effective: Any) -> dict[str, Any]:
    """``afterArguments`` of a JSONata state (JSONPath states show ``afterParameters``
    through ``inspect``); evaluating it raises the errors AWS would raise."""
    if getattr(io, "arguments_template", None) is None:
        io.arguments(frame, raw, effective)
        return {}
    return {"afterArguments": io.arguments(frame, raw, effective)}


def catcher_matches(catcher: Any, error: str) -> bool:
    from ..engine.recovery import error_matches

    return error_matches(catcher.error_equals, error)


def result_stages(io: Any, frame: Frame, raw: Any, result: Any) -> dict[str, Any]:
    """``afterResultSelector`` and ``afterResultPath`` of a JSONPath state's result
    (JSONata states have neither field: their output comes from ``Output``)."""
    selector = getattr(io, "result_selector", None)
    result_path = getattr(io, "result_path", None)
    if result_path is None:
        return {}
    try:
        selected = selector(result, frame) if selector is not None else result
        return {"afterResultSelector": selected, "afterResultPath": result_path(raw, selected)}
    except StatesError:
        return {}


def _state_of(request: dict) -> tuple[StateModel, dict | None]:
    """The state to test, and the whole definition when one was given; both come
    through the one loader (``stepfn.asl.loader``), as a machine's definition does."""
    text = request["definition"]
    try:
        document = jsonutil.loads(text)
    except (ValueError, RecursionError):
        document = None  # the loader words the parse error as AWS does
    if isinstance(document, dict) and "States" in document:
        # a whole machine and the name of the state to test
        loaded = load(text)
        if not loaded.valid or loaded.model is None:
            raise InvalidDefinition(DefinitionError(loaded.errors).aws_message())
        machine = loaded.model
        name = request.get("stateName") or machine.start_at
        state = machine.states.get(name) if isinstance(name, str) else None
        if state is None:
            raise InvalidDefinition(f"State '{name}' not found in the definition")
        return state, document
    if request.get("stateName"):
        raise InvalidDefinition("Invalid State Definition: stateName needs a "
                       "full state machine definition (StartAt and States)")
    try:
        return load_test_state(text), None
    except DefinitionError as exc:
        raise InvalidDefinition(exc.aws_message().replace(
            "Invalid State Machine Definition", "Invalid State Definition", 1)) from None


def _check_request(request: dict, model: StateModel, machine: dict | None) -> None:
    """The API's rules for mock, context and stateConfiguration."""
    mock = request.get("mock")
    if mock is None and model.type in ("Map", "Parallel"):
        # AWS runs a Map or Parallel state only against a mock of its result or error.
        raise InvalidDefinition("TestState API does not support Map or Parallel "
                       "states. Supported state types include: [Task, Wait, Pass, Succeed, "
                       "Fail, Choice]")
    if mock is not None:
        if model.type not in MOCKABLE:
            raise InvalidRequest(f"State type '{model.type}' is not "
                           "supported when a mock is specified")
        if request.get("revealSecrets"):
            raise InvalidRequest(
                "TestState does not support RevealSecrets when a mock is specified.")
        has_result = mock.get("result") is not None
        has_error = mock.get("errorOutput") is not None
        if has_result and has_error:
            raise InvalidRequest("A test mock should have only one of the "
                           "following fields: [result, errorOutput].")
        if not has_result and not has_error:
            raise InvalidRequest("A mock must specify exactly one of result or errorOutput")
        if has_result:
            try:
                result = jsonutil.loads(mock["result"])
            except ValueError:
                raise InvalidRequest("Mocked result must be valid JSON") from None
            if model.type == "Map":  # a Map's result: its array, or ResultWriter's object
                if "ResultWriter" in model.fields and not isinstance(result, dict):
                    raise InvalidRequest("Mocked result must be a JSON object.")
                if "ResultWriter" not in model.fields and not isinstance(result, list):
                    raise InvalidRequest("Mocked result must be an array.")
            if model.type == "Task" and isinstance(model.fields.get("Resource"), str):
                check_mock_result(model.fields["Resource"], result,
                                  mock.get("fieldValidationMode"))
    elif request.get("context") is not None:
        raise InvalidRequest("context may only be specified together with a mock")
    config = request.get("stateConfiguration") or {}
    caused_by = config.get("errorCausedByState")
    if caused_by is not None:
        if model.type not in ("Map", "Parallel") or mock is None or "errorOutput" not in mock:
            raise InvalidRequest("errorCausedByState applies to a mocked "
                           "error of a Map or Parallel state")
        if caused_by not in _inner_state_names(model.fields):
            raise InvalidRequest(f"State '{caused_by}' is not a state of {model.name}")
    if config.get("mapIterationFailureCount") is not None and model.type != "Map":
        raise InvalidRequest("mapIterationFailureCount applies to a Map state")


def _inner_state_names(fields: dict) -> set[str]:
    """Every state name inside a Map's processor or a Parallel's branches, any depth."""
    names: set[str] = set()
    graphs = list(fields.get("Branches") or ())
    for key in ("ItemProcessor", "Iterator"):
        if isinstance(fields.get(key), dict):
            graphs.append(fields[key])
    for graph in graphs:
        for name, spec in (graph.get("States") or {}).items():
            names.add(name)
            if isinstance(spec, dict):
                names |= _inner_state_names(spec)
    return names
