"""From resolved stacks to the plain model (``model.Application``).

``load_application(paths, options)`` reads every ``--template``, resolves each as a
stack (``stack.Stack``) in order (a later template may import an earlier one's
exports) and collects what stepfn runs: state machines (their definitions read from
``DefinitionUri``/``DefinitionS3Location`` files, substituted and validated), activities,
Python functions (as ``lambda_runtime.FunctionSpec``), SQS event source mappings and
schedules; the other resources and the resolved outputs. ``created`` holds, per stack,
the values the local AWS answered for the resources ``--create-resources`` made.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import Document, mark_of, parse_text, read_documents
from .errors import Location, TemplateError, TemplatePath
from .intrinsics import NO_VALUE, Deferred, as_template, has_deferred, scalar_text
from .model import (
    ActivitySpec,
    Application,
    EventSourceSpec,
    MachineSpec,
    ResourceSpec,
    ScheduleSpec,
)
from .stack import Stack, StackOptions

PYTHON_RUNTIME = re.compile(r"^python3(\.\d+)?$")
_SUBSTITUTION = re.compile(r"\$\{([^}]+)\}")
_DEFERRED_TEXT = "${stepfn:deferred}"  # what a Deferred reads as while planning


@dataclass(frozen=True)
class LoadOptions(StackOptions):
    """How to load: region, account, ``--stack-name``, ``--parameter-overrides``,
    and the values the local AWS gave (stack name -> {(logical id, attribute): value})."""

    created: Mapping[str, Mapping[tuple[str, str | None], Any]] = field(
        default_factory=dict)
    skipped: Mapping[str, frozenset[str]] = field(default_factory=dict)


def load_documents(paths: Sequence[Path]) -> list[Document]:
    """Every template the ``--template`` paths name, in order."""
    documents: list[Document] = []
    for path in paths:
        documents.extend(read_documents(Path(path)))
    return documents


def load_application(paths: Sequence[Path], options: LoadOptions | None = None) -> Application:
    """The application the templates at ``paths`` declare (see the module docstring)."""
    options = options or LoadOptions()
    return build_application(load_documents(paths), options)


def build_application(documents: Sequence[Document], options: LoadOptions) -> Application:
    exports: dict[str, Any] = {}
    builders: list[_Builder] = []
    for document in documents:
        stack = Stack(document, options, exports=exports,
                      created=options.created.get(_stack_key(document, options)))
        builder = _Builder(stack)
        builder.build()
        exports.update(builder.exports)
        builders.append(builder)
    names = [b.stack.name for b in builders]
    machines = [m for b in builders for m in b.machines]
    _check_unique("state machine", [(m.name, m.location) for m in machines])
    functions = [f for b in builders for f in b.functions]
    _check_unique("function", [(f.name, b.locations[f.logical_id]) for b in builders
                               for f in b.functions])
    return Application(
        stacks=tuple(names), templates=tuple(d.path for d in documents),
        machines=tuple(machines),
        activities=tuple(a for b in builders for a in b.activities),
        functions=tuple(functions),
        event_sources=tuple(e for b in builders for e in b.event_sources),
        schedules=tuple(s for b in builders for s in b.schedules),
        resources=tuple(r for b in builders for r in b.resources),
        outputs={b.stack.name: b.outputs for b in builders},
        notes=tuple(n for b in builders for n in b.notes),
        watched=tuple(dict.fromkeys([d.path for d in documents]
                                    + [p for b in builders for p in b.watched])))


def _stack_key(document: Document, options: StackOptions) -> str:
    from .stack import DEFAULT_STACK_NAME

    return options.stack_name or document.cdk_stack_name or DEFAULT_STACK_NAME


def _check_unique(what: str, items: list[tuple[str, Location]]) -> None:
    seen: dict[str, Location] = {}
    for name, location in items:
        if name in seen:
            raise TemplateError(f"two {what}s are named {name} (the other at "
                                f"{seen[name]})", location)
        seen[name] = location


class _Builder:
    """Collects the specs of one stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.machines: list[MachineSpec] = []
        self.activities: list[ActivitySpec] = []
        self.functions: list[Any] = []
        self.event_sources: list[EventSourceSpec] = []
        self.schedules: list[ScheduleSpec] = []
        self.resources: list[ResourceSpec] = []
        self.outputs: dict[str, str] = {}
        self.exports: dict[str, Any] = {}
        self.notes: list[str] = list(stack.document.notes)
        self.watched: list[Path] = []
        self.locations: dict[str, Location] = {}
        self.function_names: set[str] = set()

    def build(self) -> None:
        stack = self.stack
        layers = self._layers()
        for logical_id in stack.of_type("AWS::Lambda::Function"):
            self._function(logical_id, layers)
        for logical_id in stack.of_type("AWS::StepFunctions::StateMachine"):
            self._machine(logical_id)
        for logical_id in stack.of_type("AWS::StepFunctions::Activity"):
            self._activity(logical_id)
        for logical_id in stack.of_type("AWS::Lambda::EventSourceMapping"):
            self._event_source(logical_id)
        for logical_id in stack.of_type("AWS::Events::Rule"):
            self._rule(logical_id)
        for logical_id in stack.of_type("AWS::Scheduler::Schedule"):
            self._scheduler(logical_id)
        for logical_id in stack.resources:
            self._resource(logical_id)
        self._outputs()

    def at(self, logical_id: str, *rest: str | int) -> TemplatePath:
        return ("Resources", logical_id, "Properties", *rest)

    def _value(self, logical_id: str, prop: str, default: Any = None) -> Any:
        props = self.stack.properties(logical_id)
        if prop not in props:
            return default
        value = self.stack.resolve(props[prop], self.at(logical_id, prop))
        return default if value is NO_VALUE else value

    def _text(self, logical_id: str, prop: str, default: str | None = None) -> str | None:
        value = self._value(logical_id, prop)
        if value is None:
            return default
        if isinstance(value, Deferred):
            return _DEFERRED_TEXT
        text = scalar_text(value)
        if text is None:
            raise TemplateError(f"{prop} must be a string",
                                self.stack.locate(self.at(logical_id, prop)))
        return text

    # -- state machines ---------------------------------------------------------------------
    def _machine(self, logical_id: str) -> None:
        stack = self.stack
        location = stack.locate(("Resources", logical_id))
        name = stack.name_of(logical_id)
        from ..service.arns import is_valid_name

        if not is_valid_name(name):
            raise TemplateError(f"{name!r} is not a valid state machine name (1-80 "
                                "characters, no spaces or brackets)",
                                stack.locate(self.at(logical_id, "StateMachineName")))
        machine_type = self._text(logical_id, "StateMachineType", "STANDARD") or "STANDARD"
        if machine_type not in ("STANDARD", "EXPRESS"):
            raise TemplateError(f"StateMachineType {machine_type!r} is not STANDARD or "
                                "EXPRESS", stack.locate(self.at(logical_id, "StateMachineType")))
        text, file, file_path = self._definition(logical_id)
        substitutions = self._value(logical_id, "DefinitionSubstitutions") or {}
        if not isinstance(substitutions, Mapping):
            raise TemplateError("DefinitionSubstitutions must be a mapping",
                                stack.locate(self.at(logical_id, "DefinitionSubstitutions")))
        text = substitute(text, substitutions)
        arn = stack.scope.arn("states", f"stateMachine:{name}")
        role = self._text(logical_id, "RoleArn") or stack.scope.arn(
            "iam", f"role/{stack.name}-{logical_id}-role", region=False)
        tags = _tags(self._value(logical_id, "Tags"))
        aliases, publish = self._machine_versions(arn)
        spec = MachineSpec(
            logical_id=logical_id, name=name, arn=arn, definition=text, type=machine_type,
            role_arn=role, stack=stack.name, location=location,
            logging_configuration=_camel(self._value(logical_id, "LoggingConfiguration")),
            tracing_configuration=_camel(self._value(logical_id, "TracingConfiguration")),
            tags=tags, construct_path=stack.construct_paths.get(logical_id),
            definition_file=file, aliases=aliases, publish=publish,
            diagnostics=tuple(self._diagnostics(text, machine_type, logical_id, file,
                                                file_path)))
        self.machines.append(spec)

    def _definition(self, logical_id: str) -> tuple[str, Path | None, TemplatePath]:
        """The definition's JSON text, the file it came from, and its property's path."""
        stack = self.stack
        props = stack.properties(logical_id)
        if "Definition" in props:
            value = self._value(logical_id, "Definition")
            if has_deferred(value):
                value = _placeholders(value)
            return json.dumps(value, indent=2), None, self.at(logical_id, "Definition")
        if "DefinitionString" in props:
            value = self._value(logical_id, "DefinitionString")
            if isinstance(value, Deferred) or has_deferred(value):
                return "{}", None, self.at(logical_id, "DefinitionString")
            if not isinstance(value, str):
                raise TemplateError("DefinitionString must be a string",
                                    stack.locate(self.at(logical_id, "DefinitionString")))
            return value, None, self.at(logical_id, "DefinitionString")
        if "DefinitionS3Location" in props:
            path = self.at(logical_id, "DefinitionS3Location")
            location = self._value(logical_id, "DefinitionS3Location")
            file = stack.code_path(location)
            if isinstance(location, Mapping):
                file = stack.artifacts.path_of(location.get("Bucket"), location.get("Key"))
                if file is not None:  # a SAM DefinitionUri
                    path = ("Resources", logical_id, "Properties", "DefinitionUri")
            if file is None:
                raise TemplateError("the definition is in S3: stepfn reads definitions from "
                                    "local files (give DefinitionUri a path relative to "
                                    "the template)", stack.locate(path))
            file = self._same_but_case(file, stack.locate(path))
            return read_definition_file(file, stack.locate(path)), file, path
        raise TemplateError("the state machine has no Definition, DefinitionUri or "
                            "DefinitionString", stack.locate(("Resources", logical_id)))

    def _same_but_case(self, path: Path, where: Location) -> Path:
        """``path``, or the one file in its folder whose name differs only in case (a
        template written on a case-insensitive file system), with a note."""
        if path.exists() or not path.parent.is_dir():
            return path
        matches = [p for p in path.parent.iterdir() if p.name.lower() == path.name.lower()]
        if len(matches) != 1:
            return path
        self.notes.append(f"{where}: {path.name} is {matches[0].name} on disk (the names "
                          "differ in case; AWS's tools on Linux would not find it)")
        return matches[0]

    def _diagnostics(self, text: str, machine_type: str, logical_id: str,
                     file: Path | None, path: TemplatePath) -> list[str]:
        from ..service.machines import check_definition, errors_only

        where = self.stack.locate(path)
        found = []
        for diagnostic in errors_only(check_definition(text, machine_type)):
            inner = diagnostic.location or "/"
            if file is not None:
                line = _definition_line(file, inner)
                inner_where = f"{file}" + (f":{line}" if line else "") + f" {inner}"
            else:
                inner_where = f"definition {inner}"
            found.append(f"{where} ({inner_where}): {diagnostic.code}: {diagnostic.message}")
        self.watched.extend([file] if file is not None else [])
        return found

    def _machine_versions(self, machine_arn: str) -> tuple[tuple[str, ...], bool]:
        stack = self.stack
        publish = False
        for logical_id in stack.of_type("AWS::StepFunctions::StateMachineVersion"):
            if self._value(logical_id, "StateMachineArn") == machine_arn:
                publish = True
        aliases = []
        for logical_id in stack.of_type("AWS::StepFunctions::StateMachineAlias"):
            arn = stack.ref(logical_id)
            if isinstance(arn, str) and arn.rsplit(":", 1)[0] == machine_arn:
                aliases.append(arn.rsplit(":", 1)[1])
        return tuple(aliases), publish or bool(aliases)

    # -- activities -------------------------------------------------------------------------
    def _activity(self, logical_id: str) -> None:
        stack = self.stack
        name = stack.name_of(logical_id)
        self.activities.append(ActivitySpec(
            logical_id, name, stack.scope.arn("states", f"activity:{name}"),
            stack.locate(("Resources", logical_id)), _tags(self._value(logical_id, "Tags")),
            stack.name))

    # -- functions --------------------------------------------------------------------------
    def _layers(self) -> dict[str, Path]:
        """Layer version ARN -> the local folder of each layer the template declares."""
        stack = self.stack
        layers: dict[str, Path] = {}
        for logical_id in stack.of_type("AWS::Lambda::LayerVersion"):
            content = stack.properties(logical_id).get("Content")
            folder = self._local_code(logical_id, content, "Content")
            if folder is not None:
                arn = stack.ref(logical_id)
                if isinstance(arn, str):
                    layers[arn] = folder
                self.watched.append(folder)
        return layers

    def _local_code(self, logical_id: str, value: Any, prop: str) -> Path | None:
        """The local folder a Code/Content property (or CDK's asset metadata) names."""
        stack = self.stack
        metadata = stack.resources[logical_id].get("Metadata") or {}
        asset = metadata.get("aws:asset:path") if isinstance(metadata, Mapping) else None
        if isinstance(asset, str) and metadata.get("aws:asset:property", prop) == prop:
            base = stack.document.cdk_out or stack.document.base_dir
            return (base / asset).resolve()
        if isinstance(value, Mapping):
            found = stack.artifacts.path_of(value.get("S3Bucket"), value.get("S3Key"))
            return _unzipped(found.resolve()) if found is not None else None
        found = stack.code_path(value)
        return _unzipped(found) if found is not None else None

    def _function(self, logical_id: str, layers: Mapping[str, Path]) -> None:
        stack = self.stack
        self.locations[logical_id] = stack.locate(("Resources", logical_id))
        name = stack.name_of(logical_id)
        runtime = self._text(logical_id, "Runtime")
        if runtime is None or not PYTHON_RUNTIME.match(runtime):
            what = f"runtime {runtime}" if runtime else "a container image"
            self.notes.append(f"function {name} ({what}) is not run by stepfn: mock it "
                              "(--mock-config) or give --functions")
            return
        props = stack.properties(logical_id)
        code = props.get("Code")
        code_dir = None
        inline = None
        if isinstance(code, Mapping) and "ZipFile" in code:
            inline = stack.resolver.resolve_text(code["ZipFile"], self.at(logical_id, "Code",
                                                                         "ZipFile"), "ZipFile")
        else:
            code_dir = self._local_code(logical_id, self._value(logical_id, "Code"), "Code")
            code_path = self._code_property_path(logical_id)
            if code_dir is None:
                self.notes.append(f"function {name}: its code is not a local folder (S3 or "
                                  "an image): not run by stepfn")
                return
            code_dir = self._same_but_case(code_dir, stack.locate(code_path))
            if not code_dir.is_dir():
                raise TemplateError(f"the function's code folder {code_dir} does not exist",
                                    stack.locate(code_path))
            self.watched.append(code_dir)
        handler = self._text(logical_id, "Handler")
        if not handler or "." not in handler:
            raise TemplateError(f"Handler {handler!r} is not MODULE.FUNCTION",
                                stack.locate(self.at(logical_id, "Handler")))
        layer_dirs = self._function_layers(logical_id, name, layers)
        if code_dir is not None:
            _check_handler(handler, code_dir, layer_dirs,
                           stack.locate(self.at(logical_id, "Handler")))
        environment = self._value(logical_id, "Environment") or {}
        variables = environment.get("Variables") or {} if isinstance(environment,
                                                                     Mapping) else {}
        env = {str(k): (scalar_text(v) if not isinstance(v, Deferred) else _DEFERRED_TEXT)
               or "" for k, v in variables.items()}
        timeout = float(self._text(logical_id, "Timeout", "3") or 3)
        memory = int(float(self._text(logical_id, "MemorySize", "128") or 128))
        reserved = self._text(logical_id, "ReservedConcurrentExecutions")
        from ..lambda_runtime import FunctionSpec

        spec = FunctionSpec(
            name=name, handler=handler, code_dir=code_dir, inline_code=inline,
            runtime=runtime, environment=env, timeout_seconds=timeout, memory_mb=memory,
            layers=tuple(layer_dirs), reserved_concurrency=int(reserved) if reserved else None,
            aliases=self._function_aliases(stack.function_arn(logical_id), name),
            logical_id=logical_id)
        self.functions.append(spec)
        self.function_names.add(name)

    def _code_property_path(self, logical_id: str) -> TemplatePath:
        original = (self.stack.document.body.get("Resources") or {}).get(logical_id) or {}
        if isinstance(original, Mapping) and "CodeUri" in (original.get("Properties") or {}):
            return self.at(logical_id, "CodeUri")
        return self.at(logical_id, "Code")

    def _function_layers(self, logical_id: str, name: str,
                         layers: Mapping[str, Path]) -> list[Path]:
        found = []
        for arn in self._value(logical_id, "Layers") or []:
            if isinstance(arn, str) and arn in layers:
                found.append(layers[arn])
            else:
                self.notes.append(f"function {name}: layer {arn} is not in the template; "
                                  "install its packages where the function runs")
        return found

    def _function_aliases(self, function_arn: str, name: str) -> tuple[str, ...]:
        aliases = []
        for logical_id in self.stack.of_type("AWS::Lambda::Alias"):
            target = self._value(logical_id, "FunctionName")
            if target in (function_arn, name):
                alias = self._text(logical_id, "Name")
                if alias:
                    aliases.append(alias)
        return tuple(aliases)

    # -- event sources and schedules --------------------------------------------------------
    def _event_source(self, logical_id: str) -> None:
        stack = self.stack
        location = stack.locate(("Resources", logical_id))
        source = self._text(logical_id, "EventSourceArn") or ""
        target = self._text(logical_id, "FunctionName") or ""
        function, qualifier = split_function(target)
        if not source.startswith("arn:") or source.split(":")[2] != "sqs":
            if source != _DEFERRED_TEXT:
                self.notes.append(f"event source {logical_id} ({source or 'no ARN'}) is not "
                                  "an SQS queue: stepfn polls SQS queues only")
                return
        if function not in self.function_names:
            self.notes.append(f"event source {logical_id}: function {function} is not run "
                              "by stepfn; its queue is not polled")
            return
        enabled = self._value(logical_id, "Enabled", True)
        types = self._value(logical_id, "FunctionResponseTypes") or []
        scaling = self._value(logical_id, "ScalingConfig") or {}
        if self._value(logical_id, "FilterCriteria"):
            self.notes.append(f"event source {logical_id}: FilterCriteria is not applied "
                              "locally (every message is delivered)")
        self.event_sources.append(EventSourceSpec(
            logical_id=logical_id, function=function, qualifier=qualifier,
            queue_arn=source, location=location,
            batch_size=int(self._text(logical_id, "BatchSize", "10") or 10),
            batching_window_seconds=float(
                self._text(logical_id, "MaximumBatchingWindowInSeconds", "0") or 0),
            enabled=enabled not in (False, "false"),
            report_batch_item_failures="ReportBatchItemFailures" in types,
            maximum_concurrency=int(scaling["MaximumConcurrency"])
            if isinstance(scaling, Mapping) and "MaximumConcurrency" in scaling else None))

    def _target_kind(self, arn: str) -> str | None:
        machine_arns = {m.arn for m in self.machines}
        if arn in machine_arns or arn.rsplit(":", 1)[0] in machine_arns:
            return "machine"
        function, _ = split_function(arn)
        if function in self.function_names:
            return "function"
        return None

    def _expression(self, logical_id: str) -> str | None:
        """The resource's ScheduleExpression, checked as EventBridge checks it."""
        from ..service.schedules import ScheduleExpressionError, check_expression

        expression = self._text(logical_id, "ScheduleExpression")
        if expression is not None:
            try:
                check_expression(expression)
            except ScheduleExpressionError as exc:
                raise TemplateError(str(exc), self.stack.locate(
                    self.at(logical_id, "ScheduleExpression"))) from None
        return expression

    def _rule(self, logical_id: str) -> None:
        stack = self.stack
        expression = self._expression(logical_id)
        enabled = (self._text(logical_id, "State", "ENABLED") or "ENABLED") == "ENABLED"
        targets = self._value(logical_id, "Targets") or []
        rule_arn = stack.get_att(logical_id, "Arn")
        for i, target in enumerate(targets if isinstance(targets, list) else []):
            arn = target.get("Arn") if isinstance(target, Mapping) else None
            if not isinstance(arn, str):
                continue
            kind = self._target_kind(arn)
            if kind is None:
                continue
            if expression is None:
                self.notes.append(f"EventBridge rule {logical_id}: events of the local AWS "
                                  f"do not reach {arn} (only schedules are run locally)")
                continue
            if "InputPath" in target or "InputTransformer" in target:
                self.notes.append(f"schedule {logical_id}: InputPath and InputTransformer "
                                  "are not applied (the target gets the scheduled event)")
            self.schedules.append(ScheduleSpec(
                logical_id=logical_id if len(targets) == 1 else f"{logical_id}#{i}",
                expression=expression, target_arn=arn, target_kind=kind,
                location=stack.locate(("Resources", logical_id)), source="events",
                rule_arn=rule_arn if isinstance(rule_arn, str) else "",
                input=_input_text(target.get("Input")), enabled=enabled))

    def _scheduler(self, logical_id: str) -> None:
        stack = self.stack
        target = self._value(logical_id, "Target") or {}
        arn = target.get("Arn") if isinstance(target, Mapping) else None
        if not isinstance(arn, str) or self._target_kind(arn) is None:
            return
        self.schedules.append(ScheduleSpec(
            logical_id=logical_id, expression=self._expression(logical_id) or "",
            target_arn=arn, target_kind=self._target_kind(arn) or "machine",
            location=stack.locate(("Resources", logical_id)), source="scheduler",
            rule_arn=str(stack.get_att(logical_id, "Arn")),
            input=_input_text(target.get("Input")),
            enabled=(self._text(logical_id, "State", "ENABLED") or "ENABLED") == "ENABLED",
            timezone=self._text(logical_id, "ScheduleExpressionTimezone", "UTC") or "UTC",
            start=_epoch(self._text(logical_id, "StartDate")),
            end=_epoch(self._text(logical_id, "EndDate"))))

    # -- the rest ---------------------------------------------------------------------------
    def _resource(self, logical_id: str) -> None:
        stack = self.stack
        kind = stack.type_of(logical_id)
        if kind in _STEPFN_RUNS_WHEN_LISTED:
            handled = "stepfn"
        elif (logical_id, None) in stack.created:
            handled = "aws"
        else:
            handled = "none"
        try:
            value = stack.ref(logical_id)
        except Exception:  # noqa: BLE001 - a Ref that cannot be computed is not shown
            value = ""
        physical = scalar_text(value) if not isinstance(value, Deferred) else None
        self.resources.append(ResourceSpec(logical_id, kind, stack.name, physical or "",
                                           handled))

    def _outputs(self) -> None:
        stack = self.stack
        for key, output in (stack.template.get("Outputs") or {}).items():
            if not isinstance(output, Mapping):
                continue
            path: TemplatePath = ("Outputs", str(key))
            condition = output.get("Condition")
            if isinstance(condition, str) and not stack.resolver.condition(
                    condition, path + ("Condition",)):
                continue
            value = stack.resolve(output.get("Value"), path + ("Value",))
            text = _DEFERRED_TEXT if has_deferred(value) else scalar_text(value)
            if text is None and isinstance(value, list):
                text = ",".join(str(v) for v in value)
            self.outputs[str(key)] = text or ""
            export = output.get("Export")
            if isinstance(export, Mapping) and "Name" in export:
                name = stack.resolve(export["Name"], path + ("Export", "Name"))
                self.exports[str(name)] = value


