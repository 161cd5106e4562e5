"""The ``stepfn`` command line.

    stepfn run DEFINITION.json [--input JSON|@FILE] [--functions PATH] [--history] [--json]
    stepfn validate DEFINITION.json [--type STANDARD|EXPRESS] [--json]
    stepfn serve [--host H] [--port P] [--db PATH|postgresql://URL]
                 [--auth sigv4 --access-keys FILE] [--mock-config FILE]
    stepfn worker [--db PATH|postgresql://URL] [--functions PATH] [--http-allow LIST]
    stepfn db upgrade --db PATH|postgresql://URL
    stepfn env [--host H] [--port P]
    stepfn --version

Options and their ``STEPFN_*`` variables are declared in ``stepfn.settings`` and read
there (a flag wins over its variable). An ordinary mistake (a value a setting does not
take, a missing file, invalid JSON, a functions file that does not import, a busy
port, a database that cannot be reached) is a ``UserError``: one ``error: ...`` line
on stderr and exit 2, never a traceback, and nothing started.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import settings as settings_module
from .settings import Settings, SettingsError


class UserError(Exception):
    """A mistake the user can fix; its message is the one line printed."""


class _Parser(argparse.ArgumentParser):
    """argparse, its mistakes reported as one ``error:`` line (exit 2), as the others."""

    def error(self, message: str) -> Any:
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def add_setting_flags(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    """A flag for each setting of ``names`` that backs one (``stepfn.settings``), its
    help naming its variable and default; the variables without a flag in the epilog.
    The values are read by ``load_settings`` (a flag not given is None)."""
    for name in names:
        declared = settings_module.declared(name)
        if declared.flag is None:
            continue
        options: dict[str, Any] = {"dest": name, "default": None,
                                   "help": settings_module.flag_help(name)}
        if declared.switch:
            options["action"] = "store_true"
        else:
            options["metavar"] = declared.metavar or name.upper()
            if declared.repeatable:
                options["action"] = "append"
        parser.add_argument(declared.flag, **options)
    parser.epilog = settings_module.environment_help(names)


def load_settings(args: argparse.Namespace, names: Sequence[str]) -> Settings:
    """The settings of ``names`` from the command's flags and the environment; a
    UserError naming the flag or variable for a value that cannot be used."""
    try:
        return Settings.load({name: getattr(args, name, None) for name in names},
                             only=names)
    except SettingsError as exc:
        raise UserError(str(exc)) from None


def read_file(path: str, what: str) -> str:
    """The text of ``path``; a UserError naming the file when it cannot be read."""
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise UserError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"{what} file {path} is a directory; give a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {what} file {path}: {_reason(exc)}") from None


def read_text_argument(value: str, what: str = "input") -> str:
    """A literal, or the contents of a file when the value is ``@path``."""
    if value.startswith("@"):
        return read_file(value[1:], what)
    return value


def _reason(exc: BaseException) -> str:
    """An exception as a short phrase (``strerror`` for OS errors)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def load_function_specs(registry: Any, specs: Sequence[str]) -> None:
    """Register the functions of every ``--functions`` spec; a UserError when one does
    not load (missing, a syntax error, an exception while importing)."""
    from .functions_loader import register_all

    for spec in specs:
        try:
            register_all(registry, spec)
        except FileNotFoundError:
            raise UserError(f"--functions {spec}: no such file, directory or module") from None
        except ModuleNotFoundError as exc:
            if exc.name != spec.split(".")[0] and exc.name != spec:
                raise UserError(f"--functions {spec}: loading it raised "
                                f"ModuleNotFoundError: {exc}") from None
            raise UserError(f"--functions {spec}: cannot import module {exc.name!r}; "
                            "give a .py file, a directory or an importable module") from None
        except SyntaxError as exc:
            raise UserError(f"--functions {spec}: syntax error in {exc.filename} line "
                            f"{exc.lineno}: {exc.msg}") from None
        except Exception as exc:  # noqa: BLE001 - whatever the user's module raises
            raise UserError(f"--functions {spec}: loading it raised "
                            f"{type(exc).__name__}: {exc}") from None


