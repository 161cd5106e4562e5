"""``arn:aws:states:::http:invoke``: the HTTP Task, as a real HTTP request.

Parameters as AWS documents them: ``ApiEndpoint`` and ``Method`` (required),
``Headers``, ``QueryParameters``, ``RequestBody`` and ``Transform``
(``RequestBodyEncoding: NONE | URL_ENCODED`` with
``RequestEncodingOptions.ArrayFormat: INDICES (default) | BRACKETS | REPEAT | COMMAS``).
``Authentication.ConnectionArn`` names an EventBridge connection, read from EventBridge
on the configured endpoint; its authorization and invocation parameters are merged into
the request (``tasks/connections.py``). A handler given no ``connections``
(``STEPFN_HTTP_CONNECTIONS=ignore``) sends the request as the task wrote it instead.

The result is ``{Headers: {name: [values]}, ResponseBody, StatusCode, StatusText}`` with
``StatusCode`` as a string and a JSON response body parsed. A non-2xx answer fails the
task with ``States.Http.StatusCode.<code>`` (the cause is that same response document as
JSON text); a network failure or the 60-second limit with ``States.Http.Socket``.

What a definition may reach: only ``http`` and ``https`` URLs, and only addresses the
handler's ``HttpPolicy`` permits (``--http-allow``), checked on the addresses the
host name resolves to, at connection time (redirects included), so a name that resolves
to a forbidden address is refused as well.
"""

from __future__ import annotations

import asyncio
import http.client
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .. import jsonutil
from ..errors import StatesError
from .aws_sdk import unknown_resource, unsupported_pattern
from .base import TaskCall

HTTP_TIMEOUT_SECONDS = 60.0
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
ARRAY_FORMATS = frozenset({"INDICES", "BRACKETS", "REPEAT", "COMMAS"})
SCHEMES = frozenset({"http", "https"})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_ip = ipaddress.ip_address
_net = ipaddress.ip_network
# Cloud metadata and credential services: whoever reaches one from the server reads the
# server's own credentials, so each is refused unless an entry names exactly that
# address. EC2 IMDS (IPv4, IPv6), the ECS task metadata and credentials endpoint, the
# EKS Pod Identity agent (IPv4, IPv6), and Alibaba Cloud's metadata service (outside
# 169.254/16; GCP's and Azure's are 169.254.169.254 too).
METADATA_ADDRESSES = frozenset({
    _ip("169.254.169.254"), _ip("fd00:ec2::254"), _ip("169.254.170.2"),
    _ip("169.254.170.23"), _ip("fd00:ec2::23"), _ip("100.100.100.200")})
# Reached only when an entry inside the range itself names them (``169.254.0.0/16``,
# ``127.0.0.1``): an entry like ``0.0.0.0/0`` or a wildcard host does not.
LINK_LOCAL = (_net("169.254.0.0/16"), _net("fe80::/10"))
LOOPBACK = (_net("127.0.0.0/8"), _net("::1/128"), _net("0.0.0.0/32"), _net("::/128"))
# IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits: NAT64's
# well-known and local-use prefixes (RFC 6052, RFC 8215), IPv4-translated addresses
# (::ffff:0:a.b.c.d, RFC 2765) and the deprecated IPv4-compatible form (::a.b.c.d).
# IPv4-mapped (::ffff:a.b.c.d) and 6to4 have their own properties in ``ipaddress``.
_EMBEDDING_IPV4 = (_net("64:ff9b::/96"), _net("64:ff9b:1::/48"), _net("::ffff:0:0:0/96"),
                   _net("::/96"))


def addresses_reached(address: Address) -> tuple[Address, ...]:
    """``address``, and the IPv4 address an IPv6 one stands for when it embeds one
    (a connection to ``[::ffff:169.254.169.254]`` or, through NAT64,
    ``[64:ff9b::a9fe:a9fe]`` reaches 169.254.169.254)."""
    if isinstance(address, ipaddress.IPv4Address):
        return (address,)
    embedded = address.ipv4_mapped or address.sixtofour
    if embedded is None and any(address in prefix for prefix in _EMBEDDING_IPV4) and (
            int(address) > 1):  # :: and ::1 are not IPv4-compatible addresses
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return (address,) if embedded is None else (address, embedded)


