"""The Resource grammar (stepfn/asl/resources.py): what it accepts, how it takes an ARN
apart, and the two ways it refuses one."""

from __future__ import annotations

import pytest

from stepfn.asl.resources import (
    ITEM_READER_ACTIONS,
    NOT_AN_ARN,
    NOT_RECOGNIZED,
    OPTIMIZED,
    ResourceError,
    parse_resource,
    parse_s3_resource,
)


def test_a_lambda_function_arn_with_its_qualifier() -> None:
    ref = parse_resource("arn:aws:lambda:eu-west-1:123456789012:function:charge:live")
    assert (ref.kind, ref.resource_type, ref.region, ref.account) == (
        "lambda-function", "lambda", "eu-west-1", "123456789012")
    assert (ref.function_name, ref.qualifier) == ("charge", "live")
    assert ref.resource == ref.arn  # what LambdaFunctionScheduled records
    assert parse_resource("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"
                          ).qualifier == "$LATEST"


def test_an_activity_in_another_partition() -> None:
    ref = parse_resource("arn:aws-cn:states:cn-north-1:123456789012:activity:review")
    assert (ref.kind, ref.partition, ref.activity_name, ref.waits_for_token) == (
        "activity", "aws-cn", "review", True)


@pytest.mark.parametrize(("arn", "resource_type", "action", "pattern"), [
    ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs", "sendMessage",
     "waitForTaskToken"),
    ("arn:aws:states:::states:startExecution.sync:2", "states", "startExecution", "sync:2"),
    ("arn:aws:states:::states:startExecution.sync", "states", "startExecution", "sync"),
    ("arn:aws:states:::aws-sdk:s3:getObject", "aws-sdk:s3", "getObject", ""),
    ("arn:aws-us-gov:states:::aws-sdk:dynamodb:putItem.waitForTaskToken",
     "aws-sdk:dynamodb", "putItem", "waitForTaskToken"),
    ("arn:aws:states:::http:invoke", "http", "invoke", ""),
    ("arn:aws:states:::codebuild:retryBuildBatch.sync", "codebuild", "retryBuildBatch",
     "sync"),
])
def test_integrations(arn: str, resource_type: str, action: str, pattern: str) -> None:
    ref = parse_resource(arn, "ap-south-1")
    assert (ref.kind, ref.resource_type, ref.resource, ref.pattern) == (
        "service", resource_type, action, pattern)
    assert ref.region == "ap-south-1"  # an integration runs in the machine's region


@pytest.mark.parametrize("arn", [
    "my-function", "arn:aws:lambda", "lambda:invoke", "arn:aws:states:::sqs:send Message"])
def test_text_that_is_no_arn(arn: str) -> None:
    with pytest.raises(ResourceError) as raised:
        parse_resource(arn)
    assert (raised.value.code, raised.value.message) == (
        NOT_AN_ARN, "Value is not a valid resource ARN")


@pytest.mark.parametrize("arn", [
    "arn:aws:states:::sqs:receiveMessage",           # not an optimized action
    "arn:aws:states:::lambda:invoke.sync",           # a pattern lambda does not offer
    "arn:aws:states:::codebuild:stopBuild.sync",     # per-API table: request-response only
    "arn:aws:states:::aws-sdk:s3:getObject.sync",    # SDK integrations never .sync
    "arn:aws:states:::nosuch:thing",                 # no such service
    "arn:aws:states:::s3:getObject",                 # an ItemReader's, not a Task's
    "arn:aws:states:us-east-1:123456789012:sqs:sendMessage",  # integrations name no region
    "arn:aws:lambda:us-east-1:12345:function:f",     # an account is 12 digits
    "arn:aws:s3:::bucket",
])
def test_arns_that_name_nothing_aws_runs(arn: str) -> None:
    with pytest.raises(ResourceError) as raised:
        parse_resource(arn)
    assert raised.value.code == NOT_RECOGNIZED
    assert raised.value.message == (
        f"The resource provided {arn} is not recognized. The value is not a valid resource "
        "ARN, or the resource is not available in this region.")


def test_every_optimized_action_parses_with_each_pattern_it_offers() -> None:
    for service, integration in OPTIMIZED.items():
        for action in integration.actions:
            for pattern in integration.patterns(action) or ():
                arn = f"arn:aws:states:::{service}:{action}" + (f".{pattern}" if pattern
                                                                 else "")
                assert parse_resource(arn).pattern == pattern


def test_item_reader_resources() -> None:
    assert parse_s3_resource("arn:aws:states:::s3:listObjectsV2",
                             ITEM_READER_ACTIONS).resource == "listObjectsV2"
    with pytest.raises(ResourceError):
        parse_s3_resource("arn:aws:states:::s3:putObject", ITEM_READER_ACTIONS)