RUN_SETTINGS = ("region", "account", "functions", "lambda_forward", "http_allow",
                "http_connections", "max_history_events", "expression_timeout_ms",
                "jsonata_range_limit", "sync_poll_seconds")


def cmd_run(args: argparse.Namespace) -> int:
    from . import jsonutil
    from .asl import budgets

    settings = load_settings(args, RUN_SETTINGS)
    budgets.configure(settings.expression_timeout_ms, settings.jsonata_range_limit)
    application = None
    if args.template:
        from . import cli_templates

        if args.definition:
            raise UserError("give a DEFINITION file or --template, not both")
        application = cli_templates.load(args, region=settings.region,
                                         account=settings.account).application
        cli_templates.refuse_invalid(application)
        try:
            template_machine = application.machine(args.machine)
        except LookupError as exc:
            raise UserError(str(exc.args[0])) from None
        cli_templates.announce(application, args.outputs)
        definition = template_machine.definition
        args.type = template_machine.type
        args.name_for_mocks = template_machine.name
    elif args.definition is None:
        raise UserError("give a DEFINITION file, or --template PATH")
    else:
        if args.machine:
            raise UserError("--machine goes with --template")
        definition = read_file(args.definition, "definition")
    input_text = read_text_argument(args.input) if args.input is not None else "{}"
    try:
        jsonutil.loads(input_text)
    except ValueError as exc:
        where = f"input file {args.input[1:]}" if args.input.startswith("@") else "--input"
        raise UserError(f"{where} is not valid JSON: {exc}") from None
    except RecursionError:  # the JSON parsers give up on very deep nesting
        raise UserError("the input is nested too deeply") from None
    runtime = None
    if application is not None:
        from . import cli_templates

        runtime = cli_templates.make_runtime(
            application, region=settings.region, account=settings.account,
            sfn_endpoint=os.environ.get("AWS_ENDPOINT_URL_SFN"),
            python=args.function_python)
    try:
        return _run_with(args, settings, definition, input_text, runtime)
    finally:
        if runtime is not None:
            runtime.close()


def _run_with(args: argparse.Namespace, settings: Settings, definition: str,
              input_text: str, runtime: Any) -> int:
    from . import jsonutil
    from .errors import DefinitionError
    from .runtime import Engine

    try:
        engine = Engine(region=settings.region, account=settings.account,
                        time_skipping=args.skip_time,
                        max_history_events=settings.max_history_events,
                        lambda_forward=settings.lambda_forward,
                        http_allow=settings.http_allow,
                        read_connections=settings.http_connections == "read",
                        sync_poll_seconds=settings.sync_poll_seconds,
                        lambda_runtime=runtime)
    except ValueError as exc:  # an --http-allow entry that is not a host or network
        raise UserError(f"{settings.origin('http_allow')}: {exc}") from None
    load_function_specs(engine.functions, settings.functions)
    try:
        machine = engine.compile(definition, args.type)
    except DefinitionError as err:
        print_diagnostics(err.diagnostics, as_json=args.json)
        return 2
    mock_kwargs = run_mocks(engine, args)
    watcher = RunWatcher(history=args.history and not args.json,
                         progress=not args.json and sys.stderr.isatty())
    try:
        result = run_execution(engine, machine, input_text, args.name,
                               on_event=watcher.on_event, **mock_kwargs)
    finally:
        watcher.close()
    if args.json:
        out: dict[str, Any] = result.to_json(include_events=True)
        print(jsonutil.dumps(out))
    elif result.status == "SUCCEEDED":
        print(result.output_text)
    else:
        print(f"{result.status}: {result.error or ''}", file=sys.stderr)
        if result.cause:
            print(result.cause, file=sys.stderr)
    return 0 if result.status == "SUCCEEDED" else 1


