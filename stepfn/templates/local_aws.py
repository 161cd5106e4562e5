"""``--create-resources``: the template's other resources, created on the local AWS.

The local AWS is whatever endpoint boto3's configuration names (``AWS_ENDPOINT_URL``:
moto's server, LocalStack, or real AWS). Each template's resources that stepfn does not
run itself (queues, tables, buckets, topics, event buses, ...) are sent to that
endpoint's CloudFormation API as a stack of their own, named like the stack
(``--stack-name``, default ``local``):

1. The template is resolved in *plan* mode (``Stack(plan=True)``): references between
   those resources stay intrinsics for that CloudFormation to resolve; references to
   what stepfn runs (machines, functions) or leaves out (IAM roles, CDK metadata) are
   replaced by their values. Every Ref/GetAtt of those resources that stepfn needs (in
   definitions, environments, event sources, outputs) becomes an output of the stack.
2. The stack is created (or updated, when it exists). A resource the endpoint cannot
   create is left out with one warning: types nothing local creates (custom
   resources, nested stacks, KMS aliases), e-mail and SMS subscriptions and deliveries
   to stepfn's functions, resources the endpoint reports CREATE_FAILED (then the stack
   is created again without them) or silently skips (moto's unsupported types).
3. The outputs are the values ``Ref``/``Fn::GetAtt`` of those resources give in the
   application (``LoadOptions.created``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import physical
from .application import LoadOptions, _Builder
from .documents import Document
from .errors import TemplateError
from .intrinsics import NO_VALUE, as_template
from .stack import CANNOT_CREATE_PREFIXES, NOT_NEEDED, Stack

log = logging.getLogger("stepfn.templates")

_MAX_ATTEMPTS = 4
_WAIT_SECONDS = 300.0
_SKIPPED_PROTOCOLS = {"email", "email-json", "sms", "lambda", "application", "firehose"}
_TOP_LEVEL_KEPT = ("Type", "Properties", "DeletionPolicy", "UpdateReplacePolicy")


@dataclass
class StackPlan:
    """The stack to create on the local AWS for one template."""

    name: str
    template: dict
    outputs: dict[str, tuple[str, str | None]]  # output key -> (logical id, attribute)
    warnings: list[str] = field(default_factory=list)
    scope: physical.Scope = physical.Scope("us-east-1", "123456789012")


def plan(document: Document, options: LoadOptions,
         exports: Mapping[str, Any] | None = None) -> StackPlan:
    """What to create on the local AWS for ``document`` (see the module docstring)."""
    probe = Stack(document, options, exports=exports, plan=True)
    needed = _needed_by_local_aws(probe)
    stack = Stack(document, options, exports=exports, plan=True,
                  also_on_local_aws=needed) if needed else probe
    _Builder(stack).build()  # records every value of those resources stepfn needs
    warnings: list[str] = []
    kept: dict[str, dict] = {}
    for logical_id in stack.resources:
        if not stack.on_local_aws(logical_id):
            kind = stack.type_of(logical_id)
            if kind.startswith(CANNOT_CREATE_PREFIXES):
                warnings.append(f"{logical_id} ({kind}) is not created on the local AWS"
                                f"{_why_not(kind)}; its Ref and attributes resolve to values "
                                "built from its logical id")
            continue
        resource = _local_resource(stack, logical_id, warnings)
        if resource is not None:
            kept[logical_id] = resource
    for resource in kept.values():  # DependsOn only on what is in this stack
        depends = resource.get("DependsOn")
        if depends is not None:
            names = [depends] if isinstance(depends, str) else list(depends)
            names = [n for n in names if n in kept]
            if names:
                resource["DependsOn"] = names
            else:
                del resource["DependsOn"]
    wanted = {(lid, None) for lid in kept} | {w for w in stack.wanted if w[0] in kept}
    outputs = {f"StepfnValue{i}": w for i, w in enumerate(
        sorted(wanted, key=lambda w: (w[0], w[1] or "")))}
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": kept}
    return StackPlan(stack.name, template, outputs, warnings, stack.scope)


def _why_not(kind: str) -> str:
    if kind.startswith(("AWS::ApiGateway::", "AWS::ApiGatewayV2::")):
        return " (stepfn serves no APIs: invoke the functions with `stepfn invoke`)"
    if kind.startswith(("Custom::", "AWS::CloudFormation::CustomResource")):
        return " (a custom resource needs its provider function on AWS)"
    return ""


def _needed_by_local_aws(stack: Stack) -> frozenset[str]:
    """The IAM roles and policies the resources created on the local AWS refer to (a
    local AWS may check that a role it is given exists), and what those refer to."""
    kept = {lid for lid in stack.resources if stack.on_local_aws(lid)}
    needed: set[str] = set()
    frontier = set(kept)
    while frontier:
        found = set()
        for logical_id in frontier:
            for name in referenced(stack.resources[logical_id]):
                if (name in stack.resources and name not in kept and name not in needed
                        and stack.type_of(name) in NOT_NEEDED
                        and stack.type_of(name).startswith("AWS::IAM::")):
                    found.add(name)
        needed |= found
        frontier = found
    return frozenset(needed)


def referenced(value: Any) -> set[str]:
    """The names a resource's Ref, Fn::GetAtt, Fn::Sub and DependsOn mention."""
    import re

    names: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                names.add(item)
            elif key == "Fn::GetAtt":
                first = item.split(".")[0] if isinstance(item, str) else (
                    item[0] if isinstance(item, list) and item else None)
                if isinstance(first, str):
                    names.add(first)
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else (
                    item[0] if isinstance(item, list) and item else "")
                names.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}",
                                                                 str(text)))
            elif key == "DependsOn":
                names.update([item] if isinstance(item, str) else
                             [i for i in item if isinstance(i, str)])
            names |= referenced(item)
    elif isinstance(value, list):
        for item in value:
            names |= referenced(item)
    return names


