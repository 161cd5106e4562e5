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

from .application import LoadOptions, _Builder
from .documents import Document
from .errors import TemplateError
from .intrinsics import NO_VALUE, as_template
from .stack import Stack

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


def plan(document: Document, options: LoadOptions,
         exports: Mapping[str, Any] | None = None) -> StackPlan:
    """What to create on the local AWS for ``document`` (see the module docstring)."""
    stack = Stack(document, options, exports=exports, plan=True)
    _Builder(stack).build()  # records every value of those resources stepfn needs
    warnings: list[str] = []
    kept: dict[str, dict] = {}
    for logical_id in stack.resources:
        if not stack.on_local_aws(logical_id):
            kind = stack.type_of(logical_id)
            if kind.startswith(("Custom::", "AWS::CloudFormation::CustomResource",
                                "AWS::CloudFormation::Stack", "AWS::KMS::Alias",
                                "AWS::Serverless::")):
                warnings.append(f"{logical_id} ({kind}) is not created on the local AWS; "
                                "its Ref and attributes resolve to values built from its "
                                "logical id")
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
    outputs: dict[str, tuple[str, str | None]] = {}
    body_outputs: dict[str, dict] = {}
    for i, (logical_id, attribute) in enumerate(sorted(wanted, key=lambda w: (w[0],
                                                                            w[1] or ""))):
        key = f"StepfnValue{i}"
        outputs[key] = (logical_id, attribute)
        body_outputs[key] = {"Value": {"Ref": logical_id} if attribute is None
                             else {"Fn::GetAtt": [logical_id, attribute]}}
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": kept}
    if body_outputs:
        template["Outputs"] = body_outputs
    return StackPlan(stack.name, template, outputs, warnings)


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


def _deploy(client: Any, stack_plan: StackPlan, say: Callable[[str], None] | None
            ) -> tuple[dict[tuple[str, str | None], Any], list[str]]:
    """Create or update the stack; (values by (logical id, attribute), warnings)."""
    import json

    template = stack_plan.template
    warnings: list[str] = []
    for _ in range(_MAX_ATTEMPTS):
        body = json.dumps(template)
        status = _create_or_update(client, stack_plan.name, body, say)
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            break
        failed = _failed_resources(client, stack_plan.name)
        if not failed:
            raise TemplateError(f"the local AWS could not create stack {stack_plan.name} "
                                f"({status}); see its stack events")
        for logical_id, reason in failed.items():
            warnings.append(f"{logical_id} ({template['Resources'][logical_id]['Type']}) "
                            f"could not be created on the local AWS ({reason}); its Ref "
                            "and attributes resolve to values built from its logical id")
            template = _without(template, logical_id)
        _delete(client, stack_plan.name)
    else:
        raise TemplateError(f"the local AWS could not create stack {stack_plan.name}")
    described = client.describe_stacks(StackName=stack_plan.name)["Stacks"][0]
    present = {r.get("LogicalResourceId") for r in _resources(client, stack_plan.name)}
    for logical_id, resource in template["Resources"].items():
        if logical_id not in present:
            warnings.append(f"{logical_id} ({resource['Type']}) was not created by the "
                            "local AWS; its Ref and attributes resolve to values built "
                            "from its logical id")
    values: dict[tuple[str, str | None], Any] = {}
    for output in described.get("Outputs") or []:
        wanted = stack_plan.outputs.get(output.get("OutputKey"))
        if wanted is not None and wanted[0] in present and output.get("OutputValue"):
            values[wanted] = output["OutputValue"]
    return values, warnings


def _without(template: dict, logical_id: str) -> dict:
    resources = {k: v for k, v in template["Resources"].items() if k != logical_id}
    outputs = {k: v for k, v in (template.get("Outputs") or {}).items()
               if logical_id not in str(v)}
    out = dict(template, Resources=resources)
    if outputs:
        out["Outputs"] = outputs
    else:
        out.pop("Outputs", None)
    return out


def _create_or_update(client: Any, name: str, body: str,
                      say: Callable[[str], None] | None) -> str:
    from botocore.exceptions import ClientError

    existing = _status(client, name)
    if existing is not None and ("ROLLBACK" in existing or existing.endswith("FAILED")):
        _delete(client, name)
        existing = None
    try:
        if existing is None:
            if say:
                say(f"creating stack {name} on the local AWS")
            client.create_stack(StackName=name, TemplateBody=body,
                                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM",
                                              "CAPABILITY_AUTO_EXPAND"],
                                Tags=[{"Key": "stepfn:stack", "Value": name}])
        else:
            if say:
                say(f"updating stack {name} on the local AWS")
            client.update_stack(StackName=name, TemplateBody=body,
                                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM",
                                              "CAPABILITY_AUTO_EXPAND"])
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if "No updates are to be performed" in message:
            return existing or "UPDATE_COMPLETE"
        raise TemplateError(f"the local AWS refused stack {name}: {message}") from None
    except Exception as exc:  # noqa: BLE001 - no endpoint, no credentials, ...
        raise TemplateError(f"--create-resources: cannot reach the local AWS's "
                            f"CloudFormation ({type(exc).__name__}: {exc}); set "
                            "AWS_ENDPOINT_URL to it") from None
    return _wait(client, name)


def _status(client: Any, name: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        stacks = client.describe_stacks(StackName=name)["Stacks"]
    except ClientError:
        return None
    except Exception as exc:  # noqa: BLE001 - no endpoint, no credentials, ...
        raise TemplateError(f"--create-resources: cannot reach the local AWS's "
                            f"CloudFormation ({type(exc).__name__}: {exc}); set "
                            "AWS_ENDPOINT_URL to it") from None
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
    client.delete_stack(StackName=name)
    _wait(client, name)


def _resources(client: Any, name: str) -> list[dict]:
    found: list[dict] = []
    token = None
    while True:
        page = client.list_stack_resources(StackName=name, **(
            {"NextToken": token} if token else {}))
        found.extend(page.get("StackResourceSummaries") or [])
        token = page.get("NextToken")
        if not token:
            return found
