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
from stepfn.tasks.http import HttpPolicy

from .conftest import assert_succeeded, task_machine

RESOURCE = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/local/abc"


@pytest.fixture(autouse=True)
def _connections_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name a connection no EventBridge holds (test_connections.py reads
    real ones from moto's): the requests go as the tasks write them."""
    monkeypatch.setenv("STEPFN_HTTP_CONNECTIONS", "ignore")


class _EchoHandler(BaseHTTPRequestHandler):
    """/echo answers the request it got as JSON; /status/<n> answers n; /text is text."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, "application/json", json.dumps({"problem": code}))
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", urllib.parse.parse_qs(query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
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


# -- what a definition may reach ----------------------------------------------------------
def _call_url(engine: Engine, url: str) -> object:
    params = {"Authentication": {"ConnectionArn": CONNECTION}, "ApiEndpoint.$": "$.url",
              "Method": "GET"}
    return engine.run(task_machine(RESOURCE, Parameters=params), {"url": url})


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x",
                                 "gopher://127.0.0.1/", "data:,hello", "/relative", "http://"])
def test_only_http_and_https_urls_are_sent(engine: Engine, url: str) -> None:
    result = _call_url(engine, url)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "http or https URL" in result.cause


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/",          # IPv4-mapped
    "http://[::169.254.169.254]/latest/",               # IPv4-compatible
    "http://[64:ff9b::a9fe:a9fe]/latest/",              # NAT64, well-known prefix
    "http://[64:ff9b:1::a9fe:a9fe]/latest/",            # NAT64, local-use prefix
    "http://169.254.170.2/v2/credentials/x",            # ECS task credentials
    "http://169.254.170.23/v1/credentials",             # EKS Pod Identity agent
    "http://[fd00:ec2::23]/v1/credentials",
    "http://100.100.100.200/latest/meta-data/",         # Alibaba Cloud
    "http://169.254.10.10/",                            # link-local in general
    "http://[fe80::1]/",
])
def test_the_metadata_service_is_refused_by_default(engine: Engine, url: str) -> None:
    result = _call_url(engine, url)
    assert (result.status, result.error) == ("FAILED", "States.Http.Socket")
    assert "not an allowed destination" in result.cause


def test_allow_list_is_checked_on_resolved_addresses(base_url: str) -> None:
    port = base_url.rsplit(":", 1)[1]
    engine = Engine(http_allow="10.0.0.0/8, api.example.com")
    for url in (f"{base_url}/echo", f"http://localhost:{port}/echo"):
        result = _call_url(engine, url)
        assert result.error == "States.Http.Socket" and "not an allowed" in result.cause
    engine = Engine(http_allow=["127.0.0.0/8"])
    assert _call_url(engine, f"http://localhost:{port}/echo").status == "SUCCEEDED"
    engine = Engine(http_allow=["localhost"])
    assert _call_url(engine, f"http://localhost:{port}/echo").status == "SUCCEEDED"


def test_the_allow_list_is_read_from_the_environment(
        base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPFN_HTTP_ALLOW", "10.0.0.0/8")
    result = _call_url(Engine(), f"{base_url}/echo")
    assert result.error == "States.Http.Socket" and "not an allowed" in result.cause


def test_a_wildcard_entry_does_not_reach_loopback(base_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A name under ``*.example.com`` that someone points at 127.0.0.1 is refused unless
    an entry inside loopback space is listed too."""
    import socket

    real = socket.getaddrinfo

    def resolve(host: str, *args: object, **kwargs: object) -> list:
        return real("127.0.0.1" if host == "api.example.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    port = base_url.rsplit(":", 1)[1]
    url = f"http://api.example.com:{port}/echo"
    result = _call_url(Engine(http_allow="*.example.com"), url)
    assert result.error == "States.Http.Socket" and "not an allowed" in result.cause
    assert _call_url(Engine(http_allow="*.example.com 127.0.0.1"), url).status == "SUCCEEDED"
    assert _call_url(Engine(http_allow="api.example.com"), url).status == "SUCCEEDED"


def test_redirects_are_checked_too(engine: Engine, base_url: str) -> None:
    to_metadata = urllib.parse.quote("http://169.254.169.254/latest/meta-data/")
    result = _call_url(engine, f"{base_url}/redirect?to={to_metadata}")
    assert result.error == "States.Http.Socket" and "not an allowed" in result.cause
    for target in ("file:///etc/passwd", "ftp://127.0.0.1/x"):
        result = _call_url(engine, f"{base_url}/redirect?to={urllib.parse.quote(target)}")
        assert result.status == "FAILED"
        assert result.error in ("States.Http.Socket", "States.Http.StatusCode.302")
    echo = urllib.parse.quote(f"{base_url}/echo")
    assert _call_url(engine, f"{base_url}/redirect?to={echo}").status == "SUCCEEDED"


def test_policy_entries() -> None:
    import ipaddress

    ip = ipaddress.ip_address
    default = HttpPolicy.parse(None)
    assert default.permits("example.com", ip("93.184.216.34"))
    assert not default.permits("x", ip("169.254.169.254"))
    wide = HttpPolicy.parse("0.0.0.0/0 ::/0")
    assert wide.permits("x", ip("10.1.2.3")) and not wide.permits("x", ip("169.254.169.254"))
    explicit = HttpPolicy.parse(["169.254.169.254"])
    assert explicit.permits("x", ip("169.254.169.254"))
    assert not explicit.permits("x", ip("10.1.2.3"))
    hosts = HttpPolicy.parse("*.example.com")
    assert hosts.permits("api.example.com", ip("10.0.0.1"))
    assert not hosts.permits("example.org", ip("10.0.0.1"))
    for loopback in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "0.0.0.0"):
        assert not hosts.permits("api.example.com", ip(loopback)), loopback
    assert HttpPolicy.parse("*.example.com 127.0.0.0/8").permits("a.example.com",
                                                                 ip("127.0.0.1"))
    assert not HttpPolicy.parse("*.example.com 0.0.0.0/0").permits("a.example.com",
                                                                   ip("169.254.1.1"))
    with pytest.raises(ValueError):
        HttpPolicy.parse("10.0.0.0/99")


@pytest.mark.parametrize("address", [
    "169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "::169.254.169.254",
    "::ffff:0:169.254.169.254", "64:ff9b::169.254.169.254", "64:ff9b:1::a9fe:a9fe",
    "2002:a9fe:a9fe::1", "169.254.170.2", "::ffff:169.254.170.2", "169.254.170.23",
    "fd00:ec2::23", "100.100.100.200"])
def test_metadata_addresses_in_every_form_need_an_exact_entry(address: str) -> None:
    import ipaddress

    ip = ipaddress.ip_address(address)
    for entries in (None, "0.0.0.0/0 ::/0", "169.254.0.0/16 fd00::/8 64:ff9b::/96",
                    "*.example.com"):
        assert not HttpPolicy.parse(entries).permits("api.example.com", ip), entries


def test_link_local_needs_an_entry_inside_link_local() -> None:
    import ipaddress

    ip = ipaddress.ip_address
    assert not HttpPolicy.parse(None).permits("x", ip("169.254.7.7"))
    assert not HttpPolicy.parse("0.0.0.0/0").permits("x", ip("169.254.7.7"))
    assert HttpPolicy.parse("169.254.7.0/24").permits("x", ip("169.254.7.7"))
    assert HttpPolicy.parse("fe80::/64").permits("x", ip("fe80::7"))
    # ... but never reaches a metadata address through it.
    assert not HttpPolicy.parse("169.254.0.0/16").permits("x", ip("169.254.169.254"))
    assert HttpPolicy.parse("169.254.170.2").permits("x", ip("169.254.170.2"))
