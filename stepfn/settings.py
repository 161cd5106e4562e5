"""stepfn's settings: every ``STEPFN_*`` environment variable, declared once.

Each setting is a field of ``Settings`` that says which variable sets it, which command
line flag (if any) it backs, how its text is read (its type), its default and its help
text. ``Settings.load`` reads the flags given and the environment (a flag wins over
its variable), checks every value and raises ``SettingsError`` naming the flag or
variable, the value and what is accepted, so a mistake stops a command with one
``error:`` line before anything starts.

This is the only module of stepfn that reads the environment for stepfn's settings.
The command line (and the Python API's ``Engine``) load them once and pass the values
down to the objects they build; the layers below never read them themselves. It
imports nothing of stepfn, so every layer may use its types and defaults.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any


class SettingsError(ValueError):
    """A value of a setting that cannot be used; the message is one line naming the
    flag or variable it came from."""


@dataclass(frozen=True)
class Declared:
    """What the ``Settings`` field of one setting is read from, and how."""

    variable: str  # the environment variable
    parse: Callable[[str], Any]  # text -> value; ValueError(what is accepted)
    help: str
    flag: str | None = None  # the command line flag it backs, if any
    metavar: str | None = None
    default_text: str | None = None  # how --help shows the default, when not str()
    switch: bool = False  # a flag without a value (--lambda-forward)
    repeatable: bool = False  # a flag given once per value (--functions)


# --- how texts are read (each raises ValueError saying what it accepts) --------------
def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _optional_text(value: str) -> str | None:
    return value.strip() or None


def _port(value: str) -> int:
    """A port number; 0: any free port (the server logs which)."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError("not a port number (0 to 65535)")
    return port


def _count(value: str) -> int:
    """A whole number, 0 or more."""
    text = value.strip().replace("_", "")
    if not text.isdigit():
        raise ValueError("not a whole number (0 or more)")
    return int(text)


def _log_sink(value: str) -> str:
    text = value.strip()
    if text in ("cloudwatch", "stdout", "off") or (text.startswith("file:") and text[5:]):
        return text
    raise ValueError("expected cloudwatch, stdout, file:PATH or off")


