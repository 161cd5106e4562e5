"""Property: one way in for a definition. Whatever the definition and its Task
Resources (drawn from the grammar's space and outside it), a definition the loader
accepts compiles, one it refuses does not, and the API's check gives the same
diagnostics as the loader (which ``stepfn validate`` prints). The same through
``stepfn serve`` with executions: tests/service/test_one_loader.py."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepfn.asl.loader import load, load_test_state
from stepfn.engine.machine import Compiler, compile_definition
from stepfn.errors import DefinitionError
from stepfn.service.machines import check_definition

from .strategies import machines_with_resources, task_resources
from .test_properties import PROPERTY_SETTINGS


@PROPERTY_SETTINGS
@given(definition=machines_with_resources(),
       machine_type=st.sampled_from(["STANDARD", "EXPRESS"]))
def test_a_definition_that_loads_compiles(definition: dict, machine_type: str) -> None:
    text = json.dumps(definition)
    loaded = load(text, machine_type)
    if loaded.valid:
        machine = compile_definition(text, machine_type=machine_type)
        assert set(machine.states) == set(definition["States"])
    else:
        with pytest.raises(DefinitionError) as refused:
            compile_definition(text, machine_type=machine_type)
        assert refused.value.diagnostics == loaded.errors
    # the API's check (CreateStateMachine, ValidateStateMachineDefinition) is the loader's
    assert check_definition(text, machine_type, "WARNING") == list(
        load(text, machine_type, "WARNING").diagnostics)


@settings(PROPERTY_SETTINGS, max_examples=PROPERTY_SETTINGS.max_examples // 2)
@given(resource=task_resources, extra=st.sampled_from([{}, {"TimeoutSeconds": 5},
                                                      {"HeartbeatSeconds": 0}]))
def test_a_state_that_loads_for_test_state_compiles(resource: str, extra: dict) -> None:
    text = json.dumps({"Type": "Task", "Resource": resource, "End": True, **extra})
    try:
        model = load_test_state(text)
    except DefinitionError as refused:
        assert refused.diagnostics  # refused with its reasons, never an exception of its own
        return
    assert Compiler().compile_state(model).name == "TestState"
