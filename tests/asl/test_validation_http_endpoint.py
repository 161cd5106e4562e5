"""The validator refuses an HTTP Task whose literal ApiEndpoint is not an http(s) URL."""

from __future__ import annotations

import pytest

from stepfn.asl.validate import validate_definition


def _machine(arguments: dict, language: str = "JSONPath") -> dict:
    field = "Parameters" if language == "JSONPath" else "Arguments"
    return {"QueryLanguage": language, "StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        field: {"Method": "GET", **arguments}, "End": True}}}


def _errors(definition: dict) -> list:
    return [d for d in validate_definition(definition) if d.severity == "ERROR"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "example.com",
                                 "https://"])
@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
def test_literal_non_http_endpoint_is_refused(url: str, language: str) -> None:
    errors = _errors(_machine({"ApiEndpoint": url}, language))
    assert [e.code for e in errors] == ["SCHEMA_VALIDATION_FAILED"]
    assert "ApiEndpoint" in errors[0].location and "http or https" in errors[0].message


@pytest.mark.parametrize("arguments,language", [
    ({"ApiEndpoint": "https://api.example.com/v1"}, "JSONPath"),
    ({"ApiEndpoint": "HTTP://localhost:8080/x"}, "JSONPath"),
    ({"ApiEndpoint.$": "$.url"}, "JSONPath"),
    ({"ApiEndpoint": "{% $states.input.url %}"}, "JSONata"),
])
def test_http_urls_and_computed_endpoints_pass(arguments: dict, language: str) -> None:
    assert _errors(_machine(arguments, language)) == []
