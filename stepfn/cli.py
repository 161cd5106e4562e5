"""The ``stepfn`` command line.

    stepfn run DEFINITION.json [--input JSON|@FILE] [--functions PATH] [--history] [--json]
    stepfn validate DEFINITION.json [--type STANDARD|EXPRESS] [--json]
    stepfn serve [--host H] [--port P] [--db PATH]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


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
    try:
        definition = Path(args.definition).read_text()
        input_text = read_text_argument(args.input) if args.input is not None else "{}"
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        jsonutil.loads(input_text)
    except ValueError as exc:
        print(f"error: the input is not valid JSON: {exc}", file=sys.stderr)
        return 2
    except RecursionError:  # the JSON parsers give up on very deep nesting
        print("error: the input is nested too deeply", file=sys.stderr)
        return 2
    try:
        machine = engine.compile(definition, args.type)
    except DefinitionError as err:
        print_diagnostics(err.diagnostics, as_json=args.json)
        return 2
    result = run_execution(engine, machine, input_text, args.name)
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


def run_execution(engine: Any, machine: Any, input_text: str, name: str | None) -> Any:
    """Run one execution. The engine ends every failure inside it as AWS does; should
    anything still escape, it too ends as FAILED with ``States.Runtime`` (the traceback
    goes to the log at debug level), never as a traceback on the terminal."""
    import logging

    from .engine.execution import ExecutionResult

    try:
        return engine.run(machine, input_text=input_text, name=name)
    except Exception:
        logging.getLogger("stepfn.cli").debug("the execution crashed", exc_info=True)
        return ExecutionResult("FAILED", error="States.Runtime")


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
             "max_history_events": args.max_history_events}
    serve(args.host, args.port, args.db, region=args.region, account=args.account,
          log_level=args.log_level, extra=extra)
    return 0


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
    serve.add_argument("--db", help="SQLite database file, created on first start "
                                     "(STEPFN_DB, default stepfn.db)")
    serve.add_argument("--region", help="region in ARNs (STEPFN_REGION, default us-east-1)")
    serve.add_argument("--account", help="account in ARNs (STEPFN_ACCOUNT, "
                                         "default 123456789012)")
    serve.add_argument("--log-level", help="debug|info|warning|error "
                                           "(STEPFN_LOG_LEVEL, default info)")
    serve.add_argument("--functions", action="append", metavar="PATH",
                       help="Python module, .py file or directory of task functions "
                            "(repeatable), as for `stepfn run`")
    serve.add_argument("--max-history-events", type=int, default=25_000,
                       help="history length at which an execution fails (AWS: 25,000)")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
