"""Which names and pages the server answers (DNS rebinding, cross-site requests), and
which GET routes need a signature under ``--auth sigv4``."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import FakeExecutionService, serve_in_thread  # tests/api is not a package

from stepfn.api import ApiConfig, create_app
from stepfn.api.hosts import HostCheck, split_host
from stepfn.service.executions import ExecutionManager
from stepfn.store import SqliteStore

LIST = {"Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}


def _request(url: str, method: str, path: str, headers: dict[str, str],
             body: bytes = b"") -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = SqliteStore(str(tmp_path_factory.mktemp("hosts") / "stepfn.db"),
                        synchronous="NORMAL")
    config = ApiConfig(host="127.0.0.1", allowed_hosts=("stepfn.example.com", "*.corp.test"))

    async def page(scope: dict, receive: object, send) -> None:  # the UI's place
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"<html>ui</html>"})
    app = create_app(store, FakeExecutionService(store), config, fallback=page)
    with serve_in_thread(app) as base:
        yield base


@pytest.mark.parametrize("host", ["127.0.0.1:8083", "localhost:8083", "[::1]:8083",
                                  "10.1.2.3", "sync-stepfn.localhost:8083",
                                  "stepfn.example.com", "a.b.corp.test:443",
                                  "STEPFN.EXAMPLE.COM."])
def test_loopback_names_addresses_and_allowed_names_are_answered(url: str,
                                                                 host: str) -> None:
    assert _request(url, "POST", "/", {"Host": host, **LIST}, b"{}")[0] == 200
    assert _request(url, "GET", "/machines", {"Host": host})[0] == 200


@pytest.mark.parametrize("host", ["rebind.test:8083", "evil.example", "corp.test",
                                  "stepfn.example.com.evil.test", "127.0.0.1.evil.test",
                                  "[not-an-address]", "a:b:c"])
def test_other_names_are_refused_everywhere(url: str, host: str) -> None:
    status, body = _request(url, "POST", "/", {"Host": host, **LIST}, b"{}")
    assert status == 403
    assert json.loads(body)["__type"] == "AccessDeniedException"
    arn = quote("arn:aws:states:us-east-1:123456789012:execution:m:e", safe="")
    for path in ("/", "/machines", "/metrics", f"/feed/executions/{arn}"):
        assert _request(url, "GET", path, {"Host": host})[0] == 403, path


def test_state_changes_from_another_page_are_refused(url: str) -> None:
    host = urlsplit(url).netloc
    same = {"Host": host, "Origin": f"http://{host}", **LIST}
    assert _request(url, "POST", "/", same, b"{}")[0] == 200
    assert _request(url, "POST", "/", {**same, "Origin": "https://stepfn.example.com"},
                    b"{}")[0] == 200
    for origin in ("http://evil.example", "http://10.9.9.9", "null",
                   f"http://{host.split(':')[0]}:1"):
        status, body = _request(url, "POST", "/", {**same, "Origin": origin}, b"{}")
        assert status == 403, origin
        assert "may not call this server" in json.loads(body)["message"]
    # Reading a page is not a state change (the browser keeps the answer from the page).
    assert _request(url, "GET", "/machines", {"Host": host, "Origin": "http://x.test"}
                    )[0] == 200


def test_host_parsing() -> None:
    assert split_host("Example.COM:80") == ("example.com", 80)
    assert split_host("[::1]:8083") == ("::1", 8083)
    assert split_host("10.0.0.1") == ("10.0.0.1", None)
    for bad in ("", ":80", "[::1", "a:b:c", "host:99999", "[::1]x"):
        with pytest.raises(ValueError):
            split_host(bad)
    anything = HostCheck("127.0.0.1", ("*",))
    assert anything.host_allowed("whatever.test")
    assert HostCheck("stepfn.internal").host_allowed("stepfn.internal:8083")


KEY, SECRET = "AKIDHOSTS", "hosts-secret"


@pytest.fixture(scope="module")
def signed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("metrics")
    keys = folder / "keys"
    keys.write_text(f"{KEY} {SECRET}\n")
    store = SqliteStore(str(folder / "stepfn.db"), synchronous="NORMAL")
    config = ApiConfig(auth="sigv4", access_keys_file=str(keys), metrics_token="scrape-me")
    with serve_in_thread(create_app(store, ExecutionManager(store), config)) as base:
        yield base


def _signed_get(url: str, path: str) -> dict[str, str]:
    request = AWSRequest(method="GET", url=url + path)
    SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1").add_auth(request)
    return {**dict(request.headers), "Host": urlsplit(url).netloc}


def test_metrics_need_a_signature_or_the_token(signed_url: str) -> None:
    host = {"Host": urlsplit(signed_url).netloc}
    status, body = _request(signed_url, "GET", "/metrics", host)
    assert status == 403
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    assert _request(signed_url, "GET", "/metrics",
                    {**host, "Authorization": "Bearer wrong"})[0] == 403
    status, body = _request(signed_url, "GET", "/metrics",
                            {**host, "Authorization": "Bearer scrape-me"})
    assert status == 200 and b"stepfn_" in body
    status, body = _request(signed_url, "GET", "/metrics", _signed_get(signed_url, "/metrics"))
    assert status == 200 and b"stepfn_" in body
    presigned = AWSRequest(method="GET", url=signed_url + "/metrics")
    SigV4QueryAuth(Credentials(KEY, SECRET), "states", "us-east-1", 60).add_auth(presigned)
    parts = urlsplit(presigned.url)
    assert _request(signed_url, "GET", f"{parts.path}?{parts.query}", host)[0] == 200


def test_health_stays_open_and_says_nothing_more(signed_url: str) -> None:
    status, body = _request(signed_url, "GET", "/health",
                            {"Host": urlsplit(signed_url).netloc})
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_the_token_means_nothing_without_sigv4(tmp_path: Path) -> None:
    """Without --auth the routes are open anyway; the token is only an alternative."""
    store = SqliteStore(str(tmp_path / "stepfn.db"), synchronous="NORMAL")
    with serve_in_thread(create_app(store, ExecutionManager(store), ApiConfig())) as base:
        assert _request(base, "GET", "/metrics", {"Host": urlsplit(base).netloc})[0] == 200
