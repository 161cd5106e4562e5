"""One template resolved as CloudFormation would deploy it as a stack.

``Stack`` reads its parameters, runs the SAM transform when the template asks for it,
evaluates the conditions (resources whose Condition is false are left out) and answers
``Ref``/``Fn::GetAtt`` of its resources (``ResourceValues``):

- what stepfn runs itself (state machines, activities, functions, their versions,
  aliases and layers, event source mappings) gives the ARNs and names stepfn uses;
- with ``--create-resources``, the resources of the stack created on the local AWS
  give what that AWS answered (``created``);
- anything else gives the values ``physical`` builds from the logical id.

While planning the stack for the local AWS (``plan=True``) its resources give
``Deferred`` values instead, and each one asked for is remembered in ``wanted``: those
are the outputs the created stack must answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import physical, sam
from .documents import Document, cdk_construct_paths
from .errors import Location, TemplateError, TemplatePath
from .intrinsics import Deferred, Resolver, Unresolvable
from .parameters import Parameters, pseudo_parameters

#: Types stepfn runs itself (never created on the local AWS).
RUN_BY_STEPFN = frozenset({
    "AWS::StepFunctions::StateMachine", "AWS::StepFunctions::Activity",
    "AWS::StepFunctions::StateMachineVersion", "AWS::StepFunctions::StateMachineAlias",
    "AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias",
    "AWS::Lambda::LayerVersion", "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Permission", "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::LayerVersionPermission", "AWS::Lambda::Url",
})
#: Types stepfn has no use for locally: left out of the local AWS's stack, silently
#: (their Ref/GetAtt still resolve to values built from the logical id).
NOT_NEEDED = frozenset({
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
    "AWS::IAM::InstanceProfile", "AWS::IAM::RolePolicy", "AWS::CDK::Metadata",
    "AWS::CloudFormation::WaitConditionHandle", "AWS::CloudFormation::WaitCondition",
})
#: Types nothing local can create: left out with one warning each.
CANNOT_CREATE_PREFIXES = ("Custom::", "AWS::CloudFormation::CustomResource",
                          "AWS::CloudFormation::Stack", "AWS::Serverless::",
                          "AWS::CloudFormation::Macro", "AWS::KMS::Alias",
                          "AWS::ApiGateway::", "AWS::ApiGatewayV2::")

DEFAULT_STACK_NAME = "local"


@dataclass(frozen=True)
class StackOptions:
    region: str = "us-east-1"
    account: str = "123456789012"
    stack_name: str | None = None  # None: "local", or a CDK stack's own name
    parameter_overrides: Mapping[str, str] | None = None
    ssm_reader: Callable[[str], str] | None = None


class Stack:
    """One template, transformed and ready to resolve (see the module's docstring)."""

    def __init__(self, document: Document, options: StackOptions, *,
                 exports: Mapping[str, Any] | None = None,
                 created: Mapping[tuple[str, str | None], Any] | None = None,
                 plan: bool = False, also_on_local_aws: frozenset[str] = frozenset()
                 ) -> None:
        self.document = document
        self.options = options
        self.name = options.stack_name or document.cdk_stack_name or DEFAULT_STACK_NAME
        self.scope = physical.Scope(options.region, options.account,
                                    _partition(options.region))
        self.created = created or {}
        self.plan = plan
        self.also_on_local_aws = also_on_local_aws  # IAM roles those resources need
        self.wanted: set[tuple[str, str | None]] = set()
        body = document.body
        self.pseudo = pseudo_parameters(region=options.region, account=options.account,
                                        stack_name=self.name)
        declared = body.get("Parameters") or {}
        self.parameters = Parameters(declared if isinstance(declared, Mapping) else {},
                                     options.parameter_overrides or {}, document.locate,
                                     options.ssm_reader)
        self.artifacts = sam.LocalArtifacts()
        self.sam = sam.is_sam(body)
        unsupported = [t for t in sam.transforms_of(body)
                       if t not in (sam.SAM_TRANSFORM, "AWS::LanguageExtensions")]
        if unsupported:
            raise TemplateError(f"Transform {unsupported[0]} is a macro stepfn cannot run "
                                "locally", document.locate(("Transform",)))
        if self.sam:
            values = {**self.parameters.translator_values,
                      **{k: v for k, v in self.pseudo.items() if isinstance(v, str)}}
            self.template: Mapping[str, Any] = sam.transform(
                body, base_dir=document.base_dir, file=document.path,
                parameter_values=values, region=options.region, artifacts=self.artifacts)
        else:
            self.template = body
        self.construct_paths = cdk_construct_paths(self.template)
        self.resolver = Resolver(
            pseudo=self.pseudo, parameters=self.parameters.values,
            mappings=self.template.get("Mappings") or {},
            conditions=self.template.get("Conditions") or {}, resources=self,
            exports=exports or {}, locate=self.locate,
            parameter_value=self.parameters.value)
        self.resources = self._active_resources()
        self._names: dict[str, str] = {}
        self._naming: set[str] = set()

    # -- places -----------------------------------------------------------------------------
    def locate(self, path: TemplatePath) -> Location:
        """Where ``path`` (of the transformed template) is in the file: a resource the
        SAM transform generated is shown at the resource it came from."""
        original = self.document.body.get("Resources") or {}
        if len(path) >= 2 and path[0] == "Resources" and path[1] not in original:
            owner = max((str(lid) for lid in original if str(path[1]).startswith(str(lid))),
                        key=len, default=None)
            if owner is not None:
                where = self.document.locate(("Resources", owner))
                return Location(where.file, tuple(path), where.line, where.column)
        return self.document.locate(path)

    def resolve(self, value: Any, path: TemplatePath) -> Any:
        return self.resolver.resolve(value, path)

    def _active_resources(self) -> dict[str, dict]:
        active: dict[str, dict] = {}
        for logical_id, resource in (self.template.get("Resources") or {}).items():
            path = ("Resources", str(logical_id))
            if not isinstance(resource, Mapping) or not isinstance(resource.get("Type"), str):
                raise TemplateError("a resource needs a Type", self.locate(path))
            condition = resource.get("Condition")
            if isinstance(condition, str) and not self.resolver.condition(
                    str(condition), path + ("Condition",)):
                continue
            active[str(logical_id)] = dict(resource)
        return active

    def type_of(self, logical_id: str) -> str:
        return str(self.resources[logical_id]["Type"])

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        props = self.resources[logical_id].get("Properties")
        return props if isinstance(props, Mapping) else {}

    def of_type(self, *types: str) -> list[str]:
        return [lid for lid, r in self.resources.items() if r["Type"] in types]

    # -- ResourceValues ---------------------------------------------------------------------
    def has(self, logical_id: str) -> bool:
        return logical_id in self.resources

    def on_local_aws(self, logical_id: str) -> bool:
        """Whether the resource belongs to the stack created on the local AWS."""
        if logical_id in self.also_on_local_aws:
            return True
        kind = self.type_of(logical_id)
        return (kind not in RUN_BY_STEPFN and kind not in NOT_NEEDED
                and not kind.startswith(CANNOT_CREATE_PREFIXES))

    def ref(self, logical_id: str) -> Any:
        return self._value(logical_id, None)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return self._value(logical_id, attribute)

    def _value(self, logical_id: str, attribute: str | None) -> Any:
        key = (logical_id, attribute)
        if key in self.created:
            return self.created[key]
        if self.plan and self.on_local_aws(logical_id):
            self.wanted.add(key)
            return Deferred({"Ref": logical_id} if attribute is None
                            else {"Fn::GetAtt": [logical_id, attribute]})
        kind = self.type_of(logical_id)
        special = _STEPFN_VALUES.get(kind)
        if special is not None:
            value = special(self, logical_id, attribute)
            if value is not None:
                return value
        return physical.synthesized(self.scope, kind, logical_id, self.name_of(logical_id),
                                    attribute, self.properties(logical_id))

    def name_of(self, logical_id: str) -> str:
        """The resource's physical name (its name property, else the logical id)."""
        if logical_id in self._names:
            return self._names[logical_id]
        if logical_id in self._naming:
            raise Unresolvable(f"the name of {logical_id} depends on itself")
        kind = self.type_of(logical_id)
        prop = physical.NAME_PROPERTIES.get(kind)
        declared = None
        if prop is not None and prop in self.properties(logical_id):
            self._naming.add(logical_id)
            try:
                declared = self.resolve(self.properties(logical_id)[prop],
                                        ("Resources", logical_id, "Properties", prop))
            finally:
                self._naming.discard(logical_id)
            if isinstance(declared, Deferred):
                raise Unresolvable(f"the {prop} of {logical_id} is known only once the "
                                   "local AWS created it")
        name = physical.default_name(kind, logical_id, declared)
        self._names[logical_id] = name
        return name

    def function_arn(self, logical_id: str) -> str:
        return self.scope.arn("lambda", f"function:{self.name_of(logical_id)}")

    def code_path(self, value: Any) -> Path | None:
        """A local path given as a string, relative to the template."""
        if isinstance(value, str) and value and not value.startswith("s3://"):
            return (self.document.base_dir / value).resolve()
        return None


def _partition(region: str) -> str:
    from .parameters import partition_of

    return partition_of(region)


def _owner_function(stack: Stack, logical_id: str) -> str | None:
    """The function a Version/Alias/mapping resource names (resolved to its ARN)."""
    value = stack.resolve(stack.properties(logical_id).get("FunctionName"),
                          ("Resources", logical_id, "Properties", "FunctionName"))
    return value if isinstance(value, str) else None


def _function_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    name = stack.name_of(logical_id)
    return {None: name, "Arn": stack.function_arn(logical_id)}.get(attribute)


def _version_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    function = _owner_function(stack, logical_id) or ""
    arn = function if function.startswith("arn:") else stack.scope.arn(
        "lambda", f"function:{function}")
    return {None: f"{arn}:1", "Version": "1", "FunctionArn": arn}.get(attribute)


def _alias_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    function = _owner_function(stack, logical_id) or ""
    arn = function if function.startswith("arn:") else stack.scope.arn(
        "lambda", f"function:{function}")
    name = stack.resolve(stack.properties(logical_id).get("Name", logical_id),
                         ("Resources", logical_id, "Properties", "Name"))
    return {None: f"{arn}:{name}", "AliasArn": f"{arn}:{name}"}.get(attribute)


def _layer_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    arn = stack.scope.arn("lambda", f"layer:{stack.name_of(logical_id)}:1")
    return {None: arn, "LayerVersionArn": arn}.get(attribute)


def _mapping_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    mapping_id = physical.stable_id(stack.name, logical_id)
    return {None: mapping_id, "Id": mapping_id,
            "EventSourceMappingArn": stack.scope.arn(
                "lambda", f"event-source-mapping:{mapping_id}")}.get(attribute)


def _machine_target(stack: Stack, logical_id: str) -> str:
    props = stack.properties(logical_id)
    target = props.get("StateMachineArn") or props.get("Target")
    value = stack.resolve(target, ("Resources", logical_id, "Properties", "StateMachineArn"))
    return value if isinstance(value, str) else ""


def _machine_version_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    arn = f"{_machine_target(stack, logical_id)}:1"
    return {None: arn, "Arn": arn}.get(attribute)


def _machine_alias_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    props = stack.properties(logical_id)
    name = stack.resolve(props.get("Name", logical_id),
                         ("Resources", logical_id, "Properties", "Name"))
    machine = ""
    for route in props.get("RoutingConfiguration") or []:
        version = stack.resolve(route.get("StateMachineVersionArn"),
                                ("Resources", logical_id, "Properties",
                                 "RoutingConfiguration"))
        if isinstance(version, str):
            machine = version.rsplit(":", 1)[0]
    if "DeploymentPreference" in props:
        version = stack.resolve(props["DeploymentPreference"].get("StateMachineVersionArn"),
                                ("Resources", logical_id, "Properties",
                                 "DeploymentPreference"))
        if isinstance(version, str):
            machine = version.rsplit(":", 1)[0]
    arn = f"{machine}:{name}"
    return {None: arn, "Arn": arn}.get(attribute)


def _state_machine_values(stack: Stack, logical_id: str, attribute: str | None) -> Any:
    if attribute == "StateMachineRevisionId":
        return "INITIAL"
    return None


_STEPFN_VALUES: dict[str, Callable[[Stack, str, str | None], Any]] = {
    "AWS::Lambda::Function": _function_values,
    "AWS::Lambda::Version": _version_values,
    "AWS::Lambda::Alias": _alias_values,
    "AWS::Lambda::LayerVersion": _layer_values,
    "AWS::Lambda::EventSourceMapping": _mapping_values,
    "AWS::StepFunctions::StateMachineVersion": _machine_version_values,
    "AWS::StepFunctions::StateMachineAlias": _machine_alias_values,
    "AWS::StepFunctions::StateMachine": _state_machine_values,
}
