"""The public model of a state machine definition, loaded once.

``load_model(definition)`` turns a parsed definition into a tree of dataclasses: the
machine, its states (name, type, query language, raw fields, location), each state's
transitions (``Next``, Choice rules with their index and ``Default``, catchers with
their index), and the nested machines (Parallel branches, Map item processors).

The compiler (``stepfn.engine.machine``), TestState and the validator read this model
instead of walking ``States``/``Branches``/``ItemProcessor`` themselves.

The loader is lenient: it never raises on a malformed definition, so the validator can
load what it is about to judge. A member of the wrong JSON type is left out of the
structure (it stays in ``fields``): a state that is not an object has ``type`` None,
a ``Next`` that is not a string gives no transition, a branch that is not an object
gives no machine. A definition that the validator accepts loads completely.

Locations follow what AWS reports in its diagnostics: ``/States/X`` for a state,
``/States/C/Choices[0]/Next`` for a field, ``/States/M/ItemProcessor/States/Y`` and
``/States/P/Branches[0]/States/Z`` for nested ones. The root machine's own location is
the empty prefix ``""`` (AWS writes ``/`` for the root itself: ``MachineModel.path``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

JSONPATH = "JSONPath"
JSONATA = "JSONata"

TransitionKind = Literal["Next", "Choice", "Default", "Catch"]


@dataclass(frozen=True, slots=True)
class Transition:
    """One edge of the state graph.

    ``kind``: ``Next`` (a state's own), ``Choice`` (rule ``index`` of a Choice state),
    ``Default`` (a Choice state's default) or ``Catch`` (catcher ``index``).
    ``location`` is the field holding the target (``/States/C/Choices[0]/Next``).
    """

    kind: TransitionKind
    target: str
    location: str
    index: int | None = None


@dataclass(slots=True)
class StateModel:
    """One state as written: its identity, its raw fields and its place in the tree."""

    name: str
    type: str | None  # None when the state is not an object or has no string Type
    query_language: str  # the state's own, else its machine's top-level language
    fields: dict[str, Any]  # the state's object as written ({} when not an object)
    location: str  # /States/<name>, under its container's location when nested
    transitions: tuple[Transition, ...] = ()
    end: bool = False
    branches: tuple[MachineModel, ...] = ()  # Parallel
    processor: MachineModel | None = None  # Map's ItemProcessor (or legacy Iterator)
    processor_field: str | None = None  # "ItemProcessor" or "Iterator"

    @property
    def next(self) -> str | None:
        """The state's own ``Next``, if any."""
        for transition in self.transitions:
            if transition.kind == "Next":
                return transition.target
        return None

    @property
    def is_jsonata(self) -> bool:
        return self.query_language == JSONATA

    def field_location(self, name: str) -> str:
        """The location of one of the state's fields (``/States/X/Resource``)."""
        return f"{self.location}/{name}"

    def nested(self) -> tuple[MachineModel, ...]:
        """The machines this state contains: its branches or its item processor."""
        if self.processor is not None:
            return (self.processor,)
        return self.branches


@dataclass(slots=True)
class MachineModel:
    """A set of states with a start: the definition itself, a Parallel branch or a Map
    item processor (nested machines have their container's location as prefix)."""

    start_at: str | None
    states: dict[str, StateModel]
    query_language: str  # the top-level language, which nested states inherit
    location: str  # "" for the root, "/States/P/Branches[0]", "/States/M/ItemProcessor"
    fields: dict[str, Any] = field(default_factory=dict)  # the machine's object as written
    parent: StateModel | None = field(default=None, repr=False, compare=False)  # None: root

    @property
    def path(self) -> str:
        """The location as AWS writes it for the machine object itself (``/`` at the root)."""
        return self.location or "/"

    @property
    def timeout_seconds(self) -> Any:
        return self.fields.get("TimeoutSeconds")

    def walk_states(self) -> Iterator[StateModel]:
        """Every state of this machine and of the machines nested in it, depth first,
        each state before the machines it contains."""
        for state in self.states.values():
            yield state
            for machine in state.nested():
                yield from machine.walk_states()

    def walk_machines(self) -> Iterator[MachineModel]:
        """This machine and every machine nested in it, depth first."""
        yield self
        for state in self.states.values():
            for machine in state.nested():
                yield from machine.walk_machines()


def load_model(definition: dict) -> MachineModel:
    """Load a parsed definition (a JSON object) into its ``MachineModel``."""
    language = definition.get("QueryLanguage", JSONPATH)
    if not isinstance(language, str):
        language = JSONPATH
    return load_machine(definition, "", language)


def load_state(name: str, spec: Any, language: str, location: str = "") -> StateModel:
    """Load one state (TestState runs a state on its own) at ``location``
    (default ``/States/<name>``)."""
    return _state(name, spec, language, location or f"/States/{name}")


def load_machine(body: Any, location: str, language: str,
                 parent: StateModel | None = None) -> MachineModel:
    """Load a machine object (the root or a nested one) found at ``location``."""
    fields = body if isinstance(body, dict) else {}
    start_at = fields.get("StartAt")
    machine = MachineModel(start_at if isinstance(start_at, str) else None, {}, language,
                           location, fields, parent)
    states = fields.get("States")
    if isinstance(states, dict):
        for name, spec in states.items():
            machine.states[name] = _state(name, spec, language, f"{location}/States/{name}")
    return machine


def _state(name: str, spec: Any, machine_language: str, location: str) -> StateModel:
    fields = spec if isinstance(spec, dict) else {}
    kind = fields.get("Type")
    language = fields.get("QueryLanguage", machine_language)
    if not isinstance(language, str):
        language = machine_language
    state = StateModel(name, kind if isinstance(kind, str) else None, language, fields,
                       location, _transitions(fields, location), fields.get("End") is True)
    if kind == "Parallel":
        branches = fields.get("Branches")
        if isinstance(branches, list):
            state.branches = tuple(
                load_machine(branch, f"{location}/Branches[{index}]", machine_language, state)
                for index, branch in enumerate(branches) if isinstance(branch, dict))
    elif kind == "Map":
        for processor_field in ("ItemProcessor", "Iterator"):
            body = fields.get(processor_field)
            if isinstance(body, dict):
                state.processor_field = processor_field
                state.processor = load_machine(body, f"{location}/{processor_field}",
                                               machine_language, state)
                break
    return state


def _transitions(fields: dict, location: str) -> tuple[Transition, ...]:
    found: list[Transition] = []
    target = fields.get("Next")
    if isinstance(target, str):
        found.append(Transition("Next", target, f"{location}/Next"))
    rules = fields.get("Choices")
    if fields.get("Type") == "Choice" and isinstance(rules, list):
        for index, rule in enumerate(rules):
            if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                found.append(Transition("Choice", rule["Next"],
                                        f"{location}/Choices[{index}]/Next", index))
    default = fields.get("Default")
    if fields.get("Type") == "Choice" and isinstance(default, str):
        found.append(Transition("Default", default, f"{location}/Default"))
    catchers = fields.get("Catch")
    if isinstance(catchers, list):
        for index, catcher in enumerate(catchers):
            if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
                found.append(Transition("Catch", catcher["Next"],
                                        f"{location}/Catch[{index}]/Next", index))
    return tuple(found)
