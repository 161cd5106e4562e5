"""Choice: operators end to end, Default, no match, And/Or/Not, paths on the state."""

from __future__ import annotations

import pytest

from .conftest import assert_failed, assert_succeeded, machine, runtime_cause, state_output


def _choice(rules: list[dict], default: str | None = "Other", **fields) -> dict:
    """A machine whose Choice picks among Pass states that report their own name."""
    choice = {"Type": "Choice", "Choices": rules, **fields}
    if default is not None:
        choice["Default"] = default
    targets = {rule["Next"] for rule in rules} | ({default} if default else set())
    states = {"Pick": choice}
    for name in sorted(targets):
        states[name] = {"Type": "Pass", "Result": name, "End": True}
    return machine(states, start="Pick")


@pytest.mark.parametrize("rule, value, expected", [
    ({"NumericEquals": 3}, 3, "Hit"),
    ({"NumericEquals": 3}, 4, "Other"),
    ({"NumericGreaterThan": 3}, 3.5, "Hit"),
    ({"NumericLessThanEquals": 3}, 3, "Hit"),
    ({"StringEquals": "abc"}, "abc", "Hit"),
    ({"StringEquals": "abc"}, "ABC", "Other"),
    ({"StringLessThan": "b"}, "a", "Hit"),
    ({"StringMatches": "log-*.txt"}, "log-2024.txt", "Hit"),
    ({"StringMatches": "log-*.txt"}, "log-2024.csv", "Other"),
    ({"BooleanEquals": True}, True, "Hit"),
    ({"BooleanEquals": True}, False, "Other"),
    ({"TimestampGreaterThan": "2020-01-01T00:00:00Z"}, "2021-06-01T12:00:00Z", "Hit"),
    ({"IsNull": True}, None, "Hit"),
    ({"IsString": True}, 5, "Other"),
    ({"IsNumeric": True}, 5, "Hit"),
    # A type mismatch is simply no match, not an error.
    ({"NumericEquals": 3}, "3", "Other"),
])
def test_operator_picks_branch(engine, rule, value, expected):
    definition = _choice([{"Variable": "$.v", **rule, "Next": "Hit"}])
    assert_succeeded(engine.run(definition, {"v": value}), expected)


def test_is_present_on_missing_field(engine):
    definition = _choice([{"Variable": "$.missing", "IsPresent": False, "Next": "Hit"}])
    assert_succeeded(engine.run(definition, {"v": 1}), "Hit")


def test_path_comparison_against_another_field(engine):
    definition = _choice([{"Variable": "$.a", "NumericGreaterThanPath": "$.b", "Next": "Hit"}])
    assert_succeeded(engine.run(definition, {"a": 5, "b": 4}), "Hit")
    assert_succeeded(engine.run(definition, {"a": 4, "b": 4}), "Other")


def test_first_matching_rule_wins(engine):
    definition = _choice([
        {"Variable": "$.v", "NumericGreaterThan": 0, "Next": "First"},
        {"Variable": "$.v", "NumericGreaterThan": 1, "Next": "Second"},
    ])
    assert_succeeded(engine.run(definition, {"v": 5}), "First")


def test_and_or_not(engine):
    definition = _choice([
        {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 10},
                 {"Variable": "$.n", "NumericLessThan": 20}], "Next": "Teen"},
        {"Or": [{"Variable": "$.s", "StringEquals": "x"},
                {"Variable": "$.s", "StringEquals": "y"}], "Next": "XorY"},
        {"Not": {"Variable": "$.s", "StringEquals": "keep"}, "Next": "NotKeep"},
    ])
    assert_succeeded(engine.run(definition, {"n": 15, "s": "keep"}), "Teen")
    assert_succeeded(engine.run(definition, {"n": 25, "s": "y"}), "XorY")
    assert_succeeded(engine.run(definition, {"n": 25, "s": "other"}), "NotKeep")
    assert_succeeded(engine.run(definition, {"n": 25, "s": "keep"}), "Other")


def test_nested_boolean_rules(engine):
    definition = _choice([{
        "Not": {"Or": [{"Variable": "$.a", "BooleanEquals": True},
                       {"And": [{"Variable": "$.b", "IsPresent": True},
                                {"Variable": "$.b", "NumericEquals": 1}]}]},
        "Next": "Hit"}])
    assert_succeeded(engine.run(definition, {"a": False, "b": 2}), "Hit")
    assert_succeeded(engine.run(definition, {"a": False, "b": 1}), "Other")
    assert_succeeded(engine.run(definition, {"a": True}), "Other")


def test_choice_passes_its_input_to_the_chosen_state(engine):
    definition = machine({
        "Pick": {"Type": "Choice", "Choices": [
            {"Variable": "$.v", "NumericEquals": 1, "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True},
    })
    assert_succeeded(engine.run(definition, {"v": 1, "extra": [1]}), {"v": 1, "extra": [1]})


def test_choice_input_path_and_output_path(engine):
    definition = machine({
        "Pick": {"Type": "Choice", "InputPath": "$.inner", "OutputPath": "$.sel",
                 "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True},
    })
    result = engine.run(definition, {"inner": {"v": 1, "sel": {"k": "x"}}})
    assert_succeeded(result, {"k": "x"})
    assert state_output(result, "Pick") == {"k": "x"}


def test_default_taken_when_nothing_matches(engine):
    definition = _choice([{"Variable": "$.v", "NumericEquals": 1, "Next": "Hit"}])
    assert_succeeded(engine.run(definition, {"v": 2}), "Other")


def test_no_match_without_default_fails_with_runtime_error(engine):
    definition = _choice([{"Variable": "$.v", "NumericEquals": 1, "Next": "Hit"}],
                         default=None)
    result = engine.run(definition, {"v": 2})
    assert_failed(result, "States.Runtime")
    assert result.cause.startswith(runtime_cause("Pick", 2, ""))
    assert result.events[-1].type == "ExecutionFailed"
    # The Choice never exits: it is the last state entered.
    assert [e.type for e in result.events] == [
        "ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]


def test_state_level_assign_applies_with_a_matched_rule_and_the_rule_wins():
    from stepfn import Engine

    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Assign": {"route": "default", "seen": True},
              "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Out",
                           "Assign": {"route": "one"}}],
              "Default": "Out"},
        "Out": {"Type": "Pass", "Parameters": {"route.$": "$route", "seen.$": "$seen"},
                "End": True}}}
    engine = Engine()
    assert engine.run(definition, {"n": 1}).output == {"route": "one", "seen": True}
    assert engine.run(definition, {"n": 2}).output == {"route": "default", "seen": True}
