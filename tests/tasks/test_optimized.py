"""Optimized integrations (sqs, sns, dynamodb, events) against a moto server: AWS's
parameter handling (JSON bodies sent as JSON text), result shapes (SdkHttpMetadata,
SdkResponseMetadata; none for EventBridge) and Java v1 style error names and causes
(recorded: services/test_sqs_task_service, test_sns_task_service,
test_events_task_service, error_handling/test_task_service_dynamodb)."""

from __future__ import annotations

import json

import pytest

from stepfn import DefinitionError, Engine

from .conftest import assert_succeeded, task_machine, unique

HTTP_METADATA_KEYS = {"AllHttpHeaders", "HttpHeaders", "HttpStatusCode"}


def _queue(aws) -> str:
    return aws.client("sqs").create_queue(QueueName=unique("queue"))["QueueUrl"]


def _receive(aws, queue_url: str) -> list[dict]:
    return aws.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
        MessageAttributeNames=["All"]).get("Messages", [])


def _table(aws) -> str:
    name = unique("table")
    aws.client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    return name


def test_sqs_send_message_then_receive_it(engine: Engine, aws) -> None:
    queue = _queue(aws)
    output = assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::sqs:sendMessage",
        Parameters={"QueueUrl": queue, "MessageBody.$": "$.body",
                    "MessageAttributes": {"my_attribute_no_1": {
                        "DataType": "String", "StringValue": "Hello"}}}),
        {"body": {"Message": "HelloWorld", "N": 1}}))
    assert set(output) == {"MD5OfMessageAttributes", "MD5OfMessageBody", "MessageId",
                           "SdkHttpMetadata", "SdkResponseMetadata"}
    assert set(output["SdkHttpMetadata"]) == HTTP_METADATA_KEYS
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert output["SdkResponseMetadata"]["RequestId"]
    messages = _receive(aws, queue)
    assert [m["MessageId"] for m in messages] == [output["MessageId"]]
    # A JSON MessageBody is sent as its (compact) JSON text.
    assert messages[0]["Body"] == '{"Message":"HelloWorld","N":1}'
    assert messages[0]["MessageAttributes"]["my_attribute_no_1"]["StringValue"] == "Hello"


def test_sqs_string_body_is_sent_unchanged(engine: Engine, aws) -> None:
    queue = _queue(aws)
    assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::sqs:sendMessage",
        Parameters={"QueueUrl": queue, "MessageBody": "test_message_body"}), {}))
    assert [m["Body"] for m in _receive(aws, queue)] == ["test_message_body"]


def test_sqs_missing_queue_is_v1_style_error(engine: Engine) -> None:
    result = engine.run(task_machine(
        "arn:aws:states:::sqs:sendMessage",
        Parameters={"QueueUrl": "http://127.0.0.1/123456789012/nope", "MessageBody": "x"}),
        {})
    assert result.status == "FAILED"
    assert result.error == "SQS.QueueDoesNotExistException"
    assert "(Service: AmazonSQS; Status Code: 400; Error Code: " in result.cause
    assert result.cause.endswith("; Proxy: null)")


def test_sqs_null_body_is_amazon_sqs_exception(engine: Engine, aws) -> None:
    # Recorded (test_send_message_empty_body): MessageBody null -> SQS.AmazonSQSException.
    result = engine.run(task_machine(
        "arn:aws:states:::sqs:sendMessage",
        Parameters={"QueueUrl": _queue(aws), "MessageBody": None}), {})
    assert result.error == "SQS.AmazonSQSException"
    assert "(Service: AmazonSQS; Status Code: 400;" in result.cause


def test_sns_publish_reaches_subscribed_queue(engine: Engine, aws) -> None:
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    queue = _queue(aws)
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    output = assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::sns:publish",
        Parameters={"TopicArn": topic, "Message.$": "$"}), {"Message": "HelloWorld!"}))
    assert set(output) == {"MessageId", "SdkHttpMetadata", "SdkResponseMetadata"}
    assert [m["Body"] for m in _receive(aws, queue)] == ['{"Message":"HelloWorld!"}']


def test_sns_missing_topic_error_name(engine: Engine) -> None:
    result = engine.run(task_machine(
        "arn:aws:states:::sns:publish",
        Parameters={"TopicArn": "arn:aws:sns:us-east-1:123456789012:nope",
                    "Message": "x"}), {})
    assert result.error == "SNS.NotFoundException"
    assert "(Service: AmazonSNS; Status Code: 404; Error Code: NotFound;" in result.cause


