"""Choice: picks the next state from the first rule that matches."""

from __future__ import annotations

from typing import Any, Callable

from ..frame import Frame
from .base import State, compile_assign
from .jsonata_io import (
    JsonataStateMixin,
    ScalarField,
    compile_field,
    is_boolean,
)


class ChoiceState(State):
    type_name = "Choice"
    pure = True

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.default: str | None = spec.get("Default")
        self.rules = self.compile_rules(spec.get("Choices", ()))

    def compile_rules(self, rules: Any) -> tuple:
        from ...asl.choice import compile_choice_rule

        return tuple(
            (compile_choice_rule(rule), rule["Next"],
             compile_assign(rule.get("Assign"), self.query_language))
            for rule in rules)

    def execute_sync(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        effective = raw_input
        if self.input_path is not None:
            effective = self.apply_input_path(frame, raw_input)
        next_state, rule_assign = self.choose(frame, effective)
        assigned = merge_assignments(
            None if self.assign is None else self.assign(effective, frame),
            None if rule_assign is None else rule_assign(effective, frame))
        output = effective
        if self.output_path is not None:
            output = self.apply_output_path(frame, effective)
        return self.record_exited(frame, output, assigned), next_state

    def choose(self, frame: Frame, effective: Any) -> tuple[str, Any]:
        """The next state and the matched rule's Assign (None on the Default path)."""
        for matches, next_state, assign in self.rules:
            if matches(effective, frame):
                return next_state, assign
        return self.no_match(frame), None

    def no_match(self, frame: Frame) -> str:
        if self.default is None:
            raise frame.run.runtime_error(
                frame, "No Matches! No choice rule matched and there is no Default state.")
        return self.default


class _JsonataRule:
    """One JSONata choice rule: Condition, Next, and its own Assign and Output."""

    __slots__ = ("condition", "next", "assign", "output")

    def __init__(self, rule: dict, index: int) -> None:
        where = f"Choices[{index}]"
        condition = rule.get("Condition")
        self.condition: Callable[[dict], Any] | ScalarField | bool
        if isinstance(condition, bool):
            self.condition = condition
        else:
            self.condition = ScalarField(condition, f"{where}/Condition", "boolean",
                                         is_boolean)
        self.next: str = rule["Next"]
        self.assign = compile_assign(rule.get("Assign"), "JSONata", f"{where}/Assign")
        self.output = compile_field(rule, "Output", f"{where}/Output")

    def matches(self, bindings: dict) -> bool:
        condition = self.condition
        if condition is True or condition is False:
            return condition
        return condition.evaluate(bindings)  # type: ignore[union-attr]


class JsonataChoiceState(JsonataStateMixin, ChoiceState):
    """Choice in JSONata: rules with a Condition; the matched rule's Assign and Output
    apply, the state's own when the Default is taken. The output defaults to the input."""

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        parts = [part for rule in self.rules
                 for part in (rule.condition, rule.assign, rule.output)
                 if not isinstance(part, bool)]
        self.init_jsonata(spec, *parts)

    def compile_rules(self, rules: Any) -> tuple:
        return tuple(_JsonataRule(rule, index) for index, rule in enumerate(rules))

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        bindings = self.bindings(frame, raw_input)
        rule_assign = None
        for rule in self.rules:
            if rule.matches(bindings):
                next_state, rule_assign, output_template = rule.next, rule.assign, rule.output
                break
        else:
            next_state = self.no_match(frame)
            output_template = self.output_template
        assigned = merge_assignments(
            self.assign(bindings) if self.assign is not None else None,
            rule_assign(bindings) if rule_assign is not None else None)
        output = raw_input if output_template is None else output_template.evaluate(
            bindings, inputs_ready=True)
        output = self.record_exited(frame, output, assigned)
        return output, next_state


ChoiceState.jsonata_variant = JsonataChoiceState


def merge_assignments(state_level: dict | None, rule_level: dict | None) -> dict | None:
    """A Choice state's Assign applies whichever rule matched; the matched rule's own
    Assign adds to it and wins where both assign a variable (AWS's documented rule)."""
    if not rule_level:
        return state_level
    if not state_level:
        return rule_level
    return {**state_level, **rule_level}
