"""Templates loaded into the plain model, as CloudFormation would resolve them: the
project's SAM application and its CDK app's cdk.out (synthesized by `cdk synth`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepfn.templates import LoadOptions, load_application
from stepfn.templates.errors import TemplateError
from tests.templates.conftest import APPS

ORDERS = APPS / "sam_orders" / "template.yaml"
CDK_OUT = APPS / "cdk_greeting" / "cdk.out"


def test_a_sam_application_as_the_model() -> None:
    app = load_application([ORDERS])
    orders = app.machine("OrderMachine")
    assert orders.name == "local-orders"  # !Sub "${AWS::StackName}-orders"
    assert app.machine(orders.arn) is orders and app.machine("local-orders") is orders
    definition = json.loads(orders.definition)
    states = definition["States"]
    assert states["Validate"]["Resource"] == \
        "arn:aws:lambda:us-east-1:123456789012:function:ValidateFunction"
    assert states["Price"]["Parameters"]["FunctionName"] == "PriceFunction"
    assert states["Save"]["Parameters"]["TableName"] == "OrdersTable"  # !Ref, logical id
    assert states["Notify"]["Parameters"]["QueueUrl"] == \
        "https://sqs.us-east-1.amazonaws.com/123456789012/NotifyQueue"
    assert orders.tags == {"stateMachine:createdBy": "SAM"}
    nightly = app.machine("NightlyMachine")
    assert nightly.type == "EXPRESS" and json.loads(nightly.definition)["StartAt"] == "Report"

    functions = {f.name: f for f in app.functions}
    assert set(functions) == {"ValidateFunction", "PriceFunction", "NotifyFunction"}
    assert {f.handler for f in functions.values()} == {"app.lambda_handler"}
    assert functions["ValidateFunction"].environment == {"STAGE": "dev",
                                                         "MINIMUM_TOTAL": "10"}
    assert functions["PriceFunction"].environment == {"STAGE": "dev", "CURRENCY": "EUR",
                                                      "DISCOUNT": "0"}
    assert functions["PriceFunction"].code_dir == ORDERS.parent / "functions" / "price"
    assert functions["PriceFunction"].timeout_seconds == 10.0  # Globals
    assert functions["PriceFunction"].layers == (ORDERS.parent / "layers" / "common",)

    [source] = app.event_sources
    assert (source.function, source.batch_size, source.report_batch_item_failures) == (
        "NotifyFunction", 5, True)
    assert source.queue_arn == "arn:aws:sqs:us-east-1:123456789012:NotifyQueue"
    [schedule] = app.schedules
    assert (schedule.expression, schedule.target_arn, schedule.input) == (
        "rate(1 minute)", nightly.arn, '{"report": "nightly"}')
    assert "ProdAlarms" not in {r.logical_id for r in app.resources}  # Condition IsProd


def test_parameters_conditions_and_mappings_follow_the_overrides() -> None:
    app = load_application([ORDERS], LoadOptions(
        stack_name="shop", parameter_overrides={"Stage": "prod", "Currency": "USD"}))
    price = next(f for f in app.functions if f.logical_id == "PriceFunction")
    assert price.name == "shop-price"  # Fn::If on IsProd
    assert price.environment["DISCOUNT"] == "5" and price.environment["CURRENCY"] == "USD"
    states = json.loads(app.machine("OrderMachine").definition)["States"]
    assert states["Price"]["Parameters"]["FunctionName"] == "shop-price"
    assert "ProdAlarms" in {r.logical_id for r in app.resources}
    with pytest.raises(TemplateError, match="does not match its AllowedPattern"):
        load_application([ORDERS], LoadOptions(parameter_overrides={"Currency": "usd"}))


def test_a_cdk_cloud_assembly() -> None:
    app = load_application([CDK_OUT])
    assert app.stacks == ("GreetingStack",)  # the stack's own name: AWS::StackName
    machine = app.machine("GreetingStack/GreetingMachine")  # the construct path
    assert machine is app.machine("GreetingStack/GreetingMachine/Resource")
    assert machine is app.machine(machine.logical_id)
    states = json.loads(machine.definition)["States"]
    [greet] = app.functions
    assert states["SayHello"]["Resource"] == \
        f"arn:aws:lambda:us-east-1:123456789012:function:{greet.name}"
    assert states["Remember"]["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert greet.code_dir is not None and (greet.code_dir / "app.py").is_file()
    assert greet.code_dir.parent == CDK_OUT.resolve()  # the asset folder
    assert greet.environment["GREETING"] == "Hello"
    assert app.outputs["GreetingStack"]["MachineArn"] == machine.arn


def test_an_import_resolves_from_an_earlier_template(tmp_path: Path) -> None:
    (tmp_path / "shared.yaml").write_text(
        "Resources:\n  Bus:\n    Type: AWS::Events::EventBus\n    Properties: {Name: orders}\n"
        "Outputs:\n  BusArn:\n    Value: !GetAtt Bus.Arn\n    Export: {Name: shared-bus}\n")
    (tmp_path / "app.yaml").write_text(
        "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      RoleArn: arn:aws:iam::123456789012:role/r\n"
        "      Definition:\n        StartAt: P\n        States:\n"
        "          P: {Type: Pass, Result: !ImportValue shared-bus, End: true}\n")
    app = load_application([tmp_path / "shared.yaml", tmp_path / "app.yaml"])
    assert json.loads(app.machine("M").definition)["States"]["P"]["Result"] == \
        "arn:aws:events:us-east-1:123456789012:event-bus/orders"