@dataclass(frozen=True)
class HttpPolicy:
    """Which destinations HTTP Tasks may connect to.

    ``allow`` None (the default) permits any address but the metadata services and
    link-local addresses; a list permits only the hosts (``api.example.com``,
    ``*.example.com``) and networks (``10.0.0.0/8``, ``192.0.2.7``) it names. On top
    of that, whatever the list: a metadata address is permitted only when an entry
    names exactly that address; a link-local address only when an entry inside
    link-local space contains it; and a host matched through a wildcard entry may not
    resolve to a loopback address unless an entry inside loopback space contains it
    (a name under ``*.example.com`` that someone points at 127.0.0.1). IPv6 forms of
    an IPv4 address (mapped, compatible, NAT64, 6to4) are judged as that address too.
    """

    allow: tuple[str, ...] | None = None
    _hosts: frozenset[str] = field(default=frozenset(), repr=False)
    _networks: tuple[Network, ...] = field(default=(), repr=False)

    @classmethod
    def parse(cls, entries: Sequence[str] | str | None) -> HttpPolicy:
        """From a list or a comma/space-separated text (--http-allow); empty or
        None means the default policy. ValueError for an entry that is neither."""
        if isinstance(entries, str):
            entries = entries.replace(",", " ").split()
        if not entries:
            return cls()
        hosts, networks = set(), []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not entry or "/" in entry or ":" in entry:
                    raise ValueError(f"not a host or network: {entry!r}") from None
                hosts.add(entry.lower())
        return cls(tuple(entries), frozenset(hosts), tuple(networks))

    def permits(self, host: str, address: Address) -> bool:
        """Whether a connection to ``address`` (which ``host`` resolved to) is allowed."""
        reached = addresses_reached(address)
        if any(a in METADATA_ADDRESSES for a in reached):
            return any(net.num_addresses == 1 and a in net
                       for a in reached for net in self._networks)
        if _within(reached, LINK_LOCAL) and not self._names_inside(reached, LINK_LOCAL):
            return False
        if self.allow is None:
            return True
        name = host.lower().rstrip(".")
        if name in self._hosts:
            return True
        if any(h.startswith("*.") and name.endswith(h[1:]) for h in self._hosts) and (
                not _within(reached, LOOPBACK) or self._names_inside(reached, LOOPBACK)):
            return True
        return any(a in net for a in reached for net in self._networks)

    def _names_inside(self, reached: tuple[Address, ...],
                      ranges: tuple[Network, ...]) -> bool:
        """Whether an entry lying inside one of ``ranges`` contains the address."""
        return any(a in net and _subnet(net, r) for a in reached for net in self._networks
                   for r in ranges)


def _within(reached: tuple[Address, ...], ranges: tuple[Network, ...]) -> bool:
    return any(a in r for a in reached for r in ranges)


def _subnet(net: Network, of: Network) -> bool:
    return net.version == of.version and net.subnet_of(of)  # type: ignore[arg-type]


@dataclass(frozen=True)
class HttpRequest:
    """A prepared request: everything is text or bytes, ready for the wire."""

    url: str
    method: str
    headers: dict[str, str]
    body: bytes | None
    # The request without what an EventBridge connection added to it: what TestState's
    # TRACE shows unless ``revealSecrets`` (None: no connection added anything).
    without_connection: HttpRequest | None = None


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


#: Set while TestState runs at inspectionLevel TRACE: told each request sent and the
#: answer received, so they can be shown in ``inspectionData``.
HTTP_TRACE: ContextVar[Callable[[HttpRequest, HttpAnswer], None] | None] = ContextVar(
    "stepfn_http_trace", default=None)