def _local_resource(stack: Stack, logical_id: str, warnings: list[str]) -> dict | None:
    """The resource as the local AWS's stack declares it (None: left out)."""
    original = stack.resources[logical_id]
    kind = stack.type_of(logical_id)
    path = ("Resources", logical_id, "Properties")
    properties = stack.resolve(original.get("Properties") or {}, path)
    properties = as_template(properties) if properties is not NO_VALUE else {}
    if kind == "AWS::SNS::Subscription":
        protocol = str(properties.get("Protocol", "")).lower()
        if protocol in _SKIPPED_PROTOCOLS:
            warnings.append(f"{logical_id}: the {protocol} subscription is not created on "
                            "the local AWS")
            return None
    if kind == "AWS::SNS::Topic" and properties.get("Subscription"):
        subscriptions = [s for s in properties["Subscription"]
                         if str(s.get("Protocol", "")).lower() not in _SKIPPED_PROTOCOLS]
        if len(subscriptions) != len(properties["Subscription"]):
            warnings.append(f"{logical_id}: its e-mail, SMS and Lambda subscriptions are "
                            "not created on the local AWS")
        properties["Subscription"] = subscriptions
    if kind == "AWS::Events::Rule":
        targets = properties.get("Targets") or []
        local = [t for t in targets if not _is_stepfn_arn(stack, t.get("Arn"))]
        if not local and (targets or properties.get("ScheduleExpression")):
            return None  # stepfn fires the schedule itself; nothing else to deliver to
        properties["Targets"] = local
    if kind == "AWS::Scheduler::Schedule" and _is_stepfn_arn(
            stack, (properties.get("Target") or {}).get("Arn")):
        return None
    if kind == "AWS::S3::Bucket":
        notifications = properties.get("NotificationConfiguration") or {}
        if notifications.pop("LambdaConfigurations", None):
            warnings.append(f"{logical_id}: its notifications to Lambda functions are not "
                            "delivered locally")
    resource = {key: original[key] for key in _TOP_LEVEL_KEPT if key in original}
    resource["Properties"] = properties
    if "DependsOn" in original:
        resource["DependsOn"] = original["DependsOn"]
    return resource


def _is_stepfn_arn(stack: Stack, arn: Any) -> bool:
    if not isinstance(arn, str):
        return False
    parts = arn.split(":")
    return len(parts) > 5 and (parts[2] == "states" or (
        parts[2] == "lambda" and any(
            stack.type_of(lid) == "AWS::Lambda::Function" and stack.name_of(lid) == parts[6]
            for lid in stack.of_type("AWS::Lambda::Function"))))


