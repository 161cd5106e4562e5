"""aws-sdk:<service>:<action> through boto3 against a moto server: real workflows,
AWS's result shapes (no ResponseMetadata, ISO timestamps, S3 bodies as text) and AWS's
error names and causes (recorded: error_handling/test_aws_sdk.py test_s3_no_such_key)."""

from __future__ import annotations

import datetime as dt
import re

from stepfn import Engine
from stepfn.tasks.aws_sdk import iso_instant, java_service_name

from .conftest import assert_succeeded, task_machine, unique


def _bucket(aws, text: str | None = None) -> str:
    name = unique("bucket")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=name)
    if text is not None:
        s3.put_object(Bucket=name, Key="file_key", Body=text.encode())
    return name


def test_s3_put_then_get_object_returns_body_as_text(engine: Engine, aws) -> None:
    bucket = _bucket(aws)
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "file_key",
                                   "Body.$": "$.text"},
                    "ResultPath": "$.put", "Next": "Get"},
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "file_key"},
                    "End": True},
        },
    }
    output = assert_succeeded(engine.run(definition, {"bucket": bucket, "text": "text data"}))
    assert output["Body"] == "text data"
    assert output["ContentLength"] == 9
    assert output["ETag"] == '"332eec544317a6d340b8e77da7fe54ad"'  # as AWS recorded it
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", output["LastModified"])
    assert "ResponseMetadata" not in output


def test_s3_empty_object_body_is_empty_string(engine: Engine, aws) -> None:
    bucket = _bucket(aws, "")
    output = assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::aws-sdk:s3:getObject",
        Parameters={"Bucket": bucket, "Key": "file_key"}), {}))
    assert output["Body"] == ""
    assert output["ContentLength"] == 0


def test_s3_missing_key_caught_by_aws_error_name(engine: Engine, aws) -> None:
    bucket = _bucket(aws)
    definition = {
        "StartAt": "Get",
        "States": {
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket.$": "$.Bucket", "Key": "no_such_key.json"},
                    "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"],
                               "Next": "Caught"}],
                    "End": True},
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    result = engine.run(definition, {"Bucket": bucket})
    output = assert_succeeded(result)
    assert output["Error"] == "S3.NoSuchKeyException"
    assert re.fullmatch(
        r"The specified key does not exist\. \(Service: S3, Status Code: 404, "
        r"Request ID: [^,)]+(, Extended Request ID: [^)]+)?\) \(SDK Attempt Count: 1\)",
        output["Cause"]), output["Cause"]
    failed = [e for e in result.events if e.type == "TaskFailed"]
    assert failed[0].details["resourceType"] == "aws-sdk:s3"
    assert failed[0].details["resource"] == "getObject"


def test_dynamodb_put_update_get_as_recorded(engine: Engine, aws) -> None:
    table = unique("table")
    aws.client("dynamodb").create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    sdk = "arn:aws:states:::aws-sdk:dynamodb:"
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {"Type": "Task", "Resource": sdk + "putItem",
                    "Parameters": {"TableName": table, "Item": {
                        "data": {"S": "HelloWorld"}, "id": {"S": "id1"}}},
                    "ResultPath": "$.put", "Next": "Update"},
            "Update": {"Type": "Task", "Resource": sdk + "updateItem",
                       "Parameters": {"TableName": table, "Key": {"id": {"S": "id1"}},
                                      "UpdateExpression": "set S=:r",
                                      "ExpressionAttributeValues": {
                                          ":r": {"S": "HelloWorldUpdated"}},
                                      "ReturnValues": "UPDATED_NEW"},
                       "ResultPath": "$.update", "Next": "Get"},
            "Get": {"Type": "Task", "Resource": sdk + "getItem",
                    "Parameters": {"TableName": table, "Key": {"id": {"S": "id1"}}},
                    "ResultPath": "$.get", "End": True},
        },
    }
    output = assert_succeeded(engine.run(definition, {}))
    assert output["put"] == {}
    # (moto adds ConsumedCapacity, which AWS only returns when asked for)
    assert output["update"]["Attributes"] == {"S": {"S": "HelloWorldUpdated"}}
    assert output["get"] == {"Item": {"S": {"S": "HelloWorldUpdated"},
                                      "data": {"S": "HelloWorld"}, "id": {"S": "id1"}}}


