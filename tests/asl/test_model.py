"""The public definition model: states, transitions, nested machines and locations."""

from __future__ import annotations

from stepfn.asl.model import Transition, load_model, load_state

DEFINITION = {
    "QueryLanguage": "JSONPath",
    "StartAt": "C",
    "TimeoutSeconds": 30,
    "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.a", "BooleanEquals": True, "Next": "P"},
            {"Variable": "$.b", "BooleanEquals": True, "Next": "M"}],
            "Default": "F"},
        "P": {"Type": "Parallel", "Next": "M", "Catch": [
            {"ErrorEquals": ["X"], "Next": "F"}, {"ErrorEquals": ["States.ALL"], "Next": "M"}],
            "Branches": [
                {"StartAt": "Z", "States": {"Z": {"Type": "Pass", "End": True}}},
                {"StartAt": "Z2", "States": {"Z2": {"Type": "Succeed"}}}]},
        "M": {"Type": "Map", "QueryLanguage": "JSONata", "End": True, "ItemProcessor": {
            "StartAt": "Y", "States": {"Y": {"Type": "Pass", "End": True}}}},
        "F": {"Type": "Fail", "Error": "E"},
    },
}


def test_states_have_their_aws_locations_at_every_depth() -> None:
    model = load_model(DEFINITION)
    locations = {state.name: state.location for state in model.walk_states()}
    assert locations == {
        "C": "/States/C", "P": "/States/P", "Z": "/States/P/Branches[0]/States/Z",
        "Z2": "/States/P/Branches[1]/States/Z2", "M": "/States/M",
        "Y": "/States/M/ItemProcessor/States/Y", "F": "/States/F"}
    assert [m.location for m in model.walk_machines()] == [
        "", "/States/P/Branches[0]", "/States/P/Branches[1]", "/States/M/ItemProcessor"]
    assert model.path == "/" and model.start_at == "C" and model.timeout_seconds == 30


def test_transitions_carry_their_kind_index_and_location() -> None:
    model = load_model(DEFINITION)
    assert model.states["C"].transitions == (
        Transition("Choice", "P", "/States/C/Choices[0]/Next", 0),
        Transition("Choice", "M", "/States/C/Choices[1]/Next", 1),
        Transition("Default", "F", "/States/C/Default"))
    assert model.states["P"].transitions == (
        Transition("Next", "M", "/States/P/Next"),
        Transition("Catch", "F", "/States/P/Catch[0]/Next", 0),
        Transition("Catch", "M", "/States/P/Catch[1]/Next", 1))
    assert model.states["P"].next == "M" and model.states["M"].end
    assert model.states["F"].transitions == ()


def test_nested_machines_know_their_container_and_language() -> None:
    model = load_model(DEFINITION)
    mapped = model.states["M"]
    assert mapped.query_language == "JSONata" and mapped.is_jsonata
    assert mapped.processor is not None and mapped.processor_field == "ItemProcessor"
    assert mapped.processor.parent is mapped
    # Nested states inherit the top-level language, not their container's.
    assert mapped.processor.states["Y"].query_language == "JSONPath"
    assert [b.start_at for b in model.states["P"].branches] == ["Z", "Z2"]


def test_legacy_iterator_is_the_processor() -> None:
    state = load_state("M", {"Type": "Map", "End": True, "Iterator": {
        "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}, "JSONPath")
    assert state.processor_field == "Iterator"
    assert state.processor is not None
    assert state.processor.states["I"].location == "/States/M/Iterator/States/I"


def test_malformed_parts_are_left_out_without_raising() -> None:
    model = load_model({"StartAt": 3, "States": {
        "A": "not an object", "B": {"Type": "Parallel", "Next": 5, "Branches": "no"},
        "C": {"Type": "Choice", "Choices": [1, {"Next": "A"}], "Default": None}}})
    assert model.start_at is None
    assert model.states["A"].type is None and model.states["A"].fields == {}
    assert model.states["B"].transitions == () and model.states["B"].branches == ()
    assert model.states["C"].transitions == (
        Transition("Choice", "A", "/States/C/Choices[1]/Next", 1),)
    assert load_model({"QueryLanguage": 7}).states == {}


def test_member_locations_for_array_fields_and_machine_fields() -> None:
    model = load_model(DEFINITION)
    assert model.states["C"].item_location("Choices", 1) == "/States/C/Choices[1]"
    assert model.field_location("StartAt") == "/StartAt"
    branch = model.states["P"].branches[1]
    assert branch.field_location("StartAt") == "/States/P/Branches[1]/StartAt"
    assert branch.path == branch.location == "/States/P/Branches[1]"


def test_a_state_that_is_not_an_object_is_told_from_an_empty_one() -> None:
    model = load_model({"StartAt": "A", "States": {"A": [], "B": {}}})
    assert not model.states["A"].is_object and model.states["A"].fields == {}
    assert model.states["B"].is_object and model.states["B"].type is None


def test_the_processor_field_is_the_one_named_even_when_it_is_not_an_object() -> None:
    body = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
    state = load_state("M", {"Type": "Map", "End": True, "ItemProcessor": 5,
                             "Iterator": body}, "JSONPath")
    # ItemProcessor wins when both are written; a malformed one gives no machine
    assert state.processor_field == "ItemProcessor" and state.processor is None
    assert load_state("M", {"Type": "Map", "End": True}, "JSONPath").processor_field is None


def test_a_query_language_other_than_jsonpath_reads_as_jsonata() -> None:
    model = load_model({"QueryLanguage": "jsonpath", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "End": True},
        "B": {"Type": "Pass", "End": True, "QueryLanguage": "JSONPath"},
        "C": {"Type": "Pass", "End": True, "QueryLanguage": 3}}})
    assert model.query_language == "JSONata"
    assert [s.query_language for s in model.states.values()] == [
        "JSONata", "JSONPath", "JSONata"]


def test_choice_targets_are_read_even_when_the_type_is_wrong() -> None:
    # the validator reports the target of a misplaced Default or rule as well
    state = load_state("X", {"Type": "Pass", "Choices": [{"Next": "A"}], "Default": "B"},
                       "JSONPath")
    assert [(t.kind, t.target) for t in state.transitions] == [
        ("Choice", "A"), ("Default", "B")]
