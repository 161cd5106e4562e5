"""A small CDK app (Python) whose `cdk synth` output, cdk.out/, the tests load.

Synthesize again with: npx cdk synth (needs the aws-cdk CLI and aws-cdk-lib); CI uses
the committed cdk.out.
"""

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct


class GreetingStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        table = dynamodb.Table(
            self, "Greetings",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST)
        greet = lambda_.Function(
            self, "Greet", runtime=lambda_.Runtime.PYTHON_3_12,
            handler="app.lambda_handler", code=lambda_.Code.from_asset("functions/greet"),
            environment={"GREETING": "Hello", "TABLE_NAME": table.table_name})
        say_hello = tasks.LambdaInvoke(self, "SayHello", lambda_function=greet,
                                       payload_response_only=True)
        remember = tasks.DynamoPutItem(
            self, "Remember", table=table,
            item={"id": tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at("$.name")),
                  "greeting": tasks.DynamoAttributeValue.from_string(
                      sfn.JsonPath.string_at("$.greeting"))},
            result_path=sfn.JsonPath.DISCARD)
        machine = sfn.StateMachine(
            self, "GreetingMachine",
            definition_body=sfn.DefinitionBody.from_chainable(say_hello.next(remember)))
        cdk.CfnOutput(self, "MachineArn", value=machine.state_machine_arn)
        cdk.CfnOutput(self, "TableName", value=table.table_name)


app = cdk.App()
GreetingStack(app, "GreetingStack")
app.synth()