@dataclass
class Created:
    """What the local AWS answered: per stack, the values of its resources."""

    values: dict[str, dict[tuple[str, str | None], Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def create_resources(documents: Sequence[Document], options: LoadOptions,
                     client_factory: Callable[[], Any] | None = None,
                     say: Callable[[str], None] | None = None) -> Created:
    """Create every template's stack on the local AWS, in order (a later template
    may import what an earlier one exports, with the values its stack now has)."""
    created = Created()
    exports: dict[str, Any] = {}
    client = None
    for document in documents:
        stack_plan = plan(document, options, exports)
        created.warnings.extend(stack_plan.warnings)
        values: dict[tuple[str, str | None], Any] = {}
        if stack_plan.template["Resources"]:
            if client is None:
                client = (client_factory or _default_client(options.region))()
            values, warnings = _deploy(client, stack_plan, say)
            created.warnings.extend(warnings)
        created.values[stack_plan.name] = values
        final = _Builder(Stack(document, options, exports=exports, created=values))
        final.build()
        exports.update(final.exports)
    return created


def _default_client(region: str) -> Callable[[], Any]:
    def make() -> Any:
        import boto3

        return boto3.client("cloudformation", region_name=region)
    return make


class LocalAwsFailed(Exception):
    """The local AWS answered a CloudFormation call with an error (or garbage)."""


def _call(method: Callable[..., Any], **kwargs: Any) -> Any:
    """A CloudFormation call; LocalAwsFailed with the endpoint's message."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        return method(**kwargs)
    except ClientError as exc:
        raise LocalAwsFailed(exc.response.get("Error", {}).get("Message", str(exc))) from None
    except ResponseParserError as exc:  # an HTML error page: the endpoint itself failed
        raise LocalAwsFailed(f"the endpoint failed ({str(exc).splitlines()[0][:120]})") \
            from None
    except BotoCoreError as exc:
        raise TemplateError(f"--create-resources: cannot reach the local AWS's "
                            f"CloudFormation ({type(exc).__name__}: {exc}); set "
                            "AWS_ENDPOINT_URL to it") from None


def _deploy(client: Any, stack_plan: StackPlan, say: Callable[[str], None] | None
            ) -> tuple[dict[tuple[str, str | None], Any], list[str]]:
    """Create or update the stack; (values by (logical id, attribute), warnings).

    First with the ``Ref`` outputs only (an attribute of a resource the endpoint does
    not support can fail the whole stack, as moto does), then with the attributes of
    the resources it did create, one by one if they fail together."""
    warnings: list[str] = []
    resources = stack_plan.template["Resources"]
    refs = {k: v for k, v in stack_plan.outputs.items() if v[1] is None}
    atts = {k: v for k, v in stack_plan.outputs.items() if v[1] is not None}
    for _ in range(_MAX_ATTEMPTS):
        status = _create_or_update(client, stack_plan.name,
                                   _body(resources, stack_plan.outputs, refs), say)
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            break
        failed = _failed_resources(client, stack_plan.name)
        if not failed:
            raise TemplateError(f"the local AWS could not create stack {stack_plan.name} "
                                f"({status}); see its stack events")
        for logical_id, reason in failed.items():
            warnings.append(f"{logical_id} ({resources[logical_id]['Type']}) could not be "
                            f"created on the local AWS ({reason}); its Ref and attributes "
                            "resolve to values built from its logical id")
        resources = {k: v for k, v in resources.items() if k not in failed}
        refs = {k: v for k, v in refs.items() if v[0] in resources}
        _delete(client, stack_plan.name)
    else:
        raise TemplateError(f"the local AWS could not create stack {stack_plan.name}")
    present = {r.get("LogicalResourceId") for r in _resources(client, stack_plan.name)}
    for logical_id, resource in resources.items():
        if logical_id not in present:
            warnings.append(f"{logical_id} ({resource['Type']}) was not created by the "
                            "local AWS; its Ref and attributes resolve to values built "
                            "from its logical id")
    atts = {k: v for k, v in atts.items() if v[0] in present}
    if atts and not _try_update(client, stack_plan.name, resources, stack_plan.outputs,
                                {**refs, **atts}):
        kept: dict[str, tuple[str, str | None]] = {}
        for key, wanted in atts.items():  # one by one: keep those the endpoint answers
            if _try_update(client, stack_plan.name, resources, stack_plan.outputs,
                           {**refs, **kept, key: wanted}):
                kept[key] = wanted
            else:
                warnings.append(f"the local AWS cannot answer {wanted[0]}.{wanted[1]}; it "
                                "resolves to a value built from the resource's name")
        if kept != atts:
            _try_update(client, stack_plan.name, resources, stack_plan.outputs,
                        {**refs, **kept})
    described = _call(client.describe_stacks, StackName=stack_plan.name)["Stacks"][0]
    values: dict[tuple[str, str | None], Any] = {}
    for output in described.get("Outputs") or []:
        found = stack_plan.outputs.get(output.get("OutputKey"))
        if found is not None and found[0] in present and output.get("OutputValue"):
            values[found] = output["OutputValue"]
    for logical_id, attribute in atts.values():  # not answered: built from the Ref
        ref = values.get((logical_id, None))
        if (logical_id, attribute) not in values and isinstance(ref, str):
            kind = resources[logical_id]["Type"]
            name, scope = physical.name_from_ref(kind, ref)
            values[(logical_id, attribute)] = physical.synthesized(
                scope or stack_plan.scope, kind, logical_id, name, attribute,
                resources[logical_id].get("Properties") or {})
    return values, warnings


def _body(resources: Mapping[str, Any], outputs: Mapping[str, tuple[str, str | None]],
          keys: Mapping[str, Any]) -> str:
    import json

    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09",
                                "Resources": dict(resources)}
    if keys:
        template["Outputs"] = {
            key: {"Value": {"Ref": lid} if attribute is None
                  else {"Fn::GetAtt": [lid, attribute]}}
            for key, (lid, attribute) in outputs.items() if key in keys}
    return json.dumps(template)


def _try_update(client: Any, name: str, resources: Mapping[str, Any],
                outputs: Mapping[str, tuple[str, str | None]],
                keys: Mapping[str, Any]) -> bool:
    """Update the stack to these outputs; whether it took them."""
    try:
        status = _create_or_update(client, name, _body(resources, outputs, keys), None)
        if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
            return False
        # An endpoint may accept outputs it cannot compute and fail when asked (moto).
        _call(client.describe_stacks, StackName=name)
    except (TemplateError, LocalAwsFailed):
        return False
    return True


def _create_or_update(client: Any, name: str, body: str,
                      say: Callable[[str], None] | None) -> str:
    existing = _status(client, name)
    if existing is not None and ("ROLLBACK" in existing or existing.endswith("FAILED")):
        _delete(client, name)
        existing = None
    capabilities = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
    try:
        if existing is None:
            if say:
                say(f"creating stack {name} on the local AWS")
            _call(client.create_stack, StackName=name, TemplateBody=body,
                  Capabilities=capabilities, Tags=[{"Key": "stepfn:stack", "Value": name}])
        else:
            if say:
                say(f"updating stack {name} on the local AWS")
            _call(client.update_stack, StackName=name, TemplateBody=body,
                  Capabilities=capabilities)
    except LocalAwsFailed as exc:
        if "No updates are to be performed" in str(exc):
            return existing or "UPDATE_COMPLETE"
        raise TemplateError(f"the local AWS refused stack {name}: {exc}") from None
    return _wait(client, name)


def _status(client: Any, name: str) -> str | None:
    try:
        stacks = _call(client.describe_stacks, StackName=name)["Stacks"]
    except LocalAwsFailed as exc:
        if "does not exist" in str(exc):
            return None
        return "DESCRIBE_FAILED"  # it exists, but its outputs cannot be computed
    if not stacks or stacks[0].get("StackStatus") == "DELETE_COMPLETE":
        return None
    return str(stacks[0]["StackStatus"])


def _wait(client: Any, name: str) -> str:
    deadline = time.monotonic() + _WAIT_SECONDS
    while True:
        status = _status(client, name) or "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS"):
            return status
        if time.monotonic() > deadline:
            raise TemplateError(f"stack {name} on the local AWS is still {status} after "
                                f"{_WAIT_SECONDS:.0f} s")
        time.sleep(0.5)


def _failed_resources(client: Any, name: str) -> dict[str, str]:
    failed: dict[str, str] = {}
    try:
        events = client.describe_stack_events(StackName=name)["StackEvents"]
    except Exception:  # noqa: BLE001 - then nothing is known to have failed
        return failed
    for event in events:
        logical_id = event.get("LogicalResourceId")
        if (event.get("ResourceStatus") == "CREATE_FAILED" and logical_id
                and logical_id != name):
            failed.setdefault(logical_id, event.get("ResourceStatusReason") or "failed")
    return failed


def _delete(client: Any, name: str) -> None:
    try:
        _call(client.delete_stack, StackName=name)
    except LocalAwsFailed as exc:
        raise TemplateError(f"the local AWS cannot delete stack {name}: {exc}") from None
    _wait(client, name)


def _resources(client: Any, name: str) -> list[dict]:
    found: list[dict] = []
    token = None
    while True:
        try:
            page = _call(client.list_stack_resources, StackName=name,
                         **({"NextToken": token} if token else {}))
        except LocalAwsFailed as exc:
            raise TemplateError(f"the local AWS cannot list stack {name}: {exc}") from None
        found.extend(page.get("StackResourceSummaries") or [])
        token = page.get("NextToken")
        if not token:
            return found
