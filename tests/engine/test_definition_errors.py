"""Invalid definitions: Engine.compile raises DefinitionError whose diagnostics carry
AWS's code and the location of the problem."""

from __future__ import annotations

import pytest

from stepfn import DefinitionError

from .conftest import machine


def _diagnostics(engine, definition) -> list[tuple[str, str | None]]:
    with pytest.raises(DefinitionError) as info:
        engine.compile(definition)
    assert info.value.diagnostics, "DefinitionError without diagnostics"
    return [(d.code, d.location) for d in info.value.diagnostics]


def test_missing_start_at(engine):
    with pytest.raises(DefinitionError) as info:
        engine.compile({"States": {"StartState": {"Type": "Pass", "End": True}}})
    [diag] = info.value.diagnostics
    assert (diag.code, diag.location, diag.message) == (
        "SCHEMA_VALIDATION_FAILED", "/", "These fields are required: [StartAt]")
    assert str(info.value) == ("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
                               "These fields are required: [StartAt] at /'")


def test_next_to_missing_state(engine):
    definition = machine({"A": {"Type": "Pass", "Next": "Nowhere"}})
    assert ("MISSING_TRANSITION_TARGET", "/States/A/Next") in _diagnostics(engine, definition)


def test_unreachable_state(engine):
    definition = machine({"A": {"Type": "Pass", "End": True},
                          "Orphan": {"Type": "Pass", "End": True}})
    assert ("MISSING_TRANSITION_TARGET", "/States/Orphan") in _diagnostics(engine, definition)


def test_location_inside_a_parallel_branch(engine):
    definition = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "Gone"}}}]}})
    assert ("MISSING_TRANSITION_TARGET", "/States/P/Branches[0]/States/B/Next") in \
        _diagnostics(engine, definition)


def test_states_all_must_be_the_last_catcher(engine):
    definition = machine({
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"},
                        {"ErrorEquals": ["Other"], "Next": "H"}], "End": True},
        "H": {"Type": "Pass", "End": True}})
    assert ("SCHEMA_VALIDATION_FAILED", "/States/T/Catch[0]/ErrorEquals") in \
        _diagnostics(engine, definition)


def test_invalid_parameters_path(engine):
    definition = machine({"P": {"Type": "Pass", "Parameters": {"x.$": "not a path"},
                                "End": True}})
    with pytest.raises(DefinitionError) as info:
        engine.compile(definition)
    [diag] = info.value.diagnostics
    assert (diag.code, diag.location) == ("SCHEMA_VALIDATION_FAILED", "/States/P/Parameters")
    assert diag.message == ("The value for the field 'x.$' must be a valid JSONPath or a valid "
                            "intrinsic function call")


def test_unknown_state_type(engine):
    definition = machine({"X": {"Type": "Teleport", "End": True}})
    codes = _diagnostics(engine, definition)
    assert any(code == "SCHEMA_VALIDATION_FAILED" and (loc or "").startswith("/States/X")
               for code, loc in codes)


def test_invalid_json_text(engine):
    with pytest.raises(DefinitionError) as info:
        engine.compile('{"StartAt": "A", "States": ')
    assert info.value.diagnostics[0].code == "INVALID_JSON_DESCRIPTION"


def test_run_rejects_an_invalid_definition_before_starting(engine):
    with pytest.raises(DefinitionError):
        engine.run(machine({"A": {"Type": "Pass", "Next": "Nowhere"}}), {})
