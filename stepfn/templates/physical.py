"""Physical names, and what ``Ref`` and ``Fn::GetAtt`` give, for resources that nobody
created: the values stepfn uses without ``--create-resources`` (and for what the local
AWS could not create).

A resource's physical name is its name property when the template sets one
(``QueueName``, ``TableName``, ``FunctionName``...), else its logical id (S3 bucket
names in lower case, as bucket names must be). ``Ref`` and the usual attributes follow
from it as AWS builds them: a queue's ``Ref`` is its URL and ``Arn`` its ARN, a table's
``Ref`` its name, a topic's ``Ref`` its ARN, and so on. Any other ``Arn`` is built from
the type (``AWS::Glue::Job`` -> ``arn:aws:glue:REGION:ACCOUNT:job/NAME``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: The property that names each type's resources (when the template sets it).
NAME_PROPERTIES = {
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::StepFunctions::Activity": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": "PolicyName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Events::Connection": "Name",
    "AWS::Events::ApiDestination": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::SSM::Parameter": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::Glue::Job": "Name",
    "AWS::Glue::Database": "DatabaseInput",
    "AWS::Athena::WorkGroup": "Name",
    "AWS::CodeBuild::Project": "Name",
    "AWS::Batch::JobQueue": "JobQueueName",
    "AWS::Cognito::UserPool": "UserPoolName",
    "AWS::ApiGateway::RestApi": "Name",
}


@dataclass(frozen=True)
class Scope:
    """What ARNs are built from."""

    region: str
    account: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, region: bool = True,
            account: bool = True) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account if account else ''}:{resource}")


def default_name(resource_type: str, logical_id: str, declared: Any) -> str:
    """The physical name: the declared name property, else the logical id."""
    if isinstance(declared, str) and declared:
        return declared
    if resource_type == "AWS::S3::Bucket":
        return logical_id.lower()
    return logical_id


def stable_id(*parts: str) -> str:
    """A UUID that is the same on every load (for ids AWS generates)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "stepfn:" + ":".join(parts)))


def _queue(scope: Scope, name: str, attribute: str | None,
           properties: Mapping[str, Any]) -> Any:
    if properties.get("FifoQueue") in (True, "true") and not name.endswith(".fifo"):
        name += ".fifo"
    url = f"https://sqs.{scope.region}.amazonaws.com/{scope.account}/{name}"
    return {None: url, "Arn": scope.arn("sqs", name), "QueueName": name,
            "QueueUrl": url}.get(attribute)


def _table(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    arn = scope.arn("dynamodb", f"table/{name}")
    return {None: name, "Arn": arn,
            "StreamArn": f"{arn}/stream/1970-01-01T00:00:00.000"}.get(attribute)


def _bucket(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Arn": scope.arn("s3", name, region=False, account=False),
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{scope.region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{scope.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{scope.region}.amazonaws.com",
            }.get(attribute)


def _topic(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    arn = scope.arn("sns", name)
    return {None: arn, "TopicArn": arn, "TopicName": name}.get(attribute)


def _function(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Arn": scope.arn("lambda", f"function:{name}")}.get(attribute)


def _state_machine(scope: Scope, name: str, attribute: str | None,
                   _: Mapping[str, Any]) -> Any:
    arn = scope.arn("states", f"stateMachine:{name}")
    return {None: arn, "Arn": arn, "Name": name}.get(attribute)


def _activity(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    arn = scope.arn("states", f"activity:{name}")
    return {None: arn, "Arn": arn, "Name": name}.get(attribute)


def _role(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Arn": scope.arn("iam", f"role/{name}", region=False),
            "RoleId": "AROA" + stable_id(name).replace("-", "")[:17].upper()}.get(attribute)


def _managed_policy(scope: Scope, name: str, attribute: str | None,
                    _: Mapping[str, Any]) -> Any:
    arn = scope.arn("iam", f"policy/{name}", region=False)
    return {None: arn, "PolicyArn": arn}.get(attribute)


def _event_bus(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Name": name,
            "Arn": scope.arn("events", f"event-bus/{name}")}.get(attribute)


def _rule(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Arn": scope.arn("events", f"rule/{name}")}.get(attribute)


def _schedule(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Arn": scope.arn("scheduler", f"schedule/default/{name}")
            }.get(attribute)


def _log_group(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Arn": scope.arn("logs", f"log-group:{name}:*")}.get(attribute)


def _stream(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Arn": scope.arn("kinesis", f"stream/{name}")}.get(attribute)


def _secret(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    arn = scope.arn("secretsmanager", f"secret:{name}")
    return {None: arn, "Id": arn}.get(attribute)


def _parameter(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    return {None: name, "Type": "String", "Value": ""}.get(attribute)


def _key(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    key_id = stable_id("kms", name)
    return {None: key_id, "KeyId": key_id,
            "Arn": scope.arn("kms", f"key/{key_id}")}.get(attribute)


def _rest_api(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    api_id = stable_id("api", name).replace("-", "")[:10]
    return {None: api_id, "RootResourceId": api_id[:6], "RestApiId": api_id}.get(attribute)


def _http_api(scope: Scope, name: str, attribute: str | None, _: Mapping[str, Any]) -> Any:
    api_id = stable_id("api", name).replace("-", "")[:10]
    return {None: api_id, "ApiId": api_id,
            "ApiEndpoint": f"https://{api_id}.execute-api.{scope.region}.amazonaws.com"
            }.get(attribute)


_RULES: dict[str, Callable[[Scope, str, str | None, Mapping[str, Any]], Any]] = {
    "AWS::SQS::Queue": _queue,
    "AWS::DynamoDB::Table": _table,
    "AWS::DynamoDB::GlobalTable": _table,
    "AWS::S3::Bucket": _bucket,
    "AWS::SNS::Topic": _topic,
    "AWS::Lambda::Function": _function,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::StepFunctions::Activity": _activity,
    "AWS::IAM::Role": _role,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Rule": _rule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::Kinesis::Stream": _stream,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SSM::Parameter": _parameter,
    "AWS::KMS::Key": _key,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGatewayV2::Api": _http_api,
}


def synthesized(scope: Scope, resource_type: str, logical_id: str, name: str,
                attribute: str | None, properties: Mapping[str, Any]) -> Any:
    """``Ref`` (``attribute`` None) or ``Fn::GetAtt`` of a resource nobody created."""
    rule = _RULES.get(resource_type)
    value = rule(scope, name, attribute, properties) if rule is not None else None
    if value is not None:
        return value
    if attribute is None:
        return name
    if attribute == "Arn" or attribute.endswith("Arn"):
        service, _, kind = resource_type.removeprefix("AWS::").partition("::")
        return scope.arn(service.lower(), f"{kind.lower()}/{name}")
    return f"{name}.{attribute}"


def name_from_ref(resource_type: str, ref: str) -> tuple[str, Scope | None]:
    """A resource's physical name read back from its ``Ref`` (a queue URL, a topic
    ARN, a table name...), with the region and account the value names, if any."""
    url = re.match(r"^https://sqs\.([a-z0-9-]+)\.[^/]+/(\d{12})/([^/]+)$", ref)
    if url is not None:
        return url.group(3), Scope(url.group(1), url.group(2))
    if ref.startswith("arn:"):
        parts = ref.split(":")
        tail = ":".join(parts[5:])
        name = tail.rsplit("/", 1)[-1] if "/" in tail else tail.rsplit(":", 1)[-1]
        return name, Scope(parts[3], parts[4], parts[1]) if len(parts) > 5 else None
    return ref, None