def _positive_int(value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError("not a positive whole number")
    return number


def _optional_positive_int(value: str) -> int | None:
    return _positive_int(value) if value.strip() else None


def _seconds(value: str) -> float:
    """A positive number of seconds (fractions allowed)."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not number > 0 or math.isinf(number):
        raise ValueError("not a positive number of seconds")
    return number


def _seconds_or_inf(value: str) -> float:
    """A number of seconds, 0 or more, or ``inf`` (never)."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not number >= 0:
        raise ValueError("not a number of seconds (0 or more, or inf)")
    return number


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _boolean(value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a boolean (1, true, yes, on / 0, false, no, off)")


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        text = value.strip().lower()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return text
    return parse


def _account(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value.strip()):
        raise ValueError("not an AWS account id (12 digits)")
    return value.strip()


def _region(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z0-9]+)+-\d+", value.strip()):
        raise ValueError("not an AWS region name (like us-east-1)")
    return value.strip()


DATABASE_URL_SCHEMES = ("postgresql", "postgres")


def _database(value: str) -> str:
    """A SQLite file path or a PostgreSQL URL (its connection is tried at start)."""
    text = _text(value)
    scheme, sep, _ = text.partition("://")
    if sep and scheme.lower() not in DATABASE_URL_SCHEMES:
        raise ValueError(f"{scheme}:// databases are not supported; give a SQLite file "
                         "path or a postgresql:// URL")
    return text


def _words(value: str) -> tuple[str, ...]:
    """A comma- or space-separated list."""
    return tuple(value.replace(",", " ").split())


def _optional_words(value: str) -> tuple[str, ...] | None:
    words = _words(value)
    return words or None


def _host_patterns(value: str) -> tuple[str, ...]:
    patterns = tuple(word.lower().rstrip(".") for word in _words(value))
    for pattern in patterns:
        name = pattern[2:] if pattern.startswith("*.") else pattern
        if pattern != "*" and not re.fullmatch(r"[a-z0-9_.:\[\]-]+", name):
            raise ValueError(f"{pattern!r} is not a host name, *.suffix or *")
    return patterns


def _paths(value: str) -> tuple[str, ...]:
    """Paths separated as in PATH (``:``; ``;`` on Windows)."""
    return tuple(part for part in value.split(os.pathsep) if part.strip())


def _setting(variable: str, default: Any, parse: Callable[[str], Any], help: str,
             **declared: Any) -> Any:
    return field(default=default,
                 metadata={"declared": Declared(variable, parse, help, **declared)})


@dataclass(frozen=True)
class Settings:
    """Every setting of stepfn, typed; ``Settings.load`` fills it from flags and the
    environment. ``origins`` says where each value came from (``--port``,
    ``STEPFN_PORT`` or absent: the default)."""

    # -- where the server listens and what it answers as ---------------------------------
    host: str = _setting("STEPFN_HOST", "127.0.0.1", _text, "address to listen on",
                         flag="--host")
    port: int = _setting("STEPFN_PORT", 8083, _port, "port to listen on", flag="--port")
    db: str = _setting("STEPFN_DB", "stepfn.db", _database,
                       "SQLite database file, created on first start, or a "
                       "postgresql://USER@HOST/DB URL", flag="--db")
    region: str = _setting("STEPFN_REGION", "us-east-1", _region, "region in ARNs",
                           flag="--region")
    account: str = _setting("STEPFN_ACCOUNT", "123456789012", _account, "account in ARNs",
                            flag="--account")
    log_level: str = _setting("STEPFN_LOG_LEVEL", "info",
                              _one_of("debug", "info", "warning", "error", "critical"),
                              "what is logged: debug, info, warning, error or critical",
                              flag="--log-level")
    log_format: str = _setting("STEPFN_LOG_FORMAT", "text", _one_of("text", "json"),
                               "log lines as text, or one JSON object per line (json)",
                               flag="--log-format")
    functions: tuple[str, ...] = _setting(
        "STEPFN_FUNCTIONS", (), _paths, "Python module, .py file or directory of task "
        "functions (the flag is repeatable; the variable separates them with "
        f"{os.pathsep!r})", flag="--functions", metavar="PATH", default_text="none",
        repeatable=True)
    worker: bool = _setting("STEPFN_NO_WORKER", True, lambda text: not _boolean(text),
                            "serve the API only: executions are run by `stepfn worker` "
                            "processes on the same database", flag="--no-worker",
                            switch=True, default_text="off")
    # -- who may call it -------------------------------------------------------------------
    auth: str = _setting("STEPFN_AUTH", "none", _one_of("none", "sigv4"),
                         "check AWS Signature Version 4 on every request (sigv4) or not "
                         "(none)", flag="--auth")
    access_keys_file: str | None = _setting(
        "STEPFN_ACCESS_KEYS_FILE", None, _optional_text,
        "'ACCESS_KEY_ID SECRET_ACCESS_KEY' per line, for --auth sigv4",
        flag="--access-keys", metavar="FILE", default_text="none")
    allowed_hosts: tuple[str, ...] = _setting(
        "STEPFN_ALLOWED_HOSTS", (), _host_patterns,
        "host names the server answers to besides loopback names, IP addresses and "
        "--host, comma-separated (api.example.com, *.example.com, or * for any); "
        "requests naming another Host are refused (DNS rebinding)",
        flag="--allowed-hosts", metavar="LIST", default_text="none")
    metrics_token: str | None = _setting(
        "STEPFN_METRICS_TOKEN", None, _optional_text,
        "under --auth sigv4, GET /metrics also accepts 'Authorization: Bearer TOKEN' "
        "(Prometheus cannot sign its scrapes)", default_text="none")
    strict_errors: bool = _setting(
        "STEPFN_STRICT_ERRORS", False, _boolean,
        "answer InternalFailure when an operation answers an error its service model "
        "does not declare (the tests run this way)", default_text="off")
    # -- how long and how many: the HTTP server's bounds ------------------------------------
    header_timeout: float = _setting(
        "STEPFN_HEADER_TIMEOUT_SECONDS", 10.0, _seconds,
        "seconds a connection may take to send a request's headers (from its opening, "
        "or, kept alive, from the next request's first byte)")
    body_timeout: float = _setting(
        "STEPFN_BODY_TIMEOUT_SECONDS", 30.0, _seconds,
        "seconds a request may take to send its body once its headers are in")
    keep_alive_timeout: float = _setting(
        "STEPFN_KEEP_ALIVE_SECONDS", 5.0, _seconds,
        "seconds an idle connection is kept open after an answer")
    max_connections: int | None = _setting(
        "STEPFN_MAX_CONNECTIONS", None, _optional_positive_int,
        "open connections at most; beyond it the oldest idle or slow one is closed "
        "(default: three quarters of the open-file limit, at most 4096)",
        default_text="auto")
    # -- what executions do (the same on every process of a fleet) --------------------------
    http_allow: tuple[str, ...] | None = _setting(
        "STEPFN_HTTP_ALLOW", None, _optional_words,
        "hosts and networks HTTP Tasks may reach, comma-separated",
        flag="--http-allow", metavar="LIST",
        default_text="any but the cloud metadata services and link-local addresses")
    http_connections: str = _setting(
        "STEPFN_HTTP_CONNECTIONS", "read", _one_of("read", "ignore"),
        "an HTTP Task's Authentication.ConnectionArn: read the EventBridge connection "
        "and merge it into the request (read), or send the request as the task wrote "
        "it (ignore)")
    lambda_forward: bool = _setting(
        "STEPFN_LAMBDA_FORWARD", False, _boolean,
        "call real AWS Lambda (through boto3) for function names with no local "
        "function; without it such a name fails with Lambda.ResourceNotFoundException",
        flag="--lambda-forward", switch=True, default_text="off")
    mock_config: str | None = _setting(
        "SFN_MOCK_CONFIG", None, _optional_text,
        "Step Functions Local mock configuration (MockConfigFile.json); StartExecution "
        "on ARN#TestCase runs that test case", flag="--mock-config", metavar="FILE",
        default_text="none")
    max_history_events: int = _setting(
        "STEPFN_MAX_HISTORY_EVENTS", 25_000, _positive_int,
        "history length at which an execution fails (AWS: 25,000)",
        flag="--max-history-events", metavar="N")
    expression_timeout_ms: int = _setting(
        "STEPFN_EXPRESSION_TIMEOUT_MS", 1000, _positive_int,
        "milliseconds one JSONata evaluation or backtracking JSONPath regex may run")
    jsonata_range_limit: int = _setting(
        "STEPFN_JSONATA_RANGE_LIMIT", 1_000_000, _positive_int,
        "values one JSONata range ([a..b]) may hold")
    # -- how a process works (may differ between processes) ---------------------------------
    execution_logs: str = _setting(
        "STEPFN_EXECUTION_LOGS", "cloudwatch", _log_sink,
        "where executions log by their loggingConfiguration: cloudwatch, stdout, "
        "file:PATH or off", flag="--execution-logs", metavar="SINK")
    express_keep: int = _setting(
        "STEPFN_EXPRESS_KEEP", 500, _count,
        "recent Express executions kept with their events for the stepfn API and the UI",
        flag="--express-keep", metavar="N")
    express_keep_mb: int = _setting(
        "STEPFN_EXPRESS_KEEP_MB", 64, _count,
        "MiB of inputs and outputs the kept Express executions may hold at most")
    sync_poll_seconds: float = _setting(
        "STEPFN_SYNC_POLL_SECONDS", 1.0, _seconds,
        "how often a .sync integration task asks whether its job ended")
    park_seconds: float = _setting(
        "STEPFN_PARK_SECONDS", 5.0, _seconds_or_inf,
        "an execution waiting longer than this is parked: no memory, no lease (inf: "
        "never)")
    lease_seconds: float = _setting(
        "STEPFN_LEASE_SECONDS", 15.0, _seconds,
        "how long a running execution's lease lasts unless renewed (a dead process's "
        "executions are taken over after it)")
    token_poll_seconds: float = _setting(
        "STEPFN_TOKEN_POLL_SECONDS", 1.0, _seconds,
        "how often a task waiting for an answer looks in the database when no signal "
        "woke it")

    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, flags: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None,
             only: Iterable[str] | None = None) -> Settings:
        """The settings from ``flags`` (field name -> the flag's text, ``True`` for a
        switch given, a list for a repeatable flag; None or absent when not given) and
        ``environ`` (default: the process's environment); a flag wins over its
        variable, an empty variable counts as unset. ``only``: read just these
        settings (what one command uses), the others keep their defaults.
        SettingsError for an unusable value."""
        env = os.environ if environ is None else environ
        flags = flags or {}
        wanted = None if only is None else frozenset(only)
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for name, declared in declarations():
            if wanted is not None and name not in wanted:
                continue
            given = flags.get(name)
            if given is not None and declared.flag is not None:
                values[name] = _from_flag(declared, given)
                origins[name] = declared.flag
            elif env.get(declared.variable, "").strip():
                values[name] = _parsed(declared, env[declared.variable],
                                       f"{declared.variable}={env[declared.variable]}")
                origins[name] = declared.variable
        return cls(**values, origins=origins)

    def given(self, name: str) -> bool:
        """Whether ``name`` was set by a flag or a variable (not left at its default)."""
        return name in self.origins

    def origin(self, name: str) -> str:
        """Where ``name``'s value came from, for messages: ``--port``, ``STEPFN_PORT``
        or ``the default``."""
        return self.origins.get(name, "the default")