def run_mocks(engine: Any, args: argparse.Namespace) -> dict[str, Any]:
    """``--mock-config``/``--test-case``: the run's mock arguments (a UserError when the
    two do not go together or the file is not a valid mock configuration)."""
    from .tasks.mocks import MockConfig, MockConfigError

    if args.test_case is None and args.mock_config is None:
        return {}
    if args.test_case is None or args.mock_config is None:
        raise UserError("--mock-config and --test-case go together")
    machine_name = args.name or getattr(args, "name_for_mocks", None) or Path(
        args.definition).stem
    try:
        engine.mock_config = MockConfig.load(args.mock_config)
        engine.mock_config.test_case(machine_name, args.test_case)
    except MockConfigError as exc:
        raise UserError(str(exc)) from None
    return {"machine_name": machine_name, "test_case": args.test_case}


def run_execution(engine: Any, machine: Any, input_text: str, name: str | None,
                  **kwargs: Any) -> Any:
    """Run one execution. The engine ends every failure inside it as AWS does; should
    anything still escape, it too ends as FAILED with ``States.Runtime`` (the traceback
    goes to the log at debug level), never as a traceback on the terminal."""
    import logging

    from .engine.execution import ExecutionResult

    try:
        return engine.run(machine, input_text=input_text, name=name, **kwargs)
    except Exception:
        logging.getLogger("stepfn.cli").debug("the execution crashed", exc_info=True)
        return ExecutionResult("FAILED", error="States.Runtime")


def history_line(event: Any) -> str:
    """One history event as a line: id, previous id, type, state name, error or data."""
    from .engine.history import render_details

    line = f"{event.id:>4} {event.previous_event_id:>4}  {event.type}"
    if event.details:
        rendered = render_details(event.details)
        name = rendered.get("name")
        if name:
            line += f"  {name}"
        for key in ("error", "cause", "output", "input"):
            if key in rendered and key in event.details:
                line += f"  {key}={str(rendered[key])[:120]}"
                break
    return line


class RunWatcher:
    """Follows a ``stepfn run`` as its events are recorded: prints each one
    (``--history``) and, on a terminal, keeps a progress line on stderr."""

    def __init__(self, history: bool, progress: bool) -> None:
        import threading
        import time

        self.history = history
        self.progress = progress
        self.started = time.monotonic()
        self.states_done = 0
        self.current = ""
        self._width = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        if progress:  # a ticker, so the elapsed time moves during a long Wait or task
            threading.Thread(target=self._tick, daemon=True).start()

    def on_event(self, event: Any) -> None:
        """The history hook: count states, remember the current one, print the event."""
        if event.type.endswith("StateExited"):
            self.states_done += 1
        elif event.type.endswith("StateEntered") and event.details:
            self.current = str(event.details.get("name", ""))
        if self.history:
            with self._lock:
                self._clear()
                print(history_line(event), file=sys.stderr, flush=True)

    def _tick(self) -> None:
        # The first line only after a second: a quick run shows none at all.
        while not self._stopped.wait(1.0 if not self._width else 0.5):
            with self._lock:
                self._show()

    def _show(self) -> None:
        import time

        text = (f"stepfn: {self.states_done} states done, in {self.current or '-'}, "
                f"{time.monotonic() - self.started:.0f}s elapsed")
        self._clear()
        sys.stderr.write(text)
        sys.stderr.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            self._width = 0

    def close(self) -> None:
        """Stop the ticker and erase the progress line."""
        self._stopped.set()
        with self._lock:
            self._clear()
            sys.stderr.flush()


def cmd_validate(args: argparse.Namespace) -> int:
    from .asl.validate import validate_text

    if args.template:
        from . import cli_templates

        if args.definition:
            raise UserError("give a DEFINITION file or --template, not both")
        settings = load_settings(args, ("region", "account"))
        return cli_templates.cmd_validate_templates(args, region=settings.region,
                                                    account=settings.account)
    if args.definition is None:
        raise UserError("give a DEFINITION file, or --template PATH")
    diagnostics = validate_text(read_file(args.definition, "definition"), args.type)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    print_diagnostics(diagnostics, as_json=args.json)
    return 1 if errors else 0


