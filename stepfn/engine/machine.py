"""Compiling a validated definition into state objects, once per definition.

The definition is loaded once into the public model (``stepfn.asl.model``); each
``StateModel`` becomes an instance of its state type's class, whose query language
strategy (``states.io``) is chosen there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..asl.loader import load_valid
from ..asl.model import JSONPATH, MachineModel, StateModel, load_model
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
        self.effect_free = all(state.effect_free for state in self.states.values())

    @property
    def start(self) -> State:
        return self.states[self.start_at]


@dataclass
class StateMachine(Branch):
    """A compiled state machine, ready to run any number of executions."""

    definition: dict = field(default_factory=dict)
    timeout_seconds: float | None = None
    query_language: str = JSONPATH
    model: MachineModel | None = field(default=None, repr=False)


class Compiler:
    """Builds state objects from the model; holds what compilation needs (the region)."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region

    def compile(self, definition: dict, model: MachineModel | None = None) -> StateMachine:
        """Compile ``definition``; ``model`` is its ``load_model`` result when already
        loaded (by ``compile_definition``, which validates the same model first)."""
        model = model or load_model(definition)
        branch = self.compile_branch(model)
        return StateMachine(branch.start_at, branch.states, definition,
                            model.timeout_seconds, model.query_language, model)

    def compile_branch(self, machine: MachineModel) -> Branch:
        states = {name: self.compile_state(state) for name, state in machine.states.items()}
        return Branch(machine.start_at or "", states)

    def compile_state(self, model: StateModel) -> State:
        """One state; raises KeyError/ValueError/TypeError for a state it cannot build."""
        return STATE_TYPES[model.type or ""](model, self)


def load_definition(definition: str | dict, machine_type: str = "STANDARD") -> dict:
    """Parse (when text) and validate a definition; raise DefinitionError if invalid."""
    loaded: dict = load_valid(definition, machine_type).definition
    return loaded


def compile_definition(definition: str | dict, *, region: str = "us-east-1",
                       machine_type: str = "STANDARD") -> StateMachine:
    """Load a definition (JSON text or parsed) through the one loader
    (``stepfn.asl.loader``: depth guard, parse, model, validation) and compile the model
    it validated; ``DefinitionError`` when invalid."""
    loaded = load_valid(definition, machine_type)
    assert loaded.model is not None  # a valid definition has its model
    return Compiler(region).compile(loaded.definition, loaded.model)


__all__ = ["Branch", "Compiler", "STATE_TYPES", "StateMachine", "compile_definition",
           "load_definition"]
