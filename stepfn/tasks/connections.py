"""EventBridge connections for HTTP Tasks (``Authentication.ConnectionArn``).

An HTTP Task names an EventBridge connection; Step Functions reads it and adds what it
holds to the request:

- its authorization: ``BASIC`` (``Authorization: Basic base64(user:password)``),
  ``API_KEY`` (a header named ``ApiKeyName`` with the key as its value) or
  ``OAUTH_CLIENT_CREDENTIALS`` (a token fetched from the ``AuthorizationEndpoint`` with
  the connection's ``HttpMethod``, the client id and secret as Basic credentials and the
  connection's ``OAuthHttpParameters``; sent as ``Authorization: Bearer <token>`` and
  kept until it expires, ``expires_in``, or the API answers 401 or 407);
- its ``InvocationHttpParameters``: header, query string and body parameters, merged
  into the task's; on a conflict the connection's value wins, as EventBridge documents
  for API destinations (body parameters go into a JSON object body, or a form body).

The connection is read with EventBridge's DescribeConnection on the configured endpoint
(moto's or LocalStack's server, or AWS). AWS leaves the secret values (password, API
key, client secret, secret parameters) out of that answer and keeps them in the Secrets
Manager secret named by ``SecretArn``; they are read from there when the description
lacks them. A connection that cannot be read fails the task with the error EventBridge
answered, named as the AWS SDK integrations name it
(``EventBridge.ResourceNotFoundException``); a token endpoint that refuses, with
``States.Http.StatusCode.<code>``.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import jsonutil
from ..errors import StatesError
from .aws_sdk import AwsClients, is_service_error, sdk_v2_error

#: Seconds before its stated expiry that a cached OAuth token is fetched anew.
TOKEN_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class Parameter:
    """One header, query string or body parameter a connection adds."""

    key: str
    value: str
    secret: bool = False


@dataclass(frozen=True)
class Connection:
    """What a connection adds to a request (secrets included)."""

    arn: str
    authorization: str  # BASIC | API_KEY | OAUTH_CLIENT_CREDENTIALS
    headers: tuple[Parameter, ...] = ()
    query: tuple[Parameter, ...] = ()
    body: tuple[Parameter, ...] = ()
    # OAuth client credentials: where and how the token is asked for
    token_endpoint: str = ""
    token_method: str = "POST"
    client_id: str = ""
    client_secret: str = ""
    token_headers: tuple[Parameter, ...] = ()
    token_query: tuple[Parameter, ...] = ()
    token_body: tuple[Parameter, ...] = ()
    version: str = field(default="", compare=False)  # for the token cache


def _region_of(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else default


def _name_of(arn: str) -> str:
    """``arn:aws:events:REGION:ACCOUNT:connection/NAME/UUID`` -> NAME (a name as is)."""
    resource = arn.split(":", 5)[-1]
    if resource.startswith("connection/"):
        return resource.split("/")[1]
    return resource


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _lookup(values: dict, *names: str) -> Any:
    """A value of a description (PascalCase) or of the secret (snake_case), any of
    ``names``."""
    for name in names:
        for key in (name, _snake(name), name.lower()):
            if key in values and values[key] not in (None, ""):
                return values[key]
    return None


def _parameters(described: Any, secret: Any) -> tuple[Parameter, ...]:
    """A connection's parameter list, secret values taken from the secret's copy."""
    secret_values = {}
    for item in secret or ():
        if isinstance(item, dict):
            key = _lookup(item, "Key")
            if key is not None:
                secret_values[key] = _lookup(item, "Value")
    out = []
    for item in described or ():
        if not isinstance(item, dict):
            continue
        key = _lookup(item, "Key")
        if key is None:
            continue
        value = _lookup(item, "Value")
        if value is None:
            value = secret_values.get(key)
        out.append(Parameter(str(key), "" if value is None else str(value),
                             bool(_lookup(item, "IsValueSecret"))))
    return tuple(out)


def _http_parameters(described: Any, secret: Any) -> tuple[tuple[Parameter, ...], ...]:
    described = described if isinstance(described, dict) else {}
    secret = secret if isinstance(secret, dict) else {}
    return tuple(_parameters(_lookup(described, name), _lookup(secret, name))
                 for name in ("HeaderParameters", "QueryStringParameters", "BodyParameters"))


def parse_connection(arn: str, described: dict, secret: dict) -> Connection:
    """A Connection from DescribeConnection's answer and its secret's JSON."""
    kind = str(described.get("AuthorizationType") or "")
    auth = described.get("AuthParameters") or {}
    invocation = _http_parameters(auth.get("InvocationHttpParameters"),
                                  _lookup(secret, "InvocationHttpParameters"))
    headers, query, body = invocation
    version = str(described.get("LastModifiedTime") or described.get("CreationTime") or "")
    if kind == "BASIC":
        basic = auth.get("BasicAuthParameters") or {}
        user = _lookup(basic, "Username") or _lookup(secret, "Username") or ""
        password = _lookup(basic, "Password") or _lookup(secret, "Password") or ""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers = (Parameter("Authorization", f"Basic {token}", True), *headers)
    elif kind == "API_KEY":
        api_key = auth.get("ApiKeyAuthParameters") or {}
        name = _lookup(api_key, "ApiKeyName") or _lookup(secret, "ApiKeyName") or ""
        value = _lookup(api_key, "ApiKeyValue") or _lookup(secret, "ApiKeyValue") or ""
        headers = (Parameter(str(name), str(value), True), *headers)
    elif kind == "OAUTH_CLIENT_CREDENTIALS":
        oauth = auth.get("OAuthParameters") or {}
        client = oauth.get("ClientParameters") or {}
        secret_client = _lookup(secret, "ClientParameters") or {}
        token_headers, token_query, token_body = _http_parameters(
            oauth.get("OAuthHttpParameters"), _lookup(secret, "OAuthHttpParameters"))
        return Connection(
            arn, kind, headers, query, body,
            token_endpoint=str(_lookup(oauth, "AuthorizationEndpoint")
                               or _lookup(secret, "AuthorizationEndpoint") or ""),
            token_method=str(_lookup(oauth, "HttpMethod") or "POST").upper(),
            client_id=str(_lookup(client, "ClientID", "ClientId")
                          or _lookup(secret_client, "ClientID", "ClientId", "client_i_d")
                          or _lookup(secret, "ClientID", "ClientId") or ""),
            client_secret=str(_lookup(client, "ClientSecret")
                              or _lookup(secret_client, "ClientSecret")
                              or _lookup(secret, "ClientSecret") or ""),
            token_headers=token_headers, token_query=token_query, token_body=token_body,
            version=version)
    else:
        raise StatesError("States.Runtime",
                          f"The connection {arn} has an unsupported authorization type "
                          f"{kind!r}")
    return Connection(arn, kind, headers, query, body, version=version)


class Connections:
    """Reads connections and keeps their OAuth tokens until they expire."""

    def __init__(self, clients: AwsClients, region: str = "us-east-1") -> None:
        self.clients = clients
        self.region = region
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    async def read(self, arn: str) -> Connection:
        """The connection ``arn`` (an ARN or a name), secrets included."""
        region = _region_of(arn, self.region)
        events = await self.clients.client_off_loop("events", region)
        try:
            described = await self.clients.call(events, "describe_connection",
                                                {"Name": _name_of(arn)})
        except Exception as exc:
            if is_service_error(exc):
                raise sdk_v2_error(events, exc) from None
            raise StatesError("States.Http.Socket",
                              f"Cannot read the connection {arn}: {exc}") from None
        secret: dict = {}
        if described.get("SecretArn") and _needs_secret(described):
            secret = await self._secret(region, described["SecretArn"])
        return parse_connection(arn, described, secret)

    async def _secret(self, region: str, secret_arn: str) -> dict:
        client = await self.clients.client_off_loop("secretsmanager", region)
        try:
            value = await self.clients.call(client, "get_secret_value",
                                            {"SecretId": secret_arn})
        except Exception as exc:
            if is_service_error(exc):
                raise sdk_v2_error(client, exc) from None
            raise
        try:
            parsed = jsonutil.loads(value.get("SecretString") or "{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    # -- OAuth ----------------------------------------------------------------------------
    def cached_token(self, connection: Connection) -> str | None:
        with self._lock:
            found = self._tokens.get((connection.arn, connection.version))
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    def forget_token(self, connection: Connection) -> None:
        with self._lock:
            self._tokens.pop((connection.arn, connection.version), None)

    async def token(self, connection: Connection, send: Any, timeout: float,
                    policy: Any) -> str:
        """The connection's OAuth access token (cached until it expires)."""
        cached = self.cached_token(connection)
        if cached is not None:
            return cached
        loop = asyncio.get_running_loop()
        request = token_request(connection)
        answer = await loop.run_in_executor(None, send, request, timeout, policy)
        if not 200 <= answer.status < 300:
            raise StatesError(
                "States.Http.StatusCode." + str(answer.status),
                f"The OAuth endpoint {connection.token_endpoint} answered {answer.status}: "
                + answer.body.decode("utf-8", "replace")[:1000])
        try:
            document = jsonutil.loads(answer.body)
            token = str(document["access_token"])
        except (ValueError, KeyError, TypeError):
            raise StatesError("States.Runtime", f"The OAuth endpoint "
                              f"{connection.token_endpoint} answered no access_token") \
                from None
        expires_in = document.get("expires_in") if isinstance(document, dict) else None
        lifetime = float(expires_in) if isinstance(expires_in, int | float | str) and \
            str(expires_in).replace(".", "", 1).isdigit() else float("inf")
        with self._lock:
            self._tokens[(connection.arn, connection.version)] = (
                token, time.time() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS))
        return token