def print_diagnostics(diagnostics: list, as_json: bool) -> None:
    from . import jsonutil

    failed = any(d.severity == "ERROR" for d in diagnostics)
    if as_json:
        print(jsonutil.dumps({"result": "FAIL" if failed else "OK",
                              "diagnostics": [d.to_json() for d in diagnostics]}))
        return
    if not diagnostics:
        print("OK: the definition is valid")
        return
    for d in diagnostics:  # problems are diagnostics: stderr, as the README says
        print(f"{d.severity} {d.code} at {d.location or '/'}: {d.message}", file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    settings = load_settings(args, settings_module.SERVE_SETTINGS)  # before any import
    check_port_free(settings.host, settings.port)  # first: nothing starts on a busy port

    from .api.server import ApiConfig, make_verifier, serve
    from .service.logs import configure_logging

    config = ApiConfig.from_settings(settings)
    try:
        make_verifier(config)  # a bad --auth / --access-keys
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    check_functions_load(settings.functions)
    check_db_path(settings.db)
    service = service_settings(settings, "serve" if settings.worker else "api")
    service = join_check(settings.db, service)  # the store answers; the fleet agrees
    configure_logging(settings.log_level, settings.log_format)
    if args.template:
        service = with_template(args, service, host=settings.host, port=settings.port)
    serve(replace(config, region=service.region, account=service.account), service,
          own_logging=True)
    return 0


def with_template(args: argparse.Namespace, service: Any, *, host: str | None,
                  port: int | None) -> Any:
    """``service`` (``service.app.ServiceSettings``) with what ``--template`` adds: the
    application's host (machines, event sources, schedules, --watch) and its Lambda
    runtime; a UserError for a template that does not load."""
    from dataclasses import replace

    from . import cli_templates

    extra = cli_templates.serve_extra(args, host=host, port=port, region=service.region,
                                      account=service.account)
    return replace(service, lambda_runtime=extra["lambda_runtime"],
                   extensions=tuple(extra["extensions"]))


def service_settings(settings: Settings, role: str) -> Any:
    """The execution service's settings (``service.app.ServiceSettings``); a
    UserError for an allow-list or mock configuration that cannot be used."""
    from .service.app import ServiceSettings
    from .tasks.mocks import MockConfigError

    try:
        return ServiceSettings.from_settings(settings, role)
    except (ValueError, MockConfigError) as exc:
        raise UserError(str(exc)) from None


def join_check(db: str, service: Any) -> Any:
    """Open the database at ``db`` once, before anything listens: a UserError when it
    cannot be reached or migrated, or when this process's settings differ from those
    of the fleet already running on it; else ``service`` with the fleet's settings
    where it was given none of its own (stepfn.service.fleet)."""
    import asyncio

    from .service.app import agree_with_fleet
    from .service.fleet import FleetConflict
    from .store import StoreError, store_for

    async def check() -> Any:
        store = store_for(db)
        await store.open()
        try:
            return await agree_with_fleet(store, service)
        finally:
            await store.close()
    try:
        return asyncio.run(check())
    except (StoreError, FleetConflict) as exc:
        raise UserError(_one_line(exc)) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def check_port_free(host: str, port: int) -> None:
    """A UserError when ``host:port`` cannot be listened on (busy, or not an address)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(f"cannot listen on {host}: {exc.strerror}; check --host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # uvicorn sets SO_REUSEADDR too, so a port in TIME_WAIT is not reported as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {_reason(exc)}; stop the "
                            "other server or choose another --port") from None


def check_functions_load(specs: Sequence[str]) -> None:
    """Load every ``--functions`` spec once so a broken one stops the server at start."""
    from .tasks.functions import FunctionRegistry

    load_function_specs(FunctionRegistry(), specs)


def check_db_path(path: str) -> None:
    """A UserError naming ``path`` when the database cannot be opened or created there
    (a SQLite file; a PostgreSQL URL is checked when the store connects)."""
    import sqlite3

    from .store import is_postgres_url

    if is_postgres_url(path):
        return

    target = Path(path)
    if target.is_dir():
        raise UserError(f"--db {path} is a directory; give a database file path")
    if not target.parent.is_dir():
        raise UserError(f"--db {path}: directory {target.parent} does not exist; "
                        "create it or choose another path")
    try:
        sqlite3.connect(path).close()
    except sqlite3.Error as exc:
        raise UserError(f"cannot open the database {path}: {exc}") from None


def cmd_env(args: argparse.Namespace) -> int:
    """Print shell lines that point the AWS CLI and SDKs at stepfn (``eval`` them)."""
    settings = load_settings(args, ("host", "port"))
    for line in env_lines(settings.host, settings.port, os.environ):
        print(line)
    return 0


def env_lines(host: str, port: int, environ: Any) -> list[str]:
    """``export`` lines: the endpoint, no host prefix, and a region and dummy credentials
    only where none are set (real ones stay untouched)."""
    import shlex

    shown = f"[{host}]" if ":" in host else host
    lines = [
        f"export AWS_ENDPOINT_URL_SFN={shlex.quote(f'http://{shown}:{port}')}",
        # StartSyncExecution and TestState carry the host prefix "sync-" in the service
        # model; without this the clients call sync-127.0.0.1, which does not resolve.
        "export AWS_DISABLE_HOST_PREFIX_INJECTION=true",
    ]
    if not (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")):
        lines.append("export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1")
    if not (environ.get("AWS_ACCESS_KEY_ID") or environ.get("AWS_PROFILE")):
        lines.append("export AWS_ACCESS_KEY_ID=stepfn AWS_SECRET_ACCESS_KEY=stepfn")
    return lines


def package_version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("stepfn")
    except metadata.PackageNotFoundError:
        from . import __version__

        return __version__


def cmd_worker(args: argparse.Namespace) -> int:
    """Run executions from the database, without serving the API."""
    import asyncio

    settings = load_settings(args, settings_module.WORKER_SETTINGS)  # before any import

    from .service.app import run_worker
    from .service.fleet import FleetConflict
    from .service.logs import configure_logging
    from .store.base import StoreError

    check_functions_load(settings.functions)  # as serve: one error line, not a traceback
    check_db_path(settings.db)
    service = service_settings(settings, "worker")
    configure_logging(settings.log_level, settings.log_format)
    if args.template:
        service = with_template(args, service, host=None, port=None)
    try:
        asyncio.run(run_worker(settings.db, service))
    except (StoreError, FleetConflict, OSError) as exc:
        raise UserError(_one_line(exc)) from None
    return 0


def add_worker_parser(sub: Any) -> None:
    """``stepfn worker``: runs executions, serves no API."""
    worker = sub.add_parser(
        "worker", help="run executions from the database (no API); any number of them "
                       "share the work under leases",
        description="Run executions from the database, serving no API. Any number of "
                    "workers and `stepfn serve` processes share one database; the "
                    "settings that govern what executions do (region, account, "
                    "--http-allow, --lambda-forward, --mock-config, "
                    "--max-history-events, the expression budgets) are the fleet's: a "
                    "worker not given one takes the value the running processes use, "
                    "and one given a different value refuses to start.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_setting_flags(worker, settings_module.WORKER_SETTINGS)
    from .cli_templates import add_template_options

    add_template_options(worker, watch=True)
    worker.set_defaults(handler=cmd_worker)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Create or upgrade the database's schema (applying every pending migration) and
    print the version it is at."""
    import asyncio

    from .store import PostgresStore, SqliteStore, StoreError, store_for

    db = load_settings(args, ("db",)).db

    async def upgrade() -> int:
        store = store_for(db, migrate=True)
        assert isinstance(store, (SqliteStore, PostgresStore))
        await store.open()
        try:
            return await store.schema_version()
        finally:
            await store.close()
    try:
        version = asyncio.run(upgrade())
    except StoreError as exc:  # the database is unreachable or refuses the upgrade
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"schema version {version}")
    return 0


