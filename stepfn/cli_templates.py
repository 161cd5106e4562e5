"""The command line's template options and commands (``stepfn.cli`` wires them in).

    stepfn serve|worker --template PATH [--template PATH ...] [--parameter-overrides K=V ...]
                 [--stack-name NAME] [--create-resources] [--watch] [--outputs FILE]
    stepfn validate --template PATH ...
    stepfn run --template PATH [--machine NAME] --input JSON
    stepfn invoke FUNCTION --template PATH [--payload JSON|@FILE]
    stepfn export (DEFINITION.json | --state-machine-arn ARN) [--format sam|cloudformation]

Every mistake (a template that does not parse, a missing DefinitionUri file, an
unknown intrinsic, a parameter without a value, a handler module that does not exist)
is a ``UserError``: one ``error:`` line, exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMPLATES_EXTRA = "pip install 'stepfn[templates]'"


def user_error() -> type[Exception]:
    from .cli import UserError

    return UserError


def add_template_options(parser: argparse.ArgumentParser, *, resources: bool = True,
                         watch: bool = False, outputs: bool = False) -> None:
    """``--template`` and what goes with it."""
    group = parser.add_argument_group("applications (SAM, CloudFormation, CDK)")
    group.add_argument("--template", action="append", metavar="PATH",
                       help="a SAM or CloudFormation template (YAML or JSON) or a CDK "
                            "cdk.out folder; repeatable. Its state machines, activities "
                            "and Python functions run here")
    group.add_argument("--parameter-overrides", action="extend", nargs="+", default=[],
                       metavar="KEY=VALUE",
                       help="template parameter values, as SAM CLI takes them (KEY=VALUE or "
                            "ParameterKey=KEY,ParameterValue=VALUE)")
    group.add_argument("--stack-name", metavar="NAME",
                       help="AWS::StackName (default: local; a CDK stack's own name)")
    group.add_argument("--function-python", metavar="PATH",
                       help="the Python interpreter that runs the template's functions "
                            "(default: this one)")
    if resources:
        group.add_argument("--create-resources", action="store_true",
                           help="create the template's other resources (queues, tables, "
                                "buckets, ...) on the AWS endpoint boto3 is configured for "
                                "(AWS_ENDPOINT_URL), as a stack of their own")
    if outputs:
        group.add_argument("--outputs", metavar="FILE",
                           help="write the stacks' resolved Outputs and physical resource "
                                "names to FILE (JSON)")
    if watch:
        group.add_argument("--watch", action="store_true",
                           help="reload when the template, a definition file or a "
                                "function's code changes")


@dataclasses.dataclass
class Loaded:
    """An application loaded for a command, and how to load it again (--watch)."""

    application: Any
    loader: Callable[[], Any]


def load(args: argparse.Namespace, *, region: str, account: str,
         say: Callable[[str], None] | None = None) -> Loaded:
    """The application the command's ``--template`` options name; a UserError for any
    problem with it."""
    error = user_error()
    try:
        from .templates.application import build_application, load_documents
        from .templates.errors import TemplateError
        from .templates.local_aws import create_resources
        from .templates.parameters import parse_overrides, read_ssm_parameter
    except ImportError as exc:
        raise error(f"--template needs the template libraries ({exc.name} is missing): "
                    f"{TEMPLATES_EXTRA}") from None
    from .templates.application import LoadOptions

    try:
        overrides = parse_overrides(args.parameter_overrides or [])
    except ValueError as exc:
        raise error(str(exc)) from None
    options = LoadOptions(region=region, account=account, stack_name=args.stack_name,
                          parameter_overrides=overrides,
                          ssm_reader=lambda name: read_ssm_parameter(name, region))
    create = bool(getattr(args, "create_resources", False))
    paths = [Path(p) for p in args.template]

    def loader(quiet: bool = True) -> Any:
        documents = load_documents(paths)
        _check_overrides(documents, overrides)
        used = options
        if create:
            created = create_resources(documents, options, say=None if quiet else say)
            if not quiet and say is not None:
                for warning in created.warnings:
                    say(f"warning: {warning}")
            used = dataclasses.replace(options, created=created.values)
        return build_application(documents, used)

    try:
        application = loader(quiet=False)
    except TemplateError as exc:
        raise error(str(exc)) from None
    return Loaded(application, loader)


def _check_overrides(documents: list, overrides: dict[str, str]) -> None:
    from .templates.errors import TemplateError

    declared = {str(name) for d in documents for name in (d.body.get("Parameters") or {})}
    unknown = sorted(set(overrides) - declared)
    if unknown:
        raise TemplateError(f"--parameter-overrides {unknown[0]}: no template declares "
                            "that parameter")


def refuse_invalid(application: Any) -> None:
    """A UserError when a machine's definition is invalid (the first problem, with its
    place in the template and the definition)."""
    problems = [d for m in application.machines for d in m.diagnostics]
    if problems:
        more = f" (and {len(problems) - 1} more problems; see stepfn validate " \
               "--template)" if len(problems) > 1 else ""
        raise user_error()(f"invalid definition: {problems[0]}{more}")


def summary_lines(application: Any) -> list[str]:
    """What the application runs, the physical names and the outputs, for the start."""
    lines = []
    for stack in application.stacks:
        lines.append(f"stack {stack}:")
        for machine in (m for m in application.machines if m.stack == stack):
            lines.append(f"  state machine {machine.logical_id}: {machine.arn}")
        for activity in (a for a in application.activities if a.stack == stack):
            lines.append(f"  activity {activity.logical_id}: {activity.arn}")
        for resource in (r for r in application.resources if r.stack == stack):
            if resource.type == "AWS::Lambda::Function":
                spec = next((f for f in application.functions
                             if f.logical_id == resource.logical_id), None)
                where = (f"{spec.handler} in {spec.code_dir}" if spec is not None
                         and spec.code_dir else "inline code" if spec is not None
                         else "not run here")
                lines.append(f"  function {resource.logical_id}: {resource.physical_id} "
                             f"({where})")
            elif resource.handled_by == "aws":
                lines.append(f"  {resource.type} {resource.logical_id}: "
                             f"{resource.physical_id} (on the local AWS)")
        for key, value in (application.outputs.get(stack) or {}).items():
            lines.append(f"  output {key} = {value}")
    lines.extend(f"note: {note}" for note in application.notes)
    return lines


def announce(application: Any, outputs_file: str | None) -> None:
    """Print the summary on stderr and write ``--outputs FILE``."""
    for line in summary_lines(application):
        print(f"stepfn: {line}", file=sys.stderr)
    if outputs_file:
        from .templates.host import outputs_json

        try:
            Path(outputs_file).write_text(outputs_json(application) + "\n")
        except OSError as exc:
            raise user_error()(f"--outputs {outputs_file}: {exc.strerror or exc}") from None


def make_runtime(application: Any, *, region: str, account: str,
                 sfn_endpoint: str | None = None, python: str | None = None) -> Any:
    """The Lambda runtime for the application's functions. Their boto3 clients reach
    Step Functions at ``sfn_endpoint`` (this stepfn: SendTaskSuccess, StartExecution
    from a function) and every other service at the configured endpoint."""
    from .lambda_runtime import LambdaRuntime
    from .lambda_runtime.environment import inherited_environment

    environment = dict(inherited_environment())
    if sfn_endpoint:
        environment["AWS_ENDPOINT_URL_SFN"] = sfn_endpoint
        # StartSyncExecution and TestState carry a host prefix (see `stepfn env`).
        environment["AWS_DISABLE_HOST_PREFIX_INJECTION"] = "true"
    return LambdaRuntime(list(application.functions), region=region, account=account,
                         python=python, environment=environment)


def host_for(loaded: Loaded, runtime: Any, *, region: str, account: str,
             watch: bool) -> Any:
    from .templates.host import ApplicationHost

    return ApplicationHost(loaded.application, runtime, region=region, account=account,
                           loader=loaded.loader, watch=watch)


def serve_extra(args: argparse.Namespace, *, host: str | None, port: int | None,
                region: str, account: str) -> dict[str, Any]:
    """What ``stepfn serve|worker --template`` adds to the service: the application's
    host (machines, event sources, schedules, --watch) and its Lambda runtime."""
    loaded = load(args, region=region, account=account,
                  say=lambda line: print(f"stepfn: {line}", file=sys.stderr))
    refuse_invalid(loaded.application)
    announce(loaded.application, getattr(args, "outputs", None))
    shown = f"[{host}]" if host and ":" in host else host
    sfn_endpoint = (f"http://{shown}:{port}" if host and port
                    else os.environ.get("AWS_ENDPOINT_URL_SFN"))
    runtime = make_runtime(loaded.application, region=region, account=account,
                           sfn_endpoint=sfn_endpoint, python=args.function_python)
    application_host = host_for(loaded, runtime, region=region, account=account,
                                watch=bool(getattr(args, "watch", False)))
    return {"extensions": (application_host,), "lambda_runtime": runtime}


# -- stepfn validate --template -------------------------------------------------------------
def cmd_validate_templates(args: argparse.Namespace, *, region: str, account: str) -> int:
    loaded = load(args, region=region, account=account)
    application = loaded.application
    bad = 0
    for machine in application.machines:
        if machine.diagnostics:
            bad += 1
            for problem in machine.diagnostics:
                print(f"ERROR {problem}", file=sys.stderr)
        else:
            print(f"OK: {machine.logical_id} ({machine.name})")
    for note in application.notes:
        print(f"note: {note}", file=sys.stderr)
    if not application.machines:
        print("OK: the templates declare no state machine")
    return 1 if bad else 0


# -- stepfn invoke ----------------------------------------------------------------------------
def cmd_invoke(args: argparse.Namespace) -> int:
    """Invoke one of the templates' functions, as ``sam local invoke`` does."""
    import asyncio

    from . import jsonutil
    from .cli import load_settings, read_text_argument

    error = user_error()
    if not args.template:
        raise error("stepfn invoke needs --template PATH")
    settings = load_settings(args, ("region", "account"))
    region, account = settings.region, settings.account
    loaded = load(args, region=region, account=account)
    try:
        spec = loaded.application.function(args.function)
    except LookupError as exc:
        raise error(str(exc.args[0])) from None
    text = read_text_argument(args.payload, "payload") if args.payload else "{}"
    try:
        payload = jsonutil.loads(text)
    except ValueError as exc:
        raise error(f"--payload is not valid JSON: {exc}") from None
    application = dataclasses.replace(loaded.application, functions=(spec,))
    runtime = make_runtime(application, region=region, account=account,
                           sfn_endpoint=os.environ.get("AWS_ENDPOINT_URL_SFN"),
                           python=args.function_python)

    async def invoke() -> Any:
        try:
            return await runtime.invoke(spec.name, payload, qualifier=args.qualifier)
        finally:
            await runtime.aclose()
    try:
        result = asyncio.run(invoke())
    except Exception as exc:  # noqa: BLE001 - Lambda's own refusal (throttled, ...)
        raise error(f"{spec.name}: {type(exc).__name__}: {exc}") from None
    sys.stdout.write(result.payload.decode(errors="replace") + "\n")
    return 1 if result.function_error else 0