def _needs_secret(described: dict) -> bool:
    """Whether DescribeConnection left a secret value out (AWS always does)."""
    auth = described.get("AuthParameters") or {}
    kind = described.get("AuthorizationType")
    if kind == "BASIC" and not (auth.get("BasicAuthParameters") or {}).get("Password"):
        return True
    if kind == "API_KEY" and not (auth.get("ApiKeyAuthParameters") or {}).get("ApiKeyValue"):
        return True
    if kind == "OAUTH_CLIENT_CREDENTIALS" and not (
            (auth.get("OAuthParameters") or {}).get("ClientParameters") or {}).get(
            "ClientSecret"):
        return True
    for group in (auth.get("InvocationHttpParameters") or {}).values():
        for item in group or ():
            if isinstance(item, dict) and item.get("IsValueSecret") and \
                    item.get("Value") in (None, ""):
                return True
    return False


def token_request(connection: Connection) -> Any:
    """The request for a client-credentials token."""
    import urllib.parse

    from .http import HttpRequest

    credentials = base64.b64encode(
        f"{connection.client_id}:{connection.client_secret}".encode()).decode()
    headers = {"Authorization": f"Basic {credentials}"}
    headers.update({p.key: p.value for p in connection.token_headers})
    url = connection.token_endpoint
    query = [(p.key, p.value) for p in connection.token_query]
    body_pairs = [(p.key, p.value) for p in connection.token_body]
    body = None
    if connection.token_method == "GET":
        query += body_pairs
    elif body_pairs:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        body = urllib.parse.urlencode(body_pairs).encode()
    if query:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
    return HttpRequest(url, connection.token_method, headers, body)


def merge_headers(task: dict[str, str], added: Iterable[Parameter]) -> dict[str, str]:
    """The task's headers with the connection's added; the connection's win (names
    compared without case)."""
    merged = dict(task)
    for parameter in added:
        for name in [n for n in merged if n.lower() == parameter.key.lower()]:
            del merged[name]
        merged[parameter.key] = parameter.value
    return merged
