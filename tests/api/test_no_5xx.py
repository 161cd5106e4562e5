"""Requests that once made the server fail with a 5xx get AWS's 400-class errors."""
# ruff: noqa: F811 - `url` is test_fuzz's server fixture, taken as an argument

from __future__ import annotations

import json

import pytest
from test_fuzz import PASS_MACHINE, ROLE, Pools, _post, url  # noqa: F401 - the fixture

DEPTH = 1000


def _nested(kind: str, depth: int = DEPTH) -> str:
    return ("[" * depth + "1" + "]" * depth) if kind == "list" else (
        '{"a":' * depth + "1" + "}" * depth)


def _answer(url: str, operation: str, body: dict | bytes) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, answer = _post(url, operation, raw)
    return status, json.loads(answer)


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deep_definition_is_invalid_definition(url: str, kind: str) -> None:
    machine = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    text = json.dumps(machine)[:-1] + f', "Comment": {_nested(kind)}}}'
    status, answer = _answer(url, "CreateStateMachine",
                             {"name": "deep", "roleArn": ROLE, "definition": text})
    assert (status, answer["__type"]) == (400, "InvalidDefinition")
    status, answer = _answer(url, "ValidateStateMachineDefinition", {"definition": text})
    assert status == 200 and answer["result"] == "FAIL"


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deep_input_is_invalid_execution_input(url: str, kind: str) -> None:
    status, answer = _answer(url, "StartExecution", {"stateMachineArn": Pools.machine,
                                                     "input": _nested(kind)})
    assert (status, answer["__type"]) == (400, "InvalidExecutionInput")
    status, answer = _answer(url, "StartSyncExecution", {"stateMachineArn": Pools.express,
                                                         "input": _nested(kind)})
    assert (status, answer["__type"]) == (400, "InvalidExecutionInput")


def test_deep_task_output_is_invalid_output(url: str) -> None:
    status, answer = _answer(url, "SendTaskSuccess", {"taskToken": "QUJD",
                                                      "output": _nested("list")})
    assert status == 400 and answer["__type"] in ("InvalidOutput", "InvalidToken")


@pytest.mark.parametrize("field", ["definition", "input", "variables"])
def test_deep_test_state_fields(url: str, field: str) -> None:
    body = {"definition": json.dumps({"Type": "Pass", "End": True}), "roleArn": ROLE,
            field: _nested("dict")}
    status, answer = _answer(url, "TestState", body)
    assert 400 <= status < 500, answer


@pytest.mark.parametrize("tags,code", [([None], "ValidationException"),
                                       ([{}], "ValidationException"),
                                       ([{"key": None}], "ValidationException"),
                                       (["x"], "SerializationException")])
def test_odd_tags(url: str, tags: list, code: str) -> None:
    status, answer = _answer(url, "TagResource", {"resourceArn": Pools.machine, "tags": tags})
    assert (status, answer["__type"]) == (400, code)
    status, answer = _answer(url, "CreateActivity", {"name": "odd-tags", "tags": tags})
    assert (status, answer["__type"]) == (400, code)


def test_oversize_definition_is_refused_without_echo(url: str) -> None:
    text = PASS_MACHINE + " " * (1 << 20)
    status, raw = _post(url, "CreateStateMachine", json.dumps(
        {"name": "big", "roleArn": ROLE, "definition": text}).encode())
    answer = json.loads(raw)
    assert status == 400 and answer["__type"] == "ValidationException"
    assert len(raw) < 1000 and "Value at 'definition'" in answer["message"]


def test_body_nested_past_the_parser(url: str) -> None:
    status, answer = _answer(url, "ListStateMachines",
                             ('{"maxResults": ' + _nested("list", 5000) + "}").encode())
    assert (status, answer["__type"]) == (400, "SerializationException")


def test_jsonata_expression_nested_past_the_compiler(url: str) -> None:
    expression = "(" * 3000 + "1" + ")" * 3000
    machine = json.dumps({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
        "Type": "Pass", "Output": "{% " + expression + " %}", "End": True}}})
    status, answer = _answer(url, "CreateStateMachine",
                             {"name": "deep-jsonata", "roleArn": ROLE, "definition": machine})
    assert (status, answer["__type"]) == (400, "InvalidDefinition")
    status, answer = _answer(url, "TestState", {
        "definition": json.dumps({"Type": "Pass", "QueryLanguage": "JSONata",
                                  "Output": "{% " + expression + " %}", "End": True}),
        "roleArn": ROLE})
    assert 400 <= status < 500, answer


@pytest.mark.parametrize("variables", ["null", "[1, 2]", "5", '"text"'])
def test_test_state_variables_must_be_an_object(url: str, variables: str) -> None:
    status, answer = _answer(url, "TestState", {
        "definition": json.dumps({"Type": "Pass", "End": True}), "variables": variables})
    assert (status, answer["__type"]) == (400, "InvalidExecutionInput")
