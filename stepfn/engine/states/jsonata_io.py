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
from typing import TYPE_CHECKING, Any, Callable

from ...errors import StatesError

if TYPE_CHECKING:
    from ...asl.jsonata import JsonataEvaluationError, Template
    from ..frame import Frame


def _jsonata() -> Any:
    """The JSONata module, imported on first use: its engine takes a noticeable time to
    load, which definitions written only in JSONPath should not pay (`stepfn run`)."""
    from ...asl import jsonata

    return jsonata

__all__ = [
    "JsonataAssign",
    "JsonataStateMixin",
    "ScalarField",
    "compile_field",
    "compile_jsonata_assign",
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


def compile_jsonata_assign(assign: dict, field: str = "Assign") -> JsonataAssign:
    """Compile a JSONata state's (or rule's, or catcher's) ``Assign`` block."""
    return JsonataAssign(assign, field)


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


def scalar_field(spec: dict, name: str, expected: str,
                 check: Callable[[Any], bool]) -> ScalarField | None:
    """The ScalarField for ``spec[name]``, or None when absent."""
    if name not in spec:
        return None
    return ScalarField(spec[name], name, expected, check)


class JsonataStateMixin:
    """What every JSONata state shares: bindings, ``Output`` and ``Assign``."""

    name: str
    assign: Any
    output_template: Template | None
    uses_context: bool
    pure = False  # evaluation errors are translated in the (async) ``execute``

    def init_jsonata(self, spec: dict, *others: Any) -> None:
        """Compile ``Output``; ``others`` are the state's other templates, consulted
        to know whether the context object must be built for its bindings."""
        self.output_template = compile_field(spec, "Output")
        self.uses_context = reads_context(self.output_template, self.assign, *others)

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        try:
            return await self.execute_jsonata(frame, raw_input)
        except _jsonata().JsonataEvaluationError as err:
            raise self.evaluation_failed(frame, err) from None

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        raise NotImplementedError

    def report_error(self, frame: Frame, err: StatesError) -> StatesError:
        """See ``RecoverableMixin.report_error``."""
        return self.evaluation_failed(frame, err)

    def evaluation_failed(self, frame: Frame, err: StatesError) -> StatesError:
        """Record AWS's EvaluationFailed event for a failed JSONata evaluation (once)
        and return the error with the state's sentence in front of its cause."""
        located = frame.run.locate(err, frame)
        location = getattr(err, "location", None)
        if location is not None and not getattr(err, "recorded", False):
            frame.emit("EvaluationFailed", {
                "error": located.error, "cause": located.cause,
                "location": location, "state": self.name})
            located.recorded = True  # type: ignore[attr-defined]
        return located

    def bindings(self, frame: Frame, raw_input: Any, extra_field: str | None = None,
                 extra_value: Any = None) -> dict:
        return make_bindings(frame, raw_input, self.uses_context, extra_field, extra_value)

    def finish(self, bindings: dict, default_output: Any) -> tuple[Any, dict | None]:
        """Assign and Output, both against the same bindings: (output, assignments)."""
        assigned = self.assign(bindings) if self.assign is not None else None
        template = self.output_template
        output = default_output if template is None else template.evaluate(
            bindings, inputs_ready=True)
        return output, assigned
