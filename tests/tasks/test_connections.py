"""HTTP Tasks with an EventBridge connection (``Authentication.ConnectionArn``), read from
moto's EventBridge, against a real local HTTP server that records what it receives:
Basic, API key and OAuth client-credentials authorization, the connection's invocation
parameters merged in (the connection's values win), the OAuth token kept until it
expires, and TestState's TRACE hiding what the connection added unless
``revealSecrets``."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stepfn import Engine
from stepfn.tasks.connections import parse_connection
from tests.service.conftest import ROLE, Server

from .conftest import assert_succeeded, task_machine, unique


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with 200 and keeps what it received; ``/token`` is an
    OAuth client-credentials endpoint."""

    received: list[dict] = []
    tokens_issued = 0

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        url = urlsplit(self.path)
        seen = {"method": self.command, "path": url.path, "query": parse_qs(url.query),
                "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        Recorder.received.append(seen)
        if url.path == "/token":
            Recorder.tokens_issued += 1
            payload = {"access_token": f"token-{Recorder.tokens_issued}",
                       "token_type": "Bearer", "expires_in": 3600}
        else:
            payload = {"ok": True}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _connection(aws, kind: str, auth: dict) -> str:
    return aws.client("events").create_connection(
        Name=unique("conn"), AuthorizationType=kind, AuthParameters=auth)["ConnectionArn"]


def _calls(api: str, path: str) -> list[dict]:
    return [r for r in Recorder.received if r["path"] == path]


def _http_task(api: str, path: str, connection: str, **fields: Any) -> dict:
    return task_machine("arn:aws:states:::http:invoke", Parameters={
        "ApiEndpoint": api + path, "Method": "POST",
        "Authentication": {"ConnectionArn": connection}, **fields})


def test_basic_auth_and_invocation_parameters_are_merged(engine: Engine, aws,
                                                         api: str) -> None:
    connection = _connection(aws, "BASIC", {
        "BasicAuthParameters": {"Username": "ann", "Password": "s3cret"},
        "InvocationHttpParameters": {
            "HeaderParameters": [{"Key": "X-Env", "Value": "from-connection"},
                                 {"Key": "X-Token", "Value": "t0k", "IsValueSecret": True}],
            "QueryStringParameters": [{"Key": "region", "Value": "eu"}],
            "BodyParameters": [{"Key": "tenant", "Value": "acme"},
                               {"Key": "id", "Value": "conn-id"}]}})
    output = assert_succeeded(engine.run(_http_task(
        api, "/basic", connection, Headers={"x-env": "from-task", "X-Other": "kept"},
        QueryParameters={"page": "2", "region": "us"},
        RequestBody={"id": "task-id", "n": 1}), {}))
    assert output["ResponseBody"] == {"ok": True}
    seen = _calls(api, "/basic")[-1]
    expected = "Basic " + base64.b64encode(b"ann:s3cret").decode()
    assert seen["headers"]["authorization"] == expected
    assert seen["headers"]["x-env"] == "from-connection"  # the connection wins
    assert (seen["headers"]["x-token"], seen["headers"]["x-other"]) == ("t0k", "kept")
    assert seen["query"] == {"page": ["2"], "region": ["eu"]}
    assert json.loads(seen["body"]) == {"id": "conn-id", "n": 1, "tenant": "acme"}


def test_api_key_connection(engine: Engine, aws, api: str) -> None:
    connection = _connection(aws, "API_KEY", {
        "ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "k-123"}})
    assert_succeeded(engine.run(_http_task(api, "/key", connection), {}))
    assert _calls(api, "/key")[-1]["headers"]["x-api-key"] == "k-123"


def test_oauth_client_credentials_token_is_fetched_once_and_kept(engine: Engine, aws,
                                                                  api: str) -> None:
    connection = _connection(aws, "OAUTH_CLIENT_CREDENTIALS", {"OAuthParameters": {
        "AuthorizationEndpoint": api + "/token", "HttpMethod": "POST",
        "ClientParameters": {"ClientID": "client-1", "ClientSecret": "shh"},
        "OAuthHttpParameters": {"BodyParameters": [
            {"Key": "grant_type", "Value": "client_credentials"}]}}})
    before = len(_calls(api, "/token"))
    for _ in range(2):
        assert_succeeded(engine.run(_http_task(api, "/oauth", connection), {}))
    tokens = _calls(api, "/token")[before:]
    assert len(tokens) == 1  # the token is kept until it expires
    assert tokens[0]["headers"]["authorization"] == \
        "Basic " + base64.b64encode(b"client-1:shh").decode()
    assert parse_qs(tokens[0]["body"]) == {"grant_type": ["client_credentials"]}
    calls = _calls(api, "/oauth")[-2:]
    issued = Recorder.tokens_issued
    assert [c["headers"]["authorization"] for c in calls] == [f"Bearer token-{issued}"] * 2


def test_an_unknown_connection_fails_with_eventbridge_s_error(engine: Engine,
                                                             api: str) -> None:
    result = engine.run(_http_task(
        api, "/none", "arn:aws:events:us-east-1:123456789012:connection/nope/1"), {})
    assert (result.status, result.error) == ("FAILED", "EventBridge.ResourceNotFoundException")


def test_secret_values_come_from_the_connection_s_secret() -> None:
    # AWS's DescribeConnection leaves secret values out; they are in the secret.
    described = {"AuthorizationType": "API_KEY", "AuthParameters": {
        "ApiKeyAuthParameters": {"ApiKeyName": "X-Key"},
        "InvocationHttpParameters": {"HeaderParameters": [
            {"Key": "X-Hidden", "IsValueSecret": True}]}}}
    secret = {"api_key_name": "X-Key", "api_key_value": "from-secret",
              "invocation_http_parameters": {"header_parameters": [
                  {"key": "X-Hidden", "value": "hidden-value", "is_value_secret": True}]}}
    connection = parse_connection("arn:aws:events:us-east-1:1:connection/c/1", described,
                                  secret)
    assert [(p.key, p.value) for p in connection.headers] == [
        ("X-Key", "from-secret"), ("X-Hidden", "hidden-value")]


def test_test_state_trace_hides_what_the_connection_adds(tmp_path, aws, api: str) -> None:
    connection = _connection(aws, "API_KEY", {
        "ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "k-secret"}})
    server = Server(tmp_path / "stepfn.db", tmp_path / "serve.log")
    server.start()
    try:
        sfn = server.client()
        state = json.dumps(_http_task(api, "/trace", connection,
                                      Headers={"X-Mine": "1"})["States"]["Call"])
        hidden = sfn.test_state(definition=state, roleArn=ROLE, input="{}",
                                inspectionLevel="TRACE")
        shown = sfn.test_state(definition=state, roleArn=ROLE, input="{}",
                               inspectionLevel="TRACE", revealSecrets=True)
    finally:
        server.stop()
    assert hidden["status"] == shown["status"] == "SUCCEEDED"
    hidden_headers = hidden["inspectionData"]["request"]["headers"]
    shown_headers = shown["inspectionData"]["request"]["headers"]
    assert "X-Mine: 1" in hidden_headers and "X-Api-Key" not in hidden_headers
    assert "X-Api-Key: k-secret" in shown_headers
    # Both requests reached the API with the key.
    assert [c["headers"]["x-api-key"] for c in _calls(api, "/trace")[-2:]] == \
        ["k-secret"] * 2