def add_invoke_parser(sub: Any) -> None:
    invoke = sub.add_parser(
        "invoke", help="invoke a template's Python function once (as sam local invoke)",
        description="Invoke FUNCTION (its FunctionName or logical id) of the --template "
                    "application with --payload, print its answer (JSON) and exit 0, or "
                    "print its error ({errorType, errorMessage, ...}) and exit 1.")
    invoke.add_argument("function", metavar="FUNCTION")
    invoke.add_argument("--payload", help="the event: JSON text, or @FILE (default {})")
    invoke.add_argument("--qualifier", help="an alias or version of the function")
    from .cli import add_setting_flags

    add_setting_flags(invoke, ("region", "account"))
    add_template_options(invoke)
    invoke.set_defaults(handler=cmd_invoke)


# -- stepfn export ----------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from .cli import read_file

    error = user_error()
    if bool(args.definition) == bool(args.state_machine_arn):
        raise error("stepfn export takes a DEFINITION file or --state-machine-arn ARN")
    if args.definition:
        text = read_file(args.definition, "definition")
        name = args.name or Path(args.definition).name.split(".")[0]
        machine_type = args.type or "STANDARD"
    else:
        text, name, machine_type = _described(args.state_machine_arn, args.endpoint_url)
        name = args.name or name
        machine_type = args.type or machine_type
    try:
        from .templates.export import export_template
    except ImportError:
        raise error(f"stepfn export needs {TEMPLATES_EXTRA}") from None
    try:
        template = export_template(text, name=name, machine_type=machine_type,
                                   template_format=args.format)
    except ValueError as exc:
        raise error(f"the definition is not JSON: {exc}") from None
    if args.output:
        try:
            Path(args.output).write_text(template)
        except OSError as exc:
            raise error(f"--output {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(template)
    return 0


def _described(arn: str, endpoint: str | None) -> tuple[str, str, str]:
    """(definition, name, type) of a machine on a stepfn (or AWS) endpoint."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL_SFN") or "http://127.0.0.1:8083"
    region = arn.split(":")[3] if arn.count(":") >= 6 else "us-east-1"
    client = boto3.client("stepfunctions", endpoint_url=endpoint, region_name=region,
                          config=Config(retries={"max_attempts": 1}),
                          aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "stepfn"),
                          aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY",
                                                               "stepfn"))
    try:
        described = client.describe_state_machine(stateMachineArn=arn)
    except ClientError as exc:
        raise user_error()(f"{endpoint}: {exc.response['Error'].get('Code')}: "
                           f"{exc.response['Error'].get('Message')}") from None
    except BotoCoreError as exc:
        raise user_error()(f"cannot reach {endpoint}: {exc}") from None
    return described["definition"], described["name"], described.get("type", "STANDARD")


def add_export_parser(sub: Any) -> None:
    export = sub.add_parser(
        "export", help="write a state machine as a SAM or CloudFormation template",
        description="Write a state machine (a definition file, or one on a server by "
                    "ARN) as a SAM or CloudFormation template, its ARNs lifted into "
                    "DefinitionSubstitutions, as the console's Export to IaC does. The "
                    "result loads back with --template.")
    export.add_argument("definition", nargs="?", help="an ASL definition (JSON file)")
    export.add_argument("--state-machine-arn", metavar="ARN",
                        help="export this machine from a server instead")
    export.add_argument("--endpoint-url", metavar="URL",
                        help="the server of --state-machine-arn (default "
                             "AWS_ENDPOINT_URL_SFN, else http://127.0.0.1:8083)")
    export.add_argument("--name", help="the machine's name (default: the file's or ARN's)")
    export.add_argument("--type", choices=["STANDARD", "EXPRESS"])
    export.add_argument("--format", choices=["sam", "cloudformation"], default="sam")
    export.add_argument("--output", metavar="FILE", help="write here (default: stdout)")
    export.set_defaults(handler=cmd_export)
