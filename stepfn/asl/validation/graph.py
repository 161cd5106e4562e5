"""Graph checks of one machine, read from the model's transitions: missing transition
targets, terminal states, reachability (MISSING_TRANSITION_TARGET, MISSING_END_STATE).
"""

from __future__ import annotations

from ...errors import Diagnostic
from ..model import MachineModel, StateModel, Transition
from .rules import MISSING_END, MISSING_TARGET, TERMINAL_TYPES

# The order in which one state's missing targets are reported.
_REPORT_ORDER = {"Next": 0, "Default": 1, "Choice": 2, "Catch": 3}


def graph_diagnostics(machine: MachineModel, broken_states: set[str]) -> list[Diagnostic]:
    """Transitions, terminal states and reachability of one machine, once its
    StartAt and States are well formed (a schema error is not reported twice).

    ``broken_states`` holds the locations of states whose Type, Next or End is
    malformed: a machine holding one gets no terminal-state or reachability check.
    """
    found: list[Diagnostic] = []
    states = machine.states
    start = machine.start_at
    if start is None or not isinstance(machine.fields.get("States"), dict):
        return found
    if start not in states:
        found.append(Diagnostic(MISSING_TARGET, machine.field_location("StartAt"),
                                f"Missing 'Next' target: {start}"))
    for state in states.values():
        for transition in _in_report_order(state):
            if transition.target not in states:
                found.append(Diagnostic(MISSING_TARGET, transition.location,
                                        f"Missing 'Next' target: {transition.target}"))
    if any(state.location in broken_states for state in states.values()):
        return found
    if states and not any(_is_terminal(state) for state in states.values()):
        found.append(Diagnostic(MISSING_END, None, "Workflow has no terminal state"))
        return found
    if start not in states:
        return found  # every state would be "not reachable": the StartAt error says it
    reached = _reachable(machine, start)
    found.extend(Diagnostic(MISSING_TARGET, state.location,
                            f'State "{name}" is not reachable.')
                 for name, state in states.items() if name not in reached)
    return found


def _in_report_order(state: StateModel) -> list[Transition]:
    # A Choice state's Default is reported before its rules' targets.
    return sorted(state.transitions, key=lambda transition: _REPORT_ORDER[transition.kind])


def _is_terminal(state: StateModel) -> bool:
    return state.type in TERMINAL_TYPES or state.end


def _reachable(machine: MachineModel, start: str) -> set[str]:
    seen, pending = {start}, [start]
    while pending:
        for transition in machine.states[pending.pop()].transitions:
            if transition.target in machine.states and transition.target not in seen:
                seen.add(transition.target)
                pending.append(transition.target)
    return seen
