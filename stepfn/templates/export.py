"""``stepfn export``: a state machine written as a SAM or CloudFormation template, as
the console's "Export to IaC" does: the ARNs in the definition (functions, queues,
topics, tables, activities, other state machines, event buses) lifted into
``DefinitionSubstitutions`` so that the definition names them by ``${...}`` and the
template says what they are. The result loads back through ``--template`` to the same
definition, and passes cfn-lint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

_SQS_URL = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com/(\d{12})/([\w.-]+)$")
_KINDS = {  # (ARN service, resource type) -> the name the substitution gets
    ("lambda", "function"): "Function",
    ("states", "stateMachine"): "StateMachine",
    ("states", "activity"): "Activity",
    ("sns", ""): "Topic",
    ("sqs", ""): "Queue",
    ("dynamodb", "table"): "Table",
    ("events", "event-bus"): "EventBus",
    ("s3", ""): "Bucket",
    ("ecs", "cluster"): "Cluster",
    ("ecs", "task-definition"): "TaskDefinition",
    ("glue", "job"): "GlueJob",
    ("batch", "job-queue"): "JobQueue",
    ("batch", "job-definition"): "JobDefinition",
    ("secretsmanager", "secret"): "Secret",
    ("events", "connection"): "Connection",
}


def lift_arns(definition: Any) -> tuple[Any, dict[str, str]]:
    """The definition with each resource ARN (and SQS queue URL) replaced by
    ``${Name}``, and the substitutions {Name: ARN}. Integration resources
    (``arn:aws:states:::...``) stay as they are."""
    substitutions: dict[str, str] = {}
    names: dict[str, str] = {}

    def name_for(value: str) -> str | None:
        if value in names:
            return names[value]
        kind_name = _substitution_name(value)
        if kind_name is None:
            return None
        name = kind_name
        number = 2
        while name in substitutions:
            name = f"{kind_name}{number}"
            number += 1
        names[value] = name
        substitutions[name] = value
        return name

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            name = name_for(value)
            return "${" + name + "}" if name else value
        return value

    return walk(definition), substitutions


def _substitution_name(value: str) -> str | None:
    url = _SQS_URL.match(value)
    if url is not None:
        base = _pascal(url.group(3))
        return (base if base.endswith("Queue") else base + "Queue") + "Url"
    parts = value.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], ":".join(parts[5:])
    if service == "states" and not parts[3] and not parts[4]:
        return None  # an integration (arn:aws:states:::sqs:sendMessage), not a resource
    if service == "lambda" and parts[5] == "function":
        resource_type, name = "function", parts[6] if len(parts) > 6 else ""
    elif service == "states":
        resource_type, name = parts[5], parts[6] if len(parts) > 6 else ""
    elif "/" in resource:
        resource_type, _, name = resource.partition("/")
        name = name.split("/")[0]
    elif ":" in resource:
        resource_type, _, name = resource.partition(":")
    else:
        resource_type, name = "", resource
    kind = _KINDS.get((service, resource_type)) or _KINDS.get((service, ""))
    if kind is None:
        kind = _pascal(service) + _pascal(resource_type)
    base = _pascal(name)
    return (base if base.endswith(kind) else base + kind) + "Arn"


def _pascal(text: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", text)
    joined = "".join(w[:1].upper() + w[1:] for w in words if w)
    if not joined:
        return "Resource"
    return joined if joined[0].isalpha() else "R" + joined


def export_template(definition_text: str, *, name: str, machine_type: str = "STANDARD",
                    template_format: str = "sam", role_arn: str | None = None,
                    logical_id: str | None = None) -> str:
    """The YAML template declaring a machine with this definition (``sam``: an
    ``AWS::Serverless::StateMachine``; ``cloudformation``: an
    ``AWS::StepFunctions::StateMachine`` and its role)."""
    definition = json.loads(definition_text)
    lifted, substitutions = lift_arns(definition)
    logical_id = logical_id or _pascal(name)
    properties: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    if template_format == "sam":
        properties["Name"] = name
        properties["Type"] = machine_type
        properties["Definition"] = lifted
        if substitutions:
            properties["DefinitionSubstitutions"] = substitutions
        properties["Policies"] = _sam_policies(substitutions)
        resource = {"Type": "AWS::Serverless::StateMachine", "Properties": properties}
    elif template_format == "cloudformation":
        properties["StateMachineName"] = name
        properties["StateMachineType"] = machine_type
        properties["Definition"] = lifted
        if substitutions:
            properties["DefinitionSubstitutions"] = substitutions
        role_id = f"{logical_id}Role"
        properties["RoleArn"] = {"Fn::GetAtt": [role_id, "Arn"]}
        resources[role_id] = _role(substitutions)
        resource = {"Type": "AWS::StepFunctions::StateMachine", "Properties": properties}
    else:
        raise ValueError(f"unknown format {template_format!r} (sam or cloudformation)")
    resources = {logical_id: resource, **resources}
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if template_format == "sam":
        template["Transform"] = "AWS::Serverless-2016-10-31"
    template["Description"] = f"State machine {name}, exported by stepfn"
    template["Resources"] = resources
    template["Outputs"] = {f"{logical_id}Arn": {"Value": {"Ref": logical_id}}}
    return yaml.safe_dump(template, sort_keys=False, width=100)


def _functions(substitutions: Mapping[str, str]) -> list[str]:
    return [arn for arn in substitutions.values() if arn.split(":")[2:3] == ["lambda"]]


def _sam_policies(substitutions: Mapping[str, str]) -> list[Any]:
    """SAM policy templates for the functions invoked; an inline statement for the
    rest (stepfn does not enforce IAM, but AWS would)."""
    policies: list[Any] = []
    for arn in _functions(substitutions):
        policies.append({"LambdaInvokePolicy": {"FunctionName": arn.split(":")[6]}})
    others = sorted({arn for arn in substitutions.values() if arn.startswith("arn:")
                     and arn not in _functions(substitutions)})
    if others:
        policies.append({"Statement": [_statement(others)]})
    return policies or [{"Statement": [{"Effect": "Deny", "Action": "none:null",
                                        "Resource": "*"}]}]


def _role(substitutions: Mapping[str, str]) -> dict:
    resources = sorted({arn for arn in substitutions.values() if arn.startswith("arn:")})
    role: dict[str, Any] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow",
                               "Principal": {"Service": "states.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]},
        },
    }
    if resources:
        role["Properties"]["Policies"] = [{
            "PolicyName": "StateMachineResources",
            "PolicyDocument": {"Version": "2012-10-17",
                               "Statement": [_statement(resources)]}}]
    return role


def _statement(arns: list[str]) -> dict:
    """Allow every action of the services of ``arns`` on them (a starting point to
    narrow down: the definition's tasks say which actions they need)."""
    services = sorted({arn.split(":")[2] for arn in arns})
    return {"Effect": "Allow", "Action": [f"{service}:*" for service in services],
            "Resource": arns}
