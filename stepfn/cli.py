"""The ``stepfn`` command line.

    stepfn run DEFINITION.json [--input JSON|@FILE] [--functions PATH] [--history] [--json]
    stepfn validate DEFINITION.json [--type STANDARD|EXPRESS] [--json]
    stepfn serve [--host H] [--port P] [--db PATH|postgresql://URL]
                 [--auth sigv4 --access-keys FILE]
    stepfn db upgrade --db PATH|postgresql://URL
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence


def read_text_argument(value: str) -> str:
    """A literal, or the contents of a file when the value is ``@path``."""
    if value.startswith("@"):
        return Path(value[1:]).read_text()
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from . import jsonutil
    from .errors import DefinitionError
    from .runtime import Engine

    engine = Engine(region=args.region, account=args.account, time_skipping=args.skip_time)
    if args.functions:
        from .functions_loader import register_all

        for spec in args.functions:
            register_all(engine.functions, spec)
    definition = Path(args.definition).read_text()
    input_text = read_text_argument(args.input) if args.input is not None else "{}"
    try:
        jsonutil.loads(input_text)
    except ValueError as exc:
        print(f"error: the input is not valid JSON: {exc}", file=sys.stderr)
        return 2
    try:
        machine = engine.compile(definition, args.type)
    except DefinitionError as err:
        print_diagnostics(err.diagnostics, as_json=args.json)
        return 2
    result = engine.run(machine, input_text=input_text, name=args.name)
    if args.json:
        out: dict[str, Any] = result.to_json(include_events=True)
        print(jsonutil.dumps(out))
    else:
        if args.history:
            print_history(result)
        if result.status == "SUCCEEDED":
            print(result.output_text)
        else:
            print(f"{result.status}: {result.error or ''}", file=sys.stderr)
            if result.cause:
                print(result.cause, file=sys.stderr)
    return 0 if result.status == "SUCCEEDED" else 1


def print_history(result: Any) -> None:
    from .engine.history import render_details

    for event in result.events:
        line = f"{event.id:>4} {event.previous_event_id:>4}  {event.type}"
        if event.details:
            rendered = render_details(event.details)
            name = rendered.get("name")
            if name:
                line += f"  {name}"
            for key in ("error", "cause", "output", "input"):
                if key in rendered and key in event.details:
                    value = str(rendered[key])
                    line += f"  {key}={value[:120]}"
                    break
        print(line, file=sys.stderr)



def cmd_validate(args: argparse.Namespace) -> int:
    from .asl.validate import validate_text

    diagnostics = validate_text(Path(args.definition).read_text(), args.type)
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
    for d in diagnostics:
        print(f"{d.severity} {d.code} at {d.location or '/'}: {d.message}")


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from .api.server import serve

    logging.basicConfig(level=(args.log_level or "info").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    extra = {"functions": args.functions or [],
             "max_history_events": args.max_history_events,
             "worker": not args.no_worker}
    try:
        if args.http_allow is not None:  # the HTTP Task reads it when it runs
            os.environ["STEPFN_HTTP_ALLOW"] = args.http_allow
        from .tasks.http import HttpPolicy

        HttpPolicy.from_env()  # a malformed list stops here, before listening
        serve(args.host, args.port, args.db, region=args.region, account=args.account,
              log_level=args.log_level, extra=extra, auth=args.auth,
              access_keys_file=args.access_keys)
    except (ValueError, OSError) as exc:  # a bad --auth / --access-keys / --http-allow
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run executions from the database, without serving the API."""
    import asyncio
    import logging

    from .service.worker import run_worker
    from .store.base import StoreError

    logging.basicConfig(level=(args.log_level or "info").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db = args.db or os.environ.get("STEPFN_DB") or "stepfn.db"
    try:
        asyncio.run(run_worker(
            db, region=args.region or os.environ.get("STEPFN_REGION", "us-east-1"),
            account=args.account or os.environ.get("STEPFN_ACCOUNT", "123456789012"),
            functions=args.functions or [], max_history_events=args.max_history_events))
    except (StoreError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def add_worker_parser(sub: Any) -> None:
    """``stepfn worker``: runs executions, serves no API."""
    worker = sub.add_parser(
        "worker", help="run executions from the database (no API); any number of them "
                       "share the work under leases")
    worker.add_argument("--db", help="a postgresql:// URL or a SQLite file (STEPFN_DB, "
                                     "default stepfn.db)")
    worker.add_argument("--functions", action="append", metavar="PATH",
                        help="Python module, .py file or directory of task functions "
                             "(repeatable)")
    worker.add_argument("--region", help="region in ARNs (STEPFN_REGION)")
    worker.add_argument("--account", help="account in ARNs (STEPFN_ACCOUNT)")
    worker.add_argument("--log-level", help="debug|info|warning|error (default info)")
    worker.add_argument("--max-history-events", type=int, default=25_000,
                        help="history length at which an execution fails (AWS: 25,000)")
    worker.set_defaults(handler=cmd_worker)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Create or upgrade the database's schema (applying every pending migration) and
    print the version it is at."""
    import asyncio
    import os

    from .store import PostgresStore, SqliteStore, StoreError, store_for

    db = args.db or os.environ.get("STEPFN_DB") or "stepfn.db"

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
    except StoreError as exc:
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
    upgrade.add_argument("--db", help="a postgresql:// URL or a SQLite file "
                                      "(STEPFN_DB, default stepfn.db)")
    upgrade.set_defaults(handler=cmd_db_upgrade)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stepfn", description="Run AWS Step Functions "
                                     "(Amazon States Language) workflows anywhere.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a state machine definition once, in-process")
    run.add_argument("definition", help="the ASL definition (JSON file)")
    run.add_argument("--input", help="execution input: JSON text, or @FILE")
    run.add_argument("--functions", action="append", metavar="PATH",
                     help="Python module, .py file or directory of task functions "
                          "(repeatable); each public function answers "
                          "arn:aws:lambda:REGION:ACCOUNT:function:NAME")
    run.add_argument("--name", help="execution name (default: a UUID)")
    run.add_argument("--type", default="STANDARD", choices=["STANDARD", "EXPRESS"])
    run.add_argument("--history", action="store_true", help="print the history to stderr")
    run.add_argument("--json", action="store_true",
                     help='print {"status", "output", "error", "cause", "events"}')
    run.add_argument("--skip-time", action="store_true",
                     help="let Wait states and retry back-offs pass instantly")
    run.add_argument("--region", default="us-east-1")
    run.add_argument("--account", default="123456789012")
    run.set_defaults(handler=cmd_run)

    validate = sub.add_parser("validate", help="check a definition, print diagnostics")
    validate.add_argument("definition")
    validate.add_argument("--type", default="STANDARD", choices=["STANDARD", "EXPRESS"])
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(handler=cmd_validate)

    serve = sub.add_parser(
        "serve", help="serve the AWS Step Functions API over HTTP (durable executions)",
        description="Serve the AWS Step Functions API (awsJson1_0) so boto3, the AWS CLI, "
                    "SDKs and Terraform work against stepfn. Standard executions are "
                    "durable in the database and resume after a restart. Every option "
                    "also reads an environment variable; flags win.")
    serve.add_argument("--host", help="address to listen on (STEPFN_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (STEPFN_PORT, default 8083)")
    serve.add_argument("--db", help="SQLite database file, created on first start, or a "
                                     "postgresql://USER@HOST/DB URL (STEPFN_DB, default "
                                     "stepfn.db)")
    serve.add_argument("--region", help="region in ARNs (STEPFN_REGION, default us-east-1)")
    serve.add_argument("--account", help="account in ARNs (STEPFN_ACCOUNT, "
                                         "default 123456789012)")
    serve.add_argument("--log-level", help="debug|info|warning|error "
                                           "(STEPFN_LOG_LEVEL, default info)")
    serve.add_argument("--functions", action="append", metavar="PATH",
                       help="Python module, .py file or directory of task functions "
                            "(repeatable), as for `stepfn run`")
    serve.add_argument("--auth", choices=["none", "sigv4"],
                       help="check AWS Signature Version 4 on every request (STEPFN_AUTH, "
                            "default none)")
    serve.add_argument("--access-keys", metavar="FILE",
                       help="'ACCESS_KEY_ID SECRET_ACCESS_KEY' per line, for --auth sigv4 "
                            "(STEPFN_ACCESS_KEYS_FILE)")
    serve.add_argument("--http-allow", metavar="LIST",
                       help="hosts and networks HTTP Tasks may reach, comma-separated "
                            "(STEPFN_HTTP_ALLOW; default: any but 169.254.169.254 and "
                            "fd00:ec2::254)")
    serve.add_argument("--max-history-events", type=int, default=25_000,
                       help="history length at which an execution fails (AWS: 25,000)")
    serve.add_argument("--no-worker", action="store_true",
                       help="serve the API only: executions are run by `stepfn worker` "
                            "processes on the same database")
    serve.set_defaults(handler=cmd_serve)
    add_worker_parser(sub)
    add_db_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