def add_db_parser(sub: Any) -> None:
    """``stepfn db upgrade``: the schema's migrations, outside ``stepfn serve``."""
    db = sub.add_parser("db", help="manage the database (schema migrations)")
    actions = db.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser(
        "upgrade", help="create or upgrade the schema, then print its version",
        description="Apply every pending schema migration (in one transaction, under a "
                    "lock that makes concurrent upgrades wait for each other) and print "
                    "the schema version.")
    add_setting_flags(upgrade, ("db",))
    upgrade.set_defaults(handler=cmd_db_upgrade)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stepfn", description="Run AWS Step Functions "
                     "(Amazon States Language) workflows anywhere.")
    parser.add_argument("--version", action="version",
                        version=f"stepfn {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a state machine definition once, in-process",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("definition", nargs="?",
                     help="the ASL definition (JSON file); or --template")
    run.add_argument("--input", help="execution input: JSON text, or @FILE")
    run.add_argument("--name", help="execution name (default: a UUID)")
    run.add_argument("--type", default="STANDARD", choices=["STANDARD", "EXPRESS"])
    run.add_argument("--history", action="store_true", help="print the history to stderr")
    run.add_argument("--json", action="store_true",
                     help='print {"status", "output", "error", "cause", "events"}')
    run.add_argument("--skip-time", action="store_true",
                     help="let Wait states and retry back-offs pass instantly")
    run.add_argument("--mock-config", metavar="FILE",
                     help="Step Functions Local mock configuration (MockConfigFile.json)")
    run.add_argument("--test-case", metavar="NAME",
                     help="the test case of --mock-config to run, under the state "
                          "machine named by --name or the definition file's stem")
    add_setting_flags(run, RUN_SETTINGS)
    from .cli_templates import add_export_parser, add_invoke_parser, add_template_options

    run.add_argument("--machine", metavar="NAME",
                     help="with --template: the machine to run (logical id, name or CDK "
                          "construct path; may be left out when there is one)")
    add_template_options(run, outputs=True)
    run.set_defaults(handler=cmd_run)

    validate = sub.add_parser("validate", help="check a definition, print diagnostics")
    validate.add_argument("definition", nargs="?", help="the ASL definition; or --template")
    validate.add_argument("--type", default="STANDARD", choices=["STANDARD", "EXPRESS"])
    validate.add_argument("--json", action="store_true")
    add_setting_flags(validate, ("region", "account"))
    add_template_options(validate, resources=False)
    validate.set_defaults(handler=cmd_validate)

    serve = sub.add_parser(
        "serve", help="serve the AWS Step Functions API over HTTP (durable executions)",
        description="Serve the AWS Step Functions API (awsJson1_0) so boto3, the AWS CLI, "
                    "SDKs and Terraform work against stepfn. Standard executions are "
                    "durable in the database and resume after a restart. Every option "
                    "also reads an environment variable; flags win. Processes sharing a "
                    "database share the settings that govern executions (see `stepfn "
                    "worker --help`).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_setting_flags(serve, settings_module.SERVE_SETTINGS)
    add_template_options(serve, watch=True, outputs=True)
    serve.set_defaults(handler=cmd_serve)
    add_worker_parser(sub)
    add_db_parser(sub)
    add_invoke_parser(sub)
    add_export_parser(sub)

    env = sub.add_parser(
        "env", help="print shell lines pointing the AWS CLI and SDKs at stepfn",
        description='Use as: eval "$(stepfn env)". Sets AWS_ENDPOINT_URL_SFN, turns off '
                    "host prefix injection (StartSyncExecution, TestState), and sets a "
                    "region and dummy credentials when none are set.")
    add_setting_flags(env, ("host", "port"))
    env.set_defaults(handler=cmd_env)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
