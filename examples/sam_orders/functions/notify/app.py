"""Answers the Notify state's task token: the callback pattern over SQS."""

import json

import boto3

stepfunctions = boto3.client("stepfunctions")


def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        message = json.loads(record["body"])
        order = message["order"]
        if order.get("reject"):
            stepfunctions.send_task_failure(taskToken=message["taskToken"],
                                            error="Order.Rejected", cause=order["id"])
            continue
        stepfunctions.send_task_success(
            taskToken=message["taskToken"],
            output=json.dumps({"id": order["id"], "confirmed": True,
                               "price_text": order["price_text"]}))
    return {"batchItemFailures": failures}
