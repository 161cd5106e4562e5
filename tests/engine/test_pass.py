"""Pass: Result, Parameters (paths, intrinsics, context), ResultPath, OutputPath, InputPath."""

from __future__ import annotations

from .conftest import assert_failed, assert_succeeded, machine, runtime_cause, single


def test_pass_without_fields_passes_input_through(engine):
    result = engine.run(single({"Type": "Pass"}), {"a": 1, "b": [1, 2]})
    assert_succeeded(result, {"a": 1, "b": [1, 2]})


def test_result_replaces_input(engine):
    result = engine.run(single({"Type": "Pass", "Result": {"x": 1}}), {"a": 1})
    assert_succeeded(result, {"x": 1})


def test_result_is_not_evaluated_as_a_template(engine):
    # Result is a literal: a ".$" key in it is kept as is, not resolved.
    spec = {"Type": "Pass", "Result": {"k.$": "$.a"}}
    assert_succeeded(engine.run(single(spec), {"a": 1}), {"k.$": "$.a"})


def test_result_with_result_path_merges_into_input(engine):
    spec = {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r"}
    assert_succeeded(engine.run(single(spec), {"a": 1}), {"a": 1, "r": {"x": 1}})


def test_result_path_null_discards_result(engine):
    spec = {"Type": "Pass", "Result": {"x": 1}, "ResultPath": None}
    assert_succeeded(engine.run(single(spec), {"a": 1}), {"a": 1})


def test_result_path_creates_nested_objects_and_keeps_siblings(engine):
    spec = {"Type": "Pass", "Result": "deep", "ResultPath": "$.a.b.c"}
    result = engine.run(single(spec), {"a": {"k": 1}, "z": 2})
    assert_succeeded(result, {"a": {"k": 1, "b": {"c": "deep"}}, "z": 2})


def test_result_path_overwrites_existing_field(engine):
    spec = {"Type": "Pass", "Result": [1, 2], "ResultPath": "$.a"}
    assert_succeeded(engine.run(single(spec), {"a": {"old": True}, "b": 0}),
                     {"a": [1, 2], "b": 0})


def test_result_path_does_not_mutate_earlier_state_output(engine):
    # The first state's recorded output must stay what it was when the second state
    # writes into a copy of it.
    definition = machine({
        "A": {"Type": "Pass", "Result": {"inner": {"x": 1}}, "Next": "B"},
        "B": {"Type": "Pass", "Result": 2, "ResultPath": "$.inner.y", "End": True},
    })
    result = engine.run(definition, {})
    assert_succeeded(result, {"inner": {"x": 1, "y": 2}})
    exited_a = [e for e in result.events if e.type == "PassStateExited"][0]
    assert exited_a.details["output"] == '{"inner":{"x":1}}'


def test_parameters_with_paths_intrinsics_and_context(engine):
    spec = {"Type": "Pass", "Parameters": {
        "fixed": "value",
        "n.$": "$.n",
        "greeting.$": "States.Format('Hello {}, you are {}', $.name, $.n)",
        "state.$": "$$.State.Name",
        "nested": {"list": [1, {"deep.$": "$.name"}], "again.$": "$.n"},
        "all.$": "$",
    }}
    result = engine.run(single(spec, name="Greet"), {"name": "Ada", "n": 36})
    assert_succeeded(result, {
        "fixed": "value",
        "n": 36,
        "greeting": "Hello Ada, you are 36",
        "state": "Greet",
        "nested": {"list": [1, {"deep": "Ada"}], "again": 36},
        "all": {"name": "Ada", "n": 36},
    })


def test_parameters_resolve_objects_nested_in_arrays(engine):
    # As in AWS's ECS examples ("ContainerOverrides": [{"Command.$": ...}]).
    spec = {"Type": "Pass", "Parameters": {"arr": [{"v.$": "$.x"}, "$.x", [{"w.$": "$.x"}]]}}
    assert_succeeded(engine.run(single(spec), {"x": 1}), {"arr": [{"v": 1}, "$.x", [{"w": 1}]]})


def test_parameters_result_goes_through_result_path(engine):
    spec = {"Type": "Pass", "Parameters": {"copy.$": "$.a"}, "ResultPath": "$.p"}
    assert_succeeded(engine.run(single(spec), {"a": 5}), {"a": 5, "p": {"copy": 5}})


def test_parameters_missing_path_is_runtime_error(engine):
    spec = {"Type": "Pass", "Parameters": {"x.$": "$.missing"}}
    result = engine.run(single(spec, name="P"), {"a": 1})
    assert_failed(result, "States.Runtime", runtime_cause(
        "P", 2, "The JSONPath '$.missing' specified for the field 'x.$' could not be found "
        "in the input '{\"a\":1}'"))


def test_output_path_selects_part_of_output(engine):
    spec = {"Type": "Pass", "Result": {"x": {"y": 1}, "z": 2}, "OutputPath": "$.x"}
    assert_succeeded(engine.run(single(spec), {}), {"y": 1})


def test_output_path_null_gives_empty_object(engine):
    spec = {"Type": "Pass", "OutputPath": None}
    assert_succeeded(engine.run(single(spec), {"a": 1}), {})


def test_input_path_null_gives_empty_object(engine):
    spec = {"Type": "Pass", "InputPath": None}
    assert_succeeded(engine.run(single(spec), {"a": 1}), {})


def test_input_path_null_with_result_path_keeps_raw_input(engine):
    # InputPath null makes the effective input {}; ResultPath still merges into the
    # raw input.
    spec = {"Type": "Pass", "InputPath": None, "ResultPath": "$.from_null"}
    assert_succeeded(engine.run(single(spec), {"a": 1}), {"a": 1, "from_null": {}})


def test_input_path_selects_effective_input(engine):
    spec = {"Type": "Pass", "InputPath": "$.inner"}
    assert_succeeded(engine.run(single(spec), {"inner": {"k": "v"}, "other": 1}), {"k": "v"})


def test_output_path_missing_is_runtime_error(engine):
    spec = {"Type": "Pass", "OutputPath": "$.no.such"}
    result = engine.run(single(spec, name="P"), {"a": 1})
    assert_failed(result, "States.Runtime", runtime_cause(
        "P", 2, "Invalid path '$.no.such' : Missing property in path $['no']"))


def test_pass_chain_feeds_output_to_next_input(engine):
    definition = machine({
        "First": {"Type": "Pass", "Result": {"step": 1}, "ResultPath": "$.first",
                  "Next": "Second"},
        "Second": {"Type": "Pass", "Parameters": {"got.$": "$.first.step"}, "End": True},
    })
    assert_succeeded(engine.run(definition, {"seed": 0}), {"got": 1})


def test_definition_as_json_text(engine):
    text = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 7, "End": true}}}'
    assert_succeeded(engine.run(text, {}), 7)