class HttpInvokeHandler:
    """Runs HTTP Tasks with the standard library, off the event loop."""

    def __init__(self, region: str = "us-east-1",
                 timeout: float = HTTP_TIMEOUT_SECONDS,
                 policy: HttpPolicy | None = None, connections: Any = None) -> None:
        self.region = region
        self.timeout = timeout
        self.policy = policy or HttpPolicy()
        # Reads Authentication.ConnectionArn's connection (a connections.Connections);
        # None: connections are not read (the request goes as the task wrote it).
        self.connections = connections

    async def invoke(self, call: TaskCall) -> Any:
        ref = call.ref
        if ref.resource != "invoke":
            raise unknown_resource(ref.arn)
        if ref.pattern:
            raise unsupported_pattern(ref.arn, ref.pattern)
        region = ref.region or self.region
        request = build_request(call.parameters, region)
        loop = asyncio.get_running_loop()
        policy = self.policy
        connection = await self._connection(call.parameters)
        if connection is not None:
            request = await self._with_connection(call.parameters, region, connection,
                                                  request, policy)
        answer = await loop.run_in_executor(None, send, request, self.timeout, policy)
        if connection is not None and connection.authorization == \
                "OAUTH_CLIENT_CREDENTIALS" and answer.status in (401, 407):
            # The token may have been revoked before it expired: ask for a new one once.
            self.connections.forget_token(connection)
            request = await self._with_connection(call.parameters, region, connection,
                                                  request.without_connection or request,
                                                  policy)
            answer = await loop.run_in_executor(None, send, request, self.timeout, policy)
        trace = HTTP_TRACE.get()
        if trace is not None:
            trace(request, answer)
        result = result_document(answer)
        if not 200 <= answer.status < 300:
            raise StatesError(f"States.Http.StatusCode.{answer.status}", jsonutil.dumps(result))
        return result


    async def _connection(self, params: Any) -> Any:
        """The connection the task names, read from EventBridge; None when it names
        none, or when this handler reads no connections (``STEPFN_HTTP_CONNECTIONS=
        ignore``: definitions written for AWS run where no EventBridge holds their
        connections; the request goes as the task wrote it)."""
        if self.connections is None or not isinstance(params, dict):
            return None
        arn = (params.get("Authentication") or {}).get("ConnectionArn")
        if not isinstance(arn, str) or not arn:
            return None
        return await self.connections.read(arn)

    async def _with_connection(self, params: dict, region: str, connection: Any,
                               request: HttpRequest, policy: HttpPolicy) -> HttpRequest:
        """The request with the connection's authorization and parameters merged in."""
        from .connections import Parameter, merge_headers

        added = list(connection.headers)
        if connection.authorization == "OAUTH_CLIENT_CREDENTIALS":
            token = await self.connections.token(connection, send, self.timeout, policy)
            added.insert(0, Parameter("Authorization", f"Bearer {token}", True))
        merged = dict(params)
        merged["Headers"] = merge_headers(
            {str(k): _header_text(v) for k, v in (params.get("Headers") or {}).items()},
            added)
        if connection.query:
            query = dict(params.get("QueryParameters") or {})
            for parameter in connection.query:
                query[parameter.key] = parameter.value
            merged["QueryParameters"] = query
        body = params.get("RequestBody")
        if connection.body and (body is None or isinstance(body, dict)):
            merged["RequestBody"] = {**(body or {}),
                                     **{p.key: p.value for p in connection.body}}
        sent = build_request(merged, region)
        return HttpRequest(sent.url, sent.method, sent.headers, sent.body,
                           without_connection=request)


def _invalid(message: str) -> StatesError:
    return StatesError("States.Runtime", message)


def build_request(params: Any, region: str) -> HttpRequest:
    """Validate the task's parameters and turn them into a request."""
    if not isinstance(params, dict):
        raise _invalid("The HTTP Task requires Parameters with ApiEndpoint and Method")
    endpoint = params.get("ApiEndpoint")
    method = params.get("Method")
    if not isinstance(endpoint, str) or not endpoint:
        raise _invalid("The HTTP Task field 'ApiEndpoint' must be a non-empty string")
    if not is_http_url(endpoint):
        raise _invalid("The HTTP Task field 'ApiEndpoint' must be an http or https URL")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise _invalid(f"The HTTP Task field 'Method' must be one of {sorted(METHODS)}")
    headers = {"User-Agent": f"Amazon|StepFunctions|HttpInvoke|{region}"}
    headers.update({str(name): _header_text(value)
                    for name, value in (params.get("Headers") or {}).items()})
    url = _with_query(endpoint, params.get("QueryParameters"))
    body = _encode_body(params, headers)
    return HttpRequest(url, method.upper(), headers, body)


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host (nothing else is sent)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(parts.hostname)


def _header_text(value: Any) -> str:
    return value if isinstance(value, str) else jsonutil.dumps(value)


def _with_query(endpoint: str, query: Any) -> str:
    if not query:
        return endpoint
    if not isinstance(query, dict):
        raise _invalid("The HTTP Task field 'QueryParameters' must be an object")
    pairs = _flatten(query, "REPEAT")
    separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
    return endpoint + separator + urllib.parse.urlencode(pairs)


def _encode_body(params: dict, headers: dict[str, str]) -> bytes | None:
    if "RequestBody" not in params or params["RequestBody"] is None:
        return None
    body = params["RequestBody"]
    transform = params.get("Transform") or {}
    if transform.get("RequestBodyEncoding", "NONE") == "URL_ENCODED":
        if not isinstance(body, dict):
            raise _invalid("A URL_ENCODED RequestBody must be a JSON object")
        array_format = (transform.get("RequestEncodingOptions") or {}).get(
            "ArrayFormat", "INDICES")
        if array_format not in ARRAY_FORMATS:
            raise _invalid(f"Unsupported ArrayFormat: {array_format}")
        _default_header(headers, "Content-Type", "application/x-www-form-urlencoded")
        return urllib.parse.urlencode(_flatten(body, array_format)).encode()
    _default_header(headers, "Content-Type", "application/json")
    return body.encode() if isinstance(body, str) else jsonutil.dumps_bytes(body)


