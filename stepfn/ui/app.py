"""The ASGI app that serves the web UI: ``GET /static/<file>`` from the built files
shipped in this package, and the single page (index.html) for every page path
(``/``, ``/machines/<ARN>``, ``/executions/<ARN>``, ``/editor``...), so a page's URL can
be shared and reloaded. Plugged into the API server as its ``fallback``: the API stays
``POST /`` and the live feed ``GET /feed/...``.

The files are read once and kept in memory with their gzip form and a content hash:
answers carry an ``ETag`` and ``Cache-Control: no-cache`` (the browser revalidates and
gets ``304 Not Modified`` while the build is unchanged, since the file names carry no
hash), and a gzip body when the browser accepts one.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
# The page loads only its own files; CodeMirror and inline style attributes need
# inline styles; exported PNGs are drawn from a data: URL and saved through blob: URLs.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
     b"worker-src 'self'; connect-src 'self'; frame-ancestors 'none'"),
]
STATIC_PREFIX = "/static/"
MIN_GZIP = 1024  # smaller files go as they are

Send = Callable[[dict], Awaitable[None]]


@dataclass(frozen=True)
class Asset:
    """One built file, ready to send."""

    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: bytes


def _asset(name: str, body: bytes) -> Asset:
    suffix = name[name.rfind("."):] if "." in name else ""
    packed = gzip.compress(body, 6, mtime=0) if len(body) >= MIN_GZIP else None
    if packed is not None and len(packed) >= len(body):
        packed = None
    etag = b'"' + hashlib.sha256(body).hexdigest()[:20].encode() + b'"'
    return Asset(body, packed, CONTENT_TYPES.get(suffix, "application/octet-stream"), etag)


def load_assets() -> dict[str, Asset]:
    """The built files of ``stepfn/ui/static`` by name (empty when the UI is not built)."""
    root = resources.files("stepfn.ui").joinpath("static")
    if not root.is_dir():
        return {}
    return {item.name: _asset(item.name, item.read_bytes())
            for item in root.iterdir() if item.is_file()}


NOT_BUILT = b"""<!doctype html><meta charset="utf-8"><title>stepfn</title>
<p>The web UI is not built: run <code>npm ci &amp;&amp; npm run build</code> in
stepfn/ui/web.</p>"""


def _header(scope: dict, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


def _is_page(path: str) -> bool:
    """Whether ``path`` names a page of the app (the SPA answers it): any path whose
    last segment has no file extension."""
    last = path.rsplit("/", 1)[-1]
    return "." not in last


def create_ui_app(assets: dict[str, Asset] | None = None
                  ) -> Callable[[dict, Callable, Send], Awaitable[None]]:
    """The UI's ASGI app (``assets``: the files to serve, ``load_assets()`` when None)."""
    files = load_assets() if assets is None else assets
    index = files.get("index.html") or _asset("index.html", NOT_BUILT)

    async def app(scope: dict, receive: Callable, send: Send) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        if method not in ("GET", "HEAD"):
            await _plain(send, 405, b"Method Not Allowed\n", [(b"allow", b"GET, HEAD")])
            return
        if path.startswith(STATIC_PREFIX):
            asset = files.get(path[len(STATIC_PREFIX):])
        else:
            asset = index if _is_page(path) else None
        if asset is None:
            await _plain(send, 404, b"Not Found\n")
            return
        await _send_asset(scope, send, asset, head=method == "HEAD")

    return app


async def _plain(send: Send, status: int, body: bytes,
                 extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS, *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


async def _send_asset(scope: dict, send: Send, asset: Asset, head: bool) -> None:
    headers = [(b"content-type", asset.content_type.encode()), (b"etag", asset.etag),
               (b"cache-control", b"no-cache"), (b"vary", b"accept-encoding"),
               *SECURITY_HEADERS]
    if asset.etag in (t.strip() for t in _header(scope, b"if-none-match").split(b",")):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = asset.body
    if asset.gzipped is not None and b"gzip" in _header(scope, b"accept-encoding"):
        body = asset.gzipped
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