_STEPFN_RUNS_WHEN_LISTED = frozenset({
    "AWS::StepFunctions::StateMachine", "AWS::StepFunctions::Activity",
    "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping",
})


def _unzipped(path: Path) -> Path:
    """A code folder; a local .zip (as SAM takes for CodeUri) extracted once into a
    folder of its own (named by the archive's path, size and time)."""
    if path.suffix.lower() != ".zip" or not path.is_file():
        return path
    import hashlib
    import tempfile
    import zipfile

    stat = path.stat()
    key = hashlib.sha256(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    folder = Path(tempfile.gettempdir()) / "stepfn-code" / key[:16]
    if not folder.is_dir():
        partial = folder.with_name(folder.name + ".partial")
        with zipfile.ZipFile(path) as archive:
            archive.extractall(partial)
        partial.rename(folder)
    return folder


def substitute(text: str, substitutions: Mapping[str, Any]) -> str:
    """``${key}`` replaced by each DefinitionSubstitutions value (as text); any other
    ``${...}`` is left as it is, as CloudFormation leaves it."""
    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in substitutions:
            return match.group(0)
        value = substitutions[key]
        if isinstance(value, Deferred):
            return _DEFERRED_TEXT
        rendered = scalar_text(value)
        return rendered if rendered is not None else json.dumps(value)
    return _SUBSTITUTION.sub(replace, text)


def read_definition_file(path: Path, where: Location) -> str:
    """A DefinitionUri file's definition as JSON text (a YAML file converted)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise TemplateError(f"definition file {path} not found", where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read definition file {path}: {exc}", where) from None
    if path.suffix.lower() == ".json":
        return text
    document = parse_text(text, path)
    return json.dumps(_plain(document), indent=2)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def _definition_line(file: Path, location: str) -> int | None:
    """The line of a diagnostic's location (``/States/A/Next``) in a definition file."""
    try:
        document = parse_text(file.read_text(), file)
    except (TemplateError, OSError):
        return None
    parts: list[str | int] = []
    for segment in location.strip("/").split("/"):
        match = re.fullmatch(r"(.+?)((?:\[\d+\])*)", segment)
        if not segment or match is None:
            continue
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    line, _ = mark_of(document, parts)
    return line


def _placeholders(value: Any) -> Any:
    if isinstance(value, Deferred):
        return _DEFERRED_TEXT
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def split_function(target: str) -> tuple[str, str | None]:
    """A FunctionName (name, ``name:alias``, full or partial ARN) as (name, qualifier)."""
    parts = target.split(":")
    if target.startswith("arn:") and len(parts) >= 7:
        return parts[6], parts[7] if len(parts) > 7 else None
    if len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:Q]
        return parts[2], parts[3] if len(parts) > 3 else None
    if len(parts) == 2:
        return parts[0], parts[1]
    return target, None


def _check_handler(handler: str, code_dir: Path, layers: Sequence[Path],
                   where: Location) -> None:
    """A TemplateError when the handler's module is in neither the code folder nor a
    layer (Lambda imports ``a/b.c`` as module ``a.b``: file a/b.py or package a/b/)."""
    module = handler.rsplit(".", 1)[0].replace("/", ".")
    relative = Path(*module.split("."))
    roots = [code_dir] + [d for layer in layers for d in (layer / "python", layer)]
    for root in roots:
        if (root / relative).with_suffix(".py").is_file() or (
                root / relative / "__init__.py").is_file():
            return
    looked = (code_dir / relative).with_suffix(".py")
    raise TemplateError(f"handler module {module} not found (no {looked})", where)


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, list):
        return {str(t.get("Key")): str(t.get("Value")) for t in value
                if isinstance(t, Mapping) and "Key" in t}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {}


def _camel(value: Any) -> Any:
    """CloudFormation's PascalCase members as the API's camelCase."""
    if isinstance(value, Mapping):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _input_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(as_template(value))


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()
