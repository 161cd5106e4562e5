"""http:invoke against a small local HTTP server: the request AWS's fields describe
(method, query, headers, JSON or URL-encoded body), the result shape
{Headers, ResponseBody, StatusCode, StatusText}, and non-2xx answers as
States.Http.StatusCode.<code> errors a Catch can name."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stepfn import Engine

from .conftest import assert_succeeded, task_machine

RESOURCE = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/local/abc"


class _EchoHandler(BaseHTTPRequestHandler):
    """/echo answers the request it got as JSON; /status/<n> answers n; /text is text."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, "application/json", json.dumps({"problem": code}))
        elif path == "/text":
            self._send(200, "text/plain", "plain words")
        else:
            self._send(200, "application/json; charset=utf-8", json.dumps({
                "method": self.command, "path": path, "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body}))

    def _send(self, code: int, content_type: str, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def engine() -> Engine:
    return Engine()


def _call(engine: Engine, parameters: dict, **fields) -> object:
    params = {"Authentication": {"ConnectionArn": CONNECTION}, **parameters}
    return engine.run(task_machine(RESOURCE, Parameters=params, **fields), {})


def test_get_with_query_parameters_and_headers(engine: Engine, base_url: str) -> None:
    output = assert_succeeded(_call(engine, {
        "ApiEndpoint": f"{base_url}/echo", "Method": "GET",
        "Headers": {"X-Custom": "yes"},
        "QueryParameters": {"q": "a b", "n": "1"}}))
    assert output["StatusCode"] == "200"
    assert output["StatusText"] == "OK"
    assert output["Headers"]["Content-Type"] == ["application/json; charset=utf-8"]
    echoed = output["ResponseBody"]  # a JSON answer is parsed
    assert echoed["method"] == "GET" and echoed["path"] == "/echo"
    assert urllib.parse.parse_qs(echoed["query"]) == {"q": ["a b"], "n": ["1"]}
    assert echoed["headers"]["x-custom"] == "yes"
    assert echoed["headers"]["user-agent"].startswith("Amazon|StepFunctions|HttpInvoke|")


def test_post_json_body(engine: Engine, base_url: str) -> None:
    output = assert_succeeded(_call(engine, {
        "ApiEndpoint": f"{base_url}/echo", "Method": "POST",
        "RequestBody": {"name": "x", "items": [1, 2]}}))
    echoed = output["ResponseBody"]
    assert json.loads(echoed["body"]) == {"name": "x", "items": [1, 2]}
    assert echoed["headers"]["content-type"] == "application/json"


@pytest.mark.parametrize(("array_format", "expected"), [
    ("INDICES", "array[0]=a&array[1]=b"),
    ("BRACKETS", "array[]=a&array[]=b"),
    ("REPEAT", "array=a&array=b"),
    ("COMMAS", "array=a,b"),
])
def test_url_encoded_body_array_formats(engine: Engine, base_url: str, array_format: str,
                                        expected: str) -> None:
    output = assert_succeeded(_call(engine, {
        "ApiEndpoint": f"{base_url}/echo", "Method": "POST",
        "RequestBody": {"array": ["a", "b"], "n": 1},
        "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                      "RequestEncodingOptions": {"ArrayFormat": array_format}}}))
    echoed = output["ResponseBody"]
    assert urllib.parse.unquote(echoed["body"]) == expected + "&n=1"
    assert echoed["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_text_response_body_stays_text(engine: Engine, base_url: str) -> None:
    output = assert_succeeded(_call(engine, {"ApiEndpoint": f"{base_url}/text",
                                             "Method": "GET"}))
    assert output["ResponseBody"] == "plain words"


def test_uncaught_non_2xx_fails_execution_with_status_error(engine: Engine,
                                                              base_url: str) -> None:
    result = _call(engine, {"ApiEndpoint": f"{base_url}/status/404", "Method": "GET"})
    assert result.status == "FAILED"
    assert result.error == "States.Http.StatusCode.404"
    failed = [e for e in result.events if e.type == "TaskFailed"][0]
    assert failed.details["resourceType"] == "http"
    assert failed.details["resource"] == "invoke"


def test_non_2xx_catch_routes_with_error_output(engine: Engine, base_url: str) -> None:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": RESOURCE,
                     "Parameters": {"ApiEndpoint": f"{base_url}/status/503",
                                    "Method": "GET",
                                    "Authentication": {"ConnectionArn": CONNECTION}},
                     "Catch": [{"ErrorEquals": ["States.Http.StatusCode.503"],
                                "ResultPath": "$.error", "Next": "Unavailable"}],
                     "End": True},
            "Unavailable": {"Type": "Pass", "End": True},
        },
    }
    output = assert_succeeded(engine.run(definition, {}))
    assert output["error"]["Error"] == "States.Http.StatusCode.503"
    cause = json.loads(output["error"]["Cause"])
    assert cause["StatusCode"] == "503"
    assert cause["ResponseBody"] == {"problem": 503}


def test_unreachable_endpoint_is_socket_error(engine: Engine) -> None:
    result = _call(engine, {"ApiEndpoint": "http://127.0.0.1:9/nothing", "Method": "GET"})
    assert result.status == "FAILED"
    assert result.error == "States.Http.Socket"


def test_missing_method_is_runtime_error(engine: Engine, base_url: str) -> None:
    result = _call(engine, {"ApiEndpoint": f"{base_url}/echo"})
    assert result.error == "States.Runtime"