def _from_flag(declared: Declared, given: Any) -> Any:
    if declared.switch:
        return declared.parse("1")
    if declared.repeatable:
        items = [given] if isinstance(given, str) else list(given)
        return tuple(item for value in items
                     for item in _parsed(declared, value, f"{declared.flag} {value}"))
    return _parsed(declared, str(given), f"{declared.flag} {given}")


def _parsed(declared: Declared, text: str, shown: str) -> Any:
    try:
        return declared.parse(text)
    except ValueError as exc:
        raise SettingsError(f"{shown}: {exc}") from None


def declarations() -> tuple[tuple[str, Declared], ...]:
    """``(field name, Declared)`` of every setting, in declaration order."""
    return tuple((f.name, f.metadata["declared"]) for f in fields(Settings)
                 if "declared" in f.metadata)


def declared(name: str) -> Declared:
    """The declaration of setting ``name``."""
    return dict(declarations())[name]


def variables() -> frozenset[str]:
    """Every environment variable stepfn reads for its settings."""
    return frozenset(d.variable for _, d in declarations())


def default_text(name: str) -> str:
    """A setting's default as ``--help`` shows it."""
    d = declared(name)
    if d.default_text is not None:
        return d.default_text
    return str(Settings.__dataclass_fields__[name].default)


