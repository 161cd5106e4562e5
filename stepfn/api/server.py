"""The ASGI app serving the Step Functions API (awsJson1_0), and ``serve``.

Raw ASGI rather than a framework: the protocol is a single route (``POST /`` with an
``X-Amz-Target`` header), so a framework would add per-request cost and nothing else.
Requests that are not API calls go to an optional ``fallback`` ASGI app (the UI).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from stepfn.api import ops, stepfn_api
from stepfn.api.auth import SigV4Verifier, load_access_keys
from stepfn.api.connections import (
    ConnectionGuard,
    ConnectionLimits,
    ShedLog,
    bounded_protocol,
    default_max_connections,
)
from stepfn.api.errors import ApiError, from_service, is_declared
from stepfn.api.handlers import StepFunctionsApi
from stepfn.api.hosts import HostCheck
from stepfn.api.model import operation_names, validate_request
from stepfn.service.app import open_store
from stepfn.service.arns import Arns
from stepfn.service.contract import ExecutionService
from stepfn.service.errors import ServiceError
from stepfn.settings import Settings
from stepfn.store.base import Store

if TYPE_CHECKING:
    from stepfn.service.app import ServiceSettings

log = logging.getLogger("stepfn.api")

CONTENT_TYPE = b"application/x-amz-json-1.0"
TARGET_PREFIX = "AWSStepFunctions."
MAX_BODY = 8 * 1024 * 1024  # a 1 MiB definition, JSON-escaped, fits well within

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]],
                   Awaitable[None]]


_DEFAULTS = Settings()


@dataclass(frozen=True)
class ApiConfig:
    """Where the server listens, what it answers as and to whom (``stepfn.settings``
    declares each one's variable and flag; ``from_settings`` builds it from them)."""

    region: str = _DEFAULTS.region
    account: str = _DEFAULTS.account
    db_path: str = _DEFAULTS.db
    host: str = _DEFAULTS.host
    port: int = _DEFAULTS.port
    log_level: str = _DEFAULTS.log_level
    # Answer InternalFailure (instead of the code) when an operation raises an error its
    # service model does not declare: the tests run this way so such a bug cannot hide.
    strict_errors: bool = False
    # "none" (the default) or "sigv4": check AWS Signature Version 4 on every API call
    # against the ``ACCESS_KEY_ID SECRET_ACCESS_KEY`` lines of ``access_keys_file``.
    auth: str = _DEFAULTS.auth
    access_keys_file: str | None = None
    # Host names answered besides loopback names, IP addresses and ``host`` (api/hosts.py).
    allowed_hosts: tuple[str, ...] = ()
    # Under sigv4, GET /metrics also takes "Authorization: Bearer <metrics_token>".
    metrics_token: str | None = None
    # The HTTP server's bounds (api/connections.py).
    header_timeout: float = _DEFAULTS.header_timeout
    body_timeout: float = _DEFAULTS.body_timeout
    keep_alive_timeout: float = _DEFAULTS.keep_alive_timeout
    max_connections: int | None = None  # None: from the open-file limit

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiConfig:
        return cls(region=settings.region, account=settings.account, db_path=settings.db,
                   host=settings.host, port=settings.port, log_level=settings.log_level,
                   strict_errors=settings.strict_errors, auth=settings.auth,
                   access_keys_file=settings.access_keys_file,
                   allowed_hosts=settings.allowed_hosts,
                   metrics_token=settings.metrics_token,
                   header_timeout=settings.header_timeout,
                   body_timeout=settings.body_timeout,
                   keep_alive_timeout=settings.keep_alive_timeout,
                   max_connections=settings.max_connections)


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive: Callable[[], Awaitable[dict]]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError("SerializationException", "Request body too large", 413)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Callable[[dict], Awaitable[None]], status: int,
                   payload: dict) -> None:
    body = orjson.dumps(payload)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", CONTENT_TYPE),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _error_answer(operation: str | None, exc: ApiError, strict: bool) -> tuple[int, dict]:
    """The status and body for an ApiError, checked against the operation's model.

    botocore builds ``client.exceptions.X`` from the errors the model lists for each
    operation, so any other code is one clients cannot catch as documented: a bug here.
    """
    if operation and operation in operation_names() and not is_declared(operation,
                                                                          exc.code):
        log.error("%s answered %s, which its service model does not declare",
                  operation, exc.code)
        if strict:
            return 500, {"__type": "InternalFailure",
                         "message": f"{operation} may not answer {exc.code}"}
    return exc.status, exc.to_json()