def _default_header(headers: dict[str, str], name: str, value: str) -> None:
    if not any(key.lower() == name.lower() for key in headers):
        headers[name] = value


def _flatten(value: dict, array_format: str, prefix: str = "") -> list[tuple[str, str]]:
    """Form/query pairs for a JSON object, arrays written in the requested format."""
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        pairs.extend(_flatten_item(name, item, array_format))
    return pairs


def _flatten_item(name: str, item: Any, array_format: str) -> list[tuple[str, str]]:
    if isinstance(item, dict):
        return _flatten(item, array_format, name)
    if not isinstance(item, list):
        return [(name, _scalar_text(item))]
    if array_format == "COMMAS":
        return [(name, ",".join(_scalar_text(element) for element in item))]
    pairs: list[tuple[str, str]] = []
    for index, element in enumerate(item):
        element_name = {"INDICES": f"{name}[{index}]", "BRACKETS": f"{name}[]"}.get(
            array_format, name)
        pairs.extend(_flatten_item(element_name, element, array_format))
    return pairs


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return jsonutil.dumps(value)  # true/false/null/numbers as JSON spells them


class Blocked(OSError):
    """A destination the HttpPolicy does not permit."""


def _guarded_connect(policy: HttpPolicy) -> Any:
    """A ``socket.create_connection`` that resolves the host itself, checks every
    address against ``policy`` and connects to a checked address (so the name cannot
    resolve to another address between the check and the connection)."""

    def create_connection(address: tuple[str, int], timeout: Any = None,
                          source_address: Any = None, **_: Any) -> socket.socket:
        host, port = address
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        last: OSError = Blocked(f"no address for {host}")
        for family, kind, proto, _name, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if not policy.permits(host, ip):
                last = Blocked(f"{host} ({ip}) is not an allowed destination")
                continue
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, int | float):  # not the "no timeout" sentinel
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last

    return create_connection


def _opener(policy: HttpPolicy) -> urllib.request.OpenerDirector:
    """urllib with http and https only (redirects too: no file:, ftp: or data:), no
    proxies from the environment, and every connection checked against ``policy``."""
    connect = _guarded_connect(policy)

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(_connection(http.client.HTTPConnection, connect), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(_connection(http.client.HTTPSConnection, connect), req,
                                context=getattr(self, "_context", None))

    opener = urllib.request.OpenerDirector()
    for handler in (Http(), Https(), urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPRedirectHandler(),
                    urllib.request.HTTPErrorProcessor(), urllib.request.UnknownHandler()):
        opener.add_handler(handler)
    return opener


def _connection(base: type, connect: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> Any:
        conn = base(*args, **kwargs)
        conn._create_connection = connect
        return conn
    return make


def send(request: HttpRequest, timeout: float,
         policy: HttpPolicy | None = None) -> HttpAnswer:
    """Send a request (blocking); non-2xx answers are answers, not exceptions."""
    wire = urllib.request.Request(request.url, data=request.body, headers=request.headers,
                                  method=request.method)
    try:
        with _opener(policy or HttpPolicy()).open(wire, timeout=timeout) as response:
            return HttpAnswer(response.status, response.reason or "",
                              list(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, str(error.reason or ""),
                              list(error.headers.items()) if error.headers else [],
                              error.read() or b"")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StatesError("States.Http.Socket",
                          f"Error connecting to {request.url}: {reason}") from None


def result_document(answer: HttpAnswer) -> dict:
    """The task result AWS builds from an HTTP response."""
    headers: dict[str, list[str]] = {}
    content_type = ""
    for name, value in answer.headers:
        headers.setdefault(name, []).append(value)
        if name.lower() == "content-type":
            content_type = value.lower()
    return {
        "Headers": headers,
        "ResponseBody": _response_body(answer.body, content_type),
        "StatusCode": str(answer.status),
        "StatusText": answer.reason,
    }


def _response_body(body: bytes, content_type: str) -> Any:
    text = body.decode("utf-8", "replace")
    if "json" in content_type and text.strip():
        try:
            return jsonutil.loads(body)
        except ValueError:
            return text
    return text