def test_dynamodb_put_get_update_delete(engine: Engine, aws) -> None:
    table = _table(aws)
    ddb = "arn:aws:states:::dynamodb:"
    key = {"id": {"S": "id1"}}
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {"Type": "Task", "Resource": ddb + "putItem",
                    "Parameters": {"TableName": table,
                                   "Item": {"id": {"S": "id1"}, "data": {"S.$": "$.data"}}},
                    "ResultPath": "$.put", "Next": "Get"},
            "Get": {"Type": "Task", "Resource": ddb + "getItem",
                    "Parameters": {"TableName": table, "Key": key},
                    "ResultPath": "$.get", "Next": "Update"},
            "Update": {"Type": "Task", "Resource": ddb + "updateItem",
                       "Parameters": {"TableName": table, "Key": key,
                                      "UpdateExpression": "SET #d = :v",
                                      "ExpressionAttributeNames": {"#d": "data"},
                                      "ExpressionAttributeValues": {":v": {"S": "Updated"}},
                                      "ReturnValues": "ALL_NEW"},
                       "ResultPath": "$.update", "Next": "Delete"},
            "Delete": {"Type": "Task", "Resource": ddb + "deleteItem",
                       "Parameters": {"TableName": table, "Key": key,
                                      "ReturnValues": "ALL_OLD"},
                       "ResultPath": "$.delete", "End": True},
        },
    }
    output = assert_succeeded(engine.run(definition, {"data": "HelloWorld"}))
    assert set(output["put"]) == {"SdkHttpMetadata", "SdkResponseMetadata"}
    assert output["get"]["Item"] == {"id": {"S": "id1"}, "data": {"S": "HelloWorld"}}
    assert set(output["get"]["SdkHttpMetadata"]) == HTTP_METADATA_KEYS
    assert output["update"]["Attributes"] == {"id": {"S": "id1"}, "data": {"S": "Updated"}}
    assert output["delete"]["Attributes"] == {"id": {"S": "id1"}, "data": {"S": "Updated"}}
    assert "Item" not in aws.client("dynamodb").get_item(TableName=table, Key=key)


def test_dynamodb_missing_table_v1_error(engine: Engine) -> None:
    result = engine.run(task_machine(
        "arn:aws:states:::dynamodb:putItem",
        Parameters={"TableName": unique("missing"), "Item": {"id": {"S": "id1"}}}), {})
    assert result.error == "DynamoDB.ResourceNotFoundException"
    assert ("(Service: AmazonDynamoDBv2; Status Code: 400; "
            "Error Code: ResourceNotFoundException; Request ID: ") in result.cause


def test_events_put_events_detail_object_sent_as_json(engine: Engine, aws) -> None:
    events, sqs = aws.client("events"), aws.client("sqs")
    queue = _queue(aws)
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = unique("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["some.source"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    output = assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::events:putEvents",
        Parameters={"Entries": [
            {"Detail": {"Message": "HelloWorld1"}, "DetailType": "dt",
             "Source": "some.source"},
            {"Detail": "{\"Message\": \"HelloWorld0\"}", "DetailType": "dt",
             "Source": "some.source"}]}), {}))
    # EventBridge's result carries no SdkHttpMetadata (as recorded).
    assert set(output) == {"Entries", "FailedEntryCount"}
    assert output["FailedEntryCount"] == 0
    assert len(output["Entries"]) == 2 and all("EventId" in e for e in output["Entries"])
    details = sorted(json.loads(m["Body"])["detail"]["Message"] for m in _receive(aws, queue))
    assert details == ["HelloWorld0", "HelloWorld1"]


def test_unsupported_action(engine: Engine) -> None:
    # an action the integration does not optimize is refused with the definition
    with pytest.raises(DefinitionError, match="is not recognized"):
        engine.compile(task_machine("arn:aws:states:::sqs:receiveMessage",
                                    Parameters={"QueueUrl": "x"}))


def test_wait_for_task_token_calls_the_service(engine: Engine, aws) -> None:
    """SQS offers .waitForTaskToken: the message is sent (only then does the in-process
    engine say it has no one to answer the token; tests/service covers the answer)."""
    queue = aws.client("sqs").create_queue(QueueName=unique("callback"))["QueueUrl"]
    result = engine.run(task_machine(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Parameters={"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}}), {})
    assert result.error == "States.Runtime"
    assert "Task tokens need `stepfn serve`" in result.cause
    [message] = _receive(aws, queue)
    assert json.loads(message["Body"])["token"]