def make_verifier(config: ApiConfig) -> SigV4Verifier | None:
    """The signature checker ``config.auth`` asks for (None for ``none``); ValueError
    for an unknown mode or a missing or malformed access-keys file."""
    if config.auth == "none":
        return None
    if config.auth != "sigv4":
        raise ValueError(f"unknown auth mode {config.auth!r} (expected none or sigv4)")
    if not config.access_keys_file:
        raise ValueError("--auth sigv4 needs --access-keys FILE (STEPFN_ACCESS_KEYS_FILE)")
    return SigV4Verifier(load_access_keys(config.access_keys_file), config.region)


def _authenticate(verifier: SigV4Verifier, scope: dict, body: bytes) -> None:
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope.get("path", "/")
    headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
               for k, v in scope.get("headers", ())]
    verifier.verify(scope["method"], path.split("?", 1)[0],
                    scope.get("query_string", b"").decode("latin-1"), headers, body)


def _refusal(names: HostCheck, scope: dict) -> str | None:
    """Why a request is refused for the name it was sent to (DNS rebinding) or the page
    it comes from (a cross-site request that changes state); None: it is not."""
    host = _header(scope, b"host")
    if not names.host_allowed(host):
        return (f"Host {(host or '')[:100]!r} is not a name this server answers to: it "
                "answers IP addresses, localhost, its --host and the --allowed-hosts "
                "names (STEPFN_ALLOWED_HOSTS)")
    origin = _header(scope, b"origin")
    if not names.origin_allowed(scope["method"], origin, host):
        return (f"Origin {(origin or '')[:100]!r} may not call this server: a page may "
                "change state only from the server's own origin or an --allowed-hosts "
                "name")
    return None


def _bearer(scope: dict, token: str | None) -> bool:
    """Whether the request carries ``Authorization: Bearer <token>`` (a set token)."""
    if not token:
        return False
    given = _header(scope, b"authorization") or ""
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                              token.encode())


def create_app(store: Store, service: ExecutionService, config: ApiConfig | None = None,
               fallback: ASGIApp | None = None) -> ASGIApp:
    """The ASGI app: opens the store at startup and closes it at shutdown (lifespan),
    answers ``POST /`` API calls, and hands anything else to ``fallback``."""
    config = config or ApiConfig()
    arns = Arns(config.region, config.account)
    api = StepFunctionsApi(store, service, arns)
    own_api = stepfn_api.StepfnApi(store, service, arns)
    verifier = make_verifier(config)
    known = operation_names()
    names = HostCheck(config.host, config.allowed_hosts)
    refusals = ShedLog(log, what=("request refused", "requests refused"))

    async def call(operation: str | None, body: bytes) -> tuple[int, dict]:
        if not operation or operation not in known or api.handler(operation) is None:
            raise ApiError("UnknownOperationException",
                           f"Unknown operation {operation or ''}".rstrip())
        try:
            request = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            raise ApiError("SerializationException",
                           "Unable to parse the request body as JSON") from None
        validate_request(operation, request)
        log.debug("%s", operation, extra={"operation": operation})
        return 200, await api.handler(operation)(request)  # type: ignore[misc]

    async def lifespan(receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    # Task tokens are signed with a secret kept in the store, so a token
                    # handed out before a restart is still recognised after it.
                    await open_store(store)
                    # The service resumes the executions a previous run left running.
                    if hasattr(service, "start"):
                        await service.start()
                except Exception as exc:  # noqa: BLE001 - reported to the server
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if hasattr(service, "stop"):
                    await service.stop()
                await store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] == "http":
            refused = _refusal(names, scope)
            if refused is not None:  # the UI's pages, the feed and the API alike
                refusals.note(refused)
                await _respond(send, 403, {"__type": "AccessDeniedException",
                                           "message": refused})
                return
        if ops.handles(scope):  # GET /feed/..., /metrics, /health
            # Under sigv4 every route that shows data needs a signature (histories
            # are as private as GetExecutionHistory's answers; /metrics names every
            # machine), or, for /metrics, the metrics token; /health shows none.
            if verifier is not None and scope["path"] != "/health" and not (
                    scope["path"] == "/metrics" and _bearer(scope, config.metrics_token)):
                try:
                    _authenticate(verifier, scope, b"")
                except ApiError as exc:
                    await _respond(send, 403, {"__type": exc.code, "message": exc.message})
                    return
            await ops.answer(scope, receive, send, store, service)
            return
        if stepfn_api.handles(scope):  # /stepfn/v1/...: authenticated like the AWS API
            if verifier is not None:
                try:
                    _authenticate(verifier, scope, await _read_body(receive))
                except ApiError as exc:
                    await _respond(send, exc.status, exc.to_json())
                    return
            await own_api.answer(scope, send)
            return
        target = _header(scope, b"x-amz-target")
        is_api = scope["type"] == "http" and scope["method"] == "POST" and (
            target is not None or scope["path"] == "/")
        if not is_api:
            if fallback is not None:
                await fallback(scope, receive, send)
            elif scope["type"] == "http":
                await _respond(send, 404, {"__type": "UnknownOperationException",
                                           "message": "Not found"})
            return
        operation = (target[len(TARGET_PREFIX):] if target and
                     target.startswith(TARGET_PREFIX) else None)
        try:
            body = await _read_body(receive)
            if verifier is not None:
                _authenticate(verifier, scope, body)
            status, payload = await call(operation, body)
        except ApiError as exc:
            status, payload = _error_answer(operation, exc, config.strict_errors)
        except ServiceError as exc:
            status, payload = _error_answer(operation, from_service(exc),
                                            config.strict_errors)
        except ConnectionError:
            return
        except RecursionError:
            # Only input nested beyond what recursive code can walk gets here (known
            # cases are refused earlier with the operation's own code): a client error.
            log.warning("%s: request nested too deeply", operation)
            status, payload = 400, {"__type": "ValidationException",
                                    "message": "The request is nested too deeply"}
        except Exception:  # noqa: BLE001 - a bug must not kill the connection
            log.exception("internal error in %s", operation)
            status, payload = 500, {"__type": "InternalFailure",
                                    "message": "An internal error occurred"}
        await _respond(send, status, payload)

    return app