def test_dynamodb_missing_table_error_name(engine: Engine) -> None:
    result = engine.run(task_machine(
        "arn:aws:states:::aws-sdk:dynamodb:putItem",
        Parameters={"TableName": unique("missing"), "Item": {"id": {"S": "id1"}}}), {})
    assert result.status == "FAILED"
    assert result.error == "DynamoDb.ResourceNotFoundException"
    assert "(Service: DynamoDb, Status Code: 400, Request ID: " in result.cause


def test_null_member_is_not_sent_and_missing_required_is_service_exception(
        engine: Engine) -> None:
    # Item: null is "no Item" (recorded: test_dynamodb_invalid_param): a validation error.
    result = engine.run(task_machine(
        "arn:aws:states:::aws-sdk:dynamodb:putItem",
        Parameters={"TableName": "t", "Item": None}), {})
    assert result.error == "DynamoDb.DynamoDbException"
    assert "(Service: DynamoDb, Status Code: 400" in result.cause


def test_sfn_service_name_maps_to_boto3_stepfunctions(engine: Engine, aws) -> None:
    name = unique("machine")
    arn = aws.client("stepfunctions").create_state_machine(
        name=name, roleArn=f"arn:aws:iam::123456789012:role/{name}",
        definition='{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}',
    )["stateMachineArn"]
    output = assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
        Parameters={"StateMachineArn": arn}), {}))
    # AWS answers in PascalCase although the Step Functions API itself is camelCase.
    assert output["Name"] == name
    assert output["StateMachineArn"] == arn
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", output["CreationDate"])


def test_sfn_error_name_is_sfn_prefixed(engine: Engine) -> None:
    result = engine.run(task_machine(
        "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
        Parameters={"StateMachineArn":
                    "arn:aws:states:us-east-1:123456789012:stateMachine:nope"}), {})
    assert result.status == "FAILED"
    assert result.error == "Sfn.StateMachineDoesNotExistException"
    assert "(Service: Sfn, Status Code: 400" in result.cause


def test_unknown_action_and_service_fail_at_runtime(engine: Engine) -> None:
    for resource in ("arn:aws:states:::aws-sdk:s3:noSuchAction",
                     "arn:aws:states:::aws-sdk:nosuchservice:listThings"):
        result = engine.run(task_machine(resource), {})
        assert result.status == "FAILED"
        assert result.error == "States.Runtime"
        assert resource in result.cause


def test_wait_for_task_token_makes_the_call(engine: Engine) -> None:
    """SDK integrations offer .waitForTaskToken (Standard): the call is made, then the
    engine waits for the token (here the call itself fails: no such bucket)."""
    result = engine.run(task_machine(
        "arn:aws:states:::aws-sdk:s3:getObject.waitForTaskToken",
        Parameters={"Bucket": "no-such-bucket-for-tokens", "Key": "k"}), {})
    assert result.status == "FAILED"
    assert result.error == "S3.NoSuchBucketException"


def test_java_service_names() -> None:
    assert java_service_name("DynamoDB") == "DynamoDb"
    assert java_service_name("SFN") == "Sfn"
    assert java_service_name("S3") == "S3"
    assert java_service_name("Secrets Manager") == "SecretsManager"
    assert java_service_name("ACM PCA") == "AcmPca"
    assert java_service_name("CloudWatch Logs") == "CloudWatchLogs"
    assert java_service_name("EC2") == "Ec2"


def test_iso_instant_prints_like_java() -> None:
    utc = dt.UTC
    assert iso_instant(dt.datetime(2025, 1, 22, 13, 27, 57, tzinfo=utc)) == \
        "2025-01-22T13:27:57Z"
    assert iso_instant(dt.datetime(2025, 1, 22, 13, 27, 57, 413000, tzinfo=utc)) == \
        "2025-01-22T13:27:57.413Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert iso_instant(dt.datetime(2025, 1, 22, 15, 0, 0, 1, tzinfo=plus_two)) == \
        "2025-01-22T13:00:00.000001Z"


def test_clients_are_shared_and_calls_run_concurrently(engine: Engine, aws) -> None:
    import asyncio

    bucket = _bucket(aws, "text data")
    machine = engine.compile(task_machine(
        "arn:aws:states:::aws-sdk:s3:getObject",
        Parameters={"Bucket": bucket, "Key": "file_key"}))

    async def run_many() -> list:
        return await asyncio.gather(*(engine.execute(machine, {}) for _ in range(8)))

    results = asyncio.run(run_many())
    assert [r.output["Body"] for r in results] == ["text data"] * 8
    assert engine.aws_clients.client("s3", "us-east-1") is \
        engine.aws_clients.client("s3", "us-east-1")
