"""The plain model a template is loaded into: what stepfn runs and what it hands on.

Every value here is resolved (no intrinsic function left). ``Application`` holds the
state machines, activities and Lambda functions stepfn runs, the SQS event sources it
polls and the schedules it fires, the other resources (created on the local AWS or
not) and the stacks' outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Location


@dataclass(frozen=True)
class MachineSpec:
    """A state machine as the template declares it."""

    logical_id: str
    name: str
    arn: str
    definition: str  # JSON text, DefinitionSubstitutions applied
    type: str  # STANDARD | EXPRESS
    role_arn: str
    stack: str
    location: Location
    logging_configuration: dict | None = None  # as the API takes it (camelCase)
    tracing_configuration: dict | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    construct_path: str | None = None  # CDK's aws:cdk:path
    definition_file: Path | None = None  # DefinitionUri / DefinitionS3Location
    aliases: tuple[str, ...] = ()  # AWS::StepFunctions::StateMachineAlias names
    publish: bool = False  # an AWS::StepFunctions::StateMachineVersion exists
    diagnostics: tuple[str, ...] = ()  # validation problems, each with its place

    def answers_to(self, name: str) -> bool:
        """Whether ``--machine NAME`` means this machine: its logical id, name, ARN or
        CDK construct path (with or without the trailing ``/Resource``)."""
        if name in (self.logical_id, self.name, self.arn):
            return True
        if self.construct_path is None:
            return False
        path = self.construct_path
        return name in (path, path.removesuffix("/Resource"))


@dataclass(frozen=True)
class ActivitySpec:
    logical_id: str
    name: str
    arn: str
    location: Location
    tags: Mapping[str, str] = field(default_factory=dict)
    stack: str = ""


@dataclass(frozen=True)
class EventSourceSpec:
    """An SQS queue a function is invoked from (``AWS::Lambda::EventSourceMapping``,
    SAM's ``Events: Type: SQS``)."""

    logical_id: str
    function: str  # the function's name
    queue_arn: str
    location: Location
    qualifier: str | None = None  # an alias or version the mapping names
    batch_size: int = 10
    batching_window_seconds: float = 0.0
    enabled: bool = True
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule that starts a state machine or invokes a function
    (``AWS::Events::Rule`` with ScheduleExpression, ``AWS::Scheduler::Schedule``;
    SAM's ``Schedule``/``ScheduleV2`` events)."""

    logical_id: str
    expression: str  # rate(...), cron(...), at(...)
    target_arn: str
    target_kind: str  # "machine" | "function"
    location: Location
    source: str  # "events" (EventBridge rule) | "scheduler" (EventBridge Scheduler)
    rule_arn: str = ""
    input: str | None = None  # the target's Input; None: the scheduled event
    enabled: bool = True
    timezone: str = "UTC"
    start: float | None = None  # StartDate / EndDate (Scheduler), epoch seconds
    end: float | None = None


@dataclass(frozen=True)
class ResourceSpec:
    """Any resource of a template, with what ``Ref`` of it gives."""

    logical_id: str
    type: str
    stack: str
    physical_id: str
    handled_by: str  # "stepfn" | "aws" (created on the local AWS) | "none"


@dataclass(frozen=True)
class Application:
    """Everything the ``--template`` files declare, resolved."""

    stacks: tuple[str, ...]
    templates: tuple[Path, ...]
    machines: tuple[MachineSpec, ...] = ()
    activities: tuple[ActivitySpec, ...] = ()
    functions: tuple[Any, ...] = ()  # lambda_runtime.FunctionSpec
    event_sources: tuple[EventSourceSpec, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    resources: tuple[ResourceSpec, ...] = ()
    outputs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # stack -> key
    notes: tuple[str, ...] = ()  # warnings worth a line at start
    watched: tuple[Path, ...] = ()  # files and folders whose change means reload

    def machine(self, name: str | None) -> MachineSpec:
        """The machine ``--machine NAME`` picks (the only one when NAME is None);
        LookupError with the names to choose from."""
        if name is None:
            if len(self.machines) == 1:
                return self.machines[0]
            raise LookupError(_choose("the templates declare "
                                      f"{len(self.machines)} state machines: give "
                                      "--machine NAME", self.machines))
        for machine in self.machines:
            if machine.answers_to(name):
                return machine
        raise LookupError(_choose(f"no state machine {name!r} in the templates",
                                  self.machines))

    def function(self, name: str) -> Any:
        """The function named ``name`` (its FunctionName, logical id or ARN)."""
        for spec in self.functions:
            arn_name = name.split(":")[6] if name.startswith("arn:") and name.count(":") >= 6 \
                else name
            if arn_name in (spec.name, spec.logical_id):
                return spec
        names = ", ".join(sorted(spec.name for spec in self.functions)) or "none"
        raise LookupError(f"no Python function {name!r} in the templates (functions: "
                          f"{names})")


def _choose(message: str, machines: tuple[MachineSpec, ...]) -> str:
    if not machines:
        return message
    names = ", ".join(f"{m.logical_id}" + (f" ({m.name})" if m.name != m.logical_id else "")
                      for m in machines)
    return f"{message} (machines: {names})"
