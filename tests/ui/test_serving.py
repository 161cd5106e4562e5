"""How ``stepfn serve`` serves the web UI beside the API (plain HTTP, no browser)."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import stepfn.ui

STATIC = Path(stepfn.ui.__file__).parent / "static"


def fetch(url: str, method: str = "GET", headers: dict | None = None
          ) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


@pytest.mark.parametrize("path", [
    "/", "/machines/arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3AstateMachine%3Ax",
    "/executions/arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Ax%3Ay",
    "/editor", "/settings"])
def test_every_page_path_answers_the_app_page(ui_server: str, path: str) -> None:
    status, headers, body = fetch(ui_server + path)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert body == (STATIC / "index.html").read_bytes()
    assert '<script type="module" src="/static/app.js">' in body.decode()


@pytest.mark.parametrize(("name", "kind"), [
    ("app.js", "text/javascript; charset=utf-8"), ("app.css", "text/css; charset=utf-8")])
def test_static_files_with_their_type_etag_and_gzip(ui_server: str, name: str,
                                                    kind: str) -> None:
    url = f"{ui_server}/static/{name}"
    status, headers, body = fetch(url)
    assert (status, headers["content-type"]) == (200, kind)
    assert body == (STATIC / name).read_bytes()
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in headers["content-security-policy"]
    # Unchanged since last time: 304 without a body.
    status, _, again = fetch(url, headers={"If-None-Match": headers["etag"]})
    assert (status, again) == (304, b"")
    # Compressed for a browser that accepts it.
    status, zipped, packed = fetch(url, headers={"Accept-Encoding": "gzip, br"})
    assert zipped["content-encoding"] == "gzip" and gzip.decompress(packed) == body
    assert len(packed) < len(body)
    # HEAD: the headers alone.
    status, head, nothing = fetch(url, method="HEAD")
    assert (status, nothing, head["content-length"]) == (200, b"", str(len(body)))


def test_unknown_files_and_methods(ui_server: str) -> None:
    assert fetch(ui_server + "/static/nope.js")[0] == 404
    assert fetch(ui_server + "/favicon.ico")[0] == 404
    status, headers, _ = fetch(ui_server + "/machines", method="DELETE")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_the_api_still_answers_post(ui_server: str, sfn: Any) -> None:
    assert isinstance(sfn.list_state_machines()["stateMachines"], list)


def test_the_wheel_ships_the_built_ui_and_not_its_sources(tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).parents[2]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(root)], check=True, timeout=300)
    wheel = next(tmp_path.glob("stepfn-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("app.js", "app.css", "index.html"):
        assert f"stepfn/ui/static/{name}" in names
    assert not [n for n in names if "/web/" in n or "node_modules" in n]
