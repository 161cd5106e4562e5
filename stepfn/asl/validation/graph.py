"""Graph checks of one machine: missing transition targets, terminal states,
reachability (MISSING_TRANSITION_TARGET, MISSING_END_STATE).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...errors import Diagnostic
from .model import Machine
from .rules import MISSING_END, MISSING_TARGET, TERMINAL_TYPES
from .values import _at, _item


def graph_diagnostics(machine: Machine, broken_states: set[str]) -> list[Diagnostic]:
    """Transitions, terminal states and reachability of one machine, once its
    StartAt and States are well formed (a schema error is not reported twice).

    ``broken_states`` holds the locations of states whose Type, Next or End is
    malformed: a machine holding one gets no terminal-state or reachability check.
    """
    found: list[Diagnostic] = []
    states = machine.states
    start = machine.body.get("StartAt")
    if not isinstance(start, str) or not isinstance(machine.body.get("States"), dict):
        return found
    states_location = _at(machine.location, "States")
    if start not in states:
        found.append(Diagnostic(MISSING_TARGET, _at(machine.location, "StartAt"),
                                f"Missing 'Next' target: {start}"))
    edges = {name: list(_targets(state, _at(states_location, name)))
             for name, state in states.items()}
    for targets in edges.values():
        for target, where in targets:
            if target not in states:
                found.append(Diagnostic(MISSING_TARGET, where,
                                        f"Missing 'Next' target: {target}"))
    if any(_at(states_location, name) in broken_states for name in states):
        return found
    if states and not any(_is_terminal(state) for state in states.values()):
        found.append(Diagnostic(MISSING_END, None, "Workflow has no terminal state"))
        return found
    if start not in states:
        return found  # every state would be "not reachable": the StartAt error says it
    reached = _reachable(start, edges)
    found.extend(Diagnostic(MISSING_TARGET, _at(states_location, name),
                            f'State "{name}" is not reachable.')
                 for name in states if name not in reached)
    return found


def _is_terminal(state: Any) -> bool:
    return isinstance(state, dict) and (
        state.get("Type") in TERMINAL_TYPES or state.get("End") is True)


def _targets(state: Any, location: str) -> Iterator[tuple[str, str]]:
    """Every state name ``state`` may transition to, with where it is named."""
    if not isinstance(state, dict):
        return
    if isinstance(state.get("Next"), str):
        yield state["Next"], _at(location, "Next")
    if isinstance(state.get("Default"), str):
        yield state["Default"], _at(location, "Default")
    for field_name in ("Choices", "Catch"):
        items = state.get(field_name)
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, dict) and isinstance(item.get("Next"), str):
                yield item["Next"], _at(_item(_at(location, field_name), index), "Next")


def _reachable(start: str, edges: dict[str, list[tuple[str, str]]]) -> set[str]:
    seen, pending = {start}, [start]
    while pending:
        for target, _ in edges.get(pending.pop(), ()):
            if target in edges and target not in seen:
                seen.add(target)
                pending.append(target)
    return seen
