"""The query language of a state, as a strategy chosen when the state is compiled.

Every state type is one class; what differs between JSONPath and JSONata is how a
state's input is prepared, how a result becomes its output, how Assign and a
catcher's output are made, and how its value fields (Seconds, TimeoutSeconds, Items,
MaxConcurrency, Error...) are read. ``QueryIO`` is that interface; ``JsonPathIO``
(here) and ``JsonataIO`` (``jsonata_io.py``) implement it. ``make_io`` picks one per
state, once, so a state pays only for the steps its definition has.

Conventions: a *reader* compiled by a ``QueryIO`` method is ``f(frame, doc) -> value``
where ``doc`` is the state's effective input (after InputPath for JSONPath, the raw
input for JSONata); an *outcome* is ``(output, assignments or None)``.

AWS's order for JSONPath:

    raw input --InputPath--> effective input --Parameters--> task/branch input
    result --ResultSelector--> selected result --ResultPath (into raw input)--> merged
    merged --OutputPath--> state output
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from ...asl.model import JSONATA, StateModel
from ...asl.paths import Getter, compile_reference, path_and_document
from ...asl.templates import compile_payload
from ...errors import PathNotFound, StatesError
from ...jsonutil import dumps, json_type_name
from ..frame import Frame
from ..recovery import Catcher
from .map_fields import number_field
from .steps import (
    apply_io_path,
    compile_io_path,
    compile_result_path,
    describe_missing,
    parse_timestamp,
)

Outcome = tuple[Any, "dict | None"]
Reader = Callable[[Frame, Any], Any]
FrameReader = Callable[[Frame], Any]
Transform = Callable[[Frame, Any], Outcome]
ABSENT: Any = object()


class QueryIO(ABC):
    """How one state reads its input and shapes its output in its query language."""

    name: str
    #: Whether the state's steps can run without the async error translation (JSONata
    #: evaluation errors are turned into AWS's EvaluationFailed in ``escalate``).
    pure: bool = True
    #: Whether a Parallel state evaluates its branches' input on each attempt (JSONata's
    #: Arguments) rather than once before retrying (JSONPath's InputPath + Parameters).
    arguments_per_attempt: bool = False

    # -- errors ---------------------------------------------------------------------------
    def escalate(self, frame: Frame, err: StatesError) -> StatesError:
        """An error leaving the state, as the state reports it."""
        return err

    def report(self, frame: Frame, err: StatesError) -> StatesError:
        """An error of one attempt, before Retry/Catch see it (with AWS's sentence)."""
        return frame.run.locate(err, frame)

    # -- input and output -------------------------------------------------------------
    @abstractmethod
    def effective_input(self, frame: Frame, raw: Any) -> Any:
        """The input the state's fields read (JSONPath: after InputPath)."""
        raise NotImplementedError

    @abstractmethod
    def arguments(self, frame: Frame, raw: Any, effective: Any) -> Any:
        """A task's (or Parallel's branches') input: Parameters or Arguments."""
        raise NotImplementedError

    @abstractmethod
    def result_output(self, frame: Frame, raw: Any, result: Any) -> Outcome:
        """A Task, Map or Parallel result made the state's output, with Assign."""
        raise NotImplementedError

    @abstractmethod
    def plain_output(self, frame: Frame, raw: Any, effective: Any) -> Outcome:
        """The output of a state without a result (Wait, Succeed), with Assign."""
        raise NotImplementedError

    @abstractmethod
    def pass_transform(self, result: Any) -> Transform:
        """A Pass state's whole processing (``result``: its Result, or ABSENT)."""
        raise NotImplementedError

    def pass_output(self, result: Any) -> Callable[[Frame, Any], Any] | None:
        """A Pass state's processing as ``(frame, raw) -> output`` when it assigns
        nothing and has a fast form; None otherwise (``pass_transform`` then)."""
        return None

    def succeed_transform(self) -> Callable[[Frame, Any], Any] | None:
        """A Succeed state's output from its input; None when it is the input itself."""
        return lambda frame, raw: self.plain_output(frame, raw, self.effective_input(frame, raw))[0]

    @abstractmethod
    def choice(self, model: StateModel, no_match: Callable[[Frame], str]
               ) -> Callable[[Frame, Any], tuple[Any, dict | None, str, int | None]]:
        """A Choice state's processing: ``(frame, raw) -> (output, assigned, next,
        index of the rule that matched or None for the Default)``."""
        raise NotImplementedError

    @abstractmethod
    def catcher(self, spec: dict, index: int) -> Catcher:
        """Catcher ``index`` of the state, with its output for the query language."""
        raise NotImplementedError

    def inspect(self, frame: Frame, raw: Any) -> dict[str, Any]:
        """TestState's intermediate documents (``afterInputPath``, ``afterParameters``)."""
        return {"afterInputPath": raw}

    # -- value fields -----------------------------------------------------------------
    @abstractmethod
    def wait_deadline(self) -> Reader:
        """Wait's Seconds/Timestamp (or their paths): the epoch time it ends."""
        raise NotImplementedError

    @abstractmethod
    def task_seconds(self, name: str) -> FrameReader | None:
        """TimeoutSeconds/HeartbeatSeconds as ``f(frame) -> seconds``, None if absent."""
        raise NotImplementedError

    @abstractmethod
    def task_credentials(self) -> Transform | None:
        """A Task's Credentials as ``f(frame, raw) -> {"RoleArn": ...}``, read from the
        state's input as its arguments are; None if absent."""
        raise NotImplementedError

    @abstractmethod
    def map_items(self) -> Reader:
        """The items of an inline Map (ItemsPath or Items)."""
        raise NotImplementedError

    @abstractmethod
    def max_concurrency(self) -> Reader:
        """MaxConcurrency (0, the default, means no limit)."""
        raise NotImplementedError

    @abstractmethod
    def tolerated(self, name: str, kind: type) -> Reader:
        """ToleratedFailureCount/Percentage (None when absent)."""
        raise NotImplementedError

    @abstractmethod
    def item_selector(self) -> Reader | None:
        """A Map's ItemSelector (read while ``$$.Map.Item`` is set), None if absent."""
        raise NotImplementedError

    @abstractmethod
    def fail_field(self, name: str) -> Reader:
        """Fail's Error or Cause (None when absent)."""
        raise NotImplementedError

    @abstractmethod
    def reader_arguments(self, spec: dict) -> Reader:
        """An ItemReader's Parameters (JSONPath) or Arguments (JSONata)."""
        raise NotImplementedError

    @abstractmethod
    def config_number(self, spec: dict, name: str, where: str) -> Reader:
        """A count of ReaderConfig or ItemBatcher (MaxItems, MaxItemsPerBatch...):
        None when absent; ``where`` names the object holding it."""
        raise NotImplementedError

    @abstractmethod
    def batch_input(self, spec: dict) -> Reader | None:
        """ItemBatcher's BatchInput, None if absent."""
        raise NotImplementedError


def make_io(model: StateModel, parameters_field: str = "Parameters") -> QueryIO:
    """The strategy for ``model``'s query language. ``parameters_field``: the JSONPath
    field that makes the arguments (a Map's ItemSelector, or its legacy Parameters)."""
    if model.query_language == JSONATA:
        # Imported here: it builds on this module, and JSONPath-only runs never load it.
        from .jsonata_io import JsonataIO

        return JsonataIO(model)
    return JsonPathIO(model, parameters_field)


def _template(spec: dict, field: str) -> Getter | None:
    value = spec.get(field, ABSENT)
    return None if value is ABSENT else compile_payload(value, field)


class JsonPathIO(QueryIO):
    """JSONPath: InputPath, Parameters, ResultSelector, ResultPath, OutputPath, Assign."""

    def __init__(self, model: StateModel, parameters_field: str = "Parameters") -> None:
        spec = model.fields
        self.name = model.name
        self.spec = spec
        self.input_path = compile_io_path(spec, "InputPath")
        self.output_path = compile_io_path(spec, "OutputPath")
        self.parameters = _template(spec, parameters_field)
        self.result_selector = _template(spec, "ResultSelector")
        self.result_path = compile_result_path(spec.get("ResultPath", "$"))
        assign = spec.get("Assign")
        self.assign: Getter | None = compile_payload(assign, "Assign") if assign else None

    # -- input and output -------------------------------------------------------------
    def effective_input(self, frame: Frame, raw: Any) -> Any:
        return apply_io_path(self.input_path, frame, raw)

    def arguments(self, frame: Frame, raw: Any, effective: Any) -> Any:
        if self.parameters is None:
            return effective
        return self.parameters(effective, frame)

    def result_output(self, frame: Frame, raw: Any, result: Any) -> Outcome:
        if self.result_selector is not None:
            result = self.result_selector(result, frame)
        assigned = None if self.assign is None else self.assign(result, frame)
        merged = self.result_path(raw, result)
        return apply_io_path(self.output_path, frame, merged), assigned

    def plain_output(self, frame: Frame, raw: Any, effective: Any) -> Outcome:
        assigned = None if self.assign is None else self.assign(effective, frame)
        return apply_io_path(self.output_path, frame, effective), assigned

    def pass_output(self, result: Any) -> Callable[[Frame, Any], Any] | None:
        # The usual Pass states (Parameters, maybe a ResultPath, nothing assigned) get a
        # closure of their one or two steps, which returns the output alone.
        if (result is not ABSENT or self.input_path is not None or self.assign is not None
                or self.output_path is not None):
            return None
        parameters, result_path = self.parameters, self.result_path
        result_is_output = self.spec.get("ResultPath", "$") == "$"
        if parameters is None:
            if result_is_output:
                return lambda frame, raw: raw
            return lambda frame, raw: result_path(raw, raw)
        if result_is_output:
            return lambda frame, raw: parameters(raw, frame)
        return lambda frame, raw: result_path(raw, parameters(raw, frame))

    def pass_transform(self, result: Any) -> Transform:
        # The most common state: every absent step is left out of the closure.
        input_path, output_path = self.input_path, self.output_path
        parameters, assign, result_path = self.parameters, self.assign, self.result_path
        result_is_output = self.spec.get("ResultPath", "$") == "$"  # no merge to do

        def transform(frame: Frame, raw: Any) -> Outcome:
            value = result
            if value is ABSENT:
                value = raw
                if input_path is not None:
                    value = apply_io_path(input_path, frame, value)
                if parameters is not None:
                    value = parameters(value, frame)
            assigned = None if assign is None else assign(value, frame)
            output = value if result_is_output else result_path(raw, value)
            if output_path is not None:
                output = apply_io_path(output_path, frame, output)
            return output, assigned

        return transform

    def succeed_transform(self) -> Callable[[Frame, Any], Any] | None:
        input_path, output_path = self.input_path, self.output_path
        if input_path is None and output_path is None:
            return None
        return lambda frame, raw: apply_io_path(output_path, frame,
                                                apply_io_path(input_path, frame, raw))

    def choice(self, model: StateModel, no_match: Callable[[Frame], str]
               ) -> Callable[[Frame, Any], tuple[Any, dict | None, str, int | None]]:
        from ...asl.choice import compile_choice_rule

        rules = tuple(
            (compile_choice_rule(rule), rule["Next"],
             compile_payload(rule["Assign"], "Assign") if rule.get("Assign") else None)
            for rule in model.fields.get("Choices", ()))
        input_path, output_path, assign = self.input_path, self.output_path, self.assign

        def decide(frame: Frame, raw: Any) -> tuple[Any, dict | None, str, int | None]:
            effective = raw if input_path is None else apply_io_path(input_path, frame, raw)
            matched: int | None = None
            for index, (matches, target, target_assign) in enumerate(rules):
                if matches(effective, frame):
                    next_state, rule_assign, matched = target, target_assign, index
                    break
            else:
                next_state, rule_assign = no_match(frame), None
            if assign is None:
                assigned = None if rule_assign is None else rule_assign(effective, frame)
            else:
                assigned = merge_assignments(
                    assign(effective, frame),
                    None if rule_assign is None else rule_assign(effective, frame))
            output = effective
            if output_path is not None:
                output = apply_io_path(output_path, frame, effective)
            return output, assigned, next_state, matched

        return decide

    def catcher(self, spec: dict, index: int) -> Catcher:
        result_path = compile_result_path(spec.get("ResultPath", "$"))
        assign = compile_payload(spec["Assign"], "Assign") if spec.get("Assign") else None

        def output(frame: Frame, raw: Any, error_output: dict) -> Outcome:
            assigned = None if assign is None else assign(error_output, frame)
            return result_path(raw, error_output), assigned

        return Catcher(tuple(spec["ErrorEquals"]), spec["Next"], output)

    def inspect(self, frame: Frame, raw: Any) -> dict[str, Any]:
        effective = self.effective_input(frame, raw)
        found = {"afterInputPath": effective}
        if self.parameters is not None:
            found["afterParameters"] = self.parameters(effective, frame)
        return found

    # -- value fields -----------------------------------------------------------------
    def wait_deadline(self) -> Reader:
        spec = self.spec
        if "Seconds" in spec:
            seconds = spec["Seconds"]
            return lambda frame, doc: frame.run.now() + seconds
        if "Timestamp" in spec:
            when = parse_timestamp(spec["Timestamp"])
            return lambda frame, doc: when
        if "SecondsPath" in spec:
            return _seconds_path(spec["SecondsPath"])
        return _timestamp_path(spec["TimestampPath"])

    def task_seconds(self, name: str) -> FrameReader | None:
        spec = self.spec
        if name in spec:
            value = spec[name]
            return lambda frame: value
        path_field = name + "Path"
        if path_field not in spec:
            return None
        text = spec[path_field]
        getter = compile_reference(text)

        def read(frame: Frame) -> Any:
            try:
                value = getter(frame.current_input, frame)
            except PathNotFound:
                raise frame.run.runtime_error(
                    frame, f"The {path_field} parameter does not reference an input value: "
                    f"{text}") from None
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise frame.run.runtime_error(
                    frame, f"The {path_field} parameter references an invalid value: {text}")
            return value

        return read

    def task_credentials(self) -> Transform | None:
        template = _template(self.spec, "Credentials")
        if template is None:
            return None
        return lambda frame, raw: template(self.effective_input(frame, raw), frame)

    def map_items(self) -> Reader:
        return items_path_reader(self.name, self.spec.get("ItemsPath", "$"))

    def max_concurrency(self) -> Reader:
        read = number_field(self.spec, "MaxConcurrency", int, non_negative=True)
        return lambda frame, doc: read(frame, doc) or 0

    def tolerated(self, name: str, kind: type) -> Reader:
        return number_field(self.spec, name, kind)

    def item_selector(self) -> Reader | None:
        parameters = self.parameters
        if parameters is None:
            return None
        return lambda frame, doc: parameters(doc, frame)

    def fail_field(self, name: str) -> Reader:
        """Error/Cause as a constant, or ErrorPath/CausePath (a path or an intrinsic)."""
        spec = self.spec
        if name + "Path" not in spec:
            value = spec.get(name)
            return lambda frame, doc: value
        text = spec[name + "Path"]
        if text.startswith("States."):
            from ...asl.intrinsics import compile_intrinsic

            getter = compile_intrinsic(text)
        else:
            getter = compile_reference(text)

        def read(frame: Frame, doc: Any) -> Any:
            try:
                value = getter(doc, frame)
            except PathNotFound:  # AWS's wording, as for a payload template's path
                source = frame.context if text.startswith("$$") else doc
                raise frame.run.runtime_error(
                    frame, f"The JSONPath '{text}' specified for the field '{name}Path' "
                    f"could not be found in the input '{dumps(source)}'") from None
            if not isinstance(value, str):
                raise frame.run.runtime_error(
                    frame, f"The {name}Path field must reference a string value: {text}")
            return value

        return read

    def reader_arguments(self, spec: dict) -> Reader:
        parameters = compile_payload(spec.get("Parameters", {}), "ItemReader/Parameters")
        return lambda frame, doc: parameters(doc, frame)

    def config_number(self, spec: dict, name: str, where: str) -> Reader:
        return number_field(spec, name, numeric_strings=True)

    def batch_input(self, spec: dict) -> Reader | None:
        template = _template(spec, "BatchInput")
        if template is None:
            return None
        return lambda frame, doc: template(doc, frame)


def items_path_reader(state_name: str, text: str) -> Reader:
    """ItemsPath: the array, or the object (its key-value pairs), a Map iterates over;
    a runtime error if it selects anything else."""
    getter = compile_reference(text)

    def read(frame: Frame, doc: Any) -> list | dict:
        try:
            items = getter(doc, frame)
        except PathNotFound:  # AWS's words for a path that selects nothing, as InputPath
            path, source = path_and_document(text, doc, frame)
            raise frame.run.runtime_error(
                frame, f"Invalid path '{text}' : {describe_missing(path, source)}") from None
        if not isinstance(items, (list, dict)):
            raise frame.run.runtime_error(
                frame, f"Items of Map state '{state_name}' must be an array or an object; "
                f"ItemsPath '{text}' selected a {json_type_name(items)}.")
        return items

    return read


def _seconds_path(text: str) -> Reader:
    """SecondsPath: a path to a whole, non-negative number of seconds (state-wait: "You
    must specify an integer value for this field"); AWS's causes name the path and what
    it selected."""
    getter = compile_reference(text)

    def read(frame: Frame, doc: Any) -> float:
        value = _read_wait_path(frame, getter, doc, "SecondsPath", text)
        if isinstance(value, bool) or not isinstance(value, int):
            raise frame.run.runtime_error(
                frame, "The SecondsPath parameter cannot be parsed as a long value: "
                f"{text} == {_shown(value)}")
        if value < 0:
            raise frame.run.runtime_error(
                frame, f"The SecondsPath parameter references a negative value: "
                f"{text} == {value}")
        return frame.run.now() + value

    return read


def _shown(value: Any) -> str:
    """A selected value as a cause quotes it: a string as written, other values as JSON."""
    return value if isinstance(value, str) else dumps(value)


def _timestamp_path(text: str) -> Reader:
    getter = compile_reference(text)

    def read(frame: Frame, doc: Any) -> float:
        value = _read_wait_path(frame, getter, doc, "TimestampPath", text)
        when = parse_timestamp(value)
        if when is None:
            raise frame.run.runtime_error(
                frame, "The TimestampPath parameter does not reference a valid ISO-8601 "
                f"extended offset date-time format string: {text} == {value}")
        return when

    return read


def _read_wait_path(frame: Frame, getter: Getter, doc: Any, field: str, text: str) -> Any:
    try:
        return getter(doc, frame)
    except PathNotFound:
        raise frame.run.runtime_error(
            frame, f"The {field} parameter does not reference an input value: {text}") from None


def merge_assignments(state_level: dict | None, rule_level: dict | None) -> dict | None:
    """A Choice state's Assign applies whichever rule matched; the matched rule's own
    Assign adds to it and wins where both assign a variable (AWS's documented rule)."""
    if not rule_level:
        return state_level
    if not state_level:
        return rule_level
    return {**state_level, **rule_level}


__all__ = ["ABSENT", "JsonPathIO", "Outcome", "QueryIO", "Reader",
           "items_path_reader", "make_io", "merge_assignments"]