def flag_help(name: str) -> str:
    """The ``--help`` line of a flag: its text, its variable and its default."""
    d = declared(name)
    return f"{d.help} ({d.variable}; default {default_text(name)})"


def environment_help(names: Iterable[str]) -> str:
    """The variables of ``names`` that back no flag, one a line, for ``--help``."""
    import textwrap

    lines = [textwrap.fill(f"{declared(name).variable} (default {default_text(name)}): "
                           f"{declared(name).help}", 88, initial_indent="  ",
                           subsequent_indent="      ")
             for name in names if declared(name).flag is None]
    return "\n".join(["environment variables without a flag:", *lines]) if lines else ""


#: The settings that govern what an execution does. Every process of a fleet (each
#: ``stepfn serve`` and ``stepfn worker`` on one database) must run with the same
#: values: a process compares its own with those the fleet runs with at start
#: (stepfn.service.fleet).
FLEET_SETTINGS = ("region", "account", "http_allow", "http_connections", "lambda_forward",
                  "mock_config", "max_history_events", "expression_timeout_ms",
                  "jsonata_range_limit")

#: What each command reads (its flags and variables).
SERVE_SETTINGS = ("host", "port", "db", "region", "account", "log_level", "log_format",
                  "functions", "worker", "auth", "access_keys_file", "allowed_hosts",
                  "metrics_token", "strict_errors", "header_timeout", "body_timeout",
                  "keep_alive_timeout", "max_connections", "http_allow", "http_connections",
                  "lambda_forward",
                  "mock_config", "max_history_events", "expression_timeout_ms",
                  "jsonata_range_limit", "execution_logs", "express_keep", "express_keep_mb",
                  "sync_poll_seconds", "park_seconds", "lease_seconds", "token_poll_seconds")
WORKER_SETTINGS = ("db", "region", "account", "log_level", "log_format", "functions",
                   "http_allow", "http_connections", "lambda_forward", "mock_config",
                   "max_history_events", "expression_timeout_ms", "jsonata_range_limit",
                   "execution_logs", "sync_poll_seconds", "park_seconds", "lease_seconds",
                   "token_poll_seconds")
