"""--create-resources and SQS event sources against moto's server as the local AWS."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from stepfn.service.event_sources import FunctionFailed, SqsEventSource, SqsPoller
from stepfn.templates.application import LoadOptions, build_application, load_documents
from stepfn.templates.local_aws import create_resources

TEMPLATE = """
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
  Mail:
    Type: AWS::SNS::Subscription
    Properties: {Protocol: email, Endpoint: ops@example.com, TopicArn: !Ref Topic}
  Seeder:
    Type: Custom::Seed
    Properties: {ServiceToken: !GetAtt Jobs.Arn}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: 2012-10-17, Statement: []}
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !GetAtt Role.Arn
      DefinitionString: !Sub |
        {"StartAt": "Send", "States": {"Send": {"Type": "Task",
         "Resource": "arn:aws:states:::sqs:sendMessage",
         "Parameters": {"QueueUrl": "${Jobs}", "MessageBody": "${Topic}|${Seeder.Value}"},
         "End": true}}}
Outputs:
  QueueArn:
    Value: !GetAtt Jobs.Arn
"""


def test_created_resources_resolve_and_what_cannot_be_created_is_one_warning(
        tmp_path: Path, moto_endpoint: str, aws: Any) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    stack = f"t{uuid.uuid4().hex[:8]}"
    options = LoadOptions(stack_name=stack)
    documents = load_documents([template])
    created = create_resources(documents, options)
    warnings = "\n".join(created.warnings)
    assert "Mail: the email subscription is not created" in warnings
    assert "Seeder (Custom::Seed) is not created on the local AWS" in warnings
    assert len(created.warnings) == 2  # the role is left out silently: nothing needs it
    app = build_application(documents, LoadOptions(stack_name=stack,
                                                   created=created.values))
    parameters = json.loads(app.machine("Machine").definition)["States"]["Send"]["Parameters"]
    [url] = aws.client("sqs").list_queues(QueueNamePrefix=f"{stack}-Jobs")["QueueUrls"]
    # the created queue's URL (moto lists it under its own endpoint)
    assert parameters["QueueUrl"].rsplit("/", 1)[1] == url.rsplit("/", 1)[1]
    topics = [t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"]]
    topic, seeded = parameters["MessageBody"].split("|")
    assert topic in topics and topic.split(":")[-1].startswith(f"{stack}-Topic-")
    assert seeded == "Seeder.Value"  # a value built from the logical id
    assert app.outputs[stack]["QueueArn"].startswith(
        f"arn:aws:sqs:us-east-1:123456789012:{stack}-Jobs-")
    again = create_resources(documents, options)  # a second start updates the stack
    assert again.values[stack] == created.values[stack]


def test_an_sqs_event_source_deletes_what_the_function_did_not_report(
        moto_endpoint: str, aws: Any) -> None:
    sqs = aws.client("sqs")
    name = f"events-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    for body in ("ok-1", "bad", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body,
                         MessageAttributes={"kind": {"DataType": "String",
                                                     "StringValue": "test"}})
    events: list[dict] = []
    fail_all = [True]

    async def invoke(function: str, event: Any, qualifier: str | None) -> Any:
        events.append(event)
        if fail_all[0]:  # the first batch fails: nothing is deleted
            fail_all[0] = False
            raise FunctionFailed("boom")
        bad = [r["messageId"] for r in event["Records"] if r["body"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}

    async def run() -> SqsPoller:
        poller = SqsPoller([SqsEventSource("Mapping", "Fn", arn, batch_size=10,
                                           report_batch_item_failures=True)],
                           invoke, region="us-east-1")
        await poller.start()
        for _ in range(100):
            if poller.delivered >= 2:
                break
            await asyncio.sleep(0.1)
        await poller.stop()
        return poller

    poller = asyncio.run(run())
    assert poller.delivered == 2
    record = events[-1]["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert {"receiptHandle", "md5OfBody", "attributes", "awsRegion"} <= set(record)
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    assert [m["Body"] for m in left.get("Messages", [])] == ["bad"]
