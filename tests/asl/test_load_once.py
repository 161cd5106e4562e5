"""The validator and the compiler share one load of the definition's model."""

from __future__ import annotations

import json

import pytest

import stepfn.engine.machine as machine_module
from stepfn.asl import model as model_module
from stepfn.asl.validate import validate_definition
from stepfn.engine.machine import compile_definition
from stepfn.errors import DefinitionError

DEFINITION = {"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}]}}}


def _count_loads(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    real = model_module.load_model

    def counting(definition: dict) -> model_module.MachineModel:
        calls.append(definition)
        return real(definition)

    monkeypatch.setattr(model_module, "load_model", counting)
    monkeypatch.setattr(machine_module, "load_model", counting)
    monkeypatch.setattr("stepfn.asl.loader.load_model", counting)
    monkeypatch.setattr("stepfn.asl.validation.validator.load_model", counting)
    return calls


def test_compile_definition_loads_the_model_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_loads(monkeypatch)
    machine = compile_definition(json.dumps(DEFINITION))
    assert len(calls) == 1
    assert machine.model is not None and machine.model.fields == DEFINITION
    assert machine.start_at == "P" and set(machine.states) == {"P"}


def test_validate_definition_uses_the_model_it_is_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Z"}}}
    model = model_module.load_model(definition)
    calls = _count_loads(monkeypatch)
    found = validate_definition(definition, model=model)
    assert calls == []
    assert [(d.code, d.location) for d in found] == [
        ("MISSING_TRANSITION_TARGET", "/States/A/Next"),
        ("MISSING_END_STATE", None)]


def test_compile_definition_still_rejects_a_document_that_is_not_an_object() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition("[1, 2]")
    assert [(d.code, d.location) for d in caught.value.diagnostics] == [
        ("SCHEMA_VALIDATION_FAILED", "/")]
