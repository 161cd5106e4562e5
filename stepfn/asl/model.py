"""The public model of a state machine definition, loaded once.

``load_model(definition)`` turns a parsed definition into a tree of dataclasses: the
machine, its states (name, type, query language, raw fields, location), each state's
transitions (``Next``, Choice rules with their index and ``Default``, catchers with
their index), and the nested machines (Parallel branches, Map item processors).

The compiler (``stepfn.engine.machine``), TestState and the validator read this model
instead of walking ``States``/``Branches``/``ItemProcessor`` themselves.

The loader is lenient: it never raises on a malformed definition, so the validator
(``stepfn.asl.validation``) loads what it is about to judge and walks this model for
its per-state and graph checks. A member of the wrong JSON type is left out of the
structure (it stays in ``fields``): a state that is not an object has ``type`` None and
``is_object`` False, a ``Next`` that is not a string gives no transition, a branch that
is not an object gives no machine (the other branches keep their index in their
location). A definition that the validator accepts loads completely.

``QueryLanguage`` is read as AWS reads it: absent, a state has its machine's top-level
language; any value other than exactly ``JSONPath`` means JSONata (the validator
reports the invalid value, the model only records how it is interpreted).

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
    branches: tuple[MachineModel, ...] = ()  # Parallel: its branches that are objects
    processor: MachineModel | None = None  # Map's ItemProcessor (or legacy Iterator)
    # "ItemProcessor" or "Iterator": the one the Map names (ItemProcessor when both),
    # set even when its value is not an object (``processor`` is then None)
    processor_field: str | None = None
    is_object: bool = True  # False when the state as written is not a JSON object

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

    def item_location(self, name: str, index: int) -> str:
        """The location of one member of an array field (``/States/C/Choices[0]``)."""
        return f"{self.location}/{name}[{index}]"

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

    def field_location(self, name: str) -> str:
        """The location of one of the machine object's fields (``/StartAt`` at the root,
        ``/States/P/Branches[0]/StartAt`` in a branch)."""
        return f"{self.location}/{name}"

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
    return load_machine(definition, "", _language(definition, JSONPATH))


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
    state = StateModel(name, kind if isinstance(kind, str) else None,
                       _language(fields, machine_language), fields, location,
                       _transitions(fields, location), fields.get("End") is True,
                       is_object=isinstance(spec, dict))
    if kind == "Parallel":
        branches = fields.get("Branches")
        if isinstance(branches, list):
            state.branches = tuple(
                load_machine(branch, f"{location}/Branches[{index}]", machine_language, state)
                for index, branch in enumerate(branches) if isinstance(branch, dict))
    elif kind == "Map":
        state.processor_field = next(
            (name for name in ("ItemProcessor", "Iterator") if name in fields), None)
        body = fields.get(state.processor_field or "")
        if isinstance(body, dict):
            state.processor = load_machine(body, f"{location}/{state.processor_field}",
                                           machine_language, state)
    return state


def _language(fields: dict, inherited: str) -> str:
    """The query language ``fields`` declare, as AWS interprets it, else ``inherited``."""
    if "QueryLanguage" not in fields:
        return inherited
    return JSONPATH if fields["QueryLanguage"] == JSONPATH else JSONATA


def _transitions(fields: dict, location: str) -> tuple[Transition, ...]:
    found: list[Transition] = []
    target = fields.get("Next")
    if isinstance(target, str):
        found.append(Transition("Next", target, f"{location}/Next"))
    # Choices and Default are read whatever the Type, as written: the validator judges
    # their targets even on a state whose Type is missing or wrong (it reports the
    # misplaced field too); an accepted definition has them only on Choice states.
    found += _listed_targets("Choice", fields.get("Choices"), f"{location}/Choices")
    default = fields.get("Default")
    if isinstance(default, str):
        found.append(Transition("Default", default, f"{location}/Default"))
    found += _listed_targets("Catch", fields.get("Catch"), f"{location}/Catch")
    return tuple(found)


def _listed_targets(kind: TransitionKind, items: Any, location: str) -> list[Transition]:
    """The ``Next`` of each object in a Choices or Catch list, with its index."""
    if not isinstance(items, list):
        return []
    return [Transition(kind, item["Next"], f"{location}[{index}]/Next", index)
            for index, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("Next"), str)]