def serve(config: ApiConfig, service: ServiceSettings | None = None, *,
          service_factory: Callable[[Store, Any], ExecutionService] | None = None,
          own_logging: bool = False, ui: bool = True) -> None:
    """Run the API with uvicorn until SIGTERM/SIGINT, then shut down gracefully
    (in-flight requests finish, the store is closed).

    ``service_factory(store, service)`` builds the execution service from ``service``
    (``service.app.ServiceSettings``); the engine's service is the default.
    ``own_logging``: the caller has configured logging (``stepfn serve
    --log-format``), so uvicorn's records go through it and its per-request access
    lines are left out (each call is logged with its operation at debug level
    instead). ``ui``: serve the web UI on GET requests (stepfn.ui).
    """
    import uvicorn

    from stepfn.store import store_for

    make_verifier(config)  # a bad --auth / keys file stops here, before listening
    if config.auth == "none" and not _is_loopback(config.host):
        print(f"warning: serving on {config.host} without authentication: anyone who can "
              "reach this port can run workflows; use --auth sigv4 --access-keys FILE",
              file=sys.stderr)
    if not _is_loopback(config.host) and not config.allowed_hosts:
        log.info("answering requests sent to an IP address, localhost or %s; to be "
                 "reached by another name, list it in --allowed-hosts", config.host)
    store = store_for(config.db_path)  # a postgresql:// URL or a SQLite file
    if service_factory is None:
        service_factory = _default_service_factory()
    if service is None:
        from stepfn.service.app import ServiceSettings

        service = ServiceSettings(region=config.region, account=config.account)
    fallback = None
    if ui:
        from stepfn.ui import create_ui_app

        fallback = create_ui_app()
    app = create_app(store, service_factory(store, service), config, fallback=fallback)
    # uvicorn installs SIGTERM/SIGINT handlers that stop accepting connections, let
    # running requests finish (up to the timeout) and then run the lifespan shutdown.
    logging_options: dict[str, Any] = (
        {"log_config": None, "access_log": False} if own_logging else {})
    uvicorn.run(app, host=config.host, port=config.port, log_level=config.log_level,
                lifespan="on", timeout_graceful_shutdown=10,
                http=bounded_protocol(ConnectionGuard(connection_limits(config))),
                timeout_keep_alive=config.keep_alive_timeout,  # type: ignore[arg-type]
                **logging_options)


def connection_limits(config: ApiConfig) -> ConnectionLimits:
    """The HTTP server's bounds ``config`` asks for (api/connections.py)."""
    return ConnectionLimits(header_timeout=config.header_timeout,
                            body_timeout=config.body_timeout,
                            max_connections=(config.max_connections
                                             or default_max_connections()))


def _is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or name) is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _default_service_factory() -> Callable[[Store, Any], ExecutionService]:
    try:
        from stepfn.service.app import create_execution_service
    except ImportError as exc:
        raise RuntimeError("no execution service available: pass service_factory") from exc
    return create_execution_service

