"""Compiling a validated definition into state objects, once per definition."""

from __future__ import annotations

from dataclasses import dataclass, field


from ..errors import DefinitionError
from .states.base import State
from .states.choice import ChoiceState
from .states.fail import FailState
from .states.map_ import MapState
from .states.parallel import ParallelState
from .states.pass_ import PassState
from .states.succeed import SucceedState
from .states.task import TaskState
from .states.wait import WaitState

STATE_TYPES: dict[str, type[State]] = {
    "Pass": PassState, "Task": TaskState, "Choice": ChoiceState, "Wait": WaitState,
    "Succeed": SucceedState, "Fail": FailState, "Parallel": ParallelState, "Map": MapState,
}


@dataclass
class Branch:
    """A set of states with a start: the machine itself, a Parallel branch, a Map processor."""

    start_at: str
    states: dict[str, State]

    def __post_init__(self) -> None:
        # Only pure states: the branch runs to its end without ever suspending, so a
        # Map iteration or Parallel branch over it needs no coroutine or asyncio Task.
        self.pure = all(state.pure for state in self.states.values())

    @property
    def start(self) -> State:
        return self.states[self.start_at]


@dataclass
class StateMachine(Branch):
    """A compiled state machine, ready to run any number of executions."""

    definition: dict = field(default_factory=dict)
    timeout_seconds: float | None = None
    query_language: str = "JSONPath"


class Compiler:
    """Builds state objects; holds what compilation needs to know (region, language)."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self.query_language = "JSONPath"  # the machine's; states may override their own

    def compile(self, definition: dict) -> StateMachine:
        self.query_language = definition.get("QueryLanguage", "JSONPath")
        branch = self.compile_branch(definition, "")
        return StateMachine(branch.start_at, branch.states, definition,
                            definition.get("TimeoutSeconds"),
                            definition.get("QueryLanguage", "JSONPath"))

    def compile_branch(self, spec: dict, location: str) -> Branch:
        states = {name: STATE_TYPES[state_spec["Type"]](name, state_spec, self)
                  for name, state_spec in spec["States"].items()}
        return Branch(spec["StartAt"], states)


def load_definition(definition: str | dict, machine_type: str = "STANDARD") -> dict:
    """Parse (when text) and validate a definition; raise DefinitionError if invalid."""
    from ..asl.validate import load_definition as load_text, validate_definition

    if isinstance(definition, str):
        return load_text(definition, machine_type)
    errors = [d for d in validate_definition(definition, machine_type) if d.severity == "ERROR"]
    if errors:
        raise DefinitionError(errors)
    return definition


def compile_definition(definition: str | dict, *, region: str = "us-east-1",
                       machine_type: str = "STANDARD") -> StateMachine:
    """Validate and compile a definition (JSON text or parsed) into a StateMachine."""
    return Compiler(region).compile(load_definition(definition, machine_type))


