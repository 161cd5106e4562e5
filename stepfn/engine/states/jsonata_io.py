"""Input and output of JSONata-language states, compiled once per definition.

A JSONata state has no InputPath/Parameters/ResultSelector/ResultPath/OutputPath.
Its fields (``Arguments``, ``Output``, ``Assign``, ``Items``, ``Condition``,
``Seconds``...) are JSON templates whose ``"{% expr %}"`` strings are evaluated with
these bindings:

* ``$states.input``: the raw state input, everywhere;
* ``$states.result``: the result of a Task, Parallel or Map (its Output and Assign);
* ``$states.errorOutput``: ``{"Error", "Cause"}`` in a catcher's Output and Assign;
* ``$states.context``: the context object (built only when an expression reads it);
* ``$name``: every workflow variable, as it was when the state was entered.

Output and Assign both see the variables from before the state; the assignments take
effect after it (``State.record_exited`` applies them). A failed evaluation raises
``States.QueryEvaluationError`` whose cause names the expression and the field; the
interpreter prefixes the state and its entered event id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Union

from ...asl.model import StateModel
from ...errors import StatesError
from ..frame import Frame
from ..recovery import Catcher
from .io import (
    FrameReader,
    Outcome,
    QueryIO,
    Reader,
    Transform,
    merge_assignments,
)
from .steps import parse_timestamp

if TYPE_CHECKING:
    from ...asl.jsonata import JsonataEvaluationError, Template


def _jsonata() -> Any:
    """The JSONata module, imported on first use: its engine takes a noticeable time to
    load, which definitions written only in JSONPath should not pay (`stepfn run`)."""
    from ...asl import jsonata

    return jsonata

__all__ = [
    "JsonataAssign",
    "JsonataIO",
    "ScalarField",
    "compile_field",
    "make_bindings",
    "reads_context",
]


def compile_field(spec: dict, name: str, field: str | None = None) -> Template | None:
    """The compiled template of ``spec[name]``, or None when the field is absent;
    ``field`` names it in causes (default: ``name``)."""
    if name not in spec:
        return None
    return _jsonata().compile_template(spec[name], field or name)


def reads_context(*templates: Template | ScalarField | JsonataAssign | None) -> bool:
    """Whether any expression may read ``$states.context`` (or ``$states`` whole)."""
    for template in templates:
        if template is None:
            continue
        if isinstance(template, (ScalarField, JsonataAssign)):
            template = template.template
        for expression in template.expressions:
            fields = expression.states_fields
            if "context" in fields or "*" in fields:
                return True
    return False


def make_bindings(frame: Frame, raw_input: Any, with_context: bool,
                  extra_field: str | None = None, extra_value: Any = None) -> dict:
    """The JSONata bindings for one evaluation: the variables and ``$states``."""
    states: dict[str, Any] = {"input": raw_input}
    if with_context:
        states["context"] = frame.context
    if extra_field is not None:
        states[extra_field] = extra_value
    bindings = dict(frame.variables)
    bindings["states"] = states  # "states" is a reserved variable name: no clash
    return bindings


class JsonataAssign:
    """A JSONata ``Assign`` block: ``assign(bindings) -> {name: value}``."""

    __slots__ = ("template",)

    def __init__(self, assign: dict, field: str = "Assign") -> None:
        self.template = _jsonata().compile_template(assign, field)

    def __call__(self, bindings: dict) -> dict:
        return self.template.evaluate(bindings, inputs_ready=True)


class ScalarField:
    """A field with one value of a given JSON type (``Seconds``, ``Items``...): a
    constant, or an expression whose result is checked against ``expected``."""

    __slots__ = ("template", "text", "field", "expected", "check")

    def __init__(self, value: Any, field: str, expected: str,
                 check: Callable[[Any], bool]) -> None:
        self.template = _jsonata().compile_template(value, field)
        self.text = _jsonata().expression_text(value) if _jsonata().is_expression(value) else None
        self.field = field
        self.expected = expected
        self.check = check

    @property
    def is_constant(self) -> bool:
        return self.template.is_constant

    def evaluate(self, bindings: dict) -> Any:
        value = self.template.evaluate(bindings, inputs_ready=True)
        if self.text is not None and not self.check(value):
            raise _jsonata().JsonataEvaluationError(
                _jsonata().unexpected_type_cause(self.text, self.field, self.expected, value),
                location=self.field)
        return value

    def invalid(self, requirement: str, value: Any) -> JsonataEvaluationError:
        """The error for a value of the right type that breaks ``requirement``."""
        shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return _jsonata().JsonataEvaluationError(
            f"The value of the field '{self.field}' must be {requirement}, but was: "
            f"{shown}", coded=False, location=self.field)


def is_integer(value: Any) -> bool:
    return type(value) is int


def is_number(value: Any) -> bool:
    return type(value) in (int, float)


def is_string(value: Any) -> bool:
    return type(value) is str


def is_boolean(value: Any) -> bool:
    return type(value) is bool


def is_array(value: Any) -> bool:
    return type(value) is list




class _Rule:
    """One JSONata choice rule: Condition, Next, and its own Assign and Output."""

    __slots__ = ("condition", "next", "assign", "output", "index")

    def __init__(self, rule: dict, index: int) -> None:
        self.index = index
        where = f"Choices[{index}]"
        condition = rule.get("Condition")
        self.condition: ScalarField | bool = (
            condition if isinstance(condition, bool)
            else ScalarField(condition, f"{where}/Condition", "boolean", is_boolean))
        self.next: str = rule["Next"]
        assign = rule.get("Assign")
        self.assign = JsonataAssign(assign, f"{where}/Assign") if assign else None
        self.output = compile_field(rule, "Output", f"{where}/Output")

    def matches(self, bindings: dict) -> bool:
        condition = self.condition
        if isinstance(condition, bool):
            return condition
        return bool(condition.evaluate(bindings))


_Compiled = Union["Template", ScalarField, JsonataAssign, None]


class JsonataIO(QueryIO):
    """JSONata: Arguments, Output and Assign, and value fields that are values or
    ``{% %}`` expressions, evaluated with ``$states`` and the variables bound."""

    pure = False  # evaluation errors are translated in the (async) ``execute``
    arguments_per_attempt = True

    def __init__(self, model: StateModel) -> None:
        self.name = model.name
        self.spec = model.fields
        self._compiled: list[_Compiled] = []
        self._uses_context: bool | None = None
        self.arguments_template = self._field(self.spec, "Arguments")
        self.output_template = self._field(self.spec, "Output")
        assign = self.spec.get("Assign")
        self.assign = self._keep(JsonataAssign(assign)) if assign else None

    # -- compilation ------------------------------------------------------------------
    def _keep(self, compiled: Any) -> Any:
        """Remember a compiled template: whether any reads ``$states.context`` decides
        whether the bindings need the context object."""
        self._compiled.append(compiled)
        return compiled

    def _field(self, spec: dict, name: str, field: str | None = None) -> Template | None:
        return self._keep(compile_field(spec, name, field))

    def _scalar(self, spec: dict, name: str, expected: str, check: Callable[[Any], bool],
                field: str | None = None) -> ScalarField | None:
        if name not in spec:
            return None
        return self._keep(ScalarField(spec[name], field or name, expected, check))

    @property
    def uses_context(self) -> bool:
        uses = self._uses_context
        if uses is None:
            uses = self._uses_context = reads_context(*self._compiled)
        return uses

    def bindings(self, frame: Frame, raw: Any, extra_field: str | None = None,
                 extra_value: Any = None) -> dict:
        return make_bindings(frame, raw, self.uses_context, extra_field, extra_value)

    def finish(self, bindings: dict, default_output: Any,
               output_template: Template | None = None) -> Outcome:
        """Assign and Output, both against the same bindings: (output, assignments)."""
        assigned = self.assign(bindings) if self.assign is not None else None
        template = output_template or self.output_template
        output = default_output if template is None else template.evaluate(
            bindings, inputs_ready=True)
        return output, assigned

    # -- errors -----------------------------------------------------------------------
    def escalate(self, frame: Frame, err: StatesError) -> StatesError:
        if isinstance(err, _jsonata().JsonataEvaluationError):
            return self.report(frame, err)
        return err

    def report(self, frame: Frame, err: StatesError) -> StatesError:
        """Record AWS's EvaluationFailed event for a failed JSONata evaluation (once)
        and return the error with the state's sentence in front of its cause."""
        located = frame.run.locate(err, frame)
        location = getattr(err, "location", None)
        if location is not None and not err.recorded:
            frame.emit("EvaluationFailed", {
                "error": located.error, "cause": located.cause,
                "location": location, "state": self.name})
            located.recorded = True
        return located

    # -- input and output -------------------------------------------------------------
    def effective_input(self, frame: Frame, raw: Any) -> Any:
        return raw

    def arguments(self, frame: Frame, raw: Any, effective: Any) -> Any:
        template = self.arguments_template
        if template is None:
            return raw
        return template.evaluate(self.bindings(frame, raw), inputs_ready=True)

    def result_output(self, frame: Frame, raw: Any, result: Any) -> Outcome:
        return self.finish(self.bindings(frame, raw, "result", result), result)

    def plain_output(self, frame: Frame, raw: Any, effective: Any) -> Outcome:
        return self.finish(self.bindings(frame, raw), raw)

    def pass_transform(self, result: Any) -> Transform:
        return lambda frame, raw: self.finish(self.bindings(frame, raw), raw)

    def choice(self, model: StateModel, no_match: Callable[[Frame], str]
               ) -> Callable[[Frame, Any], tuple[Any, dict | None, str, int | None]]:
        rules = tuple(_Rule(rule, index)
                      for index, rule in enumerate(model.fields.get("Choices", ())))
        for rule in rules:
            if not isinstance(rule.condition, bool):
                self._keep(rule.condition)
            self._keep(rule.assign)
            self._keep(rule.output)

        def decide(frame: Frame, raw: Any) -> tuple[Any, dict | None, str, int | None]:
            bindings = self.bindings(frame, raw)
            matched: int | None = None
            for rule in rules:
                if rule.matches(bindings):
                    next_state, rule_assign, output = rule.next, rule.assign, rule.output
                    matched = rule.index
                    break
            else:
                next_state, rule_assign, output = no_match(frame), None, self.output_template
            assigned = merge_assignments(
                self.assign(bindings) if self.assign is not None else None,
                rule_assign(bindings) if rule_assign is not None else None)
            value = raw if output is None else output.evaluate(bindings, inputs_ready=True)
            return value, assigned, next_state, matched

        return decide

    def catcher(self, spec: dict, index: int) -> Catcher:
        assign = spec.get("Assign")
        compiled_assign = self._keep(JsonataAssign(assign, f"Catch[{index}]/Assign")) \
            if assign else None
        template = self._field(spec, "Output", f"Catch[{index}]/Output")

        def output(frame: Frame, raw: Any, error_output: dict) -> Outcome:
            bindings = self.bindings(frame, raw, "errorOutput", error_output)
            assigned = compiled_assign(bindings) if compiled_assign is not None else None
            value = error_output if template is None else template.evaluate(
                bindings, inputs_ready=True)
            return value, assigned

        return Catcher(tuple(spec["ErrorEquals"]), spec["Next"], output)

    # -- value fields -----------------------------------------------------------------
    def wait_deadline(self) -> Reader:
        seconds = self._scalar(self.spec, "Seconds", "integer", is_integer)
        if seconds is not None:
            def after_seconds(frame: Frame, doc: Any) -> float:
                value = seconds.evaluate(self.bindings(frame, doc))
                if not is_integer(value) or value < 0:
                    raise seconds.invalid("a non-negative integer", value)
                return frame.run.now() + value

            return after_seconds
        timestamp = self._scalar(self.spec, "Timestamp", "string", is_string)
        if timestamp is None:
            raise ValueError(f"Wait state '{self.name}' has neither Seconds nor Timestamp")

        def at_timestamp(frame: Frame, doc: Any) -> float:
            text = timestamp.evaluate(self.bindings(frame, doc))
            when = parse_timestamp(text)
            if when is None:
                raise timestamp.invalid(
                    "a valid ISO-8601 extended offset date-time format string", text)
            return when

        return at_timestamp

    def task_seconds(self, name: str) -> FrameReader | None:
        field = self._scalar(self.spec, name, "integer", is_integer)
        if field is None:
            return None
        if field.is_constant:
            value = field.evaluate({})
            return lambda frame: value

        def read(frame: Frame) -> Any:
            value = field.evaluate(self.bindings(frame, frame.current_input))
            if value <= 0:
                raise field.invalid("a positive integer", value)
            return value

        return read

    def task_credentials(self) -> Transform | None:
        template = self._field(self.spec, "Credentials")
        if template is None:
            return None
        return lambda frame, raw: template.evaluate(self.bindings(frame, raw),
                                                    inputs_ready=True)

    def map_items(self) -> Reader:
        # an array, or an object whose key-value pairs the Map iterates over
        # An array: AWS refuses an object here ("Expected 'array', but was 'object'",
        # recorded), though ItemsPath iterates over one's pairs. Without Items, the Map
        # iterates over its input, as if Items were "{% $states.input %}", and what is
        # not an array fails as that expression would.
        spec = self.spec if "Items" in self.spec else {"Items": "{% $states.input %}"}
        items = self._scalar(spec, "Items", "array", is_array)
        assert items is not None
        return lambda frame, doc: items.evaluate(self.bindings(frame, doc))

    def max_concurrency(self) -> Reader:
        field = self._scalar(self.spec, "MaxConcurrency", "integer", is_integer)
        if field is None:
            return lambda frame, doc: 0

        def read(frame: Frame, doc: Any) -> int:
            value = field.evaluate(self.bindings(frame, doc))
            if not is_integer(value) or value < 0:
                raise field.invalid("a non-negative integer", value)
            return value

        return read

    def tolerated(self, name: str, kind: type) -> Reader:
        check, expected = (is_integer, "integer") if kind is int else (is_number, "number")
        field = self._scalar(self.spec, name, expected, check)
        if field is None:
            return lambda frame, doc: None
        return lambda frame, doc: field.evaluate(self.bindings(frame, doc))

    def item_selector(self) -> Reader | None:
        template = self._field(self.spec, "ItemSelector")
        if template is None:
            return None
        return lambda frame, doc: template.evaluate(self.bindings(frame, doc),
                                                    inputs_ready=True)

    def fail_field(self, name: str) -> Reader:
        field = self._scalar(self.spec, name, "string", is_string)
        if field is None:
            return lambda frame, doc: None
        return lambda frame, doc: field.evaluate(self.bindings(frame, doc))

    def reader_arguments(self, spec: dict) -> Reader:
        template = self._field(spec, "Arguments", "ItemReader/Arguments")
        if template is None:
            return lambda frame, doc: {}
        return lambda frame, doc: template.evaluate(self.bindings(frame, doc),
                                                    inputs_ready=True)

    def config_number(self, spec: dict, name: str, where: str) -> Reader:
        field = self._scalar(spec, name, "integer", is_integer, f"{where}/{name}")
        if field is None:
            return lambda frame, doc: None

        def read(frame: Frame, doc: Any) -> int:
            value = field.evaluate(self.bindings(frame, doc))
            if not is_integer(value) or value < 0:
                raise field.invalid("a non-negative integer", value)
            return value

        return read

    def batch_input(self, spec: dict) -> Reader | None:
        template = self._field(spec, "BatchInput", "ItemBatcher/BatchInput")
        if template is None:
            return None
        return lambda frame, doc: template.evaluate(self.bindings(frame, doc),
                                                    inputs_ready=True)
