"""Which ``Host`` a request may name, and which ``Origin`` may change state.

DNS rebinding: a page on ``http://evil.example:8083`` whose owner then points that
name at 127.0.0.1 is, to the browser, same-origin with stepfn, so its scripts could
call the API and read the answers. Its requests still say ``Host: evil.example:8083``.
stepfn answers only the names it is meant to be reached by: any IP address (a page at
an IP address is that address's own origin, so it cannot rebind), ``localhost`` and
names under ``.localhost`` (RFC 6761: always loopback), the ``--host`` it listens on,
and the ``--allowed-hosts`` entries (``api.example.com``, ``*.example.com``, or ``*``
for any, behind a proxy that checks names itself).

Cross-site requests: a page on another origin may send a POST without reading the
answer. Browsers name the page in ``Origin``; a request that changes state (any method
but GET, HEAD and OPTIONS) carrying one must come from the server's own origin (the
``Host`` it names) or from an ``--allowed-hosts`` name. Clients that are not browsers
send no ``Origin`` and are not affected.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def split_host(value: str) -> tuple[str, int | None]:
    """``name:port``, ``[v6]:port`` or either without a port, as (lower-case host
    without brackets, port or None); ValueError for a malformed value."""
    text = value.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(value)
        host, rest = text[1:end], text[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(value)
        port_text = rest[1:]
    else:
        host, _, port_text = text.partition(":")
        if ":" in port_text:  # a bare IPv6 address is not a Host header
            raise ValueError(value)
    port = int(port_text) if port_text else None
    if not host or (port is not None and not 0 < port < 65536):
        raise ValueError(value)
    return host.rstrip("."), port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HostCheck:
    """The names this server answers to (see the module's docstring)."""

    def __init__(self, listen_host: str, allowed: Sequence[str] = ()) -> None:
        self.listen_host = listen_host.strip().lower().strip("[]").rstrip(".")
        self.allowed = tuple(entry.lower().rstrip(".") for entry in allowed)
        self.any = "*" in self.allowed

    def _listed(self, host: str) -> bool:
        return self.any or any(
            host == entry or (entry.startswith("*.") and host.endswith(entry[1:]))
            for entry in self.allowed)

    def host_allowed(self, value: str | None) -> bool:
        """Whether a request naming ``Host: value`` is answered (a request without
        one, as HTTP/1.0 allows, is: no browser sends it that way)."""
        if value is None or self.any:
            return True
        try:
            host, _ = split_host(value)
        except ValueError:
            return False
        return (_is_ip(host) or host == "localhost" or host.endswith(".localhost")
                or host == self.listen_host or self._listed(host))

    def origin_allowed(self, method: str, origin: str | None, host: str | None) -> bool:
        """Whether a request with this method, ``Origin`` and ``Host`` may go on: a
        state-changing one from a page must come from this server's own origin or an
        ``--allowed-hosts`` name."""
        if method in SAFE_METHODS or origin is None or self.any:
            return True
        try:
            parts = urlsplit(origin.strip())
            origin_host = (parts.hostname or "").rstrip(".")
            origin_port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
            if not origin_host:  # "null": a sandboxed frame, a file: page
                return False
            if host is not None:
                own_host, own_port = split_host(host)
                if (origin_host, origin_port) == (
                        own_host, own_port or _DEFAULT_PORTS.get(parts.scheme)):
                    return True
        except ValueError:
            return False
        return self._listed(origin_host)
